//===- GemvInt8.cpp - The GEMV with int8 activations (W4A8, W8A8) ---------===//
//
// With `act-bits=8` the GEMV quantizes its input at run time, symmetric per
// block of the row (the block is the weight group, or a 32..256 divisor of
// a per-channel row): q = round(x * 127 / max|x|), scale max|x| / 127. The
// packed codes (unsigned, 0..2^bits-1) then meet q in integer dot products,
// 4 byte pairs per i32 lane, written in plain vector ops that the x86
// target turns into `vpdpbusd` (u8 x s8, AVX512-VNNI;
// Int8DotToX86VNNI.cpp), so one instruction does 64 multiply-adds where the f32
// path needs two cvt and two FMAs per 16. Per block the i32 sums are scaled by
// weight scale x activation scale into f32 accumulators; the zero point comes
// out, as in the f32 path, through the group sums of the (dequantized) int8
// input. This is ONNX Runtime's accuracy_level 4 and llama.cpp's q8
// activations.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/QCToLinalg/Gemv.h"

#include "lib/Support/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::lowering;

namespace {

/// An element-wise linalg.generic over `inputs` (all of the output's
/// iteration space unless `maps` says otherwise) producing `type`.
Value buildMap(OpBuilder &b, Location loc, RankedTensorType type,
               ValueRange inputs, ArrayRef<AffineMap> maps,
               function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<AffineMap> allMaps(maps);
  allMaps.push_back(
      AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext()));
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, inputs,
             ValueRange{tensor::EmptyOp::create(b, loc, type.getShape(),
                                                type.getElementType())},
             allMaps,
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &bb, Location l, ValueRange args) {
               linalg::YieldOp::create(bb, l, body(bb, l, args));
             })
      .getResult(0);
}

} // namespace

Value mlir::qc::lowering::buildInt8Dot(OpBuilder &b, Location loc, Value acc,
                                       Value codes, Value x) {
  int64_t lanes = cast<VectorType>(acc.getType()).getNumElements();
  Type i32 = b.getI32Type();
  auto wide = VectorType::get({lanes * 4}, i32);
  Value product =
      arith::MulIOp::create(b, loc, arith::ExtUIOp::create(b, loc, wide, codes),
                            arith::ExtSIOp::create(b, loc, wide, x));
  Value grouped = vector::ShapeCastOp::create(
      b, loc, VectorType::get({lanes, 4}, i32), product);
  return vector::MultiDimReductionOp::create(b, loc, grouped, acc,
                                             ArrayRef<bool>{false, true},
                                             vector::CombiningKind::ADD);
}

