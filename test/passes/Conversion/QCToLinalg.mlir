// RUN: quantc-opt %s --split-input-file --qc-lower-to-linalg=tile-rows=16 | FileCheck %s

// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @linear_float
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2xf32>) outs(%{{.*}} : tensor<3x2xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%[[INIT]] : tensor<3x2xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: qc.linear
func.func @linear_float(%x: tensor<3x4xf32>, %w: tensor<2x4xf32>, %b: tensor<2xf32>) -> tensor<3x2xf32> {
  %y = qc.linear %x, %w, %b : tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A 3-bit code spans the bytes holding its first and last bit; the scale and
// zero point are those of its group of 4. The layer becomes a loop over
// tiles of weight rows (here one tile of both rows): the tile is decoded
// position by position into a 2x8 f32 buffer, then multiplied.
// CHECK-DAG: #[[LO:.*]] = affine_map<(d0, d1) -> (d0, (d1 * 3) floordiv 8)>
// CHECK-DAG: #[[HI:.*]] = affine_map<(d0, d1) -> (d0, (d1 * 3 + 2) floordiv 8)>
// CHECK-DAG: #[[GROUP:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 4)>
// CHECK-LABEL: func @linear_quantized
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<1x1x8xf32>, %[[P:[a-z0-9]+]]: tensor<2x3xi8>, %[[S:[a-z0-9]+]]: tensor<2x2xf16>, %[[Z:[a-z0-9]+]]: tensor<2x2xi8>
// CHECK: %[[FLAT:.*]] = tensor.reshape %[[X]]{{.*}} : (tensor<1x1x8xf32>, tensor<2xi64>) -> tensor<1x8xf32>
// CHECK: linalg.fill
// CHECK: scf.for %[[ROW:.*]] = {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<1x2xf32>)
// CHECK: %[[PT:.*]] = tensor.extract_slice %[[P]][%[[ROW]], 0] [2, 3] [1, 1]
// CHECK: %[[ST:.*]] = tensor.extract_slice %[[S]][%[[ROW]], 0] [2, 2] [1, 1]
// CHECK: %[[ZT:.*]] = tensor.extract_slice %[[Z]][%[[ROW]], 0] [2, 2] [1, 1]
// CHECK: linalg.generic {indexing_maps = [#[[LO]], #[[HI]], #[[GROUP]], #[[GROUP]], #{{.*}}], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[PT]], %[[PT]], %[[ST]], %[[ZT]] : tensor<2x3xi8>, tensor<2x3xi8>, tensor<2x2xf16>, tensor<2x2xi8>) outs(%{{.*}} : tensor<2x8xf32>)
// CHECK: ^bb0(%[[B0:.*]]: i8, %[[B1:.*]]: i8, %[[SC:.*]]: f16, %[[ZP:.*]]: i8, %{{.*}}: f32):
// CHECK: %[[K:.*]] = linalg.index 1
// CHECK: arith.shli
// CHECK: arith.ori
// CHECK: arith.shrui
// CHECK: %[[CODE:.*]] = arith.andi %{{.*}}, %c7_i32
// CHECK: %[[ZP32:.*]] = arith.extui %[[ZP]] : i8 to i32
// CHECK: arith.subi %[[CODE]], %[[ZP32]]
// CHECK: arith.extf %[[SC]] : f16 to f32
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: scf.yield
// CHECK: tensor.reshape %{{.*}} -> tensor<1x1x2xf32>
// CHECK-NOT: qc.quantized_weight
func.func @linear_quantized(%x: tensor<1x1x8xf32>, %p: tensor<2x3xi8>, %s: tensor<2x2xf16>, %z: tensor<2x2xi8>) -> tensor<1x1x2xf32> {
  %w = qc.quantized_weight %p, %s, %z : tensor<2x3xi8>, tensor<2x2xf16>, tensor<2x2xi8>
      -> !qc.qweight<2x8, #qc.layout<bits = 3, group_size = 4, symmetric = false, scale_type = f16>>
  %y = qc.linear %x, %w : tensor<1x1x8xf32>, !qc.qweight<2x8, #qc.layout<bits = 3, group_size = 4, symmetric = false, scale_type = f16>> -> tensor<1x1x2xf32>
  return %y : tensor<1x1x2xf32>
}

// -----

// Tiles of 4 weight rows (of 12), 4-bit codes in groups of 4: the tile is
// decoded chunk by chunk (a 4-bit chunk is 1 byte = 2 codes) over (row,
// group, chunk, code in chunk), so each group's scale is loop-invariant,
// into a 4x2x2x2 buffer viewed as 4x8 and multiplied by all 3 input rows.
// CHECK-DAG: #[[BYTE:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
// CHECK-DAG: #[[TSC:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-DAG: #[[TID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @linear_quantized_tiled
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<3x8xf32>, %[[P:[a-z0-9]+]]: tensor<12x4xi8>, %[[S:[a-z0-9]+]]: tensor<12x2xf32>
// CHECK: %[[C12:.*]] = arith.constant 12 : index
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: scf.for %[[ROW:.*]] = %{{.*}} to %[[C12]] step %[[C4]] iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<3x12xf32>)
// CHECK: %[[PT:.*]] = tensor.extract_slice %[[P]][%[[ROW]], 0] [4, 4] [1, 1] : tensor<12x4xi8> to tensor<4x4xi8>
// CHECK: %[[ST:.*]] = tensor.extract_slice %[[S]][%[[ROW]], 0] [4, 2] [1, 1] : tensor<12x2xf32> to tensor<4x2xf32>
// CHECK: %[[PB:.*]] = tensor.expand_shape %[[PT]] {{\[\[}}0], [1, 2, 3]] output_shape [4, 2, 2, 1] : tensor<4x4xi8> into tensor<4x2x2x1xi8>
// CHECK: %[[WB:.*]] = linalg.generic {indexing_maps = [#[[BYTE]], #[[TSC]], #[[TID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[PB]], %[[ST]] : tensor<4x2x2x1xi8>, tensor<4x2xf32>) outs(%{{.*}} : tensor<4x2x2x2xf32>)
// CHECK: linalg.index 3
// CHECK: arith.shrui
// CHECK: %[[WT:.*]] = tensor.collapse_shape %[[WB]] {{\[\[}}0], [1, 2, 3]] : tensor<4x2x2x2xf32> into tensor<4x8xf32>
// CHECK: %[[AT:.*]] = tensor.extract_slice %[[ACC]][0, %[[ROW]]] [3, 4] [1, 1] : tensor<3x12xf32> to tensor<3x4xf32>
// CHECK: %[[PR:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[WT]] : tensor<3x8xf32>, tensor<4x8xf32>) outs(%[[AT]] : tensor<3x4xf32>)
// CHECK: %[[UP:.*]] = tensor.insert_slice %[[PR]] into %[[ACC]][0, %[[ROW]]] [3, 4] [1, 1]
// CHECK: scf.yield %[[UP]]
func.func @linear_quantized_tiled(%x: tensor<3x8xf32>, %p: tensor<12x4xi8>, %s: tensor<12x2xf32>) -> tensor<3x12xf32> {
  %w = qc.quantized_weight %p, %s : tensor<12x4xi8>, tensor<12x2xf32>
      -> !qc.qweight<12x8, #qc.layout<bits = 4, group_size = 4, symmetric = true, scale_type = f32>>
  %y = qc.linear %x, %w : tensor<3x8xf32>, !qc.qweight<12x8, #qc.layout<bits = 4, group_size = 4, symmetric = true, scale_type = f32>> -> tensor<3x12xf32>
  return %y : tensor<3x12xf32>
}

// -----

// 3-bit codes in groups of 8: a chunk is 3 bytes holding 8 codes, read as
// three inputs (bytes 0, 1, 2 of the chunk) and joined into one word.
// CHECK-DAG: #[[B0:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
// CHECK-DAG: #[[B1:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 1)>
// CHECK-DAG: #[[B2:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 2)>
// CHECK-LABEL: func @linear_3bit_chunks
// CHECK: %[[PB:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2, 3]] output_shape [2, 2, 1, 3] : tensor<2x6xi8> into tensor<2x2x1x3xi8>
// CHECK: linalg.generic {indexing_maps = [#[[B0]], #[[B1]], #[[B2]], #{{.*}}, #{{.*}}, #{{.*}}]
// CHECK-SAME: ins(%[[PB]], %[[PB]], %[[PB]], %{{.*}}, %{{.*}} : tensor<2x2x1x3xi8>, tensor<2x2x1x3xi8>, tensor<2x2x1x3xi8>, tensor<2x2xf32>, tensor<2x2xi8>) outs(%{{.*}} : tensor<2x2x1x8xf32>)
// CHECK: arith.shli %{{.*}}, %c8_i32
// CHECK: arith.shli %{{.*}}, %c16_i32
// CHECK: arith.andi %{{.*}}, %c7_i32
// CHECK: tensor.collapse_shape %{{.*}} : tensor<2x2x1x8xf32> into tensor<2x16xf32>
func.func @linear_3bit_chunks(%x: tensor<1x16xf32>, %p: tensor<2x6xi8>, %s: tensor<2x2xf32>, %z: tensor<2x2xi8>) -> tensor<1x2xf32> {
  %w = qc.quantized_weight %p, %s, %z : tensor<2x6xi8>, tensor<2x2xf32>, tensor<2x2xi8>
      -> !qc.qweight<2x16, #qc.layout<bits = 3, group_size = 8, symmetric = false, scale_type = f32>>
  %y = qc.linear %x, %w : tensor<1x16xf32>, !qc.qweight<2x16, #qc.layout<bits = 3, group_size = 8, symmetric = false, scale_type = f32>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Grouped, strided, padded convolution, tiled along the filters as linear
// layers are: each tile of 2 filters (one group) is decoded once (8-bit
// symmetric codes subtract 128) into 2x1x3x3 f32 and convolved with its
// group's input channel, (row floordiv 2) * 1.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 * 2 + d5, d3 * 2 + d6)>
// CHECK-DAG: #[[FILTER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
// CHECK-LABEL: func @conv_quantized
// CHECK: %[[PAD:.*]] = tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: scf.for %[[ROW:.*]] = %{{.*}} to %{{.*}} step %[[C2:.*]] iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<1x4x2x2xf32>)
// CHECK: tensor.extract_slice %{{.*}}[%[[ROW]], 0] [2, 9] [1, 1] : tensor<4x9xi8> to tensor<2x9xi8>
// CHECK: %c128_i32 = arith.constant 128 : i32
// CHECK: arith.subi %{{.*}}, %c128_i32
// CHECK: %[[OUT:.*]] = tensor.extract_slice %[[ACC]][0, %[[ROW]], 0, 0] [1, 2, 2, 2] [1, 1, 1, 1]
// CHECK: %[[FILTERS:.*]] = tensor.expand_shape %{{.*}} output_shape [2, 1, 3, 3] : tensor<2x9xf32> into tensor<2x1x3x3xf32>
// CHECK: %[[GROUP:.*]] = arith.divui %[[ROW]], %[[C2]]
// CHECK: %[[CH:.*]] = arith.muli %[[GROUP]], %{{.*}}
// CHECK: %[[XIN:.*]] = tensor.extract_slice %[[PAD]][0, %[[CH]], 0, 0] [1, 1, 6, 6] [1, 1, 1, 1] : tensor<1x2x6x6xf32> to tensor<1x1x6x6xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[FILTER]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK-SAME: ins(%[[XIN]], %[[FILTERS]] : tensor<1x1x6x6xf32>, tensor<2x1x3x3xf32>) outs(%[[OUT]] : tensor<1x2x2x2xf32>)
// CHECK: tensor.insert_slice
func.func @conv_quantized(%x: tensor<1x2x4x4xf32>, %p: tensor<4x9xi8>, %s: tensor<4x1xf32>) -> tensor<1x4x2x2xf32> {
  %w = qc.quantized_weight %p, %s : tensor<4x9xi8>, tensor<4x1xf32>
      -> !qc.qweight<4x1x3x3, #qc.layout<bits = 8, group_size = 0, symmetric = true, scale_type = f32>>
  %y = qc.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2}
      : tensor<1x2x4x4xf32>, !qc.qweight<4x1x3x3, #qc.layout<bits = 8, group_size = 0, symmetric = true, scale_type = f32>> -> tensor<1x4x2x2xf32>
  return %y : tensor<1x4x2x2xf32>
}

// -----

// A group index replaces the scale's indexing map by a lookup in the tile's
// rows of scales, and column scales multiply the dequantized value.
// CHECK-LABEL: func @linear_group_index_column_scales
// CHECK-SAME: %[[S:[a-z0-9]+]]: tensor<2x2xf32>, %[[C:[a-z0-9]+]]: tensor<4xf32>, %[[G:[a-z0-9]+]]: tensor<4xi32>
// CHECK: scf.for
// CHECK: %[[ST:.*]] = tensor.extract_slice %[[S]]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}}, %[[G]], %[[C]] : tensor<2x2xi8>, tensor<2x2xi8>, tensor<4xi32>, tensor<4xf32>)
// CHECK: ^bb0(%{{.*}}: i8, %{{.*}}: i8, %[[GV:.*]]: i32, %[[CV:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[GI:.*]] = arith.index_cast %[[GV]] : i32 to index
// CHECK: %[[SC:.*]] = tensor.extract %[[ST]][%{{.*}}, %[[GI]]] : tensor<2x2xf32>
// CHECK: %[[W:.*]] = arith.mulf %{{.*}}, %[[SC]] : f32
// CHECK: arith.mulf %[[W]], %[[CV]] : f32
func.func @linear_group_index_column_scales(%x: tensor<1x4xf32>, %p: tensor<2x2xi8>, %s: tensor<2x2xf32>,
                                            %c: tensor<4xf32>, %g: tensor<4xi32>) -> tensor<1x2xf32> {
  %w = qc.quantized_weight %p, %s column_scales(%c : tensor<4xf32>) group_index(%g : tensor<4xi32>)
      : tensor<2x2xi8>, tensor<2x2xf32>
      -> !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 2, symmetric = true, scale_type = f32>>
  %y = qc.linear %x, %w : tensor<1x4xf32>, !qc.qweight<2x4, #qc.layout<bits = 4, group_size = 2, symmetric = true, scale_type = f32>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
