//===- ONNXDataMovement.cpp - Data movement ONNX op handlers --------------===//
//
// Ops that move elements without computing on them: Identity (and Dropout
// in inference), Transpose, Concat, Split, Slice, Gather, Tile and Pad.
// Concat and Gather on small constants fold into constants (shape
// arithmetic, see ONNXShapeOps.cpp).
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "lib/Support/LayerQuantization.h"
#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

LogicalResult importIdentity(NodeContext &nc) {
  nc.setOutput(0, nc.input(0));
  // Dropout's optional mask output is all true in inference.
  if (nc.node.output_size() > 1 && !nc.node.output(1).empty()) {
    auto maskType =
        RankedTensorType::get(nc.inputType(0).getShape(), nc.b.getI1Type());
    nc.setOutput(1, arith::ConstantOp::create(
                        nc.b, nc.loc, DenseElementsAttr::get(maskType, true)));
  }
  return success();
}

LogicalResult importTranspose(NodeContext &nc) {
  MLIRContext *ctx = nc.b.getContext();
  auto type = nc.inputType(0);
  int64_t rank = type.getRank();
  std::vector<int64_t> perm = nc.getInts("perm", {});
  if (perm.empty())
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  SmallVector<int64_t> sorted(perm.begin(), perm.end());
  llvm::sort(sorted);
  if (int64_t(perm.size()) != rank ||
      sorted != llvm::to_vector(llvm::seq<int64_t>(0, rank)))
    return nc.error() << "perm is not a permutation of the " << rank
                      << " dimensions";
  // Output dim i reads input dim perm[i]: input dim j is loop dim inv[j].
  SmallVector<AffineExpr> exprs(rank);
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    exprs[perm[i]] = getAffineDimExpr(i, ctx);
    shape.push_back(type.getDimSize(perm[i]));
  }
  auto outType = RankedTensorType::get(shape, type.getElementType());
  nc.setOutput(0, buildRemap(nc.b, nc.loc, nc.input(0), outType, exprs));
  return success();
}

LogicalResult importConcat(NodeContext &nc) {
  auto first = nc.inputType(0);
  auto axis = normalizeAxis(nc, nc.getInt("axis", 0), first.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  bool allConstant = true;
  for (unsigned i = 0; i < nc.numInputs(); ++i) {
    auto t = nc.inputType(i);
    if (t.getRank() != first.getRank() ||
        t.getElementType() != first.getElementType())
      return nc.error() << "inputs " << first << " and " << t
                        << " cannot be concatenated";
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != *axis && t.getDimSize(d) != first.getDimSize(d))
        return nc.error() << "inputs " << first << " and " << t
                          << " differ outside axis " << *axis;
    shape[*axis] += t.getDimSize(*axis);
    allConstant &= smallConstant(nc.input(i)) != nullptr;
  }
  auto type = RankedTensorType::get(shape, first.getElementType());
  if (allConstant && first.getRank() == 1) {
    SmallVector<Attribute> values;
    for (unsigned i = 0; i < nc.numInputs(); ++i)
      llvm::append_range(values,
                         smallConstant(nc.input(i)).getValues<Attribute>());
    nc.setOutput(0, arith::ConstantOp::create(
                        nc.b, nc.loc, DenseElementsAttr::get(type, values)));
    return success();
  }
  Value result =
      tensor::EmptyOp::create(nc.b, nc.loc, shape, first.getElementType());
  int64_t offset = 0;
  for (unsigned i = 0; i < nc.numInputs(); ++i) {
    auto t = nc.inputType(i);
    // Empty inputs add nothing (and have no valid offset to insert at).
    if (t.getNumElements() == 0)
      continue;
    SmallVector<OpFoldResult> offsets(t.getRank(), nc.b.getIndexAttr(0));
    offsets[*axis] = nc.b.getIndexAttr(offset);
    SmallVector<OpFoldResult> sizes, strides(t.getRank(), nc.b.getIndexAttr(1));
    for (int64_t d : t.getShape())
      sizes.push_back(nc.b.getIndexAttr(d));
    result = tensor::InsertSliceOp::create(nc.b, nc.loc, nc.input(i), result,
                                           offsets, sizes, strides);
    offset += t.getDimSize(*axis);
  }
  nc.setOutput(0, result);
  return success();
}

