// RUN: quantc-opt %s --qc-kv-cache-in-place=max-context=8 | FileCheck %s --check-prefix=DECODE

// The decode step (one token after 7 cached positions): the imported
// Concat(past, new) becomes an insert of the new position into the cache
// argument, now 8 positions, at slot cache_position (a new argument); the
// present result is that insert, marked as the cache.
// DECODE-LABEL: func.func @main_graph
// DECODE-SAME: %[[PAST:[a-z0-9]+]]: tensor<1x2x8x4xf32> {qc.kv_cache, qc.name = "past_key_values.0.key"}
// DECODE-SAME: %[[POS:[a-z0-9]+]]: tensor<i64> {qc.name = "cache_position"}
// DECODE-SAME: -> (tensor<1x2x8x4xf32> {qc.kv_cache, qc.name = "present.0.key"}, tensor<1x2x1x4xf32> {qc.name = "y"})
// DECODE: %[[P:.*]] = tensor.extract %[[POS]][] : tensor<i64>
// DECODE: %[[I:.*]] = arith.index_cast %[[P]] : i64 to index
// DECODE-NOT: tensor.empty
// DECODE: %[[C:.*]] = tensor.insert_slice %{{.*}} into %[[PAST]][0, 0, %[[I]], 0] [1, 2, 1, 4] [1, 1, 1, 1]
// DECODE: return %[[C]], %{{.*}}
func.func @main_graph(%new: tensor<1x2x1x4xf32> {qc.name = "new"},
                      %past: tensor<1x2x7x4xf32> {qc.name = "past_key_values.0.key"})
    -> (tensor<1x2x8x4xf32> {qc.name = "present.0.key"}, tensor<1x2x1x4xf32> {qc.name = "y"}) {
  %e = tensor.empty() : tensor<1x2x8x4xf32>
  %0 = tensor.insert_slice %past into %e[0, 0, 0, 0] [1, 2, 7, 4] [1, 1, 1, 1] : tensor<1x2x7x4xf32> into tensor<1x2x8x4xf32>
  %1 = tensor.insert_slice %new into %0[0, 0, 7, 0] [1, 2, 1, 4] [1, 1, 1, 1] : tensor<1x2x1x4xf32> into tensor<1x2x8x4xf32>
  %y = tensor.extract_slice %1[0, 0, 7, 0] [1, 2, 1, 4] [1, 1, 1, 1] : tensor<1x2x8x4xf32> to tensor<1x2x1x4xf32>
  return %1, %y : tensor<1x2x8x4xf32>, tensor<1x2x1x4xf32>
}
