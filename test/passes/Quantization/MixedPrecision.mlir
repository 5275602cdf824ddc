// RUN: quantc-opt %s --split-input-file --qc-mixed-precision="avg-bits=5 candidates=2,8" | FileCheck %s --check-prefix=TEN
// RUN: quantc-opt %s --split-input-file --qc-mixed-precision="avg-bits=4 candidates=2,8" | FileCheck %s --check-prefix=SEVEN
// RUN: quantc-opt %s --split-input-file --qc-mixed-precision="max-weight-bytes=80 candidates=2,8,32" | FileCheck %s --check-prefix=FLOAT
// RUN: quantc-opt %s --split-input-file --qc-mixed-precision="max-weight-bytes=100 candidates=2,8,32" | FileCheck %s --check-prefix=HUNDRED
// RUN: quantc-opt %s --split-input-file --qc-mixed-precision="max-weight-bytes=100 candidates=2,8,32 column-bytes=4" | FileCheck %s --check-prefix=COLUMNS
// RUN: echo '{"small": 8}' > %t.plan.json
// RUN: quantc-opt %s --split-input-file --qc-mixed-precision="avg-bits=5 candidates=2,8 plan-file=%t.plan.json" | FileCheck %s --check-prefix=PLAN
// RUN: quantc-opt %s --split-input-file --qc-mixed-precision="avg-bits=5 candidates=2,8" --qc-rtn="bits=4" | FileCheck %s --check-prefix=RTN

// Two 2x8 layers (16 weights each). avg-bits counts code bits: avg-bits 5
// -> 160 bits: one layer can have 8 bits (128 + 32); without Hessians the
// error is ||dW||^2, far larger for the wide-range layer "big". avg-bits 4
// -> 128 bits: both get 2 bits. max-weight-bytes counts storage: per-channel
// with f32 scales and zero points, 2-bit = 2 * (2 + 4 + 1) = 14 bytes,
// 8-bit = 2 * (8 + 4 + 1) = 26 bytes, float = 64 bytes.

// TEN-LABEL: func @two_layers
// TEN: qc.linear {{.*}} {qc.bits = 8 : i64}
// TEN: qc.linear {{.*}} {qc.bits = 2 : i64}
// SEVEN-LABEL: func @two_layers
// SEVEN: qc.linear {{.*}} {qc.bits = 2 : i64}
// SEVEN: qc.linear {{.*}} {qc.bits = 2 : i64}
// 80 bytes: "big" stays float (error 0) and "small" gets 2 bits (64 + 14
// = 78 bytes), a smaller total error than 8 bits for both (52 bytes).
// FLOAT-LABEL: func @two_layers
// FLOAT: qc.linear {{.*}} {qc.bits = 32 : i64}
// FLOAT: qc.linear {{.*}} {qc.bits = 2 : i64}
// 100 bytes: "big" float and "small" 8-bit (64 + 26 = 90 bytes). With 4
// bytes per column (a group index or AWQ column scales: 32 bytes a layer)
// only 2 bits for both fits (2 * (14 + 32) = 92 bytes; 8 + 2 bits = 104).
// HUNDRED-LABEL: func @two_layers
// HUNDRED: qc.linear {{.*}} {qc.bits = 32 : i64}
// HUNDRED: qc.linear {{.*}} {qc.bits = 8 : i64}
// COLUMNS-LABEL: func @two_layers
// COLUMNS: qc.linear {{.*}} {qc.bits = 2 : i64}
// COLUMNS: qc.linear {{.*}} {qc.bits = 2 : i64}
// The plan file fixes "small" at 8 bits (128 code bits), leaving 32 for
// "big".
// PLAN-LABEL: func @two_layers
// PLAN: qc.linear {{.*}} {qc.bits = 2 : i64}
// PLAN: qc.linear {{.*}} {qc.bits = 8 : i64}
// The quantization pass honors the plan over its own bits option.
// RTN-LABEL: func @two_layers
// RTN: !qc.qweight<2x8, #qc.layout<bits = 8,
// RTN: !qc.qweight<2x8, #qc.layout<bits = 2,
func.func @two_layers(%x: tensor<1x8xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  %w1 = arith.constant dense<[[-9.0, 7.0, -3.0, 5.5, 1.0, -6.0, 8.0, 2.5], [4.0, -8.5, 6.0, -2.0, 9.5, -1.0, 3.0, -7.0]]> : tensor<2x8xf32>
  %y1 = qc.linear %x, %w1 : tensor<1x8xf32>, tensor<2x8xf32> -> tensor<1x2xf32> loc("big")
  %w2 = arith.constant dense<[[0.01, -0.02, 0.03, 0.0, 0.015, -0.01, 0.02, 0.005], [0.0, 0.01, -0.01, 0.02, -0.02, 0.03, 0.01, 0.0]]> : tensor<2x8xf32>
  %y2 = qc.linear %x, %w2 : tensor<1x8xf32>, tensor<2x8xf32> -> tensor<1x2xf32> loc("small")
  return %y1, %y2 : tensor<1x2xf32>, tensor<1x2xf32>
}

// -----

// With calibration Hessians the error is tr(dW H dWᵀ): inputs of "small"
// are 10^5 times larger, so it is the sensitive layer now.
// TEN-LABEL: func @hessian_decides
// TEN: qc.linear {{.*}} {qc.bits = 2 : i64, qc.hessian =
// TEN: qc.linear {{.*}} {qc.bits = 8 : i64, qc.hessian =
func.func @hessian_decides(%x: tensor<1x8xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  %w1 = arith.constant dense<[[-9.0, 7.0, -3.0, 5.5, 1.0, -6.0, 8.0, 2.5], [4.0, -8.5, 6.0, -2.0, 9.5, -1.0, 3.0, -7.0]]> : tensor<2x8xf32>
  %y1 = qc.linear %x, %w1 {qc.hessian = dense<[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]> : tensor<8x8xf32>} : tensor<1x8xf32>, tensor<2x8xf32> -> tensor<1x2xf32> loc("big")
  %w2 = arith.constant dense<[[0.01, -0.02, 0.03, 0.0, 0.015, -0.01, 0.02, 0.005], [0.0, 0.01, -0.01, 0.02, -0.02, 0.03, 0.01, 0.0]]> : tensor<2x8xf32>
  %y2 = qc.linear %x, %w2 {qc.hessian = dense<[[1.0e10, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 1.0e10, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0e10, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0e10, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0e10, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0e10, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0e10, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0e10]]> : tensor<8x8xf32>} : tensor<1x8xf32>, tensor<2x8xf32> -> tensor<1x2xf32> loc("small")
  return %y1, %y2 : tensor<1x2xf32>, tensor<1x2xf32>
}
