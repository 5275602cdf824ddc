//===- Passes.h - qc conversion passes --------------------------*- C++ -*-===//

#ifndef QC_PASSES_CONVERSION_PASSES_H
#define QC_PASSES_CONVERSION_PASSES_H

#include "dialects/QC/IR/QC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Pass/Pass.h"

namespace mlir::qc {

#define GEN_PASS_DECL
#include "passes/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Conversion/Passes.h.inc"

} // namespace mlir::qc

#endif // QC_PASSES_CONVERSION_PASSES_H
