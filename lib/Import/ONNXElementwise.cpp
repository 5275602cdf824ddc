//===- ONNXElementwise.cpp - Element-wise ONNX op handlers ----------------===//
//
// Unary, binary, variadic and ternary element-wise ops with numpy
// broadcasting, dispatching on float / integer / boolean element types.
// Activations (Gelu, HardSwish, ...) are expanded into arith/math here.
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

namespace {

Value cst(OpBuilder &b, Location loc, Value like, double v) {
  return scalarConstant(b, loc, like.getType(), v);
}

bool isFloat(Type t) { return isa<FloatType>(t); }
bool isUnsigned(Type t) { return t.isUnsignedInteger(); }

Type elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

/// The integer constant `value` (bits of an unsigned one) of type `type`.
Value intConstant(OpBuilder &b, Location loc, Type type, const APInt &value) {
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, value));
}

/// One element-wise op over all of the node's inputs, with result element
/// type `resultType` (null: the first input's).
LogicalResult
elementwise(NodeContext &nc, Type resultType,
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

/// Whether the node's first input is unsigned (ONNX uint*).
bool unsignedInput(NodeContext &nc) {
  return isUnsigned(nc.inputType(0).getElementType());
}

LogicalResult requireFloat(NodeContext &nc) {
  for (unsigned i = 0; i < nc.numInputs(); ++i)
    if (nc.hasInput(i) && !isFloat(nc.inputType(i).getElementType()))
      return nc.error() << "input " << i << " has element type "
                        << nc.inputType(i).getElementType()
                        << "; a float type is required";
  return success();
}

LogicalResult requireSameTypes(NodeContext &nc) {
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

/// Float-only unary op from a scalar function of x.
template <Value (*Fn)(OpBuilder &, Location, Value, NodeContext &)>
LogicalResult floatUnary(NodeContext &nc) {
  if (failed(requireFloat(nc)))
    return failure();
  return elementwise(nc, nullptr,
                     [&](OpBuilder &b, Location loc, ValueRange args) {
                       return Fn(b, loc, args[0], nc);
                     });
}

template <typename MathOp>
Value mathOp(OpBuilder &b, Location loc, Value x, NodeContext &) {
  return MathOp::create(b, loc, x);
}

Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  Value one = cst(b, loc, x, 1);
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, e));
}

Value reluFn(OpBuilder &b, Location loc, Value x, NodeContext &) {
  return arith::MaximumFOp::create(b, loc, x, cst(b, loc, x, 0));
}
Value sigmoidFn(OpBuilder &b, Location loc, Value x, NodeContext &) {
  return sigmoid(b, loc, x);
}
Value reciprocalFn(OpBuilder &b, Location loc, Value x, NodeContext &) {
  return arith::DivFOp::create(b, loc, cst(b, loc, x, 1), x);
}
Value leakyReluFn(OpBuilder &b, Location loc, Value x, NodeContext &nc) {
  Value alpha = cst(b, loc, x, nc.getFloat("alpha", 0.01f));
  Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                    cst(b, loc, x, 0));
  return arith::SelectOp::create(b, loc, neg,
                                 arith::MulFOp::create(b, loc, x, alpha), x);
}
Value eluFn(OpBuilder &b, Location loc, Value x, NodeContext &nc) {
  Value alpha = cst(b, loc, x, nc.getFloat("alpha", 1.0f));
  Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                    cst(b, loc, x, 0));
  Value em1 = math::ExpM1Op::create(b, loc, x);
  return arith::SelectOp::create(b, loc, neg,
                                 arith::MulFOp::create(b, loc, alpha, em1), x);
}
Value softplusFn(OpBuilder &b, Location loc, Value x, NodeContext &) {
  // log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), stable for large |x|.
  Value absx = math::AbsFOp::create(b, loc, x);
  Value t = math::Log1pOp::create(
      b, loc, math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, absx)));
  return arith::AddFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, x, cst(b, loc, x, 0)), t);
}
Value hardSigmoid(OpBuilder &b, Location loc, Value x, double alpha,
                  double beta) {
  Value y = arith::AddFOp::create(
      b, loc, arith::MulFOp::create(b, loc, x, cst(b, loc, x, alpha)),
      cst(b, loc, x, beta));
  y = arith::MaximumFOp::create(b, loc, y, cst(b, loc, x, 0));
  return arith::MinimumFOp::create(b, loc, y, cst(b, loc, x, 1));
}
Value hardSigmoidFn(OpBuilder &b, Location loc, Value x, NodeContext &nc) {
  return hardSigmoid(b, loc, x, nc.getFloat("alpha", 0.2f),
                     nc.getFloat("beta", 0.5f));
}
Value hardSwishFn(OpBuilder &b, Location loc, Value x, NodeContext &) {
  return arith::MulFOp::create(b, loc, x,
                               hardSigmoid(b, loc, x, 1.0 / 6.0, 0.5));
}
Value geluFn(OpBuilder &b, Location loc, Value x, NodeContext &nc) {
  Value half = cst(b, loc, x, 0.5), one = cst(b, loc, x, 1);
  Value inner;
  if (nc.getString("approximate", "none") == "tanh") {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    Value x3 =
        arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
    Value u = arith::AddFOp::create(
        b, loc, x, arith::MulFOp::create(b, loc, x3, cst(b, loc, x, 0.044715)));
    inner = math::TanhOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, u,
                              cst(b, loc, x, std::sqrt(2.0 / M_PI))));
  } else {
    inner = math::ErfOp::create(
        b, loc, arith::MulFOp::create(b, loc, x, cst(b, loc, x, M_SQRT1_2)));
  }
  return arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, half, x),
                               arith::AddFOp::create(b, loc, one, inner));
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

