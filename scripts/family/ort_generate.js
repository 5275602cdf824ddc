// ort_generate.js - run a KV-cache ("model-kv") ONNX export with ONNX Runtime
// (node), Hugging Face optimum / onnxruntime-genai convention, or a static
// no-cache model, for the references of scripts/family/export_kv.py.
//
// usage: NODE_PATH=/tmp/ort/node_modules node scripts/family/ort_generate.js SPEC.json
//
// SPEC.json (all .bin files raw little-endian; int64 tokens, float32 logits):
//  {"mode": "logits", "model": M, "input": IN.bin, "rows": N, "seq": S,
//   "batch": B, "kv_heads": H, "head_dim": D, "output": OUT.bin}
//     model-kv.onnx with past length 0: the N windows of S tokens, B rows per
//     run (attention_mask all ones, position_ids 0..S-1); OUT = [N,S,V].
//  {"mode": "generate", "model": M, "prompts": P.bin, "batch": B,
//   "prompt_len": L, "new_tokens": T, "chunk": C, "kv_heads": H,
//   "head_dim": D, "tokens": TOK.bin, "step_logits": LOG.bin}
//     greedy decoding with the KV cache: the prompt is fed C tokens per call
//     (C = L: prefill in one call; C = 1: token by token), past = 0 at the
//     first call, then one new token per call with present fed back as past.
//     TOK = [B,T] new tokens; LOG = [B,T,V] the logits each token was chosen
//     from (last position of the call).
//  {"mode": "nocache", "model": M, "prompts": P.bin, "batch": B,
//   "prompt_len": L, "new_tokens": T, "static_len": S, "tokens": .., "step_logits": ..}
//     no-cache reference with an original static model (input_ids [1,S] ->
//     logits [1,S,V]): each row's growing sequence is padded with 0 at the END
//     to S (the models are causal, so positions < len are unaffected) and the
//     logits at position len-1 are read; full recompute every step.
//  {"mode": "run", "model": M, "inputs": {NAME: {"dtype": "int64"|"float32",
//   "dims": [..], "file": X.bin}}, "outputs": {NAME: OUT.bin}}
//     one call with the given feeds; writes the named outputs.
// Greedy choice: argmax, lowest index on ties (= numpy / torch argmax).
// Prints one JSON line with the run's facts.
'use strict';
const fs = require('fs');
let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.error('onnxruntime-node not found; set NODE_PATH=/tmp/ort/node_modules');
  process.exit(2);
}

function readI64(path) {
  const buf = fs.readFileSync(path);
  return new BigInt64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}

function argmax(a, off, n) {
  let best = 0;
  let bv = a[off];
  for (let j = 1; j < n; j++) {
    if (a[off + j] > bv) { bv = a[off + j]; best = j; }
  }
  return best;
}

function i64(arr, dims) { return new ort.Tensor('int64', BigInt64Array.from(arr, (x) => BigInt(x)), dims); }

function pastNames(sess) {
  return sess.inputNames.filter((n) => n.startsWith('past_key_values.'));
}

function emptyPast(sess, b, h, d) {
  const feeds = {};
  for (const n of pastNames(sess)) feeds[n] = new ort.Tensor('float32', new Float32Array(0), [b, h, 0, d]);
  return feeds;
}

