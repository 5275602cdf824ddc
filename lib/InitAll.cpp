//===- InitAll.cpp - Register everything quantc tools use -----------------===//
//
// One place both quantc and quantc-opt call, so any pass the driver runs can
// be run (and lit-tested) on its own by quantc-opt.
//
//===----------------------------------------------------------------------===//

#include "quantc/InitAll.h"

#include "dialects/QC/IR/QC.h"
#include "lib/Pipelines/Pipelines.h"
#include "passes/Conversion/Passes.h"
#include "passes/Quantization/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"

void mlir::qc::registerAllDialects(DialectRegistry &registry) {
  registry.insert<QCDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
}

void mlir::qc::registerAllPasses() {
  mlir::registerAllPasses();
  registerQuantizationPasses();
  registerConversionPasses();
  registerPipelines();
}
