//===- ONNXLayers.cpp - Gemm, MatMul and Conv handlers --------------------===//
//
// Layers with constant weights (Gemm, MatMul, Conv) become qc ops with their
// weight laid out [out, in, ...] as quantization expects; a MatMul of two
// activations becomes a batched linalg reduction, a Conv of three or more
// spatial dims a grouped linalg convolution. Layers that cannot become qc
// ops but have a compile-time weight are tagged for the weight report.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "dialects/QC/IR/QC.h"
#include "lib/Support/LayerQuantization.h"
#include "lib/Support/LinalgBuilders.h"
#include "lib/Support/WeightConstants.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

/// Makes input `i` a constant when it is an initializer seen through
/// Transpose/Reshape/Squeeze/Cast (see foldWeightView), so the layer reading
/// it is quantizable like any other.
void foldWeightInput(NodeContext &nc, unsigned i) {
  if (nc.hasInput(i))
    nc.values[nc.node.input(i)] = foldWeightView(nc.b, nc.input(i));
}

/// Tags the op computing `result` when `weight` is known at compile time
/// (it depends on no graph input) though the node is not a quantizable
/// layer, so the report lists it as a float layer with `reason`.
} // namespace

void mlir::qc::noteFloatLayer(NodeContext &nc, Value result, Value weight,
                              StringRef reason) {
  Operation *def = weight.getDefiningOp();
  Operation *op = result.getDefiningOp();
  if (!def || !op)
    return;
  llvm::SetVector<Operation *> slice;
  BackwardSliceOptions options;
  options.omitUsesFromAbove = false;
  (void)getBackwardSlice(def, &slice, options);
  slice.insert(def);
  for (Operation *o : slice)
    for (Value v : o->getOperands())
      if (auto arg = dyn_cast<BlockArgument>(v))
        if (isa<func::FuncOp>(arg.getOwner()->getParentOp()))
          return; // Depends on a graph input: an activation.
  op->setAttr(kFloatReasonAttr, nc.b.getStringAttr(reason));
  op->setAttr(kWeightShapeAttr,
              nc.b.getDenseI64ArrayAttr(
                  cast<RankedTensorType>(weight.getType()).getShape()));
}

