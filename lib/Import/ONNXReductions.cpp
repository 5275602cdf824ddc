//===- ONNXReductions.cpp - Reductions, normalizations, pooling -----------===//
//
// Everything that reduces over some axes: Reduce*, ArgMax/ArgMin, Softmax
// and LogSoftmax, LayerNormalization, BatchNormalization (inference), and
// 2-D pooling. All build on one reduction helper producing linalg.generic.
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

namespace {

using CombineFn =
    function_ref<Value(OpBuilder &, Location, Value in, Value acc)>;

/// Reduces `input` over `axes` (sorted) starting from `init`, keeping the
/// reduced dims as size 1 when `keepDims`.
Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
             TypedAttr init, bool keepDims, CombineFn combine) {
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

LogicalResult importLayerNorm(NodeContext &nc) {
  auto type = nc.inputType(0);
  Type et = type.getElementType();
  if (!isFloat(et))
    return nc.error() << "requires a float input";
  int64_t rank = type.getRank();
  auto axis = normalizeAxis(nc, nc.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  double eps = nc.getFloat("epsilon", 1e-5f);
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(*axis, rank));
  int64_t count = 1;
  for (int64_t a : axes)
    count *= type.getDimSize(a);
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
  if (nc.getInt("training_mode", 0) != 0)
    return nc.error() << "training_mode=1 is not supported (inference only)";
  double eps = nc.getFloat("epsilon", 1e-5f);
  // Parameters [C] broadcast along dim 1: reshape to [C, 1, ...].
  SmallVector<int64_t> paramShape(type.getRank() - 1, 1);
  paramShape[0] = type.getDimSize(1);
  SmallVector<Value> inputs = {nc.input(0)};
  for (unsigned i = 1; i <= 4; ++i) {
    if (nc.inputType(i).getNumElements() != type.getDimSize(1))
      return nc.error() << "parameter " << i << " must have "
                        << type.getDimSize(1) << " elements";
    inputs.push_back(reshapeTo(nc.b, nc.loc, nc.input(i), paramShape));
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

/// MaxPool / AveragePool over the two spatial dims of an NCHW input.
LogicalResult importPool(NodeContext &nc, bool isMax) {
  MLIRContext *ctx = nc.b.getContext();
  auto type = nc.inputType(0);
  Type et = type.getElementType();
  if (type.getRank() != 4 || !isFloat(et))
    return nc.error() << "only 2-D pooling of a float NCHW input is "
                         "supported, got "
                      << type;
  if (nc.node.output_size() > 1 && !nc.node.output(1).empty())
    return nc.error() << "the Indices output is not supported";
  std::vector<int64_t> kernel = nc.getInts("kernel_shape", {});
  std::vector<int64_t> strides = nc.getInts("strides", {1, 1});
  std::vector<int64_t> pads = nc.getInts("pads", {0, 0, 0, 0});
  std::vector<int64_t> dilations = nc.getInts("dilations", {1, 1});
  bool ceilMode = nc.getInt("ceil_mode", 0) != 0;
  bool countPad = nc.getInt("count_include_pad", 0) != 0;
  if (kernel.size() != 2 || strides.size() != 2 || pads.size() != 4 ||
      dilations.size() != 2)
    return nc.error() << "expected 2 kernel dims, 2 strides, 4 pads and 2 "
                         "dilations";
  int64_t inH = type.getDimSize(2), inW = type.getDimSize(3);
  int64_t in[2] = {inH, inW};
  if (failed(resolveAutoPad(nc, {inH, inW}, kernel, strides, dilations, pads)))
    return failure();
  int64_t out[2];
  int64_t extraHigh[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    int64_t span = dilations[i] * (kernel[i] - 1) + 1;
    int64_t padded = in[i] + pads[i] + pads[i + 2];
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
  SmallVector<int64_t> paddedShape = {type.getDimSize(0), type.getDimSize(1),
                                      inH + pads[0] + pads[2] + extraHigh[0],
                                      inW + pads[1] + pads[3] + extraHigh[1]};
  Value padValue = arith::ConstantOp::create(
      b, loc, isMax ? lowestAttr(b, et) : numberAttr(b, et, 0));
  SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(0),
                                   b.getIndexAttr(pads[0]),
                                   b.getIndexAttr(pads[1])};
  SmallVector<OpFoldResult> high = {b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(pads[2] + extraHigh[0]),
                                    b.getIndexAttr(pads[3] + extraHigh[1])};
  Value x =
      tensor::PadOp::create(b, loc, RankedTensorType::get(paddedShape, et),
                            nc.input(0), low, high, padValue);
  SmallVector<int64_t> outShape = {type.getDimSize(0), type.getDimSize(1),
                                   out[0], out[1]};
  auto outType = RankedTensorType::get(outShape, et);
  Value init = buildFilled(b, loc, outType,
                           isMax ? lowestAttr(b, et) : numberAttr(b, et, 0));
  SmallVector<AffineExpr> d;
  for (unsigned i = 0; i < 6; ++i)
    d.push_back(getAffineDimExpr(i, ctx));
  Value window = tensor::EmptyOp::create(b, loc, {kernel[0], kernel[1]}, et);
  SmallVector<AffineMap> maps = {
      AffineMap::get(6, 0,
                     {d[0], d[1], d[2] * strides[0] + d[4] * dilations[0],
                      d[3] * strides[1] + d[5] * dilations[1]},
                     ctx),
      AffineMap::get(6, 0, {d[4], d[5]}, ctx),
      AffineMap::get(6, 0, {d[0], d[1], d[2], d[3]}, ctx)};
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.append(2, utils::IteratorType::reduction);
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
    // Divisors per output position, known at compile time.
    SmallVector<float> counts;
    for (int64_t oh = 0; oh < out[0]; ++oh)
      for (int64_t ow = 0; ow < out[1]; ++ow) {
        int64_t n = 0;
        for (int64_t kh = 0; kh < kernel[0]; ++kh)
          for (int64_t kw = 0; kw < kernel[1]; ++kw) {
            int64_t h = oh * strides[0] + kh * dilations[0] - pads[0];
            int64_t w = ow * strides[1] + kw * dilations[1] - pads[1];
            bool inPadded = h < inH + pads[2] && w < inW + pads[3];
            bool inInput = h >= 0 && h < inH && w >= 0 && w < inW;
            n += countPad ? inPadded : inInput;
          }
        counts.push_back(float(std::max<int64_t>(n, 1)));
      }
    auto countType = RankedTensorType::get({out[0], out[1]}, b.getF32Type());
    Value countTensor = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(countType, ArrayRef<float>(counts)));
    pooled =
        buildElementwise(b, loc, ValueRange{pooled, countTensor}, outType,
                         [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           Value c = a[1];
                           if (c.getType() != et)
                             c = arith::TruncFOp::create(nb, l, et, c);
                           return arith::DivFOp::create(nb, l, a[0], c);
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
