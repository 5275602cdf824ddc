//===- quantc-eval.cpp - Evaluate compiled quantc models ------------------===//
//
// quantc-eval perplexity --model ./model --tokens eval.npy [--jobs N]
// quantc-eval accuracy --model ./model --inputs x.npy --labels y.npy
//
// Runs a compiled model executable (the output of `quantc model.onnx -o
// model`) on a data set and reports a quality metric as JSON. The model is
// treated as a black box: its interface comes from `./model --help`, every
// run gets its own temporary directory with an input .npy, and runs can go
// in parallel as separate processes (--jobs).
//
//===----------------------------------------------------------------------===//

extern "C" {
#include "Npy.h"
}

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace llvm;

static constexpr const char *toolName = "quantc-eval";

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

static cl::SubCommand
    perplexityCmd("perplexity",
                  "Next-token perplexity of a language model on token rows");
static cl::SubCommand
    accuracyCmd("accuracy", "Top-1 accuracy of a classifier on labelled data");

static cl::OptionCategory category("quantc-eval options");

static cl::opt<std::string> modelPath("model",
                                      cl::desc("Compiled model executable"),
                                      cl::value_desc("path"),
                                      cl::sub(perplexityCmd),
                                      cl::sub(accuracyCmd), cl::cat(category));
static cl::opt<std::string>
    jsonPath("json", cl::desc("Also write the result to this JSON file"),
             cl::value_desc("file.json"), cl::sub(perplexityCmd),
             cl::sub(accuracyCmd), cl::cat(category));
static cl::opt<unsigned>
    jobs("jobs", cl::desc("Model processes to run at the same time"),
         cl::init(1), cl::sub(perplexityCmd), cl::sub(accuracyCmd),
         cl::cat(category));
static cl::alias jobsShort("j", cl::desc("Alias for --jobs"),
                           cl::aliasopt(jobs), cl::cat(category));
static cl::opt<int64_t>
    limit("limit",
          cl::desc("Evaluate only the first N rows / samples (0 = all)"),
          cl::init(0), cl::sub(perplexityCmd), cl::sub(accuracyCmd),
          cl::cat(category));
static cl::opt<bool> quiet("quiet", cl::desc("No progress line on stderr"),
                           cl::sub(perplexityCmd), cl::sub(accuracyCmd),
                           cl::cat(category));

// perplexity
static cl::opt<std::string>
    tokensPath("tokens", cl::desc("int64 [rows, T] token windows (.npy)"),
               cl::value_desc("file.npy"), cl::sub(perplexityCmd),
               cl::cat(category));
static cl::opt<std::string> pplInputName("input-name",
                                         cl::desc("Model input of the tokens"),
                                         cl::init("input_ids"),
                                         cl::sub(perplexityCmd),
                                         cl::cat(category));
static cl::opt<std::string>
    pplOutputName("output-name", cl::desc("Model output with the logits"),
                  cl::init("logits"), cl::sub(perplexityCmd),
                  cl::cat(category));

// accuracy
static cl::opt<std::string> inputsPath("inputs",
                                       cl::desc("Samples [N, ...] (.npy)"),
                                       cl::value_desc("file.npy"),
                                       cl::sub(accuracyCmd), cl::cat(category));
static cl::opt<std::string> labelsPath("labels",
                                       cl::desc("Integer labels [N] (.npy)"),
                                       cl::value_desc("file.npy"),
                                       cl::sub(accuracyCmd), cl::cat(category));
static cl::opt<std::string>
    accInputName("input-name", cl::desc("Model input of the samples"),
                 cl::init("input"), cl::sub(accuracyCmd), cl::cat(category));
static cl::opt<std::string>
    accOutputName("output-name", cl::desc("Model output with the logits"),
                  cl::init("logits"), cl::sub(accuracyCmd), cl::cat(category));

//===----------------------------------------------------------------------===//
// Utilities
//===----------------------------------------------------------------------===//

static Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape))
    text += (i ? "," : "") + std::to_string(dim);
  return text + "]";
}

static std::string describe(int32_t dtype, ArrayRef<int64_t> shape) {
  return std::string(qc_dtype_name(dtype)) + " " + formatShape(shape);
}

static bool isIntegerDtype(int32_t dtype) {
  return dtype == QC_DTYPE_I8 || dtype == QC_DTYPE_U8 ||
         dtype == QC_DTYPE_I16 || dtype == QC_DTYPE_U16 ||
         dtype == QC_DTYPE_I32 || dtype == QC_DTYPE_U32 ||
         dtype == QC_DTYPE_I64 || dtype == QC_DTYPE_U64;
}

