//===- WeightQuantizerTest.cpp - Unit tests of the weight quantizer -------===//
//
// Checks lib/Quant/WeightQuantizer against brute-force math written
// independently here: nearest-code searches over every code, a bit-by-bit
// reference packer, and hand-computed bytes and half-precision values.
//
//===----------------------------------------------------------------------===//

#include "lib/Quant/WeightQuantizer.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
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

std::vector<float> randomValues(std::mt19937 &rng, int64_t count, float lo,
                                float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> values(count);
  for (float &v : values)
    v = dist(rng);
  return values;
}

/// Value that `code` stands for, computed in double.
double codeValue(int code, double scale, int zeroPoint) {
  return scale * double(code - zeroPoint);
}

/// Smallest reconstruction error over all 2^bits codes (brute force).
double bestError(float value, GroupParams p, unsigned bits) {
  double best = std::numeric_limits<double>::infinity();
  for (int c = 0; c < (1 << bits); ++c)
    best =
        std::min(best, std::fabs(codeValue(c, p.scale, p.zeroPoint) - value));
  return best;
}

/// Reference packer: sets bit (k*bits + j) of the row's little-endian bit
/// stream when bit j of code k is set; every row starts on a byte boundary.
std::vector<uint8_t> referencePack(const std::vector<uint8_t> &codes,
                                   int64_t rows, int64_t rowLength,
                                   unsigned bits) {
  int64_t rowBits = rowLength * bits;
  int64_t rowBytes = rowBits / 8 + (rowBits % 8 != 0);
  std::vector<uint8_t> out(rows * rowBytes, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < rowLength; ++k)
      for (unsigned j = 0; j < bits; ++j)
        if ((codes[r * rowLength + k] >> j) & 1) {
          int64_t bit = k * bits + j;
          out[r * rowBytes + bit / 8] |= uint8_t(1u << (bit % 8));
        }
  return out;
}

//===----------------------------------------------------------------------===//
// roundToScaleType
//===----------------------------------------------------------------------===//

TEST(RoundToScaleType, F32IsIdentity) {
  for (float v : {0.1f, 1.0f / 3.0f, 1e-30f, 123456.789f, -2.5f})
    EXPECT_EQ(roundToScaleType(v, ScaleType::F32), v);
}

TEST(RoundToScaleType, F16HandValues) {
  // 0.1 = 0x2E66 in binary16: 1.6 * 2^-4 -> (1 + 614/1024) / 16.
  EXPECT_EQ(roundToScaleType(0.1f, ScaleType::F16), 0.0999755859375f);
  // 1/3 = 0x3555: (1 + 341/1024) / 4.
  EXPECT_EQ(roundToScaleType(1.0f / 3.0f, ScaleType::F16), 0.333251953125f);
  // Ties go to even: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10.
  EXPECT_EQ(roundToScaleType(1.0f + 0x1p-11f, ScaleType::F16), 1.0f);
  // 1 + 3*2^-11 lies halfway between 1 + 2^-10 and 1 + 2^-9 (even).
  EXPECT_EQ(roundToScaleType(1.0f + 3 * 0x1p-11f, ScaleType::F16),
            1.0f + 0x1p-9f);
  // Largest finite half and an exactly representable value stay put.
  EXPECT_EQ(roundToScaleType(65504.0f, ScaleType::F16), 65504.0f);
  EXPECT_EQ(roundToScaleType(0.375f, ScaleType::F16), 0.375f);
  EXPECT_EQ(roundToScaleType(-0.1f, ScaleType::F16), -0.0999755859375f);
}

TEST(RoundToScaleType, BF16HandValues) {
  // 0.1f = 0x3DCCCCCD; the low half 0xCCCD > 0x8000 rounds up to 0x3DCD.
  EXPECT_EQ(roundToScaleType(0.1f, ScaleType::BF16), 0.10009765625f);
  EXPECT_EQ(roundToScaleType(1.0f, ScaleType::BF16), 1.0f);
}

//===----------------------------------------------------------------------===//
// findGroupParams
//===----------------------------------------------------------------------===//

TEST(FindGroupParams, AsymmetricHandCase) {
  // Range [-1, 2] at 2 bits: scale 1, zero point 1, codes 0..3 = -1..2.
  float values[] = {-1.0f, 0.5f, 2.0f};
  GroupParams p = findGroupParams(values, 3, makeSpec(2));
  EXPECT_FLOAT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 1);
}

