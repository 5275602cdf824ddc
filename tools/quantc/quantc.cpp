//===- quantc.cpp - The quantc compiler driver ----------------------------===//
//
// quantc model.onnx -o model [--quant=rtn --bits=4 --group-size=32 ...]
// Command-line parsing only; the work is in lib/Driver.
//
//===----------------------------------------------------------------------===//

#include "quantc/Driver/Driver.h"
#include "quantc/InitAll.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::qc;
namespace cl = llvm::cl;

static cl::OptionCategory category("quantc options");

static cl::opt<bool>
    listOps("list-ops",
            cl::desc("Print the ONNX op types quantc imports and exit"),
            cl::cat(category));
static cl::opt<std::string> inputPath(cl::Positional,
                                      cl::desc("<model.onnx | model.onnxtxt>"),
                                      cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::desc("Output file"),
                                       cl::value_desc("path"),
                                       cl::cat(category));
static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Pin a graph input's shape, e.g. input=1x3x224x224"),
                cl::value_desc("NAME=DIMS"), cl::cat(category));

static cl::list<std::string> boundInputs(
    "bind-input",
    cl::desc("Compile a graph input in as a constant read from a .npy file"),
    cl::value_desc("NAME=FILE.npy"), cl::cat(category));

static cl::opt<QuantMethod> quant(
    "quant", cl::desc("Weight quantization method"),
    cl::init(QuantMethod::None),
    cl::values(clEnumValN(QuantMethod::None, "none", "keep float weights"),
               clEnumValN(QuantMethod::RTN, "rtn", "round to nearest"),
               clEnumValN(QuantMethod::GPTQ, "gptq", "GPTQ (needs --calib)"),
               clEnumValN(QuantMethod::AWQ, "awq", "AWQ (needs --calib)")),
    cl::cat(category));
static cl::opt<unsigned> bits("bits", cl::desc("Bits per weight (2-8)"),
                              cl::init(8), cl::cat(category));
static cl::opt<int64_t>
    groupSize("group-size",
              cl::desc("Weights sharing a scale along a row (0 = per-channel)"),
              cl::init(0), cl::cat(category));
static cl::opt<bool> symmetric("symmetric",
                               cl::desc("Symmetric quantization (no zero "
                                        "points)"),
                               cl::cat(category));
static cl::opt<std::string> scaleType("scale-type",
                                      cl::desc("Scale type: f16, bf16, f32"),
                                      cl::init("f16"), cl::cat(category));
static cl::opt<std::string> weightType(
    "weight-type",
    cl::desc("Storage of the weights of layers left in float: f32, f16, bf16 "
             "(computing in f32)"),
    cl::init("f32"), cl::cat(category));
static cl::opt<std::string>
    exclude("exclude",
            cl::desc("Regex over ONNX node names of layers kept in float"),
            cl::value_desc("regex"), cl::cat(category));
static cl::opt<std::string>
    reportPath("report", cl::desc("Write a per-layer JSON report"),
               cl::value_desc("file.json"), cl::cat(category));

static cl::list<std::string>
    calibration("calib",
                cl::desc("Calibration samples for a graph input (leading "
                         "dimension indexes samples)"),
                cl::value_desc("NAME=FILE.npy"), cl::cat(category));
static cl::opt<bool> actOrder("act-order",
                              cl::desc("GPTQ: quantize columns in "
                                       "descending Hessian-diagonal order"),
                              cl::cat(category));
static cl::opt<bool>
    staticGroups("static-groups",
                 cl::desc("GPTQ act-order: contiguous groups fixed up front "
                          "(else a per-column group index)"),
                 cl::cat(category));
static cl::opt<double> damp("damp",
                            cl::desc("GPTQ dampening, relative to mean "
                                     "diag(H) (default 0.01)"),
                            cl::init(0.01), cl::cat(category));