/// Elements [start, start + size) of `v` along `axis`.
Value sliceAlong(NodeContext &nc, Value v, int64_t axis, int64_t start,
                 int64_t size) {
  auto t = cast<RankedTensorType>(v.getType());
  SmallVector<OpFoldResult> offsets(t.getRank(), nc.b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(t.getRank(), nc.b.getIndexAttr(1));
  for (int64_t d : t.getShape())
    sizes.push_back(nc.b.getIndexAttr(d));
  offsets[axis] = nc.b.getIndexAttr(start);
  sizes[axis] = nc.b.getIndexAttr(size);
  SmallVector<int64_t> shape(t.getShape());
  shape[axis] = size;
  // Empty slices (zero-size splits) have no valid offset to extract at.
  if (size == 0)
    return tensor::EmptyOp::create(nc.b, nc.loc, shape, t.getElementType());
  return tensor::ExtractSliceOp::create(
      nc.b, nc.loc, RankedTensorType::get(shape, t.getElementType()), v,
      offsets, sizes, strides);
}

LogicalResult importSplit(NodeContext &nc) {
  auto type = nc.inputType(0);
  auto axis = normalizeAxis(nc, nc.getInt("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  int64_t dim = type.getDimSize(*axis);
  int64_t numOutputs = nc.node.output_size();
  if (nc.attr("num_outputs") &&
      nc.getInt("num_outputs", numOutputs) != numOutputs)
    return nc.error() << "num_outputs " << nc.getInt("num_outputs", 0)
                      << " does not match the node's " << numOutputs
                      << " outputs";
  SmallVector<int64_t> sizes;
  if (nc.hasInput(1)) {
    auto v = constantInts(nc, 1);
    if (failed(v))
      return nc.error() << "split sizes must be a constant";
    sizes = *v;
  } else if (nc.attr("split")) {
    std::vector<int64_t> v = nc.getInts("split", {});
    sizes.assign(v.begin(), v.end());
  } else {
    // Equal parts; with num_outputs (opset 18) the last may be smaller.
    int64_t part = (dim + numOutputs - 1) / numOutputs;
    for (int64_t i = 0; i < numOutputs; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(part, dim - i * part)));
  }
  int64_t total = 0;
  for (int64_t s : sizes)
    total += s;
  if (int64_t(sizes.size()) != numOutputs || total != dim)
    return nc.error() << "split sizes do not add up to dimension " << *axis
                      << " (" << dim << ") over " << numOutputs << " outputs";
  int64_t start = 0;
  for (int64_t i = 0; i < numOutputs; ++i) {
    nc.setOutput(i, sliceAlong(nc, nc.input(0), *axis, start, sizes[i]));
    start += sizes[i];
  }
  return success();
}

LogicalResult importSlice(NodeContext &nc) {
  MLIRContext *ctx = nc.b.getContext();
  auto type = nc.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (nc.opset < 10) {
    for (auto [dst, name] :
         {std::pair{&starts, "starts"}, {&ends, "ends"}, {&axes, "axes"}}) {
      std::vector<int64_t> v = nc.getInts(name, {});
      dst->assign(v.begin(), v.end());
    }
  } else {
    for (auto [i, dst] : llvm::enumerate(SmallVector<SmallVector<int64_t> *>{
             &starts, &ends, &axes, &steps})) {
      if (!nc.hasInput(i + 1))
        continue;
      auto v = constantInts(nc, i + 1);
      if (failed(v))
        return nc.error() << "starts, ends, axes and steps must be constants";
      *dst = *v;
    }
  }
  if (axes.empty())
    axes = llvm::to_vector(llvm::seq<int64_t>(0, starts.size()));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return nc.error() << "starts, ends, axes and steps differ in length";
  SmallVector<int64_t> outStart(rank, 0), outStep(rank, 1);
  SmallVector<int64_t> shape(type.getShape());
  for (size_t i = 0; i < starts.size(); ++i) {
    auto axis = normalizeAxis(nc, axes[i], rank);
    if (failed(axis))
      return failure();
    int64_t dim = type.getDimSize(*axis), step = steps[i];
    if (step == 0)
      return nc.error() << "step 0 on axis " << *axis;
    // ONNX: negative indices count from the end, then clamp to the range
    // the step direction can reach.
    int64_t st = starts[i], en = ends[i];
    if (st < 0)
      st = st < -dim ? -1 : st + dim; // Sentinel: clamped below.
    if (en < 0)
      en = en < -dim ? -dim - 1 : en + dim;
    int64_t s, e;
    if (step > 0) {
      s = std::clamp<int64_t>(st, 0, dim);
      e = std::clamp<int64_t>(en, 0, dim);
    } else {
      s = std::clamp<int64_t>(st, 0, dim - 1);
      e = std::clamp<int64_t>(en, -1, dim - 1);
    }
    int64_t count = step > 0 ? std::max<int64_t>(0, (e - s + step - 1) / step)
                             : std::max<int64_t>(0, (s - e - step - 1) / -step);
    outStart[*axis] = s;
    outStep[*axis] = step;
    shape[*axis] = count;
  }
  auto outType = RankedTensorType::get(shape, type.getElementType());
  if (outType.getNumElements() == 0) {
    nc.setOutput(
        0, tensor::EmptyOp::create(nc.b, nc.loc, shape, type.getElementType()));
    return success();
  }
  // An ascending strided slice first (a negative step selects the same
  // elements in reverse), then a reversal of the negative-step axes.
  SmallVector<OpFoldResult> offsets, sizes, strides;
  bool reversed = false;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t step = outStep[d], count = shape[d];
    int64_t lowest = step > 0 ? outStart[d] : outStart[d] + (count - 1) * step;
    offsets.push_back(nc.b.getIndexAttr(lowest));
    sizes.push_back(nc.b.getIndexAttr(count));
    strides.push_back(nc.b.getIndexAttr(std::abs(step)));
    reversed |= step < 0;
  }
  Value slice = tensor::ExtractSliceOp::create(
      nc.b, nc.loc, outType, nc.input(0), offsets, sizes, strides);
  if (!reversed) {
    nc.setOutput(0, slice);
    return success();
  }
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d) {
    AffineExpr dim = getAffineDimExpr(d, ctx);
    exprs.push_back(outStep[d] < 0 ? shape[d] - 1 - dim : dim);
  }
  nc.setOutput(0, buildRemap(nc.b, nc.loc, slice, outType, exprs));
  return success();
}

