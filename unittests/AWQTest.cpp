//===- AWQTest.cpp - Unit tests of the AWQ implementation -----------------===//
//
// Checks lib/Quant/AWQSearch (and the AWQ authors' quantizer variant of
// findGroupParams) against hand-computed parameters and error measures
// recomputed here from the returned codes and scales.
//
//===----------------------------------------------------------------------===//

#include "lib/Quant/AWQSearch.h"
#include "lib/Quant/EigenSupport.h"
#include "lib/Quant/WeightQuantizer.h"

#include "gtest/gtest.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace mlir::qc;

namespace {

QuantSpec awqSpec(unsigned bits, int64_t groupSize, bool symmetric = false,
                  ScaleType scaleType = ScaleType::F32) {
  QuantSpec spec;
  spec.bits = bits;
  spec.groupSize = groupSize;
  spec.symmetric = symmetric;
  spec.scaleType = scaleType;
  spec.rangeIncludesZero = false;
  return spec;
}

AWQOptions makeOptions(QuantSpec spec) {
  AWQOptions o;
  o.spec = spec;
  return o;
}

/// A layer with a few outlier input channels.
struct Layer {
  int64_t rows, cols, tokens;
  std::vector<float> w, x, meanAbsX;
};

Layer makeLayer(unsigned seed, int64_t rows, int64_t cols, int64_t tokens,
                int outliers, float outlierFactor = 50.0f,
                float weightOutlier = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Layer l{rows, cols, tokens, {}, {}, {}};
  l.w.resize(rows * cols);
  for (float &v : l.w)
    v = 0.05f * normal(rng);
  // Heavy-tailed weights make clipping worthwhile.
  if (weightOutlier > 0.0f)
    for (int64_t i = 0; i < rows * cols; i += 7)
      l.w[i] *= weightOutlier;
  std::vector<float> channelScale(cols, 1.0f);
  std::uniform_int_distribution<int64_t> pick(0, cols - 1);
  for (int i = 0; i < outliers; ++i)
    channelScale[pick(rng)] = outlierFactor;
  l.x.resize(tokens * cols);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t k = 0; k < cols; ++k)
      l.x[t * cols + k] = channelScale[k] * (0.5f + normal(rng));
  l.meanAbsX.assign(cols, 0.0f);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t k = 0; k < cols; ++k)
      l.meanAbsX[k] += std::fabs(l.x[t * cols + k]) / float(tokens);
  return l;
}

/// Dequantized weight Q[n, k] / s[k].
std::vector<float> dequantize(const AWQResult &res, int64_t rows, int64_t cols,
                              const QuantSpec &spec) {
  int64_t groupLength = spec.groupLength(cols);
  int64_t numGroups = spec.numGroups(cols);
  std::vector<float> out(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) {
      int64_t g = r * numGroups + k / groupLength;
      out[r * cols + k] =
          res.q.scales[g] *
          (float(res.q.codes[r * cols + k]) - float(res.q.zeroPoints[g])) /
          res.columnScales[k];
    }
  return out;
}

/// Mean over tokens x rows of (X W^T - X What^T)^2.
double meanSquaredOutputError(const Layer &l, const std::vector<float> &wHat) {
  Eigen::Map<const RowMatrixF> x(l.x.data(), l.tokens, l.cols),
      w(l.w.data(), l.rows, l.cols), q(wHat.data(), l.rows, l.cols);
  RowMatrixD delta = w.cast<double>() - q.cast<double>();
  return (x.cast<double>() * delta.transpose()).squaredNorm() /
         double(l.tokens * l.rows);
}

bool run(const Layer &l, const AWQOptions &o, AWQResult &res) {
  std::string error;
  bool ok = runAWQ(l.w.data(), l.rows, l.cols, l.x.data(), l.tokens,
                   l.meanAbsX.data(), o, res, &error);
  EXPECT_TRUE(ok) << error;
  return ok;
}

//===----------------------------------------------------------------------===//
// The AWQ authors' quantizer (QuantSpec::rangeIncludesZero = false).
//===----------------------------------------------------------------------===//

TEST(AWQQuantizer, DefaultIsGPTQQuantizer) {
  EXPECT_TRUE(QuantSpec().rangeIncludesZero);
}

