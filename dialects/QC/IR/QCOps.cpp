//===- QCOps.cpp - qc dialect operations ----------------------------------===//
//
// Verifiers of the qc ops. Shape rules live in free functions so the ONNX
// importer computes result types with the same code the verifier checks.
//
//===----------------------------------------------------------------------===//

#include "dialects/QC/IR/QC.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::qc;

#include "dialects/QC/IR/QCInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/QC/IR/QCOps.cpp.inc"

static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << '[';
  llvm::interleave(shape, os, ",");
  os << ']';
  return s;
}

ArrayRef<int64_t> mlir::qc::getWeightShape(Type weightType) {
  if (auto q = dyn_cast<QWeightType>(weightType))
    return q.getShape();
  return cast<RankedTensorType>(weightType).getShape();
}

FailureOr<SmallVector<int64_t>>
mlir::qc::inferLinearShape(ArrayRef<int64_t> input,
                           ArrayRef<int64_t> weightShape, std::string &error) {
  if (input.empty()) {
    error = "input must have rank >= 1";
    return failure();
  }
  if (weightShape.size() != 2) {
    error = llvm::formatv("weight must be 2-D [out, in], got {0}",
                          shapeStr(weightShape));
    return failure();
  }
  if (input.back() != weightShape[1]) {
    error = llvm::formatv("input features {0} do not match weight {1} "
                          "(expected [out, {0}])",
                          input.back(), shapeStr(weightShape));
    return failure();
  }
  SmallVector<int64_t> result(input.drop_back());
  result.push_back(weightShape[0]);
  return result;
}

FailureOr<SmallVector<int64_t>>
mlir::qc::inferConv2DShape(ArrayRef<int64_t> input, ArrayRef<int64_t> w,
                           ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                           ArrayRef<int64_t> dilations, int64_t group,
                           std::string &error) {
  if (input.size() != 4 || w.size() != 4) {
    error = llvm::formatv("expected 4-D input (NCHW) and weight (OIHW), got "
                          "{0} and {1}",
                          shapeStr(input), shapeStr(w));
    return failure();
  }
  if (strides.size() != 2 || pads.size() != 4 || dilations.size() != 2) {
    error = "expected 2 strides, 4 pads and 2 dilations";
    return failure();
  }
  if (group < 1 || w[0] % group != 0 || input[1] != w[1] * group) {
    error = llvm::formatv("input channels {0} and weight {1} do not match "
                          "group {2} (need C = I * group, O divisible by "
                          "group)",
                          input[1], shapeStr(w), group);
    return failure();
  }
  SmallVector<int64_t> result = {input[0], w[0]};
  for (int i = 0; i < 2; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 || pads[i + 2] < 0) {
      error = "strides and dilations must be >= 1 and pads >= 0";
      return failure();
    }
    int64_t span = dilations[i] * (w[2 + i] - 1) + 1;
    int64_t padded = input[2 + i] + pads[i] + pads[i + 2];
    if (padded < span) {
      error = llvm::formatv("kernel extent {0} exceeds padded input extent {1}",
                            span, padded);
      return failure();
    }
    result.push_back((padded - span) / strides[i] + 1);
  }
  return result;
}

/// A layer's weight must hold weights: an empty one has no rows to take
/// scales from (the importer lowers empty products without a layer).
static LogicalResult verifyNonEmptyWeight(Operation *op,
                                          ArrayRef<int64_t> weightShape) {
  if (llvm::is_contained(weightShape, 0))
    return op->emitOpError("weight ")
           << shapeStr(weightShape) << " is empty";
  return success();
}

/// Checks the bias of a layer with `outChannels` outputs and the result type.
static LogicalResult verifyBiasAndResult(Operation *op, Value bias,
                                         int64_t outChannels,
                                         ArrayRef<int64_t> expected,
                                         RankedTensorType resultType) {
  if (bias) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getRank() != 1 || biasType.getDimSize(0) != outChannels)
      return op->emitOpError("bias must be [")
             << outChannels << "], got " << shapeStr(biasType.getShape());
  }
  if (resultType.getShape() != expected)
    return op->emitOpError("result shape ")
           << shapeStr(resultType.getShape()) << " does not match expected "
           << shapeStr(expected);
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizedWeightOp
//===----------------------------------------------------------------------===//

int64_t QuantizedWeightOp::getStorageBytes() {
  int64_t bytes = getType().getStorageBytes();
  for (Value perColumn : {getColumnScales(), getGroupIndex()})
    if (perColumn) {
      auto type = cast<RankedTensorType>(perColumn.getType());
      bytes += type.getNumElements() * type.getElementTypeBitWidth() / 8;
    }
  return bytes;
}

LogicalResult QuantizedWeightOp::verify() {
  QWeightType type = getType();
  Value zeroPoints = getZeroPoints();
  if (failed(type.getLayout().verifyStoredTypes(
          [&] { return emitOpError(); }, type.getShape(), getPacked().getType(),
          getScales().getType(), zeroPoints ? zeroPoints.getType() : Type())))
    return failure();
  if (getColumnScales()) {
    auto columnsType = cast<RankedTensorType>(getColumnScales().getType());
    if (columnsType.getRank() != 1 ||
        columnsType.getDimSize(0) != type.getRowLength())
      return emitOpError("column scales must have one entry per row "
                         "position (")
             << type.getRowLength() << "), got " << columnsType;
  }
  if (getGroupIndex()) {
    auto indexType = cast<RankedTensorType>(getGroupIndex().getType());
    if (indexType.getRank() != 1 ||
        indexType.getDimSize(0) != type.getRowLength())
      return emitOpError("group index must have one entry per row position (")
             << type.getRowLength() << "), got " << indexType;
    // The group index selects a column of the scales.
    int64_t numGroups = getScales().getType().getDimSize(1);
    DenseIntElementsAttr indices;
    if (matchPattern(getGroupIndex(), m_Constant(&indices)))
      for (const APInt &g : indices.getValues<APInt>())
        if (g.isNegative() || g.getSExtValue() >= numGroups)
          return emitOpError("group index ")
                 << g.getSExtValue() << " is out of range [0, " << numGroups
                 << ")";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  ArrayRef<int64_t> weightShape = getWeightShape(getWeight().getType());
  if (failed(verifyNonEmptyWeight(*this, weightShape)))
    return failure();
  std::string error;
  auto expected =
      inferLinearShape(getInput().getType().getShape(), weightShape, error);
  if (failed(expected))
    return emitOpError(error);
  return verifyBiasAndResult(*this, getBias(), weightShape[0], *expected,
                             getResult().getType());
}

//===----------------------------------------------------------------------===//
// Conv2DOp
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::verify() {
  ArrayRef<int64_t> weightShape = getWeightShape(getWeight().getType());
  if (failed(verifyNonEmptyWeight(*this, weightShape)))
    return failure();
  std::string error;
  auto expected = inferConv2DShape(getInput().getType().getShape(), weightShape,
                                   getStrides(), getPads(), getDilations(),
                                   getGroup(), error);
  if (failed(expected))
    return emitOpError(error);
  return verifyBiasAndResult(*this, getBias(), weightShape[0], *expected,
                             getResult().getType());
}
