//===- Driver.h - model.onnx -> executable ----------------------*- C++ -*-===//
//
// The compile pipeline behind the quantc tool: import, quantization passes,
// report, lowering, object emission and linking with the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_DRIVER_DRIVER_H
#define QUANTC_DRIVER_DRIVER_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
namespace qc {

enum class EmitKind { Exe, Obj, MLIR, LLVMDialect, LLVMIR };
enum class QuantMethod { None, RTN, GPTQ, AWQ };
/// --compile-to: stop after a phase and print its IR (None: run to the end).
enum class CompilePhase { None, Import, Quantized, Linalg, LLVM };

struct DriverOptions {
  std::string inputPath;
  /// No constant or intermediate tensor of the model may hold more bytes
  /// (checked at import, before anything is allocated).
  int64_t maxTensorBytes = int64_t(4) << 30;
  /// Report out-of-range run-time indices (Gather, ...) instead of only
  /// clamping them.
  bool indexChecks = true;
  std::string outputPath; ///< Empty: derived from the input (or stdout).
  std::vector<std::string> inputShapes; ///< "NAME=AxB" pins.
  std::vector<std::string> boundInputs; ///< "NAME=FILE.npy" constants.

  QuantMethod quant = QuantMethod::None;
  unsigned bits = 8;
  int64_t groupSize = 0;
  bool symmetric = false;
  std::string scaleType = "f16";
  std::string weightType = "f32"; ///< Storage of float layers' weights.
  std::string exclude;
  std::string reportPath;

  // Calibration-based methods.
  std::vector<std::string> calibration; ///< "NAME=FILE.npy"
  bool actOrder = false;
  bool staticGroups = false;
  double damp = 0.01;
  bool sequential = true; ///< false: one calibration pass (one-shot)
  int64_t calibrationBatch = 16;
  unsigned threads = 0; ///< Calibration threads; 0: all cores.
  bool progress = true;

  // Mixed precision (on when a budget is given).
  std::optional<double> avgBits;
  std::optional<int64_t> maxWeightBytes;
  std::string candidateBits = "2,3,4,8";
  std::string precisionPlan;

  // Generators (a model-kv export with its KV cache inputs and outputs).
  /// > 0: build a generator whose caches hold this many positions.
  int64_t maxContext = 0;
  /// Tokens of one prefill step; 0: min(max context, 64).
  int64_t prefillTokens = 0;
  /// Prompt rows a generator steps at once.
  int64_t generatorBatch = 1;
  /// A char vocabulary ({"type": "char", "itos": [...]}) built into the
  /// generator, which then takes --prompt TEXT and prints text.
  std::string vocabPath;

  EmitKind emit = EmitKind::Exe;
  CompilePhase compileTo = CompilePhase::None;
  std::string triple, cpu, features;
  unsigned optLevel = 3;
  /// Scheduled loops of the executable run on OpenMP threads (its
  /// --threads N picks how many).
  bool multithread = true;
  /// --multithread was given: a cross target without an OpenMP runtime is
  /// then an error instead of single-threaded code.
  bool multithreadExplicit = false;
  /// 8: int8 activations (quantized per block at run time) in layers with
  /// quantized weights whose kernel has an int8 form; 0: f32.
  int64_t actBits = 0;

  /// Empty: next to the quantc executable (lib/<triple>/ for a cross
  /// target).
  std::string runtimeLibrary;
  /// Empty: $CC, else cc; for a cross target <triple>-gcc.
  std::string linker;
  std::string argv0;          ///< To locate the runtime library.
  std::string commandLine;    ///< Recorded in --report.
};

/// Runs the whole compilation; returns the process exit code. Diagnostics
/// go to stderr; on failure no (partial) output file is left behind.
int compileModel(const DriverOptions &options, MLIRContext &context);

/// The ONNX op types quantc imports, sorted (quantc --list-ops).
std::vector<std::string> getSupportedONNXOps();

} // namespace qc
} // namespace mlir

#endif // QUANTC_DRIVER_DRIVER_H
