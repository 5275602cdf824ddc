//===- ONNXNormalization.cpp - Softmax and normalization handlers ---------===//
//
// Softmax and LogSoftmax, LayerNormalization and BatchNormalization
// (inference and training mode), as reductions (see ONNXReductions.cpp)
// and element-wise ops. RMSNormalization lives in ONNXTransformerOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

/// Softmax / LogSoftmax over `axis` (opset >= 13), or over the flattened
/// trailing dims from `axis` (older opsets).
template <bool Log> LogicalResult importSoftmax(NodeContext &nc) {
  auto type = nc.inputType(0);
  Type et = type.getElementType();
  if (!isFloat(et))
    return nc.error() << "requires a float input";
  int64_t rank = type.getRank();
  auto axis =
      normalizeAxis(nc, nc.getInt("axis", nc.opset < 13 ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes;
  if (nc.opset < 13)
    axes = llvm::to_vector(llvm::seq<int64_t>(*axis, rank));
  else
    axes = {*axis};
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  Value x = nc.input(0);
  Value max = reduce(b, loc, x, axes, lowestAttr(b, et), true,
                     [](OpBuilder &nb, Location l, Value v, Value acc) {
                       return Value(arith::MaximumFOp::create(nb, l, v, acc));
                     });
  Value shifted =
      buildElementwise(b, loc, ValueRange{x, max}, type,
                       [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         return arith::SubFOp::create(nb, l, a[0], a[1]);
                       });
  Value e = buildElementwise(b, loc, shifted, type,
                             [](OpBuilder &nb, Location l, ValueRange a) {
                               return Value(math::ExpOp::create(nb, l, a[0]));
                             });
  Value sum = reduce(b, loc, e, axes, numberAttr(b, et, 0), true,
                     [](OpBuilder &nb, Location l, Value v, Value acc) {
                       return Value(arith::AddFOp::create(nb, l, v, acc));
                     });
  Value out;
  if (Log)
    out =
        buildElementwise(b, loc, ValueRange{shifted, sum}, type,
                         [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return arith::SubFOp::create(
                               nb, l, a[0], math::LogOp::create(nb, l, a[1]));
                         });
  else
    out =
        buildElementwise(b, loc, ValueRange{e, sum}, type,
                         [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return arith::DivFOp::create(nb, l, a[0], a[1]);
                         });
  nc.setOutput(0, out);
  return success();
}

} // namespace

FailureOr<NormalizedAxes> mlir::qc::getNormalizedAxes(NodeContext &nc,
                                                      RankedTensorType type) {
  auto axis = normalizeAxis(nc, nc.getInt("axis", -1), type.getRank());
  if (failed(axis))
    return failure();
  NormalizedAxes result;
  result.axes = llvm::to_vector(llvm::seq<int64_t>(*axis, type.getRank()));
  result.count = ShapedType::getNumElements(type.getShape().drop_front(*axis));
  return result;
}

namespace {

LogicalResult importLayerNorm(NodeContext &nc) {
  auto type = nc.inputType(0);
  Type et = type.getElementType();
  if (!isFloat(et))
    return nc.error() << "requires a float input";
  FailureOr<NormalizedAxes> normalized = getNormalizedAxes(nc, type);
  if (failed(normalized))
    return failure();
  double eps = nc.getFloat("epsilon", 1e-5f);
  ArrayRef<int64_t> axes = normalized->axes;
  int64_t count = normalized->count;
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  Value x = nc.input(0);
  auto sumAxes = [&](Value v) {
    return reduce(b, loc, v, axes, numberAttr(b, et, 0), true,
                  [](OpBuilder &nb, Location l, Value in, Value acc) {
                    return Value(arith::AddFOp::create(nb, l, in, acc));
                  });
  };
  auto invCount = [&](OpBuilder &nb, Location l) {
    return scalarConstant(nb, l, et, 1.0 / double(count));
  };
  Value mean = sumAxes(x);
  Value centered = buildElementwise(
      b, loc, ValueRange{x, mean}, type,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::SubFOp::create(
            nb, l, a[0], arith::MulFOp::create(nb, l, a[1], invCount(nb, l)));
      });
  Value sq = buildElementwise(
      b, loc, centered, type, [](OpBuilder &nb, Location l, ValueRange a) {
        return Value(arith::MulFOp::create(nb, l, a[0], a[0]));
      });
  Value var = sumAxes(sq);
  SmallVector<Value> inputs = {centered, var};
  bool hasScale = nc.hasInput(1), hasBias = nc.hasInput(2);
  if (hasScale)
    inputs.push_back(nc.input(1));
  if (hasBias)
    inputs.push_back(nc.input(2));
  FailureOr<Value> out = broadcastElementwise(
      nc, inputs, et, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value v = arith::AddFOp::create(
            nb, l, arith::MulFOp::create(nb, l, a[1], invCount(nb, l)),
            scalarConstant(nb, l, et, eps));
        Value y =
            arith::MulFOp::create(nb, l, a[0], math::RsqrtOp::create(nb, l, v));
        unsigned next = 2;
        if (hasScale)
          y = arith::MulFOp::create(nb, l, y, a[next++]);
        if (hasBias)
          y = arith::AddFOp::create(nb, l, y, a[next++]);
        return y;
      });
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  // Optional outputs: the mean and 1/sqrt(var + eps), reduced dims kept.
  auto statsType = cast<RankedTensorType>(mean.getType());
  if (nc.node.output_size() > 1 && !nc.node.output(1).empty())
    nc.setOutput(1, buildElementwise(
                        b, loc, mean, statsType,
                        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                          return arith::MulFOp::create(nb, l, a[0],
                                                       invCount(nb, l));
                        }));
  if (nc.node.output_size() > 2 && !nc.node.output(2).empty())
    nc.setOutput(
        2, buildElementwise(
               b, loc, var, statsType,
               [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                 Value v = arith::AddFOp::create(
                     nb, l, arith::MulFOp::create(nb, l, a[0], invCount(nb, l)),
                     scalarConstant(nb, l, et, eps));
                 return math::RsqrtOp::create(nb, l, v);
               }));
  return success();
}

