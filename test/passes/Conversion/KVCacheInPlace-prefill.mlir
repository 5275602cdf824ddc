// RUN: quantc-opt %s --split-input-file --qc-kv-cache-in-place="max-context=8 prefill=true" | FileCheck %s --check-prefix=PREFILL

// The prefill step (3 tokens, empty past): the cache argument gets 8
// positions and the present (just the new positions) is written at slot 0;
// nothing reads the old empty past.
// PREFILL-LABEL: func.func @main_graph
// PREFILL-SAME: %[[CACHE:[a-z0-9]+]]: tensor<1x2x8x4xf32> {qc.kv_cache, qc.name = "past_key_values.0.value"}
// PREFILL-NOT: cache_position
// PREFILL-SAME: -> (tensor<1x2x8x4xf32> {qc.kv_cache, qc.name = "present.0.value"})
// PREFILL: %[[C:.*]] = tensor.insert_slice %{{.*}} into %[[CACHE]][0, 0, 0, 0] [1, 2, 3, 4] [1, 1, 1, 1]
// PREFILL: return %[[C]]
func.func @main_graph(%new: tensor<1x2x3x4xf32> {qc.name = "new"},
                      %past: tensor<1x2x0x4xf32> {qc.name = "past_key_values.0.value"})
    -> (tensor<1x2x3x4xf32> {qc.name = "present.0.value"}) {
  %e = tensor.empty() : tensor<1x2x3x4xf32>
  %1 = tensor.insert_slice %new into %e[0, 0, 0, 0] [1, 2, 3, 4] [1, 1, 1, 1] : tensor<1x2x3x4xf32> into tensor<1x2x3x4xf32>
  return %1 : tensor<1x2x3x4xf32>
}

// -----

// A prefill step as long as the context writes the whole cache: through
// bufferization.materialize_in_destination, which (unlike a full-size
// insert_slice) does not fold away from the cache argument.
// PREFILL-LABEL: func.func @main_graph
// PREFILL-SAME: %[[CACHE:[a-z0-9]+]]: tensor<1x2x8x4xf32> {qc.kv_cache, qc.name = "past_key_values.0.key"}
// PREFILL: %[[C:.*]] = bufferization.materialize_in_destination %{{.*}} in %[[CACHE]]
// PREFILL: return %[[C]]
func.func @main_graph(%new: tensor<1x2x8x4xf32> {qc.name = "new"},
                      %past: tensor<1x2x0x4xf32> {qc.name = "past_key_values.0.key"})
    -> (tensor<1x2x8x4xf32> {qc.name = "present.0.key"}) {
  return %new : tensor<1x2x8x4xf32>
}
