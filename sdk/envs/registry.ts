/**
 * `make(id, options)` and `listEnvs()`: the registry of environments, with Gymnasium's
 * registration values (time limits, reward thresholds) and the options each one accepts.
 *
 * The built-in environments are the table below. A project that depends on gmmrl adds its own at
 * run time with `registerEnv({ id, create, extraOptions })`; `make`, `listEnvs`, `gmmrl envs` and
 * every trainer then know it. `unregisterEnv(id)` removes such a registration again (tests).
 */
import { UnknownNameError, ValueError, describeValue } from '../../contract/errors.js';
import { nearestName } from '../../contract/names.js';
import { AcrobotEnv } from './acrobot.js';
import { Bandit1DEnv } from './bandit1d.js';
import { CartPoleEnv } from './cartpole.js';
import { ContinuousAcrobotEnv, ContinuousAcrobotShapedEnv } from './continuous_acrobot.js';
import { MountainCarContinuousEnv } from './continuous_mountain_car.js';
import type { Env } from './env.js';
import { checkOptionKeys } from './env.js';
import { MazeEnv } from './maze.js';
import { MountainCarEnv } from './mountain_car.js';
import { MultimodalBanditEnv } from './multimodal_bandit.js';
import { PendulumEnv } from './pendulum.js';
import { SparsePendulumEnv } from './sparse_pendulum.js';
import { UnshapedMountainCarContinuousEnv } from './unshaped_mountain_car.js';

/** What `registerEnv` takes. */
export interface EnvRegistration {
  /** Gymnasium style `Name-vN`, e.g. "Toy-v0" (case-sensitive; not an id already registered). */
  readonly id: string;
  /**
   * Builds one environment from `make`'s options (only the keys allowed for this id reach it;
   * `maxEpisodeSteps` and `seed` always are: a class extending ClassicControlEnv handles both).
   * It must return an Env whose `id` is the registered id, with its observation and action spaces.
   */
  create(options: Record<string, unknown>): Env;
  /** Option keys beyond the common `maxEpisodeSteps` and `seed` (default none). */
  readonly extraOptions?: readonly string[];
}

interface Registration {
  readonly id: string;
  /** Option keys beyond the common `maxEpisodeSteps` and `seed`. */
  readonly extraOptions: readonly string[];
  create(options: Record<string, unknown>): Env;
}

const COMMON_OPTIONS = ['maxEpisodeSteps', 'seed'] as const;

// Registration order is the order listEnvs() reports: Gymnasium's classic-control order, then
// gmmrl's research environments (bandits, unshaped classic control, maze).
const BUILT_IN: readonly Registration[] = [
  { id: 'CartPole-v1', extraOptions: [], create: (o) => new CartPoleEnv(o) },
  { id: 'MountainCar-v0', extraOptions: ['goalVelocity'], create: (o) => new MountainCarEnv(o) },
  {
    id: 'MountainCarContinuous-v0',
    extraOptions: ['goalVelocity'],
    create: (o) => new MountainCarContinuousEnv(o),
  },
  { id: 'Pendulum-v1', extraOptions: ['g'], create: (o) => new PendulumEnv(o) },
  { id: 'Acrobot-v1', extraOptions: [], create: (o) => new AcrobotEnv(o) },
  { id: 'Bandit1D-v0', extraOptions: [], create: (o) => new Bandit1DEnv(o) },
  {
    id: 'MultimodalBandit-v0',
    extraOptions: ['banditSeed', 'actionDim', 'modes'],
    create: (o) => new MultimodalBanditEnv(o),
  },
  { id: 'SparsePendulum-v0', extraOptions: ['g'], create: (o) => new SparsePendulumEnv(o) },
  { id: 'ContinuousAcrobot-v0', extraOptions: [], create: (o) => new ContinuousAcrobotEnv(o) },
  { id: 'ContinuousAcrobotShaped-v0', extraOptions: [], create: (o) => new ContinuousAcrobotShapedEnv(o) },
  {
    id: 'UnshapedMountainCarContinuous-v0',
    extraOptions: ['goalVelocity'],
    create: (o) => new UnshapedMountainCarContinuousEnv(o),
  },
  { id: 'Maze-v0', extraOptions: [], create: (o) => new MazeEnv(o) },
];

/** The built-ins, then registerEnv's additions in the order they were registered. */
const REGISTRY: Registration[] = [...BUILT_IN];

