//===- ONNXReductions.cpp - Reductions, normalizations, pooling -----------===//
//
// Everything that reduces over some axes: Reduce*, ArgMax/ArgMin, Softmax
// and LogSoftmax, LayerNormalization, BatchNormalization (inference), and
// N-D pooling. All build on one reduction helper producing linalg.generic.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;

Value mlir::qc::reduce(OpBuilder &b, Location loc, Value input,
                       ArrayRef<int64_t> axes, TypedAttr init, bool keepDims,
                       CombineFn combine) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (!reduced) {
      shape.push_back(type.getDimSize(d));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
  }
  auto outType = RankedTensorType::get(shape, init.getType());
  Value acc = buildFilled(b, loc, outType, init);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, outExprs, ctx)};
  Value result =
      linalg::GenericOp::create(
          b, loc, TypeRange{outType}, ValueRange{input}, ValueRange{acc}, maps,
          iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            linalg::YieldOp::create(nb, l, combine(nb, l, args[0], args[1]));
          })
          .getResult(0);
  if (!keepDims)
    return result;
  SmallVector<int64_t> kept(type.getShape());
  for (int64_t a : axes)
    kept[a] = 1;
  return reshapeTo(b, loc, result, kept);
}

namespace {

bool isFloat(Type t) { return isa<FloatType>(t); }

TypedAttr lowestAttr(OpBuilder &b, Type t) {
  if (auto f = dyn_cast<FloatType>(t))
    return b.getFloatAttr(
        f, APFloat::getInf(f.getFloatSemantics(), /*Negative=*/true));
  return b.getIntegerAttr(t,
                          APInt::getSignedMinValue(t.getIntOrFloatBitWidth()));
}

TypedAttr highestAttr(OpBuilder &b, Type t) {
  if (auto f = dyn_cast<FloatType>(t))
    return b.getFloatAttr(f, APFloat::getInf(f.getFloatSemantics()));
  return b.getIntegerAttr(t,
                          APInt::getSignedMaxValue(t.getIntOrFloatBitWidth()));
}

TypedAttr numberAttr(OpBuilder &b, Type t, double v) {
  if (auto f = dyn_cast<FloatType>(t))
    return b.getFloatAttr(f, v);
  return b.getIntegerAttr(t, int64_t(v));
}

enum class ReduceKind {
  Sum,
  Mean,
  Max,
  Min,
  Prod,
  SumSquare,
  L1,
  L2,
  LogSumExp
};

/// Axes of a Reduce* node: an input from opset 13 (ReduceSum) or 18 (the
/// rest), an attribute before; none means all (or none with
/// noop_with_empty_axes).
FailureOr<SmallVector<int64_t>> reduceAxes(NodeContext &nc, int64_t rank) {
  auto axes = getAxes(nc, 1, "axes", rank);
  if (failed(axes))
    return failure();
  if (*axes && !(*axes)->empty())
    return **axes;
  if (nc.getInt("noop_with_empty_axes", 0) != 0)
    return SmallVector<int64_t>();
  return llvm::to_vector(llvm::seq<int64_t>(0, rank));
}

template <ReduceKind Kind> LogicalResult importReduce(NodeContext &nc) {
  Value input = nc.input(0);
  auto type = nc.inputType(0);
  Type et = type.getElementType();
  auto axes = reduceAxes(nc, type.getRank());
  if (failed(axes))
    return failure();
  bool keep = nc.getInt("keepdims", 1) != 0;
  if (axes->empty()) {
    nc.setOutput(0, input);
    return success();
  }
  bool fl = isFloat(et);
  if (!fl && (Kind == ReduceKind::Mean || Kind == ReduceKind::L2 ||
              Kind == ReduceKind::LogSumExp))
    return nc.error() << "requires a float input, got " << et;
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  auto add = [&](OpBuilder &nb, Location l, Value x, Value acc) -> Value {
    return fl ? Value(arith::AddFOp::create(nb, l, x, acc))
              : Value(arith::AddIOp::create(nb, l, x, acc));
  };
  Value result;
  switch (Kind) {
  case ReduceKind::Sum:
  case ReduceKind::Mean:
    result = reduce(b, loc, input, *axes, numberAttr(b, et, 0), keep, add);
    break;
  case ReduceKind::Max:
  case ReduceKind::Min: {
    bool isMax = Kind == ReduceKind::Max;
    // Booleans: max is "any" (or), min is "all" (and); signed i1 compares
    // would treat true as -1.
    bool isBool = et.isInteger(1);
    TypedAttr init = isBool  ? TypedAttr(b.getBoolAttr(!isMax))
                     : isMax ? lowestAttr(b, et)
                             : highestAttr(b, et);
    result =
        reduce(b, loc, input, *axes, init, keep,
               [&](OpBuilder &nb, Location l, Value x, Value acc) -> Value {
                 if (isBool)
                   return isMax ? Value(arith::OrIOp::create(nb, l, x, acc))
                                : Value(arith::AndIOp::create(nb, l, x, acc));
                 if (fl)
                   return isMax
                              ? Value(arith::MaximumFOp::create(nb, l, x, acc))
                              : Value(arith::MinimumFOp::create(nb, l, x, acc));
                 return isMax ? Value(arith::MaxSIOp::create(nb, l, x, acc))
                              : Value(arith::MinSIOp::create(nb, l, x, acc));
               });
    break;
  }
  case ReduceKind::Prod:
    result = reduce(b, loc, input, *axes, numberAttr(b, et, 1), keep,
                    [&](OpBuilder &nb, Location l, Value x, Value acc) {
                      return fl ? Value(arith::MulFOp::create(nb, l, x, acc))
                                : Value(arith::MulIOp::create(nb, l, x, acc));
                    });
    break;
  case ReduceKind::SumSquare:
  case ReduceKind::L2:
    result = reduce(b, loc, input, *axes, numberAttr(b, et, 0), keep,
                    [&](OpBuilder &nb, Location l, Value x, Value acc) {
                      Value sq = fl ? Value(arith::MulFOp::create(nb, l, x, x))
                                    : Value(arith::MulIOp::create(nb, l, x, x));
                      return add(nb, l, sq, acc);
                    });
    break;
  case ReduceKind::L1:
    result = reduce(b, loc, input, *axes, numberAttr(b, et, 0), keep,
                    [&](OpBuilder &nb, Location l, Value x, Value acc) {
                      Value a = fl ? Value(math::AbsFOp::create(nb, l, x))
                                   : Value(math::AbsIOp::create(nb, l, x));
                      return add(nb, l, a, acc);
                    });
    break;
  case ReduceKind::LogSumExp: {
    // log(sum(exp(x - max))) + max, stable for large inputs.
    Value max = reduce(b, loc, input, *axes, lowestAttr(b, et), true,
                       [](OpBuilder &nb, Location l, Value x, Value acc) {
                         return Value(arith::MaximumFOp::create(nb, l, x, acc));
                       });
    Value shifted =
        buildElementwise(b, loc, ValueRange{input, max}, type,
                         [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return math::ExpOp::create(
                               nb, l, arith::SubFOp::create(nb, l, a[0], a[1]));
                         });
    Value sum = reduce(b, loc, shifted, *axes, numberAttr(b, et, 0), true, add);
    result = buildElementwise(
        b, loc, ValueRange{sum, max}, cast<RankedTensorType>(sum.getType()),
        [](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return arith::AddFOp::create(nb, l, math::LogOp::create(nb, l, a[0]),
                                       a[1]);
        });
    if (!keep) {
      SmallVector<int64_t> shape;
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (!llvm::is_contained(*axes, d))
          shape.push_back(type.getDimSize(d));
      result = reshapeTo(b, loc, result, shape);
    }
    break;
  }
  }
  auto resultType = cast<RankedTensorType>(result.getType());
  if (Kind == ReduceKind::Mean) {
    int64_t count = 1;
    for (int64_t a : *axes)
      count *= type.getDimSize(a);
    result = buildElementwise(
        b, loc, result, resultType,
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return arith::DivFOp::create(
              nb, l, a[0], scalarConstant(nb, l, et, double(count)));
        });
  } else if (Kind == ReduceKind::L2) {
    result =
        buildElementwise(b, loc, result, resultType,
                         [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return math::SqrtOp::create(nb, l, a[0]);
                         });
  }
  nc.setOutput(0, result);
  return success();
}

