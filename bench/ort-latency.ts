/**
 * Inference latency of an exported GMM-QF (K=50, D=4, A=3) through gmmrl/runtime, on
 * onnxruntime-node (cpu) and onnxruntime-web (wasm, running in Node), against the raw
 * `session.run` floor of the same ONNX Runtime with a pre-built input tensor.
 *
 *   node dist/bench/ort-latency.js [--calls=10000] [--batch=1024] [--json]
 *
 * Single observation: `policy.act(obs)` on a Float32Array of D values, timed call by call after a
 * warm-up; p50 / p99 / mean in microseconds. Batch: `policy.actBatch(obs)` on N·D values, mean
 * milliseconds per batch and observations per second. Both entries are imported directly (in Node,
 * `gmmrl/runtime` resolves to the node entry only; the web entry is what browsers get).
 * Prints a table, then the same numbers as JSON (`--json`: JSON only).
 */
import { cpus } from 'node:os';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { exportGmmQf, GMMRL_VERSION, FAMILY, familyModule, parseArgs, ValueError } from 'gmmrl';
import { loadPolicy as loadNode } from 'gmmrl/runtime/node';
import { loadPolicy as loadWeb } from 'gmmrl/runtime/web';
import { type Policy } from 'gmmrl/runtime';
import { runIfScript } from './stats.js';

/** The benchmark GMM-QF of the family registry (sdk/families/gmmqf.ts: K = 50, D = 4, A = 3) and its observation stream. */
const GMMQF = familyModule(FAMILY.gmmqf).bench;
const { K, D, A } = GMMQF.params();

export interface LatencyRow {
  backend: string;
  path: 'gmmrl/runtime' | 'raw session.run';
  singleP50us: number;
  singleP99us: number;
  singleMeanUs: number;
  batchN: number;
  batchMeanMs: number;
  batchObsPerSec: number;
}

export interface LatencyReport {
  bench: 'ort-latency';
  gmmrlVersion: string;
  model: { family: typeof FAMILY.gmmqf; K: number; D: number; A: number; bytes: number };
  calls: number;
  warmup: number;
  batchRuns: number;
  node: string;
  cpu: string;
  rows: LatencyRow[];
}

function percentile(sorted: Float64Array, p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

async function timeSingles(
  call: (i: number) => Promise<unknown>,
  calls: number,
  warmup: number,
): Promise<{ p50: number; p99: number; mean: number }> {
  for (let i = 0; i < warmup; i++) await call(i);
  const t = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await call(i);
    t[i] = (performance.now() - t0) * 1000;
  }
  const mean = t.reduce((a, b) => a + b, 0) / calls;
  t.sort();
  return { p50: percentile(t, 50), p99: percentile(t, 99), mean };
}

async function timeBatch(call: () => Promise<unknown>, runs: number): Promise<number> {
  for (let i = 0; i < Math.max(5, runs / 10); i++) await call();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await call();
  return (performance.now() - t0) / runs;
}

type OrtLike = typeof ortNode | typeof ortWeb;

async function rawRow(
  ort: OrtLike,
  backend: string,
  ep: string,
  bytes: Uint8Array,
  pool: Float32Array,
  batch: Float32Array,
  n: number,
  calls: number,
  warmup: number,
  runs: number,
): Promise<LatencyRow> {
  const session = await (ort as typeof ortNode).InferenceSession.create(bytes, { executionProviders: [ep] });
  try {
    const single = new Float32Array(D);
    const tensor = new ort.Tensor('float32', single, [1, D]);
    const poolN = pool.length / D;
    const s = await timeSingles(
      (i) => {
        single.set(pool.subarray((i % poolN) * D, (i % poolN) * D + D));
        return session.run({ obs: tensor } as never, ['action']);
      },
      calls,
      warmup,
    );
    const bt = new ort.Tensor('float32', batch, [n, D]);
    const ms = await timeBatch(() => session.run({ obs: bt } as never, ['action']), runs);
    return {
      backend,
      path: 'raw session.run',
      singleP50us: s.p50,
      singleP99us: s.p99,
      singleMeanUs: s.mean,
      batchN: n,
      batchMeanMs: ms,
      batchObsPerSec: (n / ms) * 1000,
    };
  } finally {
    await session.release();
  }
}

