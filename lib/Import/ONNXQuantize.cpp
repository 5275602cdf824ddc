//===- ONNXQuantize.cpp - Linear quantization ops -------------------------===//
//
// Linear (de)quantization with per-tensor, per-axis and blocked scales, and
// integer matrix products (plain and requantized), as element-wise
// linalg.generic ops. uint* tensors have unsigned element types; scalar bodies
// compute on their signless view.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Traits.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

/// linalg.generic over same-or-broadcast `inputs` with signless scalars in
/// `body`, of element type `elementType` and shape `shape`.
Value mapElements(OpBuilder &b, Location loc, ValueRange inputs,
                  ArrayRef<int64_t> shape, Type elementType,
                  ScalarBodyFn body) {
  return buildSignlessElementwise(
      b, loc, inputs, RankedTensorType::get(shape, elementType), body);
}

/// Integer scalar `v` (signless, ONNX type `from`) as float `to`.
Value intToFloat(OpBuilder &b, Location loc, Value v, Type from, Type to) {
  if (from.isUnsignedInteger())
    return arith::UIToFPOp::create(b, loc, to, v);
  return arith::SIToFPOp::create(b, loc, to, v);
}

/// Float scalar `v` converted to float type `to`.
Value floatToFloat(OpBuilder &b, Location loc, Value v, Type to) {
  unsigned from = v.getType().getIntOrFloatBitWidth();
  unsigned width = to.getIntOrFloatBitWidth();
  if (v.getType() == to)
    return v;
  return from < width ? Value(arith::ExtFOp::create(b, loc, to, v))
                      : Value(arith::TruncFOp::create(b, loc, to, v));
}

/// Names the unsupported sub-byte and float8 ONNX types in errors.
const char *unsupportedQuantType(int64_t onnxType) {
  switch (onnxType) {
  case 17: // FLOAT8E4M3FN
  case 18: // FLOAT8E4M3FNUZ
  case 19: // FLOAT8E5M2
  case 20: // FLOAT8E5M2FNUZ
  case 24: // FLOAT8E8M0
    return "float8";
  case 23:
    return "float4e2m1";
  case 21:
  case 22:
    return "4-bit integer";
  case 25:
  case 26:
    return "2-bit integer";
  default:
    return nullptr;
  }
}

/// int8, uint8, int16 or uint16.
bool isQuantType(Type t) { return t.isInteger(8) || t.isInteger(16); }

/// Scale or zero point `v` (named `what`) of `x` expanded to x's shape by
/// the ONNX granularity rules: one element (per tensor), a 1-D tensor along
/// `axis` (per axis), or x's rank with `axis` divided in blocks of
/// `blockSize` (blocked). The expansion is a view that fuses into its user.
FailureOr<Value> expandParam(NodeContext &nc, Value v, StringRef what,
                             RankedTensorType xType, int64_t axisAttr,
                             int64_t blockSize) {
  MLIRContext *ctx = nc.b.getContext();
  auto type = cast<RankedTensorType>(v.getType());
  int64_t rank = xType.getRank();
  SmallVector<AffineExpr> indices;
  if (blockSize < 0)
    return nc.error() << "block_size must not be negative, got " << blockSize;
  if (type.getNumElements() == 1 && blockSize == 0) {
    indices.assign(type.getRank(), getAffineConstantExpr(0, ctx));
  } else {
    FailureOr<int64_t> axis = normalizeAxis(nc, axisAttr, rank);
    if (failed(axis))
      return failure();
    int64_t dim = xType.getDimSize(*axis);
    if (blockSize == 0) {
      if (type.getRank() != 1 || type.getDimSize(0) != dim)
        return nc.error() << what << " " << type << " must be a scalar or "
                          << "have " << dim << " elements (dimension " << *axis
                          << " of " << xType << ")";
      indices.push_back(getAffineDimExpr(*axis, ctx));
    } else {
      if (nc.opset < 21)
        return nc.error() << "block_size needs opset 21 or newer";
      bool ok = type.getRank() == rank;
      for (int64_t d = 0; ok && d < rank; ++d)
        ok = d == *axis ? type.getDimSize(d) ==
                              int64_t(llvm::divideCeil(dim, blockSize))
                        : type.getDimSize(d) == xType.getDimSize(d);
      if (!ok)
        return nc.error() << what << " " << type << " does not match " << xType
                          << " in blocks of " << blockSize << " along axis "
                          << *axis;
      for (int64_t d = 0; d < rank; ++d)
        indices.push_back(d == *axis
                              ? getAffineDimExpr(d, ctx).floorDiv(blockSize)
                              : getAffineDimExpr(d, ctx));
    }
  }
  return buildRemap(
      nc.b, nc.loc, v,
      RankedTensorType::get(xType.getShape(), type.getElementType()), indices);
}

