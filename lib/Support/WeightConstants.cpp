//===- WeightConstants.cpp - Reading and creating weight data -------------===//

#include "lib/Support/WeightConstants.h"
#include "lib/Support/WeightStorage.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringSet.h"

#include <cstring>

using namespace mlir;

FailureOr<std::vector<float>> mlir::qc::readF32Elements(Attribute attr) {
  if (auto resource = dyn_cast_or_null<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> data = resource.tryGetAsArrayRef();
    if (!data)
      return failure();
    std::vector<float> values(data->begin(), data->end());
    // The copy is what the caller reads; the mapping need not stay resident.
    dropResidentPages(ArrayRef<char>(
        reinterpret_cast<const char *>(data->data()), data->size() * 4));
    return values;
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

FailureOr<std::vector<float>> mlir::qc::readFloatConstant(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!constant || !type || !isa<FloatType>(type.getElementType()))
    return failure();
  auto floatType = cast<FloatType>(type.getElementType());
  if (floatType.isF32())
    return readF32Elements(constant.getValue());
  FailureOr<std::vector<char>> bytes = readConstantBytes(value);
  if (failed(bytes))
    return failure();
  unsigned width = floatType.getWidth();
  std::vector<float> out;
  out.reserve(type.getNumElements());
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    uint64_t bits = 0;
    std::memcpy(&bits, bytes->data() + i * (width / 8), width / 8);
    APFloat v(floatType.getFloatSemantics(), APInt(width, bits));
    bool lost;
    v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    out.push_back(v.convertToFloat());
  }
  return out;
}

FailureOr<std::vector<char>> mlir::qc::readConstantBytes(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!constant || !type || !type.getElementType().isIntOrFloat() ||
      type.getElementType().getIntOrFloatBitWidth() % 8 != 0)
    return failure();
  size_t width = type.getElementType().getIntOrFloatBitWidth() / 8;
  size_t size = size_t(type.getNumElements()) * width;
  if (auto resource =
          dyn_cast<DenseResourceElementsAttr>(constant.getValue())) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != size)
      return failure();
    std::vector<char> bytes(blob->getData().begin(), blob->getData().end());
    dropResidentPages(blob->getData());
    return bytes;
  }
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense)
    return failure();
  ArrayRef<char> raw = dense.getRawData();
  if (dense.isSplat() && raw.size() == width) {
    std::vector<char> out(size);
    for (size_t i = 0; i < size; i += width)
      std::memcpy(out.data() + i, raw.data(), width);
    return out;
  }
  if (raw.size() != size)
    return failure(); // i1 and other bit-packed storage.
  return std::vector<char>(raw.begin(), raw.end());
}

Value mlir::qc::createFloatConstant(OpBuilder &b, Location loc,
                                    RankedTensorType type,
                                    ArrayRef<float> values,
                                    StringRef blobName) {
  auto floatType = cast<FloatType>(type.getElementType());
  unsigned width = floatType.getWidth();
  std::vector<char> bytes(values.size() * (width / 8));
  for (auto [i, v] : llvm::enumerate(values)) {
    APFloat f(v);
    bool lost;
    f.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
              &lost);
    uint64_t bits = f.bitcastToAPInt().getZExtValue();
    std::memcpy(bytes.data() + i * (width / 8), &bits, width / 8);
  }
  return createConstant(b, loc, type, bytes, blobName);
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
    attr = DenseResourceElementsAttr::get(type, blobName,
                                          allocateWeightBlob(bytes, align));
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

mlir::qc::BlobSnapshot mlir::qc::snapshotBlobs(MLIRContext *ctx) {
  BlobSnapshot held;
  DenseResourceElementsHandle::getManagerInterface(ctx)
      .getBlobManager()
      .getBlobMap(
          [&](const llvm::StringMap<DialectResourceBlobManager::BlobEntry>
                  &map) {
            for (const auto &entry : map)
              if (entry.second.getBlob())
                held.insert(entry.first());
          });
  return held;
}

void mlir::qc::releaseUnreferencedBlobs(MLIRContext *ctx,
                                        ArrayRef<ModuleOp> live,
                                        const BlobSnapshot *keep) {
  llvm::StringSet<> referenced;
  auto note = [&](Attribute attr) {
    attr.walk([&](DenseResourceElementsAttr resource) {
      referenced.insert(resource.getRawHandle().getKey());
    });
  };
  for (ModuleOp module : live)
    module->walk([&](Operation *op) {
      note(op->getAttrDictionary());
      if (auto props = op->getPropertiesAsAttribute())
        note(props);
    });
  auto &blobs =
      DenseResourceElementsHandle::getManagerInterface(ctx).getBlobManager();
  std::vector<std::string> unused;
  blobs.getBlobMap(
      [&](const llvm::StringMap<DialectResourceBlobManager::BlobEntry> &map) {
        for (const auto &entry : map)
          if (entry.second.getBlob() && !referenced.contains(entry.first()) &&
              !(keep && keep->contains(entry.first())))
            unused.push_back(entry.first().str());
      });
  for (const std::string &key : unused)
    blobs.update(key, AsmResourceBlob());
}
