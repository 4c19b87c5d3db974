/**
 * The squashed Gaussian mixture (SGM) policy head, on the host in float64: its layout, its
 * log-density, greedy action and sampling. The TensorFlow.js twin (distribution.ts) follows the same
 * formulas op for op; tests compare the two.
 *
 * The actor MLP's output row for one state is, in this order (K components, A action entries):
 *   [ logits (K, only when the weights are learned) | μ (K·A, component-major) | ρ (K·A) ]
 *   w        = softmax(logits)                     (learned)   or   1/K each (uniform: USGM; K = 1: SG)
 *   log σ    = logStdMin + ½ (logStdMax − logStdMin)(tanh ρ + 1)   (smooth, bounded; CleanRL's SAC)
 *   u        = μ_k + σ_k ⊙ ε,  ε ~ N(0, I),  k ~ w
 *   a        = tanh(u) ∈ (−1, 1)^A                  (the policy's action; the environment receives
 *              low + (a + 1)(high − low)/2, see scaleAction)
 *   log π(a) = logsumexp_k [ log w_k + Σ_d log N(u_d; μ_kd, σ_kd²) ] − Σ_d log(1 − tanh²(u_d))
 * with log(1 − tanh² u) = 2 (log 2 − u − softplus(−2u)), exact and stable for any u.
 * Greedy action: tanh(μ_k*) of the highest-weight component k* (the lowest index on a tie).
 */
import { ShapeError, ValueError, describeValue } from '../../contract/errors.js';
import { argmaxFirst } from '../sampling.js';

export type MixtureWeights = 'learned' | 'uniform';

export interface MixtureHeadSpec {
  /** Components K (1 for the single squashed Gaussian). */
  readonly K: number;
  /** Action entries A. */
  readonly A: number;
  /** 'learned' (softmax of logits) or 'uniform' (1/K, no logits in the output). */
  readonly weights: MixtureWeights;
  /** Bounds of log σ (defaults −5 and 2). */
  readonly logStdMin: number;
  readonly logStdMax: number;
}

export const LOG_STD_MIN = -5;
export const LOG_STD_MAX = 2;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Width of the actor MLP's output for this head. */
export function headOutputSize(h: Pick<MixtureHeadSpec, 'K' | 'A' | 'weights'>): number {
  return (h.weights === 'learned' ? h.K : 0) + 2 * h.K * h.A;
}

export function checkHeadSpec(h: MixtureHeadSpec, where: string): void {
  const int = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1;
  if (!int(h.K) || h.K > 64)
    throw new ValueError(`${where}: components K = ${describeValue(h.K)}; expected an integer in [1, 64] (e.g. 5).`);
  if (!int(h.A)) throw new ValueError(`${where}: action size A = ${describeValue(h.A)}; expected a positive integer.`);
  if (h.weights !== 'learned' && h.weights !== 'uniform')
    throw new ValueError(`${where}: weights = ${describeValue(h.weights)}; expected "learned" or "uniform".`);
  if (!(Number.isFinite(h.logStdMin) && Number.isFinite(h.logStdMax) && h.logStdMin < h.logStdMax)) {
    throw new ValueError(
      `${where}: log-std bounds [${h.logStdMin}, ${h.logStdMax}] must be finite with min < max (defaults [${LOG_STD_MIN}, ${LOG_STD_MAX}]).`,
    );
  }
}

/** One state's head: log-weights [K], means [K·A], log-stds [K·A] (float64). */
export interface MixtureHeadValues {
  logW: Float64Array;
  mu: Float64Array;
  logStd: Float64Array;
}

/** log softmax, stable (max subtracted). */
export function logSoftmax(x: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]!);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i]! - m);
  const lse = m + Math.log(s);
  return Float64Array.from(x as ArrayLike<number>, (v) => v - lse);
}