/// Input 0 (x) followed by inputs 1 (`scaleName`) and, when present, 2
/// (`zeroPointName`), expanded to x's shape by the node's axis and
/// block_size.
FailureOr<SmallVector<Value>> withExpandedParams(NodeContext &nc,
                                                 RankedTensorType xType,
                                                 StringRef scaleName,
                                                 StringRef zeroPointName) {
  int64_t axis = nc.getInt("axis", 1), blockSize = nc.getInt("block_size", 0);
  SmallVector<Value> inputs = {nc.input(0)};
  for (unsigned i = 1; i <= 2; ++i) {
    if (!nc.hasInput(i))
      continue;
    FailureOr<Value> v =
        expandParam(nc, nc.input(i), i == 1 ? scaleName : zeroPointName, xType,
                    axis, blockSize);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  return inputs;
}

/// Checks that a zero point has the scale's shape.
LogicalResult checkZeroPointShape(NodeContext &nc, unsigned scaleInput,
                                  unsigned zpInput) {
  if (!nc.hasInput(zpInput))
    return success();
  if (nc.inputType(scaleInput).getShape() != nc.inputType(zpInput).getShape())
    return nc.error() << "zero point " << nc.inputType(zpInput) << " and scale "
                      << nc.inputType(scaleInput) << " differ in shape";
  return success();
}

/// The float type named by integer attribute `name`, or `dflt` if absent.
FailureOr<Type> floatTypeAttr(NodeContext &nc, StringRef name, Type dflt) {
  if (!nc.attr(name) || nc.getInt(name, 0) == 0)
    return dflt;
  Type t = getTypeOfONNXType(nc.b.getContext(), nc.getInt(name, 0));
  if (!t || !isFloat(t))
    return nc.error() << name << " " << nc.getInt(name, 0)
                      << " is not a supported float type";
  return t;
}

LogicalResult importQuantizeLinear(NodeContext &nc) {
  if (nc.numInputs() < 2)
    return nc.error() << "expects x and y_scale";
  MLIRContext *ctx = nc.b.getContext();
  RankedTensorType xType = nc.inputType(0);
  Type xe = xType.getElementType(), se = nc.inputType(1).getElementType();
  if (!isFloat(xe) && !xe.isSignlessInteger(32))
    return nc.error() << "x has element type " << xe
                      << "; a float or int32 is required";
  if (!isFloat(se))
    return nc.error() << "y_scale has element type " << se
                      << "; a float type is required";
  // The quantized type: the zero point's, else output_dtype, else uint8.
  Type qe = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  if (nc.attr("output_dtype") && nc.getInt("output_dtype", 0) != 0) {
    int64_t code = nc.getInt("output_dtype", 0);
    if (const char *kind = unsupportedQuantType(code))
      return nc.error() << "output_dtype " << code << " is a " << kind
                        << " type, which is not supported (int8, uint8, "
                           "int16 and uint16 are)";
    qe = getTypeOfONNXType(ctx, code);
    if (!qe || !isQuantType(qe))
      return nc.error() << "output_dtype " << code
                        << " is not a quantized type (int8, uint8, int16 or "
                           "uint16)";
  }
  if (nc.hasInput(2)) {
    Type ze = nc.inputType(2).getElementType();
    if (!isQuantType(ze))
      return nc.error() << "y_zero_point has element type " << ze
                        << "; int8, uint8, int16 or uint16 is required";
    if (nc.attr("output_dtype") && nc.getInt("output_dtype", 0) != 0 &&
        ze != qe)
      return nc.error() << "y_zero_point has element type " << ze
                        << " but output_dtype asks for " << qe;
    qe = ze;
  }
  if (failed(checkZeroPointShape(nc, 1, 2)))
    return failure();
  // numpy divides in the promoted type: int32 x makes it float64.
  Type divType = !isFloat(xe) ? Float64Type::get(ctx)
                 : xe.getIntOrFloatBitWidth() >= se.getIntOrFloatBitWidth()
                     ? xe
                     : se;
  FailureOr<Type> precision = floatTypeAttr(nc, "precision", divType);
  if (failed(precision))
    return failure();
  divType = *precision;
  FailureOr<SmallVector<Value>> operands =
      withExpandedParams(nc, xType, "y_scale", "y_zero_point");
  if (failed(operands))
    return failure();
  SmallVector<Value> inputs = std::move(*operands);
  bool hasZeroPoint = nc.hasInput(2);
  unsigned width = qe.getIntOrFloatBitWidth();
  bool isU = qe.isUnsignedInteger();
  double qmin = isU ? 0 : -std::ldexp(1.0, width - 1);
  double qmax =
      isU ? std::ldexp(1.0, width) - 1 : std::ldexp(1.0, width - 1) - 1;
  // Integers up to 16 bits plus the zero point are exact in f32.
  Type accType = divType.isF64() ? divType : Float32Type::get(ctx);
  Value out = mapElements(
      nc.b, nc.loc, inputs, xType.getShape(), qe,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = isFloat(xe) ? floatToFloat(b, loc, args[0], divType)
                              : intToFloat(b, loc, args[0], xe, divType);
        Value s = floatToFloat(b, loc, args[1], divType);
        Value q = math::RoundEvenOp::create(
            b, loc, arith::DivFOp::create(b, loc, x, s));
        q = floatToFloat(b, loc, q, accType);
        if (hasZeroPoint)
          q = arith::AddFOp::create(b, loc, q,
                                    intToFloat(b, loc, args[2], qe, accType));
        // maxnumf maps NaN to qmin, like numpy's int conversion then clip.
        q = arith::MaxNumFOp::create(b, loc, q,
                                     scalarConstant(b, loc, accType, qmin));
        q = arith::MinNumFOp::create(b, loc, q,
                                     scalarConstant(b, loc, accType, qmax));
        Value i32 = arith::FPToSIOp::create(b, loc, b.getI32Type(), q);
        return arith::TruncIOp::create(b, loc, getSignlessType(qe), i32);
      });
  nc.setOutput(0, out);
  return success();
}

