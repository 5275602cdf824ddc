// RUN: quantc-opt %s --split-input-file --verify-diagnostics --qc-lower-to-linalg

// Lowering reads a quantized weight through its components, so it must see
// the qc.quantized_weight that assembled it.
func.func @negative_opaque_qweight(%x: tensor<1x4xf32>,
    %w: !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = true, scale_type = f32>>) -> tensor<1x2xf32> {
  // expected-error@+1 {{quantized weight must be produced by qc.quantized_weight to lower}}
  %y = qc.linear %x, %w : tensor<1x4xf32>, !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = true, scale_type = f32>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
