//===- AWQPass.cpp - The qc-awq pass --------------------------------------===//
//
// Reads each layer's activation statistics, runs the published scale and
// clip searches (lib/Quant/AWQSearch.cpp, Eigen) and folds 1/s where the AWQ
// recipe does: into the normalization before q/k/v and gate/up (its weight,
// and bias if any) and into up_proj's rows before down_proj. Where nothing
// can absorb it exactly (GELU -> fc2, v -> o under grouped-query attention)
// the quantized weight keeps 1/s as explicit column scales.
//
//===----------------------------------------------------------------------===//

#include "passes/Quantization/Passes.h"

#include "lib/Quant/AWQSearch.h"
#include "lib/Support/LayerQuantization.h"

#include "lib/Support/WeightConstants.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::qc {
#define GEN_PASS_DEF_AWQPASS
#include "passes/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

/// The operand of `generic` feeding block argument `arg` if it is a 1-D f32
/// constant of `k` values read along the last loop dimension, else null.
OpOperand *perChannelConstant(linalg::GenericOp generic, Value arg, int64_t k) {
  auto blockArg = dyn_cast<BlockArgument>(arg);
  if (!blockArg || blockArg.getOwner() != generic.getBody() ||
      blockArg.getArgNumber() >= unsigned(generic.getNumDpsInputs()) ||
      !blockArg.hasOneUse())
    return nullptr;
  OpOperand *operand = generic.getDpsInputOperand(blockArg.getArgNumber());
  auto type = dyn_cast<RankedTensorType>(operand->get().getType());
  AffineMap map = generic.getMatchingIndexingMap(operand);
  if (!type || type.getRank() != 1 || type.getDimSize(0) != k ||
      map.getNumResults() != 1 ||
      map.getResult(0) !=
          getAffineDimExpr(map.getNumDims() - 1, generic.getContext()) ||
      failed(readF32Constant(operand->get())))
    return nullptr;
  return operand;
}

/// Whether only `layers` read `input`.
bool onlyReadBy(Value input, ArrayRef<Operation *> layers) {
  return llvm::all_of(input.getUsers(), [&](Operation *user) {
    return llvm::is_contained(layers, user);
  });
}

/// Multiplies each element of `constant` along its last dimension by `m`.
Value scaledConstant(OpBuilder &b, Value constant, ArrayRef<float> m,
                     int64_t stride = 1) {
  std::vector<float> values = *readFloatConstant(constant);
  int64_t k = m.size();
  for (size_t i = 0; i < values.size(); ++i)
    values[i] *= m[(i / stride) % k];
  return createFloatConstant(b, constant.getLoc(),
                             cast<RankedTensorType>(constant.getType()), values,
                             "awq.folded");
}

/// Folds per-input-channel multipliers into the op producing the layers'
/// input when it ends in `y = t * scale[k] (+ bias[k])` -- a LayerNorm's or
/// RMSNorm's affine part, as imported -- with constant scale and bias, and
/// nothing else reads its result: then y' = y * m exactly, and the layers
/// need no column scales.
bool foldIntoNormalization(Value input, ArrayRef<Operation *> layers,
                           ArrayRef<float> multipliers) {
  auto generic = input.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic->getNumResults() != 1 ||
      generic.getNumReductionLoops() != 0 || !onlyReadBy(input, layers))
    return false;
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  int64_t k = multipliers.size();
  Value product = yield.getOperand(0);
  OpOperand *bias = nullptr;
  if (auto add = product.getDefiningOp<arith::AddFOp>()) {
    if (!add->hasOneUse())
      return false;
    for (unsigned i = 0; i < 2 && !bias; ++i)
      if ((bias = perChannelConstant(generic, add->getOperand(i), k)))
        product = add->getOperand(1 - i);
    if (!bias)
      return false;
  }
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul || !mul->hasOneUse() || mul->getBlock() != generic.getBody())
    return false;
  for (unsigned j = 0; j < 2; ++j) {
    OpOperand *scale = perChannelConstant(generic, mul->getOperand(j), k);
    if (!scale)
      continue;
    OpBuilder b(generic);
    scale->set(scaledConstant(b, scale->get(), multipliers));
    if (bias)
      bias->set(scaledConstant(b, bias->get(), multipliers));
    return true;
  }
  return false;
}

