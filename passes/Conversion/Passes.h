//===- Passes.h - qc conversion passes --------------------------*- C++ -*-===//

#ifndef QC_PASSES_CONVERSION_PASSES_H
#define QC_PASSES_CONVERSION_PASSES_H

#include "dialects/QC/IR/QC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace mlir::qc {

#define GEN_PASS_DECL
#include "passes/Conversion/Passes.h.inc"

/// Rewrite patterns lowering qc.linear / qc.conv2d to linalg. `tileRows`
/// is the target's schedule for quantized weights: 0 keeps the unscheduled
/// "decode + contract" form (one linalg.generic decoding each weight
/// element in its body); N > 0 decodes tiles of up to N weight rows once
/// per tile. A target adds, replaces or extends these patterns.
void populateQCLinearToLinalgPatterns(RewritePatternSet &patterns,
                                      int64_t tileRows);
void populateQCConvToLinalgPatterns(RewritePatternSet &patterns,
                                    int64_t tileRows);
inline void populateQCToLinalgPatterns(RewritePatternSet &patterns,
                                       int64_t tileRows) {
  populateQCLinearToLinalgPatterns(patterns, tileRows);
  populateQCConvToLinalgPatterns(patterns, tileRows);
}

#define GEN_PASS_REGISTRATION
#include "passes/Conversion/Passes.h.inc"

} // namespace mlir::qc

#endif // QC_PASSES_CONVERSION_PASSES_H
