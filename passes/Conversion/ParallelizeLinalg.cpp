//===- ParallelizeLinalg.cpp - qc-parallelize-linalg: ops across threads --===//
//
// The linear layers are scf.forall kernels, but everything between them
// (attention's products and softmax, normalization, element-wise chains)
// is a linalg op that ran on one thread: in a small transformer that was
// two thirds of the forward pass at one thread, so a second core barely
// helped. This pass tiles each such op (on tensors, not already inside a
// loop or kernel, with enough iterations to pay for a parallel region)
// along one parallel dimension into an scf.forall of `tasks` slices, which
// the CPU pipeline then runs on OpenMP threads like the kernels.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::qc {
#define GEN_PASS_DEF_PARALLELIZELINALGPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

/// The dimension to split `op` along and its number of slices: the
/// outermost parallel loop whose extent a task count of `tasks` or fewer
/// (a power of two, at least 2) divides, so every slice has a static shape.
/// {-1, 0} when there is none.
std::pair<int64_t, int64_t> pickSplit(linalg::LinalgOp op, int64_t tasks) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (auto [dim, extent] : llvm::enumerate(ranges)) {
    if (iterators[dim] != utils::IteratorType::parallel ||
        ShapedType::isDynamic(extent))
      continue;
    for (int64_t t = tasks; t >= 2; t /= 2)
      if (extent % t == 0)
        return {int64_t(dim), t};
  }
  return {-1, 0};
}

struct ParallelizeLinalgPass final
    : mlir::qc::impl::ParallelizeLinalgPassBase<ParallelizeLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    if (tasks < 2 || minIterations < 1) {
      getOperation().emitError(
          "qc-parallelize-linalg: tasks must be >= 2 and min-iterations >= 1");
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> candidates;
    getOperation().walk([&](linalg::LinalgOp op) {
      // Fills are memsets; ops inside loops belong to a kernel already.
      if (!op.hasPureTensorSemantics() || isa<linalg::FillOp>(op) ||
          op->getParentOfType<LoopLikeOpInterface>())
        return;
      int64_t iterations = 1;
      for (int64_t extent : op.getStaticLoopRanges()) {
        if (ShapedType::isDynamic(extent))
          return;
        iterations *= extent;
      }
      if (iterations >= minIterations)
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates) {
      auto [dim, slices] = pickSplit(op, tasks);
      if (dim < 0)
        continue;
      SmallVector<OpFoldResult> sizes(op.getNumLoops(),
                                      rewriter.getIndexAttr(0));
      sizes[dim] =
          rewriter.getIndexAttr(op.getStaticLoopRanges()[dim] / slices);
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      options.setTileSizes(sizes);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled))
        continue; // Stays on one thread; still correct.
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};

} // namespace
