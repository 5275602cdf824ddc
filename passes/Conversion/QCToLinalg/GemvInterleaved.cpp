//===- GemvInterleaved.cpp - Int8 GEMV over row-interleaved weights -------===//
//
// The int8-activation GEMV (`act-bits=8`) with the weight repacked at
// compile time so that one vector holds L output rows (L = the target's
// i32 lanes) and each 4-byte lane four code positions of its row:
//
//   packed'[rb][c][lane][j] = OR_p code(rb*L + lane, c*4P + 4p + j) << p*bits
//
// for P = 8 / bits codes per byte. A dot-product instruction (vpdpbusd on
// x86) then multiplies the codes of phase p of L rows by one broadcast
// dword of the int8 input, x[c*4P + 4p .. +4]: 4L multiply-adds per
// instruction and every lane already belongs to its own output row, so no
// horizontal reduction is left and a weight group's scale and zero point
// are one vector load per L rows (scales and zero points are interleaved
// the same way, [rb][g][lane]). The zero point is taken out in the integer
// domain per activation block, dot - zp * sum(q), before one conversion
// and one FMA per block. This is the layout ONNX Runtime's and llama.cpp's
// repacked int4 kernels stream; the per-(row, group) scalar work of
// GemvInt8.cpp's row-major kernel is what it removes.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/QCToLinalg/Gemv.h"

#include "lib/Support/WeightConstants.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::lowering;

namespace {

bool isConstant(Value v) { return !v || v.getDefiningOp<arith::ConstantOp>(); }

/// [n, cols] elements of `width` bytes -> [n / L, cols, L].
std::vector<char> interleaveRows(ArrayRef<char> in, int64_t n, int64_t cols,
                                 int64_t width, int64_t lanes) {
  std::vector<char> out(in.size());
  for (int64_t row = 0; row < n; ++row)
    for (int64_t c = 0; c < cols; ++c)
      std::memcpy(
          &out[(((row / lanes) * cols + c) * lanes + row % lanes) * width],
          &in[(row * cols + c) * width], width);
  return out;
}

/// x[m, k .. k + 4] (int8) broadcast to every i32 lane of a dot-product
/// vector of 4 * lanes bytes.
Value broadcastDword(OpBuilder &b, Location loc, Value xq, Value m, Value k,
                     int64_t lanes) {
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  Value bytes = readVector(b, loc, xq, {m, k}, 4);
  Value word =
      vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), bytes);
  Value splat =
      vector::BroadcastOp::create(b, loc, VectorType::get({lanes}, i32), word);
  return vector::BitCastOp::create(b, loc, VectorType::get({4 * lanes}, i8),
                                   splat);
}

/// One task of the kernel: the rows of `rowBlocks` (vectors of L output
/// rows) against input rows [m0, m0 + mt).
struct InterleavedTask {
  const GemvShape &s;
  const InterleavedWeight &weight;
  const Int8Input &input;
  SmallVector<Value> rowBlocks;

  /// The f32 accumulators, acc[m * vecs + i] for input m0 + m and row
  /// vector i.
  SmallVector<Value> build(OpBuilder &b, Location loc, Value m0,
                           int64_t mt) const;
};

