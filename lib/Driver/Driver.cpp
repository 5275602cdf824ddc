//===- Driver.cpp - model.onnx -> executable ------------------------------===//
//
// Orders the stages; every transformation it runs is a registered pass that
// quantc-opt can run alone. The only work done here is I/O: reading the
// model, writing the requested artifact, invoking the system linker.
//
//===----------------------------------------------------------------------===//

#include "quantc/Driver/Driver.h"

#include "lib/Import/ONNXImporter.h"
#include "passes/Quantization/Passes.h"
#include "targets/CPU/CPUTarget.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

int fail(const Twine &message) {
  llvm::errs() << "quantc: error: " << message << "\n";
  return 1;
}

/// Finds the file and the ONNX node name a location carries.
void describeLocation(Location loc, std::string &file, std::string &node) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    if (node.empty())
      node = name.getName().str();
    describeLocation(name.getChildLoc(), file, node);
  } else if (auto fileLoc = dyn_cast<FileLineColLoc>(loc)) {
    if (file.empty())
      file = fileLoc.getFilename().str();
  } else if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location inner : fused.getLocations())
      describeLocation(inner, file, node);
  }
}

/// Prints diagnostics as one line each: "quantc: error: FILE: [node 'N':] MSG"
/// (import errors already name the node, op and opset in MSG).
LogicalResult printDiagnostic(Diagnostic &diag) {
  std::string file, node;
  describeLocation(diag.getLocation(), file, node);
  std::string message = diag.str();
  auto &os = llvm::errs();
  os << "quantc: ";
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error:
    os << "error: ";
    break;
  case DiagnosticSeverity::Warning:
    os << "warning: ";
    break;
  default:
    os << "note: ";
    break;
  }
  if (!file.empty())
    os << file << ": ";
  if (!node.empty() && !StringRef(message).starts_with("node '"))
    os << "node '" << node << "': ";
  os << message << "\n";
  for (Diagnostic &note : diag.getNotes())
    os << "quantc: note: " << note.str() << "\n";
  return success();
}

std::string defaultOutput(const DriverOptions &options) {
  switch (options.emit) {
  case EmitKind::Exe:
  case EmitKind::Obj: {
    SmallString<256> path(llvm::sys::path::filename(options.inputPath));
    llvm::sys::path::replace_extension(
        path, options.emit == EmitKind::Obj ? "o" : "");
    return std::string(path.str().rtrim('.'));
  }
  default:
    return "-";
  }
}

LogicalResult runQuantization(ModuleOp module, const DriverOptions &options) {
  PassManager pm(module.getContext());
  if (options.quant == QuantMethod::RTN) {
    RTNPassOptions rtn;
    rtn.bits = options.bits;
    rtn.groupSize = options.groupSize;
    rtn.symmetric = options.symmetric;
    rtn.scaleType = options.scaleType;
    rtn.exclude = options.exclude;
    pm.addNestedPass<func::FuncOp>(createRTNPass(rtn));
  }
  if (!options.reportPath.empty()) {
    WeightReportPassOptions report;
    report.output = options.reportPath;
    pm.addPass(createWeightReportPass(report));
  }
  return pm.run(module);
}

/// The runtime archive: --runtime-lib, $QC_RUNTIME_LIB, or lib/ beside the
/// directory holding the quantc executable (build tree and install tree).
std::string findRuntimeLibrary(const DriverOptions &options) {
  if (!options.runtimeLibrary.empty())
    return options.runtimeLibrary;
  if (const char *env = std::getenv("QC_RUNTIME_LIB"))
    return env;
  static int anchor;
  std::string exe =
      llvm::sys::fs::getMainExecutable(options.argv0.c_str(), &anchor);
  SmallString<256> path(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(path, "..", "lib", "libqc_runtime.a");
  return std::string(path);
}

int link(const DriverOptions &options, StringRef object, StringRef output) {
  std::string runtime = findRuntimeLibrary(options);
  if (!llvm::sys::fs::exists(runtime))
    return fail("runtime library not found at '" + runtime +
                "' (set --runtime-lib or QC_RUNTIME_LIB)");
  std::string linker = options.linker;
  if (linker.empty())
    if (const char *cc = std::getenv("CC"))
      linker = cc;
  if (linker.empty())
    linker = "cc";
  auto program = llvm::sys::findProgramByName(linker);
  if (!program)
    return fail("linker '" + linker + "' not found (set --linker or CC)");
  SmallVector<StringRef> args = {*program, object, runtime,
                                 "-lm",    "-o",   output};
  std::string errorMessage;
  int rc = llvm::sys::ExecuteAndWait(*program, args, std::nullopt, {}, 0, 0,
                                     &errorMessage);
  if (rc != 0) {
    llvm::sys::fs::remove(output);
    return fail("linking failed (" + linker + " exited with " + Twine(rc) +
                ")" + (errorMessage.empty() ? "" : ": " + errorMessage));
  }
  return 0;
}

} // namespace

int mlir::qc::compileModel(const DriverOptions &options, MLIRContext &ctx) {
  ScopedDiagnosticHandler diagnostics(&ctx, printDiagnostic);
  // One line per error: users get node names, not IR dumps.
  ctx.printOpOnDiagnostic(false);
  ImportOptions importOptions;
  for (const std::string &spec : options.inputShapes) {
    std::string error = parseInputShapeSpec(spec, importOptions);
    if (!error.empty())
      return fail("--input-shape: " + error);
  }
  OwningOpRef<ModuleOp> module =
      importONNXFile(options.inputPath, &ctx, importOptions);
  if (!module || failed(verify(*module)))
    return 1;
  if (failed(runQuantization(*module, options)))
    return 1;

  std::string output =
      options.outputPath.empty() ? defaultOutput(options) : options.outputPath;
  auto writeText = [&](auto print) {
    std::string error;
    auto file = openOutputFile(output, &error);
    if (!file)
      return fail(error);
    print(file->os());
    file->keep();
    return 0;
  };
  if (options.emit == EmitKind::MLIR)
    return writeText([&](raw_ostream &os) { module->print(os); });

  // The signature is read before lowering rewrites the entry's types.
  FailureOr<ModelSignature> signature = getModelSignature(*module);
  if (failed(signature) || failed(lowerToLLVMDialect(*module)))
    return 1;
  if (options.emit == EmitKind::LLVMDialect)
    return writeText([&](raw_ostream &os) { module->print(os); });

  CPUTargetOptions targetOptions{options.triple, options.cpu, options.features,
                                 options.optLevel};
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(targetOptions, error);
  if (!machine)
    return fail(error);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateToLLVMIR(
      *module, llvmContext, *signature, *machine, options.optLevel);
  if (!llvmModule)
    return 1;
  if (options.emit == EmitKind::LLVMIR)
    return writeText([&](raw_ostream &os) { llvmModule->print(os, nullptr); });

  if (options.emit == EmitKind::Obj) {
    if (failed(emitObjectFile(*llvmModule, *machine, output, error))) {
      llvm::sys::fs::remove(output);
      return fail(error);
    }
    return 0;
  }
  SmallString<128> object;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("quantc", "o", object))
    return fail("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeObject(object);
  if (failed(emitObjectFile(*llvmModule, *machine, object, error)))
    return fail(error);
  return link(options, object, output);
}
