//===- LinearLowering.cpp - qc.linear -> linalg ---------------------------===//
//
// qc.linear becomes one reduction over (m, n, k) reading its weight through
// a WeightAccess (the unscheduled "decode + contract" form), or, with a
// tile size, a loop over tiles of quantized weight rows each decoded once.
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

/// A quantized [m, k] x [n, k]^T: per tile of weight rows, a plain
/// dot-product loop LLVM vectorizes.
Value buildTiledQuantizedLinear(OpBuilder &rewriter, Location loc,
                                QuantizedWeightOp def, Value input, Value init,
                                int64_t n, int64_t tileRows) {
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx);
  auto parallel = utils::IteratorType::parallel;
  return buildRowTiledLoop(
      rewriter, loc, def, pickTileRows(n, tileRows), init,
      [&](OpBuilder &b, Location l, Value, Value weights, Value acc) {
        return linalg::GenericOp::create(
                   b, l, TypeRange{acc.getType()}, ValueRange{input, weights},
                   ValueRange{acc},
                   {AffineMap::get(3, 0, {d0, d2}, ctx),
                    AffineMap::get(3, 0, {d1, d2}, ctx),
                    AffineMap::get(3, 0, {d0, d1}, ctx)},
                   {parallel, parallel, utils::IteratorType::reduction},
                   [&](OpBuilder &bb, Location ll, ValueRange args) {
                     linalg::YieldOp::create(
                         bb, ll,
                         buildFusedMultiplyAdd(bb, ll, args[0], args[1],
                                               args[2]));
                   })
            .getResult(0);
      });
}

/// The linear loop nest over (m, n, k) of a float weight (a quantized one
/// not produced by qc.quantized_weight gets an error from here).
FailureOr<Value> buildLinearLoops(LinearOp op, OpBuilder &rewriter, Value input,
                                  Value init) {
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(1, ctx),
             dk = getAffineDimExpr(2, ctx);
  FailureOr<WeightAccess> access =
      buildWeightAccess(op, op.getWeight(), 3, dn, {dn, dk}, dk);
  if (failed(access))
    return failure();
  SmallVector<Value> inputs = {input};
  inputs.append(access->inputs);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {dm, dk}, ctx)};
  maps.append(access->maps);
  maps.push_back(AffineMap::get(3, 0, {dm, dn}, ctx));
  SmallVector<utils::IteratorType> iterators = {utils::IteratorType::parallel,
                                                utils::IteratorType::parallel,
                                                utils::IteratorType::reduction};
  return linalg::GenericOp::create(
             rewriter, loc, TypeRange{init.getType()}, inputs, ValueRange{init},
             maps, iterators,
             [&](OpBuilder &b, Location l, ValueRange args) {
               Value w =
                   access->load(b, l, args.slice(1, access->inputs.size()),
                                linalg::IndexOp::create(b, l, 2),
                                linalg::IndexOp::create(b, l, 1));
               linalg::YieldOp::create(
                   b, l, buildFusedMultiplyAdd(b, l, args[0], w, args.back()));
             })
      .getResult(0);
}

/// qc.linear -> collapse input to [M, K], reduce over k (tiled along N
/// for quantized weights), expand to [..., N].
LogicalResult lowerLinear(LinearOp op, RewriterBase &rewriter,
                          int64_t tileRows) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  auto inputType = op.getInput().getType();
  auto resultType = op.getResult().getType();
  int64_t k = inputType.getShape().back();
  int64_t n = resultType.getShape().back();
  int64_t m = inputType.getNumElements() / k;
  Type f32 = rewriter.getF32Type();

  // Flatten leading dims so one loop nest serves every input rank.
  Value input = op.getInput();
  auto flatInput = RankedTensorType::get({m, k}, f32);
  if (inputType.getRank() != 2)
    input = tensor::ReshapeOp::create(
        rewriter, loc, flatInput, input,
        arith::ConstantOp::create(
            rewriter, loc,
            DenseIntElementsAttr::get(
                RankedTensorType::get({2}, rewriter.getI64Type()),
                ArrayRef<int64_t>{m, k})));
  auto flatResult = RankedTensorType::get({m, n}, f32);
  Value init =
      op.getBias()
          ? buildBroadcastAlongDim(rewriter, loc, op.getBias(), flatResult, 1)
          : buildFilled(rewriter, loc, flatResult, rewriter.getF32FloatAttr(0));

  Value result;
  auto def = op.getWeight().getDefiningOp<QuantizedWeightOp>();
  if (def && tileRows > 0) {
    result =
        buildTiledQuantizedLinear(rewriter, loc, def, input, init, n, tileRows);
  } else {
    FailureOr<Value> loops = buildLinearLoops(op, rewriter, input, init);
    if (failed(loops))
      return failure();
    result = *loops;
  }
  if (resultType.getRank() != 2) {
    SmallVector<int64_t> shape(resultType.getShape());
    result = tensor::ReshapeOp::create(
        rewriter, loc, resultType, result,
        arith::ConstantOp::create(
            rewriter, loc,
            DenseIntElementsAttr::get(
                RankedTensorType::get({int64_t(shape.size())},
                                      rewriter.getI64Type()),
                ArrayRef<int64_t>(shape))));
  }
  rewriter.replaceOp(op, result);
  return success();
}

} // namespace

void mlir::qc::populateQCLinearToLinalgPatterns(RewritePatternSet &patterns,
                                                int64_t tileRows) {
  patterns.add<LowerLayerPattern<LinearOp, lowerLinear>>(patterns.getContext(),
                                                         tileRows);
}
