//===- ONNXCastsAndLogic.cpp - Cast, comparison and logic handlers --------===//
//
// Type conversions with ONNX Cast semantics (Cast, CastLike, BitCast),
// comparisons, boolean logic (And, Or, Xor, Not, Where) and bitwise
// integer ops (BitwiseAnd/Or/Xor/Not, BitShift).
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::qc;

Value mlir::qc::castScalar(OpBuilder &b, Location loc, Value v, Type from,
                           Type to) {
  Type target = getSignlessType(to);
  if (from == to)
    return v;
  if (to.isInteger(1)) {
    if (isFloat(from))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                   cst(b, loc, v, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                 cst(b, loc, v, 0));
  }
  bool fromUnsigned = isUnsigned(from) || from.isInteger(1);
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (isFloat(from) && isFloat(to))
    return fw < tw ? Value(arith::ExtFOp::create(b, loc, target, v))
                   : Value(arith::TruncFOp::create(b, loc, target, v));
  if (isFloat(from)) {
    Type i64 = b.getI64Type();
    Value asSigned = arith::FPToSIOp::create(b, loc, i64, v);
    if (isUnsigned(to) && tw == 64) {
      // Only fptoui reaches [2^63, 2^64); below, fptosi wraps negatives.
      Value big = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, v,
                                        cst(b, loc, v, 0x1p63));
      return arith::SelectOp::create(
          b, loc, big, arith::FPToUIOp::create(b, loc, i64, v), asSigned);
    }
    return tw == 64 ? asSigned
                    : Value(arith::TruncIOp::create(b, loc, target, asSigned));
  }
  if (isFloat(to))
    return fromUnsigned ? Value(arith::UIToFPOp::create(b, loc, target, v))
                        : Value(arith::SIToFPOp::create(b, loc, target, v));
  if (fw < tw)
    return fromUnsigned ? Value(arith::ExtUIOp::create(b, loc, target, v))
                        : Value(arith::ExtSIOp::create(b, loc, target, v));
  if (fw > tw)
    return arith::TruncIOp::create(b, loc, target, v);
  return v;
}

LogicalResult
mlir::qc::mapInput(NodeContext &nc, Type to,
                   function_ref<Value(OpBuilder &, Location, Value)> fn) {
  FailureOr<Value> out = broadcastElementwise(
      nc, nc.input(0), to,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        return fn(b, loc, args[0]);
      },
      /*allowUnsigned=*/true);
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  return success();
}

namespace {

template <arith::CmpFPredicate FP, arith::CmpIPredicate IP,
          arith::CmpIPredicate UIP>
LogicalResult compare(NodeContext &nc) {
  if (failed(requireSameTypes(nc)))
    return failure();
  bool isU = unsignedInput(nc);
  return elementwise(
      nc, nc.b.getI1Type(),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        if (isFloat(args[0].getType()))
          return arith::CmpFOp::create(b, loc, FP, args[0], args[1]);
        return arith::CmpIOp::create(b, loc, isU ? UIP : IP, args[0], args[1]);
      });
}

template <typename LogicOp> LogicalResult logical(NodeContext &nc) {
  return elementwise(nc, nullptr,
                     [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                       return LogicOp::create(b, loc, args[0], args[1]);
                     });
}

LogicalResult requireInteger(NodeContext &nc) {
  for (unsigned i = 0; i < nc.numInputs(); ++i) {
    Type t = nc.inputType(i).getElementType();
    if (!isa<IntegerType>(t) || t.isInteger(1))
      return nc.error() << "input " << i << " has element type " << t
                        << "; an integer type is required";
  }
  return requireSameTypes(nc);
}

/// BitwiseAnd / BitwiseOr / BitwiseXor.
template <typename LogicOp> LogicalResult bitwise(NodeContext &nc) {
  if (failed(requireInteger(nc)))
    return failure();
  return logical<LogicOp>(nc);
}

LogicalResult importBitwiseNot(NodeContext &nc) {
  if (failed(requireInteger(nc)))
    return failure();
  return elementwise(
      nc, nullptr, [](OpBuilder &b, Location loc, ValueRange args) -> Value {
        return arith::XOrIOp::create(b, loc, args[0], cst(b, loc, args[0], -1));
      });
}

