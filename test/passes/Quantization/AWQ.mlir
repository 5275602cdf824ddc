// RUN: quantc-opt %s --qc-awq="bits=3 group-size=4 search-clip=false" | FileCheck %s --check-prefix=SCALE
// RUN: quantc-opt %s --qc-awq="bits=3 group-size=4 grid=1 search-clip=false" | FileCheck %s --check-prefix=ALPHA0
// RUN: quantc-opt %s --qc-awq="bits=3 group-size=4" | FileCheck %s --check-prefix=CLIP

// Input channels 2 and 5 carry outlier activations (x20, x8). Expected
// values come from test/lit-helpers/awq_reference.py (numpy scale search with
// the AWQ authors' quantizer), run on the same W and samples:
//   awq_reference.py --weights W.npy --samples X.npy --bits 3 --group 4 [--grid 1]
// The clip search is checked by unit tests (unittests/AWQTest.cpp).

// The search picks alpha = 0.5: the outlier channels get small multipliers
// 1/s (their weights were scaled up before quantization).
// SCALE-DAG: arith.constant dense<{{\[}}[2, 126, 6], [-67, -111, 11]]> : tensor<2x3xi8>
// SCALE-DAG: arith.constant dense<{{\[}}[0.116883464, 0.138448328], [0.193211451, 0.430964619]]> : tensor<2x2xf32>
// SCALE-DAG: arith.constant dense<{{\[}}[5, 3], [3, 2]]> : tensor<2x2xi8>
// SCALE-DAG: %[[COLS:.*]] = arith.constant dense<[2.31920266, 2.14789677, 0.430180341, 2.085540e+00, 1.9028641, 0.728796422, 2.32460642, 2.10895014]> : tensor<8xf32>
// SCALE: qc.quantized_weight {{.*}} column_scales(%[[COLS]] : tensor<8xf32>) {qc.awq_alpha = 5.000000e-01 : f64
// SCALE-NOT: qc.act_samples

// alpha = 0 only is plain round-to-nearest with the AWQ quantizer: no
// column scales.
// ALPHA0-DAG: arith.constant dense<{{\[}}[2, -1, 5], [61, -95, 19]]> : tensor<2x3xi8>
// ALPHA0-DAG: arith.constant dense<{{\[}}[0.249257728, 0.27440384], [0.409730226, 0.476021975]]> : tensor<2x2xf32>
// ALPHA0-DAG: arith.constant dense<{{\[}}[5, 3], [3, 4]]> : tensor<2x2xi8>
// ALPHA0-NOT: column_scales
// ALPHA0: qc.awq_alpha = 0.000000e+00

// CLIP: qc.quantized_weight {{.*}} column_scales
func.func @awq(%x: tensor<1x8xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[-0.80193144, -1.3243589 , -0.24836162,  0.42044523,  1.1360465 ,  0.1097064 , -0.5526473 , -0.7847804 ], [ 0.7487458 ,  1.634783  ,  0.27276877, -1.2333287 , -0.9582652 ,  1.6000191 ,  0.20288244, -1.7321348 ]]> : tensor<2x8xf32>
  %y = qc.linear %x, %w {qc.act_mean_abs = dense<[ 0.5822276 ,  0.67880243, 16.922678  ,  0.72000116,  0.86487746,  5.8960032 ,  0.5795239 ,  0.7041052 ]> : tensor<8xf32>, qc.act_samples = dense<[[-8.3696194e-02, -1.1632260e+00, -1.2585762e+01, -4.8800582e-01, -7.1331340e-01,  4.4270277e+00, -6.3085973e-02, -5.8943129e-01], [ 4.0963784e-01,  8.2985532e-01, -3.2860466e+01, -2.5673014e-01, -9.8074734e-01, -1.3852417e+00, -1.2894187e+00,  2.0690395e-02], [-3.7885740e-02, -3.0433774e-01, -2.0958530e+01, -3.9619035e-01, -1.0913289e+00, -1.0841670e+01,  2.2478573e-01, -1.1093500e+00], [ 1.1702961e+00,  7.1658766e-01, -3.9956333e+01,  2.7212888e-01, -1.1017166e+00,  2.6445776e-01,  4.3631993e-02, -1.9884298e+00], [-2.3342252e-01, -2.5579002e-01,  1.9240011e+01, -1.1814468e+00,  7.3804188e-01, -8.7917824e+00, -3.3129090e-01, -8.4047318e-01], [ 1.4487313e+00,  5.6821311e-01,  4.8634647e+01,  6.4191639e-01,  8.4499276e-01,  6.7254629e+00, -6.0661155e-01, -7.0028447e-02], [ 1.3503889e+00, -3.9655077e-01,  3.7759905e+00, -2.1223461e-02,  6.0921651e-01, -2.9192700e+00, -1.5236188e-01,  2.4238142e-01], [ 1.0302314e-01, -8.6497277e-01,  1.7915661e+01, -1.2984812e+00, -1.2011156e+00, -1.0259934e+01,  9.6697229e-01, -3.6060837e-01], [-9.7103637e-01, -1.1360214e+00,  8.4226227e+00, -1.0548407e+00, -1.2720782e+00,  4.9119444e+00, -1.1967077e+00, -3.2243815e-01], [-6.7615402e-03, -4.4533536e-01, -1.0818793e+00,  1.3387735e+00, -5.1689416e-01, -1.0074457e+01, -1.8367457e+00, -2.0476611e-01], [-3.5225701e-01,  2.6509091e-01, -9.2848921e+00, -4.7863847e-01, -7.2131574e-01, -4.1580782e+00,  1.6022670e-01, -3.8035274e-01], [ 1.0044185e-01,  1.9011872e+00,  9.5823631e+00, -1.5760899e+00,  1.7335296e+00,  2.7824829e+00, -9.4141328e-01,  9.0704894e-01], [ 1.7655611e-02, -6.1521852e-01, -1.2670178e+01, -9.9343181e-01,  4.8118982e-02,  8.5505333e+00, -3.2505211e-01,  4.2082411e-01], [ 1.8756460e+00, -1.2145907e+00,  5.1504464e+00, -3.0643693e-01, -1.0592561e+00, -8.2067776e+00, -1.5285144e-02,  4.3386340e-01], [-5.3158981e-01,  5.4390546e-02,  1.4444174e+01,  2.9656124e-01,  8.6867017e-01,  3.6911650e+00,  4.8800567e-01,  1.8266340e+00], [ 6.2317187e-01,  1.2947114e-01,  1.4198876e+01, -9.1912365e-01, -3.3770478e-01,  6.3457670e+00,  6.3078672e-01,  1.5483617e+00]]> : tensor<16x8xf32>} : tensor<1x8xf32>, tensor<2x8xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
