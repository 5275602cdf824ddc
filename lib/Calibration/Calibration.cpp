//===- Calibration.cpp - Run a model on calibration data ------------------===//
//
// The calibration model is the ONNX model imported again at a batch shape
// derived from the calibration arrays, with already-quantized weights copied
// in by layer name, and with every layer of interest's input appended to the
// entry's results. It is compiled by targets/CPU exactly like a final binary
// (one semantics), linked as a shared object and run from worker threads.
//
//===----------------------------------------------------------------------===//

#include "lib/Calibration/Calibration.h"

#include "dialects/QC/IR/QC.h"
#include "lib/Import/ONNXImporter.h"
#include "lib/Support/LayerQuantization.h"
#include "lib/Support/WeightConstants.h"

extern "C" {
#include "Npy.h"
}

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <Eigen/Dense>

#include <atomic>
#include <cmath>
#include <chrono>
#include <dlfcn.h>
#include <mutex>
#include <thread>

using namespace mlir;
using namespace mlir::qc;

std::string mlir::qc::loadCalibrationSet(ArrayRef<std::string> specs,
                                         std::vector<CalibrationArray> &set) {
  for (const std::string &spec : specs) {
    auto [name, path] = StringRef(spec).split('=');
    if (name.empty() || path.empty())
      return "--calib expects NAME=FILE.npy, got '" + spec + "'";
    qc_npy_array array;
    char err[512];
    if (qc_npy_read(path.str().c_str(), &array, err, sizeof(err)) != 0)
      return "--calib " + name.str() + ": " + err;
    if (array.rank < 1 || array.shape[0] < 1) {
      qc_npy_free(&array);
      return "--calib " + name.str() + ": '" + path.str() +
             "' must have a leading sample dimension";
    }
    // Non-finite samples would poison every statistic (and GPTQ's Cholesky).
    size_t count = array.nbytes / std::max<size_t>(1, qc_dtype_size(array.dtype));
    for (size_t i = 0; i < count; ++i) {
      double v = 0;
      if (array.dtype == QC_DTYPE_F32)
        v = static_cast<const float *>(array.data)[i];
      else if (array.dtype == QC_DTYPE_F64)
        v = static_cast<const double *>(array.data)[i];
      if (std::isfinite(v))
        continue;
      int64_t perSample = count / array.shape[0];
      qc_npy_free(&array);
      return "--calib " + name.str() + ": '" + path.str() +
             "' holds a non-finite value (" + (std::isnan(v) ? "NaN" : "inf") +
             ") in sample " + std::to_string(i / perSample) + " (element " +
             std::to_string(i % perSample) + ")";
    }
    CalibrationArray a;
    a.name = name.str();
    a.dtype = array.dtype;
    a.numSamples = array.shape[0];
    a.sampleShape.assign(array.shape + 1, array.shape + array.rank);
    const char *bytes = static_cast<const char *>(array.data);
    a.data.assign(bytes, bytes + array.nbytes);
    qc_npy_free(&array);
    if (!set.empty() && set.front().numSamples != a.numSamples)
      return "--calib arrays disagree on the number of samples (" +
             std::to_string(set.front().numSamples) + " vs " +
             std::to_string(a.numSamples) + ")";
    set.push_back(std::move(a));
  }
  return "";
}

