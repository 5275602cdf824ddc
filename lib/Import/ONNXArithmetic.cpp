//===- ONNXArithmetic.cpp - Arithmetic ONNX op handlers -------------------===//
//
// Binary and variadic arithmetic with numpy broadcasting (Add, Sub, Mul,
// Div, Mod, Pow, Max, Min, Sum), Clip, Abs, Neg and Sign, dispatching on
// float / signed / unsigned element types; and the element-wise plumbing
// the activation and cast/logic handlers share.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "dialects/QC/IR/QC.h"
#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;

//===----------------------------------------------------------------------===//
// Shared element-wise helpers
//===----------------------------------------------------------------------===//

Value mlir::qc::cst(OpBuilder &b, Location loc, Value like, double v) {
  return scalarConstant(b, loc, like.getType(), v);
}

Type mlir::qc::elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

LogicalResult mlir::qc::elementwise(
    NodeContext &nc, Type resultType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < nc.numInputs(); ++i)
    if (nc.hasInput(i))
      inputs.push_back(nc.input(i));
  if (inputs.empty())
    return nc.error() << "expects at least one input";
  Type first = elementTypeOf(inputs[0]);
  FailureOr<Value> out =
      broadcastElementwise(nc, inputs, resultType ? resultType : first, body,
                           /*allowUnsigned=*/true);
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  return success();
}

bool mlir::qc::unsignedInput(NodeContext &nc) {
  return isUnsigned(nc.inputType(0).getElementType());
}

LogicalResult mlir::qc::requireSameTypes(NodeContext &nc) {
  Type first;
  for (unsigned i = 0; i < nc.numInputs(); ++i) {
    if (!nc.hasInput(i))
      continue;
    Type t = nc.inputType(i).getElementType();
    if (!first)
      first = t;
    else if (t != first)
      return nc.error() << "inputs have different element types " << first
                        << " and " << t;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Arithmetic
//===----------------------------------------------------------------------===//

namespace {

/// The integer constant `value` (bits of an unsigned one) of type `type`.
Value intConstant(OpBuilder &b, Location loc, Type type, const APInt &value) {
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, value));
}

/// Binary arithmetic with float, signed and unsigned integer forms.
template <typename FloatOp, typename IntOp, typename UIntOp = IntOp>
LogicalResult arithmetic(NodeContext &nc) {
  if (failed(requireSameTypes(nc)))
    return failure();
  bool isU = unsignedInput(nc);
  return elementwise(nc, nullptr,
                     [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
                       if (isFloat(args[0].getType()))
                         return FloatOp::create(b, loc, args[0], args[1]);
                       if (isU)
                         return UIntOp::create(b, loc, args[0], args[1]);
                       return IntOp::create(b, loc, args[0], args[1]);
                     });
}

/// Add, with the bias of a preceding MatMul folded into its qc.linear.
LogicalResult importAdd(NodeContext &nc) {
  for (unsigned i = 0; i < 2 && nc.numInputs() == 2; ++i) {
    auto linear = nc.input(i).getDefiningOp<LinearOp>();
    Value bias = nc.input(1 - i);
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (!linear || linear.getBias() || nc.uses.lookup(nc.node.input(i)) != 1 ||
        !matchPattern(bias, m_Constant()) || biasType.getRank() != 1 ||
        !biasType.getElementType().isF32() ||
        biasType.getDimSize(0) != linear.getType().getShape().back())
      continue;
    linear.getBiasMutable().assign(bias);
    // The fused op is named after the MatMul (the layer), not the Add.
    nc.setOutput(0, linear.getResult());
    return success();
  }
  return arithmetic<arith::AddFOp, arith::AddIOp>(nc);
}

LogicalResult importPow(NodeContext &nc) {
  Type baseType = nc.inputType(0).getElementType();
  Type expType = nc.inputType(1).getElementType();
  if (baseType.isInteger(1) || expType.isInteger(1))
    return nc.error() << "bool inputs are not supported";
  // numpy semantics: integer bases go through float64 and back.
  Type computeType = isFloat(baseType) ? baseType : nc.b.getF64Type();
  return elementwise(
      nc, nullptr, [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = castScalar(b, loc, args[0], baseType, computeType);
        Value y = castScalar(b, loc, args[1], expType, computeType);
        Value r = math::PowFOp::create(b, loc, x, y);
        return castScalar(b, loc, r, computeType, baseType);
      });
}

template <bool IsMax> LogicalResult minMax(NodeContext &nc) {
  if (failed(requireSameTypes(nc)))
    return failure();
  bool isU = unsignedInput(nc);
  return elementwise(
      nc, nullptr, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value acc = args[0];
        for (Value v : args.drop_front()) {
          if (isFloat(v.getType()))
            acc = IsMax ? Value(arith::MaximumFOp::create(b, loc, acc, v))
                        : Value(arith::MinimumFOp::create(b, loc, acc, v));
          else if (isU)
            acc = IsMax ? Value(arith::MaxUIOp::create(b, loc, acc, v))
                        : Value(arith::MinUIOp::create(b, loc, acc, v));
          else
            acc = IsMax ? Value(arith::MaxSIOp::create(b, loc, acc, v))
                        : Value(arith::MinSIOp::create(b, loc, acc, v));
        }
        return acc;
      });
}

