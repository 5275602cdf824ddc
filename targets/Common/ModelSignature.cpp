//===- ModelSignature.cpp - The entry function as the runtime sees it -----===//

#include "targets/Common/ModelSignature.h"

#include "dialects/QC/IR/QCContract.h"
#include "lib/Support/ElementTypes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::qc;

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
  std::optional<int32_t> dtype = getDTypeOfType(tensor.getElementType());
  if (!dtype)
    return func.emitError()
           << kind << " '" << sig.name << "' has unsupported element type "
           << tensor.getElementType();
  sig.dtype = *dtype;
  sig.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  return sig;
}

/// The buffers of `func`: every argument, then the results that are not
/// in-place KV caches.
static LogicalResult readBuffers(func::FuncOp func,
                                 std::vector<TensorSignature> &inputs,
                                 std::vector<TensorSignature> &outputs) {
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    auto t = getTensorSignature(func, type.getInput(i), func.getArgAttrDict(i),
                                "input", i);
    if (failed(t))
      return failure();
    inputs.push_back(*t);
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    if (func.getResultAttr(i, kKVCacheAttr))
      continue;
    auto t = getTensorSignature(func, type.getResult(i),
                                func.getResultAttrDict(i), "output", i);
    if (failed(t))
      return failure();
    outputs.push_back(*t);
  }
  return success();
}

FailureOr<ModelSignature> mlir::qc::getModelSignature(ModuleOp module) {
  auto func = module.lookupSymbol<func::FuncOp>(kEntryFunction);
  if (!func)
    return module.emitError() << "no entry function '" << kEntryFunction << "'";
  ModelSignature sig;
  if (auto name = module->getAttrOfType<StringAttr>(kGraphNameAttr))
    sig.name = name.str();
  else
    sig.name = "model";
  if (failed(readBuffers(func, sig.inputs, sig.outputs)))
    return failure();
  auto generator = module->getAttrOfType<DictionaryAttr>(kGeneratorAttr);
  if (!generator)
    return sig;
  auto prefill = module.lookupSymbol<func::FuncOp>(kPrefillFunction);
  if (!prefill)
    return module.emitError() << "generator without a prefill function '"
                              << kPrefillFunction << "'";
  GeneratorSignature &gen = sig.generator.emplace();
  gen.maxContext = generator.getAs<IntegerAttr>("max_context").getInt();
  gen.prefillTokens = generator.getAs<IntegerAttr>("prefill_tokens").getInt();
  if (auto vocab = generator.getAs<ArrayAttr>("vocab"))
    for (Attribute entry : vocab)
      gen.vocab.push_back(cast<StringAttr>(entry).str());
  if (failed(readBuffers(prefill, gen.prefillInputs, gen.prefillOutputs)))
    return failure();
  return sig;
}