LogicalResult importDequantizeLinear(NodeContext &nc) {
  if (nc.numInputs() < 2)
    return nc.error() << "expects x and x_scale";
  MLIRContext *ctx = nc.b.getContext();
  RankedTensorType xType = nc.inputType(0);
  Type xe = xType.getElementType(), se = nc.inputType(1).getElementType();
  if (!isQuantType(xe) && !xe.isSignlessInteger(32))
    return nc.error() << "x has element type " << xe
                      << "; int8, uint8, int16, uint16 or int32 is required";
  if (!isFloat(se))
    return nc.error() << "x_scale has element type " << se
                      << "; a float type is required";
  if (nc.hasInput(2) && nc.inputType(2).getElementType() != xe)
    return nc.error() << "x_zero_point has element type "
                      << nc.inputType(2).getElementType() << " but x has "
                      << xe;
  if (failed(checkZeroPointShape(nc, 1, 2)))
    return failure();
  FailureOr<Type> outType = floatTypeAttr(nc, "output_dtype", se);
  if (failed(outType))
    return failure();
  FailureOr<SmallVector<Value>> operands =
      withExpandedParams(nc, xType, "x_scale", "x_zero_point");
  if (failed(operands))
    return failure();
  SmallVector<Value> inputs = std::move(*operands);
  bool hasZeroPoint = nc.hasInput(2);
  // numpy: x.astype(float32) - zero point, times the scale (promoted).
  Type computeType = se.isF64() ? se : Float32Type::get(ctx);
  Value out = mapElements(
      nc.b, nc.loc, inputs, xType.getShape(), *outType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = intToFloat(b, loc, args[0], xe, computeType);
        if (hasZeroPoint)
          x = arith::SubFOp::create(
              b, loc, x, intToFloat(b, loc, args[2], xe, computeType));
        Value y = arith::MulFOp::create(
            b, loc, x, floatToFloat(b, loc, args[1], computeType));
        return floatToFloat(b, loc, y, *outType);
      });
  nc.setOutput(0, out);
  return success();
}

