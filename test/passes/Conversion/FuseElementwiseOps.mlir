// RUN: quantc-opt %s --split-input-file --qc-fuse-elementwise | FileCheck %s

// Softmax's division stays out of P . V: fused, it would run once per
// element of d.
// CHECK-LABEL: func @no_recompute
// CHECK: %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[P]], %{{.*}} : tensor<4x8xf32>, tensor<8x16xf32>)
// CHECK-NOT: arith.divf
func.func @no_recompute(%e: tensor<4x8xf32>, %s: tensor<4xf32>, %v: tensor<8x16xf32>, %init: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %empty = tensor.empty() : tensor<4x8xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(q, k) -> (q, k)>, affine_map<(q, k) -> (q)>, affine_map<(q, k) -> (q, k)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%e, %s : tensor<4x8xf32>, tensor<4xf32>) outs(%empty : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.divf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
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

// A producer read once per consumer element (every loop) is fused, as
// upstream does: exp(x - max) into the sum.
// CHECK-LABEL: func @fused
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: math.exp
// CHECK-NOT: linalg.generic
func.func @fused(%x: tensor<4x8xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %empty = tensor.empty() : tensor<4x8xf32>
  %e = linalg.generic {indexing_maps = [affine_map<(q, k) -> (q, k)>, affine_map<(q, k) -> (q, k)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%empty : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(q, k) -> (q, k)>, affine_map<(q, k) -> (q)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%e : tensor<4x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// A uint8 splat (QuantizeLinear's scalar zero point) used to become an
// invalid `arith.constant 128 : ui8` when folded into the body; it is
// rebuilt from a signless scalar.
// CHECK-LABEL: func @unsigned_splat
// CHECK: %[[C:.*]] = arith.constant -128 : i8
// CHECK: builtin.unrealized_conversion_cast %[[C]] : i8 to ui8
// CHECK-NOT: arith.constant {{.*}} : ui8
#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
func.func @unsigned_splat(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zp = arith.constant dense<128> : tensor<ui8>
  %e = tensor.empty() : tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel"]}
      ins(%x, %zp : tensor<4xf32>, tensor<ui8>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %z: ui8, %o: f32):
    %s = builtin.unrealized_conversion_cast %z : ui8 to i8
    %f = arith.uitofp %s : i8 to f32
    %r = arith.subf %a, %f : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Fused bodies stop growing at 64 ops: a chain of 100 element-wise ops
// (2 ops per body each) becomes several generics, not one (compile time
// stays linear in the chain's length).
// CHECK-LABEL: func @bounded_bodies
// CHECK-COUNT-2: linalg.generic
// CHECK: return
#id = affine_map<(d0) -> (d0)>
func.func @bounded_bodies(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e0 = tensor.empty() : tensor<4xf32>
  %v0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e0 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e1 = tensor.empty() : tensor<4xf32>
  %v1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v0 : tensor<4xf32>) outs(%e1 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e2 = tensor.empty() : tensor<4xf32>
  %v2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v1 : tensor<4xf32>) outs(%e2 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e3 = tensor.empty() : tensor<4xf32>
  %v3 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v2 : tensor<4xf32>) outs(%e3 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e4 = tensor.empty() : tensor<4xf32>
  %v4 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v3 : tensor<4xf32>) outs(%e4 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e5 = tensor.empty() : tensor<4xf32>
  %v5 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v4 : tensor<4xf32>) outs(%e5 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e6 = tensor.empty() : tensor<4xf32>
  %v6 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v5 : tensor<4xf32>) outs(%e6 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e7 = tensor.empty() : tensor<4xf32>
  %v7 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v6 : tensor<4xf32>) outs(%e7 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e8 = tensor.empty() : tensor<4xf32>
  %v8 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v7 : tensor<4xf32>) outs(%e8 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e9 = tensor.empty() : tensor<4xf32>
  %v9 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v8 : tensor<4xf32>) outs(%e9 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e10 = tensor.empty() : tensor<4xf32>
  %v10 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v9 : tensor<4xf32>) outs(%e10 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e11 = tensor.empty() : tensor<4xf32>
  %v11 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v10 : tensor<4xf32>) outs(%e11 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e12 = tensor.empty() : tensor<4xf32>
  %v12 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v11 : tensor<4xf32>) outs(%e12 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e13 = tensor.empty() : tensor<4xf32>
  %v13 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v12 : tensor<4xf32>) outs(%e13 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e14 = tensor.empty() : tensor<4xf32>
  %v14 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v13 : tensor<4xf32>) outs(%e14 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e15 = tensor.empty() : tensor<4xf32>
  %v15 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v14 : tensor<4xf32>) outs(%e15 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e16 = tensor.empty() : tensor<4xf32>
  %v16 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v15 : tensor<4xf32>) outs(%e16 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e17 = tensor.empty() : tensor<4xf32>
  %v17 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v16 : tensor<4xf32>) outs(%e17 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e18 = tensor.empty() : tensor<4xf32>
  %v18 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v17 : tensor<4xf32>) outs(%e18 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e19 = tensor.empty() : tensor<4xf32>
  %v19 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v18 : tensor<4xf32>) outs(%e19 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e20 = tensor.empty() : tensor<4xf32>
  %v20 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v19 : tensor<4xf32>) outs(%e20 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e21 = tensor.empty() : tensor<4xf32>
  %v21 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v20 : tensor<4xf32>) outs(%e21 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e22 = tensor.empty() : tensor<4xf32>
  %v22 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v21 : tensor<4xf32>) outs(%e22 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e23 = tensor.empty() : tensor<4xf32>
  %v23 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v22 : tensor<4xf32>) outs(%e23 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e24 = tensor.empty() : tensor<4xf32>
  %v24 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v23 : tensor<4xf32>) outs(%e24 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e25 = tensor.empty() : tensor<4xf32>
  %v25 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v24 : tensor<4xf32>) outs(%e25 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e26 = tensor.empty() : tensor<4xf32>
  %v26 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v25 : tensor<4xf32>) outs(%e26 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e27 = tensor.empty() : tensor<4xf32>
  %v27 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v26 : tensor<4xf32>) outs(%e27 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e28 = tensor.empty() : tensor<4xf32>
  %v28 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v27 : tensor<4xf32>) outs(%e28 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e29 = tensor.empty() : tensor<4xf32>
  %v29 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v28 : tensor<4xf32>) outs(%e29 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e30 = tensor.empty() : tensor<4xf32>
  %v30 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v29 : tensor<4xf32>) outs(%e30 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e31 = tensor.empty() : tensor<4xf32>
  %v31 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v30 : tensor<4xf32>) outs(%e31 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e32 = tensor.empty() : tensor<4xf32>
  %v32 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v31 : tensor<4xf32>) outs(%e32 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e33 = tensor.empty() : tensor<4xf32>
  %v33 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v32 : tensor<4xf32>) outs(%e33 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e34 = tensor.empty() : tensor<4xf32>
  %v34 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v33 : tensor<4xf32>) outs(%e34 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e35 = tensor.empty() : tensor<4xf32>
  %v35 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v34 : tensor<4xf32>) outs(%e35 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e36 = tensor.empty() : tensor<4xf32>
  %v36 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v35 : tensor<4xf32>) outs(%e36 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e37 = tensor.empty() : tensor<4xf32>
  %v37 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v36 : tensor<4xf32>) outs(%e37 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e38 = tensor.empty() : tensor<4xf32>
  %v38 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v37 : tensor<4xf32>) outs(%e38 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e39 = tensor.empty() : tensor<4xf32>
  %v39 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v38 : tensor<4xf32>) outs(%e39 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e40 = tensor.empty() : tensor<4xf32>
  %v40 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v39 : tensor<4xf32>) outs(%e40 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e41 = tensor.empty() : tensor<4xf32>
  %v41 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v40 : tensor<4xf32>) outs(%e41 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e42 = tensor.empty() : tensor<4xf32>
  %v42 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v41 : tensor<4xf32>) outs(%e42 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e43 = tensor.empty() : tensor<4xf32>
  %v43 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v42 : tensor<4xf32>) outs(%e43 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e44 = tensor.empty() : tensor<4xf32>
  %v44 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v43 : tensor<4xf32>) outs(%e44 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e45 = tensor.empty() : tensor<4xf32>
  %v45 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v44 : tensor<4xf32>) outs(%e45 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e46 = tensor.empty() : tensor<4xf32>
  %v46 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v45 : tensor<4xf32>) outs(%e46 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e47 = tensor.empty() : tensor<4xf32>
  %v47 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v46 : tensor<4xf32>) outs(%e47 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e48 = tensor.empty() : tensor<4xf32>
  %v48 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v47 : tensor<4xf32>) outs(%e48 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e49 = tensor.empty() : tensor<4xf32>
  %v49 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v48 : tensor<4xf32>) outs(%e49 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e50 = tensor.empty() : tensor<4xf32>
  %v50 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v49 : tensor<4xf32>) outs(%e50 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e51 = tensor.empty() : tensor<4xf32>
  %v51 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v50 : tensor<4xf32>) outs(%e51 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e52 = tensor.empty() : tensor<4xf32>
  %v52 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v51 : tensor<4xf32>) outs(%e52 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e53 = tensor.empty() : tensor<4xf32>
  %v53 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v52 : tensor<4xf32>) outs(%e53 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e54 = tensor.empty() : tensor<4xf32>
  %v54 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v53 : tensor<4xf32>) outs(%e54 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e55 = tensor.empty() : tensor<4xf32>
  %v55 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v54 : tensor<4xf32>) outs(%e55 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e56 = tensor.empty() : tensor<4xf32>
  %v56 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v55 : tensor<4xf32>) outs(%e56 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e57 = tensor.empty() : tensor<4xf32>
  %v57 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v56 : tensor<4xf32>) outs(%e57 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e58 = tensor.empty() : tensor<4xf32>
  %v58 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v57 : tensor<4xf32>) outs(%e58 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e59 = tensor.empty() : tensor<4xf32>
  %v59 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v58 : tensor<4xf32>) outs(%e59 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e60 = tensor.empty() : tensor<4xf32>
  %v60 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v59 : tensor<4xf32>) outs(%e60 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e61 = tensor.empty() : tensor<4xf32>
  %v61 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v60 : tensor<4xf32>) outs(%e61 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e62 = tensor.empty() : tensor<4xf32>
  %v62 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v61 : tensor<4xf32>) outs(%e62 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e63 = tensor.empty() : tensor<4xf32>
  %v63 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v62 : tensor<4xf32>) outs(%e63 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e64 = tensor.empty() : tensor<4xf32>
  %v64 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v63 : tensor<4xf32>) outs(%e64 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e65 = tensor.empty() : tensor<4xf32>
  %v65 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v64 : tensor<4xf32>) outs(%e65 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e66 = tensor.empty() : tensor<4xf32>
  %v66 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v65 : tensor<4xf32>) outs(%e66 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e67 = tensor.empty() : tensor<4xf32>
  %v67 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v66 : tensor<4xf32>) outs(%e67 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e68 = tensor.empty() : tensor<4xf32>
  %v68 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v67 : tensor<4xf32>) outs(%e68 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e69 = tensor.empty() : tensor<4xf32>
  %v69 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v68 : tensor<4xf32>) outs(%e69 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e70 = tensor.empty() : tensor<4xf32>
  %v70 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v69 : tensor<4xf32>) outs(%e70 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e71 = tensor.empty() : tensor<4xf32>
  %v71 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v70 : tensor<4xf32>) outs(%e71 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e72 = tensor.empty() : tensor<4xf32>
  %v72 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v71 : tensor<4xf32>) outs(%e72 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e73 = tensor.empty() : tensor<4xf32>
  %v73 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v72 : tensor<4xf32>) outs(%e73 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e74 = tensor.empty() : tensor<4xf32>
  %v74 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v73 : tensor<4xf32>) outs(%e74 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e75 = tensor.empty() : tensor<4xf32>
  %v75 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v74 : tensor<4xf32>) outs(%e75 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e76 = tensor.empty() : tensor<4xf32>
  %v76 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v75 : tensor<4xf32>) outs(%e76 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e77 = tensor.empty() : tensor<4xf32>
  %v77 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v76 : tensor<4xf32>) outs(%e77 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e78 = tensor.empty() : tensor<4xf32>
  %v78 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v77 : tensor<4xf32>) outs(%e78 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e79 = tensor.empty() : tensor<4xf32>
  %v79 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v78 : tensor<4xf32>) outs(%e79 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e80 = tensor.empty() : tensor<4xf32>
  %v80 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v79 : tensor<4xf32>) outs(%e80 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e81 = tensor.empty() : tensor<4xf32>
  %v81 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v80 : tensor<4xf32>) outs(%e81 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e82 = tensor.empty() : tensor<4xf32>
  %v82 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v81 : tensor<4xf32>) outs(%e82 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e83 = tensor.empty() : tensor<4xf32>
  %v83 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v82 : tensor<4xf32>) outs(%e83 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e84 = tensor.empty() : tensor<4xf32>
  %v84 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v83 : tensor<4xf32>) outs(%e84 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e85 = tensor.empty() : tensor<4xf32>
  %v85 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v84 : tensor<4xf32>) outs(%e85 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e86 = tensor.empty() : tensor<4xf32>
  %v86 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v85 : tensor<4xf32>) outs(%e86 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e87 = tensor.empty() : tensor<4xf32>
  %v87 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v86 : tensor<4xf32>) outs(%e87 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e88 = tensor.empty() : tensor<4xf32>
  %v88 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v87 : tensor<4xf32>) outs(%e88 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e89 = tensor.empty() : tensor<4xf32>
  %v89 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v88 : tensor<4xf32>) outs(%e89 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e90 = tensor.empty() : tensor<4xf32>
  %v90 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v89 : tensor<4xf32>) outs(%e90 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e91 = tensor.empty() : tensor<4xf32>
  %v91 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v90 : tensor<4xf32>) outs(%e91 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e92 = tensor.empty() : tensor<4xf32>
  %v92 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v91 : tensor<4xf32>) outs(%e92 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e93 = tensor.empty() : tensor<4xf32>
  %v93 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v92 : tensor<4xf32>) outs(%e93 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e94 = tensor.empty() : tensor<4xf32>
  %v94 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v93 : tensor<4xf32>) outs(%e94 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e95 = tensor.empty() : tensor<4xf32>
  %v95 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v94 : tensor<4xf32>) outs(%e95 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e96 = tensor.empty() : tensor<4xf32>
  %v96 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v95 : tensor<4xf32>) outs(%e96 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e97 = tensor.empty() : tensor<4xf32>
  %v97 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v96 : tensor<4xf32>) outs(%e97 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e98 = tensor.empty() : tensor<4xf32>
  %v98 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v97 : tensor<4xf32>) outs(%e98 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e99 = tensor.empty() : tensor<4xf32>
  %v99 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%v98 : tensor<4xf32>) outs(%e99 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %v99 : tensor<4xf32>
}

// -----

// Decode attention with grouped-query heads (4 query heads, 2 KV heads,
// 8 cache slots, head_dim 16), as exporters write it: the cache is
// repeated per query head (Unsqueeze, Expand, Reshape) and transposed
// before Q . K^T. Neither copy is materialized: the static Reshapes become
// expand/collapse_shape, reshape folding splits the contraction's head loop
// into (kv head, group), and the repeat and the transpose, which only move
// data, fuse into the contraction, which reads the cache itself.
// CHECK-LABEL: func @gqa_scores
// CHECK: %[[K:.*]] = tensor.expand_shape %arg1 {{\[}}[0], [1], [2, 3], [4]] output_shape [1, 2, 1, 8, 16]
// CHECK: %[[S:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "parallel"]
// CHECK-SAME: ins(%{{.*}}, %[[K]] : tensor<1x2x2x1x16xf32>, tensor<1x2x1x8x16xf32>)
// CHECK: tensor.collapse_shape %[[S]] {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x2x1x8xf32> into tensor<1x4x1x8xf32>
// CHECK-NOT: linalg.generic
#bcast = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, 0, d3, d4)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
#swap = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @gqa_scores(%q: tensor<1x4x1x16xf32>, %cache: tensor<1x2x8x16xf32>) -> tensor<1x4x1x8xf32> {
  %s5 = arith.constant dense<[1, 2, 1, 8, 16]> : tensor<5xi64>
  %s4 = arith.constant dense<[1, 4, 8, 16]> : tensor<4xi64>
  %k5 = tensor.reshape %cache(%s5) : (tensor<1x2x8x16xf32>, tensor<5xi64>) -> tensor<1x2x1x8x16xf32>
  %e5 = tensor.empty() : tensor<1x2x2x8x16xf32>
  %rep = linalg.generic {indexing_maps = [#bcast, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%k5 : tensor<1x2x1x8x16xf32>) outs(%e5 : tensor<1x2x2x8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<1x2x2x8x16xf32>
  %k4 = tensor.reshape %rep(%s4) : (tensor<1x2x2x8x16xf32>, tensor<4xi64>) -> tensor<1x4x8x16xf32>
  %et = tensor.empty() : tensor<1x4x16x8xf32>
  %kt = linalg.generic {indexing_maps = [#swap, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%k4 : tensor<1x4x8x16xf32>) outs(%et : tensor<1x4x16x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<1x4x16x8xf32>
  %zero = arith.constant 0.0 : f32
  %eo = tensor.empty() : tensor<1x4x1x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x4x1x8xf32>) -> tensor<1x4x1x8xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(b, h, m, k, n) -> (b, h, m, k)>,
                                        affine_map<(b, h, m, k, n) -> (b, h, k, n)>,
                                        affine_map<(b, h, m, k, n) -> (b, h, m, n)>],
                       iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%q, %kt : tensor<1x4x1x16xf32>, tensor<1x4x16x8xf32>) outs(%init : tensor<1x4x1x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x1x8xf32>
  return %s : tensor<1x4x1x8xf32>
}

// -----

// A reshape that is neither a pure split nor a pure merge ([6] -> [2, 3]
// is a split; [2, 3] -> [3, 2] is neither) stays a tensor.reshape.
// CHECK-LABEL: func @general_reshape
// CHECK: tensor.reshape
func.func @general_reshape(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %s = arith.constant dense<[3, 2]> : tensor<2xi64>
  %y = tensor.reshape %x(%s) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
