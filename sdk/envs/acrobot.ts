/**
 * Acrobot-v1, Gymnasium's `AcrobotEnv` (gymnasium/envs/classic_control/acrobot.py) with its
 * registration: TimeLimit 500, reward_threshold -100.
 *
 * State `[theta1, theta2, dtheta1, dtheta2]` (theta2 relative to link 1; 0 = hanging down).
 * Observation `[cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2]` as float32.
 * Actions: Discrete(3), torque -1, 0, +1 on the joint between the links (torque noise 0).
 * Dynamics: the 'book' equations, integrated by one classical RK4 step over [0, dt = 0.2] exactly
 * like Gymnasium's `rk4` helper (the torque rides along as a 5th state entry with derivative 0);
 * then the angles are wrapped into [-pi, pi] and the velocities bounded to ±4π and ±9π.
 * Terminated when -cos(theta1) - cos(theta2 + theta1) > 1.0; reward -1 if not terminated, else 0.
 * Reset: each state entry uniform in [-0.1, 0.1), then cast to float32 as Gymnasium does
 * (`.astype(np.float32)`); `reset({ state })` keeps the given float64 values as they are.
 */
import type { Rng } from '../util/rng.js';
import { type BaseEnvOptions, ClassicControlEnv, type EnvDefinition } from './env.js';
import { discrete, float32Box } from './spaces.js';

const DT = 0.2;
const LINK_LENGTH_1 = 1.0;
const LINK_MASS_1 = 1.0;
const LINK_MASS_2 = 1.0;
const LINK_COM_POS_1 = 0.5;
const LINK_COM_POS_2 = 0.5;
const LINK_MOI = 1.0;
const ACROBOT_MAX_VEL_1 = 4 * Math.PI;
const ACROBOT_MAX_VEL_2 = 9 * Math.PI;
const AVAIL_TORQUE = [-1.0, 0.0, +1];
const G = 9.8;

export type AcrobotOptions = BaseEnvOptions;

export const ACROBOT_V1: EnvDefinition = Object.freeze({
  id: 'Acrobot-v1',
  observationSpace: float32Box(
    [-1.0, -1.0, -1.0, -1.0, -ACROBOT_MAX_VEL_1, -ACROBOT_MAX_VEL_2],
    [1.0, 1.0, 1.0, 1.0, ACROBOT_MAX_VEL_1, ACROBOT_MAX_VEL_2],
  ),
  actionSpace: discrete(3),
  maxEpisodeSteps: 500,
  rewardThreshold: -100.0,
  stateLabels: Object.freeze(['theta1', 'theta2', 'dtheta1', 'dtheta2']),
});

/** Time derivative of the augmented state `[theta1, theta2, dtheta1, dtheta2, torque]` ('book'). */
function acrobotDsdt(sa: Float64Array, out: Float64Array): void {
  const m1 = LINK_MASS_1;
  const m2 = LINK_MASS_2;
  const l1 = LINK_LENGTH_1;
  const lc1 = LINK_COM_POS_1;
  const lc2 = LINK_COM_POS_2;
  const I1 = LINK_MOI;
  const I2 = LINK_MOI;
  const g = G;
  const a = sa[4]!;
  const theta1 = sa[0]!;
  const theta2 = sa[1]!;
  const dtheta1 = sa[2]!;
  const dtheta2 = sa[3]!;
  const d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * Math.cos(theta2)) + I1 + I2;
  const d2 = m2 * (lc2 ** 2 + l1 * lc2 * Math.cos(theta2)) + I2;
  const phi2 = m2 * lc2 * g * Math.cos(theta1 + theta2 - Math.PI / 2.0);
  const phi1 =
    -m2 * l1 * lc2 * dtheta2 ** 2 * Math.sin(theta2) -
    2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * Math.sin(theta2) +
    (m1 * lc1 + m2 * l1) * g * Math.cos(theta1 - Math.PI / 2) +
    phi2;
  // 'book' dynamics (consistent with the Java implementation and Sutton & Barto's book).
  const ddtheta2 = (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 ** 2 * Math.sin(theta2) - phi2) / (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1);
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  out[0] = dtheta1;
  out[1] = dtheta2;
  out[2] = ddtheta1;
  out[3] = ddtheta2;
  out[4] = 0.0;
}

/** Gymnasium's `wrap(x, m, M)`: shifts x by whole periods (M - m) until m <= x <= M. */
function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

