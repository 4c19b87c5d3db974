/**
 * MountainCar-v0, Gymnasium's `MountainCarEnv` (gymnasium/envs/classic_control/mountain_car.py)
 * with its registration: TimeLimit 200, reward_threshold -110.
 *
 * State `[position, velocity]`; observation: the state as float32.
 * Actions: Discrete(3), 0 accelerates left, 1 does nothing, 2 accelerates right.
 * Dynamics, in this order:
 *   velocity += (action - 1) * 0.001 + cos(3 * position) * (-0.0025)
 *   velocity  = clip(velocity, -0.07, 0.07)
 *   position += velocity
 *   position  = clip(position, -1.2, 0.6)
 *   if position == -1.2 and velocity < 0: velocity = 0      (inelastic left wall)
 * Terminated when position >= 0.5 and velocity >= goal_velocity (default 0). Reward -1 per step.
 * Reset: position uniform in [-0.6, -0.4), velocity 0.
 */
import type { Rng } from '../util/rng.js';
import { type BaseEnvOptions, ClassicControlEnv, type EnvDefinition, checkFiniteOption } from './env.js';
import { discrete, float32Box } from './spaces.js';

export const MOUNTAIN_CAR_MIN_POSITION = -1.2;
export const MOUNTAIN_CAR_MAX_POSITION = 0.6;
export const MOUNTAIN_CAR_MAX_SPEED = 0.07;
const GOAL_POSITION = 0.5;
const FORCE = 0.001;
const GRAVITY = 0.0025;

/**
 * What both MountainCar variants share after their own velocity update, in Gymnasium's order:
 * clip velocity, move, clip position, inelastic left wall. Returns [position, velocity].
 */
export function mountainCarMove(position: number, velocity: number): [number, number] {
  velocity = Math.min(Math.max(velocity, -MOUNTAIN_CAR_MAX_SPEED), MOUNTAIN_CAR_MAX_SPEED);
  position += velocity;
  position = Math.min(Math.max(position, MOUNTAIN_CAR_MIN_POSITION), MOUNTAIN_CAR_MAX_POSITION);
  if (position === MOUNTAIN_CAR_MIN_POSITION && velocity < 0) velocity = 0;
  return [position, velocity];
}

/** The options of every MountainCar variant. */
export interface MountainCarOptions extends BaseEnvOptions {
  /** Gymnasium's `goal_velocity` constructor argument (default 0). */
  goalVelocity?: number;
}

/**
 * What every MountainCar variant (MountainCar-v0, MountainCarContinuous-v0,
 * UnshapedMountainCarContinuous-v0) shares besides the physics above: the `goalVelocity` option
 * (Gymnasium's `goal_velocity`, default 0), the reset (position uniform in [-0.6, -0.4), velocity 0)
 * and the observation (the state as float32). Subclasses provide `transition`.
 */
export abstract class MountainCarFamilyEnv<A extends number | Float64Array> extends ClassicControlEnv<A> {
  readonly goalVelocity: number;

  protected constructor(def: EnvDefinition, options: MountainCarOptions) {
    super(def, options);
    this.goalVelocity =
      options.goalVelocity === undefined
        ? 0
        : checkFiniteOption(options.goalVelocity, `${this.id}: option goalVelocity`, 'goalVelocity: 0');
  }

  protected sampleInitialState(rng: Rng, out: Float64Array): void {
    out[0] = rng.uniformRange(-0.6, -0.4);
    out[1] = 0;
  }

  protected observe(): Float32Array {
    return Float32Array.from(this.s);
  }
}

export const MOUNTAIN_CAR_V0: EnvDefinition = Object.freeze({
  id: 'MountainCar-v0',
  observationSpace: float32Box([MOUNTAIN_CAR_MIN_POSITION, -MOUNTAIN_CAR_MAX_SPEED], [MOUNTAIN_CAR_MAX_POSITION, MOUNTAIN_CAR_MAX_SPEED]),
  actionSpace: discrete(3),
  maxEpisodeSteps: 200,
  rewardThreshold: -110.0,
  stateLabels: Object.freeze(['position', 'velocity']),
});

export class MountainCarEnv extends MountainCarFamilyEnv<number> {
  constructor(options: MountainCarOptions = {}) {
    super(MOUNTAIN_CAR_V0, options);
  }

  protected transition(action: number): { reward: number; terminated: boolean } {
    const s = this.s;
    const [position, velocity] = mountainCarMove(s[0]!, s[1]! + (action - 1) * FORCE + Math.cos(3 * s[0]!) * -GRAVITY);
    const terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    s[0] = position;
    s[1] = velocity;
    return { reward: -1.0, terminated };
  }
}