static bool isFloatDtype(int32_t dtype) {
  return dtype == QC_DTYPE_F32 || dtype == QC_DTYPE_F64 ||
         dtype == QC_DTYPE_F16;
}

static int64_t numElements(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

namespace {

/// A dense tensor read from or written to a .npy file.
struct Tensor {
  int32_t dtype = 0;
  std::vector<int64_t> shape;
  std::vector<char> bytes;

  int64_t numElements() const { return ::numElements(shape); }
  size_t elementSize() const { return qc_dtype_size(dtype); }

  /// Element `i` of an integer tensor as int64.
  int64_t intAt(int64_t i) const {
    const char *p = bytes.data() + i * elementSize();
    switch (dtype) {
    case QC_DTYPE_I8:
      return *reinterpret_cast<const int8_t *>(p);
    case QC_DTYPE_U8:
      return *reinterpret_cast<const uint8_t *>(p);
    case QC_DTYPE_I16:
      return *reinterpret_cast<const int16_t *>(p);
    case QC_DTYPE_U16:
      return *reinterpret_cast<const uint16_t *>(p);
    case QC_DTYPE_I32:
      return *reinterpret_cast<const int32_t *>(p);
    case QC_DTYPE_U32:
      return *reinterpret_cast<const uint32_t *>(p);
    default: // int64; uint64 above INT64_MAX wraps.
      return *reinterpret_cast<const int64_t *>(p);
    }
  }

  /// Element `i` of a float tensor as double.
  double floatAt(int64_t i) const {
    const char *p = bytes.data() + i * elementSize();
    if (dtype == QC_DTYPE_F64)
      return *reinterpret_cast<const double *>(p);
    if (dtype == QC_DTYPE_F16) {
      // FP16 models' logits: widen exactly.
      uint16_t bits;
      std::memcpy(&bits, p, sizeof(bits));
      return llvm::APFloat(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits))
          .convertToDouble();
    }
    return *reinterpret_cast<const float *>(p);
  }
};

/// One graph input or output as `./model --help` lists it.
struct TensorDesc {
  std::string name;
  int32_t dtype = 0;
  std::vector<int64_t> shape;
};

struct ModelInterface {
  std::vector<TensorDesc> inputs;
  std::vector<TensorDesc> outputs;
};

/// Removes a temporary directory tree when it goes out of scope.
class TempDir {
public:
  TempDir() = default;
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  ~TempDir() {
    if (!path.empty())
      (void)sys::fs::remove_directories(path);
  }

  Error create(StringRef prefix) {
    if (std::error_code ec = sys::fs::createUniqueDirectory(prefix, path))
      return makeError("cannot create a temporary directory: " + ec.message());
    return Error::success();
  }

  StringRef get() const { return path; }

private:
  SmallString<128> path;
};

} // namespace

static Expected<Tensor> readNpy(StringRef path, StringRef what) {
  qc_npy_array array;
  std::memset(&array, 0, sizeof(array));
  char err[512];
  std::string pathStr = path.str();
  if (qc_npy_read(pathStr.c_str(), &array, err, sizeof(err)) != 0)
    return makeError(what + " '" + path + "': " + err);
  Tensor tensor;
  tensor.dtype = array.dtype;
  tensor.shape.assign(array.shape, array.shape + array.rank);
  const char *data = static_cast<const char *>(array.data);
  tensor.bytes.assign(data, data + array.nbytes);
  qc_npy_free(&array);
  return tensor;
}

static Error writeNpy(StringRef path, const Tensor &tensor) {
  char err[512];
  std::string pathStr = path.str();
  if (qc_npy_write(pathStr.c_str(), tensor.dtype,
                   static_cast<int32_t>(tensor.shape.size()),
                   tensor.shape.data(), tensor.bytes.data(), err,
                   sizeof(err)) != 0)
    return makeError("cannot write '" + path + "': " + err);
  return Error::success();
}

static std::optional<int32_t> parseDtype(StringRef name) {
  for (int32_t dtype = QC_DTYPE_F32; dtype <= QC_DTYPE_U64; ++dtype)
    if (name == qc_dtype_name(dtype))
      return dtype;
  return std::nullopt;
}

