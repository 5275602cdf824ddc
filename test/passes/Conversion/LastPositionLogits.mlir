// RUN: quantc-opt %s --split-input-file --qc-last-position-logits | FileCheck %s

// The LM head of a 2-row, 4-token prefill step computes one row per batch
// row, gathered at the last position the mask marks valid.
// CHECK-LABEL: func.func @qc_prefill
// CHECK-SAME: -> (tensor<2x1x6xf32> {qc.name = "logits"}
// CHECK: %[[COUNT:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%arg1 : tensor<2x4xi64>)
// CHECK: %[[VALID:.*]] = arith.cmpi ne
// CHECK: %[[ONE:.*]] = arith.extui %[[VALID]] : i1 to i64
// CHECK: arith.addi %{{.*}}, %[[ONE]]
// CHECK: %[[LAST:.*]] = linalg.generic
// CHECK-SAME: ins(%[[COUNT]] : tensor<2xi64>)
// CHECK: arith.subi
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: %[[ROW:.*]] = linalg.index 0
// CHECK: %[[COL:.*]] = linalg.index 2
// CHECK: tensor.extract %arg0[%[[ROW]], %{{.*}}, %[[COL]]] : tensor<2x4x3xf32>
// CHECK: -> tensor<2x1x3xf32>
// CHECK: %[[HEAD:.*]] = qc.linear %[[LAST]], %arg2 : tensor<2x1x3xf32>, tensor<6x3xf32> -> tensor<2x1x6xf32>
// CHECK: return %[[HEAD]], %arg3
func.func @qc_prefill(%x: tensor<2x4x3xf32>,
                      %mask: tensor<2x4xi64> {qc.name = "attention_mask"},
                      %w: tensor<6x3xf32>, %cache: tensor<2x1x8x2xf32>)
    -> (tensor<2x4x6xf32> {qc.name = "logits"},
        tensor<2x1x8x2xf32> {qc.name = "present.0.key"}) {
  %y = qc.linear %x, %w : tensor<2x4x3xf32>, tensor<6x3xf32> -> tensor<2x4x6xf32>
  return %y, %cache : tensor<2x4x6xf32>, tensor<2x1x8x2xf32>
}

// -----

// The logits are not the head's only use: every position is kept.
// CHECK-LABEL: func.func @shared_head
// CHECK-SAME: -> (tensor<1x4x6xf32> {qc.name = "logits"}, tensor<1x4x6xf32>)
// CHECK-NOT: linalg.generic
// CHECK: qc.linear %arg0, %arg2 : tensor<1x4x3xf32>, tensor<6x3xf32> -> tensor<1x4x6xf32>
func.func @shared_head(%x: tensor<1x4x3xf32>,
                       %mask: tensor<1x4xi64> {qc.name = "attention_mask"},
                       %w: tensor<6x3xf32>)
    -> (tensor<1x4x6xf32> {qc.name = "logits"}, tensor<1x4x6xf32>) {
  %y = qc.linear %x, %w : tensor<1x4x3xf32>, tensor<6x3xf32> -> tensor<1x4x6xf32>
  return %y, %y : tensor<1x4x6xf32>, tensor<1x4x6xf32>
}

// -----

// Logits that do not come straight from a linear layer (here scaled after
// the head) are kept at every position.
// CHECK-LABEL: func.func @scaled_logits
// CHECK: qc.linear %arg0, %arg2 : tensor<1x4x3xf32>, tensor<6x3xf32> -> tensor<1x4x6xf32>
// CHECK: return %{{.*}} : tensor<1x4x6xf32>
func.func @scaled_logits(%x: tensor<1x4x3xf32>,
                         %mask: tensor<1x4xi64> {qc.name = "attention_mask"},
                         %w: tensor<6x3xf32>)
    -> (tensor<1x4x6xf32> {qc.name = "logits"}) {
  %y = qc.linear %x, %w : tensor<1x4x3xf32>, tensor<6x3xf32> -> tensor<1x4x6xf32>
  %z = arith.addf %y, %y : tensor<1x4x6xf32>
  return %z : tensor<1x4x6xf32>
}

// -----

// One token per row: nothing to narrow.
// CHECK-LABEL: func.func @one_token
// CHECK: qc.linear %arg0, %arg2 : tensor<1x1x3xf32>, tensor<6x3xf32> -> tensor<1x1x6xf32>
func.func @one_token(%x: tensor<1x1x3xf32>,
                     %mask: tensor<1x1xi64> {qc.name = "attention_mask"},
                     %w: tensor<6x3xf32>)
    -> (tensor<1x1x6xf32> {qc.name = "logits"}) {
  %y = qc.linear %x, %w : tensor<1x1x3xf32>, tensor<6x3xf32> -> tensor<1x1x6xf32>
  return %y : tensor<1x1x6xf32>
}
