/** Random GMM-QF models for tests. */
import { Rng } from '../../../sdk/util/rng.js';
import type { GmmQfParams } from '../../../models/gmmqf/params.js';

/** A random SPD D×D matrix with eigenvalues in [lo, hi] (random rotation via Gram–Schmidt). */
export function randomSpd(rng: Rng, D: number, lo = 0.3, hi = 2): Float64Array {
  const Q = new Float64Array(D * D);
  for (let i = 0; i < D * D; i++) Q[i] = rng.normal();
  for (let c = 0; c < D; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let r = 0; r < D; r++) dot += Q[r * D + c]! * Q[r * D + p]!;
      for (let r = 0; r < D; r++) Q[r * D + c] -= dot * Q[r * D + p]!;
    }
    let n = 0;
    for (let r = 0; r < D; r++) n += Q[r * D + c]! ** 2;
    n = Math.sqrt(n);
    for (let r = 0; r < D; r++) Q[r * D + c] /= n;
  }
  const lam = Array.from({ length: D }, () => lo * (hi / lo) ** rng.uniform());
  const C = new Float64Array(D * D);
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) {
    let s = 0;
    for (let k = 0; k < D; k++) s += Q[i * D + k]! * lam[k]! * Q[j * D + k]!;
    C[i * D + j] = s;
  }
  for (let i = 0; i < D; i++) for (let j = i + 1; j < D; j++) C[j * D + i] = C[i * D + j]!;
  return C;
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
