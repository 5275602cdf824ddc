//===- GPTQSolver.cpp - GPTQ (Frantar et al. 2023) ------------------------===//
//
// Follows Algorithm 1 of the paper / fasterquant of the reference code: the
// upper Cholesky factor U of the damped H^-1 (U^T U = H^-1) gives, row by
// row, the inverse Hessians of the remaining columns (row i of U is
// H_F^-1[i, :] / sqrt(H_F^-1[i, i]) for F = {i, i+1, ...}), so quantizing
// column i and spreading its error err = (w - q) / U[i, i] over the later
// columns is W[:, j] -= err * U[i, j]. Updates inside a block of blockSize
// columns are applied eagerly; those to later columns are batched into one
// GEMM per block.
//
//===----------------------------------------------------------------------===//

#include "lib/Quant/GPTQSolver.h"
#include "lib/Quant/EigenSupport.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir::qc;

namespace {

bool fail(std::string *error, const std::string &message) {
  return failWith(error, "GPTQ", message);
}

/// Inverts the lower-triangular `l` in place by halves: inv([A 0; C D]) =
/// [inv(A) 0; -inv(D) C inv(A) inv(D)], about n^3 / 3 multiply-adds, all
/// of them in triangular-times-dense products.
void invertLowerTriangular(Eigen::Ref<MatrixD> l) {
  const int64_t n = l.rows();
  if (n <= 64) {
    MatrixD inverse = MatrixD::Identity(n, n);
    l.triangularView<Eigen::Lower>().solveInPlace(inverse);
    l = inverse;
    return;
  }
  const int64_t h = n / 2;
  invertLowerTriangular(l.topLeftCorner(h, h));
  invertLowerTriangular(l.bottomRightCorner(n - h, n - h));
  MatrixD c = l.bottomLeftCorner(n - h, h) *
              l.topLeftCorner(h, h).triangularView<Eigen::Lower>();
  l.bottomLeftCorner(n - h, h).noalias() =
      -(l.bottomRightCorner(n - h, n - h).triangularView<Eigen::Lower>() * c);
}

/// Upper Cholesky factor U of (H + damp I)^-1 (U^T U = (H + damp I)^-1),
/// the factor the reference gets from Cholesky of H, the inverse, and
/// Cholesky again. With J the exchange matrix and L L^T = J (H + damp I) J,
/// U = J L^-1 J is that factor (triangular with a positive diagonal, and
/// U^T U = J L^-T L^-1 J = (H + damp I)^-1): one factorization and one
/// triangular inverse, a third of the work and two K x K matrices. False
/// when the damped H is not positive definite.
bool inverseHessianFactor(const MatrixD &hessian, double damp, MatrixD &upper) {
  upper = hessian.reverse();
  upper.diagonal().array() += damp;
  Eigen::LLT<Eigen::Ref<MatrixD>> llt(upper);
  if (llt.info() != Eigen::Success)
    return false;
  upper.triangularView<Eigen::StrictlyUpper>().setZero();
  invertLowerTriangular(upper);
  upper = upper.reverse().eval();
  return upper.allFinite() && (upper.diagonal().array() > 0.0).all();
}

} // namespace

double mlir::qc::layerOutputError(const float *W, const float *What,
                                  int64_t rows, int64_t cols, const double *H) {
  Eigen::Map<const RowMatrixF> w(W, rows, cols), wHat(What, rows, cols);
  Eigen::Map<const RowMatrixD> h(H, cols, cols);
  // In chunks of rows: an LM head's delta alone would be 0.5 GB in double.
  constexpr int64_t kChunk = 256;
  double total = 0.0;
  for (int64_t r = 0; r < rows; r += kChunk) {
    int64_t n = std::min(kChunk, rows - r);
    RowMatrixD delta = w.middleRows(r, n).cast<double>() -
                       wHat.middleRows(r, n).cast<double>();
    total += (delta * h).cwiseProduct(delta).sum();
  }
  return total;
}

