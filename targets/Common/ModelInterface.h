//===- ModelInterface.h - The qc_model ABI in LLVM IR -----------*- C++ -*-===//
//
// Targets whose host code is LLVM IR (the CPU, and the host side of a GPU
// target) export the model through the same two symbols.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGETS_COMMON_MODELINTERFACE_H
#define QC_TARGETS_COMMON_MODELINTERFACE_H

#include "targets/Common/ModelSignature.h"

#include "llvm/IR/Module.h"

namespace mlir::qc {

/// Adds qc_model and qc_model_run (see qc_model.h) to `module`, calling
/// `entry` with inputs then outputs as bare pointers; for a generator also
/// qc_generator and qc_generator_prefill, which calls `prefill`.
void addModelInterface(llvm::Module &module, llvm::Function *entry,
                       const ModelSignature &signature,
                       llvm::Function *prefill = nullptr);

} // namespace mlir::qc

#endif // QC_TARGETS_COMMON_MODELINTERFACE_H
