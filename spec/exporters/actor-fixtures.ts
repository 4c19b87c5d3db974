/**
 * Fixtures of the actor exporter specs: random mixture and Gamid actors (initMlp with a seeded
 * Rng), export metadata, observations of five kinds (near the data, wide, far, very far, exactly
 * the offset), noise rounded to the graph's precision, and the worst-case float32 error bounds of
 * every graph output against the float64 reference.
 *
 * Float32 bounds (u = 2⁻²⁴; first order, propagated from the float64 reference's own values; the
 * same model as sdk/parity-actor.ts):
 * - MLP outputs: models/actor-critic/float32-bound.ts (normalization and every layer, any
 *   summation order, constants rounded once); the critic reads z and the component actions with
 *   their bounds as input error.
 * - tanh(y): |δ| ≤ (1 − tanh²(max(0, |y| − B)))·B + 8u for |δy| ≤ B (mean value theorem; 8u
 *   allows a few ulps for ONNX Runtime's vectorized, not correctly rounded tanh).
 * - exp(y): |δ| ≤ e^y (e^B − 1 + 8u).
 * - softmax weights: |δw_k| ≤ w_k (e^{2 max_j B_j} − 1 + (K + 8)u) + 2⁻¹²⁶ (a shift of every logit
 *   by at most B changes each weight by a factor within e^{±2B}; K + 8 roundings of the sum, exp,
 *   divide; weights below the smallest normal float32 may flush to 0).
 * - log_std = lo + h(tanh ρ + 1): h(B_ρ + 8u) + 8u(|lo| + |hi|).
 * - scaling low + (a + 1)·half: half·|δa| + 8u(|low| + |high|) (the stored low/half are within
 *   one ulp of the exact ones, plus three roundings).
 * - products and sums: u·|result| per op.
 */
import { initMlp, type MlpParams } from '../../models/actor-critic/mlp.js';
import { TINY32, U32, mlpFloat32Bound, normalizationBound } from '../../models/actor-critic/float32-bound.js';
import { headOutputSize, parseHead, type MixtureWeights } from '../../models/mixture-actor/head.js';
import type { MixtureActorParams } from '../../models/mixture-actor/params.js';
import type { GamidActorParams } from '../../models/gamid-actor/params.js';
import type { ActorExportMeta } from '../../exporters/onnx/subgraphs.js';
import { criticInputs } from '../../sdk/parity-actor.js';
import { Rng } from '../../sdk/util/rng.js';

export interface MixtureOptions {
  K: number;
  A: number;
  D: number;
  hidden: number[];
  weights?: MixtureWeights;
  /** Scale of the output layer (initMlp outputScale; default 2: means up to a few units, tanh not linear). */
  outputScale?: number;
}

/** Action bounds: A = 1 → [−2, 2]; A = 2 → [−2, 2] × [−0.3, 0.7] (−0.3 and 0.7 are not float32 numbers). */
export function actionBox(A: number): { low: Float64Array; high: Float64Array } {
  const low = Float64Array.from({ length: A }, (_, d) => (d % 2 === 0 ? -2 : -0.3));
  const high = Float64Array.from({ length: A }, (_, d) => (d % 2 === 0 ? 2 : 0.7));
  return { low, high };
}

function normalization(rng: Rng, D: number): { obsOffset: Float64Array; obsScale: Float64Array } {
  return {
    obsOffset: Float64Array.from({ length: D }, () => 2 * rng.normal()),
    obsScale: Float64Array.from({ length: D }, () => 0.3 + 3 * rng.uniform()),
  };
}

export function randomMixtureActor(rng: Rng, o: MixtureOptions): MixtureActorParams {
  const head = { K: o.K, A: o.A, weights: o.weights ?? 'learned', logStdMin: -5, logStdMax: 2 } as const;
  const trunk = initMlp([o.D, ...o.hidden, headOutputSize(head)], rng, o.outputScale ?? 2);
  const box = actionBox(o.A);
  return { head, trunk, ...normalization(rng, o.D), actionLow: box.low, actionHigh: box.high };
}

export interface GamidOptions {
  C: number;
  A: number;
  D: number;
  hidden: number[];
  criticHidden: number[];
  epsilon?: number;
  explorationStd?: number;
}

