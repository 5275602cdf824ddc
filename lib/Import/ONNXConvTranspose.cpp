//===- ONNXConvTranspose.cpp - Transposed convolution ---------------------===//
//
// Op handlers for ConvTranspose.
//
// A transposed convolution is an ordinary stride-1 convolution of the input
// spread out by the stride (zeros between elements) and padded by the kernel
// extent less the ONNX pads, with the kernel flipped and its in/out channel
// dims swapped. That keeps every index affine, so it reuses the grouped
// convolution builder of Conv.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ImporterImpl.h"

#include "dialects/QC/IR/QC.h"
#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

LogicalResult importConvTranspose(NodeContext &nc) {
  if (failed(requireF32(nc)))
    return failure();
  RankedTensorType xType = nc.inputType(0), wType = nc.inputType(1);
  int64_t rank = xType.getRank();
  if (rank < 3 || wType.getRank() != rank)
    return nc.error() << "expected input and weight of the same rank >= 3 "
                         "(N x C x spatial...), got "
                      << xType << " and " << wType;
  size_t ns = rank - 2;
  ArrayRef<int64_t> in = xType.getShape().drop_front(2);
  ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
  int64_t group = nc.getInt("group", 1);
  int64_t c = xType.getDimSize(1);
  if (group < 1 || c % group != 0 || wType.getDimSize(0) != c)
    return nc.error() << "input channels " << c << " and weight " << wType
                      << " do not match group " << group
                      << " (need weight [C, M/group, kernel...], C divisible "
                         "by group)";
  int64_t m = wType.getDimSize(1) * group;
  if (nc.hasInput(2) && nc.inputType(2).getShape() != ArrayRef<int64_t>{m})
    return nc.error() << "bias must be [" << m << "], got " << nc.inputType(2);

  std::vector<int64_t> strides =
      nc.getInts("strides", std::vector<int64_t>(ns, 1));
  std::vector<int64_t> dilations =
      nc.getInts("dilations", std::vector<int64_t>(ns, 1));
  std::vector<int64_t> pads =
      nc.getInts("pads", std::vector<int64_t>(2 * ns, 0));
  std::vector<int64_t> outputPadding =
      nc.getInts("output_padding", std::vector<int64_t>(ns, 0));
  std::vector<int64_t> outputShape = nc.getInts("output_shape", {});
  std::string autoPad = nc.getString("auto_pad", "NOTSET");
  if (strides.size() != ns || dilations.size() != ns || pads.size() != 2 * ns ||
      outputPadding.size() != ns)
    return nc.error() << "expected " << ns << " strides, " << ns
                      << " dilations, " << 2 * ns << " pads and " << ns
                      << " output_padding values for input " << xType;
  // output_shape lists the spatial dims, or (as some exporters write it) all.
  if (outputShape.size() == ns + 2)
    outputShape.erase(outputShape.begin(), outputShape.begin() + 2);
  if (!outputShape.empty() && outputShape.size() != ns)
    return nc.error() << "expected " << ns << " output_shape values, got "
                      << outputShape.size();
  if (nc.attr("kernel_shape") &&
      ArrayRef<int64_t>(nc.getInts("kernel_shape", {})) != kernel)
    return nc.error() << "kernel_shape does not match weight " << wType;
  if (autoPad != "NOTSET" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER" && autoPad != "VALID")
    return nc.error() << "unsupported auto_pad '" << autoPad << "'";
  for (size_t i = 0; i < ns; ++i)
    if (strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 || pads[i + ns] < 0 ||
        outputPadding[i] < 0)
      return nc.error() << "strides and dilations must be >= 1, pads and "
                           "output_padding >= 0";

  // Spatial output sizes and begin pads (end pads are implied).
  bool samePads = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (autoPad == "VALID")
    std::fill(pads.begin(), pads.end(), 0);
  SmallVector<int64_t> out(ns), padBegin(ns);
  for (size_t i = 0; i < ns; ++i) {
    int64_t full = strides[i] * (in[i] - 1) + outputPadding[i] +
                   (kernel[i] - 1) * dilations[i] + 1;
    if (outputShape.empty() && !samePads) {
      out[i] = full - pads[i] - pads[i + ns];
      padBegin[i] = pads[i];
    } else {
      // Pads generated as the spec says: SAME_UPPER puts the odd unit at
      // the end, everything else at the beginning.
      out[i] = outputShape.empty() ? in[i] * strides[i] : outputShape[i];
      int64_t total = full - out[i];
      padBegin[i] = autoPad == "SAME_UPPER"
                        ? llvm::divideFloorSigned(total, 2)
                        : total - llvm::divideFloorSigned(total, 2);
    }
    if (out[i] < 1)
      return nc.error() << "output spatial dim " << i << " would be " << out[i];
  }

  // The spread input sits inside a zero tensor of extent out + kernel span
  // - 1 at offset (span - 1 - pad_begin); input elements falling outside it
  // (negative padding) are cut off first.
  OpBuilder &b = nc.b;
  Location loc = nc.loc;
  Type f32 = b.getF32Type();
  int64_t n = xType.getDimSize(0);
  SmallVector<int64_t> spreadShape = {n, c};
  SmallVector<int64_t> first(ns), count(ns), offset(ns);
  bool empty = false;
  for (size_t i = 0; i < ns; ++i) {
    int64_t span1 = (kernel[i] - 1) * dilations[i];
    int64_t extent = out[i] + span1;
    int64_t lo = span1 - padBegin[i];
    first[i] = lo >= 0 ? 0 : (-lo + strides[i] - 1) / strides[i];
    int64_t last = std::min(
        in[i] - 1, llvm::divideFloorSigned(extent - 1 - lo, strides[i]));
    count[i] = last - first[i] + 1;
    empty |= count[i] <= 0;
    offset[i] = lo + first[i] * strides[i];
    spreadShape.push_back(extent);
  }
  auto spreadType = RankedTensorType::get(spreadShape, f32);
  Value spread = buildFilled(b, loc, spreadType, b.getF32FloatAttr(0));
  if (!empty) {
    Value x = nc.input(0);
    SmallVector<int64_t> sliceShape = {n, c};
    sliceShape.append(count.begin(), count.end());
    SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0)),
        sizes = {b.getIndexAttr(n), b.getIndexAttr(c)},
        ones(rank, b.getIndexAttr(1));
    for (size_t i = 0; i < ns; ++i) {
      offsets.push_back(b.getIndexAttr(first[i]));
      sizes.push_back(b.getIndexAttr(count[i]));
    }
    if (ArrayRef<int64_t>(sliceShape) != xType.getShape())
      x = tensor::ExtractSliceOp::create(b, loc,
                                         RankedTensorType::get(sliceShape, f32),
                                         x, offsets, sizes, ones);
    SmallVector<OpFoldResult> dstOffsets(2, b.getIndexAttr(0)),
        dstStrides(2, b.getIndexAttr(1));
    for (size_t i = 0; i < ns; ++i) {
      dstOffsets.push_back(b.getIndexAttr(offset[i]));
      dstStrides.push_back(b.getIndexAttr(strides[i]));
    }
    spread = tensor::InsertSliceOp::create(b, loc, x, spread, dstOffsets, sizes,
                                           dstStrides);
  }

  // Kernel as a convolution weight [M, C/group, kernel...], flipped:
  // w'[g * Mg + m, ci, k] = w[g * Cg + ci, m, K - 1 - k].
  MLIRContext *ctx = b.getContext();
  int64_t cg = c / group, mg = m / group;
  SmallVector<int64_t> convWShape = {m, cg};
  convWShape.append(kernel.begin(), kernel.end());
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
  SmallVector<AffineExpr> wIndices;
  if (group == 1)
    wIndices = {d1, d0};
  else
    wIndices = {d0.floorDiv(mg) * cg + d1, d0 % mg};
  for (size_t i = 0; i < ns; ++i)
    wIndices.push_back(kernel[i] - 1 - getAffineDimExpr(2 + i, ctx));
  Value w = buildRemap(b, loc, nc.input(1),
                       RankedTensorType::get(convWShape, f32), wIndices);

  Value bias = nc.hasInput(2) ? nc.input(2) : Value();
  // A constant 2-D kernel makes the layer a qc.conv2d over the spread
  // input: quantizable like any convolution.
  Value wc = foldWeightView(b, w);
  if (ns == 2 && matchPattern(wc, m_Constant())) {
    std::string error;
    SmallVector<int64_t> ones = {1, 1}, zeros = {0, 0, 0, 0};
    auto shape = inferConv2DShape(spreadShape, convWShape, ones, zeros,
                                  dilations, group, error);
    if (failed(shape))
      return nc.error() << error;
    nc.setOutput(
        0, Conv2DOp::create(
               b, loc, RankedTensorType::get(*shape, f32), spread, wc, bias,
               b.getDenseI64ArrayAttr(ones), b.getDenseI64ArrayAttr(zeros),
               b.getDenseI64ArrayAttr(dilations), b.getI64IntegerAttr(group)));
    return success();
  }
  Value y = buildGroupedConv(b, loc, spread, w, bias,
                             SmallVector<int64_t>(ns, 1), dilations, group);
  noteFloatLayer(nc, y, nc.input(1),
                 ns == 2 ? "ConvTranspose kernel is not a compile-time "
                           "constant"
                         : "only 2-D ConvTranspose layers are quantizable");
  nc.setOutput(0, y);
  return success();
}

} // namespace

void mlir::qc::addConvTransposeOps(OpTable &table) {
  table["ConvTranspose"] = [](NodeContext &nc) {
    return computeInF32(nc, importConvTranspose);
  };
}
