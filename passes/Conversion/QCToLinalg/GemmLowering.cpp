//===- GemmLowering.cpp - qc.linear at batch >= 5 as a vector micro-kernel ===//
//
// Prefill multiplies many input rows by the same weight, so the GEMM
// schedule is built for arithmetic: each task takes a tile of T = 2 vectors
// of output columns (weight rows), lays the tile out k-major once (decoding
// it, for a quantized weight; packing, for a float one) and then runs a
// register-blocked outer product over all input rows:
//
//   scf.forall over tiles of T weight rows (threads split these):
//     wT = the tile as [k, T] f32           (decoded once per tile)
//     for each block of MR input rows:       (MR x 2 vector accumulators)
//       for k: acc[i][v] += broadcast(x[m + i, k]) * wT[k, v*lanes : ...]
//       y[m + i, tile] = bias + acc[i]
//
// Each k step loads 2 vectors and MR scalars for 2*MR FMAs, with the
// accumulators in registers across the whole row. Shapes the kernel does
// not tile (T would be under one vector) keep the general lowering.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/QCToLinalg/Gemv.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::lowering;

namespace {

struct GemmShape {
  int64_t m, n, k, lanes, tile, rowBlock;
  QuantizedWeightOp def; // Null for an f32 weight.
};

FailureOr<GemmShape> matchGemm(LinearOp op, const GemvScheduleOptions &opts) {
  auto inputType = op.getInput().getType();
  auto resultType = op.getResult().getType();
  if (!inputType.hasStaticShape() || !resultType.hasStaticShape() ||
      !inputType.getElementType().isF32() || opts.lanes < 4)
    return failure();
  GemmShape s;
  s.k = inputType.getShape().back();
  s.n = resultType.getShape().back();
  if (s.k == 0 || s.n == 0)
    return failure();
  s.m = inputType.getNumElements() / s.k;
  if (s.m <= opts.maxBatch)
    return failure(); // The GEMV schedule's.
  s.lanes = opts.lanes;
  s.tile = pickTileRows(s.n, 2 * s.lanes);
  if (s.tile < s.lanes)
    return failure();
  // 2 * MR accumulators of the 32 vector registers AVX-512 has (16: AVX2,
  // NEON spill a little at MR = 8).
  for (int64_t rows : {8, 6, 4, 2, 1})
    if (s.m % rows == 0) {
      s.rowBlock = rows;
      break;
    }
  if (auto weightType = dyn_cast<RankedTensorType>(op.getWeight().getType())) {
    if (!weightType.getElementType().isF32() || weightType.getRank() != 2)
      return failure();
    return s;
  }
  auto qtype = cast<QWeightType>(op.getWeight().getType());
  s.def = op.getWeight().getDefiningOp<QuantizedWeightOp>();
  if (!qtype.getAffineLayout() || !s.def || qtype.getShape().size() != 2)
    return failure();
  return s;
}

/// `rows` [tile, k] as [k, tile], in lanes x lanes register blocks: each
/// block is read as `lanes` row vectors, transposed in registers
/// (vector.transpose, shuffles) and written as `lanes` vectors. An
/// element-wise transpose is what LLVM turns into scatters, and packing a
/// tile that way cost more than the micro-kernel's FMAs at prefill sizes.
Value transposeTile(OpBuilder &b, Location loc, const GemmShape &s,
                    Value rows) {
  Type f32 = b.getF32Type();
  Value empty = tensor::EmptyOp::create(b, loc, {s.k, s.tile}, f32);
  const int64_t lanes = s.lanes;
  if (s.k % lanes != 0 || s.tile % lanes != 0)
    return linalg::TransposeOp::create(b, loc, rows, empty,
                                       ArrayRef<int64_t>{1, 0})
        .getResult()[0];
  auto blockType = VectorType::get({lanes, lanes}, f32);
  SmallVector<bool> inBounds = {true};
  auto loop = scf::ForOp::create(
      b, loc, constIndex(b, loc, 0), constIndex(b, loc, s.k),
      constIndex(b, loc, lanes), ValueRange{empty},
      [&](OpBuilder &kb, Location kl, Value k0, ValueRange acc) {
        Value out = acc[0];
        for (int64_t r0 = 0; r0 < s.tile; r0 += lanes) {
          Value block =
              arith::ConstantOp::create(kb, kl, kb.getZeroAttr(blockType));
          for (int64_t i = 0; i < lanes; ++i)
            block = vector::InsertOp::create(
                kb, kl,
                readVector(kb, kl, rows, {constIndex(kb, kl, r0 + i), k0},
                           lanes),
                block, i);
          Value transposed = vector::TransposeOp::create(
              kb, kl, block, ArrayRef<int64_t>{1, 0});
          for (int64_t j = 0; j < lanes; ++j) {
            Value k = arith::AddIOp::create(kb, kl, k0, constIndex(kb, kl, j));
            out = vector::TransferWriteOp::create(
                      kb, kl, vector::ExtractOp::create(kb, kl, transposed, j),
                      out, ValueRange{k, constIndex(kb, kl, r0)},
                      ArrayRef<bool>(inBounds))
                      .getResult();
          }
        }
        scf::YieldOp::create(kb, kl, out);
      });
  return loop.getResult(0);
}

/// The task's tile of weight rows [row0, row0 + tile) as [k, tile] f32.
Value buildTransposedTile(OpBuilder &b, Location loc, const GemmShape &s,
                          Value weight, Value row0) {
  auto rowSlice = [&](Value t) -> Value {
    auto type = cast<RankedTensorType>(t.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)), sizes,
        strides(type.getRank(), b.getIndexAttr(1));
    offsets[0] = row0;
    SmallVector<int64_t> shape(type.getShape());
    shape[0] = s.tile;
    for (int64_t size : shape)
      sizes.push_back(b.getIndexAttr(size));
    return tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), t, offsets,
        sizes, strides);
  };
  auto transpose = [&](Value rows) { return transposeTile(b, loc, s, rows); };
  if (!s.def)
    return transpose(rowSlice(weight));
  QuantizedWeightOp def = s.def;
  QuantizedOperands stored(def);
  stored.packed = rowSlice(stored.packed);
  stored.scales = rowSlice(stored.scales);
  if (stored.zeroPoints)
    stored.zeroPoints = rowSlice(stored.zeroPoints);
  // Decoded row by row (bytes read in order, which LLVM vectorizes), then
  // transposed as f32: decoding k-major directly writes with a stride of
  // the tile and runs scalar, about 1 ns a code.
  return transpose(dequantizeRows(b, loc, cast<QWeightType>(def.getType()),
                                  stored, s.tile, s.k));
}

