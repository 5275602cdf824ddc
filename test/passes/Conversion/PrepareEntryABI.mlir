// RUN: quantc-opt %s --split-input-file --qc-prepare-entry-abi | FileCheck %s

// Inputs become read-only for bufferization; ONNX names are dropped (the
// model signature was read before lowering).
// CHECK-LABEL: func.func @main_graph
// CHECK-SAME: (%{{.*}}: tensor<2x3xf32> {bufferization.writable = false}) -> tensor<2x3xf32>
// CHECK-NOT: qc.name
func.func @main_graph(%x: tensor<2x3xf32> {qc.name = "x"}) -> (tensor<2x3xf32> {qc.name = "y"}) {
  %y = math.exp %x : tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Empty tensors of rank > 1 at the boundary become tensor<0xT>; uses of an
// empty argument read a tensor.empty of the declared shape instead.
// CHECK-LABEL: func.func @empty
// CHECK-SAME: (%{{.*}}: tensor<0xf32> {bufferization.writable = false}, %[[B:.*]]: tensor<4xf32> {bufferization.writable = false}) -> (tensor<0xf32>, tensor<4xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<3x0x5xf32>
// CHECK: tensor.empty() : tensor<0xf32>
// CHECK: return %{{.*}}, %[[B]] : tensor<0xf32>, tensor<4xf32>
func.func @empty(%a: tensor<3x0x5xf32>, %b: tensor<4xf32>) -> (tensor<3x0x5xf32>, tensor<4xf32>) {
  %y = math.exp %a : tensor<3x0x5xf32>
  return %y, %b : tensor<3x0x5xf32>, tensor<4xf32>
}
