//===- GPTQTest.cpp - Unit tests of the GPTQ implementation ---------------===//
//
// Checks lib/Quant/GPTQSolver against an independent unblocked textbook OBS
// implementation written here (explicit LU inverse of the damped Hessian in
// the original column order, the classic update W -= err / [H^-1]_qq *
// [H^-1]_q,: and Gaussian elimination of column q from H^-1), and checks that
// GPTQ beats round-to-nearest on the layer output when inputs are correlated.
//
//===----------------------------------------------------------------------===//

#include "lib/Quant/EigenSupport.h"
#include "lib/Quant/GPTQSolver.h"
#include "lib/Quant/WeightQuantizer.h"

#include "gtest/gtest.h"

#include <Eigen/Core>
#include <Eigen/LU>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <ostream>
#include <random>
#include <string>
#include <vector>

using namespace mlir::qc;

namespace {

QuantSpec makeSpec(unsigned bits, int64_t groupSize = 0, bool symmetric = false,
                   ScaleType scaleType = ScaleType::F32) {
  QuantSpec spec;
  spec.bits = bits;
  spec.groupSize = groupSize;
  spec.symmetric = symmetric;
  spec.scaleType = scaleType;
  return spec;
}

GPTQOptions makeOptions(QuantSpec spec, int64_t blockSize = 128,
                        bool actOrder = false, bool staticGroups = false) {
  GPTQOptions o;
  o.spec = spec;
  o.blockSize = blockSize;
  o.actOrder = actOrder;
  o.staticGroups = staticGroups;
  return o;
}

std::vector<float> randomNormal(std::mt19937 &rng, int64_t count,
                                float stddev = 1.0f) {
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v(count);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// Inputs [n, cols] with strongly correlated columns: X = Z A + 0.05 noise,
/// Z [n, latent], A [latent, cols], latent < cols. Each column also gets its
/// own magnitude so diag(H) has distinct values.
RowMatrixD correlatedInputs(std::mt19937 &rng, int64_t n, int64_t cols,
                            int64_t latent) {
  std::normal_distribution<double> dist(0.0, 1.0);
  RowMatrixD z(n, latent), a(latent, cols), noise(n, cols);
  for (int64_t i = 0; i < z.size(); ++i)
    z.data()[i] = dist(rng);
  for (int64_t i = 0; i < a.size(); ++i)
    a.data()[i] = dist(rng);
  for (int64_t i = 0; i < noise.size(); ++i)
    noise.data()[i] = 0.05 * dist(rng);
  RowMatrixD x = z * a + noise;
  for (int64_t c = 0; c < cols; ++c)
    x.col(c) *= 0.5 + double(c % 7) / 4.0;
  return x;
}

/// H = 2 X^T X / n, row-major.
std::vector<double> hessianOf(const RowMatrixD &x) {
  RowMatrixD h = 2.0 * x.transpose() * x / double(x.rows());
  return std::vector<double>(h.data(), h.data() + h.size());
}

/// Group of column c under `spec` and a GPTQ groupIndex.
int64_t groupOf(int64_t c, const QuantSpec &spec,
                const std::vector<int32_t> &groupIndex) {
  if (spec.groupSize == 0)
    return 0;
  return groupIndex.empty() ? c / spec.groupSize : groupIndex[c];
}

std::vector<float> decode(const QuantizedMatrix &q, int64_t rows, int64_t cols,
                          const QuantSpec &spec,
                          const std::vector<int32_t> &groupIndex = {}) {
  int64_t numGroups = spec.numGroups(cols);
  std::vector<float> out(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      int64_t g = r * numGroups + groupOf(c, spec, groupIndex);
      out[r * cols + c] =
          q.scales[g] * (float(q.codes[r * cols + c]) - float(q.zeroPoints[g]));
    }
  return out;
}

/// ||X W^T - X What^T||_F.
double outputErrorNorm(const RowMatrixD &x, const std::vector<float> &w,
                       const std::vector<float> &wHat, int64_t rows,
                       int64_t cols) {
  Eigen::Map<const RowMatrixF> a(w.data(), rows, cols),
      b(wHat.data(), rows, cols);
  RowMatrixD delta = a.cast<double>() - b.cast<double>();
  return (x * delta.transpose()).norm();
}

//===----------------------------------------------------------------------===//
// Independent naive GPTQ: column by column, textbook OBS on H^-1.
//===----------------------------------------------------------------------===//

struct NaiveResult {
  std::vector<uint8_t> codes;
  std::vector<float> scales;
  std::vector<uint8_t> zeroPoints;
  std::vector<int32_t> groupIndex;
};

NaiveResult naiveGPTQ(const std::vector<float> &weights, int64_t rows,
                      int64_t cols, const std::vector<double> &hessian,
                      const GPTQOptions &o) {
  const QuantSpec &spec = o.spec;
  const int64_t gs = spec.groupSize;
  const int64_t numGroups = spec.numGroups(cols);
  const bool isStatic = gs > 0 && o.staticGroups;
  NaiveResult res;
  res.codes.assign(rows * cols, 0);
  res.scales.assign(rows * numGroups, 0.0f);
  res.zeroPoints.assign(rows * numGroups, 0);

  MatrixD w(rows, cols), h(cols, cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      w(r, c) = weights[r * cols + c];
  for (int64_t i = 0; i < cols; ++i)
    for (int64_t j = 0; j < cols; ++j)
      h(i, j) = hessian[i * cols + j];

  std::vector<GroupParams> current(rows);
  auto setParams = [&](int64_t r, int64_t g, GroupParams p) {
    current[r] = p;
    res.scales[r * numGroups + g] = p.scale;
    res.zeroPoints[r * numGroups + g] = p.zeroPoint;
  };
  if (gs == 0)
    for (int64_t r = 0; r < rows; ++r)
      setParams(r, 0, findGroupParams(&weights[r * cols], cols, spec));

  for (int64_t i = 0; i < cols; ++i)
    if (h(i, i) == 0.0) {
      h(i, i) = 1.0;
      w.col(i).setZero();
    }

  std::vector<GroupParams> fixed;
  if (isStatic) {
    fixed.resize(rows * numGroups);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t g = 0; g < numGroups; ++g) {
        std::vector<float> vals;
        for (int64_t c = g * gs; c < std::min(cols, (g + 1) * gs); ++c)
          vals.push_back(float(w(r, c)));
        fixed[r * numGroups + g] =
            findGroupParams(vals.data(), int64_t(vals.size()), spec);
        setParams(r, g, fixed[r * numGroups + g]);
      }
  }

  // Quantization order: descending diag(H), ties by column index.
  std::vector<int64_t> order(cols);
  std::iota(order.begin(), order.end(), 0);
  if (o.actOrder)
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return h(a, a) != h(b, b) ? h(a, a) > h(b, b) : a < b;
    });

