// RUN: not quantc-opt %s --qc-prefetch-weight-streams=distance=0 2>&1 | FileCheck %s
// RUN: not quantc-opt %s --qc-prefetch-weight-streams=distance=-8 2>&1 | FileCheck %s --check-prefix=NEG

// CHECK: qc-prefetch-weight-streams: distance must be > 0, not 0
// NEG: qc-prefetch-weight-streams: distance must be > 0, not -8
func.func @f() {
  return
}
