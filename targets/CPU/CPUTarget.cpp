//===- CPUTarget.cpp - Ahead-of-time code generation for CPUs -------------===//
//
// Lowering stays on upstream passes (one-shot bufferization, linalg to loops,
// *-to-LLVM conversions); LLVM's own vectorizers then work on the loops at
// -O3 for the -mcpu given, which is what makes x86-64 and AArch64 share code.
//
//===----------------------------------------------------------------------===//

#include "targets/CPU/CPUTarget.h"

#include "quantc/Runtime/qc_model.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;
using namespace mlir::qc;

std::string mlir::qc::getCPULoweringPipeline() {
  // Element-wise fusion runs before qc layers are lowered: it would fuse a
  // quantized layer's dequantized weight tile back into the matmul loop.
  // Results are made distinct last: canonicalization would fold the copies.
  return "func.func(linalg-fuse-elementwise-ops, qc-lower-to-linalg, "
         "canonicalize, qc-distinct-results),"
         "one-shot-bufferize{bufferize-function-boundaries "
         "function-boundary-type-conversion=identity-layout-map},"
         "buffer-results-to-out-params{hoist-static-allocs "
         "modify-public-functions},"
         "buffer-deallocation-pipeline, func.func(qc-memref-copy-to-linalg),"
         "convert-linalg-to-loops, lower-affine, convert-scf-to-cf,"
         "expand-strided-metadata, lower-affine,"
         "convert-math-to-llvm, convert-math-to-libm,"
         "finalize-memref-to-llvm, convert-arith-to-llvm,"
         "convert-func-to-llvm{use-bare-ptr-memref-call-conv},"
         "convert-cf-to-llvm, reconcile-unrealized-casts";
}

/// Empty tensors of rank > 1 as function arguments or results become
/// tensor<0xT>: the bare-pointer calling convention cannot express e.g.
/// memref<3x0x5xf32>, and an empty tensor carries no data anyway (the
/// model descriptor keeps the declared shape).
static void flattenEmptyBoundaryTensors(func::FuncOp func) {
  auto isEmptyMultiDim = [](Type type) {
    auto t = dyn_cast<RankedTensorType>(type);
    return t && t.hasStaticShape() && t.getNumElements() == 0 &&
           t.getRank() > 1;
  };
  auto flat = [](Type type) {
    return RankedTensorType::get({0},
                                 cast<RankedTensorType>(type).getElementType());
  };
  Block &entry = func.front();
  OpBuilder b(&entry, entry.begin());
  for (BlockArgument arg : entry.getArguments()) {
    if (!isEmptyMultiDim(arg.getType()))
      continue;
    auto type = cast<RankedTensorType>(arg.getType());
    arg.replaceAllUsesWith(tensor::EmptyOp::create(
        b, func.getLoc(), type.getShape(), type.getElementType()));
    arg.setType(flat(type));
  }
  SmallVector<Type> resultTypes;
  func.walk([&](func::ReturnOp ret) {
    b.setInsertionPoint(ret);
    resultTypes.clear();
    for (OpOperand &operand : ret->getOpOperands()) {
      if (isEmptyMultiDim(operand.get().getType()))
        operand.set(tensor::EmptyOp::create(
            b, ret.getLoc(), ArrayRef<int64_t>{0},
            cast<RankedTensorType>(operand.get().getType()).getElementType()));
      resultTypes.push_back(operand.get().getType());
    }
  });
  func.setType(b.getFunctionType(entry.getArgumentTypes(), resultTypes));
}

LogicalResult mlir::qc::lowerToLLVMDialect(ModuleOp module) {
  // Inputs belong to the caller: bufferization must not write into them.
  module.walk([](func::FuncOp func) {
    if (func.isExternal())
      return;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      func.setArgAttr(i, "bufferization.writable",
                      BoolAttr::get(func.getContext(), false));
      // Names were read into the ModelSignature; LLVM has no use for them.
      func.removeArgAttr(i, kTensorNameAttr);
    }
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      func.removeResultAttr(
          i, StringAttr::get(func.getContext(), kTensorNameAttr));
    flattenEmptyBoundaryTensors(func);
  });
  PassManager pm(module.getContext());
  if (failed(parsePassPipeline(getCPULoweringPipeline(), pm, llvm::errs())))
    return module.emitError("internal error: invalid lowering pipeline");
  return pm.run(module);
}

std::unique_ptr<llvm::TargetMachine>
mlir::qc::createTargetMachine(const CPUTargetOptions &options,
                              std::string &error) {
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();

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
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      options.optLevel >= 2 ? llvm::CodeGenOptLevel::Aggressive
                            : llvm::CodeGenOptLevel::Default));
  if (!machine)
    error = "cannot create a target machine for " + triple.str() + " / " + cpu;
  return machine;
}

std::unique_ptr<llvm::Module>
mlir::qc::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                            const ModelSignature &signature,
                            llvm::TargetMachine &machine, unsigned optLevel) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
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
        << " buffers and no results";
    return nullptr;
  }
  // Only the interface below is exported; the entry may be inlined into it.
  entry->setLinkage(llvm::GlobalValue::InternalLinkage);
  addModelInterface(*llvmModule, entry, signature);

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
  if (optLevel == 0)
    pb.buildO0DefaultPipeline(level).run(*llvmModule, mam);
  else
    pb.buildPerModuleDefaultPipeline(level).run(*llvmModule, mam);
  return llvmModule;
}

LogicalResult mlir::qc::emitObjectFile(llvm::Module &module,
                                       llvm::TargetMachine &machine,
                                       StringRef path, std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  llvm::legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  pm.run(module);
  os.flush();
  return success();
}

LogicalResult mlir::qc::runSystemLinker(StringRef linker,
                                        ArrayRef<std::string> args,
                                        std::string &error) {
  std::string name = linker.str();
  if (name.empty())
    if (const char *cc = std::getenv("CC"))
      name = cc;
  if (name.empty())
    name = "cc";
  auto program = llvm::sys::findProgramByName(name);
  if (!program) {
    error = "linker '" + name + "' not found (set --linker or CC)";
    return failure();
  }
  SmallVector<StringRef> argv = {*program};
  for (const std::string &a : args)
    argv.push_back(a);
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*program, argv, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0) {
    error = "linking failed (" + name + " exited with " + std::to_string(rc) +
            ")" + (message.empty() ? "" : ": " + message);
    return failure();
  }
  return success();
}
