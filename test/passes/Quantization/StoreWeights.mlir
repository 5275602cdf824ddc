// RUN: quantc-opt %s --qc-store-weights="type=f16" | FileCheck %s
// RUN: quantc-opt %s --qc-store-weights="type=bf16" | FileCheck %s --check-prefix=BF16
// RUN: not quantc-opt %s --qc-store-weights="type=f8" 2>&1 | FileCheck %s --check-prefix=TYPE
// RUN: quantc-opt %s --qc-store-weights="type=f16" --qc-lower-to-linalg | FileCheck %s --check-prefix=LOWER

// TYPE: qc-store-weights: type must be f32, f16 or bf16, got 'f8'

// The float weight is stored rounded to half precision; the layer still
// computes in f32 and its lowering widens each weight element.
// CHECK-LABEL: func.func @float_layer
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 3.339840e-01], [-2.500000e+00, 6.550400e+04]]> : tensor<2x2xf16>
// CHECK: qc.linear %{{.*}}, %[[W]] : tensor<3x2xf32>, tensor<2x2xf16> -> tensor<3x2xf32>
// BF16: arith.constant dense<{{\[}}[1.000000e+00, 3.339840e-01], [-2.500000e+00, 6.553600e+04]]> : tensor<2x2xbf16>
// LOWER: arith.extf %{{.*}} : f16 to f32
func.func @float_layer(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 0.333984375], [-2.5, 65504.0]]> : tensor<2x2xf32>
  %y = qc.linear %x, %w : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
