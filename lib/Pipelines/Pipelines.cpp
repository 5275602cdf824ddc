//===- Pipelines.cpp - The one place passes are ordered -------------------===//

#include "lib/Pipelines/Pipelines.h"

#include "passes/Conversion/Passes.h"
#include "passes/Quantization/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qc;

void mlir::qc::buildLinalgLoweringPipeline(
    OpPassManager &pm, const LinalgLoweringOptions &options) {
  OpPassManager &func = pm.nest<func::FuncOp>();
  // q/k/v and gate/up: one layer each, before lowering picks schedules.
  func.addPass(createFuseSiblingLinearsPass());
  // Element-wise fusion runs before qc layers are lowered: it would fuse a
  // quantized layer's dequantized weight tile back into the matmul loop.
  func.addPass(createFuseElementwiseOpsPass());
  QCToLinalgPassOptions lowering;
  lowering.tileRows = options.tileRows;
  lowering.gemvLanes = options.gemvLanes;
  lowering.actBits = options.actBits;
  func.addPass(createQCToLinalgPass(lowering));
  if (options.reassociateReductions) {
    func.addPass(createReassociateReductionsPass());
    func.addPass(createInnermostContiguousLoopPass());
  }
  func.addPass(createCanonicalizerPass());
  // Layers that read one input (q/k/v, gate/up) each quantized it to int8
  // (--act-bits=8) with identical ops: one copy is enough.
  func.addPass(createCSEPass());
  // Results are made distinct last: canonicalization would fold the copies.
  func.addPass(createDistinctResultsPass());
}

void mlir::qc::buildBufferizationPipeline(OpPassManager &pm) {
  // Equal weights (a generator's two steps, repacked twice) become one
  // global.
  pm.addPass(createDeduplicateConstantsPass());
  pm.addNestedPass<func::FuncOp>(createPrepareEntryABIPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // A generator's updated KV caches are their arguments' buffers (written
  // in place); they stop being results.
  pm.addNestedPass<func::FuncOp>(createDropInPlaceResultsPass());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  bufferization::buildBufferDeallocationPipeline(pm);
  // Upstream frees at the end of the block, i.e. when the model returns.
  pm.addNestedPass<func::FuncOp>(createEarlyDeallocPass());
  pm.addNestedPass<func::FuncOp>(createMemRefCopyToLinalgPass());
}

void mlir::qc::buildLLVMLoweringPipeline(OpPassManager &pm,
                                         const LLVMLoweringOptions &options) {
  pm.addPass(createConvertLinalgToLoopsPass());
  // Tasks of a scheduled layer (scf.forall) run on threads or in sequence.
  if (options.threads) {
    pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
    pm.addPass(createConvertSCFToOpenMPPass());
    // The conversion wraps each task in memref.alloca_scope; with no allocas
    // inside, canonicalization inlines it (a scope would not survive
    // scf-to-cf, which gives it several blocks).
    pm.addPass(createCanonicalizerPass());
  } else {
    pm.addNestedPass<func::FuncOp>(createForallToForLoopPass());
  }
  pm.addPass(createLowerAffinePass());
  pm.addNestedPass<func::FuncOp>(createApproximateMathPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  if (options.x86VNNI)
    pm.addNestedPass<func::FuncOp>(createInt8DotToX86VNNIPass());
  if (options.armI8MM)
    pm.addNestedPass<func::FuncOp>(createInt8DotToArmI8MMPass());
  // What the target did not rewrite (int8 dot products without VNNI) is
  // reduced lane-parallel: 4-wide groups become adds of strided slices.
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass(
      vector::VectorMultiReductionLowering::InnerParallel));
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  // Reductions in the vector schedules are already reassociated by design
  // (lane-parallel partial sums); the final horizontal add may be a tree.
  vectorToLLVM.reassociateFPReductions = true;
  // The GEMM's tile packing transposes 16 x 16 blocks (AVX-512): with
  // shuffles, not element by element. Other shapes keep the default.
  vectorToLLVM.vectorTransposeLowering =
      vector::VectorTransposeLowering::Shuffle16x16;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  // Vector lowerings (multi_reduction without VNNI) leave ub.poison.
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  ConvertFuncToLLVMPassOptions funcToLLVM;
  funcToLLVM.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLLVM));
  pm.addPass(createConvertControlFlowToLLVMPass());
  if (options.threads)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::qc::buildCPULoweringPipeline(OpPassManager &pm,
                                        CPUPipelinePhase phase,
                                        const CPUScheduleOptions &schedule) {
  // The CPU schedule: batch 1-4 linear layers as fused vector GEMVs at the
  // machine's width; other quantized layers decode up to 16 weight rows
  // into a tile that stays in L1 while every input row reuses it
  // (docs/ARCHITECTURE.md).
  LinalgLoweringOptions linalg;
  linalg.tileRows = 16;
  linalg.gemvLanes = schedule.vectorLanes;
  linalg.actBits = schedule.actBits;
  linalg.reassociateReductions = true;
  buildLinalgLoweringPipeline(pm, linalg);
  // The ops between the kernels run on the kernels' threads too.
  if (schedule.threads)
    pm.addNestedPass<func::FuncOp>(createParallelizeLinalgPass());
  if (phase == CPUPipelinePhase::Linalg)
    return;
  buildBufferizationPipeline(pm);
  pm.addNestedPass<func::FuncOp>(createPrefetchWeightStreamsPass(
      PrefetchWeightStreamsPassOptions{schedule.prefetchDistance}));
  LLVMLoweringOptions llvm;
  llvm.threads = schedule.threads;
  llvm.x86VNNI = schedule.x86VNNI;
  llvm.armI8MM = schedule.armI8MM;
  buildLLVMLoweringPipeline(pm, llvm);
}

