//===- GPTQSolver.h - GPTQ (Frantar et al. 2023) ----------------*- C++ -*-===//
//
// The published GPTQ algorithm ("GPTQ: Accurate Post-Training Quantization
// for Generative Pre-trained Transformers", ICLR 2023; reference code
// IST-DASLab/gptq, gptq.py fasterquant) on plain arrays, free of MLIR so unit
// tests check it against an unblocked textbook OBS implementation.
//
// Differences from the reference code, all deliberate:
//  - Group parameters (groupSize > 0, not static) are found on the truly
//    current weights of the group's columns, i.e. including the error updates
//    of the earlier columns of the same lazy block. The reference reads its
//    stale `W` there, so its groups depend on blockSize when a group starts
//    inside a block; ours do not depend on blockSize at all, and both agree
//    whenever every group start is a block start (groupSize a multiple of
//    blockSize, e.g. 128/128) and per channel.
//  - Weights are kept and updated in double; the quantizer itself
//    (findGroupParams/quantizeValue) runs on float32 values like the
//    reference's torch float32.
//  - Act-order sorts diag(H) descending with a stable sort (ties keep the
//    original column order); torch.argsort is not stable.
//  - A Hessian that is not positive definite after damping is retried with
//    10x, 100x and 1000x the damping percent (a zero percent retries with
//    0.01, 0.1, 1) before failing; the reference just fails.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_QUANT_GPTQSOLVER_H
#define QC_LIB_QUANT_GPTQSOLVER_H

#include "lib/Quant/WeightQuantizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::qc {

struct GPTQOptions {
  QuantSpec spec; ///< bits (2..8), groupSize (0: per channel), symmetric, ...
  /// Added to the Hessian's diagonal: dampPercent * mean(diag(H)).
  double dampPercent = 0.01;
  /// Columns per lazy batch update (results do not depend on it).
  int64_t blockSize = 128;
  /// Quantize columns in descending diag(H) order.
  bool actOrder = false;
  /// With groupSize > 0: every contiguous group's parameters are fixed up
  /// front from the (dead-column-zeroed) input weights instead of being found
  /// on the error-updated weights when the group starts. Groups then stay the
  /// contiguous original groups even with actOrder.
  bool staticGroups = false;
};

struct GPTQResult {
  /// Codes in the ORIGINAL column order [rows * cols]; scales and zero
  /// points [rows * numGroups]; value = scale * (code - zeroPoint).
  QuantizedMatrix q;
  /// Empty unless actOrder && groupSize > 0 && !staticGroups: then, per
  /// original column, the index of its group. Groups are consecutive runs of
  /// groupSize columns in the act-order (permuted) order, so group g's
  /// scale/zero point is at [row * numGroups + g].
  std::vector<int32_t> groupIndex;
  /// tr((W - Q) H (W - Q)^T) with the input W and the undamped input H.
  double layerError = 0.0;
  /// Columns no calibration input reached (diag(H) = 0), zeroed.
  int64_t deadColumns = 0;
};

/// GPTQ-quantizes `weights`, row-major [rows, cols] (rows = output channels),
/// with `hessian`, row-major [cols, cols], H = 2 X^T X / n for the layer's
/// inputs X [n, cols] (symmetric; (H + H^T) / 2 is used). Columns whose
/// diag(H) is 0 are dead: their weights become 0 before quantization.
/// Per-channel (groupSize 0) parameters come from the input weights' rows.
/// Returns false with *error (if non-null) set on bad input: sizes, spec,
/// non-finite values, or a Hessian not positive definite even with 1000x the
/// damping.
bool runGPTQ(const float *weights, int64_t rows, int64_t cols,
             const double *hessian, const GPTQOptions &options,
             GPTQResult &result, std::string *error);

/// tr((W - What) H (W - What)^T) for row-major W, What [rows, cols] and H
/// [cols, cols]: with H = 2 X^T X / n, 2/n * ||X W^T - X What^T||_F^2.
double layerOutputError(const float *W, const float *What, int64_t rows,
                        int64_t cols, const double *H);

} // namespace mlir::qc

#endif // QC_LIB_QUANT_GPTQSOLVER_H
