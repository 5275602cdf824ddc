//===- AWQSearch.cpp - AWQ scale and clip search (Lin et al.) -------------===//
//
// Scale search (auto_scale.py): s = max(meanAbsX^alpha, 1e-4), normalized by
// sqrt(max(s) * min(s)); the alpha whose Q(W s) / s gives the smallest mean
// squared output error on X wins (ties: the smaller alpha). Clip search
// (auto_clip.py): per output row and input group of W s, the clip value
// max|w| * (1 - i/nGrid) (i < maxShrink * nGrid, i = 0 is no clip) whose
// quantized group gives the smallest mean squared group output error on the
// sampled X / s.
//
//===----------------------------------------------------------------------===//

#include "lib/Quant/AWQSearch.h"
#include "lib/Quant/EigenSupport.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir::qc;

namespace {

bool fail(std::string *error, const std::string &message) {
  return failWith(error, "AWQ", message);
}

/// Quantization of one alpha: scales, codes and the output error on X.
struct Candidate {
  std::vector<float> scales;
  QuantizedMatrix q;
  double error = 0.0;
};

class AWQSearch {
public:
  AWQSearch(const float *weights, int64_t rows, int64_t cols, const float *x,
            int64_t tokens, const float *meanAbsX, const AWQOptions &options)
      : w(weights, rows, cols),
        x(Eigen::Map<const RowMatrixF>(x, tokens, cols).cast<double>()),
        meanAbsX(meanAbsX), options(options), spec(options.spec), rows(rows),
        cols(cols), groupLength(spec.groupLength(cols)),
        numGroups(spec.numGroups(cols)) {}

  /// s = max(meanAbsX^alpha, 1e-4) / sqrt(max(s) * min(s)).
  std::vector<float> scalesFor(double alpha) const {
    std::vector<float> s(cols);
    for (int64_t k = 0; k < cols; ++k)
      s[k] = std::max(float(std::pow(double(meanAbsX[k]), alpha)), 1.0e-4f);
    auto [lo, hi] = std::minmax_element(s.begin(), s.end());
    float norm = std::sqrt(*hi * *lo);
    for (float &v : s)
      v /= norm;
    return s;
  }

  /// W * s, row-major.
  RowMatrixF scaledWeights(const std::vector<float> &s) const {
    Eigen::Map<const Eigen::RowVectorXf> sv(s.data(), cols);
    return w.array().rowwise() * sv.array();
  }

  /// Mean over tokens x rows of (X W^T - X What^T)^2 with What = Q / s the
  /// dequantized weight of `q`.
  double outputError(const QuantizedMatrix &q,
                     const std::vector<float> &s) const {
    RowMatrixD delta(rows, cols);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t k = 0; k < cols; ++k) {
        int64_t g = r * numGroups + k / groupLength;
        float value =
            dequantizeValue(q.codes[r * cols + k],
                            GroupParams{q.scales[g], q.zeroPoints[g]}) /
            s[k];
        delta(r, k) = double(w(r, k)) - double(value);
      }
    }
    return (x * delta.transpose()).squaredNorm() / double(x.rows() * rows);
  }

  /// Clips every (row, group) of `ws` (= W * s) in place to the best
  /// [-v, v] of the auto_clip grid, judged on the sampled X / s.
  void clip(RowMatrixF &ws, const std::vector<float> &s) const {
    int64_t tokens = x.rows();
    int64_t stride = options.clipTokens > 0
                         ? std::max<int64_t>(1, tokens / options.clipTokens)
                         : 1;
    int64_t samples = (tokens + stride - 1) / stride;
    RowMatrixD xs(samples, cols);
    for (int64_t t = 0; t < samples; ++t)
      for (int64_t k = 0; k < cols; ++k)
        xs(t, k) = x(t * stride, k) / double(s[k]);

    const int64_t steps = int64_t(options.maxShrink * options.nGrid);
    std::vector<float> clamped(groupLength);
    RowMatrixD delta(rows, groupLength);
    std::vector<double> bestError(rows);
    std::vector<float> bestMax(rows), originalMax(rows);
    for (int64_t g = 0; g < numGroups; ++g) {
      const int64_t begin = g * groupLength;
      const int64_t length = std::min(groupLength, cols - begin);
      for (int64_t r = 0; r < rows; ++r) {
        originalMax[r] = ws.row(r).segment(begin, length).cwiseAbs().maxCoeff();
        bestMax[r] = originalMax[r];
        bestError[r] = std::numeric_limits<double>::infinity();
      }
      for (int64_t i = 0; i < steps; ++i) {
        float shrink = float(1.0 - double(i) / double(options.nGrid));
        for (int64_t r = 0; r < rows; ++r) {
          const float *values = ws.row(r).data() + begin;
          float maxVal = originalMax[r] * shrink;
          for (int64_t k = 0; k < length; ++k)
            clamped[k] = std::clamp(values[k], -maxVal, maxVal);
          GroupParams p = findGroupParams(clamped.data(), length, spec);
          for (int64_t k = 0; k < length; ++k)
            delta(r, k) = double(values[k]) -
                          double(dequantizeValue(
                              quantizeValue(clamped[k], p, spec.bits), p));
        }
        // Per-row group output errors over the sampled tokens.
        RowMatrixD out =
            xs.middleCols(begin, length) * delta.leftCols(length).transpose();
        for (int64_t r = 0; r < rows; ++r) {
          double err = out.col(r).squaredNorm() / double(samples);
          if (err < bestError[r]) {
            bestError[r] = err;
            bestMax[r] = originalMax[r] * shrink;
          }
        }
      }
      for (int64_t r = 0; r < rows; ++r) {
        float *values = ws.row(r).data() + begin;
        for (int64_t k = 0; k < length; ++k)
          values[k] = std::clamp(values[k], -bestMax[r], bestMax[r]);
      }
    }
  }

  /// Q(W s) / s without clipping: the scale search's loss.
  double scaleLoss(double alpha) const {
    std::vector<float> s = scalesFor(alpha);
    RowMatrixF ws = scaledWeights(s);
    return outputError(quantizeRTN(ws.data(), rows, cols, spec), s);
  }

  /// The final quantization for `alpha`: scales, clip search, RTN.
  Candidate finish(double alpha) const {
    Candidate c;
    c.scales = scalesFor(alpha);
    RowMatrixF ws = scaledWeights(c.scales);
    if (options.searchClip)
      clip(ws, c.scales);
    c.q = quantizeRTN(ws.data(), rows, cols, spec);
    c.error = outputError(c.q, c.scales);
    return c;
  }

