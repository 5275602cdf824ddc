/*===- NpyImpl.h - Internals shared by the .npy reader and writer -*- C -*-===*\
|*                                                                          *|
|* Not part of the runtime's interface: helpers that Npy.c defines for      *|
|* NpyWrite.c.                                                              *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#ifndef QUANTC_RUNTIME_NPYIMPL_H
#define QUANTC_RUNTIME_NPYIMPL_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define QC_NPY_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define QC_NPY_PRINTF(fmt, args)
#endif

/* The six bytes every .npy file starts with. */
extern const char qc_npy_magic[6];

/* printf-formats a one-line reason into `err` (if any room is given). */
void qc_npy_set_err(char *err, size_t errlen, const char *fmt, ...)
    QC_NPY_PRINTF(3, 4);

/* 1 on a little-endian host. */
int qc_npy_host_is_little_endian(void);

#endif /* QUANTC_RUNTIME_NPYIMPL_H */