/// Softmax / LogSoftmax over `axis` (opset >= 13), or over the flattened
/// trailing dims from `axis` (older opsets).
template <bool Log> LogicalResult importSoftmax(NodeContext &nc) {
  auto type = nc.inputType(0);
  Type et = type.getElementType();
  if (!isFloat(et))
    return nc.error() << "requires a float input";
  int64_t rank = type.getRank();
  auto axis =
      normalizeAxis(nc, nc.getInt("axis", nc.opset < 13 ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes;
  if (nc.opset < 13)
    axes = llvm::to_vector(llvm::seq<int64_t>(*axis, rank));
  else
    axes = {*axis};
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  Value x = nc.input(0);
  Value max = reduce(b, loc, x, axes, lowestAttr(b, et), true,
                     [](OpBuilder &nb, Location l, Value v, Value acc) {
                       return Value(arith::MaximumFOp::create(nb, l, v, acc));
                     });
  Value shifted =
      buildElementwise(b, loc, ValueRange{x, max}, type,
                       [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         return arith::SubFOp::create(nb, l, a[0], a[1]);
                       });
  Value e = buildElementwise(b, loc, shifted, type,
                             [](OpBuilder &nb, Location l, ValueRange a) {
                               return Value(math::ExpOp::create(nb, l, a[0]));
                             });
  Value sum = reduce(b, loc, e, axes, numberAttr(b, et, 0), true,
                     [](OpBuilder &nb, Location l, Value v, Value acc) {
                       return Value(arith::AddFOp::create(nb, l, v, acc));
                     });
  Value out;
  if (Log)
    out =
        buildElementwise(b, loc, ValueRange{shifted, sum}, type,
                         [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return arith::SubFOp::create(
                               nb, l, a[0], math::LogOp::create(nb, l, a[1]));
                         });
  else
    out =
        buildElementwise(b, loc, ValueRange{e, sum}, type,
                         [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return arith::DivFOp::create(nb, l, a[0], a[1]);
                         });
  nc.setOutput(0, out);
  return success();
}

} // namespace

FailureOr<NormalizedAxes> mlir::qc::getNormalizedAxes(NodeContext &nc,
                                                      RankedTensorType type) {
  auto axis = normalizeAxis(nc, nc.getInt("axis", -1), type.getRank());
  if (failed(axis))
    return failure();
  NormalizedAxes result;
  result.axes = llvm::to_vector(llvm::seq<int64_t>(*axis, type.getRank()));
  for (int64_t a : result.axes)
    result.count *= type.getDimSize(a);
  return result;
}

namespace {

LogicalResult importLayerNorm(NodeContext &nc) {
  auto type = nc.inputType(0);
  Type et = type.getElementType();
  if (!isFloat(et))
    return nc.error() << "requires a float input";
  FailureOr<NormalizedAxes> normalized = getNormalizedAxes(nc, type);
  if (failed(normalized))
    return failure();
  double eps = nc.getFloat("epsilon", 1e-5f);
  ArrayRef<int64_t> axes = normalized->axes;
  int64_t count = normalized->count;
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  Value x = nc.input(0);
  auto sumAxes = [&](Value v) {
    return reduce(b, loc, v, axes, numberAttr(b, et, 0), true,
                  [](OpBuilder &nb, Location l, Value in, Value acc) {
                    return Value(arith::AddFOp::create(nb, l, in, acc));
                  });
  };
  auto invCount = [&](OpBuilder &nb, Location l) {
    return scalarConstant(nb, l, et, 1.0 / double(count));
  };
  Value mean = sumAxes(x);
  Value centered = buildElementwise(
      b, loc, ValueRange{x, mean}, type,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::SubFOp::create(
            nb, l, a[0], arith::MulFOp::create(nb, l, a[1], invCount(nb, l)));
      });
  Value sq = buildElementwise(
      b, loc, centered, type, [](OpBuilder &nb, Location l, ValueRange a) {
        return Value(arith::MulFOp::create(nb, l, a[0], a[0]));
      });
  Value var = sumAxes(sq);
  SmallVector<Value> inputs = {centered, var};
  bool hasScale = nc.hasInput(1), hasBias = nc.hasInput(2);
  if (hasScale)
    inputs.push_back(nc.input(1));
  if (hasBias)
    inputs.push_back(nc.input(2));
  FailureOr<Value> out = broadcastElementwise(
      nc, inputs, et, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value v = arith::AddFOp::create(
            nb, l, arith::MulFOp::create(nb, l, a[1], invCount(nb, l)),
            scalarConstant(nb, l, et, eps));
        Value y =
            arith::MulFOp::create(nb, l, a[0], math::RsqrtOp::create(nb, l, v));
        unsigned next = 2;
        if (hasScale)
          y = arith::MulFOp::create(nb, l, y, a[next++]);
        if (hasBias)
          y = arith::AddFOp::create(nb, l, y, a[next++]);
        return y;
      });
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  // Optional outputs: the mean and 1/sqrt(var + eps), reduced dims kept.
  auto statsType = cast<RankedTensorType>(mean.getType());
  if (nc.node.output_size() > 1 && !nc.node.output(1).empty())
    nc.setOutput(1, buildElementwise(
                        b, loc, mean, statsType,
                        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                          return arith::MulFOp::create(nb, l, a[0],
                                                       invCount(nb, l));
                        }));
  if (nc.node.output_size() > 2 && !nc.node.output(2).empty())
    nc.setOutput(
        2, buildElementwise(
               b, loc, var, statsType,
               [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                 Value v = arith::AddFOp::create(
                     nb, l, arith::MulFOp::create(nb, l, a[0], invCount(nb, l)),
                     scalarConstant(nb, l, et, eps));
                 return math::RsqrtOp::create(nb, l, v);
               }));
  return success();
}

