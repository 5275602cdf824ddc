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

def WeightReportPass : Pass<"qc-weight-report", "ModuleOp"> {
  let summary = "Writes a JSON report of every layer's weight format";
  let description = [{
    For each qc layer: its name, op, weight shape, bits, group size,
    symmetric, bytes of weight storage (packed codes + scales + zero points,
    or float data), bits per weight, and the quantization error recorded by
    the pass that quantized it. Totals close the report. The IR is unchanged.
  }];
  let options = [
    Option<"output", "output", "std::string", "\"-\"",
           "File to write the JSON report to ('-' for stdout)">,
  ];
}

#endif // QC_PASSES_QUANTIZATION_PASSES_TD