TEST(AWQQuantizer, AsymmetricHandCases) {
  // [-1, 2] at 2 bits: scale 1, zero point 1 (same as GPTQ's).
  float a[] = {-1.0f, 0.5f, 2.0f};
  GroupParams p = findGroupParams(a, 3, awqSpec(2, 0));
  EXPECT_FLOAT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 1);
  // All positive [1, 4] at 2 bits: no widening to 0, scale 1, and
  // round(-1 / 1) = -1 clamps to zero point 0.
  float b[] = {1.0f, 4.0f, 2.5f};
  p = findGroupParams(b, 3, awqSpec(2, 0));
  EXPECT_FLOAT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  // ... whereas the GPTQ quantizer widens to [0, 4].
  QuantSpec gptq = awqSpec(2, 0);
  gptq.rangeIncludesZero = true;
  EXPECT_FLOAT_EQ(findGroupParams(b, 3, gptq).scale, 4.0f / 3.0f);
  // All negative [-6, -3] at 2 bits: scale 1, round(6) = 6 clamps to 3.
  float c[] = {-3.0f, -6.0f};
  p = findGroupParams(c, 2, awqSpec(2, 0));
  EXPECT_FLOAT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 3);
  // [-0.3, 1.2] at 4 bits: scale 0.1, zero point round(3) = 3.
  float d[] = {1.2f, -0.3f, 0.0f};
  p = findGroupParams(d, 3, awqSpec(4, 0));
  EXPECT_FLOAT_EQ(p.scale, (1.2f - -0.3f) / 15.0f);
  EXPECT_EQ(p.zeroPoint, 3);
  EXPECT_EQ(quantizeValue(1.2f, p, 4), 15);
  EXPECT_EQ(quantizeValue(-0.3f, p, 4), 0);
}

TEST(AWQQuantizer, AsymmetricBruteForce) {
  std::mt19937 rng(17);
  for (unsigned bits = 2; bits <= 8; ++bits) {
    for (int trial = 0; trial < 40; ++trial) {
      float lo = std::uniform_real_distribution<float>(-3.0f, 2.0f)(rng);
      float hi = lo + std::uniform_real_distribution<float>(0.01f, 4.0f)(rng);
      std::uniform_real_distribution<float> dist(lo, hi);
      std::vector<float> v(29);
      for (float &x : v)
        x = dist(rng);
      float mn = *std::min_element(v.begin(), v.end());
      float mx = *std::max_element(v.begin(), v.end());
      GroupParams p = findGroupParams(v.data(), 29, awqSpec(bits, 0));
      double maxq = double((1u << bits) - 1);
      SCOPED_TRACE(testing::Message() << "bits=" << bits << " trial=" << trial);
      EXPECT_NEAR(p.scale, (double(mx) - mn) / maxq, 1e-6 * (mx - mn));
      double zero = std::nearbyint(-double(mn) / p.scale);
      EXPECT_EQ(double(p.zeroPoint), std::clamp(zero, 0.0, maxq));
      // When the zero point is not clamped the whole [min, max] is covered:
      // every value is within half a step of its code's value.
      if (zero >= 0 && zero <= maxq)
        for (float x : v) {
          double back = dequantizeValue(quantizeValue(x, p, bits), p);
          EXPECT_LE(std::fabs(back - x), 0.5 * p.scale * (1 + 1e-4)) << x;
        }
    }
  }
}

TEST(AWQQuantizer, SymmetricHandCases) {
  // max|w| = 1.5 at 2 bits: 2^(2-1) - 1 = 1 step above 0 -> scale 1.5,
  // zero point 2; codes 1..3 are -1.5, 0, 1.5.
  float a[] = {0.25f, -1.5f, 1.0f};
  GroupParams p = findGroupParams(a, 3, awqSpec(2, 0, true));
  EXPECT_FLOAT_EQ(p.scale, 1.5f);
  EXPECT_EQ(p.zeroPoint, 2);
  EXPECT_EQ(quantizeValue(0.25f, p, 2), 2);
  EXPECT_EQ(quantizeValue(-1.5f, p, 2), 1);
  EXPECT_EQ(quantizeValue(1.0f, p, 2), 3);
  // 4 bits: scale max|w| / 7, zero point 8, +-max|w| -> codes 1 and 15.
  float b[] = {0.7f, -0.35f, 0.1f};
  p = findGroupParams(b, 3, awqSpec(4, 0, true));
  EXPECT_FLOAT_EQ(p.scale, 0.7f / 7.0f);
  EXPECT_EQ(p.zeroPoint, 8);
  EXPECT_EQ(quantizeValue(0.7f, p, 4), 15);
  EXPECT_EQ(quantizeValue(-0.7f, p, 4), 1);
  EXPECT_EQ(quantizeValue(0.1f, p, 4), 9);
  EXPECT_EQ(quantizeValue(0.0f, p, 4), 8);
}

