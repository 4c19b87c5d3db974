/**
 * `make(id, options)` and `listEnvs()`: the registry of environments, with Gymnasium's
 * registration values (time limits, reward thresholds) and the options each one accepts.
 */
import { UnknownNameError, ValueError, describeValue } from '../../contract/errors.js';
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

interface Registration {
  readonly id: string;
  /** Option keys beyond the common `maxEpisodeSteps` and `seed`. */
  readonly extraOptions: readonly string[];
  create(options: Record<string, unknown>): Env;
}

const COMMON_OPTIONS = ['maxEpisodeSteps', 'seed'] as const;

// Registration order is the order listEnvs() reports: Gymnasium's classic-control order, then
// gmmrl's research environments (bandits, unshaped classic control, maze).
const REGISTRY: readonly Registration[] = [
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
  const near = REGISTRY.filter((r) => r.id.toLowerCase().replace(/-v\d+$/, '') === base).map((r) => r.id);
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
 * `banditSeed`, `actionDim`, `modes` (MultimodalBandit-v0). Unknown keys throw UnknownNameError.
 */
export function make(id: string, options?: Record<string, unknown>): Env {
  const reg = lookup(id, 'make');
  const opts = checkOptionKeys(options, [...COMMON_OPTIONS, ...reg.extraOptions], `make(${JSON.stringify(id)})`);
  return reg.create(opts);
}
