//===- CPUBackend.h - Ahead-of-time code generation for CPUs ----*- C++ -*-===//
//
// One code path for x86-64 and AArch64: qc/linalg on tensors -> loops on
// buffers -> LLVM dialect (the pipeline is lib/Pipelines'
// buildCPULoweringPipeline) -> LLVM IR with the qc_model interface ->
// optimized object code for the chosen triple and CPU.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGETS_CPU_CPUBACKEND_H
#define QC_TARGETS_CPU_CPUBACKEND_H

#include "targets/Common/TargetBackend.h"

#include "llvm/TargetParser/Triple.h"

#include <memory>
#include <string>

namespace llvm {
class TargetMachine;
} // namespace llvm

namespace mlir::qc {

struct CPUTargetOptions {
  std::string triple; ///< Empty: the host.
  std::string cpu;    ///< Empty: the host CPU when targeting the host.
  std::string features;
  unsigned optLevel = 3;
  /// Scheduled loops (scf.forall) run on OpenMP threads; the executable
  /// then links libomp and takes --threads.
  bool threads = false;
  /// 8: batch 1-4 layers quantize their input to int8 at run time (W4A8,
  /// W8A8); 0: f32 activations.
  int64_t actBits = 0;
};

class CPUBackend final : public TargetBackend {
public:
  explicit CPUBackend(CPUTargetOptions options) : options(std::move(options)) {}

  StringRef getName() const override { return "cpu"; }
  LogicalResult verifyOptions(std::string &error) const override;
  void buildLoweringPipeline(OpPassManager &pm,
                             LoweringPhase phase) const override;
  LogicalResult serialize(ModuleOp module, const ModelSignature &signature,
                          ArtifactKind kind, llvm::raw_pwrite_stream &os,
                          std::string &error) const override;
  std::vector<std::string> getLinkLibraries() const override;
  llvm::Triple getTargetTriple() const override;

  /// f32 lanes of the target CPU's widest vector registers.
  int64_t getVectorLanes() const;
  /// Whether the target is `arch` and its CPU has `feature` ("+avx512vnni",
  /// "+i8mm").
  bool hasFeature(llvm::Triple::ArchType arch, StringRef feature) const;

  /// Creates the target machine for the options, or fails with `error` set.
  std::unique_ptr<llvm::TargetMachine>
  createTargetMachine(std::string &error) const;

private:
  CPUTargetOptions options;
};

} // namespace mlir::qc

#endif // QC_TARGETS_CPU_CPUBACKEND_H
