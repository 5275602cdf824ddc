//===- Passes.h - Weight quantization passes --------------------*- C++ -*-===//

#ifndef QC_PASSES_QUANTIZATION_PASSES_H
#define QC_PASSES_QUANTIZATION_PASSES_H

#include "dialects/QC/IR/QC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::qc {

#define GEN_PASS_DECL
#include "passes/Quantization/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Quantization/Passes.h.inc"

} // namespace mlir::qc

#endif // QC_PASSES_QUANTIZATION_PASSES_H
