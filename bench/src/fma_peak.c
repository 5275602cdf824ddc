/*===- fma_peak.c - This machine's FP32 FMA peak, the GEMM's limit --------===*\
 *
 * usage: fma_peak THREADS
 *
 * Each thread runs 16 independent chains of 16-lane FMAs (enough to hide
 * the FMA latency on 2 pipes) and the machine's figure is printed as
 * {"threads", "gflops"}: 2 flops per lane per FMA. Built with
 * -march=native, so the vector width is the host's widest.
\*===----------------------------------------------------------------------===*/
#include "bench_clock.h"

#include <stdio.h>
#include <stdlib.h>

typedef float v16 __attribute__((vector_size(64)));

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  const long iters = 50 * 1000 * 1000;
  omp_set_num_threads(threads);
  double best = 1e30;
  float sink = 0;
  for (int rep = 0; rep < 3; ++rep) {
    double start = now_s();
#pragma omp parallel reduction(+ : sink)
    {
      v16 acc[16], a = {0}, b = {0};
      for (int i = 0; i < 16; ++i) {
        a[i] = 1.0f + 1e-7f * i;
        b[i] = 1e-8f;
      }
      for (int c = 0; c < 16; ++c)
        acc[c] = a * (float)c;
      for (long i = 0; i < iters / 16; ++i)
        for (int c = 0; c < 16; ++c)
          acc[c] = acc[c] * a + b;
      for (int c = 0; c < 16; ++c)
        for (int l = 0; l < 16; ++l)
          sink += acc[c][l];
    }
    double elapsed = now_s() - start;
    if (elapsed < best)
      best = elapsed;
  }
  double flops = 2.0 * 16 * (double)(iters / 16) * 16 * threads;
  printf("{\"threads\": %d, \"gflops\": %.1f, \"sink\": %d}\n", threads,
         flops / best / 1e9, (int)(sink != 0));
  return 0;
}