TEST(FindGroupParams, AsymmetricRangeContainsZero) {
  // All positive: the range is widened to [0, max], so zero point 0.
  float positive[] = {1.0f, 2.0f, 3.0f};
  GroupParams p = findGroupParams(positive, 3, makeSpec(4));
  EXPECT_FLOAT_EQ(p.scale, 3.0f / 15.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  // All negative: [min, 0], zero point at the top code.
  float negative[] = {-3.0f, -1.0f, -2.0f};
  p = findGroupParams(negative, 3, makeSpec(4));
  EXPECT_FLOAT_EQ(p.scale, 3.0f / 15.0f);
  EXPECT_EQ(p.zeroPoint, 15);
}

TEST(FindGroupParams, AsymmetricBruteForce) {
  std::mt19937 rng(1234);
  for (unsigned bits = 2; bits <= 8; ++bits) {
    for (int trial = 0; trial < 50; ++trial) {
      float lo = std::uniform_real_distribution<float>(-3.0f, 1.0f)(rng);
      float hi = lo + std::uniform_real_distribution<float>(0.01f, 4.0f)(rng);
      std::vector<float> v = randomValues(rng, 37, lo, hi);
      GroupParams p =
          findGroupParams(v.data(), int64_t(v.size()), makeSpec(bits));
      double maxq = double((1u << bits) - 1);
      double mn = 0.0, mx = 0.0;
      for (float x : v) {
        mn = std::min(mn, double(x));
        mx = std::max(mx, double(x));
      }
      SCOPED_TRACE(testing::Message() << "bits=" << bits << " trial=" << trial);
      ASSERT_GT(p.scale, 0.0f);
      EXPECT_NEAR(p.scale, (mx - mn) / maxq, 1e-6 * (mx - mn));
      ASSERT_LE(p.zeroPoint, maxq);
      // Zero is exactly representable (the code equal to the zero point).
      EXPECT_EQ(dequantizeValue(p.zeroPoint, p), 0.0f);
      // The zero point is the nearest integer to -min/scale.
      EXPECT_LE(std::fabs(double(p.zeroPoint) - (-mn / p.scale)), 0.5 + 1e-4);
      // Both ends of the (zero-widened) range are within half a step.
      EXPECT_LE(std::fabs(codeValue(0, p.scale, p.zeroPoint) - mn),
                p.scale * (0.5 + 1e-4));
      EXPECT_LE(std::fabs(codeValue(int(maxq), p.scale, p.zeroPoint) - mx),
                p.scale * (0.5 + 1e-4));
    }
  }
}

TEST(FindGroupParams, SymmetricZeroPointIsMidpoint) {
  std::mt19937 rng(99);
  for (unsigned bits = 2; bits <= 8; ++bits) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<float> v = randomValues(rng, 16, -2.0f, 0.5f + trial * 0.1f);
      double absMax = 0.0;
      for (float x : v)
        absMax = std::max(absMax, std::fabs(double(x)));
      GroupParams p = findGroupParams(v.data(), int64_t(v.size()),
                                      makeSpec(bits, 0, /*symmetric=*/true));
      SCOPED_TRACE(testing::Message() << "bits=" << bits << " trial=" << trial);
      EXPECT_EQ(p.zeroPoint, 1u << (bits - 1));
      EXPECT_NEAR(p.scale, 2.0 * absMax / double((1u << bits) - 1),
                  1e-6 * absMax);
      EXPECT_EQ(dequantizeValue(p.zeroPoint, p), 0.0f);
    }
  }
  // Hand case: max |w| = 1.5 at 2 bits -> scale 1, zero point 2.
  float values[] = {0.25f, -1.5f, 1.0f};
  GroupParams p = findGroupParams(values, 3, makeSpec(2, 0, true));
  EXPECT_FLOAT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 2);
}

