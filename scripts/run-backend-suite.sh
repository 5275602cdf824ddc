#!/usr/bin/env bash
#===- run-backend-suite.sh - Run the full ONNX backend test suite ---------===#
#
# usage: scripts/run-backend-suite.sh [BUILD_DIR]     (default: ./build)
#
# Runs test/onnx-backend/run_backend.py with BUILD_DIR/bin/quantc over the
# whole extracted ONNX backend test data (node, simple, pytorch-converted,
# pytorch-operator; ~1,900 cases), not just the vendored subset that lit
# runs. Writes BUILD_DIR/backend-report.tsv (case, ops, status, reason) and
# BUILD_DIR/backend-report.md (summary, crashes/hangs, unsupported ops, all
# cases) and prints the summary.
#
# Environment: ONNX_BACKEND_DATA  the data root (default:
#                                 /work/shared/conformance/onnx-backend)
#              JOBS               parallel cases (default 2)
#              EXTRA_ARGS         more run_backend.py options, e.g.
#                                 "--filter conv"
#
# Exits non-zero when a case crashes or hangs (quantc or a compiled model
# died from a signal, or ran past its timeout); every other status is
# reported, not fatal.
#
#===-----------------------------------------------------------------------===#
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build}
BUILD=$(cd "$BUILD" && pwd)
QUANTC=$BUILD/bin/quantc
DATA=${ONNX_BACKEND_DATA:-/work/shared/conformance/onnx-backend}
# Debian's interpreter has numpy and onnx; a pyenv/venv python3 may not.
PY=/usr/bin/python3

if [ ! -x "$QUANTC" ]; then
  echo "error: $QUANTC not found; build first (scripts/build.sh)" >&2
  exit 1
fi
if ! "$PY" -c 'import numpy, onnx' 2>/dev/null; then
  echo "error: $PY cannot import numpy and onnx" \
    "(apt-get install python3-numpy python3-onnx)" >&2
  exit 1
fi

CASES=()
for top in node simple pytorch-converted pytorch-operator; do
  if [ -d "$DATA/$top" ]; then
    CASES+=("$DATA/$top")
  else
    echo "warning: $DATA/$top not found; skipped" >&2
  fi
done
if [ ${#CASES[@]} -eq 0 ]; then
  echo "error: no ONNX backend test data under $DATA (set ONNX_BACKEND_DATA)" >&2
  exit 1
fi

# shellcheck disable=SC2086  # EXTRA_ARGS is split on purpose
exec "$PY" "$ROOT/test/onnx-backend/run_backend.py" \
  --quantc "$QUANTC" --cases "${CASES[@]}" --jobs "${JOBS:-2}" \
  --table "$BUILD/backend-report.tsv" --markdown "$BUILD/backend-report.md" \
  ${EXTRA_ARGS:-}
