//===- ONNXPooling.cpp - Pooling handlers ---------------------------------===//
//
// MaxPool (with its optional Indices output) and AveragePool over N-D
// windows as one linalg.generic each, and GlobalAveragePool/GlobalMaxPool
// as reductions over the spatial dims (see ONNXReductions.cpp).
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

LogicalResult importGlobalPool(NodeContext &nc, bool isMax) {
  auto type = nc.inputType(0);
  if (type.getRank() < 3 || !isFloat(type.getElementType()))
    return nc.error() << "expects a float NC... input";
  SmallVector<int64_t> axes =
      llvm::to_vector(llvm::seq<int64_t>(2, type.getRank()));
  Type et = type.getElementType();
  Value r;
  if (isMax) {
    r = reduce(nc.b, nc.loc, nc.input(0), axes, lowestAttr(nc.b, et), true,
               [](OpBuilder &nb, Location l, Value x, Value acc) {
                 return Value(arith::MaximumFOp::create(nb, l, x, acc));
               });
  } else {
    int64_t count = ShapedType::getNumElements(type.getShape().drop_front(2));
    r = reduce(nc.b, nc.loc, nc.input(0), axes, numberAttr(nc.b, et, 0), true,
               [](OpBuilder &nb, Location l, Value x, Value acc) {
                 return Value(arith::AddFOp::create(nb, l, x, acc));
               });
    r = buildElementwise(nc.b, nc.loc, r, cast<RankedTensorType>(r.getType()),
                         [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return arith::DivFOp::create(
                               nb, l, a[0],
                               scalarConstant(nb, l, et, double(count)));
                         });
  }
  nc.setOutput(0, r);
  return success();
}

