//===- MemRefCopyToLinalg.cpp - memref.copy -> linalg.copy ----------------===//
//
// Keeps compiled models free of MLIR's C runner utilities: every copy
// bufferization creates becomes a loop nest instead of a memrefCopy call.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::qc {
#define GEN_PASS_DEF_MEMREFCOPYTOLINALGPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

struct MemRefCopyToLinalgPass final
    : mlir::qc::impl::MemRefCopyToLinalgPassBase<MemRefCopyToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](memref::CopyOp copy) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    });
  }
};

} // namespace
