//===- WeightObject.cpp - Weights in their own object file ----------------===//

#include "targets/Common/WeightObject.h"

#include "lib/Support/WeightStorage.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Support/EndianStream.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qc;

std::vector<ExternalWeight> mlir::qc::externalizeWeights(ModuleOp module,
                                                         int64_t minBytes) {
  std::vector<ExternalWeight> weights;
  SymbolTable symbols(module);
  SmallVector<LLVM::GlobalOp> globals(module.getOps<LLVM::GlobalOp>());
  for (LLVM::GlobalOp global : globals) {
    auto value =
        dyn_cast_if_present<DenseResourceElementsAttr>(global.getValueOrNull());
    AsmResourceBlob *blob = value ? value.getRawHandle().getBlob() : nullptr;
    Type element = value ? value.getType().getElementType() : Type();
    if (!global.getConstant() || !blob ||
        int64_t(blob->getData().size()) < minBytes || !element.isIntOrFloat() ||
        element.getIntOrFloatBitWidth() % 8 != 0 ||
        int64_t(blob->getData().size()) !=
            value.getType().getNumElements() *
                (element.getIntOrFloatBitWidth() / 8))
      continue;
    std::string symbol = "qc_weight_" + std::to_string(weights.size());
    if (failed(symbols.rename(global,
                              StringAttr::get(module.getContext(), symbol))))
      continue;
    uint64_t alignment = std::max<uint64_t>(global.getAlignment().value_or(16),
                                            blob->getDataAlignment());
    weights.push_back(
        {symbol, blob->getData(), alignment, value.getRawHandle()});
    global.removeValueAttr();
    global.setLinkage(LLVM::Linkage::External);
    global.removeAlignmentAttr();
  }
  return weights;
}

