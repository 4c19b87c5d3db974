/**
 * Writing and reading a TrainingState (snapshot.ts), the part of a snapshot that lets a loop go on
 * exactly where it stopped. Every trainer builds its state with a `StateWriter` and reads it back
 * with a `StateReader`, so the rules are the same everywhere:
 *
 * - arrays go into `tensors` (F64 for float64 data, F32 for TensorFlow.js variables and
 *   observations, I32 for integers), scalars and small records into `json`, both under flat dotted
 *   names ("learner.adam.m0", "collector.episodes");
 * - `json` holds only JSON-safe values: a non-finite number or −0 is written {"$float": "NaN" |
 *   "Infinity" | "-Infinity" | "-0"} (a best return is −Infinity before the first evaluation, a
 *   loss NaN before the first update), so the state survives a JSON round trip bit for bit;
 * - a reader refuses a state of another algorithm or format version and a config that differs in
 *   any field, with a ValueError naming the field, and a missing or misshapen entry with a
 *   ModelFormatError naming it.
 */
import { ModelFormatError, ValueError, describeValue } from '../../contract/errors.js';
import type { NamedTensor } from '../../models/safetensors.js';
import type { EnvSavedState, Env } from '../envs/index.js';
import type { ReplayBuffer } from '../replay.js';
import type { EpisodeCollector } from '../episodes.js';
import { Rng, type RngState } from '../util/rng.js';
import type { MetricRow } from '../util/metrics.js';
import type { BestTracker } from './evaluation.js';
import type { TrainControl, TrainingSnapshot, TrainingState } from './snapshot.js';

/** The version of every trainer's TrainingState layout; a reader refuses another. */
const TRAINING_STATE_VERSION = 1;

// ---- JSON-safe values ------------------------------------------------------------------------------

/** `v` with every non-finite number and −0 tagged ({"$float": "NaN"}), typed arrays as plain arrays, undefined members dropped. */
export function encodeJson(v: unknown): unknown {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { $float: 'NaN' };
    if (v === Infinity) return { $float: 'Infinity' };
    if (v === -Infinity) return { $float: '-Infinity' };
    if (Object.is(v, -0)) return { $float: '-0' };
    return v;
  }
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, encodeJson);
  if (Array.isArray(v)) return v.map(encodeJson);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = encodeJson(x);
  return out;
}

/** The inverse of encodeJson (typed arrays come back as plain arrays). */
export function decodeJson(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(decodeJson);
  const rec = v as Record<string, unknown>;
  const keys = Object.keys(rec);
  if (keys.length === 1 && keys[0] === '$float') {
    const f = rec['$float'];
    if (f === 'NaN') return NaN;
    if (f === 'Infinity') return Infinity;
    if (f === '-Infinity') return -Infinity;
    if (f === '-0') return -0;
    throw new ModelFormatError(`training state: {"$float": ${JSON.stringify(f)}} is not one of NaN, Infinity, -Infinity, -0.`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(rec)) out[k] = decodeJson(x);
  return out;
}

/** JSON text with sorted object keys (for comparing configs whatever order their fields were written in). */
function canonical(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (x === null || typeof x !== 'object') return x;
    if (Array.isArray(x)) return x.map(sort);
    return Object.fromEntries(
      Object.keys(x)
        .sort()
        .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
    );
  };
  return JSON.stringify(sort(encodeJson(v)));
}

// ---- writer and reader -----------------------------------------------------------------------------

/** Builds a TrainingState; `scope(prefix)` writes under "prefix." into the same state. */
export class StateWriter {
  constructor(
    readonly tensors: Record<string, NamedTensor> = {},
    readonly json: Record<string, unknown> = {},
    private readonly prefix = '',
  ) {}

  scope(name: string): StateWriter {
    return new StateWriter(this.tensors, this.json, `${this.prefix}${name}.`);
  }

  /** A copy of float64 data. */
  f64(name: string, data: ArrayLike<number>, shape: number[] = [data.length]): void {
    this.tensors[this.prefix + name] = { dtype: 'F64', shape, data: Float64Array.from(data) };
  }

  /** A copy of float32 data (TensorFlow.js variables, observations): stored as is, not widened. */
  f32(name: string, data: ArrayLike<number>, shape: number[] = [data.length]): void {
    this.tensors[this.prefix + name] = { dtype: 'F32', shape, data: Float32Array.from(data) };
  }

