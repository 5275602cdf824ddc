//===- LayerQuantization.cpp - What every weight pass shares --------------===//

#include "lib/Support/LayerQuantization.h"

#include "lib/Support/WeightConstants.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Regex.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;

Type mlir::qc::getScaleElementType(MLIRContext *ctx, ScaleType type) {
  switch (type) {
  case ScaleType::F32:
    return Float32Type::get(ctx);
  case ScaleType::F16:
    return Float16Type::get(ctx);
  case ScaleType::BF16:
    return BFloat16Type::get(ctx);
  }
  llvm_unreachable("unknown scale type");
}

FailureOr<WeightPassOptions> mlir::qc::parseWeightPassOptions(
    Operation *anchor, StringRef passName, unsigned bits, int64_t groupSize,
    bool symmetric, StringRef scaleType, StringRef exclude) {
  MLIRContext *ctx = anchor->getContext();
  WeightPassOptions options;
  if (bits < 2 || bits > 8)
    return anchor->emitError()
           << passName << ": bits must be in [2, 8], got " << bits;
  if (groupSize < 0)
    return anchor->emitError()
           << passName << ": group-size must be >= 0, got " << groupSize;
  if (scaleType == "f32") {
    options.spec.scaleType = ScaleType::F32;
  } else if (scaleType == "f16") {
    options.spec.scaleType = ScaleType::F16;
  } else if (scaleType == "bf16") {
    options.spec.scaleType = ScaleType::BF16;
  } else {
    return anchor->emitError()
           << passName << ": scale-type must be f32, f16 or bf16, got '"
           << scaleType << "'";
  }
  llvm::Regex re(exclude);
  std::string reError;
  if (!exclude.empty() && !re.isValid(reError))
    return anchor->emitError() << passName << ": invalid exclude regex '"
                               << exclude << "': " << reError;
  options.scaleType = getScaleElementType(ctx, options.spec.scaleType);
  options.spec.bits = bits;
  options.spec.groupSize = groupSize;
  options.spec.symmetric = symmetric;
  options.exclude = exclude.str();
  return options;
}

/// Whether every group of `l` gets a scale f16 holds: at most 65504, and,
/// for groups that are not all zero, at least 2^-20 (16 steps of f16's
/// smallest subnormal, so the scale keeps ~4 significant bits).
static bool fitsF16Scales(const LayerToQuantize &l) {
  int64_t rowLength = l.rowLength();
  int64_t groupLength = l.spec.groupLength(rowLength);
  float maxCode = float(l.spec.maxCode());
  for (int64_t r = 0; r < l.rows(); ++r)
    for (int64_t begin = 0; begin < rowLength; begin += groupLength) {
      const float *group = l.weights.data() + r * rowLength + begin;
      int64_t count = std::min(groupLength, rowLength - begin);
      float lo = 0, hi = 0;
      for (int64_t i = 0; i < count; ++i) {
        lo = std::min(lo, group[i]);
        hi = std::max(hi, group[i]);
      }
      float scale = (hi - lo) / maxCode;
      if (scale > 65504.0f / 2 || (scale > 0 && scale < 0x1p-20f))
        return false;
    }
  return true;
}

