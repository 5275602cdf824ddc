//===- ImporterImpl.h - State shared by the importer and op handlers ------===//
//
// Private to lib/Import: the graph being built and the per-node view op
// handlers use to read inputs and attributes and to report errors.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_IMPORT_IMPORTERIMPL_H
#define QC_LIB_IMPORT_IMPORTERIMPL_H

#include "dialects/QC/IR/QCContract.h"
#include "lib/Import/ONNXImporter.h"
#include "lib/Support/ElementTypes.h"

#include "onnx/onnx_pb.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <string>
#include <vector>

namespace mlir::qc {

/// One ONNX node being imported.
/// Where external tensor data may be read from, and the files it was read
/// from (the driver refuses to write over them).
struct ExternalDataScope {
  std::string modelDir;
  std::vector<std::string> *filesRead = nullptr;
  SharedWeights *shared = nullptr;

  /// The live attribute shared under `key`, or null.
  Attribute findShared(StringRef key) const;
  /// Records `attr` under `key` (and, for an external tensor, its origin).
  void share(StringRef key, Attribute attr, bool isOrigin) const;
};

class NodeContext {
public:
  NodeContext(const onnx::NodeProto &node, std::string name, Location loc,
              OpBuilder &builder, llvm::StringMap<Value> &values,
              const llvm::StringMap<unsigned> &uses, int64_t opset,
              int64_t maxTensorBytes)
      : node(node), name(std::move(name)), loc(loc), b(builder), values(values),
        uses(uses), opset(opset), maxTensorBytes(maxTensorBytes) {}

  const onnx::NodeProto &node;
  /// The node's name, or "<op_type>_<index>" for unnamed nodes.
  std::string name;
  Location loc;
  OpBuilder &b;
  llvm::StringMap<Value> &values;
  /// How many node inputs and graph outputs read each value name.
  const llvm::StringMap<unsigned> &uses;
  int64_t opset;
  /// No tensor the node makes may hold more bytes (--max-tensor-bytes).
  int64_t maxTensorBytes;
  /// Set when an attribute accessor met an attribute of the wrong type (it
  /// reported the error and returned the default).
  mutable bool attributeError = false;
  /// Descriptions of the run-time index checks built so far (the importer's
  /// list; null: no checks, e.g. for nested builders).
  std::vector<std::string> *indexChecks = nullptr;
  /// Where Constant values with external data are read from.
  const ExternalDataScope *externalData = nullptr;

  const ExternalDataScope &externalDataScope() const {
    static const ExternalDataScope none;
    return externalData ? *externalData : none;
  }

