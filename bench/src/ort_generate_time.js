// ort_generate_time.js - times greedy generation with a KV-cache ONNX model
// (Hugging Face convention, as bench/src/make_generate_models.py writes it)
// in ONNX Runtime (onnxruntime-node), the reference of
// bench/generate-speed.sh.
//
// usage: NODE_PATH=DIR/node_modules node ort_generate_time.js MODEL.onnx \
//          PROMPT.bin PROMPT_LEN NEW_TOKENS THREADS KV_HEADS HEAD_DIM [RUNS]
//
// PROMPT.bin: raw little-endian int64 [1, PROMPT_LEN]. Each run: one call
// on the whole prompt with an empty cache (the prefill), then NEW_TOKENS - 1
// one-token calls, each feeding the previous call's present.{i}.key|value
// back as past_key_values.{i}.key|value (attention_mask all ones,
// position_ids = the position); greedy (argmax, lowest index on ties).
// One warm-up run, then RUNS (default 3) timed ones. As quantc's generator
// counts them: prefill_ms covers the prefill call and the first token's
// choice, decode the remaining NEW_TOKENS - 1 steps. Prints one JSON line:
// {"threads", "prompt_tokens", "new_tokens", "runs", "load_ms",
//  "prefill_ms" (min), "prefill_tokens_per_s", "decode_ms_per_token" (min
//  over runs of the run's mean), "decode_tokens_per_s", "peak_rss_mb",
//  "min_top2_margin" (smallest top-1 minus top-2 logit over the chosen
//  tokens), "tokens" (the new tokens)}.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function argmax2(a, off, n) {
  let best = 0, bv = a[off], second = -Infinity;
  for (let j = 1; j < n; j++) {
    const v = a[off + j];
    if (v > bv) { second = bv; bv = v; best = j; } else if (v > second) second = v;
  }
  return [best, bv - second];
}

function i64(values, dims) {
  return new ort.Tensor('int64', BigInt64Array.from(values, (x) => BigInt(x)), dims);
}

async function main() {
  const [model, promptPath, promptLen, newTokens, threads, kvHeads, headDim,
    runs = '3'] = process.argv.slice(2);
  const P = parseInt(promptLen, 10), K = parseInt(newTokens, 10);
  const H = parseInt(kvHeads, 10), D = parseInt(headDim, 10);
  const buf = fs.readFileSync(promptPath);
  const prompt = Array.from(new BigInt64Array(
      buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)), Number);
  if (prompt.length !== P) throw new Error(`prompt has ${prompt.length} tokens, not ${P}`);
  const t0 = process.hrtime.bigint();
  const sess = await ort.InferenceSession.create(model, {
    intraOpNumThreads: parseInt(threads, 10), interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const pasts = sess.inputNames.filter((n) => n.startsWith('past_key_values.'));

  async function step(ids, past, pastLen) {
    const c = ids.length;
    const feeds = {
      input_ids: i64(ids, [1, c]),
      attention_mask: i64(new Array(pastLen + c).fill(1), [1, pastLen + c]),
      position_ids: i64(ids.map((_, j) => pastLen + j), [1, c]),
    };
    for (const n of pasts) feeds[n] = past[n];
    const res = await sess.run(feeds);
    const next = {};
    for (const n of pasts) next[n] = res[n.replace('past_key_values.', 'present.')];
    const logits = res.logits;
    const vocab = logits.dims[2];
    return { next, pick: argmax2(logits.data, (c - 1) * vocab, vocab) };
  }

  async function generate() {
    let past = {};
    for (const n of pasts) past[n] = new ort.Tensor('float32', new Float32Array(0), [1, H, 0, D]);
    const tokens = [];
    let margin = Infinity;
    const a = process.hrtime.bigint();
    let r = await step(prompt, past, 0);
    tokens.push(r.pick[0]);
    margin = Math.min(margin, r.pick[1]);
    const b = process.hrtime.bigint();
    for (let k = 1; k < K; k++) {
      r = await step([tokens[k - 1]], r.next, P + k - 1);
      tokens.push(r.pick[0]);
      margin = Math.min(margin, r.pick[1]);
    }
    const c = process.hrtime.bigint();
    return { prefill: Number(b - a) / 1e6, decode: Number(c - b) / 1e6 / Math.max(1, K - 1),
      tokens, margin };
  }

  const warm = await generate();
  let prefill = Infinity, decode = Infinity;
  const n = parseInt(runs, 10);
  for (let i = 0; i < n; i++) {
    const g = await generate();
    if (g.tokens.join() !== warm.tokens.join()) throw new Error('tokens differ between runs');
    prefill = Math.min(prefill, g.prefill);
    decode = Math.min(decode, g.decode);
  }
  console.log(JSON.stringify({
    threads: parseInt(threads, 10), prompt_tokens: P, new_tokens: K, runs: n,
    load_ms: +loadMs.toFixed(1), prefill_ms: +prefill.toFixed(3),
    prefill_tokens_per_s: +(1e3 * P / prefill).toFixed(2),
    decode_ms_per_token: +decode.toFixed(4), decode_tokens_per_s: +(1e3 / decode).toFixed(2),
    peak_rss_mb: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
    min_top2_margin: warm.margin, tokens: warm.tokens,
  }));
}

main().catch((e) => { console.error(String(e && e.stack ? e.stack : e)); process.exit(1); });