TEST(FindGroupParams, AllZeroGroup) {
  std::vector<float> zeros(17, 0.0f);
  for (unsigned bits = 2; bits <= 8; ++bits) {
    for (bool symmetric : {false, true}) {
      for (ScaleType st : {ScaleType::F32, ScaleType::F16, ScaleType::BF16}) {
        SCOPED_TRACE(testing::Message()
                     << "bits=" << bits << " symmetric=" << symmetric
                     << " scaleType=" << int(st));
        QuantSpec spec = makeSpec(bits, 0, symmetric, st);
        GroupParams p = findGroupParams(zeros.data(), 17, spec);
        // A usable (positive, finite) scale and an in-range zero point.
        EXPECT_GT(p.scale, 0.0f);
        EXPECT_TRUE(std::isfinite(p.scale));
        EXPECT_LE(p.zeroPoint, spec.maxCode());
        // Zeros quantize to the zero point and come back exactly 0.
        uint8_t code = quantizeValue(0.0f, p, bits);
        EXPECT_EQ(code, p.zeroPoint);
        EXPECT_EQ(dequantizeValue(code, p), 0.0f);
      }
    }
  }
  // The reference quantizer uses [-1, 1] for degenerate groups.
  GroupParams p = findGroupParams(zeros.data(), 17, makeSpec(8));
  EXPECT_FLOAT_EQ(p.scale, 2.0f / 255.0f);
}

TEST(FindGroupParams, F16ScaleIsRepresentable) {
  std::mt19937 rng(7);
  std::vector<float> v = randomValues(rng, 64, -0.37f, 0.81f);
  GroupParams p32 = findGroupParams(v.data(), 64, makeSpec(4));
  GroupParams p16 =
      findGroupParams(v.data(), 64, makeSpec(4, 0, false, ScaleType::F16));
  EXPECT_EQ(p16.scale, roundToScaleType(p32.scale, ScaleType::F16));
  EXPECT_EQ(roundToScaleType(p16.scale, ScaleType::F16), p16.scale);
}

//===----------------------------------------------------------------------===//
// quantizeValue / quantizeRTN
//===----------------------------------------------------------------------===//

TEST(QuantizeValue, IsNearestCode) {
  std::mt19937 rng(42);
  for (unsigned bits = 2; bits <= 8; ++bits) {
    std::vector<float> v = randomValues(rng, 200, -1.3f, 0.9f);
    GroupParams p = findGroupParams(v.data(), 200, makeSpec(bits));
    // Values beyond the range too: they must clamp to the nearest end.
    for (float extra : {-5.0f, 5.0f, -1.31f, 0.91f})
      v.push_back(extra);
    for (float x : v) {
      uint8_t code = quantizeValue(x, p, bits);
      ASSERT_LE(code, (1u << bits) - 1);
      double err = std::fabs(codeValue(code, p.scale, p.zeroPoint) - x);
      EXPECT_LE(err, bestError(x, p, bits) + 1e-6 * p.scale)
          << "bits=" << bits << " x=" << x << " code=" << int(code);
    }
  }
}

struct RTNCase {
  unsigned bits;
  int64_t rows, rowLength, groupSize;
  bool symmetric;
  ScaleType scaleType;
};

const char *scaleTypeName(ScaleType t) {
  switch (t) {
  case ScaleType::F32:
    return "f32";
  case ScaleType::F16:
    return "f16";
  case ScaleType::BF16:
    return "bf16";
  }
  return "?";
}

/// Test name suffix, e.g. "b4_3x33_g32_asym_f32".
std::string caseName(const RTNCase &c) {
  return "b" + std::to_string(c.bits) + "_" + std::to_string(c.rows) + "x" +
         std::to_string(c.rowLength) + "_g" + std::to_string(c.groupSize) +
         (c.symmetric ? "_sym_" : "_asym_") + scaleTypeName(c.scaleType);
}

// gtest prints parameters in failure messages with this.
void PrintTo(const RTNCase &c, std::ostream *os) { *os << caseName(c); }

class QuantizeRTNTest : public testing::TestWithParam<RTNCase> {};

