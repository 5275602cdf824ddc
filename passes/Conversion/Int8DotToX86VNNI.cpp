//===- Int8DotToX86VNNI.cpp - 4-wide int8 dot products as vpdpbusd -------===//
//
// Target-neutral code writes an int8 dot product as ext + mul + a reduction
// over groups of four; LLVM does not find `vpdpbusd` in that form, so the
// x86 pipeline rewrites it here (populateInt8DotToX86VNNIPatterns).
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qc {
#define GEN_PASS_DEF_INT8DOTTOX86VNNIPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

/// The i8 source of `v` when it is `ext` (extui or extsi) of vector<Nxi8>.
template <typename ExtOp> Value getI8Source(Value v) {
  auto ext = v.getDefiningOp<ExtOp>();
  if (!ext)
    return nullptr;
  auto type = dyn_cast<VectorType>(ext.getIn().getType());
  if (!type || !type.getElementType().isInteger(8))
    return nullptr;
  return ext.getIn();
}

struct DotToVPDPBUSD final : OpRewritePattern<vector::MultiDimReductionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::MultiDimReductionOp op,
                                PatternRewriter &rewriter) const override {
    auto sourceType = dyn_cast<VectorType>(op.getSource().getType());
    auto accType = dyn_cast<VectorType>(op.getAcc().getType());
    if (op.getKind() != vector::CombiningKind::ADD || !sourceType || !accType ||
        sourceType.getRank() != 2 || sourceType.getShape()[1] != 4 ||
        !sourceType.getElementType().isInteger(32) ||
        op.getReductionMask() != ArrayRef<bool>{false, true})
      return rewriter.notifyMatchFailure(op, "not a 4-wide i32 sum");
    int64_t lanes = sourceType.getShape()[0];
    if (lanes != 4 && lanes != 8 && lanes != 16)
      return rewriter.notifyMatchFailure(op, "no vpdpbusd of this width");
    auto cast = op.getSource().getDefiningOp<vector::ShapeCastOp>();
    auto mul = cast ? cast.getSource().getDefiningOp<arith::MulIOp>()
                    : arith::MulIOp();
    if (!mul)
      return rewriter.notifyMatchFailure(op, "not a product");
    // vpdpbusd multiplies unsigned bytes (first) by signed bytes (second).
    Value unsignedBytes = getI8Source<arith::ExtUIOp>(mul.getLhs());
    Value signedBytes = getI8Source<arith::ExtSIOp>(mul.getRhs());
    if (!unsignedBytes || !signedBytes) {
      unsignedBytes = getI8Source<arith::ExtUIOp>(mul.getRhs());
      signedBytes = getI8Source<arith::ExtSIOp>(mul.getLhs());
    }
    if (!unsignedBytes || !signedBytes)
      return rewriter.notifyMatchFailure(op, "not u8 x s8");
    std::string name = "llvm.x86.avx512.vpdpbusd." + std::to_string(lanes * 32);
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, accType, rewriter.getStringAttr(name),
        ValueRange{op.getAcc(), unsignedBytes, signedBytes});
    return success();
  }
};

struct Int8DotToX86VNNIPass final
    : mlir::qc::impl::Int8DotToX86VNNIPassBase<Int8DotToX86VNNIPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DotToVPDPBUSD>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
