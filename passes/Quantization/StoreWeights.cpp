//===- StoreWeights.cpp - qc-store-weights: f16/bf16 float weights --------===//
//
// Converts the f32 weight constant of every float qc layer to the storage
// type asked for; the lowering widens it back element by element.
//
//===----------------------------------------------------------------------===//

#include "passes/Quantization/Passes.h"

#include "lib/Support/WeightConstants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cmath>

namespace mlir::qc {
#define GEN_PASS_DEF_STOREWEIGHTSPASS
#include "passes/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct StoreWeightsPass final
    : mlir::qc::impl::StoreWeightsPassBase<StoreWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (type == "f32")
      return;
    if (type != "f16" && type != "bf16") {
      func.emitError() << "qc-store-weights: type must be f32, f16 or bf16, "
                          "got '"
                       << type << "'";
      return signalPassFailure();
    }
    Builder builder(&getContext());
    FloatType storage = type == "f16" ? FloatType(builder.getF16Type())
                                      : FloatType(builder.getBF16Type());
    WalkResult result = func.walk([&](QuantizableLayer layer) {
      OpOperand &operand = layer.getWeightOperand();
      auto weightType = dyn_cast<RankedTensorType>(operand.get().getType());
      if (!weightType || !weightType.getElementType().isF32())
        return WalkResult::advance();
      FailureOr<std::vector<float>> values = readF32Constant(operand.get());
      if (failed(values))
        return WalkResult::advance(); // Not a constant: stays as it is.
      if (storage.isF16())
        for (float v : *values)
          if (std::isfinite(v) && std::fabs(v) > 65504.0f) {
            layer->emitError()
                << "qc-store-weights: layer '" << getLayerName(layer->getLoc())
                << "' has a weight of magnitude " << v
                << ", beyond f16's 65504 (use bf16 or f32)";
            return WalkResult::interrupt();
          }
      OpBuilder b(layer);
      Value old = operand.get();
      operand.set(createFloatConstant(
          b, old.getLoc(),
          RankedTensorType::get(weightType.getShape(), storage), *values,
          getLayerName(layer->getLoc()) + ".weight"));
      if (old.use_empty())
        old.getDefiningOp()->erase();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
