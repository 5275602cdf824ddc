//===- LinalgBuilders.h - Small builders of linalg/tensor IR ----*- C++ -*-===//
//
// Shared by the ONNX importer and the qc lowering: numpy-broadcasting
// element-wise linalg.generic ops and zero-filled destinations.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_SUPPORT_LINALGBUILDERS_H
#define QC_LIB_SUPPORT_LINALGBUILDERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::qc {

using ScalarBodyFn =
    function_ref<Value(OpBuilder &, Location, ValueRange scalarInputs)>;

/// linalg.generic computing `body` element-wise over `inputs`, broadcast to
/// `resultType` by numpy rules (trailing dims aligned, size-1 dims
/// stretched). Inputs must be broadcast-compatible with the result.
Value buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                       RankedTensorType resultType, ScalarBodyFn body);

/// `resultType` filled with `value` (tensor.empty + linalg.fill).
Value buildFilled(OpBuilder &b, Location loc, RankedTensorType resultType,
                  TypedAttr value);

/// `resultType` whose dimension `dim` takes the 1-D `vector`'s values.
Value buildBroadcastAlongDim(OpBuilder &b, Location loc, Value vector,
                             RankedTensorType resultType, unsigned dim);

/// `resultType` whose element at index (d0, ..., dn) is `input`'s element
/// at `inputIndices` (affine in d0..dn): transposes, tiles, reversals.
Value buildRemap(OpBuilder &b, Location loc, Value input,
                 RankedTensorType resultType,
                 ArrayRef<AffineExpr> inputIndices);

/// acc + x * w with reassoc/contract fast-math flags: dot products and
/// convolutions may be reassociated (as in every ML compiler), which is what
/// lets LLVM vectorize their reductions.
Value buildFusedMultiplyAdd(OpBuilder &b, Location loc, Value x, Value w,
                            Value acc);

} // namespace mlir::qc

#endif // QC_LIB_SUPPORT_LINALGBUILDERS_H
