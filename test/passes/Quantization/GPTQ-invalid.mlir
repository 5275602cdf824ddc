// RUN: quantc-opt %s --split-input-file --verify-diagnostics --qc-gptq="bits=4"
// RUN: not quantc-opt %s --split-input-file --qc-gptq="bits=4 damp=-1" 2>&1 | FileCheck %s --check-prefix=DAMP
// RUN: not quantc-opt %s --split-input-file --qc-gptq="bits=1" 2>&1 | FileCheck %s --check-prefix=BITS

// DAMP: qc-gptq: damp must be >= 0 and block-size >= 1
// BITS: qc-gptq: bits must be in [2, 8], got 1

func.func @negative_gptq_no_hessian(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-error@+1 {{qc-gptq: layer '' has no calibration Hessian (attribute qc.hessian : tensor<2x2xf32>)}}
  %y = qc.linear %x, %w : tensor<1x2xf32>, tensor<2x2xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Not positive definite even after the dampening retries.
func.func @negative_gptq_indefinite(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-error@+1 {{qc-gptq: layer '': GPTQ: }}
  %y = qc.linear %x, %w {qc.hessian = dense<[[-4.0, 0.0], [0.0, -4.0]]> : tensor<2x2xf32>} : tensor<1x2xf32>, tensor<2x2xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
