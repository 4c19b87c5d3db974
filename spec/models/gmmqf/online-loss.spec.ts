import { expect } from 'chai';
import { Rng } from '../../../sdk/util/rng.js';
import { OnlineBellmanKernel } from '../../../models/gmmqf/online-loss.js';
import { precisionFactors, qValues } from '../../../models/gmmqf/reference.js';
import { factorGradients, factorPenalty, hadamardProduct, balancedFactors, type HadamardFactors } from '../../../models/gmmqf/hadamard.js';
import { expectClose } from '../../helpers.js';
import { randomParams } from './fixtures.js';

/** Plain float64 loss 1/T Σ (y − Q(z_t, a_t))² straight from the definition (no shared code with the kernel). */
function directLoss(
  means: Float64Array,
  covs: Float64Array,
  weights: Float64Array,
  K: number,
  D: number,
  A: number,
  z: Float64Array,
  act: Int32Array,
  y: Float64Array,
): number {
  const p = { K, D, A, means, covariances: covs, weights, obsOffset: new Float64Array(D), obsScale: new Float64Array(D).fill(1) };
  const q = qValues(p, z, act.length);
  let s = 0;
  for (let t = 0; t < act.length; t++) s += (y[t]! - q[t * A + act[t]!]!) ** 2;
  return s / act.length;
}

describe('models/gmmqf/online-loss: OnlineBellmanKernel', () => {
  const K = 5;
  const D = 3;
  const A = 2;
  const T = 16;
  const rng = new Rng(11);
  const p = randomParams(rng, K, D, A);
  const z = Float64Array.from({ length: T * D }, () => 0.8 * rng.normal());
  const act = Int32Array.from({ length: T }, () => rng.integer(A));
  const y = Float64Array.from({ length: T }, () => 5 * rng.normal());
  const kernel = new OnlineBellmanKernel(K, D, A, T);
  const kp = () => ({ means: p.means, weights: p.weights, precisionFactors: precisionFactors(p.covariances, K, D) });

  it('q values equal the float64 reference evaluation', () => {
    const ref = qValues({ ...p, obsOffset: new Float64Array(D), obsScale: new Float64Array(D).fill(1) }, z, T);
    expectClose(kernel.qValues(kp(), z, T), ref, { rtol: 1e-13, atol: 1e-13 }, 'q');
    const mx = kernel.maxQ(kp(), z, T);
    for (let t = 0; t < T; t++) expect(mx[t]).to.equal(Math.max(ref[t * A]!, ref[t * A + 1]!));
  });

  it('loss equals the direct definition, and every gradient matches central finite differences (float64)', () => {
    const loss = kernel.lossAndGradients(kp(), z, act, y);
    expectClose(loss, directLoss(p.means, p.covariances, p.weights, K, D, A, z, act, y), { rtol: 1e-13 }, 'loss');
    const g = kernel.grads;
    const h = 1e-6;
    const fd = (mutate: (s: number) => void): number => {
      mutate(h);
      const lp = directLoss(p.means, p.covariances, p.weights, K, D, A, z, act, y);
      mutate(-2 * h);
      const lm = directLoss(p.means, p.covariances, p.weights, K, D, A, z, act, y);
      mutate(h);
      return (lp - lm) / (2 * h);
    };
    for (let i = 0; i < K * D; i++) {
      expectClose(
        g.means[i]!,
        fd((s) => (p.means[i]! += s)),
        { rtol: 1e-6, atol: 1e-7 },
        `∂L/∂m[${i}]`,
      );
    }
    for (let i = 0; i < K * A; i++) {
      expectClose(
        g.weights[i]!,
        fd((s) => (p.weights[i]! += s)),
        { rtol: 1e-6, atol: 1e-7 },
        `∂L/∂ξ[${i}]`,
      );
    }
    // symmetric perturbation E_ij + E_ji: directional derivative = 2 G_ij (i ≠ j), G_ii (i = j)
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < D; i++) {
        for (let j = 0; j <= i; j++) {
          const b = k * D * D;
          const dir = fd((s) => {
            p.covariances[b + i * D + j]! += s;
            if (i !== j) p.covariances[b + j * D + i]! += s;
          });
          const an = i === j ? g.covariances[b + i * D + i]! : 2 * g.covariances[b + i * D + j]!;
          expectClose(an, dir, { rtol: 1e-5, atol: 1e-7 }, `∂L/∂C[${k}][${i}][${j}]`);
          expect(g.covariances[b + i * D + j]).to.equal(g.covariances[b + j * D + i]);
        }
      }
    }
  });

  it('rejects a batch of the wrong size, naming the shapes', () => {
    expect(() => kernel.lossAndGradients(kp(), z.subarray(0, 3), act, y)).to.throw(/expected z \[16, 3\]/);
  });
});

