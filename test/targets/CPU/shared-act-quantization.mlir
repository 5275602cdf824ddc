// RUN: quantc-opt %s --qc-cpu-pipeline="linalg-only=true act-bits=8" | FileCheck %s
// RUN: quantc-opt %s --qc-cpu-pipeline="linalg-only=true act-bits=8" | FileCheck %s --check-prefix=COUNT

// Layers that read one input (a decoder's q/k/v projections, gate/up) need
// its int8 quantization once: the per-layer copies are identical and the
// linalg stage keeps one (max |x|, 127 / max, codes, block sums), which both
// GEMVs read. A layer with another input quantizes its own.

// CHECK-LABEL: func.func @main_graph
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<1x2x32xf32>)
// CHECK: arith.maxnumf
// CHECK: %[[CODES:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x32xf32>, tensor<1x2xf32>)
// CHECK: scf.forall
// CHECK: scf.forall
// CHECK: arith.maxnumf
// CHECK: scf.forall

// Three GEMVs, two quantizations (q/k share one, the third layer reads q).
// COUNT-COUNT-2: arith.maxnumf
// COUNT-NOT: arith.maxnumf
module attributes {qc.graph_name = "g", qc.opset = 17 : i64} {
  func.func @main_graph(%x: tensor<1x64xf32> {qc.name = "x"}) -> (tensor<1x64xf32> {qc.name = "k"}, tensor<1x64xf32> {qc.name = "o"}) {
    %p1 = arith.constant dense<17> : tensor<64x32xi8>
    %p2 = arith.constant dense<33> : tensor<64x32xi8>
    %p3 = arith.constant dense<49> : tensor<64x32xi8>
    %s = arith.constant dense<0.5> : tensor<64x2xf16>
    %w1 = qc.quantized_weight %p1, %s : tensor<64x32xi8>, tensor<64x2xf16> -> !qc.qweight<64x64, #qc.layout<bits = 4, group_size = 32, symmetric = true, scale_type = f16>>
    %w2 = qc.quantized_weight %p2, %s : tensor<64x32xi8>, tensor<64x2xf16> -> !qc.qweight<64x64, #qc.layout<bits = 4, group_size = 32, symmetric = true, scale_type = f16>>
    %w3 = qc.quantized_weight %p3, %s : tensor<64x32xi8>, tensor<64x2xf16> -> !qc.qweight<64x64, #qc.layout<bits = 4, group_size = 32, symmetric = true, scale_type = f16>>
    %q = qc.linear %x, %w1 : tensor<1x64xf32>, !qc.qweight<64x64, #qc.layout<bits = 4, group_size = 32, symmetric = true, scale_type = f16>> -> tensor<1x64xf32>
    %k = qc.linear %x, %w2 : tensor<1x64xf32>, !qc.qweight<64x64, #qc.layout<bits = 4, group_size = 32, symmetric = true, scale_type = f16>> -> tensor<1x64xf32>
    %o = qc.linear %q, %w3 : tensor<1x64xf32>, !qc.qweight<64x64, #qc.layout<bits = 4, group_size = 32, symmetric = true, scale_type = f16>> -> tensor<1x64xf32>
    return %k, %o : tensor<1x64xf32>, tensor<1x64xf32>
  }
}
