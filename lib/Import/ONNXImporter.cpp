//===- ONNXImporter.cpp - ONNX model -> qc + upstream dialects ------------===//
//
// Graph-level import: parsing, graph inputs (with --input-shape pins),
// initializers as resource blobs, nodes in order, outputs. Op semantics live
// in ONNXOps.cpp. Result types are computed by our own op handlers rather
// than by libonnx shape inference, so opsets newer than libonnx still import.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNXImporter.h"
#include "lib/Import/ImporterImpl.h"

#include "lib/Support/LinalgBuilders.h"
#include "lib/Support/WeightConstants.h"

#include "onnx/defs/parser.h"

extern "C" {
#include "Npy.h"
}

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::qc;

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

InFlightDiagnostic NodeContext::error() {
  return emitError(loc) << "node '" << name << "' (" << node.op_type()
                        << ", opset " << opset << "): ";
}

const onnx::AttributeProto *NodeContext::attr(llvm::StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeContext::getInt(llvm::StringRef name, int64_t dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : dflt;
}

float NodeContext::getFloat(llvm::StringRef name, float dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : dflt;
}

std::string NodeContext::getString(llvm::StringRef name,
                                   llvm::StringRef dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->s() : dflt.str();
}

std::vector<int64_t> NodeContext::getInts(llvm::StringRef name,
                                          std::vector<int64_t> dflt) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

Location NodeContext::nameLoc(llvm::StringRef name) const {
  return NameLoc::get(StringAttr::get(b.getContext(), name));
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

namespace {

/// A supported ONNX element type. This table is the one mapping between
/// ONNX types, MLIR element types and the runtime's qc_dtype (the CPU
/// target's getDType is its inverse). uint* become unsigned MLIR integer
/// types so that handlers can tell them apart; arith ops compute on their
/// signless view (see ONNXElementwise.cpp).
struct ElementTypeInfo {
  int32_t onnxType;
  int32_t dtype; // enum qc_dtype
  enum Kind { Float, BFloat, Signless, Unsigned } kind;
  unsigned width;
};

constexpr ElementTypeInfo kElementTypes[] = {
    {onnx::TensorProto::FLOAT, QC_DTYPE_F32, ElementTypeInfo::Float, 32},
    {onnx::TensorProto::DOUBLE, QC_DTYPE_F64, ElementTypeInfo::Float, 64},
    {onnx::TensorProto::FLOAT16, QC_DTYPE_F16, ElementTypeInfo::Float, 16},
    // bfloat16 weights and compute; .npy has no bfloat16, so no runtime
    // dtype: a bf16 graph input or output is reported at the boundary.
    {onnx::TensorProto::BFLOAT16, 0, ElementTypeInfo::BFloat, 16},
    {onnx::TensorProto::INT8, QC_DTYPE_I8, ElementTypeInfo::Signless, 8},
    {onnx::TensorProto::UINT8, QC_DTYPE_U8, ElementTypeInfo::Unsigned, 8},
    {onnx::TensorProto::INT16, QC_DTYPE_I16, ElementTypeInfo::Signless, 16},
    {onnx::TensorProto::UINT16, QC_DTYPE_U16, ElementTypeInfo::Unsigned, 16},
    {onnx::TensorProto::INT32, QC_DTYPE_I32, ElementTypeInfo::Signless, 32},
    {onnx::TensorProto::UINT32, QC_DTYPE_U32, ElementTypeInfo::Unsigned, 32},
    {onnx::TensorProto::INT64, QC_DTYPE_I64, ElementTypeInfo::Signless, 64},
    {onnx::TensorProto::UINT64, QC_DTYPE_U64, ElementTypeInfo::Unsigned, 64},
    {onnx::TensorProto::BOOL, QC_DTYPE_BOOL, ElementTypeInfo::Signless, 1},
};

Type toMLIRType(MLIRContext *ctx, const ElementTypeInfo &info) {
  switch (info.kind) {
  case ElementTypeInfo::Float:
    return info.width == 32   ? Type(Float32Type::get(ctx))
           : info.width == 64 ? Type(Float64Type::get(ctx))
                              : Type(Float16Type::get(ctx));
  case ElementTypeInfo::BFloat:
    return BFloat16Type::get(ctx);
  case ElementTypeInfo::Signless:
    return IntegerType::get(ctx, info.width);
  case ElementTypeInfo::Unsigned:
    return IntegerType::get(ctx, info.width, IntegerType::Unsigned);
  }
  llvm_unreachable("unknown element type kind");
}

/// The MLIR element type of qc_dtype `dtype`, or null.
Type getElementTypeOfDType(MLIRContext *ctx, int32_t dtype) {
  for (const ElementTypeInfo &info : kElementTypes)
    if (info.dtype == dtype && dtype != 0)
      return toMLIRType(ctx, info);
  return nullptr;
}

/// "17 (FLOAT8E4M3FN)": our libonnx predates the newer types' names.
std::string describeONNXType(int32_t onnxType) {
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

} // namespace

Type mlir::qc::getElementType(MLIRContext *ctx, int32_t onnxType) {
  for (const ElementTypeInfo &info : kElementTypes)
    if (info.onnxType == onnxType)
      return toMLIRType(ctx, info);
  return nullptr;
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

/// Reads the external data of `t` (keys location, offset, length) from a
/// file inside `modelDir`, memory-mapped. Fails with an error at `loc`.
static LogicalResult readExternalData(Location loc, const onnx::TensorProto &t,
                                      StringRef modelDir,
                                      std::vector<char> &bytes) {
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
  uint64_t fileSize;
  if (std::error_code ec = llvm::sys::fs::file_size(path, fileSize))
    return emitError(loc) << "tensor '" << t.name()
                          << "': cannot read external data '" << path
                          << "': " << ec.message();
  if (length < 0)
    length = int64_t(fileSize) - offset;
  if (offset < 0 || length < 0 || uint64_t(offset + length) > fileSize)
    return emitError(loc) << "tensor '" << t.name() << "': external data "
                          << "range [" << offset << ", " << offset + length
                          << ") is outside '" << location << "' (" << fileSize
                          << " bytes)";
  auto buffer = llvm::MemoryBuffer::getFileSlice(path, length, offset);
  if (!buffer)
    return emitError(loc) << "tensor '" << t.name()
                          << "': cannot map external data '" << path
                          << "': " << buffer.getError().message();
  bytes.assign((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
  return success();
}

Value mlir::qc::importTensor(OpBuilder &b, Location loc,
                             const onnx::TensorProto &t, StringRef modelDir) {
  MLIRContext *ctx = b.getContext();
  Type elementType = getElementType(ctx, t.data_type());
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
  std::vector<char> bytes;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    if (failed(readExternalData(loc, t, modelDir, bytes)))
      return nullptr;
  } else if (t.has_raw_data()) {
    bytes.assign(t.raw_data().begin(), t.raw_data().end());
  } else if (!appendTypedData(t, elementType, bytes)) {
    emitError(loc) << "tensor '" << t.name() << "' has no readable data";
    return nullptr;
  }
  if (int64_t(bytes.size()) != numel * elementBytes) {
    emitError(loc) << "tensor '" << t.name() << "' holds " << bytes.size()
                   << " bytes of data but its shape needs "
                   << numel * elementBytes;
    return nullptr;
  }
  auto type = RankedTensorType::get(shape, elementType);
  if (elementType.isInteger(1)) {
    SmallVector<bool> values(bytes.begin(), bytes.end());
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, ArrayRef<bool>(values)));
  }
  return createConstant(b, loc, type, bytes,
                        t.name().empty() ? "tensor" : t.name());
}

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

std::string mlir::qc::parseInputShapeSpec(llvm::StringRef spec,
                                          ImportOptions &options) {
  auto [name, dims] = spec.rsplit('=');
  if (name.empty() || dims.empty())
    return "expected NAME=DIMxDIM..., got '" + spec.str() + "'";
  std::vector<int64_t> shape;
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  for (StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d <= 0)
      return "invalid dimension '" + p.str() + "' in '" + spec.str() + "'";
    shape.push_back(d);
  }
  options.inputShapes[name] = shape;
  return "";
}

namespace {

class GraphImporter {
public:
  GraphImporter(MLIRContext *ctx, StringRef path, const ImportOptions &options)
      : ctx(ctx), path(path), options(options), b(ctx) {}

  OwningOpRef<ModuleOp> import(const onnx::ModelProto &model);

private:
  Location fileLoc() { return FileLineColLoc::get(ctx, path, 0, 0); }
  Value importBoundInput(StringRef name, StringRef npyPath);
  FailureOr<RankedTensorType> inputType(const onnx::ValueInfoProto &input);

  MLIRContext *ctx;
  StringRef path;
  const ImportOptions &options;
  OpBuilder b;
  llvm::StringMap<Value> values;
};

} // namespace

FailureOr<RankedTensorType>
GraphImporter::inputType(const onnx::ValueInfoProto &input) {
  Location loc = fileLoc();
  const std::string &name = input.name();
  if (!input.type().has_tensor_type())
    return emitError(loc) << "graph input '" << name << "' is not a tensor";
  const auto &tensorType = input.type().tensor_type();
  Type elementType = getElementType(ctx, tensorType.elem_type());
  if (!elementType)
    return emitError(loc) << "graph input '" << name
                          << "' has unsupported element type "
                          << describeONNXType(tensorType.elem_type());
  auto pinned = options.inputShapes.find(name);
  const auto &dims = tensorType.shape().dim();
  SmallVector<int64_t> shape;
  if (pinned != options.inputShapes.end()) {
    const std::vector<int64_t> &pin = pinned->second;
    if (tensorType.has_shape() && int(pin.size()) != dims.size())
      return emitError(loc)
             << "--input-shape for '" << name << "' has rank " << pin.size()
             << " but the model's input has rank " << dims.size();
    for (auto [i, d] : llvm::enumerate(pin)) {
      if (tensorType.has_shape() && dims[i].has_dim_value() &&
          dims[i].dim_value() != d)
        return emitError(loc)
               << "--input-shape for '" << name << "' sets dimension " << i
               << " to " << d << " but the model fixes it to "
               << dims[i].dim_value();
      shape.push_back(d);
    }
  } else {
    if (!tensorType.has_shape())
      return emitError(loc)
             << "graph input '" << name
             << "' has no shape; pin it with --input-shape " << name << "=...";
    for (auto [i, dim] : llvm::enumerate(dims)) {
      // dim_value 0 is a real (empty) dimension; only a missing value or a
      // dim_param is symbolic.
      if (!dim.has_dim_value() || dim.dim_value() < 0) {
        std::string symbol =
            dim.has_dim_param() ? dim.dim_param() : std::string("?");
        return emitError(loc)
               << "graph input '" << name << "' has symbolic dimension '"
               << symbol << "' (dimension " << i << "); pin it with "
               << "--input-shape " << name << "=<dims separated by x>";
      }
      shape.push_back(dim.dim_value());
    }
  }
  return RankedTensorType::get(shape, elementType);
}

Value GraphImporter::importBoundInput(StringRef name, StringRef npyPath) {
  qc_npy_array array;
  char err[512];
  if (qc_npy_read(npyPath.str().c_str(), &array, err, sizeof(err)) != 0) {
    emitError(fileLoc()) << "--bind-input " << name << ": " << err;
    return nullptr;
  }
  // Bool arrays would need repacking into an i1 attribute.
  Type elementType = getElementTypeOfDType(ctx, array.dtype);
  if (!elementType || elementType.isInteger(1)) {
    qc_npy_free(&array);
    emitError(fileLoc()) << "--bind-input " << name << ": unsupported dtype "
                         << qc_dtype_name(array.dtype);
    return nullptr;
  }
  auto type = RankedTensorType::get(ArrayRef<int64_t>(array.shape, array.rank),
                                    elementType);
  Value v = createConstant(
      b, NameLoc::get(b.getStringAttr(name), fileLoc()), type,
      ArrayRef<char>(static_cast<const char *>(array.data), array.nbytes),
      name);
  qc_npy_free(&array);
  return v;
}

OwningOpRef<ModuleOp> GraphImporter::import(const onnx::ModelProto &model) {
  int64_t opset = -1;
  for (const auto &op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx")
      opset = op.version();
  if (opset < 0) {
    emitError(fileLoc()) << "model imports no default-domain opset";
    return nullptr;
  }
  const onnx::GraphProto &graph = model.graph();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  (*module)->setAttr(
      "qc.graph_name",
      b.getStringAttr(graph.name().empty() ? "model" : graph.name()));
  (*module)->setAttr("qc.opset", b.getI64IntegerAttr(opset));

  llvm::StringMap<const onnx::TensorProto *> initializers;
  for (const auto &init : graph.initializer())
    initializers[init.name()] = &init;

  for (const auto &pin : options.inputShapes)
    if (StringRef name = pin.getKey();
        llvm::none_of(graph.input(), [&](const onnx::ValueInfoProto &input) {
          return input.name() == name && !initializers.count(name);
        })) {
      emitError(fileLoc()) << "--input-shape names '" << name
                           << "', which is not a graph input";
      return nullptr;
    }

  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  SmallVector<bool> argBF16;
  for (const auto &bound : options.boundInputs)
    if (llvm::none_of(graph.input(), [&](const onnx::ValueInfoProto &input) {
          return input.name() == bound.getKey();
        })) {
      emitError(fileLoc()) << "--bind-input names '" << bound.getKey()
                           << "', which is not a graph input";
      return nullptr;
    }
  for (const auto &input : graph.input()) {
    if (initializers.count(input.name()))
      continue; // An initializer with a default value, not a real input.
    if (options.boundInputs.count(input.name()))
      continue; // Materialized as a constant below.
    FailureOr<RankedTensorType> type = inputType(input);
    if (failed(type))
      return nullptr;
    // .npy has no bfloat16: bf16 inputs and outputs cross the boundary as
    // f32 (rounded to bf16 inside, widened exactly on the way out).
    argTypes.push_back(type->getElementType().isBF16()
                           ? RankedTensorType::get(type->getShape(),
                                                   b.getF32Type())
                           : *type);
    argBF16.push_back(type->getElementType().isBF16());
    argNames.push_back(input.name());
  }

  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, fileLoc(), "main_graph",
                                   b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, "qc.name", b.getStringAttr(name));
    values[name] = entry->getArgument(i);
  }
  b.setInsertionPointToStart(entry);
  auto convert = [&](Value v, Type to) {
    auto type = cast<RankedTensorType>(v.getType());
    return buildElementwise(
        b, fileLoc(), {v}, RankedTensorType::get(type.getShape(), to),
        [&](OpBuilder &eb, Location l, ValueRange a) -> Value {
          if (to.isF32())
            return arith::ExtFOp::create(eb, l, to, a[0]);
          return arith::TruncFOp::create(eb, l, to, a[0]);
        });
  };
  for (auto [i, name] : llvm::enumerate(argNames))
    if (argBF16[i])
      values[name] = convert(entry->getArgument(i), b.getBF16Type());

  for (const auto &bound : options.boundInputs) {
    Value v = importBoundInput(bound.getKey(), bound.getValue());
    if (!v)
      return nullptr;
    values[bound.getKey()] = v;
  }

  for (const auto &init : graph.initializer()) {
    Value v =
        importTensor(b, NameLoc::get(b.getStringAttr(init.name()), fileLoc()),
                     init, llvm::sys::path::parent_path(path));
    if (!v)
      return nullptr;
    if (!values.count(init.name()))
      values[init.name()] = v;
  }

  llvm::StringMap<unsigned> uses;
  for (const auto &node : graph.node())
    for (const std::string &in : node.input())
      ++uses[in];
  for (const auto &output : graph.output())
    ++uses[output.name()];

  for (auto [index, node] : llvm::enumerate(graph.node())) {
    std::string nodeName = node.name().empty()
                               ? node.op_type() + "_" + std::to_string(index)
                               : node.name();
    Location loc = NameLoc::get(b.getStringAttr(nodeName), fileLoc());
    NodeContext nc(node, nodeName, loc, b, values, uses, opset);
    if (!node.domain().empty() && node.domain() != "ai.onnx") {
      nc.error() << "unsupported domain '" << node.domain() << "'";
      return nullptr;
    }
    for (const std::string &in : node.input())
      if (!in.empty() && !values.count(in)) {
        nc.error() << "input '" << in
                   << "' is not produced by any earlier node, initializer or "
                      "graph input (dangling input or cycle)";
        return nullptr;
      }
    OpHandler handler = lookupOpHandler(node.op_type());
    if (!handler) {
      nc.error() << "unsupported op '" << node.op_type() << "'";
      return nullptr;
    }
    if (failed(handler(nc)))
      return nullptr;
    for (const std::string &out : node.output()) {
      if (out.empty())
        continue;
      if (!values.count(out)) {
        nc.error() << "internal error: output '" << out << "' not produced";
        return nullptr;
      }
      values[out] = foldToConstant(b, values[out]);
    }
  }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const auto &output : graph.output()) {
    Value v = values.lookup(output.name());
    if (!v) {
      emitError(fileLoc()) << "graph output '" << output.name()
                           << "' is not produced by any node";
      return nullptr;
    }
    if (cast<RankedTensorType>(v.getType()).getElementType().isBF16())
      v = convert(v, b.getF32Type());
    results.push_back(v);
    resultTypes.push_back(v.getType());
  }
  func::ReturnOp::create(b, fileLoc(), results);
  // Initializers only read at import (shapes, weights re-laid out for qc
  // layers) must not be compiled into the binary.
  SmallVector<Operation *> unused;
  for (Operation &op : *entry)
    if (isa<arith::ConstantOp>(op) && op.use_empty())
      unused.push_back(&op);
  for (Operation *op : unused)
    op->erase();
  func.setType(b.getFunctionType(argTypes, resultTypes));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "qc.name", b.getStringAttr(output.name()));
  return module;
}

