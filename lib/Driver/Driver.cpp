//===- Driver.cpp - model.onnx -> executable ------------------------------===//
//
// Orders the stages; every transformation it runs is a registered pass that
// quantc-opt can run alone. The only work done here is I/O: reading the
// model, writing the requested artifact, invoking the system linker.
//
//===----------------------------------------------------------------------===//

#include "quantc/Driver/Driver.h"

#include "lib/Calibration/Calibration.h"
#include "lib/Driver/DriverOptionChecks.h"
#include "lib/Driver/FileSafety.h"
#include "lib/Driver/Generator.h"
#include "lib/Import/ONNXImporter.h"
#include "lib/Pipelines/Pipelines.h"
#include "lib/Support/LayerQuantization.h"
#include "lib/Support/WeightConstants.h"
#include "lib/Support/WeightStorage.h"
#include "passes/Quantization/Passes.h"
#include "targets/CPU/CPUBackend.h"
#include "targets/Common/Linker.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <map>

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
  if (options.compileTo != CompilePhase::None)
    return "-";
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

/// Runs `pass` configured by `configure` on the entry function.
template <typename Options, typename Create>
LogicalResult runPass(ModuleOp module, Create create,
                      function_ref<void(Options &)> configure) {
  PassManager pm(module.getContext());
  Options passOptions;
  configure(passOptions);
  pm.addNestedPass<func::FuncOp>(create(passOptions));
  return pm.run(module);
}

/// Names of the layers the weight pass will quantize, in program order.
std::vector<std::string> layersToQuantize(ModuleOp module,
                                          const DriverOptions &options) {
  std::vector<std::string> names;
  auto func = module.lookupSymbol<func::FuncOp>(kEntryFunction);
  WeightPassOptions wpo;
  wpo.spec.bits = options.bits;
  wpo.exclude = options.exclude;
  wpo.scaleType = Float32Type::get(module.getContext());
  // Names only: no weight is read (a constant's finiteness is checked by
  // the pass that quantizes it).
  (void)forEachLayer(
      func, "quantc", wpo, [](LayerToQuantize &) { return success(); },
      [&](QuantizableLayer layer) {
        if (layer.getWeightOperand().get().getDefiningOp<arith::ConstantOp>())
          names.push_back(getLayerName(layer->getLoc()));
        return false;
      });
  return names;
}

/// Sequential stages (decoder blocks, see qc-sequential-stages) of the
/// layers `names`, in program order; stages without such layers dropped.
FailureOr<std::vector<std::vector<std::string>>>
sequentialStages(ModuleOp module, const std::vector<std::string> &names) {
  PassManager pm(module.getContext());
  pm.addNestedPass<func::FuncOp>(createSequentialStagesPass());
  if (failed(pm.run(module)))
    return failure();
  std::map<int64_t, std::vector<std::string>> byStage;
  module.walk([&](QuantizableLayer layer) {
    std::string name = getLayerName(layer->getLoc());
    if (auto stage = layer->getAttrOfType<IntegerAttr>(kLayerStageAttr))
      if (llvm::is_contained(names, name))
        byStage[stage.getInt()].push_back(name);
    layer->removeAttr(kLayerStageAttr);
  });
  std::vector<std::vector<std::string>> stages;
  for (auto &entry : byStage)
    stages.push_back(std::move(entry.second));
  return stages;
}

CalibrationOptions calibrationOptions(const DriverOptions &options) {
  CalibrationOptions c;
  c.modelPath = options.inputPath;
  // Calibration runs here, on the host, whatever the final target: the
  // final CPU and features apply only when compiling for the host. Its
  // batches already run on all cores, so the model code is single-threaded.
  CPUTargetOptions host;
  if (options.triple.empty())
    host = {"", options.cpu, options.features, options.optLevel};
  c.backend = std::make_shared<CPUBackend>(host);
  c.linker = options.linker;
  c.maxBatch = options.calibrationBatch;
  c.threads = options.threads;
  c.progress = options.progress;
  return c;
}

/// Tells the user which layers stay in float and why (also in --report).
void summarizeFloatLayers(ModuleOp module) {
  std::vector<std::pair<std::string, std::string>> floats;
  module.walk([&](Operation *op) {
    auto reason = op->getAttrOfType<StringAttr>(kFloatReasonAttr);
    auto layer = dyn_cast<QuantizableLayer>(op);
    if (!reason ||
        (layer && isa<QWeightType>(layer.getWeightOperand().get().getType())))
      return;
    floats.emplace_back(getLayerName(op->getLoc()), reason.str());
  });
  if (floats.empty())
    return;
  llvm::errs() << "quantc: note: " << floats.size() << " layer"
               << (floats.size() == 1 ? "" : "s") << " stay"
               << (floats.size() == 1 ? "s" : "") << " in float:\n";
  constexpr size_t kShown = 16;
  for (size_t i = 0; i < floats.size() && i < kShown; ++i)
    llvm::errs() << "quantc: note:   '" << floats[i].first
                 << "': " << floats[i].second << "\n";
  if (floats.size() > kShown)
    llvm::errs() << "quantc: note:   ... and " << floats.size() - kShown
                 << " more (see --report)\n";
}

