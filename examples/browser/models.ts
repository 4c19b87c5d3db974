/**
 * The models the browser example serves, the browser test checks and the browser latency bench
 * times (Node only: this file uses the exporters, which the page never imports).
 *
 * - `cartpole-gmmqf`: a hand-built GMM-QF for CartPole-v1 that balances the pole. K = 3 Gaussians in
 *   normalized coordinates z = obs / scale: two at ±c·v̂ with the same isotropic covariance σ²I,
 *   ξ = [0, W] (push right) and [W, 0] (push left), and one broad component with ξ = [B, B] (a
 *   constant-ish baseline, so the Q values look like a value function). Equal covariances make
 *   argmax_a Q(s, a) = [v·z > 0] exactly (the baseline adds the same to both actions); with
 *   v_i = k_i·scale_i, v·z = k·obs, the linear switching controller k = [0.05, 0.1, 1, 0.2], which
 *   keeps CartPole-v1 up for all 500 steps (checked on seeds 0…19 when this fixture was chosen; the
 *   test asserts only page = Node, not the length).
 * - `pendulum-mixture-actor`: a hand-built mixture actor for Pendulum-v1, K = 3 learned-weight
 *   components: "pump" (torque 2·tanh θ̇, chosen below the horizontal), "balance" (2·tanh(−(8 sin θ
 *   + 2 θ̇)), chosen above) and "idle" (0). Greedy, it swings the pendulum up and holds it (returns
 *   about −120 … −260 on seeds 0…7 when chosen); the mixture weights switch visibly as it turns.
 *
 * The browser test also runs bench/models.ts's models (random, shaped like trained ones; the same
 * files the latency benches time). Every builder is deterministic, so the page, Node and the benches
 * see the same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  exportGmmQf,
  exportMixtureActor,
  headOutputSize,
  LOG_STD_MAX,
  LOG_STD_MIN,
  type GmmQfParams,
  type MixtureActorParams,
} from 'gmmrl';
import { CARTPOLE_V1, PENDULUM_V1 } from 'gmmrl/envs';

export interface DemoModel {
  /** File stem, e.g. "cartpole-gmmqf" (served as models/<name>.onnx). */
  name: string;
  envId: string;
  family: string;
  description: string;
  bytes: Uint8Array;
}

/** CartPole observation scale of the hand-built GMM-QF (z = obs / scale). */
export const CARTPOLE_SCALE = [2.4, 3, 0.21, 3] as const;
/** The switching controller the hand-built GMM-QF encodes: push right iff k·obs > 0. */
export const CARTPOLE_GAINS = [0.05, 0.1, 1, 0.2] as const;

/** The GMM-QF parameters of `cartpole-gmmqf` (see the file header). */
export function cartpoleGmmQfParams(): GmmQfParams {
  const D = 4;
  const A = 2;
  const K = 3;
  const v = CARTPOLE_GAINS.map((k, i) => k * CARTPOLE_SCALE[i]!);
  const norm = Math.hypot(...v);
  const c = 0.5; // distance of the two action components from the origin (in z units)
  const sigma2 = 4; // their common isotropic variance
  const means = new Float64Array(K * D);
  for (let i = 0; i < D; i++) {
    means[0 * D + i] = (c * v[i]!) / norm; // push-right component
    means[1 * D + i] = (-c * v[i]!) / norm; // push-left component
    means[2 * D + i] = 0; // baseline
  }
  const covariances = new Float64Array(K * D * D);
  for (let i = 0; i < D; i++) {
    covariances[0 * D * D + i * D + i] = sigma2;
    covariances[1 * D * D + i * D + i] = sigma2;
    covariances[2 * D * D + i * D + i] = 25;
  }
  const W = 10;
  const B = 20;
  const weights = Float64Array.from([0, W, W, 0, B, B]);
  return { K, D, A, means, covariances, weights, obsOffset: new Float64Array(D), obsScale: Float64Array.from(CARTPOLE_SCALE) };
}

function observationSpaceOf(space: { shape: readonly number[]; low: Float64Array; high: Float64Array }): {
  shape: number[];
  low: number[];
  high: number[];
} {
  return { shape: [...space.shape], low: Array.from(space.low), high: Array.from(space.high) };
}

export function cartpoleGmmQf(): Uint8Array {
  return exportGmmQf(cartpoleGmmQfParams(), {
    envId: 'CartPole-v1',
    observationSpace: observationSpaceOf(CARTPOLE_V1.observationSpace),
    training: { algorithm: 'hand-built', note: `examples/browser/models.ts: argmax Q = [k·obs > 0], k = [${CARTPOLE_GAINS.join(', ')}]` },
  });
}

