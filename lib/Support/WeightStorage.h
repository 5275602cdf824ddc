//===- WeightStorage.h - Where the bytes of large weights live --*- C++ -*-===//
//
// A model's weights are larger than what a compile may hold in memory (a
// 1.1B-parameter FP32 model is 4.4 GB; the targets are 2 GB for an int4
// build). So large weight blobs are not heap copies:
//  - external data of the ONNX file is a read-only memory map of that file;
//  - every other large blob a compile creates (the importer's re-laid-out
//    weights, the quantized weights) is written to one unlinked temporary
//    file, the spill file, and mapped read-only from it.
// Either way the bytes are in the page cache, not in the process: a page is
// resident only while somebody reads it, and whoever reads a whole weight
// gives its pages back afterwards (dropResidentPages), so a compile that
// walks the model layer by layer holds about one layer at a time. Freeing a
// blob unmaps it (and frees the spill file's blocks).
//
// The spill file is used only after enableWeightSpill() (the quantc driver
// calls it); without it, blobs are heap copies, as in quantc-opt and tests.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_SUPPORT_WEIGHTSTORAGE_H
#define QC_LIB_SUPPORT_WEIGHTSTORAGE_H

#include "mlir/IR/AsmState.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>

namespace mlir::qc {

/// Blobs smaller than this stay on the heap: a page-granular mapping of
/// each bias and norm would cost more than it saves.
constexpr size_t kSpillBlobBytes = size_t(1) << 20;

/// Makes allocateWeightBlob put large blobs in the spill file. Idempotent.
/// The file is created in the system's temporary directory and unlinked at
/// once, so nothing is left behind whatever way the process ends.
void enableWeightSpill();

/// A blob holding a copy of `bytes` at `alignment`: mapped from the spill
/// file when it is enabled and the blob is large, else on the heap (also
/// when the spill file cannot grow, e.g. a full disk).
AsmResourceBlob allocateWeightBlob(ArrayRef<char> bytes, size_t alignment);

/// A blob that owns `buffer` (a memory map of external data) without a
/// copy, if its start is aligned to `alignment`; else a copy of it, as
/// allocateWeightBlob makes.
AsmResourceBlob adoptWeightBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer,
                                  size_t alignment);

/// Gives back the resident pages of `data` if it lies in a weight mapping
/// (the data stays readable: the next read faults it in from the page
/// cache or the file). A no-op for heap data.
void dropResidentPages(ArrayRef<char> data);

} // namespace mlir::qc

#endif // QC_LIB_SUPPORT_WEIGHTSTORAGE_H
