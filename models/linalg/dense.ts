/**
 * Small dense float64 matrix helpers: row-major D×D matrices in flat arrays.
 *
 * D is small (2–8), so everything is a plain loop; functions that return a matrix allocate a fresh
 * Float64Array of D·D entries unless an `out` array is given. To work on block k of a [K, D, D]
 * stack without copying, pass an offset where a function takes one, or a `subarray` view
 * (`stack.subarray(k·D·D, (k+1)·D·D)`, which shares memory).
 */
import { ShapeError, ValueError, describeValue } from '../../contract/errors.js';

/** Throws ShapeError unless `d` is a positive integer and `a` holds a D×D block at `offset`. */
export function checkSquare(a: ArrayLike<number>, d: number, offset = 0, what = 'matrix'): void {
  if (!Number.isInteger(d) || d <= 0) {
    throw new ShapeError(`${what}: dimension d must be a positive integer; got ${describeValue(d)}.`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ShapeError(`${what}: offset must be a non-negative integer; got ${describeValue(offset)}.`);
  }
  if (a.length < offset + d * d) {
    throw new ShapeError(
      `${what}: expected a ${d}×${d} block (${d * d} values) at offset ${offset}, but the array has only ` +
        `${a.length} values. Matrices are row-major D×D in a flat array.`,
    );
  }
}

/** Throws ValueError naming the first non-finite entry of the D×D block. */
export function checkFinite(a: ArrayLike<number>, d: number, offset = 0, what = 'matrix'): void {
  for (let i = 0; i < d * d; i++) {
    const x = a[offset + i]!;
    if (!Number.isFinite(x)) {
      throw new ValueError(`${what}[${Math.floor(i / d)}][${i % d}] is ${describeValue(x)}; every entry must be finite.`);
    }
  }
}

/** D×D identity. */
export function identity(d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) out[i * d + i] = 1;
  return out;
}

/** A·B (D×D), into `out` when given (`out` may alias an operand: a temporary is used then). */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, d: number, out?: Float64Array): Float64Array {
  const res = out && out !== a && out !== b ? out : new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += a[i * d + k]! * b[k * d + j]!;
      res[i * d + j] = s;
    }
  }
  if (out && res !== out) out.set(res);
  return out ?? res;
}

/** A·Bᵀ (D×D). */
export function matmulTransB(a: ArrayLike<number>, b: ArrayLike<number>, d: number): Float64Array {
  const res = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += a[i * d + k]! * b[j * d + k]!;
      res[i * d + j] = s;
    }
  }
  return res;
}

/** Aᵀ (D×D), as a new array. */
export function transpose(a: ArrayLike<number>, d: number, offset = 0): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[j * d + i] = a[offset + i * d + j]!;
  return out;
}

/** tr(A). */
export function trace(a: ArrayLike<number>, d: number, offset = 0): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += a[offset + i * d + i]!;
  return s;
}

/** tr(A·B) = Σ_ij A_ij B_ji, without forming the product. */
export function traceOfProduct(a: ArrayLike<number>, b: ArrayLike<number>, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) s += a[i * d + j]! * b[j * d + i]!;
  return s;
}

/** Frobenius norm ‖A‖_F of the D×D block at `offset`. */
export function frobeniusNorm(a: ArrayLike<number>, d: number, offset = 0): number {
  let s = 0;
  for (let i = 0; i < d * d; i++) s += a[offset + i]! * a[offset + i]!;
  return Math.sqrt(s);
}

/** max |A_ij| of the D×D block at `offset`. */
export function maxAbs(a: ArrayLike<number>, d: number, offset = 0): number {
  let m = 0;
  for (let i = 0; i < d * d; i++) m = Math.max(m, Math.abs(a[offset + i]!));
  return m;
}

/** A + B. */
export function add(a: ArrayLike<number>, b: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) out[i] = a[i]! + b[i]!;
  return out;
}

/** A − B. */
export function sub(a: ArrayLike<number>, b: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) out[i] = a[i]! - b[i]!;
  return out;
}

/** s·A. */
export function scale(a: ArrayLike<number>, s: number, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) out[i] = s * a[i]!;
  return out;
}

