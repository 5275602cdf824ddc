//===- WeightConstants.h - Reading and creating weight data -----*- C++ -*-===//
//
// Weights are arith.constant ops holding either a dense_resource blob (what
// the importer and passes create) or, for tiny tensors, an inline dense
// attribute; these helpers hide which.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_SUPPORT_WEIGHTCONSTANTS_H
#define QC_LIB_SUPPORT_WEIGHTCONSTANTS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/StringSet.h"

#include <string>
#include <vector>

namespace mlir::qc {

/// Tensors up to this many bytes are created inline (readable in tests);
/// larger ones become dense_resource blobs, kept out of the IR text.
constexpr int64_t kInlineConstantBytes = 256;

/// The elements of an f32 dense or dense_resource attribute, else failure.
FailureOr<std::vector<float>> readF32Elements(Attribute attr);

/// The f32 elements of `value` if it is an arith.constant, else failure.
FailureOr<std::vector<float>> readF32Constant(Value value);

/// The elements of a float constant (f16, bf16, f32 or f64) widened to f32.
FailureOr<std::vector<float>> readFloatConstant(Value value);

/// The little-endian element bytes of `value` if it is an arith.constant
/// of an integer or float tensor (a splat is expanded), else failure.
FailureOr<std::vector<char>> readConstantBytes(Value value);

/// An arith.constant of float `type` holding `values` rounded to its
/// element type (nearest, ties to even).
Value createFloatConstant(OpBuilder &b, Location loc, RankedTensorType type,
                          ArrayRef<float> values, StringRef blobName);

/// Creates an arith.constant of `type` from raw little-endian element bytes.
Value createConstant(OpBuilder &b, Location loc, RankedTensorType type,
                     ArrayRef<char> bytes, StringRef blobName);

/// The dense_resource blobs of a context that hold data at one moment.
using BlobSnapshot = llvm::StringSet<>;
BlobSnapshot snapshotBlobs(MLIRContext *ctx);

/// Frees the data of every dense_resource blob of `ctx` that no attribute
/// in `live` refers to any more (the float weights a quantization pass
/// replaced: erased constants leave their blobs behind in the context).
/// Only valid when `live` are all the modules of `ctx` still in use; with
/// `keep`, the blobs it names are left alone, so that a step can free
/// what it made itself (then `live` are the modules that may refer to
/// those).
void releaseUnreferencedBlobs(MLIRContext *ctx, ArrayRef<ModuleOp> live,
                              const BlobSnapshot *keep = nullptr);

/// The layer name a location carries (the ONNX node name), or "".
std::string getLayerName(Location loc);

} // namespace mlir::qc

#endif // QC_LIB_SUPPORT_WEIGHTCONSTANTS_H
