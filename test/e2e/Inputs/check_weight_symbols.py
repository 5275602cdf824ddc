"""Reads every qc_weight_N symbol of an ELF64 relocatable object and checks
that its bytes, as float32 values, are the values of one of the model's
initializers (in any order: the importer may transpose or flatten them).

usage: check_weight_symbols.py OBJECT.o MODEL.onnx
"""
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper

obj, model = sys.argv[1], sys.argv[2]
data = open(obj, "rb").read()
assert data[:4] == b"\x7fELF" and data[4] == 2, "not ELF64"
shoff, = struct.unpack_from("<Q", data, 0x28)
shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
            for i in range(shnum)]
symtab = next(s for s in sections if s[1] == 2)  # SHT_SYMTAB
strtab = sections[symtab[6]]
found = 0
inits = [numpy_helper.to_array(t).astype(np.float32).ravel()
         for t in onnx.load(model).graph.initializer]
sorted_inits = {}
for a in inits:
    sorted_inits.setdefault(a.size, []).append(np.sort(a))
for off in range(symtab[4], symtab[4] + symtab[5], 24):
    name, info, other, shndx, value, size = struct.unpack_from("<IBBHQQ", data, off)
    end = data.index(b"\0", strtab[4] + name)
    sym = data[strtab[4] + name:end].decode()
    if not sym.startswith("qc_weight_"):
        continue
    sec = sections[shndx]
    raw = data[sec[4] + value:sec[4] + value + size]
    values = np.sort(np.frombuffer(raw, dtype=np.float32))
    if not any(np.array_equal(values, c) for c in sorted_inits.get(values.size, [])):
        print("error: %s (%d bytes) is not an initializer" % (sym, size))
        sys.exit(1)
    found += 1
print("weight symbols: %d, all found among the model's initializers" % found)