/// Parses "[1,128,65]" (or "[]").
static std::optional<std::vector<int64_t>> parseShape(StringRef text) {
  if (!text.consume_front("[") || !text.consume_back("]"))
    return std::nullopt;
  std::vector<int64_t> shape;
  if (text.empty())
    return shape;
  SmallVector<StringRef> dims;
  text.split(dims, ',');
  for (StringRef dim : dims) {
    int64_t value;
    if (dim.getAsInteger(10, value) || value < 0)
      return std::nullopt;
    shape.push_back(value);
  }
  return shape;
}

/// The file name a compiled model gives output `index` (lib/Runtime/Main.c,
/// output_path): unsafe characters become '_', an empty name "output<N>",
/// and a name that collides with an earlier output's gets a "_<N>" suffix.
static std::string outputFileName(const ModelInterface &model, size_t index) {
  auto sanitize = [](StringRef name, size_t i) {
    if (name.empty())
      return "output" + std::to_string(i);
    std::string safe;
    for (char c : name)
      safe += isAlnum(c) || c == '.' || c == '_' || c == '-' ? c : '_';
    return safe;
  };
  std::vector<std::string> names;
  for (size_t i = 0; i <= index; ++i) {
    std::string base = sanitize(model.outputs[i].name, i);
    std::string file = base + ".npy";
    if (llvm::is_contained(names, file))
      file = base + "_" + std::to_string(i) + ".npy";
    names.push_back(file);
  }
  return names.back();
}

//===----------------------------------------------------------------------===//
// Progress
//===----------------------------------------------------------------------===//

namespace {

/// A "\r"-updated progress line on stderr, shown only on a terminal.
class Progress {
public:
  Progress(StringRef unit, int64_t total)
      : unit(unit.str()), total(total),
        enabled(!quiet && sys::Process::StandardErrIsDisplayed()) {}
  ~Progress() { finish(); }

  void update(int64_t done) {
    if (!enabled)
      return;
    errs() << "\r" << unit << " " << done << "/" << total;
    errs().flush();
    shown = true;
  }

  /// Ends the line so that later output starts on a fresh one.
  void finish() {
    if (shown)
      errs() << "\n";
    shown = false;
  }

private:
  std::string unit;
  int64_t total;
  bool enabled;
  bool shown = false;
};

} // namespace

//===----------------------------------------------------------------------===//
// Running the model
//===----------------------------------------------------------------------===//

static Expected<std::string> findModel(StringRef path) {
  if (path.empty())
    return makeError("--model is required");
  if (sys::fs::exists(path)) {
    if (sys::fs::is_directory(path) || !sys::fs::can_execute(path))
      return makeError("model '" + path + "' is not an executable file");
    return path.str();
  }
  if (!path.contains('/'))
    if (ErrorOr<std::string> found = sys::findProgramByName(path))
      return *found;
  return makeError("model '" + path + "' not found");
}

/// The first line of a failed model's stderr that says what went wrong.
static std::string failureReason(StringRef stderrPath) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(stderrPath);
  if (!buffer)
    return "";
  SmallVector<StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (StringRef line : lines)
    if (line.contains("error:"))
      return line.trim().str();
  return lines.empty() ? "" : lines.back().trim().str();
}

/// Runs `./model --help` and parses its "inputs:" and "outputs:" tables.
static Expected<ModelInterface> readInterface(StringRef model,
                                              StringRef tempDir) {
  SmallString<128> outPath(tempDir), errPath(tempDir);
  sys::path::append(outPath, "help.txt");
  sys::path::append(errPath, "help.err");
  std::optional<StringRef> redirects[] = {StringRef(""), StringRef(outPath),
                                          StringRef(errPath)};
  std::string errMsg;
  StringRef args[] = {model, "--help"};
  int rc =
      sys::ExecuteAndWait(model, args, std::nullopt, redirects, 0, 0, &errMsg);
  if (rc != 0) {
    std::string reason = errMsg.empty() ? failureReason(errPath) : errMsg;
    return makeError("cannot run '" + model + " --help'" +
                     (reason.empty() ? "" : ": " + reason));
  }
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(outPath);
  if (!buffer)
    return makeError("cannot read the output of '" + model + " --help'");

  ModelInterface interface;
  std::vector<TensorDesc> *table = nullptr;
  bool sawInputs = false, sawOutputs = false;
  SmallVector<StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n');
  for (StringRef line : lines) {
    if (line.starts_with("inputs:")) {
      table = &interface.inputs;
      sawInputs = true;
      continue;
    }
    if (line.starts_with("outputs:")) {
      table = &interface.outputs;
      sawOutputs = true;
      continue;
    }
    if (!table)
      continue;
    if (!line.starts_with("  ")) {
      table = nullptr;
      continue;
    }
    // "  NAME  DTYPE  SHAPE": the name may itself contain spaces.
    StringRef rest = line.trim();
    auto [front, shapeText] = rest.rsplit(' ');
    auto [nameText, dtypeText] = front.rtrim().rsplit(' ');
    std::optional<int32_t> dtype = parseDtype(dtypeText);
    std::optional<std::vector<int64_t>> shape = parseShape(shapeText);
    if (!dtype || !shape)
      return makeError("cannot parse the interface line '" + rest + "' of '" +
                       model + " --help'");
    table->push_back({nameText.trim().str(), *dtype, std::move(*shape)});
  }
  if (!sawInputs || !sawOutputs)
    return makeError("'" + model +
                     "' does not look like a quantc model (no inputs/outputs "
                     "in its --help output)");
  return interface;
}

