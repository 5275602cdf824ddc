//===- RTN.cpp - Round-to-nearest weight quantization ---------------------===//
//
// The baseline every other weight pass is measured against: per-group
// min/max parameters and nearest codes, no calibration data needed.
//
//===----------------------------------------------------------------------===//

#include "passes/Quantization/Passes.h"

#include "lib/Support/WeightConstants.h"
#include "lib/Support/WeightQuantizer.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Regex.h"

#include <cmath>

namespace mlir::qc {
#define GEN_PASS_DEF_RTNPASS
#include "passes/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

/// Scale element type `name` as an MLIR type and as a quantizer enum.
std::optional<std::pair<Type, ScaleType>> parseScaleType(MLIRContext *ctx,
                                                         StringRef name) {
  if (name == "f32")
    return std::make_pair(Type(Float32Type::get(ctx)), ScaleType::F32);
  if (name == "f16")
    return std::make_pair(Type(Float16Type::get(ctx)), ScaleType::F16);
  if (name == "bf16")
    return std::make_pair(Type(BFloat16Type::get(ctx)), ScaleType::BF16);
  return std::nullopt;
}

/// Raw bytes of `scales` stored as `type`.
std::vector<char> encodeScales(const std::vector<float> &scales,
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
double relativeError(const std::vector<float> &w, const QuantizedMatrix &q,
                     int64_t rowLength, const QuantSpec &spec) {
  int64_t groupLength = spec.groupLength(rowLength);
  int64_t numGroups = spec.numGroups(rowLength);
  double err = 0, norm = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    int64_t row = i / rowLength, group = (i % rowLength) / groupLength;
    GroupParams p{q.scales[row * numGroups + group],
                  q.zeroPoints[row * numGroups + group]};
    double d = double(w[i]) - dequantizeValue(q.codes[i], p);
    err += d * d;
    norm += double(w[i]) * w[i];
  }
  return norm > 0 ? std::sqrt(err / norm) : std::sqrt(err);
}

struct RTNPass final : mlir::qc::impl::RTNPassBase<RTNPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    if (bits < 2 || bits > 8) {
      func.emitError("qc-rtn: bits must be in [2, 8], got ") << unsigned(bits);
      return signalPassFailure();
    }
    if (groupSize < 0) {
      func.emitError("qc-rtn: group-size must be >= 0, got ")
          << int64_t(groupSize);
      return signalPassFailure();
    }
    auto scale = parseScaleType(ctx, scaleType);
    if (!scale) {
      func.emitError("qc-rtn: scale-type must be f32, f16 or bf16, got '")
          << scaleType << "'";
      return signalPassFailure();
    }
    llvm::Regex excludeRe(exclude);
    std::string reError;
    if (!exclude.empty() && !excludeRe.isValid(reError)) {
      func.emitError("qc-rtn: invalid exclude regex '")
          << exclude << "': " << reError;
      return signalPassFailure();
    }

    WalkResult result = func.walk([&](QuantizableLayer layer) {
      OpOperand &weightOperand = layer.getWeightOperand();
      auto weightType =
          dyn_cast<RankedTensorType>(weightOperand.get().getType());
      if (!weightType)
        return WalkResult::advance(); // Already quantized.
      std::string name = getLayerName(layer->getLoc());
      if (!exclude.empty() && excludeRe.match(name))
        return WalkResult::advance();
      FailureOr<std::vector<float>> weights =
          readF32Constant(weightOperand.get());
      if (failed(weights)) {
        layer->emitError("qc-rtn: weight is not a constant f32 tensor");
        return WalkResult::interrupt();
      }
      quantizeLayer(layer, weightOperand, weightType, *weights, name, *scale);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  void quantizeLayer(QuantizableLayer layer, OpOperand &weightOperand,
                     RankedTensorType weightType,
                     const std::vector<float> &weights, StringRef name,
                     std::pair<Type, ScaleType> scale) {
    MLIRContext *ctx = &getContext();
    int64_t rows = weightType.getDimSize(0);
    int64_t rowLength = weightType.getNumElements() / rows;
    QuantSpec spec;
    spec.bits = bits;
    // A group as long as the row is per-channel quantization.
    spec.groupSize = groupSize >= rowLength ? 0 : int64_t(groupSize);
    spec.symmetric = symmetric;
    spec.scaleType = scale.second;

    QuantizedMatrix q = quantizeRTN(weights.data(), rows, rowLength, spec);
    auto layout =
        LayoutAttr::get(ctx, bits, spec.groupSize, symmetric, scale.first);
    auto qtype = QWeightType::get(ctx, weightType.getShape(), layout);

    OpBuilder b(layer);
    Location loc = weightOperand.get().getLoc();
    std::string prefix = name.empty() ? "weight" : name.str();
    std::vector<uint8_t> packed = packCodes(q.codes, rows, rowLength, bits);
    Value packedValue = createConstant(
        b, loc, qtype.getPackedType(),
        ArrayRef<char>(reinterpret_cast<const char *>(packed.data()),
                       packed.size()),
        prefix + ".codes");
    std::vector<char> scaleBytes = encodeScales(q.scales, spec.scaleType);
    Value scales = createConstant(b, loc, qtype.getScalesType(), scaleBytes,
                                  prefix + ".scales");
    Value zeroPoints;
    if (!symmetric)
      zeroPoints = createConstant(
          b, loc, qtype.getZeroPointsType(),
          ArrayRef<char>(reinterpret_cast<const char *>(q.zeroPoints.data()),
                         q.zeroPoints.size()),
          prefix + ".zero_points");
    auto qweight = QuantizedWeightOp::create(b, loc, qtype, packedValue, scales,
                                             zeroPoints);
    qweight->setAttr("qc.rel_error", b.getF32FloatAttr(relativeError(
                                         weights, q, rowLength, spec)));

    Value old = weightOperand.get();
    weightOperand.set(qweight);
    if (old.use_empty())
      if (Operation *def = old.getDefiningOp())
        def->erase();
  }
};

} // namespace
