/**
 * The update step of GMM-QF batch policy iteration ([GMM-QF]; REFERENCES.md §1): evaluation of the
 * greedy policy μ on every stored transition by Riemannian gradient descent with Armijo
 * backtracking on the empirical Bellman residual. Top to bottom:
 *
 *   GmmQfPolicyEvaluation.run   `sweeps` × sweep
 *   sweep                       targets y = r + γ(1 − terminated)·max_a Q(s′, a) from the current Q
 *                               (`bellmanTargets`) → ridge refit of ξ given the Gaussians
 *                               (`refitWeights`) → `gdSteps` × armijoStep on these fixed targets
 *   armijoStep                  one joint step over (ξ, m, C): Euclidean gradients (BellmanBatch),
 *                               the Riemannian gradient of every C_k and the squared norm, then an
 *                               Armijo search over trial points (`trialPoint`: ξ and m moved
 *                               linearly, every C_k retracted on the SPD manifold)
 *
 * models/gmmqf/tf.ts's BellmanBatch evaluates the loss, its gradients and the normal equations
 * (the math); this file changes the parameters and keeps the Armijo step size from one search to
 * the next (each search starts at twice the last accepted step). bench/gmmqf-updates.ts times
 * `armijoStep` itself, through its probe.
 */
import { SpdError } from '../../../contract/errors.js';
import { invertSpd } from '../../../models/linalg/cholesky.js';
import { BellmanBatch, type GmmQfGradients } from '../../../models/gmmqf/tf.js';
import { normalize, qValues } from '../../../models/gmmqf/reference.js';
import type { GmmQfParams } from '../../../models/gmmqf/params.js';
import { armijoSearch, inner, riemannianGradient, tryRetract, type SpdMetric } from '../../optim/spd.js';
import { solveSpdInPlace } from '../../optim/lstsq.js';
import type { ReplayBuffer, TransitionBatch } from '../../replay.js';

/** Hyperparameters of one policy evaluation (the gmmqf config fields of the same names). */
export interface PolicyEvaluationOptions {
  /** Discount γ. */
  gamma: number;
  /** Target refreshes per evaluation; each recomputes the targets, refits ξ and takes gdSteps. */
  sweeps: number;
  /** Riemannian gradient steps per sweep. */
  gdSteps: number;
  /** SPD metric of the covariances. */
  metric: SpdMetric;
  /** Armijo shrink factor and sufficient-decrease constant. */
  armijoBeta: number;
  armijoC: number;
  /** Refit ξ by ridge least squares at the start of each sweep, with ridge λ. */
  refitWeights: boolean;
  ridge: number;
}

/** What one policy evaluation did (the iteration log's fields). */
export interface PolicyEvaluationStats {
  /** Loss at the first gradient step of the first sweep and after the last step of the last sweep (NaN when none). */
  lossStart: number;
  lossEnd: number;
  /** Σ over sweeps of the descent's loss decrease on that sweep's fixed targets (after the refit). */
  gdDecrease: number;
  /** Milliseconds in the Riemannian descent (gradients, line searches, retractions). */
  gdMs: number;
  /** Accepted gradient steps and Armijo trial evaluations. */
  gdSteps: number;
  armijoEvals: number;
}

/** C_k⁻¹ for every component, [K, D, D] (float64, via Cholesky). Throws SpdError naming the component. */
export function precisions(p: Pick<GmmQfParams, 'K' | 'D' | 'covariances'>): Float64Array {
  const { K, D } = p;
  const out = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) out.set(invertSpd(p.covariances, D, `covariances[${k}]`, k * D * D), k * D * D);
  return out;
}

/**
 * Policy evaluation of GMM-QF batch policy iteration: updates a model's means, covariances and
 * weights in place on every transition of a ReplayBuffer. Holds the Armijo step size between calls.
 */
export class GmmQfPolicyEvaluation {
  /** The last accepted Armijo step size (each search starts at min(2·stepSize, 10⁶)). */
  stepSize: number;

  constructor(
    readonly opts: PolicyEvaluationOptions,
    /** The first search's step size is twice this (the gmmqf config's armijoT0). */
    initialStepSize: number,
  ) {
    this.stepSize = initialStepSize;
  }

  /** `sweeps` sweeps over every transition in `data` (raw observations), updating `params` in place. */
  run(params: GmmQfParams, data: ReplayBuffer): PolicyEvaluationStats {
    const stats: PolicyEvaluationStats = { lossStart: NaN, lossEnd: NaN, gdDecrease: 0, gdMs: 0, gdSteps: 0, armijoEvals: 0 };
    const all = data.stored();
    const z = Float32Array.from(normalize(params, all.obs, all.size)); // (φ(s) − offset) / scale
    const actions = Int32Array.from(all.actions);
    for (let sweep = 0; sweep < this.opts.sweeps; sweep++) this.sweep(params, z, actions, all, stats, sweep === 0);
    return stats;
  }

