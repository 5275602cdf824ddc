//===- FunctionSplitting.cpp - Bounded-size functions for LLVM -------===//

#include "targets/Common/FunctionSplitting.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Analysis/PostDominators.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Function.h"
#include "llvm/Transforms/Utils/CodeExtractor.h"

#include <vector>

using namespace llvm;

namespace {

/// The blocks dominated by `from` and not dominated by `to` (`to` post-
/// dominates `from`): a region entered only through `from` and left only
/// into `to`.
std::vector<BasicBlock *> regionBetween(BasicBlock *from, BasicBlock *to,
                                        DominatorTree &dt) {
  std::vector<BasicBlock *> blocks;
  SmallVector<DomTreeNode *> work{dt.getNode(from)};
  while (!work.empty()) {
    DomTreeNode *node = work.pop_back_val();
    if (node->getBlock() == to)
      continue;
    blocks.push_back(node->getBlock());
    work.append(node->begin(), node->end());
  }
  return blocks;
}

size_t countInstructions(ArrayRef<BasicBlock *> blocks) {
  size_t n = 0;
  for (BasicBlock *block : blocks)
    n += block->size();
  return n;
}

} // namespace

unsigned mlir::qc::splitIntoBoundedFunctions(Function &f,
                                             unsigned maxInstructions) {
  if (f.isDeclaration() || f.getInstructionCount() <= 2 * maxInstructions)
    return 0;
  DominatorTree dt(f);
  PostDominatorTree pdt(f);
  // The spine: entry, its immediate post-dominator, that one's, ... Every
  // point of it is passed by every execution, in order. Points that do not
  // also dominate the next one (a join of two paths) are skipped over.
  std::vector<BasicBlock *> spine;
  for (BasicBlock *block = &f.getEntryBlock(); block;) {
    spine.push_back(block);
    DomTreeNode *node = pdt.getNode(block);
    DomTreeNode *ipdom = node ? node->getIDom() : nullptr;
    block = ipdom ? ipdom->getBlock() : nullptr;
  }
  // Chunks of consecutive spine segments; the entry block stays (it holds
  // the allocas and cannot be extracted).
  std::vector<std::vector<BasicBlock *>> chunks;
  size_t start = 1;
  for (size_t end = 2; end < spine.size(); ++end) {
    if (!dt.dominates(spine[start], spine[end]))
      continue;
    std::vector<BasicBlock *> blocks =
        regionBetween(spine[start], spine[end], dt);
    if (countInstructions(blocks) < maxInstructions && end + 1 < spine.size())
      continue;
    chunks.push_back(std::move(blocks));
    start = end;
  }
  CodeExtractorAnalysisCache cache(f);
  unsigned created = 0;
  for (std::vector<BasicBlock *> &blocks : chunks) {
    CodeExtractor extractor(blocks, /*DT=*/nullptr, /*AggregateArgs=*/false,
                            nullptr, nullptr, nullptr, /*AllowVarArgs=*/false,
                            /*AllowAlloca=*/true, nullptr, "part");
    if (!extractor.isEligible())
      continue;
    Function *part = extractor.extractCodeRegion(cache);
    if (!part)
      continue;
    // One call site each: the inliner would merge them all back.
    part->addFnAttr(Attribute::NoInline);
    part->setLinkage(GlobalValue::InternalLinkage);
    ++created;
  }
  return created;
}
