/*===- Main.c - Command-line driver linked into every compiled model ------===*\
|*                                                                          *|
|* quantc emits only qc_model and qc_model_run; linking this file turns that *|
|* object into a standalone tool that runs the model on .npy files.          *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "Generate.h"
#include "Npy.h"
#include "Support.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_RUN_ERROR = 1, EXIT_USAGE = 2 };

typedef struct options {
  const char **input_specs; /* the raw NAME=FILE (or FILE) arguments */
  int num_input_specs;
  const char *output_dir;
  long repeat;
  long threads; /* 0: the OpenMP runtime's default (all cores) */
  int time;
} options;

/* The index check that failed in the last run (see qc_model.h), reported
 * with its node and indices tensor. */
static void report_index_error(void) {
  const char *desc = qc_model_index_checks;
  int64_t check = qc_model_index_error[0], dim = qc_model_index_error[2];
  for (int64_t k = 1; desc && *desc && k < check; ++k)
    desc += strlen(desc) + 1;
  qc_error(
      "%s: index %lld is out of range [%lld, %lld) (ONNX makes it an error; "
      "no outputs written)",
      desc && *desc ? desc : "an index check",
      (long long)qc_model_index_error[1], (long long)-dim, (long long)dim);
}

/* Descriptor names come from ONNX and may legally be empty; never NULL. */
static const char *tensor_name(const qc_tensor_desc *desc) {
  return desc->name ? desc->name : "";
}

static void describe(const qc_tensor_desc *desc, char *buf, size_t buflen) {
  char shape[256];
  qc_format_shape(shape, sizeof(shape), desc->rank, desc->shape);
  snprintf(buf, buflen, "%s %s", qc_dtype_name(desc->dtype), shape);
}

static void print_usage(FILE *out, const char *prog) {
  fprintf(out,
          "usage: %s --input NAME=FILE.npy [--input ...] --output-dir DIR "
          "[options]\n"
          "\n"
          "Runs the compiled model '%s' on NumPy .npy inputs and writes one\n"
          ".npy file per output.\n"
          "\n"
          "options:\n"
          "  --input NAME=FILE  read input NAME from FILE; with a "
          "single-input model,\n"
          "                     --input FILE is enough\n"
          "  --output-dir DIR   write each output to DIR/OUTPUT.npy (DIR is "
          "created if\n"
          "                     missing; optional with --time)\n"
          "  --repeat N         run the model N times (default 1); outputs "
          "are from\n"
          "                     the last run\n"
          "  --threads N        threads running the model (default: all "
          "cores)\n"
          "  --time             print {\"runs\", \"mean_ms\", \"min_ms\"} as "
          "JSON to stderr\n"
          "  --interface-json   print the model's interface as JSON and exit\n"
          "  -h, --help         show this help and the model's interface\n",
          prog, qc_model.name ? qc_model.name : "");
}

static void print_tensor_table(FILE *out, const char *title,
                               const qc_tensor_desc *descs, int count,
                               int width) {
  int i;
  fprintf(out, "%s:%s\n", title, count ? "" : " (none)");
  for (i = 0; i < count; ++i) {
    char shape[256];
    qc_format_shape(shape, sizeof(shape), descs[i].rank, descs[i].shape);
    fprintf(out, "  %-*s  %-8s  %s\n", width, tensor_name(&descs[i]),
            qc_dtype_name(descs[i].dtype), shape);
  }
}

static void print_help(const char *prog) {
  int width = 4, i;
  for (i = 0; i < qc_model.num_inputs; ++i)
    width = (int)strlen(tensor_name(&qc_model.inputs[i])) > width
                ? (int)strlen(tensor_name(&qc_model.inputs[i]))
                : width;
  for (i = 0; i < qc_model.num_outputs; ++i)
    width = (int)strlen(tensor_name(&qc_model.outputs[i])) > width
                ? (int)strlen(tensor_name(&qc_model.outputs[i]))
                : width;
  if (width > 40) /* Keep the columns usable with pathological names. */
    width = 40;
  print_usage(stdout, prog);
  fputc('\n', stdout);
  print_tensor_table(stdout, "inputs", qc_model.inputs, qc_model.num_inputs,
                     width);
  print_tensor_table(stdout, "outputs", qc_model.outputs, qc_model.num_outputs,
                     width);
  if (&qc_generator)
    qc_generate_usage(stdout);
}

