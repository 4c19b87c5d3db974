/**
 * What one actor-critic training update costs (issue 4 §6), per available TensorFlow.js backend,
 * each next to its arithmetic:
 *
 *   node dist/bench/ac-updates.js [--ac-updates=20] [--quick] [--json] [--out=DIR]
 *
 * Updates (obs 3, action 1, MLPs 2 × 256, batch 256; the real learner classes, random batches):
 *   SG-RP    SacLearner, policy sg, estimator rp
 *   SGM-MRP  SacLearner, policy sgm, estimator mrp, K = 5
 *   Gamid    GamidLearner, N = 5 actors, policy delay 2 (the mean over both kinds of update)
 * FLOPs: only the matrix products (2·m·n·k each), counted from the layer sizes by acUpdateFlops;
 * for a 2 × 256 MLP on 256 rows they are > 98 % of the arithmetic. The "matMul floor" is those
 * FLOPs at the speed of one 256×256×256 tf.matMul measured on the same backend in the same run;
 * the "2-core floor" is the same FLOPs at 90 GFLOP/s (the machine's BLAS on both cores, reachable
 * only by a native backend).
 *
 * Second table (wasm): the fused optimizer path (FlatAdam, one Polyak step per update) against the
 * per-variable one (tfjs's AdamOptimizer, Polyak per variable; `fusedUpdates.enabled = false`),
 * interleaved in one run, median of 5 rounds, with the kernels one update dispatches (tf.profile).
 * Both paths give the same weights bit for bit (spec/refactor/fingerprints.spec.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'gmmrl';
import {
  DqnLearner,
  GAMID_DEFAULTS,
  TD3_DEFAULTS,
  Td3Learner,
  fusedUpdates,
  initMlp,
  GamidLearner,
  Rng,
  SAC_DEFAULTS,
  SacLearner,
  initDeterministicNetworks,
  initSacNetworks,
  selectBackend,
  type BackendName,
  type NormalizedBatch,
  type SacConfig,
} from 'gmmrl';

export const FLAGS = {
  'ac-updates': { type: 'int' as const, help: 'timed updates per configuration on wasm (cpu: a tenth)', default: 20 },
  quick: { type: 'boolean' as const, help: 'tiny run for tests: wasm only, 2 updates each', default: false },
  json: { type: 'boolean' as const, help: 'print the report as JSON', default: false },
  out: { type: 'string' as const, help: 'directory for ac-updates.{md,json}', default: 'bench/results' },
};

/** Matrix-product FLOPs of one forward pass of an MLP with these layer sizes, per row. */
export function mlpForwardFlops(layers: readonly number[]): number {
  let f = 0;
  for (let l = 0; l + 1 < layers.length; l++) f += 2 * layers[l]! * layers[l + 1]!;
  return f;
}

/**
 * Matrix-product FLOPs of one update on a batch of B. Per network pass: forward F, input gradient F,
 * weight gradient F (our dense layer computes exactly these; the frozen critic inside the actor loss
 * skips the weight gradient).
 *   SAC (M points per state in the actor loss, M = 1 for rp, K for mrp):
 *     target: actor F_a + two target critics 2F_c;  critic update: 2 × 3F_c;
 *     actor: actor 3F_a + two critics (F + input gradient) on M·B rows 4M·F_c
 *   Gamid (N actors, delay d): target N·F_a + N·2F_c (scores) + 2F_c; critic 6F_c; every d-th
 *     update the actors 3N·F_a and critic 1 (F + input gradient) on N·B rows 2N·F_c.
 */
export function acUpdateFlops(
  kind: 'sac' | 'gamid',
  B: number,
  actor: readonly number[],
  critic: readonly number[],
  M: number,
  N = 1,
  delay = 1,
): number {
  const Fa = mlpForwardFlops(actor);
  const Fc = mlpForwardFlops(critic);
  if (kind === 'sac') return B * (Fa + 2 * Fc + 6 * Fc + 3 * Fa + 4 * M * Fc);
  return B * (N * Fa + 2 * N * Fc + 2 * Fc + 6 * Fc + (3 * N * Fa + 2 * N * Fc) / delay);
}

interface Row {
  backend: string;
  update: string;
  ms: number;
  gflop: number;
  gflops_achieved: number;
  matmul_gflops: number;
  x_matmul_floor: number;
  x_two_core_floor: number;
}

const D = 3;
const A = 1;
const B = 256;
const H = [256, 256];

/** A random actor-critic batch (normal observations and rewards, uniform actions in [-1, 1], nothing done), drawn in field order. */
export function randomBatch(rng: Rng, size = B, obsDim = D, actDim = A): NormalizedBatch {
  const f = (n: number, g: () => number) => Float32Array.from({ length: n }, g);
  return {
    size,
    obs: f(size * obsDim, () => rng.normal()),
    nextObs: f(size * obsDim, () => rng.normal()),
    actions: f(size * actDim, () => rng.uniformRange(-1, 1)),
    rewards: f(size, () => rng.normal()),
    notDone: f(size, () => 1),
  };
}

