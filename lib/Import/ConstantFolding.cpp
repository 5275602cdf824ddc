//===- ConstantFolding.cpp - Fold small constant computations at import ---===//
//
// Exporters compute shapes with ordinary arithmetic (Shape -> Cast -> Sub ->
// Concat -> Expand, Range over Size, ...). Ahead-of-time compilation with
// static shapes needs those values as constants, so a node output that is
// a small element-wise linalg.generic over constants is evaluated here, op by
// op through each body op's own folder (arith, math), instead of teaching
// every handler to fold. Anything that does not fold stays as it was.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"
#include "lib/Support/WeightConstants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qc;

/// Larger computations are left to run time: folding is for shape math.
static constexpr int64_t kMaxFoldElements = 4096;

static bool isFoldableElementType(Type t) {
  return isa<FloatType, IndexType>(t) || t.isSignlessInteger();
}

static DenseElementsAttr smallConstantOf(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) ||
      attr.getNumElements() > kMaxFoldElements ||
      !isFoldableElementType(attr.getElementType()))
    return nullptr;
  return attr;
}

/// Evaluates an all-parallel linalg.generic whose inputs are constants.
static DenseElementsAttr evaluateGeneric(linalg::GenericOp op) {
  if (op.getNumResults() != 1 || op.getNumReductionLoops() != 0)
    return nullptr;
  auto resultType = dyn_cast<RankedTensorType>(op.getResult(0).getType());
  if (!resultType || !resultType.hasStaticShape() ||
      resultType.getNumElements() > kMaxFoldElements ||
      !isFoldableElementType(resultType.getElementType()))
    return nullptr;
  Block &body = op.getRegion().front();
  // The init's value must not matter.
  for (BlockArgument arg : body.getArguments().drop_front(op.getNumDpsInputs()))
    if (!arg.use_empty())
      return nullptr;
  SmallVector<SmallVector<Attribute>> inputs;
  for (Value in : op.getDpsInputs()) {
    DenseElementsAttr attr = smallConstantOf(in);
    if (!attr)
      return nullptr;
    inputs.push_back(llvm::to_vector(attr.getValues<Attribute>()));
  }
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return nullptr;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<int64_t> strides;
  SmallVector<SmallVector<int64_t>> inputStrides;
  for (Value in : op.getDpsInputs()) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(in.getType()).getShape();
    SmallVector<int64_t> s(shape.size(), 1);
    for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
      s[d] = s[d + 1] * shape[d + 1];
    inputStrides.push_back(s);
  }
  AffineMap outMap = maps.back();
  if (!outMap.isPermutation())
    return nullptr;
  ArrayRef<int64_t> outShape = resultType.getShape();
  SmallVector<Attribute> results(resultType.getNumElements());

  SmallVector<int64_t> point(ranges.size(), 0);
  int64_t total = ShapedType::getNumElements(ranges);
  if (total > kMaxFoldElements)
    return nullptr;
  for (int64_t n = 0; n < total; ++n) {
    // Iteration point n, row-major over the loop ranges.
    for (int64_t d = int64_t(ranges.size()) - 1, rest = n; d >= 0; --d) {
      point[d] = rest % ranges[d];
      rest /= ranges[d];
    }
    DenseMap<Value, Attribute> known;
    for (auto [i, in] : llvm::enumerate(inputs)) {
      SmallVector<int64_t> index = maps[i].compose(point);
      int64_t flat = 0;
      for (auto [x, s] : llvm::zip(index, inputStrides[i]))
        flat += x * s;
      known[body.getArgument(i)] = in[flat];
    }
    for (Operation &inner : body.without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
        known[index.getResult()] = IntegerAttr::get(
            IndexType::get(op.getContext()), point[index.getDim()]);
        continue;
      }
      SmallVector<Attribute> operands;
      for (Value v : inner.getOperands()) {
        Attribute a = known.lookup(v);
        if (!a && !matchPattern(v, m_Constant(&a)))
          return nullptr;
        operands.push_back(a);
      }
      SmallVector<OpFoldResult> folded;
      if (inner.getNumResults() != 1 || failed(inner.fold(operands, folded)) ||
          folded.size() != 1)
        return nullptr;
      Attribute value = dyn_cast<Attribute>(folded[0]);
      if (!value)
        value = known.lookup(cast<Value>(folded[0]));
      if (!value)
        return nullptr;
      known[inner.getResult(0)] = value;
    }
    Value yielded = body.getTerminator()->getOperand(0);
    Attribute value = known.lookup(yielded);
    if (!value && !matchPattern(yielded, m_Constant(&value)))
      return nullptr;
    if (!isa<IntegerAttr, FloatAttr>(value) ||
        cast<TypedAttr>(value).getType() != resultType.getElementType())
      return nullptr;
    SmallVector<int64_t> outIndex = outMap.compose(point);
    int64_t flat = 0;
    for (auto [x, size] : llvm::zip(outIndex, outShape))
      flat = flat * size + x;
    results[flat] = value;
  }
  return DenseElementsAttr::get(resultType, results);
}

