//===- ONNXOps.cpp - Shared handler helpers and the op table --------------===//
//
// The helpers op handlers of every family share (constants, axes, numpy
// broadcasting, auto_pad, the f32 compute wrapper) and the table from ONNX
// op type to handler, collected from the family files (ONNXLayers.cpp,
// ONNXArithmetic.cpp, ONNXShapeOps.cpp, ONNXReductions.cpp, ...).
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"
#include "lib/Import/ONNXImporter.h"

#include "lib/Support/LinalgBuilders.h"
#include "lib/Support/WeightConstants.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qc;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

bool mlir::qc::isFloat(Type t) { return isa<FloatType>(t); }

bool mlir::qc::isUnsigned(Type t) { return t.isUnsignedInteger(); }

Value mlir::qc::reshapeTo(OpBuilder &b, Location loc, Value v,
                          ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  auto shapeType =
      RankedTensorType::get({int64_t(shape.size())}, b.getI64Type());
  Value shapeValue = intTensorConstant(b, loc, shapeType, shape);
  return tensor::ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v,
      shapeValue);
}

Value mlir::qc::scalarConstant(OpBuilder &b, Location loc, Type type,
                               double value) {
  if (auto f = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f, value));
  return arith::ConstantOp::create(b, loc,
                                   b.getIntegerAttr(type, int64_t(value)));
}

Value mlir::qc::intTensorConstant(OpBuilder &b, Location loc,
                                  RankedTensorType type,
                                  ArrayRef<int64_t> values) {
  SmallVector<APInt> ints;
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  for (int64_t v : values)
    ints.push_back(APInt(width, v, /*isSigned=*/true));
  return arith::ConstantOp::create(b, loc,
                                   DenseIntElementsAttr::get(type, ints));
}

