//===- Metrics.cpp - quantc-eval's quality metrics ------------------------===//
//
// Perplexity and accuracy: validate the data against the model's interface,
// cut it into batches for the BatchRunner, score every batch's logits, and
// sum up in a fixed order so that results do not depend on --jobs.
//
//===----------------------------------------------------------------------===//

#include "Metrics.h"

#include "BatchRunner.h"
#include "ModelInterface.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace llvm;

namespace quantc::eval {

//===----------------------------------------------------------------------===//
// Setup
//===----------------------------------------------------------------------===//

namespace {

struct Setup {
  std::string model;
  ModelInterface interface;
  size_t inputIndex = 0, outputIndex = 0;
  TempDir temp;
};

} // namespace

/// Checks the common options, finds the model, reads its interface and
/// picks the input and output to use.
static Error prepare(Setup &setup, const CommonOptions &common,
                     const TensorSelection &tensors) {
  if (common.jobs < 1)
    return makeError("--jobs must be at least 1");
  if (common.limit < 0)
    return makeError("--limit must not be negative");
  Expected<std::string> model = findModel(common.model);
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
      selectTensor(setup.interface.inputs, tensors.inputName,
                   tensors.inputNameGiven, "input");
  if (!input)
    return input.takeError();
  Expected<size_t> output =
      selectTensor(setup.interface.outputs, tensors.outputName,
                   tensors.outputNameGiven, "output");
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

//===----------------------------------------------------------------------===//
// Perplexity
//===----------------------------------------------------------------------===//

Expected<json::Object> runPerplexity(const CommonOptions &common,
                                     const PerplexityOptions &options) {
  const std::string &tokensPath = options.tokensPath;
  const int64_t limit = common.limit;
  if (tokensPath.empty())
    return makeError("--tokens is required");
  Setup setup;
  if (Error err = prepare(setup, common, options.tensors))
    return std::move(err);
  Expected<Tensor> tokens = readNpy(tokensPath, "tokens");
  if (!tokens)
    return tokens.takeError();
  if (!qc_dtype_is_integer(tokens->dtype) || tokens->shape.size() != 2)
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
  if (!qc_dtype_is_float(out.dtype) || out.shape.size() != 3 ||
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

  Progress progress("rows", rows, common.quiet);
  progress.update(0);
  auto done = [&](size_t finished) {
    progress.update(std::min<int64_t>(finished * batch, rows));
  };
  BatchRunner runner(setup.model, setup.interface, setup.inputIndex,
                     setup.outputIndex, setup.temp.get());
  auto start = std::chrono::steady_clock::now();
  Error err = runner.run(numBatches, common.jobs, makeInput, consume, done);
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
      {"model", common.model},
      {"windows", rows},
      {"predictions", predictions},
      {"nll_nats", nll},
      {"bits_per_char", nll / std::log(2.0)},
      {"perplexity", std::exp(nll)},
      {"seconds", seconds},
      {"jobs", static_cast<int64_t>(common.jobs)},
  };
  if (seconds > 0)
    result["tokens_per_second"] = static_cast<double>(rows * seqLen) / seconds;
  return result;
}

//===----------------------------------------------------------------------===//
// Accuracy
//===----------------------------------------------------------------------===//

Expected<json::Object> runAccuracy(const CommonOptions &common,
                                   const AccuracyOptions &options) {
  const std::string &inputsPath = options.inputsPath;
  const std::string &labelsPath = options.labelsPath;
  const int64_t limit = common.limit;
  if (inputsPath.empty())
    return makeError("--inputs is required");
  if (labelsPath.empty())
    return makeError("--labels is required");
  Setup setup;
  if (Error err = prepare(setup, common, options.tensors))
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
  if (!qc_dtype_is_float(out.dtype) || out.shape.size() < 2 ||
      out.shape[0] != in.shape[0] || out.shape.back() < 1)
    return makeError("model output '" + out.name + "' is " +
                     describe(out.dtype, out.shape) + "; expected float [" +
                     Twine(in.shape[0]) + ", ..., C] logits");
  ArrayRef<int64_t> middle = ArrayRef(out.shape).drop_front().drop_back();
  int64_t perSample = numElements(middle), classes = out.shape.back();
  std::vector<int64_t> labelShape = {samples->shape[0]};
  labelShape.insert(labelShape.end(), middle.begin(), middle.end());
  if (!qc_dtype_is_integer(labels->dtype) || labels->shape != labelShape)
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

  Progress progress("samples", count, common.quiet);
  progress.update(0);
  auto done = [&](size_t finished) {
    progress.update(std::min<int64_t>(finished * batch, count));
  };
  BatchRunner runner(setup.model, setup.interface, setup.inputIndex,
                     setup.outputIndex, setup.temp.get());
  auto start = std::chrono::steady_clock::now();
  Error err = runner.run(numBatches, common.jobs, makeInput, consume, done);
  double seconds = secondsSince(start);
  progress.finish();
  if (err)
    return std::move(err);

  int64_t total = count * perSample;
  int64_t correct = llvm::count(correctFlags, 1);
  return json::Object{
      {"mode", "accuracy"},
      {"model", common.model},
      {"samples", total},
      {"correct", correct},
      {"accuracy", static_cast<double>(correct) / static_cast<double>(total)},
      {"seconds", seconds},
      {"jobs", static_cast<int64_t>(common.jobs)},
  };
}

//===----------------------------------------------------------------------===//
// JSON output
//===----------------------------------------------------------------------===//

Error writeResult(json::Object result, StringRef jsonPath) {
  json::Value value(std::move(result));
  outs() << formatv("{0:2}", value) << "\n";
  outs().flush();
  if (!jsonPath.empty()) {
    std::error_code ec;
    raw_fd_ostream os(jsonPath, ec, sys::fs::OF_Text);
    if (ec)
      return makeError("cannot write '" + jsonPath + "': " + ec.message());
    os << formatv("{0:2}", value) << "\n";
    os.close();
    if (os.has_error())
      return makeError("cannot write '" + jsonPath +
                       "': " + os.error().message());
  }
  return Error::success();
}

} // namespace quantc::eval
