//===- SequentialStages.cpp - Decoder blocks from the data flow -----------===//
//
// Recognises residual branches and decoder blocks in the imported entry
// function (see the header). Works on the imported IR, where every ONNX Add
// is an element-wise linalg.generic whose body adds its two inputs and every
// MatMul of two activations is a linalg.generic contraction.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/SequentialStages.h"

#include "dialects/QC/IR/QC.h"
#include "lib/Support/WeightConstants.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

/// The two summands of an element-wise Add (`generic` adding its inputs).
std::optional<std::pair<Value, Value>> elementwiseSum(Operation *op) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 2 ||
      generic.getNumResults() != 1 || generic.getNumReductionLoops() != 0)
    return std::nullopt;
  Block &body = generic.getRegion().front();
  auto add = body.getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || add->getBlock() != &body)
    return std::nullopt;
  Value a = body.getArgument(0), b = body.getArgument(1);
  if (!((add.getLhs() == a && add.getRhs() == b) ||
        (add.getLhs() == b && add.getRhs() == a)))
    return std::nullopt;
  return std::make_pair(generic.getDpsInputs()[0], generic.getDpsInputs()[1]);
}

/// A reduction over two operands that are both computed (not constants):
/// a product of activations, as in attention.
bool isActivationProduct(Operation *op) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumReductionLoops() == 0 ||
      generic.getNumDpsInputs() != 2)
    return false;
  return llvm::none_of(generic.getDpsInputs(),
                       [](Value v) { return matchPattern(v, m_Constant()); });
}

/// Whether `v` is computed before `layer` on a path into it: its defining op
/// is in `ancestors`, or it is a function argument the layer depends on.
bool isAncestor(Value v, const llvm::SetVector<Operation *> &ancestors,
                const llvm::DenseSet<Value> &ancestorArgs) {
  if (Operation *def = v.getDefiningOp())
    return ancestors.contains(def);
  return ancestorArgs.contains(v);
}

struct Branch {
  Operation *closer = nullptr; // The residual Add; null: no branch.
  bool attention = false;
};

/// Follows the data flow from `layer` to the residual Add that closes its
/// branch, noting whether it passes through a product of activations.
Branch findBranch(Operation *layer) {
  llvm::SetVector<Operation *> ancestors;
  BackwardSliceOptions options;
  options.omitUsesFromAbove = false;
  (void)getBackwardSlice(layer, &ancestors, options);
  llvm::DenseSet<Value> ancestorArgs;
  auto noteArguments = [&](Operation *op) {
    for (Value operand : op->getOperands())
      if (isa<BlockArgument>(operand))
        ancestorArgs.insert(operand);
  };
  noteArguments(layer);
  for (Operation *op : ancestors)
    noteArguments(op);

  Branch branch;
  llvm::DenseSet<Value> descendants(layer->result_begin(), layer->result_end());
  for (Operation *op = layer->getNextNode(); op; op = op->getNextNode()) {
    bool reached = llvm::any_of(
        op->getOperands(), [&](Value v) { return descendants.contains(v); });
    if (!reached)
      continue;
    if (auto sum = elementwiseSum(op)) {
      auto [a, b] = *sum;
      bool fromA = descendants.contains(a), fromB = descendants.contains(b);
      if (fromA != fromB &&
          isAncestor(fromA ? b : a, ancestors, ancestorArgs)) {
        branch.closer = op;
        return branch;
      }
    }
    branch.attention |= isActivationProduct(op);
    descendants.insert(op->result_begin(), op->result_end());
  }
  return branch;
}

} // namespace

std::vector<std::vector<std::string>>
mlir::qc::findSequentialStages(func::FuncOp func,
                               const std::vector<std::string> &names) {
  // The layers in program order with their branches.
  struct Layer {
    std::string name;
    Branch branch;
  };
  std::vector<Layer> layers;
  func.walk([&](QuantizableLayer layer) {
    std::string name = getLayerName(layer->getLoc());
    if (llvm::is_contained(names, name))
      layers.push_back({name, findBranch(layer)});
  });

  // Branches in order of their first layer; a branch is attention if any
  // of its layers reaches a product of activations before the closing Add.
  struct BranchLayers {
    Operation *closer;
    bool attention;
    std::vector<std::string> names;
  };
  std::vector<BranchLayers> branches;
  for (Layer &layer : layers) {
    auto it = llvm::find_if(branches, [&](const BranchLayers &b) {
      return b.closer && b.closer == layer.branch.closer;
    });
    if (it == branches.end()) {
      branches.push_back({layer.branch.closer, layer.branch.attention, {}});
      it = std::prev(branches.end());
    }
    it->attention |= layer.branch.attention;
    it->names.push_back(layer.name);
  }

  // Blocks: an attention branch opens one; branches continuing its residual
  // stream (their Add sums the previous Add's result) join it.
  std::vector<std::vector<std::string>> stages;
  Operation *openBlock = nullptr; // The last closer of the open block.
  for (BranchLayers &b : branches) {
    bool joins = false;
    if (b.closer && !b.attention && openBlock) {
      auto [x, y] = *elementwiseSum(b.closer);
      Value stream = openBlock->getResult(0);
      joins = x == stream || y == stream;
    }
    if (joins)
      llvm::append_range(stages.back(), b.names);
    else
      stages.push_back(b.names);
    openBlock = b.closer && (b.attention || joins) ? b.closer : nullptr;
  }
  return stages;
}