TEST(AWQQuantizer, DegenerateGroupsUseTheRangeFloor) {
  std::vector<float> zeros(9, 0.0f), constant(9, 0.25f);
  for (unsigned bits : {2u, 4u, 8u}) {
    GroupParams p = findGroupParams(zeros.data(), 9, awqSpec(bits, 0));
    EXPECT_FLOAT_EQ(p.scale, 1e-5f / float((1u << bits) - 1));
    EXPECT_EQ(p.zeroPoint, 0);
    EXPECT_EQ(dequantizeValue(quantizeValue(0.0f, p, bits), p), 0.0f);
    // A constant group: zero point clamps to 0 and the constant saturates.
    p = findGroupParams(constant.data(), 9, awqSpec(bits, 0));
    EXPECT_EQ(p.zeroPoint, 0);
    GroupParams s = findGroupParams(zeros.data(), 9, awqSpec(bits, 0, true));
    EXPECT_FLOAT_EQ(s.scale, 1e-5f / float((1u << (bits - 1)) - 1));
    EXPECT_EQ(s.zeroPoint, 1u << (bits - 1));
  }
}

TEST(AWQQuantizer, ScaleTypeRounding) {
  float v[] = {0.37f, -0.11f, 0.05f};
  GroupParams p32 = findGroupParams(v, 3, awqSpec(4, 0));
  GroupParams p16 = findGroupParams(v, 3, awqSpec(4, 0, false, ScaleType::F16));
  EXPECT_EQ(p16.scale, roundToScaleType(p32.scale, ScaleType::F16));
  // The zero point follows the rounded scale.
  EXPECT_EQ(double(p16.zeroPoint), std::nearbyint(0.11f / p16.scale));
}

TEST(AWQQuantizer, QuantizeRTNUsesIt) {
  std::vector<float> w = {1.0f, 2.0f, 3.0f, 4.0f, -1.0f, -2.0f, -3.0f, -4.0f};
  QuantizedMatrix q = quantizeRTN(w.data(), 2, 4, awqSpec(2, 0));
  // Row 0: [1, 4] -> scale 1, round(-1) clamps to zero point 0; codes
  // 1, 2, 3 and 4 clamped to 3.
  EXPECT_FLOAT_EQ(q.scales[0], 1.0f);
  EXPECT_EQ(q.zeroPoints[0], 0);
  // Row 1: [-4, -1] -> scale 1, round(4) = 4 clamps to zero point 3; codes
  // -1 + 3, -2 + 3, -3 + 3 and -4 + 3 clamped to 0.
  EXPECT_FLOAT_EQ(q.scales[1], 1.0f);
  EXPECT_EQ(q.zeroPoints[1], 3);
  EXPECT_EQ(q.codes, (std::vector<uint8_t>{1, 2, 3, 3, 2, 1, 0, 0}));
}

//===----------------------------------------------------------------------===//
// (a) Never worse than alpha = 0; better with outlier channels.
//===----------------------------------------------------------------------===//

