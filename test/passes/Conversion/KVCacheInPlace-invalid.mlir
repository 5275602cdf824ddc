// RUN: quantc-opt %s --split-input-file --verify-diagnostics --qc-kv-cache-in-place=max-context=8
// RUN: not quantc-opt %s --split-input-file --qc-kv-cache-in-place=max-context=0 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: qc-kv-cache-in-place needs max-context > 0

// A past input without its present output.
// expected-error @+1 {{KV cache input 'past_key_values.0.key' has no output 'present.0.key'}}
func.func @main_graph(%past: tensor<1x2x7x4xf32> {qc.name = "past_key_values.0.key"})
    -> (tensor<1x2x7x4xf32> {qc.name = "present.0.value"}) {
  return %past : tensor<1x2x7x4xf32>
}

// -----

// present is not Concat(past, new): the cache could not be updated in place.
// expected-error @+1 {{output 'present.0.key' is not Concat(past_key_values.0.key, new positions) along axis 2}}
func.func @main_graph(%new: tensor<1x2x8x4xf32>,
                      %past: tensor<1x2x7x4xf32> {qc.name = "past_key_values.0.key"})
    -> (tensor<1x2x8x4xf32> {qc.name = "present.0.key"}) {
  return %new : tensor<1x2x8x4xf32>
}

// -----

// A cache as long as the context leaves no room for the new position.
// expected-error @+1 {{KV cache input 'past_key_values.1.value' has type 'tensor<1x2x8x4xf32>'; expected [batch, heads, max_context - seq, head_dim] with max_context 8}}
func.func @main_graph(%past: tensor<1x2x8x4xf32> {qc.name = "past_key_values.1.value"})
    -> (tensor<1x2x8x4xf32> {qc.name = "present.1.value"}) {
  return %past : tensor<1x2x8x4xf32>
}

// -----

// No caches at all.
// expected-error @+1 {{no KV cache inputs ('past_key_values.{i}.key|value') to update in place}}
func.func @main_graph(%x: tensor<4xf32> {qc.name = "x"}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
