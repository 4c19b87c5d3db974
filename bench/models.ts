/**
 * The models of the inference benchmarks, one per family, built from seeded synthetic parameters and
 * exported with gmmrl's own exporters (default options: float32, sampling head with noise inputs —
 * the file a user deploys). Browser-safe (no Node APIs): this is the hook the Chromium bench reuses
 * (`buildBenchModel(family)` → ONNX bytes and an observation pool; `floorModel(D)` → the Identity
 * graph that measures ONNX Runtime's own per-call cost).
 *
 *   gmmqf          GMM-QF K = 50, D = 4, A = 3 (discrete)                     bench/ort-latency's model
 *   dqn            DQN MLP [4, 64, 64, 3] (2 × 64 ReLU), A = 3 (discrete)
 *   mixture-actor  SAC mixture actor, D = 3 (Pendulum-v1), MLP 2 × 256, K = 5, A = 1, box [−2, 2]
 *   gamid-actor    Gamid actor, D = 3 (Pendulum-v1), C = 5 actor MLPs 2 × 256, critic Q₁ 2 × 256, A = 1
 *
 * The parameters are random but shaped like trained ones (He-uniform hidden layers, modest output
 * layers, SPD covariances, normalization matching the observation pool), so every branch of the
 * graph is exercised (mixture weights not degenerate, several argmax winners across the pool).
 */
import { exportDqn, exportGamidActor, exportGmmQf, exportMixtureActor, ElemType, GraphBuilder } from '../exporters/index.js';
import type { GmmQfParams } from '../models/gmmqf/params.js';
import type { DqnParams } from '../models/dqn/params.js';
import type { MixtureActorParams } from '../models/mixture-actor/params.js';
import type { GamidActorParams } from '../models/gamid-actor/params.js';
import type { MlpParams } from '../models/actor-critic/mlp.js';
import { headOutputSize, LOG_STD_MAX, LOG_STD_MIN } from '../models/mixture-actor/head.js';
import { Rng } from '../contract/rng.js';
import { ValueError } from '../contract/errors.js';

export const BENCH_FAMILIES = ['gmmqf', 'dqn', 'mixture-actor', 'gamid-actor'] as const;
export type BenchFamily = (typeof BENCH_FAMILIES)[number];

export type BenchParams =
  | { family: 'gmmqf'; params: GmmQfParams }
  | { family: 'dqn'; params: DqnParams }
  | { family: 'mixture-actor'; params: MixtureActorParams }
  | { family: 'gamid-actor'; params: GamidActorParams };

export interface BenchModel {
  family: BenchFamily;
  /** e.g. "GMM-QF K=50 D=4 A=3". */
  label: string;
  envId: string;
  /** Observation entries D. */
  obsSize: number;
  /** Entries of one environment action (1 for a discrete index). */
  actionSize: number;
  /** The exported ONNX model. */
  bytes: Uint8Array;
  /** The float64 parameters it was exported from. */
  spec: BenchParams;
  /** n observations [n·D] from a seeded stream in the range the normalization expects. */
  observations(seed: number, n: number): Float32Array;
}

/** A GMM-QF shaped like a CartPole policy: means in the data range, SPD covariances (bench/ort-latency's recipe). */
export function gmmqfBenchParams(K = 50, D = 4, A = 3, seed = 7): GmmQfParams {
  const rng = new Rng(seed);
  const means = new Float64Array(K * D).map(() => 1.5 * rng.normal());
  const covariances = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) {
    // C = B Bᵀ + 0.05 I with B random: SPD, moderately conditioned
    const b = new Float64Array(D * D).map(() => 0.4 * rng.normal());
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        let s = i === j ? 0.05 : 0;
        for (let t = 0; t < D; t++) s += b[i * D + t]! * b[j * D + t]!;
        covariances[k * D * D + i * D + j] = s;
      }
    }
  }
  const weights = new Float64Array(K * A).map(() => 5 * rng.normal());
  const scale = [2.4, 3, 0.21, 3];
  return { K, D, A, means, covariances, weights, obsOffset: new Float64Array(D), obsScale: Float64Array.from({ length: D }, (_, j) => scale[j % 4]!) };
}

/** An MLP with He-uniform hidden layers and a Glorot-uniform output layer scaled by `outScale`; small random biases. */
export function randomMlp(layers: readonly number[], rng: Rng, outScale = 1): MlpParams {
  const L = layers.length - 1;
  const weights: Float64Array[] = [];
  const biases: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    const nin = layers[l]!;
    const nout = layers[l + 1]!;
    const limit = l < L - 1 ? Math.sqrt(6 / nin) : outScale * Math.sqrt(6 / (nin + nout));
    weights.push(new Float64Array(nin * nout).map(() => limit * (2 * rng.uniform() - 1)));
    biases.push(new Float64Array(nout).map(() => 0.05 * rng.normal()));
  }
  return { layers: [...layers], weights, biases };
}

export function dqnBenchParams(seed = 11): DqnParams {
  const rng = new Rng(seed);
  const m = randomMlp([4, 64, 64, 3], rng);
  return { ...m, obsOffset: new Float64Array(4), obsScale: Float64Array.from([2.4, 3, 0.21, 3]) };
}

const PENDULUM_OBS = { shape: [3], low: [-1, -1, -8], high: [1, 1, 8] };

