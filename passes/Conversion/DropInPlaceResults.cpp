//===- DropInPlaceResults.cpp - Results that are their own arguments ------===//
//
// After bufferization a KV cache updated in place comes back as the very
// argument buffer it was written into; returning it would make
// buffer-results-to-out-params copy the whole cache into an out-param every
// step. The result (marked qc.kv_cache) is dropped instead: the caller holds
// that buffer. A marked result that is not its argument's buffer means the
// cache was copied, which is reported rather than compiled.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "dialects/QC/IR/QCContract.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/BitVector.h"

namespace mlir::qc {
#define GEN_PASS_DEF_DROPINPLACERESULTSPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

struct DropInPlaceResultsPass final
    : mlir::qc::impl::DropInPlaceResultsPassBase<DropInPlaceResultsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || !func.getBody().hasOneBlock())
      return;
    auto ret = cast<func::ReturnOp>(func.front().getTerminator());
    llvm::BitVector drop(ret.getNumOperands());
    for (OpOperand &operand : ret->getOpOperands()) {
      unsigned i = operand.getOperandNumber();
      if (!func.getResultAttr(i, qc::kKVCacheAttr))
        continue;
      auto arg = dyn_cast<BlockArgument>(operand.get());
      if (!arg || arg.getOwner() != &func.front() ||
          !isa<BaseMemRefType>(arg.getType())) {
        func.emitError() << "KV cache result " << i
                         << " was not updated in place (bufferization "
                            "copied the cache)";
        return signalPassFailure();
      }
      drop.set(i);
    }
    if (drop.none())
      return;
    ret->eraseOperands(drop);
    if (failed(func.eraseResults(drop)))
      return signalPassFailure();
  }
};

} // namespace