LogicalResult importBatchNorm(NodeContext &nc) {
  auto type = nc.inputType(0);
  Type et = type.getElementType();
  if (!isFloat(et) || type.getRank() < 2)
    return nc.error() << "requires a float input of rank >= 2";
  bool training = nc.getInt("training_mode", 0) != 0;
  double eps = nc.getFloat("epsilon", 1e-5f);
  // Parameters [C] broadcast along dim 1: reshape to [C, 1, ...].
  SmallVector<int64_t> paramShape(type.getRank() - 1, 1);
  int64_t channels = type.getDimSize(1);
  paramShape[0] = channels;
  SmallVector<Value> inputs = {nc.input(0)};
  for (unsigned i = 1; i <= 4; ++i) {
    if (nc.inputType(i).getNumElements() != channels)
      return nc.error() << "parameter " << i << " must have " << channels
                        << " elements";
    inputs.push_back(reshapeTo(nc.b, nc.loc, nc.input(i), paramShape));
  }
  if (training) {
    // Training mode normalizes with the batch's own mean and (population)
    // variance over every axis but the channels, and also returns the
    // running statistics updated with `momentum`.
    SmallVector<int64_t> axes = {0};
    for (int64_t d = 2; d < type.getRank(); ++d)
      axes.push_back(d);
    double count = double(type.getNumElements()) / double(channels);
    auto meanOver = [&](Value v) {
      Value sum = reduce(nc.b, nc.loc, v, axes, nc.b.getFloatAttr(et, 0.0),
                         /*keepDims=*/false,
                         [](OpBuilder &rb, Location l, Value in, Value acc) {
                           return Value(arith::AddFOp::create(rb, l, in, acc));
                         });
      return buildElementwise(
          nc.b, nc.loc, {sum}, cast<RankedTensorType>(sum.getType()),
          [&](OpBuilder &eb, Location l, ValueRange a) -> Value {
            return arith::DivFOp::create(eb, l, a[0],
                                         scalarConstant(eb, l, et, count));
          });
    };
    Value mean = reshapeTo(nc.b, nc.loc, meanOver(nc.input(0)), paramShape);
    Value squares =
        buildElementwise(nc.b, nc.loc, {nc.input(0), mean}, type,
                         [](OpBuilder &eb, Location l, ValueRange a) -> Value {
                           Value d = arith::SubFOp::create(eb, l, a[0], a[1]);
                           return arith::MulFOp::create(eb, l, d, d);
                         });
    Value var = reshapeTo(nc.b, nc.loc, meanOver(squares), paramShape);
    double momentum = nc.getFloat("momentum", 0.9f);
    auto running = [&](Value old, Value batch) {
      return reshapeTo(
          nc.b, nc.loc,
          buildElementwise(
              nc.b, nc.loc, {old, batch},
              cast<RankedTensorType>(batch.getType()),
              [&](OpBuilder &eb, Location l, ValueRange a) -> Value {
                Value kept = arith::MulFOp::create(
                    eb, l, a[0], scalarConstant(eb, l, et, momentum));
                Value added = arith::MulFOp::create(
                    eb, l, a[1], scalarConstant(eb, l, et, 1.0 - momentum));
                return arith::AddFOp::create(eb, l, kept, added);
              }),
          nc.inputType(3).getShape());
    };
    if (nc.node.output_size() > 1 && !nc.node.output(1).empty())
      nc.setOutput(1, running(inputs[3], mean));
    if (nc.node.output_size() > 2 && !nc.node.output(2).empty())
      nc.setOutput(2, running(inputs[4], var));
    inputs[3] = mean;
    inputs[4] = var;
  }
  Value out = buildElementwise(
      nc.b, nc.loc, inputs, type,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        // (x - mean) * scale / sqrt(var + eps) + bias
        Value inv = math::RsqrtOp::create(
            nb, l,
            arith::AddFOp::create(nb, l, a[4], scalarConstant(nb, l, et, eps)));
        Value y = arith::MulFOp::create(
            nb, l, arith::SubFOp::create(nb, l, a[0], a[3]),
            arith::MulFOp::create(nb, l, a[1], inv));
        return arith::AddFOp::create(nb, l, y, a[2]);
      });
  nc.setOutput(0, out);
  return success();
}

