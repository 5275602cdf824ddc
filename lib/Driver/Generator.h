//===- Generator.h - Building a generator from a model-kv export -*- C++
//-*-===//
//
// quantc --max-context=N on a decoder exported with its KV cache (the
// Hugging Face optimum / onnxruntime-genai convention) builds one module
// with two steps over the same weights: prefill (a prompt chunk from an
// empty cache) and decode (one token per row), each updating fixed-size
// caches in place (qc-kv-cache-in-place). The runtime's --generate loop
// drives them (lib/Runtime/Generate.c).
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_DRIVER_GENERATOR_H
#define QC_LIB_DRIVER_GENERATOR_H

#include "lib/Calibration/Calibration.h"
#include "lib/Import/ONNXImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace mlir::qc {

struct DriverOptions;

/// The cache inputs and shapes of a model-kv export.
struct KVCacheModel {
  /// past_key_values.{i}.key|value in graph order: [batch, heads, past,
  /// head_dim] with heads and head_dim fixed.
  std::vector<DeclaredInput> caches;
  int64_t maxContext = 0, prefillTokens = 0, batch = 1;

  /// Import pins for a step of `seq` new tokens after `past` positions.
  ImportOptions stepImport(const ImportOptions &base, int64_t seq,
                           int64_t past) const;
  /// Completes calibration data given only as input_ids [n, T]: attention
  /// mask of ones, positions 0..T-1 and empty caches. Returns an error
  /// message or "".
  std::string completeCalibration(std::vector<CalibrationArray> &set) const;
};

/// Checks that the model at `path` follows the convention (input_ids,
/// attention_mask, position_ids, past_key_values.{i}.key|value) and reads
/// its caches; errors name the input that does not fit.
FailureOr<KVCacheModel> recognizeKVCacheModel(const DriverOptions &options,
                                              MLIRContext *ctx);

/// Turns the imported, quantized prefill and decode modules into one
/// generator module (returned in `decode`): quantized weights of `prefill`
/// copied into `decode` by layer name, caches updated in place, the prefill
/// step moved in as kPrefillFunction, qc.generator attached (with the
/// vocabulary of options.vocabPath, if any), identical constants shared.
LogicalResult assembleGenerator(ModuleOp prefill, ModuleOp decode,
                                const KVCacheModel &kv,
                                const DriverOptions &options);

} // namespace mlir::qc

#endif // QC_LIB_DRIVER_GENERATOR_H
