//===- QCAttrs.td - qc dialect attributes ------------------*- tablegen -*-===//
//
// The layout of a quantized weight: how many bits a value takes, how many
// consecutive input channels share a scale, whether a zero point is stored,
// and the element type of the scales.
//
//===----------------------------------------------------------------------===//

#ifndef QC_ATTRS_TD
#define QC_ATTRS_TD

include "dialects/QC/IR/QCBase.td"
include "dialects/QC/IR/QCLayoutInterface.td"

def QC_LayoutAttr : AttrDef<QC_Dialect, "Layout",
    [DeclareAttrInterfaceMethods<QC_WeightLayoutAttrInterface>]> {
  let mnemonic = "layout";
  let summary = "The affine layout: scale * (q - zero_point) per group";
  let description = [{
    A weight of shape `[N, d1, ..., dk]` is quantized row by row: row `n`
    holds the `K = d1 * ... * dk` values of output channel `n`, split into
    groups of `group_size` consecutive values (the last group may be shorter)
    that share one scale; `group_size = 0` means one group per row
    (per-channel). Codes are unsigned `bits`-bit integers `q`; the value is
    `scale * (q - zero_point)`. Asymmetric layouts store a zero point per
    group; symmetric layouts use the implicit zero point `2^(bits-1)`.

    ```mlir
    #qc.layout<bits = 4, group_size = 32, symmetric = false, scale_type = f16>
    ```
  }];
  let parameters = (ins "unsigned":$bits, "int64_t":$groupSize,
                        "bool":$symmetric, "::mlir::Type":$scaleType);
  let assemblyFormat = [{
    `<` `bits` `=` $bits `,` `group_size` `=` $groupSize `,`
        `symmetric` `=` $symmetric `,` `scale_type` `=` $scaleType `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of groups a row of `rowLength` values is split into.
    int64_t getNumGroups(int64_t rowLength) const;
    /// Number of values in each group of a row of `rowLength` values.
    int64_t getGroupLength(int64_t rowLength) const;
    /// Bytes of one packed row of `rowLength` codes.
    int64_t getPackedRowBytes(int64_t rowLength) const;
    /// Tensor types of the packed codes, the scales and the zero points of
    /// a weight of `shape`.
    ::mlir::RankedTensorType getPackedType(::llvm::ArrayRef<int64_t> shape) const;
    ::mlir::RankedTensorType getScalesType(::llvm::ArrayRef<int64_t> shape) const;
    ::mlir::RankedTensorType getZeroPointsType(::llvm::ArrayRef<int64_t> shape) const;
    /// The zero point of symmetric layouts.
    int64_t getImplicitZeroPoint() const { return int64_t(1) << (getBits() - 1); }
  }];
}

#endif // QC_ATTRS_TD