template <bool IsMax> LogicalResult importArgExtreme(NodeContext &nc) {
  MLIRContext *ctx = nc.b.getContext();
  auto type = nc.inputType(0);
  Type et = type.getElementType();
  int64_t rank = type.getRank();
  auto axis = normalizeAxis(nc, nc.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  bool keep = nc.getInt("keepdims", 1) != 0;
  bool last = nc.getInt("select_last_index", 0) != 0;
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    iterators.push_back(d == *axis ? utils::IteratorType::reduction
                                   : utils::IteratorType::parallel);
    if (d != *axis) {
      shape.push_back(type.getDimSize(d));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
  }
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  auto valType = RankedTensorType::get(shape, et);
  auto idxType = RankedTensorType::get(shape, b.getI64Type());
  Value vals = buildFilled(b, loc, valType,
                           IsMax ? lowestAttr(b, et) : highestAttr(b, et));
  Value idxs = buildFilled(b, loc, idxType, b.getI64IntegerAttr(0));
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 outMap, outMap};
  int64_t a = *axis;
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{valType, idxType}, ValueRange{nc.input(0)},
      ValueRange{vals, idxs}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value x = args[0], best = args[1], bestIdx = args[2];
        Value i = arith::IndexCastOp::create(nb, l, nb.getI64Type(),
                                             linalg::IndexOp::create(nb, l, a));
        Value better;
        if (isFloat(et))
          better =
              arith::CmpFOp::create(nb, l,
                                    IsMax ? (last ? arith::CmpFPredicate::OGE
                                                  : arith::CmpFPredicate::OGT)
                                          : (last ? arith::CmpFPredicate::OLE
                                                  : arith::CmpFPredicate::OLT),
                                    x, best);
        else
          better =
              arith::CmpIOp::create(nb, l,
                                    IsMax ? (last ? arith::CmpIPredicate::sge
                                                  : arith::CmpIPredicate::sgt)
                                          : (last ? arith::CmpIPredicate::sle
                                                  : arith::CmpIPredicate::slt),
                                    x, best);
        // The first element always wins so an all -inf row gives index 0.
        Value first = arith::CmpIOp::create(
            nb, l, arith::CmpIPredicate::eq, i,
            arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(0)));
        better = arith::OrIOp::create(nb, l, better, first);
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, better, x, best),
                       arith::SelectOp::create(nb, l, better, i, bestIdx)});
      });
  Value result = generic.getResult(1);
  if (keep) {
    SmallVector<int64_t> kept(type.getShape());
    kept[a] = 1;
    result = reshapeTo(b, loc, result, kept);
  }
  nc.setOutput(0, result);
  return success();
}

