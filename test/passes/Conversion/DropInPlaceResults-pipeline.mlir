// RUN: quantc-opt %s --qc-bufferize-pipeline | FileCheck %s --check-prefix=ABI

// The whole bufferization of a step on tensors: the cache argument is
// writable, the new position is written into its buffer (no copy of the
// cache, no out-param for it), and the step returns only its logits.
// ABI-LABEL: func.func @decode
// ABI-SAME: (%[[NEW:.*]]: memref<1x2x1x4xf32>, %[[CACHE:.*]]: memref<1x2x8x4xf32>, %[[POS:.*]]: memref<i64>, %[[OUT:.*]]: memref<1x2x8xf32>)
// ABI-NOT: memref.alloc() {{.*}} : memref<1x2x8x4xf32>
// ABI: %[[SLOT:.*]] = memref.subview %[[CACHE]][0, 0, %{{.*}}, 0] [1, 2, 1, 4] [1, 1, 1, 1]
// ABI: linalg.copy ins(%[[NEW]] {{.*}} outs(%[[SLOT]]
// ABI-NOT: memref.copy %[[CACHE]]
// ABI: return
func.func @decode(%new: tensor<1x2x1x4xf32>, %cache: tensor<1x2x8x4xf32> {qc.kv_cache},
                  %pos: tensor<i64>)
    -> (tensor<1x2x8xf32>, tensor<1x2x8x4xf32> {qc.kv_cache}) {
  %p = tensor.extract %pos[] : tensor<i64>
  %i = arith.index_cast %p : i64 to index
  %c = tensor.insert_slice %new into %cache[0, 0, %i, 0] [1, 2, 1, 4] [1, 1, 1, 1] : tensor<1x2x1x4xf32> into tensor<1x2x8x4xf32>
  %e = tensor.empty() : tensor<1x2x8xf32>
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %s = linalg.reduce ins(%c : tensor<1x2x8x4xf32>) outs(%f : tensor<1x2x8xf32>) dimensions = [3]
    (%a: f32, %b: f32) {
      %sum = arith.addf %a, %b : f32
      linalg.yield %sum : f32
    }
  return %s, %c : tensor<1x2x8xf32>, tensor<1x2x8x4xf32>
}
