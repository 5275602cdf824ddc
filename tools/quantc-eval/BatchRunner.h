//===- BatchRunner.h - Run a compiled model on batches ----------*- C++ -*-===//
//
// Runs the model executable once per batch, as separate processes (up to
// --jobs at a time), each in its own temporary directory with an input
// .npy, and hands every batch's output back; plus the progress line shown
// meanwhile.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_EVAL_BATCHRUNNER_H
#define QUANTC_EVAL_BATCHRUNNER_H

#include "ModelInterface.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Program.h"

#include <cstdint>
#include <string>

namespace quantc::eval {

/// A "\r"-updated progress line on stderr, shown only on a terminal and
/// without `quiet`.
class Progress {
public:
  Progress(llvm::StringRef unit, int64_t total, bool quiet);
  ~Progress() { finish(); }

  void update(int64_t done);

  /// Ends the line so that later output starts on a fresh one.
  void finish();

private:
  std::string unit;
  int64_t total;
  bool enabled;
  bool shown = false;
};

/// Runs the model on a sequence of batches, up to `jobs` processes at a
/// time, each in its own temporary directory below `root`.
class BatchRunner {
public:
  using MakeInput = llvm::function_ref<void(size_t batch, Tensor &input)>;
  using Consume =
      llvm::function_ref<llvm::Error(size_t batch, const Tensor &output)>;

  BatchRunner(llvm::StringRef model, const ModelInterface &interface,
              size_t inputIndex, size_t outputIndex, llvm::StringRef root)
      : model(model.str()), interface(interface), inputIndex(inputIndex),
        outputIndex(outputIndex), root(root.str()),
        outputFile(outputFileName(interface, outputIndex)) {}

  /// Runs batches 0..numBatches-1. `makeInput` fills a batch's input (its
  /// dtype and shape are preset), `consume` gets the batch's output, and
  /// `done` is told how many batches have finished.
  llvm::Error run(size_t numBatches, unsigned maxJobs, MakeInput makeInput,
                  Consume consume, llvm::function_ref<void(size_t)> done);

private:
  struct Job {
    size_t batch;
    std::string dir;
    llvm::sys::ProcessInfo process;
  };

  llvm::Expected<Job> launch(size_t batch, MakeInput makeInput);
  llvm::Error finish(Job &job, int returnCode, llvm::StringRef errMsg,
                     Consume consume);

  std::string model;
  const ModelInterface &interface;
  size_t inputIndex, outputIndex;
  std::string root;
  std::string outputFile;
};

} // namespace quantc::eval

#endif // QUANTC_EVAL_BATCHRUNNER_H