  double damp = o.dampPercent * h.diagonal().mean();
  MatrixD hd = h;
  hd.diagonal().array() += damp;
  MatrixD hinv = hd.fullPivLu().inverse();

  if (o.actOrder && gs > 0 && !isStatic)
    res.groupIndex.assign(cols, -1);
  for (int64_t j = 0; j < cols; ++j) {
    const int64_t q = order[j];
    if (!res.groupIndex.empty())
      res.groupIndex[q] = int32_t(j / gs);
    if (isStatic) {
      for (int64_t r = 0; r < rows; ++r)
        current[r] = fixed[r * numGroups + q / gs];
    } else if (gs > 0 && j % gs == 0) {
      for (int64_t r = 0; r < rows; ++r) {
        std::vector<float> vals;
        for (int64_t k = j; k < std::min(cols, j + gs); ++k)
          vals.push_back(float(w(r, order[k])));
        setParams(r, j / gs,
                  findGroupParams(vals.data(), int64_t(vals.size()), spec));
      }
    }
    Eigen::VectorXd err(rows);
    for (int64_t r = 0; r < rows; ++r) {
      uint8_t code = quantizeValue(float(w(r, q)), current[r], spec.bits);
      res.codes[r * cols + q] = code;
      err(r) =
          (w(r, q) - double(dequantizeValue(code, current[r]))) / hinv(q, q);
    }
    // OBS: the remaining weights absorb the error; quantized columns have
    // zero rows/columns in the eliminated H^-1, so they are left alone.
    Eigen::RowVectorXd hrow = hinv.row(q);
    for (int64_t c = 0; c < cols; ++c)
      if (c != q)
        w.col(c) -= err * hrow(c);
    // Remove q from H^-1 (Gaussian elimination of row and column q).
    hinv -= hinv.col(q) * hinv.row(q) / hinv(q, q);
  }
  return res;
}