namespace {

/// Constant float weight [rows, cols] laid out as [cols, rows] (transpose)
/// or as is, scaled by `alpha`.
FailureOr<Value> weightConstant(NodeContext &nc, unsigned input, bool transpose,
                                float alpha) {
  // An empty weight ([0,N] or [K,0], valid ONNX) makes no quantizable layer:
  // there is nothing to quantize and no row to take a scale from.
  if (nc.inputType(input).getNumElements() == 0)
    return failure();
  ArrayRef<int64_t> shape = nc.inputType(input).getShape();
  int64_t rows = shape[0], cols = shape[1];
  SmallVector<int64_t> outShape = transpose ? SmallVector<int64_t>{cols, rows}
                                            : SmallVector<int64_t>{rows, cols};
  auto type = RankedTensorType::get(outShape, nc.b.getF32Type());
  std::string name = nc.node.input(input);
  // Another import of the same model may have laid out this weight already.
  const ExternalDataScope &scope = nc.externalDataScope();
  std::string key;
  if (auto source = nc.input(input).getDefiningOp<arith::ConstantOp>();
      source && scope.shared)
    if (auto it = scope.shared->origin.find(source.getValue());
        it != scope.shared->origin.end()) {
      key = it->second + (transpose ? "|T|" : "|N|") +
            std::to_string(llvm::bit_cast<uint32_t>(alpha));
      if (Attribute done = scope.findShared(key))
        return arith::ConstantOp::create(nc.b, nc.nameLoc(name),
                                         cast<TypedAttr>(done))
            .getResult();
    }
  FailureOr<std::vector<float>> data = readF32Constant(nc.input(input));
  if (failed(data))
    return failure();
  std::vector<float> out(data->size());
  // Blocked, so that neither side of a large transpose is read or written
  // one element per cache line.
  constexpr int64_t kBlock = 64;
  for (int64_t r0 = 0; r0 < rows; r0 += kBlock)
    for (int64_t c0 = 0; c0 < cols; c0 += kBlock)
      for (int64_t r = r0; r < std::min(rows, r0 + kBlock); ++r)
        for (int64_t c = c0; c < std::min(cols, c0 + kBlock); ++c)
          out[transpose ? c * rows + r : r * cols + c] =
              alpha * (*data)[r * cols + c];
  Value weight =
      createConstant(nc.b, nc.nameLoc(name), type,
                     ArrayRef<char>(reinterpret_cast<const char *>(out.data()),
                                    out.size() * sizeof(float)),
                     name);
  if (!key.empty())
    scope.share(key, weight.getDefiningOp<arith::ConstantOp>().getValue(),
                /*isOrigin=*/false);
  return weight;
}

Value buildLinear(NodeContext &nc, Value x, Value weight, Value bias) {
  std::string error;
  auto shape = inferLinearShape(cast<RankedTensorType>(x.getType()).getShape(),
                                getWeightShape(weight.getType()), error);
  auto type = RankedTensorType::get(*shape, nc.b.getF32Type());
  return LinearOp::create(nc.b, nc.loc, type, x, weight, bias);
}

/// 2-D transpose of `v`.
Value transpose2D(NodeContext &nc, Value v) {
  MLIRContext *ctx = nc.b.getContext();
  auto type = cast<RankedTensorType>(v.getType());
  auto outType = RankedTensorType::get({type.getDimSize(1), type.getDimSize(0)},
                                       type.getElementType());
  return buildRemap(nc.b, nc.loc, v, outType,
                    {getAffineDimExpr(1, ctx), getAffineDimExpr(0, ctx)});
}

/// Gemm of activations (B not constant, or transA): alpha A'B' + beta C.
LogicalResult importGemmGeneral(NodeContext &nc, bool transA, bool transB,
                                float alpha, float beta) {
  Value a = transA ? transpose2D(nc, nc.input(0)) : nc.input(0);
  Value b = transB ? transpose2D(nc, nc.input(1)) : nc.input(1);
  FailureOr<Value> y = buildBatchMatMul(nc, a, b);
  if (failed(y))
    return failure();
  noteFloatLayer(nc, *y, nc.input(1),
                 transA ? "Gemm with transA=1 is not a quantizable layer"
                        : "weight is computed from initializers by ops "
                          "quantc does not fold");
  SmallVector<Value> inputs = {*y};
  if (nc.hasInput(2))
    inputs.push_back(nc.input(2));
  FailureOr<Value> out = broadcastElementwise(
      nc, inputs, nc.b.getF32Type(),
      [&](OpBuilder &bb, Location l, ValueRange args) -> Value {
        Type f32 = bb.getF32Type();
        Value r = arith::MulFOp::create(bb, l, args[0],
                                        scalarConstant(bb, l, f32, alpha));
        if (args.size() > 1)
          r = arith::AddFOp::create(
              bb, l, r,
              arith::MulFOp::create(bb, l, args[1],
                                    scalarConstant(bb, l, f32, beta)));
        return r;
      });
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  return success();
}

LogicalResult importGemm(NodeContext &nc) {
  if (failed(requireF32(nc)))
    return failure();
  foldWeightInput(nc, 1);
  if (nc.inputType(0).getRank() != 2 || nc.inputType(1).getRank() != 2)
    return nc.error() << "A and B must be 2-D, got " << nc.inputType(0)
                      << " and " << nc.inputType(1);
  bool transA = nc.getInt("transA", 0) != 0;
  bool transB = nc.getInt("transB", 0) != 0;
  float alpha = nc.getFloat("alpha", 1.0f), beta = nc.getFloat("beta", 1.0f);
  // qc.linear wants [out, in]: B is [K, N] unless transB.
  FailureOr<Value> weight = transA ? FailureOr<Value>(failure())
                                   : weightConstant(nc, 1, !transB, alpha);
  if (failed(weight))
    return importGemmGeneral(nc, transA, transB, alpha, beta);
  int64_t k = nc.inputType(0).getDimSize(1);
  int64_t n = getWeightShape(weight->getType())[0];
  if (getWeightShape(weight->getType())[1] != k)
    return nc.error() << "A " << nc.inputType(0) << " and B " << nc.inputType(1)
                      << " disagree on K (transB=" << transB << ")";
  Value bias;
  Value c = nc.hasInput(2) ? nc.input(2) : Value();
  if (c) {
    ArrayRef<int64_t> cs = nc.inputType(2).getShape();
    bool vectorBias = (cs.size() == 1 && cs[0] == n) ||
                      (cs.size() == 2 && cs[0] == 1 && cs[1] == n);
    FailureOr<std::vector<float>> cData = readF32Constant(c);
    if (vectorBias && cs.size() == 1 && beta == 1.0f) {
      bias = c;
      c = nullptr;
    } else if (vectorBias && succeeded(cData)) {
      for (float &v : *cData)
        v *= beta;
      bias = createConstant(
          nc.b, nc.nameLoc(nc.node.input(2)),
          RankedTensorType::get({n}, nc.b.getF32Type()),
          ArrayRef<char>(reinterpret_cast<const char *>(cData->data()),
                         cData->size() * sizeof(float)),
          nc.node.input(2));
      c = nullptr;
    }
  }
  Value y = buildLinear(nc, nc.input(0), *weight, bias);
  if (c) {
    // General C: y + beta * C with broadcasting.
    FailureOr<Value> sum = broadcastElementwise(
        nc, ValueRange{y, c}, nc.b.getF32Type(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value scaled = arith::MulFOp::create(
              b, loc, args[1], scalarConstant(b, loc, b.getF32Type(), beta));
          return Value(arith::AddFOp::create(b, loc, args[0], scaled));
        });
    if (failed(sum))
      return failure();
    y = *sum;
  }
  nc.setOutput(0, y);
  return success();
}

} // namespace

