// RUN: quantc-opt %s --split-input-file --verify-diagnostics

// Every verifier error of the qc dialect.

// expected-error@+1 {{bits must be in [2, 8], got 9}}
func.func @negative_layout_bits(%w: !qc.qweight<2x4, #qc.layout<bits = 9, group_size = 0, symmetric = false, scale_type = f32>>) {
  return
}

// -----

// expected-error@+1 {{group_size must be >= 0 (0 = per-channel), got -2}}
func.func @negative_layout_group(%w: !qc.qweight<2x4, #qc.layout<bits = 4, group_size = -2, symmetric = false, scale_type = f32>>) {
  return
}

// -----

// expected-error@+1 {{scale_type must be f16, bf16 or f32, got 'i8'}}
func.func @negative_layout_scale_type(%w: !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = i8>>) {
  return
}

// -----

// expected-error@+1 {{quantized weight must have rank >= 2 (rows x values), got rank 1}}
func.func @negative_qweight_rank(%w: !qc.qweight<4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>) {
  return
}

// -----

// expected-error@+1 {{group_size 8 exceeds the row length 4}}
func.func @negative_qweight_group_too_large(%w: !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 8, symmetric = false, scale_type = f32>>) {
  return
}

// -----

// expected-error@+1 {{quantized weight dimensions must be positive, got 0}}
func.func @negative_qweight_empty(%w: !qc.qweight<2x0, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>) {
  return
}

// -----

func.func @negative_packed_size(%p: tensor<2x3xi8>, %s: tensor<2x1xf32>, %z: tensor<2x1xi8>) {
  // expected-error@+1 {{packed codes must be 'tensor<2x2xi8>' for 4-bit rows of 4 values, got 'tensor<2x3xi8>'}}
  %w = qc.quantized_weight %p, %s, %z : tensor<2x3xi8>, tensor<2x1xf32>, tensor<2x1xi8>
      -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>
  return
}

// -----

func.func @negative_scales_groups(%p: tensor<2x2xi8>, %s: tensor<2x1xf32>, %z: tensor<2x1xi8>) {
  // expected-error@+1 {{scales must be 'tensor<2x2xf32>' (rows x groups of 2, scale_type), got 'tensor<2x1xf32>'}}
  %w = qc.quantized_weight %p, %s, %z : tensor<2x2xi8>, tensor<2x1xf32>, tensor<2x1xi8>
      -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 2, symmetric = false, scale_type = f32>>
  return
}

// -----

func.func @negative_scales_type(%p: tensor<2x2xi8>, %s: tensor<2x1xf32>, %z: tensor<2x1xi8>) {
  // expected-error@+1 {{scales must be 'tensor<2x1xf16>'}}
  %w = qc.quantized_weight %p, %s, %z : tensor<2x2xi8>, tensor<2x1xf32>, tensor<2x1xi8>
      -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f16>>
  return
}

// -----

func.func @negative_symmetric_with_zero_points(%p: tensor<2x2xi8>, %s: tensor<2x1xf32>, %z: tensor<2x1xi8>) {
  // expected-error@+1 {{symmetric layout takes no zero points}}
  %w = qc.quantized_weight %p, %s, %z : tensor<2x2xi8>, tensor<2x1xf32>, tensor<2x1xi8>
      -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = true, scale_type = f32>>
  return
}

// -----

func.func @negative_asymmetric_without_zero_points(%p: tensor<2x2xi8>, %s: tensor<2x1xf32>) {
  // expected-error@+1 {{asymmetric layout requires zero points}}
  %w = qc.quantized_weight %p, %s : tensor<2x2xi8>, tensor<2x1xf32>
      -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>
  return
}

// -----

func.func @negative_zero_points_shape(%p: tensor<2x2xi8>, %s: tensor<2x1xf32>, %z: tensor<1x2xi8>) {
  // expected-error@+1 {{zero points must be 'tensor<2x1xi8>', got 'tensor<1x2xi8>'}}
  %w = qc.quantized_weight %p, %s, %z : tensor<2x2xi8>, tensor<2x1xf32>, tensor<1x2xi8>
      -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>
  return
}

// -----

