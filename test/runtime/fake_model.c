/*===- fake_model.c - Hand-written stand-in for a compiled model ----------===*\
|*                                                                          *|
|* Exercises the runtime's main() without the compiler: it defines the same  *|
|* two symbols quantc emits, with a small two-input, two-output interface.   *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#include "quantc/Runtime/qc_model.h"

#include <stdint.h>

static const int64_t kShape23[] = {2, 3};
static const int64_t kShape3[] = {3};

static const qc_tensor_desc kInputs[] = {
    {"a", QC_DTYPE_F32, 2, kShape23},
    {"b", QC_DTYPE_I64, 1, kShape3},
};

/* A rank-0 output checks that scalars round-trip as shape (). */
static const qc_tensor_desc kOutputs[] = {
    {"sum", QC_DTYPE_F32, 2, kShape23},
    {"count", QC_DTYPE_I64, 0, 0},
};

const qc_model_desc qc_model = {"fake", 2, 2, kInputs, kOutputs};

void qc_model_run(void **buffers) {
  const float *a = (const float *)buffers[0];
  const int64_t *b = (const int64_t *)buffers[1];
  float *sum = (float *)buffers[2];
  int64_t *count = (int64_t *)buffers[3];
  int i, j, aligned = 1;
  for (i = 0; i < 4; ++i)
    aligned &= ((uintptr_t)buffers[i] % 64) == 0;
  for (i = 0; i < 2; ++i)
    for (j = 0; j < 3; ++j)
      sum[i * 3 + j] = a[i * 3 + j] + (float)b[j];
  /* Report misaligned buffers through the output the test checks anyway. */
  *count = aligned ? 6 : -1;
}