/** Gymnasium's `bound(x, m, M)` = min(max(x, m), M). */
function bound(x: number, m: number, M: number): number {
  return Math.min(Math.max(x, m), M);
}

/** Scratch buffers for `acrobotStep` (5 = state + torque), so a step allocates nothing. */
export interface AcrobotScratch {
  readonly y0: Float64Array;
  readonly yt: Float64Array;
  readonly k1: Float64Array;
  readonly k2: Float64Array;
  readonly k3: Float64Array;
  readonly k4: Float64Array;
}

export function createAcrobotScratch(): AcrobotScratch {
  const b = (): Float64Array => new Float64Array(5);
  return { y0: b(), yt: b(), k1: b(), k2: b(), k3: b(), k4: b() };
}

/**
 * One Acrobot-v1 step of the state `s = [theta1, theta2, dtheta1, dtheta2]`, in place, for the
 * given torque (shared by ContinuousAcrobot-v0 / ContinuousAcrobotShaped-v0): a single classical
 * RK4 step over [0, dt = 0.2] like Gymnasium's `rk4`, then angles wrapped into [-pi, pi] and
 * velocities bounded to ±4π and ±9π.
 */
export function acrobotStep(s: Float64Array, torque: number, w: AcrobotScratch): void {
  const { y0, yt, k1, k2, k3, k4 } = w;
  y0.set(s.subarray(0, 4));
  y0[4] = torque;

  // rk4(self._dsdt, s_augmented, [0, self.dt]): a single interval, t0 = 0, t1 = dt.
  const dt = DT - 0;
  const dt2 = dt / 2.0;
  acrobotDsdt(y0, k1);
  for (let i = 0; i < 5; i++) yt[i] = y0[i]! + dt2 * k1[i]!;
  acrobotDsdt(yt, k2);
  for (let i = 0; i < 5; i++) yt[i] = y0[i]! + dt2 * k2[i]!;
  acrobotDsdt(yt, k3);
  for (let i = 0; i < 5; i++) yt[i] = y0[i]! + dt * k3[i]!;
  acrobotDsdt(yt, k4);
  const h = dt / 6.0;
  for (let i = 0; i < 4; i++) s[i] = y0[i]! + h * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);

  s[0] = wrap(s[0]!, -Math.PI, Math.PI);
  s[1] = wrap(s[1]!, -Math.PI, Math.PI);
  s[2] = bound(s[2]!, -ACROBOT_MAX_VEL_1, ACROBOT_MAX_VEL_1);
  s[3] = bound(s[3]!, -ACROBOT_MAX_VEL_2, ACROBOT_MAX_VEL_2);
}

/** Acrobot-v1's termination test: the tip is above the line, -cos(theta1) - cos(theta2 + theta1) > 1. */
export function acrobotTerminal(s: Float64Array): boolean {
  return -Math.cos(s[0]!) - Math.cos(s[1]! + s[0]!) > 1.0;
}

/** Acrobot-v1's reset: each state entry uniform in [-0.1, 0.1), cast to float32. */
export function sampleAcrobotStart(rng: Rng, out: Float64Array): void {
  // np_random.uniform(-0.1, 0.1, size=(4,)).astype(np.float32)
  for (let i = 0; i < 4; i++) out[i] = Math.fround(rng.uniformRange(-0.1, 0.1));
}

/** Acrobot-v1's observation `[cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2]` (float32). */
export function acrobotObservation(s: Float64Array): Float32Array {
  const o = new Float32Array(6);
  o[0] = Math.cos(s[0]!);
  o[1] = Math.sin(s[0]!);
  o[2] = Math.cos(s[1]!);
  o[3] = Math.sin(s[1]!);
  o[4] = s[2]!;
  o[5] = s[3]!;
  return o;
}

export class AcrobotEnv extends ClassicControlEnv<number> {
  private readonly scratch = createAcrobotScratch();

  constructor(options: AcrobotOptions = {}) {
    super(ACROBOT_V1, options);
  }

  protected sampleInitialState(rng: Rng, out: Float64Array): void {
    sampleAcrobotStart(rng, out);
  }

  protected transition(action: number): { reward: number; terminated: boolean } {
    acrobotStep(this.s, AVAIL_TORQUE[action]!, this.scratch);
    const terminated = acrobotTerminal(this.s);
    return { reward: terminated ? 0.0 : -1.0, terminated };
  }

  protected observe(): Float32Array {
    return acrobotObservation(this.s);
  }
}