/// MatMulInteger operand `v` minus its zero point (input `zp`), as i32.
FailureOr<Value> centered(NodeContext &nc, Value v, unsigned zp, bool perRow) {
  auto type = cast<RankedTensorType>(v.getType());
  Type et = type.getElementType();
  SmallVector<Value> inputs = {v};
  if (nc.hasInput(zp)) {
    Value z = nc.input(zp);
    auto zType = cast<RankedTensorType>(z.getType());
    if (zType.getElementType() != et)
      return nc.error() << "zero point " << zType << " and its input " << type
                        << " differ in element type";
    // A vector of per-row zero points of A lines up with A's rows.
    if (perRow && zType.getRank() == 1 && zType.getNumElements() != 1)
      z = reshapeTo(nc.b, nc.loc, z, {zType.getDimSize(0), 1});
    auto zShape = cast<RankedTensorType>(z.getType()).getShape();
    SmallVector<int64_t> merged;
    if (!OpTrait::util::getBroadcastedShape(type.getShape(), zShape, merged) ||
        merged != type.getShape())
      return nc.error() << "zero point " << zType << " does not broadcast to "
                        << type;
    inputs.push_back(z);
  }
  return mapElements(nc.b, nc.loc, inputs, type.getShape(), nc.b.getI32Type(),
                     [&](OpBuilder &b, Location loc, ValueRange args) {
                       Type i32 = b.getI32Type();
                       auto widen = [&](Value x) -> Value {
                         if (et.isUnsignedInteger())
                           return arith::ExtUIOp::create(b, loc, i32, x);
                         return arith::ExtSIOp::create(b, loc, i32, x);
                       };
                       Value x = widen(args[0]);
                       if (args.size() > 1)
                         x = arith::SubIOp::create(b, loc, x, widen(args[1]));
                       return x;
                     });
}

