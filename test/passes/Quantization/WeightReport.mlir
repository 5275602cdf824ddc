// RUN: quantc-opt %s --qc-rtn="bits=4 group-size=2 exclude=^fp32$" --qc-weight-report=output=%t.json | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s --input-file=%t.json
// RUN: not quantc-opt %s --qc-weight-report=output=%t.missing-dir/r.json 2>&1 | FileCheck %s --check-prefix=ERR

// The report does not change the IR.
// IR: qc.quantized_weight
// IR: qc.linear

// A 2x4 4-bit layer with groups of 2: 2x2 bytes of codes, 2x2 f32 scales and
// 2x2 i8 zero points = 4 + 16 + 4 = 24 bytes, 24*8/8 = 24 bits per weight.
// "percol" (already quantized, 4-bit symmetric, groups of 2, f32 scales)
// also stores 4 f32 column scales and 4 i32 group indices: 2x2 bytes of
// codes + 2x2x4 bytes of scales + 16 + 16 = 52 bytes, 52 bits per weight.
// Totals: (24 + 32 + 52) bytes * 8 / 24 weights = 36 bits per weight.
// CHECK: "bits_per_weight": 36
// CHECK: "layers": [
// CHECK:     "bits": 4,
// CHECK:     "bits_per_weight": 24,
// CHECK:     "bytes": 24,
// CHECK:     "float_bytes": 32,
// CHECK:     "group_size": 2,
// CHECK:     "name": "q4",
// CHECK:     "op": "qc.linear",
// CHECK:     "rel_error": 0.0{{[0-9]+}}
// CHECK:     "scale_type": "f32",
// CHECK:     "symmetric": false
// CHECK:     "bits": 32,
// CHECK:     "bytes": 32,
// CHECK:     "name": "fp32",
// CHECK:     "rel_error": 0
// CHECK:     "bits_per_weight": 52,
// CHECK:     "bytes": 52,
// CHECK:     "name": "percol",
// CHECK: "total_bytes": 108,
// CHECK: "total_float_bytes": 96

// ERR: qc-weight-report: cannot write '{{.*}}r.json'
func.func @report(%x: tensor<1x4xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0], [-1.0, 0.5, 0.25, 1.0]]> : tensor<2x4xf32>
  %y = qc.linear %x, %w : tensor<1x4xf32>, tensor<2x4xf32> -> tensor<1x2xf32> loc("q4")
  %w2 = arith.constant dense<[[1.0, 1.0, 2.0, 3.0], [-1.0, 0.5, 0.25, 1.0]]> : tensor<2x4xf32>
  %z = qc.linear %x, %w2 : tensor<1x4xf32>, tensor<2x4xf32> -> tensor<1x2xf32> loc("fp32")
  return %y, %z : tensor<1x2xf32>, tensor<1x2xf32>
}

func.func @per_column(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %packed = arith.constant dense<[[18, 52], [86, 120]]> : tensor<2x2xi8>
  %scales = arith.constant dense<[[0.5, 0.25], [1.0, 2.0]]> : tensor<2x2xf32>
  %cols = arith.constant dense<[1.0, 2.0, 0.5, 1.0]> : tensor<4xf32>
  %gidx = arith.constant dense<[1, 0, 0, 1]> : tensor<4xi32>
  %w = qc.quantized_weight %packed, %scales column_scales(%cols : tensor<4xf32>) group_index(%gidx : tensor<4xi32>) : tensor<2x2xi8>, tensor<2x2xf32> -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 2, symmetric = true, scale_type = f32>>
  %y = qc.linear %x, %w : tensor<1x4xf32>, !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 2, symmetric = true, scale_type = f32>> -> tensor<1x2xf32> loc("percol")
  return %y : tensor<1x2xf32>
}
