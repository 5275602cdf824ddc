//===- Instrument.cpp - Make the model return what calibration measures ---===//
//
// The calibration model is the ONNX model imported again at a batch shape,
// with already-quantized weights copied in by layer name, and with the
// input of every layer of interest as the entry's results; each returned
// buffer then becomes rows of the layer's input X (im2col for a conv).
//
//===----------------------------------------------------------------------===//

#include "lib/Calibration/CalibrationImpl.h"

#include "dialects/QC/IR/QC.h"
#include "lib/Support/LayerQuantization.h"
#include "lib/Support/WeightConstants.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::calibration;

/// Copies every quantized weight of `source` into the layer of the same
/// name in `target`.
void mlir::qc::transplantQuantizedWeights(ModuleOp source,
                                          func::FuncOp target) {
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

/// Erases the ops of `func`'s body whose results nobody reads, last first
/// (the weights they held are then no longer part of the model).
static void eraseDeadOps(func::FuncOp func) {
  Block &body = func.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&op))
      op.erase();
}

/// Makes the input of every layer in `names` the entry's results.
FailureOr<std::vector<LayerProbe>>
mlir::qc::calibration::instrument(func::FuncOp func,
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
  // The probes are all the calibration model returns: the model's own
  // outputs and everything computed only for them (the blocks after the
  // last probed layer, the LM head) are dead code, so a sequential stage
  // runs the model only up to its block.
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  ret->setOperands(extra);
  SmallVector<Type> results;
  for (Value v : extra)
    results.push_back(v.getType());
  func.setType(FunctionType::get(func.getContext(),
                                 func.getFunctionType().getInputs(), results));
  func.setAllResultAttrs(ArrayRef<DictionaryAttr>{});
  for (unsigned i = 0; i < extra.size(); ++i)
    func.setResultAttr(
        i, kTensorNameAttr,
        StringAttr::get(func.getContext(), "__calib." + probes[i].name));
  eraseDeadOps(func);
  return probes;
}

/// Rows of X for `probe` from the layer-input buffer of one batch.
Eigen::MatrixXf mlir::qc::calibration::rowsOf(const LayerProbe &probe,
                                              const float *data,
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
