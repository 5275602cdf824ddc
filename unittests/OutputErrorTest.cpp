//===- OutputErrorTest.cpp - tr(ΔW H ΔWᵀ) against the definition ----------===//
//
// Checks lib/Quant/OutputError against the double sum written out, and the
// identity tr(ΔW H ΔWᵀ) = ‖ΔW X‖² · 2 / n for H = 2 XᵀX / n.
//
//===----------------------------------------------------------------------===//

#include "lib/Quant/OutputError.h"

#include "gtest/gtest.h"

#include <random>

using namespace mlir::qc;

namespace {

struct Case {
  int64_t rows = 5, k = 7, n = 11;
  std::vector<float> w, wq, x, h;
  explicit Case(unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal;
    for (int64_t i = 0; i < rows * k; ++i) {
      w.push_back(normal(rng));
      wq.push_back(w.back() + 0.1f * normal(rng));
    }
    for (int64_t i = 0; i < n * k; ++i)
      x.push_back(normal(rng));
    h.assign(k * k, 0.0f);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j)
        for (int64_t t = 0; t < n; ++t)
          h[i * k + j] += 2.0f * x[t * k + i] * x[t * k + j] / float(n);
  }
};

TEST(OutputError, MatchesTheDoubleSum) {
  Case c(1);
  double expected = 0;
  for (int64_t r = 0; r < c.rows; ++r)
    for (int64_t i = 0; i < c.k; ++i)
      for (int64_t j = 0; j < c.k; ++j)
        expected += (double(c.w[r * c.k + i]) - c.wq[r * c.k + i]) *
                    c.h[i * c.k + j] *
                    (double(c.w[r * c.k + j]) - c.wq[r * c.k + j]);
  EXPECT_NEAR(hessianWeightedError(c.w, c.wq, c.rows, c.k, &c.h), expected,
              1e-9 * std::abs(expected));
}

TEST(OutputError, IsTheOutputChange) {
  // tr(ΔW H ΔWᵀ) with H = 2 XᵀX / n is 2/n · Σ_t ‖ΔW x_t‖².
  Case c(2);
  double outputs = 0;
  for (int64_t t = 0; t < c.n; ++t)
    for (int64_t r = 0; r < c.rows; ++r) {
      double y = 0;
      for (int64_t i = 0; i < c.k; ++i)
        y += (double(c.w[r * c.k + i]) - c.wq[r * c.k + i]) * c.x[t * c.k + i];
      outputs += y * y;
    }
  EXPECT_NEAR(hessianWeightedError(c.w, c.wq, c.rows, c.k, &c.h),
              2.0 * outputs / double(c.n), 1e-5 * outputs);
}

TEST(OutputError, WithoutHessianIsTheSquaredNorm) {
  Case c(3);
  double expected = 0;
  for (size_t i = 0; i < c.w.size(); ++i)
    expected += (double(c.w[i]) - c.wq[i]) * (double(c.w[i]) - c.wq[i]);
  EXPECT_NEAR(hessianWeightedError(c.w, c.wq, c.rows, c.k, nullptr), expected,
              1e-12 * expected);
  EXPECT_EQ(hessianWeightedError(c.w, c.w, c.rows, c.k, &c.h), 0.0);
}

} // namespace