export function randomGamidActor(rng: Rng, o: GamidOptions): GamidActorParams {
  const actors: MlpParams[] = Array.from({ length: o.C }, () => initMlp([o.D, ...o.hidden, o.A], rng, 2));
  const critic = initMlp([o.D + o.A, ...o.criticHidden, 1], rng);
  const box = actionBox(o.A);
  return {
    actors,
    critic,
    ...normalization(rng, o.D),
    actionLow: box.low,
    actionHigh: box.high,
    epsilon: o.epsilon ?? 0.3,
    explorationStd: o.explorationStd ?? 0.2,
  };
}

export function actorMeta(D: number, extra: Partial<ActorExportMeta> = {}): ActorExportMeta {
  return {
    envId: 'Test-v0',
    observationSpace: {
      shape: [D],
      low: Array.from({ length: D }, (_, j) => (j % 2 === 0 ? -10 - j : -Infinity)),
      high: Array.from({ length: D }, (_, j) => (j % 2 === 0 ? 10 + j : Infinity)),
    },
    ...extra,
  };
}

/**
 * n float32 observations [n, D], by row i % 5: near the data (z ~ N(0, 1)), wide (|z| ≤ 6), far
 * (|z| 10–30), very far (|z| 100–1000: every tanh saturates), exactly the offset (z = 0).
 */
export function actorObservations(rng: Rng, p: { obsOffset: Float64Array; obsScale: Float64Array }, n: number): Float32Array {
  const D = p.obsOffset.length;
  const obs = new Float32Array(n * D);
  const sign = (): number => (rng.uniform() < 0.5 ? -1 : 1);
  for (let i = 0; i < n; i++) {
    const kind = i % 5;
    for (let j = 0; j < D; j++) {
      const z =
        kind === 0
          ? rng.normal()
          : kind === 1
            ? rng.uniformRange(-6, 6)
            : kind === 2
              ? sign() * rng.uniformRange(10, 30)
              : kind === 3
                ? sign() * rng.uniformRange(100, 1000)
                : 0;
      obs[i * D + j] = p.obsOffset[j]! + z * p.obsScale[j]!;
    }
  }
  return obs;
}

/** Noise per row (u, then A normals), rounded to the graph's dtype; u stays below 1 after rounding. Row 0 has u = 0. */
export function actorNoise(rng: Rng, n: number, A: number, dtype: 'float32' | 'float64'): { u: Float64Array; eps: Float64Array } {
  const r = dtype === 'float32' ? Math.fround : (x: number) => x;
  const below1 = dtype === 'float32' ? 1 - 2 ** -24 : 1 - 2 ** -53;
  const u = new Float64Array(n);
  const eps = new Float64Array(n * A);
  for (let i = 0; i < n; i++) {
    u[i] = i === 0 ? 0 : Math.min(r(rng.uniform()), below1);
    for (let d = 0; d < A; d++) eps[i * A + d] = r(rng.normal());
  }
  return { u, eps };
}

const u = U32;

/** |δ tanh(y)| for |δy| ≤ B. */
export function tanhBound(y: number, B: number): number {
  const t = Math.tanh(Math.max(0, Math.abs(y) - B));
  return (1 - t * t) * B + 8 * u;
}

function scaleBound(half: number, low: number, high: number, da: number): number {
  return half * da + 8 * u * (Math.abs(low) + Math.abs(high));
}

/** Float64 reference values of a mixture actor with their float32 bounds, per row. */
export interface MixtureReference {
  /** [n, K] weights, [n, K·A] means / log_std, and their bounds. */
  weights: Float64Array;
  weightsB: Float64Array;
  means: Float64Array;
  meansB: Float64Array;
  logStd: Float64Array;
  logStdB: Float64Array;
  /** [n, K] logits (learned; zeros for uniform) and their bounds. */
  logits: Float64Array;
  logitsB: Float64Array;
}