SmallVector<Value> InterleavedTask::build(OpBuilder &b, Location loc, Value m0,
                                          int64_t mt) const {
  QuantizedWeightOp def = s.def;
  LayoutAttr layout = cast<QWeightType>(def.getType()).getAffineLayout();
  Type f32 = b.getF32Type(), i32 = b.getI32Type(), i8 = b.getI8Type();
  int64_t lanes = s.interleave, vecs = rowBlocks.size();
  int64_t chunk = 4 * s.phases, chunksPerBlock = s.actBlock / chunk;
  int64_t blocksPerGroup = s.groupLength / s.actBlock;
  // About eight independent dot-product chains hide the instruction's
  // latency; the phases of a chunk and `unroll` consecutive chunks feed
  // different accumulators.
  int64_t slots = std::max<int64_t>(1, 8 / (mt * vecs));
  int64_t unroll = std::max<int64_t>(1, slots / s.phases);
  if (chunksPerBlock % unroll != 0)
    unroll = 1;
  VectorType vecF32 = VectorType::get({lanes}, f32);
  VectorType vecI32 = VectorType::get({lanes}, i32);
  VectorType vecI8 = VectorType::get({4 * lanes}, i8);
  auto splatI8 = [&](OpBuilder &bb, Location l, int64_t v) {
    return Value(arith::ConstantOp::create(
        bb, l, DenseElementsAttr::get(vecI8, bb.getI8IntegerAttr(v))));
  };
  SmallVector<Value> inputRows;
  for (int64_t m = 0; m < mt; ++m)
    inputRows.push_back(
        arith::AddIOp::create(b, loc, m0, constIndex(b, loc, m)));
  Value zeroF32 = arith::ConstantOp::create(b, loc, b.getZeroAttr(vecF32));
  Value zeroI32 = arith::ConstantOp::create(b, loc, b.getZeroAttr(vecI32));

  auto groupLoop = scf::ForOp::create(
      b, loc, constIndex(b, loc, 0), constIndex(b, loc, s.groups),
      constIndex(b, loc, 1), SmallVector<Value>(mt * vecs, zeroF32),
      [&](OpBuilder &gb, Location gl, Value g, ValueRange groupAcc) {
        // One vector of L rows' scales and zero points per group.
        SmallVector<Value> scales, zeros;
        for (Value rb : rowBlocks) {
          Value scale = readVector(gb, gl, weight.scales,
                                   {rb, g, constIndex(gb, gl, 0)}, lanes);
          if (scale.getType() != vecF32)
            scale = arith::ExtFOp::create(gb, gl, vecF32, scale);
          scales.push_back(scale);
          zeros.push_back(
              weight.zeroPoints
                  ? Value(arith::ExtUIOp::create(
                        gb, gl, vecI32,
                        readVector(gb, gl, weight.zeroPoints,
                                   {rb, g, constIndex(gb, gl, 0)}, lanes)))
                  : Value(arith::ConstantOp::create(
                        gb, gl,
                        DenseElementsAttr::get(
                            vecI32, gb.getI32IntegerAttr(
                                        layout.getImplicitZeroPoint())))));
        }
        auto blockLoop = scf::ForOp::create(
            gb, gl, constIndex(gb, gl, 0), constIndex(gb, gl, blocksPerGroup),
            constIndex(gb, gl, 1), groupAcc,
            [&](OpBuilder &kb, Location kl, Value bl, ValueRange acc) {
              Value block = arith::AddIOp::create(
                  kb, kl,
                  arith::MulIOp::create(kb, kl, g,
                                        constIndex(kb, kl, blocksPerGroup)),
                  bl);
              Value firstChunk = arith::MulIOp::create(
                  kb, kl, block, constIndex(kb, kl, chunksPerBlock));
              auto chunkLoop = scf::ForOp::create(
                  kb, kl, constIndex(kb, kl, 0),
                  constIndex(kb, kl, chunksPerBlock),
                  constIndex(kb, kl, unroll),
                  SmallVector<Value>(mt * vecs * slots, zeroI32),
                  [&](OpBuilder &bb, Location l, Value c, ValueRange dot) {
                    SmallVector<Value> next(dot);
                    for (int64_t u = 0; u < unroll; ++u) {
                      Value chunkIndex = arith::AddIOp::create(
                          bb, l, firstChunk,
                          arith::AddIOp::create(bb, l, c,
                                                constIndex(bb, l, u)));
                      Value k0 = arith::MulIOp::create(
                          bb, l, chunkIndex, constIndex(bb, l, chunk));
                      SmallVector<Value> words;
                      for (Value rb : rowBlocks)
                        words.push_back(readVector(
                            bb, l, weight.packed,
                            {rb, chunkIndex, constIndex(bb, l, 0)}, 4 * lanes));
                      for (int64_t p = 0; p < s.phases; ++p) {
                        int64_t slot = (u * s.phases + p) % slots;
                        Value k = arith::AddIOp::create(
                            bb, l, k0, constIndex(bb, l, 4 * p));
                        SmallVector<Value> xv;
                        for (Value row : inputRows)
                          xv.push_back(broadcastDword(bb, l, input.phases, row,
                                                      k, lanes));
                        for (int64_t i = 0; i < vecs; ++i) {
                          Value code = words[i];
                          if (p > 0)
                            code = arith::ShRUIOp::create(
                                bb, l, code, splatI8(bb, l, p * s.bits));
                          if (p + 1 < s.phases)
                            code = arith::AndIOp::create(
                                bb, l, code, splatI8(bb, l, (1 << s.bits) - 1));
                          for (int64_t m = 0; m < mt; ++m) {
                            Value &d = next[(m * vecs + i) * slots + slot];
                            d = buildInt8Dot(bb, l, d, code, xv[m]);
                          }
                        }
                      }
                    }
                    scf::YieldOp::create(bb, l, next);
                  });
              // acc += (dot - zp * sum(q)) * (scale * activation scale).
              SmallVector<Value> next(acc);
              for (int64_t m = 0; m < mt; ++m) {
                SmallVector<Value, 2> at = {inputRows[m], block};
                Value sumQ = vector::BroadcastOp::create(
                    kb, kl, vecI32,
                    tensor::ExtractOp::create(kb, kl, input.blockSums, at));
                Value actScale = vector::BroadcastOp::create(
                    kb, kl, vecF32,
                    tensor::ExtractOp::create(kb, kl, input.scales, at));
                for (int64_t i = 0; i < vecs; ++i) {
                  int64_t a = m * vecs + i;
                  Value dotSum = chunkLoop.getResult(a * slots);
                  for (int64_t t = 1; t < slots; ++t)
                    dotSum = arith::AddIOp::create(
                        kb, kl, dotSum, chunkLoop.getResult(a * slots + t));
                  Value centered = arith::SubIOp::create(
                      kb, kl, dotSum,
                      arith::MulIOp::create(kb, kl, zeros[i], sumQ));
                  Value scale =
                      arith::MulFOp::create(kb, kl, scales[i], actScale);
                  next[a] = vector::FMAOp::create(
                      kb, kl, arith::SIToFPOp::create(kb, kl, vecF32, centered),
                      scale, next[a]);
                }
              }
              scf::YieldOp::create(kb, kl, next);
            });
        scf::YieldOp::create(gb, gl, blockLoop.getResults());
      });
  return SmallVector<Value>(groupLoop.getResults());
}

