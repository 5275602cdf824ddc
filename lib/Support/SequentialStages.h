//===- SequentialStages.h - Decoder blocks of a model -----------*- C++ -*-===//
//
// The GPTQ/AWQ authors calibrate block by block: a decoder block's layers
// see the outputs of the already-quantized blocks before it. Blocks are
// recognised from the graph's data flow, not from node names.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_SUPPORT_SEQUENTIALSTAGES_H
#define QC_LIB_SUPPORT_SEQUENTIALSTAGES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <vector>

namespace mlir::qc {

/// Groups the layers `names` of `func` (in program order) into stages.
///
/// A layer L belongs to the residual branch closed by the first element-wise
/// Add after it that sums a descendant of L with an ancestor of L -- the
/// `x + f(x)` of a residual block. Layers closed by the same Add form a
/// branch (q/k/v/o of an attention, gate/up/down of an MLP). A branch whose
/// layers feed a product of two activations (Q Kᵀ, scores · V) is an
/// attention branch and opens a decoder block; the branches that continue
/// its residual stream join that block until the next attention branch.
/// Layers outside any residual branch (an LM head, a plain CNN's layers)
/// are a stage each, and so is a branch that no attention precedes.
std::vector<std::vector<std::string>>
findSequentialStages(func::FuncOp func, const std::vector<std::string> &names);

} // namespace mlir::qc

#endif // QC_LIB_SUPPORT_SEQUENTIALSTAGES_H
