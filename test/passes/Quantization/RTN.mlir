// RUN: quantc-opt %s --split-input-file --qc-rtn="bits=4" | FileCheck %s --check-prefix=ASYM4
// RUN: quantc-opt %s --split-input-file --qc-rtn="bits=8 symmetric=true" | FileCheck %s --check-prefix=SYM8
// RUN: quantc-opt %s --split-input-file --qc-rtn="bits=3 group-size=4" | FileCheck %s --check-prefix=ASYM3G4
// RUN: quantc-opt %s --split-input-file --qc-rtn="bits=2 group-size=2 symmetric=true" | FileCheck %s --check-prefix=SYM2G2
// RUN: quantc-opt %s --split-input-file --qc-rtn="bits=4 group-size=3" | FileCheck %s --check-prefix=RAGGED
// RUN: quantc-opt %s --split-input-file --qc-rtn="bits=4 exclude=^fc" | FileCheck %s --check-prefix=EXCLUDE
// RUN: quantc-opt %s --split-input-file --qc-rtn="bits=4 scale-type=f16 group-size=64" | FileCheck %s --check-prefix=F16

// Expected values come from test/lit-helpers/rtn_reference.py (numpy, written
// from the quantizer's definition, not from the pass).

// ASYM4-LABEL: func @rtn_linear
// ASYM4-DAG: %[[CODES:.*]] = arith.constant dense<{{\[}}[80, -6], [-80, -23]]> : tensor<2x2xi8>
// ASYM4-DAG: %[[SCALES:.*]] = arith.constant dense<{{\[}}[2.000000e-01], [0.13333334]]> : tensor<2x1xf32>
// ASYM4-DAG: %[[ZP:.*]] = arith.constant dense<{{\[}}[0], [7]]> : tensor<2x1xi8>
// ASYM4: %[[W:.*]] = qc.quantized_weight %[[CODES]], %[[SCALES]], %[[ZP]] {qc.rel_error = {{.*}}} : tensor<2x2xi8>, tensor<2x1xf32>, tensor<2x1xi8> -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>
// ASYM4: qc.linear %{{.*}}, %[[W]]
// ASYM4-NOT: arith.constant dense<{{\[}}[0.0

// EXCLUDE-LABEL: func @rtn_linear
// EXCLUDE-NOT: qc.quantized_weight
// EXCLUDE: qc.linear %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<2x4xf32> -> tensor<3x2xf32>
func.func @rtn_linear(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0], [-1.0, 0.5, 0.25, 1.0]]> : tensor<2x4xf32>
  %y = qc.linear %x, %w : tensor<3x4xf32>, tensor<2x4xf32> -> tensor<3x2xf32> loc("fc")
  return %y : tensor<3x2xf32>
}

// -----

// SYM8-LABEL: func @rtn_symmetric
// SYM8-DAG: arith.constant dense<{{\[}}[1, -64, -96, -1]]> : tensor<1x4xi8>
// SYM8-DAG: arith.constant dense<0.0156862754> : tensor<1x1xf32>
// SYM8: qc.quantized_weight %{{.*}}, %{{.*}} {qc.rel_error = {{.*}}} : tensor<1x4xi8>, tensor<1x1xf32> -> !qc.qweight<1x4, #qc.layout<bits = 8, group_size = 0, symmetric = true, scale_type = f32>>
func.func @rtn_symmetric(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %w = arith.constant dense<[[-2.0, 1.0, 0.5, 2.0]]> : tensor<1x4xf32>
  %y = qc.linear %x, %w : tensor<1x4xf32>, tensor<1x4xf32> -> tensor<1x1xf32> loc("sym")
  return %y : tensor<1x1xf32>
}

// -----

