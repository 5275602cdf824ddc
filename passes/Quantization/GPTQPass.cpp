//===- GPTQPass.cpp - The qc-gptq pass ------------------------------------===//
//
// Reads each layer's calibration Hessian, runs the published algorithm
// (lib/Quant/GPTQSolver.cpp, Eigen) and writes the quantized weight. The
// algorithm is plain C++ so unit tests check it against a naive reference.
//
//===----------------------------------------------------------------------===//

#include "passes/Quantization/Passes.h"

#include "lib/Quant/GPTQSolver.h"
#include "lib/Support/LayerQuantization.h"

namespace mlir::qc {
#define GEN_PASS_DEF_GPTQPASS
#include "passes/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct GPTQPass final : mlir::qc::impl::GPTQPassBase<GPTQPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    FailureOr<WeightPassOptions> options = parseWeightPassOptions(
        func, "qc-gptq", bits, groupSize, symmetric, scaleType, exclude);
    if (failed(options))
      return signalPassFailure();
    if (damp < 0 || blockSize < 1) {
      func.emitError("qc-gptq: damp must be >= 0 and block-size >= 1");
      return signalPassFailure();
    }
    // Without required statistics only the layers that have them (this
    // sequential stage's) are read.
    FailureOr<std::vector<LayerToQuantize>> layers =
        collectLayers(func, "qc-gptq", *options, [&](QuantizableLayer layer) {
          return requireStatistics || layer->hasAttr(kHessianAttr);
        });
    if (failed(layers))
      return signalPassFailure();
    for (LayerToQuantize &layer : *layers) {
      int64_t k = layer.rowLength();
      FailureOr<std::vector<float>> hessian =
          readStatsAttr(layer.layer, kHessianAttr, {k, k});
      if (failed(hessian)) {
        if (!requireStatistics)
          continue;
        layer.layer->emitError()
            << "qc-gptq: layer '" << layer.name
            << "' has no calibration Hessian (attribute " << kHessianAttr
            << " : tensor<" << k << "x" << k << "xf32>)";
        return signalPassFailure();
      }
      GPTQOptions gptq;
      gptq.spec = layer.spec;
      gptq.dampPercent = damp;
      gptq.blockSize = blockSize;
      gptq.actOrder = actOrder;
      gptq.staticGroups = staticGroups;
      std::vector<double> h(hessian->begin(), hessian->end());
      GPTQResult result;
      std::string error;
      if (!runGPTQ(layer.weights.data(), layer.rows(), k, h.data(), gptq,
                   result, &error)) {
        layer.layer->emitError()
            << "qc-gptq: layer '" << layer.name << "': " << error;
        return signalPassFailure();
      }
      replaceWeight(layer, result.q, *options, {}, result.groupIndex);
      if (result.deadColumns > 0)
        layer.layer.getWeightOperand().get().getDefiningOp()->setAttr(
            kDeadColumnsAttr,
            Builder(&getContext()).getI64IntegerAttr(result.deadColumns));
    }
    removeStatsAttrs(func);
  }
};

} // namespace
