//===- FileSafety.cpp - Reading inputs, writing outputs safely -------===//

#include "lib/Driver/FileSafety.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

/// The directory a new file at `path` would be created in.
SmallString<256> parentDirectory(StringRef path) {
  SmallString<256> dir(llvm::sys::path::parent_path(path));
  if (dir.empty())
    dir = ".";
  return dir;
}

} // namespace

LogicalResult mlir::qc::checkInputFile(StringRef option, StringRef path,
                                       std::string &error) {
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status)) {
    error = (option + " '" + path + "': " + ec.message()).str();
    return failure();
  }
  if (status.type() != llvm::sys::fs::file_type::regular_file) {
    error = (option + " '" + path + "' is not a regular file").str();
    return failure();
  }
  return success();
}

LogicalResult mlir::qc::checkOutputPath(StringRef option, StringRef path,
                                        ArrayRef<std::string> inputs,
                                        std::string &error) {
  if (path == "-")
    return success();
  for (const std::string &input : inputs) {
    bool same = false;
    // equivalent() compares device and inode, so "./m.onnx", "../d/m.onnx"
    // and a symlink to m.onnx are all caught; a missing file is never equal.
    if (!llvm::sys::fs::equivalent(path, input, same) && same) {
      error = (option + " '" + path + "' is an input ('" + input +
               "'): refusing to overwrite it")
                  .str();
      return failure();
    }
  }
  if (llvm::sys::fs::is_directory(path)) {
    error = (option + " '" + path + "' is a directory").str();
    return failure();
  }
  SmallString<256> dir = parentDirectory(path);
  if (!llvm::sys::fs::is_directory(dir)) {
    error = (option + " '" + path + "': directory '" + dir + "' does not exist")
                .str();
    return failure();
  }
  if (llvm::sys::fs::access(dir, llvm::sys::fs::AccessMode::Write)) {
    error =
        (option + " '" + path + "': directory '" + dir + "' is not writable")
            .str();
    return failure();
  }
  return success();
}

FailureOr<PendingOutput> PendingOutput::create(StringRef finalPath,
                                               std::string &error) {
  PendingOutput out;
  out.final = finalPath.str();
  // A device or FIFO (-o /dev/null, a pipe) is written in place: renaming
  // over it would replace the device with a regular file.
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(finalPath, status) &&
      status.type() != llvm::sys::fs::file_type::regular_file &&
      status.type() != llvm::sys::fs::file_type::file_not_found) {
    out.temp = finalPath;
    out.inPlace = true;
    return out;
  }
  // A unique name in the final directory, so that the rename is atomic.
  SmallString<256> model(finalPath);
  model += ".quantc-tmp-%%%%%%%%";
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(model, fd, out.temp)) {
    error = ("cannot create a file beside '" + finalPath + "': " + ec.message())
                .str();
    return failure();
  }
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  return out;
}

PendingOutput::PendingOutput(PendingOutput &&other)
    : temp(std::move(other.temp)), final(std::move(other.final)),
      committed(other.committed), inPlace(other.inPlace) {
  other.committed = true; // The moved-from object owns nothing.
}

PendingOutput::~PendingOutput() {
  if (!committed && !inPlace && !temp.empty())
    llvm::sys::fs::remove(temp);
}

LogicalResult PendingOutput::commit(std::string &error) {
  if (inPlace)
    return success();
  if (std::error_code ec = llvm::sys::fs::rename(temp, final)) {
    error = "cannot write '" + final + "': " + ec.message();
    return failure();
  }
  committed = true;
  return success();
}

LogicalResult mlir::qc::writeOutput(
    StringRef path,
    function_ref<LogicalResult(llvm::raw_pwrite_stream &)> print,
    std::string &error) {
  if (path == "-") {
    LogicalResult printed = print(llvm::outs());
    llvm::outs().flush();
    return printed;
  }
  FailureOr<PendingOutput> out = PendingOutput::create(path, error);
  if (failed(out))
    return failure();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(out->tempPath(), ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = ("cannot write '" + path + "': " + ec.message()).str();
      return failure();
    }
    if (failed(print(os)))
      return failure();
    os.close();
    if (os.has_error()) {
      error = ("cannot write '" + path + "': " + os.error().message()).str();
      os.clear_error();
      return failure();
    }
  }
  return out->commit(error);
}
