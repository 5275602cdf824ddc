// RUN: quantc-opt %s --split-input-file --verify-diagnostics --qc-awq="bits=4"
// RUN: not quantc-opt %s --qc-awq="bits=4 grid=0" 2>&1 | FileCheck %s --check-prefix=GRID
// RUN: not quantc-opt %s --qc-awq="bits=4 max-shrink=1.5" 2>&1 | FileCheck %s --check-prefix=GRID
// RUN: not quantc-opt %s --qc-awq="bits=4 scale-type=f64" 2>&1 | FileCheck %s --check-prefix=SCALE

// GRID: qc-awq: grid must be >= 1 and max-shrink in [0, 1)
// SCALE: qc-awq: scale-type must be f32, f16 or bf16, got 'f64'

func.func @negative_awq_no_statistics(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-error@+1 {{qc-awq: layer '' has no activation statistics (attributes qc.act_mean_abs : tensor<2xf32> and qc.act_samples : tensor<Tx2xf32>)}}
  %y = qc.linear %x, %w : tensor<1x2xf32>, tensor<2x2xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @negative_awq_negative_activations(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-error@+1 {{qc-awq: layer '': AWQ: }}
  %y = qc.linear %x, %w {qc.act_mean_abs = dense<[-1.0, 1.0]> : tensor<2xf32>, qc.act_samples = dense<1.0> : tensor<4x2xf32>} : tensor<1x2xf32>, tensor<2x2xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
