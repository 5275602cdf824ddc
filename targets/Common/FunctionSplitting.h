//===- FunctionSplitting.h - Bounded-size functions for LLVM ----*- C++ -*-===//
//
// A lowered model is one function holding every layer's loops in sequence.
// LLVM's function passes (SCEV's guard search, dominator updates) cost more
// than linearly in a function's size, so a 3,700-node export took 150 s at
// -O3 where a quarter of it took 13 s. Cutting the entry into a chain of
// outlined functions of bounded size makes optimization linear in the model.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGETS_COMMON_FUNCTIONSPLITTING_H
#define QC_TARGETS_COMMON_FUNCTIONSPLITTING_H

namespace llvm {
class Function;
} // namespace llvm

namespace mlir::qc {

/// Outlines consecutive single-entry regions of `f`'s straight-line spine
/// (the chain of immediate post-dominators from its entry) into noinline
/// internal functions of about `maxInstructions` instructions each. Returns
/// the number of functions created; `f` computes the same as before.
unsigned splitIntoBoundedFunctions(llvm::Function &f, unsigned maxInstructions);

} // namespace mlir::qc

#endif // QC_TARGETS_COMMON_FUNCTIONSPLITTING_H
