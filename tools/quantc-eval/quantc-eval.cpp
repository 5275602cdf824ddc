//===- quantc-eval.cpp - Evaluate compiled quantc models ------------------===//
//
// quantc-eval perplexity --model ./model --tokens eval.npy [--jobs N]
// quantc-eval accuracy --model ./model --inputs x.npy --labels y.npy
//
// Runs a compiled model executable (the output of `quantc model.onnx -o
// model`) on a data set and reports a quality metric as JSON. The model is
// treated as a black box: its interface comes from `./model
// --interface-json` (ModelInterface), every run gets its own temporary
// directory with an input .npy, and runs can go in parallel as separate
// processes (--jobs; BatchRunner). The metrics themselves are in Metrics.
// This file holds the command line.
//
//===----------------------------------------------------------------------===//

#include "Metrics.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

using namespace llvm;
using namespace quantc::eval;

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

static PerplexityOptions perplexityOptions() {
  PerplexityOptions options;
  options.tokensPath = tokensPath;
  options.tensors = {pplInputName, pplInputName.getNumOccurrences() > 0,
                     pplOutputName, pplOutputName.getNumOccurrences() > 0};
  return options;
}

static AccuracyOptions accuracyOptions() {
  AccuracyOptions options;
  options.inputsPath = inputsPath;
  options.labelsPath = labelsPath;
  options.tensors = {accInputName, accInputName.getNumOccurrences() > 0,
                     accOutputName, accOutputName.getNumOccurrences() > 0};
  return options;
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
  CommonOptions common;
  common.model = modelPath;
  common.jobs = jobs;
  common.limit = limit;
  common.quiet = quiet;
  Expected<json::Object> result =
      perplexityCmd ? runPerplexity(common, perplexityOptions())
                    : runAccuracy(common, accuracyOptions());
  if (!result)
    return fail(toString(result.takeError()));
  if (Error err = writeResult(std::move(*result), jsonPath))
    return fail(toString(std::move(err)));
  return 0;
}
