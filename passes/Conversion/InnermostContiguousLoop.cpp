//===- InnermostContiguousLoop.cpp - Loop order for LLVM's vectorizer -----===//
//
// Chooses each generic's innermost loop by counting the operands that are
// contiguous along it, so LLVM's loop vectorizer reads vectors, not gathers.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

namespace mlir::qc {
#define GEN_PASS_DEF_INNERMOSTCONTIGUOUSLOOPPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

/// The loop most operands index their last dimension with, or the current
/// innermost loop when none does better.
unsigned pickInnermostLoop(linalg::GenericOp op) {
  unsigned loops = op.getNumLoops();
  SmallVector<int64_t> contiguous(loops, 0);
  for (AffineMap map : op.getIndexingMapsArray()) {
    if (map.getNumResults() == 0)
      continue;
    if (auto dim = dyn_cast<AffineDimExpr>(map.getResults().back()))
      ++contiguous[dim.getPosition()];
  }
  unsigned best = loops - 1;
  for (unsigned l = 0; l < loops; ++l)
    if (contiguous[l] > contiguous[best])
      best = l;
  return best;
}

struct InnermostContiguousLoopPass final
    : mlir::qc::impl::InnermostContiguousLoopPassBase<
          InnermostContiguousLoopPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) {
      // Contractions only: an element-wise generic (a weight decode) reads
      // per-group scales along an outer dim, which must not win.
      if (op.hasPureTensorSemantics() && op.getNumLoops() > 1 &&
          op.getNumReductionLoops() > 0)
        generics.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : generics) {
      unsigned loops = op.getNumLoops(), inner = pickInnermostLoop(op);
      if (inner == loops - 1)
        continue;
      // The other loops keep their order; `inner` moves to the end.
      SmallVector<unsigned> order;
      for (unsigned l = 0; l < loops; ++l)
        if (l != inner)
          order.push_back(l);
      order.push_back(inner);
      rewriter.setInsertionPoint(op);
      if (failed(linalg::interchangeGenericOp(rewriter, op, order)))
        return signalPassFailure();
    }
  }
};

} // namespace
