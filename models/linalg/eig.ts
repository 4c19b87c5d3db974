/**
 * Symmetric eigendecomposition (cyclic Jacobi) and the spectral matrix functions built on it, plus a
 * general matrix exponential (scaling and squaring, Padé 13). Float64, row-major D×D.
 *
 * Jacobi is the right tool for D ≤ 8: it is simple, backward stable (eigenvalues exact to
 * O(ε‖A‖) absolutely, eigenvectors orthogonal to O(ε)), handles repeated eigenvalues without any
 * special case, and with the relative stopping rule below it keeps the small eigenvalues of
 * graded SPD matrices (A = D·H·D, H well conditioned) accurate to O(ε) relatively.
 */
import { SpdError, ValueError, describeValue } from '../../contract/errors.js';
import { assertSpd, SYM_TOL, asymmetry } from './cholesky.js';
import { checkFinite, checkSquare, identity, matmul, scaledGram, solve } from './dense.js';

/**
 * Counts of Jacobi work, accumulated by eigSym (and SpdAdam's in-place Jacobi) when passed: used by
 * the benchmarks' FLOP model. Off-diagonal entries already exactly 0 are skipped and not counted.
 */
export interface JacobiStats {
  /** Eigendecompositions. */
  eigs: number;
  sweeps: number;
  /** Off-diagonal entries tested against the stopping rule. */
  checks: number;
  rotations: number;
}

/** Eigendecomposition A = V·diag(values)·Vᵀ of a symmetric matrix. */
export interface SymEig {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Orthogonal V, row-major; column k (entries V[i·d + k]) is the eigenvector of values[k]. */
  vectors: Float64Array;
}

/** Unit roundoff-level threshold of the relative Jacobi stopping rule. */
const JACOBI_EPS = 2.220446049250313e-16;
/** Off-diagonal entries below this fraction of max|A_ij| are zeroed outright (guards denormal crawl). */
const JACOBI_ABS_FLOOR = 1e-40;
/** Cyclic sweeps before giving up; convergence is quadratic, D ≤ 8 needs < 10 in practice. */
const JACOBI_MAX_SWEEPS = 60;

/**
 * Eigenvalues (ascending) and orthonormal eigenvectors of the symmetric D×D block at `offset`, by
 * cyclic Jacobi rotations. The block is symmetrised first ((A + Aᵀ)/2; it is only read).
 *
 * Stopping rule: an off-diagonal a_pq is treated as zero once |a_pq| ≤ ε·√|a_pp·a_qq| (relative, so
 * small eigenvalues of graded matrices are resolved, eigenvalue ratios of 1e12 and beyond) or
 * |a_pq| ≤ 1e-40·max|A_ij|; iteration ends after a sweep without rotations (at most 60 sweeps).
 * Throws ValueError on non-finite input.
 */