LogicalResult importGlobalPool(NodeContext &nc, bool isMax) {
  auto type = nc.inputType(0);
  if (type.getRank() < 3 || !isFloat(type.getElementType()))
    return nc.error() << "expects a float NC... input";
  SmallVector<int64_t> axes =
      llvm::to_vector(llvm::seq<int64_t>(2, type.getRank()));
  Type et = type.getElementType();
  Value r;
  if (isMax) {
    r = reduce(nc.b, nc.loc, nc.input(0), axes, lowestAttr(nc.b, et), true,
               [](OpBuilder &nb, Location l, Value x, Value acc) {
                 return Value(arith::MaximumFOp::create(nb, l, x, acc));
               });
  } else {
    int64_t count = 1;
    for (int64_t a : axes)
      count *= type.getDimSize(a);
    r = reduce(nc.b, nc.loc, nc.input(0), axes, numberAttr(nc.b, et, 0), true,
               [](OpBuilder &nb, Location l, Value x, Value acc) {
                 return Value(arith::AddFOp::create(nb, l, x, acc));
               });
    r = buildElementwise(nc.b, nc.loc, r, cast<RankedTensorType>(r.getType()),
                         [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return arith::DivFOp::create(
                               nb, l, a[0],
                               scalarConstant(nb, l, et, double(count)));
                         });
  }
  nc.setOutput(0, r);
  return success();
}

