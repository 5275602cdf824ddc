//===- WeightQuantizer.cpp - Uniform weight quantization math -------------===//
//
// Parameters follow the GPTQ authors' quantizer (range widened to contain
// zero, degenerate all-zero groups get [-1, 1]) or, with
// QuantSpec::rangeIncludesZero = false, the AWQ authors' one, so RTN/GPTQ/AWQ
// numbers are comparable with the published reference implementations.
//
//===----------------------------------------------------------------------===//

#include "lib/Quant/WeightQuantizer.h"

#include "llvm/ADT/APFloat.h"

#include <algorithm>
#include <cmath>

using namespace mlir::qc;

float mlir::qc::roundToScaleType(float v, ScaleType type) {
  if (type == ScaleType::F32)
    return v;
  llvm::APFloat f(v);
  bool losesInfo;
  f.convert(type == ScaleType::F16 ? llvm::APFloat::IEEEhalf()
                                   : llvm::APFloat::BFloat(),
            llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  f.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
            &losesInfo);
  return f.convertToFloat();
}

/// Scale of `range / steps` rounded to the scale type, never 0 (a scale that
/// underflows the scale type would divide by zero in quantizeValue).
static float roundedScale(float range, float steps, ScaleType type) {
  float scale = roundToScaleType(range / steps, type);
  if (!(scale > 0.0f))
    scale = roundToScaleType(type == ScaleType::F16 ? 6.0e-8f : 1.0e-30f, type);
  return scale;
}

/// The AWQ authors' pseudo_quantize_tensor parameters: no widening to 0,
/// ranges floored at 1e-5.
static GroupParams findGroupParamsAWQ(const float *values, int64_t count,
                                      const QuantSpec &spec) {
  float maxCode = float(spec.maxCode());
  if (spec.symmetric) {
    float absMax = 0.0f;
    for (int64_t i = 0; i < count; ++i)
      absMax = std::max(absMax, std::fabs(values[i]));
    // 2^(bits-1) - 1 steps above 0 (bits >= 2; 1 bit would have none).
    float maxInt = std::max(float((1u << (spec.bits - 1)) - 1), 1.0f);
    float scale =
        roundedScale(std::max(absMax, 1.0e-5f), maxInt, spec.scaleType);
    return {scale, static_cast<uint8_t>(1u << (spec.bits - 1))};
  }
  float lo = count > 0 ? values[0] : 0.0f, hi = lo;
  for (int64_t i = 1; i < count; ++i) {
    lo = std::min(lo, values[i]);
    hi = std::max(hi, values[i]);
  }
  float scale =
      roundedScale(std::max(hi - lo, 1.0e-5f), maxCode, spec.scaleType);
  float zero = std::clamp(std::nearbyint(-lo / scale), 0.0f, maxCode);
  return {scale, static_cast<uint8_t>(zero)};
}

GroupParams mlir::qc::findGroupParams(const float *values, int64_t count,
                                      const QuantSpec &spec) {
  if (!spec.rangeIncludesZero)
    return findGroupParamsAWQ(values, count, spec);
  float lo = 0.0f, hi = 0.0f;
  for (int64_t i = 0; i < count; ++i) {
    lo = std::min(lo, values[i]);
    hi = std::max(hi, values[i]);
  }
  if (spec.symmetric) {
    hi = std::max(-lo, hi);
    lo = -hi;
  }
  if (lo == 0.0f && hi == 0.0f) {
    lo = -1.0f;
    hi = 1.0f;
  }
  float maxCode = float(spec.maxCode());
  float scale = roundToScaleType((hi - lo) / maxCode, spec.scaleType);
  // A scale that underflows the scale type would divide by zero below.
  if (!(scale > 0.0f))
    scale = roundToScaleType(
        spec.scaleType == ScaleType::F16 ? 6.0e-8f : 1.0e-30f, spec.scaleType);
  float zero = spec.symmetric ? float(1u << (spec.bits - 1))
                              : std::nearbyint(-lo / scale);
  zero = std::clamp(zero, 0.0f, maxCode);
  return {scale, static_cast<uint8_t>(zero)};
}

uint8_t mlir::qc::quantizeValue(float value, GroupParams params,
                                unsigned bits) {
  float q = std::nearbyint(value / params.scale) + float(params.zeroPoint);
  return static_cast<uint8_t>(std::clamp(q, 0.0f, float((1u << bits) - 1)));
}

QuantizedMatrix mlir::qc::quantizeRTN(const float *weights, int64_t rows,
                                      int64_t rowLength,
                                      const QuantSpec &spec) {
  int64_t groupLength = spec.groupLength(rowLength);
  int64_t numGroups = spec.numGroups(rowLength);
  QuantizedMatrix result;
  result.codes.resize(rows * rowLength);
  result.scales.resize(rows * numGroups);
  result.zeroPoints.resize(rows * numGroups);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t g = 0; g < numGroups; ++g) {
      int64_t begin = g * groupLength;
      int64_t count = std::min(groupLength, rowLength - begin);
      const float *values = weights + r * rowLength + begin;
      GroupParams params = findGroupParams(values, count, spec);
      result.scales[r * numGroups + g] = params.scale;
      result.zeroPoints[r * numGroups + g] = params.zeroPoint;
      for (int64_t i = 0; i < count; ++i)
        result.codes[r * rowLength + begin + i] =
            quantizeValue(values[i], params, spec.bits);
    }
  }
  return result;
}

std::vector<uint8_t> mlir::qc::packCodes(const std::vector<uint8_t> &codes,
                                         int64_t rows, int64_t rowLength,
                                         unsigned bits) {
  int64_t rowBytes = (rowLength * bits + 7) / 8;
  std::vector<uint8_t> packed(rows * rowBytes, 0);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t *row = packed.data() + r * rowBytes;
    for (int64_t k = 0; k < rowLength; ++k) {
      uint32_t code = codes[r * rowLength + k];
      int64_t bit = k * bits;
      row[bit / 8] |= uint8_t(code << (bit % 8));
      if (bit % 8 + bits > 8)
        row[bit / 8 + 1] |= uint8_t(code >> (8 - bit % 8));
    }
  }
  return packed;
}

uint8_t mlir::qc::unpackCode(const uint8_t *row, int64_t k, unsigned bits) {
  int64_t bit = k * bits;
  uint32_t word = row[bit / 8];
  if (bit % 8 + bits > 8)
    word |= uint32_t(row[bit / 8 + 1]) << 8;
  return uint8_t((word >> (bit % 8)) & ((1u << bits) - 1));
}