/// `tile` [m, vecs * L] with rows m0 .. m0 + mt increased by `acc`.
Value addRows(OpBuilder &b, Location loc, Value tile, ArrayRef<Value> acc,
              Value m0, int64_t mt, int64_t vecs, int64_t lanes) {
  for (int64_t m = 0; m < mt; ++m)
    for (int64_t i = 0; i < vecs; ++i) {
      SmallVector<Value> at = {
          arith::AddIOp::create(b, loc, m0, constIndex(b, loc, m)),
          constIndex(b, loc, i * lanes)};
      Value y = arith::AddFOp::create(
          b, loc, readVector(b, loc, tile, at, lanes), acc[m * vecs + i]);
      tile = vector::TransferWriteOp::create(b, loc, y, tile, at,
                                             ArrayRef<bool>{true})
                 .getResult();
    }
  return tile;
}

} // namespace

FailureOr<InterleavedWeight>
mlir::qc::lowering::interleaveWeight(OpBuilder &b, Location loc,
                                     const GemvShape &s) {
  QuantizedOperands stored(s.def);
  // Read everything before creating anything: a failure leaves the IR as
  // it was.
  FailureOr<std::vector<char>> packed = readConstantBytes(stored.packed);
  FailureOr<std::vector<char>> scales = readConstantBytes(stored.scales);
  FailureOr<std::vector<char>> zeros =
      stored.zeroPoints ? readConstantBytes(stored.zeroPoints)
                        : FailureOr<std::vector<char>>(std::vector<char>());
  if (failed(packed) || failed(scales) || failed(zeros))
    return failure();
  int64_t lanes = s.interleave, phases = s.phases, bits = s.bits;
  int64_t rowBytes =
      cast<RankedTensorType>(stored.packed.getType()).getDimSize(1);
  int64_t chunk = 4 * phases, chunks = s.k / chunk;
  unsigned mask = (1u << bits) - 1;
  // A chunk (4P codes of a row) is one little-endian 32-bit word in both
  // layouts; only its bit fields move. Field f = 4p + j (code k0 + f) goes
  // from bits [f*bits, ...) to byte j, phase p: bits [8j + p*bits, ...).
  SmallVector<std::pair<unsigned, unsigned>> moves;
  for (int64_t p = 0; p < phases; ++p)
    for (int64_t j = 0; j < 4; ++j)
      moves.push_back(
          {unsigned((4 * p + j) * bits), unsigned(8 * j + p * bits)});
  std::vector<char> bytes(size_t(s.n) * chunks * 4);
  for (int64_t row = 0; row < s.n; ++row) {
    const char *in = packed->data() + row * rowBytes;
    char *out =
        bytes.data() + ((row / lanes) * chunks * lanes + row % lanes) * 4;
    for (int64_t c = 0; c < chunks; ++c, in += 4, out += 4 * lanes) {
      uint32_t word, result = 0;
      std::memcpy(&word, in, 4);
      for (auto [from, to] : moves)
        result |= ((word >> from) & mask) << to;
      std::memcpy(out, &result, 4);
    }
  }
  std::string name = getLayerName(loc);
  InterleavedWeight w;
  w.packed = createConstant(
      b, loc,
      RankedTensorType::get({s.n / lanes, chunks, 4 * lanes}, b.getI8Type()),
      bytes, name + ".packed.interleaved");
  auto interleaveTable = [&](Value table, ArrayRef<char> data,
                             StringRef suffix) {
    Type element = cast<RankedTensorType>(table.getType()).getElementType();
    int64_t width = element.getIntOrFloatBitWidth() / 8;
    return createConstant(
        b, loc, RankedTensorType::get({s.n / lanes, s.groups, lanes}, element),
        interleaveRows(data, s.n, s.groups, width, lanes), name + suffix.str());
  };
  w.scales = interleaveTable(stored.scales, *scales, ".scales.interleaved");
  if (stored.zeroPoints)
    w.zeroPoints =
        interleaveTable(stored.zeroPoints, *zeros, ".zero_points.interleaved");
  return w;
}

