//===- FileSafety.h - Reading inputs, writing outputs safely ---*- C++ -*-===//
//
// quantc never writes over a file it reads, and never leaves a partial
// output: outputs are checked against every input before work starts,
// probed for writability up front, produced under a temporary name in the
// target directory and renamed into place only when complete.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_DRIVER_FILESAFETY_H
#define QC_LIB_DRIVER_FILESAFETY_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace mlir::qc {

/// Fails with `error` unless `path` (named by `option`, e.g. "--calib") is
/// an existing regular file after following symlinks: a directory, FIFO or
/// device would make reading it fail obscurely or block forever.
LogicalResult checkInputFile(StringRef option, StringRef path,
                             std::string &error);

/// Fails with `error` when output `path` (named by `option`, e.g. "-o")
/// resolves to one of `inputs` (same file through any path or symlink), or
/// when its directory cannot take a new file. "-" (stdout) always passes.
LogicalResult checkOutputPath(StringRef option, StringRef path,
                              ArrayRef<std::string> inputs, std::string &error);

/// An output under construction: `tempPath()` in the final directory,
/// renamed to the final path by commit(), removed otherwise. An existing
/// final path that is not a regular file (/dev/null, a FIFO) is written in
/// place.
class PendingOutput {
public:
  /// Reserves a temporary name beside `finalPath`; fails with `error`.
  static FailureOr<PendingOutput> create(StringRef finalPath,
                                         std::string &error);
  PendingOutput(PendingOutput &&other);
  PendingOutput(const PendingOutput &) = delete;
  ~PendingOutput();

  StringRef tempPath() const { return temp; }
  /// Renames the temporary file into place; fails with `error`.
  LogicalResult commit(std::string &error);

private:
  PendingOutput() = default;
  llvm::SmallString<256> temp;
  std::string final;
  bool committed = false;
  /// Writing straight to the final path (a device or FIFO).
  bool inPlace = false;
};

/// Writes what `print` writes to `path` ("-": stdout) through a
/// PendingOutput: nothing is left at `path` when `print` fails.
LogicalResult
writeOutput(StringRef path,
            function_ref<LogicalResult(llvm::raw_pwrite_stream &)> print,
            std::string &error);

} // namespace mlir::qc

#endif // QC_LIB_DRIVER_FILESAFETY_H
