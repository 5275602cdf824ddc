// RUN: not quantc-opt %s --qc-mixed-precision 2>&1 | FileCheck %s --check-prefix=NOBUDGET
// RUN: not quantc-opt %s --qc-mixed-precision="avg-bits=4 max-weight-bytes=10" 2>&1 | FileCheck %s --check-prefix=NOBUDGET
// RUN: not quantc-opt %s --qc-mixed-precision="avg-bits=4 candidates=4,9" 2>&1 | FileCheck %s --check-prefix=CANDIDATE
// RUN: not quantc-opt %s --qc-mixed-precision="max-weight-bytes=5 candidates=2,8" 2>&1 | FileCheck %s --check-prefix=SMALL
// RUN: not quantc-opt %s --qc-mixed-precision="avg-bits=4 plan-file=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=NOPLAN
// RUN: not quantc-opt %s --qc-mixed-precision="max-weight-bytes=50 column-bytes=-1" 2>&1 | FileCheck %s --check-prefix=COLUMNS
// RUN: echo '{"fc": 12}' > %t.bad.json
// RUN: not quantc-opt %s --qc-mixed-precision="avg-bits=4 plan-file=%t.bad.json" 2>&1 | FileCheck %s --check-prefix=BADPLAN
// RUN: echo '[1, 2' > %t.broken.json
// RUN: not quantc-opt %s --qc-mixed-precision="avg-bits=4 plan-file=%t.broken.json" 2>&1 | FileCheck %s --check-prefix=BROKEN
// RUN: echo '{"nope": 4}' > %t.unknown.json
// RUN: not quantc-opt %s --qc-mixed-precision="avg-bits=4 plan-file=%t.unknown.json" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: %python -c "print('[' * 100000 + ']' * 100000)" > %t.deep.json
// RUN: not quantc-opt %s --qc-mixed-precision="avg-bits=4 plan-file=%t.deep.json" 2>&1 | FileCheck %s --check-prefix=DEEP

// NOBUDGET: qc-mixed-precision: give exactly one of avg-bits and max-weight-bytes
// CANDIDATE: qc-mixed-precision: invalid candidate width '9' (2-8, or 32 for float)
// SMALL: qc-mixed-precision: budget of 5 bytes is below the smallest plan (14 bytes)
// COLUMNS: qc-mixed-precision: column-bytes must be >= 0
// NOPLAN: qc-mixed-precision: cannot read plan '{{.*}}missing.json'
// BADPLAN: qc-mixed-precision: plan '{{.*}}': entry 'fc' must give bits in 2-8 or 32
// BROKEN: qc-mixed-precision: plan '{{.*}}broken.json' is not valid JSON
// UNKNOWN: qc-mixed-precision: plan '{{.*}}unknown.json' names 'nope', which is not a quantizable layer of the model
// DEEP: qc-mixed-precision: plan '{{.*}}deep.json' is nested deeper than 64 levels

func.func @one_layer(%x: tensor<1x8xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[-9.0, 7.0, -3.0, 5.5, 1.0, -6.0, 8.0, 2.5], [4.0, -8.5, 6.0, -2.0, 9.5, -1.0, 3.0, -7.0]]> : tensor<2x8xf32>
  %y = qc.linear %x, %w : tensor<1x8xf32>, tensor<2x8xf32> -> tensor<1x2xf32> loc("fc")
  return %y : tensor<1x2xf32>
}
