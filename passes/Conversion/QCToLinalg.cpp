//===- QCToLinalg.cpp - Lower qc layers to linalg -------------------------===//
//
// Target-neutral lowering of qc layers to linalg.generic reductions. For a
// !qc.qweight the code is unpacked, the zero point subtracted and the scale
// applied inside the layer's loops, per tile of at most 16 weight rows
// (filters) that every input row (output position) then reuses, so a
// dequantized copy of the whole weight never exists.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <numeric>

namespace mlir::qc {
#define GEN_PASS_DEF_QCTOLINALGPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

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
      return args[0].getType().isF32()
                 ? args[0]
                 : Value(arith::ExtFOp::create(b, loc, b.getF32Type(), args[0]));
    LayoutAttr layout = qtype.getLayout();
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
                                  AffineExpr k) {
  MLIRContext *ctx = qtype.getContext();
  WeightAccess access;
  access.qtype = qtype;
  int64_t bits = qtype.getLayout().getBits();
  int64_t groupLength = qtype.getLayout().getGroupLength(qtype.getRowLength());
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
FailureOr<WeightAccess> buildWeightAccess(Operation *layer, Value weight,
                                          unsigned numDims, AffineExpr row,
                                          ArrayRef<AffineExpr> floatIndices,
                                          AffineExpr k) {
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

/// Weight rows dequantized together by the tiled quantized linear layer.
int64_t pickTileRows(int64_t n) {
  for (int64_t rows : {16, 8, 4, 2})
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
Value dequantizeRows(OpBuilder &b, Location l, QWeightType qtype,
                     const QuantizedOperands &rows, int64_t tile, int64_t k) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  LayoutAttr layout = qtype.getLayout();
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
    maps.push_back(AffineMap::getMultiDimIdentityMap(2, ctx));
    return linalg::GenericOp::create(
               b, l, TypeRange{RankedTensorType::get({tile, k}, f32)},
               access.inputs,
               ValueRange{tensor::EmptyOp::create(b, l, {tile, k}, f32)}, maps,
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
  maps.push_back(AffineMap::getMultiDimIdentityMap(4, ctx));
  SmallVector<int64_t> shape = {tile, groups, chunksPerGroup, codesPerChunk};
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
                        TileProductFn product) {
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

/// A quantized [m, k] x [n, k]^T: per tile of weight rows, a plain
/// dot-product loop LLVM vectorizes.
Value buildTiledQuantizedLinear(OpBuilder &rewriter, Location loc,
                                QuantizedWeightOp def, Value input, Value init,
                                int64_t n) {
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx);
  auto parallel = utils::IteratorType::parallel;
  return buildRowTiledLoop(
      rewriter, loc, def, pickTileRows(n), init,
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
LogicalResult lowerLinear(LinearOp op, RewriterBase &rewriter) {
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
  if (auto def = op.getWeight().getDefiningOp<QuantizedWeightOp>()) {
    result = buildTiledQuantizedLinear(rewriter, loc, def, input, init, n);
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

/// A quantized qc.conv2d (input already padded) tiled along the filters, as
/// the linear layer is; a tile never straddles a group, so it convolves
/// with its group's input channels only.
Value buildTiledQuantizedConv(OpBuilder &rewriter, Location loc, Conv2DOp op,
                              QuantizedWeightOp def, Value input, Value init) {
  MLIRContext *ctx = rewriter.getContext();
  Type f32 = rewriter.getF32Type();
  ArrayRef<int64_t> w = def.getType().getShape();
  ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations();
  auto inShape = cast<RankedTensorType>(input.getType()).getShape();
  int64_t group = op.getGroup(), filtersPerGroup = w[0] / group;
  int64_t channels = w[1], tile = pickTileRows(filtersPerGroup);
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
LogicalResult lowerConv2D(Conv2DOp op, RewriterBase &rewriter) {
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
  if (auto def = op.getWeight().getDefiningOp<QuantizedWeightOp>()) {
    rewriter.replaceOp(
        op, buildTiledQuantizedConv(rewriter, loc, op, def, input, init));
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

struct QCToLinalgPass final
    : mlir::qc::impl::QCToLinalgPassBase<QCToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> layers;
    getOperation().walk(
        [&](QuantizableLayer layer) { layers.push_back(layer); });
    for (Operation *layer : layers) {
      LogicalResult result =
          TypeSwitch<Operation *, LogicalResult>(layer)
              .Case([&](LinearOp op) { return lowerLinear(op, rewriter); })
              .Case([&](Conv2DOp op) { return lowerConv2D(op, rewriter); })
              .Default([](Operation *op) {
                return op->emitOpError("has no lowering to linalg");
              });
      if (failed(result))
        return signalPassFailure();
    }
    // Quantized weights are now read through their components.
    getOperation().walk([&](QuantizedWeightOp op) {
      if (op.use_empty())
        rewriter.eraseOp(op);
    });
  }
};

} // namespace