/// Converts signless scalar `v` holding an ONNX `from` value to the signless
/// form of `to` with ONNX Cast semantics: float -> int truncates toward zero
/// (wrapping out-of-range values like numpy does), anything -> bool is
/// "!= 0", integers are sign- or zero-extended by their source type.
Value castScalar(OpBuilder &b, Location loc, Value v, Type from, Type to) {
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

/// Input 0 converted to element type `to` by `convert` (signless scalars).
LogicalResult mapInput(NodeContext &nc, Type to,
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
  Type to = getElementType(nc.b.getContext(), onnxType);
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
  Type to = getElementType(nc.b.getContext(), onnxType);
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

void mlir::qc::addElementwiseOps(OpTable &table) {
  using P = arith::CmpIPredicate;
  using FP = arith::CmpFPredicate;
  table["Add"] = importAdd;
  table["Sub"] = arithmetic<arith::SubFOp, arith::SubIOp>;
  table["Mul"] = arithmetic<arith::MulFOp, arith::MulIOp>;
  table["Div"] = importDiv;
  table["Mod"] = importMod;
  table["Pow"] = importPow;
  table["Max"] = minMax<true>;
  table["Min"] = minMax<false>;
  table["Sum"] = importSum;
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
  table["Clip"] = importClip;
  table["Abs"] = importAbs;
  table["Neg"] = importNeg;
  table["Sign"] = importSign;
  table["Relu"] = floatUnary<reluFn>;
  table["LeakyRelu"] = floatUnary<leakyReluFn>;
  table["Elu"] = floatUnary<eluFn>;
  table["Sigmoid"] = floatUnary<sigmoidFn>;
  table["HardSigmoid"] = floatUnary<hardSigmoidFn>;
  table["HardSwish"] = floatUnary<hardSwishFn>;
  table["Softplus"] = floatUnary<softplusFn>;
  table["Gelu"] = floatUnary<geluFn>;
  table["Reciprocal"] = floatUnary<reciprocalFn>;
  table["Exp"] = floatUnary<mathOp<math::ExpOp>>;
  table["Log"] = floatUnary<mathOp<math::LogOp>>;
  table["Sqrt"] = floatUnary<mathOp<math::SqrtOp>>;
  table["Tanh"] = floatUnary<mathOp<math::TanhOp>>;
  table["Erf"] = floatUnary<mathOp<math::ErfOp>>;
  table["Sin"] = floatUnary<mathOp<math::SinOp>>;
  table["Cos"] = floatUnary<mathOp<math::CosOp>>;
  table["Floor"] = floatUnary<mathOp<math::FloorOp>>;
  table["Ceil"] = floatUnary<mathOp<math::CeilOp>>;
  table["Round"] = floatUnary<mathOp<math::RoundEvenOp>>;
}
