//===- ONNXShapeOps.cpp - Shape computation ONNX op handlers --------------===//
//
// Ops that compute or change shapes: Reshape, Flatten, Squeeze, Unsqueeze,
// Expand, and the ops exporters use to compute shapes (Shape, Size, Range,
// Constant, ConstantOfShape). Shapes are static after import, so shape
// computations on constants are folded here into constants: a Shape ->
// Gather -> Concat -> Reshape chain ends in a Reshape with a constant target.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;

DenseElementsAttr mlir::qc::smallConstant(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || attr.getNumElements() > 4096)
    return nullptr;
  return attr;
}

namespace {

/// Reshape that folds constants (shape math stays constant).
Value reshapeValue(NodeContext &nc, Value v, ArrayRef<int64_t> shape) {
  if (DenseElementsAttr attr = smallConstant(v))
    return arith::ConstantOp::create(
        nc.b, nc.loc,
        attr.reshape(RankedTensorType::get(shape, attr.getElementType())));
  return reshapeTo(nc.b, nc.loc, v, shape);
}

LogicalResult importFlatten(NodeContext &nc) {
  ArrayRef<int64_t> shape = nc.inputType(0).getShape();
  int64_t rank = shape.size();
  int64_t axis = nc.getInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return nc.error() << "axis " << nc.getInt("axis", 1)
                      << " is out of range for rank " << rank;
  int64_t outer = ShapedType::getNumElements(shape.take_front(axis));
  int64_t inner = ShapedType::getNumElements(shape.drop_front(axis));
  nc.setOutput(0, reshapeValue(nc, nc.input(0), {outer, inner}));
  return success();
}

LogicalResult importReshape(NodeContext &nc) {
  SmallVector<int64_t> requested;
  if (nc.opset < 5) {
    std::vector<int64_t> s = nc.getInts("shape", {});
    requested.assign(s.begin(), s.end());
  } else {
    auto values = constantInts(nc, 1);
    if (failed(values))
      return nc.error() << "the target shape must be a constant (or computed "
                           "from static shapes)";
    requested = *values;
  }
  ArrayRef<int64_t> in = nc.inputType(0).getShape();
  int64_t numel = nc.inputType(0).getNumElements();
  bool allowZero = nc.getInt("allowzero", 0) != 0;
  SmallVector<int64_t> shape;
  int64_t known = 1, inferred = -1;
  for (auto [i, d] : llvm::enumerate(requested)) {
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return nc.error() << "shape entry " << i
                          << " copies a dimension the input does not have";
      d = in[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return nc.error() << "shape has more than one -1";
      inferred = i;
      shape.push_back(1);
      continue;
    }
    if (d < 0)
      return nc.error() << "invalid shape entry " << d;
    // A product past int64 is no shape (found by the fuzzer).
    if (llvm::MulOverflow(known, d, known))
      return nc.error() << "shape entry " << i << " (" << d
                        << ") makes the element count overflow";
    shape.push_back(d);
  }
  if (inferred >= 0) {
    if (known == 0 || numel % known != 0)
      return nc.error() << "cannot infer -1: " << numel
                        << " elements do not divide into the shape";
    shape[inferred] = numel / known;
    known *= shape[inferred];
  }
  if (known != numel)
    return nc.error() << "cannot reshape " << nc.inputType(0) << " (" << numel
                      << " elements) to " << known << " elements";
  nc.setOutput(0, reshapeValue(nc, nc.input(0), shape));
  return success();
}

LogicalResult importSqueeze(NodeContext &nc) {
  ArrayRef<int64_t> in = nc.inputType(0).getShape();
  auto axes = getAxes(nc, 1, "axes", in.size());
  if (failed(axes))
    return failure();
  SmallVector<int64_t> shape;
  for (auto [i, d] : llvm::enumerate(in)) {
    bool listed = *axes && llvm::is_contained(**axes, int64_t(i));
    if (listed && d != 1)
      return nc.error() << "cannot squeeze dimension " << i << " of size " << d;
    if (listed || (!*axes && d == 1))
      continue;
    shape.push_back(d);
  }
  nc.setOutput(0, reshapeValue(nc, nc.input(0), shape));
  return success();
}

LogicalResult importUnsqueeze(NodeContext &nc) {
  ArrayRef<int64_t> in = nc.inputType(0).getShape();
  int64_t outRank = in.size();
  SmallVector<int64_t> raw;
  if (nc.hasInput(1)) {
    auto v = constantInts(nc, 1);
    if (failed(v))
      return nc.error() << "axes must be a constant";
    raw = *v;
  } else {
    std::vector<int64_t> v = nc.getInts("axes", {});
    raw.assign(v.begin(), v.end());
  }
  outRank += raw.size();
  SmallVector<int64_t> axes;
  for (int64_t a : raw) {
    auto axis = normalizeAxis(nc, a, outRank);
    if (failed(axis))
      return failure();
    axes.push_back(*axis);
  }
  SmallVector<int64_t> shape;
  unsigned next = 0;
  for (int64_t i = 0; i < outRank; ++i)
    shape.push_back(llvm::is_contained(axes, i) ? 1 : in[next++]);
  if (next != in.size())
    return nc.error() << "repeated axes";
  nc.setOutput(0, reshapeValue(nc, nc.input(0), shape));
  return success();
}

LogicalResult importConstant(NodeContext &nc) {
  MLIRContext *ctx = nc.b.getContext();
  if (const onnx::AttributeProto *value = nc.attr("value")) {
    Value v = importTensor(nc.b, nc.loc, value->t(), nc.externalDataScope());
    if (!v)
      return failure();
    nc.setOutput(0, v);
    return success();
  }
  TypedAttr attr;
  if (const onnx::AttributeProto *a = nc.attr("value_float"))
    attr = DenseElementsAttr::get(
        RankedTensorType::get({}, Float32Type::get(ctx)), a->f());
  else if (const onnx::AttributeProto *a = nc.attr("value_int"))
    attr = DenseElementsAttr::get(
        RankedTensorType::get({}, IntegerType::get(ctx, 64)), a->i());
  else if (const onnx::AttributeProto *a = nc.attr("value_floats"))
    attr = DenseElementsAttr::get(
        RankedTensorType::get({a->floats_size()}, Float32Type::get(ctx)),
        ArrayRef<float>(a->floats().data(), a->floats_size()));
  else if (const onnx::AttributeProto *a = nc.attr("value_ints"))
    attr = DenseElementsAttr::get(
        RankedTensorType::get({a->ints_size()}, IntegerType::get(ctx, 64)),
        ArrayRef<int64_t>(a->ints().data(), a->ints_size()));
  else
    return nc.error() << "unsupported Constant form (sparse or string value)";
  nc.setOutput(0, arith::ConstantOp::create(nc.b, nc.loc, attr));
  return success();
}

LogicalResult importExpand(NodeContext &nc) {
  auto target = constantInts(nc, 1);
  if (failed(target))
    return nc.error() << "the target shape must be a constant";
  SmallVector<int64_t> shape;
  if (!OpTrait::util::getBroadcastedShape(nc.inputType(0).getShape(), *target,
                                          shape))
    return nc.error() << nc.inputType(0) << " does not broadcast to the "
                      << "requested shape";
  Value out = buildElementwise(
      nc.b, nc.loc, nc.input(0),
      RankedTensorType::get(shape, nc.inputType(0).getElementType()),
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
  nc.setOutput(0, out);
  return success();
}

LogicalResult importShape(NodeContext &nc) {
  ArrayRef<int64_t> shape = nc.inputType(0).getShape();
  int64_t rank = shape.size();
  int64_t start = nc.getInt("start", 0), end = nc.getInt("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  SmallVector<int64_t> dims(shape.begin() + start,
                            shape.begin() + std::max(start, end));
  auto type = RankedTensorType::get({int64_t(dims.size())}, nc.b.getI64Type());
  nc.setOutput(0, intTensorConstant(nc.b, nc.loc, type, dims));
  return success();
}

LogicalResult importSize(NodeContext &nc) {
  auto type = RankedTensorType::get({}, nc.b.getI64Type());
  nc.setOutput(0, intTensorConstant(nc.b, nc.loc, type,
                                    {nc.inputType(0).getNumElements()}));
  return success();
}

LogicalResult importConstantOfShape(NodeContext &nc) {
  auto shape = constantInts(nc, 0);
  if (failed(shape))
    return nc.error() << "the shape must be a constant";
  Type et = nc.b.getF32Type();
  Attribute value = nc.b.getF32FloatAttr(0);
  if (const onnx::AttributeProto *a = nc.attr("value")) {
    Value v = importTensor(nc.b, nc.loc, a->t(), nc.externalDataScope());
    if (!v)
      return failure();
    DenseElementsAttr attr;
    if (!matchPattern(v, m_Constant(&attr)) || attr.getNumElements() != 1)
      return nc.error() << "value must hold one element";
    et = attr.getElementType();
    value = *attr.getValues<Attribute>().begin();
    v.getDefiningOp()->erase();
  }
  if (failed(nc.checkShape(*shape, et)))
    return failure();
  auto type = RankedTensorType::get(*shape, et);
  nc.setOutput(0, arith::ConstantOp::create(
                      nc.b, nc.loc, DenseElementsAttr::get(type, value)));
  return success();
}

LogicalResult importRange(NodeContext &nc) {
  Type et = nc.inputType(0).getElementType();
  auto values = [&](unsigned i) { return constantFloats(nc, i); };
  auto start = values(0), limit = values(1), delta = values(2);
  if (failed(start) || failed(limit) || failed(delta))
    return nc.error() << "start, limit and delta must be constants";
  double s = (*start)[0], l = (*limit)[0], d = (*delta)[0];
  if (d == 0)
    return nc.error() << "delta is 0";
  double count = std::ceil((l - s) / d);
  if (!std::isfinite(count))
    return nc.error() << "start, limit and delta must be finite";
  // Checked as a double first: the element count may not fit in int64.
  if (count > double(nc.maxTensorBytes))
    return nc.error() << "Range of " << count << " elements is over the limit "
                      << "of " << nc.maxTensorBytes
                      << " bytes (--max-tensor-bytes)";
  int64_t n = std::max<int64_t>(0, int64_t(count));
  if (failed(nc.checkShape({n}, et)))
    return failure();
  auto type = RankedTensorType::get({n}, et);
  if (isa<FloatType>(et)) {
    SmallVector<APFloat> v;
    for (int64_t i = 0; i < n; ++i) {
      APFloat f(s + i * d);
      bool lost;
      f.convert(cast<FloatType>(et).getFloatSemantics(),
                APFloat::rmNearestTiesToEven, &lost);
      v.push_back(f);
    }
    nc.setOutput(0, arith::ConstantOp::create(
                        nc.b, nc.loc, DenseFPElementsAttr::get(type, v)));
  } else {
    SmallVector<int64_t> v;
    for (int64_t i = 0; i < n; ++i)
      v.push_back(int64_t(s) + i * int64_t(d));
    nc.setOutput(0, intTensorConstant(nc.b, nc.loc, type, v));
  }
  return success();
}

} // namespace

void mlir::qc::addShapeOps(OpTable &table) {
  table["Flatten"] = importFlatten;
  table["Reshape"] = importReshape;
  table["Squeeze"] = importSqueeze;
  table["Unsqueeze"] = importUnsqueeze;
  table["Constant"] = importConstant;
  table["Expand"] = importExpand;
  table["Shape"] = importShape;
  table["Size"] = importSize;
  table["ConstantOfShape"] = importConstantOfShape;
  table["Range"] = importRange;
}
