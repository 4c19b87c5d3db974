/**
 * DQN test fixtures: random networks (optionally float32-representable, so TensorFlow.js and the
 * float64 reference see identical parameters), random transition batches, observations of three
 * kinds (near the data, wide, far), export metadata and an action grid.
 */
import type { DqnParams, ActionGrid } from '../../../models/dqn/params.js';
import type { DqnBatch } from '../../../models/dqn/reference.js';
import type { DqnExportMeta } from '../../../exporters/onnx/dqn.js';
import { Rng } from '../../../sdk/util/rng.js';
import { drawMlp } from '../../../models/actor-critic/mlp.js';

export interface RandomDqnOptions {
  /** Round every parameter to float32 (default true). */
  float32?: boolean;
  /** Bias magnitude (default 0.1). */
  biasScale?: number;
  actionGrid?: ActionGrid;
}

/** He-scaled Gaussian weights, small random biases, random normalization. */
export function randomDqnParams(rng: Rng, layers: number[], opts: RandomDqnOptions = {}): DqnParams {
  const r = opts.float32 === false ? (x: number) => x : Math.fround;
  const { weights, biases } = drawMlp(layers, (nin) => {
    const s = Math.sqrt(2 / nin);
    return { weight: () => r(s * rng.normal()), bias: () => r((opts.biasScale ?? 0.1) * rng.normal()) };
  });
  const D = layers[0]!;
  const obsOffset = Float64Array.from({ length: D }, () => r(2 * rng.normal()));
  const obsScale = Float64Array.from({ length: D }, () => r(0.3 + 3 * rng.uniform()));
  return { layers: [...layers], weights, biases, obsOffset, obsScale, ...(opts.actionGrid ? { actionGrid: opts.actionGrid } : {}) };
}

/** N float32 observations: a quarter each near the data (|z| ≲ 2), wide (|z| ≲ 6), far (|z| 10–30), and exact offsets (z = 0). */
export function randomObservations(rng: Rng, p: DqnParams, n: number): Float32Array {
  const D = p.layers[0]!;
  const obs = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    for (let j = 0; j < D; j++) {
      const o = p.obsOffset[j]!;
      const s = p.obsScale[j]!;
      const z =
        kind === 0
          ? rng.normal()
          : kind === 1
            ? 6 * (2 * rng.uniform() - 1)
            : kind === 2
              ? (rng.uniform() < 0.5 ? -1 : 1) * (10 + 20 * rng.uniform())
              : 0;
      obs[i * D + j] = o + z * s;
    }
  }
  return obs;
}

/** A batch of B random transitions (float32-representable values, ~5 % terminated). */
export function randomBatch(rng: Rng, p: DqnParams, B: number): DqnBatch {
  const D = p.layers[0]!;
  const A = p.layers.at(-1)!;
  const near = (): number[] =>
    Array.from({ length: B * D }, (_, k) => Math.fround(p.obsOffset[k % D]! + 1.5 * rng.normal() * p.obsScale[k % D]!));
  return {
    size: B,
    obs: Float64Array.from(near()),
    actions: Float64Array.from({ length: B }, () => rng.integer(A)),
    rewards: Float64Array.from({ length: B }, () => Math.fround(2 * rng.normal())),
    nextObs: Float64Array.from(near()),
    terminated: Float64Array.from({ length: B }, (_, i) => (i % 20 === 7 ? 1 : 0)),
  };
}

/** Export metadata for a params object (discrete, or the grid's box). */
export function dqnMetaFor(p: DqnParams, extra: Partial<DqnExportMeta> = {}): DqnExportMeta {
  const D = p.layers[0]!;
  const low = Array.from({ length: D }, (_, j) => (j % 2 === 0 ? -10 - j : -Infinity));
  const high = Array.from({ length: D }, (_, j) => (j % 2 === 0 ? 10 + j : Infinity));
  const g = p.actionGrid;
  return {
    envId: 'Test-v0',
    observationSpace: { shape: [D], low, high },
    actionSpace: g ? { kind: 'box', shape: [...g.shape], low: [...g.low], high: [...g.high] } : { kind: 'discrete', n: p.layers.at(-1)! },
    ...extra,
  };
}

/** An evenly spaced grid of n points over [low, high] for a 1-entry action (e.g. Pendulum's torque). */
export function linearGrid(n: number, low: number, high: number): ActionGrid {
  return {
    shape: [1],
    values: Float64Array.from({ length: n }, (_, i) => low + ((high - low) * i) / (n - 1)),
    low: [low],
    high: [high],
  };
}

/** A 2-entry grid (shape [2]) of n × n points. */
export function productGrid(n: number, low: number, high: number): ActionGrid {
  const v: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) v.push(low + ((high - low) * i) / (n - 1), low + ((high - low) * j) / (n - 1));
  return { shape: [2], values: Float64Array.from(v), low: [low, low], high: [high, high] };
}

/** max_k |a_k − b_k| / bound_k and where. */
export function worstRatio(a: ArrayLike<number>, b: ArrayLike<number>, bound: ArrayLike<number>): { ratio: number; index: number } {
  let ratio = 0;
  let index = -1;
  for (let k = 0; k < a.length; k++) {
    const r = Math.abs(a[k]! - b[k]!) / bound[k]!;
    if (Number.isNaN(r)) return { ratio: NaN, index: k };
    if (r > ratio) {
      ratio = r;
      index = k;
    }
  }
  return { ratio, index };
}
