//===- GemvLowering.cpp - qc.linear at batch 1-4 as a fused vector GEMV ---===//
//
// Batch-1 decoding streams every weight once per token, so the GEMV
// schedule is built for bandwidth: weight bytes are read once, decoded in
// registers and multiplied straight into vector accumulators, with no
// dequantized copy anywhere (the row-tiled schedule of LinearLowering.cpp
// writes a float tile per 16 rows, which costs more than reading the
// packed weight). The layer becomes
//
//   scf.forall over blocks of R output rows (threads split these):
//     for each group g of the rows:       (scale, zero point loop-invariant)
//       for each chunk of V packed bytes:  (V = the target's f32 lanes)
//         codes = bytes >> (phase * bits) & mask, one phase per code in a
//                 byte, each multiplied by the input's matching phase
//       acc += scale * dot;  correction -= scale * zero * sum(x in g)
//     y = reduce(acc) + correction + bias
//
// The input is split by phase once per call (x_phase[j][i] = x[i*P + j]
// for P codes per byte), so packed bytes are consumed in storage order with
// no shuffles; the zero point is taken out of the loop through the group
// sums of x. AWQ column scales are folded into x. With `act-bits=8` the
// input is quantized to int8 per block instead and the task body uses
// integer dot products (GemvInt8.cpp). Layouts or shapes this schedule does
// not cover are left to the general pattern.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/QCToLinalg/Gemv.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>
#include <optional>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::lowering;

namespace {

TaskSums buildFloatRows(OpBuilder &b, Location loc, const GemvShape &s, Value x,
                        Value weight, Value row0) {
  VectorType vecType = VectorType::get({s.lanes}, b.getF32Type());
  int64_t r = s.rowsPerTask;
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(vecType));
  SmallVector<Value> init(s.m * r, zero);
  auto loop = scf::ForOp::create(
      b, loc, constIndex(b, loc, 0), constIndex(b, loc, s.k),
      constIndex(b, loc, s.lanes), init,
      [&](OpBuilder &bb, Location l, Value k, ValueRange acc) {
        SmallVector<Value> w, next(acc);
        for (int64_t i = 0; i < r; ++i) {
          Value row = arith::AddIOp::create(bb, l, row0, constIndex(bb, l, i));
          w.push_back(readVector(bb, l, weight, {row, k}, s.lanes));
        }
        for (int64_t m = 0; m < s.m; ++m) {
          Value xv = readVector(bb, l, x, {constIndex(bb, l, m), k}, s.lanes);
          for (int64_t i = 0; i < r; ++i)
            next[m * r + i] =
                vector::FMAOp::create(bb, l, w[i], xv, next[m * r + i]);
        }
        scf::YieldOp::create(bb, l, next);
      });
  return {SmallVector<Value>(loop.getResults()), {}};
}