/** Gymnasium's id form `Name-vN`: a letter, then letters, digits, `_`, `.` or `-`; a version without leading zeros. */
const ID_PATTERN = /^[A-Za-z][\w.-]*-v(0|[1-9]\d*)$/;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

/** null when `space` looks like a Space (kind, and n or low/high/shape); else what is wrong. */
function spaceProblem(space: unknown, box: boolean): string | null {
  if (!isRecord(space)) return `it is ${describeValue(space)}`;
  if (space['kind'] === 'discrete' && !box) {
    const n = space['n'];
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 ? null : `its n is ${describeValue(n)}, not a positive integer`;
  }
  if (space['kind'] !== 'box') return `its kind is ${describeValue(space['kind'])}; expected ${box ? '"box"' : '"discrete" or "box"'}`;
  const { low, high, shape } = space;
  if (!ArrayBuffer.isView(low) && !Array.isArray(low)) return `its low is ${describeValue(low)}, not an array`;
  if (!ArrayBuffer.isView(high) && !Array.isArray(high)) return `its high is ${describeValue(high)}, not an array`;
  if (!Array.isArray(shape)) return `its shape is ${describeValue(shape)}, not an array`;
  const lo = low as ArrayLike<number>;
  const hi = high as ArrayLike<number>;
  const size = (shape as unknown[]).reduce((a: number, b) => a * (typeof b === 'number' ? b : NaN), 1);
  if (lo.length !== hi.length || lo.length !== size)
    return `its low, high and shape disagree (lengths ${lo.length}, ${hi.length}, shape ${describeValue(shape)})`;
  return null;
}

/** The env `create` returned, checked: an object with the registered id, spaces, reset and step. */
function checkCreated(env: unknown, id: string, what: string): Env {
  const fix = `create must return an Env (e.g. a class extending ClassicControlEnv from gmmrl/envs) with id ${JSON.stringify(id)}.`;
  if (!isRecord(env)) throw new ValueError(`${what}: create returned ${describeValue(env)}, not an environment. ${fix}`);
  const obs = spaceProblem(env['observationSpace'], true);
  if (obs !== null) throw new ValueError(`${what}: the environment's observationSpace is not a Box space: ${obs}. ${fix}`);
  const act = spaceProblem(env['actionSpace'], false);
  if (act !== null) throw new ValueError(`${what}: the environment's actionSpace is not a Discrete or Box space: ${act}. ${fix}`);
  for (const m of ['reset', 'step'] as const) {
    if (typeof env[m] !== 'function') throw new ValueError(`${what}: the environment has no ${m}() method. ${fix}`);
  }
  if (env['id'] !== id)
    throw new ValueError(`${what}: the environment's id is ${describeValue(env['id'])}, not the registered ${JSON.stringify(id)}. ${fix}`);
  return env as unknown as Env;
}

/**
 * Adds an environment to the registry: `make(id)`, `listEnvs()`, `gmmrl envs`, `vecEnv` and every
 * trainer (`trainDqn({ env: id })`, `gmmrl train … --env id`) then know it. `create` is called
 * once here (with `{ seed: 0 }`) to check what it returns, and its result is checked on every `make`.
 *
 * Throws ValueError, naming the id and the fix, for: an id already registered (built-in or not), a
 * malformed id (not `Name-vN`), a `create` that is not a function or does not return an
 * environment with this id and its observation and action spaces, and malformed `extraOptions`.
 */
