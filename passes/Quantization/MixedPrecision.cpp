//===- MixedPrecision.cpp - Per-layer bit widths under a budget -----------===//
//
// Sensitivity is measured, not guessed: every layer is round-to-nearest
// quantized at every candidate width and the output error estimated with
// its calibration Hessian. The widths are then chosen exactly (a knapsack
// over bytes) and recorded as qc.bits for the quantization pass that runs
// next.
//
//===----------------------------------------------------------------------===//

#include "passes/Quantization/Passes.h"

#include "lib/Quant/OutputError.h"
#include "lib/Support/LayerQuantization.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <limits>

namespace mlir::qc {
#define GEN_PASS_DEF_MIXEDPRECISIONPASS
#include "passes/Quantization/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

/// One way to store a layer: its width, bytes and estimated output error.
struct Choice {
  unsigned bits;
  int64_t cost; ///< Storage bytes, or code bits under avg-bits.
  double error;
};

/// Storage bytes of a [rows, rowLength] weight at `spec`: what its layout
/// stores (codes, scales, zero points).
int64_t storageBytes(int64_t rows, int64_t rowLength, const QuantSpec &spec,
                     Type scaleType) {
  return LayoutAttr::get(scaleType.getContext(), spec.bits, spec.groupSize,
                         spec.symmetric, scaleType)
      .getStorageBytes({rows, rowLength});
}

struct MixedPrecisionPass final
    : mlir::qc::impl::MixedPrecisionPassBase<MixedPrecisionPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if ((avgBits > 0) == (maxWeightBytes > 0)) {
      func.emitError("qc-mixed-precision: give exactly one of avg-bits and "
                     "max-weight-bytes");
      return signalPassFailure();
    }
    if (columnBytes < 0) {
      func.emitError("qc-mixed-precision: column-bytes must be >= 0");
      return signalPassFailure();
    }
    SmallVector<unsigned> widths;
    SmallVector<StringRef> parts;
    StringRef(candidates).split(parts, ',', -1, false);
    for (StringRef p : parts) {
      unsigned b;
      if (p.trim().getAsInteger(10, b) || ((b < 2 || b > 8) && b != 32)) {
        func.emitError("qc-mixed-precision: invalid candidate width '")
            << p << "' (2-8, or 32 for float)";
        return signalPassFailure();
      }
      widths.push_back(b);
    }
    if (widths.empty()) {
      func.emitError("qc-mixed-precision: no candidate widths");
      return signalPassFailure();
    }
    FailureOr<WeightPassOptions> options =
        parseWeightPassOptions(func, "qc-mixed-precision", 4, groupSize,
                               symmetric, scaleType, exclude);
    if (failed(options))
      return signalPassFailure();
    llvm::StringMap<unsigned> fixed;
    if (!planFile.empty() && failed(readPlan(func, fixed)))
      return signalPassFailure();
    // The plan is this pass's to make: earlier qc.bits do not constrain it.
    func.walk(
        [](QuantizableLayer layer) { layer->removeAttr(kLayerBitsAttr); });
    FailureOr<std::vector<LayerToQuantize>> layers =
        collectLayers(func, "qc-mixed-precision", *options);
    if (failed(layers))
      return signalPassFailure();
    // A plan naming no layer of this model is a typo, not a no-op.
    for (const auto &entry : fixed)
      if (llvm::none_of(*layers, [&](const LayerToQuantize &l) {
            return l.name == entry.getKey();
          })) {
        func.emitError("qc-mixed-precision: plan '")
            << planFile << "' names '" << entry.getKey()
            << "', which is not a quantizable layer of the model";
        return signalPassFailure();
      }