/* Writes `s` as a JSON string (quotes, backslashes and control characters
 * escaped), so tools never parse help text. */
static void print_json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; ++s) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c < 0x20)
      fprintf(out, "\\u%04x", c);
    else
      fputc(c, out);
  }
  fputc('"', out);
}

static void print_json_tensors(FILE *out, const qc_tensor_desc *descs,
                               int count) {
  int i, d;
  fputc('[', out);
  for (i = 0; i < count; ++i) {
    fputs(i ? ", {\"name\": " : "{\"name\": ", out);
    print_json_string(out, tensor_name(&descs[i]));
    fprintf(out, ", \"dtype\": \"%s\", \"shape\": [",
            qc_dtype_name(descs[i].dtype));
    for (d = 0; d < descs[i].rank; ++d)
      fprintf(out, d ? ", %lld" : "%lld", (long long)descs[i].shape[d]);
    fputs("]}", out);
  }
  fputc(']', out);
}

/* --interface-json: {"name": ..., "inputs": [...], "outputs": [...]}. */
static void print_interface_json(void) {
  fputs("{\"name\": ", stdout);
  print_json_string(stdout, qc_model.name ? qc_model.name : "");
  fputs(", \"inputs\": ", stdout);
  print_json_tensors(stdout, qc_model.inputs, qc_model.num_inputs);
  fputs(", \"outputs\": ", stdout);
  print_json_tensors(stdout, qc_model.outputs, qc_model.num_outputs);
  fputs("}\n", stdout);
}

/* A broken descriptor would otherwise surface as a crash deep in main(). */
static int check_descriptor(void) {
  int32_t t, d;
  if (qc_model.num_inputs < 0 || qc_model.num_outputs < 0 ||
      (qc_model.num_inputs > 0 && !qc_model.inputs) ||
      (qc_model.num_outputs > 0 && !qc_model.outputs)) {
    qc_error("invalid model descriptor: bad input/output counts");
    return -1;
  }
  for (t = 0; t < qc_model.num_inputs + qc_model.num_outputs; ++t) {
    const qc_tensor_desc *desc =
        t < qc_model.num_inputs ? &qc_model.inputs[t]
                                : &qc_model.outputs[t - qc_model.num_inputs];
    size_t nbytes;
    if (qc_dtype_size(desc->dtype) == 0 || desc->rank < 0 ||
        desc->rank > QC_NPY_MAX_RANK || (desc->rank > 0 && !desc->shape)) {
      qc_error("invalid model descriptor for '%s'", tensor_name(desc));
      return -1;
    }
    for (d = 0; d < desc->rank; ++d) {
      if (desc->shape[d] < 0) {
        qc_error("invalid model descriptor for '%s': dynamic or negative "
                 "dimension",
                 tensor_name(desc));
        return -1;
      }
    }
    if (qc_tensor_nbytes(desc->dtype, desc->rank, desc->shape, &nbytes) != 0) {
      qc_error("invalid model descriptor for '%s': tensor too large",
               tensor_name(desc));
      return -1;
    }
  }
  return 0;
}

/* Returns EXIT_OK to continue, or the exit code to stop with (help prints
 * are reported as -1 meaning "exit 0 now"). */
