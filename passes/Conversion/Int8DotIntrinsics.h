//===- Int8DotIntrinsics.h - Int8 dot products as intrinsics ----*- C++ -*-===//
//
// The int8 GEMV kernels write a 4-wide u8 x s8 dot product as
//   multi_reduction<add>(shape_cast(muli(extui(u8), extsi(s8))) : Nx4, acc)
// and each target that has an instruction for it (x86 vpdpbusd, AArch64
// usdot) rewrites that form into its intrinsic with the pattern here; the
// passes only say which intrinsic serves which width.
//
//===----------------------------------------------------------------------===//

#ifndef QC_PASSES_CONVERSION_INT8DOTINTRINSICS_H
#define QC_PASSES_CONVERSION_INT8DOTINTRINSICS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <functional>
#include <string>

namespace mlir::qc {

/// The operands of a matched dot product: `acc` (vector<N x i32>) plus the
/// unsigned and signed byte vectors (vector<4N x i8>).
struct Int8Dot {
  Value acc, unsignedBytes, signedBytes;
  int64_t lanes = 0;
};

namespace detail {
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
} // namespace detail

/// `op` as a 4-wide u8 x s8 dot product, or failure.
inline FailureOr<Int8Dot> matchInt8Dot(vector::MultiDimReductionOp op) {
  auto sourceType = dyn_cast<VectorType>(op.getSource().getType());
  auto accType = dyn_cast<VectorType>(op.getAcc().getType());
  if (op.getKind() != vector::CombiningKind::ADD || !sourceType || !accType ||
      sourceType.getRank() != 2 || sourceType.getShape()[1] != 4 ||
      !sourceType.getElementType().isInteger(32) ||
      op.getReductionMask() != ArrayRef<bool>{false, true})
    return failure();
  auto cast = op.getSource().getDefiningOp<vector::ShapeCastOp>();
  auto mul =
      cast ? cast.getSource().getDefiningOp<arith::MulIOp>() : arith::MulIOp();
  if (!mul)
    return failure();
  Int8Dot dot;
  dot.acc = op.getAcc();
  dot.lanes = sourceType.getShape()[0];
  // The instructions multiply unsigned bytes (first) by signed bytes.
  dot.unsignedBytes = detail::getI8Source<arith::ExtUIOp>(mul.getLhs());
  dot.signedBytes = detail::getI8Source<arith::ExtSIOp>(mul.getRhs());
  if (!dot.unsignedBytes || !dot.signedBytes) {
    dot.unsignedBytes = detail::getI8Source<arith::ExtUIOp>(mul.getRhs());
    dot.signedBytes = detail::getI8Source<arith::ExtSIOp>(mul.getLhs());
  }
  if (!dot.unsignedBytes || !dot.signedBytes)
    return failure();
  return dot;
}

/// The intrinsic computing a dot product of `lanes` i32 lanes (operands:
/// acc, unsigned bytes, signed bytes), or "" when the target has none.
using Int8DotIntrinsicFn = std::function<std::string(int64_t lanes)>;

/// Rewrites each matched dot product into its intrinsic's call.
struct Int8DotToIntrinsic final
    : OpRewritePattern<vector::MultiDimReductionOp> {
  Int8DotToIntrinsic(MLIRContext *ctx, Int8DotIntrinsicFn intrinsicFor)
      : OpRewritePattern(ctx), intrinsicFor(std::move(intrinsicFor)) {}

  LogicalResult matchAndRewrite(vector::MultiDimReductionOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<Int8Dot> dot = matchInt8Dot(op);
    if (failed(dot))
      return rewriter.notifyMatchFailure(op, "not a 4-wide u8 x s8 dot");
    std::string name = intrinsicFor(dot->lanes);
    if (name.empty())
      return rewriter.notifyMatchFailure(op, "no instruction of this width");
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, op.getAcc().getType(), rewriter.getStringAttr(name),
        ValueRange{dot->acc, dot->unsignedBytes, dot->signedBytes});
    return success();
  }

  Int8DotIntrinsicFn intrinsicFor;
};

/// Applies Int8DotToIntrinsic under `root`.
inline LogicalResult rewriteInt8Dots(Operation *root,
                                     Int8DotIntrinsicFn intrinsicFor) {
  RewritePatternSet patterns(root->getContext());
  patterns.add<Int8DotToIntrinsic>(root->getContext(), std::move(intrinsicFor));
  return applyPatternsGreedily(root, std::move(patterns));
}

} // namespace mlir::qc

#endif // QC_PASSES_CONVERSION_INT8DOTINTRINSICS_H
