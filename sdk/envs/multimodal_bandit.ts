/**
 * MultimodalBandit-v0: a random continuous bandit whose reward is proportional to a sum of
 * Gaussian densities over the action ([MRP], §5.1 and Appendix E.1: "continuous bandits with the
 * reward function proportional to the summation of randomly generated Gaussian density functions;
 * means and standard deviations uniformly sampled"; the ranges were lost from the extracted text,
 * so the ones below are gmmrl's choice).
 *
 * One step per episode. Action: Box([-1]^d, [1]^d); a = clip(action, -1, 1) elementwise (inside
 * the dynamics). Reward, for the bandit's K bumps (centre c_k in R^d, standard deviation s_k):
 *   raw(a)    = sum_k N(a; c_k, s_k^2 I) = sum_k (2 pi s_k^2)^(-d/2) exp(-|a - c_k|^2 / (2 s_k^2))
 *   reward(a) = raw(a) / Z,   Z = raw(a*),   a* = the (numerically found) maximiser of raw on [-1, 1]^d
 * so rewards lie in [0, 1] and the global maximum is 1 (reward(a*) = 1 exactly; the true supremum
 * may exceed 1 by the search's tolerance, far below 1e-9). The reward IS the normalized reward.
 * Bump k's peak height is therefore h_k = (2 pi s_k^2)^(-d/2) / Z: narrower bumps are taller
 * (with d = 1 at most 3x taller than the widest), as for true densities.
 *
 * Draws (gmmrl's choice), from `new Rng(banditSeed)` in this order, bump by bump:
 *   c_k[0..d-1] uniform in [-1, 1) each (centres uniform in the action box), then
 *   s_k uniform in [0.1, 0.3)  (`MULTIMODAL_BANDIT_SIGMA_RANGE`).
 * The bandit depends only on (banditSeed, actionDim, modes), never on the environment's `seed`.
 *
 * Maximiser a*: projected gradient ascent on raw (Armijo backtracking, monotone) started from every
 * centre and, for d = 1, also from the best point of a 20001-point grid over [-1, 1]; the best
 * end point wins. For d = 1 that is the global maximum; for d > 1 a local search, which
 * finds the global maximum unless it lies in a basin containing no centre (rare).
 *
 * Options: `banditSeed` (integer in [0, 2^32 - 1], default 0), `actionDim` (integer in [1, 32],
 * default 1), `modes` (number of bumps K, integer in [1, 100], default 5).
 * Observation: the constant Float32Array [0] in Box([-1], [1]); internal state: empty. Terminated
 * after the single step (time limit 1, so `truncated` is true on that step as well). Reset is
 * deterministic (`seed` draws nothing).
 */
import { ShapeError, ValueError, describeValue } from '../../contract/errors.js';
import { Rng } from '../util/rng.js';
import { type BaseEnvOptions, ClassicControlEnv, type EnvDefinition, MAX_SEED } from './env.js';
import { float32Box } from './spaces.js';

/** Standard deviations of the bumps are drawn uniformly from [0.1, 0.3). */
export const MULTIMODAL_BANDIT_SIGMA_RANGE: readonly [number, number] = Object.freeze([0.1, 0.3]) as readonly [number, number];
const MULTIMODAL_BANDIT_DEFAULT_MODES = 5;
const MULTIMODAL_BANDIT_MAX_DIM = 32;
const MULTIMODAL_BANDIT_MAX_MODES = 100;
const GRID_POINTS = 20001;

export interface MultimodalBanditOptions extends BaseEnvOptions {
  /** Seed of the bandit's bumps (default 0); independent of `seed`. */
  banditSeed?: number;
  /** Action dimension d (default 1). */
  actionDim?: number;
  /** Number of Gaussian bumps K (default 5). */
  modes?: number;
}

/** One random bandit: its bumps, normalizer and maximiser. Frozen. */
export interface MultimodalBandit {
  readonly banditSeed: number;
  readonly actionDim: number;
  /** Bump centres, K arrays of length d. */
  readonly centres: readonly (readonly number[])[];
  /** Bump standard deviations s_k. */
  readonly sigmas: readonly number[];
  /** Bump peak heights in reward units, h_k = (2 pi s_k^2)^(-d/2) / Z. */
  readonly heights: readonly number[];
  /** Z: the maximum of the raw density sum (reward = raw / Z). */
  readonly normalizer: number;
  /** The maximiser a* found numerically (reward(a*) = 1). */
  readonly maxAction: readonly number[];
  /** The maximum reward, 1 by construction. */
  readonly maxReward: number;
}

export const MULTIMODAL_BANDIT_V0: EnvDefinition = multimodalBanditDefinition(1);

