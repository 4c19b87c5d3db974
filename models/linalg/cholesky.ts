/**
 * Cholesky factorisation and triangular helpers, float64, row-major D×D matrices in flat arrays.
 */
import { SpdError, describeValue } from '../../contract/errors.js';
import { checkSquare } from './dense.js';

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

/**
 * Default tolerance on the relative asymmetry max|A − Aᵀ| / max|A| that `isSpd` / `assertSpd` accept.
 * Everything this library produces is exactly symmetric; the slack is for matrices that went through
 * other code (JSON, float32 round trips of symmetric products, …).
 */
export const SYM_TOL = 1e-10;

/** Why the D×D block is not SPD, or null when it is (finite, symmetric within symTol, Cholesky succeeds). */
function spdProblem(a: ArrayLike<number>, d: number, offset: number, symTol: number): string | null {
  for (let i = 0; i < d * d; i++) {
    const x = a[offset + i]!;
    if (!Number.isFinite(x)) return `entry [${Math.floor(i / d)}][${i % d}] is ${describeValue(x)} (not finite)`;
  }
  const asym = asymmetry(a, d, offset);
  if (asym > symTol) {
    return `it is not symmetric: relative asymmetry max|A − Aᵀ|/max|A| = ${asym.toExponential(3)} exceeds ${symTol}`;
  }
  if (!choleskyOrNull(a, d, offset)) {
    let minDiag = Infinity;
    for (let i = 0; i < d; i++) minDiag = Math.min(minDiag, a[offset + i * d + i]!);
    return (
      `Cholesky failed (it has a zero or negative eigenvalue, or is too ill-conditioned for float64; ` +
      `smallest diagonal entry ${describeValue(minDiag)})`
    );
  }
  return null;
}

/**
 * True when the D×D block at `offset` is finite, symmetric up to relative asymmetry `symTol`
 * (see SYM_TOL) and its Cholesky factorisation succeeds.
 */
export function isSpd(a: ArrayLike<number>, d: number, offset = 0, symTol = SYM_TOL): boolean {
  checkSquare(a, d, offset, 'isSpd');
  return spdProblem(a, d, offset, symTol) === null;
}

/** Throws SpdError naming `what` and the reason when the block is not SPD (same test as isSpd). */
export function assertSpd(a: ArrayLike<number>, d: number, what = 'matrix', offset = 0, symTol = SYM_TOL): void {
  checkSquare(a, d, offset, what);
  const problem = spdProblem(a, d, offset, symTol);
  if (problem !== null) {
    throw new SpdError(
      `${what} (${d}×${d}) is not symmetric positive definite: ${problem}. ` +
        `Covariances must be SPD: check where the matrix came from or regularise it (e.g. add eps·I).`,
    );
  }
}

/** log det A for SPD A, from the Cholesky factor (2 Σ log L_ii). Throws SpdError naming `what`. */
export function logDetSpd(a: ArrayLike<number>, d: number, what = 'matrix', offset = 0): number {
  const l = cholesky(a, d, what, offset);
  let s = 0;
  for (let i = 0; i < d; i++) s += Math.log(l[i * d + i]!);
  return 2 * s;
}

/** A⁻¹ for SPD A, as L⁻ᵀ L⁻¹ (exactly symmetric). Throws SpdError naming `what`. */
export function invertSpd(a: ArrayLike<number>, d: number, what = 'matrix', offset = 0): Float64Array {
  const w = invertLower(cholesky(a, d, what, offset), d);
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      // (Wᵀ W)_ij = Σ_k W_ki W_kj, W lower-triangular so k ≥ max(i, j) = i.
      let s = 0;
      for (let k = i; k < d; k++) s += w[k * d + i]! * w[k * d + j]!;
      out[i * d + j] = s;
      out[j * d + i] = s;
    }
  }
  return out;
}

/**
 * min_i L_ii² / A_ii over the Cholesky factorisation A = L Lᵀ, or 0 when the factorisation fails.
 * This is invariant under diagonal scaling (A → D A D) and equals 1/cond-like information of the
 * unit-diagonal matrix: a value near ε means the matrix is within float64 rounding of singular (its
 * Cholesky success is luck), while graded but well-determined matrices (diag(1e-20, 1)) score 1.
 */
export function choleskyPivotRatio(a: ArrayLike<number>, d: number, offset = 0): number {
  const l = choleskyOrNull(a, d, offset);
  if (!l) return 0;
  let m = Infinity;
  for (let i = 0; i < d; i++) m = Math.min(m, (l[i * d + i]! * l[i * d + i]!) / a[offset + i * d + i]!);
  return m;
}