function matmulGflops(reps: number): number {
  const a = tf.randomNormal([256, 256]);
  const b = tf.randomNormal([256, 256]);
  for (let i = 0; i < 3; i++) tf.tidy(() => tf.matMul(a, b).dataSync());
  const t = performance.now();
  for (let i = 0; i < reps; i++)
    tf.tidy(() => {
      const r = tf.matMul(a, b);
      if (i === reps - 1) r.dataSync();
    });
  const s = (performance.now() - t) / 1000 / reps;
  tf.dispose([a, b]);
  return (2 * 256 ** 3) / s / 1e9;
}

/** ms per 256×256×256 matMul in the forms a gradient needs: plain, transposed A or B, and batched [2, …]. */
export function matmulForms(reps: number): Record<string, number> {
  const a = tf.randomNormal([256, 256]);
  const b = tf.randomNormal([256, 256]);
  const a3 = tf.randomNormal([2, 256, 256]);
  const b3 = tf.randomNormal([2, 256, 256]);
  const forms: Record<string, () => tf.Tensor> = {
    'x·W': () => tf.matMul(a, b),
    'xᵀ·W (transposeA)': () => tf.matMul(a, b, true, false),
    'x·Wᵀ (transposeB)': () => tf.matMul(a, b, false, true),
    'transpose(x)·W (explicit transpose, our dense layer)': () => tf.matMul(tf.transpose(a), b),
    'batched [2]: per matrix': () => tf.div(tf.matMul(a3, b3), 1),
  };
  const out: Record<string, number> = {};
  for (const [name, f] of Object.entries(forms)) {
    for (let i = 0; i < 2; i++) tf.tidy(() => f().dataSync());
    const t = performance.now();
    for (let i = 0; i < reps; i++)
      tf.tidy(() => {
        const r = f();
        if (i === reps - 1) r.dataSync();
      });
    out[name] = (performance.now() - t) / reps / (name.startsWith('batched') ? 2 : 1);
  }
  tf.dispose([a, b, a3, b3]);
  return out;
}

async function timeUpdates(n: number, step: () => void, sync: () => unknown): Promise<number> {
  for (let i = 0; i < 2; i++) step();
  await sync();
  const t = performance.now();
  for (let i = 0; i < n; i++) step();
  await sync();
  return (performance.now() - t) / n;
}

export interface FusedRow {
  update: string;
  path: 'per-variable' | 'fused';
  ms: number;
  kernels: number;
  x_matmul_floor: number | null;
}

interface Case {
  step: () => void;
  sync: () => unknown;
  dispose: () => void;
  flops: number | null;
}

