/*===- Generate.c - The generation loop of generator binaries -------------===*\
|*                                                                          *|
|* A generator (quantc --max-context=N on a model-kv export) defines         *|
|* qc_generator and two steps over fixed-size KV caches (qc_model.h). This   *|
|* file owns the caches, feeds the prompt through the prefill step (then the *|
|* decode step for what does not fit one chunk), and picks each new token   *|
|* through Sampling.c.                                                       *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#include "Generate.h"
#include "Npy.h"
#include "Sampling.h"
#include "Support.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

typedef struct gen_options {
  const char *prompt_ids, *prompt_text, *output_dir;
  long max_new_tokens, threads, top_k;
  double temperature, top_p;
  unsigned long long seed;
  int sample, time;
} gen_options;

/* One step's buffers, found by name in its descriptor. */
typedef struct step {
  const qc_model_desc *desc;
  void (*run)(void **);
  void **buffers;
  int64_t *ids, *mask, *positions, *cache_position;
  float *logits;
  int64_t logit_rows; /* positions with logits per row: tokens, or 1 (the
                         last valid one) when the compiler narrowed them */
  int64_t tokens;     /* new tokens per row */
  int64_t mask_len;
} step;

typedef struct generator {
  int64_t batch, context, vocab;
  int num_caches;
  const qc_tensor_desc **cache_descs;
  float **caches;
  step prefill, decode;
} generator;

static int is_cache(const char *name) {
  return strncmp(name, "past_key_values.", 16) == 0;
}

static size_t numel(const qc_tensor_desc *d) {
  size_t n = 1;
  int32_t i;
  for (i = 0; i < d->rank; ++i)
    n *= (size_t)d->shape[i];
  return n;
}

/* The cache buffer of `name`, allocated (zeroed: masked slots must hold
 * finite values) the first time it is asked for. */
static float *cache_buffer(generator *g, const qc_tensor_desc *d) {
  int i;
  for (i = 0; i < g->num_caches; ++i)
    if (strcmp(g->cache_descs[i]->name, d->name) == 0)
      return numel(g->cache_descs[i]) == numel(d) ? g->caches[i] : NULL;
  g->cache_descs[g->num_caches] = d;
  g->caches[g->num_caches] = qc_aligned_zalloc(numel(d) * sizeof(float));
  return g->caches[g->num_caches++];
}

/* Allocates the buffers of one step and checks its interface. */
static int setup_step(generator *g, step *s, const qc_model_desc *desc,
                      void (*run)(void **), int decode) {
  int i, n = desc->num_inputs + desc->num_outputs;
  s->desc = desc;
  s->run = run;
  s->buffers = calloc((size_t)n + 1, sizeof(void *));
  if (!s->buffers)
    return -1;
  for (i = 0; i < n; ++i) {
    const qc_tensor_desc *d = i < desc->num_inputs
                                  ? &desc->inputs[i]
                                  : &desc->outputs[i - desc->num_inputs];
    const char *name = d->name ? d->name : "";
    void *buffer = NULL;
    if (i < desc->num_inputs && is_cache(name)) {
      if (d->dtype != QC_DTYPE_F32 || d->rank != 4 ||
          d->shape[2] != g->context) {
        qc_error("invalid generator: cache '%s'", name);
        return -1;
      }
      buffer = cache_buffer(g, d);
    } else {
      buffer = qc_aligned_zalloc(numel(d) * qc_dtype_size(d->dtype) + 8);
    }
    if (!buffer) {
      qc_error("out of memory for '%s'", name);
      return -1;
    }
    s->buffers[i] = buffer;
    if (strcmp(name, "input_ids") == 0 && d->rank == 2) {
      s->ids = buffer;
      s->tokens = d->shape[1];
      g->batch = d->shape[0];
    } else if (strcmp(name, "attention_mask") == 0 && d->rank == 2) {
      s->mask = buffer;
      s->mask_len = d->shape[1];
    } else if (strcmp(name, "position_ids") == 0) {
      s->positions = buffer;
    } else if (strcmp(name, "cache_position") == 0) {
      s->cache_position = buffer;
    } else if (strcmp(name, "logits") == 0 && d->rank == 3) {
      s->logits = buffer;
      s->logit_rows = d->shape[1];
      g->vocab = d->shape[2];
    }
  }
  if (!s->ids || !s->mask || !s->positions || !s->logits ||
      (decode && !s->cache_position) ||
      (s->logit_rows != s->tokens && s->logit_rows != 1)) {
    qc_error("invalid generator: a step lacks input_ids, attention_mask, "
             "position_ids%s or logits [batch, tokens or 1, vocab]",
             decode ? ", cache_position" : "");
    return -1;
  }
  return 0;
}