/// Finds the tensor called `name`; a default name that the model does not
/// have falls back to the model's only tensor.
static Expected<size_t> selectTensor(ArrayRef<TensorDesc> descs, StringRef name,
                                     bool nameGiven, StringRef kind) {
  for (auto [i, desc] : llvm::enumerate(descs))
    if (desc.name == name)
      return i;
  if (!nameGiven && descs.size() == 1)
    return 0;
  std::string names;
  for (const TensorDesc &desc : descs)
    names += (names.empty() ? "'" : ", '") + desc.name + "'";
  return makeError("the model has no " + kind + " '" + name + "' (its " + kind +
                   "s: " + (names.empty() ? "none" : names) + "); use --" +
                   kind + "-name");
}

namespace {

/// Runs the model on a sequence of batches, up to `jobs` processes at a
/// time, each in its own temporary directory below `root`.
class BatchRunner {
public:
  using MakeInput = function_ref<void(size_t batch, Tensor &input)>;
  using Consume = function_ref<Error(size_t batch, const Tensor &output)>;

  BatchRunner(StringRef model, const ModelInterface &interface,
              size_t inputIndex, size_t outputIndex, StringRef root)
      : model(model.str()), interface(interface), inputIndex(inputIndex),
        outputIndex(outputIndex), root(root.str()),
        outputFile(outputFileName(interface, outputIndex)) {}

  /// Runs batches 0..numBatches-1. `makeInput` fills a batch's input (its
  /// dtype and shape are preset), `consume` gets the batch's output, and
  /// `done` is told how many batches have finished.
  Error run(size_t numBatches, unsigned maxJobs, MakeInput makeInput,
            Consume consume, function_ref<void(size_t)> done);

private:
  struct Job {
    size_t batch;
    std::string dir;
    sys::ProcessInfo process;
  };

  Expected<Job> launch(size_t batch, MakeInput makeInput);
  Error finish(Job &job, int returnCode, StringRef errMsg, Consume consume);

  std::string model;
  const ModelInterface &interface;
  size_t inputIndex, outputIndex;
  std::string root;
  std::string outputFile;
};

} // namespace

Expected<BatchRunner::Job> BatchRunner::launch(size_t batch,
                                               MakeInput makeInput) {
  const TensorDesc &desc = interface.inputs[inputIndex];
  Tensor input;
  input.dtype = desc.dtype;
  input.shape = desc.shape;
  input.bytes.assign(numElements(desc.shape) * qc_dtype_size(desc.dtype), 0);
  makeInput(batch, input);

  Job job;
  job.batch = batch;
  SmallString<128> dir(root);
  sys::path::append(dir, "batch" + std::to_string(batch));
  if (std::error_code ec = sys::fs::create_directory(dir))
    return makeError("cannot create '" + dir + "': " + ec.message());
  job.dir = dir.str().str();

  SmallString<128> inputPath(dir), outDir(dir), outPath(dir), errPath(dir);
  sys::path::append(inputPath, "input.npy");
  sys::path::append(outDir, "out");
  sys::path::append(outPath, "stdout.txt");
  sys::path::append(errPath, "stderr.txt");
  if (Error err = writeNpy(inputPath, input))
    return std::move(err);

  std::string inputArg = desc.name + "=" + inputPath.str().str();
  StringRef args[] = {model, "--input", inputArg, "--output-dir", outDir};
  std::optional<StringRef> redirects[] = {StringRef(""), StringRef(outPath),
                                          StringRef(errPath)};
  std::string errMsg;
  bool failed = false;
  job.process = sys::ExecuteNoWait(model, args, std::nullopt, redirects, 0,
                                   &errMsg, &failed);
  if (failed)
    return makeError("cannot run model '" + model + "': " + errMsg);
  return job;
}

