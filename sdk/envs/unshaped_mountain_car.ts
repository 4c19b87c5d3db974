/**
 * UnshapedMountainCarContinuous-v0: the unshaped continuous MountainCar of [MRP] §5.3 /
 * Appendix E.5, following Neumann et al. 2022 (Greedy AC, whose config overwrites
 * MountainCarContinuous-v0's rewards with -1 per step and -1 at the goal). Its shaped twin is
 * MountainCarContinuous-v0.
 *
 * Dynamics, spaces, reset and termination: exactly MountainCarContinuous-v0's (shared code in
 * continuous_mountain_car.ts / mountain_car.ts): state `[position, velocity]` stored rounded to
 * float32 after every step like Gymnasium; action Box([-1], [1]) with force = clip(action[0], -1, 1)
 * inside the dynamics; terminated when position >= 0.45 and velocity >= goalVelocity (option,
 * default 0), tested on the float64 values before the float32 cast; reset: position uniform in
 * [-0.6, -0.4), velocity 0.
 * Reward: -1 on every step, the terminating one included (no goal bonus, no action cost).
 * Time limit 1000 ([MRP]'s cut-off); no reward threshold.
 */
import { MOUNTAIN_CAR_CONTINUOUS_GOAL_POSITION, MOUNTAIN_CAR_CONTINUOUS_V0, continuousMountainCarMove } from './continuous_mountain_car.js';
import type { EnvDefinition } from './env.js';
import { MountainCarFamilyEnv, type MountainCarOptions } from './mountain_car.js';

/** The same options as MountainCarContinuous-v0: Gymnasium's `goal_velocity` (default 0) besides the common ones. */
export type UnshapedMountainCarContinuousOptions = MountainCarOptions;

export const UNSHAPED_MOUNTAIN_CAR_CONTINUOUS_V0: EnvDefinition = Object.freeze({
  id: 'UnshapedMountainCarContinuous-v0',
  observationSpace: MOUNTAIN_CAR_CONTINUOUS_V0.observationSpace,
  actionSpace: MOUNTAIN_CAR_CONTINUOUS_V0.actionSpace,
  maxEpisodeSteps: 1000,
  rewardThreshold: undefined,
  stateLabels: MOUNTAIN_CAR_CONTINUOUS_V0.stateLabels,
});

export class UnshapedMountainCarContinuousEnv extends MountainCarFamilyEnv<Float64Array> {
  constructor(options: UnshapedMountainCarContinuousOptions = {}) {
    super(UNSHAPED_MOUNTAIN_CAR_CONTINUOUS_V0, options);
  }

  protected transition(action: Float64Array): { reward: number; terminated: boolean } {
    const s = this.s;
    const [position, velocity] = continuousMountainCarMove(s[0]!, s[1]!, action[0]!);
    const terminated = position >= MOUNTAIN_CAR_CONTINUOUS_GOAL_POSITION && velocity >= this.goalVelocity;
    s[0] = Math.fround(position);
    s[1] = Math.fround(velocity);
    return { reward: -1.0, terminated };
  }
}
