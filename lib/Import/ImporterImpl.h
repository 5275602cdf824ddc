//===- ImporterImpl.h - State shared by the importer and op handlers ------===//
//
// Private to lib/Import: the graph being built and the per-node view op
// handlers use to read inputs and attributes and to report errors.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_IMPORT_IMPORTERIMPL_H
#define QC_LIB_IMPORT_IMPORTERIMPL_H

#include "onnx/onnx_pb.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <string>
#include <vector>

namespace mlir::qc {

/// One ONNX node being imported.
class NodeContext {
public:
  NodeContext(const onnx::NodeProto &node, std::string name, Location loc,
              OpBuilder &builder, llvm::StringMap<Value> &values, int64_t opset)
      : node(node), name(std::move(name)), loc(loc), b(builder), values(values),
        opset(opset) {}

  const onnx::NodeProto &node;
  /// The node's name, or "<op_type>_<index>" for unnamed nodes.
  std::string name;
  Location loc;
  OpBuilder &b;
  llvm::StringMap<Value> &values;
  int64_t opset;

  /// Error prefixed with the node, op type and opset.
  InFlightDiagnostic error();

  unsigned numInputs() const { return node.input_size(); }
  /// Whether optional input `i` is present (ONNX marks absent ones by "").
  bool hasInput(unsigned i) const {
    return int(i) < node.input_size() && !node.input(i).empty();
  }
  Value input(unsigned i) const { return values.lookup(node.input(i)); }
  RankedTensorType inputType(unsigned i) const {
    return cast<RankedTensorType>(input(i).getType());
  }
  /// Binds output `i` of the node.
  void setOutput(unsigned i, Value v) { values[node.output(i)] = v; }

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t getInt(llvm::StringRef name, int64_t dflt) const;
  float getFloat(llvm::StringRef name, float dflt) const;
  std::string getString(llvm::StringRef name, llvm::StringRef dflt) const;
  std::vector<int64_t> getInts(llvm::StringRef name,
                               std::vector<int64_t> dflt) const;
  Location nameLoc(llvm::StringRef name) const;
};

/// Handles one op type; returns failure after emitting an error.
using OpHandler = LogicalResult (*)(NodeContext &);

/// The handler of `opType` in the default domain, or null.
OpHandler lookupOpHandler(llvm::StringRef opType);

/// MLIR element type of an ONNX TensorProto data type, or null.
Type getElementType(MLIRContext *ctx, int32_t onnxType);

/// Builds the constant of an ONNX tensor (initializer or Constant value),
/// checking that its data matches its shape. Returns null after emitting an
/// error at `loc`.
Value importTensor(OpBuilder &b, Location loc, const onnx::TensorProto &t);

} // namespace mlir::qc

#endif // QC_LIB_IMPORT_IMPORTERIMPL_H