/** The fused-vs-per-variable table on the current backend: `make(fused)` builds a case with fusedUpdates set. */
export async function fusedTable(updates: number, mm: number, rng: Rng, rounds = 5): Promise<FusedRow[]> {
  const batch = randomBatch(rng);
  const sac = (hidden: number[], policy: 'sg' | 'sgm', estimator: 'rp' | 'mrp', K: number): Case => {
    const cfg: SacConfig = { ...SAC_DEFAULTS, hidden, policy, estimator, components: K };
    const L = new SacLearner(cfg, D, A, initSacNetworks(cfg, D, A, new Rng(1)));
    const noise = L.drawNoise(B, new Rng(3));
    const flops = acUpdateFlops('sac', B, L.actor.layers, L.critic.q[0].layers, L.M);
    return { step: () => L.update(batch, noise), sync: () => void L.takeStats(), dispose: () => L.dispose(), flops };
  };
  const det = (hidden: number[], N: number): Case => {
    const init = initDeterministicNetworks(hidden, N, D, A, new Rng(2));
    const xi = Float32Array.from({ length: B * A }, () => 0.1);
    const L =
      N === 1 ? new Td3Learner({ ...TD3_DEFAULTS, hidden }, D, A, init) : new GamidLearner({ ...GAMID_DEFAULTS, hidden }, D, A, init);
    const delay = N === 1 ? TD3_DEFAULTS.policyDelay : GAMID_DEFAULTS.policyDelay;
    const flops = acUpdateFlops('gamid', B, [D, ...hidden, A], [D + A, ...hidden, 1], 1, N, delay);
    return { step: () => L.update(batch, xi), sync: () => void L.takeStats(), dispose: () => L.dispose(), flops };
  };
  const dqn = (hidden: number[]): Case => {
    const nA = 3;
    const p = initMlp([D, ...hidden, nA], new Rng(4));
    const L = new DqnLearner(
      { ...p, obsOffset: new Float64Array(D), obsScale: new Float64Array(D).fill(1) },
      { gamma: 0.99, double: false, learningRate: 1e-3, huberDelta: 1, gradClip: 10 },
    );
    const r = new Rng(5);
    const db = {
      size: B,
      obs: Float32Array.from({ length: B * D }, () => r.normal()),
      nextObs: Float32Array.from({ length: B * D }, () => r.normal()),
      actions: Float32Array.from({ length: B }, () => r.integer(nA)),
      rewards: Float32Array.from({ length: B }, () => r.normal()),
      terminated: new Float32Array(B),
    };
    // online forward + input and weight gradients (3F) and the target forward (F)
    const flops = B * 4 * mlpForwardFlops([D, ...hidden, nA]);
    return { step: () => L.update(db as never), sync: () => L.takeLossMean(), dispose: () => L.dispose(), flops };
  };
  const cases: [string, () => Case][] = [
    ['SG-RP 2 × 256', () => sac(H, 'sg', 'rp', 1)],
    ['SGM-MRP (K = 5) 2 × 256', () => sac(H, 'sgm', 'mrp', 5)],
    ['TD3 2 × 256', () => det(H, 1)],
    ['Gamid (N = 5) 2 × 256', () => det(H, 5)],
    ['SG-RP 2 × 64', () => sac([64, 64], 'sg', 'rp', 1)],
    ['TD3 2 × 64', () => det([64, 64], 1)],
    ['DQN 2 × 64', () => dqn([64, 64])],
  ];
  const rows: FusedRow[] = [];
  const n = updates % 2 === 0 ? updates : updates + 1;
  for (const [name, make] of cases) {
    const built = ([false, true] as const).map((f) => {
      fusedUpdates.enabled = f;
      try {
        return make();
      } finally {
        fusedUpdates.enabled = true;
      }
    });
    try {
      const times: number[][] = [[], []];
      for (let round = 0; round < rounds; round++)
        for (const [i, c] of built.entries()) {
          fusedUpdates.enabled = i === 1;
          times[i]!.push(await timeUpdates(n, c.step, c.sync));
        }
      for (const [i, c] of built.entries()) {
        fusedUpdates.enabled = i === 1;
        // two updates profiled: the delayed actor step of TD3 and Gamid runs on every other one
        const prof = await tf.profile(() => {
          c.step();
          c.step();
        });
        const sorted = [...times[i]!].sort((a, b) => a - b);
        const ms = sorted[Math.floor(sorted.length / 2)]!;
        rows.push({
          update: name,
          path: i === 1 ? 'fused' : 'per-variable',
          ms,
          kernels: prof.kernels.length / 2,
          x_matmul_floor: c.flops === null ? null : ms / ((c.flops / 1e9 / mm) * 1000),
        });
      }
    } finally {
      fusedUpdates.enabled = true;
      built.forEach((c) => c.dispose());
    }
  }
  return rows;
}

