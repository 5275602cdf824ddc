//===- QCToLinalg.cpp - Lower qc layers to linalg -------------------------===//
//
// Target-neutral lowering of qc layers to linalg.generic reductions. Float
// and quantized weights share one loop nest; for a !qc.qweight the body
// unpacks a code, subtracts the zero point and multiplies by the scale, so a
// dequantized copy of the weight never exists.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::qc {
#define GEN_PASS_DEF_QCTOLINALGPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

/// How a reduction reads its weight: the extra generic inputs with their
/// indexing maps, and how to turn the matching block arguments into the f32
/// weight value.
struct WeightAccess {
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  QWeightType qtype; // Null for float weights.
  bool hasColumnScales = false;
  // With a group index, scales and zero points are read by tensor.extract
  // at [row, group_index[k]] instead of through an indexing map.
  Value groupIndexedScales, groupIndexedZeroPoints;
  bool hasGroupIndex = false;

  /// `args` are the block arguments of `inputs`; `k` is the flattened
  /// position along the row and `row` the output channel (index type).
  Value load(OpBuilder &b, Location loc, ValueRange args, Value k,
             Value row) const {
    if (!qtype)
      return args[0];
    LayoutAttr layout = qtype.getLayout();
    unsigned bits = layout.getBits();
    Type i32 = b.getI32Type(), f32 = b.getF32Type();
    auto cst = [&](int64_t v) {
      return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
    };
    // Bits [k*bits, (k+1)*bits) of the row span at most the two bytes
    // args[0] (first bit) and args[1] (last bit).
    Value lo = arith::ExtUIOp::create(b, loc, i32, args[0]);
    Value hi = arith::ExtUIOp::create(b, loc, i32, args[1]);
    Value word = arith::OrIOp::create(
        b, loc, lo, arith::ShLIOp::create(b, loc, hi, cst(8)));
    Value kI32 = arith::IndexCastUIOp::create(b, loc, i32, k);
    Value shift = arith::RemUIOp::create(
        b, loc, arith::MulIOp::create(b, loc, kI32, cst(bits)), cst(8));
    Value code = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, word, shift),
        cst((1 << bits) - 1));
    unsigned next = 2;
    Value scale, zeroPoint;
    if (hasGroupIndex) {
      Value group =
          arith::IndexCastOp::create(b, loc, b.getIndexType(), args[next++]);
      scale = tensor::ExtractOp::create(b, loc, groupIndexedScales,
                                        ValueRange{row, group});
      if (groupIndexedZeroPoints)
        zeroPoint = tensor::ExtractOp::create(b, loc, groupIndexedZeroPoints,
                                              ValueRange{row, group});
    } else {
      scale = args[next++];
      if (!layout.getSymmetric())
        zeroPoint = args[next++];
    }
    Value zero = layout.getSymmetric()
                     ? Value(cst(layout.getImplicitZeroPoint()))
                     : Value(arith::ExtUIOp::create(b, loc, i32, zeroPoint));
    Value centered = arith::SIToFPOp::create(
        b, loc, f32, arith::SubIOp::create(b, loc, code, zero));
    if (scale.getType() != f32)
      scale = arith::ExtFOp::create(b, loc, f32, scale);
    Value w = arith::MulFOp::create(b, loc, centered, scale);
    if (hasColumnScales)
      w = arith::MulFOp::create(b, loc, w, args[next]);
    return w;
  }
};

/// Builds the access to `weight` for a loop nest with `numDims` dims where
/// the weight row is `row` and the float weight's own indices are
/// `floatIndices`; `k` is the flattened row position as an affine expr.
FailureOr<WeightAccess> buildWeightAccess(Operation *layer, Value weight,
                                          unsigned numDims, AffineExpr row,
                                          ArrayRef<AffineExpr> floatIndices,
                                          AffineExpr k) {
  MLIRContext *ctx = layer->getContext();
  WeightAccess access;
  auto qtype = dyn_cast<QWeightType>(weight.getType());
  if (!qtype) {
    access.inputs.push_back(weight);
    access.maps.push_back(AffineMap::get(numDims, 0, floatIndices, ctx));
    return access;
  }
  auto def = weight.getDefiningOp<QuantizedWeightOp>();
  if (!def)
    return layer->emitOpError(
        "quantized weight must be produced by qc.quantized_weight to lower");
  access.qtype = qtype;
  int64_t bits = qtype.getLayout().getBits();
  int64_t groupLength = qtype.getLayout().getGroupLength(qtype.getRowLength());
  auto map = [&](AffineExpr col) {
    return AffineMap::get(numDims, 0, {row, col}, ctx);
  };
  access.inputs = {def.getPacked(), def.getPacked()};
  access.maps = {map((k * bits).floorDiv(8)),
                 map((k * bits + bits - 1).floorDiv(8))};
  if (def.getGroupIndex()) {
    access.hasGroupIndex = true;
    access.groupIndexedScales = def.getScales();
    access.groupIndexedZeroPoints = def.getZeroPoints();
    access.inputs.push_back(def.getGroupIndex());
    access.maps.push_back(AffineMap::get(numDims, 0, {k}, ctx));
  } else {
    access.inputs.push_back(def.getScales());
    access.maps.push_back(map(k.floorDiv(groupLength)));
    if (def.getZeroPoints()) {
      access.inputs.push_back(def.getZeroPoints());
      access.maps.push_back(map(k.floorDiv(groupLength)));
    }
  }
  if (def.getColumnScales()) {
    access.hasColumnScales = true;
    access.inputs.push_back(def.getColumnScales());
    access.maps.push_back(AffineMap::get(numDims, 0, {k}, ctx));
  }
  return access;
}