/// The options ask for a method that calibrates (GPTQ, AWQ) and for
/// mixed precision, which calibrates when given data.
bool isCalibratedMethod(const DriverOptions &options) {
  return options.quant == QuantMethod::GPTQ ||
         options.quant == QuantMethod::AWQ;
}
bool isMixedPrecision(const DriverOptions &options) {
  return options.avgBits || options.maxWeightBytes;
}

/// Quantizes `module` as the options say; `kv` is set for a generator,
/// whose calibration data then needs only input_ids. Calibration imports
/// share weights with `module` through `shared` (if set).
LogicalResult runQuantization(ModuleOp module, const DriverOptions &options,
                              StringRef reportPath, const KVCacheModel *kv,
                              SharedWeights *shared) {
  MLIRContext &ctx = *module.getContext();
  bool mixed = isMixedPrecision(options);
  bool calibrated = isCalibratedMethod(options);
  std::vector<CalibrationArray> calibration;
  if (!options.calibration.empty()) {
    std::string error = loadCalibrationSet(options.calibration, calibration);
    if (error.empty() && kv)
      error = kv->completeCalibration(calibration);
    if (!error.empty())
      return emitError(module.getLoc()) << error;
  }
  if (calibrated && calibration.empty())
    return emitError(module.getLoc())
           << "--quant="
           << (options.quant == QuantMethod::GPTQ ? "gptq" : "awq")
           << " needs calibration data: --calib NAME=FILE.npy";
  CalibrationOptions calib = calibrationOptions(options);
  calib.sharedWeights = shared;

  if (mixed) {
    // Sensitivities use the float model's Hessians when calibration data
    // is given, plain weight error otherwise.
    if (!calibration.empty()) {
      auto stats = calibrate(ctx, calib, calibration, nullptr,
                             layersToQuantize(module, options));
      if (failed(stats))
        return failure();
      attachStatistics(module, *stats);
    }
    if (failed(runPass<MixedPrecisionPassOptions>(
            module, [](auto &o) { return createMixedPrecisionPass(o); },
            [&](MixedPrecisionPassOptions &o) {
              o.avgBits = options.avgBits.value_or(0);
              o.maxWeightBytes = options.maxWeightBytes.value_or(0);
              o.candidates = options.candidateBits;
              o.groupSize = options.groupSize;
              o.symmetric = options.symmetric;
              o.scaleType = options.scaleType;
              o.exclude = options.exclude;
              o.planFile = options.precisionPlan;
              // A per-column group index (act-order without static
              // groups) or AWQ's column scales cost 4 bytes per column.
              bool groupIndex = options.quant == QuantMethod::GPTQ &&
                                options.actOrder && !options.staticGroups &&
                                options.groupSize > 0;
              o.columnBytes =
                  groupIndex || options.quant == QuantMethod::AWQ ? 4 : 0;
            })))
      return failure();
    removeStatsAttrs(module);
  }

  // One quantization step: lib/Pipelines' buildQuantizationPipeline on
  // the statistics attached so far (quantc-opt --qc-quantize-pipeline).
  auto quantizeStep = [&]() {
    QuantizationPipelineOptions q;
    q.method = options.quant == QuantMethod::GPTQ  ? QuantizationMethod::GPTQ
               : options.quant == QuantMethod::AWQ ? QuantizationMethod::AWQ
                                                   : QuantizationMethod::RTN;
    q.bits = options.bits;
    q.groupSize = options.groupSize;
    q.symmetric = options.symmetric;
    q.scaleType = options.scaleType;
    q.exclude = options.exclude;
    // Layers of later stages have no statistics yet.
    q.requireStatistics = false;
    q.actOrder = options.actOrder;
    q.staticGroups = options.staticGroups;
    q.damp = options.damp;
    // A generator's two steps share the layers' weights but not the
    // producers 1/s could be folded into.
    q.foldScales = kv == nullptr;
    PassManager pm(&ctx);
    buildQuantizationPipeline(pm, q);
    return pm.run(module);
  };
  switch (options.quant) {
  case QuantMethod::None:
    break;
  case QuantMethod::RTN:
    if (failed(quantizeStep()))
      return failure();
    break;
  case QuantMethod::GPTQ:
  case QuantMethod::AWQ: {
    std::vector<std::string> names = layersToQuantize(module, options);
    FailureOr<std::vector<std::vector<std::string>>> stages =
        options.sequential ? sequentialStages(module, names)
                           : std::vector<std::vector<std::string>>{names};
    if (failed(stages))
      return failure();
    for (auto [i, stage] : llvm::enumerate(*stages)) {
      if (options.progress && llvm::sys::Process::StandardErrIsDisplayed())
        llvm::errs() << "quantc: stage " << i + 1 << "/" << stages->size()
                     << " (" << stage.size() << " layers)\n";
      auto stats = calibrate(ctx, calib, calibration,
                             options.sequential ? module : nullptr, stage);
      if (failed(stats))
        return failure();
      // A stage's statistics (a K x K Hessian per layer) are freed once
      // its layers are quantized, so memory holds one stage's, not all.
      BlobSnapshot beforeStatistics = snapshotBlobs(&ctx);
      attachStatistics(module, *stats);
      stats->clear();
      if (failed(quantizeStep()))
        return failure();
      releaseUnreferencedBlobs(&ctx, module, &beforeStatistics);
    }
    break;
  }
  }

  if (options.quant != QuantMethod::None && options.progress)
    summarizeFloatLayers(module);

  if (options.weightType != "f32") {
    StoreWeightsPassOptions store;
    store.type = options.weightType;
    PassManager pm(&ctx);
    pm.addNestedPass<func::FuncOp>(createStoreWeightsPass(store));
    if (failed(pm.run(module)))
      return failure();
  }

  if (!reportPath.empty()) {
    PassManager pm(&ctx);
    WeightReportPassOptions report;
    report.output = reportPath.str();
    report.producer = "quantc " QUANTC_VERSION;
    report.commandLine = options.commandLine;
    pm.addPass(createWeightReportPass(report));
    if (failed(pm.run(module)))
      return failure();
  }
  return success();
}

