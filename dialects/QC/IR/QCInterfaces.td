//===- QCInterfaces.td - qc op interfaces ------------------*- tablegen -*-===//
//
// What a quantization pass may ask of a layer: which operand is its weight.
// Passes are written against this interface, not against each op.
//
//===----------------------------------------------------------------------===//

#ifndef QC_INTERFACES_TD
#define QC_INTERFACES_TD

include "mlir/IR/OpBase.td"

def QC_QuantizableLayerInterface : OpInterface<"QuantizableLayer"> {
  let cppNamespace = "::mlir::qc";
  let description = [{
    A layer with one weight operand that weight quantization may replace by a
    `!qc.qweight`. Row `n` of the weight (its first dimension) is output
    channel `n`; quantization groups run along the flattened trailing dims.
  }];
  let methods = [
    InterfaceMethod<"The weight operand.", "::mlir::OpOperand &",
                    "getWeightOperand", (ins), [{
      return $_op.getWeightMutable();
    }]>,
  ];
}

#endif // QC_INTERFACES_TD
