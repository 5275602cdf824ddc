//===- ConvLowering.cpp - qc.conv2d -> linalg -----------------------------===//
//
// qc.conv2d becomes a zero pad and one reduction over (c, kh, kw) reading
// its weight through a WeightAccess, or, with a tile size, a loop over
// tiles of quantized filters (never straddling a group) decoded once each.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"
#include "passes/Conversion/QCToLinalg/WeightAccess.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::lowering;

namespace {

/// A quantized qc.conv2d (input already padded) tiled along the filters, as
/// the linear layer is; a tile never straddles a group, so it convolves
/// with its group's input channels only.
Value buildTiledQuantizedConv(OpBuilder &rewriter, Location loc, Conv2DOp op,
                              QuantizedWeightOp def, Value input, Value init,
                              int64_t tileRows) {
  MLIRContext *ctx = rewriter.getContext();
  Type f32 = rewriter.getF32Type();
  ArrayRef<int64_t> w = def.getType().getShape();
  ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations();
  auto inShape = cast<RankedTensorType>(input.getType()).getShape();
  int64_t group = op.getGroup(), filtersPerGroup = w[0] / group;
  int64_t channels = w[1], tile = pickTileRows(filtersPerGroup, tileRows);
  SmallVector<AffineExpr> d;
  for (unsigned i = 0; i < 7; ++i)
    d.push_back(getAffineDimExpr(i, ctx));
  SmallVector<AffineMap> maps = {
      AffineMap::get(7, 0,
                     {d[0], d[4], d[2] * strides[0] + d[5] * dilations[0],
                      d[3] * strides[1] + d[6] * dilations[1]},
                     ctx),
      AffineMap::get(7, 0, {d[1], d[4], d[5], d[6]}, ctx),
      AffineMap::get(7, 0, {d[0], d[1], d[2], d[3]}, ctx)};
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.append(3, utils::IteratorType::reduction);
  return buildRowTiledLoop(
      rewriter, loc, def, tile, init,
      [&](OpBuilder &b, Location l, Value row0, Value weights, Value acc) {
        Value filters = tensor::ExpandShapeOp::create(
            b, l, RankedTensorType::get({tile, channels, w[2], w[3]}, f32),
            weights, ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
        Value groupInput = input;
        if (group > 1) {
          auto zero = b.getIndexAttr(0), unit = b.getIndexAttr(1);
          Value firstChannel = arith::MulIOp::create(
              b, l,
              arith::DivUIOp::create(
                  b, l, row0,
                  arith::ConstantIndexOp::create(b, l, filtersPerGroup)),
              arith::ConstantIndexOp::create(b, l, channels));
          groupInput = tensor::ExtractSliceOp::create(
              b, l,
              RankedTensorType::get(
                  {inShape[0], channels, inShape[2], inShape[3]}, f32),
              input, ArrayRef<OpFoldResult>{zero, firstChannel, zero, zero},
              ArrayRef<OpFoldResult>{
                  b.getIndexAttr(inShape[0]), b.getIndexAttr(channels),
                  b.getIndexAttr(inShape[2]), b.getIndexAttr(inShape[3])},
              ArrayRef<OpFoldResult>{unit, unit, unit, unit});
        }
        return linalg::GenericOp::create(
                   b, l, TypeRange{acc.getType()},
                   ValueRange{groupInput, filters}, ValueRange{acc}, maps,
                   iterators,
                   [&](OpBuilder &bb, Location ll, ValueRange args) {
                     linalg::YieldOp::create(
                         bb, ll,
                         buildFusedMultiplyAdd(bb, ll, args[0], args[1],
                                               args[2]));
                   })
            .getResult(0);
      });
}

/// qc.conv2d -> zero-pad, then one reduction over (c, kh, kw).
LogicalResult lowerConv2D(Conv2DOp op, RewriterBase &rewriter,
                          int64_t tileRows) {
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  rewriter.setInsertionPoint(op);
  ArrayRef<int64_t> w = getWeightShape(op.getWeight().getType());
  ArrayRef<int64_t> pads = op.getPads(), strides = op.getStrides(),
                    dilations = op.getDilations();
  auto resultType = op.getResult().getType();
  Type f32 = rewriter.getF32Type();

  Value input = op.getInput();
  if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
    auto inType = op.getInput().getType();
    SmallVector<int64_t> padded(inType.getShape());
    padded[2] += pads[0] + pads[2];
    padded[3] += pads[1] + pads[3];
    SmallVector<OpFoldResult> low = {
        rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
        rewriter.getIndexAttr(pads[0]), rewriter.getIndexAttr(pads[1])};
    SmallVector<OpFoldResult> high = {
        rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
        rewriter.getIndexAttr(pads[2]), rewriter.getIndexAttr(pads[3])};
    Value zero =
        arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0));
    input =
        tensor::PadOp::create(rewriter, loc, RankedTensorType::get(padded, f32),
                              input, low, high, zero);
  }
  Value init =
      op.getBias()
          ? buildBroadcastAlongDim(rewriter, loc, op.getBias(), resultType, 1)
          : buildFilled(rewriter, loc, resultType, rewriter.getF32FloatAttr(0));

  // Loop dims: (n, o, oh, ow, c, kh, kw).
  SmallVector<AffineExpr> d;
  for (unsigned i = 0; i < 7; ++i)
    d.push_back(getAffineDimExpr(i, ctx));
  int64_t group = op.getGroup();
  int64_t filtersPerGroup = w[0] / group, channelsPerGroup = w[1];
  auto def = op.getWeight().getDefiningOp<QuantizedWeightOp>();
  if (def && tileRows > 0) {
    rewriter.replaceOp(op, buildTiledQuantizedConv(rewriter, loc, op, def,
                                                   input, init, tileRows));
    return success();
  }
  AffineExpr channel =
      group == 1 ? d[4]
                 : d[1].floorDiv(filtersPerGroup) * channelsPerGroup + d[4];
  AffineMap inputMap =
      AffineMap::get(7, 0,
                     {d[0], channel, d[2] * strides[0] + d[5] * dilations[0],
                      d[3] * strides[1] + d[6] * dilations[1]},
                     ctx);
  AffineExpr kFlat = (d[4] * w[2] + d[5]) * w[3] + d[6];
  FailureOr<WeightAccess> access = buildWeightAccess(
      op, op.getWeight(), 7, d[1], {d[1], d[4], d[5], d[6]}, kFlat);
  if (failed(access))
    return failure();
  SmallVector<Value> inputs = {input};
  inputs.append(access->inputs);
  SmallVector<AffineMap> maps = {inputMap};
  maps.append(access->maps);
  if (access->qtype) {
    // Packed weights index (c, kh, kw) only through the flattened row, so a
    // window operand (as in linalg's pooling ops) gives the loops their range.
    inputs.push_back(tensor::EmptyOp::create(rewriter, loc, {w[1], w[2], w[3]},
                                             rewriter.getI8Type()));
    maps.push_back(AffineMap::get(7, 0, {d[4], d[5], d[6]}, ctx));
  }
  maps.push_back(AffineMap::get(7, 0, {d[0], d[1], d[2], d[3]}, ctx));
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.append(3, utils::IteratorType::reduction);
  int64_t kh = w[2], kw = w[3];
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &b, Location l, ValueRange args) {
        Value k;
        if (access->qtype) {
          auto idx = [&](unsigned dim) {
            return linalg::IndexOp::create(b, l, dim);
          };
          auto c = [&](int64_t v) {
            return arith::ConstantIndexOp::create(b, l, v);
          };
          Value ck = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, idx(4), c(kh)), idx(5));
          k = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, ck, c(kw)), idx(6));
        }
        Value wv = access->load(b, l, args.slice(1, access->inputs.size()), k,
                                linalg::IndexOp::create(b, l, 1));
        linalg::YieldOp::create(
            b, l, buildFusedMultiplyAdd(b, l, args[0], wv, args.back()));
      });
  rewriter.replaceOp(op, generic.getResult(0));
  return success();
}

} // namespace

void mlir::qc::populateQCConvToLinalgPatterns(RewritePatternSet &patterns,
                                              int64_t tileRows) {
  patterns.add<LowerLayerPattern<Conv2DOp, lowerConv2D>>(patterns.getContext(),
                                                         tileRows);
}