LogicalResult importSum(NodeContext &nc) {
  if (failed(requireSameTypes(nc)))
    return failure();
  return elementwise(
      nc, nullptr, [](OpBuilder &b, Location loc, ValueRange args) {
        Value acc = args[0];
        for (Value v : args.drop_front())
          acc = isFloat(v.getType())
                    ? Value(arith::AddFOp::create(b, loc, acc, v))
                    : Value(arith::AddIOp::create(b, loc, acc, v));
        return acc;
      });
}

/// The constant scalar bound in input `i` as a double (unsigned values
/// read as such), nullopt when not constant; fails on a non-scalar.
FailureOr<std::optional<double>> clipBound(NodeContext &nc, unsigned i,
                                           bool isU) {
  DenseIntElementsAttr ints;
  if (isU && matchPattern(nc.input(i), m_Constant(&ints))) {
    if (ints.getNumElements() != 1)
      return nc.error() << (i == 1 ? "min" : "max") << " must be a scalar";
    return std::optional<double>(
        double((*ints.getValues<APInt>().begin()).getZExtValue()));
  }
  auto v = constantFloats(nc, i);
  if (failed(v))
    return std::optional<double>();
  if (v->size() != 1)
    return nc.error() << (i == 1 ? "min" : "max") << " must be a scalar";
  return std::optional<double>((*v)[0]);
}

LogicalResult importClip(NodeContext &nc) {
  Type et = nc.inputType(0).getElementType();
  bool isInt = !isFloat(et), isU = isUnsigned(et);
  double lo = -INFINITY, hi = INFINITY;
  if (nc.opset < 11) {
    lo = nc.getFloat("min", float(lo));
    hi = nc.getFloat("max", float(hi));
  } else {
    bool runtimeBounds = false;
    for (unsigned i = 1; i <= 2; ++i) {
      if (!nc.hasInput(i))
        continue;
      auto bound = clipBound(nc, i, isU);
      if (failed(bound))
        return failure();
      if (!*bound)
        runtimeBounds = true;
      else
        (i == 1 ? lo : hi) = **bound;
    }
    if (runtimeBounds) {
      // Bounds computed at run time: an element-wise max/min with them.
      bool hasMin = nc.hasInput(1), hasMax = nc.hasInput(2);
      return elementwise(
          nc, nullptr, [&](OpBuilder &b, Location loc, ValueRange args) {
            Value x = args[0];
            unsigned next = 1;
            if (hasMin)
              x = !isInt
                      ? Value(arith::MaximumFOp::create(b, loc, x, args[next]))
                  : isU ? Value(arith::MaxUIOp::create(b, loc, x, args[next]))
                        : Value(arith::MaxSIOp::create(b, loc, x, args[next]));
            if (hasMin)
              ++next;
            if (hasMax)
              x = !isInt
                      ? Value(arith::MinimumFOp::create(b, loc, x, args[next]))
                  : isU ? Value(arith::MinUIOp::create(b, loc, x, args[next]))
                        : Value(arith::MinSIOp::create(b, loc, x, args[next]));
            return x;
          });
    }
  }
  return mapInput(nc, et, [&](OpBuilder &b, Location loc, Value x) -> Value {
    if (!isInt) {
      if (!std::isinf(lo))
        x = arith::MaximumFOp::create(b, loc, x, cst(b, loc, x, lo));
      if (!std::isinf(hi))
        x = arith::MinimumFOp::create(b, loc, x, cst(b, loc, x, hi));
      return x;
    }
    // Bounds outside the type's range are no-ops; clamp them into it
    // so that the constants are representable.
    unsigned w = et.getIntOrFloatBitWidth();
    APInt tmin = isU ? APInt::getMinValue(w) : APInt::getSignedMinValue(w);
    APInt tmax = isU ? APInt::getMaxValue(w) : APInt::getSignedMaxValue(w);
    auto toBound = [&](double v) {
      double dmin = isU ? 0.0 : tmin.signedRoundToDouble();
      double dmax = isU ? tmax.roundToDouble() : tmax.signedRoundToDouble();
      if (v <= dmin)
        return tmin;
      if (v >= dmax)
        return tmax;
      return isU ? APInt(w, uint64_t(v))
                 : APInt(w, uint64_t(int64_t(v)), /*isSigned=*/true);
    };
    Type t = x.getType();
    Value vlo = intConstant(b, loc, t, toBound(lo));
    Value vhi = intConstant(b, loc, t, toBound(hi));
    if (isU) {
      x = arith::MaxUIOp::create(b, loc, x, vlo);
      return arith::MinUIOp::create(b, loc, x, vhi);
    }
    x = arith::MaxSIOp::create(b, loc, x, vlo);
    return arith::MinSIOp::create(b, loc, x, vhi);
  });
}

LogicalResult importAbs(NodeContext &nc) {
  bool isU = unsignedInput(nc);
  return elementwise(nc, nullptr,
                     [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
                       if (isFloat(args[0].getType()))
                         return math::AbsFOp::create(b, loc, args[0]);
                       if (isU)
                         return args[0];
                       return math::AbsIOp::create(b, loc, args[0]);
                     });
}

