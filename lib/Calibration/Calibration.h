//===- Calibration.h - Run a model on calibration data ----------*- C++ -*-===//
//
// Collects what GPTQ, AWQ and mixed precision need per layer (H = 2XᵀX/n,
// mean |x| per input channel, a bounded sample of input rows) by running
// the model through the same lowering and code generation as the final
// binary: the module is instrumented to return the layers' inputs,
// compiled to a shared object, loaded, and run on the calibration set.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_CALIBRATION_CALIBRATION_H
#define QC_LIB_CALIBRATION_CALIBRATION_H

#include "targets/Common/TargetBackend.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::qc {

struct SharedWeights;

/// One calibration array: samples along its leading dimension.
struct CalibrationArray {
  std::string name; ///< Graph input it feeds.
  int32_t dtype;    ///< enum qc_dtype
  std::vector<int64_t> sampleShape;
  int64_t numSamples = 0;
  std::vector<char> data;
};

/// Loads "NAME=FILE.npy" specs; all arrays must hold the same number of
/// samples. Returns an error message or "".
std::string loadCalibrationSet(ArrayRef<std::string> specs,
                               std::vector<CalibrationArray> &set);

/// Statistics of one layer's input X (rows of K values; for a convolution
/// the rows are im2col patches, ordered like the flattened weight rows).
struct LayerStatistics {
  int64_t rowLength = 0;
  int64_t rows = 0;           ///< Rows seen.
  std::vector<double> xtx;    ///< K*K, sum of xᵀx.
  std::vector<double> sumAbs; ///< K, sum of |x|.
  std::vector<float> samples; ///< sampleRows*K, a uniform row sample.
  int64_t sampleRows = 0;
};

struct CalibrationOptions {
  std::string modelPath; ///< The ONNX model, re-imported at batch shape.
  /// Compiles the calibration model for this machine.
  std::shared_ptr<const TargetBackend> backend;
  std::string linker; ///< C compiler used to link the shared object.
  int64_t maxSampleRows = 2048;
  int64_t maxBatch = 16; ///< Samples per run where the batch dim is free.
  unsigned threads = 0;  ///< 0: all cores.
  /// If set, the calibration import shares its weights with the imports
  /// of the model being quantized (no second copy, no re-layout).
  SharedWeights *sharedWeights = nullptr;
  bool progress = true; ///< On stderr, when it is a terminal.
};

/// Runs the model on `set` and returns statistics for `layerNames`. Layers
/// of `quantizedSource` that already carry quantized weights are copied
/// (by name) into the calibration model first, so statistics reflect the
/// already-quantized layers (the sequential recipe). Errors go to `ctx`.
FailureOr<llvm::StringMap<std::shared_ptr<const LayerStatistics>>>
calibrate(MLIRContext &ctx, const CalibrationOptions &options,
          const std::vector<CalibrationArray> &set, ModuleOp quantizedSource,
          ArrayRef<std::string> layerNames);

/// Copies every quantized weight of `source` into the layer of the same
/// name in `target` (a model imported again at other shapes).
void transplantQuantizedWeights(ModuleOp source, func::FuncOp target);

/// Attaches qc.hessian / qc.act_mean_abs / qc.act_samples to the layers of
/// `module` named in `stats`.
void attachStatistics(
    ModuleOp module,
    const llvm::StringMap<std::shared_ptr<const LayerStatistics>> &stats);

} // namespace mlir::qc

#endif // QC_LIB_CALIBRATION_CALIBRATION_H
