// RUN: quantc-opt %s --qc-gptq="bits=4" | FileCheck %s --check-prefix=W4
// RUN: quantc-opt %s --qc-gptq="bits=3 group-size=3" | FileCheck %s --check-prefix=W3G3
// RUN: quantc-opt %s --qc-gptq="bits=4 group-size=3 act-order=true" | FileCheck %s --check-prefix=ACT
// RUN: quantc-opt %s --qc-gptq="bits=4 group-size=3 act-order=true static-groups=true" | FileCheck %s --check-prefix=STATIC
// RUN: quantc-opt %s --qc-gptq="bits=2 symmetric=true" | FileCheck %s --check-prefix=SYM2
// RUN: quantc-opt %s --qc-gptq="bits=4 exclude=fc" | FileCheck %s --check-prefix=EXCLUDED
// RUN: %python %helpers/gptq_reference.py --self-test

// W is a 3x6 layer, H = 2XᵀX/n of 32 correlated input rows (seeded numpy).
// Expected codes, scales and zero points come from the independent numpy
// implementation test/lit-helpers/gptq_reference.py:
//   gptq_reference.py --weights W.npy --hessian H.npy --bits 4 --group 0 ...
// They differ from round-to-nearest: GPTQ moves rounding error to columns
// not yet quantized.

// W4-LABEL: func @gptq
// W4-DAG: arith.constant dense<{{\[}}[15, 105, -121], [80, -12, 71], [71, 96, 127]]> : tensor<3x3xi8>
// W4-DAG: arith.constant dense<{{\[}}[0.306438953], [0.356199056], [0.102473058]]> : tensor<3x1xf32>
// W4-DAG: arith.constant dense<{{\[}}[8], [6], [10]]> : tensor<3x1xi8>
// W4: qc.quantized_weight {{.*}} -> !qc.qweight<3x6, #qc.layout<bits = 4, group_size = 0, symmetric = false, scale_type = f32>>
// W4-NOT: qc.hessian

// W3G3-DAG: arith.constant dense<{{\[}}[71, 65, 1], [48, 31, 0], [29, -16, 0]]> : tensor<3x3xi8>
// W3G3-DAG: arith.constant dense<{{\[}}[0.656654894, 0.105516054], [0.28856945, 0.51822859], [0.150735781, 0.124280438]]> : tensor<3x2xf32>
// W3G3-DAG: arith.constant dense<{{\[}}[4, 7], [7, 1], [7, 3]]> : tensor<3x2xi8>

// Act-order: columns by descending diag(H); groups follow that order, so
// each column carries its group index.
// ACT-DAG: arith.constant dense<{{\[}}[15, 111, 48], [80, -16, 47], [9, 96, -113]]> : tensor<3x3xi8>
// ACT-DAG: arith.constant dense<{{\[}}[0.306438953, 0.0528827831], [0.356199056, 0.0653791428], [0.0445364229, 0.102614671]]> : tensor<3x2xf32>
// ACT-DAG: arith.constant dense<{{\[}}[8, 7], [6, 11], [15, 10]]> : tensor<3x2xi8>
// ACT-DAG: %[[GIDX:.*]] = arith.constant dense<[0, 0, 1, 0, 1, 1]> : tensor<6xi32>
// ACT: qc.quantized_weight {{.*}} group_index(%[[GIDX]] : tensor<6xi32>)

// Static groups: contiguous groups, parameters fixed before any update.
// STATIC-DAG: arith.constant dense<{{\[}}[15, 25, -29], [-32, -8, 2], [91, 0, 63]]> : tensor<3x3xi8>
// STATIC-DAG: arith.constant dense<{{\[}}[0.306438953, 0.0378513075], [0.134665743, 0.245042026], [0.0703433678, 0.0581830889]]> : tensor<3x2xf32>
// STATIC-DAG: arith.constant dense<{{\[}}[8, 15], [15, 1], [15, 7]]> : tensor<3x2xi8>
// STATIC-NOT: group_index

// SYM2-DAG: arith.constant dense<{{\[}}[119, 3], [-23, 7], [-122, 14]]> : tensor<3x2xi8>
// SYM2-DAG: arith.constant dense<{{\[}}[1.70377672], [2.21533298], [0.703433692]]> : tensor<3x1xf32>
// SYM2: qc.quantized_weight %{{.*}}, %{{.*}} {{{.*}}} : tensor<3x2xi8>, tensor<3x1xf32> -> !qc.qweight<3x6, #qc.layout<bits = 2, group_size = 0, symmetric = true, scale_type = f32>>

// EXCLUDED-NOT: qc.quantized_weight
func.func @gptq(%x: tensor<2x6xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<[[2.040919, -2.555665, 0.41809884, -0.5677696, -0.4526493, -0.21559717], [-2.0199862, -0.23193237, -0.8652131, 3.3229995, 0.22578661, -0.3526308], [-0.28128743, -0.66804636, -1.0551505, -0.39080098, 0.4819454, -0.23855361]]> : tensor<3x6xf32>
  %y = qc.linear %x, %w {qc.hessian = dense<[[20.438044, -6.901443, 2.7336233, 10.412676, 0.40473196, -6.082892], [-6.901443, 10.380746, 0.89173216, -7.656748, -4.5574427, 2.4596558], [2.7336233, 0.89173216, 9.685529, 3.426065, -2.600879, 2.4922342], [10.412676, -7.656748, 3.426065, 11.42796, 1.5732286, -3.2009366], [0.40473196, -4.5574427, -2.600879, 1.5732286, 6.769317, 1.1399171], [-6.082892, 2.4596558, 2.4922342, -3.2009366, 1.1399171, 4.358196]]> : tensor<6x6xf32>} : tensor<2x6xf32>, tensor<3x6xf32> -> tensor<2x3xf32> loc("fc")
  return %y : tensor<2x3xf32>
}
