//===- ONNXTransformerOps.cpp - RMSNormalization, RotaryEmbedding, Attention
//===//
//
// The opset-23 ops of decoder models, imported as the same linalg the
// exporters' decompositions produce: RMSNormalization ends in `t * scale`
// (so AWQ can fold into it), RotaryEmbedding is one gather-style generic,
// Attention is Q Kᵀ, mask, softmax and · V with grouped-query heads
// repeated. Semantics follow the ONNX specification and its reference
// implementation (onnx/reference/ops).
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qc;

namespace {

Value addF(OpBuilder &b, Location l, Value x, Value acc) {
  return arith::AddFOp::create(b, l, x, acc);
}

/// RMSNormalization (opset 23): X / sqrt(mean(X², axes [axis, rank)) + eps)
/// * scale, computed in f32 (stash_type 1, the only type quantc computes in).
LogicalResult importRMSNorm(NodeContext &nc) {
  if (failed(requireF32(nc)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  FailureOr<NormalizedAxes> normalized = getNormalizedAxes(nc, type);
  if (failed(normalized))
    return failure();
  if (nc.getInt("stash_type", 1) != 1)
    return nc.error() << "stash_type " << nc.getInt("stash_type", 1)
                      << " is not supported (only 1, float32)";
  double eps = nc.getFloat("epsilon", 1e-5f);
  ArrayRef<int64_t> axes = normalized->axes;
  int64_t count = normalized->count;
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  Type f32 = b.getF32Type();
  Value x = nc.input(0);
  Value sq = buildElementwise(
      b, loc, x, type, [](OpBuilder &nb, Location l, ValueRange a) {
        return Value(arith::MulFOp::create(nb, l, a[0], a[0]));
      });
  Value sum = reduce(b, loc, sq, axes, b.getF32FloatAttr(0), true, addF);
  // The scale multiplies last: y = normalized * scale.
  FailureOr<Value> out = broadcastElementwise(
      nc, ValueRange{x, sum, nc.input(1)}, f32,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value mean = arith::MulFOp::create(
            nb, l, a[1], scalarConstant(nb, l, f32, 1.0 / double(count)));
        Value v =
            arith::AddFOp::create(nb, l, mean, scalarConstant(nb, l, f32, eps));
        Value t =
            arith::MulFOp::create(nb, l, a[0], math::RsqrtOp::create(nb, l, v));
        return arith::MulFOp::create(nb, l, t, a[2]);
      });
  if (failed(out))
    return failure();
  if (cast<RankedTensorType>(out->getType()).getShape() != type.getShape())
    return nc.error() << "scale " << nc.inputType(1)
                      << " does not broadcast to the normalized shape of "
                      << type;
  nc.setOutput(0, *out);
  return success();
}

/// RotaryEmbedding (opset 23). X is [B, heads, S, D] or [B, S, heads*D]
/// (num_heads given); cos/sin caches are [max_position, R/2] indexed by
/// position_ids [B, S], or [B, S, R/2] without position ids. The first R
/// (rotary_embedding_dim, default D) values of each head are rotated: in
/// halves, or as interleaved pairs.
LogicalResult importRotaryEmbedding(NodeContext &nc) {
  RankedTensorType xType = nc.inputType(0);
  if (!xType.getElementType().isF32())
    return nc.error() << "input must be f32, got " << xType;
  int64_t rank = xType.getRank();
  if (rank != 3 && rank != 4)
    return nc.error() << "input must be 3-D or 4-D, got " << xType;
  bool interleaved = nc.getInt("interleaved", 0) != 0;
  int64_t batch = xType.getDimSize(0), heads, seq, headSize;
  if (rank == 4) {
    heads = xType.getDimSize(1);
    seq = xType.getDimSize(2);
    headSize = xType.getDimSize(3);
  } else {
    heads = nc.getInt("num_heads", 0);
    seq = xType.getDimSize(1);
    if (heads <= 0 || xType.getDimSize(2) % heads != 0)
      return nc.error() << "a 3-D input needs num_heads dividing its hidden "
                           "size "
                        << xType.getDimSize(2) << ", got num_heads=" << heads;
    headSize = xType.getDimSize(2) / heads;
  }
  int64_t rotary = nc.getInt("rotary_embedding_dim", 0);
  if (rotary == 0)
    rotary = headSize;
  if (rotary < 2 || rotary % 2 != 0 || rotary > headSize)
    return nc.error() << "rotary_embedding_dim " << rotary
                      << " must be even and at most the head size " << headSize;
  int64_t half = rotary / 2;
  bool hasPositions = nc.hasInput(3);
  RankedTensorType cosType = nc.inputType(1), sinType = nc.inputType(2);
  if (cosType != sinType || !cosType.getElementType().isF32())
    return nc.error() << "cos_cache and sin_cache must be f32 of one shape, "
                         "got "
                      << cosType << " and " << sinType;
  if (hasPositions) {
    RankedTensorType posType = nc.inputType(3);
    if (cosType.getRank() != 2 || cosType.getDimSize(1) != half ||
        posType.getRank() != 2 || !isa<IntegerType>(posType.getElementType()) ||
        (posType.getDimSize(0) != batch && posType.getDimSize(0) != 1) ||
        posType.getDimSize(1) != seq)
      return nc.error()
             << "with position_ids the caches must be [max_position, " << half
             << "] and position_ids [" << batch << ", " << seq << "], got "
             << cosType << " and " << posType;
  } else if (cosType.getRank() != 3 || cosType.getDimSize(0) != batch ||
             cosType.getDimSize(1) != seq || cosType.getDimSize(2) != half) {
    return nc.error() << "without position_ids the caches must be [" << batch
                      << ", " << seq << ", " << half << "], got " << cosType;
  }

  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  MLIRContext *ctx = b.getContext();
  // Iterate over (b, h, s, d) of the 4-D view; X is read through a map.
  Value x = nc.input(0);
  if (rank == 3)
    x = reshapeTo(b, loc, x, {batch, seq, heads, headSize});
  auto outType =
      RankedTensorType::get({batch, heads, seq, headSize}, b.getF32Type());
  AffineExpr db = getAffineDimExpr(0, ctx), dh = getAffineDimExpr(1, ctx),
             ds = getAffineDimExpr(2, ctx), dd = getAffineDimExpr(3, ctx);
  SmallVector<AffineMap> maps;
  SmallVector<Value> inputs;
  SmallVector<Value> positionsOperand;
  if (hasPositions) {
    bool broadcastBatch = nc.inputType(3).getDimSize(0) == 1 && batch != 1;
    inputs.push_back(nc.input(3));
    maps.push_back(AffineMap::get(
        4, 0, {broadcastBatch ? getAffineConstantExpr(0, ctx) : db, ds}, ctx));
  }
  Value init = tensor::EmptyOp::create(b, loc, outType.getShape(),
                                       outType.getElementType());
  maps.push_back(AffineMap::getMultiDimIdentityMap(4, ctx));
  Value cosCache = nc.input(1), sinCache = nc.input(2);
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  int64_t maxPosition = cosType.getDimSize(0);
  Value y =
      linalg::GenericOp::create(
          b, loc, TypeRange{outType}, inputs, ValueRange{init}, maps, iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            auto idx = [&](int64_t v) {
              return Value(arith::ConstantIndexOp::create(nb, l, v));
            };
            Value ib = linalg::IndexOp::create(nb, l, 0);
            Value ih = linalg::IndexOp::create(nb, l, 1);
            Value is = linalg::IndexOp::create(nb, l, 2);
            Value id = linalg::IndexOp::create(nb, l, 3);
            auto readX = [&](Value d) -> Value {
              SmallVector<Value> at = rank == 4
                                          ? SmallVector<Value>{ib, ih, is, d}
                                          : SmallVector<Value>{ib, is, ih, d};
              return tensor::ExtractOp::create(nb, l, x, at);
            };
            Value inRotary = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::ult, id, idx(rotary));
            // Pair partner and cache column of d (clamped outside R: the
            // value is not used there).
            Value dr = arith::MinUIOp::create(nb, l, id, idx(rotary - 1));
            Value column, partner, first;
            if (interleaved) {
              column = arith::DivUIOp::create(nb, l, dr, idx(2));
              Value odd = arith::RemUIOp::create(nb, l, dr, idx(2));
              first = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                            odd, idx(0));
              partner = arith::SelectOp::create(
                  nb, l, first, arith::AddIOp::create(nb, l, dr, idx(1)),
                  arith::SubIOp::create(nb, l, dr, idx(1)));
            } else {
              first = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult,
                                            dr, idx(half));
              column = arith::SelectOp::create(
                  nb, l, first, dr,
                  arith::SubIOp::create(nb, l, dr, idx(half)));
              partner = arith::SelectOp::create(
                  nb, l, first, arith::AddIOp::create(nb, l, dr, idx(half)),
                  arith::SubIOp::create(nb, l, dr, idx(half)));
            }
            SmallVector<Value> cacheAt;
            if (hasPositions) {
              Value p =
                  arith::IndexCastOp::create(nb, l, nb.getIndexType(), args[0]);
              // Positions outside the cache read its edge rows.
              p = arith::MaxSIOp::create(nb, l, p, idx(0));
              p = arith::MinSIOp::create(nb, l, p, idx(maxPosition - 1));
              cacheAt = {p, column};
            } else {
              cacheAt = {ib, is, column};
            }
            Value c = tensor::ExtractOp::create(nb, l, cosCache, cacheAt);
            Value s = tensor::ExtractOp::create(nb, l, sinCache, cacheAt);
            Value v = readX(id);
            Value w = readX(partner);
            // first: v cos - w sin; second: v cos + w sin.
            Value vc = arith::MulFOp::create(nb, l, v, c);
            Value ws = arith::MulFOp::create(nb, l, w, s);
            Value rotated = arith::SelectOp::create(
                nb, l, first, arith::SubFOp::create(nb, l, vc, ws),
                arith::AddFOp::create(nb, l, vc, ws));
            linalg::YieldOp::create(
                nb, l,
                Value(arith::SelectOp::create(nb, l, inRotary, rotated, v)));
          })
          .getResult(0);
  if (rank == 3) {
    // Back to [B, S, heads*D].
    auto t =
        RankedTensorType::get({batch, seq, heads, headSize}, b.getF32Type());
    y = buildRemap(b, loc, y, t, {db, ds, dh, dd});
    y = reshapeTo(b, loc, y, xType.getShape());
  }
  nc.setOutput(0, y);
  return success();
}

