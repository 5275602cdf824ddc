//===- WeightStorageTest.cpp - Spilled and mapped weight blobs ------------===//
//
// lib/Support/WeightStorage: a spilled blob holds the bytes it was given,
// is not resident until read, gives its pages back when told (and reads
// the same afterwards), and heap data is never advised away. Residency is
// read from /proc/self/status (RssFile: file-backed resident pages), which
// is what `/usr/bin/time` counts as a compile's peak.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/WeightStorage.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cstring>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::qc;

namespace {

/// File-backed resident memory of this process, bytes.
int64_t residentFileBytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "RssFile:") {
      int64_t kb;
      status >> kb;
      return kb * 1024;
    }
    status.ignore(1 << 16, '\n');
  }
  return -1;
}

std::vector<char> pattern(size_t size, unsigned seed) {
  std::vector<char> bytes(size);
  uint32_t x = seed * 2654435761u + 1;
  for (char &c : bytes) {
    x = x * 1664525u + 1013904223u;
    c = char(x >> 24);
  }
  return bytes;
}

/// Sums the bytes (reads every page).
int64_t touch(ArrayRef<char> data) {
  return std::accumulate(data.begin(), data.end(), int64_t(0));
}

constexpr size_t kBlobBytes = size_t(64) << 20;

TEST(WeightStorage, SpilledBlobHoldsTheBytesAndIsNotResidentUntilRead) {
  enableWeightSpill();
  std::vector<char> bytes = pattern(kBlobBytes, 1);
  int64_t before = residentFileBytes();
  AsmResourceBlob blob = allocateWeightBlob(bytes, 64);
  ASSERT_EQ(blob.getData().size(), bytes.size());
  EXPECT_EQ(uintptr_t(blob.getData().data()) % 64, 0u);
  EXPECT_FALSE(blob.isMutable());
  // Written through the file, not through the mapping.
  EXPECT_LT(residentFileBytes() - before, int64_t(kBlobBytes / 8));
  EXPECT_EQ(std::memcmp(blob.getData().data(), bytes.data(), bytes.size()), 0);
  // Reading it made it resident; dropping gives the pages back.
  EXPECT_GT(residentFileBytes() - before, int64_t(kBlobBytes / 2));
  dropResidentPages(blob.getData());
  EXPECT_LT(residentFileBytes() - before, int64_t(kBlobBytes / 8));
  // ...and the data reads the same afterwards.
  EXPECT_EQ(std::memcmp(blob.getData().data(), bytes.data(), bytes.size()), 0);
}

TEST(WeightStorage, SmallBlobsAndHeapDataStayOnTheHeap) {
  enableWeightSpill();
  std::vector<char> small = pattern(kSpillBlobBytes - 1, 2);
  AsmResourceBlob blob = allocateWeightBlob(small, 16);
  ASSERT_EQ(blob.getData().size(), small.size());
  // Advising heap memory away would zero it: it must be a no-op.
  dropResidentPages(blob.getData());
  EXPECT_EQ(std::memcmp(blob.getData().data(), small.data(), small.size()), 0);
  std::vector<char> heap = pattern(kBlobBytes / 4, 3);
  std::vector<char> copy = heap;
  dropResidentPages(heap);
  EXPECT_EQ(heap, copy);
}

TEST(WeightStorage, AdoptedFileMapIsNotCopied) {
  SmallString<128> path;
  int fd;
  ASSERT_FALSE(
      llvm::sys::fs::createTemporaryFile("weight-storage", "bin", fd, path));
  std::vector<char> bytes = pattern(kBlobBytes, 4);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(bytes.data(), bytes.size());
  }
  // An external-data tensor at a 4 KiB-aligned offset, as exporters write.
  size_t offset = 4096, length = kBlobBytes - 8192;
  auto buffer = llvm::MemoryBuffer::getFileSlice(path, length, offset);
  ASSERT_TRUE(bool(buffer));
  const char *start = (*buffer)->getBufferStart();
  int64_t before = residentFileBytes();
  AsmResourceBlob blob = adoptWeightBuffer(std::move(*buffer), 4);
  EXPECT_EQ(blob.getData().data(), start); // The map itself, no copy.
  ASSERT_EQ(blob.getData().size(), length);
  EXPECT_EQ(touch(blob.getData()),
            touch(ArrayRef<char>(bytes).slice(offset, length)));
  EXPECT_GT(residentFileBytes() - before, int64_t(length / 2));
  dropResidentPages(blob.getData());
  EXPECT_LT(residentFileBytes() - before, int64_t(length / 8));
  EXPECT_EQ(std::memcmp(blob.getData().data(), bytes.data() + offset, length),
            0);
  llvm::sys::fs::remove(path);
}

TEST(WeightStorage, FreedBlobUnmapsItsPages) {
  enableWeightSpill();
  std::vector<char> bytes = pattern(kBlobBytes, 5);
  int64_t before = residentFileBytes();
  {
    AsmResourceBlob blob = allocateWeightBlob(bytes, 4);
    EXPECT_EQ(touch(blob.getData()), touch(bytes));
    EXPECT_GT(residentFileBytes() - before, int64_t(kBlobBytes / 2));
  }
  EXPECT_LT(residentFileBytes() - before, int64_t(kBlobBytes / 8));
}

} // namespace
