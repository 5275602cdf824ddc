//===- CalibrationImpl.h - Private pieces of lib/Calibration ----*- C++ -*-===//
//
// Shared by the three files of lib/Calibration: checking the calibration
// data (CalibrationSet.cpp), instrumenting the model so it returns each
// layer's input and turning that into rows of X (Instrument.cpp), and the
// run itself (Calibration.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_CALIBRATION_CALIBRATIONIMPL_H
#define QC_LIB_CALIBRATION_CALIBRATIONIMPL_H

#include "lib/Calibration/Calibration.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <Eigen/Dense>

namespace mlir::qc::calibration {

/// How a layer's instrumented output becomes rows of its input X.
struct LayerProbe {
  std::string name;
  /// Every layer reading the probed tensor (q/k/v projections share one).
  std::vector<std::string> layers;
  int64_t rowLength;
  bool isConv = false;
  // Convolution geometry (group == 1): input [N, C, H, W], kernel KH x KW.
  int64_t c = 0, h = 0, w = 0, kh = 0, kw = 0, oh = 0, ow = 0;
  SmallVector<int64_t> strides, pads, dilations;
};

/// Makes the input of every layer in `names` the entry's only results
/// (the model's own outputs and the code only they need are dropped).
FailureOr<std::vector<LayerProbe>> instrument(func::FuncOp func,
                                              ArrayRef<std::string> names);

/// Rows of X for `probe` from the layer-input buffer of one batch.
Eigen::MatrixXf rowsOf(const LayerProbe &probe, const float *data,
                       int64_t numel);

/// Token ids (any graph input indexing a Gather directly) must lie in the
/// table: the compiled Gather would clamp them, giving statistics of a
/// different input without a word.
LogicalResult checkIndexInputs(func::FuncOp func,
                               const std::vector<CalibrationArray> &set,
                               Location loc);

} // namespace mlir::qc::calibration

#endif // QC_LIB_CALIBRATION_CALIBRATIONIMPL_H