/// numpy matmul of two activations: batch dims broadcast, 1-D operands
/// promoted and their unit dims dropped again.
FailureOr<Value> mlir::qc::buildBatchMatMul(NodeContext &nc, Value a, Value b) {
  MLIRContext *ctx = nc.b.getContext();
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(b.getType());
  if (aType.getRank() == 0 || bType.getRank() == 0)
    return nc.error() << "operands must have rank >= 1 (as numpy.matmul), got "
                      << "A " << aType << " and B " << bType;
  bool aVector = aType.getRank() == 1, bVector = bType.getRank() == 1;
  if (aVector)
    a = reshapeTo(nc.b, nc.loc, a, {1, aType.getDimSize(0)});
  if (bVector)
    b = reshapeTo(nc.b, nc.loc, b, {bType.getDimSize(0), 1});
  aType = cast<RankedTensorType>(a.getType());
  bType = cast<RankedTensorType>(b.getType());
  ArrayRef<int64_t> as = aType.getShape(), bs = bType.getShape();
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    return nc.error() << "A " << aType << " and B " << bType
                      << " disagree on K";
  SmallVector<int64_t> batch;
  if (!OpTrait::util::getBroadcastedShape(as.drop_back(2), bs.drop_back(2),
                                          batch))
    return nc.error() << "batch dimensions of " << aType << " and " << bType
                      << " do not broadcast";
  unsigned nb = batch.size(), numDims = nb + 3;
  auto operandMap = [&](ArrayRef<int64_t> shape, AffineExpr r, AffineExpr c) {
    SmallVector<AffineExpr> exprs;
    unsigned offset = nb - (shape.size() - 2);
    for (unsigned i = 0; i + 2 < shape.size(); ++i)
      exprs.push_back(shape[i] == 1 && batch[offset + i] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(offset + i, ctx));
    exprs.push_back(r);
    exprs.push_back(c);
    return AffineMap::get(numDims, 0, exprs, ctx);
  };
  AffineExpr dm = getAffineDimExpr(nb, ctx), dn = getAffineDimExpr(nb + 1, ctx),
             dk = getAffineDimExpr(nb + 2, ctx);
  SmallVector<int64_t> outShape(batch);
  outShape.append({m, n});
  SmallVector<AffineExpr> outExprs;
  for (unsigned i = 0; i < nb + 2; ++i)
    outExprs.push_back(getAffineDimExpr(i, ctx));
  SmallVector<AffineMap> maps = {operandMap(as, dm, dk), operandMap(bs, dk, dn),
                                 AffineMap::get(numDims, 0, outExprs, ctx)};
  Type f32 = nc.b.getF32Type();
  auto outType = RankedTensorType::get(outShape, f32);
  Value init = buildFilled(nc.b, nc.loc, outType, nc.b.getF32FloatAttr(0));
  SmallVector<utils::IteratorType> iterators(nb + 2,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value result =
      linalg::GenericOp::create(
          nc.b, nc.loc, TypeRange{outType}, ValueRange{a, b}, ValueRange{init},
          maps, iterators,
          [](OpBuilder &bb, Location l, ValueRange args) {
            linalg::YieldOp::create(
                bb, l, buildFusedMultiplyAdd(bb, l, args[0], args[1], args[2]));
          })
          .getResult(0);
  SmallVector<int64_t> finalShape(batch);
  if (!aVector)
    finalShape.push_back(m);
  if (!bVector)
    finalShape.push_back(n);
  return reshapeTo(nc.b, nc.loc, result, finalShape);
}

namespace {

LogicalResult importMatMul(NodeContext &nc) {
  if (failed(requireF32(nc)))
    return failure();
  foldWeightInput(nc, 1);
  if (nc.inputType(1).getRank() == 2 && nc.inputType(0).getRank() >= 1 &&
      matchPattern(nc.input(1), m_Constant())) {
    if (nc.inputType(0).getShape().back() != nc.inputType(1).getDimSize(0))
      return nc.error() << "A " << nc.inputType(0) << " and B "
                        << nc.inputType(1) << " disagree on K";
    FailureOr<Value> weight = weightConstant(nc, 1, /*transpose=*/true, 1.0f);
    if (succeeded(weight)) {
      nc.setOutput(0, buildLinear(nc, nc.input(0), *weight, nullptr));
      return success();
    }
  }
  FailureOr<Value> result = buildBatchMatMul(nc, nc.input(0), nc.input(1));
  if (failed(result))
    return failure();
  noteFloatLayer(nc, *result, nc.input(1),
                 matchPattern(nc.input(1), m_Constant())
                     ? "constant weight of rank " +
                           std::to_string(nc.inputType(1).getRank()) +
                           ": only 2-D MatMul weights are quantizable"
                     : "weight is computed from initializers by ops quantc "
                       "does not fold");
  nc.setOutput(0, *result);
  return success();
}

/// "[a,b,c]" for error messages.
std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "," : "") + std::to_string(d);
  return s + "]";
}

