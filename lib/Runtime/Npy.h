/*===- Npy.h - NumPy .npy reading and writing for the runtime -*- C -*-===*\
|*                                                                          *|
|* Compiled models exchange tensors as .npy files so users can prepare and   *|
|* check them with NumPy; this is a dependency-free subset of that format.   *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#ifndef QUANTC_RUNTIME_NPY_H
#define QUANTC_RUNTIME_NPY_H

#include "quantc/Runtime/qc_model.h"

#include <stddef.h>
#include <stdint.h>

/* NumPy itself caps ndim at 64; anything larger is a corrupt header. */
#define QC_NPY_MAX_RANK 64

/* Buffers are aligned for the widest vector loads a compiled model may use. */
#define QC_NPY_ALIGNMENT 64

typedef struct qc_npy_array {
  int32_t dtype; /* enum qc_dtype */
  int32_t rank;
  int64_t shape[QC_NPY_MAX_RANK];
  void *data; /* QC_NPY_ALIGNMENT-aligned, never NULL after a good read */
  size_t nbytes;
} qc_npy_array;

/* Bytes per element of `dtype`, or 0 if it is not a known qc_dtype. */
size_t qc_dtype_size(int32_t dtype);

/* NumPy's name for `dtype` ("float32", "int64", ...), or "unknown". */
const char *qc_dtype_name(int32_t dtype);

/* 1 if `dtype` holds integers (bool excluded) / floating-point values. */
int qc_dtype_is_integer(int32_t dtype);
int qc_dtype_is_float(int32_t dtype);

/* Formats a shape as "[360,1,8,8]" ("[]" for rank 0), truncating to fit. */
void qc_format_shape(char *buf, size_t buflen, int32_t rank,
                     const int64_t *shape);

/* Total byte size of a dense tensor; returns 0 on success, -1 on a negative
 * dimension, unknown dtype or size_t overflow. */
int qc_tensor_nbytes(int32_t dtype, int32_t rank, const int64_t *shape,
                     size_t *nbytes);

/* Allocates `nbytes` zeroed bytes aligned to QC_NPY_ALIGNMENT (at least one
 * alignment unit, so empty tensors still get a distinct pointer). Free with
 * free(). Returns NULL when out of memory. */
void *qc_aligned_zalloc(size_t nbytes);

/* Reads `path` into `out`. On failure returns -1, leaves `out` without
 * allocated data and writes a one-line reason (no "error: " prefix, no
 * path) into `err`. */
int qc_npy_read(const char *path, qc_npy_array *out, char *err, size_t errlen);

/* Frees the data of an array filled by qc_npy_read; safe to call twice. */
void qc_npy_free(qc_npy_array *array);

/* Writes a C-ordered little-endian .npy file (format 1.0, or 2.0 when the
 * header does not fit). Returns 0, or -1 with a reason in `err`. */
int qc_npy_write(const char *path, int32_t dtype, int32_t rank,
                 const int64_t *shape, const void *data, char *err,
                 size_t errlen);

#endif /* QUANTC_RUNTIME_NPY_H */
