//===- FuseElementwiseOps.cpp - Element-wise fusion without recomputation -===//
//
// linalg-fuse-elementwise-ops fuses a producer into any consumer, even when
// the consumer reads it once per element of a reduced dimension; this pass
// keeps upstream's patterns and refuses that case, bounds the size of fused
// bodies (compile time linear in the number of ops), and keeps unsigned
// splat constants valid.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::qc {
#define GEN_PASS_DEF_FUSEELEMENTWISEOPSPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

/// Each fusion clones both bodies into a new op, so fusing a chain of n
/// element-wise ops one by one costs O(n^2) (a 4,000-node Add chain took
/// seconds, 50,000 nodes minutes). Fused bodies stop growing at this many
/// ops: compile time stays linear, and a loop body this long is already
/// compute-bound, so splitting it costs one extra pass over memory per
/// kMaxFusedBodyOps ops.
constexpr int64_t kMaxFusedBodyOps = 64;

int64_t bodySize(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp ? int64_t(linalgOp.getBlock()->getOperations().size()) : 0;
}

/// Whether `op` only moves data: a generic whose body yields its one input
/// unchanged (a transpose, a broadcast, the GQA repeat of a KV cache).
bool isDataMovement(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumResults() != 1)
    return false;
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  return generic.getBody()->getOperations().size() == 1 &&
         yield.getValues().size() == 1 &&
         yield.getValues()[0] == generic.getBody()->getArgument(0);
}

/// Upstream's rule (a producer with one use) plus: into a reduction, only
/// through an operand indexed by every loop (so no element is recomputed),
/// or when the producer only moves data (nothing to recompute: the consumer
/// reads the source where it would have read the copy), and bodies bounded
/// by kMaxFusedBodyOps.
bool shouldFuse(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  if (bodySize(producer) + bodySize(fused->getOwner()) > kMaxFusedBodyOps)
    return false;
  auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
  if (!consumer || consumer.getNumReductionLoops() == 0)
    return true;
  AffineMap map = consumer.getMatchingIndexingMap(fused);
  return map.isPermutation() || isDataMovement(producer);
}

/// ONNX's Reshape imports as tensor.reshape, which no linalg pattern sees
/// through. A static reshape that only splits or only merges dimensions is
/// an expand_shape or a collapse_shape, which reshape folding by expansion
/// moves out of the way: the GQA repeat `Reshape(Expand(k))` of a KV cache
/// then fuses into attention's contraction instead of being materialized at
/// every decode step.
struct ReshapeToExpandOrCollapse final : OpRewritePattern<tensor::ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto source = dyn_cast<RankedTensorType>(op.getSource().getType());
    auto result = dyn_cast<RankedTensorType>(op.getResult().getType());
    if (!source || !result || !source.hasStaticShape() ||
        !result.hasStaticShape() || source.getRank() == result.getRank())
      return failure();
    bool collapse = source.getRank() > result.getRank();
    std::optional<SmallVector<ReassociationIndices>> groups =
        collapse ? getReassociationIndicesForCollapse(source.getShape(),
                                                      result.getShape())
                 : getReassociationIndicesForCollapse(result.getShape(),
                                                      source.getShape());
    if (!groups)
      return failure();
    if (collapse)
      rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
          op, result, op.getSource(), *groups);
    else
      rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
          op, result, op.getSource(), *groups);
    return success();
  }
};

/// Upstream's FoldScalarOrSplatConstant inlines a splat constant operand
/// as a scalar arith.constant of its element type, which is invalid for the
/// unsigned types ONNX's uint* tensors keep (QuantizeLinear with a scalar
/// uint8 zero point failed to compile). Such constants are rebuilt from a
/// signless scalar, which the pattern leaves alone; the body's
/// unsigned/signless casts cancel out when lowered to LLVM.
struct RebuildUnsignedSplats final : OpRewritePattern<arith::ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ConstantOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    auto splat = dyn_cast<SplatElementsAttr>(op.getValue());
    if (!type || !splat || !type.getElementType().isUnsignedInteger() ||
        llvm::none_of(op->getUsers(), llvm::IsaPred<linalg::LinalgOp>))
      return failure();
    Type unsignedType = type.getElementType();
    Type signless =
        rewriter.getIntegerType(unsignedType.getIntOrFloatBitWidth());
    Location loc = op.getLoc();
    Value scalar = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getIntegerAttr(signless, splat.getSplatValue<APInt>()));
    Value asUnsigned =
        UnrealizedConversionCastOp::create(rewriter, loc, unsignedType, scalar)
            .getResult(0);
    rewriter.replaceOpWithNewOp<tensor::SplatOp>(op, type, asUnsigned);
    return success();
  }
};

struct FuseElementwiseOpsPass final
    : mlir::qc::impl::FuseElementwiseOpsPassBase<FuseElementwiseOpsPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    {
      RewritePatternSet splats(context);
      splats.add<RebuildUnsignedSplats>(context);
      walkAndApplyPatterns(getOperation(), std::move(splats));
    }
    RewritePatternSet patterns(context);
    linalg::ControlFusionFn upstream = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse();
    };
    patterns.add<ReshapeToExpandOrCollapse>(context);
    linalg::populateElementwiseOpsFusionPatterns(patterns, shouldFuse);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, upstream);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, context);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()
        ->getCanonicalizationPatterns(patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, upstream);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};

} // namespace