TEST_P(QuantizeRTNTest, ReconstructionWithinHalfStep) {
  const RTNCase &c = GetParam();
  QuantSpec spec = makeSpec(c.bits, c.groupSize, c.symmetric, c.scaleType);
  std::mt19937 rng(c.bits * 1000 + c.rowLength);
  std::vector<float> w = randomValues(rng, c.rows * c.rowLength, -0.5f, 0.8f);
  // A row of zeros and a row with one outlier.
  std::fill(w.begin(), w.begin() + c.rowLength, 0.0f);
  if (c.rows > 1)
    w[c.rowLength + c.rowLength / 2] = 7.0f;

  QuantizedMatrix q = quantizeRTN(w.data(), c.rows, c.rowLength, spec);

  int64_t groupLength = c.groupSize == 0 ? c.rowLength : c.groupSize;
  int64_t numGroups = (c.rowLength + groupLength - 1) / groupLength;
  ASSERT_EQ(q.codes.size(), size_t(c.rows * c.rowLength));
  ASSERT_EQ(q.scales.size(), size_t(c.rows * numGroups));
  ASSERT_EQ(q.zeroPoints.size(), size_t(c.rows * numGroups));
  int maxq = (1 << c.bits) - 1;

  for (int64_t r = 0; r < c.rows; ++r) {
    for (int64_t g = 0; g < numGroups; ++g) {
      int64_t begin = g * groupLength;
      int64_t end = std::min(begin + groupLength, c.rowLength);
      GroupParams p{q.scales[r * numGroups + g],
                    q.zeroPoints[r * numGroups + g]};
      // Each group's parameters are those of its own values alone.
      GroupParams expect = findGroupParams(w.data() + r * c.rowLength + begin,
                                           end - begin, spec);
      EXPECT_EQ(p.scale, expect.scale) << "row " << r << " group " << g;
      EXPECT_EQ(p.zeroPoint, expect.zeroPoint) << "row " << r << " group " << g;
      if (c.scaleType != ScaleType::F32)
        EXPECT_EQ(roundToScaleType(p.scale, c.scaleType), p.scale);

      double lo = codeValue(0, p.scale, p.zeroPoint);
      double hi = codeValue(maxq, p.scale, p.zeroPoint);
      for (int64_t i = begin; i < end; ++i) {
        float x = w[r * c.rowLength + i];
        uint8_t code = q.codes[r * c.rowLength + i];
        ASSERT_LE(code, maxq);
        double back = dequantizeValue(code, p);
        SCOPED_TRACE(testing::Message() << "row " << r << " col " << i
                                        << " x=" << x << " code=" << int(code));
        if (x >= lo && x <= hi) {
          EXPECT_LE(std::fabs(back - x), 0.5 * p.scale * (1 + 1e-5));
        } else {
          // Outside the representable range: clamped to the nearest end.
          EXPECT_EQ(code, x < lo ? 0 : maxq);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, QuantizeRTNTest,
    testing::Values(RTNCase{8, 4, 33, 0, false, ScaleType::F32},
                    RTNCase{8, 3, 64, 0, true, ScaleType::F32},
                    RTNCase{4, 5, 64, 32, false, ScaleType::F32},
                    RTNCase{4, 3, 33, 32, false, ScaleType::F32},
                    RTNCase{4, 3, 100, 32, true, ScaleType::F32},
                    RTNCase{4, 4, 96, 32, false, ScaleType::F16},
                    RTNCase{3, 3, 50, 16, false, ScaleType::F32},
                    RTNCase{2, 3, 9, 4, false, ScaleType::F32},
                    RTNCase{5, 2, 7, 0, true, ScaleType::BF16},
                    RTNCase{6, 2, 130, 64, false, ScaleType::F16},
                    RTNCase{7, 2, 1, 0, false, ScaleType::F32},
                    RTNCase{4, 3, 9, 32, false, ScaleType::F16}),
    [](const testing::TestParamInfo<RTNCase> &info) {
      return caseName(info.param);
    });

//===----------------------------------------------------------------------===//
// packCodes / unpackCode
//===----------------------------------------------------------------------===//

TEST(PackCodes, HandComputed4Bit) {
  // Code k fills bits [4k, 4k+4): low nibble first.
  std::vector<uint8_t> packed = packCodes({0, 5, 10, 15}, 1, 4, 4);
  EXPECT_EQ(packed, (std::vector<uint8_t>{0x50, 0xFA}));
}

TEST(PackCodes, HandComputed3Bit) {
  // Bit stream, LSB first: 1|2|3|4|5|6|7|0 at 3 bits each
  //   byte 0 = bits 0-7   = 11 010 001      = 0xD1 (code 2 keeps bit 8 = 0)
  //   byte 1 = bits 8-15  = 0 110 100 0 ... = 0b01011000 = 0x58
  //   byte 2 = bits 16-23 = 000 111 11      = 0x1F
  std::vector<uint8_t> packed = packCodes({1, 2, 3, 4, 5, 6, 7, 0}, 1, 8, 3);
  EXPECT_EQ(packed, (std::vector<uint8_t>{0xD1, 0x58, 0x1F}));
  const uint8_t bytes[] = {0xD1, 0x58, 0x1F};
  for (int k = 0; k < 8; ++k)
    EXPECT_EQ(unpackCode(bytes, k, 3), (k + 1) % 8) << "k=" << k;
}

TEST(PackCodes, RowsStartOnByteBoundaries) {
  // Two rows of three 3-bit codes: 9 bits each -> 2 bytes per row.
  std::vector<uint8_t> packed = packCodes({7, 0, 7, 1, 1, 1}, 2, 3, 3);
  // Row 0: bits 0-2 and 6-8 set -> 0xC7, 0x01. Row 1: bits 0, 3, 6 -> 0x49.
  EXPECT_EQ(packed, (std::vector<uint8_t>{0xC7, 0x01, 0x49, 0x00}));
}

TEST(PackCodes, EightBitIsIdentity) {
  std::vector<uint8_t> codes = {0, 1, 127, 128, 255, 42, 7};
  EXPECT_EQ(packCodes(codes, 1, 7, 8), codes);
}

TEST(PackCodes, RoundTripEveryWidth) {
  std::mt19937 rng(2024);
  for (unsigned bits = 2; bits <= 8; ++bits) {
    for (int64_t rowLength : {1, 2, 3, 7, 8, 9, 16, 33, 64, 100}) {
      const int64_t rows = 3;
      std::uniform_int_distribution<int> dist(0, (1 << bits) - 1);
      std::vector<uint8_t> codes(rows * rowLength);
      for (uint8_t &c : codes)
        c = uint8_t(dist(rng));
      // Make sure the extremes occur (all-ones codes expose bits that leak
      // across byte boundaries).
      codes[0] = uint8_t((1 << bits) - 1);
      codes.back() = uint8_t((1 << bits) - 1);

      SCOPED_TRACE(testing::Message()
                   << "bits=" << bits << " rowLength=" << rowLength);
      std::vector<uint8_t> packed = packCodes(codes, rows, rowLength, bits);
      int64_t rowBytes = (rowLength * bits + 7) / 8;
      ASSERT_EQ(packed.size(), size_t(rows * rowBytes));
      // Byte-exact against the bit-by-bit reference (padding bits are 0).
      EXPECT_EQ(packed, referencePack(codes, rows, rowLength, bits));
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < rowLength; ++k)
          ASSERT_EQ(unpackCode(packed.data() + r * rowBytes, k, bits),
                    codes[r * rowLength + k])
              << "row " << r << " k " << k;
    }
  }
}

TEST(PackCodes, CodesCrossingByteBoundaries) {
  // For 3, 5, 6 and 7 bits some codes straddle two bytes; an all-ones code at
  // each position between zeros must come back alone and touch only its bits.
  for (unsigned bits : {3u, 5u, 6u, 7u}) {
    const int64_t rowLength = 16;
    for (int64_t k = 0; k < rowLength; ++k) {
      std::vector<uint8_t> codes(rowLength, 0);
      codes[k] = uint8_t((1 << bits) - 1);
      std::vector<uint8_t> packed = packCodes(codes, 1, rowLength, bits);
      EXPECT_EQ(packed, referencePack(codes, 1, rowLength, bits))
          << "bits=" << bits << " k=" << k;
      for (int64_t j = 0; j < rowLength; ++j)
        ASSERT_EQ(unpackCode(packed.data(), j, bits), codes[j])
            << "bits=" << bits << " k=" << k << " j=" << j;
    }
  }
}

TEST(PackCodes, QuantizeThenPackRoundTrip) {
  std::mt19937 rng(5);
  const int64_t rows = 4, rowLength = 45;
  std::vector<float> w = randomValues(rng, rows * rowLength, -1.0f, 1.0f);
  for (unsigned bits = 2; bits <= 8; ++bits) {
    QuantSpec spec = makeSpec(bits, 16);
    QuantizedMatrix q = quantizeRTN(w.data(), rows, rowLength, spec);
    std::vector<uint8_t> packed = packCodes(q.codes, rows, rowLength, bits);
    int64_t rowBytes = (rowLength * bits + 7) / 8;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < rowLength; ++k)
        ASSERT_EQ(unpackCode(packed.data() + r * rowBytes, k, bits),
                  q.codes[r * rowLength + k]);
  }
}

} // namespace
