// RUN: quantc-opt %s --split-input-file --verify-diagnostics --qc-drop-in-place-results

// A cache result that is not the argument's buffer: bufferization copied
// the cache, which a generator must not do every step.
// expected-error @+1 {{KV cache result 1 was not updated in place (bufferization copied the cache)}}
func.func @copied(%x: memref<4xf32>, %cache: memref<8xf32>)
    -> (memref<4xf32>, memref<8xf32> {qc.kv_cache}) {
  %copy = memref.alloc() : memref<8xf32>
  memref.copy %cache, %copy : memref<8xf32> to memref<8xf32>
  return %x, %copy : memref<4xf32>, memref<8xf32>
}