Error BatchRunner::finish(Job &job, int returnCode, StringRef errMsg,
                          Consume consume) {
  SmallString<128> errPath(job.dir), outPath(job.dir);
  sys::path::append(errPath, "stderr.txt");
  sys::path::append(outPath, "out", outputFile);
  scope_exit cleanup([&] { (void)sys::fs::remove_directories(job.dir); });
  if (returnCode != 0) {
    std::string reason = failureReason(errPath);
    if (reason.empty())
      reason = errMsg.empty() ? "exit status " + std::to_string(returnCode)
                              : errMsg.str();
    return makeError("model '" + model + "' failed on batch " +
                     std::to_string(job.batch) + ": " + reason);
  }
  const TensorDesc &desc = interface.outputs[outputIndex];
  if (!sys::fs::exists(outPath))
    return makeError("model '" + model + "' wrote no output '" + desc.name +
                     "' on batch " + std::to_string(job.batch));
  Expected<Tensor> output = readNpy(outPath, "model output");
  if (!output)
    return output.takeError();
  if (output->dtype != desc.dtype || output->shape != desc.shape)
    return makeError("model output '" + desc.name + "' is " +
                     describe(output->dtype, output->shape) + ", expected " +
                     describe(desc.dtype, desc.shape));
  return consume(job.batch, *output);
}

