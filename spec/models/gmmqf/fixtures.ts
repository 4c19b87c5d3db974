/** Random GMM-QF models for tests. */
import { Rng } from '../../../sdk/util/rng.js';
import { conjugateDiag, randomOrthogonal } from '../linalg/fixtures.js';
import type { GmmQfParams } from '../../../models/gmmqf/params.js';

/** A random SPD D×D matrix with eigenvalues log-uniform in [lo, hi], in a random orthonormal basis. */
export function randomSpd(rng: Rng, D: number, lo = 0.3, hi = 2): Float64Array {
  const lam = Array.from({ length: D }, () => lo * (hi / lo) ** rng.uniform());
  return conjugateDiag(randomOrthogonal(rng, D), lam, D);
}

export function randomParams(rng: Rng, K: number, D: number, A: number): GmmQfParams {
  const means = new Float64Array(K * D);
  const covariances = new Float64Array(K * D * D);
  const weights = new Float64Array(K * A);
  for (let i = 0; i < K * D; i++) means[i] = rng.normal();
  for (let k = 0; k < K; k++) covariances.set(randomSpd(rng, D), k * D * D);
  for (let i = 0; i < K * A; i++) weights[i] = 10 * rng.normal();
  const obsOffset = Float64Array.from({ length: D }, () => rng.normal());
  const obsScale = Float64Array.from({ length: D }, () => 0.5 + rng.uniform());
  return { K, D, A, means, covariances, weights, obsOffset, obsScale };
}

export function randomObs(rng: Rng, p: GmmQfParams, n: number, spread = 1.5): Float32Array {
  const obs = new Float32Array(n * p.D);
  for (let i = 0; i < n; i++) for (let j = 0; j < p.D; j++) obs[i * p.D + j] = p.obsOffset[j]! + spread * p.obsScale[j]! * rng.normal();
  return obs;
}

/** Acrobot-v1's observation bounds (float32 values as in sdk/envs/acrobot.ts). */
export const ACROBOT_LOW = [-1, -1, -1, -1, Math.fround(-4 * Math.PI), Math.fround(-9 * Math.PI)];
export const ACROBOT_HIGH = [1, 1, 1, 1, Math.fround(4 * Math.PI), Math.fround(9 * Math.PI)];

/**
 * A random acrobot-angles GMM-QF (D = 4 features θ1, θ2, dθ1, dθ2; obsSize 6): angle means spread
 * over (−π, π) (some near the ±π cut), velocity means within the data, covariances with
 * condition ≤ 30, weights ~ weightScale·N(0, 1).
 */
export function acrobotParams(rng: Rng, K: number, A: number, weightScale = 5): GmmQfParams {
  const D = 4;
  const obsOffset = Float64Array.from([0.1 * rng.normal(), 0.1 * rng.normal(), 0.5 * rng.normal(), 0.5 * rng.normal()]);
  const obsScale = Float64Array.from([1.6 + 0.3 * rng.uniform(), 1.6 + 0.3 * rng.uniform(), 1 + 2 * rng.uniform(), 2 + 3 * rng.uniform()]);
  const means = new Float64Array(K * D);
  for (let k = 0; k < K; k++) {
    for (const j of [0, 1]) means[k * D + j] = (rng.uniformRange(-Math.PI, Math.PI) - obsOffset[j]!) / obsScale[j]!;
    for (const j of [2, 3]) means[k * D + j] = rng.normal();
  }
  const covariances = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) covariances.set(randomSpd(rng, D, 0.02, 0.6), k * D * D);
  const weights = Float64Array.from({ length: K * A }, () => weightScale * rng.normal());
  return { K, D, A, means, covariances, weights, obsOffset, obsScale, features: 'acrobot-angles' };
}

/** Writes angle t as the (cos t, sin t) pair at obs[at], obs[at + 1] (float32, as Acrobot does). */
function angle(obs: Float32Array, at: number, t: number): void {
  obs[at] = Math.cos(t);
  obs[at + 1] = Math.sin(t);
}

/**
 * Raw Acrobot observations [n, 6] for an acrobot-angles model, a mix of: near a component mean
 * (kernels active), uniform angles with velocities within the bounds, angles within 1e-6…1e-2 of
 * the ±π cut or of ±π/2 (cos ≈ 0: the division's worst case) near a mean's velocities, and far
 * velocities (every kernel underflows).
 */
export function acrobotObservations(rng: Rng, p: GmmQfParams, n: number): Float32Array {
  const { D, K } = p;
  const obs = new Float32Array(n * 6);
  for (let i = 0; i < n; i++) {
    const k = rng.integer(K);
    const at = i * 6;
    const feat = (j: number, z: number) => p.obsOffset[j]! + p.obsScale[j]! * z;
    const kind = i % 4;
    for (const [c, j] of [
      [0, 0],
      [2, 1],
    ] as const) {
      if (kind === 0) angle(obs, at + c, feat(j, p.means[k * D + j]! + 0.4 * rng.normal()));
      else if (kind === 2) {
        const special = [Math.PI, -Math.PI, Math.PI / 2, -Math.PI / 2][rng.integer(4)]!;
        angle(obs, at + c, special + (rng.uniform() < 0.5 ? -1 : 1) * 10 ** rng.uniformRange(-6, -2));
      } else angle(obs, at + c, rng.uniformRange(-Math.PI, Math.PI));
    }
    for (const [c, j] of [
      [4, 2],
      [5, 3],
    ] as const) {
      if (kind === 0 || kind === 2) obs[at + c] = feat(j, p.means[k * D + j]! + 0.4 * rng.normal());
      else if (kind === 1) obs[at + c] = rng.uniformRange(ACROBOT_LOW[c]!, ACROBOT_HIGH[c]!);
      else obs[at + c] = feat(j, (rng.uniform() < 0.5 ? -1 : 1) * rng.uniformRange(50, 300));
    }
  }
  return obs;
}