  /** A JSON value (encoded by encodeJson). */
  set(name: string, value: unknown): void {
    this.json[this.prefix + name] = encodeJson(value);
  }

  build(algorithm: string, envSteps: number): TrainingState {
    return { algorithm, format_version: TRAINING_STATE_VERSION, envSteps, tensors: this.tensors, json: this.json };
  }
}

/** Reads a TrainingState written by StateWriter; every failure names the entry. */
export class StateReader {
  private constructor(
    private readonly state: TrainingState,
    private readonly prefix: string,
  ) {}

  /**
   * Opens `state` for `algorithm`: refuses another algorithm or format version and a config that
   * differs from `config` in any field (ValueError naming it).
   */
  static open(state: TrainingState, algorithm: string, config: Record<string, unknown>): StateReader {
    if (!state || typeof state !== 'object' || !state.tensors || !state.json)
      throw new ValueError(
        `resume: expected a TrainingState { algorithm, format_version, envSteps, tensors, json }; got ${describeValue(state)}.`,
      );
    if (state.algorithm !== algorithm)
      throw new ValueError(
        `resume: the training state field "algorithm" is ${describeValue(state.algorithm)}, but this is ${algorithm}; resume a run with the algorithm that wrote it.`,
      );
    if (state.format_version !== TRAINING_STATE_VERSION)
      throw new ValueError(
        `resume: the training state field "format_version" is ${describeValue(state.format_version)}; this gmmrl reads version ${TRAINING_STATE_VERSION}. Resume with the gmmrl that wrote it, or start a new run.`,
      );
    const r = new StateReader(state, '');
    const saved = r.get('config');
    if (!saved || typeof saved !== 'object' || Array.isArray(saved))
      throw new ModelFormatError(`resume: the training state has no config record (json "config").`);
    const keys = new Set([...Object.keys(saved), ...Object.keys(config).filter((k) => config[k] !== undefined)]);
    for (const key of [...keys].sort()) {
      const was = (saved as Record<string, unknown>)[key];
      const now = config[key];
      if (canonical(was ?? null) !== canonical(now ?? null))
        throw new ValueError(
          `resume: config field "${key}" is ${describeValue(now)} but the run was started with ${describeValue(was)}; ` +
            `resume with the run's own settings (its run.json), or start a new run.`,
        );
    }
    return r;
  }

  scope(name: string): StateReader {
    return new StateReader(this.state, `${this.prefix}${name}.`);
  }

  has(name: string): boolean {
    return this.prefix + name in this.state.json || this.prefix + name in this.state.tensors;
  }

  /** A JSON entry, decoded. */
  get(name: string): unknown {
    const key = this.prefix + name;
    if (!(key in this.state.json)) throw new ModelFormatError(`resume: the training state has no entry json "${key}".`);
    return decodeJson(this.state.json[key]);
  }

  /** A number entry (any finite or non-finite number). */
  num(name: string): number {
    const v = this.get(name);
    if (typeof v !== 'number')
      throw new ModelFormatError(`resume: training state json "${this.prefix + name}" is ${describeValue(v)}; expected a number.`);
    return v;
  }

  /** An integer entry ≥ 0. */
  int(name: string): number {
    const v = this.num(name);
    if (!Number.isSafeInteger(v) || v < 0)
      throw new ModelFormatError(`resume: training state json "${this.prefix + name}" is ${describeValue(v)}; expected an integer ≥ 0.`);
    return v;
  }

  private tensor(name: string, dtype: 'F64' | 'F32', length?: number): NamedTensor {
    const key = this.prefix + name;
    const t = this.state.tensors[key];
    if (!t) throw new ModelFormatError(`resume: the training state has no tensor "${key}".`);
    if (t.dtype !== dtype) throw new ModelFormatError(`resume: training state tensor "${key}" has dtype ${t.dtype}; expected ${dtype}.`);
    if (length !== undefined && t.data.length !== length)
      throw new ModelFormatError(`resume: training state tensor "${key}" has ${t.data.length} values; expected ${length}.`);
    return t;
  }

  /** A copy of an F64 tensor (of `length` values when given). */
  f64(name: string, length?: number): Float64Array {
    return Float64Array.from(this.tensor(name, 'F64', length).data as Float64Array);
  }

