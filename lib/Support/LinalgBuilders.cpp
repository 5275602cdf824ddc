//===- LinalgBuilders.cpp - Small builders of linalg/tensor IR ------------===//

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value mlir::qc::buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                                 RankedTensorType resultType,
                                 ScalarBodyFn body) {
  MLIRContext *ctx = b.getContext();
  unsigned rank = resultType.getRank();
  SmallVector<AffineMap> maps;
  for (Value input : inputs) {
    auto type = cast<RankedTensorType>(input.getType());
    unsigned offset = rank - type.getRank();
    SmallVector<AffineExpr> exprs;
    for (unsigned i = 0; i < type.getRank(); ++i) {
      bool stretched =
          type.getDimSize(i) == 1 && resultType.getDimSize(offset + i) != 1;
      exprs.push_back(stretched ? getAffineConstantExpr(0, ctx)
                                : getAffineDimExpr(offset + i, ctx));
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                       resultType.getElementType());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value v = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, v);
      });
  return generic.getResult(0);
}

Value mlir::qc::buildFilled(OpBuilder &b, Location loc,
                            RankedTensorType resultType, TypedAttr value) {
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                       resultType.getElementType());
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, scalar, init).getResult(0);
}

Value mlir::qc::buildBroadcastAlongDim(OpBuilder &b, Location loc, Value vector,
                                       RankedTensorType resultType,
                                       unsigned dim) {
  MLIRContext *ctx = b.getContext();
  unsigned rank = resultType.getRank();
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank, 0, getAffineDimExpr(dim, ctx)),
      AffineMap::getMultiDimIdentityMap(rank, ctx)};
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                       resultType.getElementType());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, ValueRange{vector},
             ValueRange{init}, maps, iterators,
             [](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc, args[0]);
             })
      .getResult(0);
}

Value mlir::qc::buildRemap(OpBuilder &b, Location loc, Value input,
                           RankedTensorType resultType,
                           ArrayRef<AffineExpr> inputIndices) {
  MLIRContext *ctx = b.getContext();
  unsigned rank = resultType.getRank();
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                       resultType.getElementType());
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, inputIndices, ctx),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, ValueRange{input}, ValueRange{init},
             maps, iterators,
             [](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, args[0]);
             })
      .getResult(0);
}

Value mlir::qc::buildFusedMultiplyAdd(OpBuilder &b, Location loc, Value x,
                                      Value w, Value acc) {
  auto fmf = arith::FastMathFlagsAttr::get(b.getContext(),
                                           arith::FastMathFlags::reassoc |
                                               arith::FastMathFlags::contract);
  Value product = arith::MulFOp::create(b, loc, x, w, fmf);
  return arith::AddFOp::create(b, loc, acc, product, fmf);
}
