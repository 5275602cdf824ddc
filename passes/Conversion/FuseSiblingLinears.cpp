//===- FuseSiblingLinears.cpp - One GEMV for the layers of one input ------===//
//
// A decoder block's attention reads its normalized input three times (q, k
// and v projections) and its MLP twice (gate and up). Batch-1 decoding
// streams every weight once per token, and each layer was its own kernel:
// its own pass over the input, its own parallel region (a fork and a join
// per layer, ~9 per block), and for GQA two small streams (k and v are an
// eighth of q) too short to keep the memory system busy. Quantized layers
// that share an input and a layout are one layer over the rows of all of
// them, as llama.cpp and vLLM fuse qkv and gate/up, with the result sliced
// back. Each output row is computed exactly as before (same codes, scales
// and input), so the results do not change by a bit.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "dialects/QC/IR/QC.h"
#include "lib/Support/WeightConstants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qc {
#define GEN_PASS_DEF_FUSESIBLINGLINEARSPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

bool isConstant(Value v) { return v && v.getDefiningOp<arith::ConstantOp>(); }

/// The quantized weight of `op` when it can be concatenated by rows: an
/// affine layout over [N, K] whose packed codes, scales and zero points are
/// constants with one row per output channel, and no per-column operand
/// (AWQ's column scales or GPTQ's group index would have to match too).
QuantizedWeightOp concatenableWeight(LinearOp op) {
  auto def = op.getWeight().getDefiningOp<QuantizedWeightOp>();
  if (!def)
    return {};
  auto type = cast<QWeightType>(def.getType());
  if (!type.getAffineLayout() || type.getShape().size() != 2 ||
      def.getColumnScales() || def.getGroupIndex() ||
      !isConstant(def.getPacked()) || !isConstant(def.getScales()) ||
      (def.getZeroPoints() && !isConstant(def.getZeroPoints())))
    return {};
  if (op.getBias() && !isConstant(op.getBias()))
    return {};
  return def;
}

/// Whether `a` and `b` (of one input) can be one layer: same weight layout
/// and row length, and both with or both without a bias.
bool compatible(LinearOp a, LinearOp b) {
  auto ta = cast<QWeightType>(a.getWeight().getType());
  auto tb = cast<QWeightType>(b.getWeight().getType());
  return ta.getLayout() == tb.getLayout() &&
         ta.getRowLength() == tb.getRowLength() &&
         bool(a.getBias()) == bool(b.getBias());
}

/// The bytes of `values` (constants of one element type, [N_i, ...]) one
/// after the other: the rows of all of them.
FailureOr<std::vector<char>> concatRows(ArrayRef<Value> values) {
  std::vector<char> bytes;
  for (Value v : values) {
    FailureOr<std::vector<char>> part = readConstantBytes(v);
    if (failed(part))
      return failure();
    bytes.insert(bytes.end(), part->begin(), part->end());
  }
  return bytes;
}

/// `values` ([N_i, d...], same trailing dims) as one constant [sum N_i, d...].
FailureOr<Value> concatConstants(OpBuilder &b, Location loc,
                                 ArrayRef<Value> values, StringRef name) {
  FailureOr<std::vector<char>> bytes = concatRows(values);
  if (failed(bytes))
    return failure();
  auto first = cast<RankedTensorType>(values.front().getType());
  SmallVector<int64_t> shape(first.getShape());
  shape[0] = 0;
  for (Value v : values)
    shape[0] += cast<RankedTensorType>(v.getType()).getDimSize(0);
  return createConstant(b, loc,
                        RankedTensorType::get(shape, first.getElementType()),
                        *bytes, name);
}