LogicalResult importBitShift(NodeContext &nc) {
  if (failed(requireInteger(nc)))
    return failure();
  std::string direction = nc.getString("direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    return nc.error() << "direction must be LEFT or RIGHT, got '" << direction
                      << "'";
  bool left = direction == "LEFT", isU = unsignedInput(nc);
  return elementwise(
      nc, nullptr, [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = args[0], y = args[1];
        unsigned width = x.getType().getIntOrFloatBitWidth();
        // Shifting by the width or more gives 0 (or -1) as in numpy, not
        // poison.
        Value maxShift = cst(b, loc, y, width - 1);
        Value tooFar = arith::CmpIOp::create(
            b, loc, isU ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt,
            y, maxShift);
        if (!left && !isU)
          return arith::ShRSIOp::create(
              b, loc, x, arith::SelectOp::create(b, loc, tooFar, maxShift, y));
        Value shifted = left ? Value(arith::ShLIOp::create(b, loc, x, y))
                             : Value(arith::ShRUIOp::create(b, loc, x, y));
        return arith::SelectOp::create(b, loc, tooFar, cst(b, loc, x, 0),
                                       shifted);
      });
}

LogicalResult importNot(NodeContext &nc) {
  return elementwise(
      nc, nullptr, [](OpBuilder &b, Location loc, ValueRange args) -> Value {
        return arith::XOrIOp::create(b, loc, args[0], cst(b, loc, args[0], 1));
      });
}

LogicalResult importWhere(NodeContext &nc) {
  if (nc.numInputs() != 3)
    return nc.error() << "expects 3 inputs";
  if (!nc.inputType(0).getElementType().isInteger(1))
    return nc.error() << "condition has element type "
                      << nc.inputType(0).getElementType()
                      << "; bool is required";
  if (nc.inputType(1).getElementType() != nc.inputType(2).getElementType())
    return nc.error() << "X and Y have different element types "
                      << nc.inputType(1).getElementType() << " and "
                      << nc.inputType(2).getElementType();
  return elementwise(nc, elementTypeOf(nc.input(1)),
                     [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                       return arith::SelectOp::create(b, loc, args[0], args[1],
                                                      args[2]);
                     });
}

LogicalResult castTo(NodeContext &nc, Type to) {
  Type from = nc.inputType(0).getElementType();
  if (from == to) {
    nc.setOutput(0, nc.input(0));
    return success();
  }
  return mapInput(nc, to, [&](OpBuilder &b, Location loc, Value v) {
    return castScalar(b, loc, v, from, to);
  });
}

LogicalResult importCast(NodeContext &nc) {
  int64_t onnxType = nc.getInt("to", 0);
  Type to = getTypeOfONNXType(nc.b.getContext(), onnxType);
  if (!to)
    return nc.error() << "unsupported target type " << onnxType;
  return castTo(nc, to);
}

LogicalResult importCastLike(NodeContext &nc) {
  if (nc.numInputs() != 2)
    return nc.error() << "expects 2 inputs";
  return castTo(nc, nc.inputType(1).getElementType());
}

/// BitCast: the same bits seen as another type of the same width.
LogicalResult importBitCast(NodeContext &nc) {
  int64_t onnxType = nc.getInt("to", 0);
  Type to = getTypeOfONNXType(nc.b.getContext(), onnxType);
  if (!to)
    return nc.error() << "unsupported target type " << onnxType;
  Type from = nc.inputType(0).getElementType();
  // ONNX stores bool in a byte.
  auto bits = [](Type t) { return std::max(8u, t.getIntOrFloatBitWidth()); };
  if (bits(from) != bits(to))
    return nc.error() << "cannot bitcast " << from << " to " << to
                      << " of a different width";
  if (from == to) {
    nc.setOutput(0, nc.input(0));
    return success();
  }
  return mapInput(nc, to, [&](OpBuilder &b, Location loc, Value v) -> Value {
    Type target = getSignlessType(to);
    if (from.isInteger(1))
      return arith::ExtUIOp::create(b, loc, target, v);
    if (to.isInteger(1))
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                   cst(b, loc, v, 0));
    if (v.getType() == target)
      return v;
    return arith::BitcastOp::create(b, loc, target, v);
  });
}

} // namespace

void mlir::qc::addCastAndLogicOps(OpTable &table) {
  using P = arith::CmpIPredicate;
  using FP = arith::CmpFPredicate;
  table["Equal"] = compare<FP::OEQ, P::eq, P::eq>;
  table["Less"] = compare<FP::OLT, P::slt, P::ult>;
  table["LessOrEqual"] = compare<FP::OLE, P::sle, P::ule>;
  table["Greater"] = compare<FP::OGT, P::sgt, P::ugt>;
  table["GreaterOrEqual"] = compare<FP::OGE, P::sge, P::uge>;
  table["And"] = logical<arith::AndIOp>;
  table["Or"] = logical<arith::OrIOp>;
  table["Xor"] = logical<arith::XOrIOp>;
  table["Not"] = importNot;
  table["BitwiseAnd"] = bitwise<arith::AndIOp>;
  table["BitwiseOr"] = bitwise<arith::OrIOp>;
  table["BitwiseXor"] = bitwise<arith::XOrIOp>;
  table["BitwiseNot"] = importBitwiseNot;
  table["BitShift"] = importBitShift;
  table["Where"] = importWhere;
  table["Cast"] = importCast;
  table["CastLike"] = importCastLike;
  table["BitCast"] = importBitCast;
}
