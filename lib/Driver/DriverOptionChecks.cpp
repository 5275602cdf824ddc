//===- DriverOptionChecks.cpp - Refusing bad options before any work ------===//
//
// Every option value is checked here, up front, against what the passes
// accept: a bad value is one line naming the option, not a failure after
// minutes of calibration or a silently ignored flag. The files the options
// name are checked too, and no output may name any of them.
//
//===----------------------------------------------------------------------===//

#include "lib/Driver/DriverOptionChecks.h"

#include "lib/Driver/FileSafety.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Regex.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;

namespace {

/// The FILE of a "NAME=FILE" option value, or "" when malformed.
StringRef fileOfSpec(StringRef spec) { return spec.split('=').second; }

std::string checkValues(const DriverOptions &o) {
  bool quantized = o.quant != QuantMethod::None;
  if (quantized && (o.bits < 2 || o.bits > 8))
    return "--bits must be in [2, 8], got " + std::to_string(o.bits);
  if (o.groupSize < 0)
    return "--group-size must be >= 0, got " + std::to_string(o.groupSize);
  if (!std::isfinite(o.damp) || o.damp < 0)
    return "--damp must be a finite number >= 0, got " + std::to_string(o.damp);
  if (o.avgBits && (!std::isfinite(*o.avgBits) || *o.avgBits <= 0))
    return "--avg-bits must be a positive number, got " +
           std::to_string(*o.avgBits);
  if (o.maxWeightBytes && *o.maxWeightBytes <= 0)
    return "--max-weight-bytes must be positive, got " +
           std::to_string(*o.maxWeightBytes);
  if (o.calibrationBatch < 1)
    return "--calib-batch must be at least 1, got " +
           std::to_string(o.calibrationBatch);
  if (o.actBits != 0 && o.actBits != 8)
    return "--act-bits must be 8 (int8 activations) or 0 (f32), got " +
           std::to_string(o.actBits);
  for (auto [option, value] :
       {std::pair<const char *, StringRef>{"--scale-type", o.scaleType},
        {"--weight-type", o.weightType}})
    if (value != "f16" && value != "bf16" && value != "f32")
      return std::string(option) + " must be f16, bf16 or f32, got '" +
             value.str() + "'";
  SmallVector<StringRef> candidates;
  StringRef(o.candidateBits).split(candidates, ',', -1, false);
  for (StringRef c : candidates) {
    unsigned bits;
    if (c.trim().getAsInteger(10, bits) ||
        ((bits < 2 || bits > 8) && bits != 32))
      return "--candidate-bits entries must be 2-8 or 32, got '" + c.str() +
             "'";
  }
  std::string regexError;
  if (!o.exclude.empty() && !llvm::Regex(o.exclude).isValid(regexError))
    return "--exclude '" + o.exclude + "' is not a valid regex: " + regexError;
  bool mixed = o.avgBits || o.maxWeightBytes;
  if (mixed && !quantized)
    return "--avg-bits/--max-weight-bytes need --quant=rtn|gptq|awq";
  if (!o.precisionPlan.empty() && !mixed)
    return "--precision-plan needs --avg-bits or --max-weight-bytes";
  if (o.maxTensorBytes <= 0)
    return "--max-tensor-bytes must be positive";
  bool generator = o.maxContext != 0;
  if (o.maxContext < 0 || o.maxContext == 1 ||
      o.maxContext > (int64_t(1) << 24))
    return "--max-context must be in [2, 16777216], got " +
           std::to_string(o.maxContext);
  if (!generator &&
      (o.prefillTokens || o.generatorBatch != 1 || !o.vocabPath.empty()))
    return "--prefill-tokens, --generator-batch and --vocab need "
           "--max-context=N (a generator)";
  if (o.prefillTokens < 0 || (generator && o.prefillTokens > o.maxContext))
    return "--prefill-tokens must be in [1, --max-context], got " +
           std::to_string(o.prefillTokens);
  if (o.generatorBatch < 1 || o.generatorBatch > 4096)
    return "--generator-batch must be in [1, 4096], got " +
           std::to_string(o.generatorBatch);
  return "";
}

} // namespace

std::vector<std::string> mlir::qc::getInputFiles(const DriverOptions &o) {
  std::vector<std::string> inputs{o.inputPath};
  for (const std::string &spec : o.calibration)
    inputs.push_back(fileOfSpec(spec).str());
  for (const std::string &spec : o.boundInputs)
    inputs.push_back(fileOfSpec(spec).str());
  if (!o.precisionPlan.empty())
    inputs.push_back(o.precisionPlan);
  if (!o.vocabPath.empty())
    inputs.push_back(o.vocabPath);
  return inputs;
}

LogicalResult mlir::qc::verifyDriverOptions(const DriverOptions &o,
                                            StringRef output,
                                            std::string &error) {
  error = checkValues(o);
  if (!error.empty())
    return failure();
  // The model itself is checked by the importer (regular file, readable).
  for (auto [option, specs] :
       {std::pair<const char *, const std::vector<std::string> *>{
            "--calib", &o.calibration},
        {"--bind-input", &o.boundInputs}})
    for (const std::string &spec : *specs) {
      auto [name, file] = StringRef(spec).split('=');
      if (name.empty() || file.empty()) {
        error =
            std::string(option) + " expects NAME=FILE.npy, got '" + spec + "'";
        return failure();
      }
      if (failed(checkInputFile(option, file, error)))
        return failure();
    }
  if (!o.precisionPlan.empty() &&
      failed(checkInputFile("--precision-plan", o.precisionPlan, error)))
    return failure();
  if (!o.vocabPath.empty() &&
      failed(checkInputFile("--vocab", o.vocabPath, error)))
    return failure();
  std::vector<std::string> inputs = getInputFiles(o);
  if (failed(checkOutputPath("-o", output, inputs, error)))
    return failure();
  if (!o.reportPath.empty()) {
    inputs.push_back(output.str());
    if (failed(checkOutputPath("--report", o.reportPath, inputs, error)))
      return failure();
  }
  return success();
}