bool mlir::qc::runGPTQ(const float *weights, int64_t rows, int64_t cols,
                       const double *hessian, const GPTQOptions &options,
                       GPTQResult &result, std::string *error) {
  const QuantSpec &spec = options.spec;
  if (rows <= 0 || cols <= 0)
    return fail(error, "empty weight matrix");
  if (spec.bits < 2 || spec.bits > 8)
    return fail(error,
                "bits must be in [2, 8], got " + std::to_string(spec.bits));
  if (spec.groupSize < 0)
    return fail(error, "negative group size");
  if (options.blockSize <= 0)
    return fail(error, "block size must be positive");
  if (!(options.dampPercent >= 0.0) || !std::isfinite(options.dampPercent))
    return fail(error, "damping percent must be finite and non-negative");

  Eigen::Map<const RowMatrixF> inputW(weights, rows, cols);
  Eigen::Map<const RowMatrixD> inputH(hessian, cols, cols);
  if (!inputW.allFinite())
    return fail(error, "non-finite weight");
  if (!inputH.allFinite())
    return fail(error, "non-finite Hessian entry");

  const int64_t groupSize = spec.groupSize;
  const int64_t numGroups = spec.numGroups(cols);
  const bool staticGroups = groupSize > 0 && options.staticGroups;
  result.q.codes.assign(rows * cols, 0);
  result.q.scales.assign(rows * numGroups, 0.0f);
  result.q.zeroPoints.assign(rows * numGroups, 0);
  result.groupIndex.clear();
  result.layerError = 0.0;
  auto record = [&](int64_t row, int64_t group, GroupParams params) {
    result.q.scales[row * numGroups + group] = params.scale;
    result.q.zeroPoints[row * numGroups + group] = params.zeroPoint;
  };

  // Current parameters of every row. Per channel, as the reference: from the
  // input rows, before dead columns are zeroed.
  std::vector<GroupParams> params(rows);
  if (groupSize == 0) {
    for (int64_t r = 0; r < rows; ++r) {
      params[r] = findGroupParams(weights + r * cols, cols, spec);
      record(r, 0, params[r]);
    }
  }

  MatrixD w = inputW.cast<double>();
  MatrixD h = 0.5 * (inputH + inputH.transpose());

  // Dead columns: no input ever reaches them.
  for (int64_t i = 0; i < cols; ++i) {
    if (h(i, i) == 0.0) {
      h(i, i) = 1.0;
      w.col(i).setZero();
      ++result.deadColumns;
    }
  }

  // Static groups: parameters of the contiguous groups of the (zeroed) input.
  std::vector<GroupParams> staticParams;
  if (staticGroups) {
    RowMatrixF zeroed = w.cast<float>();
    staticParams.resize(rows * numGroups);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t g = 0; g < numGroups; ++g) {
        int64_t begin = g * groupSize;
        int64_t count = std::min(groupSize, cols - begin);
        staticParams[r * numGroups + g] =
            findGroupParams(zeroed.row(r).data() + begin, count, spec);
        record(r, g, staticParams[r * numGroups + g]);
      }
    }
  }

  // perm[j]: original column quantized j-th.
  std::vector<int64_t> perm(cols);
  std::iota(perm.begin(), perm.end(), 0);
  if (options.actOrder) {
    std::stable_sort(perm.begin(), perm.end(),
                     [&](int64_t a, int64_t b) { return h(a, a) > h(b, b); });
    MatrixD permW(rows, cols), permH(cols, cols);
    for (int64_t j = 0; j < cols; ++j)
      permW.col(j) = w.col(perm[j]);
    for (int64_t j = 0; j < cols; ++j)
      for (int64_t i = 0; i < cols; ++i)
        permH(i, j) = h(perm[i], perm[j]);
    w = std::move(permW);
    h = std::move(permH);
  }

  // Damping, retried with 10x more up to three times.
  double meanDiag = h.diagonal().mean();
  MatrixD hinv;
  bool factored = false;
  double percent = options.dampPercent;
  for (int attempt = 0; attempt <= 3 && !factored; ++attempt) {
    if (attempt > 0)
      percent = std::max(options.dampPercent, 0.001) * std::pow(10.0, attempt);
    factored = inverseHessianFactor(h, percent * meanDiag, hinv);
  }
  if (!factored)
    return fail(error, "Hessian is not positive definite even with " +
                           std::to_string(percent) +
                           " * mean(diag(H)) damping");

  const unsigned bits = spec.bits;
  const int64_t blockSize = options.blockSize;
  VectorD err(rows);
  for (int64_t i1 = 0; i1 < cols; i1 += blockSize) {
    const int64_t i2 = std::min(i1 + blockSize, cols);
    const int64_t count = i2 - i1;
    MatrixD block = w.middleCols(i1, count);
    MatrixD blockErr = MatrixD::Zero(rows, count);

    for (int64_t i = 0; i < count; ++i) {
      const int64_t col = i1 + i;
      if (staticGroups) {
        int64_t g = perm[col] / groupSize;
        for (int64_t r = 0; r < rows; ++r)
          params[r] = staticParams[r * numGroups + g];
      } else if (groupSize > 0 && col % groupSize == 0) {
        // The group's current weights: those in this block are up to date,
        // later ones still miss this block's updates so far.
        int64_t length = std::min(groupSize, cols - col);
        int64_t inBlock = std::min(length, i2 - col);
        MatrixD group(rows, length);
        group.leftCols(inBlock) = block.middleCols(i, inBlock);
        if (length > inBlock) {
          group.rightCols(length - inBlock) =
              w.middleCols(i2, length - inBlock);
          if (i > 0)
            group.rightCols(length - inBlock).noalias() -=
                blockErr.leftCols(i) * hinv.block(i1, i2, i, length - inBlock);
        }
        RowMatrixF groupF = group.cast<float>();
        for (int64_t r = 0; r < rows; ++r) {
          params[r] = findGroupParams(groupF.row(r).data(), length, spec);
          record(r, col / groupSize, params[r]);
        }
      }

      const double d = hinv(col, col);
      for (int64_t r = 0; r < rows; ++r) {
        double value = block(r, i);
        uint8_t code = quantizeValue(float(value), params[r], bits);
        result.q.codes[r * cols + perm[col]] = code;
        err(r) = (value - double(dequantizeValue(code, params[r]))) / d;
      }
      blockErr.col(i) = err;
      const int64_t rest = count - i - 1;
      if (rest > 0)
        block.rightCols(rest).noalias() -=
            err * hinv.row(col).segment(col + 1, rest);
    }

    if (i2 < cols)
      w.rightCols(cols - i2).noalias() -=
          blockErr * hinv.block(i1, i2, count, cols - i2);
  }

  if (options.actOrder && groupSize > 0 && !staticGroups) {
    result.groupIndex.resize(cols);
    for (int64_t j = 0; j < cols; ++j)
      result.groupIndex[perm[j]] = int32_t(j / groupSize);
  }

  // Error of the decoded weights against the input ones.
  std::vector<float> decoded(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      int64_t g = groupSize == 0              ? 0
                  : result.groupIndex.empty() ? c / groupSize
                                              : result.groupIndex[c];
      GroupParams p{result.q.scales[r * numGroups + g],
                    result.q.zeroPoints[r * numGroups + g]};
      decoded[r * cols + c] = dequantizeValue(result.q.codes[r * cols + c], p);
    }
  }
  result.layerError =
      layerOutputError(weights, decoded.data(), rows, cols, hessian);
  return true;
}
