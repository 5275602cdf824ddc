//===- WeightAccess.cpp - Reading qc weights inside linalg loops ----------===//

#include "passes/Conversion/QCToLinalg/WeightAccess.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::lowering;

/// The access to a quantized weight stored in `def` for a loop nest with
/// `numDims` dims where the (row-slice) row is `row` and the flattened
/// position along the row is `k`.
WeightAccess mlir::qc::lowering::buildQuantizedAccess(
    QWeightType qtype, const QuantizedOperands &def, unsigned numDims,
    AffineExpr row, AffineExpr k) {
  MLIRContext *ctx = qtype.getContext();
  WeightAccess access;
  access.qtype = qtype;
  int64_t bits = qtype.getAffineLayout().getBits();
  int64_t groupLength =
      qtype.getAffineLayout().getGroupLength(qtype.getRowLength());
  auto map = [&](AffineExpr col) {
    return AffineMap::get(numDims, 0, {row, col}, ctx);
  };
  access.inputs = {def.packed, def.packed};
  access.maps = {map((k * bits).floorDiv(8)),
                 map((k * bits + bits - 1).floorDiv(8))};
  if (def.groupIndex) {
    access.hasGroupIndex = true;
    access.groupIndexedScales = def.scales;
    access.groupIndexedZeroPoints = def.zeroPoints;
    access.inputs.push_back(def.groupIndex);
    access.maps.push_back(AffineMap::get(numDims, 0, {k}, ctx));
  } else {
    access.inputs.push_back(def.scales);
    access.maps.push_back(map(k.floorDiv(groupLength)));
    if (def.zeroPoints) {
      access.inputs.push_back(def.zeroPoints);
      access.maps.push_back(map(k.floorDiv(groupLength)));
    }
  }
  if (def.columnScales) {
    access.hasColumnScales = true;
    access.inputs.push_back(def.columnScales);
    access.maps.push_back(AffineMap::get(numDims, 0, {k}, ctx));
  }
  return access;
}

/// Builds the access to `weight` for a loop nest with `numDims` dims where
/// the weight row is `row` and the float weight's own indices are
/// `floatIndices`; `k` is the flattened row position as an affine expr.
FailureOr<WeightAccess> mlir::qc::lowering::buildWeightAccess(
    Operation *layer, Value weight, unsigned numDims, AffineExpr row,
    ArrayRef<AffineExpr> floatIndices, AffineExpr k) {
  auto qtype = dyn_cast<QWeightType>(weight.getType());
  if (!qtype) {
    WeightAccess access;
    access.inputs.push_back(weight);
    access.maps.push_back(
        AffineMap::get(numDims, 0, floatIndices, layer->getContext()));
    return access;
  }
  auto def = weight.getDefiningOp<QuantizedWeightOp>();
  if (!def)
    return layer->emitOpError(
        "quantized weight must be produced by qc.quantized_weight to lower");
  return buildQuantizedAccess(qtype, QuantizedOperands(def), numDims, row, k);
}

LogicalResult mlir::qc::lowering::checkLowerableLayout(Operation *layer,
                                                       Value weight) {
  auto qtype = dyn_cast<QWeightType>(weight.getType());
  if (!qtype || qtype.getAffineLayout())
    return success();
  return layer->emitOpError("has no lowering for weight layout ")
         << qtype.getLayout();
}

int64_t mlir::qc::lowering::pickTileRows(int64_t n, int64_t maxRows) {
  for (int64_t rows = maxRows; rows > 1; rows /= 2)
    if (n % rows == 0)
      return rows;
  return 1;
}

