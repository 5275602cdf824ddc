//===- PrepareEntryABI.cpp - Ready the entry for the bare-pointer ABI -----===//
//
// The rewrites the qc_model ABI needs before bufferization, as a pass so
// that a pipeline run in quantc-opt reproduces the driver exactly: inputs
// belong to the caller (bufferization must not write into them, except
// into a generator's KV caches, which exist to be updated), the ONNX
// names were read into the ModelSignature and mean nothing to LLVM, and
// empty multi-dimensional boundary tensors are flattened.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "dialects/QC/IR/QCContract.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::qc {
#define GEN_PASS_DEF_PREPAREENTRYABIPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

/// Empty tensors of rank > 1 as function arguments or results become
/// tensor<0xT>: the bare-pointer calling convention cannot express e.g.
/// memref<3x0x5xf32>, and an empty tensor carries no data anyway (the
/// model descriptor keeps the declared shape).
void flattenEmptyBoundaryTensors(func::FuncOp func) {
  auto isEmptyMultiDim = [](Type type) {
    auto t = dyn_cast<RankedTensorType>(type);
    return t && t.hasStaticShape() && t.getNumElements() == 0 &&
           t.getRank() > 1;
  };
  auto flat = [](Type type) {
    return RankedTensorType::get({0},
                                 cast<RankedTensorType>(type).getElementType());
  };
  Block &entry = func.front();
  OpBuilder b(&entry, entry.begin());
  for (BlockArgument arg : entry.getArguments()) {
    if (!isEmptyMultiDim(arg.getType()))
      continue;
    auto type = cast<RankedTensorType>(arg.getType());
    arg.replaceAllUsesWith(tensor::EmptyOp::create(
        b, func.getLoc(), type.getShape(), type.getElementType()));
    arg.setType(flat(type));
  }
  SmallVector<Type> resultTypes;
  func.walk([&](func::ReturnOp ret) {
    b.setInsertionPoint(ret);
    resultTypes.clear();
    for (OpOperand &operand : ret->getOpOperands()) {
      if (isEmptyMultiDim(operand.get().getType()))
        operand.set(tensor::EmptyOp::create(
            b, ret.getLoc(), ArrayRef<int64_t>{0},
            cast<RankedTensorType>(operand.get().getType()).getElementType()));
      resultTypes.push_back(operand.get().getType());
    }
  });
  func.setType(b.getFunctionType(entry.getArgumentTypes(), resultTypes));
}

struct PrepareEntryABIPass final
    : mlir::qc::impl::PrepareEntryABIPassBase<PrepareEntryABIPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    MLIRContext *ctx = func.getContext();
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      // A KV cache is the one buffer a step writes in place.
      bool cache = func.getArgAttr(i, kKVCacheAttr) != nullptr;
      func.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                      BoolAttr::get(ctx, cache));
      func.removeArgAttr(i, kTensorNameAttr);
      func.removeArgAttr(i, kKVCacheAttr);
    }
    // (qc.kv_cache stays on results: qc-drop-in-place-results reads it.)
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      func.removeResultAttr(i, StringAttr::get(ctx, kTensorNameAttr));
    flattenEmptyBoundaryTensors(func);
  }
};

} // namespace