static cl::opt<bool> sequential(
    "sequential",
    cl::desc("Calibrate each block on the outputs of the already-quantized "
             "blocks before it (default)"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> oneShot("one-shot",
                             cl::desc("Calibrate all layers on the float "
                                      "model in one pass"),
                             cl::cat(category));
static cl::opt<int64_t>
    calibrationBatch("calib-batch",
                     cl::desc("Calibration samples per run where the batch "
                              "dimension is free (default 16)"),
                     cl::init(16), cl::cat(category));
static cl::opt<unsigned>
    threads("calib-threads",
            cl::desc("Threads running calibration (default: all cores)"),
            cl::init(0), cl::cat(category));
static cl::opt<bool> quiet("quiet", cl::desc("No progress output"),
                           cl::cat(category));
static cl::opt<double>
    avgBits("avg-bits",
            cl::desc("Mixed precision: average storage bits per weight"),
            cl::init(0), cl::cat(category));
static cl::opt<int64_t>
    maxWeightBytes("max-weight-bytes",
                   cl::desc("Mixed precision: total weight bytes"), cl::init(0),
                   cl::cat(category));
static cl::opt<std::string>
    candidateBits("candidate-bits",
                  cl::desc("Mixed precision widths (default 2,3,4,8; 32 = "
                           "float)"),
                  cl::init("2,3,4,8"), cl::cat(category));
static cl::opt<std::string>
    precisionPlan("precision-plan",
                  cl::desc("JSON {\"layer\": bits} fixing layers' widths"),
                  cl::value_desc("plan.json"), cl::cat(category));

static cl::opt<int64_t> maxContext(
    "max-context",
    cl::desc("Build a generator from a model-kv export (past_key_values.* "
             "inputs, present.* outputs) with KV caches of N positions"),
    cl::value_desc("N"), cl::init(0), cl::cat(category));
static cl::opt<int64_t> prefillTokens(
    "prefill-tokens",
    cl::desc("Generator: prompt tokens per prefill step (default: "
             "min(max context, 64))"),
    cl::init(0), cl::cat(category));
static cl::opt<int64_t>
    generatorBatch("generator-batch",
                   cl::desc("Generator: prompt rows per step (default 1)"),
                   cl::init(1), cl::cat(category));
static cl::opt<std::string>
    vocabPath("vocab",
              cl::desc("Generator: char vocabulary JSON ({\"type\": "
                       "\"char\", \"itos\": [...]}) for --prompt TEXT"),
              cl::value_desc("vocab.json"), cl::cat(category));

static cl::opt<EmitKind> emit(
    "emit", cl::desc("What to produce"), cl::init(EmitKind::Exe),
    cl::values(
        clEnumValN(EmitKind::Exe, "exe", "standalone executable (default)"),
        clEnumValN(EmitKind::Obj, "obj", "object file (see qc_model.h)"),
        clEnumValN(EmitKind::MLIR, "mlir", "qc dialect after quantization"),
        clEnumValN(EmitKind::LLVMDialect, "mlir-llvm",
                   "MLIR LLVM dialect after lowering"),
        clEnumValN(EmitKind::LLVMIR, "llvm", "optimized LLVM IR")),
    cl::cat(category));
static cl::opt<CompilePhase> compileTo(
    "compile-to", cl::desc("Stop after a phase and print its IR"),
    cl::init(CompilePhase::None),
    cl::values(clEnumValN(CompilePhase::Import, "import",
                          "qc dialect as imported (float)"),
               clEnumValN(CompilePhase::Quantized, "quantized",
                          "qc dialect after quantization (as --emit=mlir)"),
               clEnumValN(CompilePhase::Linalg, "linalg",
                          "linalg on tensors, scheduled for the target"),
               clEnumValN(CompilePhase::LLVM, "llvm",
                          "LLVM dialect (as --emit=mlir-llvm)")),
    cl::cat(category));
static cl::opt<std::string> triple("target",
                                   cl::desc("Target triple (default: host)"),
                                   cl::cat(category));
static cl::opt<std::string>
    cpu("mcpu", cl::desc("Target CPU (default: the host's, e.g. x86-64-v3)"),
        cl::cat(category));
static cl::opt<std::string> features("mattr",
                                     cl::desc("Target features (+avx2,...)"),
                                     cl::cat(category));
static cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level"),
                                  cl::init(3), cl::Prefix, cl::cat(category));
static cl::opt<bool> multithread(
    "multithread",
    cl::desc("Split scheduled loops across cores with OpenMP (default on; "
             "the executable takes --threads N and links libomp)"),
    cl::init(true), cl::cat(category));
static cl::opt<int64_t> actBits(
    "act-bits",
    cl::desc("8: quantize the activations of quantized linear layers to int8 "
             "per block at run time (integer dot products); default 0: f32"),
    cl::init(0), cl::cat(category));
static cl::opt<int64_t> maxTensorBytes(
    "max-tensor-bytes",
    cl::desc("Refuse models with a constant or intermediate tensor larger "
             "than this (default 4 GiB)"),
    cl::init(int64_t(4) << 30), cl::cat(category));
static cl::opt<bool> indexChecks(
    "index-checks",
    cl::desc("Report run-time indices outside their axis (Gather, "
             "GatherElements, ScatterElements) and exit 1; false: only clamp "
             "them (default true)"),
    cl::init(true), cl::cat(category));
static cl::opt<std::string> runtimeLibrary("runtime-lib",
                                           cl::desc("Path of libqc_runtime.a"),
                                           cl::cat(category));
static cl::opt<std::string>
    linker("linker",
           cl::desc("C compiler used to link (default: $CC or cc; "
                    "for another --target, <triple>-gcc)"),
           cl::cat(category));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // --mlir-print-debuginfo and friends, for --emit=mlir with node locations.
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "quantc: compile an ONNX model, optionally weight-quantized, into a "
      "standalone executable\n");
  if (listOps) {
    for (const std::string &op : getSupportedONNXOps())
      llvm::outs() << op << "\n";
    return 0;
  }
  if (inputPath.empty()) {
    llvm::errs() << "quantc: error: no input model (see --help)\n";
    return 1;
  }

  DriverOptions options;
  options.inputPath = inputPath;
  options.outputPath = outputPath;
  options.inputShapes.assign(inputShapes.begin(), inputShapes.end());
  options.boundInputs.assign(boundInputs.begin(), boundInputs.end());
  options.quant = quant;
  options.bits = bits;
  options.groupSize = groupSize;
  options.symmetric = symmetric;
  options.scaleType = scaleType;
  options.weightType = weightType;
  options.exclude = exclude;
  options.reportPath = reportPath;
  options.calibration.assign(calibration.begin(), calibration.end());
  options.actOrder = actOrder;
  options.staticGroups = staticGroups;
  options.damp = damp;
  options.sequential = sequential && !oneShot;
  options.calibrationBatch = calibrationBatch;
  options.progress = !quiet;
  // Given at all (even as 0) means "mixed precision": 0 is then an error.
  if (avgBits.getNumOccurrences())
    options.avgBits = avgBits;
  if (maxWeightBytes.getNumOccurrences())
    options.maxWeightBytes = maxWeightBytes;
  options.maxTensorBytes = maxTensorBytes;
  options.indexChecks = indexChecks;
  options.candidateBits = candidateBits;
  options.precisionPlan = precisionPlan;
  options.maxContext = maxContext;
  options.prefillTokens = prefillTokens;
  options.generatorBatch = generatorBatch;
  options.vocabPath = vocabPath;
  options.emit = emit;
  options.compileTo = compileTo;
  options.threads = threads;
  options.triple = triple;
  options.cpu = cpu;
  options.features = features;
  options.optLevel = optLevel;
  options.multithread = multithread;
  options.multithreadExplicit = multithread.getNumOccurrences() > 0;
  options.actBits = actBits;
  options.runtimeLibrary = runtimeLibrary;
  options.linker = linker;
  options.argv0 = argv[0];
  for (int i = 0; i < argc; ++i)
    options.commandLine += (i ? " " : "") + std::string(argv[i]);

  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  return compileModel(options, context);
}