export function mixtureReference(p: MixtureActorParams, obs: ArrayLike<number>, n: number): MixtureReference {
  const { K, A } = p.head;
  const learned = p.head.weights === 'learned';
  const Pn = headOutputSize(p.head);
  const nl = learned ? K : 0;
  const { z, err } = normalizationBound(obs, p.obsOffset, p.obsScale, n);
  const { out, bound } = mlpFloat32Bound(p.trunk, z, err, n);
  const span = 0.5 * (p.head.logStdMax - p.head.logStdMin);
  const r: MixtureReference = {
    weights: new Float64Array(n * K),
    weightsB: new Float64Array(n * K),
    means: new Float64Array(n * K * A),
    meansB: new Float64Array(n * K * A),
    logStd: new Float64Array(n * K * A),
    logStdB: new Float64Array(n * K * A),
    logits: new Float64Array(n * K),
    logitsB: new Float64Array(n * K),
  };
  for (let i = 0; i < n; i++) {
    const h = parseHead(p.head, out, i);
    let maxB = 0;
    for (let k = 0; k < nl; k++) {
      r.logits[i * K + k] = out[i * Pn + k]!;
      r.logitsB[i * K + k] = bound[i * Pn + k]!;
      maxB = Math.max(maxB, bound[i * Pn + k]!);
    }
    for (let k = 0; k < K; k++) {
      const w = Math.exp(h.logW[k]!);
      r.weights[i * K + k] = w;
      r.weightsB[i * K + k] = w * (Math.expm1(2 * maxB) + (K + 8) * u) + TINY32;
    }
    for (let j = 0; j < K * A; j++) {
      r.means[i * K * A + j] = h.mu[j]!;
      r.meansB[i * K * A + j] = bound[i * Pn + nl + j]!;
      r.logStd[i * K * A + j] = h.logStd[j]!;
      r.logStdB[i * K * A + j] =
        span * (bound[i * Pn + nl + K * A + j]! + 8 * u) + 8 * u * (Math.abs(p.head.logStdMin) + Math.abs(p.head.logStdMax));
    }
  }
  return r;
}

/** Greedy action of row i for component k, with its float32 bound, per action entry. */
export function mixtureGreedyWithBound(
  p: MixtureActorParams,
  r: MixtureReference,
  i: number,
  k: number,
): { value: number[]; bound: number[] } {
  const { K, A } = p.head;
  const value: number[] = [];
  const bound: number[] = [];
  for (let d = 0; d < A; d++) {
    const j = i * K * A + k * A + d;
    const half = 0.5 * (p.actionHigh[d]! - p.actionLow[d]!);
    value.push(p.actionLow[d]! + half * (Math.tanh(r.means[j]!) + 1));
    bound.push(scaleBound(half, p.actionLow[d]!, p.actionHigh[d]!, tanhBound(r.means[j]!, r.meansB[j]!)));
  }
  return { value, bound };
}

/** Sampled action of row i for component k and noise eps [A], with its float32 bound. */
export function mixtureSampleWithBound(
  p: MixtureActorParams,
  r: MixtureReference,
  i: number,
  k: number,
  eps: ArrayLike<number>,
): { value: number[]; bound: number[] } {
  const { K, A } = p.head;
  const value: number[] = [];
  const bound: number[] = [];
  for (let d = 0; d < A; d++) {
    const j = i * K * A + k * A + d;
    const sd = Math.exp(r.logStd[j]!);
    const dsd = sd * (Math.expm1(r.logStdB[j]!) + 8 * u);
    const x = r.means[j]! + sd * eps[d]!;
    const dx = r.meansB[j]! + Math.abs(eps[d]!) * dsd + u * Math.abs(sd * eps[d]!) + u * Math.abs(x);
    const half = 0.5 * (p.actionHigh[d]! - p.actionLow[d]!);
    value.push(p.actionLow[d]! + half * (Math.tanh(x) + 1));
    bound.push(scaleBound(half, p.actionLow[d]!, p.actionHigh[d]!, tanhBound(x, dx)));
  }
  return { value, bound };
}

/** True when the reference's greedy component of row i is within the bounds of a tie (learned weights). */
export function mixtureGreedyAmbiguous(p: MixtureActorParams, r: MixtureReference, i: number): boolean {
  const K = p.head.K;
  if (p.head.weights === 'uniform') return false;
  let best = 0;
  for (let k = 1; k < K; k++) if (r.logits[i * K + k]! > r.logits[i * K + best]!) best = k;
  for (let k = 0; k < K; k++) {
    if (k !== best && r.logits[i * K + best]! - r.logits[i * K + k]! <= r.logitsB[i * K + best]! + r.logitsB[i * K + k]!) return true;
  }
  return false;
}

/** True when u lies within the float32 bound of a cumulative-weight boundary w_0 + … + w_k, k < K − 1. */
export function mixtureSampleAmbiguous(p: MixtureActorParams, r: MixtureReference, i: number, uu: number): boolean {
  const K = p.head.K;
  let c = 0;
  let cb = 0;
  for (let k = 0; k < K - 1; k++) {
    c += r.weights[i * K + k]!;
    cb += r.weightsB[i * K + k]! + (k + 2) * u * c;
    if (Math.abs(uu - c) <= cb) return true;
  }
  return false;
}

