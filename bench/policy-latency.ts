/**
 * Inference speed per model family (issue 5 §6): single-observation latency p50/p99 and batch
 * throughput on onnxruntime-node (cpu, one intra-op thread: the one-core figure), onnxruntime-web
 * (wasm, in Node), and in-process TensorFlow.js (wasm — the SDK's default backend — and cpu), all in
 * one process, side by side, next to ONNX Runtime's own per-call floor.
 *
 *   node dist/bench/policy-latency.js [--calls=10000] [--batch=1024] [--big-batch=65536] [--budget=3]
 *        [--families=gmmqf,dqn,mixture-actor,gamid-actor] [--quick] [--json] [--out=bench/results]
 *
 * Models (bench/models.ts, exported with the default options: float32, sampling head with noise
 * inputs): GMM-QF K = 50, D = 4, A = 3; DQN 2 × 64; mixture actor D = 3, 2 × 256, K = 5, A = 1;
 * Gamid actor C = 5 × 2 × 256 (+ critic 2 × 256). All calls are greedy.
 *
 * Paths per family:
 *   policy.act      gmmrl/runtime (validation, output checks) — what an application calls; greedy
 *                   calls run the noise-free graph (runtime/onnx-prune.ts, PolicyInfo.greedyGraph)
 *   session.run     the same file through a bare InferenceSession with pre-built input tensors
 *                   (zero noise), fetching only "action": ONNX Runtime's cost for the whole exported
 *                   graph, sampling head included (ORT runs every node whatever is fetched)
 *   in-process      TensorFlow.js with resident parameters, the same function (bench/tf-models.ts),
 *                   checked to give the same greedy actions as ONNX Runtime on the observation pool
 * Floor: an Identity graph (bench/models.ts floorModel, D = 4) through session.run: the per-call
 * cost of each ONNX Runtime binding with no arithmetic; "× floor" divides a p50 by it.
 *
 * Isolation (default --isolate): each family runs in a fresh child process of this script, which
 * measures the floor again (what one family leaves behind — ONNX Runtime arenas, TensorFlow.js and
 * wasm memory after the 65 536-state batches — slowed the next family's single calls by up to 60 %).
 * Within a family every path is measured in the same process, one after the other.
 *
 * Timing: warm-up (a tenth of the calls, at least 100), then each call timed alone with
 * process.hrtime.bigint(), cycling through a pool of 256 observations; the number of calls is cut
 * so that one measurement takes at most --budget seconds (slow backends get fewer, never < 200).
 * Batches: 2 warm-up runs, then runs timed one by one (≥ 3, ≤ 200, about --budget seconds); the
 * throughput is N / median run time. Results: bench/results/policy-latency.{json,md}.
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { parseArgs, selectBackend, ValueError, GMMRL_VERSION, FAMILY } from 'gmmrl';
import { loadPolicy as loadNode } from 'gmmrl/runtime/node';
import { loadPolicy as loadWeb } from 'gmmrl/runtime/web';
import { type Policy } from 'gmmrl/runtime';
import { BENCH_FAMILIES, buildBenchModel, floorModel, type BenchFamily, type BenchModel } from './models.js';
import { makeTfTwin } from './tf-models.js';
import {
  describeLoad,
  elapsedNs,
  fmtRate,
  fmtUs,
  hostInfo,
  markdownTable,
  percentileSorted,
  summarize,
  type HostInfo,
  type SampleSummary,
  writeReport,
  runIfScript,
} from './stats.js';

export const FLAGS = {
  calls: { type: 'int' as const, help: 'single-observation calls per measurement (cut to fit --budget)', default: 10_000 },
  batch: { type: 'int' as const, help: 'batch size N for every family', default: 1024 },
  'big-batch': { type: 'int' as const, help: 'second, larger batch for GMM-QF (0: none)', default: 65536 },
  budget: { type: 'number' as const, help: 'seconds per single-observation or batch measurement (about)', default: 3 },
  families: { type: 'string' as const, help: 'comma-separated families', default: BENCH_FAMILIES.join(',') },
  quick: { type: 'boolean' as const, help: 'tiny run for tests (50 calls, batches of 64 and 256)', default: false },
  json: { type: 'boolean' as const, help: 'print the report as JSON', default: false },
  out: { type: 'string' as const, help: 'directory for policy-latency.{md,json} ("" to skip writing)', default: 'bench/results' },
  isolate: { type: 'boolean' as const, help: 'measure each family in a fresh child process (false: all in this process)', default: true },
  child: { type: 'boolean' as const, help: 'internal: measure --families here and print the rows as JSON', default: false },
};

export type Backend =
  | 'onnxruntime-node cpu (1 thread)'
  | 'onnxruntime-node cpu (default threads)'
  | 'onnxruntime-web wasm (Node)'
  | 'TensorFlow.js wasm'
  | 'TensorFlow.js cpu';
export type Path = 'policy.act' | 'session.run' | 'in-process';

export interface BatchResult {
  n: number;
  runs: number;
  medianMs: number;
  meanMs: number;
  statesPerSec: number;
}

export interface Row {
  family: BenchFamily | 'floor';
  model: string;
  backend: Backend;
  path: Path;
  /** Single-observation latency, µs. */
  single: SampleSummary | null;
  batches: BatchResult[];
  /** in-process rows: greedy actions equal ONNX Runtime's on the pool (actors: within 1e-4 of the action range). */
  agreesWithOrt?: boolean;
  /** p50 of the floor (Identity graph, same binding) measured in the same process as this row. */
  floorP50Us?: number;
  note?: string;
}

