//===- WeightObject.h - Weights in their own object file --------*- C++ -*-===//
//
// A model's weights are most of its bytes. Translated to LLVM IR they would
// be copied into LLVM constants and again into the code generator's section
// buffers: three copies of every weight at the peak of a compile. Instead
// the large constant globals of the lowered module become external
// declarations, and their bytes go from the MLIR resource blobs straight
// into a small ELF object (one read-only data section, one symbol per
// weight) that is linked beside the code.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGETS_COMMON_WEIGHTOBJECT_H
#define QC_TARGETS_COMMON_WEIGHTOBJECT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/TargetParser/Triple.h"

#include <string>
#include <vector>

namespace mlir::qc {

/// A weight moved out of the module: its symbol and bytes (owned by the
/// module's resource blob, which must outlive the write).
struct ExternalWeight {
  std::string symbol;
  ArrayRef<char> bytes;
  uint64_t alignment;
  DenseResourceElementsHandle handle; ///< To release the blob once written.
};

/// Globals below this size stay in the code object.
constexpr int64_t kMinExternalWeightBytes = 4096;

/// Turns every constant llvm.mlir.global of `module` (LLVM dialect) whose
/// initializer is a dense_resource of at least `minBytes` into an external
/// declaration and returns the weights it held, in module order.
std::vector<ExternalWeight>
externalizeWeights(ModuleOp module, int64_t minBytes = kMinExternalWeightBytes);

/// Writes `weights` as an ELF relocatable object for `triple` (x86-64: in
/// .lrodata, the medium code model's large data; AArch64: .rodata). Fails
/// with `error` set for other object formats.
LogicalResult writeWeightObject(StringRef path, const llvm::Triple &triple,
                                ArrayRef<ExternalWeight> weights,
                                std::string &error);

} // namespace mlir::qc

#endif // QC_TARGETS_COMMON_WEIGHTOBJECT_H