void mlir::qc::buildQuantizationPipeline(
    OpPassManager &pm, const QuantizationPipelineOptions &options) {
  OpPassManager &func = pm.nest<func::FuncOp>();
  auto common = [&](auto &o) {
    o.bits = options.bits;
    o.groupSize = options.groupSize;
    o.symmetric = options.symmetric;
    o.scaleType = options.scaleType;
    o.exclude = options.exclude;
  };
  switch (options.method) {
  case QuantizationMethod::RTN: {
    RTNPassOptions rtn;
    common(rtn);
    func.addPass(createRTNPass(rtn));
    return;
  }
  case QuantizationMethod::GPTQ: {
    GPTQPassOptions gptq;
    common(gptq);
    gptq.requireStatistics = options.requireStatistics;
    gptq.actOrder = options.actOrder;
    gptq.staticGroups = options.staticGroups;
    gptq.damp = options.damp;
    func.addPass(createGPTQPass(gptq));
    return;
  }
  case QuantizationMethod::AWQ: {
    AWQPassOptions awq;
    common(awq);
    awq.requireStatistics = options.requireStatistics;
    awq.foldScales = options.foldScales;
    func.addPass(createAWQPass(awq));
    return;
  }
  }
}

namespace {

struct LinalgPipelineOptions : PassPipelineOptions<LinalgPipelineOptions> {
  Option<int64_t> tileRows{
      *this, "tile-rows",
      llvm::cl::desc("Weight rows of a quantized layer decoded per tile (0: "
                     "unscheduled, decode inside the contraction)"),
      llvm::cl::init(0)};
  Option<int64_t> gemvLanes{
      *this, "gemv-lanes",
      llvm::cl::desc("f32 lanes of the fused GEMV schedule (0: off)"),
      llvm::cl::init(0)};
  Option<bool> reassociateReductions{
      *this, "reassociate-reductions",
      llvm::cl::desc("Float reductions may be reassociated (vectorized)"),
      llvm::cl::init(false)};
};

struct CPUPipelineOptions : PassPipelineOptions<CPUPipelineOptions> {
  Option<bool> linalgOnly{
      *this, "linalg-only",
      llvm::cl::desc("Stop after the CPU-scheduled linalg on tensors"),
      llvm::cl::init(false)};
  Option<int64_t> vectorLanes{
      *this, "vector-lanes",
      llvm::cl::desc("f32 lanes of the target's widest vector (16: AVX-512, "
                     "8: AVX2, 4: NEON/SSE)"),
      llvm::cl::init(16)};
  Option<bool> threads{*this, "threads",
                       llvm::cl::desc("Run scheduled tasks on OpenMP threads"),
                       llvm::cl::init(false)};
  Option<int64_t> actBits{
      *this, "act-bits",
      llvm::cl::desc("8: int8 activations in the GEMV schedule (0: f32)"),
      llvm::cl::init(0)};
  Option<bool> x86VNNI{
      *this, "x86-vnni",
      llvm::cl::desc("Int8 dot products as AVX512-VNNI vpdpbusd"),
      llvm::cl::init(false)};
  Option<bool> armI8MM{
      *this, "arm-i8mm",
      llvm::cl::desc("Int8 dot products as AArch64 I8MM usdot"),
      llvm::cl::init(false)};
};
struct LLVMPipelineOptions : PassPipelineOptions<LLVMPipelineOptions> {
  Option<bool> threads{*this, "threads",
                       llvm::cl::desc("Run scf.forall tasks on OpenMP threads"),
                       llvm::cl::init(false)};
};

struct QuantizePipelineOptions : PassPipelineOptions<QuantizePipelineOptions> {
  Option<std::string> method{*this, "method",
                             llvm::cl::desc("rtn, gptq or awq"),
                             llvm::cl::init("rtn")};
  Option<unsigned> bits{*this, "bits", llvm::cl::desc("Bits per weight"),
                        llvm::cl::init(8)};
  Option<int64_t> groupSize{*this, "group-size",
                            llvm::cl::desc("Group size (0: per-channel)"),
                            llvm::cl::init(0)};
  Option<bool> symmetric{*this, "symmetric", llvm::cl::desc("No zero points"),
                         llvm::cl::init(false)};
  Option<std::string> scaleType{*this, "scale-type",
                                llvm::cl::desc("f16, bf16 or f32"),
                                llvm::cl::init("f16")};
  Option<std::string> exclude{*this, "exclude",
                              llvm::cl::desc("Regex of layers kept float"),
                              llvm::cl::init("")};
  Option<bool> requireStatistics{
      *this, "require-statistics",
      llvm::cl::desc("GPTQ/AWQ: a layer without statistics is an error"),
      llvm::cl::init(true)};
  Option<bool> actOrder{*this, "act-order", llvm::cl::desc("GPTQ act-order"),
                        llvm::cl::init(false)};
  Option<bool> staticGroups{*this, "static-groups",
                            llvm::cl::desc("GPTQ static groups"),
                            llvm::cl::init(false)};
  Option<double> damp{*this, "damp", llvm::cl::desc("GPTQ dampening"),
                      llvm::cl::init(0.01)};
};

} // namespace

