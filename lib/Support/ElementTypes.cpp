//===- ElementTypes.cpp - qc_dtype <-> MLIR type <-> ONNX type ------------===//

#include "lib/Support/ElementTypes.h"

#include "quantc/Runtime/qc_model.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace {
enum class TypeClass { F, S, U, B };

Type makeType(MLIRContext *ctx, TypeClass cls, unsigned bits) {
  switch (cls) {
  case TypeClass::F:
    return bits == 32   ? Type(Float32Type::get(ctx))
           : bits == 64 ? Type(Float64Type::get(ctx))
                        : Type(Float16Type::get(ctx));
  case TypeClass::S:
  case TypeClass::B:
    return IntegerType::get(ctx, bits);
  case TypeClass::U:
    return IntegerType::get(ctx, bits, IntegerType::Unsigned);
  }
  return nullptr;
}
} // namespace

Type mlir::qc::getTypeOfDType(MLIRContext *ctx, int32_t dtype) {
  switch (dtype) {
#define QC_DTYPE(ENUM, VALUE, NAME, NPY_KIND, BYTES, ONNX, CLASS, BITS)        \
  case QC_DTYPE_##ENUM:                                                        \
    return makeType(ctx, TypeClass::CLASS, BITS);
#include "quantc/Runtime/qc_dtypes.def"
  default:
    return nullptr;
  }
}

std::optional<int32_t> mlir::qc::getDTypeOfType(Type type) {
#define QC_DTYPE(ENUM, VALUE, NAME, NPY_KIND, BYTES, ONNX, CLASS, BITS)        \
  if (type == makeType(type.getContext(), TypeClass::CLASS, BITS))             \
    return QC_DTYPE_##ENUM;
#include "quantc/Runtime/qc_dtypes.def"
  return std::nullopt;
}

Type mlir::qc::getTypeOfONNXType(MLIRContext *ctx, int32_t onnxType) {
  // bfloat16 weights and compute import, but .npy has no bfloat16, so it
  // has no runtime dtype: a bf16 graph input or output is reported at the
  // boundary.
  constexpr int32_t kONNXBFloat16 = 16;
  if (onnxType == kONNXBFloat16)
    return BFloat16Type::get(ctx);
  switch (onnxType) {
#define QC_DTYPE(ENUM, VALUE, NAME, NPY_KIND, BYTES, ONNX, CLASS, BITS)        \
  case ONNX:                                                                   \
    return makeType(ctx, TypeClass::CLASS, BITS);
#include "quantc/Runtime/qc_dtypes.def"
  default:
    return nullptr;
  }
}
