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

FailureOr<ModelSignature> mlir::qc::getModelSignature(ModuleOp module) {
  auto func = module.lookupSymbol<func::FuncOp>(kEntryFunction);
  if (!func)
    return module.emitError() << "no entry function '" << kEntryFunction << "'";
  ModelSignature sig;
  if (auto name = module->getAttrOfType<StringAttr>(kGraphNameAttr))
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
