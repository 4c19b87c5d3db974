/**
 * Issue 15 §2, using every core: one SAC SG-RP update (obs 3, action 1, 2 × 256, batch 256) on the
 * single-threaded wasm build and on `wasm-threads` with 1 and 2 threads, and two seeds of a tiny
 * `gmmrl train sac` run through runPool in parallel vs one after the other.
 *
 *   node dist/bench/cores.js [--updates=20] [--reps=3] [--steps=600]
 *
 * A process starts the wasm module once, so each update timing is a child process (this script
 * with --child); the configurations are interleaved, --reps times, and the medians reported.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { randomBatch } from './ac-updates.js';
import { parseArgs, Rng, SAC_DEFAULTS, SacLearner, initSacNetworks, runPool, selectBackend, type BackendName } from 'gmmrl';

const FLAGS = {
  updates: { type: 'int' as const, help: 'timed updates per child', default: 20 },
  reps: { type: 'int' as const, help: 'interleaved repetitions (medians)', default: 3 },
  steps: { type: 'int' as const, help: 'steps of each tiny SAC run for the pool', default: 600 },
  child: { type: 'string' as const, help: 'internal: BACKEND:THREADS, time the update and print ms', default: '' },
};
const D = 3;
const A = 1;
const B = 256;

async function child(spec: string, n: number): Promise<void> {
  const [backend, threads] = spec.split(':') as [BackendName, string];
  const info = await selectBackend(backend, { wasmThreads: Number(threads) });
  const cfg = { ...SAC_DEFAULTS, hidden: [256, 256], policy: 'sg' as const, estimator: 'rp' as const, components: 1 };
  const rng = new Rng(0);
  const L = new SacLearner(cfg, D, A, initSacNetworks(cfg, D, A, new Rng(1)));
  const batch = randomBatch(rng, B, D, A);
  const noise = L.drawNoise(B, rng);
  for (let i = 0; i < 3; i++) L.update(batch, noise);
  L.takeStats();
  const t = performance.now();
  for (let i = 0; i < n; i++) L.update(batch, noise);
  L.takeStats();
  const ms = (performance.now() - t) / n;
  L.dispose();
  console.log(JSON.stringify({ ms, threads: info.threads, mm256: matmulMs(256, 50), mm1024: matmulMs(1024, 5) }));
}

/** ms per n×n×n tf.matMul. */
function matmulMs(n: number, reps: number): number {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  tf.tidy(() => tf.matMul(a, b).dataSync());
  const t = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => tf.matMul(a, b).dataSync());
  tf.dispose([a, b]);
  return (performance.now() - t) / reps;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(argv: string[]): Promise<void> {
  const { flags } = parseArgs('bench cores', argv, FLAGS);
  if (flags.child) return child(String(flags.child), flags.updates as number);
  const self = fileURLToPath(import.meta.url);
  const configs = ['wasm:1', 'wasm-threads:1', 'wasm-threads:2'];
  const ms: Record<string, number[]> = Object.fromEntries(configs.map((c) => [c, []]));
  const mm: Record<string, { mm256: number[]; mm1024: number[] }> = Object.fromEntries(configs.map((c) => [c, { mm256: [], mm1024: [] }]));
  for (let r = 0; r < (flags.reps as number); r++)
    for (const c of configs) {
      const p = spawnSync(process.execPath, [self, `--child=${c}`, `--updates=${flags.updates}`], { encoding: 'utf8' });
      if (p.status !== 0) throw new Error(`${c}: exit ${p.status}\n${p.stderr}`);
      const o = JSON.parse(p.stdout.trim().split('\n').pop()!) as { ms: number; mm256: number; mm1024: number };
      ms[c]!.push(o.ms);
      mm[c]!.mm256.push(o.mm256);
      mm[c]!.mm1024.push(o.mm1024);
    }
  const base = median(ms['wasm:1']!);
  const lines = [
    '| backend | threads | ms per SG-RP update (median) | runs | vs wasm | 256³ matMul ms | 1024³ matMul ms |',
    '|---|---:|---:|---|---:|---:|---:|',
  ];
  for (const c of configs) {
    const [b, t] = c.split(':');
    const m = median(ms[c]!);
    lines.push(
      `| ${b} | ${t} | ${m.toFixed(1)} | ${ms[c]!.map((x) => x.toFixed(1)).join(', ')} | ${(m / base).toFixed(2)}× | ${median(mm[c]!.mm256).toFixed(2)} | ${median(mm[c]!.mm1024).toFixed(1)} |`,
    );
  }
  const tmp = mkdtempSync(join(tmpdir(), 'gmmrl-bench-cores-'));
  try {
    const sac = (seed: number) => [
      'train',
      'sac',
      '--env',
      'Pendulum-v1',
      '--steps',
      String(flags.steps),
      '--warmup-steps',
      '200',
      '--seed',
      String(seed),
      '--quiet',
    ];
    const wall: Record<string, number[]> = { 'one after another': [], parallel: [] };
    for (let r = 0; r < (flags.reps as number); r++)
      for (const [mode, concurrency] of [
        ['one after another', 1],
        ['parallel', 2],
      ] as const) {
        const t = performance.now();
        const res = await runPool(
          [1, 2].map((s) => ({ args: sac(s), out: join(tmp, `${mode}-${r}-${s}`) })),
          { concurrency, handleSignals: false },
        );
        for (const x of res) if (x.status !== 'ok') throw new Error(x.error);
        wall[mode]!.push((performance.now() - t) / 1000);
      }
    const s = median(wall['one after another']!);
    const p = median(wall.parallel!);
    lines.push(
      '',
      `Two seeds of \`gmmrl train sac --env Pendulum-v1 --steps ${flags.steps}\` (2 × 256, batch 256): one after another ${s.toFixed(1)} s, in parallel (runPool, concurrency 2) ${p.toFixed(1)} s: ${(s / p).toFixed(2)}× (medians of ${flags.reps}).`,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(['', '## Using every core (issue 15 §2)', '', ...lines, '', 'Command: `node dist/bench/cores.js`.'].join('\n'));
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