int64_t mlir::qc::lowering::pickInterleaveLanes(const GemvShape &s,
                                                const GemvScheduleOptions &o) {
  if (!s.def || !s.actBlock || !o.interleave)
    return 0;
  QuantizedOperands stored(s.def);
  if (!isConstant(stored.packed) || !isConstant(stored.scales) ||
      !isConstant(stored.zeroPoints) || s.actBlock % (4 * s.phases) != 0)
    return 0;
  for (int64_t lanes = o.lanes; lanes >= 4; lanes /= 2)
    if (s.n % lanes == 0)
      return lanes;
  return 0;
}

Value mlir::qc::lowering::buildInterleavedGemv(OpBuilder &b, Location loc,
                                               const GemvShape &s,
                                               const InterleavedWeight &weight,
                                               Value x, Value init) {
  Int8Input input = prepareInt8Input(b, loc, x, s, /*interleaved=*/true);
  int64_t lanes = s.interleave, vecs = s.rowsPerTask / lanes;
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(s.n / s.rowsPerTask)},
      ValueRange{init}, /*mapping=*/std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getTerminator());
  Value taskIndex = forall.getInductionVar(0);
  InterleavedTask task{s, weight, input, {}};
  for (int64_t i = 0; i < vecs; ++i)
    task.rowBlocks.push_back(arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, taskIndex, constIndex(b, loc, vecs)),
        constIndex(b, loc, i)));

  // Every lane is one output row: the task adds its accumulators to a
  // slice of the shared output (which holds the bias) in place. Input rows
  // go four at a time, each weight vector feeding four dot products; the
  // task's weight rows stay in cache across the tiles of input rows (the
  // batched, GEMM, case).
  Value row0 = arith::MulIOp::create(b, loc, taskIndex,
                                     constIndex(b, loc, s.rowsPerTask));
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), row0};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(s.m),
                                     b.getIndexAttr(s.rowsPerTask)};
  SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
  Value out = forall.getRegionIterArgs()[0];
  Value tile =
      tensor::ExtractSliceOp::create(b, loc, out, offsets, sizes, strides);
  int64_t mTile = std::min<int64_t>(s.m, 4), fullTiles = s.m / mTile;
  int64_t rest = s.m % mTile;
  if (fullTiles == 1) {
    Value m0 = constIndex(b, loc, 0);
    tile = addRows(b, loc, tile, task.build(b, loc, m0, mTile), m0, mTile, vecs,
                   lanes);
  } else {
    auto loop = scf::ForOp::create(
        b, loc, constIndex(b, loc, 0), constIndex(b, loc, fullTiles * mTile),
        constIndex(b, loc, mTile), ValueRange{tile},
        [&](OpBuilder &lb, Location l, Value m0, ValueRange carried) {
          scf::YieldOp::create(lb, l,
                               addRows(lb, l, carried[0],
                                       task.build(lb, l, m0, mTile), m0, mTile,
                                       vecs, lanes));
        });
    tile = loop.getResult(0);
  }
  if (rest) {
    Value m0 = constIndex(b, loc, fullTiles * mTile);
    tile = addRows(b, loc, tile, task.build(b, loc, m0, rest), m0, rest, vecs,
                   lanes);
  }
  b.setInsertionPointToStart(&forall.getTerminator().getRegion().front());
  tensor::ParallelInsertSliceOp::create(b, loc, tile, out, offsets, sizes,
                                        strides);
  return forall.getResult(0);
}
