//===- ElementTypes.h - qc_dtype <-> MLIR type <-> ONNX type ----*- C++ -*-===//
//
// The C++ view of include/quantc/Runtime/qc_dtypes.def, the one table of
// element types: the importer maps ONNX types through it, the model
// signature maps MLIR types back to the runtime's enum (the runtime's C
// side, Npy.c, reads the same table). uint* are unsigned MLIR integer types, so
// handlers can tell them apart (arith computes on their signless view).
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_SUPPORT_ELEMENTTYPES_H
#define QC_LIB_SUPPORT_ELEMENTTYPES_H

#include "mlir/IR/Types.h"

#include <cstdint>
#include <optional>

namespace mlir::qc {

/// The MLIR element type of qc_dtype `dtype`, or null.
Type getTypeOfDType(MLIRContext *ctx, int32_t dtype);

/// The qc_dtype of `type`, if the runtime has one (bfloat16 has none: .npy
/// cannot hold it).
std::optional<int32_t> getDTypeOfType(Type type);

/// The MLIR element type of ONNX TensorProto.DataType `onnxType` (the
/// runtime's types plus bfloat16), or null.
Type getTypeOfONNXType(MLIRContext *ctx, int32_t onnxType);

} // namespace mlir::qc

#endif // QC_LIB_SUPPORT_ELEMENTTYPES_H