LogicalResult importGather(NodeContext &nc) {
  auto dataType = nc.inputType(0), idxType = nc.inputType(1);
  if (!idxType.getElementType().isInteger(64) &&
      !idxType.getElementType().isInteger(32))
    return nc.error() << "indices must be int32 or int64, got "
                      << idxType.getElementType();
  auto axis = normalizeAxis(nc, nc.getInt("axis", 0), dataType.getRank());
  if (failed(axis))
    return failure();
  int64_t dim = dataType.getDimSize(*axis);
  if (failed(nc.checkIndices(1, dim)))
    return failure();
  // Constant indices into a small constant: fold (shape arithmetic).
  DenseElementsAttr data = smallConstant(nc.input(0));
  DenseElementsAttr idx = smallConstant(nc.input(1));
  if (data && idx && dataType.getRank() == 1) {
    SmallVector<Attribute> values;
    auto all = llvm::to_vector(data.getValues<Attribute>());
    for (const APInt &i : idx.getValues<APInt>()) {
      int64_t k = i.getSExtValue(); // In range: checked above.
      values.push_back(all[k < 0 ? k + dim : k]);
    }
    auto type =
        RankedTensorType::get(idxType.getShape(), dataType.getElementType());
    nc.setOutput(0, arith::ConstantOp::create(
                        nc.b, nc.loc, DenseElementsAttr::get(type, values)));
    return success();
  }
  // out[pre..., idx..., post...] = data[pre..., indices[idx...], post...]
  MLIRContext *ctx = nc.b.getContext();
  SmallVector<int64_t> shape(dataType.getShape().take_front(*axis));
  llvm::append_range(shape, idxType.getShape());
  llvm::append_range(shape, dataType.getShape().drop_front(*axis + 1));
  int64_t rank = shape.size(), idxRank = idxType.getRank();
  SmallVector<AffineExpr> idxExprs;
  for (int64_t i = 0; i < idxRank; ++i)
    idxExprs.push_back(getAffineDimExpr(*axis + i, ctx));
  auto outType = RankedTensorType::get(shape, dataType.getElementType());
  Value init =
      tensor::EmptyOp::create(nc.b, nc.loc, shape, dataType.getElementType());
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, idxExprs, ctx),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value source = nc.input(0);
  int64_t a = *axis;
  auto gather = linalg::GenericOp::create(
      nc.b, nc.loc, TypeRange{outType}, ValueRange{nc.input(1)},
      ValueRange{init}, maps, iterators,
      [&](OpBuilder &b, Location l, ValueRange args) {
        // Negative indices count from the end; out-of-range ones (reported
        // by the check above) are clamped so they cannot read outside.
        Value k = arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
        Value dimV = arith::ConstantIndexOp::create(b, l, dim);
        Value zero = arith::ConstantIndexOp::create(b, l, 0);
        Value neg =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, k, zero);
        k = arith::SelectOp::create(b, l, neg,
                                    arith::AddIOp::create(b, l, k, dimV), k);
        k = arith::MaxSIOp::create(b, l, k, zero);
        k = arith::MinSIOp::create(b, l, k,
                                   arith::ConstantIndexOp::create(
                                       b, l, std::max<int64_t>(dim - 1, 0)));
        SmallVector<Value> indices;
        for (int64_t d = 0; d < a; ++d)
          indices.push_back(linalg::IndexOp::create(b, l, d));
        indices.push_back(k);
        for (int64_t d = a + idxRank; d < rank; ++d)
          indices.push_back(linalg::IndexOp::create(b, l, d));
        linalg::YieldOp::create(
            b, l, Value(tensor::ExtractOp::create(b, l, source, indices)));
      });
  // Indices straight from a graph input (token ids into an embedding):
  // calibration checks its data against the table before running.
  if (isa<BlockArgument>(nc.input(1)))
    gather->setAttr(kIndexBoundAttr, nc.b.getI64IntegerAttr(dim));
  nc.setOutput(0, gather.getResult(0));
  return success();
}