describe('models/gmmqf/hadamard', () => {
  const rng = new Rng(5);
  const K = 4;
  const A = 3;
  const mk = (J: number): HadamardFactors => ({ J, K, A, values: Float64Array.from({ length: J * K * A }, () => rng.normal()) });

  it('the product is the elementwise product of the factors; J = 1 is the factor itself', () => {
    const f = mk(3);
    const xi = hadamardProduct(f);
    const n = K * A;
    for (let i = 0; i < n; i++) expect(xi[i]).to.equal(f.values[i]! * f.values[n + i]! * f.values[2 * n + i]!);
    const f1 = mk(1);
    expect(Array.from(hadamardProduct(f1))).to.deep.equal(Array.from(f1.values));
  });

  it('factor gradients (chain rule + 2ρΥ) match finite differences of L(Ξ(Υ)) + ρΣ‖Υ‖²', () => {
    const f = mk(3);
    const rho = 0.3;
    const target = Float64Array.from({ length: K * A }, () => rng.normal());
    // L(Ξ) = Σ (Ξ − target)², ∂L/∂Ξ = 2(Ξ − target)
    const L = () => {
      const xi = hadamardProduct(f);
      let s = 0;
      for (let i = 0; i < xi.length; i++) s += (xi[i]! - target[i]!) ** 2;
      return s + factorPenalty(f, rho);
    };
    const xi = hadamardProduct(f);
    const gXi = xi.map((x, i) => 2 * (x - target[i]!));
    const g = factorGradients(f, gXi, rho);
    const h = 1e-6;
    for (let i = 0; i < f.values.length; i++) {
      f.values[i]! += h;
      const lp = L();
      f.values[i]! -= 2 * h;
      const lm = L();
      f.values[i]! += h;
      expectClose(g[i]!, (lp - lm) / (2 * h), { rtol: 1e-6, atol: 1e-8 }, `∂/∂Υ[${i}]`);
    }
  });

  it('balanced factors reproduce Ξ and attain the quasi-norm penalty Jρ Σ|ξ|^{2/J}', () => {
    for (const J of [1, 2, 3]) {
      const xi = Float64Array.from({ length: K * A }, () => rng.normal() * 4);
      xi[0] = 0;
      const f = balancedFactors(xi, K, A, J);
      expectClose(hadamardProduct(f), xi, { rtol: 1e-14, atol: 0 }, `J=${J} product`);
      let q = 0;
      for (const x of xi) q += Math.abs(x) ** (2 / J);
      expectClose(factorPenalty(f, 0.5), J * 0.5 * q, { rtol: 1e-13 }, `J=${J} penalty`);
      // any other factorization of the same Ξ costs at least as much (AM-GM): rescale factor 0 by 2, factor 1 by 1/2
      if (J >= 2) {
        const g: HadamardFactors = { ...f, values: f.values.slice() };
        for (let i = 0; i < K * A; i++) {
          g.values[i]! *= 2;
          g.values[K * A + i]! /= 2;
        }
        expectClose(hadamardProduct(g), xi, { rtol: 1e-14, atol: 0 }, 'rescaled product');
        expect(factorPenalty(g, 0.5)).to.be.greaterThan(factorPenalty(f, 0.5));
      }
    }
  });
});
