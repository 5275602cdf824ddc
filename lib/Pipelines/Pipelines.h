//===- Pipelines.h - The one place passes are ordered -----------*- C++ -*-===//
//
// Every pass sequence quantc runs is built here by a C++ function (as
// IREE's buildGlobalOptimizationPassPipeline and onnx-mlir's addPasses do)
// and registered under a name, so `quantc-opt --qc-...-pipeline` replays any
// stage of the driver exactly. Nothing is resolved through pass-pipeline
// strings or the global pass registry.
//
//   qc-linalg-pipeline      qc layers -> linalg on tensors (target-neutral;
//                           `tile-rows` is the schedule a target picks)
//   qc-bufferize-pipeline   tensors -> buffers with the qc_model ABI
//   qc-llvm-pipeline        linalg on buffers -> loops -> LLVM dialect
//   qc-cpu-pipeline         the CPU target's whole lowering
//   qc-quantize-pipeline    one weight-quantization step (rtn|gptq|awq,
//                           statistics read from layer attributes)
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_PIPELINES_PIPELINES_H
#define QC_LIB_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace mlir::qc {

/// How qc layers are scheduled when lowered to linalg.
struct LinalgLoweringOptions {
  /// Weight rows of a quantized layer decoded together (a tile every input
  /// row reuses); 0 keeps the unscheduled form (decode inside the
  /// contraction's body).
  int64_t tileRows = 0;
  /// f32 lanes of the fused GEMV schedule for qc.linear at batch 1-4 (0:
  /// off; the general lowering then covers those layers too).
  int64_t gemvLanes = 0;
  /// 8: int8 activations in the GEMV schedule; 0: f32.
  int64_t actBits = 0;
  /// Float reductions may be reassociated (vectorized along the reduced
  /// dimension), as the CPU target allows.
  bool reassociateReductions = false;
};

/// qc layers (float or quantized) -> linalg on tensors, element-wise ops
/// fused, every returned tensor distinct. Anchored on builtin.module.
void buildLinalgLoweringPipeline(OpPassManager &pm,
                                 const LinalgLoweringOptions &options);

/// linalg on tensors -> buffers: the qc_model ABI (inputs read-only,
/// outputs caller-allocated out-params), deallocation, copies as linalg.
void buildBufferizationPipeline(OpPassManager &pm);

/// linalg on buffers -> loops -> the LLVM dialect (bare-pointer calls).
struct LLVMLoweringOptions {
  /// scf.forall loops run on threads (OpenMP) rather than one after the
  /// other.
  bool threads = false;
  /// Int8 dot products become AVX512-VNNI `vpdpbusd` / AArch64 I8MM
  /// `usdot`.
  bool x86VNNI = false;
  bool armI8MM = false;
};

void buildLLVMLoweringPipeline(OpPassManager &pm,
                               const LLVMLoweringOptions &options);

/// Where the CPU pipeline stops.
enum class CPUPipelinePhase { Linalg, LLVM };

/// The CPU target's lowering: the linalg pipeline with the CPU's schedule
/// (16-row tiles), then bufferization and the LLVM dialect.
/// What the CPU pipeline needs to know about the target machine.
struct CPUScheduleOptions {
  /// f32 lanes of the widest vector the CPU has (16 with AVX-512, 8 with
  /// AVX2, 4 with NEON or SSE).
  int64_t vectorLanes = 16;
  bool threads = false;
  /// The user's choice of int8 activations (0 or 8), and whether the CPU
  /// has AVX512-VNNI (x86) or I8MM (AArch64) for their dot products.
  int64_t actBits = 0;
  bool x86VNNI = false;
  bool armI8MM = false;
  /// Bytes ahead of each weight stream that kernels prefetch
  /// (qc-prefetch-weight-streams). 2048 measured best on a 2-core EPYC
  /// (32 int4 4096x4096 GEMVs streaming from DRAM: 0.71 of the read
  /// bandwidth at 1 and 2 threads, from 0.65 / 0.66 without; 1024 and 3072
  /// within 2%).
  int64_t prefetchDistance = 2048;
};

void buildCPULoweringPipeline(OpPassManager &pm, CPUPipelinePhase phase,
                              const CPUScheduleOptions &schedule);

/// The weight-quantization method a pipeline step runs.
enum class QuantizationMethod { RTN, GPTQ, AWQ };

/// One weight-quantization step: the method's pass on the entry function.
/// GPTQ/AWQ read calibration statistics from layer attributes (layers
/// without them stay in float unless `requireStatistics`).
struct QuantizationPipelineOptions {
  QuantizationMethod method = QuantizationMethod::RTN;
  unsigned bits = 8;
  int64_t groupSize = 0;
  bool symmetric = false;
  std::string scaleType = "f16";
  std::string exclude;
  bool requireStatistics = true;
  // GPTQ.
  bool actOrder = false;
  bool staticGroups = false;
  double damp = 0.01;
  // AWQ: 1/s may be folded into the layers' producers.
  bool foldScales = true;
};
void buildQuantizationPipeline(OpPassManager &pm,
                               const QuantizationPipelineOptions &options);

/// Registers the pipelines above with their names (quantc-opt).
void registerPipelines();

} // namespace mlir::qc

#endif // QC_LIB_PIPELINES_PIPELINES_H
