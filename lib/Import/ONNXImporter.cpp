//===- ONNXImporter.cpp - ONNX model -> qc + upstream dialects ------------===//
//
// Graph-level import: parsing, graph inputs (with --input-shape pins),
// initializers as resource blobs, nodes in order, outputs. Op semantics live
// in the op handler files (table in ONNXOps.cpp), tensors in
// ONNXTensors.cpp. Result types are computed by our own op handlers rather
// than by libonnx shape inference, so opsets newer than libonnx still import.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNXImporter.h"
#include "lib/Import/ImporterImpl.h"

#include "lib/Support/ElementTypes.h"
#include "lib/Support/LinalgBuilders.h"
#include "lib/Support/WeightConstants.h"

#include "onnx/defs/parser.h"

#include <google/protobuf/io/coded_stream.h>

extern "C" {
#include "Npy.h"
}

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::qc;

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

InFlightDiagnostic NodeContext::error() const {
  return emitError(loc) << "node '" << name << "' (" << node.op_type()
                        << ", opset " << opset << "): ";
}

const onnx::AttributeProto *NodeContext::attr(llvm::StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

/// The attribute `name` if it has type `type`; null (after an error, which
/// sets nc.attributeError) if it has another, or when it is absent.
static const onnx::AttributeProto *
typedAttr(const NodeContext &nc, llvm::StringRef name,
          onnx::AttributeProto::AttributeType type, const char *what) {
  const onnx::AttributeProto *a = nc.attr(name);
  if (!a)
    return nullptr;
  // Files from old exporters leave `type` unset: judge by the field set.
  bool matches = a->type() == type;
  if (a->type() == onnx::AttributeProto::UNDEFINED)
    matches = type == onnx::AttributeProto::INT     ? a->has_i()
              : type == onnx::AttributeProto::FLOAT ? a->has_f()
              : type == onnx::AttributeProto::STRING
                  ? a->has_s()
                  : a->ints_size() > 0 || !a->has_i();
  if (matches)
    return a;
  if (!nc.attributeError)
    nc.error() << "attribute '" << escapeName(name) << "' must be " << what
               << ", got type "
               << onnx::AttributeProto::AttributeType_Name(a->type());
  nc.attributeError = true;
  return nullptr;
}

int64_t NodeContext::getInt(llvm::StringRef name, int64_t dflt) const {
  const onnx::AttributeProto *a =
      typedAttr(*this, name, onnx::AttributeProto::INT, "an integer");
  return a ? a->i() : dflt;
}

float NodeContext::getFloat(llvm::StringRef name, float dflt) const {
  const onnx::AttributeProto *a = attr(name);
  // An integer where a float is expected (alpha=1) is harmless.
  if (a && a->type() == onnx::AttributeProto::INT)
    return float(a->i());
  a = typedAttr(*this, name, onnx::AttributeProto::FLOAT, "a float");
  return a ? a->f() : dflt;
}

std::string NodeContext::getString(llvm::StringRef name,
                                   llvm::StringRef dflt) const {
  const onnx::AttributeProto *a =
      typedAttr(*this, name, onnx::AttributeProto::STRING, "a string");
  return a ? a->s() : dflt.str();
}

std::vector<int64_t> NodeContext::getInts(llvm::StringRef name,
                                          std::vector<int64_t> dflt) const {
  const onnx::AttributeProto *a =
      typedAttr(*this, name, onnx::AttributeProto::INTS, "a list of integers");
  if (!a)
    return dflt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

Location NodeContext::nameLoc(llvm::StringRef name) const {
  return NameLoc::get(StringAttr::get(b.getContext(), name));
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
      : ctx(ctx), path(path), options(options),
        b(ctx), externalData{llvm::sys::path::parent_path(path).str(),
                             options.externalDataFiles, options.sharedWeights} {
  }

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
  std::vector<std::string> indexChecks;
  ExternalDataScope externalData;
};

} // namespace

FailureOr<RankedTensorType>
GraphImporter::inputType(const onnx::ValueInfoProto &input) {
  Location loc = fileLoc();
  const std::string &name = input.name();
  if (!input.type().has_tensor_type())
    return emitError(loc) << "graph input '" << name << "' is not a tensor";
  const auto &tensorType = input.type().tensor_type();
  Type elementType = getTypeOfONNXType(ctx, tensorType.elem_type());
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
      if (dim.has_dim_value() && dim.dim_value() < 0)
        return emitError(loc) << "graph input '" << escapeName(name)
                              << "' has invalid dimension " << dim.dim_value()
                              << " (dimension " << i << ")";
      if (!dim.has_dim_value()) {
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
  std::string problem =
      checkTensorShape(shape, elementType, options.maxTensorBytes);
  if (!problem.empty())
    return emitError(loc) << "graph input '" << escapeName(name)
                          << "': " << problem;
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
  Type elementType = getTypeOfDType(ctx, array.dtype);
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
  if (failed(checkGraphNames(graph, fileLoc())))
    return nullptr;
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  (*module)->setAttr(
      kGraphNameAttr,
      b.getStringAttr(graph.name().empty() ? "model" : graph.name()));
  (*module)->setAttr(kOpsetAttr, b.getI64IntegerAttr(opset));

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
    argTypes.push_back(
        type->getElementType().isBF16()
            ? RankedTensorType::get(type->getShape(), b.getF32Type())
            : *type);
    argBF16.push_back(type->getElementType().isBF16());
    argNames.push_back(input.name());
  }

  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, fileLoc(), kEntryFunction,
                                   b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, kTensorNameAttr, b.getStringAttr(name));
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
                     init, externalData);
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

  // Uses still to come of each name: a weight whose last reader re-laid it
  // out (a MatMul's [K, N] -> [N, K]) is freed at once, so that the import
  // of a large model never holds both layouts of all its weights.
  llvm::StringMap<unsigned> remaining = uses;
  auto releaseIfDead = [&](const std::string &name) {
    auto it = remaining.find(name);
    if (it == remaining.end() || it->second == 0 || --it->second > 0)
      return;
    Value v = values.lookup(name);
    auto constant = v ? v.getDefiningOp<arith::ConstantOp>() : nullptr;
    auto blob = constant
                    ? dyn_cast<DenseResourceElementsAttr>(constant.getValue())
                    : DenseResourceElementsAttr();
    if (!blob || !constant->use_empty())
      return;
    for (const auto &entry : values)
      if (entry.second == v && entry.first() != name)
        return; // Still reachable under another name (Identity).
    values.erase(name);
    constant->erase();
    // A blob shared with another import may still be read there; it is
    // freed with the unreferenced blobs after quantization.
    if (!options.sharedWeights || !options.sharedWeights->origin.count(blob))
      blob.getRawHandle().getResource()->setBlob(AsmResourceBlob());
  };

  for (auto [index, node] : llvm::enumerate(graph.node())) {
    std::string nodeName = getNodeDisplayName(node, index);
    Location loc = NameLoc::get(b.getStringAttr(nodeName), fileLoc());
    NodeContext nc(node, nodeName, loc, b, values, uses, opset,
                   options.maxTensorBytes);
    nc.indexChecks = options.runtimeIndexChecks ? &indexChecks : nullptr;
    nc.externalData = &externalData;
    if (!node.domain().empty() && node.domain() != "ai.onnx") {
      nc.error() << "unsupported domain '" << escapeName(node.domain()) << "'";
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
      nc.error() << "unsupported op '" << escapeName(node.op_type()) << "'";
      return nullptr;
    }
    if (failed(nc.checkArity()) || failed(handler(nc)) || nc.attributeError)
      return nullptr;
    for (const std::string &out : node.output()) {
      if (out.empty())
        continue;
      if (!values.count(out)) {
        nc.error() << "internal error: output '" << escapeName(out)
                   << "' not produced";
        return nullptr;
      }
      // Before folding: a fold would allocate the tensor.
      auto type = cast<RankedTensorType>(values[out].getType());
      if (failed(nc.checkShape(type.getShape(), type.getElementType())))
        return nullptr;
      values[out] = foldToConstant(b, values[out]);
    }
    for (const std::string &in : node.input())
      if (!in.empty())
        releaseIfDead(in);
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
  b.setInsertionPointToEnd(module->getBody());
  emitIndexCheckGlobals(b, fileLoc(), indexChecks);
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, kTensorNameAttr, b.getStringAttr(output.name()));
  return module;
}