/* --- Prompts ---------------------------------------------------------- */

/* Token ids of `text`: at each byte the longest vocabulary entry that
 * matches (one character per id for a char vocabulary). */
static int64_t *encode_text(const char *text, int64_t *length) {
  size_t n = strlen(text), at = 0;
  int64_t *ids = malloc((n + 1) * sizeof(int64_t)), count = 0;
  if (!ids)
    return NULL;
  while (at < n) {
    int32_t v, best = -1;
    size_t best_len = 0;
    for (v = 0; v < qc_generator.vocab_size; ++v) {
      const char *entry = qc_generator.vocab[v];
      size_t len = entry ? strlen(entry) : 0;
      if (len > best_len && strncmp(text + at, entry, len) == 0) {
        best = v;
        best_len = len;
      }
    }
    if (best < 0) {
      qc_error("--prompt: character '%c' (byte %lu) is not in the model's "
               "vocabulary",
               text[at], (unsigned long)at);
      free(ids);
      return NULL;
    }
    ids[count++] = best;
    at += best_len;
  }
  *length = count;
  return ids;
}

/* --- Steps --------------------------------------------------------------- */

/* One decode step: token `token[r]` of every row at cache slot `pos`. */
static void decode_step(generator *g, const int64_t *token, int64_t pos) {
  step *s = &g->decode;
  int64_t r;
  for (r = 0; r < g->batch; ++r) {
    s->ids[r] = token[r];
    s->positions[r] = pos;
    s->mask[r * s->mask_len + pos] = 1;
  }
  *s->cache_position = pos;
  s->run(s->buffers);
}

/* Generates o->max_new_tokens tokens for `rows` (<= batch) prompts of
 * `plen` ids into `tokens` [rows, K]; rows past `rows` repeat row 0.
 * `*prefilled` is when the first new token was known. */
static void generate_rows(generator *g, const gen_options *o,
                          const int64_t *ids, int64_t rows, int64_t plen,
                          int64_t *tokens, int64_t *next, qc_sampler *sampler,
                          double *prefilled) {
  int64_t r, p, k, first = plen < g->prefill.tokens ? plen : g->prefill.tokens;
  memset(g->decode.mask, 0, (size_t)(g->batch * g->context) * sizeof(int64_t));
  /* Prefill: the first chunk in one step. */
  for (r = 0; r < g->batch; ++r) {
    const int64_t *row = ids + (r < rows ? r : 0) * plen;
    for (p = 0; p < g->prefill.tokens; ++p) {
      g->prefill.ids[r * g->prefill.tokens + p] = p < first ? row[p] : 0;
      g->prefill.mask[r * g->prefill.tokens + p] = p < first;
      g->prefill.positions[r * g->prefill.tokens + p] = p;
    }
    for (p = 0; p < first; ++p)
      g->decode.mask[r * g->context + p] = 1;
  }
  g->prefill.run(g->prefill.buffers);
  if (first == plen)
    for (r = 0; r < rows; ++r)
      next[r] = qc_choose_token(
          sampler,
          g->prefill.logits + (r * g->prefill.logit_rows +
                               (g->prefill.logit_rows == 1 ? 0 : first - 1)) *
                                  g->vocab);
  /* The rest of a long prompt, one position per decode step. */
  for (p = first; p < plen; ++p) {
    for (r = 0; r < g->batch; ++r)
      next[r] = ids[(r < rows ? r : 0) * plen + p];
    decode_step(g, next, p);
    if (p + 1 == plen)
      for (r = 0; r < rows; ++r)
        next[r] = qc_choose_token(sampler, g->decode.logits + r * g->vocab);
  }
  *prefilled = qc_now_ms();

  for (k = 0; k < o->max_new_tokens; ++k) {
    for (r = 0; r < rows; ++r)
      tokens[r * o->max_new_tokens + k] = next[r];
    if (o->prompt_text) {
      fputs(qc_generator.vocab[next[0]], stdout);
      fflush(stdout);
    }
    if (k + 1 == o->max_new_tokens)
      break;
    for (r = rows; r < g->batch; ++r)
      next[r] = next[0];
    decode_step(g, next, plen + k);
    for (r = 0; r < rows; ++r)
      next[r] = qc_choose_token(sampler, g->decode.logits + r * g->vocab);
  }
}

