//===- GemvSupport.cpp - Matching and input preparation for the GEMV ------===//

#include "passes/Conversion/QCToLinalg/Gemv.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::lowering;

/// The schedule's preconditions; failure leaves the layer to the general
/// lowering (which handles every layout and shape).
FailureOr<GemvShape>
mlir::qc::lowering::matchGemv(LinearOp op, const GemvScheduleOptions &opts) {
  auto inputType = op.getInput().getType();
  auto resultType = op.getResult().getType();
  if (!inputType.hasStaticShape() || !resultType.hasStaticShape() ||
      !inputType.getElementType().isF32() || opts.lanes < 4)
    return failure();
  GemvShape s;
  s.k = inputType.getShape().back();
  s.n = resultType.getShape().back();
  if (s.k == 0 || s.n == 0)
    return failure();
  s.m = inputType.getNumElements() / s.k;
  if (s.m < 1 || s.m > opts.maxBatch)
    return failure();
  // Bytes (or f32 elements) per vector load along a row: the largest power
  // of two up to the target's lanes that tiles a group.
  auto fitLanes = [&](int64_t extent) -> int64_t {
    for (int64_t v = opts.lanes; v >= 4; v /= 2)
      if (extent % v == 0)
        return v;
    return 0;
  };
  if (auto weightType = dyn_cast<RankedTensorType>(op.getWeight().getType())) {
    if (!weightType.getElementType().isF32() || weightType.getRank() != 2)
      return failure();
    s.lanes = fitLanes(s.k);
  } else {
    auto qtype = cast<QWeightType>(op.getWeight().getType());
    LayoutAttr layout = qtype.getAffineLayout();
    s.def = op.getWeight().getDefiningOp<QuantizedWeightOp>();
    if (!layout || !s.def || s.def.getGroupIndex() ||
        qtype.getShape().size() != 2)
      return failure();
    s.bits = layout.getBits();
    if (8 % s.bits != 0)
      return failure(); // 3/5/6/7-bit codes straddle bytes.
    s.phases = 8 / s.bits;
    s.groupLength = layout.getGroupLength(s.k);
    if (s.k % s.groupLength != 0 || s.groupLength % s.phases != 0)
      return failure();
    s.groups = s.k / s.groupLength;
    s.lanes = fitLanes(s.groupLength / s.phases);
  }
  if (s.lanes == 0)
    return failure();
  if (opts.actBits == 8 && s.def) {
    // One activation scale per block: the weight group when it is short,
    // else the longest of 256..32 dividing it (per-channel rows).
    for (int64_t block :
         {s.groupLength, int64_t(256), int64_t(128), int64_t(64), int64_t(32)})
      if (block <= 256 && s.groupLength % block == 0 && block % s.phases == 0) {
        s.actBlock = block;
        break;
      }
    // A dot-product vector covers 4 bytes per i32 lane.
    for (int64_t v = s.lanes; v >= 4 && s.actBlock; v /= 2)
      if ((s.actBlock / s.phases) % (4 * v) == 0) {
        s.dotLanes = v;
        break;
      }
  }
  // R rows x M inputs accumulators (two sets when quantized) in registers.
  s.rowsPerTask = pickTileRows(s.n, s.m <= 2 ? 4 : 2);
  return s;
}

Value mlir::qc::lowering::constIndex(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// Reshapes `value` between [..., d] and the matrix [prod(...), d] (one of
/// the two is `type`); rank 1 is [1, d].
Value mlir::qc::lowering::reshapeToOrFromMatrix(OpBuilder &b, Location loc,
                                                Value value,
                                                RankedTensorType type) {
  auto from = cast<RankedTensorType>(value.getType());
  if (from == type)
    return value;
  bool collapse = from.getRank() > type.getRank();
  int64_t rank = std::max(from.getRank(), type.getRank());
  // [a, b, ..., d] <-> [a*b*..., d]; [d] <-> [1, d] is one group of both.
  SmallVector<ReassociationIndices> groups;
  if (std::min(from.getRank(), type.getRank()) == 1) {
    groups = {{0, 1}};
  } else {
    groups.resize(2);
    for (int64_t d = 0; d + 1 < rank; ++d)
      groups[0].push_back(d);
    groups[1].push_back(rank - 1);
  }
  if (collapse)
    return tensor::CollapseShapeOp::create(b, loc, type, value, groups);
  return tensor::ExpandShapeOp::create(b, loc, type, value, groups);
}

Value mlir::qc::lowering::splitRow(OpBuilder &b, Location loc, Value x,
                                   int64_t inner) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t m = type.getShape()[0], k = type.getShape()[1];
  return tensor::ExpandShapeOp::create(
      b, loc,
      RankedTensorType::get({m, k / inner, inner}, type.getElementType()), x,
      ArrayRef<ReassociationIndices>{{0}, {1, 2}});
}

