//===- ONNXImporter.h - ONNX model -> qc + upstream dialects ----*- C++ -*-===//
//
// The door into quantc: reads .onnx (protobuf) or ONNX text syntax and
// builds one func.func @main_graph whose ops carry ONNX node names as
// locations. Protobuf types never leak past lib/Import.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_IMPORT_ONNXIMPORTER_H
#define QC_LIB_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <string>
#include <vector>

namespace mlir::qc {

/// Weights shared by several imports of one model into one context (a
/// generator's prefill and decode steps): an external tensor, and each way
/// a layer re-lays it out, becomes one attribute whichever import asks, so
/// the second import reads no weight and the two steps share one set.
struct SharedWeights {
  /// Imported external tensor -> its "file:offset:length" origin.
  llvm::DenseMap<Attribute, std::string> origin;
  /// Origin (+ a layout suffix for re-laid-out copies) -> the attribute.
  llvm::StringMap<Attribute> byOrigin;
};

struct ImportOptions {
  /// Shapes pinning symbolic (or all) dimensions of graph inputs, by name.
  llvm::StringMap<std::vector<int64_t>> inputShapes;
  /// Graph inputs compiled in as constants from .npy files, by name (the
  /// model is specialized on them; they are no longer inputs).
  llvm::StringMap<std::string> boundInputs;
  /// Largest constant, input or intermediate tensor accepted, in bytes.
  int64_t maxTensorBytes = int64_t(4) << 30;
  /// Check indices computed at run time (Gather, GatherElements, ...)
  /// against their axis in the generated code (false: clamp only).
  bool runtimeIndexChecks = true;
  /// If set, receives the real paths of the external data files read (so
  /// that the driver never writes an output over one of them).
  std::vector<std::string> *externalDataFiles = nullptr;
  /// If set, external weights are shared with the other imports given the
  /// same object (see SharedWeights).
  SharedWeights *sharedWeights = nullptr;
};

/// Parses "NAME=AxBxC" into `options`; returns an error message or "".
std::string parseInputShapeSpec(llvm::StringRef spec, ImportOptions &options);

/// A graph input as declared in the model: its name and dims (-1 for a
/// symbolic dimension).
struct DeclaredInput {
  std::string name;
  std::vector<int64_t> dims;
};

/// The model's graph inputs (initializers excluded), or failure with a
/// diagnostic. Used to derive shapes for calibration batches.
FailureOr<std::vector<DeclaredInput>> readDeclaredInputs(llvm::StringRef path,
                                                         MLIRContext *ctx);

/// The ONNX op types (default domain) the importer handles, sorted.
std::vector<std::string> getSupportedOpTypes();

/// Imports a binary ONNX model held in memory (`name` appears in
/// diagnostics; external data is resolved next to it). For the fuzzer and
/// for embedders that never touch the file system for the model itself.
OwningOpRef<ModuleOp> importONNXBytes(llvm::StringRef bytes,
                                      llvm::StringRef name, MLIRContext *ctx,
                                      const ImportOptions &options = {});

/// Imports `path`: ONNX text syntax if it ends in .onnxtxt or .txt, binary
/// protobuf otherwise. Errors are reported through the context's diagnostic
/// handler and yield a null module.
OwningOpRef<ModuleOp> importONNXFile(llvm::StringRef path, MLIRContext *ctx,
                                     const ImportOptions &options);

} // namespace mlir::qc

#endif // QC_LIB_IMPORT_ONNXIMPORTER_H
