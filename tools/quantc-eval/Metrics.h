//===- Metrics.h - quantc-eval's quality metrics ----------------*- C++ -*-===//
//
// The modes of quantc-eval: next-token perplexity of a language model and
// top-1 accuracy of a classifier, each computed from batched runs of a
// compiled model and reported as a JSON object.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_EVAL_METRICS_H
#define QUANTC_EVAL_METRICS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <string>

namespace quantc::eval {

/// The options every mode takes.
struct CommonOptions {
  std::string model; // --model, as given
  unsigned jobs = 1;
  int64_t limit = 0; // 0 = all rows / samples
  bool quiet = false;
};

/// Which model input and output a mode uses; a name that was not given
/// falls back to the model's only input / output.
struct TensorSelection {
  std::string inputName;
  bool inputNameGiven = false;
  std::string outputName;
  bool outputNameGiven = false;
};

struct PerplexityOptions {
  std::string tokensPath;
  TensorSelection tensors;
};

struct AccuracyOptions {
  std::string inputsPath;
  std::string labelsPath;
  TensorSelection tensors;
};

llvm::Expected<llvm::json::Object>
runPerplexity(const CommonOptions &common, const PerplexityOptions &options);

llvm::Expected<llvm::json::Object> runAccuracy(const CommonOptions &common,
                                               const AccuracyOptions &options);

/// Prints `result` to stdout and, if `jsonPath` is not empty, also writes it
/// there.
llvm::Error writeResult(llvm::json::Object result, llvm::StringRef jsonPath);

} // namespace quantc::eval

#endif // QUANTC_EVAL_METRICS_H
