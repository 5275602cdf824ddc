//===- ONNXReductions.cpp - Reduce* and ArgMax/ArgMin handlers ------------===//
//
// Reduce* (Sum, Mean, Max, Min, Prod, SumSquare, L1, L2, LogSumExp) and
// ArgMax/ArgMin, plus the reduction helper producing one linalg.generic
// that normalizations (ONNXNormalization.cpp) and pooling (ONNXPooling.cpp)
// build on, with the identity values they start from.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

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

TypedAttr mlir::qc::lowestAttr(OpBuilder &b, Type t) {
  if (auto f = dyn_cast<FloatType>(t))
    return b.getFloatAttr(
        f, APFloat::getInf(f.getFloatSemantics(), /*Negative=*/true));
  return b.getIntegerAttr(t,
                          APInt::getSignedMinValue(t.getIntOrFloatBitWidth()));
}

TypedAttr mlir::qc::numberAttr(OpBuilder &b, Type t, double v) {
  if (auto f = dyn_cast<FloatType>(t))
    return b.getFloatAttr(f, v);
  return b.getIntegerAttr(t, int64_t(v));
}

namespace {

TypedAttr highestAttr(OpBuilder &b, Type t) {
  if (auto f = dyn_cast<FloatType>(t))
    return b.getFloatAttr(f, APFloat::getInf(f.getFloatSemantics()));
  return b.getIntegerAttr(t,
                          APInt::getSignedMaxValue(t.getIntOrFloatBitWidth()));
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
  table["ArgMax"] = importArgExtreme<true>;
  table["ArgMin"] = importArgExtreme<false>;
}
