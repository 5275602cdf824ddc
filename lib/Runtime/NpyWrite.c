/*===- NpyWrite.c - NumPy .npy writing for the runtime --------------------===*\
|*                                                                          *|
|* Writes C-ordered .npy files with a header NumPy itself would write, so   *|
|* model outputs load with np.load.                                         *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "Npy.h"
#include "NpyImpl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*===----------------------------------------------------------------------===*
 * Writing
 *===----------------------------------------------------------------------===*/

/* Writes the .npy descriptor of `dtype` ("<f4", "|u1", ...) into `descr`
 * (4 bytes); returns 0 for an unknown dtype. */
static int dtype_descr(int32_t dtype, char descr[4]) {
  size_t size = qc_dtype_size(dtype);
  char kind = 0;
  switch (dtype) {
#define QC_DTYPE(ENUM, VALUE, NAME, NPY_KIND, BYTES, ONNX, CLASS, BITS)        \
  case QC_DTYPE_##ENUM:                                                        \
    kind = NPY_KIND;                                                           \
    break;
#include "quantc/Runtime/qc_dtypes.def"
  default:
    return 0;
  }
  descr[0] = size == 1 ? '|' : qc_npy_host_is_little_endian() ? '<' : '>';
  descr[1] = kind;
  descr[2] = (char)('0' + size);
  descr[3] = '\0';
  return 1;
}

int qc_npy_write(const char *path, int32_t dtype, int32_t rank,
                 const int64_t *shape, const void *data, char *err,
                 size_t errlen) {
  /* 64 dims of up to 20 digits plus separators stay far below this. */
  char dict[2048];
  unsigned char *header;
  size_t dictlen, prelen, total, nbytes;
  char descr[4];
  int32_t i;
  int n;
  FILE *f;

  if (!dtype_descr(dtype, descr)) {
    qc_npy_set_err(err, errlen, "unknown dtype code %d", (int)dtype);
    return -1;
  }
  if (rank < 0 || rank > QC_NPY_MAX_RANK ||
      qc_tensor_nbytes(dtype, rank, shape, &nbytes) != 0) {
    qc_npy_set_err(err, errlen, "invalid shape (rank %d)", (int)rank);
    return -1;
  }

  n = snprintf(dict, sizeof(dict),
               "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  dictlen = (size_t)n;
  for (i = 0; i < rank; ++i) {
    n = snprintf(dict + dictlen, sizeof(dict) - dictlen, "%s%lld",
                 i ? ", " : "", (long long)shape[i]);
    dictlen += (size_t)n;
  }
  n = snprintf(dict + dictlen, sizeof(dict) - dictlen, "%s), }",
               rank == 1 ? "," : "");
  dictlen += (size_t)n;

  /* NumPy pads the header with spaces and a newline so the data starts on a
   * 64-byte boundary, which lets readers mmap it aligned. */
  prelen = dictlen + 1 + 10 <= 65535 ? 10 : 12;
  total = (prelen + dictlen + 1 + 63) / 64 * 64;
  header = malloc(total);
  if (!header) {
    qc_npy_set_err(err, errlen, "out of memory");
    return -1;
  }
  memcpy(header, qc_npy_magic, 6);
  header[6] = prelen == 10 ? 1 : 2;
  header[7] = 0;
  {
    uint32_t hlen = (uint32_t)(total - prelen);
    int b;
    for (b = 0; b < (int)prelen - 8; ++b)
      header[8 + b] = (unsigned char)(hlen >> (8 * b));
  }
  memcpy(header + prelen, dict, dictlen);
  memset(header + prelen + dictlen, ' ', total - prelen - dictlen - 1);
  header[total - 1] = '\n';

  f = fopen(path, "wb");
  if (!f) {
    qc_npy_set_err(err, errlen, "cannot create: %s", strerror(errno));
    free(header);
    return -1;
  }
  if (fwrite(header, 1, total, f) != total ||
      (nbytes && fwrite(data, 1, nbytes, f) != nbytes)) {
    qc_npy_set_err(err, errlen, "write failed: %s", strerror(errno));
    free(header);
    fclose(f);
    remove(path);
    return -1;
  }
  free(header);
  /* fclose flushes, so a full disk may only show up here. */
  if (fclose(f) != 0) {
    qc_npy_set_err(err, errlen, "write failed: %s", strerror(errno));
    remove(path);
    return -1;
  }
  return 0;
}