/// out[:, tile] = out[:, tile] + x * wT, in register blocks of MR rows.
Value buildMicroKernel(OpBuilder &b, Location loc, const GemmShape &s, Value x,
                       Value wT, Value out) {
  Type f32 = b.getF32Type();
  VectorType vecType = VectorType::get({s.lanes}, f32);
  int64_t vectors = s.tile / s.lanes, mr = s.rowBlock;
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(vecType));
  auto blockLoop = scf::ForOp::create(
      b, loc, constIndex(b, loc, 0), constIndex(b, loc, s.m),
      constIndex(b, loc, mr), ValueRange{out},
      [&](OpBuilder &ob, Location ol, Value m0, ValueRange outArg) {
        SmallVector<Value> rows;
        for (int64_t i = 0; i < mr; ++i)
          rows.push_back(
              arith::AddIOp::create(ob, ol, m0, constIndex(ob, ol, i)));
        auto kLoop = scf::ForOp::create(
            ob, ol, constIndex(ob, ol, 0), constIndex(ob, ol, s.k),
            constIndex(ob, ol, 1), SmallVector<Value>(mr * vectors, zero),
            [&](OpBuilder &kb, Location kl, Value k, ValueRange acc) {
              SmallVector<Value> w, next(acc);
              for (int64_t v = 0; v < vectors; ++v)
                w.push_back(readVector(
                    kb, kl, wT, {k, constIndex(kb, kl, v * s.lanes)}, s.lanes));
              for (int64_t i = 0; i < mr; ++i) {
                Value xi = vector::BroadcastOp::create(
                    kb, kl, vecType,
                    tensor::ExtractOp::create(kb, kl, x,
                                              ValueRange{rows[i], k}));
                for (int64_t v = 0; v < vectors; ++v)
                  next[i * vectors + v] = vector::FMAOp::create(
                      kb, kl, xi, w[v], next[i * vectors + v]);
              }
              scf::YieldOp::create(kb, kl, next);
            });
        Value result = outArg[0];
        SmallVector<bool> inBounds = {true};
        for (int64_t i = 0; i < mr; ++i)
          for (int64_t v = 0; v < vectors; ++v) {
            SmallVector<Value> idx = {rows[i], constIndex(ob, ol, v * s.lanes)};
            Value sum = arith::AddFOp::create(
                ob, ol, readVector(ob, ol, result, idx, s.lanes),
                kLoop.getResult(i * vectors + v));
            result = vector::TransferWriteOp::create(ob, ol, sum, result, idx,
                                                     ArrayRef<bool>(inBounds))
                         .getResult();
          }
        scf::YieldOp::create(ob, ol, result);
      });
  return blockLoop.getResult(0);
}

