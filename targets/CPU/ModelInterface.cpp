//===- ModelInterface.cpp - The qc_model ABI in LLVM IR -------------------===//
//
// Emits what include/quantc/Runtime/qc_model.h declares: a constant
// descriptor of the inputs and outputs and a run function taking an array of
// buffer pointers, so the runtime (and embedders) never see MLIR's calling
// conventions.
//
//===----------------------------------------------------------------------===//

#include "targets/CPU/CPUTarget.h"

#include "quantc/Runtime/qc_model.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"

using namespace mlir;
using namespace mlir::qc;

/// The qc_dtype of an element type: the inverse of the importer's ONNX type
/// table (lib/Import/ONNXImporter.cpp), where uint* are unsigned MLIR types.
static std::optional<int32_t> getDType(Type type) {
  if (type.isF32())
    return QC_DTYPE_F32;
  if (type.isF64())
    return QC_DTYPE_F64;
  if (type.isF16())
    return QC_DTYPE_F16;
  auto intType = dyn_cast<IntegerType>(type);
  if (!intType)
    return std::nullopt;
  bool isUnsigned = intType.isUnsigned();
  switch (intType.getWidth()) {
  case 1:
    return isUnsigned ? std::nullopt : std::optional<int32_t>(QC_DTYPE_BOOL);
  case 8:
    return isUnsigned ? QC_DTYPE_U8 : QC_DTYPE_I8;
  case 16:
    return isUnsigned ? QC_DTYPE_U16 : QC_DTYPE_I16;
  case 32:
    return isUnsigned ? QC_DTYPE_U32 : QC_DTYPE_I32;
  case 64:
    return isUnsigned ? QC_DTYPE_U64 : QC_DTYPE_I64;
  default:
    return std::nullopt;
  }
}

static FailureOr<TensorSignature>
getTensorSignature(func::FuncOp func, Type type, DictionaryAttr attrs,
                   StringRef kind, unsigned index) {
  TensorSignature sig;
  auto nameAttr = attrs ? attrs.getAs<StringAttr>(kTensorNameAttr) : nullptr;
  sig.name = nameAttr ? nameAttr.str() : (kind + Twine(index)).str();
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return func.emitError() << kind << " '" << sig.name << "' has type " << type
                            << "; compiled models need static shapes (pin "
                               "symbolic dimensions with --input-shape)";
  std::optional<int32_t> dtype = getDType(tensor.getElementType());
  if (!dtype)
    return func.emitError()
           << kind << " '" << sig.name << "' has unsupported element type "
           << tensor.getElementType();
  sig.dtype = *dtype;
  sig.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  return sig;
}

FailureOr<ModelSignature> mlir::qc::getModelSignature(ModuleOp module) {
  auto func = module.lookupSymbol<func::FuncOp>(kEntryFunction);
  if (!func)
    return module.emitError() << "no entry function '" << kEntryFunction << "'";
  ModelSignature sig;
  if (auto name = module->getAttrOfType<StringAttr>("qc.graph_name"))
    sig.name = name.str();
  else
    sig.name = "model";
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    auto t = getTensorSignature(func, type.getInput(i), func.getArgAttrDict(i),
                                "input", i);
    if (failed(t))
      return failure();
    sig.inputs.push_back(*t);
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    auto t = getTensorSignature(func, type.getResult(i),
                                func.getResultAttrDict(i), "output", i);
    if (failed(t))
      return failure();
    sig.outputs.push_back(*t);
  }
  return sig;
}

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
