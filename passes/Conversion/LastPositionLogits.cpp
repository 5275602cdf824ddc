//===- LastPositionLogits.cpp - A prefill step's logits at its last token -===//
//
// The prefill step of a generator only needs each row's logits at its last
// prompt position (they choose the first new token); the LM head over every
// position is a seq x vocab x d_model GEMM whose other rows are thrown away
// (with Qwen2.5-0.5B's 151,936-entry vocabulary, a quarter of the prefill's
// arithmetic). The head's input is gathered at that position first.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "dialects/QC/IR/QC.h"
#include "dialects/QC/IR/QCContract.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::qc {
#define GEN_PASS_DEF_LASTPOSITIONLOGITSPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

/// result[r] = number of ones in mask[r, :], as i64.
Value countValidPositions(OpBuilder &b, Location loc, Value mask) {
  auto maskType = cast<RankedTensorType>(mask.getType());
  Type i64 = b.getI64Type();
  auto countType = RankedTensorType::get({maskType.getDimSize(0)}, i64);
  Value zero = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
  Value init = linalg::FillOp::create(
                   b, loc, zero,
                   tensor::EmptyOp::create(b, loc, countType.getShape(), i64)
                       .getResult())
                   .getResult(0);
  MLIRContext *ctx = b.getContext();
  AffineExpr r = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx);
  SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {r, j}, ctx),
                                 AffineMap::get(2, 0, {r}, ctx)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{countType}, ValueRange{mask}, ValueRange{init},
             maps,
             {utils::IteratorType::parallel, utils::IteratorType::reduction},
             [](OpBuilder &bb, Location l, ValueRange args) {
               Value valid = arith::ExtUIOp::create(
                   bb, l, bb.getI64Type(),
                   arith::CmpIOp::create(
                       bb, l, arith::CmpIPredicate::ne, args[0],
                       arith::ConstantOp::create(
                           bb, l, bb.getIntegerAttr(args[0].getType(), 0))));
               linalg::YieldOp::create(
                   bb, l,
                   arith::AddIOp::create(bb, l, args[1], valid).getResult());
             })
      .getResult(0);
}

/// out[r, 0, c] = x[r, clamp(count[r] - 1, 0, seq - 1), c].
Value gatherLastPosition(OpBuilder &b, Location loc, Value x, Value count) {
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t seq = xType.getDimSize(1);
  auto outType = RankedTensorType::get(
      {xType.getDimSize(0), 1, xType.getDimSize(2)}, xType.getElementType());
  MLIRContext *ctx = b.getContext();
  AffineExpr r = getAffineDimExpr(0, ctx);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {r}, ctx),
                                 AffineMap::getMultiDimIdentityMap(3, ctx)};
  Value init = tensor::EmptyOp::create(b, loc, outType.getShape(),
                                       outType.getElementType());
  return linalg::GenericOp::create(
             b, loc, TypeRange{outType}, ValueRange{count}, ValueRange{init},
             maps,
             SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
             [&](OpBuilder &bb, Location l, ValueRange args) {
               Value last = arith::SubIOp::create(
                   bb, l, args[0],
                   arith::ConstantOp::create(bb, l, bb.getI64IntegerAttr(1)));
               last = arith::MaxSIOp::create(
                   bb, l, last,
                   arith::ConstantOp::create(bb, l, bb.getI64IntegerAttr(0)));
               last = arith::MinSIOp::create(
                   bb, l, last,
                   arith::ConstantOp::create(bb, l,
                                             bb.getI64IntegerAttr(seq - 1)));
               Value position =
                   arith::IndexCastOp::create(bb, l, bb.getIndexType(), last);
               Value row = linalg::IndexOp::create(bb, l, 0);
               Value column = linalg::IndexOp::create(bb, l, 2);
               linalg::YieldOp::create(
                   bb, l,
                   tensor::ExtractOp::create(bb, l, x,
                                             ValueRange{row, position, column})
                       .getResult());
             })
      .getResult(0);
}

struct LastPositionLogitsPass final
    : mlir::qc::impl::LastPositionLogitsPassBase<LastPositionLogitsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &entry = func.front();
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    std::optional<unsigned> logits;
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      if (auto name = func.getResultAttrOfType<StringAttr>(i, kTensorNameAttr);
          name && name.getValue() == kLogitsOutput)
        logits = i;
    Value mask;
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (auto name = func.getArgAttrOfType<StringAttr>(i, kTensorNameAttr);
          name && name.getValue() == kAttentionMaskInput)
        mask = entry.getArgument(i);
    if (!logits || !mask) {
      func.emitError() << "qc-last-position-logits needs an output '"
                       << kLogitsOutput << "' and an input '"
                       << kAttentionMaskInput << "'";
      return signalPassFailure();
    }
    // Only an LM head read by nothing but the return is narrowed; any other
    // form keeps every position's logits (the caller reads the shape).
    auto head = ret.getOperand(*logits).getDefiningOp<LinearOp>();
    auto inputType =
        head ? dyn_cast<RankedTensorType>(head.getInput().getType()) : nullptr;
    auto maskType = cast<RankedTensorType>(mask.getType());
    if (!head || !head->hasOneUse() || !inputType || inputType.getRank() != 3 ||
        !inputType.hasStaticShape() || inputType.getDimSize(1) <= 1 ||
        maskType.getRank() != 2 ||
        maskType.getDimSize(0) != inputType.getDimSize(0) ||
        maskType.getDimSize(1) != inputType.getDimSize(1) ||
        !isa<IntegerType>(maskType.getElementType()))
      return;

    OpBuilder b(head);
    Location loc = head.getLoc();
    Value last = gatherLastPosition(b, loc, head.getInput(),
                                    countValidPositions(b, loc, mask));
    auto resultType = cast<RankedTensorType>(head.getType());
    Operation *narrow = b.clone(*head);
    narrow->setOperand(0, last);
    narrow->getResult(0).setType(RankedTensorType::get(
        {resultType.getDimSize(0), 1, resultType.getDimSize(2)},
        resultType.getElementType()));
    ret.setOperand(*logits, narrow->getResult(0));
    head.erase();
    func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                   ret.getOperandTypes()));
  }
};

} // namespace