/// A static-offset, static-stride slice of a constant.
static DenseElementsAttr evaluateSlice(tensor::ExtractSliceOp op) {
  DenseElementsAttr source = smallConstantOf(op.getSource());
  if (!source || ShapedType::isDynamicShape(op.getStaticOffsets()) ||
      ShapedType::isDynamicShape(op.getStaticSizes()) ||
      ShapedType::isDynamicShape(op.getStaticStrides()))
    return nullptr;
  ArrayRef<int64_t> offsets = op.getStaticOffsets(),
                    sizes = op.getStaticSizes(), steps = op.getStaticStrides(),
                    shape = op.getSourceType().getShape();
  SmallVector<Attribute> all = llvm::to_vector(source.getValues<Attribute>());
  SmallVector<Attribute> values;
  int64_t count = ShapedType::getNumElements(sizes);
  SmallVector<int64_t> index(sizes.size(), 0);
  for (int64_t n = 0; n < count; ++n) {
    for (int64_t d = int64_t(sizes.size()) - 1, rest = n; d >= 0; --d) {
      index[d] = rest % sizes[d];
      rest /= sizes[d];
    }
    int64_t flat = 0;
    for (size_t d = 0; d < sizes.size(); ++d)
      flat = flat * shape[d] + offsets[d] + index[d] * steps[d];
    values.push_back(all[flat]);
  }
  return DenseElementsAttr::get(op.getResultType(), values);
}

Value mlir::qc::foldToConstant(OpBuilder &b, Value v) {
  Operation *def = v.getDefiningOp();
  if (!def || smallConstantOf(v))
    return v;
  DenseElementsAttr folded;
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (type && type.hasStaticShape() && type.getNumElements() == 0 &&
      isFoldableElementType(type.getElementType()))
    // An empty tensor is the same constant whatever computed it.
    folded = DenseElementsAttr::get(type, ArrayRef<Attribute>());
  else if (auto generic = dyn_cast<linalg::GenericOp>(def)) {
    folded = evaluateGeneric(generic);
  } else if (auto fill = dyn_cast<linalg::FillOp>(def)) {
    Attribute value;
    if (type && type.hasStaticShape() &&
        type.getNumElements() <= kMaxFoldElements &&
        isFoldableElementType(type.getElementType()) &&
        matchPattern(fill.getInputs()[0], m_Constant(&value)))
      folded = DenseElementsAttr::get(type, value);
  } else if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def)) {
    folded = evaluateSlice(slice);
  } else if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def)) {
    Value source = foldToConstant(b, def->getOperand(0));
    if (DenseElementsAttr attr = smallConstantOf(source))
      folded = attr.reshape(cast<ShapedType>(v.getType()));
  }
  if (!folded)
    return v;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfter(def);
  Value constant = arith::ConstantOp::create(b, def->getLoc(), folded);
  v.replaceAllUsesWith(constant);
  if (def->use_empty())
    def->erase();
  return constant;
}

//===----------------------------------------------------------------------===//
// Weight views
//===----------------------------------------------------------------------===//

/// Raw little-endian element bytes of a constant (splats expanded).
static std::optional<std::vector<char>> constantBytes(Value v) {
  auto constant = v.getDefiningOp<arith::ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!constant || !type || !type.hasStaticShape() ||
      !type.getElementType().isIntOrFloat() ||
      type.getElementType().getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  size_t width = type.getElementType().getIntOrFloatBitWidth() / 8;
  size_t count = type.getNumElements();
  if (auto resource =
          dyn_cast<DenseResourceElementsAttr>(constant.getValue())) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != width * count)
      return std::nullopt;
    ArrayRef<char> data = blob->getData();
    return std::vector<char>(data.begin(), data.end());
  }
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense)
    return std::nullopt;
  ArrayRef<char> raw = dense.getRawData();
  std::vector<char> bytes(width * count);
  for (size_t i = 0; i < count; ++i)
    std::memcpy(bytes.data() + i * width,
                raw.data() + (dense.isSplat() ? 0 : i * width), width);
  return bytes;
}

