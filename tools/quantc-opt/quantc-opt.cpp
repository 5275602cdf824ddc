//===- quantc-opt.cpp - mlir-opt with quantc's dialect and passes ---------===//
//
// The tool every lit test drives: any quantc pass, or the upstream passes our
// pipelines use, on any .mlir file.
//
//===----------------------------------------------------------------------===//

#include "quantc/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::qc::registerAllDialects(registry);
  mlir::qc::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "quantc optimizer driver\n", registry));
}
