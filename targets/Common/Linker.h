//===- Linker.h - Linking with the system C compiler ------------*- C++ -*-===//
//
// An object file from any target becomes an executable (with the runtime)
// or a shared object (for calibration) through the system C compiler.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGETS_COMMON_LINKER_H
#define QC_TARGETS_COMMON_LINKER_H

#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::qc {

/// Runs the system C compiler as a linker: `linker` (empty: $CC, else cc)
/// with `args` after the program name. Fails with `error` set.
LogicalResult runSystemLinker(StringRef linker, ArrayRef<std::string> args,
                              std::string &error);

/// Links `objects` with the runtime archive `runtime` and `libraries` into
/// the executable `output`; removes a partial output on failure.
LogicalResult linkExecutable(StringRef linker, ArrayRef<std::string> objects,
                             StringRef runtime, ArrayRef<std::string> libraries,
                             StringRef output, std::string &error);

/// Links `objects` and `libraries` into the shared object `output`.
LogicalResult linkSharedObject(StringRef linker, ArrayRef<std::string> objects,
                               ArrayRef<std::string> libraries,
                               StringRef output, std::string &error);

/// Combines `objects` into the one relocatable object `output` (ld -r).
LogicalResult linkRelocatable(StringRef linker, ArrayRef<std::string> objects,
                              StringRef output, std::string &error);

} // namespace mlir::qc

#endif // QC_TARGETS_COMMON_LINKER_H