Error BatchRunner::run(size_t numBatches, unsigned maxJobs, MakeInput makeInput,
                       Consume consume, function_ref<void(size_t)> done) {
  std::vector<Job> active;
  size_t next = 0, finished = 0;
  std::optional<Error> firstError;
  bool failed = false;
  while (finished < numBatches) {
    // Keep `maxJobs` processes busy until something fails.
    while (!failed && next < numBatches && active.size() < maxJobs) {
      Expected<Job> job = launch(next++, makeInput);
      if (!job) {
        firstError = job.takeError();
        failed = true;
        break;
      }
      active.push_back(std::move(*job));
    }
    if (active.empty())
      break;

    // Poll every job; with one process in flight (or when only draining
    // after a failure), block on it instead.
    bool progressed = false;
    const bool block = active.size() == 1 || failed;
    for (size_t i = 0; i < active.size();) {
      std::string errMsg;
      sys::ProcessInfo result =
          block ? sys::Wait(active[i].process, std::nullopt, &errMsg)
                : sys::Wait(active[i].process, 0, &errMsg, nullptr,
                            /*Polling=*/true);
      if (result.Pid == 0) {
        ++i;
        continue;
      }
      progressed = true;
      Job job = std::move(active[i]);
      active.erase(active.begin() + i);
      Error err = finish(job, result.ReturnCode, errMsg, consume);
      if (err && !failed) {
        firstError = std::move(err);
        failed = true;
      } else if (err) {
        consumeError(std::move(err));
      }
      if (!failed)
        done(++finished);
    }
    if (failed && active.empty())
      break;
    if (!progressed)
      std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  if (firstError)
    return std::move(*firstError);
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Modes
//===----------------------------------------------------------------------===//

namespace {

struct Setup {
  std::string model;
  ModelInterface interface;
  size_t inputIndex = 0, outputIndex = 0;
  TempDir temp;
};

} // namespace

static Error prepare(Setup &setup, StringRef inputName, bool inputNameGiven,
                     StringRef outputName, bool outputNameGiven) {
  if (jobs < 1)
    return makeError("--jobs must be at least 1");
  if (limit < 0)
    return makeError("--limit must not be negative");
  Expected<std::string> model = findModel(modelPath);
  if (!model)
    return model.takeError();
  setup.model = *model;
  if (Error err = setup.temp.create("quantc-eval"))
    return err;
  Expected<ModelInterface> interface =
      readInterface(setup.model, setup.temp.get());
  if (!interface)
    return interface.takeError();
  setup.interface = std::move(*interface);
  Expected<size_t> input =
      selectTensor(setup.interface.inputs, inputName, inputNameGiven, "input");
  if (!input)
    return input.takeError();
  Expected<size_t> output = selectTensor(setup.interface.outputs, outputName,
                                         outputNameGiven, "output");
  if (!output)
    return output.takeError();
  if (setup.interface.inputs.size() != 1)
    return makeError("the model has " + Twine(setup.interface.inputs.size()) +
                     " inputs; quantc-eval feeds only single-input models");
  setup.inputIndex = *input;
  setup.outputIndex = *output;
  return Error::success();
}

static double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

static Expected<json::Object> runPerplexity() {
  if (tokensPath.empty())
    return makeError("--tokens is required");
  Setup setup;
  if (Error err = prepare(setup, pplInputName, pplInputName.getNumOccurrences(),
                          pplOutputName, pplOutputName.getNumOccurrences()))
    return std::move(err);
  Expected<Tensor> tokens = readNpy(tokensPath, "tokens");
  if (!tokens)
    return tokens.takeError();
  if (!isIntegerDtype(tokens->dtype) || tokens->shape.size() != 2)
    return makeError("tokens '" + tokensPath +
                     "' must be an integer [rows, T] array, got " +
                     describe(tokens->dtype, tokens->shape));
  int64_t rows = tokens->shape[0], seqLen = tokens->shape[1];
  if (limit > 0)
    rows = std::min<int64_t>(rows, limit);
  if (rows < 1 || seqLen < 2)
    return makeError("tokens '" + tokensPath +
                     "' need at least one row of two or more tokens, got " +
                     formatShape(tokens->shape));

  const TensorDesc &in = setup.interface.inputs[setup.inputIndex];
  const TensorDesc &out = setup.interface.outputs[setup.outputIndex];
  if ((in.dtype != QC_DTYPE_I64 && in.dtype != QC_DTYPE_I32) ||
      in.shape.size() != 2 || in.shape[0] < 1)
    return makeError("model input '" + in.name + "' is " +
                     describe(in.dtype, in.shape) +
                     "; perplexity needs int64 or int32 [B, T] token ids");
  if (in.shape[1] != seqLen)
    return makeError("model input '" + in.name + "' is " +
                     describe(in.dtype, in.shape) + " but the rows of '" +
                     tokensPath + "' have " + Twine(seqLen) + " tokens");
  int64_t batch = in.shape[0];
  if (!isFloatDtype(out.dtype) || out.shape.size() != 3 ||
      out.shape[0] != batch || out.shape[1] != seqLen || out.shape[2] < 1)
    return makeError("model output '" + out.name + "' is " +
                     describe(out.dtype, out.shape) + "; expected float [" +
                     Twine(batch) + ", " + Twine(seqLen) + ", V] logits");
  int64_t vocab = out.shape[2];

  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t t = 0; t < seqLen; ++t) {
      int64_t token = tokens->intAt(r * seqLen + t);
      if (token < 0 || token >= vocab)
        return makeError("tokens '" + tokensPath + "': token " + Twine(token) +
                         " at row " + Twine(r) + ", position " + Twine(t) +
                         " is outside the model's vocabulary [0, " +
                         Twine(vocab) + ")");
    }
  }

  size_t numBatches = static_cast<size_t>((rows + batch - 1) / batch);
  std::vector<double> rowNll(rows, 0.0);
  auto makeInput = [&](size_t b, Tensor &input) {
    for (int64_t i = 0; i < batch; ++i) {
      // Pad the last batch by repeating the last row.
      int64_t row = std::min<int64_t>(b * batch + i, rows - 1);
      for (int64_t t = 0; t < seqLen; ++t) {
        int64_t token = tokens->intAt(row * seqLen + t);
        if (input.dtype == QC_DTYPE_I64)
          reinterpret_cast<int64_t *>(input.bytes.data())[i * seqLen + t] =
              token;
        else
          reinterpret_cast<int32_t *>(input.bytes.data())[i * seqLen + t] =
              static_cast<int32_t>(token);
      }
    }
  };
  auto consume = [&](size_t b, const Tensor &logits) -> Error {
    for (int64_t i = 0; i < batch; ++i) {
      int64_t row = b * batch + i;
      if (row >= rows)
        break;
      double sum = 0;
      for (int64_t t = 0; t + 1 < seqLen; ++t) {
        int64_t base = (i * seqLen + t) * vocab;
        double maxLogit = -std::numeric_limits<double>::infinity();
        for (int64_t v = 0; v < vocab; ++v)
          maxLogit = std::max(maxLogit, logits.floatAt(base + v));
        double sumExp = 0;
        for (int64_t v = 0; v < vocab; ++v)
          sumExp += std::exp(logits.floatAt(base + v) - maxLogit);
        int64_t target = tokens->intAt(row * seqLen + t + 1);
        double nll =
            maxLogit + std::log(sumExp) - logits.floatAt(base + target);
        if (!std::isfinite(nll))
          return makeError("model output '" + out.name +
                           "' has non-finite logits at row " + Twine(row) +
                           ", position " + Twine(t));
        sum += nll;
      }
      rowNll[row] = sum;
    }
    return Error::success();
  };

  Progress progress("rows", rows);
  progress.update(0);
  auto done = [&](size_t finished) {
    progress.update(std::min<int64_t>(finished * batch, rows));
  };
  BatchRunner runner(setup.model, setup.interface, setup.inputIndex,
                     setup.outputIndex, setup.temp.get());
  auto start = std::chrono::steady_clock::now();
  Error err = runner.run(numBatches, jobs, makeInput, consume, done);
  double seconds = secondsSince(start);
  progress.finish();
  if (err)
    return std::move(err);

  // Sum in row order so the result does not depend on --jobs.
  double total = 0;
  for (double nll : rowNll)
    total += nll;
  int64_t predictions = rows * (seqLen - 1);
  double nll = total / static_cast<double>(predictions);
  json::Object result{
      {"mode", "perplexity"},
      {"model", modelPath},
      {"windows", rows},
      {"predictions", predictions},
      {"nll_nats", nll},
      {"bits_per_char", nll / std::log(2.0)},
      {"perplexity", std::exp(nll)},
      {"seconds", seconds},
      {"jobs", static_cast<int64_t>(jobs)},
  };
  if (seconds > 0)
    result["tokens_per_second"] = static_cast<double>(rows * seqLen) / seconds;
  return result;
}

