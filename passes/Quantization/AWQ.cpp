//===- AWQ.cpp - AWQ weight quantization pass -----------------------------===//
//
// Reads each layer's activation statistics, runs the published scale and
// clip searches (lib/Support/AWQ.cpp, Eigen) and writes the quantized weight
// with 1/s as its column scales: exact, and independent of whether the
// previous op could have absorbed the scales.
//
//===----------------------------------------------------------------------===//

#include "passes/Quantization/Passes.h"

#include "lib/Support/AWQ.h"
#include "lib/Support/LayerQuantization.h"

#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::qc {
#define GEN_PASS_DEF_AWQPASS
#include "passes/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct AWQPass final : mlir::qc::impl::AWQPassBase<AWQPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    FailureOr<WeightPassOptions> options = parseWeightPassOptions(
        func, "qc-awq", bits, groupSize, symmetric, scaleType, exclude);
    if (failed(options))
      return signalPassFailure();
    if (grid < 1 || maxShrink < 0 || maxShrink >= 1) {
      func.emitError("qc-awq: grid must be >= 1 and max-shrink in [0, 1)");
      return signalPassFailure();
    }
    FailureOr<std::vector<LayerToQuantize>> layers =
        collectLayers(func, "qc-awq", *options);
    if (failed(layers))
      return signalPassFailure();
    for (LayerToQuantize &layer : *layers) {
      int64_t k = layer.rowLength();
      FailureOr<std::vector<float>> meanAbs =
          readStatsAttr(layer.layer, kMeanAbsAttr, {k});
      auto samplesAttr = layer.layer->getAttrOfType<ElementsAttr>(kSamplesAttr);
      int64_t tokens =
          samplesAttr ? cast<ShapedType>(samplesAttr.getType()).getDimSize(0)
                      : 0;
      FailureOr<std::vector<float>> samples =
          readStatsAttr(layer.layer, kSamplesAttr, {tokens, k});
      if (failed(meanAbs) || failed(samples) || tokens == 0) {
        if (!requireStatistics)
          continue;
        layer.layer->emitError()
            << "qc-awq: layer '" << layer.name
            << "' has no activation statistics (attributes " << kMeanAbsAttr
            << " : tensor<" << k << "xf32> and " << kSamplesAttr
            << " : tensor<Tx" << k << "xf32>)";
        return signalPassFailure();
      }
      AWQOptions awq;
      awq.spec = layer.spec;
      awq.spec.rangeIncludesZero = false; // The AWQ authors' quantizer.
      awq.nGrid = grid;
      awq.searchScale = searchScale;
      awq.searchClip = searchClip;
      awq.maxShrink = maxShrink;
      AWQResult result;
      std::string error;
      if (!runAWQ(layer.weights.data(), layer.rows(), k, samples->data(),
                  tokens, meanAbs->data(), awq, result, &error)) {
        layer.layer->emitError()
            << "qc-awq: layer '" << layer.name << "': " << error;
        return signalPassFailure();
      }
      layer.spec = awq.spec;
      std::vector<float> multipliers;
      bool identity = true;
      for (float s : result.columnScales) {
        multipliers.push_back(1.0f / s);
        identity &= s == 1.0f;
      }
      replaceWeight(layer, result.q, *options,
                    identity ? ArrayRef<float>()
                             : ArrayRef<float>(multipliers));
      Operation *q = layer.layer.getWeightOperand().get().getDefiningOp();
      OpBuilder b(q);
      q->setAttr("qc.awq_alpha", b.getF64FloatAttr(result.alpha));
    }
    removeStatsAttrs(func);
  }
};

} // namespace
