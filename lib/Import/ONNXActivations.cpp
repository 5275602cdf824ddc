//===- ONNXActivations.cpp - Activation and float math handlers -----------===//
//
// Float-only unary ops: activations (Relu, LeakyRelu, Elu, Sigmoid,
// HardSigmoid, HardSwish, Softplus, Gelu) expanded into arith/math, and the
// math functions (Exp, Log, Sqrt, Tanh, Erf, Sin, Cos, Floor, Ceil, Round,
// Reciprocal).
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;

namespace {

LogicalResult requireFloat(NodeContext &nc) {
  for (unsigned i = 0; i < nc.numInputs(); ++i)
    if (nc.hasInput(i) && !isFloat(nc.inputType(i).getElementType()))
      return nc.error() << "input " << i << " has element type "
                        << nc.inputType(i).getElementType()
                        << "; a float type is required";
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

} // namespace

void mlir::qc::addActivationOps(OpTable &table) {
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
