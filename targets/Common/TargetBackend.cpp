//===- TargetBackend.cpp - The compile-to-object path every target shares ===//

#include "targets/Common/TargetBackend.h"
#include "targets/Common/WeightObject.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qc;

LogicalResult mlir::qc::lowerModule(ModuleOp module,
                                    const TargetBackend &backend,
                                    LoweringPhase phase) {
  PassManager pm(module.getContext());
  backend.buildLoweringPipeline(pm, phase);
  return pm.run(module);
}

LogicalResult mlir::qc::compileToObject(ModuleOp module,
                                        const TargetBackend &backend,
                                        StringRef path, std::string &error,
                                        const WeightObjectOptions &weights) {
  // The signature is read before lowering rewrites the entry's types.
  FailureOr<ModelSignature> signature = getModelSignature(module);
  if (failed(signature) ||
      failed(lowerModule(module, backend, LoweringPhase::LLVM)))
    return failure();
  if (!weights.path.empty()) {
    std::vector<ExternalWeight> external = externalizeWeights(module);
    if (failed(writeWeightObject(weights.path, backend.getTargetTriple(),
                                 external, error)))
      return failure();
    if (weights.release)
      for (ExternalWeight &w : external)
        w.handle.getResource()->setBlob(AsmResourceBlob());
  }
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  if (failed(backend.serialize(module, *signature, ArtifactKind::Object, os,
                               error))) {
    os.close();
    llvm::sys::fs::remove(path);
    return failure();
  }
  return success();
}