/// Converts one float element between IEEE/bfloat formats.
static void convertFloat(const char *in, FloatType from, char *out,
                         FloatType to) {
  unsigned inBits = from.getWidth(), outBits = to.getWidth();
  uint64_t bits = 0;
  std::memcpy(&bits, in, inBits / 8);
  APFloat value(from.getFloatSemantics(), APInt(inBits, bits));
  bool lost;
  value.convert(to.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
  uint64_t result = value.bitcastToAPInt().getZExtValue();
  std::memcpy(out, &result, outBits / 8);
}

/// Evaluates a single-input, all-parallel linalg.generic that only moves
/// (and possibly converts between float types) its input's elements.
static std::optional<std::vector<char>>
evaluateDataMovement(linalg::GenericOp op, ArrayRef<char> input) {
  if (op.getNumDpsInputs() != 1 || op.getNumResults() != 1 ||
      op.getNumReductionLoops() != 0)
    return std::nullopt;
  Block &body = op.getRegion().front();
  Value yielded = body.getTerminator()->getOperand(0);
  Value arg = body.getArgument(0);
  auto inType = cast<RankedTensorType>(op.getDpsInputs()[0].getType());
  auto outType = dyn_cast<RankedTensorType>(op.getResult(0).getType());
  if (!outType || !outType.hasStaticShape())
    return std::nullopt;
  Type inElt = inType.getElementType(), outElt = outType.getElementType();
  bool convert = false;
  if (yielded != arg) {
    Operation *cast = yielded.getDefiningOp();
    if (!cast || !isa<arith::ExtFOp, arith::TruncFOp>(cast) ||
        cast->getOperand(0) != arg || !isa<FloatType>(inElt) ||
        !isa<FloatType>(outElt))
      return std::nullopt;
    convert = true;
  } else if (inElt != outElt) {
    return std::nullopt;
  }
  // The body is the yield and at most the one conversion.
  if (body.getOperations().size() > (convert ? 2u : 1u))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!maps[1].isIdentity())
    return std::nullopt;
  ArrayRef<int64_t> inShape = inType.getShape(), outShape = outType.getShape();
  // Input offset = constant part + sum of output index * stride per dim.
  SmallVector<int64_t> inStrides(inShape.size(), 1);
  for (int64_t d = int64_t(inShape.size()) - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * inShape[d + 1];
  SmallVector<int64_t> dimStride(outShape.size(), 0);
  int64_t base = 0;
  // Other affine maps (flips, grouped re-layouts) are evaluated per element.
  bool strided = true;
  for (auto [i, expr] : llvm::enumerate(maps[0].getResults())) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr))
      dimStride[dim.getPosition()] += inStrides[i];
    else if (auto c = dyn_cast<AffineConstantExpr>(expr))
      base += c.getValue() * inStrides[i];
    else
      strided = false;
  }
  size_t inWidth = inElt.getIntOrFloatBitWidth() / 8;
  size_t outWidth = outElt.getIntOrFloatBitWidth() / 8;
  int64_t count = outType.getNumElements();
  std::vector<char> out(count * outWidth);
  SmallVector<int64_t> index(outShape.size(), 0);
  int64_t offset = base;
  for (int64_t n = 0; n < count; ++n) {
    if (!strided) {
      offset = 0;
      for (auto [x, s, size] :
           llvm::zip(maps[0].compose(index), inStrides, inShape)) {
        if (x < 0 || x >= size)
          return std::nullopt;
        offset += x * s;
      }
    }
    const char *src = input.data() + offset * inWidth;
    if (convert)
      convertFloat(src, cast<FloatType>(inElt), out.data() + n * outWidth,
                   cast<FloatType>(outElt));
    else
      std::memcpy(out.data() + n * outWidth, src, inWidth);
    // Odometer over the output index, tracking the input offset.
    for (int64_t d = int64_t(outShape.size()) - 1; d >= 0; --d) {
      offset += dimStride[d];
      if (++index[d] < outShape[d])
        break;
      offset -= dimStride[d] * outShape[d];
      index[d] = 0;
    }
  }
  return out;
}

Value mlir::qc::foldWeightView(OpBuilder &b, Value v) {
  if (matchPattern(v, m_Constant()))
    return v;
  Operation *def = v.getDefiningOp();
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!def || !type || !type.hasStaticShape() || def->getNumOperands() == 0)
    return v;
  std::optional<std::vector<char>> bytes;
  if (isa<tensor::ReshapeOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp>(
          def)) {
    bytes = constantBytes(foldWeightView(b, def->getOperand(0)));
  } else if (auto generic = dyn_cast<linalg::GenericOp>(def)) {
    if (generic.getNumDpsInputs() == 1)
      if (auto input =
              constantBytes(foldWeightView(b, generic.getDpsInputs()[0])))
        bytes = evaluateDataMovement(generic, *input);
  }
  if (!bytes)
    return v;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfter(def);
  std::string name = getLayerName(def->getLoc());
  return createConstant(b, def->getLoc(), type, *bytes,
                        name.empty() ? "weight" : name);
}
