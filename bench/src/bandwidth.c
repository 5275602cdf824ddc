/*===- bandwidth.c - This machine's read bandwidth, the GEMV's limit ------===*\
 *
 * usage: bandwidth BYTES THREADS REPEATS
 *
 * Reads a BYTES buffer REPEATS times with THREADS OpenMP threads (each
 * thread sums its own contiguous slice with wide vector loads, as a GEMV
 * streams its weight rows) and prints {"bytes", "threads", "gb_per_s"} for
 * the fastest pass. A buffer well inside the last-level cache measures the
 * cache-resident limit; one far larger than it measures DRAM.
\*===----------------------------------------------------------------------===*/
#include "bench_clock.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s BYTES THREADS REPEATS\n", argv[0]);
    return 2;
  }
  size_t bytes = strtoull(argv[1], NULL, 10);
  int threads = atoi(argv[2]), repeats = atoi(argv[3]);
  size_t n = bytes / sizeof(uint64_t);
  uint64_t *data = aligned_alloc(64, n * sizeof(uint64_t));
  if (!data || threads < 1 || repeats < 1)
    return 1;
  memset(data, 1, n * sizeof(uint64_t));
  omp_set_num_threads(threads);
  double best = 1e30;
  uint64_t total = 0;
  for (int r = 0; r < repeats; ++r) {
    double start = now_s();
    uint64_t sum = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
    for (size_t i = 0; i < n; ++i)
      sum += data[i];
    double elapsed = now_s() - start;
    total += sum;
    if (elapsed < best)
      best = elapsed;
  }
  printf("{\"bytes\": %zu, \"threads\": %d, \"gb_per_s\": %.2f, "
         "\"checksum\": %llu}\n",
         bytes, threads, (double)bytes / best / 1e9,
         (unsigned long long)(total & 0xff));
  free(data);
  return 0;
}
