/*===- Sampling.c - Choosing the next token from logits -------------------===*/

#include "Sampling.h"

#include <math.h>
#include <stdlib.h>

static unsigned long long splitmix64(unsigned long long *state) {
  unsigned long long z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Largest first; equal logits in id order, so the choice is reproducible. */
static int by_weight_desc(const void *a, const void *b) {
  const qc_candidate *x = a, *y = b;
  if (x->weight != y->weight)
    return x->weight < y->weight ? 1 : -1;
  return x->id < y->id ? -1 : x->id > y->id;
}

int64_t qc_choose_token(qc_sampler *s, const float *logits) {
  int64_t i, best = 0, keep = s->vocab;
  double total = 0, u, acc = 0, top;
  qc_candidate *c = s->scratch;
  if (!s->sample || s->temperature <= 0) {
    for (i = 1; i < s->vocab; ++i)
      if (logits[i] > logits[best])
        best = i;
    return best;
  }
  for (i = 0; i < s->vocab; ++i) {
    c[i].weight = logits[i];
    c[i].id = i;
  }
  qsort(c, (size_t)s->vocab, sizeof(qc_candidate), by_weight_desc);
  if (s->top_k > 0 && s->top_k < keep)
    keep = s->top_k;
  /* Unnormalized probabilities relative to the top logit. */
  top = c[0].weight;
  for (i = 0; i < keep; ++i) {
    double p = exp(((double)c[i].weight - top) / s->temperature);
    c[i].weight = (float)p;
    total += p;
  }
  if (s->top_p < 1.0) {
    double cut = s->top_p * total, prefix = 0;
    for (i = 0; i < keep; ++i) {
      prefix += c[i].weight;
      if (prefix >= cut) {
        keep = i + 1;
        total = prefix;
        break;
      }
    }
  }
  u = (double)(splitmix64(&s->state) >> 11) * (1.0 / 9007199254740992.0) *
      total;
  for (i = 0; i < keep; ++i) {
    acc += c[i].weight;
    if (u < acc)
      return c[i].id;
  }
  return c[keep - 1].id;
}
