/**
 * Smooth test losses on SPD matrices with analytic Euclidean gradients, and tangent-vector
 * generators, for the SPD-geometry specs (not a spec itself).
 */
import { Rng } from '../../../sdk/util/rng.js';
import { cholesky, invertSpd, logDetSpd } from '../../../models/linalg/cholesky.js';
import { congruence, matmul } from '../../../models/linalg/dense.js';
import type { SpdMetric } from '../../../sdk/optim/spd.js';
import { randomSpd, randomSym } from '../../models/linalg/fixtures.js';

export interface TestLoss {
  value(c: Float64Array): number;
  /** Euclidean gradient ∂L/∂C (symmetric). */
  grad(c: Float64Array): Float64Array;
}

/** L(C) = tr(A C) − log det C + ½‖C − B‖²_F, A SPD, B symmetric. Gradient A − C⁻¹ + C − B. */
export function barrierQuadratic(rng: Rng, d: number, condB = 100): TestLoss {
  const a = randomSpd(rng, d, 10, 0.5).a;
  const b = randomSpd(rng, d, condB).a;
  return {
    value(c) {
      let s = -logDetSpd(c, d, 'C');
      for (let i = 0; i < d * d; i++) s += a[i]! * c[i]! + 0.5 * (c[i]! - b[i]!) ** 2;
      return s;
    },
    grad(c) {
      const inv = invertSpd(c, d, 'C');
      const g = new Float64Array(d * d);
      for (let i = 0; i < d * d; i++) g[i] = a[i]! - inv[i]! + c[i]! - b[i]!;
      return g;
    },
  };
}

/**
 * L(C) = tr(A C) + tr(B C⁻¹) − log det C with A, B SPD: geodesically convex under the AI metric and
 * → +∞ both as C approaches the boundary of the cone and as C → ∞, so descent cannot run off to a
 * singular matrix. Gradient A − C⁻¹ − C⁻¹ B C⁻¹.
 */
export function coercive(rng: Rng, d: number): TestLoss {
  const a = randomSpd(rng, d, 10, 0.5).a;
  const b = randomSpd(rng, d, 10, 0.5).a;
  return {
    value(c) {
      const inv = invertSpd(c, d, 'C');
      let s = -logDetSpd(c, d, 'C');
      for (let i = 0; i < d * d; i++) s += a[i]! * c[i]! + b[i]! * inv[i]!;
      return s;
    },
    grad(c) {
      const inv = invertSpd(c, d, 'C');
      const ibi = congruence(inv, b, d);
      const g = new Float64Array(d * d);
      for (let i = 0; i < d * d; i++) g[i] = a[i]! - inv[i]! - ibi[i]!;
      return g;
    },
  };
}

/** Sum of losses (e.g. a kernel loss plus a coercive regulariser weighted by `w`). */
export function sumLoss(l1: TestLoss, l2: TestLoss, w = 1): TestLoss {
  return {
    value: (c) => l1.value(c) + w * l2.value(c),
    grad: (c) => {
      const g1 = l1.grad(c);
      const g2 = l2.grad(c);
      return g1.map((x, i) => x + w * g2[i]!);
    },
  };
}

/**
 * Gaussian-kernel loss f(C) = Σ_n w_n exp(−½ x_nᵀ C⁻¹ x_n) with points x_n ~ N(0, S) and signed
 * weights. Gradient Σ_n w_n e_n · ½ C⁻¹ x_n x_nᵀ C⁻¹.
 */
export function gaussianKernel(rng: Rng, d: number, n: number, s: Float64Array): TestLoss {
  const ls = cholesky(s, d);
  const xs: Float64Array[] = [];
  const ws: number[] = [];
  for (let k = 0; k < n; k++) {
    const z = Array.from({ length: d }, () => rng.normal());
    const x = new Float64Array(d);
    for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) x[i] = x[i]! + ls[i * d + j]! * z[j]!;
    xs.push(x);
    ws.push(rng.normal());
  }
  const quad = (inv: Float64Array, x: Float64Array): number => {
    let q = 0;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q += x[i]! * inv[i * d + j]! * x[j]!;
    return q;
  };
  return {
    value(c) {
      const inv = invertSpd(c, d, 'C');
      let f = 0;
      for (let k = 0; k < n; k++) f += ws[k]! * Math.exp(-0.5 * quad(inv, xs[k]!));
      return f;
    },
    grad(c) {
      const inv = invertSpd(c, d, 'C');
      const g = new Float64Array(d * d);
      for (let k = 0; k < n; k++) {
        const x = xs[k]!;
        const coef = 0.5 * ws[k]! * Math.exp(-0.5 * quad(inv, x));
        const y = new Float64Array(d); // C⁻¹ x
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) y[i] = y[i]! + inv[i * d + j]! * x[j]!;
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) g[i * d + j] = g[i * d + j]! + coef * y[i]! * y[j]!;
      }
      return g;
    },
  };
}

/**
 * A random tangent vector at C with unit-order norm in the given metric:
 * AI: G Z Gᵀ with C = G Gᵀ (AI norm ‖Z‖_F); BW: Z C + C Z (so L_C[ξ] = Z, BW norm ‖Z C^{½}‖_F).
 * Z is random symmetric with ‖Z‖_F = r.
 */
export function tangentAt(rng: Rng, metric: SpdMetric, c: Float64Array, d: number, r = 1): { xi: Float64Array; z: Float64Array } {
  const z = randomSym(rng, d);
  let nrm = 0;
  for (const v of z) nrm += v * v;
  nrm = Math.sqrt(nrm);
  for (let i = 0; i < d * d; i++) z[i] = (r * z[i]!) / nrm;
  if (metric === 'ai') return { xi: congruence(cholesky(c, d), z, d), z };
  const zc = matmul(z, c, d);
  const xi = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) xi[i * d + j] = zc[i * d + j]! + zc[j * d + i]!;
  return { xi, z };
}
