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

Type elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
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
      broadcastElementwise(nc, inputs, resultType ? resultType : first, body);
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  return success();
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

/// Binary arithmetic with float and integer forms.
template <typename FloatOp, typename IntOp>
LogicalResult arithmetic(NodeContext &nc) {
  if (failed(requireSameTypes(nc)))
    return failure();
  return elementwise(nc, nullptr,
                     [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                       if (isFloat(args[0].getType()))
                         return FloatOp::create(b, loc, args[0], args[1]);
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
  if (failed(requireFloat(nc)))
    return failure();
  return elementwise(
      nc, nullptr, [](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value y = args[1];
        if (y.getType() != args[0].getType())
          y = arith::TruncFOp::create(b, loc, args[0].getType(), y);
        return math::PowFOp::create(b, loc, args[0], y);
      });
}

template <bool IsMax> LogicalResult minMax(NodeContext &nc) {
  if (failed(requireSameTypes(nc)))
    return failure();
  return elementwise(
      nc, nullptr, [](OpBuilder &b, Location loc, ValueRange args) {
        Value acc = args[0];
        for (Value v : args.drop_front()) {
          if (isFloat(v.getType()))
            acc = IsMax ? Value(arith::MaximumFOp::create(b, loc, acc, v))
                        : Value(arith::MinimumFOp::create(b, loc, acc, v));
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

template <arith::CmpFPredicate FP, arith::CmpIPredicate IP>
LogicalResult compare(NodeContext &nc) {
  if (failed(requireSameTypes(nc)))
    return failure();
  return elementwise(
      nc, nc.b.getI1Type(),
      [](OpBuilder &b, Location loc, ValueRange args) -> Value {
        if (isFloat(args[0].getType()))
          return arith::CmpFOp::create(b, loc, FP, args[0], args[1]);
        return arith::CmpIOp::create(b, loc, IP, args[0], args[1]);
      });
}

template <typename LogicOp> LogicalResult logical(NodeContext &nc) {
  return elementwise(nc, nullptr,
                     [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                       return LogicOp::create(b, loc, args[0], args[1]);
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
  return elementwise(nc, elementTypeOf(nc.input(1)),
                     [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                       return arith::SelectOp::create(b, loc, args[0], args[1],
                                                      args[2]);
                     });
}

/// Converts scalar `v` to `to` with ONNX Cast semantics (float -> int
/// truncates toward zero; anything -> bool is "!= 0").
Value castScalar(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (to.isInteger(1)) {
    if (isFloat(from))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                   cst(b, loc, v, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                 cst(b, loc, v, 0));
  }
  if (isFloat(from) && isFloat(to))
    return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
               ? Value(arith::ExtFOp::create(b, loc, to, v))
               : Value(arith::TruncFOp::create(b, loc, to, v));
  if (isFloat(from))
    return arith::FPToSIOp::create(b, loc, to, v);
  if (isFloat(to))
    return from.isInteger(1) ? Value(arith::UIToFPOp::create(b, loc, to, v))
                             : Value(arith::SIToFPOp::create(b, loc, to, v));
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (fw < tw)
    return from.isInteger(1) ? Value(arith::ExtUIOp::create(b, loc, to, v))
                             : Value(arith::ExtSIOp::create(b, loc, to, v));
  return arith::TruncIOp::create(b, loc, to, v);
}

LogicalResult importCast(NodeContext &nc) {
  Type to = getElementType(nc.b.getContext(), nc.getInt("to", 0));
  if (!to)
    return nc.error() << "unsupported target type " << nc.getInt("to", 0);
  if (to.isUnsignedInteger(8))
    to = nc.b.getI8Type();
  if (nc.inputType(0).getElementType() == to) {
    nc.setOutput(0, nc.input(0));
    return success();
  }
  Value in = nc.input(0);
  Value out = buildElementwise(
      nc.b, nc.loc, in, RankedTensorType::get(nc.inputType(0).getShape(), to),
      [&](OpBuilder &b, Location loc, ValueRange args) {
        return castScalar(b, loc, args[0], to);
      });
  nc.setOutput(0, out);
  return success();
}

LogicalResult importClip(NodeContext &nc) {
  Type et = nc.inputType(0).getElementType();
  double lo = -INFINITY, hi = INFINITY;
  bool isInt = !isFloat(et);
  if (isInt) {
    lo = double(std::numeric_limits<int64_t>::min());
    hi = double(std::numeric_limits<int64_t>::max());
  }
  if (nc.opset < 11) {
    lo = nc.getFloat("min", float(lo));
    hi = nc.getFloat("max", float(hi));
  } else {
    bool runtimeBounds = false;
    for (unsigned i = 1; i <= 2; ++i) {
      if (!nc.hasInput(i))
        continue;
      auto v = constantFloats(nc, i);
      if (failed(v)) {
        runtimeBounds = true;
        continue;
      }
      if (v->size() != 1)
        return nc.error() << (i == 1 ? "min" : "max") << " must be a scalar";
      (i == 1 ? lo : hi) = (*v)[0];
    }
    if (runtimeBounds) {
      // Bounds computed at run time: an element-wise max/min with them.
      bool hasMin = nc.hasInput(1), hasMax = nc.hasInput(2);
      return elementwise(
          nc, nullptr, [&](OpBuilder &b, Location loc, ValueRange args) {
            Value x = args[0];
            unsigned next = 1;
            if (hasMin)
              x = isInt
                      ? Value(arith::MaxSIOp::create(b, loc, x, args[next]))
                      : Value(arith::MaximumFOp::create(b, loc, x, args[next]));
            if (hasMin)
              ++next;
            if (hasMax)
              x = isInt
                      ? Value(arith::MinSIOp::create(b, loc, x, args[next]))
                      : Value(arith::MinimumFOp::create(b, loc, x, args[next]));
            return x;
          });
    }
  }
  Value out = buildElementwise(
      nc.b, nc.loc, nc.input(0), nc.inputType(0),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = args[0];
        if (!isInt) {
          if (!std::isinf(lo))
            x = arith::MaximumFOp::create(b, loc, x, cst(b, loc, x, lo));
          if (!std::isinf(hi))
            x = arith::MinimumFOp::create(b, loc, x, cst(b, loc, x, hi));
          return x;
        }
        unsigned w = et.getIntOrFloatBitWidth();
        double tmin = -std::ldexp(1.0, w - 1),
               tmax = std::ldexp(1.0, w - 1) - 1;
        x = arith::MaxSIOp::create(b, loc, x,
                                   cst(b, loc, x, std::max(lo, tmin)));
        return arith::MinSIOp::create(b, loc, x,
                                      cst(b, loc, x, std::min(hi, tmax)));
      });
  nc.setOutput(0, out);
  return success();
}

LogicalResult importAbs(NodeContext &nc) {
  return elementwise(nc, nullptr,
                     [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                       if (isFloat(args[0].getType()))
                         return math::AbsFOp::create(b, loc, args[0]);
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
  if (failed(requireFloat(nc)))
    return failure();
  return elementwise(
      nc, nullptr, [](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = args[0], zero = cst(b, loc, x, 0);
        Value pos =
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
        Value neg =
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
        Value s = arith::SelectOp::create(b, loc, pos, cst(b, loc, x, 1), zero);
        return arith::SelectOp::create(b, loc, neg, cst(b, loc, x, -1), s);
      });
}

LogicalResult importMod(NodeContext &nc) {
  if (failed(requireSameTypes(nc)))
    return failure();
  bool fmod = nc.getInt("fmod", 0) != 0;
  return elementwise(
      nc, nullptr, [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = args[0], y = args[1];
        if (isFloat(x.getType()))
          return arith::RemFOp::create(b, loc, x, y);
        Value r = arith::RemSIOp::create(b, loc, x, y);
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
  table["Add"] = importAdd;
  table["Sub"] = arithmetic<arith::SubFOp, arith::SubIOp>;
  table["Mul"] = arithmetic<arith::MulFOp, arith::MulIOp>;
  table["Div"] = arithmetic<arith::DivFOp, arith::DivSIOp>;
  table["Mod"] = importMod;
  table["Pow"] = importPow;
  table["Max"] = minMax<true>;
  table["Min"] = minMax<false>;
  table["Sum"] = importSum;
  table["Equal"] = compare<arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq>;
  table["Less"] = compare<arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt>;
  table["LessOrEqual"] =
      compare<arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle>;
  table["Greater"] =
      compare<arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt>;
  table["GreaterOrEqual"] =
      compare<arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge>;
  table["And"] = logical<arith::AndIOp>;
  table["Or"] = logical<arith::OrIOp>;
  table["Xor"] = logical<arith::XOrIOp>;
  table["Not"] = importNot;
  table["Where"] = importWhere;
  table["Cast"] = importCast;
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