static int parse_args(int argc, char **argv, options *opts) {
  int i;
  for (i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    const char *value = NULL;
    const char *eq;
    size_t keylen;

    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      print_help(argv[0]);
      return -1;
    }
    if (strcmp(arg, "--interface-json") == 0) {
      print_interface_json();
      return -1;
    }
    if (strcmp(arg, "--time") == 0) {
      opts->time = 1;
      continue;
    }
    if (strncmp(arg, "--", 2) != 0) {
      qc_error("unexpected argument '%s' (inputs are given with --input "
               "NAME=FILE)",
               arg);
      return EXIT_USAGE;
    }

    /* The remaining options take a value, as --opt=VALUE or --opt VALUE. */
    eq = strchr(arg, '=');
    keylen = eq ? (size_t)(eq - arg) : strlen(arg);
    if (!((keylen == 7 && strncmp(arg, "--input", 7) == 0) ||
          (keylen == 12 && strncmp(arg, "--output-dir", 12) == 0) ||
          (keylen == 8 && strncmp(arg, "--repeat", 8) == 0) ||
          (keylen == 9 && strncmp(arg, "--threads", 9) == 0))) {
      qc_error("unknown option '%s' (see --help)", arg);
      return EXIT_USAGE;
    }
    if (eq) {
      value = eq + 1;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      qc_error("option '%s' needs a value", arg);
      return EXIT_USAGE;
    }

    if (arg[2] == 'i') {
      opts->input_specs[opts->num_input_specs++] = value;
    } else if (arg[2] == 'o') {
      if (value[0] == '\0') {
        qc_error("--output-dir must not be empty");
        return EXIT_USAGE;
      }
      opts->output_dir = value;
    } else if (arg[2] == 't') {
      char *end;
      errno = 0;
      opts->threads = strtol(value, &end, 10);
      if (errno != 0 || end == value || *end != '\0' || opts->threads < 1 ||
          opts->threads > 4096) {
        qc_error("--threads needs an integer from 1 to 4096, got '%s'", value);
        return EXIT_USAGE;
      }
    } else {
      char *end;
      errno = 0;
      opts->repeat = strtol(value, &end, 10);
      if (errno != 0 || end == value || *end != '\0' || opts->repeat < 1 ||
          opts->repeat > INT_MAX) {
        qc_error("--repeat needs a positive integer, got '%s'", value);
        return EXIT_USAGE;
      }
    }
  }
  if (!opts->output_dir && !opts->time) {
    qc_error("--output-dir is required (see --help)");
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

static void list_input_names(char *buf, size_t buflen) {
  size_t used = 0;
  int i;
  buf[0] = '\0';
  for (i = 0; i < qc_model.num_inputs && used < buflen; ++i) {
    int n = snprintf(buf + used, buflen - used, "%s'%s'", i ? ", " : "",
                     tensor_name(&qc_model.inputs[i]));
    if (n < 0)
      break;
    used += (size_t)n;
  }
  if (qc_model.num_inputs == 0)
    snprintf(buf, buflen, "none");
}

/* Splits an --input argument into an input index and a file path. Names are
 * matched at every '=' so that both names and paths may contain one. */
static int resolve_input(const char *spec, const char **file) {
  const char *eq;
  char names[1024];
  int i;
  for (eq = strchr(spec, '='); eq; eq = strchr(eq + 1, '=')) {
    size_t len = (size_t)(eq - spec);
    for (i = 0; i < qc_model.num_inputs; ++i) {
      const char *name = tensor_name(&qc_model.inputs[i]);
      if (strlen(name) == len && strncmp(name, spec, len) == 0) {
        *file = eq + 1;
        return i;
      }
    }
  }
  eq = strchr(spec, '=');
  if (qc_model.num_inputs == 1 && (!eq || access(spec, F_OK) == 0)) {
    *file = spec;
    return 0;
  }
  list_input_names(names, sizeof(names));
  if (eq)
    qc_error("unknown input '%.*s' in --input '%s' (model inputs: %s)",
             (int)(eq - spec), spec, spec, names);
  else
    qc_error("--input '%s' needs the form NAME=FILE (model inputs: %s)", spec,
             names);
  return -1;
}

/* Loads every --input into `arrays`, reporting all problems before
 * failing so that one run shows every mistake. */
static int load_inputs(const options *opts, qc_npy_array *arrays,
                       const char **given) {
  int failed = 0, s, i;
  for (s = 0; s < opts->num_input_specs; ++s) {
    const char *file = NULL;
    const qc_tensor_desc *desc;
    char err[512];
    int idx = resolve_input(opts->input_specs[s], &file);
    if (idx < 0) {
      failed = 1;
      continue;
    }
    desc = &qc_model.inputs[idx];
    if (given[idx]) {
      qc_error("input '%s' given twice (from '%s' and '%s')", tensor_name(desc),
               given[idx], file);
      failed = 1;
      continue;
    }
    given[idx] = file;
    if (qc_npy_read(file, &arrays[idx], err, sizeof(err)) != 0) {
      qc_error("input '%s' from '%s': %s", tensor_name(desc), file, err);
      failed = 1;
      continue;
    }
    if (arrays[idx].dtype != desc->dtype || arrays[idx].rank != desc->rank ||
        (desc->rank > 0 && memcmp(arrays[idx].shape, desc->shape,
                                  sizeof(int64_t) * (size_t)desc->rank))) {
      char expected[300], got[300];
      qc_tensor_desc actual;
      actual.name = desc->name;
      actual.dtype = arrays[idx].dtype;
      actual.rank = arrays[idx].rank;
      actual.shape = arrays[idx].shape;
      describe(desc, expected, sizeof(expected));
      describe(&actual, got, sizeof(got));
      qc_error("input '%s' from '%s': expected %s, got %s", tensor_name(desc),
               file, expected, got);
      qc_npy_free(&arrays[idx]);
      failed = 1;
    }
  }
  for (i = 0; i < qc_model.num_inputs; ++i) {
    if (!given[i]) {
      char expected[300];
      describe(&qc_model.inputs[i], expected, sizeof(expected));
      qc_error("missing input '%s' (%s); pass --input %s=FILE.npy",
               tensor_name(&qc_model.inputs[i]), expected,
               tensor_name(&qc_model.inputs[i]));
      failed = 1;
    }
  }
  return failed ? -1 : 0;
}

static int ensure_dir(const char *dir) {
  struct stat st;
  if (mkdir(dir, 0777) == 0)
    return 0;
  if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
    return 0;
  if (errno == EEXIST)
    qc_error("output directory '%s' exists and is not a directory", dir);
  else
    qc_error("cannot create output directory '%s': %s", dir, strerror(errno));
  return -1;
}

/* Builds DIR/NAME.npy with a filesystem-safe NAME; ONNX names such as
 * "model/out:0" would otherwise escape DIR or be rejected by the OS. */
static char *output_path(const char *dir, int index, char **paths) {
  const char *name = tensor_name(&qc_model.outputs[index]);
  size_t dirlen = strlen(dir), namelen = strlen(name), i, base;
  int j;
  /* Room for "/", the name or "output<N>", a "_<N>" suffix and ".npy". */
  char *path = malloc(dirlen + namelen + 64);
  if (!path)
    return NULL;
  memcpy(path, dir, dirlen);
  base = dirlen;
  if (dirlen == 0 || dir[dirlen - 1] != '/')
    path[base++] = '/';
  if (namelen == 0)
    base += (size_t)sprintf(path + base, "output%d", index);
  for (i = 0; i < namelen; ++i) {
    char c = name[i];
    int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
             (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    path[base++] = ok ? c : '_';
  }
  strcpy(path + base, ".npy");
  /* Distinct names can sanitize to the same file; keep both outputs. */
  for (j = 0; j < index; ++j) {
    if (strcmp(paths[j], path) == 0) {
      sprintf(path + base, "_%d.npy", index);
      break;
    }
  }
  return path;
}

int main(int argc, char **argv) {
  options opts;
  qc_npy_array *arrays = NULL;
  const char **given = NULL;
  void **buffers = NULL;
  char **paths = NULL;
  int ni, no, i, rc = EXIT_RUN_ERROR;
  long r;
  double total_ms = 0, min_ms = 0;

  if (argc < 2) {
    print_usage(stderr, argv[0] ? argv[0] : "model");
    return EXIT_USAGE;
  }
#ifdef __GLIBC__
  /* The model allocates its intermediate buffers on every run; served by
   * fresh mmaps (glibc's default above 128 KiB) each costs page faults and
   * zeroing (9% of a tinygpt forward pass). Keep freed memory for reuse. */
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  if (check_descriptor() != 0)
    return EXIT_RUN_ERROR;
  for (i = 1; i < argc; ++i)
    if (strcmp(argv[i], "--generate") == 0) {
      if (!&qc_generator || !qc_generator_prefill) {
        qc_error(
            "--generate: this model is not a generator (compile a model-kv "
            "export with quantc --max-context=N)");
        return EXIT_USAGE;
      }
      return qc_generate_main(argc, argv);
    }
  ni = qc_model.num_inputs;
  no = qc_model.num_outputs;

  memset(&opts, 0, sizeof(opts));
  opts.repeat = 1;
  opts.input_specs = malloc(sizeof(char *) * (size_t)argc);
  if (!opts.input_specs) {
    qc_error("out of memory");
    return EXIT_RUN_ERROR;
  }
  rc = parse_args(argc, argv, &opts);
  if (rc != EXIT_OK) {
    free(opts.input_specs);
    return rc < 0 ? EXIT_OK : rc;
  }
  rc = EXIT_RUN_ERROR;

  /* +1 keeps the allocations non-empty for models without inputs. */
  arrays = calloc((size_t)ni + 1, sizeof(*arrays));
  given = calloc((size_t)ni + 1, sizeof(*given));
  buffers = calloc((size_t)ni + (size_t)no + 1, sizeof(*buffers));
  paths = calloc((size_t)no + 1, sizeof(*paths));
  if (!arrays || !given || !buffers || !paths) {
    qc_error("out of memory");
    goto cleanup;
  }
  if (load_inputs(&opts, arrays, given) != 0)
    goto cleanup;

  /* Prepare the output files' names before running, so a bad directory
   * fails fast instead of after a long model run. */
  if (opts.output_dir) {
    if (ensure_dir(opts.output_dir) != 0)
      goto cleanup;
    for (i = 0; i < no; ++i) {
      paths[i] = output_path(opts.output_dir, i, paths);
      if (!paths[i]) {
        qc_error("out of memory");
        goto cleanup;
      }
    }
  }

  for (i = 0; i < ni; ++i)
    buffers[i] = arrays[i].data;
  for (i = 0; i < no; ++i) {
    const qc_tensor_desc *desc = &qc_model.outputs[i];
    size_t nbytes = 0;
    qc_tensor_nbytes(desc->dtype, desc->rank, desc->shape, &nbytes);
    buffers[ni + i] = qc_aligned_zalloc(nbytes);
    if (!buffers[ni + i]) {
      qc_error("out of memory allocating output '%s' (%llu bytes)",
               tensor_name(desc), (unsigned long long)nbytes);
      goto cleanup;
    }
  }

  if (opts.threads > 0 && omp_set_num_threads)
    omp_set_num_threads((int)opts.threads);
  if (opts.time)
    qc_load_weights(); /* Timed runs measure compute, not page faults. */
  for (r = 0; r < opts.repeat; ++r) {
    double start = qc_now_ms(), elapsed;
    if (qc_model_index_error)
      qc_model_index_error[0] = 0;
    qc_model_run(buffers);
    elapsed = qc_now_ms() - start;
    if (qc_model_index_error && qc_model_index_error[0]) {
      report_index_error();
      goto cleanup;
    }
    total_ms += elapsed;
    if (r == 0 || elapsed < min_ms)
      min_ms = elapsed;
  }
  if (opts.time)
    fprintf(stderr, "{\"runs\": %ld, \"mean_ms\": %.6f, \"min_ms\": %.6f}\n",
            opts.repeat, total_ms / (double)opts.repeat, min_ms);

  rc = EXIT_OK;
  if (opts.output_dir) {
    for (i = 0; i < no; ++i) {
      const qc_tensor_desc *desc = &qc_model.outputs[i];
      char err[512];
      if (qc_npy_write(paths[i], desc->dtype, desc->rank, desc->shape,
                       buffers[ni + i], err, sizeof(err)) != 0) {
        qc_error("output '%s' to '%s': %s", tensor_name(desc), paths[i], err);
        rc = EXIT_RUN_ERROR;
      }
    }
  }

cleanup:
  if (arrays)
    for (i = 0; i < ni; ++i)
      qc_npy_free(&arrays[i]);
  if (buffers)
    for (i = 0; i < no; ++i)
      free(buffers[ni + i]);
  if (paths)
    for (i = 0; i < no; ++i)
      free(paths[i]);
  free(arrays);
  free(given);
  free(buffers);
  free(paths);
  free(opts.input_specs);
  return rc;
}