void mlir::qc::registerPipelines() {
  PassPipelineRegistration<LinalgPipelineOptions>(
      "qc-linalg-pipeline",
      "qc layers -> linalg on tensors (the target-neutral lowering)",
      [](OpPassManager &pm, const LinalgPipelineOptions &o) {
        buildLinalgLoweringPipeline(
            pm, LinalgLoweringOptions{o.tileRows, o.gemvLanes, 0,
                                      o.reassociateReductions});
      });
  PassPipelineRegistration<>(
      "qc-bufferize-pipeline",
      "linalg on tensors -> buffers with the qc_model ABI",
      [](OpPassManager &pm) { buildBufferizationPipeline(pm); });
  PassPipelineRegistration<LLVMPipelineOptions>(
      "qc-llvm-pipeline", "linalg on buffers -> loops -> LLVM dialect",
      [](OpPassManager &pm, const LLVMPipelineOptions &o) {
        buildLLVMLoweringPipeline(pm, LLVMLoweringOptions{o.threads});
      });
  PassPipelineRegistration<CPUPipelineOptions>(
      "qc-cpu-pipeline",
      "The CPU target's lowering of a quantized qc module to LLVM dialect",
      [](OpPassManager &pm, const CPUPipelineOptions &o) {
        buildCPULoweringPipeline(
            pm,
            o.linalgOnly ? CPUPipelinePhase::Linalg : CPUPipelinePhase::LLVM,
            CPUScheduleOptions{o.vectorLanes, o.threads, o.actBits, o.x86VNNI,
                               o.armI8MM});
      });
  PassPipelineRegistration<QuantizePipelineOptions>(
      "qc-quantize-pipeline",
      "One weight-quantization step (statistics from layer attributes)",
      [](OpPassManager &pm, const QuantizePipelineOptions &o) {
        QuantizationPipelineOptions q;
        q.method = o.method == "gptq"  ? QuantizationMethod::GPTQ
                   : o.method == "awq" ? QuantizationMethod::AWQ
                                       : QuantizationMethod::RTN;
        q.bits = o.bits;
        q.groupSize = o.groupSize;
        q.symmetric = o.symmetric;
        q.scaleType = o.scaleType;
        q.exclude = o.exclude;
        q.requireStatistics = o.requireStatistics;
        q.actOrder = o.actOrder;
        q.staticGroups = o.staticGroups;
        q.damp = o.damp;
        buildQuantizationPipeline(pm, q);
      });
}
