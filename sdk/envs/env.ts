/**
 * The environment protocol and the one base class every classic-control environment extends.
 *
 * Everything that is the same for all environments lives here, once:
 * - the time limit (Gymnasium's `TimeLimit` wrapper: `truncated` becomes true on the step where
 *   the number of steps since `reset()` reaches `maxEpisodeSteps`; it can be true together with
 *   `terminated`),
 * - the protocol checks (Gymnasium's `OrderEnforcing`: no `step()` before `reset()`; and, stricter
 *   than Gymnasium, which only warns, no `step()` after `terminated`/`truncated` until `reset()`),
 * - action validation (type, finiteness, length, Discrete range). Validation never clips or rounds:
 *   continuous actions are clipped only inside an environment's dynamics, exactly where Gymnasium
 *   clips them, and a discrete action outside `[0, n)` is an error,
 * - seeding (`reset({ seed })` reseeds, `reset()` continues the current stream),
 * - `reset({ state })`, which sets the exact internal state (validated for length and finiteness).
 *
 * Numerics: the internal state is a Float64Array and all dynamics are computed in float64.
 * Observations are Float32Array, exactly like Gymnasium's `np.array(..., dtype=np.float32)`: the
 * float64 value rounded to the nearest float32.
 *
 * Seeding: an environment built without a `seed` option draws its first seed from `Math.random()`
 * (Gymnasium draws it from OS entropy), so its episodes are not reproducible until it is reseeded
 * with `reset({ seed })` or built with `make(id, { seed })`. The random streams are gmmrl's own
 * `Rng` (xoshiro128**), not NumPy's PCG64: the same seed gives the same episode in gmmrl, not the
 * same numbers as in Gymnasium.
 */
import { EnvStateError, ShapeError, UnknownNameError, ValueError, describeValue } from '../../contract/errors.js';
import { Rng, type RngState } from '../util/rng.js';
import { type BoxSpace, type Space, describeSpace } from './spaces.js';

export interface ResetOptions {
  /** Reseed the environment's random stream before drawing the initial state. */
  seed?: number;
  /** Set this exact internal state instead of drawing one (see each environment for its layout). */
  state?: ArrayLike<number>;
}

export interface ResetResult {
  obs: Float32Array;
  info: Record<string, unknown>;
}

export interface StepResult {
  obs: Float32Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Record<string, unknown>;
}

/**
 * Everything an environment needs to continue exactly where it was (a training run's resume):
 * the physics state, the protocol phase, the step counter since reset() and the position of its
 * random stream. `saveState()` returns a copy; `restoreState()` sets it on an environment of the
 * same id.
 */
export interface EnvSavedState {
  id: string;
  phase: 'new' | 'running' | 'ended';
  /** How the episode ended (for the step-after-end message); '' unless ended. */
  endedHow: string;
  elapsedSteps: number;
  /** The internal state (stateLabels order); meaningless while phase is 'new'. */
  state: Float64Array;
  rng: RngState;
}

export interface Env {
  readonly id: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  /** Time limit: `truncated` is true on the step where `elapsedSteps` reaches it (Infinity: none). */
  readonly maxEpisodeSteps: number;
  /** Gymnasium's registered `reward_threshold` (undefined where Gymnasium registers none). */
  readonly rewardThreshold: number | undefined;
  /** A copy of the exact internal state (float64). Throws EnvStateError before the first reset(). */
  readonly state: Float64Array;
  /** Steps taken since the last reset(). */
  readonly elapsedSteps: number;
  reset(options?: ResetOptions): ResetResult;
  step(action: number | ArrayLike<number>): StepResult;
  /**
   * Optional (every built-in environment has it): a copy of the exact state, for resuming training
   * mid-episode. Environments without it still train and checkpoint; a run on them cannot resume.
   */
  saveState?(): EnvSavedState;
  /** Optional: continue from a state `saveState` returned (same id, same state length). */
  restoreState?(state: EnvSavedState): void;
}

