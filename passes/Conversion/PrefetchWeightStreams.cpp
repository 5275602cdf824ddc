//===- PrefetchWeightStreams.cpp - qc-prefetch-weight-streams -------------===//
//
// Software prefetch of the weight streams of the innermost loops: a GEMV
// at batch 1 is a few sequential reads per core, and measured on a 2-core
// EPYC its int4 kernel streamed at half the DRAM read bandwidth while it ran
// at 92 GB/s with the weight in cache. The hardware prefetchers do not run
// far enough ahead; a prefetch `distance` bytes ahead of each stream does.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

namespace mlir::qc {
#define GEN_PASS_DEF_PREFETCHWEIGHTSTREAMSPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

/// True if `memref` is a constant global (a weight), possibly through views.
bool isConstantGlobal(Value memref) {
  while (Operation *def = memref.getDefiningOp()) {
    if (auto global = dyn_cast<memref::GetGlobalOp>(def)) {
      auto symbol = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
          def, global.getNameAttr());
      return symbol && symbol.getConstant();
    }
    if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
      memref = view.getViewSource();
      continue;
    }
    return false;
  }
  return false;
}

bool isInnermost(scf::ForOp loop) {
  return !loop.getBody()
              ->walk(
                  [](LoopLikeOpInterface) { return WalkResult::interrupt(); })
              .wasInterrupted();
}

struct PrefetchWeightStreamsPass final
    : mlir::qc::impl::PrefetchWeightStreamsPassBase<PrefetchWeightStreamsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (distance <= 0) {
      getOperation().emitError("qc-prefetch-weight-streams: distance must be "
                               "> 0, not ")
          << static_cast<int64_t>(distance);
      return signalPassFailure();
    }
    SmallVector<vector::TransferReadOp> reads;
    getOperation().walk([&](vector::TransferReadOp read) {
      auto loop = dyn_cast<scf::ForOp>(read->getParentOp());
      auto type = dyn_cast<MemRefType>(read.getBase().getType());
      if (loop && isInnermost(loop) && type && type.hasStaticShape() &&
          type.getLayout().isIdentity() && isConstantGlobal(read.getBase()))
        reads.push_back(read);
    });
    for (vector::TransferReadOp read : reads)
      prefetchAhead(read);
  }

  void prefetchAhead(vector::TransferReadOp read) {
    auto type = cast<MemRefType>(read.getBase().getType());
    SmallVector<Value> indices(read.getIndices());
    // The stream advances along the last index that is not a constant.
    int64_t dim = -1;
    for (int64_t d = int64_t(indices.size()) - 1; d >= 0; --d)
      if (!matchPattern(indices[d], m_Constant())) {
        dim = d;
        break;
      }
    if (dim < 0)
      return;
    int64_t elementBytes =
        std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
    int64_t rowBytes = elementBytes;
    for (int64_t d = dim + 1; d < type.getRank(); ++d)
      rowBytes *= type.getDimSize(d);
    int64_t ahead = (distance + rowBytes - 1) / rowBytes;
    if (ahead >= type.getDimSize(dim))
      return; // The whole dimension is closer than the distance.
    OpBuilder b(read);
    Location loc = read.getLoc();
    Value shifted = arith::AddIOp::create(
        b, loc, indices[dim], arith::ConstantIndexOp::create(b, loc, ahead));
    indices[dim] = arith::MinUIOp::create(
        b, loc, shifted,
        arith::ConstantIndexOp::create(b, loc, type.getDimSize(dim) - 1));
    memref::PrefetchOp::create(b, loc, read.getBase(), indices,
                               /*isWrite=*/false, /*localityHint=*/3,
                               /*isDataCache=*/true);
  }
};

} // namespace