/// MaxPool / AveragePool over the spatial dims of an N x C x D1 x ... input.
LogicalResult importPool(NodeContext &nc, bool isMax) {
  MLIRContext *ctx = nc.b.getContext();
  auto type = nc.inputType(0);
  Type et = type.getElementType();
  if (type.getRank() < 3 || !isFloat(et))
    return nc.error() << "pooling needs a float N x C x spatial... input, got "
                      << type;
  size_t ns = type.getRank() - 2;
  bool withIndices =
      isMax && nc.node.output_size() > 1 && !nc.node.output(1).empty();
  std::vector<int64_t> kernel = nc.getInts("kernel_shape", {});
  std::vector<int64_t> strides =
      nc.getInts("strides", std::vector<int64_t>(ns, 1));
  std::vector<int64_t> pads =
      nc.getInts("pads", std::vector<int64_t>(2 * ns, 0));
  std::vector<int64_t> dilations =
      nc.getInts("dilations", std::vector<int64_t>(ns, 1));
  bool ceilMode = nc.getInt("ceil_mode", 0) != 0;
  bool countPad = nc.getInt("count_include_pad", 0) != 0;
  int64_t storageOrder = nc.getInt("storage_order", 0);
  if (kernel.size() != ns || strides.size() != ns || pads.size() != 2 * ns ||
      dilations.size() != ns)
    return nc.error() << "expected " << ns << " kernel dims, " << ns
                      << " strides, " << 2 * ns << " pads and " << ns
                      << " dilations for input " << type;
  if (storageOrder != 0 && storageOrder != 1)
    return nc.error() << "storage_order must be 0 or 1, got " << storageOrder;
  for (size_t i = 0; i < ns; ++i)
    if (kernel[i] < 1 || strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 ||
        pads[i + ns] < 0)
      return nc.error() << "kernel_shape, strides and dilations must be >= 1 "
                           "and pads >= 0";
  ArrayRef<int64_t> in = type.getShape().drop_front(2);
  if (failed(resolveAutoPad(nc, in, kernel, strides, dilations, pads)))
    return failure();
  SmallVector<int64_t> out(ns), extraHigh(ns);
  for (size_t i = 0; i < ns; ++i) {
    int64_t span = dilations[i] * (kernel[i] - 1) + 1;
    int64_t padded = in[i] + pads[i] + pads[i + ns];
    if (padded < span)
      return nc.error() << "kernel larger than the padded input";
    int64_t num = padded - span;
    out[i] =
        (ceilMode ? (num + strides[i] - 1) / strides[i] : num / strides[i]) + 1;
    // ceil_mode: a last window must start inside the input or left pad.
    if (ceilMode && (out[i] - 1) * strides[i] >= in[i] + pads[i])
      --out[i];
    extraHigh[i] =
        std::max<int64_t>(0, (out[i] - 1) * strides[i] + span - padded);
  }
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  // Pad with -inf (max) or 0 (average); windows past the ceil-mode edge
  // read padding too and are excluded from averages below.
  SmallVector<int64_t> paddedShape(type.getShape().take_front(2));
  SmallVector<OpFoldResult> low(2, b.getIndexAttr(0)),
      high(2, b.getIndexAttr(0));
  for (size_t i = 0; i < ns; ++i) {
    paddedShape.push_back(in[i] + pads[i] + pads[i + ns] + extraHigh[i]);
    low.push_back(b.getIndexAttr(pads[i]));
    high.push_back(b.getIndexAttr(pads[i + ns] + extraHigh[i]));
  }
  Value padValue = arith::ConstantOp::create(
      b, loc, isMax ? lowestAttr(b, et) : numberAttr(b, et, 0));
  Value x =
      tensor::PadOp::create(b, loc, RankedTensorType::get(paddedShape, et),
                            nc.input(0), low, high, padValue);
  SmallVector<int64_t> outShape(type.getShape().take_front(2));
  outShape.append(out.begin(), out.end());
  auto outType = RankedTensorType::get(outShape, et);
  Value init = buildFilled(b, loc, outType,
                           isMax ? lowestAttr(b, et) : numberAttr(b, et, 0));
  // Loops (n, c, out..., kernel...); the empty window tensor only gives the
  // kernel loops their extents.
  unsigned numLoops = 2 + 2 * ns;
  SmallVector<AffineExpr> inExprs = {getAffineDimExpr(0, ctx),
                                     getAffineDimExpr(1, ctx)};
  SmallVector<AffineExpr> outExprs(inExprs), windowExprs;
  for (size_t i = 0; i < ns; ++i) {
    AffineExpr o = getAffineDimExpr(2 + i, ctx);
    AffineExpr k = getAffineDimExpr(2 + ns + i, ctx);
    inExprs.push_back(o * strides[i] + k * dilations[i]);
    outExprs.push_back(o);
    windowExprs.push_back(k);
  }
  Value window = tensor::EmptyOp::create(b, loc, kernel, et);
  AffineMap outMap = AffineMap::get(numLoops, 0, outExprs, ctx);
  SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, inExprs, ctx),
                                 AffineMap::get(numLoops, 0, windowExprs, ctx),
                                 outMap};
  SmallVector<utils::IteratorType> iterators(2 + ns,
                                             utils::IteratorType::parallel);
  iterators.append(ns, utils::IteratorType::reduction);
  if (withIndices) {
    // Flat index into the input: (n * C + c) * prod(in) + the spatial
    // position, row-major (storage_order 0) or column-major (1). Only
    // positions inside the input count; the first maximum wins.
    auto idxType = RankedTensorType::get(outShape, b.getI64Type());
    Value idxInit = buildFilled(b, loc, idxType, b.getI64IntegerAttr(-1));
    maps.push_back(outMap);
    auto generic = linalg::GenericOp::create(
        b, loc, TypeRange{outType, idxType}, ValueRange{x, window},
        ValueRange{init, idxInit}, maps, iterators,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Type i64 = nb.getI64Type();
          auto cst = [&](int64_t v) -> Value {
            return arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(v));
          };
          auto loopIndex = [&](unsigned d) -> Value {
            return arith::IndexCastOp::create(
                nb, l, i64, linalg::IndexOp::create(nb, l, d));
          };
          Value inside = arith::ConstantOp::create(nb, l, nb.getBoolAttr(true));
          SmallVector<Value> pos(ns);
          for (size_t i = 0; i < ns; ++i) {
            // o * stride + k * dilation - pad_begin
            Value p = arith::AddIOp::create(
                nb, l,
                arith::MulIOp::create(nb, l, loopIndex(2 + i), cst(strides[i])),
                arith::MulIOp::create(nb, l, loopIndex(2 + ns + i),
                                      cst(dilations[i])));
            pos[i] = arith::SubIOp::create(nb, l, p, cst(pads[i]));
            Value ge = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge,
                                             pos[i], cst(0));
            Value lt = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt,
                                             pos[i], cst(in[i]));
            inside = arith::AndIOp::create(
                nb, l, inside, arith::AndIOp::create(nb, l, ge, lt));
          }
          int64_t spatialSize = 1;
          for (int64_t s : in)
            spatialSize *= s;
          Value flat = arith::MulIOp::create(
              nb, l,
              arith::AddIOp::create(
                  nb, l,
                  arith::MulIOp::create(nb, l, loopIndex(0),
                                        cst(type.getDimSize(1))),
                  loopIndex(1)),
              cst(spatialSize));
          int64_t step = 1;
          for (size_t j = 0; j < ns; ++j) {
            size_t i = storageOrder == 0 ? ns - 1 - j : j;
            flat = arith::AddIOp::create(
                nb, l, flat, arith::MulIOp::create(nb, l, pos[i], cst(step)));
            step *= in[i];
          }
          Value better = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT,
                                               args[0], args[2]);
          Value unset = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt,
                                              args[3], cst(0));
          Value take = arith::AndIOp::create(
              nb, l, inside, arith::OrIOp::create(nb, l, better, unset));
          linalg::YieldOp::create(
              nb, l,
              ValueRange{arith::SelectOp::create(nb, l, take, args[0], args[2]),
                         arith::SelectOp::create(nb, l, take, flat, args[3])});
        });
    nc.setOutput(0, generic.getResult(0));
    nc.setOutput(1, generic.getResult(1));
    return success();
  }
  Value pooled =
      linalg::GenericOp::create(
          b, loc, TypeRange{outType}, ValueRange{x, window}, ValueRange{init},
          maps, iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value r =
                isMax
                    ? Value(arith::MaximumFOp::create(nb, l, args[0], args[2]))
                    : Value(arith::AddFOp::create(nb, l, args[0], args[2]));
            linalg::YieldOp::create(nb, l, r);
          })
          .getResult(0);
  if (!isMax) {
    // Divisors per output position, known at compile time: the window is a
    // product of per-dim ranges, so its count is a product of per-dim counts.
    SmallVector<SmallVector<int64_t>> dimCounts(ns);
    bool uniform = true;
    for (size_t i = 0; i < ns; ++i) {
      for (int64_t o = 0; o < out[i]; ++o) {
        int64_t n = 0;
        for (int64_t k = 0; k < kernel[i]; ++k) {
          int64_t p = o * strides[i] + k * dilations[i] - pads[i];
          n += countPad ? p < in[i] + pads[i + ns] : p >= 0 && p < in[i];
        }
        dimCounts[i].push_back(n);
      }
      uniform &= llvm::all_equal(dimCounts[i]);
    }
    // A scalar when every window has the same count (no padding in play).
    SmallVector<int64_t> countShape;
    if (!uniform)
      countShape.assign(out.begin(), out.end());
    SmallVector<Attribute> counts;
    SmallVector<int64_t> idx(ns, 0);
    int64_t total = 1;
    for (int64_t s : countShape)
      total *= s;
    for (int64_t e = 0; e < total; ++e) {
      int64_t n = 1;
      for (size_t i = 0; i < ns; ++i)
        n *= dimCounts[i][idx[i]];
      counts.push_back(numberAttr(b, et, double(std::max<int64_t>(n, 1))));
      for (size_t i = countShape.size(); i-- > 0;) {
        if (++idx[i] < out[i])
          break;
        idx[i] = 0;
      }
    }
    Value divisor = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get(countShape, et), counts));
    pooled =
        buildElementwise(b, loc, ValueRange{pooled, divisor}, outType,
                         [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return arith::DivFOp::create(nb, l, a[0], a[1]);
                         });
  }
  nc.setOutput(0, pooled);
  return success();
}

} // namespace

