//===- ApproximateMath.cpp - Vectorizable erf/exp/tanh/log ----------------===//
//
// The element-wise loops of a model (GELU, softmax, SiLU) only vectorize
// when their transcendental functions are arithmetic rather than libm
// calls; MLIR's polynomial approximations are.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qc {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

struct ApproximateMathPass final
    : mlir::qc::impl::ApproximateMathPassBase<ApproximateMathPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      return name == "math.erf" || name == "math.exp" || name == "math.tanh" ||
             name == "math.log";
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
