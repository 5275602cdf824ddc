/*===- bench_clock.h - What the limit-measuring tools share ---------------===*\
 *
 * The monotonic clock the bench tools time their passes with, and libomp's
 * omp_set_num_threads without its header (Debian ships omp.h only per LLVM
 * version).
\*===----------------------------------------------------------------------===*/
#ifndef QC_BENCH_CLOCK_H
#define QC_BENCH_CLOCK_H

#include <time.h>

void omp_set_num_threads(int);

static inline double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
