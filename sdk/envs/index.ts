/**
 * gmmrl/envs: Gymnasium's classic-control environments (CartPole-v1, Acrobot-v1, MountainCar-v0,
 * MountainCarContinuous-v0, Pendulum-v1) with Gymnasium's dynamics, constants, reset
 * distributions, rewards, termination rules and time limits; the research environments of the
 * mixture-policy papers (Bandit1D-v0, MultimodalBandit-v0, SparsePendulum-v0, ContinuousAcrobot-v0,
 * ContinuousAcrobotShaped-v0, UnshapedMountainCarContinuous-v0, Maze-v0); plus a same-step
 * auto-reset vector env. See env.ts for the protocol, seeding and numerics, vec.ts for the
 * auto-reset mode. `registerEnv` adds an environment of your own (registry.ts).
 */
/** The typed errors environments throw (the same classes `gmmrl` exports). */
export * from '../../contract/errors.js';
export type { BoxSpace, DiscreteSpace, Space } from './spaces.js';
export { FLOAT32_MAX, contains, describeSpace, discrete, flatSize, float32Box } from './spaces.js';
export type { BaseEnvOptions, Env, EnvDefinition, EnvSavedState, ResetOptions, ResetResult, StepResult } from './env.js';
export { ClassicControlEnv, parseAction } from './env.js';
/** The seeded generator a ClassicControlEnv draws its initial states from (the class is exported by `gmmrl`). */
export type { Rng } from '../util/rng.js';
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
export {
  BANDIT1D_LOCAL_MODE_ACTION,
  BANDIT1D_LOCAL_MODE_SUPREMUM,
  BANDIT1D_OPTIMAL_ACTION,
  BANDIT1D_OPTIMAL_REWARD,
  BANDIT1D_SUCCESS_TOLERANCE,
  BANDIT1D_V0,
  Bandit1DEnv,
  bandit1dReward,
} from './bandit1d.js';
export type { Bandit1DOptions } from './bandit1d.js';
export {
  MULTIMODAL_BANDIT_SIGMA_RANGE,
  MULTIMODAL_BANDIT_V0,
  MultimodalBanditEnv,
  makeMultimodalBandit,
  multimodalBanditDefinition,
  multimodalBanditReward,
} from './multimodal_bandit.js';
export type { MultimodalBandit, MultimodalBanditOptions } from './multimodal_bandit.js';
export { SPARSE_PENDULUM_ANGLE, SPARSE_PENDULUM_V0, SparsePendulumEnv, sparsePendulumReward } from './sparse_pendulum.js';
export type { SparsePendulumOptions } from './sparse_pendulum.js';
export {
  CONTINUOUS_ACROBOT_SHAPED_V0,
  CONTINUOUS_ACROBOT_V0,
  ContinuousAcrobotEnv,
  ContinuousAcrobotShapedEnv,
} from './continuous_acrobot.js';
export type { ContinuousAcrobotOptions } from './continuous_acrobot.js';
export { UNSHAPED_MOUNTAIN_CAR_CONTINUOUS_V0, UnshapedMountainCarContinuousEnv } from './unshaped_mountain_car.js';
export type { UnshapedMountainCarContinuousOptions } from './unshaped_mountain_car.js';
export { MAZE_LAYOUT, MAZE_V0, MazeEnv, mazeFirstWallHit, mazeGoalAt, mazeIsFree, mazeMove } from './maze.js';
export type { MazeGoal, MazeLayout, MazeOptions, MazeWall } from './maze.js';
export { envOptionKeys, listEnvs, make, registerEnv, unregisterEnv } from './registry.js';
export type { EnvRegistration } from './registry.js';
export { VecEnv, deriveSeeds, makeVec } from './vec.js';
export type { VecResetOptions, VecResetResult, VecStepResult } from './vec.js';
export {
  DEFAULT_ACTION_GRIDS,
  MAX_GRID_POINTS,
  checkGridForSpace,
  defaultActionGrid,
  discretizeActions,
  parseActionGrid,
} from './discretize.js';
