// RUN: quantc-opt %s --qc-deduplicate-constants | FileCheck %s
// RUN: quantc-opt %s --qc-deduplicate-constants --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=GLOBALS

// Two blobs with the same type and bytes (in two functions: a generator's
// two steps) become one attribute; different bytes or another type stay
// apart.
// CHECK-LABEL: func.func @prefill
// CHECK: arith.constant dense_resource<w_a> : tensor<4xf32>
// CHECK-LABEL: func.func @decode
// CHECK: arith.constant dense_resource<w_a> : tensor<4xf32>
// CHECK: arith.constant dense_resource<w_c> : tensor<4xf32>
// CHECK: arith.constant dense_resource<w_d> : tensor<4xi32>
// GLOBALS-COUNT-3: memref.global "private" constant
// GLOBALS-NOT: memref.global
func.func @prefill() -> tensor<4xf32> {
  %a = arith.constant dense_resource<w_a> : tensor<4xf32>
  return %a : tensor<4xf32>
}
func.func @decode() -> (tensor<4xf32>, tensor<4xf32>, tensor<4xi32>) {
  %b = arith.constant dense_resource<w_b> : tensor<4xf32>
  %c = arith.constant dense_resource<w_c> : tensor<4xf32>
  %d = arith.constant dense_resource<w_d> : tensor<4xi32>
  return %b, %c, %d : tensor<4xf32>, tensor<4xf32>, tensor<4xi32>
}

{-#
  dialect_resources: {
    builtin: {
      w_a: "0x040000000000803F000000400000404000008040",
      w_b: "0x040000000000803F000000400000404000008040",
      w_c: "0x040000000000803F0000004000004040000080C0",
      w_d: "0x040000000000803F000000400000404000008040"
    }
  }
#-}