  /// Error prefixed with the node, op type and opset.
  InFlightDiagnostic error() const;
  /// Fails with an error unless the node has the inputs and outputs its op
  /// takes at this opset (ONNXArity.def), required inputs not ''.
  LogicalResult checkArity();
  /// Fails with an error unless a tensor of `shape` and `elementType` has
  /// sizes (no negative dims) and fits in maxTensorBytes.
  LogicalResult checkShape(ArrayRef<int64_t> shape, Type elementType);
  /// Checks that every element of input `input` (integer indices) lies in
  /// [-dim, dim), as ONNX requires: constant indices now (failing with an
  /// error naming the index), others by a check added at the builder's
  /// insertion point, whose violation the runtime reports
  /// (ONNXIndexChecks.cpp).
  LogicalResult checkIndices(unsigned input, int64_t dim);
  /// The same for index tuples (GatherND, ScatterND): the element at
  /// position c of the input's last axis must lie in [-bounds[c],
  /// bounds[c]); one bound applies to every element.
  LogicalResult checkIndices(unsigned input, ArrayRef<int64_t> bounds);

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

/// `name` with control characters escaped ("\n"), so that an error
/// naming it stays on one line.
std::string escapeName(llvm::StringRef name);

/// How diagnostics and locations name the `index`-th node of a graph: its
/// name, or "<op_type>_<index>" when it has none; escaped.
std::string getNodeDisplayName(const onnx::NodeProto &node, size_t index);

/// Why a tensor of `shape` and `elementType` is not allowed (a negative
/// dimension, or more than `maxBytes`), or "" when it is.
std::string checkTensorShape(ArrayRef<int64_t> shape, Type elementType,
                             int64_t maxBytes);

/// Fails with an error at `loc` when a name is assigned twice: duplicate
/// graph inputs, outputs or initializers, or a node output that a graph
/// input, initializer or earlier node already produces.
LogicalResult checkGraphNames(const onnx::GraphProto &graph, Location loc);

/// The globals run-time index checks write and the runtime reads (see
/// qc_model.h): `qc_model_index_error` {check number from 1, index, dim}
/// and `qc_model_index_checks`, the checks' descriptions.
constexpr llvm::StringLiteral kIndexErrorSymbol = "qc_model_index_error";
constexpr llvm::StringLiteral kIndexChecksSymbol = "qc_model_index_checks";

/// Adds the globals above to the module body `b` is at, for the checks
/// `descriptions` (nothing when there are none).
void emitIndexCheckGlobals(OpBuilder &b, Location loc,
                           ArrayRef<std::string> descriptions);

/// Handles one op type; returns failure after emitting an error.
using OpHandler = LogicalResult (*)(NodeContext &);
using OpTable = llvm::StringMap<OpHandler>;

/// Runs `handler` with the node's f16/bf16/f64 inputs converted to f32 and
/// its f32 outputs converted back (for handlers that compute in f32 only).
LogicalResult computeInF32(NodeContext &nc, OpHandler handler);

/// The handler of `opType` in the default domain, or null.
OpHandler lookupOpHandler(llvm::StringRef opType);

/// Handlers by family, one file each (ONNXOps.cpp collects them).
void addLayerOps(OpTable &table);
void addActivationOps(OpTable &table);
void addArithmeticOps(OpTable &table);
void addCastAndLogicOps(OpTable &table);
void addShapeOps(OpTable &table);
void addDataMovementOps(OpTable &table);
void addReductionOps(OpTable &table);
void addNormalizationOps(OpTable &table);
void addPoolingOps(OpTable &table);
void addResizeOps(OpTable &table);
void addIndexingOps(OpTable &table);
void addConvTransposeOps(OpTable &table);
void addQuantizeOps(OpTable &table);
void addTransformerOps(OpTable &table);

//===----------------------------------------------------------------------===//
// Helpers shared by the handlers
//===----------------------------------------------------------------------===//

using CombineFn =
    function_ref<Value(OpBuilder &, Location, Value in, Value acc)>;

/// Reduces `input` over `axes` (sorted) starting from `init`, keeping the
/// reduced dims as size 1 when `keepDims`.
Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
             TypedAttr init, bool keepDims, CombineFn combine);

/// The lowest value of float or integer type `t` (-inf, or the signed
/// minimum): where a max reduction starts.
TypedAttr lowestAttr(OpBuilder &b, Type t);

/// `v` as an attribute of float or integer type `t` (truncated to an
/// integer for integer types).
TypedAttr numberAttr(OpBuilder &b, Type t, double v);

/// numpy matmul of two activations (batch dims broadcast) as a linalg
/// contraction.
FailureOr<Value> buildBatchMatMul(NodeContext &nc, Value a, Value b);

/// Tags the op computing `result` as a float layer with `reason` when
/// `weight` is known at compile time (depends on no graph input) but the
/// node did not become a quantizable qc layer (see qc-weight-report).
void noteFloatLayer(NodeContext &nc, Value result, Value weight,
                    llvm::StringRef reason);

/// The dims a normalization (LayerNormalization, RMSNormalization) reduces:
/// from its `axis` attribute (default -1) to the last, and how many
/// elements they hold. Fails (with an error) on a bad axis.
struct NormalizedAxes {
  SmallVector<int64_t> axes;
  int64_t count = 1;
};
FailureOr<NormalizedAxes> getNormalizedAxes(NodeContext &nc,
                                            RankedTensorType type);

/// Reshapes `v` to the static `shape` (same element count).
Value reshapeTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape);

/// A scalar constant of `type` (float, integer or i1) holding `value`.
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value);

/// A tensor constant of `type` with the given integer values.
Value intTensorConstant(OpBuilder &b, Location loc, RankedTensorType type,
                        ArrayRef<int64_t> values);

/// The integer values of constant input `i`, or failure.
FailureOr<SmallVector<int64_t>> constantInts(NodeContext &nc, unsigned i);

/// The float values of constant input `i`, or failure.
FailureOr<SmallVector<double>> constantFloats(NodeContext &nc, unsigned i);

/// `axis` in [-rank, rank) normalized to [0, rank), or an error.
FailureOr<int64_t> normalizeAxis(NodeContext &nc, int64_t axis, int64_t rank);

/// `raw` axes normalized to [0, rank), in their order; fails (with an error)
/// on an axis out of range or repeated.
FailureOr<SmallVector<int64_t>>
normalizeAxes(NodeContext &nc, ArrayRef<int64_t> raw, int64_t rank);

/// Axes from input `inputIndex` (newer opsets) or attribute `attrName`
/// (older ones), normalized and sorted; std::nullopt when neither is given.
/// Fails (with an error) on non-constant axes or bad values.
FailureOr<std::optional<SmallVector<int64_t>>> getAxes(NodeContext &nc,
                                                       unsigned inputIndex,
                                                       llvm::StringRef attrName,
                                                       int64_t rank);

/// Applies the node's auto_pad (NOTSET, SAME_UPPER, SAME_LOWER, VALID) to
/// `pads` ([begin..., end...]) for the given spatial input and kernel sizes.
LogicalResult resolveAutoPad(NodeContext &nc, ArrayRef<int64_t> inputSpatial,
                             ArrayRef<int64_t> kernel,
                             ArrayRef<int64_t> strides,
                             ArrayRef<int64_t> dilations,
                             std::vector<int64_t> &pads);

