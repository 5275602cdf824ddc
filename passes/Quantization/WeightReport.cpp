//===- WeightReport.cpp - JSON report of layer weight formats -------------===//
//
// What users check after quantizing: per layer bits, grouping, bytes and
// error, read off the IR itself so the numbers match what gets compiled.
//
//===----------------------------------------------------------------------===//

#include "passes/Quantization/Passes.h"

#include "lib/Support/LayerQuantization.h"
#include "lib/Support/WeightConstants.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace mlir::qc {
#define GEN_PASS_DEF_WEIGHTREPORTPASS
#include "passes/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

/// JSON has no NaN or infinity: such a number becomes null.
llvm::json::Value number(double v) {
  if (!std::isfinite(v))
    return nullptr;
  return v;
}

/// Bits per weight of `bytes` for `numel` weights (0 for empty weights).
llvm::json::Value bitsPerWeight(int64_t bytes, int64_t numel) {
  return numel ? number(double(bytes) * 8.0 / double(numel)) : 0.0;
}

struct WeightReportPass final
    : mlir::qc::impl::WeightReportPassBase<WeightReportPass> {
  using Base::Base;

  void runOnOperation() override {
    llvm::json::Array layers;
    int64_t totalBytes = 0, totalFloatBytes = 0, totalWeights = 0;
    getOperation().walk([&](QuantizableLayer layer) {
      Type type = layer.getWeightOperand().get().getType();
      ArrayRef<int64_t> shape = getWeightShape(type);
      int64_t numel = 1;
      for (int64_t d : shape)
        numel *= d;
      llvm::json::Object entry{{"name", getLayerName(layer->getLoc())},
                               {"op", layer->getName().getStringRef()},
                               {"shape", llvm::json::Array(shape)}};
      int64_t bytes = numel * 4;
      if (auto t = dyn_cast<RankedTensorType>(type))
        bytes = numel * t.getElementType().getIntOrFloatBitWidth() / 8;
      if (auto q = dyn_cast<QWeightType>(type)) {
        // Per-column operands (AWQ column scales, act-order group index)
        // are stored too: the report must add up to the binary's bytes.
        auto quantized =
            layer.getWeightOperand().get().getDefiningOp<QuantizedWeightOp>();
        bytes = quantized ? quantized.getStorageBytes() : q.getStorageBytes();
        q.getLayout().describe(entry);
        Operation *def = quantized;
        if (auto err = def ? def->getAttrOfType<FloatAttr>(kRelErrorAttr)
                           : FloatAttr())
          entry["rel_error"] = number(err.getValueAsDouble());
        if (auto dead = def ? def->getAttrOfType<IntegerAttr>(kDeadColumnsAttr)
                            : IntegerAttr())
          entry["dead_columns"] = dead.getInt();
      } else {
        entry["bits"] = int64_t(cast<RankedTensorType>(type)
                                    .getElementType()
                                    .getIntOrFloatBitWidth());
        entry["rel_error"] = 0.0;
        auto reason = layer->getAttrOfType<StringAttr>(kFloatReasonAttr);
        entry["float_reason"] =
            reason ? reason.getValue().str() : std::string("not quantized");
      }
      entry["bytes"] = bytes;
      entry["float_bytes"] = numel * 4;
      entry["bits_per_weight"] = bitsPerWeight(bytes, numel);
      totalBytes += bytes;
      totalFloatBytes += numel * 4;
      totalWeights += numel;
      layers.push_back(std::move(entry));
    });
    // MatMul/Gemm/Conv nodes whose weight is known at compile time but that
    // are not qc layers (the importer says why): float weights too.
    getOperation().walk([&](Operation *op) {
      auto reason = op->getAttrOfType<StringAttr>(kFloatReasonAttr);
      auto shapeAttr = op->getAttrOfType<DenseI64ArrayAttr>(kWeightShapeAttr);
      if (!reason || !shapeAttr || isa<QuantizableLayer>(op))
        return;
      ArrayRef<int64_t> shape = shapeAttr.asArrayRef();
      int64_t numel = 1;
      for (int64_t d : shape)
        numel *= d;
      llvm::json::Object entry{{"name", getLayerName(op->getLoc())},
                               {"op", op->getName().getStringRef()},
                               {"shape", llvm::json::Array(shape)},
                               {"bits", 32},
                               {"rel_error", 0.0},
                               {"float_reason", reason.getValue().str()},
                               {"bytes", numel * 4},
                               {"float_bytes", numel * 4},
                               {"bits_per_weight", 32.0}};
      totalBytes += numel * 4;
      totalFloatBytes += numel * 4;
      totalWeights += numel;
      layers.push_back(std::move(entry));
    });
    llvm::json::Object report{
        {"layers", std::move(layers)},
        {"total_bytes", totalBytes},
        {"total_float_bytes", totalFloatBytes},
        {"bits_per_weight", bitsPerWeight(totalBytes, totalWeights)}};
    if (!producer.empty())
      report["producer"] = producer;
    if (!commandLine.empty())
      report["command_line"] = commandLine;

    std::error_code ec;
    llvm::raw_fd_ostream os(output, ec, llvm::sys::fs::OF_Text);
    if (ec) {
      getOperation().emitError("qc-weight-report: cannot write '")
          << output << "': " << ec.message();
      return signalPassFailure();
    }
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
    markAllAnalysesPreserved();
  }
};

} // namespace