/// [B, S, heads*D] -> [B, heads, S, D].
Value splitHeads(OpBuilder &b, Location loc, Value v, int64_t heads) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t batch = type.getDimSize(0), seq = type.getDimSize(1),
          d = type.getDimSize(2) / heads;
  MLIRContext *ctx = b.getContext();
  v = reshapeTo(b, loc, v, {batch, seq, heads, d});
  auto t = RankedTensorType::get({batch, heads, seq, d}, type.getElementType());
  return buildRemap(b, loc, v, t,
                    {getAffineDimExpr(0, ctx), getAffineDimExpr(2, ctx),
                     getAffineDimExpr(1, ctx), getAffineDimExpr(3, ctx)});
}

/// [B, H, T, D] with each head repeated `reps` times: [h0, h0, h1, h1, ...].
Value repeatHeads(OpBuilder &b, Location loc, Value v, int64_t reps) {
  if (reps == 1)
    return v;
  auto type = cast<RankedTensorType>(v.getType());
  MLIRContext *ctx = b.getContext();
  auto t = RankedTensorType::get({type.getDimSize(0), type.getDimSize(1) * reps,
                                  type.getDimSize(2), type.getDimSize(3)},
                                 type.getElementType());
  return buildRemap(b, loc, v, t,
                    {getAffineDimExpr(0, ctx),
                     getAffineDimExpr(1, ctx).floorDiv(reps),
                     getAffineDimExpr(2, ctx), getAffineDimExpr(3, ctx)});
}

