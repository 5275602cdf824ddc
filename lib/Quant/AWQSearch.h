//===- AWQSearch.h - AWQ scale search (Lin et al.) --------------*- C++ -*-===//
//-*-===//
//
// The published AWQ algorithm ("AWQ: Activation-aware Weight Quantization for
// LLM Compression and Acceleration", MLSys 2024; reference code
// mit-han-lab/llm-awq, auto_scale.py and auto_clip.py) for one linear layer
// on plain arrays, free of MLIR.
//
// Differences from the reference code, all deliberate:
//  - The scale search measures the output error of THIS layer (the reference
//    measures the output of the enclosing module, e.g. a whole MLP).
//  - The clip search runs on W * s with the inputs X / s (as the reference,
//    which divides its cached input features by the scales before clipping),
//    per output row and per input group.
//  - Safeguard: when the best alpha of the (unclipped) scale search, once
//    clipped, is not strictly better on X than alpha = 0 with the same clip
//    search, alpha = 0 is returned, so errorChosen <= errorAlphaZero always.
//  - Arithmetic: weights, scales and the quantizer in float32 (the reference
//    runs in fp16); the products with X and the errors in double.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_QUANT_AWQSEARCH_H
#define QC_LIB_QUANT_AWQSEARCH_H

#include "lib/Quant/WeightQuantizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::qc {

struct AWQOptions {
  /// Typically 4 or 3 bits, groupSize 64/128, asymmetric and
  /// rangeIncludesZero = false (the AWQ authors' quantizer).
  QuantSpec spec;
  /// Scale search grid: alpha in {0, 1/nGrid, ..., (nGrid-1)/nGrid}; clip
  /// search: max|w| * (1 - i/nGrid) for i < maxShrink * nGrid.
  int nGrid = 20;
  bool searchScale = true;
  bool searchClip = true;
  double maxShrink = 0.5;
  /// Tokens of X used by the clip search: every (tokens / clipTokens)-th one
  /// starting at 0 (all when tokens < 2 * clipTokens, as the reference's
  /// stride); <= 0 uses all.
  int64_t clipTokens = 512;
};

struct AWQResult {
  /// s[k] > 0 per input channel. The quantized weight is Q(clip(W * s)); the
  /// layer computes (x / s) . Q(clip(W s))^T, i.e. the dequantized weight is
  /// Q(clip(W s))[n, k] / s[k]. All 1 for alpha = 0.
  std::vector<float> columnScales;
  /// Codes [rows * cols] and scales/zero points [rows * numGroups] of
  /// Q(clip(W * s)) (contiguous groups, value = scale * (code - zeroPoint)).
  QuantizedMatrix q;
  double alpha = 0.0;
  /// Mean over tokens x rows of (X W^T - X What^T)^2 on the whole sample X,
  /// What the dequantized weight: for alpha = 0 (plain RTN with the same clip
  /// search) and for the returned alpha. errorChosen <= errorAlphaZero.
  double errorAlphaZero = 0.0;
  double errorChosen = 0.0;
};

/// AWQ-quantizes `weights`, row-major [rows, cols] (rows = output channels).
/// X: row-major [tokens, cols] sample of the layer's inputs; meanAbsX: [cols]
/// mean |x| over all calibration tokens. Returns false with *error (if
/// non-null) set on bad input (sizes, spec, options, non-finite values,
/// negative meanAbsX).
bool runAWQ(const float *weights, int64_t rows, int64_t cols, const float *X,
            int64_t tokens, const float *meanAbsX, const AWQOptions &options,
            AWQResult &result, std::string *error);

} // namespace mlir::qc

#endif // QC_LIB_QUANT_AWQSEARCH_H
