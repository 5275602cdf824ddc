//===- Passes.td - Weight quantization passes --------------*- tablegen -*-===//
//
// Each pass rewrites the weight operand of qc layers (QuantizableLayer) from
// a float tensor to a `!qc.qweight`, or reports on what was done.
//
//===----------------------------------------------------------------------===//

#ifndef QC_PASSES_QUANTIZATION_PASSES_TD
#define QC_PASSES_QUANTIZATION_PASSES_TD

include "mlir/Pass/PassBase.td"

def RTNPass : Pass<"qc-rtn", "func::FuncOp"> {
  let summary = "Round-to-nearest weight quantization";
  let description = [{
    Quantizes the constant float weight of every qc layer whose name (the
    ONNX node name carried by its location) does not match `exclude`. Each
    group of `group-size` consecutive values of a row (0: the whole row) gets
    min/max parameters (range widened to contain 0; symmetric: [-max|w|,
    max|w|] with zero point 2^(bits-1)) and each value the nearest code.

    Before:
    ```mlir
    %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0]]> : tensor<1x4xf32>
    %y = qc.linear %x, %w : tensor<2x4xf32>, tensor<1x4xf32> -> tensor<2x1xf32>
    ```
    After `--qc-rtn="bits=4"`:
    ```mlir
    %q = qc.quantized_weight %packed, %scales, %zp : tensor<1x2xi8>,
        tensor<1x1xf32>, tensor<1x1xi8> -> !qc.qweight<1x4, #qc.layout<...>>
    %y = qc.linear %x, %q : tensor<2x4xf32>, !qc.qweight<...> -> tensor<2x1xf32>
    ```
    The relative error ‖W − Ŵ‖/‖W‖ is attached as `qc.rel_error`.
  }];
  let options = [
    Option<"bits", "bits", "unsigned", "8", "Bits per weight code (2-8)">,
    Option<"groupSize", "group-size", "int64_t", "0",
           "Values sharing one scale along a row (0 = per-channel)">,
    Option<"symmetric", "symmetric", "bool", "false",
           "Symmetric range with implicit zero point (no stored zero points)">,
    Option<"scaleType", "scale-type", "std::string", "\"f32\"",
           "Element type of the scales: f32, f16 or bf16">,
    Option<"exclude", "exclude", "std::string", "\"\"",
           "Regex over layer names; matching layers stay in float">,
  ];
  let dependentDialects = ["::mlir::qc::QCDialect",
                           "::mlir::arith::ArithDialect"];
}

def GPTQPass : Pass<"qc-gptq", "func::FuncOp"> {
  let summary = "GPTQ: Hessian-based weight quantization with error feedback";
  let description = [{
    The published GPTQ algorithm (Frantar et al., ICLR 2023): columns are
    quantized one at a time and each column's rounding error is spread over
    the not yet quantized columns through the inverse Hessian of the layer's
    inputs, H = 2XᵀX/n. Dampening, lazy block updates, dead columns,
    group-wise parameters, act-order with static groups or a group index.

    Each layer needs its Hessian as the attribute `qc.hessian`
    (tensor<KxKxf32>, K the row length), attached by the driver's
    calibration or written by hand in tests; it is removed afterwards.

    ```mlir
    %y = qc.linear %x, %w {qc.hessian = dense<...> : tensor<4x4xf32>} ...
    // --qc-gptq="bits=4" ->
    %q = qc.quantized_weight %codes, %scales, %zp : ... -> !qc.qweight<...>
    %y = qc.linear %x, %q ...
    ```
  }];
  let options = [
    Option<"bits", "bits", "unsigned", "4", "Bits per weight code (2-8)">,
    Option<"groupSize", "group-size", "int64_t", "0",
           "Values sharing one scale along a row (0 = per-channel)">,
    Option<"symmetric", "symmetric", "bool", "false",
           "Symmetric range with implicit zero point (no stored zero points)">,
    Option<"scaleType", "scale-type", "std::string", "\"f32\"",
           "Element type of the scales: f32, f16 or bf16">,
    Option<"exclude", "exclude", "std::string", "\"\"",
           "Regex over layer names; matching layers stay in float">,
    Option<"requireStatistics", "require-statistics", "bool", "true",
           "Fail on a selected layer without calibration statistics (else skip it)">,
    Option<"actOrder", "act-order", "bool", "false",
           "Quantize columns in descending diag(H) order">,
    Option<"staticGroups", "static-groups", "bool", "false",
           "With act-order: contiguous groups with parameters fixed up front "
           "(otherwise groups follow the permuted order via a group index)">,
    Option<"damp", "damp", "double", "0.01",
           "Dampening added to diag(H), relative to its mean">,
    Option<"blockSize", "block-size", "int64_t", "128",
           "Columns per lazy batch update">,
  ];
  let dependentDialects = ["::mlir::qc::QCDialect",
                           "::mlir::arith::ArithDialect"];
}