TEST(AWQ, NeverWorseThanAlphaZero) {
  struct Case {
    unsigned bits;
    int64_t groupSize;
    int64_t rows, cols, tokens;
    int outliers;
    bool symmetric;
  };
  int strictlyBetter = 0, caseId = 0;
  for (Case c :
       {Case{4, 16, 16, 64, 256, 3, false}, Case{3, 16, 16, 64, 256, 3, false},
        Case{4, 32, 12, 64, 200, 2, false}, Case{3, 0, 8, 48, 128, 2, false},
        Case{4, 16, 8, 40, 100, 0, false}, // no outliers, ragged
        Case{4, 16, 16, 64, 256, 3, true}, Case{2, 8, 10, 32, 150, 4, false}}) {
    for (unsigned seed : {1u, 2u, 3u}) {
      ++caseId;
      SCOPED_TRACE(testing::Message()
                   << "case " << caseId << " bits=" << c.bits
                   << " g=" << c.groupSize << " sym=" << c.symmetric);
      Layer l =
          makeLayer(seed * 31 + caseId, c.rows, c.cols, c.tokens, c.outliers);
      QuantSpec spec = awqSpec(c.bits, c.groupSize, c.symmetric);
      AWQOptions o = makeOptions(spec);
      AWQResult res;
      ASSERT_TRUE(run(l, o, res));
      EXPECT_LE(res.errorChosen, res.errorAlphaZero);
      if (res.errorChosen < 0.95 * res.errorAlphaZero && c.outliers > 0)
        ++strictlyBetter;

      // Shapes and the alpha grid.
      ASSERT_EQ(res.columnScales.size(), size_t(c.cols));
      ASSERT_EQ(res.q.codes.size(), size_t(c.rows * c.cols));
      ASSERT_EQ(res.q.scales.size(), size_t(c.rows * spec.numGroups(c.cols)));
      double steps = res.alpha * o.nGrid;
      EXPECT_NEAR(steps, std::round(steps), 1e-9);
      EXPECT_GE(res.alpha, 0.0);
      EXPECT_LT(res.alpha, 1.0);

      // s = max(meanAbsX^alpha, 1e-4) / sqrt(max * min).
      std::vector<double> s(c.cols);
      for (int64_t k = 0; k < c.cols; ++k)
        s[k] = std::max(std::pow(double(l.meanAbsX[k]), res.alpha), 1e-4);
      double norm = std::sqrt(*std::max_element(s.begin(), s.end()) *
                              *std::min_element(s.begin(), s.end()));
      for (int64_t k = 0; k < c.cols; ++k) {
        EXPECT_GT(res.columnScales[k], 0.0f);
        EXPECT_NEAR(res.columnScales[k], s[k] / norm, 1e-5 * s[k] / norm);
      }

      // errorChosen is the error of the returned weights on the whole X.
      std::vector<float> wHat = dequantize(res, c.rows, c.cols, spec);
      EXPECT_NEAR(res.errorChosen, meanSquaredOutputError(l, wHat),
                  1e-9 * res.errorChosen);

      // errorAlphaZero is what alpha = 0 alone (same clip search) gives.
      AWQOptions zeroOnly = o;
      zeroOnly.searchScale = false;
      AWQResult zero;
      ASSERT_TRUE(run(l, zeroOnly, zero));
      EXPECT_EQ(zero.alpha, 0.0);
      EXPECT_EQ(zero.errorAlphaZero, res.errorAlphaZero);
      EXPECT_EQ(zero.errorChosen, res.errorAlphaZero);
      EXPECT_NEAR(
          zero.errorChosen,
          meanSquaredOutputError(l, dequantize(zero, c.rows, c.cols, spec)),
          1e-9 * zero.errorChosen);
    }
  }
  // Activation outliers: scaling protects the salient channels.
  EXPECT_GE(strictlyBetter, 3);
}

TEST(AWQ, OutlierChannelsGetLargerScales) {
  Layer l = makeLayer(7, 16, 64, 256, 3);
  AWQResult res;
  ASSERT_TRUE(run(l, makeOptions(awqSpec(3, 16)), res));
  ASSERT_GT(res.alpha, 0.0);
  EXPECT_LT(res.errorChosen, res.errorAlphaZero);
  // s is monotone in meanAbsX.
  for (int64_t a = 0; a < l.cols; ++a)
    for (int64_t b = 0; b < l.cols; ++b)
      if (l.meanAbsX[a] > l.meanAbsX[b])
        EXPECT_GE(res.columnScales[a], res.columnScales[b]);
}

//===----------------------------------------------------------------------===//
// (b) alpha = 0 only is RTN.
//===----------------------------------------------------------------------===//

TEST(AWQ, AlphaZeroOnlyIsRTN) {
  Layer l = makeLayer(9, 10, 48, 64, 3);
  for (QuantSpec spec : {awqSpec(4, 16), awqSpec(3, 0), awqSpec(4, 20, true),
                         awqSpec(4, 16, false, ScaleType::F16)}) {
    for (bool viaGrid : {true, false}) {
      AWQOptions o = makeOptions(spec);
      o.searchClip = false;
      if (viaGrid)
        o.nGrid = 1;
      else
        o.searchScale = false;
      AWQResult res;
      ASSERT_TRUE(run(l, o, res));
      EXPECT_EQ(res.alpha, 0.0);
      for (float s : res.columnScales)
        EXPECT_EQ(s, 1.0f);
      QuantizedMatrix rtn = quantizeRTN(l.w.data(), l.rows, l.cols, spec);
      EXPECT_EQ(res.q.codes, rtn.codes);
      EXPECT_EQ(res.q.scales, rtn.scales);
      EXPECT_EQ(res.q.zeroPoints, rtn.zeroPoints);
      EXPECT_EQ(res.errorChosen, res.errorAlphaZero);
    }
  }
}

