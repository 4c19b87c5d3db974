/**
 * Run by spec/sdk/backend-webgpu.spec.ts in a child process (the WebGPU backend needs its Vulkan
 * environment at process start, and must not change the test process's backend):
 *
 *   node dist/spec/sdk/webgpu-check.js select <auto|webgpu>   → {"name", "adapter", "skipped"} or {"error"}
 *   node dist/spec/sdk/webgpu-check.js updates                → relative |webgpu − cpu| after 3 SAC and 3 DQN updates
 *   node dist/spec/sdk/webgpu-check.js learn [steps]          → a DQN's TD loss before/after `steps` updates on webgpu
 *   node dist/spec/sdk/webgpu-check.js readsync               → what a dataSync() of a GPU tensor does
 *
 * Prints one JSON line.
 */
import { selectBackend, tf, type BackendName } from '../../sdk/backend.js';
import { SacLearner } from '../../sdk/algorithms/learners/sac.js';
import { DqnLearner } from '../../sdk/algorithms/learners/dqn.js';
import { SAC_DEFAULTS } from '../../sdk/algorithms/sac-spec.js';
import { initSacNetworks } from '../../sdk/algorithms/sac.js';
import { Rng } from '../../sdk/util/rng.js';
import type { MlpParams } from '../../models/actor-critic/mlp.js';
import type { TfMlp } from '../../models/actor-critic/tf-mlp.js';
import { dqnTdLoss, dqnTdTargets } from '../../models/dqn/reference.js';
import { randomBatch, randomDqnParams } from '../models/dqn/fixtures.js';
import { randomBatch as randomAcBatch } from '../../bench/ac-updates.js';

/**
 * Every parameter of the networks, flattened (weights then biases, layer by layer), read with
 * tensor.data(): tfjs-backend-webgpu reads synchronously (dataSync) only in browsers.
 */
async function read(nets: readonly TfMlp[]): Promise<number[]> {
  const out: number[] = [];
  for (const net of nets) for (const v of net.vars()) out.push(...(await v.data()));
  return out;
}

function flatParams(nets: readonly MlpParams[]): number[] {
  return nets.flatMap((p) => [...p.weights.flatMap((w) => Array.from(w)), ...p.biases.flatMap((b) => Array.from(b))]);
}

/** max |a − b| / (1 + max |b|): the disagreement relative to the parameters' scale. */
function relDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / (1 + s);
}

const D = 3;
const A = 1;
const B = 64;
const DQN_LAYERS = [4, 64, 64, 2];
const DQN_OPTS = { gamma: 0.99, double: true, learningRate: 1e-3, huberDelta: 1, gradClip: 10 };

/** The DQN learner's online network (private: its params() reads synchronously). */
const onlineOf = (l: DqnLearner): TfMlp => (l as unknown as { online: TfMlp }).online;

/** Parameters after `updates` SAC SG-RP updates (2 × 64, batch 64) and DQN updates, from fixed weights and batches. */
async function runUpdates(
  backend: BackendName,
  updates: number,
): Promise<{ sac: number[]; sac0: number[]; dqn: number[]; dqn0: number[] }> {
  await selectBackend(backend);
  const cfg = { ...SAC_DEFAULTS, hidden: [64, 64], policy: 'sg' as const, estimator: 'rp' as const, components: 1 };
  const init = initSacNetworks(cfg, D, A, new Rng(1));
  const sac = new SacLearner(cfg, D, A, init);
  const rng = new Rng(2);
  const batch = randomAcBatch(rng, B, D, A);
  const noiseRng = new Rng(3);
  for (let u = 0; u < updates; u++) sac.update(batch, sac.drawNoise(B, noiseRng));
  const sacAfter = await read([sac.actor, ...sac.critic.q]);
  sac.dispose();

  const drng = new Rng(4);
  const p = randomDqnParams(drng, DQN_LAYERS);
  const dqn = new DqnLearner(p, DQN_OPTS);
  const dbatch = randomBatch(drng, p, B);
  for (let u = 0; u < updates; u++) dqn.update(dbatch);
  const dqnAfter = await read([onlineOf(dqn)]);
  dqn.dispose();
  return { sac: sacAfter, sac0: flatParams([init.actor, ...init.critics]), dqn: dqnAfter, dqn0: flatParams([p]) };
}

/**
 * A short training run on webgpu: DQN regressing on one fixed batch against its fixed initial target
 * network. The TD loss (float64 reference, models/dqn/reference.ts) must fall.
 */
async function learn(steps: number): Promise<{ before: number; after: number }> {
  await selectBackend('webgpu');
  const rng = new Rng(5);
  const p = randomDqnParams(rng, DQN_LAYERS);
  const batch = randomBatch(rng, p, B);
  const opts = { ...DQN_OPTS, double: false, learningRate: 3e-3 };
  const dqn = new DqnLearner(p, opts);
  const y = dqnTdTargets(p, p, batch, opts.gamma, false); // the target network stays the initial one
  for (let u = 0; u < steps; u++) dqn.update(batch);
  const w = await read([onlineOf(dqn)]);
  dqn.dispose();
  let at = 0;
  const take = (n: number) => Float64Array.from(w.slice(at, (at += n)));
  const L = DQN_LAYERS.length - 1;
  const weights = DQN_LAYERS.slice(0, L).map((nin, l) => take(nin * DQN_LAYERS[l + 1]!));
  const biases = DQN_LAYERS.slice(1).map((n) => take(n));
  return { before: dqnTdLoss(p, batch, y, opts.huberDelta), after: dqnTdLoss({ ...p, weights, biases }, batch, y, opts.huberDelta) };
}

async function main(): Promise<unknown> {
  const [cmd, arg] = process.argv.slice(2);
  if (cmd === 'select') {
    try {
      const info = await selectBackend(arg as BackendName);
      return { name: info.name, adapter: info.adapter ?? null, skipped: info.skipped };
    } catch (err) {
      return { error: (err as Error).message, errorName: (err as Error).name };
    }
  }
  if (cmd === 'updates') {
    const updates = 3;
    const cpu = await runUpdates('cpu', updates);
    const gpu = await runUpdates('webgpu', updates);
    return {
      updates,
      sac: relDiff(gpu.sac, cpu.sac),
      dqn: relDiff(gpu.dqn, cpu.dqn),
      sacMoved: relDiff(cpu.sac, cpu.sac0),
      dqnMoved: relDiff(cpu.dqn, cpu.dqn0),
    };
  }
  if (cmd === 'learn') return learn(Number(arg ?? 40));
  if (cmd === 'readsync') {
    await selectBackend('webgpu');
    const t = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])); // big enough to run on the GPU (tfjs runs small ops on the CPU)
    try {
      t.dataSync();
      return { error: null };
    } catch (err) {
      return { error: (err as Error).message, errorName: (err as Error).name };
    }
  }
  throw new Error(`webgpu-check: unknown command ${JSON.stringify(cmd)} (select, updates, learn, readsync)`);
}

const out = await main();
process.stdout.write(`${JSON.stringify(out)}\n`);
// dawn.node keeps a device thread alive; the result is written, so end here
process.exit(0);