/// `past` ++ `v` along dim 2 (the sequence of a [B, H, T, D] cache).
Value concatSequence(OpBuilder &b, Location loc, Value past, Value v) {
  auto pt = cast<RankedTensorType>(past.getType());
  auto vt = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(vt.getShape());
  shape[2] += pt.getDimSize(2);
  Value out = tensor::EmptyOp::create(b, loc, shape, vt.getElementType());
  SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0)),
      ones(4, b.getIndexAttr(1));
  auto sizes = [&](RankedTensorType t) {
    return llvm::map_to_vector(t.getShape(), [&](int64_t d) -> OpFoldResult {
      return b.getIndexAttr(d);
    });
  };
  out =
      tensor::InsertSliceOp::create(b, loc, past, out, zeros, sizes(pt), ones);
  SmallVector<OpFoldResult> offsets = zeros;
  offsets[2] = b.getIndexAttr(pt.getDimSize(2));
  return tensor::InsertSliceOp::create(b, loc, v, out, offsets, sizes(vt),
                                       ones);
}

/// out[b, h, i, j] = sum_r lhs[lhsIndices] * rhs[rhsIndices] over the
/// loop dims (b, h, i, j, r): Q Kᵀ and P V.
Value buildBatchedContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                              RankedTensorType outType,
                              ArrayRef<AffineExpr> lhsIndices,
                              ArrayRef<AffineExpr> rhsIndices) {
  MLIRContext *ctx = b.getContext();
  Value zero = buildFilled(b, loc, outType, b.getF32FloatAttr(0));
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  SmallVector<AffineExpr> outIndices;
  for (unsigned i = 0; i < 4; ++i)
    outIndices.push_back(getAffineDimExpr(i, ctx));
  return linalg::GenericOp::create(
             b, loc, TypeRange{outType}, ValueRange{lhs, rhs}, ValueRange{zero},
             SmallVector<AffineMap>{AffineMap::get(5, 0, lhsIndices, ctx),
                                    AffineMap::get(5, 0, rhsIndices, ctx),
                                    AffineMap::get(5, 0, outIndices, ctx)},
             iterators,
             [](OpBuilder &nb, Location l, ValueRange a) {
               linalg::YieldOp::create(
                   nb, l, buildFusedMultiplyAdd(nb, l, a[0], a[1], a[2]));
             })
      .getResult(0);
}

