/**
 * Hadamard-factored weights of the sparse GMM-QF ([S-GMM-QF]; REFERENCES.md §1):
 *
 *   Ξ = Υ_1 ⊙ Υ_2 ⊙ … ⊙ Υ_J,     regularizer ρ Σ_j ‖Υ_j‖²_F
 *
 * For J ≥ 2 the regularizer's minimum over factorizations of a fixed Ξ is J·ρ·Σ |ξ|^{2/J}, the
 * ‖Ξ‖_{2/J} quasi-norm (J = 2: the l1 norm; J = 3: the 2/3 quasi-norm), which drives many ξ[k, a]
 * to zero. J = 1 is the dense model with plain l2 weight decay.
 *
 * Factors are stored as one flat Float64Array [J, K, A] (factor j at offset j·K·A).
 */
import { ShapeError } from '../../contract/errors.js';

export interface HadamardFactors {
  readonly J: number;
  readonly K: number;
  readonly A: number;
  /** [J, K, A] */
  readonly values: Float64Array;
}

/**
 * Π_j Υ_j elementwise for J factors of `size` entries stored one after the other ([J, K, A] row-major
 * has size = K·A), multiplied in factor order j = 0 … J−1. Throws ShapeError on a length mismatch.
 */
export function productOfFactors(
  values: ArrayLike<number>,
  J: number,
  size: number,
  out: Float64Array = new Float64Array(size),
): Float64Array {
  if (values.length !== J * size) throw new ShapeError(`hadamardProduct: ${values.length} values for J = ${J} factors of ${size} entries.`);
  for (let i = 0; i < size; i++) {
    let p = values[i]!;
    for (let j = 1; j < J; j++) p *= values[j * size + i]!;
    out[i] = p;
  }
  return out;
}

/** Ξ = ⊙_j Υ_j, [K, A] (multiplied in factor order j = 0 … J−1). */
export function hadamardProduct(f: HadamardFactors, out: Float64Array = new Float64Array(f.K * f.A)): Float64Array {
  return productOfFactors(f.values, f.J, f.K * f.A, out);
}

/** ρ Σ_j ‖Υ_j‖²_F */
export function factorPenalty(f: HadamardFactors, rho: number): number {
  if (rho === 0) return 0;
  let s = 0;
  for (let i = 0; i < f.values.length; i++) s += f.values[i]! * f.values[i]!;
  return rho * s;
}

/**
 * Chain rule through the product plus the penalty's gradient:
 *   ∂/∂Υ_j[k,a] = gXi[k,a] · Π_{i≠j} Υ_i[k,a] + 2ρ Υ_j[k,a]
 * (products of the other factors computed directly, so a zero factor is handled exactly).
 */
export function factorGradients(
  f: HadamardFactors,
  gXi: ArrayLike<number>,
  rho: number,
  out: Float64Array = new Float64Array(f.values.length),
): Float64Array {
  const n = f.K * f.A;
  const { J } = f;
  const v = f.values;
  for (let i = 0; i < n; i++) {
    const g = gXi[i]!;
    for (let j = 0; j < J; j++) {
      let p = g;
      for (let l = 0; l < J; l++) if (l !== j) p *= v[l * n + i]!;
      out[j * n + i] = p + 2 * rho * v[j * n + i]!;
    }
  }
  return out;
}

/**
 * Factors whose product is `xi` with balanced magnitudes: Υ_1 = sign(ξ)|ξ|^{1/J}, Υ_{j>1} = |ξ|^{1/J}
 * (the minimizer of Σ_j ‖Υ_j‖² among factorizations of ξ). The product reproduces ξ to a few ulp.
 */
export function balancedFactors(xi: ArrayLike<number>, K: number, A: number, J: number): HadamardFactors {
  const n = K * A;
  if (xi.length !== n) throw new ShapeError(`balancedFactors: xi has ${xi.length} numbers, expected K·A = ${n}.`);
  const values = new Float64Array(J * n);
  for (let i = 0; i < n; i++) {
    const x = xi[i]!;
    const r = Math.pow(Math.abs(x), 1 / J);
    values[i] = x < 0 ? -r : r;
    for (let j = 1; j < J; j++) values[j * n + i] = r;
  }
  return { J, K, A, values };
}
