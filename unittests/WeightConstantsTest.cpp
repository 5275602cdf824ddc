//===- WeightConstantsTest.cpp - Freeing the blobs a step made ------------===//
//
// releaseUnreferencedBlobs with a snapshot frees what was made after the
// snapshot and is referenced by no live module, and nothing older: how a
// calibration stage gives back its Hessians and its own import without
// touching the weights of the model being quantized.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/WeightConstants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "gtest/gtest.h"

#include <vector>

using namespace mlir;
using namespace mlir::qc;

namespace {

/// A dense_resource constant of 4096 floats (above the inline size) in
/// `module`'s body, or only in the context when `module` is null.
DenseResourceElementsAttr makeBlob(MLIRContext &ctx, ModuleOp module,
                                   StringRef name) {
  auto type = RankedTensorType::get({4096}, Float32Type::get(&ctx));
  std::vector<float> values(4096, 1.5f);
  auto attr = DenseResourceElementsAttr::get(
      type, name,
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(values)));
  if (module) {
    OpBuilder b(module.getBodyRegion());
    arith::ConstantOp::create(b, module.getLoc(), attr);
  }
  return attr;
}

bool holdsData(DenseResourceElementsAttr attr) {
  AsmResourceBlob *blob = attr.getRawHandle().getBlob();
  return blob && !blob->getData().empty();
}

TEST(ReleaseUnreferencedBlobs, FreesOnlyWhatAStepMadeAndNobodyUses) {
  MLIRContext ctx;
  ctx.loadDialect<arith::ArithDialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&ctx));
  DenseResourceElementsAttr oldUsed = makeBlob(ctx, *module, "old_used");
  DenseResourceElementsAttr oldUnused = makeBlob(ctx, nullptr, "old_unused");
  BlobSnapshot before = snapshotBlobs(&ctx);
  EXPECT_TRUE(before.contains(oldUsed.getRawHandle().getKey()));
  EXPECT_TRUE(before.contains(oldUnused.getRawHandle().getKey()));
  DenseResourceElementsAttr newUsed = makeBlob(ctx, *module, "new_used");
  DenseResourceElementsAttr newUnused = makeBlob(ctx, nullptr, "new_unused");

  releaseUnreferencedBlobs(&ctx, *module, &before);
  EXPECT_TRUE(holdsData(oldUsed));
  EXPECT_TRUE(holdsData(oldUnused)); // Older than the step: not its own.
  EXPECT_TRUE(holdsData(newUsed));
  EXPECT_FALSE(holdsData(newUnused));

  // Without a snapshot every unreferenced blob goes.
  releaseUnreferencedBlobs(&ctx, *module);
  EXPECT_TRUE(holdsData(oldUsed));
  EXPECT_FALSE(holdsData(oldUnused));
  EXPECT_TRUE(holdsData(newUsed));
}

} // namespace