namespace {

/// How a layer's instrumented output becomes rows of its input X.
struct LayerProbe {
  std::string name;
  /// Every layer reading the probed tensor (q/k/v projections share one).
  std::vector<std::string> layers;
  int64_t rowLength;
  bool isConv = false;
  // Convolution geometry (group == 1): input [N, C, H, W], kernel KH x KW.
  int64_t c = 0, h = 0, w = 0, kh = 0, kw = 0, oh = 0, ow = 0;
  SmallVector<int64_t> strides, pads, dilations;
};

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

/// Copies every quantized weight of `source` into the layer of the same
/// name in `target`.
void transplantQuantizedWeights(ModuleOp source, func::FuncOp target) {
  llvm::StringMap<QuantizedWeightOp> quantized;
  source.walk([&](QuantizableLayer layer) {
    if (auto q =
            layer.getWeightOperand().get().getDefiningOp<QuantizedWeightOp>())
      quantized[getLayerName(layer->getLoc())] = q;
  });
  target.walk([&](QuantizableLayer layer) {
    auto it = quantized.find(getLayerName(layer->getLoc()));
    OpOperand &weight = layer.getWeightOperand();
    if (it == quantized.end() || isa<QWeightType>(weight.get().getType()))
      return;
    OpBuilder b(layer);
    IRMapping mapping;
    for (Value operand : it->second->getOperands())
      b.clone(*operand.getDefiningOp(), mapping);
    Operation *q = b.clone(*it->second, mapping);
    Value old = weight.get();
    weight.set(q->getResult(0));
    if (old.use_empty())
      old.getDefiningOp()->erase();
  });
}

/// Appends the input of every layer in `names` to the entry's results.
FailureOr<std::vector<LayerProbe>> instrument(func::FuncOp func,
                                              ArrayRef<std::string> names) {
  std::vector<LayerProbe> probes;
  SmallVector<Value> extra;
  WalkResult result = func.walk([&](QuantizableLayer layer) {
    std::string name = getLayerName(layer->getLoc());
    if (!llvm::is_contained(names, name))
      return WalkResult::advance();
    Value input = layer->getOperand(0);
    // Layers reading one tensor as rows of the same length share its probe.
    ArrayRef<int64_t> w =
        getWeightShape(layer.getWeightOperand().get().getType());
    for (auto [p, v] : llvm::zip(probes, extra))
      if (v == input && !p.isConv && !isa<Conv2DOp>(layer.getOperation()) &&
          p.rowLength == w.back()) {
        p.layers.push_back(name);
        return WalkResult::advance();
      }
    LayerProbe probe;
    probe.name = name;
    probe.layers = {name};
    int64_t rowLength = 1;
    for (int64_t d : w.drop_front())
      rowLength *= d;
    probe.rowLength = rowLength;
    if (auto conv = dyn_cast<Conv2DOp>(layer.getOperation())) {
      if (conv.getGroup() != 1) {
        layer->emitError("calibration of grouped convolutions is not "
                         "supported yet");
        return WalkResult::interrupt();
      }
      auto in = conv.getInput().getType().getShape();
      auto out = conv.getResult().getType().getShape();
      probe.isConv = true;
      probe.c = in[1];
      probe.h = in[2];
      probe.w = in[3];
      probe.kh = w[2];
      probe.kw = w[3];
      probe.oh = out[2];
      probe.ow = out[3];
      probe.strides.assign(conv.getStrides().begin(), conv.getStrides().end());
      probe.pads.assign(conv.getPads().begin(), conv.getPads().end());
      probe.dilations.assign(conv.getDilations().begin(),
                             conv.getDilations().end());
    }
    probes.push_back(std::move(probe));
    extra.push_back(input);
    return WalkResult::advance();
  });
  if (result.wasInterrupted())
    return failure();
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  unsigned first = ret.getNumOperands();
  ret->insertOperands(first, extra);
  SmallVector<Type> results(func.getFunctionType().getResults());
  for (Value v : extra)
    results.push_back(v.getType());
  func.setType(FunctionType::get(func.getContext(),
                                 func.getFunctionType().getInputs(), results));
  for (unsigned i = 0; i < extra.size(); ++i)
    func.setResultAttr(
        first + i, kTensorNameAttr,
        StringAttr::get(func.getContext(), "__calib." + probes[i].name));
  return probes;
}

/// Per-thread accumulation of one layer's statistics.
struct Accumulator {
  Eigen::MatrixXd xtx;
  Eigen::VectorXd sumAbs;
  int64_t rows = 0;
};

/// Rows of X for `probe` from the layer-input buffer of one batch.
Eigen::MatrixXf rowsOf(const LayerProbe &probe, const float *data,
                       int64_t numel) {
  int64_t k = probe.rowLength;
  if (!probe.isConv)
    return Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                                          Eigen::RowMajor>>(data, numel / k, k);
  // im2col: one row per (image, output position), columns (c, kh, kw) as in
  // the flattened weight; padding reads as 0.
  int64_t images = numel / (probe.c * probe.h * probe.w);
  Eigen::MatrixXf x(images * probe.oh * probe.ow, k);
  for (int64_t n = 0; n < images; ++n)
    for (int64_t oy = 0; oy < probe.oh; ++oy)
      for (int64_t ox = 0; ox < probe.ow; ++ox) {
        int64_t row = (n * probe.oh + oy) * probe.ow + ox;
        for (int64_t c = 0; c < probe.c; ++c)
          for (int64_t ky = 0; ky < probe.kh; ++ky)
            for (int64_t kx = 0; kx < probe.kw; ++kx) {
              int64_t y = oy * probe.strides[0] + ky * probe.dilations[0] -
                          probe.pads[0];
              int64_t xx = ox * probe.strides[1] + kx * probe.dilations[1] -
                           probe.pads[1];
              float v = 0;
              if (y >= 0 && y < probe.h && xx >= 0 && xx < probe.w)
                v = data[((n * probe.c + c) * probe.h + y) * probe.w + xx];
              x(row, (c * probe.kh + ky) * probe.kw + kx) = v;
            }
      }
  return x;
}

/// Token ids (any graph input indexing a Gather directly) must lie in the
/// table: the compiled Gather would clamp them, giving statistics of a
/// different input without a word.
LogicalResult checkIndexInputs(func::FuncOp func,
                               const std::vector<CalibrationArray> &set,
                               Location loc) {
  WalkResult result = func.walk([&](linalg::GenericOp gather) {
    auto bound = gather->getAttrOfType<IntegerAttr>(kIndexBoundAttr);
    auto arg = bound ? dyn_cast<BlockArgument>(gather.getDpsInputs()[0])
                     : BlockArgument();
    if (!arg)
      return WalkResult::advance();
    auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                  kTensorNameAttr);
    auto it = llvm::find_if(set, [&](const CalibrationArray &a) {
      return name && a.name == name.getValue();
    });
    if (it == set.end() ||
        (it->dtype != QC_DTYPE_I64 && it->dtype != QC_DTYPE_I32))
      return WalkResult::advance();
    int64_t size = bound.getInt();
    size_t width = qc_dtype_size(it->dtype), count = it->data.size() / width;
    for (size_t i = 0; i < count; ++i) {
      int64_t v = it->dtype == QC_DTYPE_I64
                      ? reinterpret_cast<const int64_t *>(it->data.data())[i]
                      : reinterpret_cast<const int32_t *>(it->data.data())[i];
      if (v >= -size && v < size)
        continue;
      int64_t perSample = count / it->numSamples;
      emitError(loc) << "--calib " << it->name << ": value " << v
                     << " in sample " << i / perSample << " (element "
                     << i % perSample << ") is outside the " << size
                     << " rows that node '" << getLayerName(gather.getLoc())
                     << "' gathers from (valid: " << -size << " to "
                     << size - 1 << ")";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

} // namespace

FailureOr<llvm::StringMap<LayerStatistics>>
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

  // Batch shape: a free (symbolic) leading dim takes several samples per
  // run; a fixed one must divide the sample count.
  int64_t numSamples = set.front().numSamples, batch = -1;
  ImportOptions importOptions;
  for (const DeclaredInput &input : *declared) {
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
    importOptions.inputShapes[input.name] = pin;
  }

  auto t0 = std::chrono::steady_clock::now();
  auto phase = [&](const char *what) {
    if (!std::getenv("QC_CALIBRATION_TIMING"))
      return;
    auto t1 = std::chrono::steady_clock::now();
    llvm::errs() << "calibration: " << what << " "
                 << std::chrono::duration<double>(t1 - t0).count() << " s\n";
    t0 = t1;
  };
  OwningOpRef<ModuleOp> module =
      importONNXFile(options.modelPath, &ctx, importOptions);
  if (!module)
    return failure();
  auto func = module->lookupSymbol<func::FuncOp>(kEntryFunction);
  if (failed(checkIndexInputs(func, set, loc)))
    return failure();
  if (quantizedSource)
    transplantQuantizedWeights(quantizedSource, func);
  unsigned numOutputs = func.getNumResults();
  FailureOr<std::vector<LayerProbe>> probes = instrument(func, layerNames);
  if (failed(probes))
    return failure();

  // Compile exactly as a final binary, then link a shared object.
  FailureOr<ModelSignature> signature = getModelSignature(*module);
  if (failed(signature) || failed(lowerToLLVMDialect(*module)))
    return failure();
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(options.target, error);
  if (!machine)
    return emitError(loc) << error;
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateToLLVMIR(
      *module, llvmContext, *signature, *machine, options.target.optLevel);
  if (!llvmModule)
    return failure();
  SmallString<128> object, shared;
  if (llvm::sys::fs::createTemporaryFile("quantc-calib", "o", object) ||
      llvm::sys::fs::createTemporaryFile("quantc-calib", "so", shared))
    return emitError(loc) << "cannot create temporary files";
  llvm::FileRemover removeObject(object), removeShared(shared);
  if (failed(emitObjectFile(*llvmModule, *machine, object, error)) ||
      failed(runSystemLinker(
          options.linker,
          {"-shared", object.str().str(), "-lm", "-o", shared.str().str()},
          error)))
    return emitError(loc) << "calibration model: " << error;
  phase("compile");
  LoadedModel model;
  model.handle = dlopen(shared.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (model.handle) {
    model.run = reinterpret_cast<void (*)(void **)>(
        dlsym(model.handle, "qc_model_run"));
    model.desc =
        static_cast<const qc_model_desc *>(dlsym(model.handle, "qc_model"));
  }
  if (!model.run || !model.desc)
    return emitError(loc) << "cannot load the calibration model: " << dlerror();

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

  int64_t numBatches = numSamples / batch;
  unsigned threads =
      std::max<unsigned>(1, std::min<unsigned>(options.threads, numBatches));
  size_t numProbes = probes->size();
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
      int64_t k = (*probes)[p].rowLength;
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
        const qc_tensor_desc &out = desc.outputs[numOutputs + p];
        const auto *data = reinterpret_cast<const float *>(
            buffers[desc.num_inputs + numOutputs + p].data());
        int64_t numel = bytesOf(out) / sizeof(float);
        Eigen::MatrixXf x = rowsOf((*probes)[p], data, numel);
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
  phase("run");

  llvm::StringMap<LayerStatistics> stats;
  for (size_t p = 0; p < numProbes; ++p) {
    int64_t k = (*probes)[p].rowLength;
    Eigen::MatrixXd xtx = Eigen::MatrixXd::Zero(k, k);
    Eigen::VectorXd sumAbs = Eigen::VectorXd::Zero(k);
    int64_t rows = 0;
    for (auto &acc : partial) {
      if (acc.empty())
        continue;
      xtx += acc[p].xtx;
      sumAbs += acc[p].sumAbs;
      rows += acc[p].rows;
    }
    // Only the lower triangle was accumulated.
    xtx = xtx.selfadjointView<Eigen::Lower>();
    LayerStatistics &s = results[p];
    s.rowLength = k;
    s.rows = rows;
    s.xtx.assign(xtx.data(), xtx.data() + k * k);
    s.sumAbs.assign(sumAbs.data(), sumAbs.data() + k);
    for (const std::string &layer : (*probes)[p].layers)
      stats[layer] = s;
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

void mlir::qc::attachStatistics(ModuleOp module,
                                const llvm::StringMap<LayerStatistics> &stats) {
  MLIRContext *ctx = module.getContext();
  module.walk([&](QuantizableLayer layer) {
    std::string name = getLayerName(layer->getLoc());
    auto it = stats.find(name);
    if (it == stats.end() || it->second.rows == 0)
      return;
    const LayerStatistics &s = it->second;
    int64_t k = s.rowLength;
    double n = double(s.rows);
    std::vector<float> hessian(k * k), meanAbs(k);
    for (int64_t i = 0; i < k * k; ++i)
      hessian[i] = float(2.0 * s.xtx[i] / n);
    for (int64_t i = 0; i < k; ++i)
      meanAbs[i] = float(s.sumAbs[i] / n);
    layer->setAttr(kHessianAttr,
                   floatAttr(ctx, {k, k}, hessian, name + ".hessian"));
    layer->setAttr(kMeanAbsAttr,
                   floatAttr(ctx, {k}, meanAbs, name + ".act_mean_abs"));
    layer->setAttr(kSamplesAttr, floatAttr(ctx, {s.sampleRows, k}, s.samples,
                                           name + ".act_samples"));
  });
}