LogicalResult mlir::qc::writeWeightObject(StringRef path,
                                          const llvm::Triple &triple,
                                          ArrayRef<ExternalWeight> weights,
                                          std::string &error) {
  namespace elf = llvm::ELF;
  uint16_t machine;
  StringRef sectionName = ".rodata";
  uint64_t sectionFlags = elf::SHF_ALLOC;
  if (!triple.isOSBinFormatELF()) {
    error = "weights as an object file: only ELF targets, not '" +
            triple.str() + "'";
    return failure();
  }
  switch (triple.getArch()) {
  case llvm::Triple::x86_64:
    machine = elf::EM_X86_64;
    // The medium code model reaches large data with 64-bit addresses.
    sectionName = ".lrodata";
    sectionFlags |= elf::SHF_X86_64_LARGE;
    break;
  case llvm::Triple::aarch64:
    machine = elf::EM_AARCH64;
    break;
  default:
    error =
        "weights as an object file: no ELF machine for '" + triple.str() + "'";
    return failure();
  }

  // Layout: header, data (each weight at its alignment), symbol table,
  // string tables, section headers.
  std::vector<uint64_t> offsets;
  uint64_t dataAlign = 64, size = 0;
  for (const ExternalWeight &w : weights) {
    dataAlign = std::max(dataAlign, w.alignment);
    size = llvm::alignTo(size, w.alignment);
    offsets.push_back(size);
    size += w.bytes.size();
  }
  std::string strtab(1, '\0');
  std::vector<uint32_t> names;
  for (const ExternalWeight &w : weights) {
    names.push_back(strtab.size());
    strtab += w.symbol + '\0';
  }
  // Section names; .note.GNU-stack keeps the stack non-executable.
  std::string shstrtab(1, '\0');
  auto addName = [&](StringRef name) {
    uint32_t at = shstrtab.size();
    shstrtab += name.str() + '\0';
    return at;
  };
  uint32_t nData = addName(sectionName), nSym = addName(".symtab"),
           nStr = addName(".strtab"), nShStr = addName(".shstrtab"),
           nStack = addName(".note.GNU-stack");
  uint64_t dataOffset = llvm::alignTo(sizeof(elf::Elf64_Ehdr), dataAlign);
  uint64_t symOffset = llvm::alignTo(dataOffset + size, 8);
  uint64_t symSize = (weights.size() + 1) * sizeof(elf::Elf64_Sym);
  uint64_t strOffset = symOffset + symSize;
  uint64_t shstrOffset = strOffset + strtab.size();
  uint64_t shOffset = llvm::alignTo(shstrOffset + shstrtab.size(), 8);
  constexpr unsigned kSections = 6;

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  llvm::support::endian::Writer out(os, llvm::endianness::little);
  uint64_t written = 0;
  auto pad = [&](uint64_t to) {
    for (; written < to; ++written)
      os << '\0';
  };
  // ELF header.
  os << "\x7f"
        "ELF";
  os << char(elf::ELFCLASS64) << char(elf::ELFDATA2LSB) << char(elf::EV_CURRENT)
     << char(elf::ELFOSABI_NONE);
  for (int i = 0; i < 8; ++i)
    os << '\0';
  out.write<uint16_t>(elf::ET_REL);
  out.write<uint16_t>(machine);
  out.write<uint32_t>(elf::EV_CURRENT);
  out.write<uint64_t>(0); // entry
  out.write<uint64_t>(0); // program headers
  out.write<uint64_t>(shOffset);
  out.write<uint32_t>(0); // flags
  out.write<uint16_t>(sizeof(elf::Elf64_Ehdr));
  out.write<uint16_t>(0); // phentsize
  out.write<uint16_t>(0); // phnum
  out.write<uint16_t>(sizeof(elf::Elf64_Shdr));
  out.write<uint16_t>(kSections);
  out.write<uint16_t>(4); // .shstrtab
  written = sizeof(elf::Elf64_Ehdr);
  // The weights, streamed from the blobs.
  pad(dataOffset);
  for (auto [w, offset] : llvm::zip(weights, offsets)) {
    pad(dataOffset + offset);
    os.write(w.bytes.data(), w.bytes.size());
    written += w.bytes.size();
    // Written weights need not stay resident (lib/Support/WeightStorage.h).
    dropResidentPages(w.bytes);
  }
  pad(symOffset);
  // Symbols: the null symbol, then one global object per weight.
  auto symbol = [&](uint32_t name, uint8_t info, uint16_t shndx, uint64_t value,
                    uint64_t bytes) {
    out.write<uint32_t>(name);
    out.write<uint8_t>(info);
    out.write<uint8_t>(0); // default visibility
    out.write<uint16_t>(shndx);
    out.write<uint64_t>(value);
    out.write<uint64_t>(bytes);
    written += sizeof(elf::Elf64_Sym);
  };
  symbol(0, 0, 0, 0, 0);
  for (auto [i, w] : llvm::enumerate(weights))
    symbol(names[i], (elf::STB_GLOBAL << 4) | elf::STT_OBJECT, 1, offsets[i],
           w.bytes.size());
  os << strtab << shstrtab;
  written += strtab.size() + shstrtab.size();
  pad(shOffset);
  auto section = [&](uint32_t name, uint32_t type, uint64_t flags,
                     uint64_t offset, uint64_t bytes, uint32_t link,
                     uint32_t info, uint64_t align, uint64_t entsize) {
    out.write<uint32_t>(name);
    out.write<uint32_t>(type);
    out.write<uint64_t>(flags);
    out.write<uint64_t>(0); // address
    out.write<uint64_t>(offset);
    out.write<uint64_t>(bytes);
    out.write<uint32_t>(link);
    out.write<uint32_t>(info);
    out.write<uint64_t>(align);
    out.write<uint64_t>(entsize);
  };
  section(0, elf::SHT_NULL, 0, 0, 0, 0, 0, 0, 0);
  section(nData, elf::SHT_PROGBITS, sectionFlags, dataOffset, size, 0, 0,
          dataAlign, 0);
  section(nSym, elf::SHT_SYMTAB, 0, symOffset, symSize, /*strtab=*/3,
          /*first global=*/1, 8, sizeof(elf::Elf64_Sym));
  section(nStr, elf::SHT_STRTAB, 0, strOffset, strtab.size(), 0, 0, 1, 0);
  section(nShStr, elf::SHT_STRTAB, 0, shstrOffset, shstrtab.size(), 0, 0, 1, 0);
  section(nStack, elf::SHT_PROGBITS, 0, shOffset, 0, 0, 0, 1, 0);
  os.close();
  if (os.has_error()) {
    error = "cannot write '" + path.str() + "': " + os.error().message();
    os.clear_error();
    return failure();
  }
  return success();
}
