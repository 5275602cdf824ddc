//===- WeightStorage.cpp - Mapped and spilled weight blobs ----------------===//

#include "lib/Support/WeightStorage.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"

#include <fcntl.h>
#include <map>
#include <mutex>
#include <sys/mman.h>
#include <unistd.h>

using namespace mlir;

namespace {

/// The weight mappings (start -> size), so that dropResidentPages never
/// advises heap memory (MADV_DONTNEED on anonymous memory would zero it).
struct MappedRanges {
  std::mutex mutex;
  std::map<uintptr_t, size_t> ranges;

  void add(const void *start, size_t size) {
    std::lock_guard<std::mutex> lock(mutex);
    ranges[uintptr_t(start)] = size;
  }
  void remove(const void *start) {
    std::lock_guard<std::mutex> lock(mutex);
    ranges.erase(uintptr_t(start));
  }
  bool contains(const char *begin, const char *end) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = ranges.upper_bound(uintptr_t(begin));
    if (it == ranges.begin())
      return false;
    --it;
    return uintptr_t(end) <= it->first + it->second;
  }
};

MappedRanges &mappedRanges() {
  static MappedRanges ranges;
  return ranges;
}

/// The unlinked temporary file large blobs are written to. Space is never
/// reused (blobs are written once, in order); freed blobs punch holes so
/// the disk use follows the live blobs.
struct SpillFile {
  std::mutex mutex;
  int fd = -1;
  uint64_t end = 0;

  bool open() {
    std::lock_guard<std::mutex> lock(mutex);
    if (fd >= 0)
      return true;
    llvm::SmallString<128> path;
    int newFd;
    if (llvm::sys::fs::createTemporaryFile("quantc-spill", "bin", newFd, path))
      return false;
    ::unlink(path.c_str());
    fd = newFd;
    return true;
  }

  /// Writes `bytes` at a fresh page-aligned offset; returns it, or -1.
  int64_t append(ArrayRef<char> bytes) {
    std::lock_guard<std::mutex> lock(mutex);
    if (fd < 0)
      return -1;
    uint64_t page = llvm::sys::Process::getPageSizeEstimate();
    uint64_t offset = (end + page - 1) / page * page;
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n =
          ::pwrite(fd, bytes.data() + done, bytes.size() - done, offset + done);
      if (n <= 0) {
        // A full disk: leave the file as it was; the caller uses the heap.
        (void)::ftruncate(fd, off_t(end));
        return -1;
      }
      done += size_t(n);
    }
    end = offset + bytes.size();
    return int64_t(offset);
  }

  void release(uint64_t offset, size_t size) {
    std::lock_guard<std::mutex> lock(mutex);
#ifdef FALLOC_FL_PUNCH_HOLE
    (void)::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      off_t(offset), off_t(size));
#endif
  }
};

SpillFile &spillFile() {
  static SpillFile file;
  return file;
}

bool spillEnabled = false;

AsmResourceBlob heapBlob(ArrayRef<char> bytes, size_t alignment) {
  return HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignment);
}

} // namespace

void mlir::qc::enableWeightSpill() { spillEnabled = spillFile().open(); }

AsmResourceBlob mlir::qc::allocateWeightBlob(ArrayRef<char> bytes,
                                             size_t alignment) {
  uint64_t page = llvm::sys::Process::getPageSizeEstimate();
  if (!spillEnabled || bytes.size() < kSpillBlobBytes || alignment > page)
    return heapBlob(bytes, alignment);
  SpillFile &file = spillFile();
  int64_t offset = file.append(bytes);
  if (offset < 0)
    return heapBlob(bytes, alignment);
  void *map = ::mmap(nullptr, bytes.size(), PROT_READ, MAP_SHARED, file.fd,
                     off_t(offset));
  if (map == MAP_FAILED) {
    file.release(uint64_t(offset), bytes.size());
    return heapBlob(bytes, alignment);
  }
  // The written pages are in the page cache, not mapped into this process
  // until read.
  mappedRanges().add(map, bytes.size());
  return AsmResourceBlob(
      ArrayRef<char>(static_cast<const char *>(map), bytes.size()), alignment,
      [offset](void *data, size_t size, size_t) {
        mappedRanges().remove(data);
        ::munmap(data, size);
        spillFile().release(uint64_t(offset), size);
      },
      /*dataIsMutable=*/false);
}

AsmResourceBlob
mlir::qc::adoptWeightBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer,
                            size_t alignment) {
  ArrayRef<char> data(buffer->getBufferStart(), buffer->getBufferSize());
  if (uintptr_t(data.data()) % alignment != 0 ||
      buffer->getBufferKind() != llvm::MemoryBuffer::MemoryBuffer_MMap)
    return allocateWeightBlob(data, alignment);
  mappedRanges().add(data.data(), data.size());
  std::shared_ptr<llvm::MemoryBuffer> owner(std::move(buffer));
  return AsmResourceBlob(
      data, alignment,
      [owner](void *start, size_t, size_t) mutable {
        mappedRanges().remove(start);
        owner.reset();
      },
      /*dataIsMutable=*/false);
}

void mlir::qc::dropResidentPages(ArrayRef<char> data) {
  if (data.empty() || !mappedRanges().contains(data.begin(), data.end()))
    return;
  uintptr_t page = llvm::sys::Process::getPageSizeEstimate();
  uintptr_t begin = (uintptr_t(data.begin()) + page - 1) / page * page;
  uintptr_t end = uintptr_t(data.end()) / page * page;
  if (begin < end)
    (void)::madvise(reinterpret_cast<void *>(begin), end - begin,
                    MADV_DONTNEED);
}
