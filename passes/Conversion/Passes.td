//===- Passes.td - qc conversion passes --------------------*- tablegen -*-===//

#ifndef QC_PASSES_CONVERSION_PASSES_TD
#define QC_PASSES_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def QCToLinalgPass : Pass<"qc-lower-to-linalg", "func::FuncOp"> {
  let summary = "Lowers qc layers to linalg.generic, dequantizing in the loop";
  let description = [{
    `qc.linear` and `qc.conv2d` become `linalg.generic` reductions. A
    `!qc.qweight` operand is decoded inside the layer's loops, so no float
    copy of a whole quantized weight is materialized. Unscheduled
    (`tile-rows=0`, the default) the layer is one reduction whose body
    decodes each weight element; with `tile-rows=N` (a target's schedule,
    16 on the CPU) the layer becomes an `scf.for` over tiles of at most N
    weight rows (conv filters; a tile
    never straddles a conv group), each tile is decoded once into a
    `tensor<TxKxf32>` and then reduced against every input row (output
    position) in a plain float loop:

    ```mlir
    %y = qc.linear %x, %q : tensor<2x8xf32>, !qc.qweight<16x8, ...> -> tensor<2x16xf32>
    // becomes scf.for %row = 0 to 16 step 16 iter_args(%acc):
    //   tile = linalg.generic over (t, g, chunk, code) reading the rows'
    //          packed bytes, scales[t, g], zero_points[t, g] -> tensor<16x8xf32>
    //   acc[:, row:row+16] += x * tile^T   (linalg.generic over (m, t, k))
    ```

    Decoding runs chunk by chunk where groups hold whole chunks (1 byte of
    2/4/8-bit codes, 3 bytes of eight 3-bit codes), so a group's scale is
    loop-invariant and LLVM vectorizes it; otherwise position by position
    (`packed[t, (k*bits) floordiv 8]` and the next byte, scales through a
    group index when there is one).
  }];
  let options = [
    Option<"tileRows", "tile-rows", "int64_t", "0",
           "Quantized weight rows decoded per tile: the target's schedule "
           "(0: unscheduled, decode inside the contraction's body; the CPU "
           "pipeline uses 16)">,
    Option<"gemvLanes", "gemv-lanes", "int64_t", "0",
           "f32 lanes of the fused GEMV schedule for qc.linear at batch 1-4 "
           "(0: off; the CPU pipeline uses the target's vector width)">,
    Option<"actBits", "act-bits", "int64_t", "0",
           "8: the GEMV quantizes its input to int8 per block at run time "
           "and uses integer dot products with quantized weights (0: f32)">,
    Option<"interleave", "interleave", "bool", "true",
           "With act-bits=8, repack constant quantized weights at compile "
           "time so that vector lanes are output rows (false: the "
           "row-major int8 kernel)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::math::MathDialect"];
}

