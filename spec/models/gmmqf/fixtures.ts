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
