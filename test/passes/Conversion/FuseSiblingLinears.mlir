// RUN: quantc-opt %s --split-input-file --qc-fuse-sibling-linears | FileCheck %s

// q/k/v of one input (asymmetric int4 with zero points and biases, as
// Qwen2's): one layer over 4 + 2 + 2 rows, the codes, scales, zero points
// and biases concatenated in block order, each result its columns.
// CHECK-LABEL: func @qkv
// CHECK-DAG: %[[P:.*]] = arith.constant dense<{{\[}}[17, 17], [17, 17], [17, 17], [17, 17], [34, 34], [34, 34], [51, 51], [51, 51]]> : tensor<8x2xi8>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{\[}}[5.000000e-01], [5.000000e-01], [5.000000e-01], [5.000000e-01], [2.500000e-01], [2.500000e-01], [1.250000e-01], [1.250000e-01]]> : tensor<8x1xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<{{\[}}[8], [8], [8], [8], [7], [7], [6], [6]]> : tensor<8x1xi8>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00, 3.000000e+00, 3.000000e+00]> : tensor<8xf32>
// CHECK: %[[W:.*]] = qc.quantized_weight %[[P]], %[[S]], %[[Z]] : tensor<8x2xi8>, tensor<8x1xf32>, tensor<8x1xi8> -> !qc.qweight<8x4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>
// CHECK: %[[Y:.*]] = qc.linear %arg0, %[[W]], %[[B]] : tensor<1x3x4xf32>, {{.*}} -> tensor<1x3x8xf32>
// CHECK-DAG: %[[Q:.*]] = tensor.extract_slice %[[Y]][0, 0, 0] [1, 3, 4] [1, 1, 1] : tensor<1x3x8xf32> to tensor<1x3x4xf32>
// CHECK-DAG: %[[K:.*]] = tensor.extract_slice %[[Y]][0, 0, 4] [1, 3, 2] [1, 1, 1] : tensor<1x3x8xf32> to tensor<1x3x2xf32>
// CHECK-DAG: %[[V:.*]] = tensor.extract_slice %[[Y]][0, 0, 6] [1, 3, 2] [1, 1, 1] : tensor<1x3x8xf32> to tensor<1x3x2xf32>
// CHECK: return %[[Q]], %[[K]], %[[V]]
// CHECK-NOT: qc.linear
func.func @qkv(%x: tensor<1x3x4xf32>) -> (tensor<1x3x4xf32>, tensor<1x3x2xf32>, tensor<1x3x2xf32>) {
  %pq = arith.constant dense<17> : tensor<4x2xi8>
  %sq = arith.constant dense<0.5> : tensor<4x1xf32>
  %zq = arith.constant dense<8> : tensor<4x1xi8>
  %bq = arith.constant dense<1.0> : tensor<4xf32>
  %pk = arith.constant dense<34> : tensor<2x2xi8>
  %sk = arith.constant dense<0.25> : tensor<2x1xf32>
  %zk = arith.constant dense<7> : tensor<2x1xi8>
  %bk = arith.constant dense<2.0> : tensor<2xf32>
  %pv = arith.constant dense<51> : tensor<2x2xi8>
  %sv = arith.constant dense<0.125> : tensor<2x1xf32>
  %zv = arith.constant dense<6> : tensor<2x1xi8>
  %bv = arith.constant dense<3.0> : tensor<2xf32>
  %wq = qc.quantized_weight %pq, %sq, %zq : tensor<4x2xi8>, tensor<4x1xf32>, tensor<4x1xi8> -> !qc.qweight<4x4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>
  %wk = qc.quantized_weight %pk, %sk, %zk : tensor<2x2xi8>, tensor<2x1xf32>, tensor<2x1xi8> -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>
  %wv = qc.quantized_weight %pv, %sv, %zv : tensor<2x2xi8>, tensor<2x1xf32>, tensor<2x1xi8> -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>
  %q = qc.linear %x, %wq, %bq : tensor<1x3x4xf32>, !qc.qweight<4x4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>, tensor<4xf32> -> tensor<1x3x4xf32>
  %k = qc.linear %x, %wk, %bk : tensor<1x3x4xf32>, !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>, tensor<2xf32> -> tensor<1x3x2xf32>
  %v = qc.linear %x, %wv, %bv : tensor<1x3x4xf32>, !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>, tensor<2xf32> -> tensor<1x3x2xf32>
  return %q, %k, %v : tensor<1x3x4xf32>, tensor<1x3x2xf32>, tensor<1x3x2xf32>
}

