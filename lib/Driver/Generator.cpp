//===- Generator.cpp - Building a generator from a model-kv export --------===//

#include "lib/Driver/Generator.h"

#include "dialects/QC/IR/QC.h"
#include "dialects/QC/IR/QCContract.h"
#include "passes/Conversion/Passes.h"
#include "passes/Quantization/Passes.h"
#include "quantc/Driver/Driver.h"
#include "quantc/Runtime/qc_model.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <map>

using namespace mlir;
using namespace mlir::qc;

namespace {

/// The vocabulary of a char-vocabulary JSON file, or failure with `error`.
FailureOr<std::vector<std::string>> readVocabulary(StringRef path,
                                                   std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    error = "--vocab: cannot read '" + path.str() +
            "': " + buffer.getError().message();
    return failure();
  }
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json) {
    error = "--vocab '" + path.str() +
            "' is not JSON: " + llvm::toString(json.takeError());
    return failure();
  }
  const llvm::json::Object *object = json->getAsObject();
  const llvm::json::Array *itos = object ? object->getArray("itos") : nullptr;
  std::optional<StringRef> type =
      object ? object->getString("type") : std::nullopt;
  if (!itos || !type || *type != "char") {
    error = "--vocab '" + path.str() +
            "' must be {\"type\": \"char\", \"itos\": [strings]}";
    return failure();
  }
  std::vector<std::string> vocab;
  for (const llvm::json::Value &entry : *itos) {
    std::optional<StringRef> text = entry.getAsString();
    if (!text) {
      error = "--vocab '" + path.str() + "': itos entry " +
              std::to_string(vocab.size()) + " is not a string";
      return failure();
    }
    vocab.push_back(text->str());
  }
  return vocab;
}

StringRef argName(func::FuncOp func, unsigned i) {
  auto name = func.getArgAttrOfType<StringAttr>(i, kTensorNameAttr);
  return name ? name.getValue() : StringRef();
}

/// The logits result of `func` (rank 3, [batch, seq, vocab]), or -1.
int64_t vocabularySize(func::FuncOp func) {
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<StringAttr>(i, kTensorNameAttr);
    auto type = dyn_cast<RankedTensorType>(func.getResultTypes()[i]);
    if (name && name.getValue() == kLogitsOutput && type && type.getRank() == 3)
      return type.getDimSize(2);
  }
  return -1;
}

} // namespace

FailureOr<KVCacheModel>
mlir::qc::recognizeKVCacheModel(const DriverOptions &options,
                                MLIRContext *ctx) {
  Location loc = FileLineColLoc::get(ctx, options.inputPath, 0, 0);
  FailureOr<std::vector<DeclaredInput>> inputs =
      readDeclaredInputs(options.inputPath, ctx);
  if (failed(inputs))
    return failure();
  auto fail = [&](const Twine &message) {
    return emitError(loc) << "--max-context: " << message
                          << " (a model-kv export takes input_ids, "
                             "attention_mask, position_ids and "
                             "past_key_values.{i}.key|value)";
  };
  KVCacheModel kv;
  kv.maxContext = options.maxContext;
  kv.prefillTokens = options.prefillTokens
                         ? options.prefillTokens
                         : std::min<int64_t>(options.maxContext, 64);
  kv.batch = options.generatorBatch;
  std::map<std::string, const DeclaredInput *> byName;
  for (const DeclaredInput &input : *inputs) {
    byName[input.name] = &input;
    StringRef suffix = getCacheSuffix(input.name, kPastPrefix);
    if (!suffix.empty()) {
      const std::vector<int64_t> &d = input.dims;
      if (d.size() != 4 || d[1] <= 0 || d[3] <= 0)
        return fail("input '" + input.name +
                    "' must be [batch, kv_heads, past, head_dim] with fixed "
                    "kv_heads and head_dim");
      for (int64_t dim : {d[0], d[2]})
        if (dim >= 0)
          return fail("input '" + input.name +
                      "' has a fixed batch or past length; both must be "
                      "symbolic");
      kv.caches.push_back(input);
    } else if (input.name != kInputIdsInput &&
               input.name != kAttentionMaskInput &&
               input.name != kPositionIdsInput) {
      return fail("unexpected input '" + input.name + "'");
    }
  }
  for (StringRef name :
       {kInputIdsInput, kAttentionMaskInput, kPositionIdsInput}) {
    auto it = byName.find(name.str());
    if (it == byName.end())
      return fail("the model has no input '" + name + "'" +
                  (name == kPositionIdsInput
                       ? Twine("; positions derived from the cache length "
                               "cannot be computed with a fixed-size cache")
                       : Twine("")));
    if (it->second->dims.size() != 2)
      return fail("input '" + name + "' must have rank 2");
  }
  if (kv.caches.empty())
    return fail("the model has no past_key_values.{i}.key|value inputs");
  // Every layer has a key and a value cache.
  for (const DeclaredInput &cache : kv.caches) {
    StringRef suffix = getCacheSuffix(cache.name, kPastPrefix);
    auto [layer, kind] = suffix.split('.');
    std::string other =
        (kPastPrefix + layer + "." + (kind == "key" ? "value" : "key")).str();
    if (!byName.count(other))
      return fail("input '" + cache.name + "' has no partner '" + other + "'");
  }
  return kv;
}

