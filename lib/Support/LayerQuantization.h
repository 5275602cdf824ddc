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
#include "dialects/QC/IR/QCContract.h"
#include "lib/Quant/WeightQuantizer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::qc {

/// The MLIR element type of scales stored as `type`.
Type getScaleElementType(MLIRContext *ctx, ScaleType type);

/// The pass options every weight pass has, validated.
struct WeightPassOptions {
  QuantSpec spec;
  Type scaleType; ///< getScaleElementType(spec.scaleType)
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
/// `wanted`, if given, picks among them before any weight is read: a step
/// that quantizes a few layers of a billion-parameter model (a sequential
/// GPTQ/AWQ stage) reads those, not all of them.
FailureOr<std::vector<LayerToQuantize>>
collectLayers(func::FuncOp func, StringRef passName,
              const WeightPassOptions &options,
              function_ref<bool(QuantizableLayer)> wanted = {});

/// The same layers one at a time: `fn` gets each as soon as it is read, and
/// its float copy of the weights is gone before the next is read (a pass
/// that needs no other layer holds one layer's floats, not the model's).
LogicalResult forEachLayer(func::FuncOp func, StringRef passName,
                           const WeightPassOptions &options,
                           function_ref<LogicalResult(LayerToQuantize &)> fn,
                           function_ref<bool(QuantizableLayer)> wanted = {});

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