/// The rows held in `rows` (a slice of `tile` weight rows) as tile x k f32.
/// When groups are contiguous and whole "chunks" (the fewest bytes holding
/// a whole number of codes: 1 byte for 2/4/8 bits, 3 bytes = 8 codes for 3
/// bits, ...) tile each group, the loop runs over (row, group, chunk, code
/// in chunk): a group's scale is loop-invariant and bytes are read in
/// order, which LLVM vectorizes. Otherwise each position k is decoded on
/// its own (WeightAccess::load).
Value mlir::qc::lowering::dequantizeRows(OpBuilder &b, Location l,
                                         QWeightType qtype,
                                         const QuantizedOperands &rows,
                                         int64_t tile, int64_t k) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  LayoutAttr layout = qtype.getAffineLayout();
  int64_t bits = layout.getBits(), group = layout.getGroupLength(k);
  int64_t codesPerChunk = 8 / std::gcd<int64_t>(bits, 8);
  int64_t bytesPerChunk = bits * codesPerChunk / 8;
  auto parallel = utils::IteratorType::parallel;
  bool chunked =
      !rows.groupIndex && k % group == 0 && group % codesPerChunk == 0;
  if (!chunked) {
    WeightAccess access = buildQuantizedAccess(
        qtype, rows, 2, getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx));
    SmallVector<AffineMap> maps = access.maps;
    SmallVector<int64_t> shape = {tile, k};
    maps.push_back(AffineMap::getMultiDimIdentityMap(2, ctx));
    return linalg::GenericOp::create(
               b, l, TypeRange{RankedTensorType::get(shape, f32)},
               access.inputs,
               ValueRange{tensor::EmptyOp::create(b, l, shape, f32)}, maps,
               SmallVector<utils::IteratorType>(2, parallel),
               [&](OpBuilder &bb, Location ll, ValueRange args) {
                 linalg::YieldOp::create(
                     bb, ll,
                     access.load(bb, ll, args.drop_back(),
                                 linalg::IndexOp::create(bb, ll, 1),
                                 linalg::IndexOp::create(bb, ll, 0)));
               })
        .getResult(0);
  }
  int64_t groups = k / group, chunksPerGroup = group / codesPerChunk;
  auto expand = [&](Value v, ArrayRef<int64_t> shape,
                    ArrayRef<ReassociationIndices> reassociation) {
    auto type = cast<RankedTensorType>(v.getType());
    return Value(tensor::ExpandShapeOp::create(
        b, l, RankedTensorType::get(shape, type.getElementType()), v,
        reassociation));
  };
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx), d3 = getAffineDimExpr(3, ctx);
  // One input per byte of a chunk: packed viewed as [tile, groups, chunks,
  // bytes], byte c read at (d0, d1, d2, c).
  Value chunks =
      expand(rows.packed, {tile, groups, chunksPerGroup, bytesPerChunk},
             {{0}, {1, 2, 3}});
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (int64_t c = 0; c < bytesPerChunk; ++c) {
    inputs.push_back(chunks);
    maps.push_back(
        AffineMap::get(4, 0, {d0, d1, d2, getAffineConstantExpr(c, ctx)}, ctx));
  }
  unsigned scaleArg = inputs.size();
  inputs.push_back(rows.scales);
  maps.push_back(AffineMap::get(4, 0, {d0, d1}, ctx));
  if (rows.zeroPoints) {
    inputs.push_back(rows.zeroPoints);
    maps.push_back(AffineMap::get(4, 0, {d0, d1}, ctx));
  }
  if (rows.columnScales) {
    inputs.push_back(expand(rows.columnScales,
                            {groups, chunksPerGroup, codesPerChunk},
                            {{0, 1, 2}}));
    maps.push_back(AffineMap::get(4, 0, {d1, d2, d3}, ctx));
  }
  SmallVector<int64_t> shape = {tile, groups, chunksPerGroup, codesPerChunk};
  maps.push_back(AffineMap::getMultiDimIdentityMap(4, ctx));
  // Chunks of up to 7 bytes (7-bit codes) need a 64-bit word.
  Type word = bytesPerChunk > 3 ? b.getI64Type() : b.getI32Type();
  Value tileValues =
      linalg::GenericOp::create(
          b, l, TypeRange{RankedTensorType::get(shape, f32)}, inputs,
          ValueRange{tensor::EmptyOp::create(b, l, shape, f32)}, maps,
          SmallVector<utils::IteratorType>(4, parallel),
          [&](OpBuilder &bb, Location ll, ValueRange args) {
            auto cst = [&](int64_t v) {
              return Value(arith::ConstantOp::create(
                  bb, ll, bb.getIntegerAttr(word, v)));
            };
            // The chunk's bytes as one little-endian word.
            Value bytes = arith::ExtUIOp::create(bb, ll, word, args[0]);
            for (int64_t c = 1; c < bytesPerChunk; ++c)
              bytes = arith::OrIOp::create(
                  bb, ll, bytes,
                  arith::ShLIOp::create(
                      bb, ll, arith::ExtUIOp::create(bb, ll, word, args[c]),
                      cst(8 * c)));
            Value position = arith::IndexCastUIOp::create(
                bb, ll, word, linalg::IndexOp::create(bb, ll, 3));
            Value code = arith::AndIOp::create(
                bb, ll,
                arith::ShRUIOp::create(
                    bb, ll, bytes,
                    arith::MulIOp::create(bb, ll, position, cst(bits))),
                cst((1 << bits) - 1));
            unsigned next = scaleArg + 1;
            Value zero =
                rows.zeroPoints
                    ? Value(arith::ExtUIOp::create(bb, ll, word, args[next++]))
                    : cst(layout.getImplicitZeroPoint());
            Value scale = args[scaleArg];
            if (scale.getType() != f32)
              scale = arith::ExtFOp::create(bb, ll, f32, scale);
            Value w = arith::MulFOp::create(
                bb, ll,
                arith::SIToFPOp::create(
                    bb, ll, f32, arith::SubIOp::create(bb, ll, code, zero)),
                scale);
            if (rows.columnScales)
              w = arith::MulFOp::create(bb, ll, w, args[next]);
            linalg::YieldOp::create(bb, ll, w);
          })
          .getResult(0);
  return tensor::CollapseShapeOp::create(
      b, l, RankedTensorType::get({tile, k}, f32), tileValues,
      ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
}

