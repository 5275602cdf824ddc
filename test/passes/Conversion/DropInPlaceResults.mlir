// RUN: quantc-opt %s --qc-drop-in-place-results | FileCheck %s

// A cache returned as its own argument buffer stops being a result; the
// other result stays.
// CHECK-LABEL: func.func @step
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[CACHE:.*]]: memref<8xf32>) -> memref<4xf32>
// CHECK: return %[[X]] : memref<4xf32>
func.func @step(%x: memref<4xf32>, %cache: memref<8xf32>)
    -> (memref<4xf32>, memref<8xf32> {qc.kv_cache}) {
  return %x, %cache : memref<4xf32>, memref<8xf32>
}
