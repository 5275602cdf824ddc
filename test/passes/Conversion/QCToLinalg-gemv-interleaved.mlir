// RUN: quantc-opt %s --split-input-file --qc-lower-to-linalg="tile-rows=16 gemv-lanes=16 act-bits=8" | FileCheck %s
// RUN: quantc-opt %s --split-input-file --qc-lower-to-linalg="tile-rows=16 gemv-lanes=16 act-bits=8 interleave=false" | FileCheck %s --check-prefix=ROWMAJOR

// The row-interleaved int8 kernel (GemvInterleaved.cpp): with act-bits=8
// a constant quantized weight is repacked at compile time into
// [rows/L][k/(4P)][4L] bytes (L rows per vector, 4 code positions per
// lane) and its scales into [rows/L][groups][L]; a dot product multiplies
// a vector of codes by one broadcast dword of the int8 input, every lane
// accumulates its own output row, and no horizontal reduction is left.

// 32 rows of 4-bit codes, k = 64, groups of 32, f16 scales: L = 16 and
// two row vectors per task; P = 2 phases, 8 codes of a row per dword.
// CHECK-LABEL: func @interleaved_int4
// CHECK-DAG: %[[PACKED:.*]] = arith.constant dense_resource<{{.*}}> : tensor<2x8x64xi8>
// CHECK-DAG: %[[SCALES:.*]] = arith.constant dense<{{.*}}> : tensor<2x2x16xf16>
// The i32 sum of the int8 input per block, for the zero point.
// CHECK: arith.extsi {{.*}} : i8 to i32
// CHECK: scf.forall (%{{.*}}) in (1)
// CHECK: vector.transfer_read %[[SCALES]]{{.*}} : tensor<2x2x16xf16>, vector<16xf16>
// CHECK: vector.transfer_read %[[PACKED]]{{.*}} : tensor<2x8x64xi8>, vector<64xi8>
// CHECK: vector.bitcast {{.*}} : vector<4xi8> to vector<1xi32>
// CHECK: vector.broadcast {{.*}} : vector<1xi32> to vector<16xi32>
// CHECK: vector.multi_reduction <add>, {{.*}} [1] : vector<16x4xi32> to vector<16xi32>
// CHECK-NOT: vector.reduction
// CHECK: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: vector.fma
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>, tensor<1x32xf32>
// CHECK: tensor.parallel_insert_slice {{.*}} [1, 32] [1, 1] : tensor<1x32xf32> into tensor<1x32xf32>
// The row-major int8 kernel reads the weight as stored and reduces.
// ROWMAJOR-LABEL: func @interleaved_int4
// ROWMAJOR-NOT: tensor<2x8x64xi8>
// ROWMAJOR: vector.transfer_read {{.*}} : tensor<32x32xi8>, vector<16xi8>
// ROWMAJOR: vector.reduction <add>
func.func @interleaved_int4(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %p = arith.constant dense<35> : tensor<32x32xi8>
  %s = arith.constant dense<0.5> : tensor<32x2xf16>
  %w = qc.quantized_weight %p, %s : tensor<32x32xi8>, tensor<32x2xf16> -> !qc.qweight<32x64, #qc.layout<bits = 4, group_size = 32, symmetric = true, scale_type = f16>>
  %y = qc.linear %x, %w : tensor<1x64xf32>, !qc.qweight<32x64, #qc.layout<bits = 4, group_size = 32, symmetric = true, scale_type = f16>> -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// The repacked bytes, checked exactly: 4 rows of 8-bit codes with k = 8
// (code(r, k) = 16 r + k, asymmetric, stored zero points) give L = 4 (the
// largest of 16, 8, 4 dividing 4 rows) and two chunks of 4 codes; chunk c of
// row r is the dword at [0][c][4r .. 4r + 3]. Batch 6 runs one tile of 4
// input rows and a remainder tile of 2.
// CHECK-LABEL: func @interleaved_bytes
// CHECK-DAG: arith.constant dense<{{\[\[\[}}0, 1, 2, 3, 16, 17, 18, 19, 32, 33, 34, 35, 48, 49, 50, 51], [4, 5, 6, 7, 20, 21, 22, 23, 36, 37, 38, 39, 52, 53, 54, 55]]]> : tensor<1x2x16xi8>
// CHECK-DAG: arith.constant dense<{{\[\[\[}}1, 2, 3, 4]]]> : tensor<1x1x4xi8>
// CHECK: scf.forall (%{{.*}}) in (1)
// CHECK-COUNT-4: vector.transfer_write {{.*}} : vector<4xf32>, tensor<6x4xf32>
// CHECK-COUNT-2: vector.transfer_write {{.*}} : vector<4xf32>, tensor<6x4xf32>
// CHECK: tensor.parallel_insert_slice {{.*}} [6, 4] [1, 1] : tensor<6x4xf32> into tensor<6x4xf32>
func.func @interleaved_bytes(%x: tensor<6x8xf32>) -> tensor<6x4xf32> {
  %p = arith.constant dense<[[0, 1, 2, 3, 4, 5, 6, 7], [16, 17, 18, 19, 20, 21, 22, 23], [32, 33, 34, 35, 36, 37, 38, 39], [48, 49, 50, 51, 52, 53, 54, 55]]> : tensor<4x8xi8>
  %s = arith.constant dense<[[0.5], [0.25], [1.0], [2.0]]> : tensor<4x1xf32>
  %z = arith.constant dense<[[1], [2], [3], [4]]> : tensor<4x1xi8>
  %w = qc.quantized_weight %p, %s, %z : tensor<4x8xi8>, tensor<4x1xf32>, tensor<4x1xi8> -> !qc.qweight<4x8, #qc.layout<bits = 8, group_size = 0, symmetric = false, scale_type = f32>>
  %y = qc.linear %x, %w : tensor<6x8xf32>, !qc.qweight<4x8, #qc.layout<bits = 8, group_size = 0, symmetric = false, scale_type = f32>> -> tensor<6x4xf32>
  return %y : tensor<6x4xf32>
}

// -----

// Not interleaved: a weight that is not a constant (a function argument)
// keeps the row-major int8 kernel; at batch 5 it is left to the GEMM.
// CHECK-LABEL: func @not_interleaved
// CHECK-NOT: tensor<{{.*}}x16xi8>
// CHECK: vector.reduction <add>
// CHECK: return
func.func @not_interleaved(%x: tensor<1x64xf32>, %p: tensor<16x32xi8>) -> tensor<1x16xf32> {
  %s = arith.constant dense<0.5> : tensor<16x2xf32>
  %w = qc.quantized_weight %p, %s : tensor<16x32xi8>, tensor<16x2xf32> -> !qc.qweight<16x64, #qc.layout<bits = 4, group_size = 32, symmetric = true, scale_type = f32>>
  %y = qc.linear %x, %w : tensor<1x64xf32>, !qc.qweight<16x64, #qc.layout<bits = 4, group_size = 32, symmetric = true, scale_type = f32>> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}