/// The int32 product (numpy matmul rules) of (u)int8 inputs `ai` and `bi`
/// minus their zero points (inputs `azp`, `bzp`, optional).
FailureOr<Value> integerMatMul(NodeContext &nc, unsigned ai, unsigned azp,
                               unsigned bi, unsigned bzp) {
  MLIRContext *ctx = nc.b.getContext();
  for (unsigned i : {ai, bi}) {
    Type et = nc.inputType(i).getElementType();
    if (!et.isInteger(8))
      return nc.error() << (i == ai ? "A" : "B") << " has element type " << et
                        << "; int8 or uint8 is required";
  }
  Value a = nc.input(ai), b = nc.input(bi);
  RankedTensorType aType = nc.inputType(ai), bType = nc.inputType(bi);
  if (aType.getRank() == 0 || bType.getRank() == 0)
    return nc.error() << "A and B must have a rank of at least 1";
  // numpy matmul: a 1-D A is a row, a 1-D B a column (dropped afterwards).
  bool aVector = aType.getRank() == 1, bVector = bType.getRank() == 1;
  if (aVector)
    a = reshapeTo(nc.b, nc.loc, a, {1, aType.getDimSize(0)});
  if (bVector)
    b = reshapeTo(nc.b, nc.loc, b, {bType.getDimSize(0), 1});
  auto aShape = cast<RankedTensorType>(a.getType()).getShape();
  auto bShape = cast<RankedTensorType>(b.getType()).getShape();
  int64_t m = aShape[aShape.size() - 2], k = aShape.back();
  int64_t n = bShape.back();
  if (bShape[bShape.size() - 2] != k)
    return nc.error() << "A " << aType << " and B " << bType
                      << " disagree on K";
  SmallVector<int64_t> batch;
  if (!OpTrait::util::getBroadcastedShape(aShape.drop_back(2),
                                          bShape.drop_back(2), batch))
    return nc.error() << "batch dimensions of A " << aType << " and B " << bType
                      << " do not broadcast";
  FailureOr<Value> a32 = centered(nc, a, azp, /*perRow=*/true);
  if (failed(a32))
    return failure();
  FailureOr<Value> b32 = centered(nc, b, bzp, /*perRow=*/false);
  if (failed(b32))
    return failure();

  // out[batch..., m, n] = sum_k a[batch..., m, k] * b[batch..., k, n].
  int64_t nb = batch.size();
  unsigned loops = nb + 3;
  AffineExpr dm = getAffineDimExpr(nb, ctx), dn = getAffineDimExpr(nb + 1, ctx),
             dk = getAffineDimExpr(nb + 2, ctx);
  auto operandMap = [&](ArrayRef<int64_t> shape, AffineExpr r, AffineExpr c) {
    SmallVector<AffineExpr> exprs;
    int64_t offset = nb - int64_t(shape.size() - 2);
    for (int64_t d = 0; d < int64_t(shape.size()) - 2; ++d)
      exprs.push_back(shape[d] == 1 && batch[offset + d] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(offset + d, ctx));
    exprs.append({r, c});
    return AffineMap::get(loops, 0, exprs, ctx);
  };
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < nb; ++d)
    outExprs.push_back(getAffineDimExpr(d, ctx));
  outExprs.append({dm, dn});
  SmallVector<AffineMap> maps = {operandMap(aShape, dm, dk),
                                 operandMap(bShape, dk, dn),
                                 AffineMap::get(loops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(loops,
                                             utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  SmallVector<int64_t> outShape(batch);
  outShape.append({m, n});
  auto outType = RankedTensorType::get(outShape, nc.b.getI32Type());
  Value init = buildFilled(nc.b, nc.loc, outType, nc.b.getI32IntegerAttr(0));
  Value out = linalg::GenericOp::create(
                  nc.b, nc.loc, TypeRange{outType}, ValueRange{*a32, *b32},
                  ValueRange{init}, maps, iterators,
                  [](OpBuilder &nb, Location l, ValueRange args) {
                    Value p = arith::MulIOp::create(nb, l, args[0], args[1]);
                    Value sum = arith::AddIOp::create(nb, l, args[2], p);
                    linalg::YieldOp::create(nb, l, sum);
                  })
                  .getResult(0);
  if (aVector || bVector) {
    SmallVector<int64_t> shape(batch);
    if (!aVector)
      shape.push_back(m);
    if (!bVector)
      shape.push_back(n);
    out = reshapeTo(nc.b, nc.loc, out, shape);
  }
  return out;
}

LogicalResult importMatMulInteger(NodeContext &nc) {
  if (nc.numInputs() < 2)
    return nc.error() << "expects A and B";
  FailureOr<Value> out = integerMatMul(nc, 0, 2, 1, 3);
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  return success();
}

/// QLinearMatMul: the int32 product requantized with scale
/// a_scale * b_scale / y_scale (computed in the scales' type, as numpy
/// does) and y_zero_point.
LogicalResult importQLinearMatMul(NodeContext &nc) {
  if (nc.numInputs() != 8)
    return nc.error() << "expects 8 inputs";
  Type st = nc.inputType(1).getElementType();
  for (unsigned i : {1u, 4u, 6u}) {
    Type t = nc.inputType(i).getElementType();
    if (!isFloat(t) || t != st)
      return nc.error() << "scales must share one float type, got " << st
                        << " and " << t;
  }
  Type qe = nc.inputType(7).getElementType();
  if (!qe.isInteger(8))
    return nc.error() << "y_zero_point has element type " << qe
                      << "; int8 or uint8 is required";
  FailureOr<Value> c = integerMatMul(nc, 0, 2, 3, 5);
  if (failed(c))
    return failure();
  auto cType = cast<RankedTensorType>(c->getType());
  // Per-row a_scale lines up with C's rows, per-column b_scale with its
  // columns; y_scale and y_zero_point are per tensor.
  Value aScale = nc.input(1);
  auto aScaleType = nc.inputType(1);
  if (aScaleType.getRank() == 1 && aScaleType.getNumElements() != 1)
    aScale = reshapeTo(nc.b, nc.loc, aScale, {aScaleType.getDimSize(0), 1});
  SmallVector<Value> inputs = {*c, aScale, nc.input(4), nc.input(6),
                               nc.input(7)};
  for (Value v : ArrayRef<Value>(inputs).drop_front()) {
    SmallVector<int64_t> merged;
    if (!OpTrait::util::getBroadcastedShape(
            cType.getShape(), cast<RankedTensorType>(v.getType()).getShape(),
            merged) ||
        merged != cType.getShape())
      return nc.error() << "scale or zero point " << v.getType()
                        << " does not broadcast to the product " << cType;
  }
  unsigned width = 8;
  bool isU = qe.isUnsignedInteger();
  double qmin = isU ? 0 : -std::ldexp(1.0, width - 1);
  double qmax =
      isU ? std::ldexp(1.0, width) - 1 : std::ldexp(1.0, width - 1) - 1;
  Value out = mapElements(
      nc.b, nc.loc, inputs, cType.getShape(), qe,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Type f64 = b.getF64Type();
        Value scale = arith::DivFOp::create(
            b, loc, arith::MulFOp::create(b, loc, args[1], args[2]), args[3]);
        Value d = arith::MulFOp::create(
            b, loc, arith::SIToFPOp::create(b, loc, f64, args[0]),
            floatToFloat(b, loc, scale, f64));
        d = arith::AddFOp::create(b, loc, d,
                                  intToFloat(b, loc, args[4], qe, f64));
        d = math::RoundEvenOp::create(b, loc, d);
        d = arith::MaxNumFOp::create(b, loc, d,
                                     scalarConstant(b, loc, f64, qmin));
        d = arith::MinNumFOp::create(b, loc, d,
                                     scalarConstant(b, loc, f64, qmax));
        Value i32 = arith::FPToSIOp::create(b, loc, b.getI32Type(), d);
        return arith::TruncIOp::create(b, loc, getSignlessType(qe), i32);
      });
  nc.setOutput(0, out);
  return success();
}

/// The minimum (or maximum) of 0 and all elements of float tensor `x`, as
/// a rank-0 tensor.
Value reduceWithZero(NodeContext &nc, Value x, bool isMax) {
  MLIRContext *ctx = nc.b.getContext();
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  auto outType = RankedTensorType::get({}, type.getElementType());
  Value init = buildFilled(nc.b, nc.loc, outType,
                           nc.b.getFloatAttr(type.getElementType(), 0));
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, {}, ctx)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             nc.b, nc.loc, TypeRange{outType}, ValueRange{x}, ValueRange{init},
             maps, iterators,
             [&](OpBuilder &b, Location l, ValueRange args) {
               Value r = isMax ? Value(arith::MaximumFOp::create(b, l, args[0],
                                                                 args[1]))
                               : Value(arith::MinimumFOp::create(b, l, args[0],
                                                                 args[1]));
               linalg::YieldOp::create(b, l, r);
             })
      .getResult(0);
}