void mlir::qc::addReductionOps(OpTable &table) {
  table["ReduceSum"] = importReduce<ReduceKind::Sum>;
  table["ReduceMean"] = importReduce<ReduceKind::Mean>;
  table["ReduceMax"] = importReduce<ReduceKind::Max>;
  table["ReduceMin"] = importReduce<ReduceKind::Min>;
  table["ReduceProd"] = importReduce<ReduceKind::Prod>;
  table["ReduceSumSquare"] = importReduce<ReduceKind::SumSquare>;
  table["ReduceL1"] = importReduce<ReduceKind::L1>;
  table["ReduceL2"] = importReduce<ReduceKind::L2>;
  table["ReduceLogSumExp"] = importReduce<ReduceKind::LogSumExp>;
  table["Softmax"] = importSoftmax<false>;
  table["LogSoftmax"] = importSoftmax<true>;
  table["LayerNormalization"] = importLayerNorm;
  table["BatchNormalization"] = importBatchNorm;
  table["ArgMax"] = importArgExtreme<true>;
  table["ArgMin"] = importArgExtreme<false>;
  table["GlobalAveragePool"] = [](NodeContext &nc) {
    return importGlobalPool(nc, false);
  };
  table["GlobalMaxPool"] = [](NodeContext &nc) {
    return importGlobalPool(nc, true);
  };
  table["MaxPool"] = [](NodeContext &nc) { return importPool(nc, true); };
  table["AveragePool"] = [](NodeContext &nc) { return importPool(nc, false); };
}
