// ort_time.js - times an ONNX model in ONNX Runtime (onnxruntime-node), the
// reference engine of bench/gemv-speed.sh.
//
// usage: NODE_PATH=DIR/node_modules node ort_time.js MODEL.onnx SHAPE \
//          THREADS RUNS [NAME [DTYPE]]
//
// Runs the model on a deterministic input NAME (default x) of SHAPE (e.g.
// 1x4096) and DTYPE (float32, the default, or int64 token ids < 60) once to
// warm up, then RUNS times, with THREADS intra-op threads; prints one JSON
// line {"min_ms", "mean_ms", "runs"}.
'use strict';
const ort = require('onnxruntime-node');

async function main() {
  const [model, shapeArg, threads, runs, name = 'x', dtype = 'float32'] =
      process.argv.slice(2);
  const shape = shapeArg.split('x').map((d) => parseInt(d, 10));
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: parseInt(threads, 10), interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const n = shape.reduce((a, b) => a * b, 1);
  let data;
  if (dtype === 'int64') {
    data = new BigInt64Array(n);
    for (let i = 0; i < n; i++) data[i] = BigInt((i * 7) % 60);
  } else {
    data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.sin(i) * 0.5;
  }
  const feeds = {[name]: new ort.Tensor(dtype, data, shape)};
  await session.run(feeds);
  let min = Infinity, total = 0;
  const count = parseInt(runs, 10);
  for (let r = 0; r < count; r++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    min = Math.min(min, ms);
    total += ms;
  }
  console.log(JSON.stringify({min_ms: min, mean_ms: total / count, runs: count}));
}
main().catch((e) => { console.error(String(e)); process.exit(1); });
