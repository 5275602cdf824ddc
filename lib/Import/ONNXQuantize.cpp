//===- ONNXQuantize.cpp - QuantizeLinear, DequantizeLinear, MatMulInteger ===//
//
// Op handlers for QuantizeLinear, DequantizeLinear, MatMulInteger.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

using namespace mlir;
using namespace mlir::qc;

void mlir::qc::addQuantizeOps(OpTable &table) { (void)table; }
