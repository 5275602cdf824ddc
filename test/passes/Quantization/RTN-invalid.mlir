// RUN: quantc-opt %s --qc-rtn="bits=4" | FileCheck %s --check-prefix=FLOAT
// RUN: not quantc-opt %s --qc-rtn="bits=9" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not quantc-opt %s --qc-rtn="bits=4 group-size=-1" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not quantc-opt %s --qc-rtn="bits=4 scale-type=f8" 2>&1 | FileCheck %s --check-prefix=SCALE
// RUN: not quantc-opt %s --qc-rtn="bits=4 exclude=(" 2>&1 | FileCheck %s --check-prefix=REGEX

// BITS: qc-rtn: bits must be in [2, 8], got 9
// GROUP: qc-rtn: group-size must be >= 0, got -1
// SCALE: qc-rtn: scale-type must be f32, f16 or bf16, got 'f8'
// REGEX: qc-rtn: invalid exclude regex '('

// A weight that is not a constant cannot be quantized ahead of time: the
// layer stays in float and says why (qc-weight-report lists the reason).
// FLOAT: qc.linear %{{.*}}, %{{.*}} {qc.float_reason = "weight is not a compile-time constant"}
func.func @negative_rtn_weight_argument(%x: tensor<3x4xf32>, %w: tensor<2x4xf32>) -> tensor<3x2xf32> {
  %y = qc.linear %x, %w : tensor<3x4xf32>, tensor<2x4xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