//===----------------------------------------------------------------------===//
// (a) GPTQ beats RTN on correlated inputs.
//===----------------------------------------------------------------------===//

struct BeatCase {
  unsigned bits;
  int64_t groupSize;
  bool actOrder, staticGroups;
};

std::string beatName(const BeatCase &c) {
  return "b" + std::to_string(c.bits) + "_g" + std::to_string(c.groupSize) +
         (c.actOrder ? "_act" : "") + (c.staticGroups ? "_static" : "");
}

void PrintTo(const BeatCase &c, std::ostream *os) { *os << beatName(c); }

class GPTQBeatsRTN : public testing::TestWithParam<BeatCase> {};

TEST_P(GPTQBeatsRTN, LowerLayerOutputError) {
  const BeatCase &c = GetParam();
  const int64_t rows = 24, cols = 64, n = 512;
  std::mt19937 rng(c.bits * 100 + c.groupSize);
  RowMatrixD x = correlatedInputs(rng, n, cols, 12);
  std::vector<double> h = hessianOf(x);
  std::vector<float> w = randomNormal(rng, rows * cols, 0.1f);
  QuantSpec spec = makeSpec(c.bits, c.groupSize);

  for (int64_t blockSize : {16, 128}) {
    SCOPED_TRACE(testing::Message() << "blockSize=" << blockSize);
    GPTQResult res;
    std::string error;
    ASSERT_TRUE(runGPTQ(
        w.data(), rows, cols, h.data(),
        makeOptions(spec, blockSize, c.actOrder, c.staticGroups), res, &error))
        << error;
    std::vector<float> gptq = decode(res.q, rows, cols, spec, res.groupIndex);
    std::vector<float> rtn =
        decode(quantizeRTN(w.data(), rows, cols, spec), rows, cols, spec);
    double eG = outputErrorNorm(x, w, gptq, rows, cols);
    double eR = outputErrorNorm(x, w, rtn, rows, cols);
    EXPECT_LT(eG, eR) << "GPTQ " << eG << " vs RTN " << eR;
    // Well below, not marginally: GPTQ exploits the correlations.
    EXPECT_LT(eG, 0.8 * eR) << "GPTQ " << eG << " vs RTN " << eR;

    // layerError = tr(dW H dW^T) = 2/n ||X dW^T||_F^2, and it agrees with
    // layerOutputError on the decoded weights.
    EXPECT_NEAR(res.layerError, 2.0 * eG * eG / double(n),
                1e-9 * res.layerError);
    EXPECT_NEAR(res.layerError,
                layerOutputError(w.data(), gptq.data(), rows, cols, h.data()),
                1e-12 * res.layerError);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Correlated, GPTQBeatsRTN,
    testing::Values(BeatCase{2, 0, false, false}, BeatCase{3, 0, false, false},
                    BeatCase{4, 0, false, false}, BeatCase{2, 8, false, false},
                    BeatCase{3, 8, false, false}, BeatCase{4, 8, false, false},
                    BeatCase{2, 0, true, false}, BeatCase{3, 0, true, false},
                    BeatCase{4, 0, true, false}, BeatCase{2, 8, true, false},
                    BeatCase{3, 8, true, false}, BeatCase{4, 8, true, false},
                    BeatCase{2, 8, true, true}, BeatCase{3, 8, true, true},
                    BeatCase{4, 8, true, true}, BeatCase{4, 8, false, true}),
    [](const testing::TestParamInfo<BeatCase> &info) {
      return beatName(info.param);
    });

//===----------------------------------------------------------------------===//
// (b) Blocked implementation == naive implementation on tiny cases.
//===----------------------------------------------------------------------===//

void expectSameAsNaive(const std::vector<float> &w, int64_t rows, int64_t cols,
                       const std::vector<double> &h, const GPTQOptions &o) {
  GPTQResult res;
  std::string error;
  ASSERT_TRUE(runGPTQ(w.data(), rows, cols, h.data(), o, res, &error)) << error;
  NaiveResult ref = naiveGPTQ(w, rows, cols, h, o);
  int64_t numGroups = o.spec.numGroups(cols);
  ASSERT_EQ(res.q.codes.size(), size_t(rows * cols));
  ASSERT_EQ(res.q.scales.size(), size_t(rows * numGroups));
  ASSERT_EQ(res.q.zeroPoints.size(), size_t(rows * numGroups));
  for (int64_t i = 0; i < rows * cols; ++i)
    EXPECT_EQ(int(res.q.codes[i]), int(ref.codes[i]))
        << "row " << i / cols << " col " << i % cols;
  for (int64_t i = 0; i < rows * numGroups; ++i) {
    EXPECT_FLOAT_EQ(res.q.scales[i], ref.scales[i])
        << "row " << i / numGroups << " group " << i % numGroups;
    EXPECT_EQ(int(res.q.zeroPoints[i]), int(ref.zeroPoints[i]))
        << "row " << i / numGroups << " group " << i % numGroups;
  }
  EXPECT_EQ(res.groupIndex, ref.groupIndex);
  std::vector<float> wHat = decode(res.q, rows, cols, o.spec, res.groupIndex);
  EXPECT_NEAR(res.layerError,
              layerOutputError(w.data(), wHat.data(), rows, cols, h.data()),
              1e-12 * std::max(1.0, res.layerError));
}

TEST(GPTQMatchesNaive, TinyCases) {
  struct Shape {
    int64_t rows, cols;
  };
  int caseId = 0;
  for (Shape s : {Shape{3, 6}, Shape{4, 8}, Shape{2, 7}}) {
    for (int64_t groupSize : {0, 2, 4, 3}) {
      for (int64_t blockSize : {1, 2, 3, 128}) {
        for (int mode = 0; mode < 3; ++mode) { // plain, act, act+static
          for (unsigned bits : {2u, 3u, 4u}) {
            ++caseId;
            std::mt19937 rng(caseId);
            RowMatrixD x = correlatedInputs(rng, 32, s.cols, s.cols / 2);
            std::vector<double> h = hessianOf(x);
            std::vector<float> w = randomNormal(rng, s.rows * s.cols);
            QuantSpec spec =
                makeSpec(bits, groupSize, /*symmetric=*/caseId % 5 == 0,
                         caseId % 7 == 0 ? ScaleType::F16 : ScaleType::F32);
            GPTQOptions o = makeOptions(spec, blockSize, mode >= 1, mode == 2);
            SCOPED_TRACE(testing::Message()
                         << s.rows << "x" << s.cols << " g" << groupSize
                         << " block" << blockSize << " mode" << mode << " b"
                         << bits << " sym" << spec.symmetric << " case "
                         << caseId);
            expectSameAsNaive(w, s.rows, s.cols, h, o);
          }
        }
      }
    }
  }
}

// Over 64 columns the inverse Hessian factor comes from the triangular
// inverse by halves (two levels of it at 300).
TEST(GPTQMatchesNaive, WideLayer) {
  std::mt19937 rng(91);
  const int64_t rows = 3, cols = 300;
  RowMatrixD x = correlatedInputs(rng, 600, cols, 40);
  std::vector<double> h = hessianOf(x);
  std::vector<float> w = randomNormal(rng, rows * cols);
  for (int mode = 0; mode < 2; ++mode)
    expectSameAsNaive(w, rows, cols, h,
                      makeOptions(makeSpec(4, 32), 128, mode == 1, false));
}

TEST(GPTQMatchesNaive, StaticGroupsWithoutActOrder) {
  std::mt19937 rng(77);
  const int64_t rows = 4, cols = 12;
  RowMatrixD x = correlatedInputs(rng, 40, cols, 5);
  std::vector<double> h = hessianOf(x);
  std::vector<float> w = randomNormal(rng, rows * cols);
  for (int64_t blockSize : {1, 5, 128})
    expectSameAsNaive(w, rows, cols, h,
                      makeOptions(makeSpec(3, 4), blockSize, false, true));
}

TEST(GPTQMatchesNaive, AWQQuantizerAndHeavyDamping) {
  std::mt19937 rng(5);
  const int64_t rows = 5, cols = 10;
  RowMatrixD x = correlatedInputs(rng, 30, cols, 4);
  std::vector<double> h = hessianOf(x);
  std::vector<float> w = randomNormal(rng, rows * cols);
  for (bool sym : {false, true}) {
    QuantSpec spec = makeSpec(3, 4, sym);
    spec.rangeIncludesZero = false;
    GPTQOptions o = makeOptions(spec, 3, true);
    o.dampPercent = 0.3;
    expectSameAsNaive(w, rows, cols, h, o);
  }
}

TEST(GPTQ, BlockSizeDoesNotChangeTheResult) {
  std::mt19937 rng(11);
  const int64_t rows = 8, cols = 40;
  RowMatrixD x = correlatedInputs(rng, 100, cols, 10);
  std::vector<double> h = hessianOf(x);
  std::vector<float> w = randomNormal(rng, rows * cols);
  for (bool actOrder : {false, true}) {
    GPTQResult first;
    for (int64_t blockSize : {128, 1, 3, 8, 13, 40}) {
      GPTQResult res;
      ASSERT_TRUE(runGPTQ(w.data(), rows, cols, h.data(),
                          makeOptions(makeSpec(3, 8), blockSize, actOrder), res,
                          nullptr));
      if (blockSize == 128) {
        first = res;
        continue;
      }
      SCOPED_TRACE(testing::Message()
                   << "blockSize=" << blockSize << " act=" << actOrder);
      EXPECT_EQ(res.q.codes, first.q.codes);
      EXPECT_EQ(res.q.zeroPoints, first.q.zeroPoints);
      for (size_t i = 0; i < res.q.scales.size(); ++i)
        EXPECT_FLOAT_EQ(res.q.scales[i], first.q.scales[i]);
      EXPECT_NEAR(res.layerError, first.layerError, 1e-9 * first.layerError);
    }
  }
}

TEST(GPTQ, IdentityHessianIsRTN) {
  // With H = I no column's error can be compensated: every update is 0 and
  // GPTQ reduces to round-to-nearest.
  std::mt19937 rng(3);
  const int64_t rows = 5, cols = 24;
  std::vector<double> h(cols * cols, 0.0);
  for (int64_t i = 0; i < cols; ++i)
    h[i * cols + i] = 1.0;
  std::vector<float> w = randomNormal(rng, rows * cols);
  for (int64_t groupSize : {0, 8}) {
    for (bool actOrder : {false, true}) {
      QuantSpec spec = makeSpec(4, groupSize);
      GPTQResult res;
      ASSERT_TRUE(runGPTQ(w.data(), rows, cols, h.data(),
                          makeOptions(spec, 5, actOrder), res, nullptr));
      QuantizedMatrix rtn = quantizeRTN(w.data(), rows, cols, spec);
      EXPECT_EQ(res.q.codes, rtn.codes);
      EXPECT_EQ(res.q.scales, rtn.scales);
      EXPECT_EQ(res.q.zeroPoints, rtn.zeroPoints);
      // Ties in diag(H) keep the original order: groups stay contiguous.
      if (actOrder && groupSize > 0)
        for (int64_t c = 0; c < cols; ++c)
          EXPECT_EQ(res.groupIndex[c], c / groupSize);
    }
  }
}

//===----------------------------------------------------------------------===//
// (c) Dead columns.
//===----------------------------------------------------------------------===//

TEST(GPTQ, DeadColumns) {
  std::mt19937 rng(21);
  const int64_t rows = 6, cols = 16;
  RowMatrixD x = correlatedInputs(rng, 64, cols, 6);
  const int64_t dead[] = {0, 5, 6, 15};
  for (int64_t c : dead)
    x.col(c).setZero();
  std::vector<double> h = hessianOf(x);
  std::vector<float> w = randomNormal(rng, rows * cols);
  for (int64_t groupSize : {0, 4}) {
    for (int mode = 0; mode < 3; ++mode) {
      QuantSpec spec = makeSpec(3, groupSize);
      GPTQOptions o = makeOptions(spec, 3, mode >= 1, mode == 2);
      SCOPED_TRACE(testing::Message() << "g" << groupSize << " mode" << mode);
      expectSameAsNaive(w, rows, cols, h, o);
      GPTQResult res;
      ASSERT_TRUE(runGPTQ(w.data(), rows, cols, h.data(), o, res, nullptr));
      EXPECT_TRUE(std::isfinite(res.layerError));
      // Dead weights are zeroed: they decode to exactly 0.
      std::vector<float> wHat = decode(res.q, rows, cols, spec, res.groupIndex);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c : dead)
          EXPECT_EQ(wHat[r * cols + c], 0.0f) << "row " << r << " col " << c;
    }
  }
}

