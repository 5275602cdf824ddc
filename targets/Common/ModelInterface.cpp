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

namespace {

/// Builds the qc_model.h structures of one module.
class InterfaceBuilder {
public:
  explicit InterfaceBuilder(llvm::Module &module)
      : module(module), ctx(module.getContext()),
        ptr(llvm::PointerType::get(ctx, 0)), i32(llvm::Type::getInt32Ty(ctx)),
        i64(llvm::Type::getInt64Ty(ctx)),
        // struct qc_tensor_desc { const char *name; int32_t dtype, rank;
        //                         const int64_t *shape; }
        descType(llvm::StructType::get(ctx, {ptr, i32, i32, ptr})),
        // struct qc_model_desc { const char *name; int32_t num_inputs,
        //   num_outputs; const qc_tensor_desc *inputs, *outputs; }
        modelType(llvm::StructType::get(ctx, {ptr, i32, i32, ptr, ptr})) {}

  llvm::GlobalVariable *privateConstant(llvm::Constant *init,
                                        const llvm::Twine &name) {
    return new llvm::GlobalVariable(
        module, init->getType(),
        /*isConstant=*/true, llvm::GlobalValue::PrivateLinkage, init, name);
  }
  llvm::GlobalVariable *cString(StringRef s, const llvm::Twine &name) {
    return privateConstant(llvm::ConstantDataArray::getString(ctx, s), name);
  }

  llvm::Constant *descArray(ArrayRef<TensorSignature> tensors,
                            const llvm::Twine &kind) {
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
  }

  llvm::Constant *modelDesc(StringRef name, ArrayRef<TensorSignature> inputs,
                            ArrayRef<TensorSignature> outputs,
                            const llvm::Twine &prefix) {
    return llvm::ConstantStruct::get(
        modelType, {cString(name, prefix + "name"),
                    llvm::ConstantInt::get(i32, inputs.size()),
                    llvm::ConstantInt::get(i32, outputs.size()),
                    descArray(inputs, prefix + "input"),
                    descArray(outputs, prefix + "output")});
  }

  /// void NAME(void **buffers): entry(buffers[0], buffers[1], ...).
  void runFunction(StringRef name, llvm::Function *entry) {
    auto *runType =
        llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false);
    auto *run = llvm::Function::Create(
        runType, llvm::GlobalValue::ExternalLinkage, name, module);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", run));
    std::vector<llvm::Value *> args;
    for (unsigned i = 0; i < entry->arg_size(); ++i) {
      llvm::Value *slot = b.CreateConstGEP1_64(ptr, run->getArg(0), i);
      args.push_back(b.CreateLoad(ptr, slot));
    }
    b.CreateCall(entry, args);
    b.CreateRetVoid();
  }

  llvm::Module &module;
  llvm::LLVMContext &ctx;
  llvm::Type *ptr, *i32, *i64;
  llvm::StructType *descType, *modelType;
};

} // namespace

void mlir::qc::addModelInterface(llvm::Module &module, llvm::Function *entry,
                                 const ModelSignature &signature,
                                 llvm::Function *prefill) {
  InterfaceBuilder ib(module);
  llvm::Constant *model = ib.modelDesc(signature.name, signature.inputs,
                                       signature.outputs, "qc.model.");
  new llvm::GlobalVariable(module, ib.modelType, /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, model,
                           "qc_model");
  ib.runFunction("qc_model_run", entry);
  if (!signature.generator || !prefill)
    return;

  // struct qc_generator_desc { int64_t max_context, prefill_tokens;
  //   int32_t vocab_size; const char *const *vocab; qc_model_desc prefill; }
  const GeneratorSignature &gen = *signature.generator;
  std::vector<llvm::Constant *> vocab;
  for (auto [i, text] : llvm::enumerate(gen.vocab))
    vocab.push_back(ib.cString(text, "qc.vocab" + llvm::Twine(i)));
  auto *vocabType = llvm::ArrayType::get(ib.ptr, vocab.size());
  auto *genType = llvm::StructType::get(
      ib.ctx, {ib.i64, ib.i64, ib.i32, ib.ptr, ib.modelType});
  auto *desc = llvm::ConstantStruct::get(
      genType,
      {llvm::ConstantInt::get(ib.i64, gen.maxContext),
       llvm::ConstantInt::get(ib.i64, gen.prefillTokens),
       llvm::ConstantInt::get(ib.i32, gen.vocab.size()),
       vocab.empty()
           ? llvm::ConstantPointerNull::get(llvm::PointerType::get(ib.ctx, 0))
           : static_cast<llvm::Constant *>(ib.privateConstant(
                 llvm::ConstantArray::get(vocabType, vocab), "qc.vocab")),
       ib.modelDesc(signature.name, gen.prefillInputs, gen.prefillOutputs,
                    "qc.prefill.")});
  new llvm::GlobalVariable(module, genType, /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, desc,
                           "qc_generator");
  ib.runFunction("qc_generator_prefill", prefill);
}
