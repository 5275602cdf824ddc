//===- QC.h - qc dialect, attributes, types and ops -------------*- C++ -*-===//
//
// The one header users of the qc dialect include.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECTS_QC_IR_QC_H
#define QC_DIALECTS_QC_IR_QC_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/Support/JSON.h"

#include "dialects/QC/IR/QCDialect.h.inc"

#include "dialects/QC/IR/QCLayoutInterface.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/QC/IR/QCAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/QC/IR/QCTypes.h.inc"

#include "dialects/QC/IR/QCInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/QC/IR/QCOps.h.inc"

namespace mlir::qc {

/// Logical shape of a weight operand, float or quantized.
ArrayRef<int64_t> getWeightShape(Type weightType);

/// Result shape of qc.linear for `input` and a weight of `weightShape`, or
/// failure (with `error` set) when they disagree.
FailureOr<SmallVector<int64_t>> inferLinearShape(ArrayRef<int64_t> input,
                                                 ArrayRef<int64_t> weightShape,
                                                 std::string &error);

/// Result shape of qc.conv2d (NCHW input, OIHW weight), or failure with
/// `error` set.
FailureOr<SmallVector<int64_t>>
inferConv2DShape(ArrayRef<int64_t> input, ArrayRef<int64_t> weightShape,
                 ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                 ArrayRef<int64_t> dilations, int64_t group,
                 std::string &error);

} // namespace mlir::qc

#endif // QC_DIALECTS_QC_IR_QC_H
