//===- QCOps.td - qc dialect operations --------------------*- tablegen -*-===//
//
// Quantizable layers take their weight as an operand, either a float tensor
// or a `!qc.qweight`, so quantization is a local rewrite of that operand and
// lowering decides how (and where) to dequantize.
//
//===----------------------------------------------------------------------===//

#ifndef QC_OPS_TD
#define QC_OPS_TD

include "dialects/QC/IR/QCTypes.td"
include "dialects/QC/IR/QCInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Float weights compute in f32 whatever they are stored in (f16/bf16:
// --weight-type, the half-precision baseline of quantization studies).
def QC_FloatWeight : RankedTensorOf<[F32, F16, BF16]>;
def QC_Weight : AnyTypeOf<[QC_FloatWeight, QC_QWeightType],
                          "f32/f16/bf16 tensor or !qc.qweight">;

def QC_QuantizedWeightOp : QC_Op<"quantized_weight",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Assembles a quantized weight from packed codes and scales";
  let description = [{
    `packed` holds the codes of each row as a little-endian bit stream
    (code `k` of row `n` starts at bit `k * bits` of that row's bytes; rows
    start on byte boundaries). `scales` and, for asymmetric layouts,
    `zero_points` (unsigned, stored in `i8`) have one entry per row and group.
    The optional `column_scales` (one f32 per position along a row) multiply
    every dequantized value of that column: AWQ's activation-aware scales,
    `w[n, k] = scales[n, g] * (q - zp[n, g]) * column_scales[k]`.
    The optional `group_index` (one i32 per row position) gives the group of
    each column when groups are not contiguous (GPTQ's act-order with
    permuted groups): `g = group_index[k]` instead of `k / group_size`.

    ```mlir
    %w = qc.quantized_weight %packed, %scales, %zp
        : tensor<2x2xi8>, tensor<2x1xf32>, tensor<2x1xi8>
        -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0,
                                        symmetric = false, scale_type = f32>>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$packed,
                       RankedTensorOf<[F16, BF16, F32]>:$scales,
                       Optional<RankedTensorOf<[I8]>>:$zero_points,
                       Optional<RankedTensorOf<[F32]>>:$column_scales,
                       Optional<RankedTensorOf<[I32]>>:$group_index);
  let results = (outs QC_QWeightType:$result);
  let assemblyFormat = [{
    $packed `,` $scales (`,` $zero_points^)?
    (`column_scales` `(` $column_scales^ `:` type($column_scales) `)`)?
    (`group_index` `(` $group_index^ `:` type($group_index) `)`)?
    attr-dict `:` type($packed) `,`
    type($scales) (`,` type($zero_points)^)? `->` qualified(type($result))
  }];
  let extraClassDeclaration = [{
    /// Bytes this weight occupies in a binary: the result type's codes,
    /// scales and zero points plus the optional per-column operands.
    int64_t getStorageBytes();
  }];
  let hasVerifier = 1;
}

def QC_LinearOp : QC_Op<"linear", [Pure,
    DeclareOpInterfaceMethods<QC_QuantizableLayerInterface>]> {
  let summary = "Fully connected layer: input x weightᵀ + bias";
  let description = [{
    `result[..., n] = sum_k input[..., k] * weight[n, k] + bias[n]`. The
    weight is `[N, K]` (output by input channels, as in PyTorch), the input
    has any rank with `K` innermost.

    ```mlir
    %y = qc.linear %x, %w, %b
        : tensor<1x2048xf32>, tensor<10x2048xf32>, tensor<10xf32> -> tensor<1x10xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, QC_Weight:$weight,
                       Optional<RankedTensorOf<[F32]>>:$bias);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,`
    qualified(type($weight)) (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def QC_Conv2DOp : QC_Op<"conv2d", [Pure,
    DeclareOpInterfaceMethods<QC_QuantizableLayerInterface>]> {
  let summary = "2-D convolution, NCHW input, OIHW weight, with groups";
  let description = [{
    ONNX `Conv` semantics: `pads` is `[top, left, bottom, right]`; input
    channels are split into `group` groups, each seen by `O / group` filters.

    ```mlir
    %y = qc.conv2d %x, %w, %b {strides = array<i64: 1, 1>,
           pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1}
        : tensor<1x1x8x8xf32>, tensor<16x1x3x3xf32>, tensor<16xf32>
        -> tensor<1x16x8x8xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, QC_Weight:$weight,
                       Optional<RankedTensorOf<[F32]>>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, I64Attr:$group);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,`
    qualified(type($weight)) (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // QC_OPS_TD
