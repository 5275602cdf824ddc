//===- QCLayoutInterface.td - How quantized weights are stored -*- tablegen -*-===//
//
// A weight layout is an attribute implementing this interface: the type
// `!qc.qweight<shape, layout>` holds any of them. The verifier, the report,
// mixed precision's byte budget and the packers ask the layout, so a new
// format (docs/quantized-weights.md: a k-quant super-block layout, an NF4
// codebook) is one attribute implementing these methods.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LAYOUT_INTERFACE_TD
#define QC_LAYOUT_INTERFACE_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/OpBase.td"

def QC_WeightLayoutAttrInterface : AttrInterface<"WeightLayoutAttrInterface"> {
  let cppNamespace = "::mlir::qc";
  let description = [{
    How a weight of logical shape `[N, d1, ..., dk]` (N rows of
    K = d1 * ... * dk values) is stored: which tensors hold it, how many
    bytes they take, and what each code means. The stored tensors are the
    operands of `qc.quantized_weight`: `packed` (codes, i8 bytes), `scales`
    and, where the layout has them, `zero_points`.
  }];
  let methods = [
    InterfaceMethod<[{
        Checks that a weight of `shape` can be stored in this layout.
      }], "::llvm::LogicalResult", "verifyWeightShape",
      (ins "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError,
           "::llvm::ArrayRef<int64_t>":$shape)>,
    InterfaceMethod<[{
        Checks the types of the tensors storing a weight of `shape`
        (`zeroPointsType` is null when no zero points are given).
      }], "::llvm::LogicalResult", "verifyStoredTypes",
      (ins "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError,
           "::llvm::ArrayRef<int64_t>":$shape, "::mlir::Type":$packedType,
           "::mlir::Type":$scalesType, "::mlir::Type":$zeroPointsType)>,
    InterfaceMethod<[{
        Bytes of every tensor this layout stores for a weight of `shape`
        (per-column extras such as AWQ column scales are counted by
        `qc.quantized_weight`).
      }], "int64_t", "getStorageBytes", (ins "::llvm::ArrayRef<int64_t>":$shape)>,
    InterfaceMethod<[{
        Bits of one stored code.
      }], "unsigned", "getCodeBits", (ins)>,
    InterfaceMethod<[{
        Adds this layout's fields to a layer's entry of the JSON report.
      }], "void", "describe", (ins "::llvm::json::Object &":$entry)>,
  ];
}

#endif // QC_LAYOUT_INTERFACE_TD
