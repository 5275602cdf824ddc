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
#include <optional>
#include <string>
#include <vector>

namespace mlir::qc {

/// A model input or output as the runtime sees it.
struct TensorSignature {
  std::string name;
  int32_t dtype; ///< enum qc_dtype
  std::vector<int64_t> shape;
};

/// What a generator (a module with qc.generator) adds: its prefill step's
/// buffers and the facts the runtime's generation loop needs.
struct GeneratorSignature {
  int64_t maxContext = 0, prefillTokens = 0;
  std::vector<std::string> vocab; ///< Empty without --vocab.
  std::vector<TensorSignature> prefillInputs, prefillOutputs;
};

struct ModelSignature {
  std::string name;
  /// The buffers of the entry (a generator's decode step). Results that
  /// are KV caches (qc.kv_cache) are their arguments' buffers, not outputs.
  std::vector<TensorSignature> inputs, outputs;
  std::optional<GeneratorSignature> generator;
};

/// Reads the signature of the entry function (before lowering), and of
/// the prefill step for a generator. Fails with a diagnostic for dynamic
/// shapes or element types the runtime lacks.
FailureOr<ModelSignature> getModelSignature(ModuleOp module);

} // namespace mlir::qc

#endif // QC_TARGETS_COMMON_MODELSIGNATURE_H
