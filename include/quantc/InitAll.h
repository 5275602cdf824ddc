//===- InitAll.h - Register everything quantc tools use ---------*- C++ -*-===//

#ifndef QUANTC_INITALL_H
#define QUANTC_INITALL_H

namespace mlir {
class DialectRegistry;
namespace qc {

/// The qc dialect, the upstream dialects we lower through, and their
/// bufferization / LLVM-translation interface models.
void registerAllDialects(DialectRegistry &registry);

/// quantc's passes plus the upstream passes its pipelines use.
void registerAllPasses();

} // namespace qc
} // namespace mlir

#endif // QUANTC_INITALL_H