/// Conv with one spatial dim: a qc.conv2d over a unit height, so that
/// quantization still applies to it.
LogicalResult importConv1D(NodeContext &nc, ArrayRef<int64_t> strides,
                           ArrayRef<int64_t> dilations, ArrayRef<int64_t> pads,
                           int64_t group) {
  RankedTensorType xType = nc.inputType(0), wType = nc.inputType(1);
  ArrayRef<int64_t> xs = xType.getShape(), ws = wType.getShape();
  Value x = reshapeTo(nc.b, nc.loc, nc.input(0), {xs[0], xs[1], 1, xs[2]});
  auto w4Type =
      RankedTensorType::get({ws[0], ws[1], 1, ws[2]}, nc.b.getF32Type());
  Value w;
  // A constant weight stays a constant so quantization can see it.
  if (FailureOr<std::vector<float>> data = readF32Constant(nc.input(1));
      succeeded(data)) {
    std::string name = nc.node.input(1);
    w = createConstant(
        nc.b, nc.nameLoc(name), w4Type,
        ArrayRef<char>(reinterpret_cast<const char *>(data->data()),
                       data->size() * sizeof(float)),
        name);
  } else {
    w = reshapeTo(nc.b, nc.loc, nc.input(1), w4Type.getShape());
  }
  SmallVector<int64_t> strides2 = {1, strides[0]};
  SmallVector<int64_t> dilations2 = {1, dilations[0]};
  SmallVector<int64_t> pads2 = {0, pads[0], 0, pads[1]};
  std::string error;
  auto shape = inferConv2DShape(cast<RankedTensorType>(x.getType()).getShape(),
                                w4Type.getShape(), strides2, pads2, dilations2,
                                group, error);
  if (failed(shape))
    return nc.error() << error;
  Value bias = nc.hasInput(2) ? nc.input(2) : Value();
  auto type = RankedTensorType::get(*shape, nc.b.getF32Type());
  Value y = Conv2DOp::create(
      nc.b, nc.loc, type, x, w, bias, nc.b.getDenseI64ArrayAttr(strides2),
      nc.b.getDenseI64ArrayAttr(pads2), nc.b.getDenseI64ArrayAttr(dilations2),
      nc.b.getI64IntegerAttr(group));
  nc.setOutput(
      0, reshapeTo(nc.b, nc.loc, y, {(*shape)[0], (*shape)[1], (*shape)[3]}));
  return success();
}

