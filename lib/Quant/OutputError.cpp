//===- OutputError.cpp - How much a quantized weight changes outputs ------===//

#include "lib/Quant/OutputError.h"

#include "lib/Quant/EigenSupport.h"

using namespace mlir::qc;

double mlir::qc::hessianWeightedError(const std::vector<float> &w,
                                      const std::vector<float> &wq,
                                      int64_t rows, int64_t k,
                                      const std::vector<float> *h) {
  using RowMatrixFMap = Eigen::Map<const RowMatrixF>;
  Eigen::MatrixXd delta = (RowMatrixFMap(w.data(), rows, k).cast<double>() -
                           RowMatrixFMap(wq.data(), rows, k).cast<double>());
  if (!h)
    return delta.squaredNorm();
  Eigen::MatrixXd hd = RowMatrixFMap(h->data(), k, k).cast<double>();
  // Row by row: Σ_r δ_r H δ_rᵀ.
  return (delta * hd).cwiseProduct(delta).sum();
}