/** Gains of the hand-built Pendulum actor's balancing component: μ₁ = −(k₁ sin θ + k₂ θ̇). */
export const PENDULUM_GAINS = { k1: 8, k2: 2, pump: 1, gate: 4 } as const;

/**
 * The mixture-actor parameters of `pendulum-mixture-actor` (hand-built; see the file header).
 * MLP [3, 6, 9]: z = [cos θ, sin θ, θ̇/8]; hidden h = relu of [θ̇, −θ̇, cos θ, −cos θ, sin θ, −sin θ];
 * output [logits(3) | μ(3) | ρ(3)] with
 *   logits = [gate·relu(−cos θ), gate·relu(cos θ), −1]   (pump below the horizontal, balance above)
 *   μ      = [pump·θ̇, −(k₁ sin θ + k₂ θ̇), 0]           (pre-tanh; env torque = 2 tanh μ)
 *   ρ      = 0                                          (log σ = −1.5 for sampling)
 */
export function pendulumMixtureActorParams(): MixtureActorParams {
  const { k1, k2, pump, gate } = PENDULUM_GAINS;
  const W0 = new Float64Array(3 * 6);
  const b0 = new Float64Array(6);
  const w0 = (i: number, j: number, v: number) => (W0[i * 6 + j] = v);
  w0(2, 0, 8); // relu(θ̇)   (z₂ = θ̇ / 8)
  w0(2, 1, -8); // relu(−θ̇)
  w0(0, 2, 1); // relu(cos θ)
  w0(0, 3, -1); // relu(−cos θ)
  w0(1, 4, 1); // relu(sin θ)
  w0(1, 5, -1); // relu(−sin θ)
  const W1 = new Float64Array(6 * 9);
  const b1 = new Float64Array(9);
  const w1 = (i: number, j: number, v: number) => (W1[i * 9 + j] = v);
  w1(3, 0, gate); // logit 0: pump when the pendulum is below the horizontal
  w1(2, 1, gate); // logit 1: balance when above
  b1[2] = -1; // logit 2: the idle component (μ = 0)
  w1(0, 3, pump); // μ0 = pump·θ̇
  w1(1, 3, -pump);
  w1(4, 4, -k1); // μ1 = −(k1 sin θ + k2 θ̇)
  w1(5, 4, k1);
  w1(0, 4, -k2);
  w1(1, 4, k2);
  const head = { K: 3, A: 1, weights: 'learned' as const, logStdMin: LOG_STD_MIN, logStdMax: LOG_STD_MAX };
  if (headOutputSize(head) !== 9) throw new Error('pendulumMixtureActorParams: head layout changed');
  return {
    head,
    trunk: { layers: [3, 6, 9], weights: [W0, W1], biases: [b0, b1] },
    obsOffset: new Float64Array(3),
    obsScale: Float64Array.from([1, 1, 8]),
    actionLow: Float64Array.from(PENDULUM_V1.actionSpace.kind === 'box' ? PENDULUM_V1.actionSpace.low : [-2]),
    actionHigh: Float64Array.from(PENDULUM_V1.actionSpace.kind === 'box' ? PENDULUM_V1.actionSpace.high : [2]),
  };
}

export function pendulumMixtureActor(): Uint8Array {
  return exportMixtureActor(pendulumMixtureActorParams(), {
    envId: 'Pendulum-v1',
    observationSpace: observationSpaceOf(PENDULUM_V1.observationSpace),
    training: { algorithm: 'hand-built', note: 'examples/browser/models.ts: pump energy below the horizontal, balance above' },
  });
}

/** Every demo model, in the order the page lists them. */
export function demoModels(): DemoModel[] {
  return [
    {
      name: 'cartpole-gmmqf',
      envId: 'CartPole-v1',
      family: 'gmmqf',
      description: 'hand-built GMM-QF (K=3) that balances the pole',
      bytes: cartpoleGmmQf(),
    },
    {
      name: 'pendulum-mixture-actor',
      envId: 'Pendulum-v1',
      family: 'mixture-actor',
      description: 'hand-built mixture actor (K=3) that swings up and balances',
      bytes: pendulumMixtureActor(),
    },
  ];
}

/**
 * Writes every demo model to `dir` as <name>.onnx plus index.json ([{ name, file, envId, family,
 * description, bytes }]), the list the page offers. Returns the models.
 */
export function writeDemoModels(dir: string): DemoModel[] {
  mkdirSync(dir, { recursive: true });
  const models = demoModels();
  for (const m of models) writeFileSync(join(dir, `${m.name}.onnx`), m.bytes);
  const index = models.map((m) => ({
    name: m.name,
    file: `${m.name}.onnx`,
    envId: m.envId,
    family: m.family,
    description: m.description,
    bytes: m.bytes.length,
  }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  return models;
}