/// Reads `layer` for quantization: nullopt when it stays float (with its
/// reason recorded), failure (with an error) on a non-finite weight.
static FailureOr<std::optional<LayerToQuantize>>
readLayer(QuantizableLayer layer, StringRef passName,
          const WeightPassOptions &options, llvm::Regex &excludeRe,
          function_ref<bool(QuantizableLayer)> wanted) {
  Value weight = layer.getWeightOperand().get();
  auto weightType = dyn_cast<RankedTensorType>(weight.getType());
  if (!weightType)
    return std::optional<LayerToQuantize>(); // Already quantized.
  std::string name = getLayerName(layer->getLoc());
  Builder attrs(layer->getContext());
  if (!options.exclude.empty() && excludeRe.match(name)) {
    layer->setAttr(kFloatReasonAttr,
                   attrs.getStringAttr("excluded by --exclude"));
    return std::optional<LayerToQuantize>();
  }
  QuantSpec spec = options.spec;
  if (auto bits = layer->getAttrOfType<IntegerAttr>(kLayerBitsAttr)) {
    if (bits.getInt() >= 16) {
      layer->setAttr(kFloatReasonAttr,
                     attrs.getStringAttr("kept in float by the precision "
                                         "plan"));
      return std::optional<LayerToQuantize>();
    }
    spec.bits = bits.getInt();
  }
  if (auto group = layer->getAttrOfType<IntegerAttr>(kLayerGroupSizeAttr))
    spec.groupSize = group.getInt();
  if (wanted && !wanted(layer))
    return std::optional<LayerToQuantize>();
  FailureOr<std::vector<float>> weights = readF32Constant(weight);
  if (failed(weights)) {
    layer->setAttr(kFloatReasonAttr,
                   attrs.getStringAttr("weight is not a compile-time "
                                       "constant"));
    return std::optional<LayerToQuantize>();
  }
  // Every method would turn one NaN or inf into a whole row (or group)
  // of NaN outputs: refuse it here, for all of them.
  auto bad = llvm::find_if(*weights, [](float w) { return !std::isfinite(w); });
  if (bad != weights->end()) {
    int64_t at = bad - weights->begin(), k = weightType.getShape().back();
    layer->emitError(passName)
        << ": weight of layer '" << name << "' has a non-finite value (" << *bad
        << ") at [" << at / k << ", " << at % k
        << "]; it cannot be quantized (exclude the layer with --exclude to "
           "keep it in float)";
    return failure();
  }
  LayerToQuantize l{layer, name, weightType, std::move(*weights), spec};
  // A group as long as the row is per-channel quantization.
  if (l.spec.groupSize >= l.rowLength())
    l.spec.groupSize = 0;
  // Scales f16 cannot hold (weights of magnitude ~1e7, or groups of
  // weights ~1e-9) would make the layer compute inf/NaN or zeros: such a
  // layer quantizes with f32 scales instead (its report entry says so).
  if (l.spec.scaleType == ScaleType::F16 && !fitsF16Scales(l)) {
    layer->emitWarning()
        << "scales of layer '" << name
        << "' do not fit f16 (weights too large or too small): the layer "
           "uses f32 scales";
    l.spec.scaleType = ScaleType::F32;
  }
  return std::optional<LayerToQuantize>(std::move(l));
}

LogicalResult
mlir::qc::forEachLayer(func::FuncOp func, StringRef passName,
                       const WeightPassOptions &options,
                       function_ref<LogicalResult(LayerToQuantize &)> fn,
                       function_ref<bool(QuantizableLayer)> wanted) {
  llvm::Regex excludeRe(options.exclude);
  SmallVector<QuantizableLayer> all;
  func.walk([&](QuantizableLayer layer) { all.push_back(layer); });
  for (QuantizableLayer layer : all) {
    FailureOr<std::optional<LayerToQuantize>> l =
        readLayer(layer, passName, options, excludeRe, wanted);
    if (failed(l) || (*l && failed(fn(**l))))
      return failure();
  }
  return success();
}

FailureOr<std::vector<LayerToQuantize>>
mlir::qc::collectLayers(func::FuncOp func, StringRef passName,
                        const WeightPassOptions &options,
                        function_ref<bool(QuantizableLayer)> wanted) {
  std::vector<LayerToQuantize> layers;
  if (failed(forEachLayer(
          func, passName, options,
          [&](LayerToQuantize &l) {
            layers.push_back(std::move(l));
            return success();
          },
          wanted)))
    return failure();
  return layers;
}

/// Raw bytes of `scales` stored as `type`.
static std::vector<char> encodeScales(const std::vector<float> &scales,
                                      ScaleType type) {
  std::vector<char> bytes;
  for (float s : scales) {
    if (type == ScaleType::F32) {
      const char *p = reinterpret_cast<const char *>(&s);
      bytes.insert(bytes.end(), p, p + 4);
      continue;
    }
    llvm::APFloat f(s);
    bool losesInfo;
    f.convert(type == ScaleType::F16 ? llvm::APFloat::IEEEhalf()
                                     : llvm::APFloat::BFloat(),
              llvm::APFloat::rmNearestTiesToEven, &losesInfo);
    uint16_t bits = uint16_t(f.bitcastToAPInt().getZExtValue());
    bytes.push_back(char(bits & 0xff));
    bytes.push_back(char(bits >> 8));
  }
  return bytes;
}

