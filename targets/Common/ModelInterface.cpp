//===- ModelInterface.cpp - The qc_model ABI in LLVM IR -------------------===//
//
// Emits what include/quantc/Runtime/qc_model.h declares: a constant
// descriptor of the inputs and outputs and a run function taking an array of
// buffer pointers, so the runtime (and embedders) never see MLIR's calling
// conventions.
//
//===----------------------------------------------------------------------===//

#include "targets/Common/ModelInterface.h"

#include "quantc/Runtime/qc_model.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"

using namespace mlir;
using namespace mlir::qc;

void mlir::qc::addModelInterface(llvm::Module &module, llvm::Function *entry,
                                 const ModelSignature &signature) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *ptr = llvm::PointerType::get(ctx, 0);
  llvm::Type *i32 = llvm::Type::getInt32Ty(ctx);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);

  auto privateConstant = [&](llvm::Constant *init, const llvm::Twine &name) {
    return new llvm::GlobalVariable(
        module, init->getType(), /*isConstant=*/true,
        llvm::GlobalValue::PrivateLinkage, init, name);
  };
  auto cString = [&](StringRef s, const llvm::Twine &name) {
    return privateConstant(llvm::ConstantDataArray::getString(ctx, s), name);
  };

  // struct qc_tensor_desc { const char *name; int32_t dtype, rank;
  //                         const int64_t *shape; }
  auto *descType = llvm::StructType::get(ctx, {ptr, i32, i32, ptr});
  auto descArray = [&](ArrayRef<TensorSignature> tensors, StringRef kind) {
    std::vector<llvm::Constant *> descs;
    for (auto [i, t] : llvm::enumerate(tensors)) {
      std::vector<llvm::Constant *> dims;
      for (int64_t d : t.shape)
        dims.push_back(llvm::ConstantInt::get(i64, d));
      auto *shapeType = llvm::ArrayType::get(i64, dims.size());
      llvm::Constant *shape =
          privateConstant(llvm::ConstantArray::get(shapeType, dims),
                          "qc." + kind + llvm::Twine(i) + ".shape");
      descs.push_back(llvm::ConstantStruct::get(
          descType, {cString(t.name, "qc." + kind + llvm::Twine(i) + ".name"),
                     llvm::ConstantInt::get(i32, t.dtype),
                     llvm::ConstantInt::get(i32, t.shape.size()), shape}));
    }
    auto *arrayType = llvm::ArrayType::get(descType, descs.size());
    return privateConstant(llvm::ConstantArray::get(arrayType, descs),
                           "qc." + kind + "s");
  };

  // struct qc_model_desc { const char *name; int32_t num_inputs,
  //   num_outputs; const qc_tensor_desc *inputs, *outputs; }
  auto *modelType = llvm::StructType::get(ctx, {ptr, i32, i32, ptr, ptr});
  auto *model = llvm::ConstantStruct::get(
      modelType, {cString(signature.name, "qc.model.name"),
                  llvm::ConstantInt::get(i32, signature.inputs.size()),
                  llvm::ConstantInt::get(i32, signature.outputs.size()),
                  descArray(signature.inputs, "input"),
                  descArray(signature.outputs, "output")});
  new llvm::GlobalVariable(module, modelType, /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, model,
                           "qc_model");

  // void qc_model_run(void **buffers): entry(buffers[0], buffers[1], ...).
  auto *runType =
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false);
  auto *run = llvm::Function::Create(
      runType, llvm::GlobalValue::ExternalLinkage, "qc_model_run", module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", run));
  std::vector<llvm::Value *> args;
  for (unsigned i = 0; i < entry->arg_size(); ++i) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptr, run->getArg(0), i);
    args.push_back(b.CreateLoad(ptr, slot));
  }
  b.CreateCall(entry, args);
  b.CreateRetVoid();
}