export interface Target {
  what: string;
  target: string;
  measured: string;
  met: boolean;
}

export interface PolicyLatencyReport {
  bench: 'policy-latency';
  gmmrlVersion: string;
  host: HostInfo;
  versions: { onnxruntimeNode: string; onnxruntimeWeb: string; tfjs: string };
  settings: { calls: number; batch: number; bigBatch: number; budgetS: number; quick: boolean; isolate: boolean };
  rows: Row[];
  floor: { node: number; web: number };
  targets: Target[];
  skipped: string[];
}

// ------------------------------------------------------------------------------------------- timing

/** Times `call` one call at a time (µs) after a warm-up; at most `budgetS` seconds of calls (≥ 200). */
export async function timeSingle(call: (i: number) => unknown, calls: number, budgetS: number): Promise<SampleSummary> {
  const warmup = Math.max(100, Math.floor(calls / 10));
  const tw = process.hrtime.bigint();
  for (let i = 0; i < warmup; i++) {
    const r = call(i);
    if (r instanceof Promise) await r;
  }
  const perCallNs = elapsedNs(tw) / warmup;
  const n = Math.max(Math.min(calls, 200), Math.min(calls, Math.floor((budgetS * 1e9) / perCallNs)));
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = call(i);
    if (r instanceof Promise) await r;
    t[i] = elapsedNs(t0) / 1000;
  }
  return summarize(t);
}

/** Times whole batches: 2 warm-up runs, then ≥ 3 and ≤ 200 runs (about `budgetS` seconds); throughput from the median. */
export async function timeBatch(call: () => unknown, n: number, budgetS: number): Promise<BatchResult> {
  const tw = process.hrtime.bigint();
  for (let i = 0; i < 2; i++) {
    const r = call();
    if (r instanceof Promise) await r;
  }
  const perRunNs = elapsedNs(tw) / 2;
  const runs = Math.max(3, Math.min(200, Math.floor((budgetS * 1e9) / perRunNs)));
  const t = new Float64Array(runs);
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = call();
    if (r instanceof Promise) await r;
    t[i] = elapsedNs(t0) / 1e6;
  }
  const sorted = Float64Array.from(t).sort();
  const medianMs = percentileSorted(sorted, 50);
  const meanMs = t.reduce((a, b) => a + b, 0) / runs;
  return { n, runs, medianMs, meanMs, statesPerSec: (n / medianMs) * 1000 };
}

// ------------------------------------------------------------------------------------------- paths

type OrtModule = typeof ortNode | typeof ortWeb;
type Session = ortNode.InferenceSession;

/** Feeds for a bare session: obs plus zero noise inputs (greedy), for a batch of n. */
function feedsFor(ort: OrtModule, session: Session, obs: Float32Array, n: number, D: number, A: number): Record<string, ortNode.Tensor> {
  const feeds: Record<string, ortNode.Tensor> = {};
  for (const name of session.inputNames) {
    if (name === 'obs') feeds[name] = new ort.Tensor('float32', obs, [n, D]) as ortNode.Tensor;
    else if (name === 'noise_u') feeds[name] = new ort.Tensor('float32', new Float32Array(n), [n]) as ortNode.Tensor;
    else if (name === 'noise_eps') feeds[name] = new ort.Tensor('float32', new Float32Array(n * A), [n, A]) as ortNode.Tensor;
    else throw new ValueError(`bench: the model has an input ${JSON.stringify(name)} the bench does not know how to feed.`);
  }
  return feeds;
}

