//===- ONNXTensors.cpp - ONNX TensorProto -> constants --------------------===//
//
// Reading ONNX tensors (initializers, Constant and ConstantOfShape values):
// element types, the typed repeated fields or raw bytes, external data files
// next to the model (memory-mapped, confined to the model's folder), and the
// check that the data matches the shape, into one constant op.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "lib/Support/ElementTypes.h"
#include "lib/Support/WeightConstants.h"
#include "lib/Support/WeightStorage.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::qc;

std::string mlir::qc::describeONNXType(int32_t onnxType) {
  static const char *const names[] = {
      "UNDEFINED",      "FLOAT",      "UINT8",
      "INT8",           "UINT16",     "INT16",
      "INT32",          "INT64",      "STRING",
      "BOOL",           "FLOAT16",    "DOUBLE",
      "UINT32",         "UINT64",     "COMPLEX64",
      "COMPLEX128",     "BFLOAT16",   "FLOAT8E4M3FN",
      "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
      "UINT4",          "INT4",       "FLOAT4E2M1",
      "FLOAT8E8M0",     "UINT2",      "INT2"};
  std::string text = std::to_string(onnxType);
  if (onnxType >= 0 && onnxType < int32_t(std::size(names)))
    text += std::string(" (") + names[onnxType] + ")";
  return text;
}

Attribute ExternalDataScope::findShared(StringRef key) const {
  if (!shared)
    return {};
  Attribute attr = shared->byOrigin.lookup(key);
  // The blob may have been freed since (the float weights a quantization
  // replaced): then the key is imported again.
  auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(attr);
  AsmResourceBlob *blob =
      resource ? resource.getRawHandle().getBlob() : nullptr;
  return blob && !blob->getData().empty() ? attr : Attribute();
}

void ExternalDataScope::share(StringRef key, Attribute attr,
                              bool isOrigin) const {
  if (!shared)
    return;
  shared->byOrigin[key] = attr;
  if (isOrigin)
    shared->origin[attr] = key.str();
}

/// Appends the typed repeated field of `t` as raw little-endian bytes.
static bool appendTypedData(const onnx::TensorProto &t, Type elementType,
                            std::vector<char> &bytes) {
  auto append = [&](auto value) {
    const char *p = reinterpret_cast<const char *>(&value);
    bytes.insert(bytes.end(), p, p + sizeof(value));
  };
  // ONNX keeps (u)int8/16, bool and float16 in int32_data, uint32/64 in
  // uint64_data.
  if (elementType.isF32()) {
    for (float v : t.float_data())
      append(v);
  } else if (elementType.isF64()) {
    for (double v : t.double_data())
      append(v);
  } else if (elementType.isF16() || elementType.isBF16()) {
    for (int32_t v : t.int32_data())
      append(uint16_t(v));
  } else if (elementType.isInteger(1)) {
    for (int32_t v : t.int32_data())
      append(int8_t(v != 0));
  } else if (elementType.isUnsignedInteger(64)) {
    for (uint64_t v : t.uint64_data())
      append(v);
  } else if (elementType.isUnsignedInteger(32)) {
    for (uint64_t v : t.uint64_data())
      append(uint32_t(v));
  } else if (elementType.isInteger(64)) {
    for (int64_t v : t.int64_data())
      append(v);
  } else if (elementType.isInteger(32)) {
    for (int32_t v : t.int32_data())
      append(v);
  } else if (elementType.isInteger(16)) {
    for (int32_t v : t.int32_data())
      append(uint16_t(v));
  } else if (elementType.isInteger(8)) {
    for (int32_t v : t.int32_data())
      append(uint8_t(v));
  } else {
    return false;
  }
  return true;
}

