/**
 * CartPole-v1, Gymnasium's `CartPoleEnv` (gymnasium/envs/classic_control/cartpole.py) with its
 * registration: TimeLimit 500, reward_threshold 475.
 *
 * State `[x, x_dot, theta, theta_dot]`; observation: the state as float32.
 * Actions: Discrete(2), 0 pushes left (-10 N), 1 pushes right (+10 N).
 * Dynamics: 'euler' kinematics with tau = 0.02: positions advance with the OLD velocities
 * (x += tau * x_dot, x_dot += tau * xacc, theta += tau * theta_dot, theta_dot += tau * thetaacc).
 * Reward +1 on every step, the terminating step included.
 * Terminated when x leaves [-2.4, 2.4] or theta leaves [-12°, 12°] (strict comparisons).
 * Reset: each state entry uniform in [-0.05, 0.05).
 */
import type { Rng } from '../util/rng.js';
import { type BaseEnvOptions, ClassicControlEnv, type EnvDefinition } from './env.js';
import { FLOAT32_MAX, discrete, float32Box } from './spaces.js';

const GRAVITY = 9.8;
const MASSCART = 1.0;
const MASSPOLE = 0.1;
const TOTAL_MASS = MASSPOLE + MASSCART;
const LENGTH = 0.5; // actually half the pole's length
const POLEMASS_LENGTH = MASSPOLE * LENGTH;
const FORCE_MAG = 10.0;
const TAU = 0.02;
/** 12 degrees, computed as Gymnasium does: 12 * 2 * pi / 360. */
const CARTPOLE_THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
const CARTPOLE_X_THRESHOLD = 2.4;

export type CartPoleOptions = BaseEnvOptions;

export const CARTPOLE_V1: EnvDefinition = Object.freeze({
  id: 'CartPole-v1',
  // Bounds at twice the termination thresholds, velocities at float32 max (np.finfo(np.float32).max).
  observationSpace: float32Box(
    [-CARTPOLE_X_THRESHOLD * 2, -FLOAT32_MAX, -CARTPOLE_THETA_THRESHOLD * 2, -FLOAT32_MAX],
    [CARTPOLE_X_THRESHOLD * 2, FLOAT32_MAX, CARTPOLE_THETA_THRESHOLD * 2, FLOAT32_MAX],
  ),
  actionSpace: discrete(2),
  maxEpisodeSteps: 500,
  rewardThreshold: 475.0,
  stateLabels: Object.freeze(['x', 'x_dot', 'theta', 'theta_dot']),
});

export class CartPoleEnv extends ClassicControlEnv<number> {
  constructor(options: CartPoleOptions = {}) {
    super(CARTPOLE_V1, options);
  }

  protected sampleInitialState(rng: Rng, out: Float64Array): void {
    for (let i = 0; i < 4; i++) out[i] = rng.uniformRange(-0.05, 0.05);
  }

  protected transition(action: number): { reward: number; terminated: boolean } {
    const s = this.s;
    const x = s[0]!;
    const xDot = s[1]!;
    const theta = s[2]!;
    const thetaDot = s[3]!;
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const costheta = Math.cos(theta);
    const sintheta = Math.sin(theta);
    const temp = (force + POLEMASS_LENGTH * thetaDot ** 2 * sintheta) / TOTAL_MASS;
    const thetaacc = (GRAVITY * sintheta - costheta * temp) / (LENGTH * (4.0 / 3.0 - (MASSPOLE * costheta ** 2) / TOTAL_MASS));
    const xacc = temp - (POLEMASS_LENGTH * thetaacc * costheta) / TOTAL_MASS;
    // 'euler' kinematics integrator.
    s[0] = x + TAU * xDot;
    s[1] = xDot + TAU * xacc;
    s[2] = theta + TAU * thetaDot;
    s[3] = thetaDot + TAU * thetaacc;
    const terminated =
      s[0]! < -CARTPOLE_X_THRESHOLD ||
      s[0]! > CARTPOLE_X_THRESHOLD ||
      s[2]! < -CARTPOLE_THETA_THRESHOLD ||
      s[2]! > CARTPOLE_THETA_THRESHOLD;
    return { reward: 1.0, terminated };
  }

  protected observe(): Float32Array {
    return Float32Array.from(this.s);
  }
}