async function createSession(ort: OrtModule, bytes: Uint8Array, which: 'node1' | 'node' | 'web'): Promise<Session> {
  if (which === 'web')
    return (await (ort as typeof ortWeb).InferenceSession.create(bytes, { executionProviders: ['wasm'] })) as unknown as Session;
  const threads = which === 'node1' ? { intraOpNumThreads: 1, interOpNumThreads: 1 } : {};
  return (ort as typeof ortNode).InferenceSession.create(bytes, { executionProviders: ['cpu'], ...threads });
}

async function sessionRow(
  ort: OrtModule,
  which: 'node1' | 'web',
  bytes: Uint8Array,
  D: number,
  A: number,
  pool: Float32Array,
  batchObs: Float32Array[],
  s: Settings,
  family: Row['family'],
  model: string,
): Promise<Row> {
  const session = await createSession(ort, bytes, which);
  try {
    const single = new Float32Array(D);
    const feeds = feedsFor(ort, session, single, 1, D, A);
    const poolN = pool.length / D;
    const fetch = ['action'];
    const one = await timeSingle(
      (i) => {
        const j = i % poolN;
        single.set(pool.subarray(j * D, j * D + D));
        return session.run(feeds, fetch);
      },
      s.calls,
      s.budgetS,
    );
    const batches: BatchResult[] = [];
    for (const b of batchObs) {
      const n = b.length / D;
      const bf = feedsFor(ort, session, b, n, D, A);
      batches.push(await timeBatch(() => session.run(bf, fetch), n, s.budgetS));
    }
    return {
      family,
      model,
      backend: which === 'web' ? 'onnxruntime-web wasm (Node)' : 'onnxruntime-node cpu (1 thread)',
      path: 'session.run',
      single: one,
      batches,
    };
  } finally {
    await session.release();
  }
}

async function policyRow(
  policy: Policy,
  backend: Backend,
  D: number,
  pool: Float32Array,
  batchObs: Float32Array[],
  s: Settings,
  family: BenchFamily,
  model: string,
  singles = true,
): Promise<Row> {
  const poolN = pool.length / D;
  const views = Array.from({ length: poolN }, (_, i) => pool.subarray(i * D, i * D + D));
  const one = singles ? await timeSingle((i) => policy.act(views[i % poolN]!), s.calls, s.budgetS) : null;
  const batches: BatchResult[] = [];
  for (const b of batchObs) batches.push(await timeBatch(() => policy.actBatch(b), b.length / D, s.budgetS));
  return { family, model, backend, path: 'policy.act', single: one, batches };
}

/** ONNX Runtime's greedy actions on the pool (the reference the TensorFlow.js twin must reproduce). */
async function ortActions(policy: Policy, pool: Float32Array): Promise<Float32Array> {
  const out = await policy.actBatch(pool);
  if (out instanceof Int32Array) return Float32Array.from(out);
  const rows = out as ArrayLike<number>[];
  const A = rows[0]?.length ?? 0;
  const flat = new Float32Array(rows.length * A);
  rows.forEach((r, i) => flat.set(Array.from(r), i * A));
  return flat;
}

function agree(a: Float32Array, b: Int32Array | Float32Array, discrete: boolean, range: number): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (discrete ? a[i] !== b[i] : !(Math.abs(a[i]! - b[i]!) <= 1e-4 * range)) return false;
  }
  return true;
}

// ------------------------------------------------------------------------------------------- main

interface Settings {
  calls: number;
  batch: number;
  bigBatch: number;
  budgetS: number;
  quick: boolean;
}

function readVersion(ort: OrtModule, key: 'node' | 'web'): string {
  const v = (ort.env as { versions?: Record<string, string> }).versions;
  return v?.[key] ?? v?.common ?? 'unknown';
}

