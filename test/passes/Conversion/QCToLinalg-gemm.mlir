// RUN: quantc-opt %s --split-input-file --qc-lower-to-linalg="tile-rows=16 gemv-lanes=16" | FileCheck %s

// The GEMM schedule of qc.linear at batch >= 5 (GemmLowering.cpp): an
// scf.forall over tiles of 2 x 16 weight rows; each task lays its tile out
// k-major ([k, 32] f32: decoded and transposed, or transposed from a float
// weight, in 16 x 16 register blocks) and runs an outer-product
// micro-kernel over blocks of 8 input rows with 16 vector accumulators.

// CHECK-LABEL: func @gemm_int4
// CHECK: scf.forall (%[[T:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<16x64xf32>)
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %[[OUT]][0, %{{.*}}] [16, 32] [1, 1]
// The tile decoded row by row (t, g, chunk, code), then transposed k-major.
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<32x4x32x2xf32>)
// CHECK: tensor.collapse_shape {{.*}} tensor<32x4x32x2xf32> into tensor<32x256xf32>
// The transpose goes by 16 x 16 register blocks, two per step of 16 k.
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c16 iter_args(%{{.*}}) -> (tensor<256x32xf32>)
// CHECK-COUNT-16: vector.transfer_read {{.*}} : tensor<32x256xf32>, vector<16xf32>
// CHECK: vector.transpose %{{.*}}, [1, 0] : vector<16x16xf32> to vector<16x16xf32>
// CHECK-COUNT-16: vector.transfer_write {{.*}} : vector<16xf32>, tensor<256x32xf32>
// CHECK: vector.transpose %{{.*}}, [1, 0] : vector<16x16xf32> to vector<16x16xf32>
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c16{{.*}} step %c8 iter_args
// CHECK: scf.for %{{.*}} = %{{.*}} to %c256{{.*}} step %{{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-2: vector.transfer_read {{.*}} : tensor<256x32xf32>, vector<16xf32>
// CHECK: tensor.extract
// CHECK: vector.broadcast {{.*}} : f32 to vector<16xf32>
// CHECK: vector.fma
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>, tensor<16x32xf32>
// CHECK: tensor.parallel_insert_slice {{.*}} into %[[OUT]][0, {{.*}}] [16, 32] [1, 1]
// CHECK-NOT: qc.linear
func.func @gemm_int4(%x: tensor<16x256xf32>) -> tensor<16x64xf32> {
  %p = arith.constant dense<35> : tensor<64x128xi8>
  %s = arith.constant dense<0.5> : tensor<64x4xf16>
  %w = qc.quantized_weight %p, %s : tensor<64x128xi8>, tensor<64x4xf16> -> !qc.qweight<64x256, #qc.layout<bits = 4, group_size = 64, symmetric = true, scale_type = f16>>
  %y = qc.linear %x, %w : tensor<16x256xf32>, !qc.qweight<64x256, #qc.layout<bits = 4, group_size = 64, symmetric = true, scale_type = f16>> -> tensor<16x64xf32>
  return %y : tensor<16x64xf32>
}

// -----

// A float weight, 6 input rows (blocks of 6), a 16-row tile: the tile is
// the weight's rows transposed, one 16 x 16 block per step of 16 k.
// CHECK-LABEL: func @gemm_float
// CHECK: scf.forall (%{{.*}}) in (3)
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c16{{.*}} -> (tensor<32x16xf32>)
// CHECK: vector.transpose %{{.*}}, [1, 0] : vector<16x16xf32> to vector<16x16xf32>
// CHECK-NOT: vector.transpose
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c6{{.*}} step %c6
// CHECK: tensor.parallel_insert_slice {{.*}} [6, 16] [1, 1] : tensor<6x16xf32> into tensor<6x48xf32>
func.func @gemm_float(%x: tensor<6x32xf32>, %w: tensor<48x32xf32>, %b: tensor<48xf32>) -> tensor<6x48xf32> {
  %y = qc.linear %x, %w, %b : tensor<6x32xf32>, tensor<48x32xf32>, tensor<48xf32> -> tensor<6x48xf32>
  return %y : tensor<6x48xf32>
}

// -----

// A row length that is not a multiple of the lanes (24): the tile is
// transposed element-wise.
// CHECK-LABEL: func @gemm_float_ragged_k
// CHECK: linalg.transpose ins(%{{.*}} : tensor<16x24xf32>) outs(%{{.*}} : tensor<24x16xf32>) permutation = [1, 0]
// CHECK-NOT: vector.transpose
func.func @gemm_float_ragged_k(%x: tensor<6x24xf32>, %w: tensor<16x24xf32>) -> tensor<6x16xf32> {
  %y = qc.linear %x, %w : tensor<6x24xf32>, tensor<16x24xf32> -> tensor<6x16xf32>
  return %y : tensor<6x16xf32>
}

// -----

// Fewer weight rows than one vector per tile (8 < 16 lanes): the general
// lowering.
// CHECK-LABEL: func @not_gemm
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
func.func @not_gemm(%x: tensor<6x32xf32>, %w: tensor<8x32xf32>) -> tensor<6x8xf32> {
  %y = qc.linear %x, %w : tensor<6x32xf32>, tensor<8x32xf32> -> tensor<6x8xf32>
  return %y : tensor<6x8xf32>
}
