//===- ONNXIndexing.cpp - Element-position and scan ops -------------------===//
//
// Op handlers for GatherElements, ScatterElements, GatherND, ScatterND, Trilu
// and CumSum: ops whose result element depends on its own position
// (linalg.index), on indices read from a tensor, or on earlier elements
// along an axis.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

/// Index `k` (any integer type) into a dimension of size `dim` > 0: negative
/// values count from the end. ONNX makes out-of-range ones an error, which
/// the run-time check (NodeContext::checkIndices) reports; they are
/// clamped too, so that no access leaves the tensor whatever the caller does
/// with the error.
Value wrapAndClampIndex(OpBuilder &b, Location l, Value k, int64_t dim) {
  k = arith::IndexCastOp::create(b, l, b.getIndexType(), k);
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, k, zero);
  k = arith::SelectOp::create(
      b, l, neg,
      arith::AddIOp::create(b, l, k, arith::ConstantIndexOp::create(b, l, dim)),
      k);
  k = arith::MaxSIOp::create(b, l, k, zero);
  return arith::MinSIOp::create(b, l, k,
                                arith::ConstantIndexOp::create(b, l, dim - 1));
}

/// Checks the indices (input 1) of GatherElements / ScatterElements against
/// data (input 0); returns the normalized axis.
FailureOr<int64_t> checkElementIndices(NodeContext &nc) {
  if (!nc.hasInput(0) || !nc.hasInput(1))
    return nc.error() << "requires data and indices inputs";
  auto dataType = nc.inputType(0), idxType = nc.inputType(1);
  Type idxElementType = idxType.getElementType();
  if (!idxElementType.isInteger(64) && !idxElementType.isInteger(32))
    return nc.error() << "indices must be int32 or int64, got "
                      << idxElementType;
  int64_t rank = dataType.getRank();
  if (rank < 1)
    return nc.error() << "data must have rank >= 1";
  if (idxType.getRank() != rank)
    return nc.error() << "indices " << idxType << " must have the rank of data "
                      << dataType;
  auto axis = normalizeAxis(nc, nc.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  // Off the axis, an index dimension larger than data's would reach outside
  // it (as in PyTorch, smaller ones are fine).
  for (int64_t d = 0; d < rank; ++d)
    if (d != *axis && idxType.getDimSize(d) > dataType.getDimSize(d))
      return nc.error() << "indices " << idxType << " exceed data " << dataType
                        << " in dimension " << d;
  int64_t dim = dataType.getDimSize(*axis);
  if (dim == 0 && idxType.getNumElements() != 0)
    return nc.error() << "cannot index data " << dataType
                      << " along its empty axis " << *axis;
  // Run-time indices are also clamped, so that no access leaves the tensor.
  if (failed(nc.checkIndices(1, dim)))
    return failure();
  return *axis;
}

/// out[i...] = data[i_0, ..., indices[i...], ..., i_r-1] with `indices` read
/// along `axis`.
LogicalResult importGatherElements(NodeContext &nc) {
  auto axis = checkElementIndices(nc);
  if (failed(axis))
    return failure();
  int64_t a = *axis;
  auto dataType = nc.inputType(0), idxType = nc.inputType(1);
  int64_t rank = dataType.getRank(), dim = dataType.getDimSize(a);
  MLIRContext *ctx = nc.b.getContext();
  Type et = dataType.getElementType();
  auto outType = RankedTensorType::get(idxType.getShape(), et);
  Value init = tensor::EmptyOp::create(nc.b, nc.loc, idxType.getShape(), et);
  SmallVector<AffineMap> maps(2, AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value data = nc.input(0);
  Value out =
      linalg::GenericOp::create(
          nc.b, nc.loc, TypeRange{outType}, ValueRange{nc.input(1)},
          ValueRange{init}, maps, iterators,
          [&](OpBuilder &b, Location l, ValueRange args) {
            SmallVector<Value> indices;
            for (int64_t d = 0; d < rank; ++d)
              indices.push_back(d == a
                                    ? wrapAndClampIndex(b, l, args[0], dim)
                                    : Value(linalg::IndexOp::create(b, l, d)));
            linalg::YieldOp::create(
                b, l, Value(tensor::ExtractOp::create(b, l, data, indices)));
          })
          .getResult(0);
  nc.setOutput(0, out);
  return success();
}

/// Fails unless `reduction` is a Scatter* reduction ONNX defines.
LogicalResult checkReduction(NodeContext &nc, StringRef reduction) {
  if (reduction != "none" && reduction != "add" && reduction != "mul" &&
      reduction != "max" && reduction != "min")
    return nc.error() << "unknown reduction '" << reduction << "'";
  return success();
}

/// The value a Scatter* op with a reduction stores where `old` meets update
/// `u`: old (+, *, max, min) u; on booleans add and max are "or", mul and
/// min "and" (as numpy).
Value combineScattered(OpBuilder &b, Location l, StringRef reduction,
                       Value old, Value u) {
  Type et = u.getType();
  bool isFloat = isa<FloatType>(et), isBool = et.isInteger(1);
  if (reduction == "add")
    return isFloat  ? Value(arith::AddFOp::create(b, l, old, u))
           : isBool ? Value(arith::OrIOp::create(b, l, old, u))
                    : Value(arith::AddIOp::create(b, l, old, u));
  if (reduction == "mul")
    return isFloat  ? Value(arith::MulFOp::create(b, l, old, u))
           : isBool ? Value(arith::AndIOp::create(b, l, old, u))
                    : Value(arith::MulIOp::create(b, l, old, u));
  if (reduction == "max")
    return isFloat  ? Value(arith::MaximumFOp::create(b, l, old, u))
           : isBool ? Value(arith::OrIOp::create(b, l, old, u))
                    : Value(arith::MaxSIOp::create(b, l, old, u));
  return isFloat  ? Value(arith::MinimumFOp::create(b, l, old, u))
         : isBool ? Value(arith::AndIOp::create(b, l, old, u))
                  : Value(arith::MinSIOp::create(b, l, old, u));
}

/// A copy of `data` where each element of `updates`, in order (writes may
/// collide, as in the reference), is stored at `position(ivs)` of its
/// position `ivs`, combined with the old value under `reduction`.
Value buildOrderedScatter(
    OpBuilder &b, Location loc, Value data, Value updates, StringRef reduction,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)>
        position) {
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t size : cast<RankedTensorType>(updates.getType()).getShape()) {
    lbs.push_back(arith::ConstantIndexOp::create(b, loc, 0));
    ubs.push_back(arith::ConstantIndexOp::create(b, loc, size));
    steps.push_back(arith::ConstantIndexOp::create(b, loc, 1));
  }
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, steps, ValueRange{data},
      [&](OpBuilder &lb, Location l, ValueRange ivs,
          ValueRange iterArgs) -> scf::ValueVector {
        SmallVector<Value> pos = position(lb, l, ivs);
        Value v = tensor::ExtractOp::create(lb, l, updates, ivs);
        if (reduction != "none")
          v = combineScattered(
              lb, l, reduction,
              tensor::ExtractOp::create(lb, l, iterArgs[0], pos), v);
        return {tensor::InsertOp::create(lb, l, v, iterArgs[0], pos)};
      });
  return nest.results[0];
}