async function familyRows(fam: BenchFamily, s: Settings, rows: Row[], skipped: string[], log: (l: string) => void): Promise<void> {
  let model: BenchModel;
  try {
    model = buildBenchModel(fam);
  } catch (e) {
    skipped.push(`${fam}: the exporter failed: ${(e as Error).message}`);
    return;
  }
  const D = model.obsSize;
  const A = model.actionSize;
  const pool = model.observations(101, 256);
  const sizes = [s.batch, ...(fam === FAMILY.gmmqf && s.bigBatch > 0 ? [s.bigBatch] : [])];
  const batchObs = sizes.map((n, i) => model.observations(200 + i, n));
  const label = model.label;
  log(`policy-latency: ${label}`);

  let reference: Float32Array | null = null;
  // onnxruntime-node, one thread
  let pn: Policy | null = null;
  try {
    pn = await loadNode(model.bytes, { executionProviders: ['cpu'], sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
  } catch (e) {
    skipped.push(`${fam} policy.act on onnxruntime-node: ${(e as Error).message.split('\n')[0]}`);
  }
  if (pn) {
    try {
      reference = await ortActions(pn, pool);
      rows.push(await policyRow(pn, 'onnxruntime-node cpu (1 thread)', D, pool, batchObs, s, fam, label));
    } finally {
      await pn.dispose();
    }
  }
  rows.push(await sessionRow(ortNode, 'node1', model.bytes, D, A, pool, batchObs, s, fam, label));
  if (fam === FAMILY.gmmqf) {
    // the same through the default intra-op thread pool (both cores), for the batch figure
    const p2 = await loadNode(model.bytes, { executionProviders: ['cpu'] }).catch(() => null);
    if (p2) {
      try {
        rows.push({
          ...(await policyRow(p2, 'onnxruntime-node cpu (default threads)', D, pool, batchObs, s, fam, label, false)),
          note: 'intraOpNumThreads default (all cores)',
        });
      } finally {
        await p2.dispose();
      }
    }
  }
  // onnxruntime-web (wasm) in Node
  let pw: Policy | null = null;
  try {
    pw = await loadWeb(model.bytes, { executionProviders: ['wasm'] });
  } catch (e) {
    skipped.push(`${fam} policy.act on onnxruntime-web: ${(e as Error).message.split('\n')[0]}`);
  }
  if (pw) {
    try {
      rows.push(await policyRow(pw, 'onnxruntime-web wasm (Node)', D, pool, batchObs, s, fam, label));
    } finally {
      await pw.dispose();
    }
  }
  rows.push(await sessionRow(ortWeb, 'web', model.bytes, D, A, pool, batchObs, s, fam, label));
  // TensorFlow.js in-process
  for (const backend of ['wasm', 'cpu'] as const) {
    try {
      await selectBackend(backend);
    } catch (e) {
      skipped.push(`${fam} TensorFlow.js ${backend}: ${(e as Error).message.split('\n')[1]?.trim() ?? 'unavailable'}`);
      continue;
    }
    const twin = makeTfTwin(model);
    try {
      const poolN = pool.length / D;
      const views = Array.from({ length: poolN }, (_, i) => pool.subarray(i * D, i * D + D));
      const mine = twin.act(pool, poolN);
      const range = model.spec.family === FAMILY.mixtureActor || model.spec.family === FAMILY.gamidActor ? 4 : 1;
      const agrees = reference ? agree(reference, mine, A === 1 && (fam === FAMILY.gmmqf || fam === FAMILY.dqn), range) : undefined;
      const one = await timeSingle((i) => twin.act(views[i % poolN]!, 1), s.calls, s.budgetS);
      const batches: BatchResult[] = [];
      for (const b of batchObs) batches.push(await timeBatch(() => twin.act(b, b.length / D), b.length / D, s.budgetS));
      rows.push({
        family: fam,
        model: label,
        backend: backend === 'wasm' ? 'TensorFlow.js wasm' : 'TensorFlow.js cpu',
        path: 'in-process',
        single: one,
        batches,
        ...(agrees !== undefined ? { agreesWithOrt: agrees } : {}),
      });
    } finally {
      twin.dispose();
    }
  }
}

function find(rows: Row[], fam: Row['family'], backend: Backend, path: Path): Row | undefined {
  return rows.find((r) => r.family === fam && r.backend === backend && r.path === path);
}

function targets(rows: Row[], floorNode: number): Target[] {
  const out: Target[] = [];
  const NODE: Backend = 'onnxruntime-node cpu (1 thread)';
  const g = find(rows, FAMILY.gmmqf, NODE, 'policy.act');
  if (g?.single) {
    out.push({
      what: 'GMM-QF (K=50, D=4, A=3) single-observation p50, onnxruntime-node policy.act',
      target: '≤ 25 µs',
      measured: `${fmtUs(g.single.p50)} µs (${(g.single.p50 / (g.floorP50Us ?? floorNode)).toFixed(2)}× the ${fmtUs(g.floorP50Us ?? floorNode)} µs floor)`,
      met: g.single.p50 <= 25,
    });
    const tfw = find(rows, FAMILY.gmmqf, 'TensorFlow.js wasm', 'in-process');
    const tfc = find(rows, FAMILY.gmmqf, 'TensorFlow.js cpu', 'in-process');
    const best = [tfw, tfc].filter((r): r is Row => !!r?.single).sort((a, b) => a.single!.p50 - b.single!.p50)[0];
    if (best) {
      const x = best.single!.p50 / g.single.p50;
      // no ONNX Runtime call can beat its own floor: TF.js p50 / floor bounds the ratio any graph could reach
      const ceiling = best.single!.p50 / (g.floorP50Us ?? floorNode);
      out.push({
        what: `GMM-QF single-observation p50 vs TensorFlow.js (fastest backend: ${best.backend.replace('TensorFlow.js ', '')})`,
        target: '≥ 10× faster',
        measured: `${x.toFixed(1)}× (${fmtUs(best.single!.p50)} µs vs ${fmtUs(g.single.p50)} µs); the most any ONNX Runtime graph could reach here is ${ceiling.toFixed(1)}× (TF.js p50 / the ${fmtUs(g.floorP50Us ?? floorNode)} µs floor of an Identity graph)`,
        met: x >= 10,
      });
    }
  }
  const m = find(rows, FAMILY.mixtureActor, NODE, 'policy.act');
  if (m?.single) {
    out.push({
      what: 'mixture actor (2 × 256, K=5) single-observation p50, onnxruntime-node policy.act',
      target: '≤ 40 µs',
      measured: `${fmtUs(m.single.p50)} µs (${(m.single.p50 / (m.floorP50Us ?? floorNode)).toFixed(2)}× the ${fmtUs(m.floorP50Us ?? floorNode)} µs floor)`,
      met: m.single.p50 <= 40,
    });
  }
  const gb = [find(rows, FAMILY.gmmqf, NODE, 'policy.act'), find(rows, FAMILY.gmmqf, NODE, 'session.run')].filter((r): r is Row => !!r);
  if (gb.length) {
    let best: { r: Row; b: BatchResult } | null = null;
    for (const r of gb) for (const b of r.batches) if (!best || b.statesPerSec > best.b.statesPerSec) best = { r, b };
    if (best) {
      out.push({
        what: 'GMM-QF batch throughput on one core (onnxruntime-node, intraOpNumThreads 1)',
        target: '≥ 10⁶ states/s',
        measured: `${fmtRate(best.b.statesPerSec)} states/s (N = ${best.b.n}, ${best.r.path})`,
        met: best.b.statesPerSec >= 1e6,
      });
    }
  }
  return out;
}

export function markdown(r: PolicyLatencyReport, command: string): string {
  const lines: string[] = [];
  lines.push(`# Policy inference latency and throughput (bench/policy-latency.ts)`);
  lines.push('');
  lines.push(
    `Command: \`${command}\`. gmmrl ${r.gmmrlVersion}; ${r.host.cpu} × ${r.host.cores} cores (${describeLoad(r.host)}); Node ${r.host.node}; onnxruntime-node ${r.versions.onnxruntimeNode}; onnxruntime-web ${r.versions.onnxruntimeWeb}; TensorFlow.js ${r.versions.tfjs}. All calls greedy; single observations cycle through a pool of 256; batches timed run by run, throughput = N / median.`,
  );
  lines.push('');
  lines.push(
    `Floor (Identity graph, D = 4, session.run): onnxruntime-node ${fmtUs(r.floor.node)} µs, onnxruntime-web wasm ${fmtUs(r.floor.web)} µs (p50).` +
      (r.settings.isolate
        ? ' Each family was measured in a fresh process (--isolate), which measured the floor again; "× floor" divides by that one.'
        : ''),
  );
  lines.push('');
  const bigN = r.settings.bigBatch;
  const head = [
    'family',
    'backend',
    'path',
    'p50 µs',
    'p99 µs',
    'p99.9 µs',
    'mean µs',
    'calls',
    '× floor (p50)',
    `N = ${r.settings.batch} states/s`,
    `N = ${bigN} states/s`,
    'same actions as ORT',
  ];
  const body = r.rows.map((x) => {
    const floor = x.floorP50Us ?? (x.backend.startsWith('onnxruntime-web') ? r.floor.web : r.floor.node);
    const b1 = x.batches.find((b) => b.n === r.settings.batch);
    const b2 = x.batches.find((b) => b.n === bigN && bigN !== r.settings.batch);
    return [
      x.family === 'floor' ? 'floor (Identity)' : x.model,
      x.backend,
      x.path,
      x.single ? fmtUs(x.single.p50) : '—',
      x.single ? fmtUs(x.single.p99) : '—',
      x.single ? fmtUs(x.single.p999) : '—',
      x.single ? fmtUs(x.single.mean) : '—',
      x.single ? String(x.single.n) : '—',
      x.single && x.backend.startsWith('onnxruntime') ? `${(x.single.p50 / floor).toFixed(2)}×` : '—',
      b1 ? fmtRate(b1.statesPerSec) : '—',
      b2 ? fmtRate(b2.statesPerSec) : '—',
      x.agreesWithOrt === undefined ? '' : x.agreesWithOrt ? 'yes' : '**no**',
    ];
  });
  lines.push(
    markdownTable(
      head,
      body,
      head.map((_, i) => i >= 3 && i <= 10),
    ),
  );
  lines.push('');
  // side-by-side ratios per family
  lines.push(
    "Side by side (same run): onnxruntime-node `policy.act` against in-process TensorFlow.js, and the graph's own cost above the floor:",
  );
  lines.push('');
  const rh = [
    'family',
    'ORT-node p50 µs',
    '− floor µs (graph)',
    'TF.js wasm p50 ×',
    'TF.js cpu p50 ×',
    `ORT-node N = ${r.settings.batch} ×TF.js wasm`,
    'ORT-web wasm p50 µs',
  ];
  const rb: string[][] = [];
  for (const fam of BENCH_FAMILIES) {
    const n = find(r.rows, fam, 'onnxruntime-node cpu (1 thread)', 'policy.act');
    if (!n?.single) continue;
    const w = find(r.rows, fam, 'TensorFlow.js wasm', 'in-process');
    const c = find(r.rows, fam, 'TensorFlow.js cpu', 'in-process');
    const web = find(r.rows, fam, 'onnxruntime-web wasm (Node)', 'policy.act');
    const nb = n.batches.find((b) => b.n === r.settings.batch);
    const wb = w?.batches.find((b) => b.n === r.settings.batch);
    rb.push([
      n.model,
      fmtUs(n.single.p50),
      fmtUs(n.single.p50 - (n.floorP50Us ?? r.floor.node)),
      w?.single ? `${(w.single.p50 / n.single.p50).toFixed(1)}×` : '—',
      c?.single ? `${(c.single.p50 / n.single.p50).toFixed(1)}×` : '—',
      nb && wb ? `${(nb.statesPerSec / wb.statesPerSec).toFixed(1)}×` : '—',
      web?.single ? fmtUs(web.single.p50) : '—',
    ]);
  }
  lines.push(
    markdownTable(
      rh,
      rb,
      rh.map((_, i) => i > 0),
    ),
  );
  lines.push('');
  lines.push('Targets (issue 5 §6):');
  lines.push('');
  lines.push(
    markdownTable(
      ['what', 'target', 'measured', 'met'],
      r.targets.map((t) => [t.what, t.target, t.measured, t.met ? 'yes' : '**no**']),
      [false, false, false, false],
    ),
  );
  if (r.skipped.length) {
    lines.push('');
    lines.push(`Not measured: ${r.skipped.join('; ')}.`);
  }
  lines.push('');
  return lines.join('\n');
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<PolicyLatencyReport> {
  const { flags } = parseArgs('bench policy-latency', argv, FLAGS);
  const quick = flags.quick as boolean;
  const s: Settings = {
    calls: quick ? 50 : (flags.calls as number),
    batch: quick ? 64 : (flags.batch as number),
    bigBatch: quick ? 256 : (flags['big-batch'] as number),
    budgetS: quick ? 0.05 : (flags.budget as number),
    quick,
  };
  for (const [name, v] of [
    ['calls', s.calls],
    ['batch', s.batch],
  ] as const) {
    if (!(Number.isSafeInteger(v) && v >= 1))
      throw new ValueError(`bench policy-latency: --${name} is ${v}; it must be a positive integer.`);
  }
  if (!(s.bigBatch >= 0)) throw new ValueError(`bench policy-latency: --big-batch is ${s.bigBatch}; use 0 for none or a positive integer.`);
  if (!(s.budgetS > 0)) throw new ValueError(`bench policy-latency: --budget is ${s.budgetS}; it must be > 0 seconds.`);
  const families = String(flags.families)
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  for (const f of families) {
    if (!(BENCH_FAMILIES as readonly string[]).includes(f))
      throw new ValueError(
        `bench policy-latency: --families has ${JSON.stringify(f)}; expected a comma-separated subset of ${BENCH_FAMILIES.join(',')}.`,
      );
  }
  const json = flags.json as boolean;
  const log = (l: string) => {
    if (!json) console.error(l);
  };
  if (ortWeb.env.wasm.numThreads === undefined) ortWeb.env.wasm.numThreads = 1; // what the web entry does in Node
  const host = await hostInfo(quick ? 0 : 1000);
  const rows: Row[] = [];
  const skipped: string[] = [];

  // the floor, measured the same way as the models
  const floorRows = async (): Promise<[Row, Row]> => {
    const floorBytes = floorModel(4);
    const fpool = new Float32Array(256 * 4).map((_, i) => Math.sin(i));
    const fb = [new Float32Array(s.batch * 4).fill(0.5)];
    return [
      await sessionRow(ortNode, 'node1', floorBytes, 4, 0, fpool, fb, s, 'floor', 'Identity D=4'),
      await sessionRow(ortWeb, 'web', floorBytes, 4, 0, fpool, fb, s, 'floor', 'Identity D=4'),
    ];
  };
  const [fn, fw] = await floorRows();

  if (flags.child) {
    // measure here and hand the rows to the parent (last stdout line)
    for (const fam of families as BenchFamily[]) await familyRows(fam, s, rows, skipped, () => undefined);
    for (const r of rows) r.floorP50Us = (r.backend.startsWith('onnxruntime-web') ? fw : fn).single!.p50;
    console.log(JSON.stringify({ rows, skipped }));
    return { rows, skipped } as unknown as PolicyLatencyReport;
  }
  rows.push(fn, fw);
  const isolate = flags.isolate as boolean;
  for (const fam of families as BenchFamily[]) {
    if (!isolate) {
      await familyRows(fam, s, rows, skipped, log);
      continue;
    }
    // a fresh process per family: what one family leaves behind (ONNX Runtime arenas, TensorFlow.js
    // and wasm memory after the 65 536-state batches) slowed the next family's calls by up to 60 %
    log(`policy-latency: ${fam} (child process)`);
    const args = [
      fileURLToPath(import.meta.url),
      '--child',
      `--families=${fam}`,
      `--calls=${s.calls}`,
      `--batch=${s.batch}`,
      `--big-batch=${s.bigBatch}`,
      `--budget=${s.budgetS}`,
      ...(quick ? ['--quick'] : []),
    ];
    const res = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const last = (res.stdout ?? '').trim().split('\n').at(-1) ?? '';
    let got: { rows: Row[]; skipped: string[] } | null;
    try {
      got = JSON.parse(last) as { rows: Row[]; skipped: string[] };
    } catch {
      got = null;
    }
    if (res.status !== 0 || !got) {
      skipped.push(`${fam}: the child process failed (exit ${res.status}): ${(res.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
      continue;
    }
    rows.push(...got.rows);
    skipped.push(...got.skipped);
  }

  const floor = { node: fn.single!.p50, web: fw.single!.p50 };
  const report: PolicyLatencyReport = {
    bench: 'policy-latency',
    gmmrlVersion: GMMRL_VERSION,
    host,
    versions: { onnxruntimeNode: readVersion(ortNode, 'node'), onnxruntimeWeb: readVersion(ortWeb, 'web'), tfjs: tf.version_core },
    settings: { calls: s.calls, batch: s.batch, bigBatch: s.bigBatch, budgetS: s.budgetS, quick, isolate: flags.isolate as boolean },
    rows,
    floor,
    targets: targets(rows, floor.node),
    skipped,
  };
  writeReport('policy-latency', argv, report, (command) => markdown(report, command), flags.out as string, json);
  return report;
}

runIfScript(import.meta.url, main);