//===----------------------------------------------------------------------===//
// (c) The clip search never increases the error.
//===----------------------------------------------------------------------===//

TEST(AWQ, ClipNeverIncreasesErrorPerChannel) {
  // One group per row and every token sampled: each row's clip minimizes
  // exactly that row's share of the layer error, so the total cannot grow.
  int clipped = 0;
  for (unsigned seed : {1u, 2u, 3u, 4u}) {
    Layer l = makeLayer(seed, 12, 40, 100, 2, 20.0f, 6.0f);
    for (unsigned bits : {2u, 3u, 4u}) {
      AWQOptions o = makeOptions(awqSpec(bits, 0));
      o.searchScale = false;
      AWQResult withClip, without;
      ASSERT_TRUE(run(l, o, withClip));
      o.searchClip = false;
      ASSERT_TRUE(run(l, o, without));
      EXPECT_LE(withClip.errorChosen, without.errorChosen * (1 + 1e-12));
      clipped += withClip.errorChosen < without.errorChosen;
    }
  }
  EXPECT_GT(clipped, 0);
}

TEST(AWQ, ClipNeverIncreasesGroupError) {
  // Grouped: the search minimizes every (row, group)'s own output error
  // mean_t (sum_{k in group} x_tk (w_k - q_k))^2 on the sampled tokens (all
  // of them here, tokens < clipTokens). Recompute both sides per group.
  int clippedGroups = 0;
  for (unsigned seed : {5u, 6u}) {
    for (bool withScale : {false, true}) {
      Layer l = makeLayer(seed, 10, 48, 120, 3, 30.0f, 6.0f);
      QuantSpec spec = awqSpec(3, 16);
      AWQOptions o = makeOptions(spec);
      o.searchScale = withScale;
      AWQResult res;
      ASSERT_TRUE(run(l, o, res));
      const std::vector<float> &s = res.columnScales;
      // No-clip reference: RTN of W * s with the same s.
      std::vector<float> ws(l.rows * l.cols);
      for (int64_t r = 0; r < l.rows; ++r)
        for (int64_t k = 0; k < l.cols; ++k)
          ws[r * l.cols + k] = l.w[r * l.cols + k] * s[k];
      QuantizedMatrix noClip = quantizeRTN(ws.data(), l.rows, l.cols, spec);
      int64_t numGroups = spec.numGroups(l.cols);
      for (int64_t r = 0; r < l.rows; ++r) {
        for (int64_t g = 0; g < numGroups; ++g) {
          GroupParams pc{res.q.scales[r * numGroups + g],
                         res.q.zeroPoints[r * numGroups + g]};
          GroupParams pn{noClip.scales[r * numGroups + g],
                         noClip.zeroPoints[r * numGroups + g]};
          double errClip = 0.0, errNoClip = 0.0;
          for (int64_t t = 0; t < l.tokens; ++t) {
            double eC = 0.0, eN = 0.0;
            for (int64_t k = g * 16; k < (g + 1) * 16; ++k) {
              double xs = double(l.x[t * l.cols + k]) / s[k];
              double wv = ws[r * l.cols + k];
              eC +=
                  xs * (wv - dequantizeValue(res.q.codes[r * l.cols + k], pc));
              eN +=
                  xs * (wv - dequantizeValue(noClip.codes[r * l.cols + k], pn));
            }
            errClip += eC * eC;
            errNoClip += eN * eN;
          }
          EXPECT_LE(errClip, errNoClip * (1 + 1e-9))
              << "row " << r << " group " << g;
          clippedGroups += pc.scale < pn.scale;
        }
      }
    }
  }
  // The heavy-tailed weights do get clipped somewhere.
  EXPECT_GT(clippedGroups, 0);
}

TEST(AWQ, ClipTokenSubsampling) {
  // Fewer clip tokens still gives a valid result, never worse than alpha 0.
  Layer l = makeLayer(12, 8, 32, 400, 2, 40.0f, 5.0f);
  AWQOptions o = makeOptions(awqSpec(4, 16));
  o.clipTokens = 50;
  AWQResult res;
  ASSERT_TRUE(run(l, o, res));
  EXPECT_LE(res.errorChosen, res.errorAlphaZero);
  EXPECT_NEAR(
      res.errorChosen,
      meanSquaredOutputError(l, dequantize(res, l.rows, l.cols, o.spec)),
      1e-9 * res.errorChosen);
}

