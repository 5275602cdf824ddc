//===- CPUBackend.cpp - Ahead-of-time code generation for CPUs ------------===//
//
// Lowering stays on upstream passes (one-shot bufferization, linalg to loops,
// *-to-LLVM conversions; see lib/Pipelines); LLVM's own vectorizers then work
// on the loops at -O3 for the -mcpu given, which is what makes x86-64 and
// AArch64 share code.
//
//===----------------------------------------------------------------------===//

#include "targets/CPU/CPUBackend.h"

#include "dialects/QC/IR/QCContract.h"
#include "lib/Pipelines/Pipelines.h"
#include "targets/Common/FunctionSplitting.h"
#include "targets/Common/ModelInterface.h"

#include "quantc/Runtime/qc_model.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;
using namespace mlir::qc;

void CPUBackend::buildLoweringPipeline(OpPassManager &pm,
                                       LoweringPhase phase) const {
  CPUScheduleOptions schedule;
  schedule.vectorLanes = getVectorLanes();
  schedule.threads = options.threads;
  schedule.actBits = options.actBits;
  schedule.x86VNNI = hasFeature(llvm::Triple::x86_64, "+avx512vnni");
  schedule.armI8MM = hasFeature(llvm::Triple::aarch64, "+i8mm");
  buildCPULoweringPipeline(pm,
                           phase == LoweringPhase::Linalg
                               ? CPUPipelinePhase::Linalg
                               : CPUPipelinePhase::LLVM,
                           schedule);
}

std::vector<std::string> CPUBackend::getLinkLibraries() const {
  std::vector<std::string> libraries = {"-lm"};
  // LLVM's OpenMP runtime (Debian's libomp5); the generated code calls its
  // __kmpc_* entry points, which GCC's libgomp does not provide.
  if (options.threads)
    libraries.push_back("-l:libomp.so.5");
  return libraries;
}

llvm::Triple CPUBackend::getTargetTriple() const {
  return llvm::Triple(options.triple.empty()
                          ? llvm::sys::getDefaultTargetTriple()
                          : llvm::Triple::normalize(options.triple));
}

bool CPUBackend::hasFeature(llvm::Triple::ArchType arch,
                            StringRef feature) const {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(error);
  // Without a machine serialize() reports the error. Feature names belong
  // to one architecture: asking another's subtarget would warn.
  return machine && machine->getTargetTriple().getArch() == arch &&
         machine->getMCSubtargetInfo()->checkFeatures(feature);
}

int64_t CPUBackend::getVectorLanes() const {
  if (hasFeature(llvm::Triple::x86_64, "+avx512f"))
    return 16;
  if (hasFeature(llvm::Triple::x86_64, "+avx2"))
    return 8;
  // SSE, NEON: 128-bit registers (SVE code is not generated yet).
  return 4;
}

/// Instructions per outlined part of the entry: large enough that call
/// overhead is nothing next to the loops inside, small enough that
/// LLVM's superlinear function passes stay cheap.
static constexpr unsigned kMaxInstructionsPerFunction = 4000;

static void initializeTargets() {
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();
}

LogicalResult CPUBackend::verifyOptions(std::string &error) const {
  initializeTargets();
  llvm::Triple triple(options.triple.empty()
                          ? llvm::sys::getDefaultTargetTriple()
                          : options.triple);
  std::string lookupError;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!target) {
    error = "--target '" + triple.str() + "' is not a known target triple";
    return failure();
  }
  if (options.optLevel > 3) {
    error = "-O" + std::to_string(options.optLevel) + " is not 0-3";
    return failure();
  }
  // A subtarget for "generic" knows the valid CPU and feature names without
  // warning about ours (LLVM warns once per machine, then carries on).
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      target->createMCSubtargetInfo(triple, "generic", ""));
  if (!info)
    return success();
  StringRef cpu = options.cpu;
  if (!cpu.empty() && cpu != "native" && cpu != "generic" &&
      !info->isCPUStringValid(cpu)) {
    error = ("--mcpu '" + cpu + "' is not a CPU of " + triple.str() +
             " (e.g. x86-64-v3, znver4, cortex-a76)")
                .str();
    return failure();
  }
  SmallVector<StringRef> features;
  StringRef(options.features).split(features, ',', -1, false);
  for (StringRef feature : features) {
    StringRef name = feature.trim().ltrim("+-");
    if (llvm::none_of(info->getAllProcessorFeatures(),
                      [&](const llvm::SubtargetFeatureKV &kv) {
                        return name == kv.Key;
                      })) {
      error = ("--mattr feature '" + feature.trim() + "' is not a feature of " +
               triple.str())
                  .str();
      return failure();
    }
  }
  return success();
}

