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
