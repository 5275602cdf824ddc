//===- ONNXIndexing.cpp - GatherElements, Trilu, CumSum ===//
//
// Op handlers for GatherElements, Trilu, CumSum.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

using namespace mlir;
using namespace mlir::qc;

void mlir::qc::addIndexingOps(OpTable &table) { (void)table; }
