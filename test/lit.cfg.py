# -*- Python -*-
# lit configuration for quantc (after mlir/examples/standalone/test/lit.cfg.py).

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QUANTC"

config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)

# .mlir: quantc-opt pass tests; .onnxtxt: ONNX text-syntax import tests;
# .test: everything else (driver, end-to-end runs of compiled models).
config.suffixes = [".mlir", ".onnxtxt", ".test"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.quantc_obj_root, "test")

# Not tests: the runtime's own CTest test, python helpers, inputs, configs.
config.excludes = [
    "runtime",
    "lit-helpers",
    "Inputs",
    "__pycache__",
    "CMakeLists.txt",
    "README.md",
    "lit.cfg.py",
    "lit.site.cfg.py",
    "lit.site.cfg.py.in",
]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%shlibext", config.llvm_shlib_ext))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])

llvm_config.use_default_substitutions()

# %python is the interpreter with numpy/onnx, not lit's own sys.executable
# (which use_default_substitutions installs): replace that entry.
config.substitutions = [
    s for s in config.substitutions if s[0] != "%python"
]
config.substitutions.append(("%python", '"%s"' % config.quantc_test_python))
config.substitutions.append(
    ("%examples", os.path.join(config.quantc_src_root, "examples")))
config.substitutions.append(
    ("%helpers", os.path.join(config.quantc_src_root, "test", "lit-helpers")))
config.substitutions.append(
    ("%runtime_lib", os.path.join(config.quantc_lib_dir, "libqc_runtime.a")))

# Our tools first, then LLVM's (FileCheck, not, count), on PATH so RUN lines
# such as `not quantc ...` find both.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.quantc_tools_dir, append_path=True)

tool_dirs = [config.quantc_tools_dir, config.llvm_tools_dir]
tools = [
    ToolSubst("quantc-opt", unresolved="warn"),
    ToolSubst("quantc", unresolved="warn"),
    ToolSubst("quantc-eval", unresolved="warn"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Features for tests that need an optional tool or library.
if os.path.exists(os.path.join(config.quantc_lib_dir, "libqc_runtime.a")):
    config.available_features.add("qc-runtime")

# AArch64 executables (quantc --target=aarch64-linux-gnu) run under
# Debian's qemu-user with the cross C library; the build makes the AArch64
# runtime when gcc-aarch64-linux-gnu is installed (scripts/install-deps.sh).
import shutil

if (shutil.which("qemu-aarch64") and shutil.which("aarch64-linux-gnu-gcc")
        and os.path.exists(os.path.join(config.quantc_lib_dir,
                                        "aarch64-linux-gnu",
                                        "libqc_runtime.a"))):
    config.available_features.add("aarch64-qemu")
    config.substitutions.append(
        ("%qemu-aarch64", "qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu"))
