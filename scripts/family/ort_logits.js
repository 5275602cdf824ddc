// ort_logits.js - run an llama-family ONNX model with ONNX Runtime (node).
//
// usage: NODE_PATH=/tmp/ort/node_modules node scripts/family/ort_logits.js \
//          MODEL.onnx INPUT.bin OUTPUT.bin [SEQ=128]
//
// INPUT.bin : raw little-endian int64, N windows x SEQ tokens (N = size / 8 / SEQ)
// OUTPUT.bin: raw little-endian float32 logits, N x SEQ x V, each window run
//             on its own as input_ids [1, SEQ].
// Prints one JSON line: {"windows": N, "vocab": V, "ms_per_window": ...}.
// Install the runtime once: mkdir -p /tmp/ort && cd /tmp/ort &&
//   npm install --ignore-scripts onnxruntime-node@1.30.0
'use strict';
const fs = require('fs');
let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.error('onnxruntime-node not found; set NODE_PATH=/tmp/ort/node_modules');
  process.exit(2);
}

async function main() {
  const [model, input, output, seqArg] = process.argv.slice(2);
  if (!model || !input || !output) {
    console.error('usage: ort_logits.js MODEL.onnx INPUT.bin OUTPUT.bin [SEQ]');
    process.exit(2);
  }
  const seq = seqArg ? parseInt(seqArg, 10) : 128;
  const buf = fs.readFileSync(input);
  const all = new BigInt64Array(buf.buffer, buf.byteOffset, buf.length / 8);
  const n = all.length / seq;
  if (!Number.isInteger(n)) throw new Error('input size is not a multiple of SEQ');
  const sess = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all',
  });
  const chunks = [];
  let vocab = 0;
  const t0 = Date.now();
  for (let i = 0; i < n; i++) {
    const ids = new ort.Tensor('int64', all.slice(i * seq, (i + 1) * seq), [1, seq]);
    const res = await sess.run({ input_ids: ids });
    const logits = res.logits;
    vocab = logits.dims[logits.dims.length - 1];
    chunks.push(Buffer.from(new Float32Array(logits.data).buffer));
  }
  const ms = (Date.now() - t0) / n;
  fs.writeFileSync(output, Buffer.concat(chunks));
  console.log(JSON.stringify({ windows: n, vocab, ms_per_window: ms }));
}

main().catch((e) => {
  console.error(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