def AWQPass : Pass<"qc-awq", "func::FuncOp"> {
  let summary = "AWQ: activation-aware per-channel scaling and clipping";
  let description = [{
    The published AWQ algorithm (Lin et al., MLSys 2024): per input channel
    scales s = mean|x|^α (α from a grid search minimizing the layer's output
    error on sampled inputs), then a per-group clipping search, then
    quantization of W·diag(s). The 1/s factor is folded into the op that
    produces the layers' input when that op ends in a per-channel affine
    `t * scale + bias` with constant scale and bias and feeds only these
    layers (a LayerNorm, as imported); otherwise it is kept as the quantized
    weight's `column_scales`. Either way the layer computes exactly
    x · diag(1/s) · Q(W·diag(s))ᵀ.

    Each layer needs `qc.act_mean_abs` (tensor<Kxf32>) and `qc.act_samples`
    (tensor<TxKxf32>) from calibration; they are removed afterwards.
  }];
  let options = [
    Option<"bits", "bits", "unsigned", "4", "Bits per weight code (2-8)">,
    Option<"groupSize", "group-size", "int64_t", "0",
           "Values sharing one scale along a row (0 = per-channel)">,
    Option<"symmetric", "symmetric", "bool", "false",
           "Symmetric range with implicit zero point (no stored zero points)">,
    Option<"scaleType", "scale-type", "std::string", "\"f32\"",
           "Element type of the scales: f32, f16 or bf16">,
    Option<"exclude", "exclude", "std::string", "\"\"",
           "Regex over layer names; matching layers stay in float">,
    Option<"requireStatistics", "require-statistics", "bool", "true",
           "Fail on a selected layer without calibration statistics (else skip it)">,
    Option<"grid", "grid", "int64_t", "20", "Points of the alpha grid">,
    Option<"searchScale", "search-scale", "bool", "true",
           "Search the activation-aware scales">,
    Option<"searchClip", "search-clip", "bool", "true",
           "Search per-group clipping ranges">,
    Option<"maxShrink", "max-shrink", "double", "0.5",
           "Largest fraction the clip search shrinks a range by">,
    Option<"foldScales", "fold-scales", "bool", "true",
           "Fold 1/s into the producer where it can (else always column "
           "scales: a weight shared by several functions, whose producers "
           "are not, must keep them)">,
  ];
  let dependentDialects = ["::mlir::qc::QCDialect",
                           "::mlir::arith::ArithDialect"];
}

def MixedPrecisionPass : Pass<"qc-mixed-precision", "func::FuncOp"> {
  let summary = "Chooses per-layer bit widths under a size budget";
  let description = [{
    Measures each layer's sensitivity at every candidate width — the output
    error tr(ΔW H ΔWᵀ) of round-to-nearest quantization when the layer
    carries a calibration Hessian (`qc.hessian`), ‖ΔW‖² otherwise — and
    picks the widths minimizing the total error under the budget
    (`avg-bits`: average code bits per weight, as "3-bit"/"4-bit" are
    counted, scales and zero points excluded; or `max-weight-bytes`: every
    stored byte), exactly, by dynamic programming over the cost.
    The plan is written as `qc.bits` on each layer (32: stays float), which
    qc-rtn, qc-gptq and qc-awq honor. `plan-file` (JSON object: layer name
    to bits) fixes chosen layers by hand.
  }];
  let options = [
    Option<"avgBits", "avg-bits", "double", "0",
           "Budget as average code bits per weight (0: unset)">,
    Option<"maxWeightBytes", "max-weight-bytes", "int64_t", "0",
           "Budget as total weight bytes (0: unset)">,
    Option<"candidates", "candidates", "std::string", "\"2,3,4,8\"",
           "Candidate widths, comma-separated; 32 = keep float">,
    Option<"groupSize", "group-size", "int64_t", "0",
           "Group size the quantization pass will use">,
    Option<"symmetric", "symmetric", "bool", "false",
           "Symmetric quantization (no zero points)">,
    Option<"scaleType", "scale-type", "std::string", "\"f32\"",
           "Scale type the quantization pass will use">,
    Option<"exclude", "exclude", "std::string", "\"\"",
           "Regex over layer names left out of the plan (stay float)">,
    Option<"planFile", "plan-file", "std::string", "\"\"",
           "JSON file fixing the bits of named layers">,
    Option<"columnBytes", "column-bytes", "int64_t", "0",
           "Bytes per input column the quantization pass adds to each "
           "quantized layer (4: act-order group index or AWQ column "
           "scales), counted against max-weight-bytes">,
  ];
  let dependentDialects = ["::mlir::qc::QCDialect"];
}