/// Parses `path` (binary or text) into `model`; errors go to `ctx`.
static LogicalResult parseModel(StringRef path, MLIRContext *ctx,
                                onnx::ModelProto &model) {
  Location loc = FileLineColLoc::get(ctx, path, 0, 0);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/true);
  if (!buffer)
    return emitError(loc) << "cannot read model: "
                          << buffer.getError().message();
  StringRef ext = llvm::sys::path::extension(path);
  try {
    if (ext == ".onnxtxt" || ext == ".txt") {
      auto status = onnx::OnnxParser::Parse(model, (*buffer)->getBufferStart());
      if (!status.IsOK())
        return emitError(loc)
               << "invalid ONNX text syntax: " << status.ErrorMessage();
    } else if ((*buffer)->getBufferSize() > size_t(INT32_MAX) ||
               !model.ParseFromArray((*buffer)->getBufferStart(),
                                     int((*buffer)->getBufferSize()))) {
      return emitError(loc)
             << "not a valid ONNX protobuf (truncated or corrupt file?)";
    }
  } catch (const std::exception &e) {
    return emitError(loc) << "cannot read model: " << e.what();
  }
  if (!model.has_graph())
    return emitError(loc) << "model has no graph";
  return success();
}

FailureOr<std::vector<DeclaredInput>>
mlir::qc::readDeclaredInputs(StringRef path, MLIRContext *ctx) {
  onnx::ModelProto model;
  if (failed(parseModel(path, ctx, model)))
    return failure();
  llvm::StringSet<> initializers;
  for (const auto &init : model.graph().initializer())
    initializers.insert(init.name());
  std::vector<DeclaredInput> inputs;
  for (const auto &input : model.graph().input()) {
    if (initializers.contains(input.name()))
      continue;
    DeclaredInput d{input.name(), {}};
    for (const auto &dim : input.type().tensor_type().shape().dim())
      d.dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    inputs.push_back(std::move(d));
  }
  return inputs;
}

OwningOpRef<ModuleOp> mlir::qc::importONNXFile(StringRef path, MLIRContext *ctx,
                                               const ImportOptions &options) {
  onnx::ModelProto model;
  if (failed(parseModel(path, ctx, model)))
    return nullptr;
  try {
    return GraphImporter(ctx, path, options).import(model);
  } catch (const std::exception &e) {
    emitError(FileLineColLoc::get(ctx, path, 0, 0))
        << "cannot import model: " << e.what();
    return nullptr;
  }
}