Value mlir::qc::lowering::splitPhases(OpBuilder &b, Location loc, Value x,
                                      int64_t phases) {
  if (phases == 1)
    return x;
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t m = type.getShape()[0], k = type.getShape()[1];
  AffineExpr dm = getAffineDimExpr(0, ctx), dj = getAffineDimExpr(1, ctx),
             di = getAffineDimExpr(2, ctx);
  auto outType =
      RankedTensorType::get({m, phases, k / phases}, type.getElementType());
  return linalg::GenericOp::create(
             b, loc, TypeRange{outType},
             ValueRange{splitRow(b, loc, x, phases)},
             ValueRange{tensor::EmptyOp::create(b, loc, outType.getShape(),
                                                type.getElementType())},
             {AffineMap::get(3, 0, {dm, di, dj}, ctx),
              AffineMap::getMultiDimIdentityMap(3, ctx)},
             SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
             [](OpBuilder &bb, Location l, ValueRange args) {
               linalg::YieldOp::create(bb, l, args[0]);
             })
      .getResult(0);
}

Value mlir::qc::lowering::groupSums(OpBuilder &b, Location loc, Value x,
                                    const GemvShape &s) {
  MLIRContext *ctx = b.getContext();
  AffineExpr dm = getAffineDimExpr(0, ctx), dg = getAffineDimExpr(1, ctx),
             dt = getAffineDimExpr(2, ctx);
  auto type = RankedTensorType::get({s.m, s.groups}, b.getF32Type());
  return linalg::GenericOp::create(
             b, loc, TypeRange{type},
             ValueRange{splitRow(b, loc, x, s.groupLength)},
             ValueRange{buildFilled(b, loc, type, b.getF32FloatAttr(0))},
             {AffineMap::get(3, 0, {dm, dg, dt}, ctx),
              AffineMap::get(3, 0, {dm, dg}, ctx)},
             {utils::IteratorType::parallel, utils::IteratorType::parallel,
              utils::IteratorType::reduction},
             [](OpBuilder &bb, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   bb, l,
                   Value(arith::AddFOp::create(bb, l, args[0], args[1])));
             })
      .getResult(0);
}

Value mlir::qc::lowering::readVector(OpBuilder &b, Location loc, Value source,
                                     ValueRange indices, int64_t lanes) {
  Type element = cast<RankedTensorType>(source.getType()).getElementType();
  SmallVector<bool> inBounds = {true};
  return vector::TransferReadOp::create(
      b, loc, VectorType::get({lanes}, element), source, indices,
      /*padding=*/std::nullopt, ArrayRef<bool>(inBounds));
}

Value mlir::qc::lowering::readScalarAsF32(OpBuilder &b, Location loc,
                                          Value source, Value row, Value g,
                                          bool isUnsigned) {
  Value v = tensor::ExtractOp::create(b, loc, source, ValueRange{row, g});
  Type f32 = b.getF32Type();
  if (isa<IntegerType>(v.getType()))
    return isUnsigned ? Value(arith::UIToFPOp::create(b, loc, f32, v))
                      : Value(arith::SIToFPOp::create(b, loc, f32, v));
  return v.getType() == f32 ? v : Value(arith::ExtFOp::create(b, loc, f32, v));
}

Value mlir::qc::lowering::buildScaledZeroPoint(OpBuilder &b, Location loc,
                                               const GemvShape &s, Value row,
                                               Value g, Value scale) {
  QuantizedWeightOp def = s.def;
  LayoutAttr layout = cast<QWeightType>(def.getType()).getAffineLayout();
  Value zeroPoint;
  if (Value stored = def.getZeroPoints())
    zeroPoint = readScalarAsF32(b, loc, stored, row, g, /*isUnsigned=*/true);
  else if (layout.getSymmetric())
    zeroPoint = arith::ConstantOp::create(
        b, loc, b.getF32FloatAttr(layout.getImplicitZeroPoint()));
  else
    return nullptr;
  return arith::MulFOp::create(b, loc, scale, zeroPoint);
}