/// MaxPool / AveragePool over the spatial dims of an N x C x D1 x ... input.
LogicalResult importPool(NodeContext &nc, bool isMax) {
  MLIRContext *ctx = nc.b.getContext();
  auto type = nc.inputType(0);
  Type et = type.getElementType();
  if (type.getRank() < 3 || !isFloat(et))
    return nc.error() << "pooling needs a float N x C x spatial... input, got "
                      << type;
  size_t ns = type.getRank() - 2;
  bool withIndices =
      isMax && nc.node.output_size() > 1 && !nc.node.output(1).empty();
  std::vector<int64_t> kernel = nc.getInts("kernel_shape", {});
  std::vector<int64_t> strides =
      nc.getInts("strides", std::vector<int64_t>(ns, 1));
  std::vector<int64_t> pads =
      nc.getInts("pads", std::vector<int64_t>(2 * ns, 0));
  std::vector<int64_t> dilations =
      nc.getInts("dilations", std::vector<int64_t>(ns, 1));
  bool ceilMode = nc.getInt("ceil_mode", 0) != 0;
  bool countPad = nc.getInt("count_include_pad", 0) != 0;
  int64_t storageOrder = nc.getInt("storage_order", 0);
  if (kernel.size() != ns || strides.size() != ns || pads.size() != 2 * ns ||
      dilations.size() != ns)
    return nc.error() << "expected " << ns << " kernel dims, " << ns
                      << " strides, " << 2 * ns << " pads and " << ns
                      << " dilations for input " << type;
  if (storageOrder != 0 && storageOrder != 1)
    return nc.error() << "storage_order must be 0 or 1, got " << storageOrder;
  for (size_t i = 0; i < ns; ++i)
    if (kernel[i] < 1 || strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 ||
        pads[i + ns] < 0)
      return nc.error() << "kernel_shape, strides and dilations must be >= 1 "
                           "and pads >= 0";
  ArrayRef<int64_t> in = type.getShape().drop_front(2);
  if (failed(resolveAutoPad(nc, in, kernel, strides, dilations, pads)))
    return failure();
  SmallVector<int64_t> out(ns), extraHigh(ns);
  for (size_t i = 0; i < ns; ++i) {
    int64_t span = dilations[i] * (kernel[i] - 1) + 1;
    int64_t padded = in[i] + pads[i] + pads[i + ns];
    if (padded < span)
      return nc.error() << "kernel larger than the padded input";
    int64_t num = padded - span;
    out[i] =
        (ceilMode ? (num + strides[i] - 1) / strides[i] : num / strides[i]) + 1;
    // ceil_mode: a last window must start inside the input or left pad.
    if (ceilMode && (out[i] - 1) * strides[i] >= in[i] + pads[i])
      --out[i];
    extraHigh[i] =
        std::max<int64_t>(0, (out[i] - 1) * strides[i] + span - padded);
  }
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  // Pad with -inf (max) or 0 (average); windows past the ceil-mode edge
  // read padding too and are excluded from averages below.
  SmallVector<int64_t> paddedShape(type.getShape().take_front(2));
  SmallVector<OpFoldResult> low(2, b.getIndexAttr(0)),
      high(2, b.getIndexAttr(0));
  for (size_t i = 0; i < ns; ++i) {
    paddedShape.push_back(in[i] + pads[i] + pads[i + ns] + extraHigh[i]);
    low.push_back(b.getIndexAttr(pads[i]));
    high.push_back(b.getIndexAttr(pads[i + ns] + extraHigh[i]));
  }
  Value padValue = arith::ConstantOp::create(
      b, loc, isMax ? lowestAttr(b, et) : numberAttr(b, et, 0));
  Value x =
      tensor::PadOp::create(b, loc, RankedTensorType::get(paddedShape, et),
                            nc.input(0), low, high, padValue);
  SmallVector<int64_t> outShape(type.getShape().take_front(2));
  outShape.append(out.begin(), out.end());
  auto outType = RankedTensorType::get(outShape, et);
  Value init = buildFilled(b, loc, outType,
                           isMax ? lowestAttr(b, et) : numberAttr(b, et, 0));
  // Loops (n, c, out..., kernel...); the empty window tensor only gives the
  // kernel loops their extents.
  unsigned numLoops = 2 + 2 * ns;
  SmallVector<AffineExpr> inExprs = {getAffineDimExpr(0, ctx),
                                     getAffineDimExpr(1, ctx)};
  SmallVector<AffineExpr> outExprs(inExprs), windowExprs;
  for (size_t i = 0; i < ns; ++i) {
    AffineExpr o = getAffineDimExpr(2 + i, ctx);
    AffineExpr k = getAffineDimExpr(2 + ns + i, ctx);
    inExprs.push_back(o * strides[i] + k * dilations[i]);
    outExprs.push_back(o);
    windowExprs.push_back(k);
  }
  Value window = tensor::EmptyOp::create(b, loc, kernel, et);
  AffineMap outMap = AffineMap::get(numLoops, 0, outExprs, ctx);
  SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, inExprs, ctx),
                                 AffineMap::get(numLoops, 0, windowExprs, ctx),
                                 outMap};
  SmallVector<utils::IteratorType> iterators(2 + ns,
                                             utils::IteratorType::parallel);
  iterators.append(ns, utils::IteratorType::reduction);
  if (withIndices) {
    // Flat index into the input: (n * C + c) * prod(in) + the spatial
    // position, row-major (storage_order 0) or column-major (1). Only
    // positions inside the input count; the first maximum wins.
    auto idxType = RankedTensorType::get(outShape, b.getI64Type());
    Value idxInit = buildFilled(b, loc, idxType, b.getI64IntegerAttr(-1));
    maps.push_back(outMap);
    auto generic = linalg::GenericOp::create(
        b, loc, TypeRange{outType, idxType}, ValueRange{x, window},
        ValueRange{init, idxInit}, maps, iterators,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Type i64 = nb.getI64Type();
          auto cst = [&](int64_t v) -> Value {
            return arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(v));
          };
          auto loopIndex = [&](unsigned d) -> Value {
            return arith::IndexCastOp::create(
                nb, l, i64, linalg::IndexOp::create(nb, l, d));
          };
          Value inside = arith::ConstantOp::create(nb, l, nb.getBoolAttr(true));
          SmallVector<Value> pos(ns);
          for (size_t i = 0; i < ns; ++i) {
            // o * stride + k * dilation - pad_begin
            Value p = arith::AddIOp::create(
                nb, l,
                arith::MulIOp::create(nb, l, loopIndex(2 + i), cst(strides[i])),
                arith::MulIOp::create(nb, l, loopIndex(2 + ns + i),
                                      cst(dilations[i])));
            pos[i] = arith::SubIOp::create(nb, l, p, cst(pads[i]));
            Value ge = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge,
                                             pos[i], cst(0));
            Value lt = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt,
                                             pos[i], cst(in[i]));
            inside = arith::AndIOp::create(
                nb, l, inside, arith::AndIOp::create(nb, l, ge, lt));
          }
          int64_t spatialSize = ShapedType::getNumElements(in);
          Value flat = arith::MulIOp::create(
              nb, l,
              arith::AddIOp::create(
                  nb, l,
                  arith::MulIOp::create(nb, l, loopIndex(0),
                                        cst(type.getDimSize(1))),
                  loopIndex(1)),
              cst(spatialSize));
          int64_t step = 1;
          for (size_t j = 0; j < ns; ++j) {
            size_t i = storageOrder == 0 ? ns - 1 - j : j;
            flat = arith::AddIOp::create(
                nb, l, flat, arith::MulIOp::create(nb, l, pos[i], cst(step)));
            step *= in[i];
          }
          Value better = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT,
                                               args[0], args[2]);
          Value unset = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt,
                                              args[3], cst(0));
          Value take = arith::AndIOp::create(
              nb, l, inside, arith::OrIOp::create(nb, l, better, unset));
          linalg::YieldOp::create(
              nb, l,
              ValueRange{arith::SelectOp::create(nb, l, take, args[0], args[2]),
                         arith::SelectOp::create(nb, l, take, flat, args[3])});
        });
    nc.setOutput(0, generic.getResult(0));
    nc.setOutput(1, generic.getResult(1));
    return success();
  }
  Value pooled =
      linalg::GenericOp::create(
          b, loc, TypeRange{outType}, ValueRange{x, window}, ValueRange{init},
          maps, iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value r =
                isMax
                    ? Value(arith::MaximumFOp::create(nb, l, args[0], args[2]))
                    : Value(arith::AddFOp::create(nb, l, args[0], args[2]));
            linalg::YieldOp::create(nb, l, r);
          })
          .getResult(0);
  if (!isMax) {
    // Divisors per output position, known at compile time: the window is a
    // product of per-dim ranges, so its count is a product of per-dim counts.
    SmallVector<SmallVector<int64_t>> dimCounts(ns);
    bool uniform = true;
    for (size_t i = 0; i < ns; ++i) {
      for (int64_t o = 0; o < out[i]; ++o) {
        int64_t n = 0;
        for (int64_t k = 0; k < kernel[i]; ++k) {
          int64_t p = o * strides[i] + k * dilations[i] - pads[i];
          n += countPad ? p < in[i] + pads[i + ns] : p >= 0 && p < in[i];
        }
        dimCounts[i].push_back(n);
      }
      uniform &= llvm::all_equal(dimCounts[i]);
    }
    // A scalar when every window has the same count (no padding in play).
    SmallVector<int64_t> countShape;
    if (!uniform)
      countShape.assign(out.begin(), out.end());
    SmallVector<Attribute> counts;
    SmallVector<int64_t> idx(ns, 0);
    int64_t total = ShapedType::getNumElements(countShape);
    for (int64_t e = 0; e < total; ++e) {
      int64_t n = 1;
      for (size_t i = 0; i < ns; ++i)
        n *= dimCounts[i][idx[i]];
      counts.push_back(numberAttr(b, et, double(std::max<int64_t>(n, 1))));
      for (size_t i = countShape.size(); i-- > 0;) {
        if (++idx[i] < out[i])
          break;
        idx[i] = 0;
      }
    }
    Value divisor = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get(countShape, et), counts));
    pooled =
        buildElementwise(b, loc, ValueRange{pooled, divisor}, outType,
                         [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return arith::DivFOp::create(nb, l, a[0], a[1]);
                         });
  }
  nc.setOutput(0, pooled);
  return success();
}

} // namespace

void mlir::qc::addPoolingOps(OpTable &table) {
  table["GlobalAveragePool"] = [](NodeContext &nc) {
    return importGlobalPool(nc, false);
  };
  table["GlobalMaxPool"] = [](NodeContext &nc) {
    return importGlobalPool(nc, true);
  };
  table["MaxPool"] = [](NodeContext &nc) { return importPool(nc, true); };
  table["AveragePool"] = [](NodeContext &nc) { return importPool(nc, false); };
}
