/*===- qc_model.h - ABI between compiled models and the runtime -*- C -*-===*\
|*                                                                          *|
|* Every object file quantc emits defines the two symbols below. The         *|
|* runtime's main() (lib/Runtime) and embedders use only this header, so a   *|
|* compiled model never depends on MLIR or LLVM.                             *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#ifndef QUANTC_RUNTIME_QC_MODEL_H
#define QUANTC_RUNTIME_QC_MODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types of model inputs and outputs (values are part of the ABI:
 * new types are appended to qc_dtypes.def, never renumbered). */
enum qc_dtype {
#define QC_DTYPE(ENUM, VALUE, NAME, NPY_KIND, BYTES, ONNX, CLASS, BITS)        \
  QC_DTYPE_##ENUM = VALUE,
#include "quantc/Runtime/qc_dtypes.def"
  QC_DTYPE_LAST = QC_DTYPE_U64
};

/* One graph input or output: its ONNX name, element type and static shape. */
typedef struct qc_tensor_desc {
  const char *name;
  int32_t dtype; /* enum qc_dtype */
  int32_t rank;
  const int64_t *shape; /* rank entries */
} qc_tensor_desc;

typedef struct qc_model_desc {
  const char *name; /* the ONNX graph name */
  int32_t num_inputs;
  int32_t num_outputs;
  const qc_tensor_desc *inputs;
  const qc_tensor_desc *outputs;
} qc_model_desc;

/* Describes the compiled model's interface. */
extern const qc_model_desc qc_model;

/* Runs the model once. `buffers` holds num_inputs input pointers followed by
 * num_outputs output pointers; every buffer is dense, row-major, of the
 * shape and dtype its descriptor gives, and allocated by the caller. */
void qc_model_run(void **buffers);

/* Generators (quantc --max-context=N on a model-kv export) also define the
 * symbols below; qc_model then describes the decode step, which takes one
 * new token per row. Each KV cache is an input named past_key_values.{i}.
 * key|value of shape [batch, heads, max_context, head_dim]: the caller
 * allocates it once (zeroed), and every step writes its new positions into
 * it in place (slot s holds position s); the step's attention_mask input
 * [batch, max_context] marks the slots to attend to. The decode step's
 * input cache_position (int64, rank 0) is the slot of its token; the
 * prefill step writes its prefill_tokens positions from slot 0. */
typedef struct qc_generator_desc {
  int64_t max_context;      /* slots of every KV cache */
  int64_t prefill_tokens;   /* tokens of one prefill step */
  int32_t vocab_size;       /* entries of vocab; 0: built without --vocab */
  const char *const *vocab; /* the text of each token id */
  qc_model_desc prefill;    /* the prefill step's buffers */
} qc_generator_desc;

extern const qc_generator_desc qc_generator __attribute__((weak));
/* Runs the prefill step; buffers as for qc_model_run, per qc_generator's
 * prefill descriptor. */
void qc_generator_prefill(void **buffers) __attribute__((weak));

/* Run-time index checks. ONNX makes an index outside [-dim, dim) an error.
 * When qc_model_run meets one in indices computed from its inputs (Gather,
 * GatherElements, ScatterElements, Scatter), it still stays inside every
 * tensor (such indices are clamped) and records one of them here:
 * {check number (from 1; 0: none), the index, dim}. Set entry 0 to 0 before
 * a run and test it after. qc_model_index_checks describes the checks, one
 * '\0'-terminated string each ("node 'emb' (Gather): indices 'input_ids'"),
 * check 1 first, an empty string after the last. Models without such checks
 * do not define these symbols (hence weak: their addresses are then NULL). */
extern int64_t qc_model_index_error[3] __attribute__((weak));
extern const char qc_model_index_checks[] __attribute__((weak));

#ifdef __cplusplus
}
#endif

#endif /* QUANTC_RUNTIME_QC_MODEL_H */
