//===- ModelInterface.h - A compiled model's interface ----------*- C++ -*-===//
//
// What quantc-eval knows about a compiled model executable: its inputs and
// outputs (read from `./model --interface-json`), the dense tensors it
// exchanges with the model as .npy files, and the helpers shared by the
// batch runner and the metrics.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_EVAL_MODELINTERFACE_H
#define QUANTC_EVAL_MODELINTERFACE_H

extern "C" {
#include "Npy.h"
}

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace quantc::eval {

/// An error with `message` (shown as "quantc-eval: error: <message>").
llvm::Error makeError(const llvm::Twine &message);

/// "[360,1,8,8]" ("[]" for a scalar).
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// "float32 [360,1,8,8]".
std::string describe(int32_t dtype, llvm::ArrayRef<int64_t> shape);

int64_t numElements(llvm::ArrayRef<int64_t> shape);

/// A dense tensor read from or written to a .npy file.
struct Tensor {
  int32_t dtype = 0;
  std::vector<int64_t> shape;
  std::vector<char> bytes;

  int64_t numElements() const { return eval::numElements(shape); }
  size_t elementSize() const { return qc_dtype_size(dtype); }

  /// Element `i` of an integer tensor as int64.
  int64_t intAt(int64_t i) const;

  /// Element `i` of a float tensor as double.
  double floatAt(int64_t i) const;
};

/// Reads a .npy file; errors name it as "<what> '<path>'".
llvm::Expected<Tensor> readNpy(llvm::StringRef path, llvm::StringRef what);
llvm::Error writeNpy(llvm::StringRef path, const Tensor &tensor);

/// One graph input or output as `./model --interface-json` lists it.
struct TensorDesc {
  std::string name;
  int32_t dtype = 0;
  std::vector<int64_t> shape;
};

struct ModelInterface {
  std::vector<TensorDesc> inputs;
  std::vector<TensorDesc> outputs;
};

/// Removes a temporary directory tree when it goes out of scope.
class TempDir {
public:
  TempDir() = default;
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  ~TempDir();

  llvm::Error create(llvm::StringRef prefix);

  llvm::StringRef get() const { return path; }

private:
  llvm::SmallString<128> path;
};

/// The file name a compiled model gives output `index` (lib/Runtime/Main.c,
/// output_path): unsafe characters become '_', an empty name "output<N>",
/// and a name that collides with an earlier output's gets a "_<N>" suffix.
std::string outputFileName(const ModelInterface &model, size_t index);

/// The model executable at `path`, or found on PATH when `path` is a bare
/// name.
llvm::Expected<std::string> findModel(llvm::StringRef path);

/// The first line of a failed model's stderr that says what went wrong.
std::string failureReason(llvm::StringRef stderrPath);

/// Runs `./model --interface-json` (its output goes to files in `tempDir`)
/// and reads the model's inputs and outputs.
llvm::Expected<ModelInterface> readInterface(llvm::StringRef model,
                                             llvm::StringRef tempDir);

/// Finds the tensor called `name`; a default name that the model does not
/// have falls back to the model's only tensor. `kind` is "input" or
/// "output".
llvm::Expected<size_t> selectTensor(llvm::ArrayRef<TensorDesc> descs,
                                    llvm::StringRef name, bool nameGiven,
                                    llvm::StringRef kind);

} // namespace quantc::eval

#endif // QUANTC_EVAL_MODELINTERFACE_H
