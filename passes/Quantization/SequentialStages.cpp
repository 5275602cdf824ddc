//===- SequentialStages.cpp - qc-sequential-stages ------------------------===//
//
// Writes the stage found by findSequentialStages on every layer, so the
// block structure is visible in the IR and testable on its own.
//
//===----------------------------------------------------------------------===//

#include "passes/Quantization/Passes.h"

#include "lib/Support/LayerQuantization.h"
#include "lib/Support/SequentialStages.h"
#include "lib/Support/WeightConstants.h"

namespace mlir::qc {
#define GEN_PASS_DEF_SEQUENTIALSTAGESPASS
#include "passes/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct SequentialStagesPass final
    : mlir::qc::impl::SequentialStagesPassBase<SequentialStagesPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    std::vector<std::string> names;
    bool unnamed = false;
    func.walk([&](QuantizableLayer layer) {
      std::string name = getLayerName(layer->getLoc());
      unnamed |= name.empty() || llvm::is_contained(names, name);
      names.push_back(name);
    });
    if (unnamed) {
      func.emitError("qc-sequential-stages: every layer needs a distinct "
                     "name (its ONNX node name as location)");
      return signalPassFailure();
    }
    std::vector<std::vector<std::string>> stages =
        findSequentialStages(func, names);
    llvm::StringMap<int64_t> stageOf;
    for (auto [i, stage] : llvm::enumerate(stages))
      for (const std::string &name : stage)
        stageOf[name] = i;
    Builder b(func.getContext());
    func.walk([&](QuantizableLayer layer) {
      layer->setAttr(
          kLayerStageAttr,
          b.getI64IntegerAttr(stageOf[getLayerName(layer->getLoc())]));
    });
  }
};

} // namespace