TEST(GPTQ, AllColumnsDead) {
  const int64_t rows = 3, cols = 5;
  std::vector<double> h(cols * cols, 0.0);
  std::mt19937 rng(8);
  std::vector<float> w = randomNormal(rng, rows * cols);
  for (int64_t groupSize : {0, 2}) {
    QuantSpec spec = makeSpec(4, groupSize);
    GPTQResult res;
    std::string error;
    ASSERT_TRUE(
        runGPTQ(w.data(), rows, cols, h.data(), makeOptions(spec), res, &error))
        << error;
    std::vector<float> wHat = decode(res.q, rows, cols, spec);
    for (float v : wHat)
      EXPECT_EQ(v, 0.0f);
    // No input reaches the layer: no output error.
    EXPECT_EQ(res.layerError, 0.0);
  }
}

//===----------------------------------------------------------------------===//
// (d) Act-order group index.
//===----------------------------------------------------------------------===//

TEST(GPTQ, ActOrderGroupIndex) {
  std::mt19937 rng(31);
  const int64_t rows = 4, cols = 30, groupSize = 8; // ragged last group
  RowMatrixD x = correlatedInputs(rng, 80, cols, 10);
  std::vector<double> h = hessianOf(x);
  std::vector<float> w = randomNormal(rng, rows * cols);
  QuantSpec spec = makeSpec(4, groupSize);
  GPTQResult res;
  ASSERT_TRUE(runGPTQ(w.data(), rows, cols, h.data(),
                      makeOptions(spec, 128, true), res, nullptr));
  ASSERT_EQ(res.groupIndex.size(), size_t(cols));
  int64_t numGroups = spec.numGroups(cols);
  std::vector<int> members(numGroups, 0);
  for (int32_t g : res.groupIndex) {
    ASSERT_GE(g, 0);
    ASSERT_LT(g, numGroups);
    ++members[g];
  }
  for (int64_t g = 0; g < numGroups; ++g)
    EXPECT_EQ(members[g], std::min(groupSize, cols - g * groupSize));
  // Groups follow descending diag(H): a column with a larger diagonal never
  // lands in a later group.
  for (int64_t a = 0; a < cols; ++a)
    for (int64_t b = 0; b < cols; ++b)
      if (h[a * cols + a] > h[b * cols + b])
        EXPECT_LE(res.groupIndex[a], res.groupIndex[b]) << a << " vs " << b;
  // The columns are not in diag order here, so the groups are not contiguous.
  bool contiguous = true;
  for (int64_t c = 0; c < cols; ++c)
    contiguous &= res.groupIndex[c] == c / groupSize;
  EXPECT_FALSE(contiguous);
  // Every group's parameters are those its columns were quantized with.
  std::vector<float> wHat = decode(res.q, rows, cols, spec, res.groupIndex);
  EXPECT_NEAR(res.layerError,
              layerOutputError(w.data(), wHat.data(), rows, cols, h.data()),
              1e-12 * res.layerError);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      int64_t g = r * numGroups + res.groupIndex[c];
      GroupParams p{res.q.scales[g], res.q.zeroPoints[g]};
      ASSERT_LE(res.q.codes[r * cols + c], spec.maxCode());
      EXPECT_GT(p.scale, 0.0f);
    }

  // No group index for static groups, without act-order, or per channel.
  for (GPTQOptions o :
       {makeOptions(spec, 128, true, true), makeOptions(spec, 128, false),
        makeOptions(makeSpec(4, 0), 128, true)}) {
    GPTQResult other;
    ASSERT_TRUE(runGPTQ(w.data(), rows, cols, h.data(), o, other, nullptr));
    EXPECT_TRUE(other.groupIndex.empty());
  }
}