/// --target names another architecture or OS than the host's: the
/// executable needs that target's C toolchain and runtime archive.
bool isCrossTarget(const DriverOptions &options) {
  if (options.triple.empty())
    return false;
  llvm::Triple target(llvm::Triple::normalize(options.triple));
  llvm::Triple host(llvm::sys::getDefaultTargetTriple());
  return target.getArch() != host.getArch() || target.getOS() != host.getOS();
}

/// LLVM's OpenMP runtime is installed for the (cross) target.
bool hasOpenMPRuntime(const DriverOptions &options) {
  for (const std::string &dir :
       {"/usr/lib/" + options.triple, "/usr/" + options.triple + "/lib"})
    if (llvm::sys::fs::exists(dir + "/libomp.so.5"))
      return true;
  return false;
}

/// The runtime archive: --runtime-lib, $QC_RUNTIME_LIB (host target), or
/// lib/ beside the directory holding the quantc executable (build tree and
/// install tree); a cross target's is lib/<triple>/libqc_runtime.a, which
/// the build makes when <triple>-gcc is installed.
std::string findRuntimeLibrary(const DriverOptions &options) {
  if (!options.runtimeLibrary.empty())
    return options.runtimeLibrary;
  bool cross = isCrossTarget(options);
  if (const char *env = std::getenv("QC_RUNTIME_LIB"); env && !cross)
    return env;
  static int anchor;
  std::string exe =
      llvm::sys::fs::getMainExecutable(options.argv0.c_str(), &anchor);
  SmallString<256> path(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(path, "..", "lib");
  if (cross)
    llvm::sys::path::append(path, options.triple);
  llvm::sys::path::append(path, "libqc_runtime.a");
  return std::string(path);
}

/// The C compiler that links for the target: --linker, else $CC/cc for
/// the host and <triple>-gcc for a cross target. Empty with `error` set
/// when a cross target has none.
std::string targetLinker(const DriverOptions &options, std::string &error) {
  if (!options.linker.empty() || !isCrossTarget(options))
    return options.linker;
  // The host's $CC cannot link another architecture's objects.
  llvm::ErrorOr<std::string> gcc =
      llvm::sys::findProgramByName(options.triple + "-gcc");
  if (!gcc)
    error = "--target=" + options.triple + ": no linker found (" +
            options.triple + "-gcc is not on PATH; install gcc-" +
            options.triple + " or pass --linker)";
  return gcc ? *gcc : std::string();
}

int link(const DriverOptions &options, const TargetBackend &backend,
         ArrayRef<std::string> objects, StringRef output) {
  std::string runtime = findRuntimeLibrary(options);
  bool cross = isCrossTarget(options);
  if (!llvm::sys::fs::exists(runtime))
    return fail("runtime library " +
                Twine(cross ? "for " + options.triple + " " : "") +
                "not found at '" + runtime + "' (set --runtime-lib" +
                (cross ? Twine(", or install gcc-") + options.triple +
                             " and rebuild quantc)"
                       : Twine(" or QC_RUNTIME_LIB)")));
  std::string error;
  std::string linker = targetLinker(options, error);
  if (!error.empty())
    return fail(error);
  FailureOr<PendingOutput> executable = PendingOutput::create(output, error);
  if (failed(executable) ||
      failed(linkExecutable(linker, objects, runtime,
                            backend.getLinkLibraries(), executable->tempPath(),
                            error)))
    return fail(error);
  if (failed(executable->commit(error)))
    return fail(error);
  return 0;
}

/// The compilation after the options were checked; the report, if any, is
/// written to `reportPath` (a temporary file the caller renames on success).
int compile(const DriverOptions &options, MLIRContext &ctx, StringRef output,
            StringRef reportPath) {
  std::string error;
  bool multithread = options.multithread;
  if (multithread && isCrossTarget(options) && !hasOpenMPRuntime(options)) {
    if (options.multithreadExplicit && options.emit == EmitKind::Exe)
      return fail("--multithread: no OpenMP runtime for " + options.triple +
                  " (libomp.so.5 is not in /usr/lib/" + options.triple +
                  "); use --multithread=false");
    multithread = false; // Single-threaded code links without one.
  }
  CPUBackend backend(CPUTargetOptions{options.triple, options.cpu,
                                      options.features, options.optLevel,
                                      multithread, options.actBits});
  if (failed(backend.verifyOptions(error)))
    return fail(error);
  ImportOptions importOptions;
  importOptions.maxTensorBytes = options.maxTensorBytes;
  importOptions.runtimeIndexChecks = options.indexChecks;
  for (const std::string &spec : options.inputShapes) {
    std::string error = parseInputShapeSpec(spec, importOptions);
    if (!error.empty())
      return fail("--input-shape: " + error);
  }
  for (const std::string &spec : options.boundInputs) {
    auto [name, file] = StringRef(spec).split('=');
    importOptions.boundInputs[name] = file.str();
  }
  std::vector<std::string> externalDataFiles;
  importOptions.externalDataFiles = &externalDataFiles;
  // Large weights live in the page cache, not in this process
  // (lib/Support/WeightStorage.h): a compile holds about one layer.
  enableWeightSpill();
  // Imports of one model share their weights: a generator's two steps,
  // and the calibration imports of GPTQ, AWQ and mixed precision.
  SharedWeights sharedWeights;
  bool calibrating = !options.calibration.empty() &&
                     (isCalibratedMethod(options) || isMixedPrecision(options));
  if (calibrating)
    importOptions.sharedWeights = &sharedWeights;
  // A generator is imported twice: the decode step (`module`, one token
  // per row after max_context - 1 cached positions) and the prefill step
  // (a prompt chunk from an empty cache), which is the one quantized.
  std::optional<KVCacheModel> kv;
  OwningOpRef<ModuleOp> prefill;
  if (options.maxContext) {
    FailureOr<KVCacheModel> recognized = recognizeKVCacheModel(options, &ctx);
    if (failed(recognized))
      return 1;
    kv = std::move(*recognized);
    importOptions.sharedWeights = &sharedWeights;
    prefill = importONNXFile(options.inputPath, &ctx,
                             kv->stepImport(importOptions, kv->prefillTokens,
                                            /*past=*/0));
    if (!prefill || failed(verify(*prefill)))
      return 1;
    if (options.progress)
      llvm::errs() << "quantc: generator: model-kv export with "
                   << kv->caches.size() / 2 << " layers of KV caches ["
                   << kv->batch << ", " << kv->caches.front().dims[1] << ", "
                   << kv->maxContext << ", " << kv->caches.front().dims[3]
                   << "], prefill " << kv->prefillTokens
                   << " tokens per step\n";
  }
  OwningOpRef<ModuleOp> module =
      importONNXFile(options.inputPath, &ctx,
                     kv ? kv->stepImport(importOptions, 1, kv->maxContext - 1)
                        : importOptions);
  if (!module || failed(verify(*module)))
    return 1;
  // The external data files are known only now that the model was read;
  // nothing has been written yet.
  if (failed(checkOutputPath("-o", output, externalDataFiles, error)) ||
      (!options.reportPath.empty() &&
       failed(checkOutputPath("--report", options.reportPath, externalDataFiles,
                              error))))
    return fail(error);
  auto writeText = [&](function_ref<void(raw_ostream &)> print) {
    if (failed(writeOutput(
            output,
            [&](llvm::raw_pwrite_stream &os) {
              print(os);
              return success();
            },
            error)))
      return fail(error);
    return 0;
  };
  if (options.compileTo == CompilePhase::Import)
    return writeText([&](raw_ostream &os) {
      if (prefill)
        prefill->print(os);
      module->print(os);
    });
  if (failed(runQuantization(prefill ? *prefill : *module, options, reportPath,
                             kv ? &*kv : nullptr, &sharedWeights)))
    return 1;
  if (kv && failed(assembleGenerator(*prefill, *module, *kv, options)))
    return 1;
  // The float weights the quantization replaced (and the generator's
  // second copy) are no longer referenced: free them before code
  // generation.
  releaseUnreferencedBlobs(&ctx, prefill ? ArrayRef<ModuleOp>{*module, *prefill}
                                         : ArrayRef<ModuleOp>{*module});

  if (options.compileTo == CompilePhase::Quantized ||
      options.emit == EmitKind::MLIR)
    return writeText([&](raw_ostream &os) { module->print(os); });

  if (options.compileTo == CompilePhase::Linalg) {
    if (failed(lowerModule(*module, backend, LoweringPhase::Linalg)))
      return 1;
    return writeText([&](raw_ostream &os) { module->print(os); });
  }
  bool stopAtLLVMDialect = options.compileTo == CompilePhase::LLVM ||
                           options.emit == EmitKind::LLVMDialect;
  if (stopAtLLVMDialect || options.emit == EmitKind::LLVMIR) {
    // The signature is read before lowering rewrites the entry's types.
    FailureOr<ModelSignature> signature = getModelSignature(*module);
    if (failed(signature) ||
        failed(lowerModule(*module, backend, LoweringPhase::LLVM)))
      return 1;
    if (stopAtLLVMDialect)
      return writeText([&](raw_ostream &os) { module->print(os); });
    if (failed(writeOutput(
            output,
            [&](llvm::raw_pwrite_stream &os) {
              return backend.serialize(*module, *signature,
                                       ArtifactKind::LLVMIR, os, error);
            },
            error)))
      return error.empty() ? 1 : fail(error);
    return 0;
  }

  // The code and the weights are two objects (the weights never pass
  // through LLVM IR: targets/Common/WeightObject.h); an executable links
  // both, --emit=obj combines them into one.
  SmallString<128> code, weights;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("quantc", "o", code))
    return fail("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeCode(code);
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("quantc-weights", "o", weights))
    return fail("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeWeights(weights);
  if (failed(compileToObject(*module, backend, code, error,
                             {std::string(weights), /*release=*/true})))
    return error.empty() ? 1 : fail(error);
  std::vector<std::string> objects = {std::string(code), std::string(weights)};
  if (options.emit == EmitKind::Obj) {
    std::string linker = targetLinker(options, error);
    if (!error.empty())
      return fail(error);
    FailureOr<PendingOutput> object = PendingOutput::create(output, error);
    if (failed(object) ||
        failed(linkRelocatable(linker, objects, object->tempPath(), error)))
      return fail(error);
    return failed(object->commit(error)) ? fail(error) : 0;
  }
  return link(options, backend, objects, output);
}

} // namespace

std::vector<std::string> mlir::qc::getSupportedONNXOps() {
  return getSupportedOpTypes();
}

int mlir::qc::compileModel(const DriverOptions &options, MLIRContext &ctx) {
  ScopedDiagnosticHandler diagnostics(&ctx, printDiagnostic);
  // One line per error: users get node names, not IR dumps.
  ctx.printOpOnDiagnostic(false);
  std::string output =
      options.outputPath.empty() ? defaultOutput(options) : options.outputPath;
  std::string error;
  if (failed(verifyDriverOptions(options, output, error)))
    return fail(error);
  std::optional<PendingOutput> report;
  if (!options.reportPath.empty() && options.reportPath != "-") {
    FailureOr<PendingOutput> pending =
        PendingOutput::create(options.reportPath, error);
    if (failed(pending))
      return fail(error);
    report.emplace(std::move(*pending));
  }
  int status = compile(options, ctx, output,
                       report ? report->tempPath() : options.reportPath);
  if (status == 0 && report && failed(report->commit(error)))
    return fail(error);
  return status;
}
