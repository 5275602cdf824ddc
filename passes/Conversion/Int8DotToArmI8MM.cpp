//===- Int8DotToArmI8MM.cpp - 4-wide int8 dot products as AArch64 usdot ---===//
//
// The AArch64 counterpart of Int8DotToX86VNNI.cpp: on a CPU with the I8MM
// extension (Armv8.6-A; Neoverse V1/V2/N2, Cortex-A710 and later) a 4-lane
// u8 x s8 dot product is one `usdot v.4s, v.16b, v.16b`. Without it LLVM
// widens the bytes and multiplies them pairwise (smull / smull2 and adds),
// about eight instructions for the same work. Wider vectors (which the
// AArch64 schedule does not produce: NEON has 4 i32 lanes) are left alone.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Int8DotMatch.h"
#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qc {
#define GEN_PASS_DEF_INT8DOTTOARMI8MMPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct DotToUSDOT final : OpRewritePattern<vector::MultiDimReductionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::MultiDimReductionOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<Int8Dot> dot = matchInt8Dot(op);
    if (failed(dot))
      return rewriter.notifyMatchFailure(op, "not a 4-wide u8 x s8 dot");
    if (dot->lanes != 4)
      return rewriter.notifyMatchFailure(op, "usdot has 4 i32 lanes");
    // Overloaded on the accumulator and byte vector types.
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, op.getAcc().getType(),
        rewriter.getStringAttr("llvm.aarch64.neon.usdot.v4i32.v16i8"),
        ValueRange{dot->acc, dot->unsignedBytes, dot->signedBytes});
    return success();
  }
};

struct Int8DotToArmI8MMPass final
    : mlir::qc::impl::Int8DotToArmI8MMPassBase<Int8DotToArmI8MMPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DotToUSDOT>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
