/*===- Generate.h - The generation loop of generator binaries -*- C -*-===*\
|*                                                                          *|
|* Main.c hands `--generate` command lines of generator binaries here.      *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#ifndef QUANTC_RUNTIME_GENERATE_H
#define QUANTC_RUNTIME_GENERATE_H

#include "quantc/Runtime/qc_model.h"

#include <stdio.h>

/* Runs `argv` (which holds --generate) on qc_generator; returns the exit
 * code (0, 1: run error, 2: usage). */
int qc_generate_main(int argc, char **argv);

/* The generator's options, for --help. */
void qc_generate_usage(FILE *out);

#endif /* QUANTC_RUNTIME_GENERATE_H */