LogicalResult importConv(NodeContext &nc) {
  if (failed(requireF32(nc)))
    return failure();
  foldWeightInput(nc, 1);
  RankedTensorType xType = nc.inputType(0), wType = nc.inputType(1);
  int64_t rank = xType.getRank();
  if (rank < 3 || wType.getRank() != rank)
    return nc.error() << "expected input and weight of the same rank >= 3 "
                         "(N x C x spatial...), got "
                      << xType << " and " << wType;
  size_t ns = rank - 2;
  std::vector<int64_t> strides =
      nc.getInts("strides", std::vector<int64_t>(ns, 1));
  std::vector<int64_t> dilations =
      nc.getInts("dilations", std::vector<int64_t>(ns, 1));
  std::vector<int64_t> pads =
      nc.getInts("pads", std::vector<int64_t>(2 * ns, 0));
  int64_t group = nc.getInt("group", 1);
  if (strides.size() != ns || dilations.size() != ns || pads.size() != 2 * ns)
    return nc.error() << "expected " << ns << " strides, " << ns
                      << " dilations and " << 2 * ns << " pads";
  ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
  if (nc.attr("kernel_shape") &&
      ArrayRef<int64_t>(nc.getInts("kernel_shape", {})) != kernel)
    return nc.error() << "kernel_shape does not match weight " << wType;
  if (failed(resolveAutoPad(nc, xType.getShape().drop_front(2), kernel, strides,
                            dilations, pads)))
    return failure();
  if (ns == 2) {
    std::string error;
    auto shape = inferConv2DShape(xType.getShape(), wType.getShape(), strides,
                                  pads, dilations, group, error);
    if (failed(shape))
      return nc.error() << error;
    Value bias = nc.hasInput(2) ? nc.input(2) : Value();
    auto type = RankedTensorType::get(*shape, nc.b.getF32Type());
    nc.setOutput(0,
                 Conv2DOp::create(nc.b, nc.loc, type, nc.input(0), nc.input(1),
                                  bias, nc.b.getDenseI64ArrayAttr(strides),
                                  nc.b.getDenseI64ArrayAttr(pads),
                                  nc.b.getDenseI64ArrayAttr(dilations),
                                  nc.b.getI64IntegerAttr(group)));
    return success();
  }
  int64_t c = xType.getDimSize(1), m = wType.getDimSize(0);
  if (group < 1 || m % group != 0 || c != wType.getDimSize(1) * group)
    return nc.error() << "input channels " << c << " and weight "
                      << shapeString(wType.getShape()) << " do not match group "
                      << group << " (need C = I * group, O divisible by group)";
  if (nc.hasInput(2) && nc.inputType(2).getShape() != ArrayRef<int64_t>{m})
    return nc.error() << "bias must be [" << m << "], got " << nc.inputType(2);
  if (ns == 1)
    return importConv1D(nc, strides, dilations, pads, group);
  // Three or more spatial dims: a plain linalg convolution.
  SmallVector<int64_t> paddedShape(xType.getShape().take_front(2));
  SmallVector<OpFoldResult> low(2, nc.b.getIndexAttr(0)),
      high(2, nc.b.getIndexAttr(0));
  for (size_t i = 0; i < ns; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 || pads[i + ns] < 0)
      return nc.error() << "strides and dilations must be >= 1 and pads >= 0";
    int64_t padded = xType.getDimSize(2 + i) + pads[i] + pads[i + ns];
    int64_t span = dilations[i] * (kernel[i] - 1) + 1;
    if (padded < span)
      return nc.error() << "kernel extent " << span
                        << " exceeds padded input extent " << padded;
    paddedShape.push_back(padded);
    low.push_back(nc.b.getIndexAttr(pads[i]));
    high.push_back(nc.b.getIndexAttr(pads[i + ns]));
  }
  Value x = nc.input(0);
  if (llvm::any_of(pads, [](int64_t p) { return p != 0; }))
    x = tensor::PadOp::create(
        nc.b, nc.loc, RankedTensorType::get(paddedShape, nc.b.getF32Type()), x,
        low, high, scalarConstant(nc.b, nc.loc, nc.b.getF32Type(), 0));
  nc.setOutput(0, buildGroupedConv(nc.b, nc.loc, x, nc.input(1),
                                   nc.hasInput(2) ? nc.input(2) : Value(),
                                   strides, dilations, group));
  return success();
}

} // namespace