// One KV step: ids [b][c] (numbers), past feeds, pastLen -> {res, logits}.
async function kvStep(sess, ids, pastFeeds, pastLen) {
  const b = ids.length;
  const c = ids[0].length;
  const flat = [];
  for (const row of ids) flat.push(...row);
  const pos = [];
  for (let r = 0; r < b; r++) for (let j = 0; j < c; j++) pos.push(pastLen + j);
  const mask = new Array(b * (pastLen + c)).fill(1);
  const feeds = Object.assign({
    input_ids: i64(flat, [b, c]),
    attention_mask: i64(mask, [b, pastLen + c]),
    position_ids: i64(pos, [b, c]),
  }, pastFeeds);
  const res = await sess.run(feeds);
  const next = {};
  for (const n of pastNames(sess)) {
    const pn = n.replace('past_key_values.', 'present.');
    next[n] = res[pn];
    if (res[pn].dims[2] !== pastLen + c) throw new Error(`${pn} has length ${res[pn].dims[2]}`);
  }
  return { logits: res.logits, next };
}

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const sess = await ort.InferenceSession.create(spec.model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all',
  });
  const t0 = Date.now();
  if (spec.mode === 'run') {
    // {"mode": "run", "model": M, "inputs": {name: {dtype: "int64"|"float32",
    //   dims: [...], file: X.bin}}, "outputs": {name: OUT.bin}}: one call.
    const feeds = {};
    for (const [name, d] of Object.entries(spec.inputs)) {
      const buf = fs.readFileSync(d.file);
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
      feeds[name] = new ort.Tensor(d.dtype, d.dtype === 'int64' ? new BigInt64Array(ab) : new Float32Array(ab), d.dims);
    }
    const res = await sess.run(feeds);
    const dims = {};
    for (const [name, file] of Object.entries(spec.outputs)) {
      fs.writeFileSync(file, Buffer.from(res[name].data.buffer, res[name].data.byteOffset, res[name].data.byteLength));
      dims[name] = res[name].dims;
    }
    console.log(JSON.stringify({ mode: 'run', dims, ms: Date.now() - t0 }));
    return;
  }
  if (spec.mode === 'logits') {
    const all = readI64(spec.input);
    const { rows, seq, batch } = spec;
    const chunks = [];
    let vocab = 0;
    for (let r0 = 0; r0 < rows; r0 += batch) {
      const ids = [];
      for (let r = r0; r < Math.min(rows, r0 + batch); r++) {
        ids.push(Array.from(all.slice(r * seq, (r + 1) * seq), Number));
      }
      const { logits } = await kvStep(sess, ids, emptyPast(sess, ids.length, spec.kv_heads, spec.head_dim), 0);
      vocab = logits.dims[2];
      chunks.push(Buffer.from(new Float32Array(logits.data).buffer));
    }
    fs.writeFileSync(spec.output, Buffer.concat(chunks));
    console.log(JSON.stringify({ mode: 'logits', rows, vocab, ms: Date.now() - t0 }));
    return;
  }
  const prompts = readI64(spec.prompts);
  const B = spec.batch;
  const L = spec.prompt_len;
  const T = spec.new_tokens;
  const seqs = [];
  for (let r = 0; r < B; r++) seqs.push(Array.from(prompts.slice(r * L, (r + 1) * L), Number));
  const toks = [];
  const stepLogits = [];
  let vocab = 0;
  let calls = 0;
  if (spec.mode === 'generate') {
    let past = emptyPast(sess, B, spec.kv_heads, spec.head_dim);
    let pastLen = 0;
    let logits = null;
    const C = spec.chunk;
    for (let s = 0; s < L; s += C) {
      const ids = seqs.map((row) => row.slice(s, Math.min(L, s + C)));
      const r = await kvStep(sess, ids, past, pastLen);
      calls++;
      past = r.next;
      pastLen += ids[0].length;
      logits = r.logits;
    }
    for (let t = 0; t < T; t++) {
      vocab = logits.dims[2];
      const c = logits.dims[1];
      const step = [];
      for (let r = 0; r < B; r++) {
        const off = (r * c + (c - 1)) * vocab;
        const row = logits.data.slice(off, off + vocab);
        stepLogits.push(row);
        step.push(argmax(row, 0, vocab));
      }
      toks.push(step);
      if (t === T - 1) break;
      const r = await kvStep(sess, step.map((x) => [x]), past, pastLen);
      calls++;
      past = r.next;
      pastLen += 1;
      logits = r.logits;
    }
  } else if (spec.mode === 'nocache') {
    const S = spec.static_len;
    // stepLogits ordered [t][r] here; reordered below like generate's.
    for (let t = 0; t < T; t++) {
      const step = [];
      for (let r = 0; r < B; r++) {
        const n = seqs[r].length;
        const ids = seqs[r].concat(new Array(S - n).fill(0));
        const res = await sess.run({ input_ids: i64(ids, [1, S]) });
        calls++;
        vocab = res.logits.dims[2];
        const row = res.logits.data.slice((n - 1) * vocab, n * vocab);
        stepLogits.push(row);
        step.push(argmax(row, 0, vocab));
      }
      for (let r = 0; r < B; r++) seqs[r].push(step[r]);
      toks.push(step);
    }
  } else {
    throw new Error('unknown mode ' + spec.mode);
  }
  // toks [T][B] -> [B][T]; stepLogits [T*B] -> [B][T]
  const tokOut = new BigInt64Array(B * T);
  const logOut = new Float32Array(B * T * vocab);
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < B; r++) {
      tokOut[r * T + t] = BigInt(toks[t][r]);
      logOut.set(stepLogits[t * B + r], (r * T + t) * vocab);
    }
  }
  fs.writeFileSync(spec.tokens, Buffer.from(tokOut.buffer));
  fs.writeFileSync(spec.step_logits, Buffer.from(logOut.buffer));
  console.log(JSON.stringify({ mode: spec.mode, chunk: spec.chunk, batch: B, new_tokens: T, vocab, calls, ms: Date.now() - t0 }));
}

main().catch((e) => {
  console.error(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