TaskSums buildQuantizedRows(OpBuilder &b, Location loc, const GemvShape &s,
                            Value xPhases, Value xSums, Value row0) {
  QuantizedOperands stored(s.def);
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  VectorType vecF32 = VectorType::get({s.lanes}, f32);
  VectorType vecI32 = VectorType::get({s.lanes}, i32);
  int64_t r = s.rowsPerTask, bytesPerGroup = s.groupLength / s.phases;
  Value zeroVec = arith::ConstantOp::create(b, loc, b.getZeroAttr(vecF32));
  Value zeroF32 = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  SmallVector<Value> rows;
  for (int64_t i = 0; i < r; ++i)
    rows.push_back(arith::AddIOp::create(b, loc, row0, constIndex(b, loc, i)));

  SmallVector<Value> init(s.m * r, zeroVec);
  init.append(s.m * r, zeroF32);
  auto groupLoop = scf::ForOp::create(
      b, loc, constIndex(b, loc, 0), constIndex(b, loc, s.groups),
      constIndex(b, loc, 1), init,
      [&](OpBuilder &gb, Location gl, Value g, ValueRange carried) {
        Value groupByte =
            arith::MulIOp::create(gb, gl, g, constIndex(gb, gl, bytesPerGroup));
        auto chunkLoop = scf::ForOp::create(
            gb, gl, constIndex(gb, gl, 0), constIndex(gb, gl, bytesPerGroup),
            constIndex(gb, gl, s.lanes), SmallVector<Value>(s.m * r, zeroVec),
            [&](OpBuilder &bb, Location l, Value c, ValueRange dot) {
              Value byte = arith::AddIOp::create(bb, l, groupByte, c);
              SmallVector<Value> words, next(dot);
              for (int64_t i = 0; i < r; ++i)
                words.push_back(arith::ExtUIOp::create(
                    bb, l, vecI32,
                    readVector(bb, l, stored.packed, {rows[i], byte},
                               s.lanes)));
              Value mask = arith::ConstantOp::create(
                  bb, l,
                  DenseElementsAttr::get(
                      vecI32, bb.getI32IntegerAttr((1 << s.bits) - 1)));
              for (int64_t j = 0; j < s.phases; ++j) {
                SmallVector<Value> xv;
                for (int64_t m = 0; m < s.m; ++m) {
                  SmallVector<Value> idx = {constIndex(bb, l, m)};
                  if (s.phases > 1)
                    idx.push_back(constIndex(bb, l, j));
                  idx.push_back(byte);
                  xv.push_back(readVector(bb, l, xPhases, idx, s.lanes));
                }
                for (int64_t i = 0; i < r; ++i) {
                  Value code = words[i];
                  if (j > 0)
                    code = arith::ShRUIOp::create(
                        bb, l, code,
                        arith::ConstantOp::create(
                            bb, l,
                            DenseElementsAttr::get(
                                vecI32, bb.getI32IntegerAttr(j * s.bits))));
                  if (s.bits < 8 && j + 1 < s.phases)
                    code = arith::AndIOp::create(bb, l, code, mask);
                  Value codeF32 = arith::UIToFPOp::create(bb, l, vecF32, code);
                  for (int64_t m = 0; m < s.m; ++m)
                    next[m * r + i] = vector::FMAOp::create(
                        bb, l, codeF32, xv[m], next[m * r + i]);
                }
              }
              scf::YieldOp::create(bb, l, next);
            });
        SmallVector<Value> next(carried);
        for (int64_t i = 0; i < r; ++i) {
          Value scale = readScalarAsF32(gb, gl, stored.scales, rows[i], g,
                                        /*isUnsigned=*/false);
          Value scaleVec = vector::BroadcastOp::create(gb, gl, vecF32, scale);
          Value scaledZero = buildScaledZeroPoint(gb, gl, s, rows[i], g, scale);
          for (int64_t m = 0; m < s.m; ++m) {
            int64_t a = m * r + i;
            next[a] = vector::FMAOp::create(gb, gl, scaleVec,
                                            chunkLoop.getResult(a), next[a]);
            if (!scaledZero)
              continue;
            Value sum = tensor::ExtractOp::create(
                gb, gl, xSums, ValueRange{constIndex(gb, gl, m), g});
            next[s.m * r + a] = arith::SubFOp::create(
                gb, gl, next[s.m * r + a],
                arith::MulFOp::create(gb, gl, scaledZero, sum));
          }
        }
        scf::YieldOp::create(gb, gl, next);
      });
  TaskSums sums;
  for (int64_t a = 0; a < s.m * r; ++a) {
    sums.acc.push_back(groupLoop.getResult(a));
    sums.corr.push_back(groupLoop.getResult(s.m * r + a));
  }
  return sums;
}

