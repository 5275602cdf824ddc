//===- DriverOptionChecks.h - Refusing bad options up front -----*- C++ -*-===//

#ifndef QC_LIB_DRIVER_DRIVEROPTIONCHECKS_H
#define QC_LIB_DRIVER_DRIVEROPTIONCHECKS_H

#include "quantc/Driver/Driver.h"

#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace mlir::qc {

/// The files `options` reads (model, calibration, bound inputs, plan).
std::vector<std::string> getInputFiles(const DriverOptions &options);

/// Checks every option value, that every input file is a regular file, and
/// that neither `output` nor the report names an input or an unwritable
/// place. Fails with `error`, one line naming the option.
LogicalResult verifyDriverOptions(const DriverOptions &options,
                                  StringRef output, std::string &error);

} // namespace mlir::qc

#endif // QC_LIB_DRIVER_DRIVEROPTIONCHECKS_H
