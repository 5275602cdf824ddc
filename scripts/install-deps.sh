#!/usr/bin/env bash
# Installs every Debian package quantc needs to build, test and run its examples.
# Quick when everything is already present: it checks with dpkg before touching apt.
set -euo pipefail

PACKAGES=(
  # Toolchain and build system.
  cmake ninja-build ccache g++ git
  # LLVM/MLIR 22: headers, dylibs, mlir-tblgen, lit, FileCheck, and lld for linking outputs.
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  # ONNX import.
  libonnx-dev libprotobuf-dev protobuf-compiler
  # LLVM's OpenMP runtime: multithreaded executables link libomp.so.5.
  libomp-dev
  # AArch64 executables (--target=aarch64-linux-gnu): the cross C compiler
  # links them and builds the AArch64 runtime; tests run them under qemu-user.
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  # Linear algebra inside passes.
  libeigen3-dev
  # libFuzzer and the ASan/UBSan runtimes (scripts/fuzz.sh, scripts/sanitize.sh).
  libclang-rt-22-dev
  # C++ unit tests.
  libgtest-dev
  # Test tooling: Debian's python with numpy and onnx (the reference side of e2e tests).
  python3 python3-numpy python3-onnx
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