/// Fails with an error naming the input unless every input is f32.
LogicalResult requireF32(NodeContext &nc);

/// Whether `t` is a float type.
bool isFloat(Type t);

/// Whether `t` is an unsigned integer type (ONNX uint*).
bool isUnsigned(Type t);

/// The same-width signless type of `t` (arith takes no unsigned integers;
/// ONNX uint* tensors keep unsigned MLIR element types).
Type getSignlessType(Type t);

/// Scalar `v` reinterpreted as `to` of the same width (signless <->
/// unsigned); the casts cancel out when the loops are lowered to LLVM.
Value reinterpretScalar(OpBuilder &b, Location loc, Value v, Type to);

/// buildElementwise whose `body` sees and returns signless scalars whatever
/// the signedness of the tensors (the body picks unsigned ops itself).
Value buildSignlessElementwise(
    OpBuilder &b, Location loc, ValueRange inputs, RankedTensorType resultType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body);

/// Element-wise linalg.generic over `inputs` broadcast (numpy rules) to
/// their common shape, with element type `resultElementType`; `body` sees
/// signless scalars. Fails with an error when the shapes do not broadcast,
/// and on unsigned inputs unless `allowUnsigned` (handlers that choose
/// unsigned ops themselves): a signed result on unsigned data would be
/// worse than a clear error.
FailureOr<Value> broadcastElementwise(
    NodeContext &nc, ValueRange inputs, Type resultElementType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body,
    bool allowUnsigned = false);

/// Grouped N-D convolution of `x` (N x C x spatial..., already padded) with
/// `w` (M x C/group x kernel...) plus the optional `bias` [M], as one
/// linalg.generic; shapes are checked by the callers (Conv of 3-D and up,
/// ConvTranspose).
Value buildGroupedConv(OpBuilder &b, Location loc, Value x, Value w, Value bias,
                       ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                       int64_t group);

/// The constant elements attribute behind `v` if it is small enough to fold
/// shape computations on (Reshape, Concat, Gather of constants).
DenseElementsAttr smallConstant(Value v);

//===----------------------------------------------------------------------===//
// Element-wise helpers (ONNXArithmetic.cpp, ONNXActivations.cpp,
// ONNXCastsAndLogic.cpp)
//===----------------------------------------------------------------------===//

/// A scalar constant of `like`'s type holding `v`.
Value cst(OpBuilder &b, Location loc, Value like, double v);

/// The element type of ranked tensor `v`.
Type elementTypeOf(Value v);

/// One element-wise op over all of the node's inputs, with result element
/// type `resultType` (null: the first input's).
LogicalResult
elementwise(NodeContext &nc, Type resultType,
            function_ref<Value(OpBuilder &, Location, ValueRange)> body);

/// Whether the node's first input is unsigned (ONNX uint*).
bool unsignedInput(NodeContext &nc);

/// Fails with an error unless all present inputs have one element type.
LogicalResult requireSameTypes(NodeContext &nc);

/// Converts signless scalar `v` holding an ONNX `from` value to the signless
/// form of `to` with ONNX Cast semantics: float -> int truncates toward zero
/// (wrapping out-of-range values like numpy does), anything -> bool is
/// "!= 0", integers are sign- or zero-extended by their source type.
Value castScalar(OpBuilder &b, Location loc, Value v, Type from, Type to);

/// Input 0 converted to element type `to` by `fn` (signless scalars).
LogicalResult mapInput(NodeContext &nc, Type to,
                       function_ref<Value(OpBuilder &, Location, Value)> fn);

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

/// `v` replaced by a constant when it is a small element-wise computation on
/// constants (shape arithmetic), else `v` itself.
Value foldToConstant(OpBuilder &b, Value v);

/// `v` as a constant when it is an initializer seen through data movement
/// and float conversions of any size (Transpose, Reshape, Squeeze, Flatten,
/// Cast f16 -> f32, ...), else `v` itself: a layer's weight reached that way
/// (the tied LM head's MatMul(x, Transpose(embedding))) stays quantizable.
/// The original constant is left for its other users.
Value foldWeightView(OpBuilder &b, Value v);

/// "17 (FLOAT8E4M3FN)": an ONNX data type for error messages (our libonnx
/// predates the newer types' names).
std::string describeONNXType(int32_t onnxType);

/// Builds the constant of an ONNX tensor (initializer or Constant value),
/// checking that its data matches its shape. Returns null after emitting an
/// error at `loc`.
/// External data (the ONNX convention for weights over 2 GB) is read from
/// files under `scope.modelDir`; locations that leave it are refused.
Value importTensor(OpBuilder &b, Location loc, const onnx::TensorProto &t,
                   const ExternalDataScope &scope);

} // namespace mlir::qc

#endif // QC_LIB_IMPORT_IMPORTERIMPL_H