/// The loop shared by quantized layers: an scf.for over tiles of `tile` of
/// the weight's rows (filters), carrying `init` (whose dim 1 indexes the
/// rows). Each tile is decoded once into tile x k f32 (`weights`, the only
/// float copy) and `product` adds its contribution to `acc`, the slice of
/// the accumulator at rows [row0, row0 + tile) along dim 1. Decoding in the
/// innermost loop instead would redo it for each input row.
Value mlir::qc::lowering::buildRowTiledLoop(OpBuilder &rewriter, Location loc,
                                            QuantizedWeightOp def, int64_t tile,
                                            Value init, TileProductFn product) {
  auto qtype = cast<QWeightType>(def.getType());
  int64_t rows = qtype.getShape()[0], k = qtype.getRowLength();
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  auto loop = scf::ForOp::create(
      rewriter, loc, index(0), index(rows), index(tile), ValueRange{init},
      [&](OpBuilder &b, Location l, Value row0, ValueRange iterArgs) {
        // Slices of `t` starting at row0 along `dim`, `tile` long.
        auto rowSlice = [&](Value t, unsigned dim) {
          auto type = cast<RankedTensorType>(t.getType());
          SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
              sizes, strides(type.getRank(), b.getIndexAttr(1));
          SmallVector<int64_t> shape(type.getShape());
          shape[dim] = tile;
          for (int64_t size : shape)
            sizes.push_back(b.getIndexAttr(size));
          offsets[dim] = row0;
          return tensor::ExtractSliceOp::create(
              b, l, RankedTensorType::get(shape, type.getElementType()), t,
              offsets, sizes, strides);
        };
        QuantizedOperands stored(def);
        stored.packed = rowSlice(stored.packed, 0).getResult();
        stored.scales = rowSlice(stored.scales, 0).getResult();
        if (stored.zeroPoints)
          stored.zeroPoints = rowSlice(stored.zeroPoints, 0).getResult();
        Value weights = dequantizeRows(b, l, qtype, stored, tile, k);
        tensor::ExtractSliceOp acc = rowSlice(iterArgs[0], 1);
        Value updated = product(b, l, row0, weights, acc);
        scf::YieldOp::create(
            b, l,
            Value(tensor::InsertSliceOp::create(
                b, l, updated, iterArgs[0], acc.getMixedOffsets(),
                acc.getMixedSizes(), acc.getMixedStrides())));
      });
  return loop.getResult(0);
}