static int write_tokens(const char *dir, const int64_t *tokens, int64_t rows,
                        int64_t count) {
  char path[4096], err[512];
  int64_t shape[2];
  shape[0] = rows;
  shape[1] = count;
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    qc_error("cannot create '%s': %s", dir, strerror(errno));
    return -1;
  }
  if (snprintf(path, sizeof(path), "%s/tokens.npy", dir) >= (int)sizeof(path)) {
    qc_error("--output-dir path too long");
    return -1;
  }
  if (qc_npy_write(path, QC_DTYPE_I64, 2, shape, tokens, err, sizeof(err))) {
    qc_error("writing '%s': %s", path, err);
    return -1;
  }
  return 0;
}

static int parse_long(const char *opt, const char *v, long lo, long hi,
                      long *out) {
  char *end;
  errno = 0;
  *out = strtol(v, &end, 10);
  if (errno || end == v || *end || *out < lo || *out > hi) {
    qc_error("%s needs an integer from %ld to %ld, got '%s'", opt, lo, hi, v);
    return -1;
  }
  return 0;
}

static int parse_double(const char *opt, const char *v, double lo, double hi,
                        double *out) {
  char *end;
  errno = 0;
  *out = strtod(v, &end);
  if (errno || end == v || *end || !(*out >= lo && *out <= hi)) {
    qc_error("%s needs a number from %g to %g, got '%s'", opt, lo, hi, v);
    return -1;
  }
  return 0;
}

static int parse_gen_args(int argc, char **argv, gen_options *o) {
  int i;
  for (i = 1; i < argc; ++i) {
    const char *arg = argv[i], *value, *eq;
    char key[32];
    size_t keylen;
    if (strcmp(arg, "--generate") == 0)
      continue;
    if (strcmp(arg, "--time") == 0) {
      o->time = 1;
      continue;
    }
    eq = strchr(arg, '=');
    keylen = eq ? (size_t)(eq - arg) : strlen(arg);
    if (keylen >= sizeof(key) || strncmp(arg, "--", 2) != 0) {
      qc_error("unexpected argument '%s' (see --help)", arg);
      return -1;
    }
    memcpy(key, arg, keylen);
    key[keylen] = '\0';
    if (eq)
      value = eq + 1;
    else if (i + 1 < argc)
      value = argv[++i];
    else {
      qc_error("option '%s' needs a value", key);
      return -1;
    }
    if (strcmp(key, "--prompt-ids") == 0)
      o->prompt_ids = value;
    else if (strcmp(key, "--prompt") == 0)
      o->prompt_text = value;
    else if (strcmp(key, "--output-dir") == 0)
      o->output_dir = value;
    else if (strcmp(key, "--max-new-tokens") == 0) {
      if (parse_long(key, value, 1, LONG_MAX / 2, &o->max_new_tokens))
        return -1;
    } else if (strcmp(key, "--threads") == 0) {
      if (parse_long(key, value, 1, 4096, &o->threads))
        return -1;
    } else if (strcmp(key, "--top-k") == 0) {
      if (parse_long(key, value, 0, LONG_MAX, &o->top_k))
        return -1;
      o->sample = 1;
    } else if (strcmp(key, "--temperature") == 0) {
      if (parse_double(key, value, 0, 1e6, &o->temperature))
        return -1;
      o->sample = 1;
    } else if (strcmp(key, "--top-p") == 0) {
      if (parse_double(key, value, 1e-9, 1, &o->top_p))
        return -1;
      o->sample = 1;
    } else if (strcmp(key, "--seed") == 0) {
      char *end;
      errno = 0;
      o->seed = strtoull(value, &end, 10);
      if (errno || end == value || *end || value[0] == '-') {
        qc_error("--seed needs a non-negative integer, got '%s'", value);
        return -1;
      }
    } else {
      qc_error("unknown option '%s' with --generate (see --help)", key);
      return -1;
    }
  }
  if (!o->prompt_ids == !o->prompt_text) {
    qc_error("--generate needs one of --prompt-ids FILE.npy or --prompt TEXT");
    return -1;
  }
  if (o->prompt_text && qc_generator.vocab_size == 0) {
    qc_error("--prompt needs a vocabulary: compile with quantc --vocab "
             "vocab.json (or give --prompt-ids)");
    return -1;
  }
  if (o->prompt_ids && !o->output_dir) {
    qc_error("--prompt-ids needs --output-dir DIR (for DIR/tokens.npy)");
    return -1;
  }
  if (o->max_new_tokens < 1) {
    qc_error("--max-new-tokens K is required");
    return -1;
  }
  return 0;
}

