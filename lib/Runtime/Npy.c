/*===- Npy.c - NumPy .npy reading and the dtype table for the runtime -----===*\
|*                                                                          *|
|* Model executables must stay free of third-party dependencies, so this     *|
|* parses the small Python-literal header of .npy files by hand. It also     *|
|* holds the dtype queries built from qc_dtypes.def and the helpers shared   *|
|* with the writer (NpyWrite.c).                                             *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "Npy.h"
#include "NpyImpl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Real headers are a few hundred bytes; this only guards against reading a
 * corrupt length field as a request for gigabytes. */
#define QC_NPY_MAX_HEADER (1u << 20)

const char qc_npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

void qc_npy_set_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (!err || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

int qc_npy_host_is_little_endian(void) {
  const uint16_t probe = 1;
  return *(const unsigned char *)&probe == 1;
}

size_t qc_dtype_size(int32_t dtype) {
  switch (dtype) {
#define QC_DTYPE(ENUM, VALUE, NAME, NPY_KIND, BYTES, ONNX, CLASS, BITS)        \
  case QC_DTYPE_##ENUM:                                                        \
    return BYTES;
#include "quantc/Runtime/qc_dtypes.def"
  default:
    return 0;
  }
}

const char *qc_dtype_name(int32_t dtype) {
  switch (dtype) {
#define QC_DTYPE(ENUM, VALUE, NAME, NPY_KIND, BYTES, ONNX, CLASS, BITS)        \
  case QC_DTYPE_##ENUM:                                                        \
    return NAME;
#include "quantc/Runtime/qc_dtypes.def"
  default:
    return "unknown";
  }
}

int qc_dtype_is_integer(int32_t dtype) {
  switch (dtype) {
#define QC_DTYPE(ENUM, VALUE, NAME, NPY_KIND, BYTES, ONNX, CLASS, BITS)        \
  case QC_DTYPE_##ENUM:                                                        \
    return NPY_KIND == 'i' || NPY_KIND == 'u';
#include "quantc/Runtime/qc_dtypes.def"
  default:
    return 0;
  }
}

int qc_dtype_is_float(int32_t dtype) {
  switch (dtype) {
#define QC_DTYPE(ENUM, VALUE, NAME, NPY_KIND, BYTES, ONNX, CLASS, BITS)        \
  case QC_DTYPE_##ENUM:                                                        \
    return NPY_KIND == 'f';
#include "quantc/Runtime/qc_dtypes.def"
  default:
    return 0;
  }
}

void qc_format_shape(char *buf, size_t buflen, int32_t rank,
                     const int64_t *shape) {
  size_t used = 0;
  int32_t i;
  int n;
  if (buflen == 0)
    return;
  buf[0] = '\0';
  n = snprintf(buf, buflen, "[");
  used = (size_t)n;
  for (i = 0; i < rank && used < buflen; ++i) {
    n = snprintf(buf + used, buflen - used, "%s%lld", i ? "," : "",
                 (long long)shape[i]);
    if (n < 0)
      return;
    used += (size_t)n;
  }
  if (used < buflen)
    snprintf(buf + used, buflen - used, "]");
  else if (buflen > 4) /* Make the truncation visible rather than silent. */
    memcpy(buf + buflen - 4, "...", 4);
}

int qc_tensor_nbytes(int32_t dtype, int32_t rank, const int64_t *shape,
                     size_t *nbytes) {
  size_t total = qc_dtype_size(dtype);
  int32_t i;
  if (total == 0 || rank < 0)
    return -1;
  for (i = 0; i < rank; ++i) {
    if (shape[i] < 0)
      return -1;
    /* Keep checking signs after a zero dimension empties the tensor. */
    if (shape[i] == 0) {
      total = 0;
      continue;
    }
    if ((uint64_t)shape[i] > (uint64_t)SIZE_MAX ||
        (total != 0 && total > SIZE_MAX / (size_t)shape[i]))
      return -1;
    total *= (size_t)shape[i];
  }
  *nbytes = total;
  return 0;
}

void *qc_aligned_zalloc(size_t nbytes) {
  void *ptr = NULL;
  size_t rounded;
  if (nbytes > SIZE_MAX - QC_NPY_ALIGNMENT)
    return NULL;
  /* Rounding up lets a model's vector loop touch the final partial vector
   * without reading past the allocation. */
  rounded =
      (nbytes + QC_NPY_ALIGNMENT - 1) / QC_NPY_ALIGNMENT * QC_NPY_ALIGNMENT;
  if (rounded == 0)
    rounded = QC_NPY_ALIGNMENT;
  if (posix_memalign(&ptr, QC_NPY_ALIGNMENT, rounded) != 0)
    return NULL;
  memset(ptr, 0, rounded);
  return ptr;
}

/*===----------------------------------------------------------------------===*
 * Header parsing
 *===----------------------------------------------------------------------===*/

typedef struct header_parser {
  const char *p;
  const char *end;
} header_parser;

static void skip_ws(header_parser *hp) {
  while (hp->p < hp->end &&
         (*hp->p == ' ' || *hp->p == '\t' || *hp->p == '\n' || *hp->p == '\r'))
    ++hp->p;
}

static int peek(header_parser *hp) {
  skip_ws(hp);
  return hp->p < hp->end ? (unsigned char)*hp->p : -1;
}

static int expect_char(header_parser *hp, char c) {
  if (peek(hp) != (unsigned char)c)
    return -1;
  ++hp->p;
  return 0;
}

/* Parses a quoted Python string into `out` (truncated to outlen-1). */
static int parse_string(header_parser *hp, char *out, size_t outlen) {
  char quote;
  size_t n = 0;
  int c = peek(hp);
  if (c != '\'' && c != '"')
    return -1;
  quote = (char)c;
  ++hp->p;
  while (hp->p < hp->end && *hp->p != quote) {
    if (*hp->p == '\\' && hp->p + 1 < hp->end)
      ++hp->p;
    if (out && n + 1 < outlen)
      out[n++] = *hp->p;
    ++hp->p;
  }
  if (hp->p >= hp->end)
    return -1;
  ++hp->p;
  if (out && outlen)
    out[n] = '\0';
  return 0;
}

/* Skips a value of a key this reader does not know, so that headers written
 * by future NumPy versions with extra keys still load. */
static int skip_value(header_parser *hp) {
  int depth = 0;
  for (;;) {
    int c = peek(hp);
    if (c < 0)
      return -1;
    if (c == '\'' || c == '"') {
      if (parse_string(hp, NULL, 0) != 0)
        return -1;
      continue;
    }
    if (depth == 0 && (c == ',' || c == '}'))
      return 0;
    if (c == '(' || c == '[' || c == '{')
      ++depth;
    else if (c == ')' || c == ']' || c == '}')
      --depth;
    ++hp->p;
  }
}

static int parse_identifier(header_parser *hp, char *out, size_t outlen) {
  size_t n = 0;
  skip_ws(hp);
  while (hp->p < hp->end &&
         ((*hp->p >= 'a' && *hp->p <= 'z') ||
          (*hp->p >= 'A' && *hp->p <= 'Z') || *hp->p == '_')) {
    if (n + 1 < outlen)
      out[n++] = *hp->p;
    ++hp->p;
  }
  out[n] = '\0';
  return n ? 0 : -1;
}

/* Parses "()", "(5,)", "(360, 1, 8, 8)" and, leniently, lists or a trailing
 * 'L' that Python 2 put on longs. */
static int parse_shape(header_parser *hp, int32_t *rank, int64_t *shape,
                       char *err, size_t errlen) {
  int open = peek(hp);
  char close;
  if (open != '(' && open != '[') {
    qc_npy_set_err(err, errlen, "invalid .npy header: 'shape' is not a tuple");
    return -1;
  }
  close = open == '(' ? ')' : ']';
  ++hp->p;
  *rank = 0;
  for (;;) {
    int c = peek(hp);
    int64_t value = 0;
    if (c == close) {
      ++hp->p;
      return 0;
    }
    if (c < '0' || c > '9') {
      qc_npy_set_err(
          err, errlen,
          "invalid .npy header: 'shape' must hold non-negative integers");
      return -1;
    }
    while (hp->p < hp->end && *hp->p >= '0' && *hp->p <= '9') {
      if (value > (INT64_MAX - 9) / 10) {
        qc_npy_set_err(err, errlen, "invalid .npy header: dimension too large");
        return -1;
      }
      value = value * 10 + (*hp->p - '0');
      ++hp->p;
    }
    if (hp->p < hp->end && (*hp->p == 'L' || *hp->p == 'l'))
      ++hp->p;
    if (*rank >= QC_NPY_MAX_RANK) {
      qc_npy_set_err(err, errlen,
                     "invalid .npy header: more than %d dimensions",
                     QC_NPY_MAX_RANK);
      return -1;
    }
    shape[(*rank)++] = value;
    c = peek(hp);
    if (c == ',') {
      ++hp->p;
    } else if (c != close) {
      qc_npy_set_err(err, errlen, "invalid .npy header: malformed 'shape'");
      return -1;
    }
  }
}

/* Maps a NumPy type string such as "<f4" to a qc_dtype. */
static int parse_descr(const char *descr, int32_t *dtype, char *err,
                       size_t errlen) {
  const char *p = descr;
  char order = '=';
  char kind;
  long size;
  char *endp;
  if (*p == '<' || *p == '>' || *p == '|' || *p == '=')
    order = *p++;
  kind = *p++;
  if (kind == '\0' || *p < '0' || *p > '9')
    goto unsupported;
  errno = 0;
  size = strtol(p, &endp, 10);
  if (errno != 0 || *endp != '\0')
    goto unsupported;

  *dtype = 0;
#define QC_DTYPE(ENUM, VALUE, NAME, NPY_KIND, BYTES, ONNX, CLASS, BITS)        \
  if (kind == NPY_KIND && size == BYTES)                                       \
    *dtype = QC_DTYPE_##ENUM;
#include "quantc/Runtime/qc_dtypes.def"
  if (*dtype == 0)
    goto unsupported;

  /* Byte order only matters for multi-byte elements. Buffers are handed to
   * the model in host order, so anything else would need a byte swap. */
  if (size > 1) {
    if (order == '|') {
      qc_npy_set_err(err, errlen,
                     "invalid dtype '%s': multi-byte type without "
                     "byte order",
                     descr);
      return -1;
    }
    if (order == '>' || (order == '<' && !qc_npy_host_is_little_endian())) {
      qc_npy_set_err(
          err, errlen,
          "dtype '%s' is %s-endian, which is not supported; convert it "
          "with arr.astype(arr.dtype.newbyteorder('='))",
          descr, order == '>' ? "big" : "little");
      return -1;
    }
  }
  return 0;

unsupported:
  qc_npy_set_err(
      err, errlen,
      "unsupported dtype '%s' (supported: float32, float64, float16, "
      "int8, uint8, int16, uint16, int32, uint32, int64, uint64, bool)",
      descr);
  return -1;
}

static int parse_header(const char *text, size_t len, qc_npy_array *out,
                        char *err, size_t errlen) {
  header_parser hp;
  char descr[64] = "";
  int have_descr = 0, have_shape = 0, fortran_order = 0;
  hp.p = text;
  hp.end = text + len;

  if (expect_char(&hp, '{') != 0) {
    qc_npy_set_err(err, errlen, "invalid .npy header: expected a dict");
    return -1;
  }
  for (;;) {
    char key[32];
    if (peek(&hp) == '}') {
      ++hp.p;
      break;
    }
    if (parse_string(&hp, key, sizeof(key)) != 0 ||
        expect_char(&hp, ':') != 0) {
      qc_npy_set_err(err, errlen, "invalid .npy header: malformed dict");
      return -1;
    }
    if (strcmp(key, "descr") == 0) {
      if (peek(&hp) == '[') {
        qc_npy_set_err(
            err, errlen,
            "unsupported dtype: structured arrays are not supported");
        return -1;
      }
      if (parse_string(&hp, descr, sizeof(descr)) != 0) {
        qc_npy_set_err(err, errlen, "invalid .npy header: malformed 'descr'");
        return -1;
      }
      have_descr = 1;
    } else if (strcmp(key, "fortran_order") == 0) {
      char ident[16];
      if (parse_identifier(&hp, ident, sizeof(ident)) != 0 ||
          (strcmp(ident, "True") != 0 && strcmp(ident, "False") != 0)) {
        qc_npy_set_err(
            err, errlen,
            "invalid .npy header: 'fortran_order' is not True/False");
        return -1;
      }
      fortran_order = strcmp(ident, "True") == 0;
    } else if (strcmp(key, "shape") == 0) {
      if (parse_shape(&hp, &out->rank, out->shape, err, errlen) != 0)
        return -1;
      have_shape = 1;
    } else if (skip_value(&hp) != 0) {
      qc_npy_set_err(err, errlen, "invalid .npy header: malformed dict");
      return -1;
    }
    if (peek(&hp) == ',') {
      ++hp.p;
    } else if (peek(&hp) != '}') {
      qc_npy_set_err(err, errlen, "invalid .npy header: malformed dict");
      return -1;
    }
  }
  if (!have_descr || !have_shape) {
    qc_npy_set_err(err, errlen, "invalid .npy header: missing '%s'",
                   have_descr ? "shape" : "descr");
    return -1;
  }
  if (parse_descr(descr, &out->dtype, err, errlen) != 0)
    return -1;
  if (fortran_order) {
    /* Column-major order is only a different layout when at least two
     * dimensions are non-trivial. */
    int32_t i, big = 0;
    for (i = 0; i < out->rank; ++i)
      big += out->shape[i] > 1;
    if (big > 1) {
      qc_npy_set_err(err, errlen,
                     "Fortran-ordered arrays are not supported; save with "
                     "np.save(path, np.ascontiguousarray(arr))");
      return -1;
    }
  }
  return 0;
}

/*===----------------------------------------------------------------------===*
 * Reading
 *===----------------------------------------------------------------------===*/

static uint32_t read_le(const unsigned char *p, int n) {
  uint32_t v = 0;
  int i;
  for (i = n - 1; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

int qc_npy_read(const char *path, qc_npy_array *out, char *err, size_t errlen) {
  FILE *f;
  unsigned char pre[12];
  size_t prelen, got;
  uint32_t hlen;
  char *header = NULL;
  char shapebuf[128];
  int major, minor;

  memset(out, 0, sizeof(*out));
  f = fopen(path, "rb");
  if (!f) {
    qc_npy_set_err(err, errlen, "cannot open: %s", strerror(errno));
    return -1;
  }

  got = fread(pre, 1, 10, f);
  if (got < 8 || memcmp(pre, qc_npy_magic, 6) != 0) {
    qc_npy_set_err(err, errlen, "not a .npy file (bad magic)");
    goto fail;
  }
  major = pre[6];
  minor = pre[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0) {
    qc_npy_set_err(err, errlen, "unsupported .npy format version %d.%d", major,
                   minor);
    goto fail;
  }
  /* Version 1.0 has a 2-byte header length, 2.0 and 3.0 a 4-byte one. */
  prelen = major == 1 ? 10 : 12;
  if (got == 10 && prelen == 12)
    got += fread(pre + 10, 1, 2, f);
  if (got < prelen) {
    qc_npy_set_err(err, errlen, "truncated .npy file (incomplete header)");
    goto fail;
  }
  hlen = read_le(pre + 8, (int)prelen - 8);
  if (hlen > QC_NPY_MAX_HEADER) {
    qc_npy_set_err(err, errlen, "invalid .npy header length %lu",
                   (unsigned long)hlen);
    goto fail;
  }
  header = malloc((size_t)hlen + 1);
  if (!header) {
    qc_npy_set_err(err, errlen, "out of memory");
    goto fail;
  }
  if (fread(header, 1, hlen, f) != hlen) {
    qc_npy_set_err(err, errlen, "truncated .npy file (incomplete header)");
    goto fail;
  }
  header[hlen] = '\0';
  if (parse_header(header, hlen, out, err, errlen) != 0)
    goto fail;
  free(header);
  header = NULL;

  qc_format_shape(shapebuf, sizeof(shapebuf), out->rank, out->shape);
  if (qc_tensor_nbytes(out->dtype, out->rank, out->shape, &out->nbytes) != 0) {
    qc_npy_set_err(err, errlen, "shape %s is too large", shapebuf);
    goto fail;
  }
  out->data = qc_aligned_zalloc(out->nbytes);
  if (!out->data) {
    qc_npy_set_err(err, errlen, "out of memory allocating %llu bytes",
                   (unsigned long long)out->nbytes);
    goto fail;
  }
  got = fread(out->data, 1, out->nbytes, f);
  if (got != out->nbytes) {
    qc_npy_set_err(
        err, errlen,
        "truncated .npy file: %s %s needs %llu data bytes, file has %llu",
        qc_dtype_name(out->dtype), shapebuf, (unsigned long long)out->nbytes,
        (unsigned long long)got);
    goto fail;
  }
  /* Extra bytes mean the header and the payload disagree about the shape. */
  if (fgetc(f) != EOF) {
    qc_npy_set_err(err, errlen,
                   "corrupt .npy file: data is longer than %s %s (%llu bytes)",
                   qc_dtype_name(out->dtype), shapebuf,
                   (unsigned long long)out->nbytes);
    goto fail;
  }
  if (ferror(f)) {
    qc_npy_set_err(err, errlen, "read error: %s", strerror(errno));
    goto fail;
  }
  fclose(f);
  return 0;

fail:
  free(header);
  qc_npy_free(out);
  fclose(f);
  return -1;
}

void qc_npy_free(qc_npy_array *array) {
  free(array->data);
  array->data = NULL;
  array->nbytes = 0;
}
