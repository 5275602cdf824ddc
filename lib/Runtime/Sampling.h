/*===- Sampling.h - Choosing the next token from logits --------*- C -*-===*\
|*                                                                          *|
|* Greedy (the first largest logit) or sampling from softmax(logits / T)    *|
|* restricted to the top-k and to the smallest prefix of mass top-p, drawn  *|
|* from a splitmix64 stream: the same seed gives the same tokens.           *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#ifndef QUANTC_RUNTIME_SAMPLING_H
#define QUANTC_RUNTIME_SAMPLING_H

#include <stdint.h>

typedef struct qc_candidate {
  float weight; /* a logit, then an unnormalized probability */
  int64_t id;
} qc_candidate;

typedef struct qc_sampler {
  int sample;         /* 0: greedy */
  double temperature; /* <= 0: greedy */
  long top_k;         /* 0: all */
  double top_p;       /* 1: all */
  unsigned long long state;
  int64_t vocab;
  qc_candidate *scratch; /* vocab entries, owned by the caller */
} qc_sampler;

/* The next token for `logits` (vocab entries). */
int64_t qc_choose_token(qc_sampler *s, const float *logits);

#endif /* QUANTC_RUNTIME_SAMPLING_H */
