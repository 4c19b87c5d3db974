/**
 * gmmrl/envs: Gymnasium's classic-control environments (CartPole-v1, Acrobot-v1, MountainCar-v0,
 * MountainCarContinuous-v0, Pendulum-v1) with Gymnasium's dynamics, constants, reset
 * distributions, rewards, termination rules and time limits; plus a same-step auto-reset vector
 * env. See env.ts for the protocol, seeding and numerics, vec.ts for the auto-reset mode.
 */
export type { BoxSpace, DiscreteSpace, Space } from './spaces.js';
export { FLOAT32_MAX, contains, describeSpace, flatSize } from './spaces.js';
export type { BaseEnvOptions, Env, EnvDefinition, ResetOptions, ResetResult, StepResult } from './env.js';
export { ClassicControlEnv, parseAction } from './env.js';
export { CARTPOLE_V1, CartPoleEnv } from './cartpole.js';
export type { CartPoleOptions } from './cartpole.js';
export { ACROBOT_V1, AcrobotEnv } from './acrobot.js';
export type { AcrobotOptions } from './acrobot.js';
export { MOUNTAIN_CAR_V0, MountainCarEnv } from './mountain_car.js';
export type { MountainCarOptions } from './mountain_car.js';
export { MOUNTAIN_CAR_CONTINUOUS_V0, MountainCarContinuousEnv } from './continuous_mountain_car.js';
export type { MountainCarContinuousOptions } from './continuous_mountain_car.js';
export { PENDULUM_V1, PendulumEnv, angleNormalize } from './pendulum.js';
export type { PendulumOptions } from './pendulum.js';
export { envOptionKeys, listEnvs, make } from './registry.js';
export { VecEnv, deriveSeeds, makeVec } from './vec.js';
export type { VecResetOptions, VecResetResult, VecStepResult } from './vec.js';
export { DEFAULT_ACTION_GRIDS, MAX_GRID_POINTS, checkGridForSpace, defaultActionGrid, discretizeActions, parseActionGrid } from './discretize.js';