FailureOr<SmallVector<int64_t>> mlir::qc::constantInts(NodeContext &nc,
                                                       unsigned i) {
  DenseIntElementsAttr attr;
  if (!nc.hasInput(i) || !matchPattern(nc.input(i), m_Constant(&attr)))
    return failure();
  SmallVector<int64_t> values;
  for (const APInt &v : attr.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

FailureOr<SmallVector<double>> mlir::qc::constantFloats(NodeContext &nc,
                                                        unsigned i) {
  if (!nc.hasInput(i))
    return failure();
  DenseFPElementsAttr attr;
  if (matchPattern(nc.input(i), m_Constant(&attr))) {
    SmallVector<double> values;
    for (const APFloat &v : attr.getValues<APFloat>())
      values.push_back(v.convertToDouble());
    return values;
  }
  if (succeeded(readF32Constant(nc.input(i)))) {
    std::vector<float> data = *readF32Constant(nc.input(i));
    return SmallVector<double>(data.begin(), data.end());
  }
  if (auto ints = constantInts(nc, i); succeeded(ints))
    return SmallVector<double>(ints->begin(), ints->end());
  return failure();
}

FailureOr<int64_t> mlir::qc::normalizeAxis(NodeContext &nc, int64_t axis,
                                           int64_t rank) {
  // A rank-0 tensor has no axis at all (callers index its dims): found by
  // the fuzzer as a Split of a scalar.
  if (axis < -rank || axis >= rank)
    return nc.error() << "axis " << axis << " is out of range for rank "
                      << rank;
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SmallVector<int64_t>>
mlir::qc::normalizeAxes(NodeContext &nc, ArrayRef<int64_t> raw, int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t a : raw) {
    FailureOr<int64_t> axis = normalizeAxis(nc, a, rank);
    if (failed(axis))
      return failure();
    if (llvm::is_contained(axes, *axis))
      return nc.error() << "axis " << a << " is repeated";
    axes.push_back(*axis);
  }
  return axes;
}

FailureOr<std::optional<SmallVector<int64_t>>>
mlir::qc::getAxes(NodeContext &nc, unsigned inputIndex, StringRef attrName,
                  int64_t rank) {
  SmallVector<int64_t> raw;
  if (nc.hasInput(inputIndex)) {
    auto values = constantInts(nc, inputIndex);
    if (failed(values))
      return nc.error() << "axes must be a constant";
    raw = *values;
  } else if (nc.attr(attrName)) {
    std::vector<int64_t> values = nc.getInts(attrName, {});
    raw.assign(values.begin(), values.end());
  } else {
    return std::optional<SmallVector<int64_t>>();
  }
  FailureOr<SmallVector<int64_t>> axes = normalizeAxes(nc, raw, rank);
  if (failed(axes))
    return failure();
  llvm::sort(*axes);
  return std::optional<SmallVector<int64_t>>(*axes);
}

LogicalResult mlir::qc::requireF32(NodeContext &nc) {
  for (unsigned i = 0; i < nc.numInputs(); ++i)
    if (nc.hasInput(i) && !nc.inputType(i).getElementType().isF32())
      return nc.error() << "input " << i << " has element type "
                        << nc.inputType(i).getElementType()
                        << "; only f32 is supported for this op";
  return success();
}

Type mlir::qc::getSignlessType(Type t) {
  if (auto i = dyn_cast<IntegerType>(t); i && !i.isSignless())
    return IntegerType::get(t.getContext(), i.getWidth());
  return t;
}

Value mlir::qc::reinterpretScalar(OpBuilder &b, Location loc, Value v,
                                  Type to) {
  if (v.getType() == to)
    return v;
  return UnrealizedConversionCastOp::create(b, loc, to, v).getResult(0);
}

Value mlir::qc::buildSignlessElementwise(
    OpBuilder &b, Location loc, ValueRange inputs, RankedTensorType resultType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  return buildElementwise(
      b, loc, inputs, resultType,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        SmallVector<Value> plain;
        for (Value a : args)
          plain.push_back(
              reinterpretScalar(nb, l, a, getSignlessType(a.getType())));
        return reinterpretScalar(nb, l, body(nb, l, plain),
                                 resultType.getElementType());
      });
}

FailureOr<Value> mlir::qc::broadcastElementwise(
    NodeContext &nc, ValueRange inputs, Type resultElementType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body,
    bool allowUnsigned) {
  SmallVector<int64_t> shape;
  for (Value input : inputs) {
    auto type = cast<RankedTensorType>(input.getType());
    if (!allowUnsigned && type.getElementType().isUnsignedInteger())
      return nc.error() << "element type " << type.getElementType()
                        << " is not supported by this op yet";
    SmallVector<int64_t> merged;
    if (!OpTrait::util::getBroadcastedShape(shape, type.getShape(), merged)) {
      auto diag = nc.error() << "input shapes";
      for (Value v : inputs)
        diag << " " << v.getType();
      diag << " do not broadcast";
      return failure();
    }
    shape = merged;
  }
  return buildSignlessElementwise(
      nc.b, nc.loc, inputs, RankedTensorType::get(shape, resultElementType),
      body);
}

LogicalResult mlir::qc::resolveAutoPad(NodeContext &nc,
                                       ArrayRef<int64_t> inputSpatial,
                                       ArrayRef<int64_t> kernel,
                                       ArrayRef<int64_t> strides,
                                       ArrayRef<int64_t> dilations,
                                       std::vector<int64_t> &pads) {
  std::string autoPad = nc.getString("auto_pad", "NOTSET");
  size_t n = inputSpatial.size();
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    // Output = ceil(input / stride); the odd padding unit goes at the end
    // (SAME_UPPER) or the beginning (SAME_LOWER).
    for (size_t i = 0; i < n; ++i) {
      int64_t out = (inputSpatial[i] + strides[i] - 1) / strides[i];
      int64_t span = dilations[i] * (kernel[i] - 1) + 1;
      int64_t total =
          std::max<int64_t>(0, (out - 1) * strides[i] + span - inputSpatial[i]);
      int64_t small = total / 2, large = total - small;
      pads[i] = autoPad == "SAME_UPPER" ? small : large;
      pads[i + n] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad == "VALID") {
    std::fill(pads.begin(), pads.end(), 0);
  } else if (autoPad != "NOTSET") {
    return nc.error() << "unsupported auto_pad '" << autoPad << "'";
  }
  return success();
}

/// `v` with its float elements converted to `elementType`.
static Value convertFloats(OpBuilder &b, Location loc, Value v,
                           FloatType elementType) {
  auto type = cast<RankedTensorType>(v.getType());
  auto from = cast<FloatType>(type.getElementType());
  if (from == elementType)
    return v;
  return buildElementwise(
      b, loc, {v}, RankedTensorType::get(type.getShape(), elementType),
      [&](OpBuilder &eb, Location l, ValueRange a) -> Value {
        if (from.getWidth() < elementType.getWidth())
          return arith::ExtFOp::create(eb, l, elementType, a[0]);
        return arith::TruncFOp::create(eb, l, elementType, a[0]);
      });
}

LogicalResult mlir::qc::computeInF32(NodeContext &nc, OpHandler handler) {
  FloatType original;
  for (unsigned i = 0; i < nc.numInputs(); ++i) {
    if (!nc.hasInput(i))
      continue;
    auto et = dyn_cast<FloatType>(nc.inputType(i).getElementType());
    if (et && !et.isF32() && !original)
      original = et;
  }
  if (!original)
    return handler(nc);
  // Half-precision (and f64) layers compute in f32, as runtimes accumulate
  // them; inputs are converted for the handler and outputs back after it.
  FloatType f32 = nc.b.getF32Type();
  llvm::StringMap<Value> saved;
  for (unsigned i = 0; i < nc.numInputs(); ++i) {
    if (!nc.hasInput(i) || !isa<FloatType>(nc.inputType(i).getElementType()))
      continue;
    const std::string &name = nc.node.input(i);
    if (saved.count(name))
      continue;
    saved[name] = nc.values[name];
    nc.values[name] = convertFloats(nc.b, nc.loc, nc.values[name], f32);
  }
  LogicalResult result = handler(nc);
  for (auto &entry : saved)
    nc.values[entry.getKey()] = entry.getValue();
  if (failed(result))
    return failure();
  for (const std::string &out : nc.node.output())
    if (!out.empty() && nc.values.count(out) &&
        cast<RankedTensorType>(nc.values[out].getType()).getElementType() ==
            f32)
      nc.values[out] = convertFloats(nc.b, nc.loc, nc.values[out], original);
  return success();
}

//===----------------------------------------------------------------------===//
// The op table
//===----------------------------------------------------------------------===//

static const OpTable &getOpTable() {
  static const OpTable table = [] {
    OpTable t;
    addLayerOps(t);
    addActivationOps(t);
    addArithmeticOps(t);
    addCastAndLogicOps(t);
    addShapeOps(t);
    addDataMovementOps(t);
    addReductionOps(t);
    addNormalizationOps(t);
    addPoolingOps(t);
    addResizeOps(t);
    addIndexingOps(t);
    addConvTransposeOps(t);
    addQuantizeOps(t);
    addTransformerOps(t);
    return t;
  }();
  return table;
}

OpHandler mlir::qc::lookupOpHandler(StringRef opType) {
  return getOpTable().lookup(opType);
}

std::vector<std::string> mlir::qc::getSupportedOpTypes() {
  std::vector<std::string> ops;
  for (const auto &entry : getOpTable())
    ops.push_back(entry.getKey().str());
  llvm::sort(ops);
  return ops;
}