// -----

// Left alone: different widths (mixed precision), a bias on one only, a
// float layer, AWQ column scales, and a layer of another input. The two
// symmetric int8 layers of %x (no bias) still become one.
// CHECK-LABEL: func @incompatible
// CHECK-COUNT-5: qc.linear %arg0
// CHECK: qc.linear %arg1
// CHECK: qc.linear %arg0, %{{.*}} : tensor<2x8xf32>, !qc.qweight<6x8, #qc.layout<bits = 8, group_size = 0, symmetric = true, scale_type = f16>> -> tensor<2x6xf32>
// CHECK-NOT: qc.linear
func.func @incompatible(%x: tensor<2x8xf32>, %other: tensor<2x8xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x4xf32>) {
  %p4 = arith.constant dense<17> : tensor<2x4xi8>
  %p8 = arith.constant dense<3> : tensor<2x8xi8>
  %p8b = arith.constant dense<4> : tensor<4x8xi8>
  %s = arith.constant dense<0.5> : tensor<2x1xf16>
  %s4 = arith.constant dense<0.5> : tensor<4x1xf16>
  %b = arith.constant dense<1.0> : tensor<2xf32>
  %f = arith.constant dense<0.5> : tensor<2x8xf32>
  %cs = arith.constant dense<2.0> : tensor<8xf32>
  %w4 = qc.quantized_weight %p4, %s : tensor<2x4xi8>, tensor<2x1xf16> -> !qc.qweight<2x8, #qc.layout<bits = 4, group_size = 0, symmetric = true, scale_type = f16>>
  %w4b = qc.quantized_weight %p4, %s : tensor<2x4xi8>, tensor<2x1xf16> -> !qc.qweight<2x8, #qc.layout<bits = 4, group_size = 0, symmetric = true, scale_type = f16>>
  %w8 = qc.quantized_weight %p8, %s : tensor<2x8xi8>, tensor<2x1xf16> -> !qc.qweight<2x8, #qc.layout<bits = 8, group_size = 0, symmetric = true, scale_type = f16>>
  %w8b = qc.quantized_weight %p8b, %s4 : tensor<4x8xi8>, tensor<4x1xf16> -> !qc.qweight<4x8, #qc.layout<bits = 8, group_size = 0, symmetric = true, scale_type = f16>>
  %wcs = qc.quantized_weight %p4, %s column_scales(%cs : tensor<8xf32>) : tensor<2x4xi8>, tensor<2x1xf16> -> !qc.qweight<2x8, #qc.layout<bits = 4, group_size = 0, symmetric = true, scale_type = f16>>
  %a = qc.linear %x, %w4, %b : tensor<2x8xf32>, !qc.qweight<2x8, #qc.layout<bits = 4, group_size = 0, symmetric = true, scale_type = f16>>, tensor<2xf32> -> tensor<2x2xf32>
  %c = qc.linear %x, %w4b : tensor<2x8xf32>, !qc.qweight<2x8, #qc.layout<bits = 4, group_size = 0, symmetric = true, scale_type = f16>> -> tensor<2x2xf32>
  %d = qc.linear %x, %f : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x2xf32>
  %e = qc.linear %x, %f : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x2xf32>
  %g = qc.linear %x, %wcs : tensor<2x8xf32>, !qc.qweight<2x8, #qc.layout<bits = 4, group_size = 0, symmetric = true, scale_type = f16>> -> tensor<2x2xf32>
  %h = qc.linear %other, %w4b : tensor<2x8xf32>, !qc.qweight<2x8, #qc.layout<bits = 4, group_size = 0, symmetric = true, scale_type = f16>> -> tensor<2x2xf32>
  %i = qc.linear %x, %w8 : tensor<2x8xf32>, !qc.qweight<2x8, #qc.layout<bits = 8, group_size = 0, symmetric = true, scale_type = f16>> -> tensor<2x2xf32>
  %j = qc.linear %x, %w8b : tensor<2x8xf32>, !qc.qweight<4x8, #qc.layout<bits = 8, group_size = 0, symmetric = true, scale_type = f16>> -> tensor<2x4xf32>
  return %a, %c, %d, %e, %g, %h, %i, %j : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x4xf32>
}
