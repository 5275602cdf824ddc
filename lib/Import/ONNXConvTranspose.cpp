//===- ONNXConvTranspose.cpp - ConvTranspose ===//
//
// Op handlers for ConvTranspose.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

using namespace mlir;
using namespace mlir::qc;

void mlir::qc::addConvTransposeOps(OpTable &table) { (void)table; }