LogicalResult importBatchNorm(NodeContext &nc) {
  auto type = nc.inputType(0);
  Type et = type.getElementType();
  if (!isFloat(et) || type.getRank() < 2)
    return nc.error() << "requires a float input of rank >= 2";
  bool training = nc.getInt("training_mode", 0) != 0;
  double eps = nc.getFloat("epsilon", 1e-5f);
  // Parameters [C] broadcast along dim 1: reshape to [C, 1, ...].
  SmallVector<int64_t> paramShape(type.getRank() - 1, 1);
  int64_t channels = type.getDimSize(1);
  paramShape[0] = channels;
  SmallVector<Value> inputs = {nc.input(0)};
  for (unsigned i = 1; i <= 4; ++i) {
    if (nc.inputType(i).getNumElements() != channels)
      return nc.error() << "parameter " << i << " must have " << channels
                        << " elements";
    inputs.push_back(reshapeTo(nc.b, nc.loc, nc.input(i), paramShape));
  }
  if (training) {
    // Training mode normalizes with the batch's own mean and (population)
    // variance over every axis but the channels, and also returns the
    // running statistics updated with `momentum`.
    SmallVector<int64_t> axes = {0};
    for (int64_t d = 2; d < type.getRank(); ++d)
      axes.push_back(d);
    double count = double(type.getNumElements()) / double(channels);
    auto meanOver = [&](Value v) {
      Value sum = reduce(nc.b, nc.loc, v, axes, nc.b.getFloatAttr(et, 0.0),
                         /*keepDims=*/false,
                         [](OpBuilder &rb, Location l, Value in, Value acc) {
                           return Value(arith::AddFOp::create(rb, l, in, acc));
                         });
      return buildElementwise(
          nc.b, nc.loc, {sum}, cast<RankedTensorType>(sum.getType()),
          [&](OpBuilder &eb, Location l, ValueRange a) -> Value {
            return arith::DivFOp::create(eb, l, a[0],
                                         scalarConstant(eb, l, et, count));
          });
    };
    Value mean = reshapeTo(nc.b, nc.loc, meanOver(nc.input(0)), paramShape);
    Value squares =
        buildElementwise(nc.b, nc.loc, {nc.input(0), mean}, type,
                         [](OpBuilder &eb, Location l, ValueRange a) -> Value {
                           Value d = arith::SubFOp::create(eb, l, a[0], a[1]);
                           return arith::MulFOp::create(eb, l, d, d);
                         });
    Value var = reshapeTo(nc.b, nc.loc, meanOver(squares), paramShape);
    double momentum = nc.getFloat("momentum", 0.9f);
    auto running = [&](Value old, Value batch) {
      return reshapeTo(
          nc.b, nc.loc,
          buildElementwise(
              nc.b, nc.loc, {old, batch},
              cast<RankedTensorType>(batch.getType()),
              [&](OpBuilder &eb, Location l, ValueRange a) -> Value {
                Value kept = arith::MulFOp::create(
                    eb, l, a[0], scalarConstant(eb, l, et, momentum));
                Value added = arith::MulFOp::create(
                    eb, l, a[1], scalarConstant(eb, l, et, 1.0 - momentum));
                return arith::AddFOp::create(eb, l, kept, added);
              }),
          nc.inputType(3).getShape());
    };
    if (nc.node.output_size() > 1 && !nc.node.output(1).empty())
      nc.setOutput(1, running(inputs[3], mean));
    if (nc.node.output_size() > 2 && !nc.node.output(2).empty())
      nc.setOutput(2, running(inputs[4], var));
    inputs[3] = mean;
    inputs[4] = var;
  }
  Value out = buildElementwise(
      nc.b, nc.loc, inputs, type,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        // (x - mean) * scale / sqrt(var + eps) + bias
        Value inv = math::RsqrtOp::create(
            nb, l,
            arith::AddFOp::create(nb, l, a[4], scalarConstant(nb, l, et, eps)));
        Value y = arith::MulFOp::create(
            nb, l, arith::SubFOp::create(nb, l, a[0], a[3]),
            arith::MulFOp::create(nb, l, a[1], inv));
        return arith::AddFOp::create(nb, l, y, a[2]);
      });
  nc.setOutput(0, out);
  return success();
}

} // namespace

void mlir::qc::addNormalizationOps(OpTable &table) {
  table["Softmax"] = importSoftmax<false>;
  table["LogSoftmax"] = importSoftmax<true>;
  table["LayerNormalization"] = importLayerNorm;
  table["BatchNormalization"] = importBatchNorm;
}