/** The definition for action dimension d (MULTIMODAL_BANDIT_V0 is d = 1). */
export function multimodalBanditDefinition(actionDim: number): EnvDefinition {
  return Object.freeze({
    id: 'MultimodalBandit-v0',
    observationSpace: float32Box([-1.0], [1.0]),
    actionSpace: float32Box(new Array(actionDim).fill(-1.0), new Array(actionDim).fill(1.0)),
    maxEpisodeSteps: 1,
    rewardThreshold: undefined,
    stateLabels: Object.freeze([] as string[]),
  });
}

function checkIntOption(v: unknown, what: string, lo: number, hi: number, example: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new ValueError(`${what} must be an integer in [${lo}, ${hi}]; got ${describeValue(v)}. Pass e.g. ${example}.`);
  }
  return v;
}

/** Peak values (2 pi s^2)^(-d/2) of the bumps' densities. */
function densityPeaksOf(sigmas: readonly number[], d: number): number[] {
  return sigmas.map((s) => (2 * Math.PI * s * s) ** (-d / 2));
}

/** Density peaks per bandit, so the reward reuses the exact values the normalizer was computed with. */
const peaksCache = new WeakMap<MultimodalBandit, readonly number[]>();

/** Sum of the bumps' (unnormalized) density values at `a`, each weighted by `peaks[k]`. */
function bumpSum(
  a: ArrayLike<number>,
  centres: readonly (readonly number[])[],
  sigmas: readonly number[],
  peaks: readonly number[],
): number {
  let total = 0;
  for (let k = 0; k < centres.length; k++) {
    const c = centres[k]!;
    let d2 = 0;
    for (let i = 0; i < c.length; i++) {
      const e = a[i]! - c[i]!;
      d2 += e * e;
    }
    const s = sigmas[k]!;
    total += peaks[k]! * Math.exp(-d2 / (2 * s * s));
  }
  return total;
}

/** Projected gradient ascent with Armijo backtracking from `start`; returns the end point. */
function ascend(
  start: Float64Array,
  centres: readonly (readonly number[])[],
  sigmas: readonly number[],
  peaks: readonly number[],
): Float64Array {
  const d = start.length;
  const x = Float64Array.from(start, (v) => Math.min(Math.max(v, -1), 1));
  const grad = new Float64Array(d);
  const trial = new Float64Array(d);
  let fx = bumpSum(x, centres, sigmas, peaks);
  const sMin = Math.min(...sigmas);
  let eta = (sMin * sMin) / Math.max(fx, 1e-300);
  for (let iter = 0; iter < 2000; iter++) {
    grad.fill(0);
    for (let k = 0; k < centres.length; k++) {
      const c = centres[k]!;
      const s2 = sigmas[k]! * sigmas[k]!;
      let d2 = 0;
      for (let i = 0; i < d; i++) d2 += (x[i]! - c[i]!) ** 2;
      const w = (peaks[k]! * Math.exp(-d2 / (2 * s2))) / s2;
      for (let i = 0; i < d; i++) grad[i] = grad[i]! + w * (c[i]! - x[i]!);
    }
    let accepted = false;
    for (let bt = 0; bt < 60; bt++) {
      let moved2 = 0;
      for (let i = 0; i < d; i++) {
        trial[i] = Math.min(Math.max(x[i]! + eta * grad[i]!, -1), 1);
        moved2 += (trial[i]! - x[i]!) ** 2;
      }
      if (moved2 === 0) return x; // at a (boundary) stationary point
      const ft = bumpSum(trial, centres, sigmas, peaks);
      if (ft >= fx + (1e-4 * moved2) / eta) {
        const gain = ft - fx;
        x.set(trial);
        fx = ft;
        accepted = true;
        if (Math.sqrt(moved2) < 1e-13 || gain <= 1e-16 * Math.abs(fx)) return x;
        eta *= 1.5;
        break;
      }
      eta *= 0.5;
    }
    if (!accepted) return x;
  }
  return x;
}

/**
 * Draws the bandit for (banditSeed, actionDim, modes) and finds its maximiser (see the header).
 * Deterministic: the same arguments always give the same bandit.
 */
