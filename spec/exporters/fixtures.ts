/**
 * Test fixtures shared by the exporter and runtime specs: random GMM-QF parameters with controlled
 * conditioning, export metadata, observation generators, and the float32 error bound used as the
 * parity tolerance against the float64 reference.
 */
import type { GmmQfParams } from '../../models/gmmqf/params.js';
import { precisionFactors } from '../../models/gmmqf/reference.js';
import type { GmmQfExportMeta } from '../../exporters/onnx/gmmqf.js';
import { Rng } from '../../sdk/util/rng.js';
import { conjugateDiag, randomOrthogonal } from '../models/linalg/fixtures.js';

/** Unit roundoff of float32. */
export { U32, qErrorBound } from '../../models/gmmqf/float32-bound.js';

export { randomOrthogonal };

/**
 * SPD matrix Q diag(λ) Qᵀ with eigenvalues log-spaced over [s, s·cond] (random order), exactly
 * symmetric. s is the smallest eigenvalue.
 */
export function randomSpd(rng: Rng, D: number, cond: number, s: number): Float64Array {
  const q = randomOrthogonal(rng, D);
  const lam = new Float64Array(D);
  for (let i = 0; i < D; i++) lam[i] = s * Math.pow(cond, D === 1 ? rng.uniform() : i / (D - 1));
  return conjugateDiag(q, lam, D);
}

export interface RandomParamsOptions {
  /** Condition number of every covariance (default: random in [1, 30]). */
  cond?: number;
  /** Weight magnitude (default 5). */
  weightScale?: number;
}

export function randomParams(rng: Rng, K: number, D: number, A: number, opts: RandomParamsOptions = {}): GmmQfParams {
  const means = new Float64Array(K * D);
  for (let i = 0; i < K * D; i++) means[i] = 1.5 * rng.normal();
  const covariances = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) {
    const cond = opts.cond ?? 1 + 29 * rng.uniform();
    // smallest eigenvalue so that the largest is ~0.05…1 (kernels of width comparable to the data)
    const top = 0.05 + 0.95 * rng.uniform();
    covariances.set(randomSpd(rng, D, cond, top / cond), k * D * D);
  }
  const ws = opts.weightScale ?? 5;
  const weights = new Float64Array(K * A);
  for (let i = 0; i < K * A; i++) weights[i] = ws * rng.normal();
  const obsOffset = new Float64Array(D);
  const obsScale = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    obsOffset[j] = 2 * rng.normal();
    obsScale[j] = 0.3 + 3 * rng.uniform();
  }
  return { K, D, A, means, covariances, weights, obsOffset, obsScale };
}

export function metaFor(p: GmmQfParams, extra: Partial<GmmQfExportMeta> = {}): GmmQfExportMeta {
  const low = Array.from({ length: p.D }, (_, j) => (j % 2 === 0 ? -10 - j : -Infinity));
  const high = Array.from({ length: p.D }, (_, j) => (j % 2 === 0 ? 10 + j : Infinity));
  return {
    envId: 'Test-v0',
    observationSpace: { shape: [p.D], low, high },
    actionSpace: { kind: 'discrete', n: p.A },
    ...extra,
  };
}

/**
 * Random raw observations (float32-representable), a mix of: near a component mean (kernels
 * active), uniform over the data range, moderately outside (|z| ~ 5–30) and far outside
 * (|z| ~ 1e2–1e4, every kernel underflows to 0).
 */
export function randomObservations(rng: Rng, p: GmmQfParams, n: number): Float32Array {
  const { D, K } = p;
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    const k = rng.integer(K);
    for (let j = 0; j < D; j++) {
      let z: number;
      if (kind === 0) z = p.means[k * D + j]! + 0.4 * rng.normal();
      else if (kind === 1) z = rng.uniformRange(-4, 4);
      else if (kind === 2) z = (rng.uniform() < 0.5 ? -1 : 1) * rng.uniformRange(5, 30);
      else z = (rng.uniform() < 0.5 ? -1 : 1) * Math.pow(10, rng.uniformRange(2, 4));
      out[i * D + j] = p.obsOffset[j]! + p.obsScale[j]! * z;
    }
  }
  return out;
}

/** Max over entries of |actual − expected| / bound (≤ 1 means within the bound). */
export function worstRatio(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  bound: ArrayLike<number>,
): { ratio: number; index: number } {
  let ratio = 0;
  let index = -1;
  for (let i = 0; i < expected.length; i++) {
    const r = Math.abs(actual[i]! - expected[i]!) / bound[i]!;
    if (Number.isNaN(r)) return { ratio: NaN, index: i };
    if (r > ratio) {
      ratio = r;
      index = i;
    }
  }
  return { ratio, index };
}

/**
 * Condition-scaled magnitude S[n, a] = Σ_k |ξ_ka| · g_k · (1 + quad_k / 2) (+ K·2⁻¹²⁶·max|ξ| for
 * underflow): the change of q_a when every quadratic form and every exp is perturbed by a relative
 * ρ is at most ρ·S. Two float32 implementations that agree to relative ρ in each elementary op
 * therefore agree to ≈ ρ·S in q. Where the kernels are active S ≈ |q|-scale; far in the tail
 * (quad ≫ 1) it grows like quad·|q|, because there exp amplifies the relative error of quad.
 */
export function qScale(p: GmmQfParams, obs: ArrayLike<number>, n: number, W = precisionFactors(p.covariances, p.K, p.D)): Float64Array {
  const { K, D, A } = p;
  const out = new Float64Array(n * A);
  const z = new Float64Array(D);
  let maxXi = 0;
  for (const x of p.weights) maxXi = Math.max(maxXi, Math.abs(x));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < D; j++) z[j] = (obs[i * D + j]! - p.obsOffset[j]!) / p.obsScale[j]!;
    for (let k = 0; k < K; k++) {
      let quad = 0;
      for (let r = 0; r < D; r++) {
        let y = 0;
        for (let c = 0; c <= r; c++) y += W[k * D * D + r * D + c]! * (z[c]! - p.means[k * D + c]!);
        quad += y * y;
      }
      const w = Math.exp(-0.5 * quad) * (1 + quad / 2);
      for (let a = 0; a < A; a++) out[i * A + a]! += Math.abs(p.weights[k * A + a]!) * w;
    }
    for (let a = 0; a < A; a++) out[i * A + a]! += K * 2 ** -126 * maxXi;
  }
  return out;
}
