/**
 * Random test matrices for the linear-algebra and SPD-geometry specs (not a spec itself).
 */
import { scaledGram } from '../../../models/linalg/dense.js';
import { Rng } from '../../../sdk/util/rng.js';

/** Random orthogonal D×D matrix (Gram–Schmidt, twice, on a Gaussian matrix), row-major. */
export function randomOrthogonal(rng: Rng, d: number): Float64Array {
  const q = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) q[i] = rng.normal();
  // Orthonormalise the columns.
  for (let j = 0; j < d; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q[i * d + j]! * q[i * d + k]!;
        for (let i = 0; i < d; i++) q[i * d + j] = q[i * d + j]! - dot * q[i * d + k]!;
      }
    }
    let nrm = 0;
    for (let i = 0; i < d; i++) nrm += q[i * d + j]! ** 2;
    nrm = Math.sqrt(nrm);
    for (let i = 0; i < d; i++) q[i * d + j] = q[i * d + j]! / nrm;
  }
  return q;
}

/**
 * Q·diag(λ)·Qᵀ, exactly symmetric: models/linalg's scaledGram (which dense.spec.ts checks on its own),
 * under the name the specs build known-spectrum matrices with.
 */
export function conjugateDiag(q: Float64Array, lambda: ArrayLike<number>, d: number): Float64Array {
  return scaledGram(q, lambda, d);
}

/**
 * Random SPD matrix with condition number exactly `cond` (eigenvalues log-spaced at random between
 * `scale` and `scale·cond`, both ends included) in a random orthonormal basis.
 */
export function randomSpd(rng: Rng, d: number, cond: number, scale = 1): { a: Float64Array; lambda: Float64Array; q: Float64Array } {
  const lambda = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const u = i === 0 ? 0 : i === d - 1 ? 1 : rng.uniform();
    lambda[i] = scale * Math.pow(cond, u);
  }
  lambda.sort();
  const q = randomOrthogonal(rng, d);
  return { a: conjugateDiag(q, lambda, d), lambda, q };
}

/** Random symmetric D×D matrix with N(0, 1) entries (off-diagonal averaged), times `s`. */
export function randomSym(rng: Rng, d: number, s = 1): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      const v = s * rng.normal();
      a[i * d + j] = v;
      a[j * d + i] = v;
    }
  }
  return a;
}

/** Random general D×D matrix with N(0, 1) entries. */
export function randomMatrix(rng: Rng, d: number): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) a[i] = rng.normal();
  return a;
}

/** max_ij |A_ij − B_ij|. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** max_ij |A_ij|. */
export function maxAbsOf(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Log-uniform sample in [lo, hi]. */
export function logUniform(rng: Rng, lo: number, hi: number): number {
  return Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * rng.uniform());
}