// Three-bit codes cross byte boundaries; groups of 4 get their own scales.
// ASYM3G4-LABEL: func @rtn_three_bit_groups
// ASYM3G4-DAG: arith.constant dense<{{\[}}[-125, 127, 66]]> : tensor<1x3xi8>
// ASYM3G4-DAG: arith.constant dense<{{\[}}[0.085714288, 0.214285716]]> : tensor<1x2xf32>
// ASYM3G4-DAG: arith.constant dense<2> : tensor<1x2xi8>
// ASYM3G4: !qc.qweight<1x8, #qc.layout<bits = 3, group_size = 4, symmetric = false, scale_type = f32>>
func.func @rtn_three_bit_groups(%x: tensor<1x8xf32>) -> tensor<1x1xf32> {
  %w = arith.constant dense<[[0.1, -0.2, 0.3, 0.4, 1.0, 0.5, -0.5, 0.0]]> : tensor<1x8xf32>
  %y = qc.linear %x, %w : tensor<1x8xf32>, tensor<1x8xf32> -> tensor<1x1xf32> loc("g")
  return %y : tensor<1x1xf32>
}

// -----

// SYM2G2-LABEL: func @rtn_two_bit
// SYM2G2-DAG: arith.constant dense<-13> : tensor<1x1xi8>
// SYM2G2-DAG: arith.constant dense<{{\[}}[0.666666686, 0.333333343]]> : tensor<1x2xf32>
// SYM2G2: !qc.qweight<1x4, #qc.layout<bits = 2, group_size = 2, symmetric = true, scale_type = f32>>
func.func @rtn_two_bit(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %w = arith.constant dense<[[1.0, -1.0, 0.5, 0.25]]> : tensor<1x4xf32>
  %y = qc.linear %x, %w : tensor<1x4xf32>, tensor<1x4xf32> -> tensor<1x1xf32> loc("two")
  return %y : tensor<1x1xf32>
}

// -----

// A group size that does not divide the row leaves a shorter last group.
// RAGGED-LABEL: func @rtn_ragged_group
// RAGGED-DAG: arith.constant dense<{{\[}}[-91, -49, 15]]> : tensor<1x3xi8>
// RAGGED-DAG: arith.constant dense<{{\[}}[2.000000e-01, 0.333333343]]> : tensor<1x2xf32>
// RAGGED: !qc.qweight<1x5, #qc.layout<bits = 4, group_size = 3, symmetric = false, scale_type = f32>>
func.func @rtn_ragged_group(%x: tensor<1x5xf32>) -> tensor<1x1xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0]]> : tensor<1x5xf32>
  %y = qc.linear %x, %w : tensor<1x5xf32>, tensor<1x5xf32> -> tensor<1x1xf32> loc("ragged")
  return %y : tensor<1x1xf32>
}

// -----

// Convolution rows are output channels over (c, kh, kw); a group larger
// than the row (9 values) falls back to per-channel. f16 scales round.
// F16-LABEL: func @rtn_conv
// Row 0: scale f16(2/15) = 0.13330078, codes 0 2 4 6 8 9 11 13 15; row 1:
// scale f16(1/15), zero point 15, codes 0 7 15 15 15 15 15 15 15.
// F16-DAG: arith.constant dense<{{\[}}[32, 100, -104, -37, 15], [112, -1, -1, -1, 15]]> : tensor<2x5xi8>
// F16-DAG: arith.constant dense<{{\[}}[1.333010e-01], [6.665040e-02]]> : tensor<2x1xf16>
// F16-DAG: arith.constant dense<{{\[}}[0], [15]]> : tensor<2x1xi8>
// F16: qc.quantized_weight {{.*}} -> !qc.qweight<2x1x3x3, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f16>>
// F16: qc.conv2d %{{.*}}, %{{.*}}, %{{.*}} {{.*}} : tensor<1x1x4x4xf32>, !qc.qweight<2x1x3x3, {{.*}}>, tensor<2xf32> -> tensor<1x2x2x2xf32>
func.func @rtn_conv(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[0.0, 0.25, 0.5], [0.75, 1.0, 1.25], [1.5, 1.75, 2.0]]],
                             [[[-1.0, -0.5, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]]> : tensor<2x1x3x3xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %y = qc.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1}
      : tensor<1x1x4x4xf32>, tensor<2x1x3x3xf32>, tensor<2xf32> -> tensor<1x2x2x2xf32> loc("conv")
  return %y : tensor<1x2x2x2xf32>
}
