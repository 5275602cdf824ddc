// RUN: quantc-opt %s --split-input-file --qc-lower-to-linalg="tile-rows=16 gemv-lanes=16" | FileCheck %s
// RUN: quantc-opt %s --split-input-file --qc-lower-to-linalg="tile-rows=16 gemv-lanes=16 act-bits=8 interleave=false" | FileCheck %s --check-prefix=INT8
// RUN: not quantc-opt %s --split-input-file --qc-lower-to-linalg="gemv-lanes=-1" 2>&1 | FileCheck %s --check-prefix=LANES
// RUN: not quantc-opt %s --split-input-file --qc-lower-to-linalg="act-bits=4" 2>&1 | FileCheck %s --check-prefix=ACTBITS

// The GEMV schedule of qc.linear at batch 1-4 (GemvLowering.cpp): an
// scf.forall over blocks of output rows whose body reads packed bytes as
// vectors, shifts out each phase of codes and multiplies it with the
// matching phase of the input, split once per call.

// CHECK-LABEL: func @gemv_int4
// The input split by phase: x[m][i*2 + j] -> [m][j][i].
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x64x2xf32>) outs(%{{.*}} : tensor<1x2x64xf32>)
// Group sums of x (for the implicit zero point 8).
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x4x32xf32>) outs(%{{.*}} : tensor<1x4xf32>)
// CHECK: scf.forall (%[[T:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x8xf32>)
// CHECK: scf.for {{.*}} iter_args
// CHECK: vector.transfer_read {{.*}} {in_bounds = [true]} : tensor<8x64xi8>, vector<16xi8>
// CHECK: arith.extui {{.*}} : vector<16xi8> to vector<16xi32>
// CHECK: arith.andi
// CHECK: arith.uitofp {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: vector.fma
// CHECK: arith.shrui
// CHECK: vector.reduction <add>, {{.*}} fastmath<reassoc>
// CHECK: scf.forall.in_parallel
// CHECK: tensor.parallel_insert_slice {{.*}} into %[[OUT]][0, {{.*}}] [1, 4] [1, 1]
// CHECK-NOT: qc.linear
// INT8-LABEL: func @gemv_int4
// Per block of 32: max |x| (a reduction LLVM vectorizes: no NaN blend),
// scale, one division per block for 127 / max|x|, int8 codes by
// multiplication, dequantized group sums.
// INT8: arith.maxnumf {{.*}} fastmath<nnan> : f32
// INT8: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x4xf32>) outs(%{{.*}} : tensor<1x4xf32>)
// INT8: arith.divf
// INT8: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x32xf32>, tensor<1x4xf32>)
// INT8-NOT: arith.divf
// INT8: math.roundeven
// INT8: arith.fptosi {{.*}} to i8
// INT8: scf.forall
// INT8: vector.transfer_read {{.*}} : tensor<8x64xi8>, vector<16xi8>
// INT8: arith.muli {{.*}} : vector<16xi32>
// INT8: vector.shape_cast {{.*}} : vector<16xi32> to vector<4x4xi32>
// INT8: vector.multi_reduction <add>, {{.*}} [1] : vector<4x4xi32> to vector<4xi32>
// INT8: arith.sitofp {{.*}} : vector<4xi32> to vector<4xf32>
func.func @gemv_int4(%x: tensor<1x128xf32>) -> tensor<1x8xf32> {
  %p = arith.constant dense<35> : tensor<8x64xi8>
  %s = arith.constant dense<0.5> : tensor<8x4xf16>
  %w = qc.quantized_weight %p, %s : tensor<8x64xi8>, tensor<8x4xf16> -> !qc.qweight<8x128, #qc.layout<bits = 4, group_size = 32, symmetric = true, scale_type = f16>>
  %y = qc.linear %x, %w : tensor<1x128xf32>, !qc.qweight<8x128, #qc.layout<bits = 4, group_size = 32, symmetric = true, scale_type = f16>> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

// A float weight at batch 3, rank-3 input: rows of 16 f32 lanes, 2 output
// rows per task (6 accumulators), the bias as the initial value.
// CHECK-LABEL: func @gemv_float
// CHECK: tensor.collapse_shape {{.*}} tensor<3x1x32xf32> into tensor<3x32xf32>
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK-COUNT-2: vector.transfer_read {{.*}} : tensor<8x32xf32>, vector<16xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<3x32xf32>, vector<16xf32>
// CHECK: vector.fma
// CHECK: tensor.parallel_insert_slice {{.*}} [3, 2] [1, 1] : tensor<3x2xf32> into tensor<3x8xf32>
// CHECK: tensor.expand_shape {{.*}} tensor<3x8xf32> into tensor<3x1x8xf32>
func.func @gemv_float(%x: tensor<3x1x32xf32>, %w: tensor<8x32xf32>, %b: tensor<8xf32>) -> tensor<3x1x8xf32> {
  %y = qc.linear %x, %w, %b : tensor<3x1x32xf32>, tensor<8x32xf32>, tensor<8xf32> -> tensor<3x1x8xf32>
  return %y : tensor<3x1x8xf32>
}

// -----

// Not covered, left to the general lowering: batch 5, an act-order group
// index, 3-bit codes (straddle bytes), a row not a multiple of 4 lanes.
// CHECK-LABEL: func @not_gemv
// CHECK-NOT: scf.forall
// CHECK: return
func.func @not_gemv(%x5: tensor<5x32xf32>, %w: tensor<8x32xf32>,
                    %x1: tensor<1x8xf32>, %g: tensor<8xi32>,
                    %x3: tensor<1x6xf32>, %w6: tensor<8x6xf32>)
    -> (tensor<5x8xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x8xf32>) {
  %a = qc.linear %x5, %w : tensor<5x32xf32>, tensor<8x32xf32> -> tensor<5x8xf32>
  %p = arith.constant dense<17> : tensor<2x4xi8>
  %s = arith.constant dense<0.5> : tensor<2x2xf32>
  %q = qc.quantized_weight %p, %s group_index(%g : tensor<8xi32>) : tensor<2x4xi8>, tensor<2x2xf32> -> !qc.qweight<2x8, #qc.layout<bits = 4, group_size = 4, symmetric = true, scale_type = f32>>
  %b = qc.linear %x1, %q : tensor<1x8xf32>, !qc.qweight<2x8, #qc.layout<bits = 4, group_size = 4, symmetric = true, scale_type = f32>> -> tensor<1x2xf32>
  %p3 = arith.constant dense<17> : tensor<2x3xi8>
  %s3 = arith.constant dense<0.5> : tensor<2x1xf32>
  %q3 = qc.quantized_weight %p3, %s3 : tensor<2x3xi8>, tensor<2x1xf32> -> !qc.qweight<2x8, #qc.layout<bits = 3, group_size = 0, symmetric = true, scale_type = f32>>
  %c = qc.linear %x1, %q3 : tensor<1x8xf32>, !qc.qweight<2x8, #qc.layout<bits = 3, group_size = 0, symmetric = true, scale_type = f32>> -> tensor<1x2xf32>
  %d = qc.linear %x3, %w6 : tensor<1x6xf32>, tensor<8x6xf32> -> tensor<1x8xf32>
  return %a, %b, %c, %d : tensor<5x8xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x8xf32>
}

// LANES: qc-lower-to-linalg: gemv-lanes must be >= 0
// ACTBITS: qc-lower-to-linalg: act-bits must be 0 or 8