LogicalResult lowerLinearAsGemv(LinearOp op, PatternRewriter &rewriter,
                                const GemvShape &s) {
  Location loc = op.getLoc();
  std::optional<InterleavedWeight> interleaved;
  if (s.interleave) {
    // First: the only step that can fail, before anything is built.
    FailureOr<InterleavedWeight> weight = interleaveWeight(rewriter, loc, s);
    if (failed(weight))
      return failure();
    interleaved = *weight;
  }
  MLIRContext *ctx = rewriter.getContext();
  Type f32 = rewriter.getF32Type();
  auto flatType = RankedTensorType::get({s.m, s.k}, f32);
  Value x = reshapeToOrFromMatrix(rewriter, loc, op.getInput(), flatType);
  auto outType = RankedTensorType::get({s.m, s.n}, f32);
  Value init =
      op.getBias()
          ? buildBroadcastAlongDim(rewriter, loc, op.getBias(), outType, 1)
          : buildFilled(rewriter, loc, outType, rewriter.getF32FloatAttr(0));

  Value xPhases, xSums;
  Int8Input int8Input;
  if (s.def) {
    QuantizedOperands stored(s.def);
    if (stored.columnScales) {
      AffineExpr dk = getAffineDimExpr(1, ctx);
      x = linalg::GenericOp::create(
              rewriter, loc, TypeRange{flatType},
              ValueRange{x, stored.columnScales},
              ValueRange{
                  tensor::EmptyOp::create(rewriter, loc, {s.m, s.k}, f32)},
              {AffineMap::getMultiDimIdentityMap(2, ctx),
               AffineMap::get(2, 0, {dk}, ctx),
               AffineMap::getMultiDimIdentityMap(2, ctx)},
              SmallVector<utils::IteratorType>(2,
                                               utils::IteratorType::parallel),
              [](OpBuilder &b, Location l, ValueRange args) {
                linalg::YieldOp::create(
                    b, l, Value(arith::MulFOp::create(b, l, args[0], args[1])));
              })
              .getResult(0);
    }
    if (interleaved) {
      Value result =
          buildInterleavedGemv(rewriter, loc, s, *interleaved, x, init);
      rewriter.replaceOp(op, reshapeToOrFromMatrix(rewriter, loc, result,
                                                   op.getResult().getType()));
      return success();
    }
    if (s.actBlock) {
      int8Input = prepareInt8Input(rewriter, loc, x, s);
    } else {
      xPhases = splitPhases(rewriter, loc, x, s.phases);
      xSums = groupSums(rewriter, loc, x, s);
    }
  }

  int64_t r = s.rowsPerTask;
  auto forall = scf::ForallOp::create(
      rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(s.n / r)},
      ValueRange{init}, /*mapping=*/std::nullopt);
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(forall.getTerminator());
    Value task = forall.getInductionVar(0);
    Value out = forall.getRegionIterArgs()[0];
    Value row0 = arith::MulIOp::create(rewriter, loc, task,
                                       constIndex(rewriter, loc, r));
    TaskSums sums =
        !s.def ? buildFloatRows(rewriter, loc, s, x, op.getWeight(), row0)
        : s.actBlock
            ? buildInt8Rows(rewriter, loc, s, int8Input, row0)
            : buildQuantizedRows(rewriter, loc, s, xPhases, xSums, row0);
    SmallVector<Value> values;
    for (int64_t m = 0; m < s.m; ++m)
      for (int64_t i = 0; i < r; ++i) {
        int64_t a = m * r + i;
        Value row = arith::AddIOp::create(rewriter, loc, row0,
                                          constIndex(rewriter, loc, i));
        Value y = tensor::ExtractOp::create(
            rewriter, loc, out, ValueRange{constIndex(rewriter, loc, m), row});
        y = vector::ReductionOp::create(rewriter, loc,
                                        vector::CombiningKind::ADD, sums.acc[a],
                                        y, arith::FastMathFlags::reassoc);
        if (!sums.corr.empty())
          y = arith::AddFOp::create(rewriter, loc, y, sums.corr[a]);
        values.push_back(y);
      }
    Value tile = tensor::FromElementsOp::create(
        rewriter, loc, RankedTensorType::get({s.m, r}, f32), values);
    rewriter.setInsertionPointToStart(
        &forall.getTerminator().getRegion().front());
    tensor::ParallelInsertSliceOp::create(
        rewriter, loc, tile, out,
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0), row0},
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(s.m),
                               rewriter.getIndexAttr(r)},
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1),
                               rewriter.getIndexAttr(1)});
  }
  Value result = forall.getResult(0);
  auto resultType = op.getResult().getType();
  if (resultType != outType)
    result = reshapeToOrFromMatrix(rewriter, loc, result, resultType);
  rewriter.replaceOp(op, result);
  return success();
}

struct LowerLinearAsGemv final : OpRewritePattern<LinearOp> {
  LowerLinearAsGemv(MLIRContext *ctx, GemvScheduleOptions options)
      // Preferred over the general lowering wherever it applies, and over
      // the GEMM for the batches the int8 kernel takes.
      : OpRewritePattern<LinearOp>(ctx, /*benefit=*/3), options(options) {}

  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    // The row-interleaved int8 kernel also covers batches (it tiles input
    // rows itself), ahead of the f32 GEMM.
    GemvScheduleOptions matching = options;
    if (options.actBits == 8 && options.interleave)
      matching.maxBatch = std::numeric_limits<int64_t>::max();
    FailureOr<GemvShape> shape = matchGemv(op, matching);
    if (failed(shape))
      return rewriter.notifyMatchFailure(op, "not a GEMV this schedule covers");
    if ((shape->interleave = pickInterleaveLanes(*shape, options))) {
      // Two vectors of rows per task share each input broadcast.
      int64_t vectors = (shape->n / shape->interleave) % 2 == 0 ? 2 : 1;
      shape->rowsPerTask = vectors * shape->interleave;
    } else if (shape->m > options.maxBatch) {
      return rewriter.notifyMatchFailure(op, "a batch for the GEMM schedule");
    } else if (!shape->dotLanes) {
      shape->actBlock = 0; // Stays W?A16: no row-major int8 layout fits.
    }
    rewriter.setInsertionPoint(op);
    return lowerLinearAsGemv(op, rewriter, *shape);
  }

  GemvScheduleOptions options;
};

} // namespace

void mlir::qc::populateQCLinearToVectorGemvPatterns(
    RewritePatternSet &patterns, const GemvScheduleOptions &options) {
  patterns.add<LowerLinearAsGemv>(patterns.getContext(), options);
}