/// ScatterElements (and its predecessor Scatter): a copy of data where
/// out[i_0, ..., indices[i...], ..., i_r-1] = updates[i...], combined with
/// the old value under `reduction`. Writes may collide, so updates are
/// applied in order by a loop nest over the indices, as in the reference.
LogicalResult importScatterElements(NodeContext &nc) {
  auto axis = checkElementIndices(nc);
  if (failed(axis))
    return failure();
  int64_t a = *axis;
  if (!nc.hasInput(2))
    return nc.error() << "requires an updates input";
  auto dataType = nc.inputType(0), idxType = nc.inputType(1),
       updType = nc.inputType(2);
  Type et = dataType.getElementType();
  if (updType.getShape() != idxType.getShape() ||
      updType.getElementType() != et)
    return nc.error() << "updates " << updType << " must have the shape of "
                      << "indices " << idxType << " and the type of data "
                      << dataType;
  std::string reduction = nc.getString("reduction", "none");
  if (failed(checkReduction(nc, reduction)))
    return failure();

  int64_t dim = dataType.getDimSize(a);
  Value indices = nc.input(1);
  nc.setOutput(0, buildOrderedScatter(
                      nc.b, nc.loc, nc.input(0), nc.input(2), reduction,
                      [&](OpBuilder &lb, Location l, ValueRange ivs) {
                        Value k = tensor::ExtractOp::create(lb, l, indices,
                                                            ivs);
                        SmallVector<Value> pos(ivs);
                        pos[a] = wrapAndClampIndex(lb, l, k, dim);
                        return pos;
                      }));
  return success();
}

/// The shapes GatherND and ScatterND share: data [d_0..d_r-1] indexed by
/// tuples of k = indices[-1] coordinates, after `batchDims` leading
/// dimensions common to data and indices.
struct IndexTuples {
  int64_t batchDims, k;
  /// The bound of each tuple coordinate: d_b, ..., d_b+k-1.
  SmallVector<int64_t> bounds;
};