LogicalResult importNeg(NodeContext &nc) {
  return elementwise(
      nc, nullptr, [](OpBuilder &b, Location loc, ValueRange args) -> Value {
        if (isFloat(args[0].getType()))
          return arith::NegFOp::create(b, loc, args[0]);
        return arith::SubIOp::create(b, loc, cst(b, loc, args[0], 0), args[0]);
      });
}

LogicalResult importSign(NodeContext &nc) {
  Type et = nc.inputType(0).getElementType();
  if (et.isInteger(1))
    return nc.error() << "bool input is not supported";
  bool isU = isUnsigned(et);
  return elementwise(
      nc, nullptr, [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = args[0], zero = cst(b, loc, x, 0);
        Value pos, neg;
        if (isFloat(x.getType())) {
          pos =
              arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
          neg =
              arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
        } else {
          pos = arith::CmpIOp::create(b, loc,
                                      isU ? arith::CmpIPredicate::ne
                                          : arith::CmpIPredicate::sgt,
                                      x, zero);
          if (isU)
            return arith::SelectOp::create(b, loc, pos, cst(b, loc, x, 1),
                                           zero);
          neg =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
        }
        Value s = arith::SelectOp::create(b, loc, pos, cst(b, loc, x, 1), zero);
        return arith::SelectOp::create(b, loc, neg, cst(b, loc, x, -1), s);
      });
}

/// `y` with 0 (and, for signed types, -1) replaced by 1: integer division
/// by zero, and INT_MIN / -1, trap on x86. ONNX leaves them undefined; the
/// callers give numpy's results (x / 0 = 0, x % 0 = 0) instead of crashing.
Value safeDivisor(OpBuilder &b, Location loc, Value y, bool isUnsigned) {
  Value bad = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y,
                                    cst(b, loc, y, 0));
  if (!isUnsigned)
    bad = arith::OrIOp::create(b, loc, bad,
                               arith::CmpIOp::create(b, loc,
                                                     arith::CmpIPredicate::eq,
                                                     y, cst(b, loc, y, -1)));
  return arith::SelectOp::create(b, loc, bad, cst(b, loc, y, 1), y);
}

LogicalResult importDiv(NodeContext &nc) {
  if (failed(requireSameTypes(nc)))
    return failure();
  bool isU = unsignedInput(nc);
  return elementwise(
      nc, nullptr, [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = args[0], y = args[1];
        if (isFloat(x.getType()))
          return arith::DivFOp::create(b, loc, x, y);
        Value zero = cst(b, loc, x, 0);
        Value q = isU ? Value(arith::DivUIOp::create(
                            b, loc, x, safeDivisor(b, loc, y, true)))
                      : Value(arith::DivSIOp::create(
                            b, loc, x, safeDivisor(b, loc, y, false)));
        if (!isU) // x / -1 = -x (wrapping, as for INT_MIN)
          q = arith::SelectOp::create(
              b, loc,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y,
                                    cst(b, loc, y, -1)),
              arith::SubIOp::create(b, loc, zero, x), q);
        return arith::SelectOp::create(
            b, loc,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero),
            zero, q);
      });
}

LogicalResult importMod(NodeContext &nc) {
  if (failed(requireSameTypes(nc)))
    return failure();
  bool fmod = nc.getInt("fmod", 0) != 0;
  bool isU = unsignedInput(nc);
  return elementwise(
      nc, nullptr, [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = args[0], y = args[1];
        if (isFloat(x.getType()))
          return arith::RemFOp::create(b, loc, x, y);
        // x % 0 = 0 (numpy) and x % -1 = 0: a divisor of 1 gives both.
        if (isU)
          return arith::RemUIOp::create(b, loc, x,
                                        safeDivisor(b, loc, y, true));
        Value r =
            arith::RemSIOp::create(b, loc, x, safeDivisor(b, loc, y, false));
        if (fmod)
          return r;
        // Python-style: the result takes the divisor's sign.
        Value zero = cst(b, loc, x, 0);
        Value rNeg =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
        Value yNeg =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, y, zero);
        Value nonZero =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
        Value differ = arith::AndIOp::create(
            b, loc, nonZero, arith::XOrIOp::create(b, loc, rNeg, yNeg));
        return arith::SelectOp::create(b, loc, differ,
                                       arith::AddIOp::create(b, loc, r, y), r);
      });
}

} // namespace

void mlir::qc::addArithmeticOps(OpTable &table) {
  table["Add"] = importAdd;
  table["Sub"] = arithmetic<arith::SubFOp, arith::SubIOp>;
  table["Mul"] = arithmetic<arith::MulFOp, arith::MulIOp>;
  table["Div"] = importDiv;
  table["Mod"] = importMod;
  table["Pow"] = importPow;
  table["Max"] = minMax<true>;
  table["Min"] = minMax<false>;
  table["Sum"] = importSum;
  table["Clip"] = importClip;
  table["Abs"] = importAbs;
  table["Neg"] = importNeg;
  table["Sign"] = importSign;
}
