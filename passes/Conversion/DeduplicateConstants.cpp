//===- DeduplicateConstants.cpp - One attribute per distinct weight -------===//
//
// dense_resource attributes are equal only when they name the same blob, so
// equal weights from two imports (or two lowerings) would be stored twice.
// Content is compared once: a hash of a sample of the bytes (a few spans
// spread over the blob, so a multi-GB model is not read in full to find
// that its weights differ) picks the candidates, a byte comparison decides.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "lib/Support/WeightStorage.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Hashing.h"

namespace mlir::qc {
#define GEN_PASS_DEF_DEDUPLICATECONSTANTSPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

ArrayRef<char> blobBytes(DenseResourceElementsAttr attr) {
  AsmResourceBlob *blob = attr.getRawHandle().getBlob();
  return blob ? blob->getData() : ArrayRef<char>();
}

/// A hash of the size and of 16 spans of 64 bytes spread over `bytes`.
llvm::hash_code sampleHash(ArrayRef<char> bytes) {
  constexpr size_t kSpans = 16, kSpan = 64;
  if (bytes.size() <= kSpans * kSpan)
    return llvm::hash_value(bytes);
  llvm::hash_code hash = llvm::hash_value(bytes.size());
  size_t stride = (bytes.size() - kSpan) / (kSpans - 1);
  for (size_t i = 0; i < kSpans; ++i)
    hash = llvm::hash_combine(hash,
                              llvm::hash_value(bytes.slice(i * stride, kSpan)));
  return hash;
}

struct DeduplicateConstantsPass final
    : mlir::qc::impl::DeduplicateConstantsPassBase<DeduplicateConstantsPass> {
  using Base::Base;

  void runOnOperation() override {
    // (type, hash of the bytes) -> the attributes seen with that key.
    llvm::DenseMap<std::pair<Type, llvm::hash_code>,
                   SmallVector<DenseResourceElementsAttr, 1>>
        seen;
    getOperation().walk([&](arith::ConstantOp constant) {
      auto attr = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
      if (!attr)
        return;
      ArrayRef<char> bytes = blobBytes(attr);
      if (bytes.empty())
        return;
      auto &candidates = seen[{attr.getType(), sampleHash(bytes)}];
      for (DenseResourceElementsAttr other : candidates) {
        if (other == attr)
          return;
        bool equal = blobBytes(other) == bytes;
        qc::dropResidentPages(bytes);
        qc::dropResidentPages(blobBytes(other));
        if (equal) {
          constant.setValueAttr(other);
          return;
        }
      }
      candidates.push_back(attr);
    });
  }
};

} // namespace
