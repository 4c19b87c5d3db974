/**
 * MountainCarContinuous-v0, Gymnasium's `Continuous_MountainCarEnv`
 * (gymnasium/envs/classic_control/continuous_mountain_car.py) with its registration:
 * TimeLimit 999, reward_threshold 90.
 *
 * State `[position, velocity]`; observation: the state as float32.
 * Action: Box([-1], [1]) of shape [1]. Out-of-range actions are accepted: the dynamics use
 * force = min(max(action[0], -1), 1), but the reward uses the UNCLIPPED action, as in Gymnasium:
 *   reward = (terminated ? 100 : 0) - 0.1 * action[0]^2
 * Dynamics, in this order:
 *   velocity += force * 0.0015 - 0.0025 * cos(3 * position)
 *   velocity clipped to [-0.07, 0.07]; position += velocity; position clipped to [-1.2, 0.6]
 *   if position == -1.2 and velocity < 0: velocity = 0
 * Terminated when position >= 0.45 and velocity >= goal_velocity (default 0).
 * Like Gymnasium (`self.state = np.array([position, velocity], dtype=np.float32)`), the state is
 * stored rounded to float32 after every step; the step itself is computed in float64, and the
 * termination test sees the float64 values (it runs before the cast).
 * Reset: position uniform in [-0.6, -0.4), velocity 0 (float64 until the first step).
 */
import type { EnvDefinition } from './env.js';
import {
  MOUNTAIN_CAR_MAX_POSITION as MAX_POSITION,
  MOUNTAIN_CAR_MAX_SPEED as MAX_SPEED,
  MOUNTAIN_CAR_MIN_POSITION as MIN_POSITION,
  MountainCarFamilyEnv,
  type MountainCarOptions,
  mountainCarMove,
} from './mountain_car.js';
import { float32Box } from './spaces.js';

const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;
const GOAL_POSITION = 0.45; // was 0.5 in MountainCar-v0
const POWER = 0.0015;
/** MountainCarContinuous-v0's goal position (terminated when position >= 0.45 and velocity >= goal velocity). */
export const MOUNTAIN_CAR_CONTINUOUS_GOAL_POSITION = GOAL_POSITION;

/** The same options as MountainCar-v0: Gymnasium's `goal_velocity` (default 0) besides the common ones. */
export type MountainCarContinuousOptions = MountainCarOptions;

export const MOUNTAIN_CAR_CONTINUOUS_V0: EnvDefinition = Object.freeze({
  id: 'MountainCarContinuous-v0',
  observationSpace: float32Box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]),
  actionSpace: float32Box([MIN_ACTION], [MAX_ACTION]),
  maxEpisodeSteps: 999,
  rewardThreshold: 90.0,
  stateLabels: Object.freeze(['position', 'velocity']),
});

/**
 * One step of MountainCarContinuous-v0's dynamics (shared by UnshapedMountainCarContinuous-v0), in
 * float64, for the raw action a0: force = clip(a0, -1, 1), then Gymnasium's update order.
 * Returns [position, velocity] (not yet rounded to float32).
 */
export function continuousMountainCarMove(position: number, velocity: number, a0: number): [number, number] {
  const force = Math.min(Math.max(a0, MIN_ACTION), MAX_ACTION);
  return mountainCarMove(position, velocity + force * POWER - 0.0025 * Math.cos(3 * position));
}

export class MountainCarContinuousEnv extends MountainCarFamilyEnv<Float64Array> {
  constructor(options: MountainCarContinuousOptions = {}) {
    super(MOUNTAIN_CAR_CONTINUOUS_V0, options);
  }

  protected transition(action: Float64Array): { reward: number; terminated: boolean } {
    const s = this.s;
    const a0 = action[0]!;
    const [position, velocity] = continuousMountainCarMove(s[0]!, s[1]!, a0);

    const terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    let reward = 0;
    if (terminated) reward = 100.0;
    reward -= Math.pow(a0, 2) * 0.1; // the unclipped action, as in Gymnasium

    s[0] = Math.fround(position);
    s[1] = Math.fround(velocity);
    return { reward, terminated };
  }
}