LogicalResult lowerLinearAsGemm(LinearOp op, PatternRewriter &rewriter,
                                const GemmShape &s) {
  Location loc = op.getLoc();
  Type f32 = rewriter.getF32Type();
  auto flatType = RankedTensorType::get({s.m, s.k}, f32);
  Value x = reshapeToOrFromMatrix(rewriter, loc, op.getInput(), flatType);
  auto outType = RankedTensorType::get({s.m, s.n}, f32);
  Value init =
      op.getBias()
          ? buildBroadcastAlongDim(rewriter, loc, op.getBias(), outType, 1)
          : buildFilled(rewriter, loc, outType, rewriter.getF32FloatAttr(0));
  auto forall = scf::ForallOp::create(
      rewriter, loc,
      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(s.n / s.tile)},
      ValueRange{init}, /*mapping=*/std::nullopt);
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(forall.getTerminator());
    Value row0 = arith::MulIOp::create(rewriter, loc, forall.getInductionVar(0),
                                       constIndex(rewriter, loc, s.tile));
    Value out = forall.getRegionIterArgs()[0];
    SmallVector<OpFoldResult> offsets = {rewriter.getIndexAttr(0), row0},
                              sizes = {rewriter.getIndexAttr(s.m),
                                       rewriter.getIndexAttr(s.tile)},
                              strides = {rewriter.getIndexAttr(1),
                                         rewriter.getIndexAttr(1)};
    auto sliceType = RankedTensorType::get({s.m, s.tile}, f32);
    Value slice = tensor::ExtractSliceOp::create(rewriter, loc, sliceType, out,
                                                 offsets, sizes, strides);
    Value wT = buildTransposedTile(rewriter, loc, s, op.getWeight(), row0);
    Value tile = buildMicroKernel(rewriter, loc, s, x, wT, slice);
    rewriter.setInsertionPointToStart(
        &forall.getTerminator().getRegion().front());
    tensor::ParallelInsertSliceOp::create(rewriter, loc, tile, out, offsets,
                                          sizes, strides);
  }
  Value result = forall.getResult(0);
  if (op.getResult().getType() != outType)
    result =
        reshapeToOrFromMatrix(rewriter, loc, result, op.getResult().getType());
  rewriter.replaceOp(op, result);
  return success();
}

struct LowerLinearAsGemm final : OpRewritePattern<LinearOp> {
  LowerLinearAsGemm(MLIRContext *ctx, GemvScheduleOptions options)
      : OpRewritePattern<LinearOp>(ctx, /*benefit=*/2), options(options) {}

  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<GemmShape> shape = matchGemm(op, options);
    if (failed(shape))
      return rewriter.notifyMatchFailure(op, "not a GEMM this kernel tiles");
    rewriter.setInsertionPoint(op);
    return lowerLinearAsGemm(op, rewriter, *shape);
  }

  GemvScheduleOptions options;
};

} // namespace

void mlir::qc::populateQCLinearToVectorGemmPatterns(
    RewritePatternSet &patterns, const GemvScheduleOptions &options) {
  patterns.add<LowerLinearAsGemm>(patterns.getContext(), options);
}