LogicalResult importTile(NodeContext &nc) {
  MLIRContext *ctx = nc.b.getContext();
  auto type = nc.inputType(0);
  auto repeats = constantInts(nc, 1);
  if (failed(repeats) || int64_t(repeats->size()) != type.getRank())
    return nc.error() << "repeats must be a constant with one entry per "
                         "dimension";
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if ((*repeats)[d] < 0)
      return nc.error() << "negative repeat " << (*repeats)[d];
    int64_t size;
    if (llvm::MulOverflow(type.getDimSize(d), (*repeats)[d], size))
      return nc.error() << "repeat " << (*repeats)[d] << " of dimension " << d
                        << " overflows";
    shape.push_back(size);
    exprs.push_back(getAffineDimExpr(d, ctx) % type.getDimSize(d));
  }
  auto outType = RankedTensorType::get(shape, type.getElementType());
  nc.setOutput(0, buildRemap(nc.b, nc.loc, nc.input(0), outType, exprs));
  return success();
}

/// Pad as a gather over the output: each output index maps to an input index
/// by the mode (edge: clamp, reflect: mirror without the edge, wrap:
/// modulo); constant mode reads `padValue` outside the input. Handles
/// negative pads (crops) and a pad value known only at run time.
Value buildPadGather(NodeContext &nc, StringRef mode, ArrayRef<int64_t> low,
                     RankedTensorType outType, Value runtimeValue,
                     double value) {
  Value input = nc.input(0);
  auto inType = cast<RankedTensorType>(input.getType());
  Type et = inType.getElementType();
  int64_t rank = inType.getRank();
  Value padValue =
      runtimeValue ? runtimeValue : scalarConstant(nc.b, nc.loc, et, value);
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(rank, nc.b.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(nc.b, nc.loc, outType.getShape(), et);
  if (inType.getNumElements() == 0) // nothing to read: all padding
    return linalg::FillOp::create(nc.b, nc.loc, padValue, init).getResult(0);
  return linalg::GenericOp::create(
             nc.b, nc.loc, TypeRange{outType}, ValueRange{}, ValueRange{init},
             maps, iterators,
             [&](OpBuilder &b, Location l, ValueRange) {
               auto index = [&](int64_t v) {
                 return Value(arith::ConstantIndexOp::create(b, l, v));
               };
               Value inside = arith::ConstantIntOp::create(b, l, 1, 1);
               SmallVector<Value> indices;
               for (int64_t d = 0; d < rank; ++d) {
                 int64_t n = inType.getDimSize(d);
                 Value i = arith::SubIOp::create(
                     b, l, linalg::IndexOp::create(b, l, d), index(low[d]));
                 Value zero = index(0),
                       last = index(std::max<int64_t>(n - 1, 0));
                 if (mode == "reflect" && n > 1) {
                   // -i below 0, 2(n-1) - i past the end.
                   Value neg = arith::CmpIOp::create(
                       b, l, arith::CmpIPredicate::slt, i, zero);
                   i = arith::SelectOp::create(
                       b, l, neg, arith::SubIOp::create(b, l, zero, i), i);
                   Value past = arith::CmpIOp::create(
                       b, l, arith::CmpIPredicate::sgt, i, last);
                   i = arith::SelectOp::create(
                       b, l, past,
                       arith::SubIOp::create(b, l, index(2 * (n - 1)), i), i);
                 } else if (mode == "wrap" && n > 0) {
                   Value r = arith::RemSIOp::create(b, l, i, index(n));
                   Value neg = arith::CmpIOp::create(
                       b, l, arith::CmpIPredicate::slt, r, zero);
                   i = arith::SelectOp::create(
                       b, l, neg, arith::AddIOp::create(b, l, r, index(n)), r);
                 } else if (mode == "constant") {
                   Value ok = arith::AndIOp::create(
                       b, l,
                       arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, i,
                                             zero),
                       arith::CmpIOp::create(b, l, arith::CmpIPredicate::sle, i,
                                             last));
                   inside = arith::AndIOp::create(b, l, inside, ok);
                 }
                 // Edge mode, and a safe index for reads outside in constant
                 // mode (their value is replaced by the pad value).
                 i = arith::MaxSIOp::create(b, l, i, zero);
                 i = arith::MinSIOp::create(b, l, i, last);
                 indices.push_back(i);
               }
               Value read = tensor::ExtractOp::create(b, l, input, indices);
               if (mode == "constant")
                 read = arith::SelectOp::create(b, l, inside, read, padValue);
               linalg::YieldOp::create(b, l, read);
             })
      .getResult(0);
}

