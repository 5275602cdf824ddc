//===- Linker.cpp - Linking compiled models with the system C compiler ----===//

#include "targets/Common/Linker.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"

using namespace mlir;
using namespace mlir::qc;

LogicalResult mlir::qc::runSystemLinker(StringRef linker,
                                        ArrayRef<std::string> args,
                                        std::string &error) {
  std::string name = linker.str();
  if (name.empty())
    if (const char *cc = std::getenv("CC"))
      name = cc;
  if (name.empty())
    name = "cc";
  auto program = llvm::sys::findProgramByName(name);
  if (!program) {
    error = "linker '" + name + "' not found (set --linker or CC)";
    return failure();
  }
  SmallVector<StringRef> argv = {*program};
  for (const std::string &a : args)
    argv.push_back(a);
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*program, argv, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0) {
    error = "linking failed (" + name + " exited with " + std::to_string(rc) +
            ")" + (message.empty() ? "" : ": " + message);
    return failure();
  }
  return success();
}

LogicalResult mlir::qc::linkExecutable(StringRef linker,
                                       ArrayRef<std::string> objects,
                                       StringRef runtime,
                                       ArrayRef<std::string> libraries,
                                       StringRef output, std::string &error) {
  std::vector<std::string> args(objects.begin(), objects.end());
  args.push_back(runtime.str());
  args.insert(args.end(), libraries.begin(), libraries.end());
  if (StringRef(QC_RUNTIME_SANITIZE) != "")
    args.push_back("-fsanitize=" QC_RUNTIME_SANITIZE);
  args.insert(args.end(), {"-o", output.str()});
  if (succeeded(runSystemLinker(linker, args, error)))
    return success();
  llvm::sys::fs::remove(output);
  return failure();
}

LogicalResult mlir::qc::linkSharedObject(StringRef linker,
                                         ArrayRef<std::string> objects,
                                         ArrayRef<std::string> libraries,
                                         StringRef output, std::string &error) {
  std::vector<std::string> args = {"-shared"};
  args.insert(args.end(), objects.begin(), objects.end());
  args.insert(args.end(), libraries.begin(), libraries.end());
  args.insert(args.end(), {"-o", output.str()});
  return runSystemLinker(linker, args, error);
}

LogicalResult mlir::qc::linkRelocatable(StringRef linker,
                                        ArrayRef<std::string> objects,
                                        StringRef output, std::string &error) {
  std::vector<std::string> args = {"-r", "-nostdlib"};
  args.insert(args.end(), objects.begin(), objects.end());
  args.insert(args.end(), {"-o", output.str()});
  if (succeeded(runSystemLinker(linker, args, error)))
    return success();
  llvm::sys::fs::remove(output);
  return failure();
}
