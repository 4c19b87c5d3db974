/**
 * ContinuousAcrobot-v0 and ContinuousAcrobotShaped-v0: Acrobot-v1 with a continuous torque, for the
 * unshaped/shaped classic-control comparison of [MRP] §5.3 / Appendix E.5 ("we adapt the
 * discrete version in Gym to the continuous action case as it is done in Neumann et al. (2022)").
 *
 * Shared by both (and with Acrobot-v1, through acrobot.ts's exported step function): state
 * `[theta1, theta2, dtheta1, dtheta2]`, observation `[cos theta1, sin theta1, cos theta2,
 * sin theta2, dtheta1, dtheta2]` (float32, Acrobot-v1's Box), the 'book' dynamics integrated by one
 * RK4 step of dt = 0.2, angle wrapping and velocity bounds exactly as Acrobot-v1. Action:
 * Box([-1], [1]) of shape [1]; the torque is clip(action[0], -1, 1) (clipped inside the dynamics,
 * so out-of-range finite actions are accepted). Terminated when the tip passes the height line,
 * -cos(theta1) - cos(theta2 + theta1) > 1 (Acrobot-v1's test, on the state after the step).
 *
 * ContinuousAcrobot-v0 (unshaped; Neumann et al.'s continuous Acrobot):
 *   reset: deterministic, at rest at the bottom, state = [0, 0, 0, 0] (`seed` draws nothing);
 *   reward: -1 on EVERY step, the terminating one included (so the return is minus the episode
 *   length; Neumann et al.'s code gives 0 on the terminating step, a difference of 1 per episode);
 *   time limit 1000 ([MRP]'s cut-off); no reward threshold.
 *
 * ContinuousAcrobotShaped-v0 (the shaped twin): gmmrl's choice, following REFERENCES.md
 * ("shaped twins: the Gymnasium rewards"): the continuous version of Acrobot-v1, i.e. Acrobot-v1's
 *   reset: each state entry uniform in [-0.1, 0.1), cast to float32;
 *   reward: -1 per step, 0 on the terminating step (Acrobot-v1's);
 *   time limit 500 and reward threshold -100 (Acrobot-v1's registration).
 * NOTE: [MRP]'s own ShapedAcrobot uses a reward computed from theta1 and theta2 (presumably the
 * tip height -cos theta1 - cos(theta1 + theta2)); the formula was lost in the extracted text, so
 * it is not reproduced here.
 */
import type { Rng } from '../util/rng.js';
import { ACROBOT_V1, acrobotObservation, acrobotStep, acrobotTerminal, createAcrobotScratch, sampleAcrobotStart } from './acrobot.js';
import { type BaseEnvOptions, ClassicControlEnv, type EnvDefinition } from './env.js';
import { float32Box } from './spaces.js';

const MAX_TORQUE = 1.0;

export type ContinuousAcrobotOptions = BaseEnvOptions;

export const CONTINUOUS_ACROBOT_V0: EnvDefinition = Object.freeze({
  id: 'ContinuousAcrobot-v0',
  observationSpace: ACROBOT_V1.observationSpace,
  actionSpace: float32Box([-MAX_TORQUE], [MAX_TORQUE]),
  maxEpisodeSteps: 1000,
  rewardThreshold: undefined,
  stateLabels: ACROBOT_V1.stateLabels,
});

export const CONTINUOUS_ACROBOT_SHAPED_V0: EnvDefinition = Object.freeze({
  id: 'ContinuousAcrobotShaped-v0',
  observationSpace: ACROBOT_V1.observationSpace,
  actionSpace: float32Box([-MAX_TORQUE], [MAX_TORQUE]),
  maxEpisodeSteps: 500,
  rewardThreshold: -100.0,
  stateLabels: ACROBOT_V1.stateLabels,
});

/** What both variants share: the clipped-torque Acrobot step and observation. */
abstract class ContinuousAcrobotBase extends ClassicControlEnv<Float64Array> {
  private readonly scratch = createAcrobotScratch();

  /** Advances the state with torque clip(action[0], -1, 1); returns whether the tip passed the line. */
  protected advance(action: Float64Array): boolean {
    const torque = Math.min(Math.max(action[0]!, -MAX_TORQUE), MAX_TORQUE);
    acrobotStep(this.s, torque, this.scratch);
    return acrobotTerminal(this.s);
  }

  protected observe(): Float32Array {
    return acrobotObservation(this.s);
  }
}

export class ContinuousAcrobotEnv extends ContinuousAcrobotBase {
  constructor(options: ContinuousAcrobotOptions = {}) {
    super(CONTINUOUS_ACROBOT_V0, options);
  }

  protected sampleInitialState(_rng: Rng, out: Float64Array): void {
    out.fill(0);
  }

  protected transition(action: Float64Array): { reward: number; terminated: boolean } {
    const terminated = this.advance(action);
    return { reward: -1.0, terminated };
  }
}

export class ContinuousAcrobotShapedEnv extends ContinuousAcrobotBase {
  constructor(options: ContinuousAcrobotOptions = {}) {
    super(CONTINUOUS_ACROBOT_SHAPED_V0, options);
  }

  protected sampleInitialState(rng: Rng, out: Float64Array): void {
    sampleAcrobotStart(rng, out);
  }

  protected transition(action: Float64Array): { reward: number; terminated: boolean } {
    const terminated = this.advance(action);
    return { reward: terminated ? 0.0 : -1.0, terminated };
  }
}
