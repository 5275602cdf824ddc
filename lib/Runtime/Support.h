/*===- Support.h - What the runtime's command-line tools share -*- C -*-===*\
|*                                                                          *|
|* The model runner (Main.c) and the generation loop (Generate.c) report    *|
|* errors and time themselves the same way.                                 *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#ifndef QUANTC_RUNTIME_SUPPORT_H
#define QUANTC_RUNTIME_SUPPORT_H

/* Prints "error: MESSAGE" and a newline to stderr. */
void qc_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Milliseconds on the monotonic clock. */
double qc_now_ms(void);

/* Maps the executable's read-only data (the weights, in .lrodata or
 * .rodata) into the process before the first step, as an inference engine
 * loads its weights at start: otherwise the first step pays a page fault
 * per page of weights (on a 1.1B-parameter int4 model, most of its
 * "prefill" time). Best effort: Linux's MADV_POPULATE_READ, else a read of
 * one byte per page; nothing where /proc/self/maps cannot be read. Returns
 * the bytes mapped. */
unsigned long long qc_load_weights(void);

/* Present when the model was compiled with --multithread (it links LLVM's
 * OpenMP runtime); weak, so single-threaded builds need no libomp. */
extern void omp_set_num_threads(int) __attribute__((weak));

#endif /* QUANTC_RUNTIME_SUPPORT_H */