/// Maps the external data of `t` (keys location, offset, length) from a
/// file inside `modelDir`; `origin` becomes "real path:offset:length".
/// Fails with an error at `loc`.
static FailureOr<std::unique_ptr<llvm::MemoryBuffer>>
mapExternalData(Location loc, const onnx::TensorProto &t,
                const ExternalDataScope &scope, std::string &origin) {
  StringRef modelDir = scope.modelDir;
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &entry : t.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if ((entry.key() == "offset" || entry.key() == "length") &&
             StringRef(entry.value())
                 .getAsInteger(10, entry.key() == "offset" ? offset : length))
      return emitError(loc) << "tensor '" << t.name() << "' has invalid "
                            << entry.key() << " '" << entry.value() << "'";
  }
  if (location.empty())
    return emitError(loc) << "tensor '" << t.name()
                          << "' uses external data without a location";
  // The data must stay inside the model's folder: no absolute paths and no
  // '..' components (a hostile model must not read arbitrary files).
  SmallVector<StringRef> parts;
  StringRef(location).split(parts, '/');
  if (llvm::sys::path::is_absolute(location) ||
      llvm::is_contained(parts, "..") || StringRef(location).contains('\\'))
    return emitError(loc) << "tensor '" << t.name()
                          << "': external data location '" << location
                          << "' escapes the model's directory";
  SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);
  // Symlinks are resolved before the confinement check: a link inside the
  // folder that points outside it escapes too.
  SmallString<256> realDir, realPath;
  if (std::error_code ec = llvm::sys::fs::real_path(path, realPath))
    return emitError(loc) << "tensor '" << t.name()
                          << "': cannot read external data '" << path
                          << "': " << ec.message();
  if (llvm::sys::fs::real_path(modelDir.empty() ? "." : modelDir, realDir) ||
      !StringRef(realPath).starts_with((realDir + "/").str()))
    return emitError(loc) << "tensor '" << t.name()
                          << "': external data location '" << location
                          << "' resolves to '" << realPath
                          << "', outside the model's directory";
  // A FIFO or device would block or never end.
  llvm::sys::fs::file_status status;
  if (llvm::sys::fs::status(realPath, status) ||
      status.type() != llvm::sys::fs::file_type::regular_file)
    return emitError(loc) << "tensor '" << t.name() << "': external data '"
                          << location << "' is not a regular file";
  uint64_t fileSize = status.getSize();
  if (length < 0 && offset >= 0 && uint64_t(offset) <= fileSize)
    length = int64_t(fileSize) - offset;
  if (offset < 0 || length < 0 || uint64_t(offset) > fileSize ||
      uint64_t(length) > fileSize - uint64_t(offset))
    return emitError(loc) << "tensor '" << t.name() << "': external data "
                          << "range [" << offset << ", "
                          << uint64_t(offset) + uint64_t(length)
                          << ") is outside '" << location << "' (" << fileSize
                          << " bytes)";
  auto buffer = llvm::MemoryBuffer::getFileSlice(path, length, offset);
  if (!buffer)
    return emitError(loc) << "tensor '" << t.name()
                          << "': cannot map external data '" << path
                          << "': " << buffer.getError().message();
  if (scope.filesRead && !llvm::is_contained(*scope.filesRead, realPath.str()))
    scope.filesRead->push_back(realPath.str().str());
  origin = (realPath + ":" + Twine(offset) + ":" + Twine(length)).str();
  return std::move(*buffer);
}

Value mlir::qc::importTensor(OpBuilder &b, Location loc,
                             const onnx::TensorProto &t,
                             const ExternalDataScope &scope) {
  MLIRContext *ctx = b.getContext();
  Type elementType = getTypeOfONNXType(ctx, t.data_type());
  if (!elementType) {
    emitError(loc) << "tensor '" << t.name() << "' has unsupported data type "
                   << describeONNXType(t.data_type());
    return nullptr;
  }
  SmallVector<int64_t> shape;
  int64_t numel = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || (d > 0 && numel > (int64_t(1) << 40) / d)) {
      emitError(loc) << "tensor '" << t.name() << "' has invalid dimension "
                     << d;
      return nullptr;
    }
    shape.push_back(d);
    numel *= d;
  }
  // MLIR stores i1 as one byte per element in raw buffers; so does ONNX.
  int64_t elementBytes =
      std::max<int64_t>(1, elementType.getIntOrFloatBitWidth() / 8);
  auto type = RankedTensorType::get(shape, elementType);
  auto checkSize = [&](size_t size) {
    if (int64_t(size) == numel * elementBytes)
      return success();
    emitError(loc) << "tensor '" << t.name() << "' holds " << size
                   << " bytes of data but its shape needs "
                   << numel * elementBytes;
    return failure();
  };
  std::vector<char> bytes;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string origin;
    FailureOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
        mapExternalData(loc, t, scope, origin);
    if (failed(buffer) || failed(checkSize((*buffer)->getBufferSize())))
      return nullptr;
    // Large external tensors stay a map of the file: nothing is read until
    // a pass reads the weight (lib/Support/WeightStorage.h).
    if (!elementType.isInteger(1) &&
        numel * elementBytes > kInlineConstantBytes) {
      // The same bytes read as another type are another attribute.
      llvm::raw_string_ostream(origin) << ":" << type;
      Attribute attr = scope.findShared(origin);
      if (!attr || cast<TypedAttr>(attr).getType() != type) {
        attr = DenseResourceElementsAttr::get(
            type, t.name().empty() ? "tensor" : t.name(),
            adoptWeightBuffer(std::move(*buffer), size_t(elementBytes)));
        scope.share(origin, attr, /*isOrigin=*/true);
      }
      return arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
    }
    bytes.assign((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
  } else if (t.has_raw_data()) {
    bytes.assign(t.raw_data().begin(), t.raw_data().end());
  } else if (!appendTypedData(t, elementType, bytes)) {
    emitError(loc) << "tensor '" << t.name() << "' has no readable data";
    return nullptr;
  }
  if (failed(checkSize(bytes.size())))
    return nullptr;
  if (elementType.isInteger(1)) {
    SmallVector<bool> values(bytes.begin(), bytes.end());
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, ArrayRef<bool>(values)));
  }
  return createConstant(b, loc, type, bytes,
                        t.name().empty() ? "tensor" : t.name());
}
