//===- RTN.cpp - Round-to-nearest weight quantization ---------------------===//
//
// The baseline every other weight pass is measured against: per-group
// min/max parameters and nearest codes, no calibration data needed.
//
//===----------------------------------------------------------------------===//

#include "passes/Quantization/Passes.h"

#include "lib/Support/LayerQuantization.h"

namespace mlir::qc {
#define GEN_PASS_DEF_RTNPASS
#include "passes/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct RTNPass final : mlir::qc::impl::RTNPassBase<RTNPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    FailureOr<WeightPassOptions> options = parseWeightPassOptions(
        func, "qc-rtn", bits, groupSize, symmetric, scaleType, exclude);
    if (failed(options))
      return signalPassFailure();
    // Layer by layer: one layer's float copy at a time.
    if (failed(
            forEachLayer(func, "qc-rtn", *options, [&](LayerToQuantize &layer) {
              QuantizedMatrix q =
                  quantizeRTN(layer.weights.data(), layer.rows(),
                              layer.rowLength(), layer.spec);
              replaceWeight(layer, q, *options);
              return success();
            })))
      return signalPassFailure();
  }
};

} // namespace