/// Rooted at the first (in block order) of the qc.linear users of an input
/// that qualify: all of them become one layer.
struct FuseSiblingLinears final : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp root,
                                PatternRewriter &rewriter) const override {
    if (!concatenableWeight(root))
      return rewriter.notifyMatchFailure(root, "weight not concatenable");
    SmallVector<LinearOp> group;
    for (Operation *user : root.getInput().getUsers()) {
      auto sibling = dyn_cast<LinearOp>(user);
      if (!sibling || sibling->getBlock() != root->getBlock() ||
          sibling.getInput() != root.getInput() ||
          !concatenableWeight(sibling) || !compatible(root, sibling) ||
          llvm::is_contained(group, sibling))
        continue;
      group.push_back(sibling);
    }
    if (group.size() < 2)
      return rewriter.notifyMatchFailure(root, "no sibling layer");
    llvm::sort(group,
               [](LinearOp a, LinearOp b) { return a->isBeforeInBlock(b); });
    if (group.front() != root)
      return rewriter.notifyMatchFailure(root, "not the first sibling");

    SmallVector<Value> packed, scales, zeros, biases;
    SmallVector<Location> locs;
    int64_t rows = 0;
    for (LinearOp op : group) {
      auto def = op.getWeight().getDefiningOp<QuantizedWeightOp>();
      packed.push_back(def.getPacked());
      scales.push_back(def.getScales());
      if (def.getZeroPoints())
        zeros.push_back(def.getZeroPoints());
      if (op.getBias())
        biases.push_back(op.getBias());
      locs.push_back(op.getLoc());
      rows += cast<QWeightType>(def.getType()).getNumRows();
    }
    if (!zeros.empty() && zeros.size() != group.size())
      return rewriter.notifyMatchFailure(root, "zero points on some only");

    Location loc = rewriter.getFusedLoc(locs);
    std::string name = getLayerName(root.getLoc()) + ".siblings";
    rewriter.setInsertionPoint(root);
    FailureOr<Value> packedAll =
        concatConstants(rewriter, loc, packed, name + ".packed");
    FailureOr<Value> scalesAll =
        concatConstants(rewriter, loc, scales, name + ".scales");
    FailureOr<Value> zerosAll =
        zeros.empty() ? FailureOr<Value>(Value())
                      : concatConstants(rewriter, loc, zeros, name + ".zp");
    FailureOr<Value> biasAll =
        biases.empty() ? FailureOr<Value>(Value())
                       : concatConstants(rewriter, loc, biases, name + ".bias");
    if (failed(packedAll) || failed(scalesAll) || failed(zerosAll) ||
        failed(biasAll))
      return rewriter.notifyMatchFailure(root, "unreadable constant");

    auto rootType = cast<QWeightType>(root.getWeight().getType());
    auto weightType = QWeightType::get(
        getContext(), {rows, rootType.getRowLength()}, rootType.getLayout());
    Value weight = QuantizedWeightOp::create(
        rewriter, loc, weightType, *packedAll, *scalesAll, *zerosAll,
        /*column_scales=*/Value(), /*group_index=*/Value());
    auto rootResult = cast<RankedTensorType>(root.getType());
    SmallVector<int64_t> shape(rootResult.getShape());
    shape.back() = rows;
    auto fused = LinearOp::create(
        rewriter, loc, RankedTensorType::get(shape, rewriter.getF32Type()),
        root.getInput(), weight, *biasAll);

    // Each layer's result is its columns of the fused one.
    int64_t rank = rootResult.getRank(), offset = 0;
    for (LinearOp op : group) {
      auto type = cast<RankedTensorType>(op.getType());
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes, strides(rank, rewriter.getIndexAttr(1));
      for (int64_t d : type.getShape())
        sizes.push_back(rewriter.getIndexAttr(d));
      offsets.back() = rewriter.getIndexAttr(offset);
      offset += type.getShape().back();
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, type, fused, offsets, sizes, strides);
    }
    return success();
  }
};

struct FuseSiblingLinearsPass final
    : mlir::qc::impl::FuseSiblingLinearsPassBase<FuseSiblingLinearsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseSiblingLinearsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void mlir::qc::populateFuseSiblingLinearsPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseSiblingLinears>(patterns.getContext());
}
