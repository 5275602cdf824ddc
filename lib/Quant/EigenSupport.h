//===- EigenSupport.h - Eigen types shared by GPTQ and AWQ ------*- C++ -*-===//
//
// The matrix types the quantization algorithms use (row-major like MLIR's
// weight constants, double where the reference implementations accumulate
// in higher precision) and their common error reporting.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_QUANT_EIGENSUPPORT_H
#define QC_LIB_QUANT_EIGENSUPPORT_H

#include <Eigen/Core>

#include <string>

namespace mlir::qc {

using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;
using VectorD = Eigen::Matrix<double, Eigen::Dynamic, 1>;
using RowMatrixF =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixD =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Stores "ALGORITHM: message" in `error` (when given) and returns false, so
/// algorithm entry points can `return failWith(error, "GPTQ", "...")`.
inline bool failWith(std::string *error, const char *algorithm,
                     const std::string &message) {
  if (error)
    *error = std::string(algorithm) + ": " + message;
  return false;
}

} // namespace mlir::qc

#endif // QC_LIB_QUANT_EIGENSUPPORT_H
