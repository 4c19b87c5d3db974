/**
 * `makeVec(id, n, options)`: n copies of one environment stepped in lock-step, with SAME-STEP
 * auto-reset (the mode of Stable-Baselines3's VecEnv and of Gymnasium 0.29's vector envs, called
 * `AutoresetMode.SAME_STEP` in Gymnasium 1.x):
 *
 *   when env i terminates or truncates in `step()`, it is reset inside that same call;
 *   `finalObs[i]` holds the last observation of the finished episode, `obs` row i already holds
 *   the first observation of the new episode, and `reward[i]` / `terminated[i]` / `truncated[i]`
 *   belong to the finished episode's last transition. `finalObs[i]` is null for envs that did not
 *   finish. Bootstrapping on truncation should use `finalObs[i]`, never `obs` row i.
 *
 * Seeding: env i gets the i-th seed drawn from `new Rng(seed)` (`Rng.nextSeed()`), so
 * `makeVec(id, n, { seed: s }).reset()` and `makeVec(id, n).reset({ seed: s })` give the same
 * episodes, and env i reproduces `make(id, { seed: seeds[i] })`. Auto-resets call `reset()`
 * without a seed, continuing each env's own stream. Without `seed`, the master seed comes from
 * Math.random().
 *
 * Observations are concatenated row-major into one Float32Array of n * D values.
 */
import { EnvStateError, ShapeError, ValueError, describeValue } from '../../contract/errors.js';
import { Rng } from '../util/rng.js';
import type { Env } from './env.js';
import { checkOptionKeys, checkSeed, parseAction, randomSeed } from './env.js';
import { envOptionKeys, make } from './registry.js';
import { type BoxSpace, type Space, describeSpace, flatSize } from './spaces.js';

export interface VecResetOptions {
  /** Reseed every env: env i is reset with the i-th seed drawn from `new Rng(seed)`. */
  seed?: number;
}

export interface VecResetResult {
  /** numEnvs * obsDim values, row-major (row i = env i). */
  obs: Float32Array;
}

export interface VecStepResult {
  /** numEnvs * obsDim values; a row whose env just finished already holds its reset observation. */
  obs: Float32Array;
  reward: Float64Array;
  /** 1 where env i terminated on this step. */
  terminated: Uint8Array;
  /** 1 where env i was truncated (time limit) on this step. */
  truncated: Uint8Array;
  /** Last observation of the episode that env i just finished; null where it did not finish. */
  finalObs: (Float32Array | null)[];
}

/** Derives `n` per-env seeds from one seed (the i-th `nextSeed()` of `new Rng(seed)`). */
export function deriveSeeds(seed: number, n: number): number[] {
  const master = new Rng(seed);
  return Array.from({ length: n }, () => master.nextSeed());
}

export class VecEnv {
  readonly id: string;
  readonly numEnvs: number;
  /** The space of ONE env's observation (each row of `obs`). */
  readonly observationSpace: BoxSpace;
  /** The space of ONE env's action. */
  readonly actionSpace: Space;
  /** Values per observation row. */
  readonly obsDim: number;
  /** Values per env in the flat action array (1 for Discrete). */
  readonly actionDim: number;
  /** The underlying environments (stepping them directly bypasses the auto-reset bookkeeping). */
  readonly singleEnvs: readonly Env[];
  private started = false;