/**
 * Makes the D×D block at `offset` exactly symmetric, in place, by averaging: A ← (A + Aᵀ)/2.
 * Returns `a`.
 */
export function symmetrize<T extends Float64Array | number[]>(a: T, d: number, offset = 0): T {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const m = 0.5 * (a[offset + i * d + j]! + a[offset + j * d + i]!);
      a[offset + i * d + j] = m;
      a[offset + j * d + i] = m;
    }
  }
  return a;
}

/** sym(A) = (A + Aᵀ)/2 as a new array (the input is not modified). */
export function symPart(a: ArrayLike<number>, d: number, offset = 0): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    out[i * d + i] = a[offset + i * d + i]!;
    for (let j = 0; j < i; j++) {
      const m = 0.5 * (a[offset + i * d + j]! + a[offset + j * d + i]!);
      out[i * d + j] = m;
      out[j * d + i] = m;
    }
  }
  return out;
}

/**
 * Congruence B·X·Bᵀ for symmetric X. Only the lower triangle is computed and mirrored, so the
 * result is exactly symmetric.
 */
export function congruence(b: ArrayLike<number>, x: ArrayLike<number>, d: number): Float64Array {
  // T = B·X, then R_ij = Σ_k T_ik B_jk for j ≤ i.
  const t = matmul(b, x, d);
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += t[i * d + k]! * b[j * d + k]!;
      out[i * d + j] = s;
      out[j * d + i] = s;
    }
  }
  return out;
}

/**
 * B·diag(w)·Bᵀ, exactly symmetric (lower triangle computed, mirrored). With w = f(λ) and B = V
 * (eigenvectors as columns) this is the spectral function V f(Λ) Vᵀ.
 */
export function scaledGram(b: ArrayLike<number>, w: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += b[i * d + k]! * w[k]! * b[j * d + k]!;
      out[i * d + j] = s;
      out[j * d + i] = s;
    }
  }
  return out;
}

/**
 * Solves A·X = B for X (D×D, general A) by LU with partial pivoting. Throws ValueError when A is
 * singular to working precision.
 */
export function solve(a: ArrayLike<number>, b: ArrayLike<number>, d: number): Float64Array {
  const lu = Float64Array.from({ length: d * d }, (_, i) => a[i]!);
  const x = Float64Array.from({ length: d * d }, (_, i) => b[i]!);
  let amax = 0;
  for (let i = 0; i < d * d; i++) amax = Math.max(amax, Math.abs(lu[i]!));
  for (let col = 0; col < d; col++) {
    let piv = col;
    let best = Math.abs(lu[col * d + col]!);
    for (let r = col + 1; r < d; r++) {
      const v = Math.abs(lu[r * d + col]!);
      if (v > best) {
        best = v;
        piv = r;
      }
    }
    if (!(best > amax * 1e-300) || best === 0) {
      throw new ValueError(`solve: matrix is singular to working precision (pivot ${col} is ${best}).`);
    }
    if (piv !== col) {
      for (let k = 0; k < d; k++) {
        let t = lu[col * d + k]!;
        lu[col * d + k] = lu[piv * d + k]!;
        lu[piv * d + k] = t;
        t = x[col * d + k]!;
        x[col * d + k] = x[piv * d + k]!;
        x[piv * d + k] = t;
      }
    }
    const p = lu[col * d + col]!;
    for (let r = col + 1; r < d; r++) {
      const f = lu[r * d + col]! / p;
      if (f === 0) continue;
      lu[r * d + col] = f;
      for (let k = col + 1; k < d; k++) lu[r * d + k]! -= f * lu[col * d + k]!;
      for (let k = 0; k < d; k++) x[r * d + k]! -= f * x[col * d + k]!;
    }
  }
  for (let r = d - 1; r >= 0; r--) {
    const p = lu[r * d + r]!;
    for (let k = 0; k < d; k++) {
      let s = x[r * d + k]!;
      for (let c = r + 1; c < d; c++) s -= lu[r * d + c]! * x[c * d + k]!;
      x[r * d + k] = s / p;
    }
  }
  return x;
}