/// DynamicQuantizeLinear: uint8 quantization with a scale and zero point
/// computed from the range of x (widened to hold 0).
LogicalResult importDynamicQuantizeLinear(NodeContext &nc) {
  RankedTensorType xType = nc.inputType(0);
  if (!xType.getElementType().isF32())
    return nc.error() << "x has element type " << xType.getElementType()
                      << "; f32 is required";
  Type f32 = nc.b.getF32Type();
  Type u8 = IntegerType::get(nc.b.getContext(), 8, IntegerType::Unsigned);
  auto scalarF32 = RankedTensorType::get({}, f32);
  Value lo = reduceWithZero(nc, nc.input(0), /*isMax=*/false);
  Value hi = reduceWithZero(nc, nc.input(0), /*isMax=*/true);
  auto clampRound = [](OpBuilder &b, Location loc, Value v) -> Value {
    v = arith::MaxNumFOp::create(b, loc, v,
                                 scalarConstant(b, loc, v.getType(), 0));
    v = arith::MinNumFOp::create(b, loc, v,
                                 scalarConstant(b, loc, v.getType(), 255));
    return math::RoundEvenOp::create(b, loc, v);
  };
  // An all-zero x has an empty range: the scale is then 1, not 0.
  Value scale = buildElementwise(
      nc.b, nc.loc, {lo, hi}, scalarF32,
      [](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value range = arith::SubFOp::create(b, loc, args[1], args[0]);
        Value empty =
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, range,
                                  scalarConstant(b, loc, range.getType(), 0));
        Value s = arith::DivFOp::create(
            b, loc, range, scalarConstant(b, loc, range.getType(), 255));
        return arith::SelectOp::create(
            b, loc, empty, scalarConstant(b, loc, range.getType(), 1), s);
      });
  Value zeroPoint = buildElementwise(
      nc.b, nc.loc, {lo, scale}, scalarF32,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        return clampRound(
            b, loc,
            arith::NegFOp::create(
                b, loc, arith::DivFOp::create(b, loc, args[0], args[1])));
      });
  auto toU8 = [&](OpBuilder &b, Location loc, Value v) -> Value {
    return reinterpretScalar(
        b, loc, arith::FPToUIOp::create(b, loc, b.getI8Type(), v), u8);
  };
  Value y = buildElementwise(
      nc.b, nc.loc, {nc.input(0), scale, zeroPoint},
      RankedTensorType::get(xType.getShape(), u8),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value q = math::RoundEvenOp::create(
            b, loc, arith::DivFOp::create(b, loc, args[0], args[1]));
        q = arith::AddFOp::create(b, loc, q, args[2]);
        return toU8(b, loc, clampRound(b, loc, q));
      });
  nc.setOutput(0, y);
  if (nc.node.output_size() > 1 && !nc.node.output(1).empty())
    nc.setOutput(1, scale);
  if (nc.node.output_size() > 2 && !nc.node.output(2).empty())
    nc.setOutput(2, buildElementwise(
                        nc.b, nc.loc, zeroPoint, RankedTensorType::get({}, u8),
                        [&](OpBuilder &b, Location loc, ValueRange args) {
                          return toU8(b, loc, args[0]);
                        }));
  return success();
}

} // namespace

void mlir::qc::addQuantizeOps(OpTable &table) {
  table["QuantizeLinear"] = importQuantizeLinear;
  table["DequantizeLinear"] = importDequantizeLinear;
  table["MatMulInteger"] = importMatMulInteger;
  table["QLinearMatMul"] = importQLinearMatMul;
  table["DynamicQuantizeLinear"] = importDynamicQuantizeLinear;
}
