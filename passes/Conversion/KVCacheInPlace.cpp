//===- KVCacheInPlace.cpp - A model-kv step over a fixed-size cache -------===//
//
// The generator keeps one buffer of max-context positions per cache and the
// step writes only its new positions into it; the Concat(past, new) of the
// exported graph would instead build a new tensor per step. Slot s of a
// buffer holds position s, so the decode step's past is all max-context
// slots and its attention mask tells the valid ones from the rest.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "dialects/QC/IR/QCContract.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::qc {
#define GEN_PASS_DEF_KVCACHEINPLACEPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

StringRef tensorName(func::FuncOp func, unsigned i, bool result) {
  auto name = result ? func.getResultAttrOfType<StringAttr>(i, kTensorNameAttr)
                     : func.getArgAttrOfType<StringAttr>(i, kTensorNameAttr);
  return name ? name.getValue() : StringRef();
}

/// Whether `op` inserts a whole static slice at static offsets `offsets`.
bool insertsAt(tensor::InsertSliceOp op, ArrayRef<int64_t> offsets) {
  return op.hasUnitStride() && op.getStaticOffsets() == offsets &&
         !ShapedType::isDynamicShape(op.getStaticSizes()) &&
         op.getSourceType().getShape() == op.getStaticSizes();
}

/// The insert of the new positions when `past` (the decode step's past
/// argument, `pastLength` positions) feeds only the imported Concat along
/// axis 2: insert past into an empty tensor at 0, then the new positions
/// at pastLength. Else null.
tensor::InsertSliceOp matchConcat(BlockArgument past, int64_t pastLength) {
  if (!past.hasOneUse())
    return {};
  auto first = dyn_cast<tensor::InsertSliceOp>(*past.getUsers().begin());
  if (!first || first.getSource() != past ||
      !first.getDest().getDefiningOp<tensor::EmptyOp>() ||
      !insertsAt(first, {0, 0, 0, 0}) || !first->hasOneUse())
    return {};
  auto second = dyn_cast<tensor::InsertSliceOp>(*first->getUsers().begin());
  if (!second || second.getDest() != first.getResult() ||
      !insertsAt(second, {0, 0, pastLength, 0}))
    return {};
  return second;
}

