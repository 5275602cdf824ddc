//===- ONNXResize.cpp - Resize and Upsample -------------------------------===//
//
// Resize (opsets 10-19) and Upsample (7-9). Shapes are static, so every
// resized axis becomes a constant table of the input indices and weights
// each output index reads, computed in double as the ONNX reference
// implementation does (nearest, linear and cubic, antialiasing, every
// coordinate transformation). A linalg.generic over the output then gathers
// the taps of several axes at once and sums them weighted.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>
#include <map>

using namespace mlir;
using namespace mlir::qc;

namespace {

/// The node's interpolation settings.
struct Interp {
  std::string mode, coordMode, nearestMode;
  double cubicA = -0.75;
  bool excludeOutside = false, antialias = false;
};

/// One axis: input and output sizes, scale, and region of interest.
struct AxisScale {
  int64_t in = 0, out = 0;
  double scale = 1, roiStart = 0, roiEnd = 1;
};

/// What one output index reads: (input index, weight) pairs; none when
/// tf_crop_and_resize extrapolates.
using Taps = SmallVector<std::pair<int64_t, double>>;

/// One resized axis as its [out, taps] index (plus an inside-the-input flag
/// column when it extrapolates) and weight tables.
struct AxisTable {
  int64_t axis = 0, out = 0, taps = 1;
  bool weighted = false, extrapolates = false;
  SmallVector<int32_t> index;
  SmallVector<double> weight;
  Value indexValue, weightValue;
};

/// Filter coefficients around a source coordinate `ratio` in (0, 1] past
/// the tap before it.
SmallVector<double> coefficients(const Interp &ip, double ratio, double scale) {
  if (ip.mode == "nearest") {
    StringRef m = ip.nearestMode;
    // Before opset 11 (as onnxruntime does): down when upsampling, up when
    // downsampling.
    if (m == "legacy")
      m = scale < 1 ? "ceil" : "floor";
    bool up = ratio == 1 || m == "ceil" ||
              (m == "round_prefer_floor" && ratio > 0.5) ||
              (m == "round_prefer_ceil" && ratio >= 0.5);
    return {up ? 0.0 : 1.0, up ? 1.0 : 0.0};
  }
  bool linear = ip.mode == "linear";
  double a = ip.cubicA;
  if (!ip.antialias) {
    if (linear)
      return {1 - ratio, ratio};
    auto far = [&](double x) {
      return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    };
    auto near = [&](double x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };
    return {far(ratio + 1), near(ratio), near(1 - ratio), far(2 - ratio)};
  }
  // Antialiasing widens the filter by 1/scale when downsampling.
  scale = std::min(scale, 1.0);
  int64_t start = int64_t(std::floor((linear ? -1 : -2) / scale)) + 1;
  SmallVector<double> c;
  double sum = 0;
  for (int64_t i = start; i < 2 - start; ++i) {
    double x = std::abs((i - ratio) * scale), v;
    if (linear)
      v = std::clamp(1 - x, 0.0, 1.0);
    else if (x <= 1)
      v = (a + 2) * x * x * x - (a + 3) * x * x + 1;
    else
      v = x < 2 ? ((a * x - 5 * a) * x + 8 * a) * x - 4 * a : 0;
    c.push_back(v);
    sum += v;
  }
  for (double &v : c)
    v /= sum;
  return c;
}

/// The taps of output index `x` along one axis.
Taps axisTaps(const Interp &ip, const AxisScale &s, int64_t x) {
  double w = s.in, outF = s.scale * w, xr = x, xo;
  StringRef cm = ip.coordMode;
  if (cm == "align_corners") {
    xo = outF == 1 ? 0 : xr * (w - 1) / (outF - 1);
  } else if (cm == "asymmetric") {
    xo = xr / s.scale;
  } else if (cm == "tf_crop_and_resize") {
    double len = s.roiEnd - s.roiStart;
    xo = (outF == 1 ? len * (w - 1) / 2 : xr * len * (w - 1) / (outF - 1)) +
         s.roiStart * (w - 1);
    if (xo < 0 || xo > w - 1)
      return {};
  } else if (cm == "pytorch_half_pixel") {
    xo = outF == 1 ? -0.5 : (xr + 0.5) / s.scale - 0.5;
  } else if (cm == "half_pixel_symmetric") {
    double offset = w / 2 * (1 - s.out / outF);
    xo = offset + (xr + 0.5) / s.scale - 0.5;
  } else {
    xo = (xr + 0.5) / s.scale - 0.5;
  }
  double floorX = std::floor(xo);
  SmallVector<double> c =
      coefficients(ip, xo == floorX ? 1.0 : xo - floorX, s.scale);
  // The n input indices nearest xo, lower first on ties, on the input
  // edge-padded by ceil(n/2) (indices are clamped below).
  int64_t n = c.size(), pad = (n + 1) / 2;
  int64_t first = std::clamp<int64_t>(int64_t(std::ceil(xo + pad - n / 2.0)), 0,
                                      s.in + 2 * pad - n) -
                  pad;
  if (ip.excludeOutside) {
    double sum = 0;
    for (int64_t k = 0; k < n; ++k) {
      if (first + k < 0 || first + k >= s.in)
        c[k] = 0;
      sum += c[k];
    }
    for (double &v : c)
      v = sum != 0 ? v / sum : v;
  }
  std::map<int64_t, double> merged;
  for (int64_t k = 0; k < n; ++k)
    merged[std::clamp<int64_t>(first + k, 0, s.in - 1)] += c[k];
  Taps taps;
  for (auto [i, v] : merged)
    if (v != 0)
      taps.push_back({i, v});
  return taps;
}

/// The table of axis `d`, or std::nullopt when it maps 1:1.
std::optional<AxisTable> buildTable(const Interp &ip, const AxisScale &s,
                                    int64_t d) {
  SmallVector<Taps> rows;
  AxisTable t;
  t.axis = d;
  t.out = s.out;
  bool identity = s.out == s.in;
  for (int64_t x = 0; x < s.out; ++x) {
    rows.push_back(axisTaps(ip, s, x));
    const Taps &r = rows.back();
    identity &= r.size() == 1 && r[0].first == x && r[0].second == 1;
    t.taps = std::max<int64_t>(t.taps, r.size());
    t.extrapolates |= r.empty();
    for (auto [i, v] : r)
      t.weighted |= v != 1;
  }
  if (identity)
    return std::nullopt;
  for (const Taps &r : rows) {
    for (int64_t k = 0; k < t.taps; ++k) {
      bool real = k < int64_t(r.size());
      // Padding taps read the row's first input again with weight 0.
      t.index.push_back(real ? r[k].first : r.empty() ? 0 : r[0].first);
      t.weight.push_back(real ? r[k].second : 0);
    }
    if (t.extrapolates)
      t.index.push_back(!r.empty());
  }
  return t;
}

/// Returns false after the last combination of tap counts.
bool nextCombination(SmallVector<int64_t> &tap, ArrayRef<AxisTable> axes) {
  for (size_t i = 0; i < tap.size(); ++i) {
    if (++tap[i] < axes[i].taps)
      return true;
    tap[i] = 0;
  }
  return false;
}

/// `src` resized along `axes`: the weighted sum of every combination of their
/// taps, or `extrapolation` where some axis reads outside the input.
Value resizeAxes(OpBuilder &b, Location loc, Value src,
                 ArrayRef<AxisTable> axes, Type computeType,
                 double extrapolation) {
  auto srcType = cast<RankedTensorType>(src.getType());
  Type et = srcType.getElementType();
  SmallVector<int64_t> shape(srcType.getShape());
  for (const AxisTable &t : axes)
    shape[t.axis] = t.out;
  int64_t rank = shape.size();
  auto outType = RankedTensorType::get(shape, et);
  Value init = tensor::EmptyOp::create(b, loc, shape, et);
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(rank, b.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto body = [&](OpBuilder &b, Location l, ValueRange) {
    auto cst = [&](int64_t v) {
      return arith::ConstantIndexOp::create(b, l, v);
    };
    SmallVector<Value> ivs;
    for (int64_t d = 0; d < rank; ++d)
      ivs.push_back(linalg::IndexOp::create(b, l, d));
    SmallVector<SmallVector<Value>> index(axes.size()), weight(axes.size());
    Value inside;
    for (auto [i, t] : llvm::enumerate(axes)) {
      Value o = ivs[t.axis];
      for (int64_t k = 0; k < t.taps; ++k) {
        Value at = tensor::ExtractOp::create(b, l, t.indexValue,
                                             ValueRange{o, cst(k)});
        index[i].push_back(
            arith::IndexCastOp::create(b, l, b.getIndexType(), at));
        if (t.weighted)
          weight[i].push_back(tensor::ExtractOp::create(b, l, t.weightValue,
                                                        ValueRange{o, cst(k)}));
      }
      if (t.extrapolates) {
        Value flag = tensor::ExtractOp::create(b, l, t.indexValue,
                                               ValueRange{o, cst(t.taps)});
        Value in = arith::CmpIOp::create(
            b, l, arith::CmpIPredicate::ne, flag,
            arith::ConstantIntOp::create(b, l, b.getI32Type(), 0));
        inside = inside ? arith::AndIOp::create(b, l, inside, in) : in;
      }
    }
    Value sum;
    SmallVector<int64_t> tap(axes.size(), 0);
    do {
      SmallVector<Value> at(ivs);
      Value w;
      for (auto [i, t] : llvm::enumerate(axes)) {
        at[t.axis] = index[i][tap[i]];
        if (t.weighted)
          w = w ? arith::MulFOp::create(b, l, w, weight[i][tap[i]])
                : weight[i][tap[i]];
      }
      Value v = tensor::ExtractOp::create(b, l, src, at);
      if (!w) {
        sum = v; // Unweighted axes have one tap each: a single combination.
        continue;
      }
      if (et != computeType)
        v = arith::ExtFOp::create(b, l, computeType, v);
      v = arith::MulFOp::create(b, l, v, w);
      sum = sum ? arith::AddFOp::create(b, l, sum, v) : v;
    } while (nextCombination(tap, axes));
    if (sum.getType() != et)
      sum = arith::TruncFOp::create(b, l, et, sum);
    if (inside)
      sum = arith::SelectOp::create(b, l, inside, sum,
                                    scalarConstant(b, l, et, extrapolation));
    linalg::YieldOp::create(b, l, sum);
  };
  return linalg::GenericOp::create(b, loc, TypeRange{outType}, ValueRange{},
                                   ValueRange{init}, maps, iterators, body)
      .getResult(0);
}

LogicalResult importResize(NodeContext &nc) {
  RankedTensorType type = nc.inputType(0);
  int64_t rank = type.getRank();
  Type et = type.getElementType();
  bool upsample = nc.node.op_type() == "Upsample";
  // Upsample and Resize-10 have no coordinate or rounding attributes.
  bool legacy = upsample || nc.opset < 11;
  Interp ip;
  ip.mode = nc.getString("mode", "nearest");
  if (ip.mode != "nearest" && ip.mode != "linear" && ip.mode != "cubic")
    return nc.error() << "mode '" << ip.mode << "' is not supported";
  ip.coordMode =
      legacy ? "asymmetric"
             : nc.getString("coordinate_transformation_mode", "half_pixel");
  if (!llvm::is_contained({"half_pixel", "half_pixel_symmetric",
                           "pytorch_half_pixel", "align_corners", "asymmetric",
                           "tf_crop_and_resize"},
                          ip.coordMode))
    return nc.error() << "coordinate_transformation_mode '" << ip.coordMode
                      << "' is not supported";
  ip.nearestMode =
      legacy ? "legacy" : nc.getString("nearest_mode", "round_prefer_floor");
  if (!llvm::is_contained({"legacy", "round_prefer_floor", "round_prefer_ceil",
                           "floor", "ceil"},
                          ip.nearestMode))
    return nc.error() << "nearest_mode '" << ip.nearestMode
                      << "' is not supported";
  ip.cubicA = nc.getFloat("cubic_coeff_a", -0.75f);
  ip.excludeOutside = nc.getInt("exclude_outside", 0) != 0;
  // Only linear and cubic filters are antialiased (per the spec).
  ip.antialias = nc.getInt("antialias", 0) != 0 && ip.mode != "nearest";
  double extrapolation = nc.getFloat("extrapolation_value", 0);

  // The axes scales, sizes and roi list, in their order.
  SmallVector<int64_t> axes;
  if (nc.opset >= 18 && nc.attr("axes")) {
    FailureOr<SmallVector<int64_t>> given =
        normalizeAxes(nc, nc.getInts("axes", {}), rank);
    if (failed(given))
      return failure();
    axes = std::move(*given);
  } else {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  int64_t n = axes.size();

  // Inputs: Upsample-9 and Resize-10 (X, scales); Resize-11+ (X, roi,
  // scales, sizes); Upsample-7 has a scales attribute. Empty tensors count
  // as absent (opset 11 needs a scales input even with sizes).
  SmallVector<double> scales, roi;
  SmallVector<int64_t> sizes;
  unsigned scalesInput = legacy ? 1 : 2;
  if (upsample && nc.opset < 9) {
    if (const onnx::AttributeProto *a = nc.attr("scales"))
      scales.assign(a->floats().begin(), a->floats().end());
  } else if (nc.hasInput(scalesInput)) {
    auto v = constantFloats(nc, scalesInput);
    if (failed(v))
      return nc.error() << "input 'scales' must be a constant (an "
                           "initializer or Constant node)";
    scales = *v;
  }
  if (!legacy && nc.hasInput(3)) {
    auto v = constantInts(nc, 3);
    if (failed(v))
      return nc.error() << "input 'sizes' must be a constant (an "
                           "initializer or Constant node)";
    sizes = *v;
  }
  if (!scales.empty() && !sizes.empty())
    return nc.error() << "only one of 'scales' and 'sizes' may be given";
  if (scales.empty() && sizes.empty())
    return nc.error() << "one of 'scales' and 'sizes' must be given";
  if (int64_t(scales.size() + sizes.size()) != n)
    return nc.error() << "'" << (scales.empty() ? "sizes" : "scales")
                      << "' has " << scales.size() + sizes.size()
                      << " values for " << n << " axes";
  if (ip.coordMode == "tf_crop_and_resize") {
    auto v = constantFloats(nc, 1);
    if (!nc.hasInput(1) || failed(v))
      return nc.error() << "input 'roi' must be a constant (an initializer "
                           "or Constant node) for tf_crop_and_resize";
    roi = *v;
    if (int64_t(roi.size()) != 2 * n)
      return nc.error() << "'roi' has " << roi.size() << " values for " << n
                        << " axes";
  }

  // Tables index with i32; empty outputs are not supported.
  auto outSize = [&](double v, int64_t axis, int64_t &out) {
    if (v >= 1 && v <= std::numeric_limits<int32_t>::max()) {
      out = int64_t(v);
      return success();
    }
    auto diag = nc.error() << "output size ";
    if (v < 1)
      diag << int64_t(v);
    else
      diag << "above 2^31";
    return LogicalResult(diag << " of axis " << axis << " is out of range");
  };
  SmallVector<AxisScale> dims(rank);
  for (int64_t d = 0; d < rank; ++d)
    dims[d].in = dims[d].out = type.getDimSize(d);
  for (int64_t i = 0; i < n; ++i) {
    AxisScale &s = dims[axes[i]];
    if (s.in == 0)
      return nc.error() << "cannot resize empty axis " << axes[i];
    if (!roi.empty()) {
      s.roiStart = roi[i];
      s.roiEnd = roi[n + i];
    }
    if (!scales.empty()) {
      if (!(scales[i] > 0))
        return nc.error() << "scale " << scales[i] << " of axis " << axes[i]
                          << " is not positive";
      s.scale = scales[i];
      if (failed(outSize(std::floor(s.scale * s.in), axes[i], s.out)))
        return failure();
    } else {
      if (failed(outSize(sizes[i], axes[i], s.out)))
        return failure();
      s.scale = double(sizes[i]) / s.in;
    }
  }
  std::string policy = nc.opset >= 18 && !sizes.empty()
                           ? nc.getString("keep_aspect_ratio_policy", "stretch")
                           : "stretch";
  if (policy == "not_larger" || policy == "not_smaller") {
    // One scale for all axes; sizes round half up.
    double scale = dims[axes[0]].scale;
    for (int64_t a : axes)
      scale = policy == "not_larger" ? std::min(scale, dims[a].scale)
                                     : std::max(scale, dims[a].scale);
    for (int64_t a : axes) {
      dims[a].scale = scale;
      if (failed(outSize(std::floor(scale * dims[a].in + 0.5), a, dims[a].out)))
        return failure();
    }
  } else if (policy != "stretch") {
    return nc.error() << "keep_aspect_ratio_policy '" << policy
                      << "' is not supported";
  }

  SmallVector<AxisTable> tables;
  for (int64_t d = 0; d < rank; ++d) {
    std::optional<AxisTable> t = buildTable(ip, dims[d], d);
    if (!t)
      continue;
    if (t->weighted && !isa<FloatType>(et))
      return nc.error() << "mode '" << ip.mode << "' needs a floating-point "
                        << "input, got " << et;
    // Taps are unrolled in the loop body.
    if (t->taps > 256)
      return nc.error() << "axis " << d << " needs " << t->taps
                        << " taps per output; at most 256 are supported";
    tables.push_back(std::move(*t));
  }

  OpBuilder &b = nc.b;
  Type computeType = et.isF64() ? et : b.getF32Type();
  for (AxisTable &t : tables) {
    int64_t cols = t.taps + (t.extrapolates ? 1 : 0);
    t.indexValue = arith::ConstantOp::create(
        b, nc.loc,
        DenseIntElementsAttr::get(
            RankedTensorType::get({t.out, cols}, b.getI32Type()),
            ArrayRef(t.index)));
    if (t.weighted) {
      auto wType = RankedTensorType::get({t.out, t.taps}, computeType);
      SmallVector<APFloat> w;
      for (double v : t.weight) {
        APFloat f(v);
        bool lost;
        f.convert(cast<FloatType>(computeType).getFloatSemantics(),
                  APFloat::rmNearestTiesToEven, &lost);
        w.push_back(f);
      }
      t.weightValue = arith::ConstantOp::create(
          b, nc.loc, DenseFPElementsAttr::get(wType, w));
    }
  }
  // Axes whose tap combinations stay few share one pass; wide filters get
  // passes of their own.
  Value result = nc.input(0);
  for (size_t i = 0; i < tables.size();) {
    size_t j = i + 1;
    for (int64_t combos = tables[i].taps;
         j < tables.size() && combos * tables[j].taps <= 64; ++j)
      combos *= tables[j].taps;
    result = resizeAxes(b, nc.loc, result, ArrayRef(tables).slice(i, j - i),
                        computeType, extrapolation);
    i = j;
  }
  nc.setOutput(0, result);
  return success();
}

} // namespace

void mlir::qc::addResizeOps(OpTable &table) {
  table["Resize"] = importResize;
  table["Upsample"] = importResize;
}