/** Parses row `r` of the actor's output [N, headOutputSize] into the head's values. */
export function parseHead(h: MixtureHeadSpec, out: ArrayLike<number>, r = 0): MixtureHeadValues {
  const P = headOutputSize(h);
  if (out.length < (r + 1) * P) throw new ShapeError(`parseHead: output of length ${out.length} has no row ${r} of width ${P}.`);
  const o = r * P;
  const { K, A } = h;
  const nl = h.weights === 'learned' ? K : 0;
  const logW =
    h.weights === 'learned' ? logSoftmax(Array.from({ length: K }, (_, k) => out[o + k]!)) : new Float64Array(K).fill(-Math.log(K));
  const mu = new Float64Array(K * A);
  const logStd = new Float64Array(K * A);
  const span = 0.5 * (h.logStdMax - h.logStdMin);
  for (let i = 0; i < K * A; i++) {
    mu[i] = out[o + nl + i]!;
    logStd[i] = h.logStdMin + span * (Math.tanh(out[o + nl + K * A + i]!) + 1);
  }
  return { logW, mu, logStd };
}

/** log(1 − tanh²(u)) = 2 (log 2 − u − softplus(−2u)). */
export function logOneMinusTanhSq(u: number): number {
  const x = -2 * u;
  const softplus = x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  return 2 * (Math.LN2 - u - softplus);
}

/** log π(tanh u) for a pre-squash point u [A]. */
export function mixtureLogProbU(h: MixtureHeadSpec, v: MixtureHeadValues, u: ArrayLike<number>): number {
  const { K, A } = h;
  const terms = new Float64Array(K);
  let m = -Infinity;
  for (let k = 0; k < K; k++) {
    let s = v.logW[k]!;
    for (let d = 0; d < A; d++) {
      const ls = v.logStd[k * A + d]!;
      const z = (u[d]! - v.mu[k * A + d]!) / Math.exp(ls);
      s += -0.5 * z * z - ls - HALF_LOG_2PI;
    }
    terms[k] = s;
    m = Math.max(m, s);
  }
  let acc = 0;
  for (let k = 0; k < K; k++) acc += Math.exp(terms[k]! - m);
  let corr = 0;
  for (let d = 0; d < A; d++) corr += logOneMinusTanhSq(u[d]!);
  return m + Math.log(acc) - corr;
}

/** The highest-weight component (lowest index on a tie). */
export function greedyComponent(v: MixtureHeadValues): number {
  return argmaxFirst(v.logW);
}

/** Greedy action tanh(μ_k*) in (−1, 1)^A. */
export function greedyAction(h: MixtureHeadSpec, v: MixtureHeadValues): Float64Array {
  const k = greedyComponent(v);
  return Float64Array.from({ length: h.A }, (_, d) => Math.tanh(v.mu[k * h.A + d]!));
}

/**
 * Component chosen by the inverse CDF of the weights for a uniform u ∈ [0, 1): the first k with
 * u < w₀ + … + w_k (the last component when rounding leaves the sum just below u).
 */
export function componentFromUniform(logW: ArrayLike<number>, u: number): number {
  let c = 0;
  for (let k = 0; k < logW.length; k++) {
    c += Math.exp(logW[k]!);
    if (u < c) return k;
  }
  return logW.length - 1;
}

/** A sampled action from noise (u uniform, ε [A] standard normal): returns k, the pre-squash point and tanh of it. */
export function sampleAction(
  h: MixtureHeadSpec,
  v: MixtureHeadValues,
  uniform: number,
  eps: ArrayLike<number>,
): { k: number; u: Float64Array; a: Float64Array } {
  const k = componentFromUniform(v.logW, uniform);
  const u = Float64Array.from({ length: h.A }, (_, d) => v.mu[k * h.A + d]! + Math.exp(v.logStd[k * h.A + d]!) * eps[d]!);
  return { k, u, a: u.map(Math.tanh) };
}

/** Policy action a ∈ [−1, 1]^A → environment action low + (a + 1)(high − low)/2. */
export function scaleAction(a: ArrayLike<number>, low: ArrayLike<number>, high: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: a.length }, (_, d) => low[d]! + 0.5 * (a[d]! + 1) * (high[d]! - low[d]!));
}
