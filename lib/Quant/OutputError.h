//===- OutputError.h - How much a quantized weight changes outputs -*- C++
//-*-===//
//
// The error measure mixed precision ranks widths by: with the input
// Hessian H = 2 XᵀX / n of a layer, tr(ΔW H ΔWᵀ) is (up to a constant) the
// mean squared change of the layer's outputs on the calibration inputs;
// without calibration data it falls back to ‖ΔW‖².
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_QUANT_OUTPUTERROR_H
#define QC_LIB_QUANT_OUTPUTERROR_H

#include <cstdint>
#include <vector>

namespace mlir::qc {

/// tr(ΔW H ΔWᵀ) for ΔW = `w` − `wq` (row-major [rows, k]) and `h` the
/// [k, k] Hessian, or ‖ΔW‖² when `h` is null.
double hessianWeightedError(const std::vector<float> &w,
                            const std::vector<float> &wq, int64_t rows,
                            int64_t k, const std::vector<float> *h);

} // namespace mlir::qc

#endif // QC_LIB_QUANT_OUTPUTERROR_H
