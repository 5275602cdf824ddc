//===- WeightAccess.h - Reading qc weights inside linalg loops --*- C++ -*-===//
//
// Shared by the linear and convolution lowerings: how a linalg.generic
// reads a float or quantized weight element by element (WeightAccess), and
// the row-tiled loop that decodes a tile of quantized rows once for every
// input row to reuse.
//
//===----------------------------------------------------------------------===//

#ifndef QC_PASSES_CONVERSION_QCTOLINALG_WEIGHTACCESS_H
#define QC_PASSES_CONVERSION_QCTOLINALG_WEIGHTACCESS_H

#include "dialects/QC/IR/QC.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::qc::lowering {

/// How a reduction reads its weight: the extra generic inputs with their
/// indexing maps, and how to turn the matching block arguments into the f32
/// weight value.
struct WeightAccess {
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  QWeightType qtype; // Null for float weights.
  bool hasColumnScales = false;
  // With a group index, scales and zero points are read by tensor.extract
  // at [row, group_index[k]] instead of through an indexing map.
  Value groupIndexedScales, groupIndexedZeroPoints;
  bool hasGroupIndex = false;

  /// `args` are the block arguments of `inputs`; `k` is the flattened
  /// position along the row and `row` the output channel (index type).
  Value load(OpBuilder &b, Location loc, ValueRange args, Value k,
             Value row) const {
    if (!qtype)
      return args[0].getType().isF32() ? args[0]
                                       : Value(arith::ExtFOp::create(
                                             b, loc, b.getF32Type(), args[0]));
    LayoutAttr layout = qtype.getAffineLayout();
    unsigned bits = layout.getBits();
    Type i32 = b.getI32Type(), f32 = b.getF32Type();
    auto cst = [&](int64_t v) {
      return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
    };
    // Bits [k*bits, (k+1)*bits) of the row span at most the two bytes
    // args[0] (first bit) and args[1] (last bit).
    Value lo = arith::ExtUIOp::create(b, loc, i32, args[0]);
    Value hi = arith::ExtUIOp::create(b, loc, i32, args[1]);
    Value word = arith::OrIOp::create(
        b, loc, lo, arith::ShLIOp::create(b, loc, hi, cst(8)));
    Value kI32 = arith::IndexCastUIOp::create(b, loc, i32, k);
    Value shift = arith::RemUIOp::create(
        b, loc, arith::MulIOp::create(b, loc, kI32, cst(bits)), cst(8));
    Value code = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, word, shift),
        cst((1 << bits) - 1));
    unsigned next = 2;
    Value scale, zeroPoint;
    if (hasGroupIndex) {
      Value group =
          arith::IndexCastOp::create(b, loc, b.getIndexType(), args[next++]);
      scale = tensor::ExtractOp::create(b, loc, groupIndexedScales,
                                        ValueRange{row, group});
      if (groupIndexedZeroPoints)
        zeroPoint = tensor::ExtractOp::create(b, loc, groupIndexedZeroPoints,
                                              ValueRange{row, group});
    } else {
      scale = args[next++];
      if (!layout.getSymmetric())
        zeroPoint = args[next++];
    }
    Value zero = layout.getSymmetric()
                     ? Value(cst(layout.getImplicitZeroPoint()))
                     : Value(arith::ExtUIOp::create(b, loc, i32, zeroPoint));
    Value centered = arith::SIToFPOp::create(
        b, loc, f32, arith::SubIOp::create(b, loc, code, zero));
    if (scale.getType() != f32)
      scale = arith::ExtFOp::create(b, loc, f32, scale);
    Value w = arith::MulFOp::create(b, loc, centered, scale);
    if (hasColumnScales)
      w = arith::MulFOp::create(b, loc, w, args[next]);
    return w;
  }
};

/// The tensors a quantized weight is stored in (per-row ones possibly a
/// slice of rows).
struct QuantizedOperands {
  Value packed, scales, zeroPoints, groupIndex, columnScales;

  explicit QuantizedOperands(QuantizedWeightOp def)
      : packed(def.getPacked()), scales(def.getScales()),
        zeroPoints(def.getZeroPoints()), groupIndex(def.getGroupIndex()),
        columnScales(def.getColumnScales()) {}
};

/// The access to a quantized weight stored in `def` for a loop nest with
/// `numDims` dims where the (row-slice) row is `row` and the flattened
/// position along the row is `k`.
WeightAccess buildQuantizedAccess(QWeightType qtype,
                                  const QuantizedOperands &def,
                                  unsigned numDims, AffineExpr row,
                                  AffineExpr k);

/// Builds the access to `weight` for a loop nest with `numDims` dims where
/// the weight row is `row` and the float weight's own indices are
/// `floatIndices`; `k` is the flattened row position as an affine expr.
FailureOr<WeightAccess> buildWeightAccess(Operation *layer, Value weight,
                                          unsigned numDims, AffineExpr row,
                                          ArrayRef<AffineExpr> floatIndices,
                                          AffineExpr k);

/// Fails with an error on `layer` when its weight's layout has no decoder
/// here (today: the affine #qc.layout has one).
LogicalResult checkLowerableLayout(Operation *layer, Value weight);

/// Weight rows dequantized together by a tiled quantized layer of `n` rows:
/// the largest power of two up to `maxRows` dividing `n`.
int64_t pickTileRows(int64_t n, int64_t maxRows);

/// The rows held in `rows` (a slice of `tile` weight rows) as tile x k f32.
/// When groups are contiguous and whole "chunks" (the fewest bytes holding
/// a whole number of codes: 1 byte for 2/4/8 bits, 3 bytes = 8 codes for 3
/// bits, ...) tile each group, the loop runs over (row, group, chunk, code
/// in chunk): a group's scale is loop-invariant and bytes are read in
/// order, which LLVM vectorizes. Otherwise each position k is decoded on
/// its own (WeightAccess::load).
Value dequantizeRows(OpBuilder &b, Location l, QWeightType qtype,
                     const QuantizedOperands &rows, int64_t tile, int64_t k);

using TileProductFn = function_ref<Value(OpBuilder &, Location, Value row0,
                                         Value weights, Value acc)>;

/// The loop shared by quantized layers: an scf.for over tiles of `tile` of
/// the weight's rows (filters), carrying `init` (whose dim 1 indexes the
/// rows). Each tile is decoded once into tile x k f32 (`weights`, the only
/// float copy) and `product` adds its contribution to `acc`, the slice of
/// the accumulator at rows [row0, row0 + tile) along dim 1. Decoding in the
/// innermost loop instead would redo it for each input row.
Value buildRowTiledLoop(OpBuilder &rewriter, Location loc,
                        QuantizedWeightOp def, int64_t tile, Value init,
                        TileProductFn product);

/// A rewrite pattern lowering layers of type `OpT` with `Lower(op,
/// rewriter, tileRows)`, for populateQC*ToLinalgPatterns.
template <typename OpT, LogicalResult (*Lower)(OpT, RewriterBase &, int64_t)>
struct LowerLayerPattern final : OpRewritePattern<OpT> {
  LowerLayerPattern(MLIRContext *ctx, int64_t tileRows)
      : OpRewritePattern<OpT>(ctx), tileRows(tileRows) {}
  LogicalResult matchAndRewrite(OpT op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkLowerableLayout(op, op.getWeight())))
      return failure();
    return Lower(op, rewriter, tileRows);
  }
  int64_t tileRows;
};

} // namespace mlir::qc::lowering

#endif // QC_PASSES_CONVERSION_QCTOLINALG_WEIGHTACCESS_H
