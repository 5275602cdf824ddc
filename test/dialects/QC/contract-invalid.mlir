// RUN: quantc-opt %s --split-input-file --verify-diagnostics

// The qc.* attributes of the model contract (dialects/QC/IR/QCContract.h)
// are verified wherever they appear: a malformed statistic is an error, not
// a layer silently left in float by the pass that would have read it.

// A Hessian of the wrong size is no Hessian of this layer (K = 2).
func.func @hessian_shape(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-error@+1 {{'qc.linear' op attribute 'qc.hessian' must be a tensor<2x2xf32> of calibration statistics for this layer, got dense<1.000000e+00> : tensor<3x3xf32>}}
  %y = qc.linear %x, %w {qc.hessian = dense<1.0> : tensor<3x3xf32>} : tensor<1x2xf32>, tensor<2x2xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Samples whose width is not the layer's input width are not its samples.
func.func @sample_width(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-error@+1 {{attribute 'qc.act_samples' must be a tensor<?x2xf32>}}
  %y = qc.linear %x, %w {qc.act_mean_abs = dense<1.0> : tensor<2xf32>, qc.act_samples = dense<1.0> : tensor<4x3xf32>} : tensor<1x2xf32>, tensor<2x2xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @mean_abs_type(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-error@+1 {{attribute 'qc.act_mean_abs' must be a tensor<2xf32>}}
  %y = qc.linear %x, %w {qc.act_mean_abs = dense<1> : tensor<2xi32>} : tensor<1x2xf32>, tensor<2x2xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Statistics belong on layers.
func.func @statistic_off_layer(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{attribute 'qc.hessian' belongs on a quantizable layer}}
  %y = math.exp %x {qc.hessian = dense<1.0> : tensor<2x2xf32>} : tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// A plan's widths are 2-8 bits or 32 (float).
func.func @bits_range(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-error@+1 {{attribute 'qc.bits' must be 2-8 bits, or 32 (float), got 9 : i64}}
  %y = qc.linear %x, %w {qc.bits = 9 : i64} : tensor<1x2xf32>, tensor<2x2xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @group_size_negative(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-error@+1 {{attribute 'qc.group_size' must be an integer >= 0, got -4 : i64}}
  %y = qc.linear %x, %w {qc.group_size = -4 : i64} : tensor<1x2xf32>, tensor<2x2xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// A misspelt contract attribute is caught, not ignored.
func.func @unknown(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-error@+1 {{unknown qc attribute 'qc.bit'}}
  %y = qc.linear %x, %w {qc.bit = 4 : i64} : tensor<1x2xf32>, tensor<2x2xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @reason_type(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{attribute 'qc.float_reason' must be a string, got 3 : i64}}
  %y = math.exp %x {qc.float_reason = 3 : i64} : tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// expected-error@+1 {{'qc.name' of a function argument must be a string, got 1 : i64}}
func.func @arg_name(%x: tensor<2xf32> {qc.name = 1 : i64}) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}

// -----

// expected-error@+1 {{unknown qc attribute 'qc.nam' on a function result}}
func.func @result_attr(%x: tensor<2xf32>) -> (tensor<2xf32> {qc.nam = "y"}) {
  return %x : tensor<2xf32>
}

// -----

// expected-error@+1 {{attribute 'qc.opset' must be an integer >= 0}}
module attributes {qc.opset = "17"} {
}

// -----

// expected-error@+1 {{'qc.kv_cache' of a function argument must be a unit attribute}}
func.func @kv_cache_arg(%x: tensor<2xf32> {qc.kv_cache = 1 : i64}) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}

// -----

// expected-error@+1 {{attribute 'qc.generator' must be a module's {max_context = N, prefill_tokens = C (0 < C <= N), vocab = [strings] (optional)}}}
module attributes {qc.generator = {max_context = 8 : i64, prefill_tokens = 16 : i64}} {
}

// -----

// expected-error@+1 {{attribute 'qc.generator' must be a module's}}
module attributes {qc.generator = {max_context = 8 : i64, prefill_tokens = 4 : i64, vocab = ["a", 3]}} {
}

// -----

// expected-error@+1 {{attribute 'qc.generator' must be a module's}}
module attributes {qc.generator = {max_context = 8 : i64}} {
}
