//===- ONNXOps.cpp - Per-op ONNX import handlers --------------------------===//
//
// One handler per ONNX op type. Layers with constant weights become qc ops
// (their weight laid out [out, in, ...] as quantization expects); the rest
// becomes linalg/tensor/arith/math. Each handler computes its own result
// type and reports unsupported attribute values through NodeContext::error.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "dialects/QC/IR/QC.h"
#include "lib/Support/LinalgBuilders.h"
#include "lib/Support/WeightConstants.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

Value f32Constant(OpBuilder &b, Location loc, float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

/// Reshapes `v` to the static `shape` (same element count).
Value reshapeTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  auto shapeType =
      RankedTensorType::get({int64_t(shape.size())}, b.getI64Type());
  Value shapeValue = arith::ConstantOp::create(
      b, loc, DenseIntElementsAttr::get(shapeType, shape));
  return tensor::ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v,
      shapeValue);
}

/// Constant integer data of input `i`, or failure.
FailureOr<SmallVector<int64_t>> constantInts(NodeContext &nc, unsigned i) {
  DenseIntElementsAttr attr;
  if (!matchPattern(nc.input(i), m_Constant(&attr)))
    return failure();
  SmallVector<int64_t> values;
  for (const APInt &v : attr.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

bool isFloatTensor(NodeContext &nc, unsigned i) {
  return nc.inputType(i).getElementType().isF32();
}

LogicalResult requireF32(NodeContext &nc) {
  for (unsigned i = 0; i < nc.numInputs(); ++i)
    if (nc.hasInput(i) && !isFloatTensor(nc, i))
      return nc.error() << "input " << i << " has element type "
                        << nc.inputType(i).getElementType()
                        << "; only f32 is supported for this op";
  return success();
}

//===----------------------------------------------------------------------===//
// Element-wise
//===----------------------------------------------------------------------===//

template <typename BodyFn> LogicalResult unary(NodeContext &nc, BodyFn body) {
  if (failed(requireF32(nc)))
    return failure();
  Value out =
      buildElementwise(nc.b, nc.loc, nc.input(0), nc.inputType(0),
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         return body(b, loc, args[0]);
                       });
  nc.setOutput(0, out);
  return success();
}

template <typename BodyFn> LogicalResult binary(NodeContext &nc, BodyFn body) {
  if (failed(requireF32(nc)))
    return failure();
  auto shape =
      broadcastShapes(nc.inputType(0).getShape(), nc.inputType(1).getShape());
  if (failed(shape))
    return nc.error() << "shapes " << nc.inputType(0) << " and "
                      << nc.inputType(1) << " do not broadcast";
  auto type = RankedTensorType::get(*shape, nc.b.getF32Type());
  Value out =
      buildElementwise(nc.b, nc.loc, ValueRange{nc.input(0), nc.input(1)}, type,
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         return body(b, loc, args[0], args[1]);
                       });
  nc.setOutput(0, out);
  return success();
}

LogicalResult importRelu(NodeContext &nc) {
  return unary(nc, [](OpBuilder &b, Location loc, Value x) -> Value {
    return arith::MaximumFOp::create(b, loc, x, f32Constant(b, loc, 0));
  });
}

LogicalResult importSigmoid(NodeContext &nc) {
  return unary(nc, [](OpBuilder &b, Location loc, Value x) -> Value {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    Value one = f32Constant(b, loc, 1);
    return arith::DivFOp::create(b, loc, one,
                                 arith::AddFOp::create(b, loc, one, e));
  });
}

template <typename MathOp> LogicalResult importUnaryMath(NodeContext &nc) {
  return unary(nc, [](OpBuilder &b, Location loc, Value x) -> Value {
    return MathOp::create(b, loc, x);
  });
}

template <typename ArithOp> LogicalResult importBinaryArith(NodeContext &nc) {
  return binary(nc, [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
    return ArithOp::create(b, loc, x, y);
  });
}