static Expected<json::Object> runAccuracy() {
  if (inputsPath.empty())
    return makeError("--inputs is required");
  if (labelsPath.empty())
    return makeError("--labels is required");
  Setup setup;
  if (Error err = prepare(setup, accInputName, accInputName.getNumOccurrences(),
                          accOutputName, accOutputName.getNumOccurrences()))
    return std::move(err);
  Expected<Tensor> samples = readNpy(inputsPath, "inputs");
  if (!samples)
    return samples.takeError();
  Expected<Tensor> labels = readNpy(labelsPath, "labels");
  if (!labels)
    return labels.takeError();

  const TensorDesc &in = setup.interface.inputs[setup.inputIndex];
  const TensorDesc &out = setup.interface.outputs[setup.outputIndex];
  if (samples->shape.empty() || samples->shape[0] < 1)
    return makeError("inputs '" + inputsPath +
                     "' must be [N, ...] with N > 0, "
                     "got " +
                     describe(samples->dtype, samples->shape));
  if (samples->dtype != in.dtype)
    return makeError("inputs '" + inputsPath + "' are " +
                     describe(samples->dtype, samples->shape) +
                     " but model input '" + in.name + "' is " +
                     describe(in.dtype, in.shape));
  int64_t count = samples->shape[0];
  int64_t batch;
  if (samples->shape == in.shape) {
    batch = count; // One run on the whole array.
  } else if (in.shape.size() == samples->shape.size() && in.shape[0] >= 1 &&
             ArrayRef(in.shape).drop_front() ==
                 ArrayRef(samples->shape).drop_front()) {
    batch = in.shape[0];
  } else {
    return makeError("inputs '" + inputsPath + "' are " +
                     describe(samples->dtype, samples->shape) +
                     ", which do not split into batches of model input '" +
                     in.name + "' " + describe(in.dtype, in.shape));
  }
  if (limit > 0 && limit < count)
    count = limit;

  // Logits [B, ..., C]: one prediction per position of the middle axes.
  if (!isFloatDtype(out.dtype) || out.shape.size() < 2 ||
      out.shape[0] != in.shape[0] || out.shape.back() < 1)
    return makeError("model output '" + out.name + "' is " +
                     describe(out.dtype, out.shape) + "; expected float [" +
                     Twine(in.shape[0]) + ", ..., C] logits");
  ArrayRef<int64_t> middle = ArrayRef(out.shape).drop_front().drop_back();
  int64_t perSample = numElements(middle), classes = out.shape.back();
  std::vector<int64_t> labelShape = {samples->shape[0]};
  labelShape.insert(labelShape.end(), middle.begin(), middle.end());
  if (!isIntegerDtype(labels->dtype) || labels->shape != labelShape)
    return makeError("labels '" + labelsPath + "' are " +
                     describe(labels->dtype, labels->shape) +
                     "; expected integer " + formatShape(labelShape));
  for (int64_t i = 0, e = count * perSample; i < e; ++i) {
    int64_t label = labels->intAt(i);
    if (label < 0 || label >= classes)
      return makeError("labels '" + labelsPath + "': label " + Twine(label) +
                       " at index " + Twine(i) + " is outside [0, " +
                       Twine(classes) + ")");
  }

  size_t sampleBytes = numElements(ArrayRef(samples->shape).drop_front()) *
                       samples->elementSize();
  size_t numBatches = static_cast<size_t>((count + batch - 1) / batch);
  std::vector<char> correctFlags(count * perSample, 0);
  auto makeInput = [&](size_t b, Tensor &input) {
    for (int64_t i = 0; i < batch; ++i) {
      // Pad the last batch by repeating the last sample.
      int64_t sample = std::min<int64_t>(b * batch + i, count - 1);
      std::memcpy(input.bytes.data() + i * sampleBytes,
                  samples->bytes.data() + sample * sampleBytes, sampleBytes);
    }
  };
  auto consume = [&](size_t b, const Tensor &logits) -> Error {
    for (int64_t i = 0; i < batch; ++i) {
      int64_t sample = b * batch + i;
      if (sample >= count)
        break;
      for (int64_t p = 0; p < perSample; ++p) {
        int64_t base = (i * perSample + p) * classes;
        int64_t best = 0;
        for (int64_t c = 1; c < classes; ++c)
          if (logits.floatAt(base + c) > logits.floatAt(base + best))
            best = c;
        int64_t index = sample * perSample + p;
        correctFlags[index] = best == labels->intAt(index);
      }
    }
    return Error::success();
  };

  Progress progress("samples", count);
  progress.update(0);
  auto done = [&](size_t finished) {
    progress.update(std::min<int64_t>(finished * batch, count));
  };
  BatchRunner runner(setup.model, setup.interface, setup.inputIndex,
                     setup.outputIndex, setup.temp.get());
  auto start = std::chrono::steady_clock::now();
  Error err = runner.run(numBatches, jobs, makeInput, consume, done);
  double seconds = secondsSince(start);
  progress.finish();
  if (err)
    return std::move(err);

  int64_t total = count * perSample;
  int64_t correct = llvm::count(correctFlags, 1);
  return json::Object{
      {"mode", "accuracy"},
      {"model", modelPath},
      {"samples", total},
      {"correct", correct},
      {"accuracy", static_cast<double>(correct) / static_cast<double>(total)},
      {"seconds", seconds},
      {"jobs", static_cast<int64_t>(jobs)},
  };
}