export function eigSym(a: ArrayLike<number>, d: number, offset = 0, stats?: JacobiStats): SymEig {
  checkSquare(a, d, offset, 'eigSym input');
  checkFinite(a, d, offset, 'eigSym input');
  const w = new Float64Array(d * d);
  let amax = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      // Average as ½a + ½b so that entries near the float64 limit cannot overflow.
      const x = i === j ? a[offset + i * d + i]! : 0.5 * a[offset + i * d + j]! + 0.5 * a[offset + j * d + i]!;
      w[i * d + j] = x;
      amax = Math.max(amax, Math.abs(x));
    }
  }
  const v = identity(d);
  const floor = JACOBI_ABS_FLOOR * amax;
  if (stats) stats.eigs++;
  for (let sweep = 0; sweep < JACOBI_MAX_SWEEPS; sweep++) {
    if (stats) stats.sweeps++;
    let rotated = false;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = w[p * d + q]!;
        if (apq === 0) continue;
        if (stats) stats.checks++;
        const app = w[p * d + p]!;
        const aqq = w[q * d + q]!;
        const absApq = Math.abs(apq);
        if (absApq <= JACOBI_EPS * Math.sqrt(Math.abs(app)) * Math.sqrt(Math.abs(aqq)) || absApq <= floor) {
          w[p * d + q] = 0;
          w[q * d + p] = 0;
          continue;
        }
        rotated = true;
        if (stats) stats.rotations++;
        // Rutishauser's rotation: t = tan φ, the smaller root of t² + 2θt − 1 = 0.
        const theta = (0.5 * aqq - 0.5 * app) / apq;
        let t: number;
        if (Math.abs(theta) > 1e150) t = 0.5 / theta;
        else t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        w[p * d + p] = app - t * apq;
        w[q * d + q] = aqq + t * apq;
        w[p * d + q] = 0;
        w[q * d + p] = 0;
        for (let r = 0; r < d; r++) {
          if (r !== p && r !== q) {
            const arp = w[r * d + p]!;
            const arq = w[r * d + q]!;
            const np = c * arp - s * arq;
            const nq = s * arp + c * arq;
            w[r * d + p] = np;
            w[p * d + r] = np;
            w[r * d + q] = nq;
            w[q * d + r] = nq;
          }
          const vrp = v[r * d + p]!;
          const vrq = v[r * d + q]!;
          v[r * d + p] = c * vrp - s * vrq;
          v[r * d + q] = s * vrp + c * vrq;
        }
      }
    }
    if (!rotated) break;
  }
  // Sort ascending (index sort; Array.prototype.sort is stable, so ties keep their order).
  const order = Array.from({ length: d }, (_, i) => i);
  order.sort((i, j) => w[i * d + i]! - w[j * d + j]!);
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const src = order[k]!;
    values[k] = w[src * d + src]!;
    for (let r = 0; r < d; r++) vectors[r * d + k] = v[r * d + src]!;
  }
  return { values, vectors };
}

/** V·diag(f(λ))·Vᵀ from an eigendecomposition, exactly symmetric. */
export function fromEig(eig: SymEig, d: number, f: (lambda: number) => number): Float64Array {
  const fv = new Float64Array(d);
  for (let k = 0; k < d; k++) fv[k] = f(eig.values[k]!);
  return scaledGram(eig.vectors, fv, d);
}

/**
 * f(A) = V f(Λ) Vᵀ for a symmetric matrix A (any spectrum). Throws ValueError when A is not
 * symmetric within SYM_TOL (relative) — use `expm` for general matrices.
 */
export function symFunction(a: ArrayLike<number>, d: number, f: (lambda: number) => number, offset = 0, what = 'matrix'): Float64Array {
  checkSquare(a, d, offset, what);
  checkFinite(a, d, offset, what);
  const asym = asymmetry(a, d, offset);
  if (asym > SYM_TOL) {
    throw new ValueError(
      `${what} must be symmetric: relative asymmetry max|A − Aᵀ|/max|A| = ${asym.toExponential(3)} exceeds ` +
        `${SYM_TOL}. Symmetrise it first, or use expm() for a general matrix.`,
    );
  }
  return fromEig(eigSym(a, d, offset), d, f);
}

/**
 * f(A) = V f(Λ) Vᵀ for a symmetric positive definite A (f only ever sees eigenvalues > 0).
 * Throws SpdError naming `what` when A is not SPD (asymmetric beyond SYM_TOL, Cholesky fails, or an
 * eigenvalue comes out ≤ 0 at the edge of float64 conditioning).
 */
export function spdFunction(a: ArrayLike<number>, d: number, f: (lambda: number) => number, offset = 0, what = 'matrix'): Float64Array {
  assertSpd(a, d, what, offset);
  const eig = eigSym(a, d, offset);
  if (!(eig.values[0]! > 0)) {
    throw new SpdError(
      `${what} (${d}×${d}) is not numerically positive definite: smallest eigenvalue ` +
        `${describeValue(eig.values[0]!)} (largest ${describeValue(eig.values[d - 1]!)}). Regularise it (add eps·I).`,
    );
  }
  return fromEig(eig, d, f);
}