//===----------------------------------------------------------------------===//
// (e) Errors and damping.
//===----------------------------------------------------------------------===//

TEST(GPTQ, RejectsBadInput) {
  const int64_t rows = 2, cols = 3;
  std::vector<float> w = {0.1f, 0.2f, 0.3f, -0.1f, 0.5f, 0.0f};
  std::vector<double> h = {2, 0.5, 0, 0.5, 2, 0.1, 0, 0.1, 1};
  GPTQOptions ok = makeOptions(makeSpec(4));
  GPTQResult res;
  std::string error;
  ASSERT_TRUE(runGPTQ(w.data(), rows, cols, h.data(), ok, res, &error));

  std::vector<float> nanW = w;
  nanW[4] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(runGPTQ(nanW.data(), rows, cols, h.data(), ok, res, &error));
  EXPECT_NE(error.find("non-finite weight"), std::string::npos) << error;

  std::vector<float> infW = w;
  infW[0] = std::numeric_limits<float>::infinity();
  error.clear();
  EXPECT_FALSE(runGPTQ(infW.data(), rows, cols, h.data(), ok, res, &error));
  EXPECT_NE(error.find("non-finite weight"), std::string::npos) << error;

  std::vector<double> nanH = h;
  nanH[1] = std::numeric_limits<double>::quiet_NaN();
  error.clear();
  EXPECT_FALSE(runGPTQ(w.data(), rows, cols, nanH.data(), ok, res, &error));
  EXPECT_NE(error.find("Hessian"), std::string::npos) << error;

  // Negative definite: no damping up to 1000x helps.
  std::vector<double> negH = {-1, 0, 0, 0, -1, 0, 0, 0, -1};
  error.clear();
  EXPECT_FALSE(runGPTQ(w.data(), rows, cols, negH.data(), ok, res, &error));
  EXPECT_NE(error.find("positive definite"), std::string::npos) << error;

  for (unsigned bits : {0u, 1u, 9u}) {
    GPTQOptions o = makeOptions(makeSpec(bits));
    error.clear();
    EXPECT_FALSE(runGPTQ(w.data(), rows, cols, h.data(), o, res, &error));
    EXPECT_NE(error.find("bits"), std::string::npos) << error;
  }
  GPTQOptions badBlock = makeOptions(makeSpec(4), 0);
  EXPECT_FALSE(runGPTQ(w.data(), rows, cols, h.data(), badBlock, res, &error));
  GPTQOptions badDamp = ok;
  badDamp.dampPercent = -1.0;
  EXPECT_FALSE(runGPTQ(w.data(), rows, cols, h.data(), badDamp, res, &error));
  EXPECT_FALSE(runGPTQ(w.data(), 0, cols, h.data(), ok, res, &error));
  // A null error pointer is fine.
  EXPECT_FALSE(runGPTQ(nanW.data(), rows, cols, h.data(), ok, res, nullptr));
}