  constructor(id: string, n: number, options: Record<string, unknown> = {}) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      throw new ValueError(`makeVec(${JSON.stringify(id)}, n): n must be a positive integer; got ${describeValue(n)}.`);
    }
    const allowed = envOptionKeys(id); // also rejects an unknown id
    const opts = checkOptionKeys(options, allowed, `makeVec(${JSON.stringify(id)})`);
    const { seed, ...envOptions } = opts;
    const master = seed === undefined ? randomSeed() : checkSeed(seed, `makeVec(${JSON.stringify(id)}): option seed`);
    const seeds = deriveSeeds(master, n);
    this.singleEnvs = Object.freeze(seeds.map((s) => make(id, { ...envOptions, seed: s })));
    const first = this.singleEnvs[0]!;
    this.id = first.id;
    this.numEnvs = n;
    this.observationSpace = first.observationSpace;
    this.actionSpace = first.actionSpace;
    this.obsDim = flatSize(first.observationSpace);
    this.actionDim = flatSize(first.actionSpace);
  }

  reset(options?: VecResetOptions): VecResetResult {
    const opts = checkOptionKeys(options, ['seed'], `VecEnv(${this.id}).reset(options)`) as VecResetOptions;
    const seeds = opts.seed === undefined ? null : deriveSeeds(checkSeed(opts.seed, `VecEnv(${this.id}).reset({ seed })`), this.numEnvs);
    const obs = new Float32Array(this.numEnvs * this.obsDim);
    for (let i = 0; i < this.numEnvs; i++) {
      const r = this.singleEnvs[i]!.reset(seeds ? { seed: seeds[i]! } : undefined);
      obs.set(r.obs, i * this.obsDim);
    }
    this.started = true;
    return { obs };
  }

  /**
   * Steps every env. `actions` has numEnvs values (Discrete) or numEnvs * actionDim values (Box,
   * row-major). All actions are validated before any env moves.
   */
  step(actions: ArrayLike<number>): VecStepResult {
    if (!this.started) {
      throw new EnvStateError(`VecEnv(${this.id}): step() called before reset(); call reset() first.`);
    }
    const n = this.numEnvs;
    const d = this.actionDim;
    const isArrayLike =
      Array.isArray(actions) ||
      (ArrayBuffer.isView(actions) && !(actions instanceof DataView)) ||
      (typeof actions === 'object' && actions !== null && typeof (actions as ArrayLike<number>).length === 'number');
    if (!isArrayLike) {
      throw new ValueError(
        `VecEnv(${this.id}).step(actions): actions must be an array of ${n * d} numbers; got ${describeValue(actions)}.`,
      );
    }
    if (actions.length !== n * d) {
      throw new ShapeError(
        `VecEnv(${this.id}).step(actions): expected ${n * d} values (${n} envs × ${d} for ${describeSpace(this.actionSpace)}` +
          `${d > 1 ? ', row-major' : ''}); got length ${actions.length}: ${describeValue(actions)}.`,
      );
    }
    const parsed: (number | Float64Array)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const discreteSpace = this.actionSpace.kind === 'discrete';
      const chunk = discreteSpace ? actions[i]! : Array.prototype.slice.call(actions, i * d, (i + 1) * d);
      const what = discreteSpace ? `VecEnv(${this.id}): actions[${i}]` : `VecEnv(${this.id}): env ${i}'s action`;
      parsed[i] = parseAction(this.actionSpace, chunk, what);
    }

    const obs = new Float32Array(n * this.obsDim);
    const reward = new Float64Array(n);
    const terminated = new Uint8Array(n);
    const truncated = new Uint8Array(n);
    const finalObs: (Float32Array | null)[] = new Array(n).fill(null);
    for (let i = 0; i < n; i++) {
      const env = this.singleEnvs[i]!;
      const r = env.step(parsed[i]!);
      reward[i] = r.reward;
      terminated[i] = r.terminated ? 1 : 0;
      truncated[i] = r.truncated ? 1 : 0;
      if (r.terminated || r.truncated) {
        finalObs[i] = r.obs;
        obs.set(env.reset().obs, i * this.obsDim); // same-step auto-reset, continuing env i's stream
      } else {
        obs.set(r.obs, i * this.obsDim);
      }
    }
    return { obs, reward, terminated, truncated, finalObs };
  }
}

/**
 * Creates `n` copies of environment `id` with same-step auto-reset (see VecEnv).
 * Options: `seed` (master seed) plus any option `make(id, …)` accepts, applied to every copy.
 */
export function makeVec(id: string, n: number, options?: Record<string, unknown> & { seed?: number }): VecEnv {
  return new VecEnv(id, n, options);
}