/// qc.linear -> collapse input to [M, K], reduce over k, expand to [..., N].
LogicalResult lowerLinear(LinearOp op, RewriterBase &rewriter) {
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  rewriter.setInsertionPoint(op);
  auto inputType = op.getInput().getType();
  auto resultType = op.getResult().getType();
  int64_t k = inputType.getShape().back();
  int64_t n = resultType.getShape().back();
  int64_t m = inputType.getNumElements() / k;
  Type f32 = rewriter.getF32Type();

  // Flatten leading dims so one loop nest serves every input rank.
  Value input = op.getInput();
  auto flatInput = RankedTensorType::get({m, k}, f32);
  if (inputType.getRank() != 2)
    input = tensor::ReshapeOp::create(
        rewriter, loc, flatInput, input,
        arith::ConstantOp::create(
            rewriter, loc,
            DenseIntElementsAttr::get(
                RankedTensorType::get({2}, rewriter.getI64Type()),
                ArrayRef<int64_t>{m, k})));
  auto flatResult = RankedTensorType::get({m, n}, f32);
  Value init =
      op.getBias()
          ? buildBroadcastAlongDim(rewriter, loc, op.getBias(), flatResult, 1)
          : buildFilled(rewriter, loc, flatResult, rewriter.getF32FloatAttr(0));

  AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(1, ctx),
             dk = getAffineDimExpr(2, ctx);
  FailureOr<WeightAccess> access =
      buildWeightAccess(op, op.getWeight(), 3, dn, {dn, dk}, dk);
  if (failed(access))
    return failure();
  SmallVector<Value> inputs = {input};
  inputs.append(access->inputs);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {dm, dk}, ctx)};
  maps.append(access->maps);
  maps.push_back(AffineMap::get(3, 0, {dm, dn}, ctx));
  SmallVector<utils::IteratorType> iterators = {utils::IteratorType::parallel,
                                                utils::IteratorType::parallel,
                                                utils::IteratorType::reduction};
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{flatResult}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &b, Location l, ValueRange args) {
        Value kIndex = linalg::IndexOp::create(b, l, 2);
        Value w = access->load(b, l, args.slice(1, access->inputs.size()),
                               kIndex, linalg::IndexOp::create(b, l, 1));
        // Reductions may be reassociated (as in every ML compiler): this is
        // what lets LLVM vectorize the dot products.
        auto fmf = arith::FastMathFlagsAttr::get(
            b.getContext(),
            arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
        Value prod = arith::MulFOp::create(b, l, args[0], w, fmf);
        linalg::YieldOp::create(
            b, l, Value(arith::AddFOp::create(b, l, args.back(), prod, fmf)));
      });
  Value result = generic.getResult(0);
  if (resultType.getRank() != 2) {
    SmallVector<int64_t> shape(resultType.getShape());
    result = tensor::ReshapeOp::create(
        rewriter, loc, resultType, result,
        arith::ConstantOp::create(
            rewriter, loc,
            DenseIntElementsAttr::get(
                RankedTensorType::get({int64_t(shape.size())},
                                      rewriter.getI64Type()),
                ArrayRef<int64_t>(shape))));
  }
  rewriter.replaceOp(op, result);
  return success();
}

