/**
 * SparsePendulum-v0: the unshaped ("sparse") Pendulum of [MRP] §5.3 / Appendix E.5, following
 * Neumann et al. 2022 (Greedy AC); its shaped twin is Pendulum-v1.
 *
 * Physics, observation and action: exactly Pendulum-v1's (see pendulum.ts, shared code): state
 * `[theta, theta_dot]` (theta = 0 upright, never wrapped), observation `[cos theta, sin theta,
 * theta_dot]` (float32) in Box([-1, -1, -8], [1, 1, 8]), action Box([-2], [2]) with the torque
 * clipped inside the dynamics, u = clip(action[0], -2, 2); option `g` (default 10) as in Pendulum-v1.
 * Reward, on the state AFTER the step (as in Neumann et al.'s pendulum, which rewards the new angle):
 *   reward = 1 if |angle_normalize(theta')| < pi/12 (15 degrees from upright), else 0
 * (no torque or velocity cost). Never terminates; time limit 1000 ([MRP]'s cut-off, from
 * REFERENCES.md §4). No reward threshold.
 * Reset: deterministic, hanging down at rest: theta = pi, theta_dot = 0 (`seed` draws nothing).
 */
import type { Rng } from '../util/rng.js';
import type { EnvDefinition } from './env.js';
import { PENDULUM_V1, PendulumFamilyEnv, type PendulumOptions, angleNormalize, pendulumDynamics } from './pendulum.js';

/** The reward region: |angle_normalize(theta)| < pi / 12. */
export const SPARSE_PENDULUM_ANGLE = Math.PI / 12;

/** The same options as Pendulum-v1: the acceleration of gravity `g` (default 10.0) besides the common ones. */
export type SparsePendulumOptions = PendulumOptions;

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

export class SparsePendulumEnv extends PendulumFamilyEnv {
  constructor(options: SparsePendulumOptions = {}) {
    super(SPARSE_PENDULUM_V0, options);
  }

  protected sampleInitialState(_rng: Rng, out: Float64Array): void {
    out[0] = Math.PI;
    out[1] = 0;
  }

  protected transition(action: Float64Array): { reward: number; terminated: boolean } {
    const s = this.s;
    const [newth, newthdot] = pendulumDynamics(s[0]!, s[1]!, this.clippedTorque(action), this.g);
    s[0] = newth;
    s[1] = newthdot;
    return { reward: sparsePendulumReward(newth), terminated: false };
  }
}