export function makeMultimodalBandit(banditSeed = 0, actionDim = 1, modes = MULTIMODAL_BANDIT_DEFAULT_MODES): MultimodalBandit {
  checkIntOption(banditSeed, 'makeMultimodalBandit: banditSeed', 0, MAX_SEED, 'banditSeed: 0');
  checkIntOption(actionDim, 'makeMultimodalBandit: actionDim', 1, MULTIMODAL_BANDIT_MAX_DIM, 'actionDim: 1');
  checkIntOption(modes, 'makeMultimodalBandit: modes', 1, MULTIMODAL_BANDIT_MAX_MODES, 'modes: 5');
  const rng = new Rng(banditSeed);
  const [sLo, sHi] = MULTIMODAL_BANDIT_SIGMA_RANGE;
  const centres: number[][] = [];
  const sigmas: number[] = [];
  for (let k = 0; k < modes; k++) {
    const c: number[] = [];
    for (let i = 0; i < actionDim; i++) c.push(rng.uniformRange(-1, 1));
    centres.push(c);
    sigmas.push(rng.uniformRange(sLo, sHi));
  }
  const densityPeaks = densityPeaksOf(sigmas, actionDim);

  const starts: Float64Array[] = centres.map((c) => Float64Array.from(c));
  if (actionDim === 1) {
    let best = -Infinity;
    let bestX = 0;
    const p = new Float64Array(1);
    for (let j = 0; j < GRID_POINTS; j++) {
      p[0] = -1 + (2 * j) / (GRID_POINTS - 1);
      const f = bumpSum(p, centres, sigmas, densityPeaks);
      if (f > best) {
        best = f;
        bestX = p[0];
      }
    }
    starts.push(Float64Array.of(bestX));
  }
  let maxAction = starts[0]!;
  let rawMax = -Infinity;
  for (const st of starts) {
    const end = ascend(st, centres, sigmas, densityPeaks);
    const f = bumpSum(end, centres, sigmas, densityPeaks);
    if (f > rawMax) {
      rawMax = f;
      maxAction = end;
    }
  }
  const freeze = <T>(a: T[]): readonly T[] => Object.freeze(a);
  const bandit: MultimodalBandit = Object.freeze({
    banditSeed,
    actionDim,
    centres: freeze(centres.map((c) => freeze(c))),
    sigmas: freeze(sigmas),
    heights: freeze(densityPeaks.map((h) => h / rawMax)),
    normalizer: rawMax,
    maxAction: freeze(Array.from(maxAction)),
    maxReward: 1,
  });
  peaksCache.set(bandit, densityPeaks);
  return bandit;
}

/**
 * The bandit's (normalized) reward at `action`: raw(action) / Z, i.e.
 * sum_k h_k exp(-|a - c_k|^2 / (2 s_k^2)). No clipping here (the environment clips to [-1, 1]^d
 * first). Computed exactly like the normalizer, so the reward at `bandit.maxAction` is exactly 1.
 */
export function multimodalBanditReward(bandit: MultimodalBandit, action: ArrayLike<number>): number {
  if (action.length !== bandit.actionDim) {
    throw new ShapeError(
      `multimodalBanditReward: action must have length ${bandit.actionDim} (the bandit's actionDim); got length ` +
        `${action.length}: ${describeValue(action)}.`,
    );
  }
  let peaks = peaksCache.get(bandit);
  if (peaks === undefined) {
    peaks = densityPeaksOf(bandit.sigmas, bandit.actionDim);
    peaksCache.set(bandit, peaks);
  }
  return bumpSum(action, bandit.centres, bandit.sigmas, peaks) / bandit.normalizer;
}

export class MultimodalBanditEnv extends ClassicControlEnv<Float64Array> {
  readonly bandit: MultimodalBandit;
  private readonly clipped: Float64Array;

  constructor(options: MultimodalBanditOptions = {}) {
    const id = MULTIMODAL_BANDIT_V0.id;
    const banditSeed =
      options.banditSeed === undefined ? 0 : checkIntOption(options.banditSeed, `${id}: option banditSeed`, 0, MAX_SEED, 'banditSeed: 0');
    const actionDim =
      options.actionDim === undefined
        ? 1
        : checkIntOption(options.actionDim, `${id}: option actionDim`, 1, MULTIMODAL_BANDIT_MAX_DIM, 'actionDim: 2');
    const modes =
      options.modes === undefined
        ? MULTIMODAL_BANDIT_DEFAULT_MODES
        : checkIntOption(options.modes, `${id}: option modes`, 1, MULTIMODAL_BANDIT_MAX_MODES, 'modes: 5');
    super(actionDim === 1 ? MULTIMODAL_BANDIT_V0 : multimodalBanditDefinition(actionDim), options);
    this.bandit = makeMultimodalBandit(banditSeed, actionDim, modes);
    this.clipped = new Float64Array(actionDim);
  }

  protected sampleInitialState(_rng: Rng, _out: Float64Array): void {
    // No state: nothing to draw.
  }

  protected transition(action: Float64Array): { reward: number; terminated: boolean } {
    const a = this.clipped;
    for (let i = 0; i < a.length; i++) a[i] = Math.min(Math.max(action[i]!, -1.0), 1.0);
    return { reward: multimodalBanditReward(this.bandit, a), terminated: true };
  }

  protected observe(): Float32Array {
    return new Float32Array(1);
  }
}
