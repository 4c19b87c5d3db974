/**
 * The benchmark models' common parts (each family's module builds its own model from them; bench/
 * reads them through the registry): the BenchModel record, random MLPs shaped like trained ones,
 * and the seeded observation pools.
 *
 * The parameters are random but shaped like trained ones (He-uniform hidden layers, modest output
 * layers, normalization matching the observation pool), so every branch of a graph is exercised.
 */
import type { ModelFamily } from '../../contract/families.js';
import { heUniformMlp, type MlpParams } from '../../models/actor-critic/mlp.js';
import { Rng } from '../../contract/rng.js';

/** A family's benchmark model: the exported bytes, the parameters, and a stream of observations for it. */
export interface BenchModel<F extends ModelFamily = ModelFamily, P = unknown> {
  family: F;
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
  spec: { family: F; params: P };
  /** n observations [n·D] from a seeded stream in the range the normalization expects. */
  observations(seed: number, n: number): Float32Array;
}

/** The training record written into every benchmark model's metadata. */
export const BENCH_TRAINING = { note: 'synthetic parameters for bench/policy-latency' } as const;

/** An MLP with He-uniform hidden layers and a Glorot-uniform output layer scaled by `outScale`; small random biases. */
export function randomMlp(layers: readonly number[], rng: Rng, outScale = 1): MlpParams {
  return heUniformMlp(layers, rng, outScale, () => 0.05 * rng.normal());
}

/** The synthetic 4-entry observation space of the D = 4 Q models (their A = 3 matches no gmmrl environment). */
export const SYNTHETIC_4D = {
  envId: 'synthetic-4d',
  observationSpace: { shape: [4], low: [-Infinity, -Infinity, -Infinity, -Infinity], high: [Infinity, Infinity, Infinity, Infinity] },
};

/** The normalization scale of the D = 4 Q models (CartPole's ranges). */
export const CARTPOLE_SCALE = [2.4, 3, 0.21, 3] as const;

/** CartPole-like observations for the D = 4 Q models. */
export function cartpoleLike(seed: number, n: number): Float32Array {
  const rng = new Rng(seed);
  const s = [1.2, 1.5, 0.1, 1.5];
  return new Float32Array(n * 4).map((_, i) => rng.normal() * s[i % 4]!);
}

/** Pendulum-v1's observation space (the actors' benchmark environment). */
export const PENDULUM_OBS = { shape: [3], low: [-1, -1, -8], high: [1, 1, 8] };

/** Pendulum-v1 observations (cos θ, sin θ, θ̇) with θ ~ U(−π, π), θ̇ ~ U(−8, 8). */
export function pendulumLike(seed: number, n: number): Float32Array {
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