/** Float64 reference values of a Gamid actor with float32 bounds, per row. */
export interface GamidReference {
  /** [n, C, A] component actions on the policy scale μ, and their bounds. */
  mu: Float64Array;
  muB: Float64Array;
  /** [n, C] critic values and bounds. */
  q: Float64Array;
  qB: Float64Array;
}

export function gamidReference(p: GamidActorParams, obs: ArrayLike<number>, n: number): GamidReference {
  const C = p.actors.length;
  const A = p.actionLow.length;
  const D = p.obsOffset.length;
  const { z, err } = normalizationBound(obs, p.obsOffset, p.obsScale, n);
  const mu = new Float64Array(n * C * A);
  const muB = new Float64Array(n * C * A);
  for (let c = 0; c < C; c++) {
    const { out, bound } = mlpFloat32Bound(p.actors[c]!, z, err, n);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < A; d++) {
        const y = out[i * A + d]!;
        mu[(i * C + c) * A + d] = Math.tanh(y);
        muB[(i * C + c) * A + d] = tanhBound(y, bound[i * A + d]!);
      }
    }
  }
  const { x, dx } = criticInputs(z, err, mu, muB, n, C, D, A);
  const cq = mlpFloat32Bound(p.critic, x, dx, n * C);
  return { mu, muB, q: cq.out, qB: cq.bound };
}

/** Scaled component action of row i, component c, with its bound. */
export function gamidComponentWithBound(
  p: GamidActorParams,
  r: GamidReference,
  i: number,
  c: number,
): { value: number[]; bound: number[] } {
  const C = p.actors.length;
  return scaledWithBound(p, (d) => {
    const j = (i * C + c) * p.actionLow.length + d;
    return { a: r.mu[j]!, da: r.muB[j]! };
  });
}

/** Sampled action of row i for component c and noise eps [A]: clip(μ + σ eps, −1, 1) scaled, with its bound. */
export function gamidSampleWithBound(
  p: GamidActorParams,
  r: GamidReference,
  i: number,
  c: number,
  eps: ArrayLike<number>,
): { value: number[]; bound: number[] } {
  const C = p.actors.length;
  return scaledWithBound(p, (d) => {
    const j = (i * C + c) * p.actionLow.length + d;
    const ne = p.explorationStd * eps[d]!;
    const x = r.mu[j]! + ne;
    return { a: Math.min(1, Math.max(-1, x)), da: r.muB[j]! + 2 * u * Math.abs(ne) + u * Math.abs(x) };
  });
}

/** low + (a_d + 1)·(high − low)/2 for each action entry d, with the bound of the scaling given a_d's bound da_d. */
function scaledWithBound(
  p: GamidActorParams,
  policyAction: (d: number) => { a: number; da: number },
): { value: number[]; bound: number[] } {
  const value: number[] = [];
  const bound: number[] = [];
  for (let d = 0; d < p.actionLow.length; d++) {
    const { a, da } = policyAction(d);
    const half = 0.5 * (p.actionHigh[d]! - p.actionLow[d]!);
    value.push(p.actionLow[d]! + half * (a + 1));
    bound.push(scaleBound(half, p.actionLow[d]!, p.actionHigh[d]!, da));
  }
  return { value, bound };
}

/** True when the reference's best q of row i is within the bounds of a tie. */
export function gamidGreedyAmbiguous(r: GamidReference, C: number, i: number): boolean {
  let best = 0;
  for (let c = 1; c < C; c++) if (r.q[i * C + c]! > r.q[i * C + best]!) best = c;
  for (let c = 0; c < C; c++) if (c !== best && r.q[i * C + best]! - r.q[i * C + c]! <= r.qB[i * C + best]! + r.qB[i * C + c]!) return true;
  return false;
}

/**
 * True when the ε-greedy choice for u is within float32 rounding of a decision boundary: u next to
 * ε (ε is stored rounded to float32), or u/ε·n next to an integer (two float32 roundings).
 */
export function epsilonBoundary(uu: number, epsilon: number, n: number): boolean {
  if (epsilon === 0) return false;
  if (Math.abs(uu - epsilon) <= 4 * u * epsilon) return true;
  if (uu >= epsilon) return false;
  const s = (uu / epsilon) * n;
  return Math.abs(s - Math.round(s)) <= 1e-5 * n;
}
