/**
 * Pendulum-v1, Gymnasium's `PendulumEnv` (gymnasium/envs/classic_control/pendulum.py) with its
 * registration: TimeLimit 200, no reward_threshold. Never terminates; only truncates.
 *
 * State `[theta, theta_dot]` (theta = 0 is upright); observation `[cos theta, sin theta,
 * theta_dot]` as float32.
 * Action: Box([-2], [2]) of shape [1]. The torque is clipped, u = clip(action[0], -2, 2), and the
 * clipped u is used both in the dynamics and in the reward:
 *   reward    = -(angle_normalize(theta)^2 + 0.1 * theta_dot^2 + 0.001 * u^2)
 *   newthdot  = clip(theta_dot + (3 g / (2 l) * sin(theta) + 3 / (m l^2) * u) * dt, -8, 8)
 *   newth     = theta + newthdot * dt                       (theta itself is never wrapped)
 * with m = l = 1, dt = 0.05, g = 10 (option `g`), angle_normalize(x) = ((x + pi) mod 2pi) - pi
 * using the floored modulo of NumPy/Python.
 * Reset: theta uniform in [-pi, pi), theta_dot uniform in [-1, 1).
 */
import type { Rng } from '../util/rng.js';
import { type BaseEnvOptions, ClassicControlEnv, type EnvDefinition, checkFiniteOption } from './env.js';
import { float32Box } from './spaces.js';

const MAX_SPEED = 8;
const MAX_TORQUE = 2.0;
const DT = 0.05;
const M = 1.0;
const L = 1.0;

export interface PendulumOptions extends BaseEnvOptions {
  /** Acceleration of gravity (Gymnasium's `g`, default 10.0). */
  g?: number;
}

export const PENDULUM_V1: EnvDefinition = Object.freeze({
  id: 'Pendulum-v1',
  observationSpace: float32Box([-1.0, -1.0, -MAX_SPEED], [1.0, 1.0, MAX_SPEED]),
  actionSpace: float32Box([-MAX_TORQUE], [MAX_TORQUE]),
  maxEpisodeSteps: 200,
  rewardThreshold: undefined,
  stateLabels: Object.freeze(['theta', 'theta_dot']),
});

/** NumPy's float `%` (np.mod): the result has the sign of the divisor. */
function floorMod(a: number, b: number): number {
  let r = a % b;
  if (r !== 0 && r < 0 !== b < 0) r += b;
  return r;
}

/** Gymnasium's `angle_normalize`: maps x into [-pi, pi). */
export function angleNormalize(x: number): number {
  return floorMod(x + Math.PI, 2 * Math.PI) - Math.PI;
}

/**
 * One step of Pendulum-v1's physics (shared by SparsePendulum-v0), for an already clipped torque u:
 * returns [newth, newthdot] with newthdot = clip(thdot + (3g/(2l) sin th + 3/(m l^2) u) dt, -8, 8)
 * and newth = th + newthdot * dt.
 */
export function pendulumDynamics(th: number, thdot: number, u: number, g: number): [number, number] {
  let newthdot = thdot + (((3 * g) / (2 * L)) * Math.sin(th) + (3.0 / (M * L ** 2)) * u) * DT;
  newthdot = Math.min(Math.max(newthdot, -MAX_SPEED), MAX_SPEED);
  const newth = th + newthdot * DT;
  return [newth, newthdot];
}

/**
 * What Pendulum-v1 and SparsePendulum-v0 share besides the physics above: the `g` option (default
 * 10.0), the torque clipping u = clip(action[0], -2, 2) and the observation `[cos theta, sin theta,
 * theta_dot]` (float32). Subclasses provide the reset and `transition`.
 */
export abstract class PendulumFamilyEnv extends ClassicControlEnv<Float64Array> {
  readonly g: number;

  protected constructor(def: EnvDefinition, options: PendulumOptions) {
    super(def, options);
    this.g = options.g === undefined ? 10.0 : checkFiniteOption(options.g, `${this.id}: option g`, 'g: 9.81');
  }

  /** The torque the dynamics (and Pendulum-v1's cost) use: the action clipped to [-2, 2]. */
  protected clippedTorque(action: Float64Array): number {
    return Math.min(Math.max(action[0]!, -MAX_TORQUE), MAX_TORQUE);
  }

  protected observe(): Float32Array {
    const o = new Float32Array(3);
    o[0] = Math.cos(this.s[0]!);
    o[1] = Math.sin(this.s[0]!);
    o[2] = this.s[1]!;
    return o;
  }
}

export class PendulumEnv extends PendulumFamilyEnv {
  constructor(options: PendulumOptions = {}) {
    super(PENDULUM_V1, options);
  }

  protected sampleInitialState(rng: Rng, out: Float64Array): void {
    // np_random.uniform(low=[-pi, -1], high=[pi, 1]): theta first, then theta_dot.
    out[0] = rng.uniformRange(-Math.PI, Math.PI);
    out[1] = rng.uniformRange(-1.0, 1.0);
  }

  protected transition(action: Float64Array): { reward: number; terminated: boolean } {
    const s = this.s;
    const th = s[0]!;
    const thdot = s[1]!;
    const u = this.clippedTorque(action);
    const costs = angleNormalize(th) ** 2 + 0.1 * thdot ** 2 + 0.001 * u ** 2;
    const [newth, newthdot] = pendulumDynamics(th, thdot, u, this.g);
    s[0] = newth;
    s[1] = newthdot;
    return { reward: -costs, terminated: false };
  }
}
