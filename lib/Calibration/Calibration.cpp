//===- Calibration.cpp - Run a model on calibration data ------------------===//
//
// The instrumented model (Instrument.cpp) is compiled by the same backend
// and compile-to-object path as a final binary (one semantics), linked as a
// shared object, loaded, and run from worker threads over batches of the
// calibration set; each thread accumulates XᵀX and Σ|x| per probed layer
// input and a strided sample of rows, merged at the end.
//
//===----------------------------------------------------------------------===//

#include "lib/Calibration/CalibrationImpl.h"

#include "dialects/QC/IR/QC.h"
#include "lib/Import/ONNXImporter.h"
#include "lib/Support/LayerQuantization.h"
#include "lib/Support/WeightConstants.h"
#include "targets/Common/Linker.h"

extern "C" {
#include "Npy.h"
}

#include "mlir/IR/AsmState.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <chrono>
#include <dlfcn.h>
#include <mutex>
#include <thread>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::calibration;

namespace {

/// The shared object compiled from the instrumented model.
struct LoadedModel {
  void *handle = nullptr;
  void (*run)(void **) = nullptr;
  const qc_model_desc *desc = nullptr;
  ~LoadedModel() {
    if (handle)
      dlclose(handle);
  }
};

/// Per-thread accumulation of one layer's statistics.
struct Accumulator {
  Eigen::MatrixXd xtx;
  Eigen::VectorXd sumAbs;
  int64_t rows = 0;
};

/// How the calibration set is cut into runs of the model.
struct BatchPlan {
  ImportOptions importOptions; ///< Every graph input pinned at batch shape.
  int64_t batch = 1, numBatches = 1;
};

/// Batch shape: a free (symbolic) leading dim takes several samples per
/// run; a fixed one must divide the sample count.
FailureOr<BatchPlan> planBatches(Location loc,
                                 const CalibrationOptions &options,
                                 const std::vector<CalibrationArray> &set,
                                 ArrayRef<DeclaredInput> declared) {
  int64_t numSamples = set.front().numSamples, batch = -1;
  BatchPlan plan;
  for (const DeclaredInput &input : declared) {
    auto it = llvm::find_if(
        set, [&](const CalibrationArray &a) { return a.name == input.name; });
    if (it == set.end())
      return emitError(loc)
             << "no calibration data for graph input '" << input.name
             << "' (--calib " << input.name << "=FILE.npy)";
    const std::vector<int64_t> &s = it->sampleShape;
    int64_t b;
    std::vector<int64_t> pin;
    if (input.dims.size() == s.size() + 1) {
      b = input.dims[0];
      if (b < 0) {
        b = 1;
        for (int64_t d = std::min(options.maxBatch, numSamples); d > 1; --d)
          if (numSamples % d == 0) {
            b = d;
            break;
          }
      }
      pin.push_back(b);
      pin.insert(pin.end(), s.begin(), s.end());
    } else if (input.dims.size() == s.size()) {
      b = 1;
      pin = s;
    } else {
      return emitError(loc)
             << "calibration samples of '" << input.name << "' have rank "
             << s.size() << " but the input has rank " << input.dims.size();
    }
    for (size_t d = 0; d < input.dims.size(); ++d)
      if (input.dims[d] >= 0 && input.dims[d] != pin[d])
        return emitError(loc) << "calibration samples of '" << input.name
                              << "' do not match the input's dimension " << d
                              << " (" << input.dims[d] << ")";
    if (numSamples % b != 0 || (batch >= 0 && batch != b))
      return emitError(loc) << "cannot batch " << numSamples
                            << " calibration samples by " << b;
    batch = b;
    plan.importOptions.inputShapes[input.name] = pin;
  }
  plan.batch = batch;
  plan.numBatches = numSamples / batch;
  return plan;
}

/// Compiles the instrumented `module` with the host backend, links it as a
/// shared object and loads it.
FailureOr<std::unique_ptr<LoadedModel>>
compileAndLoad(ModuleOp module, const CalibrationOptions &options,
               Location loc) {
  // Compile exactly as a final binary, then link a shared object.
  SmallString<128> object, weights, shared;
  if (llvm::sys::fs::createTemporaryFile("quantc-calib", "o", object) ||
      llvm::sys::fs::createTemporaryFile("quantc-calib-weights", "o",
                                         weights) ||
      llvm::sys::fs::createTemporaryFile("quantc-calib", "so", shared))
    return emitError(loc) << "cannot create temporary files";
  // A loaded shared object stays mapped once its file is removed.
  llvm::FileRemover removeObject(object), removeWeights(weights),
      removeShared(shared);
  std::string error;
  // The weights' blobs are shared with the module being quantized: not
  // released here.
  if (failed(compileToObject(module, *options.backend, object, error,
                             {std::string(weights), /*release=*/false})))
    return error.empty() ? failure()
                         : emitError(loc) << "calibration model: " << error;
  if (failed(linkSharedObject(
          options.linker, {std::string(object), std::string(weights)},
          options.backend->getLinkLibraries(), shared, error)))
    return emitError(loc) << "calibration model: " << error;
  auto model = std::make_unique<LoadedModel>();
  model->handle = dlopen(shared.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (model->handle) {
    model->run = reinterpret_cast<void (*)(void **)>(
        dlsym(model->handle, "qc_model_run"));
    model->desc =
        static_cast<const qc_model_desc *>(dlsym(model->handle, "qc_model"));
  }
  if (!model->run || !model->desc)
    return emitError(loc) << "cannot load the calibration model: " << dlerror();
  return model;
}

/// Runs `model` (whose outputs are the probes) over every batch of `set`
/// and returns the statistics of each probe, in probe order.
FailureOr<std::vector<LayerStatistics>>
runBatches(const LoadedModel &model, const CalibrationOptions &options,
           const std::vector<CalibrationArray> &set, const BatchPlan &plan,
           ArrayRef<LayerProbe> probes, Location loc) {
  // Inputs: which calibration array feeds each, and bytes per sample.
  const qc_model_desc &desc = *model.desc;
  std::vector<const CalibrationArray *> feeds;
  for (int32_t i = 0; i < desc.num_inputs; ++i) {
    const qc_tensor_desc &in = desc.inputs[i];
    auto it = llvm::find_if(
        set, [&](const CalibrationArray &a) { return a.name == in.name; });
    if (it->dtype != in.dtype)
      return emitError(loc) << "--calib " << in.name << " has dtype "
                            << qc_dtype_name(it->dtype) << ", the input is "
                            << qc_dtype_name(in.dtype);
    feeds.push_back(&*it);
  }
  auto bytesOf = [](const qc_tensor_desc &t) {
    size_t n = qc_dtype_size(t.dtype);
    for (int32_t d = 0; d < t.rank; ++d)
      n *= t.shape[d];
    return n;
  };

  int64_t numBatches = plan.numBatches, batch = plan.batch;
  int64_t numSamples = set.front().numSamples;
  unsigned cores = options.threads
                       ? options.threads
                       : std::max(1u, std::thread::hardware_concurrency());
  unsigned threads =
      std::max<unsigned>(1, std::min<int64_t>(cores, numBatches));
  size_t numProbes = probes.size();
  std::vector<std::vector<Accumulator>> partial(threads);
  // Rows are sampled at a fixed stride so the sample does not depend on
  // the thread count; the stride needs the row count of one batch, known
  // after the first run.
  std::vector<LayerStatistics> results(numProbes);
  std::vector<int64_t> rowsPerBatch(numProbes, -1), stride(numProbes, 1);
  std::mutex sampleMutex;
  std::atomic<int64_t> done{0};
  bool showProgress =
      options.progress && llvm::sys::Process::StandardErrIsDisplayed();

  auto worker = [&](unsigned t) {
    std::vector<std::vector<char>> buffers;
    std::vector<void *> pointers;
    for (int32_t i = 0; i < desc.num_inputs; ++i)
      buffers.emplace_back(bytesOf(desc.inputs[i]));
    for (int32_t i = 0; i < desc.num_outputs; ++i)
      buffers.emplace_back(bytesOf(desc.outputs[i]));
    for (auto &buf : buffers)
      pointers.push_back(buf.data());
    std::vector<Accumulator> &acc = partial[t];
    acc.resize(numProbes);
    for (size_t p = 0; p < numProbes; ++p) {
      int64_t k = probes[p].rowLength;
      acc[p].xtx = Eigen::MatrixXd::Zero(k, k);
      acc[p].sumAbs = Eigen::VectorXd::Zero(k);
    }
    for (int64_t b = t; b < numBatches; b += threads) {
      for (int32_t i = 0; i < desc.num_inputs; ++i) {
        size_t perSample = feeds[i]->data.size() / numSamples;
        std::memcpy(buffers[i].data(),
                    feeds[i]->data.data() + b * batch * perSample,
                    perSample * batch);
      }
      model.run(pointers.data());
      for (size_t p = 0; p < numProbes; ++p) {
        const qc_tensor_desc &out = desc.outputs[p];
        const auto *data = reinterpret_cast<const float *>(
            buffers[desc.num_inputs + p].data());
        int64_t numel = bytesOf(out) / sizeof(float);
        Eigen::MatrixXf x = rowsOf(probes[p], data, numel);
        Eigen::MatrixXd xd = x.cast<double>();
        acc[p].xtx.selfadjointView<Eigen::Lower>().rankUpdate(xd.transpose());
        acc[p].sumAbs += xd.cwiseAbs().colwise().sum().transpose();
        acc[p].rows += x.rows();
        std::lock_guard<std::mutex> lock(sampleMutex);
        if (rowsPerBatch[p] < 0) {
          rowsPerBatch[p] = x.rows();
          int64_t total = rowsPerBatch[p] * numBatches;
          stride[p] = std::max<int64_t>(1, (total + options.maxSampleRows - 1) /
                                               options.maxSampleRows);
          int64_t keep = (total + stride[p] - 1) / stride[p];
          results[p].samples.assign(keep * x.cols(), 0.0f);
          results[p].sampleRows = keep;
        }
        for (int64_t r = 0; r < x.rows(); ++r) {
          int64_t global = b * rowsPerBatch[p] + r;
          if (global % stride[p] != 0)
            continue;
          int64_t slot = global / stride[p];
          for (int64_t c = 0; c < x.cols(); ++c)
            results[p].samples[slot * x.cols() + c] = x(r, c);
        }
      }
      int64_t finished = ++done;
      if (showProgress && t == 0)
        llvm::errs() << "\rquantc: calibrating " << finished << "/"
                     << numBatches << " batches";
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back(worker, t);
  worker(0);
  for (std::thread &th : pool)
    th.join();
  if (showProgress)
    llvm::errs() << "\rquantc: calibrated " << numSamples << " samples in "
                 << numBatches << " batches\n";

  // Merge the threads' partial sums.
  for (size_t p = 0; p < numProbes; ++p) {
    int64_t k = probes[p].rowLength;
    Eigen::MatrixXd xtx = Eigen::MatrixXd::Zero(k, k);
    Eigen::VectorXd sumAbs = Eigen::VectorXd::Zero(k);
    int64_t rows = 0;
    for (auto &acc : partial) {
      if (acc.empty())
        continue;
      xtx += acc[p].xtx;
      sumAbs += acc[p].sumAbs;
      rows += acc[p].rows;
      // A K x K double per thread and probe: give it back as soon as it is
      // merged (the FFN down projection's is 250 MB at K = 5632).
      acc[p] = Accumulator();
    }
    // Only the lower triangle was accumulated.
    xtx = xtx.selfadjointView<Eigen::Lower>();
    LayerStatistics &s = results[p];
    s.rowLength = k;
    s.rows = rows;
    s.xtx.assign(xtx.data(), xtx.data() + k * k);
    s.sumAbs.assign(sumAbs.data(), sumAbs.data() + k);
  }
  return results;
}

} // namespace

FailureOr<llvm::StringMap<std::shared_ptr<const LayerStatistics>>>
mlir::qc::calibrate(MLIRContext &ctx, const CalibrationOptions &options,
                    const std::vector<CalibrationArray> &set,
                    ModuleOp quantizedSource,
                    ArrayRef<std::string> layerNames) {
  Location loc = FileLineColLoc::get(&ctx, options.modelPath, 0, 0);
  if (set.empty())
    return emitError(loc) << "calibration needs --calib NAME=FILE.npy";
  FailureOr<std::vector<DeclaredInput>> declared =
      readDeclaredInputs(options.modelPath, &ctx);
  if (failed(declared))
    return failure();
  FailureOr<BatchPlan> plan = planBatches(loc, options, set, *declared);
  if (failed(plan))
    return failure();

  auto t0 = std::chrono::steady_clock::now();
  auto phase = [&](const char *what) {
    if (!std::getenv("QC_CALIBRATION_TIMING"))
      return;
    auto t1 = std::chrono::steady_clock::now();
    llvm::errs() << "calibration: " << what << " "
                 << std::chrono::duration<double>(t1 - t0).count() << " s\n";
    t0 = t1;
  };
  // Blobs that exist now belong to the caller; those made from here on
  // (the calibration import's own weights, the lowering's repacked
  // layouts) are freed before returning.
  BlobSnapshot before = snapshotBlobs(&ctx);
  llvm::scope_exit releaseOwn(
      [&] { releaseUnreferencedBlobs(&ctx, {}, &before); });
  plan->importOptions.sharedWeights = options.sharedWeights;
  OwningOpRef<ModuleOp> module =
      importONNXFile(options.modelPath, &ctx, plan->importOptions);
  if (!module)
    return failure();
  auto func = module->lookupSymbol<func::FuncOp>(kEntryFunction);
  if (failed(checkIndexInputs(func, set, loc)))
    return failure();
  if (quantizedSource)
    transplantQuantizedWeights(quantizedSource, func);
  FailureOr<std::vector<LayerProbe>> probes = instrument(func, layerNames);
  if (failed(probes))
    return failure();
  FailureOr<std::unique_ptr<LoadedModel>> model =
      compileAndLoad(*module, options, loc);
  if (failed(model))
    return failure();
  phase("compile");
  FailureOr<std::vector<LayerStatistics>> results =
      runBatches(**model, options, set, *plan, *probes, loc);
  if (failed(results))
    return failure();
  phase("run");

  // Layers reading one tensor (q/k/v) share its statistics.
  llvm::StringMap<std::shared_ptr<const LayerStatistics>> stats;
  for (auto [probe, s] : llvm::zip(*probes, *results)) {
    auto shared = std::make_shared<const LayerStatistics>(std::move(s));
    for (const std::string &layer : probe.layers)
      stats[layer] = shared;
  }
  return stats;
}

/// A f32 tensor attribute, as a resource blob when large.
static ElementsAttr floatAttr(MLIRContext *ctx, ArrayRef<int64_t> shape,
                              ArrayRef<float> values, StringRef name) {
  auto type = RankedTensorType::get(shape, Float32Type::get(ctx));
  if (values.size() * sizeof(float) <= size_t(kInlineConstantBytes))
    return DenseElementsAttr::get(type, values);
  return DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign(values));
}

void mlir::qc::attachStatistics(
    ModuleOp module,
    const llvm::StringMap<std::shared_ptr<const LayerStatistics>> &stats) {
  MLIRContext *ctx = module.getContext();
  // Layers sharing statistics (q/k/v) share their attributes too.
  struct Attrs {
    ElementsAttr hessian, meanAbs, samples;
  };
  llvm::DenseMap<const LayerStatistics *, Attrs> made;
  module.walk([&](QuantizableLayer layer) {
    std::string name = getLayerName(layer->getLoc());
    auto it = stats.find(name);
    if (it == stats.end() || it->second->rows == 0)
      return;
    const LayerStatistics &s = *it->second;
    auto [entry, isNew] = made.try_emplace(&s);
    Attrs &attrs = entry->second;
    if (isNew) {
      int64_t k = s.rowLength;
      double n = double(s.rows);
      std::vector<float> hessian(k * k), meanAbs(k);
      for (int64_t i = 0; i < k * k; ++i)
        hessian[i] = float(2.0 * s.xtx[i] / n);
      for (int64_t i = 0; i < k; ++i)
        meanAbs[i] = float(s.sumAbs[i] / n);
      attrs.hessian = floatAttr(ctx, {k, k}, hessian, name + ".hessian");
      attrs.meanAbs = floatAttr(ctx, {k}, meanAbs, name + ".act_mean_abs");
      attrs.samples =
          floatAttr(ctx, {s.sampleRows, k}, s.samples, name + ".act_samples");
    }
    layer->setAttr(kHessianAttr, attrs.hessian);
    layer->setAttr(kMeanAbsAttr, attrs.meanAbs);
    layer->setAttr(kSamplesAttr, attrs.samples);
  });
}