Int8Input mlir::qc::lowering::prepareInt8Input(OpBuilder &b, Location loc,
                                               Value x, const GemvShape &s,
                                               bool interleaved) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type(), i8 = b.getI8Type();
  int64_t blocks = s.k / s.actBlock;
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
  AffineMap id3 = AffineMap::getMultiDimIdentityMap(3, ctx);
  AffineMap perBlock = AffineMap::get(3, 0, {d0, d1}, ctx);
  Value blocked = splitRow(b, loc, x, s.actBlock); // [m, blocks, actBlock]

  // max |x| per block, as a `maxnumf nnan`: NaN-aware maxima are a compare
  // and blend per element that LLVM does not vectorize as a reduction. A NaN
  // input still reaches the output through the rest of the model (the
  // residual stream), not through this scale.
  auto blockType = RankedTensorType::get({s.m, blocks}, f32);
  Value absMax =
      linalg::GenericOp::create(
          b, loc, TypeRange{blockType}, ValueRange{blocked},
          ValueRange{buildFilled(b, loc, blockType, b.getF32FloatAttr(0))},
          {id3, perBlock},
          {utils::IteratorType::parallel, utils::IteratorType::parallel,
           utils::IteratorType::reduction},
          [](OpBuilder &bb, Location l, ValueRange args) {
            linalg::YieldOp::create(
                bb, l,
                Value(arith::MaxNumFOp::create(
                    bb, l, args[1], math::AbsFOp::create(bb, l, args[0]),
                    arith::FastMathFlagsAttr::get(
                        bb.getContext(), arith::FastMathFlags::nnan))));
          })
          .getResult(0);
  auto cst = [&](OpBuilder &bb, Location l, float v) {
    return Value(arith::ConstantOp::create(bb, l, bb.getF32FloatAttr(v)));
  };
  Int8Input input;
  input.scales = buildMap(
      b, loc, blockType, {absMax}, {AffineMap::getMultiDimIdentityMap(2, ctx)},
      [&](OpBuilder &bb, Location l, ValueRange args) {
        return Value(arith::DivFOp::create(bb, l, args[0], cst(bb, l, 127)));
      });
  // 127 / max|x| per block (0 for an all-zero block): one division per
  // block, not per element.
  Value inverse = buildMap(
      b, loc, blockType, {absMax}, {AffineMap::getMultiDimIdentityMap(2, ctx)},
      [&](OpBuilder &bb, Location l, ValueRange args) {
        Value positive = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OGT,
                                               args[0], cst(bb, l, 0));
        return Value(arith::SelectOp::create(
            bb, l, positive,
            arith::DivFOp::create(bb, l, cst(bb, l, 127), args[0]),
            cst(bb, l, 0)));
      });
  // q = round(x * 127 / max|x|), in [-127, 127].
  auto qType = RankedTensorType::get({s.m, blocks, s.actBlock}, i8);
  Value q = buildMap(
      b, loc, qType, {blocked, inverse}, {id3, perBlock},
      [&](OpBuilder &bb, Location l, ValueRange args) {
        Value rounded = math::RoundEvenOp::create(
            bb, l, arith::MulFOp::create(bb, l, args[0], args[1]));
        return Value(arith::FPToSIOp::create(bb, l, bb.getI8Type(), rounded));
      });
  SmallVector<ReassociationIndices> flat = {{0}, {1, 2}};
  if (interleaved) {
    // The row-interleaved kernel takes the zero point out in the integer
    // domain: it needs the i32 sum of q per block and q in storage order.
    auto sumType = RankedTensorType::get({s.m, blocks}, b.getI32Type());
    input.blockSums =
        linalg::GenericOp::create(
            b, loc, TypeRange{sumType}, ValueRange{q},
            ValueRange{buildFilled(b, loc, sumType, b.getI32IntegerAttr(0))},
            {id3, perBlock},
            {utils::IteratorType::parallel, utils::IteratorType::parallel,
             utils::IteratorType::reduction},
            [](OpBuilder &bb, Location l, ValueRange args) {
              Value wide =
                  arith::ExtSIOp::create(bb, l, bb.getI32Type(), args[0]);
              linalg::YieldOp::create(
                  bb, l, Value(arith::AddIOp::create(bb, l, wide, args[1])));
            })
            .getResult(0);
    input.phases = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({s.m, s.k}, i8), q, flat);
    return input;
  }
  // The dequantized int8 input, summed per weight group for the zero point.
  Value dequantized = buildMap(
      b, loc, RankedTensorType::get({s.m, blocks, s.actBlock}, f32),
      {q, input.scales}, {id3, perBlock},
      [&](OpBuilder &bb, Location l, ValueRange args) {
        return Value(arith::MulFOp::create(
            bb, l, arith::SIToFPOp::create(bb, l, bb.getF32Type(), args[0]),
            args[1]));
      });
  input.groupSums = groupSums(
      b, loc,
      tensor::CollapseShapeOp::create(
          b, loc, RankedTensorType::get({s.m, s.k}, f32), dequantized, flat),
      s);
  input.phases =
      splitPhases(b, loc,
                  tensor::CollapseShapeOp::create(
                      b, loc, RankedTensorType::get({s.m, s.k}, i8), q, flat),
                  s.phases);
  return input;
}

