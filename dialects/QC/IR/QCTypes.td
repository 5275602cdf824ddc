//===- QCTypes.td - qc dialect types -----------------------*- tablegen -*-===//
//
// `!qc.qweight` is the type of a quantized weight: the logical (float) shape
// the layer sees plus the layout its packed codes and scales follow. The data
// itself lives in tensors, never in the type, so a 7B model's millions of
// scales stay in resource blobs.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TYPES_TD
#define QC_TYPES_TD

include "dialects/QC/IR/QCAttrs.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

def QC_QWeightType : TypeDef<QC_Dialect, "QWeight"> {
  let mnemonic = "qweight";
  let summary = "A packed quantized weight tensor";
  let description = [{
    ```mlir
    !qc.qweight<10x2048, #qc.layout<bits = 4, group_size = 32,
                                     symmetric = false, scale_type = f32>>
    ```
    The first dimension indexes output channels (rows); the remaining
    dimensions, flattened, are the values quantized along a row.
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape,
                        "::mlir::qc::WeightLayoutAttrInterface":$layout);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getNumRows() const { return getShape().front(); }
    /// Number of values quantized along one row (product of trailing dims).
    int64_t getRowLength() const;
    /// Bytes of the tensors the layout stores (codes, scales, ...).
    int64_t getStorageBytes() const { return getLayout().getStorageBytes(getShape()); }
    /// The layout as today's affine layout, or null for other layouts.
    ::mlir::qc::LayoutAttr getAffineLayout() const {
      return ::llvm::dyn_cast<::mlir::qc::LayoutAttr>(getLayout());
    }
  }];
}

#endif // QC_TYPES_TD
