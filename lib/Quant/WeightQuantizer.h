//===- WeightQuantizer.h - Uniform weight quantization math -----*- C++ -*-===//
//
// The quantizer every weight pass shares (RTN today, GPTQ and AWQ reuse the
// per-group parameter search and code packing), kept free of MLIR so unit
// tests check it against brute-force math.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_QUANT_WEIGHTQUANTIZER_H
#define QC_LIB_QUANT_WEIGHTQUANTIZER_H

#include <cstdint>
#include <vector>

namespace mlir::qc {

enum class ScaleType { F32, F16, BF16 };

struct QuantSpec {
  unsigned bits = 8;
  int64_t groupSize = 0; ///< 0: one group per row.
  bool symmetric = false;
  ScaleType scaleType = ScaleType::F32;
  /// true: the GPTQ authors' min/max quantizer (range widened to contain 0).
  /// false: the AWQ authors' pseudo_quantize_tensor (range [min, max] as is,
  /// range floored at 1e-5; symmetric: scale max|w| / (2^(bits-1) - 1)).
  bool rangeIncludesZero = true;

  unsigned maxCode() const { return (1u << bits) - 1; }
  int64_t groupLength(int64_t rowLength) const {
    return groupSize == 0 ? rowLength : groupSize;
  }
  int64_t numGroups(int64_t rowLength) const {
    int64_t g = groupLength(rowLength);
    return (rowLength + g - 1) / g;
  }
};

/// Scale and zero point of one group.
struct GroupParams {
  float scale;
  uint8_t zeroPoint;
};

/// Rounds `v` to the precision of `type` (identity for F32).
float roundToScaleType(float v, ScaleType type);

/// Min/max parameters of one group. With spec.rangeIncludesZero (default) as
/// the GPTQ reference quantizer chooses them: the range always contains 0;
/// symmetric ranges are [-max|w|, max|w|] with zero point 2^(bits-1).
/// Without it, as the AWQ reference (pseudo_quantize_tensor) chooses them:
/// scale = max(max - min, 1e-5) / (2^bits - 1), zero point
/// clamp(round(-min / scale), 0, 2^bits - 1); symmetric: scale =
/// max(max|w|, 1e-5) / (2^(bits-1) - 1), zero point 2^(bits-1) (codes
/// 1 .. 2^bits - 1 cover [-max|w|, max|w|]). The scale is already rounded to
/// the scale type (the zero point is derived from the rounded scale).
GroupParams findGroupParams(const float *values, int64_t count,
                            const QuantSpec &spec);

/// Code of `value` under `params`: clamp(round(value / scale) + zp, 0, max).
uint8_t quantizeValue(float value, GroupParams params, unsigned bits);

inline float dequantizeValue(uint8_t code, GroupParams params) {
  return params.scale * (float(code) - float(params.zeroPoint));
}

/// Result of quantizing a [rows, rowLength] matrix.
struct QuantizedMatrix {
  std::vector<uint8_t> codes;      ///< rows * rowLength, one code per value.
  std::vector<float> scales;       ///< rows * numGroups.
  std::vector<uint8_t> zeroPoints; ///< rows * numGroups.
};

/// Round-to-nearest quantization of a row-major [rows, rowLength] matrix.
QuantizedMatrix quantizeRTN(const float *weights, int64_t rows,
                            int64_t rowLength, const QuantSpec &spec);

/// Packs codes row by row as little-endian bit streams (each row starts on a
/// byte boundary): code k of a row occupies bits [k*bits, (k+1)*bits).
std::vector<uint8_t> packCodes(const std::vector<uint8_t> &codes, int64_t rows,
                               int64_t rowLength, unsigned bits);

/// Inverse of packCodes for one code.
uint8_t unpackCode(const uint8_t *row, int64_t k, unsigned bits);

} // namespace mlir::qc

#endif // QC_LIB_QUANT_WEIGHTQUANTIZER_H
