//===- ONNXIndexChecks.cpp - Run-time checks of data-dependent indices ----===//
//
// ONNX makes an index outside [-dim, dim) an error. Indices known at import
// are checked then; indices computed from run-time data (token ids into an
// embedding, GatherElements/ScatterElements positions, GatherND/ScatterND
// tuples, a CumSum axis) get a check in the
// generated code: one reduction over the index tensor before the op (a
// single pass over the indices, hoisted out of the gather's loops), which
// records the first offending index in the global `qc_model_index_error`
// for the runtime to report by name (qc_model.h). The gather itself still
// clamps, so no access leaves its tensor even when the caller ignores the
// error.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qc;

/// Adds the run-time check of `nc`'s input `input` against [-dim, dim),
/// `dim` = bounds[0], or bounds[c] for the elements at position c of the
/// last axis (index tuples, as GatherND's).
static void checkIndicesAtRunTime(NodeContext &nc, unsigned input,
                                  ArrayRef<int64_t> bounds) {
  Value indices = nc.input(input);
  auto type = cast<RankedTensorType>(indices.getType());
  if (type.getNumElements() == 0 || !nc.indexChecks)
    return;
  OpBuilder &b = nc.b;
  MLIRContext *ctx = b.getContext();
  Location l = nc.loc;
  Type i64 = b.getI64Type(), i1 = b.getI1Type();
  int64_t rank = type.getRank();
  // flag |= bad(k); value = bad(k) ? k : value, over every index.
  auto scalarType = [&](Type t) { return RankedTensorType::get({}, t); };
  Value flagInit = buildFilled(b, l, scalarType(i1), b.getBoolAttr(false));
  Value valueInit = buildFilled(b, l, scalarType(i64), b.getI64IntegerAttr(0));
  AffineMap scalarMap = AffineMap::get(rank, 0, {}, ctx);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 scalarMap, scalarMap, scalarMap};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  auto scan = linalg::GenericOp::create(
      b, l, TypeRange{scalarType(i1), scalarType(i64), scalarType(i64)},
      ValueRange{indices}, ValueRange{flagInit, valueInit, valueInit}, maps,
      iterators,
      [&](OpBuilder &eb, Location el, ValueRange args) {
        Value k = args[0];
        if (k.getType() != i64)
          k = arith::ExtSIOp::create(eb, el, i64, k);
        // The bound of this element: a select over the last axis' position
        // when the bounds differ (a handful: one per data dimension).
        Value dim = arith::ConstantIntOp::create(eb, el, i64, bounds[0]);
        if (bounds.size() > 1) {
          Value c = linalg::IndexOp::create(eb, el, rank - 1);
          for (auto [j, bound] : llvm::enumerate(bounds.drop_front())) {
            Value isJ = arith::CmpIOp::create(
                eb, el, arith::CmpIPredicate::eq, c,
                arith::ConstantIndexOp::create(eb, el, j + 1));
            dim = arith::SelectOp::create(
                eb, el, isJ, arith::ConstantIntOp::create(eb, el, i64, bound),
                dim);
          }
        }
        Value low = arith::CmpIOp::create(
            eb, el, arith::CmpIPredicate::slt, k,
            arith::SubIOp::create(
                eb, el, arith::ConstantIntOp::create(eb, el, i64, 0), dim));
        Value high =
            arith::CmpIOp::create(eb, el, arith::CmpIPredicate::sge, k, dim);
        Value bad = arith::OrIOp::create(eb, el, low, high);
        Value flag = arith::OrIOp::create(eb, el, args[1], bad);
        Value value = arith::SelectOp::create(eb, el, bad, k, args[2]);
        Value badDim = arith::SelectOp::create(eb, el, bad, dim, args[3]);
        linalg::YieldOp::create(eb, el, ValueRange{flag, value, badDim});
      });
  Value flag = tensor::ExtractOp::create(b, l, scan.getResult(0), ValueRange{});
  Value value =
      tensor::ExtractOp::create(b, l, scan.getResult(1), ValueRange{});
  Value dim = tensor::ExtractOp::create(b, l, scan.getResult(2), ValueRange{});
  int64_t id = int64_t(nc.indexChecks->size()) + 1;
  nc.indexChecks->push_back("node '" + nc.name + "' (" +
                            escapeName(nc.node.op_type()) + "): indices '" +
                            escapeName(nc.node.input(input)) + "'");
  auto ifOp = scf::IfOp::create(b, l, flag, /*withElseRegion=*/false);
  OpBuilder tb = ifOp.getThenBodyBuilder();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  Value base =
      LLVM::AddressOfOp::create(tb, l, ptrType, kIndexErrorSymbol).getResult();
  Value fields[3] = {arith::ConstantIntOp::create(tb, l, i64, id), value,
                     dim};
  for (auto [i, field] : llvm::enumerate(fields)) {
    Value at = LLVM::GEPOp::create(tb, l, ptrType, i64, base,
                                   ArrayRef<LLVM::GEPArg>{int32_t(i)});
    LLVM::StoreOp::create(tb, l, field, at);
  }
}

LogicalResult NodeContext::checkIndices(unsigned input, int64_t dim) {
  return checkIndices(input, ArrayRef<int64_t>{dim});
}

LogicalResult NodeContext::checkIndices(unsigned input,
                                        ArrayRef<int64_t> bounds) {
  assert(!bounds.empty() && "no bounds to check against");
  DenseIntElementsAttr constant;
  if (!matchPattern(this->input(input), m_Constant(&constant))) {
    checkIndicesAtRunTime(*this, input, bounds);
    return success();
  }
  for (auto [pos, i] : llvm::enumerate(constant.getValues<APInt>())) {
    int64_t dim = bounds[pos % bounds.size()];
    if (int64_t k = i.getSExtValue(); k < -dim || k >= dim)
      return error() << "index " << k << " is out of range [" << -dim << ", "
                     << dim << ")";
  }
  return success();
}

void mlir::qc::emitIndexCheckGlobals(OpBuilder &b, Location loc,
                                     ArrayRef<std::string> descriptions) {
  if (descriptions.empty())
    return;
  MLIRContext *ctx = b.getContext();
  Type i64 = b.getI64Type();
  auto errorType = LLVM::LLVMArrayType::get(i64, 3);
  LLVM::GlobalOp::create(b, loc, errorType, /*isConstant=*/false,
                         LLVM::Linkage::External, kIndexErrorSymbol,
                         b.getZeroAttr(RankedTensorType::get({3}, i64)));
  // The descriptions, each ending in '\0', in check order (check k is the
  // k-th); one more '\0' ends the table.
  std::string table;
  for (const std::string &d : descriptions)
    table += d + '\0';
  table += '\0';
  auto tableType =
      LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), table.size());
  LLVM::GlobalOp::create(b, loc, tableType, /*isConstant=*/true,
                         LLVM::Linkage::External, kIndexChecksSymbol,
                         b.getStringAttr(table));
}