TaskSums mlir::qc::lowering::buildInt8Rows(OpBuilder &b, Location loc,
                                           const GemvShape &s,
                                           const Int8Input &input, Value row0) {
  QuantizedOperands stored(s.def);
  Type f32 = b.getF32Type(), i32 = b.getI32Type(), i8 = b.getI8Type();
  int64_t r = s.rowsPerTask, lanes = s.dotLanes, dotBytes = 4 * lanes;
  int64_t bytesPerBlock = s.actBlock / s.phases;
  int64_t blocksPerGroup = s.groupLength / s.actBlock;
  VectorType vecF32 = VectorType::get({lanes}, f32);
  VectorType vecI32 = VectorType::get({lanes}, i32);
  VectorType vecI8 = VectorType::get({dotBytes}, i8);
  Value zeroF32Vec = arith::ConstantOp::create(b, loc, b.getZeroAttr(vecF32));
  Value zeroI32Vec = arith::ConstantOp::create(b, loc, b.getZeroAttr(vecI32));
  Value zeroF32 = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  SmallVector<Value> rows;
  for (int64_t i = 0; i < r; ++i)
    rows.push_back(arith::AddIOp::create(b, loc, row0, constIndex(b, loc, i)));
  auto splatI8 = [&](OpBuilder &bb, Location l, int64_t v) {
    return Value(arith::ConstantOp::create(
        bb, l, DenseElementsAttr::get(vecI8, bb.getI8IntegerAttr(v))));
  };

  SmallVector<Value> init(s.m * r, zeroF32Vec);
  init.append(s.m * r, zeroF32);
  auto groupLoop = scf::ForOp::create(
      b, loc, constIndex(b, loc, 0), constIndex(b, loc, s.groups),
      constIndex(b, loc, 1), init,
      [&](OpBuilder &gb, Location gl, Value g, ValueRange carried) {
        SmallVector<Value> scales, scaledZeros;
        for (int64_t i = 0; i < r; ++i) {
          scales.push_back(readScalarAsF32(gb, gl, stored.scales, rows[i], g,
                                           /*isUnsigned=*/false));
          scaledZeros.push_back(
              buildScaledZeroPoint(gb, gl, s, rows[i], g, scales.back()));
        }
        auto blockLoop = scf::ForOp::create(
            gb, gl, constIndex(gb, gl, 0), constIndex(gb, gl, blocksPerGroup),
            constIndex(gb, gl, 1), carried.take_front(s.m * r),
            [&](OpBuilder &kb, Location kl, Value bl, ValueRange acc) {
              Value block = arith::AddIOp::create(
                  kb, kl,
                  arith::MulIOp::create(kb, kl, g,
                                        constIndex(kb, kl, blocksPerGroup)),
                  bl);
              Value blockByte = arith::MulIOp::create(
                  kb, kl, block, constIndex(kb, kl, bytesPerBlock));
              auto chunkLoop = scf::ForOp::create(
                  kb, kl, constIndex(kb, kl, 0),
                  constIndex(kb, kl, bytesPerBlock),
                  constIndex(kb, kl, dotBytes),
                  SmallVector<Value>(s.m * r, zeroI32Vec),
                  [&](OpBuilder &bb, Location l, Value c, ValueRange dot) {
                    Value byte = arith::AddIOp::create(bb, l, blockByte, c);
                    SmallVector<Value> words, next(dot);
                    for (int64_t i = 0; i < r; ++i)
                      words.push_back(readVector(bb, l, stored.packed,
                                                 {rows[i], byte}, dotBytes));
                    for (int64_t j = 0; j < s.phases; ++j) {
                      SmallVector<Value> xv;
                      for (int64_t m = 0; m < s.m; ++m) {
                        SmallVector<Value> idx = {constIndex(bb, l, m)};
                        if (s.phases > 1)
                          idx.push_back(constIndex(bb, l, j));
                        idx.push_back(byte);
                        xv.push_back(
                            readVector(bb, l, input.phases, idx, dotBytes));
                      }
                      for (int64_t i = 0; i < r; ++i) {
                        Value code = words[i];
                        if (j > 0)
                          code = arith::ShRUIOp::create(
                              bb, l, code, splatI8(bb, l, j * s.bits));
                        if (s.bits < 8 && j + 1 < s.phases)
                          code = arith::AndIOp::create(
                              bb, l, code, splatI8(bb, l, (1 << s.bits) - 1));
                        for (int64_t m = 0; m < s.m; ++m)
                          next[m * r + i] =
                              buildInt8Dot(bb, l, next[m * r + i], code, xv[m]);
                      }
                    }
                    scf::YieldOp::create(bb, l, next);
                  });
              SmallVector<Value> next(acc);
              for (int64_t m = 0; m < s.m; ++m) {
                Value actScale = tensor::ExtractOp::create(
                    kb, kl, input.scales,
                    ValueRange{constIndex(kb, kl, m), block});
                for (int64_t i = 0; i < r; ++i) {
                  int64_t a = m * r + i;
                  Value scale = vector::BroadcastOp::create(
                      kb, kl, vecF32,
                      arith::MulFOp::create(kb, kl, scales[i], actScale));
                  Value sums = arith::SIToFPOp::create(kb, kl, vecF32,
                                                       chunkLoop.getResult(a));
                  next[a] = vector::FMAOp::create(kb, kl, sums, scale, next[a]);
                }
              }
              scf::YieldOp::create(kb, kl, next);
            });
        SmallVector<Value> next(blockLoop.getResults());
        next.append(carried.begin() + s.m * r, carried.end());
        for (int64_t i = 0; i < r; ++i) {
          if (!scaledZeros[i])
            continue;
          for (int64_t m = 0; m < s.m; ++m) {
            Value sum = tensor::ExtractOp::create(
                gb, gl, input.groupSums, ValueRange{constIndex(gb, gl, m), g});
            Value &corr = next[s.m * r + m * r + i];
            corr = arith::SubFOp::create(
                gb, gl, corr,
                arith::MulFOp::create(gb, gl, scaledZeros[i], sum));
          }
        }
        scf::YieldOp::create(gb, gl, next);
      });
  TaskSums sums;
  for (int64_t a = 0; a < s.m * r; ++a) {
    sums.acc.push_back(groupLoop.getResult(a));
    sums.corr.push_back(groupLoop.getResult(s.m * r + a));
  }
  return sums;
}
