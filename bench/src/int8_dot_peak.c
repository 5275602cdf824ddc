/*===- int8_dot_peak.c - This machine's int8 dot-product peak -------------===*\
 *
 * usage: int8_dot_peak THREADS
 *
 * The limit of the int8-activation GEMM (--act-bits=8): each thread runs 16
 * independent chains of u8 x s8 dot products into i32 lanes (AVX512-VNNI
 * vpdpbusd: 64 multiply-adds per 512-bit instruction; AVX-VNNI: 32 per
 * 256-bit one) and prints {"threads", "gops", "isa"}: 2 ops per
 * multiply-add, as GFLOP/s counts an FMA. Without VNNI it prints gops 0.
 * Built with -march=native.
\*===----------------------------------------------------------------------===*/
#include "bench_clock.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>

#if defined(__AVX512VNNI__) && defined(__AVX512F__)
#define ISA "avx512-vnni"
#define MACS 64
typedef __m512i vec;
#define DOT(acc, a, b) _mm512_dpbusd_epi32(acc, a, b)
#define SET1(v) _mm512_set1_epi32(v)
#define LANE0(v) _mm_cvtsi128_si32(_mm512_castsi512_si128(v))
#elif defined(__AVXVNNI__)
#define ISA "avx-vnni"
#define MACS 32
typedef __m256i vec;
#define DOT(acc, a, b) _mm256_dpbusd_avx_epi32(acc, a, b)
#define SET1(v) _mm256_set1_epi32(v)
#define LANE0(v) _mm_cvtsi128_si32(_mm256_castsi256_si128(v))
#else
#define ISA "none"
#define MACS 0
#endif

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
#if MACS == 0
  printf("{\"threads\": %d, \"gops\": 0, \"isa\": \"%s\"}\n", threads, ISA);
  return 0;
#else
  const long iters = 50 * 1000 * 1000;
  omp_set_num_threads(threads);
  double best = 1e30;
  long sink = 0;
  for (int rep = 0; rep < 3; ++rep) {
    double start = now_s();
#pragma omp parallel reduction(+ : sink)
    {
      vec acc[16], a = SET1(0x01020304 + rep), b = SET1(0x01010101);
      for (int c = 0; c < 16; ++c)
        acc[c] = SET1(c);
      for (long i = 0; i < iters / 16; ++i)
        for (int c = 0; c < 16; ++c)
          acc[c] = DOT(acc[c], a, b);
      for (int c = 0; c < 16; ++c)
        sink += LANE0(acc[c]);
    }
    double elapsed = now_s() - start;
    if (elapsed < best)
      best = elapsed;
  }
  double ops = 2.0 * MACS * (double)(iters / 16) * 16 * threads;
  printf("{\"threads\": %d, \"gops\": %.1f, \"isa\": \"%s\", \"sink\": %d}\n",
         threads, ops / best / 1e9, ISA, (int)(sink != 0));
  return 0;
#endif
}