/** Options every environment accepts in `make(id, options)`. */
export interface BaseEnvOptions {
  /** Overrides the registered time limit. A positive integer, or Infinity for no limit. */
  maxEpisodeSteps?: number;
  /** Seed of the initial random stream (default: drawn from Math.random()). */
  seed?: number;
}

/** What an environment tells the base class about itself. */
export interface EnvDefinition {
  readonly id: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  readonly maxEpisodeSteps: number;
  readonly rewardThreshold: number | undefined;
  /** Names of the internal state's entries, in order (used by reset({ state }) and messages). */
  readonly stateLabels: readonly string[];
}

export const MAX_SEED = 0xffffffff;

/** A seed from Math.random(), for generators nobody seeded (Gymnasium uses OS entropy there). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x100000000) >>> 0;
}

/** Throws ValueError unless `seed` is an integer in [0, 2^32 - 1]. */
export function checkSeed(seed: unknown, what: string): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new ValueError(`${what} must be an integer in [0, ${MAX_SEED}]; got ${describeValue(seed)}. Pass e.g. seed: 0.`);
  }
  return seed;
}

/** Throws ValueError unless `v` is a positive integer or Infinity. */
function checkMaxEpisodeSteps(v: unknown, what: string): number {
  if (typeof v !== 'number' || !(v === Infinity || (Number.isInteger(v) && v > 0))) {
    throw new ValueError(`${what} must be a positive integer (or Infinity for no time limit); got ${describeValue(v)}.`);
  }
  return v;
}

/** Throws ValueError unless `v` is a finite number. */
export function checkFiniteOption(v: unknown, what: string, example: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ValueError(`${what} must be a finite number; got ${describeValue(v)}. Pass e.g. ${example}.`);
  }
  return v;
}