ImportOptions KVCacheModel::stepImport(const ImportOptions &base, int64_t seq,
                                       int64_t past) const {
  ImportOptions options = base;
  options.inputShapes[kInputIdsInput] = {batch, seq};
  options.inputShapes[kPositionIdsInput] = {batch, seq};
  options.inputShapes[kAttentionMaskInput] = {batch, past + seq};
  for (const DeclaredInput &cache : caches)
    options.inputShapes[cache.name] = {batch, cache.dims[1], past,
                                       cache.dims[3]};
  return options;
}

std::string
KVCacheModel::completeCalibration(std::vector<CalibrationArray> &set) const {
  auto find = [&](StringRef name) {
    return llvm::find_if(
        set, [&](const CalibrationArray &a) { return a.name == name; });
  };
  auto ids = find(kInputIdsInput);
  if (ids == set.end())
    return "a generator calibrates from --calib input_ids=FILE.npy";
  if (ids->sampleShape.size() != 1 || ids->dtype != QC_DTYPE_I64)
    return "--calib input_ids must be int64 [samples, tokens]";
  int64_t n = ids->numSamples, t = ids->sampleShape[0];
  auto add = [&](StringRef name, int32_t dtype, std::vector<int64_t> shape,
                 std::vector<char> data) {
    if (find(name) == set.end())
      set.push_back({name.str(), dtype, std::move(shape), n, std::move(data)});
  };
  std::vector<int64_t> ones(n * t, 1), positions(n * t);
  for (int64_t i = 0; i < n * t; ++i)
    positions[i] = i % t;
  auto bytes = [](const std::vector<int64_t> &v) {
    const char *p = reinterpret_cast<const char *>(v.data());
    return std::vector<char>(p, p + v.size() * sizeof(int64_t));
  };
  add(kAttentionMaskInput, QC_DTYPE_I64, {t}, bytes(ones));
  add(kPositionIdsInput, QC_DTYPE_I64, {t}, bytes(positions));
  for (const DeclaredInput &cache : caches)
    add(cache.name, QC_DTYPE_F32, {cache.dims[1], 0, cache.dims[3]}, {});
  return "";
}

LogicalResult mlir::qc::assembleGenerator(ModuleOp prefill, ModuleOp decode,
                                          const KVCacheModel &kv,
                                          const DriverOptions &options) {
  MLIRContext *ctx = decode.getContext();
  Location loc = FileLineColLoc::get(ctx, options.inputPath, 0, 0);
  auto decodeFunc = decode.lookupSymbol<func::FuncOp>(kEntryFunction);
  auto prefillFunc = prefill.lookupSymbol<func::FuncOp>(kEntryFunction);
  int64_t vocabSize = vocabularySize(decodeFunc);
  if (vocabSize < 0)
    return emitError(loc) << "--max-context: the model has no output "
                             "'logits' [batch, seq, vocab]";
  for (unsigned i = 0; i < decodeFunc.getNumArguments(); ++i)
    if (argName(decodeFunc, i) == kInputIdsInput &&
        !getElementTypeOrSelf(decodeFunc.getArgumentTypes()[i]).isInteger(64))
      return emitError(loc) << "--max-context: input 'input_ids' must be int64";

  // The decode step computes with the prefill step's quantized weights.
  transplantQuantizedWeights(prefill, decodeFunc);
  PassManager pm(ctx);
  if (options.weightType != "f32") {
    StoreWeightsPassOptions store;
    store.type = options.weightType;
    pm.addNestedPass<func::FuncOp>(createStoreWeightsPass(store));
  }
  KVCacheInPlacePassOptions decodeCache;
  decodeCache.maxContext = kv.maxContext;
  pm.addNestedPass<func::FuncOp>(createKVCacheInPlacePass(decodeCache));
  if (failed(pm.run(decode)))
    return failure();
  PassManager prefillPM(ctx);
  KVCacheInPlacePassOptions prefillCache;
  prefillCache.maxContext = kv.maxContext;
  prefillCache.prefill = true;
  prefillPM.addNestedPass<func::FuncOp>(createKVCacheInPlacePass(prefillCache));
  prefillPM.addNestedPass<func::FuncOp>(createLastPositionLogitsPass());
  if (failed(prefillPM.run(prefill)))
    return failure();

  // One module, two steps.
  prefillFunc->remove();
  prefillFunc.setName(kPrefillFunction);
  decode.push_back(prefillFunc);
  Builder b(ctx);
  SmallVector<NamedAttribute> facts = {
      b.getNamedAttr("max_context", b.getI64IntegerAttr(kv.maxContext)),
      b.getNamedAttr("prefill_tokens", b.getI64IntegerAttr(kv.prefillTokens))};
  if (!options.vocabPath.empty()) {
    std::string error;
    FailureOr<std::vector<std::string>> vocab =
        readVocabulary(options.vocabPath, error);
    if (failed(vocab))
      return emitError(loc) << error;
    if (int64_t(vocab->size()) != vocabSize)
      return emitError(loc)
             << "--vocab '" << options.vocabPath << "' has " << vocab->size()
             << " entries but the model's logits have " << vocabSize;
    SmallVector<Attribute> entries;
    for (const std::string &text : *vocab)
      entries.push_back(b.getStringAttr(text));
    facts.push_back(b.getNamedAttr("vocab", b.getArrayAttr(entries)));
  }
  decode->setAttr(kGeneratorAttr, b.getDictionaryAttr(facts));
  // The two imports hold the same float weights twice.
  PassManager share(ctx);
  share.addPass(createDeduplicateConstantsPass());
  return share.run(decode);
}