def StoreWeightsPass : Pass<"qc-store-weights", "func::FuncOp"> {
  let summary = "Stores the float weights of qc layers as f16 or bf16";
  let description = [{
    The FP16/BF16 baseline of every quantization study: layers that stay
    in float (not quantized, excluded, planned float) keep their weight as
    a `tensor<...xf16>` / `tensor<...xbf16>` constant (round to nearest
    even); the layer still computes in f32 (the lowering widens each weight
    element as it reads it). Quantized layers are untouched. A weight whose
    magnitude overflows f16 is an error naming the layer.

    ```mlir
    %w = arith.constant dense<...> : tensor<16x8xf32>
    %y = qc.linear %x, %w : tensor<2x8xf32>, tensor<16x8xf32> -> tensor<2x16xf32>
    // --qc-store-weights="type=f16":
    %w = arith.constant dense<...> : tensor<16x8xf16>
    %y = qc.linear %x, %w : tensor<2x8xf32>, tensor<16x8xf16> -> tensor<2x16xf32>
    ```
  }];
  let options = [
    Option<"type", "type", "std::string", "\"f16\"",
           "Storage type of float weights: f32 (unchanged), f16 or bf16">,
  ];
}

def SequentialStagesPass : Pass<"qc-sequential-stages", "func::FuncOp"> {
  let summary = "Numbers the calibration stage (decoder block) of every layer";
  let description = [{
    Sequential GPTQ/AWQ calibrates one decoder block at a time on the
    outputs of the already-quantized blocks before it. This pass recognises
    the blocks from the data flow (lib/Support/SequentialStages.h), whatever
    the node names look like: a layer belongs to the residual branch closed
    by the first Add that sums one of its descendants with one of its
    ancestors (`x + f(x)`); an attention branch (its layers feed a product
    of two activations) opens a block and the branches continuing its
    residual stream (the MLP) join it. Other layers (an LM head, a CNN's
    convolutions) are a stage each. Each layer gets `qc.stage = N : i64`,
    N counting from 0 in program order; the driver calibrates stage by stage.

    ```mlir
    %q = qc.linear %h, %wq ...   // qc.stage = 0
    %k = qc.linear %h, %wk ...   // qc.stage = 0 (same branch as q)
    ...                          // Q Kᵀ, softmax, · V, o_proj: stage 0
    %x1 = linalg.generic ins(%x0, %o ...) { addf }   // closes the attention
    %g = qc.linear %h2, %wg ...  // qc.stage = 0: the MLP continues %x1
    %x2 = linalg.generic ins(%x1, %d ...) { addf }
    %l = qc.linear %n, %wl ...   // qc.stage = 1: the LM head, no branch
    ```
  }];
}

def WeightReportPass : Pass<"qc-weight-report", "ModuleOp"> {
  let summary = "Writes a JSON report of every layer's weight format";
  let description = [{
    For each qc layer: its name, op, weight shape, bits, group size,
    symmetric, bytes of weight storage (packed codes + scales + zero points
    + AWQ column scales + act-order group index, or float data), bits per
    weight, and the quantization error recorded by
    the pass that quantized it. Totals close the report. The IR is unchanged.
    The report is always valid JSON: a non-finite number (the error of a
    layer whose weights are all zero, say) is written as null.
  }];
  let options = [
    Option<"output", "output", "std::string", "\"-\"",
           "File to write the JSON report to ('-' for stdout)">,
    Option<"producer", "producer", "std::string", "\"\"",
           "Tool and version recorded as \"producer\" (e.g. quantc 0.4.0)">,
    Option<"commandLine", "command-line", "std::string", "\"\"",
           "Command line recorded as \"command_line\"">,
  ];
}

#endif // QC_PASSES_QUANTIZATION_PASSES_TD
