// RUN: quantc-opt %s --split-input-file | quantc-opt --split-input-file | FileCheck %s

// Round trips of every qc op, attribute and type.

!q4 = !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 2, symmetric = false, scale_type = f16>>

// CHECK-LABEL: func @linear_quantized
// CHECK: %[[W:.*]] = qc.quantized_weight %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x2xi8>, tensor<2x2xf16>, tensor<2x2xi8> -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 2, symmetric = false, scale_type = f16>>
// CHECK: qc.linear %{{.*}}, %[[W]], %{{.*}} : tensor<3x4xf32>, !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 2, symmetric = false, scale_type = f16>>, tensor<2xf32> -> tensor<3x2xf32>
func.func @linear_quantized(%x: tensor<3x4xf32>, %p: tensor<2x2xi8>, %s: tensor<2x2xf16>,
                            %z: tensor<2x2xi8>, %b: tensor<2xf32>) -> tensor<3x2xf32> {
  %w = qc.quantized_weight %p, %s, %z : tensor<2x2xi8>, tensor<2x2xf16>, tensor<2x2xi8> -> !q4
  %y = qc.linear %x, %w, %b : tensor<3x4xf32>, !q4, tensor<2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// CHECK-LABEL: func @linear_float_batched
// CHECK: qc.linear %{{.*}}, %{{.*}} : tensor<2x5x4xf32>, tensor<3x4xf32> -> tensor<2x5x3xf32>
func.func @linear_float_batched(%x: tensor<2x5x4xf32>, %w: tensor<3x4xf32>) -> tensor<2x5x3xf32> {
  %y = qc.linear %x, %w : tensor<2x5x4xf32>, tensor<3x4xf32> -> tensor<2x5x3xf32>
  return %y : tensor<2x5x3xf32>
}

// -----

// CHECK-LABEL: func @conv_symmetric_3bit
// CHECK: qc.quantized_weight %{{.*}}, %{{.*}} : tensor<4x7xi8>, tensor<4x1xf32> -> !qc.qweight<4x2x3x3, #qc.layout<bits = 3, group_size = 0, symmetric = true, scale_type = f32>>
// CHECK: qc.conv2d %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
// CHECK-SAME: -> tensor<1x4x4x4xf32>
func.func @conv_symmetric_3bit(%x: tensor<1x4x8x8xf32>, %p: tensor<4x7xi8>, %s: tensor<4x1xf32>) -> tensor<1x4x4x4xf32> {
  %w = qc.quantized_weight %p, %s : tensor<4x7xi8>, tensor<4x1xf32>
      -> !qc.qweight<4x2x3x3, #qc.layout<bits = 3, group_size = 0, symmetric = true, scale_type = f32>>
  %y = qc.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2}
      : tensor<1x4x8x8xf32>, !qc.qweight<4x2x3x3, #qc.layout<bits = 3, group_size = 0, symmetric = true, scale_type = f32>> -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// -----

// CHECK-LABEL: func @awq_and_act_order_weights
// CHECK: qc.quantized_weight %{{.*}}, %{{.*}}, %{{.*}} column_scales(%{{.*}} : tensor<4xf32>) group_index(%{{.*}} : tensor<4xi32>) : tensor<2x2xi8>, tensor<2x2xf32>, tensor<2x2xi8> -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 2, symmetric = false, scale_type = f32>>
func.func @awq_and_act_order_weights(%p: tensor<2x2xi8>, %s: tensor<2x2xf32>, %z: tensor<2x2xi8>,
                                     %c: tensor<4xf32>, %g: tensor<4xi32>) {
  %w = qc.quantized_weight %p, %s, %z column_scales(%c : tensor<4xf32>) group_index(%g : tensor<4xi32>)
      : tensor<2x2xi8>, tensor<2x2xf32>, tensor<2x2xi8>
      -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 2, symmetric = false, scale_type = f32>>
  return
}
