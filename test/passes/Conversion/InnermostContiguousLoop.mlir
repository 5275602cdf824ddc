// RUN: quantc-opt %s --split-input-file --qc-innermost-contiguous-loop | FileCheck %s

// P . V: V and the output are contiguous along d, P along k; d moves
// innermost.
// CHECK-DAG: #[[P:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[V:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func @pv
// CHECK: linalg.generic {indexing_maps = [#[[P]], #[[V]], #[[O]]], iterator_types = ["parallel", "reduction", "parallel"]}
func.func @pv(%p: tensor<4x8xf32>, %v: tensor<8x16xf32>, %init: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %o = linalg.generic {indexing_maps = [affine_map<(q, d, k) -> (q, k)>, affine_map<(q, d, k) -> (k, d)>, affine_map<(q, d, k) -> (q, d)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<4x8xf32>, tensor<8x16xf32>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

// Q . K^T: both inputs are contiguous along the reduced d, already
// innermost; unchanged.
// CHECK-LABEL: func @qk
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
func.func @qk(%q: tensor<4x16xf32>, %k: tensor<8x16xf32>, %init: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %o = linalg.generic {indexing_maps = [affine_map<(i, j, d) -> (i, d)>, affine_map<(i, j, d) -> (j, d)>, affine_map<(i, j, d) -> (i, j)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<4x16xf32>, tensor<8x16xf32>) outs(%init : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

// Element-wise generics keep their order even where more operands end in
// an outer dim (a decode reading scales[t, g] and zero points[t, g]).
// CHECK-LABEL: func @elementwise
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%arg0, %arg1 : tensor<4x2xf32>, tensor<4x2xf32>) outs(%{{.*}} : tensor<2x8x4xf32>)
func.func @elementwise(%s: tensor<4x2xf32>, %z: tensor<4x2xf32>, %init: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  %o = linalg.generic {indexing_maps = [affine_map<(t, g, c) -> (t, g)>, affine_map<(t, g, c) -> (t, g)>, affine_map<(t, g, c) -> (g, c, t)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s, %z : tensor<4x2xf32>, tensor<4x2xf32>) outs(%init : tensor<2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<2x8x4xf32>
  return %o : tensor<2x8x4xf32>
}
