//===- ONNXGraphChecks.cpp - Invariants checked before handlers run -------===//
//
// A protobuf can hold any graph; ONNX's rules (names are assigned once,
// nodes have the inputs and outputs their op takes, shapes are sizes) are
// checked here, once, so that no op handler has to defend against them and
// none can crash on them.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

struct Arity {
  int64_t sinceVersion, minInputs, maxInputs, minOutputs, maxOutputs;
};

struct ArityTable {
  llvm::StringMap<std::vector<Arity>> ops;
  /// The newest opset the generated schemas know (ONNXArity.def).
  int64_t schemaOpset = 0;
};

const ArityTable &getArityTable() {
  static const ArityTable table = [] {
    ArityTable t;
#define QC_ONNX_SCHEMA_OPSET(v) t.schemaOpset = v;
#define QC_ONNX_ARITY(op, since, minIn, maxIn, minOut, maxOut)                 \
  t.ops[#op].push_back({since, minIn, maxIn, minOut, maxOut});
#include "lib/Import/ONNXArity.def"
#undef QC_ONNX_SCHEMA_OPSET
#define QC_ONNX_SCHEMA_OPSET(v)
#include "lib/Import/ONNXArityExtra.def"
#undef QC_ONNX_ARITY
#undef QC_ONNX_SCHEMA_OPSET
    // Hand entries come after the generated ones: order by version (no op
    // has two entries for one version).
    for (auto &entry : t.ops)
      llvm::sort(entry.second, [](const Arity &a, const Arity &b) {
        return a.sinceVersion < b.sinceVersion;
      });
    return t;
  }();
  return table;
}

std::string plural(int64_t n, StringRef what) {
  return std::to_string(n) + " " + what.str() + (n == 1 ? "" : "s");
}

} // namespace

std::string mlir::qc::escapeName(StringRef name) {
  std::string out;
  for (unsigned char c : name) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c < 0x20 || c == 0x7f) {
      static const char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else
      out += char(c);
  }
  return out;
}

std::string mlir::qc::getNodeDisplayName(const onnx::NodeProto &node,
                                         size_t index) {
  return escapeName(node.name().empty()
                        ? node.op_type() + "_" + std::to_string(index)
                        : node.name());
}

std::string mlir::qc::checkTensorShape(ArrayRef<int64_t> shape,
                                       Type elementType, int64_t maxBytes) {
  uint64_t elements = 1;
  bool overflow = false;
  for (int64_t d : shape) {
    if (d < 0)
      return "invalid dimension " + std::to_string(d);
    overflow |= d && elements > uint64_t(INT64_MAX) / uint64_t(d);
    elements = overflow ? elements : elements * uint64_t(d);
  }
  unsigned bits =
      elementType.isIntOrFloat() ? elementType.getIntOrFloatBitWidth() : 8;
  uint64_t bytes = (elements * bits + 7) / 8;
  if (overflow || elements > uint64_t(INT64_MAX) / 64 ||
      bytes > uint64_t(maxBytes)) {
    std::string dims;
    for (int64_t d : shape)
      dims += (dims.empty() ? "" : "x") + std::to_string(d);
    return "tensor of shape [" + dims + "] needs " +
           (overflow ? std::string("more than 2^63") : std::to_string(bytes)) +
           " bytes, over the limit of " + std::to_string(maxBytes) +
           " (--max-tensor-bytes)";
  }
  return "";
}

LogicalResult NodeContext::checkShape(ArrayRef<int64_t> shape,
                                      Type elementType) {
  std::string problem = checkTensorShape(shape, elementType, maxTensorBytes);
  if (problem.empty())
    return success();
  return error() << problem;
}

LogicalResult NodeContext::checkArity() {
  const ArityTable &table = getArityTable();
  auto it = table.ops.find(node.op_type());
  if (node.output_size() == 0)
    return error() << "has no outputs";
  if (it == table.ops.end())
    return success();
  // The newest version not newer than the model's opset (the table is in
  // since_version order); an op newer than the opset gets its first.
  const Arity *arity = &it->second.front();
  for (const Arity &a : it->second)
    if (a.sinceVersion <= opset)
      arity = &a;
  // Above the schemas' opset an op may have gained inputs or outputs the
  // table does not know (unless a hand entry covers that version).
  bool bounded =
      opset <= table.schemaOpset || arity->sinceVersion > table.schemaOpset;
  int64_t inputs = node.input_size(), outputs = node.output_size();
  if (inputs < arity->minInputs)
    return error() << "needs at least " << plural(arity->minInputs, "input")
                   << ", got " << inputs;
  if (bounded && arity->maxInputs >= 0 && inputs > arity->maxInputs)
    return error() << "takes at most " << plural(arity->maxInputs, "input")
                   << ", got " << inputs;
  if (outputs < arity->minOutputs)
    return error() << "needs at least " << plural(arity->minOutputs, "output")
                   << ", got " << outputs;
  if (bounded && arity->maxOutputs >= 0 && outputs > arity->maxOutputs)
    return error() << "has at most " << plural(arity->maxOutputs, "output")
                   << ", got " << outputs;
  // Variadic inputs (Concat, Sum, ...) are all required.
  int64_t required = arity->maxInputs < 0 ? inputs : arity->minInputs;
  for (int64_t i = 0; i < required; ++i)
    if (node.input(i).empty())
      return error() << "required input " << i << " is missing (named '')";
  return success();
}

LogicalResult mlir::qc::checkGraphNames(const onnx::GraphProto &graph,
                                        Location loc) {
  llvm::StringSet<> inputs, outputs, produced;
  for (const auto &input : graph.input())
    if (!inputs.insert(input.name()).second)
      return emitError(loc) << "graph input '" << escapeName(input.name())
                            << "' is declared twice";
  for (const auto &output : graph.output())
    if (!outputs.insert(output.name()).second)
      return emitError(loc) << "graph output '" << escapeName(output.name())
                            << "' is declared twice";
  llvm::StringSet<> initializers;
  for (const auto &init : graph.initializer())
    if (!initializers.insert(init.name()).second)
      return emitError(loc) << "initializer '" << escapeName(init.name())
                            << "' is declared twice";
  produced = inputs;
  for (const auto &entry : initializers)
    produced.insert(entry.getKey());
  for (auto [index, node] : llvm::enumerate(graph.node()))
    for (const std::string &out : node.output())
      if (!out.empty() && !produced.insert(out).second)
        return emitError(loc)
               << "node '" << getNodeDisplayName(node, index) << "' ("
               << escapeName(node.op_type()) << "): output '" << escapeName(out)
               << "' is already produced by a graph input, initializer or "
                  "earlier node (ONNX names are assigned once)";
  return success();
}
