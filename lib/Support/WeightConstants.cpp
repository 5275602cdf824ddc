//===- WeightConstants.cpp - Reading and creating weight data -------------===//

#include "lib/Support/WeightConstants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

FailureOr<std::vector<float>> mlir::qc::readF32Elements(Attribute attr) {
  if (auto resource = dyn_cast_or_null<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> data = resource.tryGetAsArrayRef();
    if (!data)
      return failure();
    return std::vector<float>(data->begin(), data->end());
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(attr)) {
    if (!dense.getElementType().isF32())
      return failure();
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  return failure();
}

FailureOr<std::vector<float>> mlir::qc::readF32Constant(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return failure();
  return readF32Elements(constant.getValue());
}

Value mlir::qc::createConstant(OpBuilder &b, Location loc,
                               RankedTensorType type, ArrayRef<char> bytes,
                               StringRef blobName) {
  TypedAttr attr;
  if (int64_t(bytes.size()) <= kInlineConstantBytes) {
    attr = DenseElementsAttr::getFromRawBuffer(type, bytes);
  } else {
    unsigned align = std::max<unsigned>(
        1, type.getElementType().getIntOrFloatBitWidth() / 8);
    attr = DenseResourceElementsAttr::get(
        type, blobName,
        HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, align));
  }
  return arith::ConstantOp::create(b, loc, attr);
}

std::string mlir::qc::getLayerName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (std::string name = getLayerName(inner); !name.empty())
        return name;
  return "";
}