/// protobuf's default recursion limit (100) lets a hostile file nest
/// subgraphs deep enough to exhaust a thread's stack in our own walks.
constexpr int kProtobufRecursionLimit = 64;

/// Parses `bytes` (binary protobuf, or ONNX text when `text`) into
/// `model`; errors go to `loc`.
static LogicalResult parseModelBytes(StringRef bytes, bool text, Location loc,
                                     onnx::ModelProto &model) {
  try {
    if (text) {
      // The parser reads up to a NUL: the bytes are copied to add one.
      std::string source = bytes.str();
      auto status = onnx::OnnxParser::Parse(model, source.c_str());
      if (!status.IsOK())
        return emitError(loc)
               << "invalid ONNX text syntax: " << status.ErrorMessage();
    } else {
      google::protobuf::io::CodedInputStream stream(
          reinterpret_cast<const uint8_t *>(bytes.data()),
          int(std::min<size_t>(bytes.size(), INT32_MAX)));
      stream.SetRecursionLimit(kProtobufRecursionLimit);
      if (bytes.size() > size_t(INT32_MAX) ||
          !model.ParseFromCodedStream(&stream) ||
          !stream.ConsumedEntireMessage())
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

/// Parses `path` (binary or text) into `model`; errors go to `ctx`.
static LogicalResult parseModel(StringRef path, MLIRContext *ctx,
                                onnx::ModelProto &model) {
  Location loc = FileLineColLoc::get(ctx, path, 0, 0);
  // A FIFO or device would block or never end: regular files only.
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return emitError(loc) << "cannot read model: " << ec.message();
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return emitError(loc) << "cannot read model: not a regular file";
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/true);
  if (!buffer)
    return emitError(loc) << "cannot read model: "
                          << buffer.getError().message();
  StringRef ext = llvm::sys::path::extension(path);
  return parseModelBytes((*buffer)->getBuffer(),
                         ext == ".onnxtxt" || ext == ".txt", loc, model);
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

OwningOpRef<ModuleOp> mlir::qc::importONNXBytes(StringRef bytes, StringRef name,
                                                MLIRContext *ctx,
                                                const ImportOptions &options) {
  onnx::ModelProto model;
  Location loc = FileLineColLoc::get(ctx, name, 0, 0);
  if (failed(parseModelBytes(bytes, /*text=*/false, loc, model)))
    return nullptr;
  try {
    return GraphImporter(ctx, name, options).import(model);
  } catch (const std::exception &e) {
    emitError(loc) << "cannot import model: " << e.what();
    return nullptr;
  }
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
