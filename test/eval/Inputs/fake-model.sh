#!/bin/sh
# Stands in for a compiled model with input_ids int64 [1,6] -> logits
# float32 [1,6,11] in quantc-eval error tests. FAKE_MODEL picks how it
# misbehaves: "fail" (runs exit 1 with an error line), "crash" (runs die of
# SIGSEGV), "nohelp" (--interface-json prints no interface), "nooutput"
# (runs succeed but write nothing).
if [ "$1" = "--interface-json" ]; then
  if [ "$FAKE_MODEL" = nohelp ]; then
    echo "usage: not a quantc model"
    exit 0
  fi
  printf '{"name": "fake", "inputs": [{"name": "input_ids", "dtype": "int64", "shape": [1, 6]}], '
  printf '"outputs": [{"name": "logits", "dtype": "float32", "shape": [1, 6, 11]}]}\n'
  exit 0
fi
if [ "$1" = "--help" ]; then
  if [ "$FAKE_MODEL" = nohelp ]; then
    echo "usage: not a quantc model"
    exit 0
  fi
  printf 'usage: fake\n\ninputs:\n  input_ids  int64     [1,6]\n'
  printf 'outputs:\n  logits     float32   [1,6,11]\n'
  exit 0
fi
case "$FAKE_MODEL" in
  crash) kill -SEGV $$ ;;
  nooutput) exit 0 ;;
esac
echo "error: simulated model failure" >&2
exit 1
