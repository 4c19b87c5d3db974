/**
 * What loading a model costs, and how much of it is the integrity check (runtime/digest.ts): per
 * bench family (bench/models.ts) and for a large DQN (4 → 1024 → 1024 → 3, about 4 MiB), the
 * median of `loadPolicy(bytes)` on onnxruntime-node (cpu) and of the digest check alone, with the
 * node entry's hash (node:crypto) and the web entry's (the pure-JS SHA-256).
 *
 *   node dist/bench/model-load.js [--reps=20] [--quick] [--json] [--out=bench/results]
 *
 * Results: bench/results/model-load.{json,md}.
 */
import { createHash } from 'node:crypto';
import { parseArgs, dqnBenchParams, exportDqn, randomMlp, Rng, GMMRL_VERSION } from 'gmmrl';
import { checkModelDigest, loadPolicy, type NewHash } from 'gmmrl/runtime/node';
import { BENCH_FAMILIES, buildBenchModel } from './models.js';
import { describeLoad, elapsedNs, hostInfo, markdownTable, runIfScript, writeReport, type HostInfo } from './stats.js';

const FLAGS = {
  reps: { type: 'int' as const, help: 'timed repetitions per measurement (median reported)', default: 20 },
  quick: { type: 'boolean' as const, help: 'tiny run for tests (3 repetitions, no large DQN)', default: false },
  json: { type: 'boolean' as const, help: 'print the report as JSON', default: false },
  out: { type: 'string' as const, help: 'directory for model-load.{md,json} ("" to skip writing)', default: 'bench/results' },
};

const nodeSha256: NewHash = () => {
  const h = createHash('sha256');
  return { update: (d: Uint8Array) => h.update(d), hex: () => h.digest('hex') };
};

export interface LoadRow {
  model: string;
  bytes: number;
  /** Median ms of loadPolicy (node entry, cpu), digest included. */
  loadMs: number;
  /** Median ms of the digest check alone: node:crypto (node entry) and pure JS (web entry). */
  digestNodeMs: number;
  digestJsMs: number;
}

export interface ModelLoadReport {
  version: string;
  host: HostInfo;
  reps: number;
  rows: LoadRow[];
}

async function median(reps: number, fn: () => unknown): Promise<number> {
  await fn(); // warm-up
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    t.push(elapsedNs(t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

function bigDqn(): Uint8Array {
  const m = randomMlp([4, 1024, 1024, 3], new Rng(3));
  const base = dqnBenchParams();
  return exportDqn(
    { ...base, ...m },
    {
      envId: 'Synthetic4D-v0',
      observationSpace: { shape: [4], low: [-1, -1, -1, -1], high: [1, 1, 1, 1] },
      actionSpace: { kind: 'discrete', n: 3 },
    },
  );
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<ModelLoadReport> {
  const { flags } = parseArgs('bench model-load', argv, FLAGS);
  const a = flags as { reps: number; quick: boolean; json: boolean; out: string };
  const reps = a.quick ? 3 : a.reps;
  const models: [string, Uint8Array][] = BENCH_FAMILIES.map((f) => [f, buildBenchModel(f).bytes]);
  if (!a.quick) models.push(['dqn 4-1024-1024-3', bigDqn()]);
  const rows: LoadRow[] = [];
  for (const [model, bytes] of models) {
    const loadMs = await median(reps, async () => (await loadPolicy(bytes, { executionProviders: ['cpu'] })).dispose());
    const digestNodeMs = await median(reps * 5, () => checkModelDigest(bytes, nodeSha256));
    const digestJsMs = await median(reps * 5, () => checkModelDigest(bytes));
    rows.push({ model, bytes: bytes.length, loadMs, digestNodeMs, digestJsMs });
  }
  const report: ModelLoadReport = { version: GMMRL_VERSION, host: await hostInfo(), reps, rows };
  const f = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(2));
  writeReport(
    'model-load',
    argv,
    report,
    (command) =>
      `# Model load and integrity check\n\n\`${command}\` (gmmrl ${report.version}; ${describeLoad(report.host)}; median of ${reps})\n\n` +
      markdownTable(
        ['model', 'bytes', 'loadPolicy ms (node, cpu)', 'digest ms (node:crypto)', 'digest ms (pure JS, web entry)'],
        rows.map((r) => [r.model, r.bytes, f(r.loadMs), f(r.digestNodeMs), f(r.digestJsMs)]),
        [false, true, true, true, true],
      ) +
      '\n',
    a.out,
    a.json,
  );
  return report;
}

runIfScript(import.meta.url, main);
