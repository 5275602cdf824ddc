//===- QCDialect.cpp - qc dialect, its attribute and type -----------------===//
//
// Registration plus the layout attribute's and qweight type's verifiers: the
// rules every quantized weight obeys no matter which pass produced it.
//
//===----------------------------------------------------------------------===//

#include "dialects/QC/IR/QC.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::qc;

#include "dialects/QC/IR/QCDialect.cpp.inc"

#include "dialects/QC/IR/QCLayoutInterface.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/QC/IR/QCAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/QC/IR/QCTypes.cpp.inc"

void QCDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/QC/IR/QCAttrs.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/QC/IR/QCTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/QC/IR/QCOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// LayoutAttr
//===----------------------------------------------------------------------===//

LogicalResult LayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 unsigned bits, int64_t groupSize,
                                 bool symmetric, Type scaleType) {
  if (bits < 2 || bits > 8)
    return emitError() << "bits must be in [2, 8], got " << bits;
  if (groupSize < 0)
    return emitError() << "group_size must be >= 0 (0 = per-channel), got "
                       << groupSize;
  if (!scaleType.isF16() && !scaleType.isBF16() && !scaleType.isF32())
    return emitError() << "scale_type must be f16, bf16 or f32, got "
                       << scaleType;
  return success();
}

int64_t LayoutAttr::getGroupLength(int64_t rowLength) const {
  return getGroupSize() == 0 ? rowLength : getGroupSize();
}

int64_t LayoutAttr::getNumGroups(int64_t rowLength) const {
  int64_t g = getGroupLength(rowLength);
  return (rowLength + g - 1) / g;
}

int64_t LayoutAttr::getPackedRowBytes(int64_t rowLength) const {
  return (rowLength * getBits() + 7) / 8;
}

/// N and K of a weight of `shape` ([N, d1, ..., dk], K = d1 * ... * dk).
static std::pair<int64_t, int64_t> rowsAndLength(ArrayRef<int64_t> shape) {
  return {shape.front(), ShapedType::getNumElements(shape.drop_front())};
}

RankedTensorType LayoutAttr::getPackedType(ArrayRef<int64_t> shape) const {
  auto [rows, k] = rowsAndLength(shape);
  return RankedTensorType::get({rows, getPackedRowBytes(k)},
                               IntegerType::get(getContext(), 8));
}

RankedTensorType LayoutAttr::getScalesType(ArrayRef<int64_t> shape) const {
  auto [rows, k] = rowsAndLength(shape);
  return RankedTensorType::get({rows, getNumGroups(k)}, getScaleType());
}

RankedTensorType LayoutAttr::getZeroPointsType(ArrayRef<int64_t> shape) const {
  auto [rows, k] = rowsAndLength(shape);
  return RankedTensorType::get({rows, getNumGroups(k)},
                               IntegerType::get(getContext(), 8));
}

// WeightLayoutAttrInterface: codes of `bits` bits packed little-endian
// along each row, one scale (and zero point) per group; the value of code q
// is scale * (q - zero_point).

LogicalResult
LayoutAttr::verifyWeightShape(function_ref<InFlightDiagnostic()> emitError,
                              ArrayRef<int64_t> shape) const {
  int64_t rowLength = rowsAndLength(shape).second;
  if (getGroupSize() > rowLength)
    return emitError() << "group_size " << getGroupSize()
                       << " exceeds the row length " << rowLength;
  return success();
}

LogicalResult
LayoutAttr::verifyStoredTypes(function_ref<InFlightDiagnostic()> emitError,
                              ArrayRef<int64_t> shape, Type packedType,
                              Type scalesType, Type zeroPointsType) const {
  int64_t rowLength = rowsAndLength(shape).second;
  if (packedType != getPackedType(shape))
    return emitError() << "packed codes must be " << getPackedType(shape)
                       << " for " << getBits() << "-bit rows of " << rowLength
                       << " values, got " << packedType;
  if (scalesType != getScalesType(shape))
    return emitError() << "scales must be " << getScalesType(shape)
                       << " (rows x groups of " << getGroupLength(rowLength)
                       << ", scale_type), got " << scalesType;
  if (getSymmetric() && zeroPointsType)
    return emitError() << "symmetric layout takes no zero points";
  if (!getSymmetric() && !zeroPointsType)
    return emitError() << "asymmetric layout requires zero points";
  if (zeroPointsType && zeroPointsType != getZeroPointsType(shape))
    return emitError() << "zero points must be " << getZeroPointsType(shape)
                       << ", got " << zeroPointsType;
  return success();
}

int64_t LayoutAttr::getStorageBytes(ArrayRef<int64_t> shape) const {
  auto [rows, k] = rowsAndLength(shape);
  int64_t scaleBytes = getScaleType().getIntOrFloatBitWidth() / 8;
  int64_t perGroup = scaleBytes + (getSymmetric() ? 0 : 1);
  return rows * (getPackedRowBytes(k) + getNumGroups(k) * perGroup);
}

unsigned LayoutAttr::getCodeBits() const { return getBits(); }

void LayoutAttr::describe(llvm::json::Object &entry) const {
  entry["bits"] = int64_t(getBits());
  entry["group_size"] = getGroupSize();
  entry["symmetric"] = getSymmetric();
  std::string scaleType;
  llvm::raw_string_ostream(scaleType) << getScaleType();
  entry["scale_type"] = scaleType;
}

//===----------------------------------------------------------------------===//
// QWeightType
//===----------------------------------------------------------------------===//

Type QWeightType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  WeightLayoutAttrInterface layout;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                /*withTrailingX=*/false) ||
      parser.parseComma() || parser.parseAttribute(layout) ||
      parser.parseGreater())
    return {};
  return parser.getChecked<QWeightType>(parser.getContext(), shape, layout);
}

void QWeightType::print(AsmPrinter &printer) const {
  printer << '<';
  llvm::interleave(getShape(), printer, "x");
  printer << ", ";
  printer.printAttribute(getLayout());
  printer << '>';
}

LogicalResult QWeightType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape,
                                  WeightLayoutAttrInterface layout) {
  if (shape.size() < 2)
    return emitError() << "quantized weight must have rank >= 2 (rows x "
                          "values), got rank "
                       << shape.size();
  for (int64_t d : shape)
    if (d <= 0)
      return emitError() << "quantized weight dimensions must be positive, "
                            "got "
                         << d;
  return layout.verifyWeightShape(emitError, shape);
}

int64_t QWeightType::getRowLength() const {
  return ShapedType::getNumElements(getShape().drop_front());
}
