// RUN: quantc-opt %s --split-input-file --verify-diagnostics --qc-last-position-logits

// No attention mask to find the last position with.
// expected-error @+1 {{qc-last-position-logits needs an output 'logits' and an input 'attention_mask'}}
func.func @qc_prefill(%x: tensor<1x4x3xf32>, %w: tensor<6x3xf32>)
    -> (tensor<1x4x6xf32> {qc.name = "logits"}) {
  %y = qc.linear %x, %w : tensor<1x4x3xf32>, tensor<6x3xf32> -> tensor<1x4x6xf32>
  return %y : tensor<1x4x6xf32>
}

// -----

// No logits output.
// expected-error @+1 {{qc-last-position-logits needs an output 'logits' and an input 'attention_mask'}}
func.func @qc_prefill(%x: tensor<1x4x3xf32>,
                      %mask: tensor<1x4xi64> {qc.name = "attention_mask"})
    -> (tensor<1x4x3xf32> {qc.name = "hidden"}) {
  return %x : tensor<1x4x3xf32>
}