FailureOr<IndexTuples> checkIndexTuples(NodeContext &nc, int64_t batchDims) {
  if (!nc.hasInput(0) || !nc.hasInput(1))
    return nc.error() << "requires data and indices inputs";
  auto dataType = nc.inputType(0), idxType = nc.inputType(1);
  Type idxElementType = idxType.getElementType();
  if (!idxElementType.isInteger(64) && !idxElementType.isInteger(32))
    return nc.error() << "indices must be int64 (or int32), got "
                      << idxElementType;
  int64_t r = dataType.getRank(), q = idxType.getRank();
  if (r < 1 || q < 1)
    return nc.error() << "data " << dataType << " and indices " << idxType
                      << " must have rank >= 1";
  if (batchDims < 0 || batchDims >= std::min(r, q))
    return nc.error() << "batch_dims " << batchDims
                      << " must lie in [0, min(rank(data), rank(indices)))";
  for (int64_t d = 0; d < batchDims; ++d)
    if (dataType.getDimSize(d) != idxType.getDimSize(d))
      return nc.error() << "indices " << idxType << " and data " << dataType
                        << " differ in batch dimension " << d;
  int64_t k = idxType.getShape().back();
  if (k < 1 || k > r - batchDims)
    return nc.error() << "index tuples of " << k << " coordinates (the last "
                      << "dimension of indices " << idxType
                      << ") must have 1 to " << r - batchDims;
  IndexTuples tuples{batchDims, k, {}};
  for (int64_t c = 0; c < k; ++c) {
    int64_t dim = dataType.getDimSize(batchDims + c);
    if (dim == 0 && idxType.getNumElements() != 0)
      return nc.error() << "cannot index data " << dataType
                        << " along its empty dimension " << batchDims + c;
    tuples.bounds.push_back(dim);
  }
  if (failed(nc.checkIndices(1, tuples.bounds)))
    return failure();
  return tuples;
}

/// The data position of a tuple: `leading` (batch positions, if any), the
/// tuple's coordinates read from `indices` at `tuplePos` + [c], and
/// `trailing` positions of the dimensions the tuple does not index.
SmallVector<Value> tuplePosition(OpBuilder &b, Location l,
                                 const IndexTuples &tuples, Value indices,
                                 ValueRange tuplePos, ValueRange leading,
                                 ValueRange trailing) {
  SmallVector<Value> pos(leading);
  SmallVector<Value> at(tuplePos);
  at.push_back(Value());
  for (int64_t c = 0; c < tuples.k; ++c) {
    at.back() = arith::ConstantIndexOp::create(b, l, c);
    Value coordinate = tensor::ExtractOp::create(b, l, indices, at);
    pos.push_back(wrapAndClampIndex(b, l, coordinate, tuples.bounds[c]));
  }
  llvm::append_range(pos, trailing);
  return pos;
}

/// out[i_0..i_q-2, j...] = data[i_0..i_b-1, indices[i_0..i_q-2, :], j...]:
/// each tuple of indices selects a slice of data.
LogicalResult importGatherND(NodeContext &nc) {
  auto tuples = checkIndexTuples(nc, nc.getInt("batch_dims", 0));
  if (failed(tuples))
    return failure();
  auto dataType = nc.inputType(0), idxType = nc.inputType(1);
  int64_t q = idxType.getRank(), b = tuples->batchDims;
  SmallVector<int64_t> outShape(idxType.getShape().drop_back());
  llvm::append_range(outShape, dataType.getShape().drop_front(b + tuples->k));
  Type et = dataType.getElementType();
  if (failed(nc.checkShape(outShape, et)))
    return failure();
  int64_t outRank = outShape.size();
  auto outType = RankedTensorType::get(outShape, et);
  Value init = tensor::EmptyOp::create(nc.b, nc.loc, outShape, et);
  MLIRContext *ctx = nc.b.getContext();
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(outRank, ctx)};
  SmallVector<utils::IteratorType> iterators(outRank,
                                             utils::IteratorType::parallel);
  Value data = nc.input(0), indices = nc.input(1);
  Value out =
      linalg::GenericOp::create(
          nc.b, nc.loc, TypeRange{outType}, ValueRange{}, ValueRange{init},
          maps, iterators,
          [&](OpBuilder &gb, Location l, ValueRange) {
            SmallVector<Value> ivs;
            for (int64_t d = 0; d < outRank; ++d)
              ivs.push_back(linalg::IndexOp::create(gb, l, d));
            ValueRange all(ivs);
            SmallVector<Value> pos = tuplePosition(
                gb, l, *tuples, indices, all.take_front(q - 1),
                all.take_front(b), all.drop_front(q - 1));
            linalg::YieldOp::create(
                gb, l, Value(tensor::ExtractOp::create(gb, l, data, pos)));
          })
          .getResult(0);
  nc.setOutput(0, out);
  return success();
}

