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

#include "passes/Conversion/Int8DotIntrinsics.h"
#include "passes/Conversion/Passes.h"

namespace mlir::qc {
#define GEN_PASS_DEF_INT8DOTTOARMI8MMPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct Int8DotToArmI8MMPass final
    : mlir::qc::impl::Int8DotToArmI8MMPassBase<Int8DotToArmI8MMPass> {
  using Base::Base;

  void runOnOperation() override {
    // usdot has 4 i32 lanes; the intrinsic is overloaded on the
    // accumulator and byte vector types.
    auto intrinsicFor = [](int64_t lanes) -> std::string {
      return lanes == 4 ? "llvm.aarch64.neon.usdot.v4i32.v16i8" : "";
    };
    if (failed(rewriteInt8Dots(getOperation(), intrinsicFor)))
      return signalPassFailure();
  }
};

} // namespace