/// Relative Frobenius error of the dequantized weights.
static double relativeError(const std::vector<float> &w,
                            const QuantizedMatrix &q, int64_t rowLength,
                            const QuantSpec &spec, ArrayRef<float> columnScales,
                            ArrayRef<int32_t> groupIndex) {
  int64_t groupLength = spec.groupLength(rowLength);
  int64_t numGroups = spec.numGroups(rowLength);
  double err = 0, norm = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    int64_t row = i / rowLength, col = i % rowLength,
            group = groupIndex.empty() ? col / groupLength : groupIndex[col];
    GroupParams p{q.scales[row * numGroups + group],
                  q.zeroPoints[row * numGroups + group]};
    double v = dequantizeValue(q.codes[i], p);
    if (!columnScales.empty())
      v *= columnScales[col];
    double d = double(w[i]) - v;
    err += d * d;
    norm += double(w[i]) * w[i];
  }
  return norm > 0 ? std::sqrt(err / norm) : std::sqrt(err);
}

void mlir::qc::replaceWeight(LayerToQuantize &l, const QuantizedMatrix &q,
                             const WeightPassOptions &options,
                             ArrayRef<float> columnScales,
                             ArrayRef<int32_t> groupIndex) {
  MLIRContext *ctx = l.layer->getContext();
  const QuantSpec &spec = l.spec;
  int64_t rows = l.rows(), rowLength = l.rowLength();
  // The layer's own scale type: collectLayers may have widened it.
  auto layout = LayoutAttr::get(ctx, spec.bits, spec.groupSize, spec.symmetric,
                                getScaleElementType(ctx, spec.scaleType));
  auto qtype = QWeightType::get(ctx, l.weightType.getShape(), layout);

  OpOperand &weightOperand = l.layer.getWeightOperand();
  OpBuilder b(l.layer);
  Location loc = weightOperand.get().getLoc();
  std::string prefix = l.name.empty() ? "weight" : l.name;
  std::vector<uint8_t> packed = packCodes(q.codes, rows, rowLength, spec.bits);
  Value packedValue = createConstant(
      b, loc, layout.getPackedType(qtype.getShape()),
      ArrayRef<char>(reinterpret_cast<const char *>(packed.data()),
                     packed.size()),
      prefix + ".codes");
  std::vector<char> scaleBytes = encodeScales(q.scales, spec.scaleType);
  Value scales = createConstant(b, loc, layout.getScalesType(qtype.getShape()),
                                scaleBytes, prefix + ".scales");
  Value zeroPoints;
  if (!spec.symmetric)
    zeroPoints = createConstant(
        b, loc, layout.getZeroPointsType(qtype.getShape()),
        ArrayRef<char>(reinterpret_cast<const char *>(q.zeroPoints.data()),
                       q.zeroPoints.size()),
        prefix + ".zero_points");
  Value columns;
  if (!columnScales.empty())
    columns = createConstant(
        b, loc, RankedTensorType::get({rowLength}, b.getF32Type()),
        ArrayRef<char>(reinterpret_cast<const char *>(columnScales.data()),
                       columnScales.size() * sizeof(float)),
        prefix + ".column_scales");
  Value groups;
  if (!groupIndex.empty())
    groups = createConstant(
        b, loc, RankedTensorType::get({rowLength}, b.getI32Type()),
        ArrayRef<char>(reinterpret_cast<const char *>(groupIndex.data()),
                       groupIndex.size() * sizeof(int32_t)),
        prefix + ".group_index");
  auto qweight = QuantizedWeightOp::create(b, loc, qtype, packedValue, scales,
                                           zeroPoints, columns, groups);
  qweight->setAttr(kRelErrorAttr, b.getF32FloatAttr(relativeError(
                                      l.weights, q, rowLength, spec,
                                      columnScales, groupIndex)));
  Value old = weightOperand.get();
  weightOperand.set(qweight);
  if (old.use_empty())
    if (Operation *def = old.getDefiningOp())
      def->erase();
}

FailureOr<std::vector<float>>
mlir::qc::readStatsAttr(Operation *op, StringRef name,
                        ArrayRef<int64_t> expectedShape) {
  Attribute attr = op->getAttr(name);
  auto elements = dyn_cast_or_null<ElementsAttr>(attr);
  if (!elements)
    return failure();
  auto type = cast<ShapedType>(elements.getType());
  if (type.getShape() != expectedShape || !type.getElementType().isF32())
    return failure();
  return readF32Elements(attr);
}

void mlir::qc::removeStatsAttrs(Operation *root) {
  root->walk([](Operation *op) {
    op->removeAttr(kHessianAttr);
    op->removeAttr(kMeanAbsAttr);
    op->removeAttr(kSamplesAttr);
  });
}