/// A copy of data where data[indices[i_0..i_q-2, :], j...] =
/// updates[i_0..i_q-2, j...], combined with the old value under
/// `reduction`; updates are applied in order, as in the reference.
LogicalResult importScatterND(NodeContext &nc) {
  auto tuples = checkIndexTuples(nc, /*batchDims=*/0);
  if (failed(tuples))
    return failure();
  if (!nc.hasInput(2))
    return nc.error() << "requires an updates input";
  auto dataType = nc.inputType(0), idxType = nc.inputType(1),
       updType = nc.inputType(2);
  int64_t q = idxType.getRank();
  SmallVector<int64_t> updShape(idxType.getShape().drop_back());
  llvm::append_range(updShape, dataType.getShape().drop_front(tuples->k));
  Type et = dataType.getElementType();
  if (updType.getShape() != ArrayRef<int64_t>(updShape) ||
      updType.getElementType() != et)
    return nc.error() << "updates " << updType << " must be "
                      << RankedTensorType::get(updShape, et)
                      << " (indices[:-1] followed by data's dimensions after "
                      << "the indexed ones)";
  std::string reduction = nc.getString("reduction", "none");
  if (failed(checkReduction(nc, reduction)))
    return failure();

  Value indices = nc.input(1);
  nc.setOutput(0, buildOrderedScatter(
                      nc.b, nc.loc, nc.input(0), nc.input(2), reduction,
                      [&](OpBuilder &lb, Location l, ValueRange ivs) {
                        return tuplePosition(lb, l, *tuples, indices,
                                             ivs.take_front(q - 1),
                                             ValueRange{},
                                             ivs.drop_front(q - 1));
                      }));
  return success();
}

/// Keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last
/// two dims and zeroes the rest.
LogicalResult importTrilu(NodeContext &nc) {
  auto type = nc.inputType(0);
  int64_t rank = type.getRank();
  if (rank < 2)
    return nc.error() << "input " << type << " must have rank >= 2";
  bool upper = nc.getInt("upper", 1) != 0;
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  // k: a constant, or read once at run time (the backend tests feed it as a
  // graph input).
  Value k;
  if (nc.hasInput(1)) {
    auto kType = nc.inputType(1);
    if (!isa<IntegerType>(kType.getElementType()) ||
        kType.getElementType().isInteger(1) || kType.getNumElements() != 1)
      return nc.error() << "k must be an int64 scalar, got " << kType;
    if (auto ks = constantInts(nc, 1); succeeded(ks)) {
      k = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr((*ks)[0]));
    } else {
      SmallVector<Value> zeros(kType.getRank(),
                               arith::ConstantIndexOp::create(b, loc, 0));
      k = tensor::ExtractOp::create(b, loc, nc.input(1), zeros);
      if (!kType.getElementType().isInteger(64))
        k = arith::ExtSIOp::create(b, loc, b.getI64Type(), k);
    }
  } else {
    k = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
  }
  MLIRContext *ctx = b.getContext();
  Type et = type.getElementType();
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), et);
  SmallVector<AffineMap> maps(2, AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value out =
      linalg::GenericOp::create(
          b, loc, TypeRange{type}, ValueRange{nc.input(0)}, ValueRange{init},
          maps, iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            auto asI64 = [&](int64_t d) -> Value {
              return arith::IndexCastOp::create(
                  nb, l, nb.getI64Type(), linalg::IndexOp::create(nb, l, d));
            };
            // j - i is small, so unlike i + k it cannot overflow.
            Value diff =
                arith::SubIOp::create(nb, l, asI64(rank - 1), asI64(rank - 2));
            Value keep = arith::CmpIOp::create(
                nb, l,
                upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
                diff, k);
            linalg::YieldOp::create(
                nb, l,
                Value(arith::SelectOp::create(nb, l, keep, args[0],
                                              scalarConstant(nb, l, et, 0))));
          })
          .getResult(0);
  nc.setOutput(0, out);
  return success();
}

