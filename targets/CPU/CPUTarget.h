//===- CPUTarget.h - Ahead-of-time code generation for CPUs -----*- C++ -*-===//
//
// One code path for x86-64 and AArch64: qc/linalg on tensors -> loops on
// buffers -> LLVM dialect -> LLVM IR -> optimized object code for the chosen
// triple and CPU. The model's interface (qc_model / qc_model_run of
// include/quantc/Runtime/qc_model.h) is added to the LLVM module.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGETS_CPU_CPUTARGET_H
#define QC_TARGETS_CPU_CPUTARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class TargetMachine;
} // namespace llvm

namespace mlir::qc {

/// Name of the function the importer creates for the ONNX graph.
constexpr llvm::StringLiteral kEntryFunction = "main_graph";
/// Argument/result attribute holding the ONNX input/output name.
constexpr llvm::StringLiteral kTensorNameAttr = "qc.name";

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

struct CPUTargetOptions {
  std::string triple; ///< Empty: the host.
  std::string cpu;    ///< Empty: the host CPU when targeting the host.
  std::string features;
  unsigned optLevel = 3;
};

/// The textual pass pipeline (to nest in builtin.module(...)) lowering a
/// tensor-level qc module to the LLVM dialect; quantc-opt runs it as
/// --pass-pipeline="builtin.module(<pipeline>)".
std::string getCPULoweringPipeline();

/// Runs getCPULoweringPipeline() on `module`.
LogicalResult lowerToLLVMDialect(ModuleOp module);

/// Creates the target machine for `options`, or fails with `error` set.
std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const CPUTargetOptions &options, std::string &error);

/// Translates an LLVM-dialect module to LLVM IR, adds the runtime interface
/// for `signature`, and optimizes it for `machine`.
std::unique_ptr<llvm::Module> translateToLLVMIR(ModuleOp module,
                                                llvm::LLVMContext &context,
                                                const ModelSignature &signature,
                                                llvm::TargetMachine &machine,
                                                unsigned optLevel);

/// Writes `module` as an object file.
LogicalResult emitObjectFile(llvm::Module &module, llvm::TargetMachine &machine,
                             StringRef path, std::string &error);

/// Runs the system C compiler as a linker: `linker` (empty: $CC, else cc)
/// with `args` after the program name. Fails with `error` set.
LogicalResult runSystemLinker(StringRef linker, ArrayRef<std::string> args,
                              std::string &error);

/// Adds qc_model and qc_model_run (see qc_model.h) to `module`, calling
/// `entry` with inputs then outputs as bare pointers.
void addModelInterface(llvm::Module &module, llvm::Function *entry,
                       const ModelSignature &signature);

} // namespace mlir::qc

#endif // QC_TARGETS_CPU_CPUTARGET_H