struct KVCacheInPlacePass final
    : mlir::qc::impl::KVCacheInPlacePassBase<KVCacheInPlacePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (maxContext <= 0) {
      func.emitError("qc-kv-cache-in-place needs max-context > 0");
      return signalPassFailure();
    }
    // Pair each past argument with its present result by name.
    llvm::StringMap<unsigned> presentResults;
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      if (StringRef s =
              getCacheSuffix(tensorName(func, i, true), kPresentPrefix);
          !s.empty())
        presentResults[s] = i;
    SmallVector<std::pair<unsigned, unsigned>> caches; // (arg, result)
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      StringRef name = tensorName(func, i, false);
      StringRef suffix = getCacheSuffix(name, kPastPrefix);
      if (suffix.empty())
        continue;
      auto it = presentResults.find(suffix);
      if (it == presentResults.end()) {
        func.emitError() << "KV cache input '" << name << "' has no output '"
                         << kPresentPrefix << suffix << "'";
        return signalPassFailure();
      }
      caches.push_back({i, it->second});
    }
    if (caches.empty()) {
      func.emitError() << "no KV cache inputs ('" << kPastPrefix
                       << "{i}.key|value') to update in place";
      return signalPassFailure();
    }

    OpBuilder b(func.getContext());
    Block &entry = func.front();
    Location loc = func.getLoc();
    Value position;
    if (!prefill) {
      // The slot of the step's first new position: a scalar the caller
      // passes, as an index.
      unsigned index = func.getNumArguments();
      if (failed(func.insertArgument(
              index, RankedTensorType::get({}, b.getI64Type()),
              b.getDictionaryAttr(b.getNamedAttr(
                  kTensorNameAttr, b.getStringAttr(kCachePositionInput))),
              loc)))
        return signalPassFailure();
      b.setInsertionPointToStart(&entry);
      Value scalar =
          tensor::ExtractOp::create(b, loc, entry.getArgument(index), {});
      position = arith::IndexCastOp::create(b, loc, b.getIndexType(), scalar);
    }
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    for (auto [argIndex, resultIndex] : caches) {
      BlockArgument past = entry.getArgument(argIndex);
      StringRef name = tensorName(func, argIndex, false);
      auto type = dyn_cast<RankedTensorType>(past.getType());
      if (!type || type.getRank() != 4 || !type.hasStaticShape() ||
          type.getDimSize(2) >= maxContext ||
          (prefill && type.getDimSize(2) != 0)) {
        func.emitError() << "KV cache input '" << name << "' has type "
                         << past.getType() << "; expected [batch, heads, "
                         << (prefill ? "0" : "max_context - seq")
                         << ", head_dim] with max_context "
                         << static_cast<int64_t>(maxContext);
        return signalPassFailure();
      }
      auto cacheType =
          RankedTensorType::get({type.getDimSize(0), type.getDimSize(1),
                                 maxContext, type.getDimSize(3)},
                                type.getElementType());
      Value present = ret.getOperand(resultIndex);
      auto presentType = cast<RankedTensorType>(present.getType());
      if (prefill) {
        // past is empty: nothing reads it. The new positions go to slot 0.
        b.setInsertionPointToStart(&entry);
        past.replaceAllUsesWith(tensor::EmptyOp::create(b, loc, type.getShape(),
                                                        type.getElementType()));
        past.setType(cacheType);
        b.setInsertionPoint(ret);
        if (presentType.getRank() != 4 ||
            presentType.getShape().take_front(2) !=
                type.getShape().take_front(2) ||
            presentType.getDimSize(2) > maxContext ||
            presentType.getDimSize(3) != type.getDimSize(3)) {
          func.emitError() << "output '" << tensorName(func, resultIndex, true)
                           << "' has type " << presentType
                           << ", which does not fit the cache " << cacheType;
          return signalPassFailure();
        }
        SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0)),
            strides(4, b.getIndexAttr(1)), sizes;
        for (int64_t d : presentType.getShape())
          sizes.push_back(b.getIndexAttr(d));
        // A prefill step as long as the context fills the whole cache: an
        // insert of all of it would fold away, and with it the tie to the
        // caller's buffer.
        Value written =
            presentType == cacheType
                ? bufferization::MaterializeInDestinationOp::create(
                      b, loc, present, past)
                      .getResult()
                : tensor::InsertSliceOp::create(b, loc, present, past, offsets,
                                                sizes, strides)
                      .getResult();
        ret.setOperand(resultIndex, written);
      } else {
        tensor::InsertSliceOp insertNew = matchConcat(past, type.getDimSize(2));
        if (!insertNew || presentType != cacheType) {
          func.emitError()
              << "output '" << tensorName(func, resultIndex, true)
              << "' is not Concat(" << name
              << ", new positions) along axis 2, so the cache cannot be "
                 "updated in place";
          return signalPassFailure();
        }
        auto concatFirst = insertNew.getDest().getDefiningOp();
        Operation *empty =
            cast<tensor::InsertSliceOp>(concatFirst).getDest().getDefiningOp();
        past.setType(cacheType);
        b.setInsertionPoint(insertNew);
        SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0));
        offsets[2] = position;
        auto inPlace = tensor::InsertSliceOp::create(
            b, insertNew.getLoc(), insertNew.getSource(), past, offsets,
            insertNew.getMixedSizes(), insertNew.getMixedStrides());
        insertNew.replaceAllUsesWith(inPlace.getResult());
        insertNew.erase();
        concatFirst->erase();
        if (empty->use_empty())
          empty->erase();
      }
      func.setArgAttr(argIndex, kKVCacheAttr, b.getUnitAttr());
      func.setResultAttr(resultIndex, kKVCacheAttr, b.getUnitAttr());
    }
    SmallVector<Type> resultTypes(ret.getOperandTypes());
    func.setType(b.getFunctionType(entry.getArgumentTypes(), resultTypes));
  }
};

} // namespace
