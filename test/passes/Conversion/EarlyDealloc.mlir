// RUN: quantc-opt %s --split-input-file --qc-early-dealloc | FileCheck %s

// A buffer read last by the second op is freed right after it, not at the
// end of the body; a view's later use keeps its source alive.
// CHECK-LABEL: func @after_last_use
// CHECK: %[[A:.*]] = memref.alloc
// CHECK: %[[B:.*]] = memref.alloc
// CHECK: linalg.fill {{.*}} outs(%[[A]]
// CHECK: memref.copy %[[A]], %[[B]]
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK: %[[V:.*]] = memref.subview %[[B]]
// CHECK: linalg.fill {{.*}} outs(%[[V]]
// CHECK: memref.copy %[[B]], %arg0
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK-NEXT: linalg.fill {{.*}} outs(%arg1
// CHECK-NEXT: return
func.func @after_last_use(%out: memref<4x8xf32>, %other: memref<4x8xf32>) {
  %c0 = arith.constant 0.0 : f32
  %c1 = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<4x8xf32>
  %b = memref.alloc() : memref<4x8xf32>
  linalg.fill ins(%c0 : f32) outs(%a : memref<4x8xf32>)
  memref.copy %a, %b : memref<4x8xf32> to memref<4x8xf32>
  %v = memref.subview %b[0, 0] [2, 8] [1, 1] : memref<4x8xf32> to memref<2x8xf32, strided<[8, 1]>>
  linalg.fill ins(%c1 : f32) outs(%v : memref<2x8xf32, strided<[8, 1]>>)
  memref.copy %b, %out : memref<4x8xf32> to memref<4x8xf32>
  linalg.fill ins(%c1 : f32) outs(%other : memref<4x8xf32>)
  memref.dealloc %a : memref<4x8xf32>
  memref.dealloc %b : memref<4x8xf32>
  return
}

// -----

// A use inside a loop counts as the loop.
// CHECK-LABEL: func @use_in_region
// CHECK: scf.for
// CHECK: memref.load %[[A:.*]][
// CHECK: }
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK-NEXT: linalg.fill
func.func @use_in_region(%out: memref<8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<8xf32>
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<8xf32>
    memref.store %x, %out[%i] : memref<8xf32>
  }
  linalg.fill ins(%f : f32) outs(%out : memref<8xf32>)
  memref.dealloc %a : memref<8xf32>
  return
}

// -----

// Left alone: a buffer passed to a call (the callee may keep it) and one
// carried by a loop (the loop's result aliases it).
// CHECK-LABEL: func @stays
// CHECK: call @keep(%[[A:[a-z0-9_]+]])
// CHECK: scf.for
// CHECK: linalg.fill
// CHECK: linalg.fill
// CHECK: memref.dealloc %[[A]]
// CHECK-NEXT: memref.dealloc
// CHECK-NEXT: return
func.func private @keep(memref<8xf32>)
func.func @stays(%out: memref<8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<8xf32>
  call @keep(%a) : (memref<8xf32>) -> ()
  %b = memref.alloc() : memref<8xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%it = %b) -> (memref<8xf32>) {
    scf.yield %it : memref<8xf32>
  }
  linalg.fill ins(%f : f32) outs(%out : memref<8xf32>)
  linalg.fill ins(%f : f32) outs(%out : memref<8xf32>)
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<8xf32>
  return
}

// -----

// Inside a nested block the same holds; a buffer nobody reads is freed
// where it is made.
// CHECK-LABEL: func @nested_block
// CHECK: scf.execute_region
// CHECK-NEXT: %[[A:.*]] = memref.alloc
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: scf.yield
func.func @nested_block(%out: memref<8xf32>) {
  %f = arith.constant 0.0 : f32
  scf.execute_region {
    %a = memref.alloc() : memref<8xf32>
    linalg.fill ins(%f : f32) outs(%out : memref<8xf32>)
    memref.dealloc %a : memref<8xf32>
    scf.yield
  }
  return
}