/** Throws UnknownNameError for any key of `options` (with a defined value) not in `allowed`. */
export function checkOptionKeys(options: unknown, allowed: readonly string[], what: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${what} must be an object like { ${allowed[0]}: … }; got ${describeValue(options)}.`);
  }
  const rec = options as Record<string, unknown>;
  for (const key of Object.keys(rec)) {
    if (rec[key] === undefined) continue;
    if (!allowed.includes(key)) {
      throw new UnknownNameError(`${what}: unknown option ${JSON.stringify(key)}. Valid options: ${allowed.join(', ')}.`);
    }
  }
  return rec;
}

function isArrayLike(x: unknown): x is ArrayLike<unknown> {
  if (Array.isArray(x)) return true;
  if (ArrayBuffer.isView(x)) return !(x instanceof DataView);
  return typeof x === 'object' && x !== null && typeof (x as { length?: unknown }).length === 'number';
}

function discreteChoices(n: number): string {
  return n <= 6 ? Array.from({ length: n }, (_, i) => String(i)).join(', ') : `0, 1, …, ${n - 1}`;
}

/**
 * Validates one action for `space` and returns it as a number (Discrete) or a fresh Float64Array
 * (Box). Never clips, never rounds. `what` names the action in messages, e.g. "CartPole-v1: action".
 *
 * Discrete: an integer in [0, n), given as a number or an array of length 1.
 * Box: an array of the Box's length; a bare number is accepted for a Box of size 1.
 */
export function parseAction(space: Space, action: unknown, what: string): number | Float64Array {
  if (space.kind === 'discrete') {
    let v: unknown = action;
    if (typeof action !== 'number') {
      if (!isArrayLike(action)) {
        throw new ValueError(
          `${what} must be an integer in [0, ${space.n}) for ${describeSpace(space)}; got ${describeValue(action)} ` +
            `(type ${action === null ? 'null' : typeof action}). Pass one of ${discreteChoices(space.n)}.`,
        );
      }
      if (action.length !== 1) {
        throw new ShapeError(
          `${what} for ${describeSpace(space)} must be one integer (or an array of length 1); got length ` +
            `${action.length}: ${describeValue(action)}. Pass one of ${discreteChoices(space.n)}.`,
        );
      }
      v = action[0];
    }
    if (typeof v !== 'number') {
      throw new ValueError(
        `${what} must be an integer in [0, ${space.n}) for ${describeSpace(space)}; got ${describeValue(v)} ` +
          `(type ${v === null ? 'null' : typeof v}). Pass one of ${discreteChoices(space.n)}.`,
      );
    }
    if (!Number.isFinite(v)) {
      throw new ValueError(
        `${what} must be a finite integer in [0, ${space.n}); got ${describeValue(v)}. ` + `Check the policy output for NaN/Infinity.`,
      );
    }
    if (!Number.isInteger(v) || v < 0 || v >= space.n) {
      throw new ValueError(
        `${what} must be an integer in [0, ${space.n}) for ${describeSpace(space)}; got ${describeValue(v)}. ` +
          `Discrete actions are never clipped or rounded: pass one of ${discreteChoices(space.n)}.`,
      );
    }
    return v;
  }

  const dim = space.low.length;
  let arr: ArrayLike<unknown>;
  if (typeof action === 'number') arr = [action];
  else if (isArrayLike(action)) arr = action;
  else {
    throw new ValueError(
      `${what} must be an array of ${dim} finite number(s) for ${describeSpace(space)}; got ` +
        `${describeValue(action)} (type ${action === null ? 'null' : typeof action}).`,
    );
  }
  if (arr.length !== dim) {
    throw new ShapeError(
      `${what} must have length ${dim} for ${describeSpace(space)}; got length ${arr.length}: ` +
        `${describeValue(action)}. Pass an array like [${new Array(dim).fill('0').join(', ')}].`,
    );
  }
  const out = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValueError(
        `${what}[${i}] must be a finite number; got ${describeValue(v)}. Check the policy output for NaN/Infinity ` +
          `(out-of-range finite values are fine: the environment clips them where Gymnasium does).`,
      );
    }
    out[i] = v;
  }
  return out;
}

type Phase = 'new' | 'running' | 'ended';

/**
 * Base of the classic-control environments: time limit, protocol checks, action validation,
 * seeding and `reset({ state })`. Subclasses provide only the physics:
 * `sampleInitialState`, `transition` and `observe`.
 */
export abstract class ClassicControlEnv<A extends number | Float64Array> implements Env {
  readonly id: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  readonly maxEpisodeSteps: number;
  readonly rewardThreshold: number | undefined;

  /** The exact internal state (float64). Subclasses read and write it in place. */
  protected readonly s: Float64Array;
  private readonly stateLabels: readonly string[];
  private rng: Rng;
  private steps = 0;
  private phase: Phase = 'new';
  private endedHow = '';

  protected constructor(def: EnvDefinition, options: BaseEnvOptions) {
    this.id = def.id;
    this.observationSpace = def.observationSpace;
    this.actionSpace = def.actionSpace;
    this.rewardThreshold = def.rewardThreshold;
    this.stateLabels = def.stateLabels;
    this.maxEpisodeSteps =
      options.maxEpisodeSteps === undefined
        ? def.maxEpisodeSteps
        : checkMaxEpisodeSteps(options.maxEpisodeSteps, `${def.id}: option maxEpisodeSteps`);
    const seed = options.seed === undefined ? randomSeed() : checkSeed(options.seed, `${def.id}: option seed`);
    this.rng = new Rng(seed);
    this.s = new Float64Array(def.stateLabels.length);
  }

  get state(): Float64Array {
    if (this.phase === 'new') {
      throw new EnvStateError(`${this.id}: state is undefined before the first reset(); call reset() first.`);
    }
    return Float64Array.from(this.s);
  }

  get elapsedSteps(): number {
    return this.steps;
  }

  reset(options?: ResetOptions): ResetResult {
    const opts = checkOptionKeys(options, ['seed', 'state'], `${this.id}: reset(options)`) as ResetOptions;
    if (opts.seed !== undefined) this.rng = new Rng(checkSeed(opts.seed, `${this.id}: reset({ seed })`));
    if (opts.state !== undefined) this.s.set(this.checkState(opts.state));
    else this.sampleInitialState(this.rng, this.s);
    this.steps = 0;
    this.phase = 'running';
    this.endedHow = '';
    return { obs: this.observe(), info: {} };
  }

  step(action: number | ArrayLike<number>): StepResult {
    if (this.phase === 'new') {
      throw new EnvStateError(`${this.id}: step() called before reset(); call reset() first to start an episode.`);
    }
    if (this.phase === 'ended') {
      throw new EnvStateError(`${this.id}: step() called after the episode ended (${this.endedHow}); call reset() to start a new episode.`);
    }
    const a = parseAction(this.actionSpace, action, `${this.id}: action`) as A;
    const { reward, terminated } = this.transition(a);
    this.steps += 1;
    const truncated = this.steps >= this.maxEpisodeSteps;
    if (terminated || truncated) {
      this.phase = 'ended';
      this.endedHow = terminated ? `terminated at step ${this.steps}` : `truncated by the time limit at step ${this.steps}`;
    }
    return { obs: this.observe(), reward, terminated, truncated, info: {} };
  }

  saveState(): EnvSavedState {
    return {
      id: this.id,
      phase: this.phase,
      endedHow: this.endedHow,
      elapsedSteps: this.steps,
      state: Float64Array.from(this.s),
      rng: this.rng.getState(),
    };
  }

  restoreState(st: EnvSavedState): void {
    const where = `${this.id}: restoreState`;
    if (!st || typeof st !== 'object') throw new ValueError(`${where}: expected a state from saveState(); got ${describeValue(st)}.`);
    if (st.id !== this.id) throw new ValueError(`${where}: the state belongs to ${describeValue(st.id)}, not ${this.id}.`);
    if (!['new', 'running', 'ended'].includes(st.phase))
      throw new ValueError(`${where}: phase ${describeValue(st.phase)} is not one of new, running, ended.`);
    if (!Number.isSafeInteger(st.elapsedSteps) || st.elapsedSteps < 0)
      throw new ValueError(`${where}: elapsedSteps ${describeValue(st.elapsedSteps)} must be an integer ≥ 0.`);
    if (typeof st.endedHow !== 'string') throw new ValueError(`${where}: endedHow must be a string; got ${describeValue(st.endedHow)}.`);
    const s = st.phase === 'new' ? new Float64Array(this.s.length) : this.checkState(st.state);
    const rng = Rng.fromState(st.rng);
    this.s.set(s);
    this.rng = rng;
    this.steps = st.elapsedSteps;
    this.phase = st.phase;
    this.endedHow = st.endedHow;
  }

  /** Draws the initial state into `out` (Gymnasium's reset distribution). */
  protected abstract sampleInitialState(rng: Rng, out: Float64Array): void;
  /** Advances `this.s` by one step; returns Gymnasium's reward and termination flag. */
  protected abstract transition(action: A): { reward: number; terminated: boolean };
  /** The float32 observation of `this.s`. */
  protected abstract observe(): Float32Array;

  private checkState(state: unknown): Float64Array {
    const labels = this.stateLabels;
    const layout = `[${labels.join(', ')}]`;
    if (!isArrayLike(state)) {
      throw new ValueError(
        `${this.id}: reset({ state }) must be an array of ${labels.length} numbers ${layout}; got ${describeValue(state)}.`,
      );
    }
    if (state.length !== labels.length) {
      throw new ShapeError(
        `${this.id}: reset({ state }) needs ${labels.length} values ${layout}; got length ${state.length}: ` + `${describeValue(state)}.`,
      );
    }
    const out = new Float64Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const v = state[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new ValueError(`${this.id}: reset({ state }): state[${i}] (${labels[i]}) must be a finite number; got ${describeValue(v)}.`);
      }
      out[i] = v;
    }
    return out;
  }
}