LogicalResult importIdentity(NodeContext &nc) {
  nc.setOutput(0, nc.input(0));
  // Dropout's optional mask output is all true in inference.
  if (nc.node.output_size() > 1 && !nc.node.output(1).empty()) {
    auto maskType =
        RankedTensorType::get(nc.inputType(0).getShape(), nc.b.getI1Type());
    nc.setOutput(1,
                 buildFilled(nc.b, nc.loc, maskType, nc.b.getBoolAttr(true)));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

LogicalResult importFlatten(NodeContext &nc) {
  ArrayRef<int64_t> shape = nc.inputType(0).getShape();
  int64_t rank = shape.size();
  int64_t axis = nc.getInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return nc.error() << "axis " << nc.getInt("axis", 1)
                      << " is out of range for rank " << rank;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i)
    (i < axis ? outer : inner) *= shape[i];
  nc.setOutput(0, reshapeTo(nc.b, nc.loc, nc.input(0), {outer, inner}));
  return success();
}

LogicalResult importReshape(NodeContext &nc) {
  auto requested = constantInts(nc, 1);
  if (failed(requested))
    return nc.error() << "the target shape must be a constant";
  ArrayRef<int64_t> in = nc.inputType(0).getShape();
  int64_t numel = nc.inputType(0).getNumElements();
  bool allowZero = nc.getInt("allowzero", 0) != 0;
  SmallVector<int64_t> shape;
  int64_t known = 1, inferred = -1;
  for (auto [i, d] : llvm::enumerate(*requested)) {
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return nc.error() << "shape entry " << i
                          << " copies a dimension the input does not have";
      d = in[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return nc.error() << "shape has more than one -1";
      inferred = i;
      shape.push_back(1);
      continue;
    }
    if (d < 0)
      return nc.error() << "invalid shape entry " << d;
    shape.push_back(d);
    known *= d;
  }
  if (inferred >= 0) {
    if (known == 0 || numel % known != 0)
      return nc.error() << "cannot infer -1: " << numel
                        << " elements do not divide into the shape";
    shape[inferred] = numel / known;
    known *= shape[inferred];
  }
  if (known != numel)
    return nc.error() << "cannot reshape " << nc.inputType(0) << " (" << numel
                      << " elements) to " << known << " elements";
  nc.setOutput(0, reshapeTo(nc.b, nc.loc, nc.input(0), shape));
  return success();
}

LogicalResult importConstant(NodeContext &nc) {
  const onnx::AttributeProto *value = nc.attr("value");
  if (!value || !value->has_t())
    return nc.error() << "only the 'value' (tensor) form of Constant is "
                         "supported";
  Value v = importTensor(nc.b, nc.loc, value->t());
  if (!v)
    return failure();
  nc.setOutput(0, v);
  return success();
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

/// Constant float weight laid out [rows, cols] as [cols, rows] (or as is),
/// scaled by `alpha`.
FailureOr<Value> weightConstant(NodeContext &nc, unsigned input, bool transpose,
                                float alpha) {
  FailureOr<std::vector<float>> data = readF32Constant(nc.input(input));
  if (failed(data))
    return failure();
  ArrayRef<int64_t> shape = nc.inputType(input).getShape();
  int64_t rows = shape[0], cols = shape[1];
  std::vector<float> out(data->size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[transpose ? c * rows + r : r * cols + c] =
          alpha * (*data)[r * cols + c];
  SmallVector<int64_t> outShape = transpose ? SmallVector<int64_t>{cols, rows}
                                            : SmallVector<int64_t>{rows, cols};
  auto type = RankedTensorType::get(outShape, nc.b.getF32Type());
  std::string name = nc.node.input(input);
  return createConstant(
      nc.b, nc.nameLoc(name), type,
      ArrayRef<char>(reinterpret_cast<const char *>(out.data()),
                     out.size() * sizeof(float)),
      name);
}

Value buildLinear(NodeContext &nc, Value x, Value weight, Value bias) {
  std::string error;
  auto shape = inferLinearShape(cast<RankedTensorType>(x.getType()).getShape(),
                                getWeightShape(weight.getType()), error);
  auto type = RankedTensorType::get(*shape, nc.b.getF32Type());
  return LinearOp::create(nc.b, nc.loc, type, x, weight, bias);
}

LogicalResult importGemm(NodeContext &nc) {
  if (failed(requireF32(nc)))
    return failure();
  if (nc.inputType(0).getRank() != 2 || nc.inputType(1).getRank() != 2)
    return nc.error() << "A and B must be 2-D, got " << nc.inputType(0)
                      << " and " << nc.inputType(1);
  if (nc.getInt("transA", 0) != 0)
    return nc.error() << "transA=1 is not supported yet";
  bool transB = nc.getInt("transB", 0) != 0;
  float alpha = nc.getFloat("alpha", 1.0f), beta = nc.getFloat("beta", 1.0f);
  // qc.linear wants [out, in]: B is [K, N] unless transB.
  FailureOr<Value> weight = weightConstant(nc, 1, !transB, alpha);
  if (failed(weight))
    return nc.error() << "B must be a constant f32 initializer";
  int64_t k = nc.inputType(0).getDimSize(1);
  int64_t n = getWeightShape(weight->getType())[0];
  if (getWeightShape(weight->getType())[1] != k)
    return nc.error() << "A " << nc.inputType(0) << " and B " << nc.inputType(1)
                      << " disagree on K (transB=" << transB << ")";
  Value bias;
  Value c = nc.hasInput(2) ? nc.input(2) : Value();
  if (c) {
    ArrayRef<int64_t> cs = nc.inputType(2).getShape();
    bool vectorBias = (cs.size() == 1 && cs[0] == n) ||
                      (cs.size() == 2 && cs[0] == 1 && cs[1] == n);
    FailureOr<std::vector<float>> cData = readF32Constant(c);
    if (vectorBias && cs.size() == 1 && beta == 1.0f) {
      bias = c;
      c = nullptr;
    } else if (vectorBias && succeeded(cData)) {
      for (float &v : *cData)
        v *= beta;
      bias = createConstant(
          nc.b, nc.nameLoc(nc.node.input(2)),
          RankedTensorType::get({n}, nc.b.getF32Type()),
          ArrayRef<char>(reinterpret_cast<const char *>(cData->data()),
                         cData->size() * sizeof(float)),
          nc.node.input(2));
      c = nullptr;
    }
  }
  Value y = buildLinear(nc, nc.input(0), *weight, bias);
  if (c) {
    // General C: y + beta * C with broadcasting.
    auto yType = cast<RankedTensorType>(y.getType());
    if (failed(broadcastShapes(yType.getShape(), nc.inputType(2).getShape())))
      return nc.error() << "C " << nc.inputType(2) << " does not broadcast to "
                        << yType;
    y = buildElementwise(
        nc.b, nc.loc, ValueRange{y, c}, yType,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value scaled =
              arith::MulFOp::create(b, loc, args[1], f32Constant(b, loc, beta));
          return Value(arith::AddFOp::create(b, loc, args[0], scaled));
        });
  }
  nc.setOutput(0, y);
  return success();
}

LogicalResult importMatMul(NodeContext &nc) {
  if (failed(requireF32(nc)))
    return failure();
  if (nc.inputType(1).getRank() != 2)
    return nc.error() << "B of rank " << nc.inputType(1).getRank()
                      << " is not supported yet (only a 2-D constant B)";
  FailureOr<Value> weight = weightConstant(nc, 1, /*transpose=*/true, 1.0f);
  if (failed(weight))
    return nc.error() << "a non-constant B is not supported yet";
  if (nc.inputType(0).getShape().back() != nc.inputType(1).getDimSize(0))
    return nc.error() << "A " << nc.inputType(0) << " and B " << nc.inputType(1)
                      << " disagree on K";
  nc.setOutput(0, buildLinear(nc, nc.input(0), *weight, nullptr));
  return success();
}

LogicalResult importConv(NodeContext &nc) {
  if (failed(requireF32(nc)))
    return failure();
  RankedTensorType xType = nc.inputType(0), wType = nc.inputType(1);
  if (xType.getRank() != 4 || wType.getRank() != 4)
    return nc.error() << "only 2-D convolution (4-D input and weight) is "
                         "supported, got "
                      << xType << " and " << wType;
  if (!matchPattern(nc.input(1), m_Constant()))
    return nc.error() << "the weight must be a constant initializer";
  std::vector<int64_t> strides = nc.getInts("strides", {1, 1});
  std::vector<int64_t> dilations = nc.getInts("dilations", {1, 1});
  std::vector<int64_t> pads = nc.getInts("pads", {0, 0, 0, 0});
  int64_t group = nc.getInt("group", 1);
  std::string autoPad = nc.getString("auto_pad", "NOTSET");
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
    return nc.error() << "expected 2 strides, 2 dilations and 4 pads";
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int i = 0; i < 2; ++i) {
      int64_t in = xType.getDimSize(2 + i);
      int64_t out = (in + strides[i] - 1) / strides[i];
      int64_t span = dilations[i] * (wType.getDimSize(2 + i) - 1) + 1;
      int64_t total = std::max<int64_t>(0, (out - 1) * strides[i] + span - in);
      int64_t small = total / 2, large = total - small;
      pads[i] = autoPad == "SAME_UPPER" ? small : large;
      pads[i + 2] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (autoPad != "NOTSET") {
    return nc.error() << "unsupported auto_pad '" << autoPad << "'";
  }
  std::string error;
  auto shape = inferConv2DShape(xType.getShape(), wType.getShape(), strides,
                                pads, dilations, group, error);
  if (failed(shape))
    return nc.error() << error;
  Value bias = nc.hasInput(2) ? nc.input(2) : Value();
  auto type = RankedTensorType::get(*shape, nc.b.getF32Type());
  nc.setOutput(0, Conv2DOp::create(nc.b, nc.loc, type, nc.input(0), nc.input(1),
                                   bias, nc.b.getDenseI64ArrayAttr(strides),
                                   nc.b.getDenseI64ArrayAttr(pads),
                                   nc.b.getDenseI64ArrayAttr(dilations),
                                   nc.b.getI64IntegerAttr(group)));
  return success();
}

} // namespace

OpHandler mlir::qc::lookupOpHandler(StringRef opType) {
  return llvm::StringSwitch<OpHandler>(opType)
      .Case("Add", importBinaryArith<arith::AddFOp>)
      .Case("Sub", importBinaryArith<arith::SubFOp>)
      .Case("Mul", importBinaryArith<arith::MulFOp>)
      .Case("Div", importBinaryArith<arith::DivFOp>)
      .Case("Relu", importRelu)
      .Case("Sigmoid", importSigmoid)
      .Case("Tanh", importUnaryMath<math::TanhOp>)
      .Case("Exp", importUnaryMath<math::ExpOp>)
      .Case("Sqrt", importUnaryMath<math::SqrtOp>)
      .Case("Abs", importUnaryMath<math::AbsFOp>)
      .Case("Neg",
            [](NodeContext &nc) {
              return unary(nc,
                           [](OpBuilder &b, Location loc, Value x) -> Value {
                             return arith::NegFOp::create(b, loc, x);
                           });
            })
      .Case("Identity", importIdentity)
      .Case("Dropout", importIdentity)
      .Case("Flatten", importFlatten)
      .Case("Reshape", importReshape)
      .Case("Constant", importConstant)
      .Case("Gemm", importGemm)
      .Case("MatMul", importMatMul)
      .Case("Conv", importConv)
      .Default(nullptr);
}