/// Running sum along one axis in O(n): an scf.for over the axis carries the
/// sum of the slices so far and inserts it (before or after adding the
/// current slice, for exclusive or inclusive) into the result.
LogicalResult importCumSum(NodeContext &nc) {
  if (!nc.hasInput(1))
    return nc.error() << "requires an axis input";
  auto type = nc.inputType(0);
  Type et = type.getElementType();
  if (!isa<FloatType>(et) && (!isa<IntegerType>(et) || et.isInteger(1)))
    return nc.error() << "requires a float or integer input, got " << et;
  int64_t rank = type.getRank();
  if (rank < 1)
    return nc.error() << "input must have rank >= 1";
  auto axisType = nc.inputType(1);
  if (!axisType.getElementType().isInteger(32) &&
      !axisType.getElementType().isInteger(64))
    return nc.error() << "axis must be int32 or int64, got "
                      << axisType.getElementType();
  if (axisType.getNumElements() != 1)
    return nc.error() << "axis must be a scalar, got " << axisType;
  int64_t a = 0;
  if (auto axis = constantInts(nc, 1); succeeded(axis)) {
    auto normalized = normalizeAxis(nc, (*axis)[0], rank);
    if (failed(normalized))
      return failure();
    a = *normalized;
  } else if (rank != 1) {
    // A 1-D input has one valid axis, so only then can it be unknown.
    return nc.error() << "axis must be a constant for an input of rank "
                      << rank;
  } else if (failed(nc.checkIndices(1, rank))) {
    // (Checked at run time: an axis other than 0 or -1 is an error.)
    return failure();
  }
  bool exclusive = nc.getInt("exclusive", 0) != 0;
  bool reverse = nc.getInt("reverse", 0) != 0;

  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  MLIRContext *ctx = b.getContext();
  int64_t n = type.getDimSize(a);
  SmallVector<int64_t> sliceShape(type.getShape());
  sliceShape.erase(sliceShape.begin() + a);
  auto sliceType = RankedTensorType::get(sliceShape, et);
  int64_t sliceRank = sliceShape.size();
  Value acc0 =
      buildFilled(b, loc, sliceType, cast<TypedAttr>(b.getZeroAttr(et)));
  Value out0 = tensor::EmptyOp::create(b, loc, type.getShape(), et);
  Value x = nc.input(0);
  SmallVector<AffineMap> maps(
      2, AffineMap::getMultiDimIdentityMap(sliceRank, ctx));
  SmallVector<utils::IteratorType> iterators(sliceRank,
                                             utils::IteratorType::parallel);
  auto loop = scf::ForOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, 0),
      arith::ConstantIndexOp::create(b, loc, n),
      arith::ConstantIndexOp::create(b, loc, 1), ValueRange{out0, acc0},
      [&](OpBuilder &lb, Location l, Value iv, ValueRange iterArgs) {
        Value pos = iv;
        if (reverse)
          pos = arith::SubIOp::create(
              lb, l, arith::ConstantIndexOp::create(lb, l, n - 1), iv);
        SmallVector<OpFoldResult> offsets(rank, lb.getIndexAttr(0));
        offsets[a] = pos;
        SmallVector<OpFoldResult> sizes;
        for (int64_t d = 0; d < rank; ++d)
          sizes.push_back(lb.getIndexAttr(d == a ? 1 : type.getDimSize(d)));
        SmallVector<OpFoldResult> strides(rank, lb.getIndexAttr(1));
        Value out = iterArgs[0], acc = iterArgs[1];
        auto insert = [&](Value v) {
          return tensor::InsertSliceOp::create(lb, l, v, out, offsets, sizes,
                                               strides)
              .getResult();
        };
        if (exclusive)
          out = insert(acc);
        Value slice = tensor::ExtractSliceOp::create(lb, l, sliceType, x,
                                                     offsets, sizes, strides);
        // Accumulates in place into the carried sum.
        acc = linalg::GenericOp::create(
                  lb, l, TypeRange{sliceType}, ValueRange{slice},
                  ValueRange{acc}, maps, iterators,
                  [&](OpBuilder &gb, Location gl, ValueRange args) {
                    Value sum = isa<FloatType>(et)
                                    ? Value(arith::AddFOp::create(
                                          gb, gl, args[0], args[1]))
                                    : Value(arith::AddIOp::create(
                                          gb, gl, args[0], args[1]));
                    linalg::YieldOp::create(gb, gl, sum);
                  })
                  .getResult(0);
        if (!exclusive)
          out = insert(acc);
        scf::YieldOp::create(lb, l, ValueRange{out, acc});
      });
  nc.setOutput(0, loop.getResult(0));
  return success();
}

} // namespace

void mlir::qc::addIndexingOps(OpTable &table) {
  table["GatherElements"] = importGatherElements;
  table["ScatterElements"] = importScatterElements;
  table["Scatter"] = importScatterElements;
  table["GatherND"] = importGatherND;
  table["ScatterND"] = importScatterND;
  table["Trilu"] = importTrilu;
  table["CumSum"] = importCumSum;
}