/// Folds the multipliers into a linear layer computing one factor of an
/// element-wise product `input = a * u` (SwiGLU's silu(gate) * up): u's
/// rows -- its float weight, or its quantized rows' scales -- and bias are
/// multiplied, so (a * u) * m = a * (u * m) exactly. This is the AWQ
/// recipe's up_proj -> down_proj scale.
bool foldIntoProductFactor(Value input, ArrayRef<Operation *> layers,
                           ArrayRef<float> multipliers) {
  auto generic = input.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumDpsInputs() != 2 ||
      generic->getNumResults() != 1 || generic.getNumReductionLoops() != 0 ||
      !onlyReadBy(input, layers) ||
      !llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isIdentity(); }))
    return false;
  Block *body = generic.getBody();
  auto mul =
      body->getTerminator()->getOperand(0).getDefiningOp<arith::MulFOp>();
  if (!mul || mul->getBlock() != body ||
      !llvm::all_of(mul->getOperands(),
                    [&](Value v) {
                      auto arg = dyn_cast<BlockArgument>(v);
                      return arg && arg.getOwner() == body &&
                             arg.getArgNumber() <
                                 unsigned(generic.getNumDpsInputs());
                    }) ||
      mul.getLhs() == mul.getRhs())
    return false;
  int64_t k = multipliers.size();
  for (Value factor : generic.getDpsInputs()) {
    auto linear = factor.getDefiningOp<LinearOp>();
    if (!linear || !factor.hasOneUse() ||
        getWeightShape(linear.getWeight().getType())[0] != k)
      continue;
    OpBuilder b(linear);
    Value weight = linear.getWeight();
    if (auto q = weight.getDefiningOp<QuantizedWeightOp>()) {
      // Scales are [rows, groups]: a row's multiplier scales all its groups.
      int64_t groups = q.getScales().getType().getDimSize(1);
      Value old = q.getScales();
      b.setInsertionPoint(q);
      q.getScalesMutable().assign(scaledConstant(b, old, multipliers, groups));
      if (old.use_empty())
        old.getDefiningOp()->erase();
    } else if (succeeded(readF32Constant(weight)) && weight.hasOneUse()) {
      int64_t rowLength =
          cast<RankedTensorType>(weight.getType()).getNumElements() / k;
      linear.getWeightMutable().assign(
          scaledConstant(b, weight, multipliers, rowLength));
    } else {
      continue;
    }
    if (Value bias = linear.getBias())
      linear.getBiasMutable().assign(scaledConstant(b, bias, multipliers));
    return true;
  }
  return false;
}

/// Folds 1/s into whatever produces the layers' input, where it can be
/// done exactly; else the layers keep explicit column scales.
bool foldIntoProducer(Value input, ArrayRef<Operation *> layers,
                      ArrayRef<float> multipliers) {
  return foldIntoNormalization(input, layers, multipliers) ||
         foldIntoProductFactor(input, layers, multipliers);
}

struct AWQPass final : mlir::qc::impl::AWQPassBase<AWQPass> {
  using Base::Base;