  /** Targets from the current Q, the refit of ξ, then up to gdSteps Armijo steps on those targets. */
  private sweep(
    params: GmmQfParams,
    z: Float32Array,
    actions: Int32Array,
    data: TransitionBatch,
    stats: PolicyEvaluationStats,
    first: boolean,
  ): void {
    const o = this.opts;
    const batch = new BellmanBatch(params.K, params.D, params.A, z, actions, bellmanTargets(params, data, o.gamma));
    try {
      let P = precisions(params);
      if (o.refitWeights) refitWeights(batch, params, P, o.ridge);
      const gd0 = performance.now();
      let sweepStart = NaN;
      let sweepEnd = NaN;
      for (let s = 0; s < o.gdSteps; s++) {
        const step = armijoStep(batch, params, P, {
          metric: o.metric,
          firstStep: () => Math.min(this.stepSize * 2, 1e6),
          beta: o.armijoBeta,
          c: o.armijoC,
        });
        if (s === 0) sweepStart = step.loss0;
        if (first && s === 0) stats.lossStart = step.loss0;
        sweepEnd = stats.lossEnd = step.loss0;
        stats.armijoEvals += step.evaluations;
        if (!step.accepted) break;
        P = step.precisions;
        this.stepSize = step.t;
        sweepEnd = stats.lossEnd = step.loss;
        stats.gdSteps++;
      }
      if (Number.isFinite(sweepStart) && Number.isFinite(sweepEnd)) stats.gdDecrease += sweepStart - sweepEnd;
      stats.gdMs += performance.now() - gd0;
    } finally {
      batch.dispose();
    }
  }
}

/**
 * y_t = r_t + γ(1 − terminated_t)·max_a Q(s′_t, a) [T] under the current parameters (float32, as
 * BellmanBatch takes them). The reward enters rounded to float32, like every other input of the
 * float32 batch.
 */
export function bellmanTargets(params: GmmQfParams, data: TransitionBatch, gamma: number): Float32Array {
  const T = data.size;
  const A = params.A;
  const nextQ = qValues(params, data.nextObs, T);
  const targets = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    let mx = nextQ[t * A]!;
    for (let a = 1; a < A; a++) mx = Math.max(mx, nextQ[t * A + a]!);
    targets[t] = Math.fround(data.rewards[t]!) + (data.terminated[t] ? 0 : gamma * mx);
  }
  return targets;
}

/** ξ[:, a] = argmin Σ_{t: a_t = a} (y_t − g_tᵀ ξ_a)² + λ‖ξ_a‖², per action, in float64 (λ relative to the mean diagonal). */
export function refitWeights(batch: BellmanBatch, p: GmmQfParams, P: Float64Array, ridge: number): void {
  const { K, A } = p;
  const { M, b } = batch.normalEquations(p.means, P);
  for (let a = 0; a < A; a++) {
    const Ma = M.slice(a * K * K, (a + 1) * K * K);
    let trace = 0;
    for (let k = 0; k < K; k++) trace += Ma[k * K + k]!;
    const lam = ridge * Math.max(trace / K, 1e-12);
    for (let k = 0; k < K; k++) Ma[k * K + k]! += lam;
    const x = b.slice(a * K, (a + 1) * K);
    if (solveSpdInPlace(Ma, x, K)) for (let k = 0; k < K; k++) p.weights[k * A + a] = x[k]!;
  }
}

// ---- one Riemannian gradient step with Armijo backtracking ------------------------------------------

/** The parameters an Armijo step moves (a GmmQfParams has them). */
export type GmmQfStepParams = Pick<GmmQfParams, 'K' | 'D' | 'means' | 'covariances' | 'weights'>;

export interface ArmijoStepOptions {
  metric: SpdMetric;
  /** The first trial step size, given the squared Riemannian gradient norm. */
  firstStep: (grad2: number) => number;
  /** Shrink factor, sufficient-decrease constant, shrinks allowed (armijoSearch's; default 30). */
  beta: number;
  c: number;
  maxHalvings?: number;
}

/** Milliseconds per part of armijoStep, accumulated over calls (bench/gmmqf-updates.ts reports them). */
export interface ArmijoStepTimes {
  /** BellmanBatch.gradients (with its read-back). */
  gradients: number;
  /** The Riemannian gradients and their squared norm. */
  riemannian: number;
  /** Building the trial points: means, weights, retractions, precisions. */
  trialHost: number;
  /** The trial losses (BellmanBatch.loss). */
  trialLoss: number;
}

/** Optional instrumentation of armijoStep; without it the step runs plainly. */
export interface ArmijoStepProbe {
  /** Accumulates each part's milliseconds. */
  times?: ArmijoStepTimes;
  /** Called before each covariance retraction with C_k and the tangent step −t·grad_k. */
  beforeRetract?: (C: Float64Array, step: Float64Array) => void;
  /** Maps the loss of trial number `trial` (0-based; Infinity when the point is infeasible) before the Armijo test. */
  trialLoss?: (loss: number, trial: number) => number;
}

export interface ArmijoStepResult {
  /** The loss before the step (at the current parameters). */
  loss0: number;
  /** Whether a step was accepted (false too when the gradient norm is 0 or not finite: then no search ran). */
  accepted: boolean;
  /** The accepted step size and loss (0 and loss0 when none). */
  t: number;
  loss: number;
  /** Trial evaluations made. */
  evaluations: number;
  /** The precisions C_k⁻¹ of the parameters after the step (the input precisions when none was accepted). */
  precisions: Float64Array;
}

