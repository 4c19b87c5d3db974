/**
 * SparsePendulum-v0: the unshaped ("sparse") Pendulum of seed 004 §5.3 / Appendix E.5, following
 * Neumann et al. 2022 (Greedy AC); its shaped twin is Pendulum-v1.
 *
 * Physics, observation and action: exactly Pendulum-v1's (see pendulum.ts, shared code): state
 * `[theta, theta_dot]` (theta = 0 upright, never wrapped), observation `[cos theta, sin theta,
 * theta_dot]` (float32) in Box([-1, -1, -8], [1, 1, 8]), action Box([-2], [2]) with the torque
 * clipped inside the dynamics, u = clip(action[0], -2, 2); option `g` (default 10) as in Pendulum-v1.
 * Reward, on the state AFTER the step (as in Neumann et al.'s pendulum, which rewards the new angle):
 *   reward = 1 if |angle_normalize(theta')| < pi/12 (15 degrees from upright), else 0
 * (no torque or velocity cost). Never terminates; time limit 1000 (seed 004's cut-off, from
 * notes/algorithms.md §4). No reward threshold.
 * Reset: deterministic, hanging down at rest: theta = pi, theta_dot = 0 (`seed` draws nothing).
 */
import type { Rng } from '../util/rng.js';
import { type BaseEnvOptions, ClassicControlEnv, type EnvDefinition } from './env.js';
import {
  PENDULUM_MAX_TORQUE,
  PENDULUM_V1,
  angleNormalize,
  pendulumDynamics,
  pendulumGravityOption,
  pendulumObservation,
} from './pendulum.js';

/** The reward region: |angle_normalize(theta)| < pi / 12. */
export const SPARSE_PENDULUM_ANGLE = Math.PI / 12;

export interface SparsePendulumOptions extends BaseEnvOptions {
  /** Acceleration of gravity (default 10.0), as in Pendulum-v1. */
  g?: number;
}

export const SPARSE_PENDULUM_V0: EnvDefinition = Object.freeze({
  id: 'SparsePendulum-v0',
  observationSpace: PENDULUM_V1.observationSpace,
  actionSpace: PENDULUM_V1.actionSpace,
  maxEpisodeSteps: 1000,
  rewardThreshold: undefined,
  stateLabels: PENDULUM_V1.stateLabels,
});

/** SparsePendulum-v0's reward for a (post-step) angle theta. */
export function sparsePendulumReward(theta: number): number {
  return Math.abs(angleNormalize(theta)) < SPARSE_PENDULUM_ANGLE ? 1 : 0;
}

export class SparsePendulumEnv extends ClassicControlEnv<Float64Array> {
  readonly g: number;

  constructor(options: SparsePendulumOptions = {}) {
    super(SPARSE_PENDULUM_V0, options);
    this.g = pendulumGravityOption(options, this.id);
  }

  protected sampleInitialState(_rng: Rng, out: Float64Array): void {
    out[0] = Math.PI;
    out[1] = 0;
  }

  protected transition(action: Float64Array): { reward: number; terminated: boolean } {
    const s = this.s;
    const u = Math.min(Math.max(action[0]!, -PENDULUM_MAX_TORQUE), PENDULUM_MAX_TORQUE);
    const [newth, newthdot] = pendulumDynamics(s[0]!, s[1]!, u, this.g);
    s[0] = newth;
    s[1] = newthdot;
    return { reward: sparsePendulumReward(newth), terminated: false };
  }

  protected observe(): Float32Array {
    return pendulumObservation(this.s);
  }
}