private:
  Eigen::Map<const RowMatrixF> w;
  RowMatrixD x;
  const float *meanAbsX;
  const AWQOptions &options;
  const QuantSpec &spec;
  int64_t rows, cols, groupLength, numGroups;
};

} // namespace

bool mlir::qc::runAWQ(const float *weights, int64_t rows, int64_t cols,
                      const float *X, int64_t tokens, const float *meanAbsX,
                      const AWQOptions &options, AWQResult &result,
                      std::string *error) {
  const QuantSpec &spec = options.spec;
  if (rows <= 0 || cols <= 0)
    return fail(error, "empty weight matrix");
  if (tokens <= 0)
    return fail(error, "no input tokens");
  if (spec.bits < 2 || spec.bits > 8)
    return fail(error,
                "bits must be in [2, 8], got " + std::to_string(spec.bits));
  if (spec.groupSize < 0)
    return fail(error, "negative group size");
  if (options.nGrid < 1)
    return fail(error, "nGrid must be at least 1");
  if (!(options.maxShrink >= 0.0 && options.maxShrink < 1.0))
    return fail(error, "maxShrink must be in [0, 1)");
  if (!Eigen::Map<const RowMatrixF>(weights, rows, cols).allFinite())
    return fail(error, "non-finite weight");
  if (!Eigen::Map<const RowMatrixF>(X, tokens, cols).allFinite())
    return fail(error, "non-finite input activation");
  for (int64_t k = 0; k < cols; ++k)
    if (!std::isfinite(meanAbsX[k]) || meanAbsX[k] < 0.0f)
      return fail(error, "meanAbsX must be finite and non-negative");

  AWQSearch search(weights, rows, cols, X, tokens, meanAbsX, options);

  int bestStep = 0;
  if (options.searchScale) {
    double bestLoss = std::numeric_limits<double>::infinity();
    for (int step = 0; step < options.nGrid; ++step) {
      double loss = search.scaleLoss(double(step) / options.nGrid);
      if (loss < bestLoss) {
        bestLoss = loss;
        bestStep = step;
      }
    }
  }

  Candidate zero = search.finish(0.0);
  result.errorAlphaZero = zero.error;
  Candidate chosen;
  result.alpha = 0.0;
  if (bestStep > 0) {
    double alpha = double(bestStep) / options.nGrid;
    chosen = search.finish(alpha);
    if (chosen.error < zero.error)
      result.alpha = alpha;
  }
  Candidate &kept = result.alpha > 0.0 ? chosen : zero;
  result.columnScales = std::move(kept.scales);
  result.q = std::move(kept.q);
  result.errorChosen = kept.error;
  return true;
}