TEST(AWQ, MaxShrinkZeroDisablesClipping) {
  Layer l = makeLayer(13, 8, 32, 64, 2, 40.0f, 5.0f);
  AWQOptions o = makeOptions(awqSpec(3, 16));
  o.maxShrink = 0.0;
  AWQResult a, b;
  ASSERT_TRUE(run(l, o, a));
  o.maxShrink = 0.5;
  o.searchClip = false;
  ASSERT_TRUE(run(l, o, b));
  EXPECT_EQ(a.q.codes, b.q.codes);
  EXPECT_EQ(a.q.scales, b.q.scales);
  EXPECT_EQ(a.alpha, b.alpha);
}

//===----------------------------------------------------------------------===//
// Other quantizers and errors.
//===----------------------------------------------------------------------===//

TEST(AWQ, WorksWithGPTQQuantizer) {
  Layer l = makeLayer(21, 12, 64, 128, 3);
  QuantSpec spec = awqSpec(4, 32);
  spec.rangeIncludesZero = true;
  AWQResult res;
  ASSERT_TRUE(run(l, makeOptions(spec), res));
  EXPECT_LE(res.errorChosen, res.errorAlphaZero);
  EXPECT_NEAR(res.errorChosen,
              meanSquaredOutputError(l, dequantize(res, l.rows, l.cols, spec)),
              1e-9 * res.errorChosen);
}

TEST(AWQ, ZeroActivationChannels) {
  // meanAbsX = 0 channels: 0^alpha = 0 is floored at 1e-4 (0^0 = 1).
  Layer l = makeLayer(22, 6, 16, 32, 1);
  for (int64_t t = 0; t < l.tokens; ++t)
    l.x[t * l.cols + 3] = 0.0f;
  l.meanAbsX[3] = 0.0f;
  AWQResult res;
  ASSERT_TRUE(run(l, makeOptions(awqSpec(4, 8)), res));
  for (float s : res.columnScales) {
    EXPECT_GT(s, 0.0f);
    EXPECT_TRUE(std::isfinite(s));
  }
  EXPECT_LE(res.errorChosen, res.errorAlphaZero);
}

TEST(AWQ, RejectsBadInput) {
  Layer l = makeLayer(1, 4, 8, 16, 1);
  AWQOptions ok = makeOptions(awqSpec(4, 4));
  AWQResult res;
  std::string error;
  auto call = [&](const Layer &layer, const AWQOptions &o) {
    error.clear();
    return runAWQ(layer.w.data(), layer.rows, layer.cols, layer.x.data(),
                  layer.tokens, layer.meanAbsX.data(), o, res, &error);
  };
  ASSERT_TRUE(call(l, ok)) << error;

  Layer nanW = l;
  nanW.w[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(call(nanW, ok));
  EXPECT_NE(error.find("non-finite weight"), std::string::npos) << error;

  Layer infX = l;
  infX.x[5] = -std::numeric_limits<float>::infinity();
  EXPECT_FALSE(call(infX, ok));
  EXPECT_NE(error.find("non-finite input"), std::string::npos) << error;

  Layer negMean = l;
  negMean.meanAbsX[0] = -1.0f;
  EXPECT_FALSE(call(negMean, ok));
  EXPECT_NE(error.find("meanAbsX"), std::string::npos) << error;

  AWQOptions badGrid = ok;
  badGrid.nGrid = 0;
  EXPECT_FALSE(call(l, badGrid));
  AWQOptions badShrink = ok;
  badShrink.maxShrink = 1.0;
  EXPECT_FALSE(call(l, badShrink));
  AWQOptions badBits = makeOptions(awqSpec(1, 4));
  EXPECT_FALSE(call(l, badBits));
  EXPECT_NE(error.find("bits"), std::string::npos) << error;
  Layer noTokens = l;
  noTokens.tokens = 0;
  EXPECT_FALSE(call(noTokens, ok));
  EXPECT_FALSE(runAWQ(nanW.w.data(), l.rows, l.cols, l.x.data(), l.tokens,
                      l.meanAbsX.data(), ok, res, nullptr));
}

} // namespace