/** Principal square root A^{½} of an SPD matrix. */
export function sqrtm(a: ArrayLike<number>, d: number, offset = 0, what = 'matrix'): Float64Array {
  return spdFunction(a, d, Math.sqrt, offset, what);
}

/** A^{-½} of an SPD matrix. */
export function invSqrtm(a: ArrayLike<number>, d: number, offset = 0, what = 'matrix'): Float64Array {
  return spdFunction(a, d, (x) => 1 / Math.sqrt(x), offset, what);
}

/** A^p of an SPD matrix, for real p. */
export function powSpd(a: ArrayLike<number>, d: number, p: number, offset = 0, what = 'matrix'): Float64Array {
  return spdFunction(a, d, (x) => Math.pow(x, p), offset, what);
}

/** Principal logarithm of an SPD matrix (symmetric result). */
export function logmSpd(a: ArrayLike<number>, d: number, offset = 0, what = 'matrix'): Float64Array {
  return spdFunction(a, d, Math.log, offset, what);
}

/** exp(A) of a symmetric matrix via its eigendecomposition (SPD result; may overflow to Infinity). */
export function expmSym(a: ArrayLike<number>, d: number, offset = 0, what = 'matrix'): Float64Array {
  return symFunction(a, d, Math.exp, offset, what);
}

// Padé 13 coefficients and the θ₁₃ bound from Higham (2005), "The scaling and squaring method for
// the matrix exponential revisited".
const PADE13 = [
  64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000, 10559470521600, 670442572800, 33522128640,
  1323241920, 40840800, 960960, 16380, 182, 1,
];
const THETA13 = 5.371920351148152;

/**
 * exp(A) of a general (not necessarily symmetric) D×D matrix: scaling and squaring with the
 * degree-13 Padé approximant (Higham 2005). Throws ValueError on non-finite input.
 */
export function expm(a: ArrayLike<number>, d: number, offset = 0): Float64Array {
  checkSquare(a, d, offset, 'expm input');
  checkFinite(a, d, offset, 'expm input');
  let norm1 = 0;
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += Math.abs(a[offset + i * d + j]!);
    norm1 = Math.max(norm1, s);
  }
  const squarings = norm1 > THETA13 ? Math.max(0, Math.ceil(Math.log2(norm1 / THETA13))) : 0;
  const sc = Math.pow(2, -squarings);
  const x = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) x[i] = sc * a[offset + i]!;
  const b = PADE13;
  const x2 = matmul(x, x, d);
  const x4 = matmul(x2, x2, d);
  const x6 = matmul(x4, x2, d);
  const n = d * d;
  const u1 = new Float64Array(n);
  const v1 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    u1[i] = b[13]! * x6[i]! + b[11]! * x4[i]! + b[9]! * x2[i]!;
    v1[i] = b[12]! * x6[i]! + b[10]! * x4[i]! + b[8]! * x2[i]!;
  }
  const u2 = matmul(x6, u1, d);
  const v2 = matmul(x6, v1, d);
  for (let i = 0; i < n; i++) {
    u2[i] = u2[i]! + b[7]! * x6[i]! + b[5]! * x4[i]! + b[3]! * x2[i]!;
    v2[i] = v2[i]! + b[6]! * x6[i]! + b[4]! * x4[i]! + b[2]! * x2[i]!;
  }
  for (let i = 0; i < d; i++) {
    u2[i * d + i] = u2[i * d + i]! + b[1]!;
    v2[i * d + i] = v2[i * d + i]! + b[0]!;
  }
  const u = matmul(x, u2, d);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    p[i] = v2[i]! + u[i]!;
    q[i] = v2[i]! - u[i]!;
  }
  let r = solve(q, p, d);
  for (let s = 0; s < squarings; s++) r = matmul(r, r, d);
  return r;
}