LogicalResult importPad(NodeContext &nc) {
  auto type = nc.inputType(0);
  int64_t rank = type.getRank();
  std::string mode = nc.getString("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect" &&
      mode != "wrap")
    return nc.error() << "unknown pad mode '" << mode
                      << "' (constant, edge, reflect, wrap)";
  SmallVector<int64_t> pads;
  double value = 0;
  Value runtimeValue; // constant_value known only at run time
  if (nc.opset < 11) {
    std::vector<int64_t> p = nc.getInts("pads", {});
    pads.assign(p.begin(), p.end());
    value = nc.getFloat("value", 0);
  } else {
    auto p = constantInts(nc, 1);
    if (failed(p))
      return nc.error() << "pads must be a constant";
    pads = *p;
    if (nc.hasInput(2)) {
      auto v = constantFloats(nc, 2);
      if (succeeded(v) && !v->empty()) {
        value = (*v)[0];
      } else {
        if (nc.inputType(2).getNumElements() != 1)
          return nc.error() << "constant_value must hold one element";
        SmallVector<Value> zeros(
            nc.inputType(2).getRank(),
            arith::ConstantIndexOp::create(nc.b, nc.loc, 0));
        runtimeValue =
            tensor::ExtractOp::create(nc.b, nc.loc, nc.input(2), zeros);
      }
    }
  }
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  if (nc.hasInput(3)) {
    auto a = getAxes(nc, 3, "", rank);
    if (failed(a))
      return failure();
    axes = **a;
  }
  if (pads.size() != 2 * axes.size())
    return nc.error() << "expected " << 2 * axes.size() << " pads, got "
                      << pads.size();
  SmallVector<int64_t> low(rank, 0), high(rank, 0), shape(type.getShape());
  bool negative = false;
  for (auto [i, axis] : llvm::enumerate(axes)) {
    low[axis] = pads[i];
    high[axis] = pads[i + axes.size()];
    negative |= low[axis] < 0 || high[axis] < 0;
    shape[axis] += low[axis] + high[axis];
    if (shape[axis] < 0)
      return nc.error() << "pads remove more than dimension " << axis
                        << " holds";
    bool padded = low[axis] > 0 || high[axis] > 0;
    if (mode != "constant" && padded && type.getDimSize(axis) == 0)
      return nc.error() << "cannot " << mode << "-pad empty dimension " << axis;
    if (mode == "reflect" &&
        std::max(low[axis], high[axis]) >= type.getDimSize(axis) && padded)
      return nc.error() << "reflect pads of dimension " << axis
                        << " must be smaller than its size "
                        << type.getDimSize(axis);
  }
  auto outType = RankedTensorType::get(shape, type.getElementType());
  if (mode != "constant" || negative || runtimeValue) {
    nc.setOutput(0,
                 buildPadGather(nc, mode, low, outType, runtimeValue, value));
    return success();
  }
  SmallVector<OpFoldResult> lowAttr, highAttr;
  for (int64_t d = 0; d < rank; ++d) {
    lowAttr.push_back(nc.b.getIndexAttr(low[d]));
    highAttr.push_back(nc.b.getIndexAttr(high[d]));
  }
  Value padValue = scalarConstant(nc.b, nc.loc, type.getElementType(), value);
  nc.setOutput(0, tensor::PadOp::create(
                      nc.b, nc.loc,
                      RankedTensorType::get(shape, type.getElementType()),
                      nc.input(0), lowAttr, highAttr, padValue));
  return success();
}

} // namespace

void mlir::qc::addDataMovementOps(OpTable &table) {
  table["Identity"] = importIdentity;
  table["Dropout"] = importIdentity;
  table["Transpose"] = importTranspose;
  table["Concat"] = importConcat;
  table["Split"] = importSplit;
  table["Slice"] = importSlice;
  table["Gather"] = importGather;
  table["Tile"] = importTile;
  table["Pad"] = importPad;
}
