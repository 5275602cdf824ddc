// RUN: quantc-opt %s --qc-cpu-pipeline=linalg-only=true | FileCheck %s --check-prefix=LINALG
// RUN: quantc-opt %s --qc-linalg-pipeline="tile-rows=16 gemv-lanes=16 reassociate-reductions=true" --qc-bufferize-pipeline | FileCheck %s --check-prefix=BUFFERS
// RUN: quantc-opt %s --qc-cpu-pipeline | FileCheck %s --check-prefix=LLVM
// RUN: quantc-opt %s --qc-linalg-pipeline="tile-rows=16 gemv-lanes=16 reassociate-reductions=true" --qc-bufferize-pipeline --qc-llvm-pipeline > %t.stages.mlir
// RUN: quantc-opt %s --qc-cpu-pipeline > %t.whole.mlir
// RUN: diff %t.stages.mlir %t.whole.mlir

// The CPU target's lowering, stage by stage: the linalg stage with the
// CPU's schedule (at batch 2 a quantized linear layer is a fused GEMV: a
// forall over blocks of 4 output rows, bytes decoded into vectors of 4
// lanes here since a group holds only 4 packed bytes),
// bufferization to the qc_model ABI (read-only inputs, the output as a
// caller-provided out-parameter), then the LLVM dialect with bare-pointer
// arguments. The stages run one by one give exactly the whole pipeline.

// LINALG-LABEL: func.func @main_graph
// LINALG-SAME: {qc.name = "x"}
// LINALG: scf.forall (%{{.*}}) in (8) shared_outs
// LINALG: vector.transfer_read {{.*}} : tensor<32x4xi8>, vector<4xi8>
// LINALG: vector.fma {{.*}} : vector<4xf32>
// LINALG: vector.reduction <add>
// LINALG: tensor.parallel_insert_slice {{.*}} into {{.*}}[0, {{.*}}] [2, 4] [1, 1] : tensor<2x4xf32> into tensor<2x32xf32>
// LINALG-NOT: qc.linear

// BUFFERS-LABEL: func.func @main_graph
// BUFFERS-SAME: (%{{.*}}: memref<2x8xf32>, %{{.*}}: memref<2x32xf32>)
// BUFFERS-NOT: return %
// BUFFERS-NOT: memref.copy

// LLVM: llvm.func @main_graph(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// LLVM-NOT: qc.
// LLVM-NOT: linalg.
// LLVM-NOT: scf.
module attributes {qc.graph_name = "g", qc.opset = 17 : i64} {
  func.func @main_graph(%x: tensor<2x8xf32> {qc.name = "x"}) -> (tensor<2x32xf32> {qc.name = "y"}) {
    %packed = arith.constant dense<17> : tensor<32x4xi8>
    %scales = arith.constant dense<0.5> : tensor<32x1xf16>
    %q = qc.quantized_weight %packed, %scales : tensor<32x4xi8>, tensor<32x1xf16> -> !qc.qweight<32x8, #qc.layout<bits = 4, group_size = 8, symmetric = true, scale_type = f16>>
    %y = qc.linear %x, %q : tensor<2x8xf32>, !qc.qweight<32x8, #qc.layout<bits = 4, group_size = 8, symmetric = true, scale_type = f16>> -> tensor<2x32xf32>
    return %y : tensor<2x32xf32>
  }
}
