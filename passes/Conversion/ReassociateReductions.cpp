//===- ReassociateReductions.cpp - fastmath<reassoc> on accumulations -----===//
//
// Float reductions written as linalg.generic only vectorize along the
// reduced dimension when their accumulation may be reordered; this pass
// grants that, for the accumulating ops only.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

namespace mlir::qc {
#define GEN_PASS_DEF_REASSOCIATEREDUCTIONSPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

/// Adds reassoc and contract to a float add or multiply.
void allowReassociation(Operation *op) {
  auto fastmath = dyn_cast<arith::ArithFastMathInterface>(op);
  if (!fastmath || !isa<arith::AddFOp, arith::MulFOp>(op))
    return;
  arith::FastMathFlags flags = fastmath.getFastMathFlagsAttr().getValue() |
                               arith::FastMathFlags::reassoc |
                               arith::FastMathFlags::contract;
  op->setAttr(fastmath.getFastMathAttrName(),
              arith::FastMathFlagsAttr::get(op->getContext(), flags));
}

struct ReassociateReductionsPass final
    : mlir::qc::impl::ReassociateReductionsPassBase<ReassociateReductionsPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk([](linalg::GenericOp generic) {
      if (generic.getNumReductionLoops() == 0)
        return;
      auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
      for (OpOperand &yielded : yield->getOpOperands()) {
        // Only outputs of a reduction: those whose map drops a reduced dim.
        OpOperand *init = generic.getDpsInitOperand(yielded.getOperandNumber());
        if (!isa<FloatType>(getElementTypeOrSelf(init->get().getType())))
          continue;
        Operation *acc = yielded.get().getDefiningOp();
        if (!acc || acc->getBlock() != generic.getBody())
          continue;
        allowReassociation(acc);
        for (Value operand : acc->getOperands())
          if (Operation *def = operand.getDefiningOp();
              def && def->getBlock() == generic.getBody())
            allowReassociation(def);
      }
    });
  }
};

} // namespace
