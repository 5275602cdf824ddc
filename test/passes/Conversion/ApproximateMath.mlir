// RUN: quantc-opt %s --qc-approximate-math | FileCheck %s

// erf, exp, tanh and log become arithmetic (LLVM vectorizes the loops
// around them); other math ops are left alone.
// CHECK-LABEL: func @approximated
// CHECK-NOT: math.erf
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.log
// CHECK: math.sqrt
// CHECK: return
func.func @approximated(%x: f32, %v: vector<16xf32>) -> (f32, vector<16xf32>, f32) {
  %a = math.erf %x : f32
  %b = math.exp %a : f32
  %c = math.tanh %v : vector<16xf32>
  %d = math.log %b : f32
  %e = math.sqrt %d : f32
  return %b, %c, %e : f32, vector<16xf32>, f32
}