  /** A copy of an F32 tensor (of `length` values when given). */
  f32(name: string, length?: number): Float32Array {
    return Float32Array.from(this.tensor(name, 'F32', length).data as Float32Array);
  }

  /** The shape of a tensor. */
  shape(name: string): number[] {
    return [...this.named(name).shape];
  }

  /** The dtype of a tensor. */
  dtype(name: string): string {
    return this.named(name).dtype;
  }

  private named(name: string): NamedTensor {
    const t = this.state.tensors[this.prefix + name];
    if (!t) throw new ModelFormatError(`resume: the training state has no tensor "${this.prefix + name}".`);
    return t;
  }
}

// ---- trees of parameters ---------------------------------------------------------------------------

/**
 * Writes any parameter record (nested objects and arrays of numbers, strings, booleans, Float64Array
 * and Float32Array) under `name`: the typed arrays as tensors, the rest as a JSON skeleton whose
 * arrays point at them ({"$tensor": "best.means"}). readTree gives back the same record, typed
 * arrays of the same type and bits.
 */
export function writeTree(w: StateWriter, name: string, value: unknown): void {
  let n = 0;
  const walk = (v: unknown): unknown => {
    if (v instanceof Float64Array || v instanceof Float32Array) {
      const key = `${name}#${n++}`;
      if (v instanceof Float64Array) w.f64(key, v);
      else w.f32(key, v);
      return { $tensor: key };
    }
    if (ArrayBuffer.isView(v))
      throw new ValueError(`training state: ${name} holds a ${v.constructor.name}; only Float64Array and Float32Array are kept.`);
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x);
    return out;
  };
  w.set(name, walk(value));
}

export function readTree<T>(r: StateReader, name: string): T {
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    const rec = v as Record<string, unknown>;
    const keys = Object.keys(rec);
    if (keys.length === 1 && keys[0] === '$tensor') {
      const key = String(rec['$tensor']);
      return r.dtype(key) === 'F32' ? r.f32(key) : r.f64(key);
    }
    return Object.fromEntries(keys.map((k) => [k, walk(rec[k])]));
  };
  return walk(r.get(name)) as T;
}

// ---- the shared pieces of every loop ---------------------------------------------------------------

export function writeRng(w: StateWriter, name: string, rng: Rng): void {
  w.set(name, rng.getState());
}

export function readRng(r: StateReader, name: string): Rng {
  const st = r.get(name) as RngState;
  try {
    return Rng.fromState(st);
  } catch (err) {
    throw new ModelFormatError(`resume: training state json "${name}": ${(err as Error).message}`);
  }
}

/** The environment's saved state (json "<name>", its physics state as tensor "<name>.state"), or null for an environment without saveState. */
export function writeEnv(w: StateWriter, name: string, env: Env): void {
  if (!env.saveState) {
    w.set(name, null);
    return;
  }
  const { state, ...rest } = env.saveState();
  w.f64(`${name}.state`, state);
  w.set(name, rest);
}

/** Restores an environment written by writeEnv; a ValueError when it was saved without a state (an environment without saveState). */
export function readEnv(r: StateReader, name: string, env: Env): void {
  const rest = r.get(name) as Omit<EnvSavedState, 'state'> | null;
  if (rest === null || !env.restoreState)
    throw new ValueError(
      `resume: environment ${env.id} has no saveState/restoreState, so its episode in progress was not kept; this run cannot resume (start a new run, or give the environment both methods).`,
    );
  try {
    env.restoreState({ ...rest, state: r.f64(`${name}.state`) });
  } catch (err) {
    throw new ModelFormatError(`resume: training state json "${name}": ${(err as Error).message}`);
  }
}

/** The replay buffer's contents and position (only the stored slots). */
export function writeBuffer(w: StateWriter, name: string, b: ReplayBuffer): void {
  const st = b.saveState();
  const s = w.scope(name);
  s.set('meta', { capacity: st.capacity, obsSize: st.obsSize, actionSize: st.actionSize, size: st.size, next: st.next, pushes: st.pushes });
  s.f64('obs', st.obs, [st.size, st.obsSize]);
  s.f64('actions', st.actions, [st.size, st.actionSize]);
  s.f64('rewards', st.rewards);
  s.f64('next_obs', st.nextObs, [st.size, st.obsSize]);
  s.f64('terminated', st.terminated);
}