/// Attention (opset 23): softmax(Q Kᵀ · scale (softcapped) + bias) · V with
/// grouped-query heads, an optional float or boolean mask, causal masking
/// aligned after `past_key`'s positions, and present key/value outputs.
LogicalResult importAttention(NodeContext &nc) {
  for (unsigned i = 0; i < 3; ++i)
    if (!nc.hasInput(i) || !nc.inputType(i).getElementType().isF32())
      return nc.error() << "Q, K and V must be f32 tensors";
  if (nc.hasInput(6))
    return nc.error() << "nonpad_kv_seqlen is not supported";
  if (nc.node.output_size() > 3 && !nc.node.output(3).empty())
    return nc.error() << "output qk_matmul_output is not supported";
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  int64_t rank = nc.inputType(0).getRank();
  if (rank != 3 && rank != 4)
    return nc.error() << "Q must be 3-D or 4-D, got " << nc.inputType(0);
  for (unsigned i = 1; i < 3; ++i)
    if (nc.inputType(i).getRank() != rank)
      return nc.error() << "Q, K and V must have the same rank";
  Value q = nc.input(0), k = nc.input(1), v = nc.input(2);
  int64_t qHeads, kvHeads;
  if (rank == 3) {
    qHeads = nc.getInt("q_num_heads", 0);
    kvHeads = nc.getInt("kv_num_heads", 0);
    if (qHeads <= 0 || kvHeads <= 0 ||
        nc.inputType(0).getDimSize(2) % qHeads != 0 ||
        nc.inputType(1).getDimSize(2) % kvHeads != 0 ||
        nc.inputType(2).getDimSize(2) % kvHeads != 0)
      return nc.error() << "3-D Q/K/V need q_num_heads and kv_num_heads "
                           "dividing their hidden sizes";
    q = splitHeads(b, loc, q, qHeads);
    k = splitHeads(b, loc, k, kvHeads);
    v = splitHeads(b, loc, v, kvHeads);
  } else {
    qHeads = nc.inputType(0).getDimSize(1);
    kvHeads = nc.inputType(1).getDimSize(1);
  }
  auto qt = cast<RankedTensorType>(q.getType());
  int64_t batch = qt.getDimSize(0), qLen = qt.getDimSize(2),
          headSize = qt.getDimSize(3);
  int64_t past = 0;
  if (nc.hasInput(4) != nc.hasInput(5))
    return nc.error() << "past_key and past_value go together";
  if (nc.hasInput(4)) {
    if (nc.inputType(4).getRank() != 4 || nc.inputType(5).getRank() != 4)
      return nc.error() << "past_key and past_value must be 4-D";
    past = nc.inputType(4).getDimSize(2);
    k = concatSequence(b, loc, nc.input(4), k);
    v = concatSequence(b, loc, nc.input(5), v);
  }
  auto kt = cast<RankedTensorType>(k.getType());
  auto vt = cast<RankedTensorType>(v.getType());
  if (kt.getDimSize(0) != batch || kt.getDimSize(3) != headSize ||
      kt.getDimSize(1) != kvHeads || vt.getDimSize(1) != kvHeads ||
      vt.getDimSize(2) != kt.getDimSize(2) || qHeads % kvHeads != 0)
    return nc.error() << "K " << kt << " and V " << vt << " do not fit Q " << qt
                      << " (heads must divide)";
  int64_t total = kt.getDimSize(2);
  if (nc.node.output_size() > 1 && !nc.node.output(1).empty())
    nc.setOutput(1, k);
  if (nc.node.output_size() > 2 && !nc.node.output(2).empty())
    nc.setOutput(2, v);
  Value kr = repeatHeads(b, loc, k, qHeads / kvHeads);
  Value vr = repeatHeads(b, loc, v, qHeads / kvHeads);

  double scale = nc.getFloat("scale", 1.0f / std::sqrt(float(headSize)));
  if (!nc.attr("scale"))
    scale = 1.0 / std::sqrt(double(headSize));
  double softcap = nc.getFloat("softcap", 0.0f);
  bool causal = nc.getInt("is_causal", 0) != 0;

  // scores[b, h, i, j] = sum_d q[b, h, i, d] k[b, h, j, d]
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto scoresType = RankedTensorType::get({batch, qHeads, qLen, total}, f32);
  Value scores = buildBatchedContraction(b, loc, q, kr, scoresType,
                                         {d(0), d(1), d(2), d(4)},
                                         {d(0), d(1), d(3), d(4)});

  // Scale, softcap, causal mask and the attention mask, in one pass.
  SmallVector<Value> biasInputs = {scores};
  Value mask;
  if (nc.hasInput(3)) {
    mask = nc.input(3);
    auto mt = nc.inputType(3);
    if (mt.getRank() < 2 || mt.getRank() > 4 ||
        mt.getDimSize(mt.getRank() - 2) != qLen ||
        mt.getDimSize(mt.getRank() - 1) > total ||
        !(mt.getElementType().isF32() || mt.getElementType().isInteger(1)))
      return nc.error() << "attn_mask " << mt << " must be f32 or bool, "
                        << "broadcastable to [" << batch << ", " << qHeads
                        << ", " << qLen << ", " << total << "]";
    // A mask shorter than the keys masks the rest out (-inf / false).
    int64_t pad = total - mt.getDimSize(mt.getRank() - 1);
    if (pad > 0) {
      SmallVector<int64_t> shape(mt.getShape());
      shape.back() = total;
      auto paddedType = RankedTensorType::get(shape, mt.getElementType());
      TypedAttr fill = mt.getElementType().isF32()
                           ? TypedAttr(b.getF32FloatAttr(
                                 -std::numeric_limits<float>::infinity()))
                           : TypedAttr(b.getBoolAttr(false));
      Value padded = buildFilled(b, loc, paddedType, fill);
      SmallVector<OpFoldResult> offsets(mt.getRank(), b.getIndexAttr(0)),
          strides(mt.getRank(), b.getIndexAttr(1));
      SmallVector<OpFoldResult> sizes =
          llvm::map_to_vector(mt.getShape(), [&](int64_t s) -> OpFoldResult {
            return b.getIndexAttr(s);
          });
      mask = tensor::InsertSliceOp::create(b, loc, mask, padded, offsets, sizes,
                                           strides);
    }
    biasInputs.push_back(mask);
  }
  bool boolMask =
      mask &&
      cast<RankedTensorType>(mask.getType()).getElementType().isInteger(1);
  FailureOr<Value> biased = broadcastElementwise(
      nc, biasInputs, f32,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value s = arith::MulFOp::create(nb, l, a[0],
                                        scalarConstant(nb, l, f32, scale));
        if (softcap > 0) {
          Value c = scalarConstant(nb, l, f32, softcap);
          s = arith::MulFOp::create(
              nb, l,
              math::TanhOp::create(nb, l, arith::DivFOp::create(nb, l, s, c)),
              c);
        }
        Value ninf = scalarConstant(nb, l, f32,
                                    -std::numeric_limits<double>::infinity());
        if (a.size() > 1)
          s = boolMask ? Value(arith::SelectOp::create(nb, l, a[1], s, ninf))
                       : Value(arith::AddFOp::create(nb, l, s, a[1]));
        if (causal) {
          // Key j is visible to query i when j <= i + past.
          Value i = linalg::IndexOp::create(nb, l, 2);
          Value j = linalg::IndexOp::create(nb, l, 3);
          Value limit = arith::AddIOp::create(
              nb, l, i, arith::ConstantIndexOp::create(nb, l, past));
          Value hidden =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ugt, j, limit);
          s = arith::SelectOp::create(nb, l, hidden, ninf, s);
        }
        return s;
      });
  if (failed(biased))
    return failure();
  if (cast<RankedTensorType>(biased->getType()).getShape() !=
      scoresType.getShape())
    return nc.error() << "attn_mask does not broadcast to the scores "
                      << scoresType;

  // Softmax over the keys. A row whose keys are all masked out gives zeros,
  // as ONNX's reference does, not the NaN of exp(-inf - -inf) / 0.
  Value max = reduce(b, loc, *biased, {3},
                     b.getF32FloatAttr(-std::numeric_limits<float>::infinity()),
                     true, [](OpBuilder &nb, Location l, Value x, Value acc) {
                       return Value(arith::MaximumFOp::create(nb, l, x, acc));
                     });
  Value e =
      buildElementwise(b, loc, ValueRange{*biased, max}, scoresType,
                       [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         Value ninf = scalarConstant(
                             nb, l, nb.getF32Type(),
                             -std::numeric_limits<double>::infinity());
                         // A row maximum of -inf means every score of the
                         // row is -inf: subtract 0 so that exp gives 0.
                         Value allMasked = arith::CmpFOp::create(
                             nb, l, arith::CmpFPredicate::OEQ, a[1], ninf);
                         Value m = arith::SelectOp::create(
                             nb, l, allMasked,
                             scalarConstant(nb, l, nb.getF32Type(), 0.0), a[1]);
                         return math::ExpOp::create(
                             nb, l, arith::SubFOp::create(nb, l, a[0], m));
                       });
  Value sum = reduce(b, loc, e, {3}, b.getF32FloatAttr(0), true, addF);
  Value p =
      buildElementwise(b, loc, ValueRange{e, sum}, scoresType,
                       [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         Value zero =
                             scalarConstant(nb, l, nb.getF32Type(), 0.0);
                         Value empty = arith::CmpFOp::create(
                             nb, l, arith::CmpFPredicate::OEQ, a[1], zero);
                         return arith::SelectOp::create(
                             nb, l, empty, zero,
                             arith::DivFOp::create(nb, l, a[0], a[1]));
                       });

  // y[b, h, i, e] = sum_j p[b, h, i, j] v[b, h, j, e]
  int64_t vHead = vt.getDimSize(3);
  auto yType = RankedTensorType::get({batch, qHeads, qLen, vHead}, f32);
  Value y = buildBatchedContraction(
      b, loc, p, vr, yType, {d(0), d(1), d(2), d(4)}, {d(0), d(1), d(4), d(3)});
  if (rank == 3) {
    auto t = RankedTensorType::get({batch, qLen, qHeads, vHead}, f32);
    y = buildRemap(b, loc, y, t, {d(0), d(2), d(1), d(3)});
    y = reshapeTo(b, loc, y, {batch, qLen, qHeads * vHead});
  }
  nc.setOutput(0, y);
  return success();
}

} // namespace

void mlir::qc::addTransformerOps(OpTable &table) {
  table["RMSNormalization"] = importRMSNorm;
  table["RotaryEmbedding"] = importRotaryEmbedding;
  table["Attention"] = importAttention;
}