  LogicalResult quantizeGroup(std::vector<LayerToQuantize *> &group,
                              const WeightPassOptions &options) {
    LayerToQuantize &first = *group.front();
    int64_t k = first.rowLength();
    FailureOr<std::vector<float>> meanAbs =
        readStatsAttr(first.layer, kMeanAbsAttr, {k});
    auto samplesAttr = first.layer->getAttrOfType<ElementsAttr>(kSamplesAttr);
    int64_t tokens =
        samplesAttr ? cast<ShapedType>(samplesAttr.getType()).getDimSize(0) : 0;
    FailureOr<std::vector<float>> samples =
        readStatsAttr(first.layer, kSamplesAttr, {tokens, k});
    if (failed(meanAbs) || failed(samples) || tokens == 0) {
      if (!requireStatistics)
        return success();
      return first.layer->emitError()
             << "qc-awq: layer '" << first.name
             << "' has no activation statistics (attributes " << kMeanAbsAttr
             << " : tensor<" << k << "xf32> and " << kSamplesAttr
             << " : tensor<Tx" << k << "xf32>)";
    }
    // The group's weights stacked row-wise: one search for all outputs.
    std::vector<float> weights;
    int64_t rows = 0;
    for (LayerToQuantize *layer : group) {
      llvm::append_range(weights, layer->weights);
      rows += layer->rows();
    }
    AWQOptions awq;
    awq.spec = first.spec;
    awq.spec.rangeIncludesZero = false; // The AWQ authors' quantizer.
    awq.nGrid = grid;
    awq.searchScale = searchScale;
    awq.searchClip = searchClip;
    awq.maxShrink = maxShrink;
    AWQResult result;
    std::string error;
    if (!runAWQ(weights.data(), rows, k, samples->data(), tokens,
                meanAbs->data(), awq, result, &error))
      return first.layer->emitError()
             << "qc-awq: layer '" << first.name << "': " << error;
    std::vector<float> multipliers;
    bool identity = true;
    for (float s : result.columnScales) {
      multipliers.push_back(1.0f / s);
      identity &= s == 1.0f;
    }
    // Where the producer of the input can absorb 1/s, fold it there.
    SmallVector<Operation *> ops;
    for (LayerToQuantize *layer : group)
      ops.push_back(layer->layer);
    bool folded =
        !identity && foldScales &&
        foldIntoProducer(first.layer->getOperand(0), ops, multipliers);
    int64_t numGroups = awq.spec.numGroups(k), row = 0;
    for (LayerToQuantize *layer : group) {
      // This layer's rows of the group's codes and parameters.
      int64_t n = layer->rows();
      QuantizedMatrix q;
      q.codes.assign(result.q.codes.begin() + row * k,
                     result.q.codes.begin() + (row + n) * k);
      q.scales.assign(result.q.scales.begin() + row * numGroups,
                      result.q.scales.begin() + (row + n) * numGroups);
      q.zeroPoints.assign(result.q.zeroPoints.begin() + row * numGroups,
                          result.q.zeroPoints.begin() + (row + n) * numGroups);
      row += n;
      layer->spec = awq.spec;
      replaceWeight(*layer, q, options,
                    identity || folded ? ArrayRef<float>()
                                       : ArrayRef<float>(multipliers));
      Operation *qw = layer->layer.getWeightOperand().get().getDefiningOp();
      Builder attrs(qw->getContext());
      qw->setAttr(kAWQAlphaAttr, attrs.getF64FloatAttr(result.alpha));
      if (folded)
        qw->setAttr(kAWQScalesFoldedAttr, attrs.getUnitAttr());
    }
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    FailureOr<WeightPassOptions> options = parseWeightPassOptions(
        func, "qc-awq", bits, groupSize, symmetric, scaleType, exclude);
    if (failed(options))
      return signalPassFailure();
    if (grid < 1 || maxShrink < 0 || maxShrink >= 1) {
      func.emitError("qc-awq: grid must be >= 1 and max-shrink in [0, 1)");
      return signalPassFailure();
    }
    // Without required statistics only the layers that have them (this
    // sequential stage's) are read.
    FailureOr<std::vector<LayerToQuantize>> layers =
        collectLayers(func, "qc-awq", *options, [&](QuantizableLayer layer) {
          return requireStatistics || layer->hasAttr(kMeanAbsAttr);
        });
    if (failed(layers))
      return signalPassFailure();
    // Layers reading the same input (q/k/v projections, up/gate) form one
    // group: their scales are searched together, minimizing the error of
    // all their outputs, as the published algorithm does.
    std::vector<std::vector<LayerToQuantize *>> groups;
    for (LayerToQuantize &layer : *layers) {
      auto same = [&](const std::vector<LayerToQuantize *> &g) {
        const LayerToQuantize &first = *g.front();
        return first.layer->getOperand(0) == layer.layer->getOperand(0) &&
               first.rowLength() == layer.rowLength() &&
               first.spec.bits == layer.spec.bits &&
               first.spec.groupSize == layer.spec.groupSize &&
               first.spec.symmetric == layer.spec.symmetric;
      };
      auto it = llvm::find_if(groups, same);
      if (it != groups.end())
        it->push_back(&layer);
      else
        groups.push_back({&layer});
    }
    for (std::vector<LayerToQuantize *> &group : groups)
      if (failed(quantizeGroup(group, *options)))
        return signalPassFailure();
    removeStatsAttrs(func);
  }
};

} // namespace