/**
 * One Riemannian gradient step on the batch's loss, in place: the gradients at (m, C, ξ) with
 * precisions P = C⁻¹, then an Armijo search along the retraction curve; an accepted step is written
 * into `params`.
 */
export function armijoStep(
  batch: BellmanBatch,
  params: GmmQfStepParams,
  P: Float64Array,
  opts: ArmijoStepOptions,
  probe: ArmijoStepProbe = {},
): ArmijoStepResult {
  const times = probe.times;
  let t0 = times ? performance.now() : 0;
  const lap = (part: keyof ArmijoStepTimes): void => {
    if (!times) return;
    const now = performance.now();
    times[part] += now - t0;
    t0 = now;
  };
  const g = batch.gradients(params.means, P, params.weights);
  lap('gradients');
  const { rg, norm2 } = riemannianDirection(opts.metric, params, g);
  lap('riemannian');
  if (!(norm2 > 0) || !Number.isFinite(norm2)) return { loss0: g.loss, accepted: false, t: 0, loss: g.loss, evaluations: 0, precisions: P };

  const trial: GmmQfStepParams = {
    K: params.K,
    D: params.D,
    means: params.means.slice(),
    covariances: params.covariances.slice(),
    weights: params.weights.slice(),
  };
  let trialP = P;
  let trials = 0;
  const tryStep = (t: number): number => {
    if (times) t0 = performance.now();
    const next = trialPoint(opts.metric, params, g, rg, t, trial, probe.beforeRetract);
    lap('trialHost');
    let loss = Infinity;
    if (next) {
      trialP = next;
      loss = batch.loss(trial.means, trialP, trial.weights);
      lap('trialLoss');
    }
    return probe.trialLoss ? probe.trialLoss(loss, trials++) : loss;
  };
  const res = armijoSearch({
    loss0: g.loss,
    grad2: norm2,
    tryStep,
    t0: opts.firstStep(norm2),
    beta: opts.beta,
    c: opts.c,
    maxHalvings: opts.maxHalvings,
  });
  if (!res.accepted) return { loss0: g.loss, accepted: false, t: 0, loss: g.loss, evaluations: res.evaluations, precisions: P };
  // armijoSearch returns right after the accepting tryStep, so `trial` and `trialP` hold that point
  params.means.set(trial.means);
  params.weights.set(trial.weights);
  params.covariances.set(trial.covariances);
  return { loss0: g.loss, accepted: true, t: res.t, loss: res.loss, evaluations: res.evaluations, precisions: trialP };
}

/** The Riemannian gradient of every covariance [K, D, D] and the squared norm of the whole gradient (ξ and m Euclidean). */
function riemannianDirection(metric: SpdMetric, params: GmmQfStepParams, g: GmmQfGradients): { rg: Float64Array; norm2: number } {
  const { K, D } = params;
  const rg = new Float64Array(K * D * D);
  let norm2 = 0;
  for (let i = 0; i < g.means.length; i++) norm2 += g.means[i]! ** 2;
  for (let i = 0; i < g.weights.length; i++) norm2 += g.weights[i]! ** 2;
  for (let k = 0; k < K; k++) {
    const C = params.covariances.subarray(k * D * D, (k + 1) * D * D);
    const r = riemannianGradient(metric, C, g.covariances.subarray(k * D * D, (k + 1) * D * D), D);
    rg.set(r, k * D * D);
    norm2 += inner(metric, C, r, r, D);
  }
  return { rg, norm2 };
}

/**
 * The trial point at step size t, written into `trial`: m − t·∂m, ξ − t·∂ξ, C_k retracted along
 * −t·grad_k. Returns its precisions, or null when a retraction is infeasible or a result is
 * numerically not SPD (the search then shrinks t).
 */
function trialPoint(
  metric: SpdMetric,
  params: GmmQfStepParams,
  g: GmmQfGradients,
  rg: Float64Array,
  t: number,
  trial: GmmQfStepParams,
  beforeRetract?: (C: Float64Array, step: Float64Array) => void,
): Float64Array | null {
  const { K, D } = params;
  for (let i = 0; i < trial.means.length; i++) trial.means[i] = params.means[i]! - t * g.means[i]!;
  for (let i = 0; i < trial.weights.length; i++) trial.weights[i] = params.weights[i]! - t * g.weights[i]!;
  const dir = new Float64Array(D * D);
  for (let k = 0; k < K; k++) {
    const off = k * D * D;
    for (let i = 0; i < D * D; i++) dir[i] = -t * rg[off + i]!;
    const C = params.covariances.subarray(off, off + D * D);
    beforeRetract?.(C, dir);
    const next = tryRetract(metric, C, dir, D);
    if (next === null) return null;
    trial.covariances.set(next, off);
  }
  try {
    return precisions(trial);
  } catch (err) {
    if (err instanceof SpdError) return null;
    throw err;
  }
}