TEST(GPTQ, RetriesWithMoreDamping) {
  // H = I - 1.05 v v^T (|v| = 1) has eigenvalue -0.05: 1% of mean(diag) does
  // not fix it, 10% does.
  const int64_t rows = 3, cols = 8;
  Eigen::VectorXd v = Eigen::VectorXd::Ones(cols) / std::sqrt(double(cols));
  RowMatrixD hm = RowMatrixD::Identity(cols, cols) - 1.05 * v * v.transpose();
  std::vector<double> h(hm.data(), hm.data() + hm.size());
  std::mt19937 rng(4);
  std::vector<float> w = randomNormal(rng, rows * cols);
  GPTQResult res;
  std::string error;
  EXPECT_TRUE(runGPTQ(w.data(), rows, cols, h.data(),
                      makeOptions(makeSpec(4, 4)), res, &error))
      << error;
  // The same with the 10% damping given up front gives the same result.
  GPTQOptions tenPercent = makeOptions(makeSpec(4, 4));
  tenPercent.dampPercent = 0.1;
  GPTQResult direct;
  ASSERT_TRUE(
      runGPTQ(w.data(), rows, cols, h.data(), tenPercent, direct, nullptr));
  EXPECT_EQ(res.q.codes, direct.q.codes);
  EXPECT_EQ(res.q.scales, direct.q.scales);
}

TEST(GPTQLayerOutputError, MatchesDefinition) {
  std::mt19937 rng(12);
  const int64_t rows = 5, cols = 9, n = 20;
  RowMatrixD x = correlatedInputs(rng, n, cols, 9);
  std::vector<double> h = hessianOf(x);
  std::vector<float> a = randomNormal(rng, rows * cols);
  std::vector<float> b = randomNormal(rng, rows * cols);
  double viaX = outputErrorNorm(x, a, b, rows, cols);
  EXPECT_NEAR(layerOutputError(a.data(), b.data(), rows, cols, h.data()),
              2.0 * viaX * viaX / double(n), 1e-9 * viaX * viaX);
  EXPECT_EQ(layerOutputError(a.data(), a.data(), rows, cols, h.data()), 0.0);
}

} // namespace
