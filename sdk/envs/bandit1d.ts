/**
 * Bandit1D-v0: the 1-D continuous two-mode bandit of Gamid-PG §4.1 / Appendix A (adopted from
 * Huang et al. 2023, "Reparameterized Policy Learning for Multimodal Trajectory Optimization";
 * the formula is the original authors' notebook, see REFERENCES.md §4).
 *
 * One step per episode. Action: Box([-1], [1]) of shape [1]; x = clip(action[0], -1, 1) (clipped
 * inside the dynamics, like Gymnasium's continuous environments; out-of-range finite actions are
 * accepted). Reward:
 *   r(x) = max(0, 1.1 - 18 (2x + 1.2)^2) + max(0, 0.5 - 0.125 (2x - 1.75)^2) * [x < 0.875]
 * - global optimum: x = -0.6, r = 1.1 (a narrow peak: r > 0 only for |x + 0.6| < 0.1236);
 * - local mode: broad, rising towards x -> 0.875 where it approaches 0.5 (the indicator makes
 *   r(0.875) = 0, so the supremum 0.5 is never attained); r > 0 on (-0.125, 0.875).
 * "Success" in the papers' sense: the final greedy action lies within 0.1 of -0.6
 * (`BANDIT1D_SUCCESS_TOLERANCE`).
 *
 * Observation: the constant Float32Array [0] in Box([-1], [1]) (a bandit has no state).
 * Internal state: empty (`stateLabels` is []); `reset({ state: [] })` is accepted.
 * Every episode terminates after its single step (terminated = true); the time limit is 1, so
 * `truncated` is true on that step too, exactly like Gymnasium's TimeLimit(1) would report it.
 * Reset is deterministic: the `seed` option is accepted (as by every environment) but draws nothing.
 */
import type { Rng } from '../util/rng.js';
import { type BaseEnvOptions, ClassicControlEnv, type EnvDefinition } from './env.js';
import { float32Box } from './spaces.js';

/** The action of the global optimum, x* = -0.6. */
export const BANDIT1D_OPTIMAL_ACTION = -0.6;
/** The reward of the global optimum, r(-0.6) = 1.1. */
export const BANDIT1D_OPTIMAL_REWARD = 1.1;
/** Where the local mode's supremum (0.5, not attained) lies: x -> 0.875 from below. */
export const BANDIT1D_LOCAL_MODE_ACTION = 0.875;
/** The local mode's supremum, 0.5. */
export const BANDIT1D_LOCAL_MODE_SUPREMUM = 0.5;
/** A run "succeeds" when its final greedy action is within this distance of -0.6. */
export const BANDIT1D_SUCCESS_TOLERANCE = 0.1;

export type Bandit1DOptions = BaseEnvOptions;

export const BANDIT1D_V0: EnvDefinition = Object.freeze({
  id: 'Bandit1D-v0',
  observationSpace: float32Box([-1.0], [1.0]),
  actionSpace: float32Box([-1.0], [1.0]),
  maxEpisodeSteps: 1,
  rewardThreshold: undefined,
  stateLabels: Object.freeze([] as string[]),
});

/** The bandit's reward at x (no clipping here: the environment clips the action to [-1, 1] first). */
export function bandit1dReward(x: number): number {
  const global = Math.max(0, 1.1 - 18 * (2 * x + 1.2) ** 2);
  const local = x < 0.875 ? Math.max(0, 0.5 - 0.125 * (2 * x - 1.75) ** 2) : 0;
  return global + local;
}

export class Bandit1DEnv extends ClassicControlEnv<Float64Array> {
  constructor(options: Bandit1DOptions = {}) {
    super(BANDIT1D_V0, options);
  }

  protected sampleInitialState(_rng: Rng, _out: Float64Array): void {
    // No state: nothing to draw.
  }

  protected transition(action: Float64Array): { reward: number; terminated: boolean } {
    const x = Math.min(Math.max(action[0]!, -1.0), 1.0);
    return { reward: bandit1dReward(x), terminated: true };
  }

  protected observe(): Float32Array {
    return new Float32Array(1);
  }
}
