//===- CalibrationSet.cpp - Reading and checking calibration data ---------===//
//
// --calib NAME=FILE.npy arrays: one sample per index of the leading
// dimension, all arrays with the same number of samples, finite values, and
// token ids inside the tables they index.
//
//===----------------------------------------------------------------------===//

#include "lib/Calibration/CalibrationImpl.h"

#include "lib/Support/LayerQuantization.h"
#include "lib/Support/WeightConstants.h"

extern "C" {
#include "Npy.h"
}

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::calibration;

std::string mlir::qc::loadCalibrationSet(ArrayRef<std::string> specs,
                                         std::vector<CalibrationArray> &set) {
  for (const std::string &spec : specs) {
    auto [name, path] = StringRef(spec).split('=');
    if (name.empty() || path.empty())
      return "--calib expects NAME=FILE.npy, got '" + spec + "'";
    qc_npy_array array;
    char err[512];
    if (qc_npy_read(path.str().c_str(), &array, err, sizeof(err)) != 0)
      return "--calib " + name.str() + ": '" + path.str() + "': " + err;
    if (array.rank < 1 || array.shape[0] < 1) {
      qc_npy_free(&array);
      return "--calib " + name.str() + ": '" + path.str() +
             "' must have a leading sample dimension";
    }
    // Non-finite samples would poison every statistic (and GPTQ's Cholesky).
    size_t count =
        array.nbytes / std::max<size_t>(1, qc_dtype_size(array.dtype));
    for (size_t i = 0; i < count; ++i) {
      double v = 0;
      if (array.dtype == QC_DTYPE_F32)
        v = static_cast<const float *>(array.data)[i];
      else if (array.dtype == QC_DTYPE_F64)
        v = static_cast<const double *>(array.data)[i];
      if (std::isfinite(v))
        continue;
      int64_t perSample = count / array.shape[0];
      qc_npy_free(&array);
      return "--calib " + name.str() + ": '" + path.str() +
             "' holds a non-finite value (" + (std::isnan(v) ? "NaN" : "inf") +
             ") in sample " + std::to_string(i / perSample) + " (element " +
             std::to_string(i % perSample) + ")";
    }
    CalibrationArray a;
    a.name = name.str();
    a.dtype = array.dtype;
    a.numSamples = array.shape[0];
    a.sampleShape.assign(array.shape + 1, array.shape + array.rank);
    const char *bytes = static_cast<const char *>(array.data);
    a.data.assign(bytes, bytes + array.nbytes);
    qc_npy_free(&array);
    if (!set.empty() && set.front().numSamples != a.numSamples)
      return "--calib arrays disagree on the number of samples (" +
             std::to_string(set.front().numSamples) + " vs " +
             std::to_string(a.numSamples) + ")";
    set.push_back(std::move(a));
  }
  return "";
}

/// Token ids (any graph input indexing a Gather directly) must lie in the
/// table: the compiled Gather would clamp them, giving statistics of a
/// different input without a word.
LogicalResult mlir::qc::calibration::checkIndexInputs(
    func::FuncOp func, const std::vector<CalibrationArray> &set, Location loc) {
  WalkResult result = func.walk([&](linalg::GenericOp gather) {
    auto bound = gather->getAttrOfType<IntegerAttr>(kIndexBoundAttr);
    auto arg = bound ? dyn_cast<BlockArgument>(gather.getDpsInputs()[0])
                     : BlockArgument();
    if (!arg)
      return WalkResult::advance();
    auto name =
        func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kTensorNameAttr);
    auto it = llvm::find_if(set, [&](const CalibrationArray &a) {
      return name && a.name == name.getValue();
    });
    if (it == set.end() ||
        (it->dtype != QC_DTYPE_I64 && it->dtype != QC_DTYPE_I32))
      return WalkResult::advance();
    int64_t size = bound.getInt();
    size_t width = qc_dtype_size(it->dtype), count = it->data.size() / width;
    for (size_t i = 0; i < count; ++i) {
      int64_t v = it->dtype == QC_DTYPE_I64
                      ? reinterpret_cast<const int64_t *>(it->data.data())[i]
                      : reinterpret_cast<const int32_t *>(it->data.data())[i];
      if (v >= -size && v < size)
        continue;
      int64_t perSample = count / it->numSamples;
      emitError(loc) << "--calib " << it->name << ": value " << v
                     << " in sample " << i / perSample << " (element "
                     << i % perSample << ") is outside the " << size
                     << " rows that node '" << getLayerName(gather.getLoc())
                     << "' gathers from (valid: " << -size << " to " << size - 1
                     << ")";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}