async function policyRow(
  policy: Policy,
  backend: string,
  pool: Float32Array,
  batch: Float32Array,
  n: number,
  calls: number,
  warmup: number,
  runs: number,
): Promise<LatencyRow> {
  const poolN = pool.length / D;
  const views = Array.from({ length: poolN }, (_, i) => pool.subarray(i * D, i * D + D));
  const s = await timeSingles((i) => policy.act(views[i % poolN]!), calls, warmup);
  const ms = await timeBatch(() => policy.actBatch(batch), runs);
  return {
    backend,
    path: 'gmmrl/runtime',
    singleP50us: s.p50,
    singleP99us: s.p99,
    singleMeanUs: s.mean,
    batchN: n,
    batchMeanMs: ms,
    batchObsPerSec: (n / ms) * 1000,
  };
}

function table(r: LatencyReport): string {
  const head = [
    'backend',
    'path',
    'single p50 µs',
    'single p99 µs',
    'single mean µs',
    `batch ${r.rows[0]?.batchN ?? ''} ms`,
    'batch obs/s',
  ];
  const body = r.rows.map((x) => [
    x.backend,
    x.path,
    x.singleP50us.toFixed(1),
    x.singleP99us.toFixed(1),
    x.singleMeanUs.toFixed(1),
    x.batchMeanMs.toFixed(3),
    Math.round(x.batchObsPerSec).toLocaleString('en-US'),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [
    `GMM-QF K=${r.model.K} D=${r.model.D} A=${r.model.A} (${r.model.bytes} bytes), ${r.calls} single calls after ${r.warmup} warm-up, ${r.batchRuns} batch runs; ${r.node}, ${r.cpu}`,
    line(head),
    line(w.map((n) => '-'.repeat(n))),
    ...body.map(line),
  ].join('\n');
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<LatencyReport> {
  const { flags } = parseArgs('bench ort-latency', argv, {
    calls: { type: 'int', help: 'single-observation calls', default: 10_000 },
    batch: { type: 'int', help: 'batch size', default: 1024 },
    json: { type: 'boolean', help: 'print JSON only', default: false },
  });
  const calls = flags.calls as number;
  const n = flags.batch as number;
  for (const [name, v] of [
    ['calls', calls],
    ['batch', n],
  ] as const) {
    if (v < 1) throw new ValueError(`bench: --${name} is ${v}; it must be a positive integer.`);
  }
  const warmup = Math.min(2000, Math.max(100, Math.floor(calls / 10)));
  const runs = 200;
  const bytes = exportGmmQf(
    GMMQF.params(),
    {
      envId: 'CartPole-v1',
      observationSpace: { shape: [D], low: [-4.8, -Infinity, -0.418, -Infinity], high: [4.8, Infinity, 0.418, Infinity] },
      actionSpace: { kind: 'discrete', n: A },
      training: { note: 'synthetic parameters for bench/ort-latency' },
    },
    { sampling: 'none' },
  ); // the greedy-only graph (bench/policy-latency.ts measures the default export)
  const pool = GMMQF.observations(8, 256);
  const batch = GMMQF.observations(9, n);
  if (ortWeb.env.wasm.numThreads === undefined) ortWeb.env.wasm.numThreads = 1; // what the web entry does in Node

  const rows: LatencyRow[] = [];
  const pn = await loadNode(bytes, { executionProviders: ['cpu'] });
  try {
    rows.push(await policyRow(pn, 'onnxruntime-node cpu', pool, batch, n, calls, warmup, runs));
  } finally {
    await pn.dispose();
  }
  rows.push(await rawRow(ortNode, 'onnxruntime-node cpu', 'cpu', bytes, pool, batch, n, calls, warmup, runs));
  const pw = await loadWeb(bytes, { executionProviders: ['wasm'] });
  try {
    rows.push(await policyRow(pw, 'onnxruntime-web wasm', pool, batch, n, calls, warmup, runs));
  } finally {
    await pw.dispose();
  }
  rows.push(await rawRow(ortWeb, 'onnxruntime-web wasm', 'wasm', bytes, pool, batch, n, calls, warmup, runs));

  const report: LatencyReport = {
    bench: 'ort-latency',
    gmmrlVersion: GMMRL_VERSION,
    model: { family: FAMILY.gmmqf, K, D, A, bytes: bytes.length },
    calls,
    warmup,
    batchRuns: runs,
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} ×${cpus().length}`,
    rows,
  };
  if (!flags.json) console.log(table(report) + '\n');
  console.log(JSON.stringify(report, null, 2));
  return report;
}

runIfScript(import.meta.url, main);
