//===- ModelInterface.cpp - A compiled model's interface and tensors ------===//
//
// Reads a model's interface from `./model --interface-json` and moves
// tensors in and out of .npy files.
//
//===----------------------------------------------------------------------===//

#include "ModelInterface.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstring>
#include <memory>
#include <optional>

using namespace llvm;

namespace quantc::eval {

//===----------------------------------------------------------------------===//
// Utilities
//===----------------------------------------------------------------------===//

Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape))
    text += (i ? "," : "") + std::to_string(dim);
  return text + "]";
}

std::string describe(int32_t dtype, ArrayRef<int64_t> shape) {
  return std::string(qc_dtype_name(dtype)) + " " + formatShape(shape);
}

int64_t numElements(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

//===----------------------------------------------------------------------===//
// Tensors and .npy files
//===----------------------------------------------------------------------===//

int64_t Tensor::intAt(int64_t i) const {
  const char *p = bytes.data() + i * elementSize();
  switch (dtype) {
  case QC_DTYPE_I8:
    return *reinterpret_cast<const int8_t *>(p);
  case QC_DTYPE_U8:
    return *reinterpret_cast<const uint8_t *>(p);
  case QC_DTYPE_I16:
    return *reinterpret_cast<const int16_t *>(p);
  case QC_DTYPE_U16:
    return *reinterpret_cast<const uint16_t *>(p);
  case QC_DTYPE_I32:
    return *reinterpret_cast<const int32_t *>(p);
  case QC_DTYPE_U32:
    return *reinterpret_cast<const uint32_t *>(p);
  default: // int64; uint64 above INT64_MAX wraps.
    return *reinterpret_cast<const int64_t *>(p);
  }
}

double Tensor::floatAt(int64_t i) const {
  const char *p = bytes.data() + i * elementSize();
  if (dtype == QC_DTYPE_F64)
    return *reinterpret_cast<const double *>(p);
  if (dtype == QC_DTYPE_F16) {
    // FP16 models' logits: widen exactly.
    uint16_t bits;
    std::memcpy(&bits, p, sizeof(bits));
    return llvm::APFloat(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits))
        .convertToDouble();
  }
  return *reinterpret_cast<const float *>(p);
}

TempDir::~TempDir() {
  if (!path.empty())
    (void)sys::fs::remove_directories(path);
}

Error TempDir::create(StringRef prefix) {
  if (std::error_code ec = sys::fs::createUniqueDirectory(prefix, path))
    return makeError("cannot create a temporary directory: " + ec.message());
  return Error::success();
}

Expected<Tensor> readNpy(StringRef path, StringRef what) {
  qc_npy_array array;
  std::memset(&array, 0, sizeof(array));
  char err[512];
  std::string pathStr = path.str();
  if (qc_npy_read(pathStr.c_str(), &array, err, sizeof(err)) != 0)
    return makeError(what + " '" + path + "': " + err);
  Tensor tensor;
  tensor.dtype = array.dtype;
  tensor.shape.assign(array.shape, array.shape + array.rank);
  const char *data = static_cast<const char *>(array.data);
  tensor.bytes.assign(data, data + array.nbytes);
  qc_npy_free(&array);
  return tensor;
}

Error writeNpy(StringRef path, const Tensor &tensor) {
  char err[512];
  std::string pathStr = path.str();
  if (qc_npy_write(pathStr.c_str(), tensor.dtype,
                   static_cast<int32_t>(tensor.shape.size()),
                   tensor.shape.data(), tensor.bytes.data(), err,
                   sizeof(err)) != 0)
    return makeError("cannot write '" + path + "': " + err);
  return Error::success();
}

/// The qc_dtype that numpy calls `name`.
static std::optional<int32_t> parseDtype(StringRef name) {
  for (int32_t dtype = QC_DTYPE_F32; dtype <= QC_DTYPE_U64; ++dtype)
    if (name == qc_dtype_name(dtype))
      return dtype;
  return std::nullopt;
}

std::string outputFileName(const ModelInterface &model, size_t index) {
  auto sanitize = [](StringRef name, size_t i) {
    if (name.empty())
      return "output" + std::to_string(i);
    std::string safe;
    for (char c : name)
      safe += isAlnum(c) || c == '.' || c == '_' || c == '-' ? c : '_';
    return safe;
  };
  std::vector<std::string> names;
  for (size_t i = 0; i <= index; ++i) {
    std::string base = sanitize(model.outputs[i].name, i);
    std::string file = base + ".npy";
    if (llvm::is_contained(names, file))
      file = base + "_" + std::to_string(i) + ".npy";
    names.push_back(file);
  }
  return names.back();
}

