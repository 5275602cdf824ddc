//===- BatchRunner.cpp - Run a compiled model on batches ------------------===//
//
// Every batch gets its own directory with input.npy, stdout.txt, stderr.txt
// and the model's out/ directory, removed as soon as the batch's output has
// been consumed.
//
//===----------------------------------------------------------------------===//

#include "BatchRunner.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

using namespace llvm;

namespace quantc::eval {

//===----------------------------------------------------------------------===//
// Progress
//===----------------------------------------------------------------------===//

Progress::Progress(StringRef unit, int64_t total, bool quiet)
    : unit(unit.str()), total(total),
      enabled(!quiet && sys::Process::StandardErrIsDisplayed()) {}

void Progress::update(int64_t done) {
  if (!enabled)
    return;
  errs() << "\r" << unit << " " << done << "/" << total;
  errs().flush();
  shown = true;
}

void Progress::finish() {
  if (shown)
    errs() << "\n";
  shown = false;
}

//===----------------------------------------------------------------------===//
// BatchRunner
//===----------------------------------------------------------------------===//

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

} // namespace quantc::eval