//===----------------------------------------------------------------------===//
// main
//===----------------------------------------------------------------------===//

static int fail(const Twine &message) {
  WithColor::error(errs(), toolName) << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  InitLLVM x(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::HideUnrelatedOptions(category, perplexityCmd);
  cl::HideUnrelatedOptions(category, accuracyCmd);

  // Parse errors become one "quantc-eval: error:" line like every other
  // (errors about option values go straight to stderr in that form already).
  std::string parseErrors;
  raw_string_ostream parseErrorStream(parseErrors);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "quantc-eval: evaluate a compiled quantc model\n\n"
          "  quantc-eval perplexity --model ./model --tokens eval.npy\n"
          "  quantc-eval accuracy --model ./model --inputs x.npy "
          "--labels y.npy\n",
          &parseErrorStream)) {
    StringRef first = StringRef(parseErrors).split('\n').first.trim();
    if (first.empty())
      return 1;
    first.consume_front(sys::path::filename(argv[0]));
    first.consume_front(": ");
    return fail(first);
  }

  if (!perplexityCmd && !accuracyCmd)
    return fail("no mode given; use 'quantc-eval perplexity ...' or "
                "'quantc-eval accuracy ...' (see --help)");
  Expected<json::Object> result =
      perplexityCmd ? runPerplexity() : runAccuracy();
  if (!result)
    return fail(toString(result.takeError()));

  json::Value value(std::move(*result));
  outs() << formatv("{0:2}", value) << "\n";
  outs().flush();
  if (!jsonPath.empty()) {
    std::error_code ec;
    raw_fd_ostream os(jsonPath, ec, sys::fs::OF_Text);
    if (ec)
      return fail("cannot write '" + jsonPath + "': " + ec.message());
    os << formatv("{0:2}", value) << "\n";
    os.close();
    if (os.has_error())
      return fail("cannot write '" + jsonPath + "': " + os.error().message());
  }
  return 0;
}