//===----------------------------------------------------------------------===//
// The model executable
//===----------------------------------------------------------------------===//

Expected<std::string> findModel(StringRef path) {
  if (path.empty())
    return makeError("--model is required");
  if (sys::fs::exists(path)) {
    if (sys::fs::is_directory(path) || !sys::fs::can_execute(path))
      return makeError("model '" + path + "' is not an executable file");
    return path.str();
  }
  if (!path.contains('/'))
    if (ErrorOr<std::string> found = sys::findProgramByName(path))
      return *found;
  return makeError("model '" + path + "' not found");
}

std::string failureReason(StringRef stderrPath) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(stderrPath);
  if (!buffer)
    return "";
  SmallVector<StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (StringRef line : lines)
    if (line.contains("error:"))
      return line.trim().str();
  return lines.empty() ? "" : lines.back().trim().str();
}

Expected<ModelInterface> readInterface(StringRef model, StringRef tempDir) {
  SmallString<128> outPath(tempDir), errPath(tempDir);
  sys::path::append(outPath, "interface.json");
  sys::path::append(errPath, "interface.err");
  std::optional<StringRef> redirects[] = {StringRef(""), StringRef(outPath),
                                          StringRef(errPath)};
  std::string errMsg;
  StringRef args[] = {model, "--interface-json"};
  int rc =
      sys::ExecuteAndWait(model, args, std::nullopt, redirects, 0, 0, &errMsg);
  if (rc != 0) {
    std::string reason = errMsg.empty() ? failureReason(errPath) : errMsg;
    return makeError("cannot run '" + model + " --interface-json'" +
                     (reason.empty() ? "" : ": " + reason));
  }
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(outPath);
  if (!buffer)
    return makeError("cannot read the output of '" + model +
                     " --interface-json'");
  auto notAModel = [&](const Twine &why) {
    return makeError("'" + model +
                     "' does not look like a quantc model (its "
                     "--interface-json output " +
                     why + ")");
  };
  Expected<json::Value> parsed = json::parse((*buffer)->getBuffer());
  if (!parsed) {
    consumeError(parsed.takeError());
    return notAModel("is not JSON");
  }
  const json::Object *root = parsed->getAsObject();
  if (!root)
    return notAModel("is not an object");
  ModelInterface interface;
  for (auto [key, table] : {std::pair{"inputs", &interface.inputs},
                            std::pair{"outputs", &interface.outputs}}) {
    const json::Array *tensors = root->getArray(key);
    if (!tensors)
      return notAModel(Twine("has no \"") + key + "\" array");
    for (const json::Value &t : *tensors) {
      const json::Object *desc = t.getAsObject();
      std::optional<StringRef> name =
          desc ? desc->getString("name") : std::nullopt;
      std::optional<StringRef> dtypeName =
          desc ? desc->getString("dtype") : std::nullopt;
      const json::Array *shapeArray = desc ? desc->getArray("shape") : nullptr;
      std::optional<int32_t> dtype =
          dtypeName ? parseDtype(*dtypeName) : std::nullopt;
      if (!name || !dtype || !shapeArray)
        return notAModel(Twine("has a malformed entry in \"") + key + "\"");
      std::vector<int64_t> shape;
      for (const json::Value &d : *shapeArray) {
        std::optional<int64_t> dim = d.getAsInteger();
        if (!dim || *dim < 0)
          return notAModel(Twine("has a malformed shape in \"") + key + "\"");
        shape.push_back(*dim);
      }
      table->push_back({name->str(), *dtype, std::move(shape)});
    }
  }
  return interface;
}

Expected<size_t> selectTensor(ArrayRef<TensorDesc> descs, StringRef name,
                              bool nameGiven, StringRef kind) {
  for (auto [i, desc] : llvm::enumerate(descs))
    if (desc.name == name)
      return i;
  if (!nameGiven && descs.size() == 1)
    return 0;
  std::string names;
  for (const TensorDesc &desc : descs)
    names += (names.empty() ? "'" : ", '") + desc.name + "'";
  return makeError("the model has no " + kind + " '" + name + "' (its " + kind +
                   "s: " + (names.empty() ? "none" : names) + "); use --" +
                   kind + "-name");
}

} // namespace quantc::eval
