//===- Int8DotToX86VNNI.cpp - 4-wide int8 dot products as vpdpbusd -------===//
//
// Target-neutral code writes an int8 dot product as ext + mul + a reduction
// over groups of four; LLVM does not find `vpdpbusd` in that form, so the
// x86 pipeline rewrites it here (the pattern is in Int8DotIntrinsics.h).
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Int8DotIntrinsics.h"
#include "passes/Conversion/Passes.h"

namespace mlir::qc {
#define GEN_PASS_DEF_INT8DOTTOX86VNNIPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct Int8DotToX86VNNIPass final
    : mlir::qc::impl::Int8DotToX86VNNIPassBase<Int8DotToX86VNNIPass> {
  using Base::Base;

  void runOnOperation() override {
    // vpdpbusd at 128, 256 and 512 bits.
    auto intrinsicFor = [](int64_t lanes) -> std::string {
      if (lanes != 4 && lanes != 8 && lanes != 16)
        return "";
      return "llvm.x86.avx512.vpdpbusd." + std::to_string(lanes * 32);
    };
    if (failed(rewriteInt8Dots(getOperation(), intrinsicFor)))
      return signalPassFailure();
  }
};

} // namespace