/// qc.conv2d -> zero-pad, then one reduction over (c, kh, kw).
LogicalResult lowerConv2D(Conv2DOp op, RewriterBase &rewriter) {
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  rewriter.setInsertionPoint(op);
  ArrayRef<int64_t> w = getWeightShape(op.getWeight().getType());
  ArrayRef<int64_t> pads = op.getPads(), strides = op.getStrides(),
                    dilations = op.getDilations();
  auto resultType = op.getResult().getType();
  Type f32 = rewriter.getF32Type();

  Value input = op.getInput();
  if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
    auto inType = op.getInput().getType();
    SmallVector<int64_t> padded(inType.getShape());
    padded[2] += pads[0] + pads[2];
    padded[3] += pads[1] + pads[3];
    SmallVector<OpFoldResult> low = {
        rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
        rewriter.getIndexAttr(pads[0]), rewriter.getIndexAttr(pads[1])};
    SmallVector<OpFoldResult> high = {
        rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
        rewriter.getIndexAttr(pads[2]), rewriter.getIndexAttr(pads[3])};
    Value zero =
        arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0));
    input =
        tensor::PadOp::create(rewriter, loc, RankedTensorType::get(padded, f32),
                              input, low, high, zero);
  }
  Value init =
      op.getBias()
          ? buildBroadcastAlongDim(rewriter, loc, op.getBias(), resultType, 1)
          : buildFilled(rewriter, loc, resultType, rewriter.getF32FloatAttr(0));

  // Loop dims: (n, o, oh, ow, c, kh, kw).
  SmallVector<AffineExpr> d;
  for (unsigned i = 0; i < 7; ++i)
    d.push_back(getAffineDimExpr(i, ctx));
  int64_t group = op.getGroup();
  int64_t filtersPerGroup = w[0] / group, channelsPerGroup = w[1];
  AffineExpr channel =
      group == 1 ? d[4]
                 : d[1].floorDiv(filtersPerGroup) * channelsPerGroup + d[4];
  AffineMap inputMap =
      AffineMap::get(7, 0,
                     {d[0], channel, d[2] * strides[0] + d[5] * dilations[0],
                      d[3] * strides[1] + d[6] * dilations[1]},
                     ctx);
  AffineExpr kFlat = (d[4] * w[2] + d[5]) * w[3] + d[6];
  FailureOr<WeightAccess> access = buildWeightAccess(
      op, op.getWeight(), 7, d[1], {d[1], d[4], d[5], d[6]}, kFlat);
  if (failed(access))
    return failure();
  SmallVector<Value> inputs = {input};
  inputs.append(access->inputs);
  SmallVector<AffineMap> maps = {inputMap};
  maps.append(access->maps);
  if (access->qtype) {
    // Packed weights index (c, kh, kw) only through the flattened row, so a
    // window operand (as in linalg's pooling ops) gives the loops their range.
    inputs.push_back(tensor::EmptyOp::create(rewriter, loc, {w[1], w[2], w[3]},
                                             rewriter.getI8Type()));
    maps.push_back(AffineMap::get(7, 0, {d[4], d[5], d[6]}, ctx));
  }
  maps.push_back(AffineMap::get(7, 0, {d[0], d[1], d[2], d[3]}, ctx));
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.append(3, utils::IteratorType::reduction);
  int64_t kh = w[2], kw = w[3];
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &b, Location l, ValueRange args) {
        Value k;
        if (access->qtype) {
          auto idx = [&](unsigned dim) {
            return linalg::IndexOp::create(b, l, dim);
          };
          auto c = [&](int64_t v) {
            return arith::ConstantIndexOp::create(b, l, v);
          };
          Value ck = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, idx(4), c(kh)), idx(5));
          k = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, ck, c(kw)), idx(6));
        }
        Value wv = access->load(b, l, args.slice(1, access->inputs.size()), k,
                                linalg::IndexOp::create(b, l, 1));
        auto fmf = arith::FastMathFlagsAttr::get(
            b.getContext(),
            arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
        Value prod = arith::MulFOp::create(b, l, args[0], wv, fmf);
        linalg::YieldOp::create(
            b, l, Value(arith::AddFOp::create(b, l, args.back(), prod, fmf)));
      });
  rewriter.replaceOp(op, generic.getResult(0));
  return success();
}

struct QCToLinalgPass final
    : mlir::qc::impl::QCToLinalgPassBase<QCToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> layers;
    getOperation().walk(
        [&](QuantizableLayer layer) { layers.push_back(layer); });
    for (Operation *layer : layers) {
      LogicalResult result =
          TypeSwitch<Operation *, LogicalResult>(layer)
              .Case([&](LinearOp op) { return lowerLinear(op, rewriter); })
              .Case([&](Conv2DOp op) { return lowerConv2D(op, rewriter); })
              .Default([](Operation *op) {
                return op->emitOpError("has no lowering to linalg");
              });
      if (failed(result))
        return signalPassFailure();
    }
    // Quantized weights are now read through their components.
    getOperation().walk([&](QuantizedWeightOp op) {
      if (op.use_empty())
        rewriter.eraseOp(op);
    });
  }
};

} // namespace
