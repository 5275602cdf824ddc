// RUN: quantc-opt %s --qc-lower-to-linalg | FileCheck %s
// RUN: quantc-opt %s --qc-lower-to-linalg=tile-rows=2 | FileCheck %s --check-prefix=TILED
// RUN: not quantc-opt %s --qc-lower-to-linalg=tile-rows=-1 2>&1 | FileCheck %s --check-prefix=NEGATIVE

// Without a target's schedule (tile-rows=0, the default) a quantized layer
// is one contraction over (m, n, k) whose body decodes each weight element:
// two packed bytes, the group's scale and zero point, no scf.for and no
// decoded tile. A target's schedule (tile-rows=N) decodes N rows at a time.

// CHECK-LABEL: func.func @linear_q4
// CHECK-NOT: scf.for
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %[[P:.*]], %[[P]], %{{.*}}, %{{.*}} : tensor<3x8xf32>, tensor<4x4xi8>, tensor<4x4xi8>, tensor<4x1xf16>, tensor<4x1xi8>)
// CHECK: arith.shrui
// CHECK: arith.subi
// CHECK: arith.sitofp
// CHECK: arith.extf
// CHECK: arith.mulf
// CHECK-NOT: scf.for
// CHECK: return

// TILED-LABEL: func.func @linear_q4
// TILED: scf.for %{{.*}} = %c0 to %c4 step %c2
// TILED: tensor<2x8xf32>

// NEGATIVE: tile-rows must be >= 0
func.func @linear_q4(%x: tensor<3x8xf32>) -> tensor<3x4xf32> {
  %packed = arith.constant dense<[[16, 50, 84, 118], [-119, -85, -51, -17], [0, 0, 0, 0], [-1, -1, -1, -1]]> : tensor<4x4xi8>
  %scales = arith.constant dense<[[1.0], [0.5], [2.0], [0.25]]> : tensor<4x1xf16>
  %zps = arith.constant dense<[[8], [8], [0], [15]]> : tensor<4x1xi8>
  %q = qc.quantized_weight %packed, %scales, %zps : tensor<4x4xi8>, tensor<4x1xf16>, tensor<4x1xi8> -> !qc.qweight<4x8, #qc.layout<bits = 4, group_size = 8, symmetric = false, scale_type = f16>>
  %y = qc.linear %x, %q : tensor<3x8xf32>, !qc.qweight<4x8, #qc.layout<bits = 4, group_size = 8, symmetric = false, scale_type = f16>> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}