func.func @negative_linear_features(%x: tensor<3x5xf32>, %w: tensor<2x4xf32>) {
  // expected-error@+1 {{input features 5 do not match weight [2,4] (expected [out, 5])}}
  %y = qc.linear %x, %w : tensor<3x5xf32>, tensor<2x4xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @negative_linear_weight_rank(%x: tensor<3x4xf32>, %w: tensor<2x2x2xf32>) {
  // expected-error@+1 {{weight must be 2-D [out, in], got [2,2,2]}}
  %y = qc.linear %x, %w : tensor<3x4xf32>, tensor<2x2x2xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @negative_linear_empty_weight(%x: tensor<3x0xf32>, %w: tensor<2x0xf32>) {
  // expected-error@+1 {{weight [2,0] is empty}}
  %y = qc.linear %x, %w : tensor<3x0xf32>, tensor<2x0xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @negative_linear_bias(%x: tensor<3x4xf32>, %w: tensor<2x4xf32>, %b: tensor<3xf32>) {
  // expected-error@+1 {{bias must be [2], got [3]}}
  %y = qc.linear %x, %w, %b : tensor<3x4xf32>, tensor<2x4xf32>, tensor<3xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @negative_linear_result(%x: tensor<3x4xf32>, %w: tensor<2x4xf32>) {
  // expected-error@+1 {{result shape [3,3] does not match expected [3,2]}}
  %y = qc.linear %x, %w : tensor<3x4xf32>, tensor<2x4xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @negative_conv_rank(%x: tensor<1x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error@+1 {{expected 4-D input (NCHW) and weight (OIHW), got [1,8,8] and [4,1,3,3]}}
  %y = qc.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1}
      : tensor<1x8x8xf32>, tensor<4x1x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @negative_conv_group(%x: tensor<1x3x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error@+1 {{input channels 3 and weight [4,1,3,3] do not match group 2}}
  %y = qc.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2}
      : tensor<1x3x8x8xf32>, tensor<4x1x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @negative_conv_attr_sizes(%x: tensor<1x1x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error@+1 {{expected 2 strides, 4 pads and 2 dilations}}
  %y = qc.conv2d %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1}
      : tensor<1x1x8x8xf32>, tensor<4x1x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @negative_conv_stride(%x: tensor<1x1x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error@+1 {{strides and dilations must be >= 1 and pads >= 0}}
  %y = qc.conv2d %x, %w {strides = array<i64: 0, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1}
      : tensor<1x1x8x8xf32>, tensor<4x1x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @negative_conv_kernel_too_large(%x: tensor<1x1x2x2xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error@+1 {{kernel extent 3 exceeds padded input extent 2}}
  %y = qc.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1}
      : tensor<1x1x2x2xf32>, tensor<4x1x3x3xf32> -> tensor<1x4x1x1xf32>
  return
}

// -----

func.func @negative_conv_result(%x: tensor<1x1x8x8xf32>, %w: tensor<4x1x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error@+1 {{result shape [1,4,8,8] does not match expected [1,4,6,6]}}
  %y = qc.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1}
      : tensor<1x1x8x8xf32>, tensor<4x1x3x3xf32>, tensor<4xf32> -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @negative_column_scales_length(%p: tensor<2x2xi8>, %s: tensor<2x1xf32>, %c: tensor<3xf32>) {
  // expected-error@+1 {{column scales must have one entry per row position (4), got 'tensor<3xf32>'}}
  %w = qc.quantized_weight %p, %s column_scales(%c : tensor<3xf32>) : tensor<2x2xi8>, tensor<2x1xf32>
      -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = true, scale_type = f32>>
  return
}

// -----

func.func @negative_group_index_length(%p: tensor<2x2xi8>, %s: tensor<2x2xf32>, %g: tensor<5xi32>) {
  // expected-error@+1 {{group index must have one entry per row position (4), got 'tensor<5xi32>'}}
  %w = qc.quantized_weight %p, %s group_index(%g : tensor<5xi32>) : tensor<2x2xi8>, tensor<2x2xf32>
      -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 2, symmetric = true, scale_type = f32>>
  return
}

// -----

func.func @negative_group_index_range(%p: tensor<2x2xi8>, %s: tensor<2x2xf32>) {
  %g = arith.constant dense<[0, 1, 2, 0]> : tensor<4xi32>
  // expected-error@+1 {{group index 2 is out of range [0, 2)}}
  %w = qc.quantized_weight %p, %s group_index(%g : tensor<4xi32>) : tensor<2x2xi8>, tensor<2x2xf32>
      -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 2, symmetric = true, scale_type = f32>>
  return
}
