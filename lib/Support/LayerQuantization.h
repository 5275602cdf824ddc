//===- LayerQuantization.h - What every weight pass shares ------*- C++ -*-===//
//
// Option validation, layer selection (exclude regex, per-layer precision
// plans), reading calibration statistics attached to layers, and replacing
// a layer's float weight by a qc.quantized_weight. RTN, GPTQ, AWQ and the
// mixed-precision pass all go through these, so they agree on formats.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_SUPPORT_LAYERQUANTIZATION_H
#define QC_LIB_SUPPORT_LAYERQUANTIZATION_H

#include "dialects/QC/IR/QC.h"
#include "lib/Support/WeightQuantizer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::qc {

/// Per-layer precision chosen by qc-mixed-precision or a plan file: bits
/// (32 = keep float) and optionally a group size.
constexpr llvm::StringLiteral kLayerBitsAttr = "qc.bits";
constexpr llvm::StringLiteral kLayerGroupSizeAttr = "qc.group_size";
/// The sequential calibration stage (decoder block) of a layer, written by
/// qc-sequential-stages.
constexpr llvm::StringLiteral kLayerStageAttr = "qc.stage";
/// Why a layer (or a MatMul/Gemm/Conv with a compile-time weight that is
/// not a qc layer) stays in float; read by qc-weight-report.
constexpr llvm::StringLiteral kFloatReasonAttr = "qc.float_reason";
/// On a Gather whose indices are a graph input: the size of the indexed
/// axis (valid indices are [-size, size)); calibration checks its data.
constexpr llvm::StringLiteral kIndexBoundAttr = "qc.index_bound";
/// On a qc.quantized_weight: input columns that no calibration sample
/// reached (their weights were zeroed, as GPTQ does); in the report.
constexpr llvm::StringLiteral kDeadColumnsAttr = "qc.dead_columns";
/// Calibration statistics attached to layers (see lib/Calibration):
/// H = 2 X^T X / n as tensor<KxKxf32>, mean |x| per input channel as
/// tensor<Kxf32>, and a bounded sample of input rows as tensor<TxKxf32>.
constexpr llvm::StringLiteral kHessianAttr = "qc.hessian";
constexpr llvm::StringLiteral kMeanAbsAttr = "qc.act_mean_abs";
constexpr llvm::StringLiteral kSamplesAttr = "qc.act_samples";

/// The pass options every weight pass has, validated.
struct WeightPassOptions {
  QuantSpec spec;
  Type scaleType;
  std::string exclude;
};

/// Validates bits / group size / scale type / exclude regex; emits
/// "<pass>: ..." errors on `anchor` and fails on bad values.
FailureOr<WeightPassOptions>
parseWeightPassOptions(Operation *anchor, StringRef passName, unsigned bits,
                       int64_t groupSize, bool symmetric, StringRef scaleType,
                       StringRef exclude);

/// A layer to quantize: its op, float weight and the spec to use.
struct LayerToQuantize {
  QuantizableLayer layer;
  std::string name;
  RankedTensorType weightType;
  std::vector<float> weights;
  QuantSpec spec;
  int64_t rows() const { return weightType.getDimSize(0); }
  int64_t rowLength() const { return weightType.getNumElements() / rows(); }
};

/// The float layers of `func` not matched by the exclude regex and not
/// planned to stay float, each with its spec (options, overridden by the
/// layer's qc.bits / qc.group_size). Fails (with an error on the layer) on
/// a non-constant weight.
FailureOr<std::vector<LayerToQuantize>>
collectLayers(func::FuncOp func, StringRef passName,
              const WeightPassOptions &options);

/// Replaces the layer's weight by a qc.quantized_weight built from `q`
/// (codes in column order, per-group params), recording the relative
/// weight error. `columnScales` (optional, one per row position) multiply
/// the dequantized values (AWQ); `groupIndex` (optional, one per row
/// position) names each column's group (GPTQ act-order).
void replaceWeight(LayerToQuantize &layer, const QuantizedMatrix &q,
                   const WeightPassOptions &options,
                   ArrayRef<float> columnScales = {},
                   ArrayRef<int32_t> groupIndex = {});

/// Reads a float statistics attribute (dense or dense_resource, f32) from
/// `op`; failure if absent or malformed.
FailureOr<std::vector<float>> readStatsAttr(Operation *op, StringRef name,
                                            ArrayRef<int64_t> expectedShape);

/// Drops calibration statistics from every op under `root`.
void removeStatsAttrs(Operation *root);

} // namespace mlir::qc

#endif // QC_LIB_SUPPORT_LAYERQUANTIZATION_H
