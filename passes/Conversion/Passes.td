//===- Passes.td - qc conversion passes --------------------*- tablegen -*-===//

#ifndef QC_PASSES_CONVERSION_PASSES_TD
#define QC_PASSES_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def QCToLinalgPass : Pass<"qc-lower-to-linalg", "func::FuncOp"> {
  let summary = "Lowers qc layers to linalg.generic, dequantizing in the loop";
  let description = [{
    `qc.linear` and `qc.conv2d` become `linalg.generic` reductions. A
    `!qc.qweight` operand is read through its packed codes, scales and zero
    points inside the reduction body, so no float copy of a quantized weight
    is materialized:

    ```mlir
    %y = qc.linear %x, %q : tensor<2x4xf32>, !qc.qweight<1x4, ...> -> tensor<2x1xf32>
    // becomes a linalg.generic over (m, n, k) reading
    //   packed[n, (k*bits) floordiv 8], packed[n, (k*bits + bits - 1) floordiv 8],
    //   scales[n, k floordiv group], zero_points[n, k floordiv group]
    ```

    That is the form of `qc.conv2d`. A quantized `qc.linear` is instead an
    `scf.for` over tiles of weight rows: each tile (at most 16 rows) is
    dequantized once into a `tensor<TxKxf32>` (chunk by chunk where groups
    hold whole chunks: 1 byte of 2/4/8-bit codes, 3 bytes of eight 3-bit
    codes; so LLVM vectorizes the decoding) and multiplied by every input
    row in a plain reduction; codes are unpacked once per tile rather than
    once per input row, and the tile is the only float copy.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def MemRefCopyToLinalgPass : Pass<"qc-memref-copy-to-linalg", "func::FuncOp"> {
  let summary = "Rewrites memref.copy as linalg.copy";
  let description = [{
    Bufferization emits `memref.copy` (padding, out-params). Strided copies
    otherwise lower to calls of MLIR's `memrefCopy` runtime helper, which a
    standalone binary does not link; as `linalg.copy` they become plain loops.

    ```mlir
    memref.copy %a, %b : memref<4xf32> to memref<4xf32, strided<[1], offset: 2>>
    // becomes
    linalg.copy ins(%a : memref<4xf32>) outs(%b : memref<4xf32, strided<[1], offset: 2>>)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

#endif // QC_PASSES_CONVERSION_PASSES_TD
