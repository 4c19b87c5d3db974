/**
 * Cholesky factorisation and triangular helpers, float64, row-major D×D matrices in flat arrays.
 */
import { SpdError } from '../../runtime/errors.js';

/**
 * Lower-triangular L with A = L Lᵀ, or null when A is not (numerically) positive definite.
 * Reads only the lower triangle of A.
 */
export function choleskyOrNull(a: ArrayLike<number>, d: number, offset = 0): Float64Array | null {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = a[offset + j * d + j]!;
    for (let k = 0; k < j; k++) s -= l[j * d + k]! * l[j * d + k]!;
    if (!(s > 0) || !Number.isFinite(s)) return null;
    const ljj = Math.sqrt(s);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[offset + i * d + j]!;
      for (let k = 0; k < j; k++) t -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = t / ljj;
    }
  }
  return l;
}

/** As choleskyOrNull, but throws SpdError naming `what`. */
export function cholesky(a: ArrayLike<number>, d: number, what = 'matrix', offset = 0): Float64Array {
  const l = choleskyOrNull(a, d, offset);
  if (!l) {
    throw new SpdError(
      `${what} is not symmetric positive definite (Cholesky failed). ` +
        `Covariances must be SPD: check the checkpoint or regularise the matrix (e.g. add eps·I).`,
    );
  }
  return l;
}

/** Inverse of a lower-triangular matrix (forward substitution), row-major. */
export function invertLower(l: ArrayLike<number>, d: number): Float64Array {
  const inv = new Float64Array(d * d);
  for (let col = 0; col < d; col++) {
    for (let i = col; i < d; i++) {
      let s = i === col ? 1 : 0;
      for (let k = col; k < i; k++) s -= l[i * d + k]! * inv[k * d + col]!;
      inv[i * d + col] = s / l[i * d + i]!;
    }
  }
  return inv;
}

/** Maximum relative asymmetry max|A - Aᵀ| / max|A| of a D×D block. */
export function asymmetry(a: ArrayLike<number>, d: number, offset = 0): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const x = a[offset + i * d + j]!;
      den = Math.max(den, Math.abs(x));
      if (j > i) num = Math.max(num, Math.abs(x - a[offset + j * d + i]!));
    }
  }
  return den === 0 ? 0 : num / den;
}
