//===- quantc-fuzz-import.cpp - libFuzzer target for the ONNX importer ----===//
//
// Feeds arbitrary bytes to the importer as a binary ONNX model and, when it
// imports, verifies the module and lowers it to linalg (the CPU pipeline's
// first half), so that what the importer accepts is also what the passes
// can take. Errors are expected and discarded; crashes, sanitizer reports,
// timeouts and leaks are findings. Built by scripts/fuzz.sh
// (-DQC_BUILD_FUZZER=ON with clang's -fsanitize=fuzzer,address,undefined).
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ONNXImporter.h"
#include "quantc/InitAll.h"
#include "targets/CPU/CPUBackend.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstdint>

using namespace mlir;

namespace {

MLIRContext &getContext() {
  static MLIRContext *context = [] {
    DialectRegistry registry;
    qc::registerAllDialects(registry);
    auto *ctx = new MLIRContext(registry, MLIRContext::Threading::DISABLED);
    ctx->loadAllAvailableDialects();
    ctx->printOpOnDiagnostic(false);
    // Errors are the expected outcome for most inputs: drop them.
    ctx->getDiagEngine().registerHandler(
        [](Diagnostic &) { return success(); });
    return ctx;
  }();
  return *context;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext &ctx = getContext();
  qc::ImportOptions options;
  // The fuzzer's memory limit is 2 GB: keep tensors well inside it.
  options.maxTensorBytes = int64_t(64) << 20;
  StringRef bytes(reinterpret_cast<const char *>(data), size);
  // The name's directory holds no external data: such references fail.
  OwningOpRef<ModuleOp> module =
      qc::importONNXBytes(bytes, "/nonexistent/fuzz.onnx", &ctx, options);
  if (!module || failed(verify(*module)))
    return 0;
  qc::CPUBackend backend(qc::CPUTargetOptions{});
  (void)qc::lowerModule(*module, backend, qc::LoweringPhase::Linalg);
  return 0;
}