export async function main(argv: string[]): Promise<Row[]> {
  const { flags } = parseArgs('bench ac-updates', argv, FLAGS);
  const rows: Row[] = [];
  const skipped: string[] = [];
  const forms: Record<string, Record<string, number>> = {};
  const backends: BackendName[] = flags.quick ? ['wasm'] : ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
  for (const backend of backends) {
    try {
      await selectBackend(backend);
    } catch (e) {
      skipped.push(`${backend}: ${(e as Error).message.split('\n')[1]?.trim() ?? 'unavailable'}`);
      continue;
    }
    const n = flags.quick
      ? 2
      : backend === 'cpu'
        ? Math.max(2, Math.round((flags['ac-updates'] as number) / 10))
        : (flags['ac-updates'] as number);
    const mm = matmulGflops(flags.quick ? 3 : backend === 'cpu' ? 5 : 100);
    forms[backend] = matmulForms(flags.quick ? 2 : backend === 'cpu' ? 3 : 20);
    const rng = new Rng(0);
    const batch = randomBatch(rng);
    const configs: [string, () => { step: () => void; sync: () => void; dispose: () => void; flops: number }][] = [
      ['SG-RP', () => sacCase({ ...SAC_DEFAULTS, hidden: H, policy: 'sg', estimator: 'rp', components: 1 })],
      ['SGM-MRP (K = 5)', () => sacCase({ ...SAC_DEFAULTS, hidden: H, policy: 'sgm', estimator: 'mrp', components: 5 })],
      ['Gamid (N = 5)', () => gamidCase()],
    ];
    function sacCase(cfg: SacConfig) {
      const L = new SacLearner(cfg, D, A, initSacNetworks(cfg, D, A, new Rng(1)));
      const noise = L.drawNoise(B, rng);
      const flops = acUpdateFlops('sac', B, L.actor.layers, L.critic.q[0].layers, L.M);
      return { step: () => L.update(batch, noise), sync: () => void L.takeStats(), dispose: () => L.dispose(), flops };
    }
    function gamidCase() {
      const L = new GamidLearner({ ...GAMID_DEFAULTS, hidden: H }, D, A, initDeterministicNetworks(H, 5, D, A, new Rng(2)));
      const xi = Float32Array.from({ length: B * A }, () => rng.normal());
      const flops = acUpdateFlops('gamid', B, L.actors[0]!.layers, L.critic.q[0].layers, 1, 5, GAMID_DEFAULTS.policyDelay);
      return { step: () => L.update(batch, xi), sync: () => void L.takeStats(), dispose: () => L.dispose(), flops };
    }
    for (const [name, make] of configs) {
      const c = make();
      try {
        const ms = await timeUpdates(n % 2 === 0 ? n : n + 1, c.step, c.sync); // an even count: Gamid's delayed actor step is averaged fairly
        const gflop = c.flops / 1e9;
        rows.push({
          backend,
          update: name,
          ms,
          gflop,
          gflops_achieved: gflop / (ms / 1000),
          matmul_gflops: mm,
          x_matmul_floor: ms / ((gflop / mm) * 1000),
          x_two_core_floor: ms / ((gflop / 90) * 1000),
        });
      } finally {
        c.dispose();
      }
    }
  }
  let fused: FusedRow[] = [];
  try {
    await selectBackend('wasm');
    const mm = matmulGflops(flags.quick ? 3 : 100);
    fused = await fusedTable(flags.quick ? 2 : (flags['ac-updates'] as number), mm, new Rng(9), flags.quick ? 1 : 5);
  } catch (e) {
    skipped.push(`fused-vs-per-variable table: ${(e as Error).message}`);
  }
  const sg = (b: string) => rows.find((r) => r.backend === b && r.update === 'SG-RP');
  const md = [
    "| backend | update | ms | GFLOP (matmuls) | achieved GFLOP/s | this backend's 256³ matMul | × matMul floor | × 2-core floor (90 GFLOP/s) | vs SG-RP |",
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.backend} | ${r.update} | ${r.ms.toFixed(1)} | ${r.gflop.toFixed(3)} | ${r.gflops_achieved.toFixed(1)} | ${r.matmul_gflops.toFixed(1)} GFLOP/s | ${r.x_matmul_floor.toFixed(2)} | ${r.x_two_core_floor.toFixed(1)} | ${(r.ms / sg(r.backend)!.ms).toFixed(2)}× |`,
    ),
    '',
    `Obs 3, action 1, MLPs 2 × 256, batch 256. Not available here: ${skipped.join('; ') || 'none'}. Command: \`npm run bench\` (or \`node dist/bench/ac-updates.js\`).`,
    '',
    'One 256×256×256 matMul in the forms a gradient needs (ms; why the dense layer transposes explicitly):',
    '',
    `| form | ${Object.keys(forms).join(' | ')} |`,
    `|---|${Object.keys(forms)
      .map(() => '---:')
      .join('|')}|`,
    ...Object.keys(Object.values(forms)[0] ?? {}).map(
      (f) =>
        `| ${f} | ${Object.values(forms)
          .map((m) => m[f]!.toFixed(2))
          .join(' | ')} |`,
    ),
    '',
    'wasm, optimizer path: per-variable (tfjs AdamOptimizer, Polyak per variable) vs fused (FlatAdam, one Polyak step); the same weights bit for bit. Median of 5 interleaved rounds; kernels per update from tf.profile (TD3, Gamid: mean over the two kinds of update):',
    '',
    '| update | path | ms | kernels / update | × matMul floor | fused vs per-variable |',
    '|---|---|---:|---:|---:|---:|',
    ...fused.map((r) => {
      const old = fused.find((o) => o.update === r.update && o.path === 'per-variable')!;
      return `| ${r.update} | ${r.path} | ${r.ms.toFixed(2)} | ${r.kernels} | ${r.x_matmul_floor?.toFixed(2) ?? '—'} | ${(r.ms / old.ms).toFixed(2)}× |`;
    }),
  ];
  if (!flags.quick) {
    mkdirSync(String(flags.out), { recursive: true });
    writeFileSync(join(String(flags.out), 'ac-updates.md'), md.join('\n') + '\n');
    writeFileSync(
      join(String(flags.out), 'ac-updates.json'),
      JSON.stringify({ rows, matmul_forms_ms: forms, fused, skipped }, null, 2) + '\n',
    );
  }
  console.log(
    flags.json
      ? JSON.stringify({ rows, matmul_forms_ms: forms, fused, skipped })
      : ['', '## One actor-critic update (issue 4 §6)', '', ...md].join('\n'),
  );
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
