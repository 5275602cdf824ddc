//===- QCContract.cpp - Verification of the qc.* attributes ---------------===//
//
// Every discardable qc.* attribute of the model contract (QCContract.h) is
// checked where it is attached: its kind, its range and, for calibration
// statistics, its shape against the layer's row length. Anything else named
// qc.* is rejected, so a misspelt plan attribute cannot be ignored.
//
//===----------------------------------------------------------------------===//

#include "dialects/QC/IR/QCContract.h"
#include "dialects/QC/IR/QC.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

/// Checks `attr` is an f32 tensor whose shape matches `expected` (-1: any
/// extent) on the layer `op`.
LogicalResult verifyStatistic(Operation *op, NamedAttribute attr,
                              ArrayRef<int64_t> expected) {
  auto elements = dyn_cast<ElementsAttr>(attr.getValue());
  auto type = elements ? dyn_cast<RankedTensorType>(elements.getType())
                       : RankedTensorType();
  auto shapeMatches = [&] {
    if (type.getRank() != int64_t(expected.size()))
      return false;
    for (auto [d, e] : llvm::zip(type.getShape(), expected))
      if (e >= 0 && d != e)
        return false;
    return true;
  };
  if (type && type.getElementType().isF32() && shapeMatches())
    return success();
  InFlightDiagnostic diag = op->emitOpError()
                            << "attribute '" << attr.getName().getValue()
                            << "' must be a tensor<";
  for (int64_t e : expected)
    if (e < 0)
      diag << "?x";
    else
      diag << e << "x";
  return diag << "f32> of calibration statistics for this layer, got "
              << attr.getValue();
}

/// The row length K of the layer `op`, or -1 when `op` is not a layer.
int64_t rowLengthOf(Operation *op) {
  auto layer = dyn_cast<QuantizableLayer>(op);
  if (!layer)
    return -1;
  ArrayRef<int64_t> shape =
      getWeightShape(layer.getWeightOperand().get().getType());
  int64_t k = 1;
  for (int64_t d : shape.drop_front())
    k *= d;
  return k;
}

LogicalResult verifyInteger(Operation *op, NamedAttribute attr,
                            function_ref<bool(int64_t)> valid, StringRef what) {
  auto value = dyn_cast<IntegerAttr>(attr.getValue());
  if (value && valid(value.getInt()))
    return success();
  return op->emitOpError() << "attribute '" << attr.getName().getValue()
                           << "' must be " << what << ", got "
                           << attr.getValue();
}

LogicalResult verifyTensorNameAttr(Operation *op, NamedAttribute attr,
                                   StringRef kind) {
  if (attr.getName() == kKVCacheAttr) {
    if (isa<UnitAttr>(attr.getValue()))
      return success();
    return op->emitOpError() << "'" << kKVCacheAttr << "' of a " << kind
                             << " must be a unit attribute";
  }
  if (attr.getName() != kTensorNameAttr)
    return op->emitOpError() << "unknown qc attribute '"
                             << attr.getName().getValue() << "' on a " << kind;
  if (!isa<StringAttr>(attr.getValue()))
    return op->emitOpError() << "'" << kTensorNameAttr << "' of a " << kind
                             << " must be a string, got " << attr.getValue();
  return success();
}

/// qc.generator: {max_context, prefill_tokens > 0 with prefill_tokens <=
/// max_context, optional vocab of strings}.
LogicalResult verifyGeneratorAttr(Operation *op, NamedAttribute attr) {
  auto dict = dyn_cast<DictionaryAttr>(attr.getValue());
  auto positive = [&](StringRef key) -> int64_t {
    auto v = dict ? dict.getAs<IntegerAttr>(key) : IntegerAttr();
    return v && v.getInt() > 0 ? v.getInt() : -1;
  };
  int64_t context = positive("max_context"),
          prefill = positive("prefill_tokens");
  auto vocab = dict ? dict.get("vocab") : Attribute();
  auto vocabArray = dyn_cast_if_present<ArrayAttr>(vocab);
  bool vocabOk =
      !vocab || (vocabArray && llvm::all_of(vocabArray, [](Attribute a) {
                   return isa<StringAttr>(a);
                 }));
  if (!isa<ModuleOp>(op) || context < 0 || prefill < 0 || prefill > context ||
      !vocabOk || dict.size() != (vocab ? 3u : 2u))
    return op->emitOpError()
           << "attribute '" << kGeneratorAttr
           << "' must be a module's {max_context = N, prefill_tokens = C "
              "(0 < C <= N), vocab = [strings] (optional)}, got "
           << attr.getValue();
  return success();
}

} // namespace

LogicalResult QCDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  Attribute value = attr.getValue();
  if (name == kGraphNameAttr || name == kFloatReasonAttr) {
    if (isa<StringAttr>(value))
      return success();
    return op->emitOpError()
           << "attribute '" << name << "' must be a string, got " << value;
  }
  if (name == kOpsetAttr || name == kLayerStageAttr ||
      name == kLayerGroupSizeAttr || name == kDeadColumnsAttr)
    return verifyInteger(
        op, attr, [](int64_t v) { return v >= 0; }, "an integer >= 0");
  if (name == kIndexBoundAttr)
    return verifyInteger(
        op, attr, [](int64_t v) { return v > 0; }, "an integer > 0");
  if (name == kLayerBitsAttr)
    return verifyInteger(
        op, attr, [](int64_t v) { return (v >= 2 && v <= 8) || v == 32; },
        "2-8 bits, or 32 (float)");
  if (name == kWeightShapeAttr) {
    if (isa<DenseI64ArrayAttr>(value))
      return success();
    return op->emitOpError()
           << "attribute '" << name << "' must be an i64 array, got " << value;
  }
  if (name == kRelErrorAttr || name == kAWQAlphaAttr) {
    if (isa<FloatAttr>(value))
      return success();
    return op->emitOpError()
           << "attribute '" << name << "' must be a float, got " << value;
  }
  if (name == kAWQScalesFoldedAttr) {
    if (isa<UnitAttr>(value))
      return success();
    return op->emitOpError() << "attribute '" << name << "' must be a unit";
  }
  if (name == kGeneratorAttr)
    return verifyGeneratorAttr(op, attr);
  if (name == kHessianAttr || name == kMeanAbsAttr || name == kSamplesAttr) {
    int64_t k = rowLengthOf(op);
    if (k < 0)
      return op->emitOpError()
             << "attribute '" << name << "' belongs on a quantizable layer";
    if (name == kHessianAttr)
      return verifyStatistic(op, attr, {k, k});
    if (name == kMeanAbsAttr)
      return verifyStatistic(op, attr, {k});
    return verifyStatistic(op, attr, {-1, k});
  }
  return op->emitOpError() << "unknown qc attribute '" << name << "'";
}

LogicalResult QCDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                  unsigned,
                                                  NamedAttribute attr) {
  return verifyTensorNameAttr(op, attr, "function argument");
}

LogicalResult QCDialect::verifyRegionResultAttribute(Operation *op, unsigned,
                                                     unsigned,
                                                     NamedAttribute attr) {
  return verifyTensorNameAttr(op, attr, "function result");
}