Value mlir::qc::buildGroupedConv(OpBuilder &b, Location loc, Value x, Value w,
                                 Value bias, ArrayRef<int64_t> strides,
                                 ArrayRef<int64_t> dilations, int64_t group) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  Type et = xType.getElementType();
  size_t ns = xType.getRank() - 2;
  int64_t n = xType.getDimSize(0), m = wType.getDimSize(0);
  int64_t cg = xType.getDimSize(1) / group, mg = m / group;
  ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
  // Groups become their own dim so that every loop indexes some operand
  // directly: x (N, G, C/G, ...), w (G, M/G, C/G, ...), y (N, G, M/G, ...).
  SmallVector<int64_t> xShape = {n, group, cg}, wShape = {group, mg, cg},
                       outShape = {n, group, mg};
  xShape.append(xType.getShape().begin() + 2, xType.getShape().end());
  wShape.append(kernel.begin(), kernel.end());
  for (size_t i = 0; i < ns; ++i)
    outShape.push_back(
        (xType.getDimSize(2 + i) - dilations[i] * (kernel[i] - 1) - 1) /
            strides[i] +
        1);
  x = reshapeTo(b, loc, x, xShape);
  w = reshapeTo(b, loc, w, wShape);
  auto outType = RankedTensorType::get(outShape, et);
  AffineExpr dn = getAffineDimExpr(0, ctx), dg = getAffineDimExpr(1, ctx),
             dm = getAffineDimExpr(2, ctx), dc = getAffineDimExpr(3 + ns, ctx);
  Value init = bias ? buildRemap(b, loc, reshapeTo(b, loc, bias, {group, mg}),
                                 outType, {dg, dm})
                    : buildFilled(b, loc, outType, b.getFloatAttr(et, 0));
  // Loops (n, g, m, out..., c, kernel...).
  unsigned numLoops = 4 + 2 * ns;
  SmallVector<AffineExpr> xExprs = {dn, dg, dc}, wExprs = {dg, dm, dc},
                          outExprs = {dn, dg, dm};
  for (size_t i = 0; i < ns; ++i) {
    AffineExpr o = getAffineDimExpr(3 + i, ctx);
    AffineExpr k = getAffineDimExpr(4 + ns + i, ctx);
    xExprs.push_back(o * strides[i] + k * dilations[i]);
    wExprs.push_back(k);
    outExprs.push_back(o);
  }
  SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, xExprs, ctx),
                                 AffineMap::get(numLoops, 0, wExprs, ctx),
                                 AffineMap::get(numLoops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(3 + ns,
                                             utils::IteratorType::parallel);
  iterators.append(1 + ns, utils::IteratorType::reduction);
  Value y =
      linalg::GenericOp::create(
          b, loc, TypeRange{outType}, ValueRange{x, w}, ValueRange{init}, maps,
          iterators,
          [](OpBuilder &bb, Location l, ValueRange args) {
            linalg::YieldOp::create(
                bb, l, buildFusedMultiplyAdd(bb, l, args[0], args[1], args[2]));
          })
          .getResult(0);
  SmallVector<int64_t> finalShape = {n, m};
  finalShape.append(outShape.begin() + 3, outShape.end());
  return reshapeTo(b, loc, y, finalShape);
}

void mlir::qc::addLayerOps(OpTable &table) {
  table["Gemm"] = [](NodeContext &nc) { return computeInF32(nc, importGemm); };
  table["MatMul"] = [](NodeContext &nc) {
    return computeInF32(nc, importMatMul);
  };
  table["Conv"] = [](NodeContext &nc) { return computeInF32(nc, importConv); };
}