export function readBuffer(r: StateReader, name: string, b: ReplayBuffer): void {
  const s = r.scope(name);
  const meta = s.get('meta') as { capacity: number; obsSize: number; actionSize: number; size: number; next: number; pushes: number };
  try {
    b.restoreState({
      ...meta,
      obs: s.f64('obs'),
      actions: s.f64('actions'),
      rewards: s.f64('rewards'),
      nextObs: s.f64('next_obs'),
      terminated: s.f64('terminated'),
    });
  } catch (err) {
    throw new ModelFormatError(`resume: training state "${name}": ${(err as Error).message}`);
  }
}

export function writeCollector(w: StateWriter, name: string, c: EpisodeCollector): void {
  const { obs, ...rest } = c.saveState();
  w.f32(`${name}.obs`, obs);
  w.set(name, rest);
}

export function readCollector(r: StateReader, name: string, c: EpisodeCollector): void {
  const rest = r.get(name) as { envSteps: number; episodes: number; episodeReturn: number; recent: number[] };
  c.restoreState({ ...rest, obs: r.f32(`${name}.obs`, c.obs.length) });
}

/** The best tracker: its return, index and step (json) and its parameters (a tree). */
export function writeTracker<P>(w: StateWriter, name: string, t: BestTracker<P>): void {
  w.set(name, { bestReturn: t.bestReturn, bestIndex: t.bestIndex, bestStep: t.bestStep });
  writeTree(w, `${name}.best`, t.best);
}

export function readTracker<P>(r: StateReader, name: string, t: BestTracker<P>): void {
  const m = r.get(name) as { bestReturn: number; bestIndex: number; bestStep: number };
  t.bestReturn = m.bestReturn;
  t.bestIndex = m.bestIndex;
  t.bestStep = m.bestStep;
  t.best = readTree<P>(r, `${name}.best`);
}

/** The log rows so far (each a record of numbers and strings). */
export function readRows<R>(r: StateReader, name: string): R[] {
  const rows = r.get(name);
  if (!Array.isArray(rows))
    throw new ModelFormatError(`resume: training state json "${name}" is ${describeValue(rows)}; expected the list of log rows.`);
  return rows as R[];
}

/**
 * The wall clock of a run that may have been resumed: seconds of training so far, the sessions
 * before a resume included (the time between a stop and its resume is not counted).
 */
export class RunClock {
  private readonly t0: number;
  constructor(previousSeconds = 0) {
    this.t0 = performance.now() - previousSeconds * 1000;
  }
  get seconds(): number {
    return (performance.now() - this.t0) / 1000;
  }
}

/** How often (ms of wall time) a loop polling `stopRequested` lets the event loop run. */
const YIELD_EVERY_MS = 20;
let lastYield = 0;

/**
 * Polls `stopRequested` (false when absent, at no cost). A signal handler (the CLI's Ctrl-C /
 * SIGTERM) runs only when the event loop gets a turn, and a training loop that awaits nothing but
 * resolved promises never gives it one; so, when a stop can be requested, this hands the event
 * loop a turn (setImmediate) at most every YIELD_EVERY_MS of wall time. It changes no result:
 * nothing else touches the loop's state in between.
 */
export async function stopNow(control: TrainControl): Promise<boolean> {
  if (!control.stopRequested) return false;
  const now = performance.now();
  if (now - lastYield >= YIELD_EVERY_MS) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    lastYield = performance.now();
  }
  return control.stopRequested() === true;
}

/** Hands a snapshot to `onSnapshot` (built only when someone listens: building it copies the replay buffer). */
export function emitSnapshot(control: TrainControl, build: () => TrainingSnapshot): void {
  if (control.onSnapshot) control.onSnapshot(build());
}

/** emitSnapshot for a snapshot whose build reads tensors back asynchronously (a trainer that runs on webgpu in Node). */
export async function emitSnapshotAsync(control: TrainControl, build: () => Promise<TrainingSnapshot>): Promise<void> {
  if (control.onSnapshot) control.onSnapshot(await build());
}

/** The rows of a snapshot: copies, so the loop appending to its own list does not change a snapshot already handed out. */
export function rowsCopy(rows: readonly object[]): MetricRow[] {
  return rows.map((row) => ({ ...(row as MetricRow) }));
}
