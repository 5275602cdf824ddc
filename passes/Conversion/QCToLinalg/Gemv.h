//===- Gemv.h - Shared pieces of the fused GEMV schedule --------*- C++ -*-===//
//
// qc.linear at batch 1-4 lowered for bandwidth (GemvLowering.cpp): the
// match, the per-call preparation of the input (phase split, group sums,
// int8 quantization) and the task bodies, float (GemvLowering.cpp) and
// int8 dot product (GemvInt8.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef QC_PASSES_CONVERSION_QCTOLINALG_GEMV_H
#define QC_PASSES_CONVERSION_QCTOLINALG_GEMV_H

#include "passes/Conversion/Passes.h"
#include "passes/Conversion/QCToLinalg/WeightAccess.h"

namespace mlir::qc::lowering {

/// What the schedule needs to know about a matched layer.
struct GemvShape {
  int64_t m, n, k;
  int64_t lanes;         ///< f32 lanes of one vector.
  int64_t rowsPerTask;   ///< Output rows sharing each input load.
  QuantizedWeightOp def; ///< Null for an f32 weight.
  int64_t bits = 32, phases = 1, groupLength = 0, groups = 1;
  /// Int8 activations: the block sharing one activation scale, and the i32
  /// lanes of one dot-product vector of the row-major kernel
  /// (GemvInt8.cpp, which runs only when both are set); 0 when off.
  int64_t actBlock = 0, dotLanes = 0;
  /// Output rows per vector of the row-interleaved int8 kernel
  /// (GemvInterleaved.cpp); 0 when the row-major kernels run. With it,
  /// rowsPerTask is a multiple of this.
  int64_t interleave = 0;
};

/// The schedule's preconditions; failure leaves the layer to the general
/// lowering (which handles every layout and shape).
FailureOr<GemvShape> matchGemv(LinearOp op, const GemvScheduleOptions &opts);

Value constIndex(OpBuilder &b, Location loc, int64_t v);

/// Reshapes `value` between [..., d] and the matrix [prod(...), d] (one of
/// the two is `type`); rank 1 is [1, d].
Value reshapeToOrFromMatrix(OpBuilder &b, Location loc, Value value,
                            RankedTensorType type);

/// `x` [m, k] viewed as [m, k / inner, inner].
Value splitRow(OpBuilder &b, Location loc, Value x, int64_t inner);

/// x [m, k] -> [m, phases, k / phases] with out[m][j][i] = x[m][i*P + j],
/// so the codes of phase j of a packed byte line up with out[m][j].
Value splitPhases(OpBuilder &b, Location loc, Value x, int64_t phases);

/// The sum over each weight group of x [m, k]: [m, groups].
Value groupSums(OpBuilder &b, Location loc, Value x, const GemvShape &s);

/// Reads `lanes` consecutive elements of `source` at `indices`.
Value readVector(OpBuilder &b, Location loc, Value source, ValueRange indices,
                 int64_t lanes);

/// source[row, g] (a scale or zero point) as f32.
Value readScalarAsF32(OpBuilder &b, Location loc, Value source, Value row,
                      Value g, bool isUnsigned);

/// The weight's zero point at (row, g) times `scale`, or null when codes
/// need no shift (asymmetric layouts store one; symmetric ones imply
/// 2^(bits-1)).
Value buildScaledZeroPoint(OpBuilder &b, Location loc, const GemvShape &s,
                           Value row, Value g, Value scale);

/// One task's results: `acc[m * R + r]` is a vector of partial sums of
/// input m against weight row row0 + r, `corr` the scalar zero-point
/// correction (quantized weights only).
struct TaskSums {
  SmallVector<Value> acc, corr;
};

/// The input as the int8 task body reads it: x quantized per block of
/// `actBlock` to int8 and split by phase, the f32 scale of each block, and
/// the group sums of the dequantized int8 input (for the zero point).
/// For the row-interleaved kernel (`interleaved`), `phases` is q in storage
/// order [m, k] and `blockSums` the i32 sum of q per block instead.
struct Int8Input {
  Value phases, scales, groupSums, blockSums;
};
Int8Input prepareInt8Input(OpBuilder &b, Location loc, Value x,
                           const GemvShape &s, bool interleaved = false);

/// acc + the 4-wide byte dot products of `codes` (unsigned) and `x`
/// (signed), per i32 lane, in plain vector arithmetic: the form
/// qc-int8-dot-to-x86-vnni rewrites into `vpdpbusd` on x86 (and LLVM
/// lowers as it can elsewhere).
Value buildInt8Dot(OpBuilder &b, Location loc, Value acc, Value codes, Value x);

/// The rows row0 .. row0 + R of a quantized weight against the int8 input:
/// integer dot products per activation block, scaled into f32
/// accumulators.
TaskSums buildInt8Rows(OpBuilder &b, Location loc, const GemvShape &s,
                       const Int8Input &input, Value row0);

/// The lanes (output rows per vector) of the row-interleaved int8 kernel
/// for `s`, or 0 when it does not apply (f32 activations, weights that are
/// not constants, rows not a multiple of 4, ...).
int64_t pickInterleaveLanes(const GemvShape &s,
                            const GemvScheduleOptions &options);

/// The weight's tensors in the row-interleaved layout, as new constants.
struct InterleavedWeight {
  Value packed, scales, zeroPoints;
};

/// Repacks `s.def`'s constants at compile time into the interleaved layout.
/// Fails, leaving the IR as it was, when a constant cannot be read: call it
/// before building anything else.
FailureOr<InterleavedWeight> interleaveWeight(OpBuilder &b, Location loc,
                                              const GemvShape &s);

/// The [m, n] result of the row-interleaved int8 kernel on `x` [m, k] with
/// `init` [m, n] (the bias or zeros).
Value buildInterleavedGemv(OpBuilder &b, Location loc, const GemvShape &s,
                           const InterleavedWeight &weight, Value x,
                           Value init);

} // namespace mlir::qc::lowering

#endif // QC_PASSES_CONVERSION_QCTOLINALG_GEMV_H