    // Choices per layer, and the budget.
    std::vector<std::vector<Choice>> choices;
    int64_t totalWeights = 0;
    for (LayerToQuantize &layer : *layers) {
      int64_t rows = layer.rows(), k = layer.rowLength();
      totalWeights += rows * k;
      FailureOr<std::vector<float>> h =
          readStatsAttr(layer.layer, kHessianAttr, {k, k});
      std::vector<Choice> layerChoices;
      auto it = fixed.find(layer.name);
      for (unsigned b : widths) {
        if (it != fixed.end() && it->second != b)
          continue;
        layerChoices.push_back(
            evaluate(layer, b, succeeded(h) ? &*h : nullptr, *options));
      }
      if (it != fixed.end() && layerChoices.empty())
        layerChoices.push_back(evaluate(
            layer, it->second, succeeded(h) ? &*h : nullptr, *options));
      choices.push_back(std::move(layerChoices));
    }
    // avg-bits counts code bits per weight, as "3-bit" and "4-bit" do in
    // the literature (scales and zero points excluded); max-weight-bytes
    // counts every stored byte.
    int64_t budget = maxWeightBytes > 0
                         ? int64_t(maxWeightBytes)
                         : int64_t(avgBits * double(totalWeights));
    FailureOr<std::vector<unsigned>> plan = choose(func, choices, budget);
    if (failed(plan))
      return signalPassFailure();
    OpBuilder b(func);
    for (auto [layer, pick] : llvm::zip(*layers, *plan))
      layer.layer->setAttr(kLayerBitsAttr, b.getI64IntegerAttr(pick));
  }

  Choice evaluate(const LayerToQuantize &layer, unsigned bits,
                  const std::vector<float> *h,
                  const WeightPassOptions &options) {
    int64_t rows = layer.rows(), k = layer.rowLength();
    bool codeBits = maxWeightBytes <= 0;
    if (bits == 32)
      return {32, codeBits ? rows * k * 32 : rows * k * 4, 0.0};
    QuantSpec spec = layer.spec;
    spec.bits = bits;
    QuantizedMatrix q = quantizeRTN(layer.weights.data(), rows, k, spec);
    std::vector<float> wq(rows * k);
    int64_t groupLength = spec.groupLength(k), numGroups = spec.numGroups(k);
    for (int64_t i = 0; i < rows * k; ++i) {
      int64_t g = (i / k) * numGroups + (i % k) / groupLength;
      wq[i] = dequantizeValue(q.codes[i], {q.scales[g], q.zeroPoints[g]});
    }
    return {bits,
            codeBits ? rows * k * int64_t(bits)
                     : storageBytes(rows, k, spec, options.scaleType) +
                           k * columnBytes,
            hessianWeightedError(layer.weights, wq, rows, k, h)};
  }

  /// Minimizes total error under `budget` bytes: a knapsack over bytes
  /// quantized to at most ~20000 units.
  FailureOr<std::vector<unsigned>>
  choose(func::FuncOp func, const std::vector<std::vector<Choice>> &choices,
         int64_t budget) {
    int64_t minimum = 0;
    for (const auto &c : choices) {
      int64_t least = std::numeric_limits<int64_t>::max();
      for (const Choice &x : c)
        least = std::min(least, x.cost);
      minimum += least;
    }
    if (minimum > budget) {
      StringRef unit = maxWeightBytes > 0 ? "bytes" : "code bits";
      func.emitError("qc-mixed-precision: budget of ")
          << budget << " " << unit << " is below the smallest plan (" << minimum
          << " " << unit << ")";
      return failure();
    }
    int64_t unit = std::max<int64_t>(1, budget / 20000);
    int64_t cells = budget / unit + 1;
    const double inf = std::numeric_limits<double>::infinity();
    // best[i][c]: least error of layers < i using at most c units.
    std::vector<std::vector<double>> best(choices.size() + 1,
                                          std::vector<double>(cells, inf));
    std::vector<std::vector<int>> pick(choices.size(),
                                       std::vector<int>(cells, -1));
    std::fill(best[0].begin(), best[0].end(), 0.0);
    for (size_t i = 0; i < choices.size(); ++i)
      for (int64_t c = 0; c < cells; ++c)
        for (auto [j, x] : llvm::enumerate(choices[i])) {
          int64_t units = (x.cost + unit - 1) / unit;
          if (units > c || best[i][c - units] == inf)
            continue;
          double e = best[i][c - units] + x.error;
          if (e < best[i + 1][c]) {
            best[i + 1][c] = e;
            pick[i][c] = j;
          }
        }
    if (best[choices.size()][cells - 1] == inf) {
      func.emitError("qc-mixed-precision: no plan fits the budget of ")
          << budget << " at a granularity of " << unit;
      return failure();
    }
    std::vector<unsigned> plan(choices.size());
    int64_t c = cells - 1;
    for (size_t i = choices.size(); i-- > 0;) {
      const Choice &x = choices[i][pick[i][c]];
      plan[i] = x.bits;
      c -= (x.cost + unit - 1) / unit;
    }
    return plan;
  }

  LogicalResult readPlan(func::FuncOp func, llvm::StringMap<unsigned> &fixed) {
    auto buffer = llvm::MemoryBuffer::getFile(planFile);
    if (!buffer)
      return func.emitError("qc-mixed-precision: cannot read plan '")
             << planFile << "': " << buffer.getError().message();
    // llvm::json::parse recurses per nesting level: a plan nested deeper
    // than any real one could be would overflow the stack.
    constexpr int kMaxDepth = 64;
    int depth = 0;
    bool inString = false, escaped = false;
    for (char c : (*buffer)->getBuffer()) {
      if (inString) {
        if (escaped)
          escaped = false;
        else if (c == '\\')
          escaped = true;
        else if (c == '"')
          inString = false;
        continue;
      }
      inString = c == '"';
      depth += (c == '[' || c == '{') - (c == ']' || c == '}');
      if (depth > kMaxDepth)
        return func.emitError("qc-mixed-precision: plan '")
               << planFile << "' is nested deeper than " << kMaxDepth
               << " levels";
    }
    llvm::Expected<llvm::json::Value> json =
        llvm::json::parse((*buffer)->getBuffer());
    if (!json)
      return func.emitError("qc-mixed-precision: plan '")
             << planFile
             << "' is not valid JSON: " << llvm::toString(json.takeError());
    const llvm::json::Object *object = json->getAsObject();
    if (!object)
      return func.emitError("qc-mixed-precision: plan '")
             << planFile << "' must be a JSON object {\"layer\": bits}";
    for (const auto &[key, value] : *object) {
      std::optional<int64_t> bits = value.getAsInteger();
      if (const llvm::json::Object *o = value.getAsObject())
        bits = o->getInteger("bits");
      if (!bits || ((*bits < 2 || *bits > 8) && *bits != 32))
        return func.emitError("qc-mixed-precision: plan '")
               << planFile << "': entry '" << key.str()
               << "' must give bits in 2-8 or 32";
      fixed[key.str()] = unsigned(*bits);
    }
    return success();
  }
};

} // namespace
