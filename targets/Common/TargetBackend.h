//===- TargetBackend.h - What a code generation target provides -*- C++ -*-===//
//
// A target turns a quantized qc module on tensors into an object file that
// exposes the qc_model ABI. Everything target-neutral -- the model
// signature, the ABI in LLVM IR, linking, the one compile-to-object path the
// driver and calibration share -- lives beside this interface in
// targets/Common; a backend (targets/CPU today, targets/NVPTX next) provides
// only its lowering pipeline, its serializer and the libraries it links.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGETS_COMMON_TARGETBACKEND_H
#define QC_TARGETS_COMMON_TARGETBACKEND_H

#include "targets/Common/ModelSignature.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/TargetParser/Triple.h"

#include <string>
#include <vector>

namespace llvm {
class raw_pwrite_stream;
} // namespace llvm

namespace mlir::qc {

/// How far a backend's lowering pipeline goes.
enum class LoweringPhase {
  Linalg, ///< qc layers scheduled for the target, still on tensors.
  LLVM,   ///< What the backend's serializer takes (e.g. the LLVM dialect).
};

/// What a backend serializes a lowered module to.
enum class ArtifactKind { Object, LLVMIR };

class TargetBackend {
public:
  virtual ~TargetBackend() = default;

  /// Short name, for messages ("cpu").
  virtual StringRef getName() const = 0;

  /// Checks the target options (triple, CPU, features, ...) before any
  /// work starts, so that a typo is one clear error and not a failure deep
  /// in code generation. Fails with `error` set.
  virtual LogicalResult verifyOptions(std::string &error) const {
    return success();
  }

  /// Adds to `pm` (anchored on builtin.module) the passes lowering a
  /// quantized qc module on tensors to `phase`.
  virtual void buildLoweringPipeline(OpPassManager &pm,
                                     LoweringPhase phase) const = 0;

  /// Writes `module`, lowered to LoweringPhase::LLVM, as `kind` to `os`,
  /// exporting the qc_model ABI of `signature`. Fails with `error` set, or
  /// with a diagnostic on the module and `error` empty.
  virtual LogicalResult
  serialize(ModuleOp module, const ModelSignature &signature, ArtifactKind kind,
            llvm::raw_pwrite_stream &os, std::string &error) const = 0;

  /// Linker arguments (libraries) an executable or shared object of this
  /// target needs besides the runtime archive.
  virtual std::vector<std::string> getLinkLibraries() const = 0;

  /// The target triple its objects are for.
  virtual llvm::Triple getTargetTriple() const = 0;
};

/// Runs `backend`'s lowering pipeline up to `phase` on `module`.
LogicalResult lowerModule(ModuleOp module, const TargetBackend &backend,
                          LoweringPhase phase);

/// Where compileToObject puts the weights: with `path` set, the large
/// constant weights skip LLVM IR and go straight into an object of their
/// own there (targets/Common/WeightObject.h), to be linked with the code;
/// `release` then frees their blobs once written (the module is done).
struct WeightObjectOptions {
  std::string path;
  bool release = false;
};

/// The one path from a quantized qc module to an object file at `path`:
/// reads the signature, lowers all the way, serializes. The driver (for
/// executables and --emit=obj) and calibration (for its shared object)
/// both use it. On failure `error` is set, or diagnostics were emitted.
LogicalResult compileToObject(ModuleOp module, const TargetBackend &backend,
                              StringRef path, std::string &error,
                              const WeightObjectOptions &weights = {});

} // namespace mlir::qc

#endif // QC_TARGETS_COMMON_TARGETBACKEND_H
