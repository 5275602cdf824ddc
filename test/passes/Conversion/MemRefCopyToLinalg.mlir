// RUN: quantc-opt %s --qc-memref-copy-to-linalg | FileCheck %s

// CHECK-LABEL: func @strided_copy
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%{{.*}} : memref<4xf32>) outs(%{{.*}} : memref<4xf32, strided<[1], offset: 2>>)
func.func @strided_copy(%a: memref<4xf32>, %b: memref<4xf32, strided<[1], offset: 2>>) {
  memref.copy %a, %b : memref<4xf32> to memref<4xf32, strided<[1], offset: 2>>
  return
}
