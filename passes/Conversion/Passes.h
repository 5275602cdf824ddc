//===- Passes.h - qc conversion passes --------------------------*- C++ -*-===//

#ifndef QC_PASSES_CONVERSION_PASSES_H
#define QC_PASSES_CONVERSION_PASSES_H

#include "dialects/QC/IR/QC.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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
/// The batch-1-to-4 schedule of qc.linear (GemvLowering.cpp): a fused
/// decode-and-dot in the vector dialect over `lanes` f32 lanes (the
/// target's vector width), one scf.forall task per few output rows. Added
/// with a higher benefit than the general linear lowering, which keeps the
/// layers this schedule does not cover.
struct GemvScheduleOptions {
  int64_t lanes = 0; ///< 0: no GEMV schedule.
  int64_t maxBatch = 4;
  /// 8: quantize the input to int8 per block at run time and multiply
  /// quantized weights with integer dot products (W4A8, W8A8); 0: f32.
  int64_t actBits = 0;
  /// With int8 activations, repack constant weights so that vector lanes
  /// are output rows (GemvInterleaved.cpp); false keeps the row-major
  /// int8 kernel.
  bool interleave = true;
};
void populateQCLinearToVectorGemvPatterns(RewritePatternSet &patterns,
                                          const GemvScheduleOptions &options);
/// The batch >= 5 schedule (GemmLowering.cpp): per tile of 2 vectors of
/// weight rows, the tile decoded k-major once and a register-blocked outer
/// product over all input rows.
void populateQCLinearToVectorGemmPatterns(RewritePatternSet &patterns,
                                          const GemvScheduleOptions &options);

/// Quantized qc.linear layers of one input, with one affine layout and
/// constant weights (a decoder's q/k/v and gate/up projections), become one
/// layer over all their rows whose result is sliced back
/// (FuseSiblingLinears.cpp).
void populateFuseSiblingLinearsPatterns(RewritePatternSet &patterns);

inline void populateQCToLinalgPatterns(RewritePatternSet &patterns,
                                       int64_t tileRows) {
  populateQCLinearToLinalgPatterns(patterns, tileRows);
  populateQCConvToLinalgPatterns(patterns, tileRows);
}

#define GEN_PASS_REGISTRATION
#include "passes/Conversion/Passes.h.inc"

} // namespace mlir::qc

#endif // QC_PASSES_CONVERSION_PASSES_H
