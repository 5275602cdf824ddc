/*===- Support.c - What the runtime's command-line tools share ------------===*/

#include "Support.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

void qc_error(const char *fmt, ...) {
  va_list ap;
  fputs("error: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

double qc_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

unsigned long long qc_load_weights(void) {
  char exe[PATH_MAX], line[PATH_MAX + 128];
  unsigned long long mapped = 0;
  long page = sysconf(_SC_PAGESIZE);
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  FILE *maps;
  if (n <= 0 || page <= 0)
    return 0;
  exe[n] = '\0';
  maps = fopen("/proc/self/maps", "r");
  if (!maps)
    return 0;
  while (fgets(line, sizeof(line), maps)) {
    unsigned long long begin, end, offset;
    char perms[8], path[PATH_MAX];
    path[0] = '\0';
    if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095[^\n]", &begin, &end,
               perms, &offset, path) < 4 ||
        strcmp(perms, "r--p") != 0 || strcmp(path, exe) != 0)
      continue;
    /* posix_madvise passes the advice to madvise (POSIX names no
     * POPULATE_READ; old kernels reject it and the pages are read). */
    if (posix_madvise((void *)(uintptr_t)begin, (size_t)(end - begin),
                      MADV_POPULATE_READ) != 0) {
      volatile const char *p = (const char *)(uintptr_t)begin;
      unsigned long long at;
      for (at = 0; at < end - begin; at += (unsigned long long)page)
        (void)p[at];
    }
    mapped += end - begin;
  }
  fclose(maps);
  return mapped;
}