export function mixtureActorBenchParams(seed = 13, K = 5, hidden = [256, 256]): MixtureActorParams {
  const rng = new Rng(seed);
  const head = { K, A: 1, weights: 'learned' as const, logStdMin: LOG_STD_MIN, logStdMax: LOG_STD_MAX };
  // output layer ×3 so that the K logits differ by O(1) across states (the greedy component changes)
  const trunk = randomMlp([3, ...hidden, headOutputSize(head)], rng, 3);
  return { head, trunk, obsOffset: new Float64Array(3), obsScale: Float64Array.from([1, 1, 8]), actionLow: Float64Array.from([-2]), actionHigh: Float64Array.from([2]) };
}

export function gamidActorBenchParams(seed = 17, C = 5, hidden = [256, 256]): GamidActorParams {
  const rng = new Rng(seed);
  const actors = Array.from({ length: C }, () => randomMlp([3, ...hidden, 1], rng));
  const critic = randomMlp([4, ...hidden, 1], rng);
  return {
    actors,
    critic,
    obsOffset: new Float64Array(3),
    obsScale: Float64Array.from([1, 1, 8]),
    actionLow: Float64Array.from([-2]),
    actionHigh: Float64Array.from([2]),
    explorationStd: 0.1,
    epsilon: 0.05,
  };
}

/** CartPole-like observations for the D = 4 Q models. */
function cartpoleLike(seed: number, n: number): Float32Array {
  const rng = new Rng(seed);
  const s = [1.2, 1.5, 0.1, 1.5];
  return new Float32Array(n * 4).map((_, i) => rng.normal() * s[i % 4]!);
}

/** Pendulum-v1 observations (cos θ, sin θ, θ̇) with θ ~ U(−π, π), θ̇ ~ U(−8, 8). */
function pendulumLike(seed: number, n: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const th = rng.uniformRange(-Math.PI, Math.PI);
    out[3 * i] = Math.cos(th);
    out[3 * i + 1] = Math.sin(th);
    out[3 * i + 2] = rng.uniformRange(-8, 8);
  }
  return out;
}

/**
 * Builds and exports the benchmark model of `family`. `envId` defaults to a synthetic id for the
 * D = 4 Q models (their A = 3 matches no gmmrl environment) and to Pendulum-v1 for the actors
 * (whose sizes are Pendulum's, so the robot-loop example can simulate it).
 */
export function buildBenchModel(family: BenchFamily): BenchModel {
  const q4 = { shape: [4], low: [-Infinity, -Infinity, -Infinity, -Infinity], high: [Infinity, Infinity, Infinity, Infinity] };
  switch (family) {
    case 'gmmqf': {
      const params = gmmqfBenchParams();
      const envId = 'synthetic-4d';
      const bytes = exportGmmQf(params, { envId, observationSpace: q4, actionSpace: { kind: 'discrete', n: params.A }, training: { note: 'synthetic parameters for bench/policy-latency' } });
      return { family, label: `GMM-QF K=${params.K} D=${params.D} A=${params.A}`, envId, obsSize: params.D, actionSize: 1, bytes, spec: { family, params }, observations: cartpoleLike };
    }
    case 'dqn': {
      const params = dqnBenchParams();
      const envId = 'synthetic-4d';
      const bytes = exportDqn(params, { envId, observationSpace: q4, actionSpace: { kind: 'discrete', n: 3 }, training: { note: 'synthetic parameters for bench/policy-latency' } });
      return { family, label: `DQN [${params.layers.join(', ')}] (2 × 64)`, envId, obsSize: 4, actionSize: 1, bytes, spec: { family, params }, observations: cartpoleLike };
    }
    case 'mixture-actor': {
      const params = mixtureActorBenchParams();
      const envId = 'Pendulum-v1';
      const bytes = exportMixtureActor(params, { envId, observationSpace: PENDULUM_OBS, training: { note: 'synthetic parameters for bench/policy-latency' } });
      return { family, label: `mixture actor D=3 2 × 256 K=${params.head.K} A=1`, envId, obsSize: 3, actionSize: 1, bytes, spec: { family, params }, observations: pendulumLike };
    }
    case 'gamid-actor': {
      const params = gamidActorBenchParams();
      const envId = 'Pendulum-v1';
      const bytes = exportGamidActor(params, { envId, observationSpace: PENDULUM_OBS, training: { note: 'synthetic parameters for bench/policy-latency' } });
      return { family, label: `Gamid actor D=3 C=${params.actors.length} × 2 × 256 (+ critic 2 × 256) A=1`, envId, obsSize: 3, actionSize: 1, bytes, spec: { family, params }, observations: pendulumLike };
    }
    default:
      throw new ValueError(`buildBenchModel: unknown family ${JSON.stringify(family)}; expected one of ${BENCH_FAMILIES.join(', ')}.`);
  }
}

/**
 * The floor: a graph with one Identity node, input "obs" [N, D] float32 → output "action" [N, D].
 * session.run on it costs what ONNX Runtime's JS binding costs per call (argument checks, tensor
 * wrapping, the native call, output wrapping), with no arithmetic. Not a gmmrl model (no metadata):
 * run it with a raw InferenceSession.
 */
export function floorModel(D: number): Uint8Array {
  const g = new GraphBuilder('floor', 'Identity: the per-call cost of ONNX Runtime with no arithmetic');
  g.input('obs', ElemType.FLOAT, ['N', D]);
  g.output('action', ElemType.FLOAT, ['N', D]);
  g.node({ name: 'identity', opType: 'Identity', inputs: ['obs'], outputs: ['action'] });
  return g.build({ irVersion: 8, opsetVersion: 17, producerName: 'gmmrl-bench', producerVersion: '0' });
}