/* --- The loop --------------------------------------------------------------
 */

int qc_generate_main(int argc, char **argv) {
  gen_options o;
  generator g;
  qc_npy_array prompt;
  int64_t *ids = NULL, *tokens = NULL, *next = NULL, rows = 1, plen = 0;
  int64_t r, context;
  qc_sampler sampler;
  double t0, t_load, t_prefill = 0, t_end;
  struct rusage usage;
  int rc = 1, i;

  memset(&o, 0, sizeof(o));
  memset(&g, 0, sizeof(g));
  memset(&prompt, 0, sizeof(prompt));
  memset(&sampler, 0, sizeof(sampler));
  o.temperature = 1.0;
  o.top_p = 1.0;
  if (parse_gen_args(argc, argv, &o))
    return 2;
  context = g.context = qc_generator.max_context;
  g.cache_descs = calloc((size_t)qc_model.num_inputs + 1, sizeof(void *));
  g.caches = calloc((size_t)qc_model.num_inputs + 1, sizeof(float *));
  if (!g.cache_descs || !g.caches ||
      setup_step(&g, &g.decode, &qc_model, qc_model_run, 1) ||
      setup_step(&g, &g.prefill, &qc_generator.prefill, qc_generator_prefill,
                 0))
    goto done;
  if (g.decode.tokens != 1 || g.decode.mask_len != context ||
      g.prefill.tokens != qc_generator.prefill_tokens) {
    qc_error("invalid generator descriptor");
    goto done;
  }

  /* The prompt: [rows, P] int64 ids, or the text's ids as one row. */
  if (o.prompt_ids) {
    char err[512];
    if (qc_npy_read(o.prompt_ids, &prompt, err, sizeof(err))) {
      qc_error("--prompt-ids '%s': %s", o.prompt_ids, err);
      goto done;
    }
    if (prompt.dtype != QC_DTYPE_I64 || prompt.rank != 2 ||
        prompt.shape[0] < 1 || prompt.shape[1] < 1) {
      qc_error("--prompt-ids '%s' must be int64 [batch, tokens] with both "
               "at least 1",
               o.prompt_ids);
      goto done;
    }
    rows = prompt.shape[0];
    plen = prompt.shape[1];
    ids = prompt.data;
  } else {
    ids = encode_text(o.prompt_text, &plen);
    if (!ids)
      goto done;
    if (plen == 0) {
      qc_error("--prompt is empty");
      goto done;
    }
  }
  if (plen > context) {
    qc_error("the prompt has %lld tokens, more than the context of %lld "
             "(quantc --max-context)",
             (long long)plen, (long long)context);
    goto done;
  }
  /* The last new token is not fed back: P + K - 1 positions are cached. */
  if (o.max_new_tokens - 1 > context - plen) {
    qc_error("--max-new-tokens %ld overflows the cache: %lld prompt tokens "
             "+ %ld new need %lld positions, the context holds %lld",
             o.max_new_tokens, (long long)plen, o.max_new_tokens,
             (long long)(plen + o.max_new_tokens - 1), (long long)context);
    goto done;
  }
  for (r = 0; r < rows * plen; ++r)
    if (ids[r] < 0 || ids[r] >= g.vocab) {
      qc_error("prompt token %lld (row %lld, position %lld) is %lld, "
               "outside the vocabulary [0, %lld)",
               (long long)r, (long long)(r / plen), (long long)(r % plen),
               (long long)ids[r], (long long)g.vocab);
      goto done;
    }
  tokens = calloc((size_t)(rows * o.max_new_tokens), sizeof(int64_t));
  next = calloc((size_t)g.batch, sizeof(int64_t));
  sampler.scratch = malloc((size_t)g.vocab * sizeof(qc_candidate));
  if (!tokens || !next || !sampler.scratch) {
    qc_error("out of memory");
    goto done;
  }
  if (o.threads > 0 && omp_set_num_threads)
    omp_set_num_threads((int)o.threads);
  sampler.sample = o.sample;
  sampler.temperature = o.temperature;
  sampler.top_k = o.top_k;
  sampler.top_p = o.top_p;
  sampler.state = o.seed;
  sampler.vocab = g.vocab;

  t_load = qc_now_ms();
  qc_load_weights();
  t0 = qc_now_ms();
  t_load = t0 - t_load;
  for (r = 0; r < rows; r += g.batch) {
    int64_t n = rows - r < g.batch ? rows - r : g.batch;
    double start = qc_now_ms(), mid;
    generate_rows(&g, &o, ids + r * plen, n, plen,
                  tokens + r * o.max_new_tokens, next, &sampler, &mid);
    t_prefill += mid - start;
  }
  t_end = qc_now_ms();
  if (o.prompt_text)
    fputc('\n', stdout);

  if (o.output_dir &&
      write_tokens(o.output_dir, tokens, rows, o.max_new_tokens))
    goto done;
  if (o.time) {
    /* Decode: every step after the first new token, per step of one group
     * of rows; tokens/s counts every row's tokens. */
    int64_t groups = (rows + g.batch - 1) / g.batch;
    double decode_ms = t_end - t0 - t_prefill;
    long steps = o.max_new_tokens - 1;
    getrusage(RUSAGE_SELF, &usage);
    fprintf(stderr,
            "{\"batch\": %lld, \"prompt_tokens\": %lld, \"new_tokens\": %ld, "
            "\"load_ms\": %.3f, "
            "\"prefill_ms\": %.3f, \"decode_ms_per_token\": %.4f, "
            "\"decode_tokens_per_s\": %.2f, \"peak_rss_mb\": %.1f}\n",
            (long long)rows, (long long)plen, o.max_new_tokens, t_load,
            t_prefill, steps ? decode_ms / (double)(steps * groups) : 0.0,
            steps && decode_ms > 0 ? 1e3 * (double)(steps * rows) / decode_ms
                                   : 0.0,
            (double)usage.ru_maxrss / 1024.0);
  }
  rc = 0;

done:
  if (o.prompt_text)
    free(ids);
  qc_npy_free(&prompt);
  for (i = 0; i < g.num_caches; ++i)
    free(g.caches[i]);
  free(g.caches);
  free(g.cache_descs);
  free(tokens);
  free(next);
  free(sampler.scratch);
  return rc;
}

void qc_generate_usage(FILE *out) {
  fprintf(out,
          "\n"
          "This model is a generator (context %lld tokens, prefill %lld per "
          "step%s):\n"
          "  --generate             write text instead of running one step\n"
          "  --prompt-ids FILE.npy  int64 [batch, tokens] prompts\n"
          "  --prompt TEXT          a text prompt (prints the new text)\n"
          "  --max-new-tokens K     tokens to generate per prompt\n"
          "  --output-dir DIR       write DIR/tokens.npy, int64 [batch, K]\n"
          "  --temperature T        sample from softmax(logits / T) (0: "
          "greedy, the default)\n"
          "  --top-k K, --top-p P   sample among the K likeliest / the "
          "smallest set of mass P\n"
          "  --seed S               sampling seed (default 0; same seed, "
          "same tokens)\n"
          "  --threads N            threads (default: all cores)\n"
          "  --time                 print load/prefill/decode timing and peak "
          "RSS as JSON to stderr\n"
          "                         (load: mapping the weights in, before "
          "the first step)\n",
          (long long)qc_generator.max_context,
          (long long)qc_generator.prefill_tokens,
          qc_generator.vocab_size ? ", with a vocabulary" : "");
}
