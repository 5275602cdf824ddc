//===- QCContract.h - The model's names and attributes ----------*- C++ -*-===//
//
// The model contract: what the importer writes and the passes and targets
// read, declared once. The qc dialect verifies every `qc.*` attribute
// named here wherever it appears (QCDialect::verifyOperationAttribute and
// the region argument/result hooks, QCContract.cpp), so a malformed
// statistic or plan is an error naming the op, never a layer silently left
// in float, and an unknown `qc.*` attribute is a typo caught early.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECTS_QC_IR_QCCONTRACT_H
#define QC_DIALECTS_QC_IR_QCCONTRACT_H

#include "llvm/ADT/StringRef.h"

namespace mlir::qc {

//===-- Module and entry function (written by the importer) --------------===//

/// The function the importer creates for the ONNX graph.
constexpr llvm::StringLiteral kEntryFunction = "main_graph";
/// Entry argument/result attribute: the ONNX input/output name.
constexpr llvm::StringLiteral kTensorNameAttr = "qc.name";

//===-- Generators (models with a KV cache, quantc --max-context) --------===//

/// A generator module holds two entries over the same weights: the decode
/// step (kEntryFunction, one new token per row, which is also what
/// qc_model_run runs) and the prefill step (a whole prompt chunk).
constexpr llvm::StringLiteral kPrefillFunction = "qc_prefill";
/// Entry argument and result attribute (unit): a KV cache buffer of
/// max_context positions that the step updates in place. The argument is
/// the caller's buffer; the result of the same qc.name is the same buffer
/// after the step (bufferization drops it).
constexpr llvm::StringLiteral kKVCacheAttr = "qc.kv_cache";
/// The Hugging Face names of a model-kv export's other inputs
/// ([batch, seq] token ids, [batch, past + seq] mask of valid positions,
/// [batch, seq] positions) and of its [batch, seq, vocab] output.
constexpr llvm::StringLiteral kInputIdsInput = "input_ids";
constexpr llvm::StringLiteral kAttentionMaskInput = "attention_mask";
constexpr llvm::StringLiteral kPositionIdsInput = "position_ids";
constexpr llvm::StringLiteral kLogitsOutput = "logits";
/// The decode step's argument holding the cache slot of its first new token
/// (tensor<i64>); the prefill step always starts at slot 0.
constexpr llvm::StringLiteral kCachePositionInput = "cache_position";
/// Module attribute: {max_context = N : i64, prefill_tokens = C : i64,
/// vocab = ["a", ...] (optional)}, what the runtime's generator needs.
constexpr llvm::StringLiteral kGeneratorAttr = "qc.generator";
/// The Hugging Face (optimum, onnxruntime-genai) names of a model-kv
/// export's cache inputs and outputs: past_key_values.{i}.key|value in,
/// present.{i}.key|value out.
constexpr llvm::StringLiteral kPastPrefix = "past_key_values.";
constexpr llvm::StringLiteral kPresentPrefix = "present.";

/// "{i}.key" or "{i}.value" when `name` is `prefix` followed by that, else
/// an empty string: what pairs a past input with its present output.
inline llvm::StringRef getCacheSuffix(llvm::StringRef name,
                                      llvm::StringRef prefix) {
  if (!name.consume_front(prefix))
    return {};
  auto [layer, kind] = name.split('.');
  unsigned index;
  if (layer.empty() || layer.getAsInteger(10, index) ||
      (kind != "key" && kind != "value"))
    return {};
  return name;
}
/// Module attributes: the ONNX graph name and the default-domain opset.
constexpr llvm::StringLiteral kGraphNameAttr = "qc.graph_name";
constexpr llvm::StringLiteral kOpsetAttr = "qc.opset";

//===-- On layers and ops (importer, planning, calibration) --------------===//

/// Per-layer precision chosen by qc-mixed-precision or a plan file: bits
/// (2-8, or 32 = keep float) and optionally a group size (>= 0).
constexpr llvm::StringLiteral kLayerBitsAttr = "qc.bits";
constexpr llvm::StringLiteral kLayerGroupSizeAttr = "qc.group_size";
/// The sequential calibration stage (decoder block) of a layer, written by
/// qc-sequential-stages.
constexpr llvm::StringLiteral kLayerStageAttr = "qc.stage";
/// Why a layer (or a MatMul/Gemm/Conv with a compile-time weight that is
/// not a qc layer) stays in float; read by qc-weight-report.
constexpr llvm::StringLiteral kFloatReasonAttr = "qc.float_reason";
/// The ONNX shape of a weight the importer transposed/flattened.
constexpr llvm::StringLiteral kWeightShapeAttr = "qc.weight_shape";
/// On a Gather whose indices are a graph input: the size of the indexed
/// axis (valid indices are [-size, size)); calibration checks its data.
constexpr llvm::StringLiteral kIndexBoundAttr = "qc.index_bound";
/// Calibration statistics attached to layers (see lib/Calibration):
/// H = 2 X^T X / n as tensor<KxKxf32>, mean |x| per input channel as
/// tensor<Kxf32>, and a bounded sample of input rows as tensor<TxKxf32>,
/// where K is the layer's row length.
constexpr llvm::StringLiteral kHessianAttr = "qc.hessian";
constexpr llvm::StringLiteral kMeanAbsAttr = "qc.act_mean_abs";
constexpr llvm::StringLiteral kSamplesAttr = "qc.act_samples";

//===-- On qc.quantized_weight (written by the weight passes) ------------===//

/// Relative output error ||ΔW X|| / ||W X|| of the layer, for the report.
constexpr llvm::StringLiteral kRelErrorAttr = "qc.rel_error";
/// Input columns no calibration sample reached (GPTQ zeroes them).
constexpr llvm::StringLiteral kDeadColumnsAttr = "qc.dead_columns";
/// AWQ's chosen scale exponent, and whether 1/s was folded into the
/// producer (else it is the weight's column scales).
constexpr llvm::StringLiteral kAWQAlphaAttr = "qc.awq_alpha";
constexpr llvm::StringLiteral kAWQScalesFoldedAttr = "qc.awq_scales_folded";

} // namespace mlir::qc

#endif // QC_DIALECTS_QC_IR_QCCONTRACT_H
