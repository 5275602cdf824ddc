// RUN: quantc-opt %s --split-input-file --qc-parallelize-linalg="tasks=4 min-iterations=1024" | FileCheck %s
// RUN: not quantc-opt %s --qc-parallelize-linalg="tasks=1" 2>&1 | FileCheck %s --check-prefix=TASKS

// An element-wise op of 64 x 32 iterations becomes an scf.forall of 4
// slices of 16 rows along its outermost parallel dimension.
// CHECK-LABEL: func @elementwise
// CHECK: scf.forall (%{{.*}}) = (0) to (64) step (16) shared_outs(%[[O:.*]] = %{{.*}}) -> (tensor<64x32xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<16x32xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK: tensor.parallel_insert_slice {{.*}} into %[[O]]
func.func @elementwise(%x: tensor<64x32xf32>) -> tensor<64x32xf32> {
  %e = tensor.empty() : tensor<64x32xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<64x32xf32>) outs(%e : tensor<64x32xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<64x32xf32>
  return %y : tensor<64x32xf32>
}

// -----

// A row reduction (normalization's sums) splits along its rows, never the
// reduced dimension; a leading dimension of 1 is passed over for the next.
// CHECK-LABEL: func @row_sums
// CHECK: scf.forall (%{{.*}}) = (0) to (128) step (32)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<1x32x64xf32>) outs(%{{.*}} : tensor<1x32xf32>)
func.func @row_sums(%x: tensor<1x128x64xf32>, %init: tensor<1x128xf32>) -> tensor<1x128xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<1x128x64xf32>) outs(%init : tensor<1x128xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x128xf32>
  return %y : tensor<1x128xf32>
}

// -----

// Left alone: too few iterations, a fill, an op already inside a loop (a
// kernel's), a parallel extent no power of two up to 4 divides.
// CHECK-LABEL: func @not_parallelized
// CHECK-NOT: scf.forall
// CHECK: return
func.func @not_parallelized(%small: tensor<8x8xf32>, %odd: tensor<3x999xf32>, %big: tensor<64x64xf32>) -> (tensor<8x8xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<3x999xf32>) {
  %e8 = tensor.empty() : tensor<8x8xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%small : tensor<8x8xf32>) outs(%e8 : tensor<8x8xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  } -> tensor<8x8xf32>
  %zero = arith.constant 0.0 : f32
  %e64 = tensor.empty() : tensor<64x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e64 : tensor<64x64xf32>) -> tensor<64x64xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %l = scf.for %i = %c0 to %c2 step %c1 iter_args(%acc = %big) -> (tensor<64x64xf32>) {
    %g = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%acc : tensor<64x64xf32>) outs(%e64 : tensor<64x64xf32>) {
    ^bb0(%x: f32, %y: f32):
      %m = arith.mulf %x, %x : f32
      linalg.yield %m : f32
    } -> tensor<64x64xf32>
    scf.yield %g : tensor<64x64xf32>
  }
  %e3 = tensor.empty() : tensor<3x999xf32>
  %o = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%odd : tensor<3x999xf32>) outs(%e3 : tensor<3x999xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  } -> tensor<3x999xf32>
  return %a, %f, %l, %o : tensor<8x8xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<3x999xf32>
}

// TASKS: qc-parallelize-linalg: tasks must be >= 2 and min-iterations >= 1
