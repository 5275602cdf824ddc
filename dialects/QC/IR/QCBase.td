//===- QCBase.td - qc dialect definition -------------------*- tablegen -*-===//
//
// The qc dialect holds the layers quantization acts on (linear, conv2d) with
// their weights as operands, and the quantized-weight type those layers accept
// once a pass has packed their weights.
//
//===----------------------------------------------------------------------===//

#ifndef QC_BASE_TD
#define QC_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def QC_Dialect : Dialect {
  let name = "qc";
  let cppNamespace = "::mlir::qc";
  let summary = "Quantizable layers and packed quantized weights";
  let description = [{
    Layers whose weights quantization passes rewrite (`qc.linear`,
    `qc.conv2d`) and the `!qc.qweight` type of a packed, quantized weight
    tensor built by `qc.quantized_weight`. Everything else in an imported
    model is expressed with upstream dialects (arith, tensor, linalg, math).
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  // The qc.* attributes of the model contract (QCContract.h) are verified
  // wherever they appear (QCContract.cpp).
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

class QC_Op<string mnemonic, list<Trait> traits = []>
    : Op<QC_Dialect, mnemonic, traits>;

#endif // QC_BASE_TD
