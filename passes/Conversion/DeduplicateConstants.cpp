//===- DeduplicateConstants.cpp - One attribute per distinct weight -------===//
//
// dense_resource attributes are equal only when they name the same blob, so
// equal weights from two imports (or two lowerings) would be stored twice.
// Content is compared once: a hash of the bytes picks the candidates, a
// byte comparison decides.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

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
      auto &candidates = seen[{attr.getType(), llvm::hash_value(bytes)}];
      for (DenseResourceElementsAttr other : candidates) {
        if (other == attr)
          return;
        if (blobBytes(other) == bytes) {
          constant.setValueAttr(other);
          return;
        }
      }
      candidates.push_back(attr);
    });
  }
};

} // namespace
