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

//===----------------------------------------------------------------------===//
// QWeightType
//===----------------------------------------------------------------------===//

Type QWeightType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  LayoutAttr layout;
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
                                  ArrayRef<int64_t> shape, LayoutAttr layout) {
  if (shape.size() < 2)
    return emitError() << "quantized weight must have rank >= 2 (rows x "
                          "values), got rank "
                       << shape.size();
  for (int64_t d : shape)
    if (d <= 0)
      return emitError() << "quantized weight dimensions must be positive, "
                            "got "
                         << d;
  int64_t rowLength = 1;
  for (int64_t d : shape.drop_front())
    rowLength *= d;
  if (layout.getGroupSize() > rowLength)
    return emitError() << "group_size " << layout.getGroupSize()
                       << " exceeds the row length " << rowLength;
  return success();
}

int64_t QWeightType::getRowLength() const {
  int64_t rowLength = 1;
  for (int64_t d : getShape().drop_front())
    rowLength *= d;
  return rowLength;
}

RankedTensorType QWeightType::getPackedType() const {
  return RankedTensorType::get({getNumRows(), getPackedRowBytes()},
                               IntegerType::get(getContext(), 8));
}

RankedTensorType QWeightType::getScalesType() const {
  return RankedTensorType::get({getNumRows(), getNumGroups()},
                               getLayout().getScaleType());
}

RankedTensorType QWeightType::getZeroPointsType() const {
  return RankedTensorType::get({getNumRows(), getNumGroups()},
                               IntegerType::get(getContext(), 8));
}

int64_t QWeightType::getStorageBytes() const {
  int64_t scaleBytes = getLayout().getScaleType().getIntOrFloatBitWidth() / 8;
  int64_t perGroup = scaleBytes + (getLayout().getSymmetric() ? 0 : 1);
  return getNumRows() * (getPackedRowBytes() + getNumGroups() * perGroup);
}