export function registerEnv(registration: EnvRegistration): void {
  const what = 'registerEnv';
  if (!isRecord(registration)) {
    throw new ValueError(
      `${what}: expected { id, create, extraOptions? }; got ${describeValue(registration)}. Pass e.g. registerEnv({ id: "Toy-v0", create: (o) => new ToyEnv(o) }).`,
    );
  }
  const { id, create, extraOptions = [] } = registration;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw new ValueError(
      `${what}: id ${describeValue(id)} is not a Gymnasium style id "Name-vN" (a letter, then letters, digits, _, . or -, then -v and a version), e.g. "Toy-v0".`,
    );
  }
  const where = `${what}(${JSON.stringify(id)})`;
  if (REGISTRY.some((r) => r.id === id)) {
    const builtIn = BUILT_IN.some((r) => r.id === id);
    throw new ValueError(
      `${where}: the id is already registered${builtIn ? ' (a built-in environment)' : ''}; choose another id or version (e.g. ${JSON.stringify(id.replace(/-v(\d+)$/, (_, v: string) => `-v${Number(v) + 1}`))})${builtIn ? '' : ', or unregisterEnv it first'}.`,
    );
  }
  if (typeof create !== 'function') {
    throw new ValueError(
      `${where}: create must be a function (options) => Env; got ${describeValue(create)}. Pass e.g. create: (o) => new MyEnv(o).`,
    );
  }
  if (!Array.isArray(extraOptions) || !extraOptions.every((k) => typeof k === 'string' && /^[A-Za-z_$][\w$]*$/.test(k))) {
    throw new ValueError(`${where}: extraOptions must be an array of option names (identifiers); got ${describeValue(extraOptions)}.`);
  }
  const clash = extraOptions.find((k, i) => (COMMON_OPTIONS as readonly string[]).includes(k) || extraOptions.indexOf(k) !== i);
  if (clash !== undefined) {
    throw new ValueError(
      `${where}: extraOptions lists ${JSON.stringify(clash)} twice or lists a common option (${COMMON_OPTIONS.join(', ')} are always accepted); remove it.`,
    );
  }
  const reg: Registration = {
    id,
    extraOptions: Object.freeze([...extraOptions]),
    create: (o) => checkCreated(create(o), id, `make(${JSON.stringify(id)})`),
  };
  checkCreated(create({ seed: 0 }), id, where);
  REGISTRY.push(reg);
}

/**
 * Removes an environment added with `registerEnv` (so a test leaves the registry as it found it).
 * Throws UnknownNameError for an id not registered, ValueError for a built-in environment.
 */
export function unregisterEnv(id: string): void {
  if (BUILT_IN.some((r) => r.id === id))
    throw new ValueError(`unregisterEnv: ${JSON.stringify(id)} is a built-in environment; only ids added with registerEnv can be removed.`);
  const i = REGISTRY.findIndex((r) => r.id === id);
  if (i < 0)
    throw new UnknownNameError(
      `unregisterEnv: ${describeValue(id)} is not registered. Registered with registerEnv: ${
        REGISTRY.slice(BUILT_IN.length)
          .map((r) => r.id)
          .join(', ') || 'none'
      }.`,
    );
  REGISTRY.splice(i, 1);
}

/** Ids of every environment `make` knows. */
export function listEnvs(): string[] {
  return REGISTRY.map((r) => r.id);
}

function lookup(id: unknown, what: string): Registration {
  if (typeof id !== 'string') {
    throw new ValueError(`${what}: the environment id must be a string such as "CartPole-v1"; got ${describeValue(id)}.`);
  }
  const found = REGISTRY.find((r) => r.id === id);
  if (found) return found;
  const base = id.toLowerCase().replace(/-v\d+$/, '');
  const sameBase = REGISTRY.filter((r) => r.id.toLowerCase().replace(/-v\d+$/, '') === base).map((r) => r.id);
  // another version of the same environment, else the nearest id by edit distance (a typo)
  const typo = nearestName(id, listEnvs());
  const near = sameBase.length > 0 ? sameBase : typo !== undefined ? [typo] : [];
  const hint = near.length > 0 ? ` Did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?` : '';
  throw new UnknownNameError(
    `${what}: unknown environment id ${JSON.stringify(id)}.${hint} Valid ids (case-sensitive): ${listEnvs().join(', ')}.`,
  );
}

/** The option keys `make(id, …)` accepts for `id`. */
export function envOptionKeys(id: string): string[] {
  const reg = lookup(id, 'envOptionKeys');
  return [...COMMON_OPTIONS, ...reg.extraOptions];
}

/**
 * Creates an environment, with Gymnasium's time limit for it (TimeLimit applied as truncation).
 *
 * Options: `maxEpisodeSteps` (override the time limit; Infinity disables it), `seed` (seed of the
 * initial random stream; without it the first seed comes from Math.random()), and per environment
 * Gymnasium's constructor arguments: `g` (Pendulum-v1, SparsePendulum-v0), `goalVelocity`
 * (MountainCar-v0, MountainCarContinuous-v0, UnshapedMountainCarContinuous-v0); and
 * `banditSeed`, `actionDim`, `modes` (MultimodalBandit-v0); an environment added with
 * `registerEnv` takes its `extraOptions`. Unknown keys throw UnknownNameError.
 */
export function make(id: string, options?: Record<string, unknown>): Env {
  const reg = lookup(id, 'make');
  const opts = checkOptionKeys(options, [...COMMON_OPTIONS, ...reg.extraOptions], `make(${JSON.stringify(id)})`);
  return reg.create(opts);
}
