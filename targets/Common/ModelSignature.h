//===- ModelSignature.h - The entry as the runtime sees it ------*- C++ -*-===//
//
// Every target exposes the same qc_model ABI (include/quantc/Runtime/
// qc_model.h): the model's inputs and outputs by ONNX name, runtime dtype
// and static shape, read from the entry function before lowering rewrites
// its types.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGETS_COMMON_MODELSIGNATURE_H
#define QC_TARGETS_COMMON_MODELSIGNATURE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::qc {

/// A model input or output as the runtime sees it.
struct TensorSignature {
  std::string name;
  int32_t dtype; ///< enum qc_dtype
  std::vector<int64_t> shape;
};

struct ModelSignature {
  std::string name;
  std::vector<TensorSignature> inputs, outputs;
};

/// Reads the signature of the entry function (before lowering). Fails with
/// a diagnostic for dynamic shapes or element types the runtime lacks.
FailureOr<ModelSignature> getModelSignature(ModuleOp module);

} // namespace mlir::qc

#endif // QC_TARGETS_COMMON_MODELSIGNATURE_H