std::unique_ptr<llvm::TargetMachine>
CPUBackend::createTargetMachine(std::string &error) const {
  initializeTargets();

  bool host = options.triple.empty();
  llvm::Triple triple(host ? llvm::sys::getDefaultTargetTriple()
                           : options.triple);
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.cpu;
  std::string features = options.features;
  // Targeting the host without -mcpu means "this machine", like -march=native.
  if (host && (cpu.empty() || cpu == "native")) {
    cpu = llvm::sys::getHostCPUName().str();
    if (features.empty()) {
      llvm::SubtargetFeatures f;
      for (auto &feature : llvm::sys::getHostCPUFeatures())
        f.AddFeature(feature.first(), feature.second);
      features = f.getString();
    }
  }
  if (cpu.empty())
    cpu = "generic";
  llvm::TargetOptions targetOptions;
  // x86-64's small code model reaches +-2 GB: a model with more weights than
  // that fails to link. The medium model moves large globals (the weights)
  // to .ldata with 64-bit addresses and keeps code and small data near.
  std::optional<llvm::CodeModel::Model> codeModel;
  if (triple.getArch() == llvm::Triple::x86_64)
    codeModel = llvm::CodeModel::Medium;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, codeModel,
      options.optLevel >= 2 ? llvm::CodeGenOptLevel::Aggressive
                            : llvm::CodeGenOptLevel::Default));
  if (!machine)
    error = "cannot create a target machine for " + triple.str() + " / " + cpu;
  return machine;
}

/// Translates an LLVM-dialect module to LLVM IR, adds the runtime interface
/// for `signature`, and optimizes it for `machine`.
static std::unique_ptr<llvm::Module>
translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                  const ModelSignature &signature, llvm::TargetMachine &machine,
                  unsigned optLevel) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);

  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, signature.name);
  if (!llvmModule) {
    module.emitError("failed to translate to LLVM IR");
    return nullptr;
  }
  llvmModule->setTargetTriple(machine.getTargetTriple());
  llvmModule->setDataLayout(machine.createDataLayout());
  llvm::Function *entry = llvmModule->getFunction(kEntryFunction);
  if (!entry) {
    module.emitError("no entry function '") << kEntryFunction << "'";
    return nullptr;
  }
  size_t numBuffers = signature.inputs.size() + signature.outputs.size();
  if (entry->arg_size() != numBuffers || !entry->getReturnType()->isVoidTy()) {
    module.emitError("internal error: lowered entry takes ")
        << entry->arg_size() << " arguments, expected " << numBuffers
        << " buffers and no results"
        << (signature.generator ? " (was a KV cache copied instead of "
                                  "updated in place?)"
                                : "");
    return nullptr;
  }
  // A generator's prefill step is a second entry over the same weights.
  llvm::Function *prefill = nullptr;
  if (signature.generator) {
    prefill = llvmModule->getFunction(kPrefillFunction);
    const GeneratorSignature &gen = *signature.generator;
    if (!prefill || prefill->arg_size() !=
                        gen.prefillInputs.size() + gen.prefillOutputs.size()) {
      module.emitError("internal error: the lowered prefill step does not "
                       "take its ")
          << gen.prefillInputs.size() + gen.prefillOutputs.size()
          << " buffers (was a KV cache copied instead of updated in place?)";
      return nullptr;
    }
    prefill->setLinkage(llvm::GlobalValue::InternalLinkage);
  }
  // Only the interface below is exported; the entry may be inlined into it.
  entry->setLinkage(llvm::GlobalValue::InternalLinkage);
  addModelInterface(*llvmModule, entry, signature, prefill);

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  llvm::PassBuilder pb(&machine, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel == 0   ? llvm::OptimizationLevel::O0
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  // Before the interface may inline the entry: bounded functions keep
  // LLVM's optimization time linear in the model's size.
  if (optLevel > 0) {
    splitIntoBoundedFunctions(*entry, kMaxInstructionsPerFunction);
    if (prefill)
      splitIntoBoundedFunctions(*prefill, kMaxInstructionsPerFunction);
  }
  if (optLevel == 0)
    pb.buildO0DefaultPipeline(level).run(*llvmModule, mam);
  else
    pb.buildPerModuleDefaultPipeline(level).run(*llvmModule, mam);
  return llvmModule;
}

LogicalResult CPUBackend::serialize(ModuleOp module,
                                    const ModelSignature &signature,
                                    ArtifactKind kind,
                                    llvm::raw_pwrite_stream &os,
                                    std::string &error) const {
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(error);
  if (!machine)
    return failure();
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateToLLVMIR(
      module, llvmContext, signature, *machine, options.optLevel);
  if (!llvmModule)
    return failure();
  if (kind == ArtifactKind::LLVMIR) {
    llvmModule->print(os, nullptr);
    return success();
  }
  llvm::legacy::PassManager pm;
  if (machine->addPassesToEmitFile(pm, os, nullptr,
                                   llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  pm.run(*llvmModule);
  os.flush();
  return success();
}
