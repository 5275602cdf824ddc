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

  LogicalResult quantizeGroup(std::vector<LayerToQuantize *> &group,
                              const WeightPassOptions &options) {
    LayerToQuantize &first = *group.front();
    int64_t k = first.rowLength();
    FailureOr<std::vector<float>> meanAbs =
        readStatsAttr(first.layer, kMeanAbsAttr, {k});
    auto samplesAttr = first.layer->getAttrOfType<ElementsAttr>(kSamplesAttr);
    int64_t tokens =
        samplesAttr ? cast<ShapedType>(samplesAttr.getType()).getDimSize(0) : 0;
    FailureOr<std::vector<float>> samples =
        readStatsAttr(first.layer, kSamplesAttr, {tokens, k});
    if (failed(meanAbs) || failed(samples) || tokens == 0) {
      if (!requireStatistics)
        return success();
      return first.layer->emitError()
             << "qc-awq: layer '" << first.name
             << "' has no activation statistics (attributes " << kMeanAbsAttr
             << " : tensor<" << k << "xf32> and " << kSamplesAttr
             << " : tensor<Tx" << k << "xf32>)";
    }
    // The group's weights stacked row-wise: one search for all outputs.
    std::vector<float> weights;
    int64_t rows = 0;
    for (LayerToQuantize *layer : group) {
      llvm::append_range(weights, layer->weights);
      rows += layer->rows();
    }
    AWQOptions awq;
    awq.spec = first.spec;
    awq.spec.rangeIncludesZero = false; // The AWQ authors' quantizer.
    awq.nGrid = grid;
    awq.searchScale = searchScale;
    awq.searchClip = searchClip;
    awq.maxShrink = maxShrink;
    AWQResult result;
    std::string error;
    if (!runAWQ(weights.data(), rows, k, samples->data(), tokens,
                meanAbs->data(), awq, result, &error))
      return first.layer->emitError()
             << "qc-awq: layer '" << first.name << "': " << error;
    std::vector<float> multipliers;
    bool identity = true;
    for (float s : result.columnScales) {
      multipliers.push_back(1.0f / s);
      identity &= s == 1.0f;
    }
    int64_t numGroups = awq.spec.numGroups(k), row = 0;
    for (LayerToQuantize *layer : group) {
      // This layer's rows of the group's codes and parameters.
      int64_t n = layer->rows();
      QuantizedMatrix q;
      q.codes.assign(result.q.codes.begin() + row * k,
                     result.q.codes.begin() + (row + n) * k);
      q.scales.assign(result.q.scales.begin() + row * numGroups,
                      result.q.scales.begin() + (row + n) * numGroups);
      q.zeroPoints.assign(result.q.zeroPoints.begin() + row * numGroups,
                          result.q.zeroPoints.begin() + (row + n) * numGroups);
      row += n;
      layer->spec = awq.spec;
      replaceWeight(*layer, q, options,
                    identity ? ArrayRef<float>()
                             : ArrayRef<float>(multipliers));
      Operation *qw = layer->layer.getWeightOperand().get().getDefiningOp();
      qw->setAttr("qc.awq_alpha",
                  Builder(qw->getContext()).getF64FloatAttr(result.alpha));
    }
    return success();
  }

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
    // Layers reading the same input (q/k/v projections, up/gate) form one
    // group: their scales are searched together, minimizing the error of
    // all their outputs, as the published algorithm does.
    std::vector<std::vector<LayerToQuantize *>> groups;
    for (LayerToQuantize &layer : *layers) {
      auto same = [&](const std::vector<LayerToQuantize *> &g) {
        const LayerToQuantize &first = *g.front();
        return first.layer->getOperand(0) == layer.layer->getOperand(0) &&
               first.rowLength() == layer.rowLength() &&
               first.spec.bits == layer.spec.bits &&
               first.spec.groupSize == layer.spec.groupSize &&
               first.spec.symmetric == layer.spec.symmetric;
      };
      auto it = llvm::find_if(groups, same);
      if (it != groups.end())
        it->push_back(&layer);
      else
        groups.push_back({&layer});
    }
    for (std::vector<LayerToQuantize *> &group : groups)
      if (failed(quantizeGroup(group, *options)))
        return signalPassFailure();
    removeStatsAttrs(func);
  }
};

} // namespace