def PrefetchWeightStreamsPass : Pass<"qc-prefetch-weight-streams",
                                      "func::FuncOp"> {
  let summary = "Prefetches the weights the innermost loops stream";
  let description = [{
    A batch-1 layer reads its weights once, in order: the time is the
    memory's. One core's hardware prefetchers keep too few misses in flight
    to reach the DRAM bandwidth with the kernels' two to four streams, so
    each vector read of a constant global (a weight) in an innermost scf.for
    gets a `memref.prefetch` of the same stream `distance` bytes ahead: the
    index that varies in the loop (the last non-constant one) moves ahead by
    as many of its rows as cover `distance`, clamped to the dimension's last
    index so the address stays inside the weight. Reads of other memrefs
    (activations, outputs) and reads outside loops are left alone.

    ```mlir
    scf.for %c = %c0 to %c512 step %c1 {
      %w = vector.transfer_read %packed[%rb, %c, %c0] ... : memref<8x512x64xi8>, vector<64xi8>
    // gains, before the read:
      %ahead = arith.minui (%c + 16), %c511
      memref.prefetch %packed[%rb, %ahead, %c0], read, locality<3>, data
    ```
  }];
  let options = [
    Option<"distance", "distance", "int64_t", "2048",
           "How far ahead of each read to prefetch, in bytes (> 0)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def EarlyDeallocPass : Pass<"qc-early-dealloc", "func::FuncOp"> {
  let summary = "Frees each buffer right after its last use";
  let description = [{
    Ownership-based buffer deallocation frees a buffer at the end of the
    block that allocated it, so every intermediate tensor of a model (one
    function body) stays allocated until the model returns: the peak is
    the sum of all activations, not the largest live set. For each
    `memref.dealloc` of a `memref.alloc` in the same block, this pass moves
    the dealloc to just after the last op of that block that uses the
    buffer or any view of it (BufferViewFlowAnalysis). A buffer that a use
    outside the block, a call, a return or an op making a memref that is
    not a view could keep alive is left as it is.

    ```mlir
    %a = memref.alloc() : memref<512x2048xf32>
    linalg.fill ins(%c0 : f32) outs(%a : memref<512x2048xf32>)
    scf.forall ... { ... %a ... }         // last use
    ... the rest of the model ...
    memref.dealloc %a                      // moves up to after the forall
    ```
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def ParallelizeLinalgPass : Pass<"qc-parallelize-linalg", "func::FuncOp"> {
  let summary = "Splits large linalg ops outside the kernels across threads";
  let description = [{
    Tiles every linalg op on tensors that is not inside a loop (the qc.linear
    kernels are scf.forall already) and has at least `min-iterations`
    iterations along its outermost parallel dimension that `tasks` (or a
    smaller power of two) divides, into an scf.forall of that many slices;
    the CPU pipeline lowers it to OpenMP with the kernels' foralls. Fills,
    ops with dynamic shapes and ops without such a dimension stay as they
    are.

    ```mlir
    %y = linalg.generic ... ins(%x : tensor<128x384xf32>) ...
    // becomes
    %y = scf.forall (%i) in (8) shared_outs(%o = %init) -> (tensor<128x384xf32>) {
      ... linalg.generic on tensor<16x384xf32> slices ...
    }
    ```
  }];
  let options = [
    Option<"tasks", "tasks", "int64_t", "4",
           "Slices per op (a power of two; fewer when the extent is not a "
           "multiple)">,
    Option<"minIterations", "min-iterations", "int64_t", "131072",
           "Ops with fewer loop iterations stay on one thread">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect"];
}

def Int8DotToX86VNNIPass : Pass<"qc-int8-dot-to-x86-vnni", "func::FuncOp"> {
  let summary = "Rewrites 4-wide u8 x s8 dot products as AVX512-VNNI vpdpbusd";
  let description = [{
    The int8 GEMV (QCToLinalg's GemvInt8.cpp) writes its dot products in
    target-neutral vector ops; on an x86 CPU with AVX512-VNNI this pass turns
    each into one `vpdpbusd` (`llvm.x86.avx512.vpdpbusd.{128,256,512}`):

    ```mlir
    %p = arith.muli (arith.extui %codes : vector<64xi8> to vector<64xi32>),
                    (arith.extsi %x : vector<64xi8> to vector<64xi32>)
    %g = vector.shape_cast %p : vector<64xi32> to vector<16x4xi32>
    %d = vector.multi_reduction <add>, %g, %acc [1] : vector<16x4xi32> to vector<16xi32>
    // becomes
    %d = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc, %codes, %x)
    ```

    It runs on buffers (the intrinsic call has no declared memory effects,
    which bufferization would reject). Other forms are left alone.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def Int8DotToArmI8MMPass : Pass<"qc-int8-dot-to-arm-i8mm", "func::FuncOp"> {
  let summary = "Rewrites 4-lane u8 x s8 dot products as AArch64 I8MM usdot";
  let description = [{
    The AArch64 counterpart of qc-int8-dot-to-x86-vnni: on a CPU with the
    I8MM extension each 4-lane int8 dot product of the GEMV kernels becomes
    one `usdot` (`llvm.aarch64.neon.usdot.v4i32.v16i8`):

    ```mlir
    %p = arith.muli (arith.extui %codes : vector<16xi8> to vector<16xi32>),
                    (arith.extsi %x : vector<16xi8> to vector<16xi32>)
    %g = vector.shape_cast %p : vector<16xi32> to vector<4x4xi32>
    %d = vector.multi_reduction <add>, %g, %acc [1] : vector<4x4xi32> to vector<4xi32>
    // becomes
    %d = llvm.call_intrinsic "llvm.aarch64.neon.usdot.v4i32.v16i8"(%acc, %codes, %x)
    ```

    Like the x86 pass it runs on buffers; other widths and forms are left to
    LLVM's generic lowering.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def ApproximateMathPass : Pass<"qc-approximate-math", "func::FuncOp"> {
  let summary = "Replaces libm calls of erf/exp/tanh/log by vectorizable polynomials";
  let description = [{
    `math.erf` (exact GELU), `math.exp` (softmax, SiLU), `math.tanh` and
    `math.log` otherwise become scalar libm calls, which keep LLVM from
    vectorizing the element-wise loops around them (on tinygpt, erff and
    expf were 18% of a forward pass). MLIR's polynomial approximations
    (`populateMathPolynomialApproximationPatterns`, max error a few ulp in
    f32) are plain arithmetic, which vectorizes.

    ```mlir
    %y = math.erf %x : f32
    // becomes a rational polynomial in arith ops (no call)
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def ReassociateReductionsPass
    : Pass<"qc-reassociate-reductions", "func::FuncOp"> {
  let summary = "Lets float reductions in linalg.generic be reassociated";
  let description = [{
    A linalg.generic reducing floats accumulates in a fixed order, which
    forbids LLVM to vectorize the reduction loop: it vectorizes an outer
    loop instead, with gathers (attention's Q.K^T and P.V, normalization
    statistics). This pass marks the accumulating `arith.addf` / `mulf`
    (the values yielded into a reduction's output) `fastmath<reassoc,
    contract>`, the freedom every BLAS takes; the result changes by rounding
    only.

    ```mlir
    linalg.generic {iterator_types = ["parallel", "reduction"]} ... {
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %out, %p : f32
      linalg.yield %s : f32
    }
    // the addf (and the mulf feeding it) get fastmath<reassoc,contract>
    ```
  }];
}

def FuseElementwiseOpsPass : Pass<"qc-fuse-elementwise", "func::FuncOp"> {
  let summary = "Element-wise linalg fusion that never recomputes a producer "
                "per reduced element";
  let description = [{
    Upstream's `linalg-fuse-elementwise-ops` with one more rule: a producer is
    not fused into a consumer with reduction loops through an operand that
    does not use every loop of the consumer. Upstream would fuse softmax's
    division `p / sum` into attention's `P . V`, computing it once per
    element of the head dimension (64 times on tinygpt); here P is computed
    once. Everything else (reshape folding by expansion, constant folding,
    canonicalization) is upstream's.

    ```mlir
    %p = linalg.generic ["parallel" x4] (e / s)          // [b, h, q, k]
    %o = linalg.generic [.., "reduction"] ins(%p, %v)    // P read at (b,h,q,k), loops (b,h,q,d,k)
    // stays two ops
    ```
  }];
}

def InnermostContiguousLoopPass
    : Pass<"qc-innermost-contiguous-loop", "func::FuncOp"> {
  let summary = "Makes the loop most operands are contiguous along innermost";
  let description = [{
    LLVM vectorizes the innermost loop of a generic. When that loop strides
    through most operands (attention's `P . V` reduces over k while V and
    the output are contiguous along the head dimension d), it vectorizes
    with gathers. This pass interchanges a reducing generic's loops so the
    innermost one is the loop indexing the last dimension of the most
    operands (ties keep the current order). Element-wise generics are left
    alone: a weight decode reads per-group scales along an outer dimension,
    which must not become the innermost loop.

    ```mlir
    // loops (b, h, q, d, k), P[b,h,q,k], V[b,k,h,d], out[b,h,q,d]
    // becomes loops (b, h, q, k, d): V and out contiguous, P broadcast
    ```
  }];
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

def DistinctResultsPass : Pass<"qc-distinct-results", "func::FuncOp"> {
  let summary = "Gives every returned tensor a value of its own";
  let description = [{
    A model's outputs become caller-provided buffers
    (`buffer-results-to-out-params`), one per result. When one value is
    returned twice -- a graph whose outputs are `y` and `Identity(y)`, or a
    calibration model probing one tensor for several layers (q/k/v
    projections reading the same normalization) -- one buffer would have to
    be two, and bufferization's out-param rewrite crashes. Each repeated
    operand of `func.return` is replaced by a copy:

    ```mlir
    return %y, %y : tensor<4xf32>, tensor<4xf32>
    // becomes
    %e = tensor.empty() : tensor<4xf32>
    %c = linalg.copy ins(%y : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    return %y, %c : tensor<4xf32>, tensor<4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def PrepareEntryABIPass : Pass<"qc-prepare-entry-abi", "func::FuncOp"> {
  let summary = "Readies function boundaries for the qc_model bare-pointer ABI";
  let description = [{
    Runs right before bufferization. Inputs belong to the caller, so every
    argument is marked `bufferization.writable = false`; the ONNX names
    (`qc.name`, already read into the model signature) are dropped; and an
    empty tensor of rank > 1 at the boundary becomes `tensor<0xT>`, because
    the bare-pointer calling convention cannot express e.g.
    `memref<3x0x5xf32>` (the model descriptor keeps the declared shape):

    ```mlir
    func.func @main_graph(%x: tensor<2x3xf32> {qc.name = "x"}) -> (tensor<2x3xf32> {qc.name = "y"})
    // becomes
    func.func @main_graph(%x: tensor<2x3xf32> {bufferization.writable = false}) -> tensor<2x3xf32>
    ```
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::tensor::TensorDialect"];
}

def KVCacheInPlacePass : Pass<"qc-kv-cache-in-place", "func::FuncOp"> {
  let summary = "Turns a model-kv step into one updating a fixed-size cache in place";
  let description = [{
    A decoder exported in the Hugging Face convention takes its cache as
    inputs `past_key_values.{i}.key|value` [batch, heads, past, dim] and
    returns `present.{i}.key|value` = Concat(past, new) along axis 2. A
    generator instead owns one buffer of `max-context` positions per cache,
    allocated once: this pass makes each past argument that buffer (marked
    `qc.kv_cache`, [batch, heads, max-context, dim]) and each present result
    the same buffer after the step, written where the step's new positions
    go, so no step copies the cache.

    * decode (`prefill=false`): the function was imported with past =
      max-context - seq. Its Concat (an insert of past then of the new
      positions into an empty tensor) becomes an insert of the new positions
      into the cache at slot `cache_position`, a new `tensor<i64>` argument.
      Attention then reads all max-context slots; the attention mask marks
      the valid ones, so a mask built from shapes stays exact for one token.
    * prefill (`prefill=true`): imported with past = 0, so present is just
      the new positions; they are inserted into the cache at slot 0.

    ```mlir
    // decode, max-context = 8, past imported with 7 positions
    %e = tensor.empty() : tensor<1x2x8x4xf32>
    %0 = tensor.insert_slice %past into %e[0, 0, 0, 0] [1, 2, 7, 4] [1, 1, 1, 1]
    %1 = tensor.insert_slice %new into %0[0, 0, 7, 0] [1, 2, 1, 4] [1, 1, 1, 1]
    // becomes (with %p from the cache_position argument)
    %1 = tensor.insert_slice %new into %cache[0, 0, %p, 0] [1, 2, 1, 4] [1, 1, 1, 1]
    ```

    A past input whose present is not such a Concat, a missing present, or
    a cache of the wrong length is an error naming the input.
  }];
  let options = [
    Option<"maxContext", "max-context", "int64_t", "0",
           "Positions of every cache buffer">,
    Option<"prefill", "prefill", "bool", "false",
           "The prefill step (past imported empty) instead of the decode step">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect"];
}

def FuseSiblingLinearsPass : Pass<"qc-fuse-sibling-linears", "func::FuncOp"> {
  let summary = "Makes the quantized layers that read one input one layer";
  let description = [{
    A decoder block reads one normalized input in its q, k and v projections
    and another in its gate and up projections. Each was its own GEMV per
    token: its own pass over the input (and, with int8 activations, its own
    quantization of it), its own parallel region, and for grouped-query
    attention two short weight streams. `qc.linear` ops of the same input
    whose weights are `qc.quantized_weight`s of one affine layout and row
    length, with constant codes, scales and zero points, no column scales or
    group index, and all with or all without a constant bias, become one
    layer over the rows of all of them (first to last in block order); each
    result is an `extract_slice` of its columns. Every output element is
    computed from the same codes, scales and input as before.

    ```mlir
    %q = qc.linear %x, %wq : tensor<1x64xf32>, !qc.qweight<64x64, #l> -> tensor<1x64xf32>
    %k = qc.linear %x, %wk : tensor<1x64xf32>, !qc.qweight<16x64, #l> -> tensor<1x16xf32>
    // becomes
    %w = qc.quantized_weight %packed_qk, %scales_qk : ... -> !qc.qweight<80x64, #l>
    %qk = qc.linear %x, %w : tensor<1x64xf32>, !qc.qweight<80x64, #l> -> tensor<1x80xf32>
    %q = tensor.extract_slice %qk[0, 0] [1, 64] [1, 1]
    %k = tensor.extract_slice %qk[0, 64] [1, 16] [1, 1]
    ```

    Float layers (streamed near bandwidth already; concatenating them would
    copy every float weight at compile time) and layers of different widths
    or layouts (mixed precision) are left alone.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def LastPositionLogitsPass : Pass<"qc-last-position-logits", "func::FuncOp"> {
  let summary = "Computes a prefill step's logits at each row's last prompt position only";
  let description = [{
    A generator's prefill step chooses the first new token from the logits at
    the last valid prompt position of each row; the rows of the LM head at
    the other positions are thrown away. When the `logits` output
    [batch, seq, vocab] is a `qc.linear` used only by the return, its input
    is gathered at position `count(attention_mask[r, :] != 0) - 1` (clamped
    to [0, seq - 1]; prompts are left-aligned) and the head computes one
    row per batch row: `logits` becomes [batch, 1, vocab]. Any other form of
    the head is left as it is (the runtime reads the output's shape).

    ```mlir
    %y = qc.linear %x, %w : tensor<1x64x128xf32>, tensor<96x128xf32> -> tensor<1x64x96xf32>
    return %y
    // becomes
    %n = linalg.generic ... ins(%mask) ...   // valid positions per row
    %last = linalg.generic ... ins(%n) ... { tensor.extract %x[%r, %n - 1, %c] }
    %y = qc.linear %last, %w : tensor<1x1x128xf32>, tensor<96x128xf32> -> tensor<1x1x96xf32>
    ```

    A function without an output `logits` and an input `attention_mask` is an
    error.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def DeduplicateConstantsPass : Pass<"qc-deduplicate-constants", "ModuleOp"> {
  let summary = "Makes constants with the same type and bytes share one attribute";
  let description = [{
    Weights are `dense_resource` blobs, which compare by handle, not by
    content: the same initializer imported twice (a generator's prefill and
    decode steps) or the same repacked weight built by two functions would
    become two globals in the binary. Every `arith.constant` whose value is
    a `dense_resource` takes the attribute of the first constant in the
    module with the same type and the same bytes, so bufferization makes
    one global of them.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def DropInPlaceResultsPass : Pass<"qc-drop-in-place-results", "func::FuncOp"> {
  let summary = "Drops KV cache results that are their argument buffers";
  let description = [{
    Runs right after one-shot bufferization. A generator's updated KV cache
    (a result marked `qc.kv_cache`) is returned as the argument buffer it
    was written into; the caller already owns it, so the result goes away
    rather than becoming an out-param copy of the whole cache.
    (`drop-equivalent-buffer-results` does this for private functions only;
    the entries are public.) A marked result that is not an argument of the
    function means bufferization copied the cache: an error.

    ```mlir
    func.func @step(%x: memref<4xf32>, %cache: memref<8xf32>)
        -> (memref<4xf32>, memref<8xf32> {qc.kv_cache}) {
      ...
      return %y, %cache : memref<4xf32>, memref<8xf32>
    }
    // becomes
    func.func @step(%x: memref<4xf32>, %cache: memref<8xf32>) -> memref<4xf32> {
      ...
      return %y : memref<4xf32>
    }
    ```
  }];
}

#endif // QC_PASSES_CONVERSION_PASSES_TD
