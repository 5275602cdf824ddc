//===- Int8DotToX86VNNI.cpp - 4-wide int8 dot products as vpdpbusd -------===//
//
// Target-neutral code writes an int8 dot product as ext + mul + a reduction
// over groups of four; LLVM does not find `vpdpbusd` in that form, so the
// x86 pipeline rewrites it here (populateInt8DotToX86VNNIPatterns).
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Int8DotMatch.h"
#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qc {
#define GEN_PASS_DEF_INT8DOTTOX86VNNIPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct DotToVPDPBUSD final : OpRewritePattern<vector::MultiDimReductionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::MultiDimReductionOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<Int8Dot> dot = matchInt8Dot(op);
    if (failed(dot))
      return rewriter.notifyMatchFailure(op, "not a 4-wide u8 x s8 dot");
    if (dot->lanes != 4 && dot->lanes != 8 && dot->lanes != 16)
      return rewriter.notifyMatchFailure(op, "no vpdpbusd of this width");
    std::string name =
        "llvm.x86.avx512.vpdpbusd." + std::to_string(dot->lanes * 32);
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, op.getAcc().getType(), rewriter.getStringAttr(name),
        ValueRange{dot->acc, dot->unsignedBytes, dot->signedBytes});
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
