//===- QCToLinalg.cpp - Lower qc layers to linalg -------------------------===//
//
// The pass behind populateQCToLinalgPatterns: qc layers become linalg
// reductions; a !qc.qweight is unpacked, its zero point subtracted and its
// scale applied inside the layer's loops (WeightAccess.h), so a dequantized
// copy of the whole weight never exists. How the decode is scheduled is the
// target's choice (`tile-rows`).
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::qc {
#define GEN_PASS_DEF_QCTOLINALGPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct QCToLinalgPass final
    : mlir::qc::impl::QCToLinalgPassBase<QCToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    if (tileRows < 0) {
      getOperation().emitError("qc-lower-to-linalg: tile-rows must be >= 0");
      return signalPassFailure();
    }
    if (gemvLanes < 0) {
      getOperation().emitError("qc-lower-to-linalg: gemv-lanes must be >= 0");
      return signalPassFailure();
    }
    if (actBits != 0 && actBits != 8) {
      getOperation().emitError("qc-lower-to-linalg: act-bits must be 0 or 8");
      return signalPassFailure();
    }

    RewritePatternSet patterns(&getContext());
    populateQCToLinalgPatterns(patterns, tileRows);
    if (gemvLanes > 0) {
      GemvScheduleOptions gemv;
      gemv.lanes = gemvLanes;
      gemv.actBits = actBits;
      gemv.interleave = interleave;
      populateQCLinearToVectorGemvPatterns(patterns, gemv);
      populateQCLinearToVectorGemmPatterns(patterns, gemv);
    }
    // A pattern that cannot lower its layer says why; count those errors
    // (passing them on) rather than adding a second one per layer.
    bool sawError = false;
    ScopedDiagnosticHandler errors(&getContext(), [&](Diagnostic &diag) {
      sawError |= diag.getSeverity() == DiagnosticSeverity::Error;
      return failure();
    });
    // One visit per op, no folding: the lowering is a local rewrite.
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    if (sawError)
      return signalPassFailure();
    WalkResult left = getOperation().walk([](QuantizableLayer layer) {
      layer->emitOpError("has no lowering to linalg");
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      return signalPassFailure();
    // Quantized weights are now read through their components.
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](QuantizedWeightOp op) {
      if (op.use_empty())
        rewriter.eraseOp(op);
    });
  }
};

} // namespace
