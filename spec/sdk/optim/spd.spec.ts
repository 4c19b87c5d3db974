import { expect } from 'chai';
import { SpdError, ShapeError, UnknownNameError, ValueError } from '../../../contract/errors.js';
import { Rng } from '../../../sdk/util/rng.js';
import { expectClose, expectThrows } from '../../helpers.js';
import { asymmetry, choleskyOrNull, logDetSpd } from '../../../models/linalg/cholesky.js';
import { congruence, identity, matmul, traceOfProduct } from '../../../models/linalg/dense.js';
import { eigSym } from '../../../models/linalg/eig.js';
import {
  SPD_METRICS,
  inner,
  innerAll,
  lyapunov,
  norm2,
  norm2All,
  retract,
  retractAll,
  riemannianGradient,
  riemannianGradientAll,
  transport,
  transportAll,
  tryRetract,
  type SpdMetric,
} from '../../../sdk/optim/spd.js';
import {
  conjugateDiag,
  logUniform,
  maxAbsOf,
  maxDiff,
  randomMatrix,
  randomOrthogonal,
  randomSpd,
  randomSym,
} from '../../models/linalg/fixtures.js';
import { barrierQuadratic, coercive, gaussianKernel, tangentAt, type TestLoss } from './fixtures.js';

function scaled(a: Float64Array, s: number): Float64Array {
  return a.map((x) => s * x);
}

function expectSpdExact(c: Float64Array, d: number, what: string): void {
  for (const x of c) expect(Number.isFinite(x), `${what}: finite`).to.equal(true);
  expect(asymmetry(c, d), `${what}: exactly symmetric`).to.equal(0);
  expect(choleskyOrNull(c, d), `${what}: Cholesky succeeds`).to.not.equal(null);
}

function condOf(c: Float64Array, d: number): number {
  const { values } = eigSym(c, d);
  return values[d - 1]! / values[0]!;
}

describe('optim/spd: metrics and Riemannian gradients', () => {
  it('⟨rgrad, η⟩_C = tr(G η) for every tangent η (G need not be symmetric), both metrics', () => {
    const rng = new Rng(1);
    for (const metric of SPD_METRICS) {
      for (const d of [2, 4, 6]) {
        // Eigenvalues in [1, 1e4]. Rounding of rgrad itself (entries up to ~‖C‖²‖G‖ for AI) limits the
        // attainable accuracy: ⟨δ, η⟩_C ≤ ‖C⁻¹‖² ε ‖rgrad‖ ‖η‖ d², with ‖C⁻¹‖ = 1.
        const { a: c } = randomSpd(rng, d, 1e4);
        const g = randomMatrix(rng, d);
        const rg = riemannianGradient(metric, c, g, d);
        expect(asymmetry(rg, d)).to.equal(0);
        for (let trial = 0; trial < 5; trial++) {
          const eta = randomSym(rng, d);
          const atol = 10 * d * d * 2.2e-16 * maxAbsOf(rg) * maxAbsOf(eta);
          expectClose(inner(metric, c, rg, eta, d), traceOfProduct(g, eta, d), { rtol: 1e-12, atol }, `${metric} d=${d}`);
        }
      }
    }
  });

  it('inner products have the closed forms at diagonal C and are symmetric, positive definite', () => {
    const rng = new Rng(2);
    const d = 4;
    const cd = [0.5, 2, 3, 10];
    const c = new Float64Array(16);
    cd.forEach((x, i) => (c[i * 5] = x));
    const xi = randomSym(rng, d);
    const eta = randomSym(rng, d);
    let ai = 0;
    let bw = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        ai += (xi[i * d + j]! * eta[i * d + j]!) / (cd[i]! * cd[j]!);
        bw += (0.5 * xi[i * d + j]! * eta[i * d + j]!) / (cd[i]! + cd[j]!);
      }
    }
    expectClose(inner('ai', c, xi, eta, d), ai, { rtol: 1e-14 }, 'AI at diagonal C');
    expectClose(inner('bw', c, xi, eta, d), bw, { rtol: 1e-14 }, 'BW at diagonal C');
    for (const metric of SPD_METRICS) {
      const { a: c2 } = randomSpd(rng, d, 1e3);
      expectClose(inner(metric, c2, xi, eta, d), inner(metric, c2, eta, xi, d), { rtol: 1e-13 }, `${metric} symmetric`);
      expect(norm2(metric, c2, xi, d)).to.be.above(0);
    }
  });

  it('lyapunov solves C L + L C = ξ with symmetric L; BW inner = ½ tr(L η)', () => {
    const rng = new Rng(3);
    for (const d of [2, 4, 6]) {
      const { a: c } = randomSpd(rng, d, 1e5);
      const xi = randomSym(rng, d);
      const l = lyapunov(c, xi, d);
      expect(asymmetry(l, d)).to.equal(0);
      const lc = matmul(l, c, d);
      const cl = matmul(c, l, d);
      const res = lc.map((x, i) => x + cl[i]!);
      expectClose(res, xi, { atol: 1e-11 * maxAbsOf(xi) }, `Lyapunov residual d=${d}`);
      const eta = randomSym(rng, d);
      expectClose(inner('bw', c, xi, eta, d), 0.5 * traceOfProduct(l, eta, d), { rtol: 1e-10 }, `BW inner d=${d}`);
    }
  });
});

describe('optim/spd: exponential maps', () => {
  it('Exp_C(0) = C exactly, both metrics', () => {
    const rng = new Rng(4);
    for (const metric of SPD_METRICS) {
      for (const d of [2, 4, 6]) {
        const { a: c } = randomSpd(rng, d, 1e6);
        expect(Array.from(retract(metric, c, new Float64Array(d * d), d))).to.deep.equal(Array.from(c));
      }
    }
  });

  it('d/dt Exp_C(tξ) at t = 0 equals ξ (central differences), both metrics', () => {
    const rng = new Rng(5);
    for (const metric of SPD_METRICS) {
      for (const d of [2, 4, 6]) {
        const { a: c } = randomSpd(rng, d, 1e3);
        const { xi } = tangentAt(rng, metric, c, d);
        const h = 1e-6;
        const p = retract(metric, c, scaled(xi, h), d);
        const m = retract(metric, c, scaled(xi, -h), d);
        const fd = p.map((x, i) => (x - m[i]!) / (2 * h));
        expectClose(fd, xi, { atol: 1e-7 * maxAbsOf(xi) }, `${metric} d=${d}`);
      }
    }
  });

  it('AI: Exp of a diagonal direction at a diagonal C is diag(c_i·exp(ξ_i/c_i)) (closed form)', () => {
    const c = [1e-4, 0.3, 1, 7, 1e4];
    const x = [3e-4, -2, 0.5, 70, -3e4];
    const d = c.length;
    const cm = new Float64Array(d * d);
    const xm = new Float64Array(d * d);
    const e = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      cm[i * d + i] = c[i]!;
      xm[i * d + i] = x[i]!;
      e[i * d + i] = c[i]! * Math.exp(x[i]! / c[i]!);
    }
    expectClose(retract('ai', cm, xm, d), e, { rtol: 1e-14 }, 'AI diagonal (large step)');
    const small = scaled(xm, 1e-3);
    const e2 = new Float64Array(d * d);
    for (let i = 0; i < d; i++) e2[i * d + i] = c[i]! * Math.exp((1e-3 * x[i]!) / c[i]!);
    expectClose(retract('ai', cm, small, d), e2, { rtol: 1e-14 }, 'AI diagonal (small step)');
  });

  it('BW: Exp_C(ξ) = C + ξ + L C L, and c_i (1 + ξ_i / 2c_i)² at diagonal C', () => {
    const rng = new Rng(6);
    for (const d of [2, 4, 6]) {
      const { a: c } = randomSpd(rng, d, 1e3);
      for (const r of [0.05, 0.8]) {
        // r = 0.8 exercises the Gram form (I + L) C (I + L).
        const { xi } = tangentAt(rng, 'bw', c, d, r);
        const l = lyapunov(c, xi, d);
        const lcl = congruence(l, c, d);
        const expected = c.map((x, i) => x + xi[i]! + lcl[i]!);
        expectClose(retract('bw', c, xi, d), expected, { atol: 1e-12 * maxAbsOf(expected) }, `BW d=${d} r=${r}`);
      }
    }
    const cd = [0.5, 2, 9];
    const x = [0.3, -1, 20];
    const cm = new Float64Array(9);
    const xm = new Float64Array(9);
    const e = new Float64Array(9);
    cd.forEach((v, i) => {
      cm[i * 4] = v;
      xm[i * 4] = x[i]!;
      e[i * 4] = v * (1 + x[i]! / (2 * v)) ** 2;
    });
    expectClose(retract('bw', cm, xm, 3), e, { rtol: 1e-14 }, 'BW diagonal');
  });

  it('AI invariance: Exp_{ACAᵀ}(AξAᵀ) = A Exp_C(ξ) Aᵀ', () => {
    const rng = new Rng(7);
    for (const d of [2, 4, 6]) {
      for (let trial = 0; trial < 5; trial++) {
        const { a: c } = randomSpd(rng, d, 1e3);
        const { xi } = tangentAt(rng, 'ai', c, d, 2);
        // A = Q₁ diag(s) Q₂ with s ∈ [0.5, 2]: invertible, condition ≤ 4, so the tolerance stays meaningful.
        const sv = Array.from({ length: d }, () => 0.5 * 4 ** rng.uniform());
        const a = matmul(conjugateDiag(randomOrthogonal(rng, d), sv, d), randomOrthogonal(rng, d), d);
        const lhs = retract('ai', congruence(a, c, d), congruence(a, xi, d), d);
        const rhs = congruence(a, retract('ai', c, xi, d), d);
        expect(maxDiff(lhs, rhs) / maxAbsOf(rhs), `d=${d}`).to.be.below(1e-11);
      }
    }
  });

  it('AI transport preserves ⟨·,·⟩, is the identity from C to C, and carries a geodesic velocity along', () => {
    const rng = new Rng(8);
    for (const d of [2, 4, 6]) {
      for (let trial = 0; trial < 5; trial++) {
        const { a: c } = randomSpd(rng, d, 1e4);
        const { a: c2 } = randomSpd(rng, d, 1e4, 0.1);
        const xi = randomSym(rng, d);
        const eta = randomSym(rng, d);
        const txi = transport('ai', c, c2, xi, d);
        const teta = transport('ai', c, c2, eta, d);
        expect(asymmetry(txi, d)).to.equal(0);
        expectClose(inner('ai', c2, txi, teta, d), inner('ai', c, xi, eta, d), { rtol: 1e-8 }, `isometry d=${d}`);
        expectClose(transport('ai', c, c, xi, d), xi, { atol: 1e-10 * maxAbsOf(xi) }, `identity d=${d}`);
        // Along the geodesic γ(s) = Exp_C(sξ): Γ_{C→γ(1)} ξ = γ'(1), so Exp_{γ(1)}(Γξ) = γ(2).
        const { xi: v } = tangentAt(rng, 'ai', c, d, 0.7);
        const c1 = retract('ai', c, v, d);
        const next = retract('ai', c1, transport('ai', c, c1, v, d), d);
        const twice = retract('ai', c, scaled(v, 2), d);
        expect(maxDiff(next, twice) / maxAbsOf(twice), `geodesic d=${d}`).to.be.below(1e-8);
      }
    }
  });

  it('BW transport is the identity followed by exact symmetrisation (documented choice)', () => {
    const rng = new Rng(9);
    const { a: c } = randomSpd(rng, 3, 10);
    const { a: c2 } = randomSpd(rng, 3, 10);
    const xi = randomMatrix(rng, 3);
    const t = transport('bw', c, c2, xi, 3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(t[i * 3 + j]).to.equal(0.5 * (xi[i * 3 + j]! + xi[j * 3 + i]!));
  });

  it('rejects a non-SPD base point, an unknown metric and bad shapes', () => {
    const bad = [1, 2, 2, 1];
    for (const metric of SPD_METRICS) {
      expectThrows(() => retract(metric, bad, [0, 0, 0, 0], 2), SpdError, /covariance/, /not symmetric positive definite/);
      expectThrows(() => inner(metric, bad, [1, 0, 0, 1], [1, 0, 0, 1], 2), SpdError, /not symmetric positive definite/);
    }
    expectThrows(() => transport('ai', identity(2), bad, identity(2), 2), SpdError, /transport \(new covariance\)/);
    expectThrows(() => transport('ai', bad, identity(2), identity(2), 2), SpdError, /transport \(old covariance\)/);
    expectThrows(() => retract('le' as SpdMetric, identity(2), identity(2), 2), UnknownNameError, /"le"/, /'ai'/, /'bw'/);
    expectThrows(() => retract('ai', identity(2), [0, 0, 0], 2), ShapeError, /xi/, /2×2/);
    expectThrows(() => tryRetract('ai', identity(2), [0, NaN, NaN, 0], 2), ValueError, /xi\[0\]\[1\] is NaN/);
  });
});

describe('optim/spd: retractions keep covariances SPD (acceptance 1)', () => {
  /**
   * Chained retractions C ← Exp_C(−t·ξ) with t log-uniform in [1e-8, 1e3] and random tangent
   * directions. Only t·‖ξ‖ matters (Exp_C(−t·ξ) = Exp_C(−(t/s)·sξ)), so the direction's AI norm r is
   * drawn log-uniform in [1e-6, 1] and capped at 3/t: the geodesic length t·r then spans 1e-14 … 3,
   * i.e. single steps that multiply the condition number by up to e⁶. A chain restarts from a fresh
   * random SPD matrix (condition log-uniform in [1, 1e6]) when its condition exceeds 1e8.
   */
  it('AI: thousands of chained random retractions stay SPD and exactly symmetric (D = 2, 4, 6)', () => {
    const rng = new Rng(10);
    let steps = 0;
    let restarts = 0;
    let worstCond = 0;
    for (const d of [2, 4, 6]) {
      for (let chain = 0; chain < 4; chain++) {
        let c = randomSpd(rng, d, logUniform(rng, 1, 1e6), logUniform(rng, 1e-3, 1e3)).a;
        for (let step = 0; step < 400; step++) {
          const t = logUniform(rng, 1e-8, 1e3);
          const r = Math.min(logUniform(rng, 1e-6, 1), 3 / t);
          const { xi, z } = tangentAt(rng, 'ai', c, d, r);
          const out = new Float64Array(d * d);
          const res = retractAll('ai', c, xi, t, 1, d, out);
          expect(res.ok, `AI step ${step} (t=${t}) failed`).to.equal(true);
          expectSpdExact(out, d, `AI d=${d} chain ${chain} step ${step} t=${t}`);
          // det Exp_C(−tξ) = det C · exp(−t tr(Z)): a check that the step really happened.
          let trz = 0;
          for (let i = 0; i < d; i++) trz += z[i * d + i]!;
          const cond = condOf(out, d);
          worstCond = Math.max(worstCond, cond);
          expectClose(logDetSpd(out, d) - logDetSpd(c, d), -t * trz, { atol: 1e-12 * Math.max(cond, condOf(c, d)) * d }, 'log det change');
          c = out;
          steps++;
          if (cond > 1e8) {
            c = randomSpd(rng, d, logUniform(rng, 1, 1e6), logUniform(rng, 1e-3, 1e3)).a;
            restarts++;
          }
        }
      }
    }
    expect(steps).to.equal(4800);
    expect(worstCond).to.be.above(1e8); // the chains did reach ill-conditioned matrices
    expect(restarts).to.be.below(steps / 5);
  });

  it('AI: a step whose result is not representable in float64 is reported, never returned as garbage', () => {
    const rng = new Rng(11);
    const { a: c } = randomSpd(rng, 3, 10);
    const { xi } = tangentAt(rng, 'ai', c, 3, 1);
    expect(tryRetract('ai', c, scaled(xi, 1e3), 3)).to.equal(null);
    // Exp_I(Q diag(30, −30) Qᵀ) = Q diag(e³⁰, e⁻³⁰) Qᵀ with Q a rotation by 0.6 rad: condition 1e26 in a
    // rotated basis is singular to working precision (Cholesky success would be luck): reported.
    const q = new Float64Array([Math.cos(0.6), -Math.sin(0.6), Math.sin(0.6), Math.cos(0.6)]);
    expect(tryRetract('ai', identity(2), conjugateDiag(q, [30, -30], 2), 2)).to.equal(null);
    // The same spectrum in the coordinate basis is a well-determined graded matrix and is returned.
    expectClose(retract('ai', identity(2), [30, 0, 0, -30], 2), [Math.exp(30), 0, 0, Math.exp(-30)], { rtol: 1e-14 }, 'graded');
    expectThrows(() => retract('ai', c, scaled(xi, 1e3), 3), SpdError, /leaves the SPD cone/, /shrink the step/);
    const out = new Float64Array(9);
    const res = retractAll('ai', c, xi, 1e3, 1, 3, out);
    expect(res).to.deep.equal({ ok: false, failed: [0] });
    expect(Array.from(out)).to.deep.equal(Array.from(c));
  });

  it('BW: every successful retraction is SPD; small steps always succeed; failures are outside the domain', () => {
    const rng = new Rng(12);
    let successes = 0;
    let failures = 0;
    for (const d of [2, 4, 6]) {
      for (let chain = 0; chain < 4; chain++) {
        let c = randomSpd(rng, d, logUniform(rng, 1, 1e6), logUniform(rng, 1e-3, 1e3)).a;
        for (let step = 0; step < 400; step++) {
          const t = logUniform(rng, 1e-8, 1e3);
          const r = logUniform(rng, 1e-6, 1) * Math.min(1, 3 / t);
          const { xi, z } = tangentAt(rng, 'bw', c, d, r); // L_C[ξ] = Z
          // Domain: I − t·Z ≻ 0.
          const zEig = eigSym(z, d);
          const margin = 1 - t * zEig.values[d - 1]!;
          const out = new Float64Array(d * d);
          const res = retractAll('bw', c, xi, t, 1, d, out);
          if (res.ok) {
            successes++;
            expectSpdExact(out, d, `BW d=${d} step ${step}`);
            expect(margin, 'success only inside the domain').to.be.above(-1e-9);
            c = out;
          } else {
            failures++;
            expect(Array.from(out), 'failed block keeps C').to.deep.equal(Array.from(c));
            expect(margin, `BW failure inside the domain (t=${t}, r=${r})`).to.be.below(1e-6);
          }
          if (t * r <= 0.5) expect(res.ok, `small BW step t·r = ${t * r} must succeed`).to.equal(true);
          if (condOf(c, d) > 1e8) c = randomSpd(rng, d, logUniform(rng, 1, 1e6), logUniform(rng, 1e-3, 1e3)).a;
        }
      }
    }
    expect(successes).to.be.above(3000);
    expect(failures).to.be.above(20);
  });
});

describe('optim/spd: Riemannian gradients match finite differences along the retraction (acceptance 2)', () => {
  /**
   * Two finite-difference estimates of d/dt L(R_C(tη)) at t = 0 against ⟨rgrad, η⟩_C:
   * - the plain central difference (L(R(hη)) − L(R(−hη)))/2h, h = 1e-5, whose O(h²) truncation and
   *   O(ε|L|/h) rounding errors are bounded relative to the Cauchy–Schwarz scale ‖rgrad‖_C‖η‖_C;
   * - its Richardson extrapolation (4-point stencil, h = 3e-4, O(h⁴)), which must match to a relative
   *   1e-6 of the directional derivative itself.
   */
  function fdCheck(metric: SpdMetric, loss: TestLoss, c: Float64Array, d: number, rng: Rng, what: string): void {
    const g = loss.grad(c);
    const rg = riemannianGradient(metric, c, g, d);
    const gNorm = Math.sqrt(norm2(metric, c, rg, d));
    const along = (eta: Float64Array, t: number): number => loss.value(retract(metric, c, scaled(eta, t), d));
    for (let trial = 0; trial < 4; trial++) {
      const { xi: eta } = tangentAt(rng, metric, c, d, 1);
      const scale = gNorm * Math.sqrt(norm2(metric, c, eta, d));
      const exact = inner(metric, c, rg, eta, d);
      const h = 1e-5;
      const central = (along(eta, h) - along(eta, -h)) / (2 * h);
      expectClose(central, exact, { atol: 1e-6 * scale }, `${what} central difference, direction ${trial}`);
      const k = 3e-4;
      const richardson = (8 * (along(eta, k) - along(eta, -k)) - (along(eta, 2 * k) - along(eta, -2 * k))) / (12 * k);
      expectClose(richardson, exact, { rtol: 1e-6, atol: 1e-9 * scale }, `${what} Richardson, direction ${trial}`);
    }
  }

  it('L(C) = tr(AC) − log det C + ½‖C − B‖²_F, both metrics, D = 2, 4, 6', () => {
    const rng = new Rng(13);
    for (const metric of SPD_METRICS) {
      for (const d of [2, 4, 6]) {
        for (let trial = 0; trial < 3; trial++) {
          const loss = barrierQuadratic(rng, d);
          const { a: c } = randomSpd(rng, d, logUniform(rng, 1, 1e3), logUniform(rng, 0.1, 10));
          fdCheck(metric, loss, c, d, rng, `${metric} barrier d=${d}`);
        }
      }
    }
  });

  it('L(C) = tr(AC) + tr(BC⁻¹) − log det C, both metrics, D = 2, 4, 6', () => {
    const rng = new Rng(15);
    for (const metric of SPD_METRICS) {
      for (const d of [2, 4, 6]) {
        for (let trial = 0; trial < 3; trial++) {
          const { a: c } = randomSpd(rng, d, logUniform(rng, 1, 1e3), logUniform(rng, 0.1, 10));
          fdCheck(metric, coercive(rng, d), c, d, rng, `${metric} coercive d=${d}`);
        }
      }
    }
  });

  it('Gaussian-kernel loss Σ w_n exp(−½ xᵀC⁻¹x), both metrics, D = 2, 4, 6', () => {
    const rng = new Rng(14);
    for (const metric of SPD_METRICS) {
      for (const d of [2, 4, 6]) {
        for (let trial = 0; trial < 3; trial++) {
          const { a: c } = randomSpd(rng, d, logUniform(rng, 1, 1e3), logUniform(rng, 0.1, 10));
          const loss = gaussianKernel(rng, d, 20, c);
          fdCheck(metric, loss, c, d, rng, `${metric} kernel d=${d}`);
        }
      }
    }
  });
});

describe('optim/spd: batched forms over [K, D, D] stacks', () => {
  const K = 5;
  const D = 3;
  const n = D * D;
  function stack(rng: Rng): { covs: Float64Array; xis: Float64Array; etas: Float64Array } {
    const covs = new Float64Array(K * n);
    const xis = new Float64Array(K * n);
    const etas = new Float64Array(K * n);
    for (let k = 0; k < K; k++) {
      covs.set(randomSpd(rng, D, 100).a, k * n);
      xis.set(randomSym(rng, D, 0.1), k * n);
      etas.set(randomSym(rng, D), k * n);
    }
    return { covs, xis, etas };
  }

  it('match the single-matrix functions block by block, also in place', () => {
    const rng = new Rng(18);
    for (const metric of SPD_METRICS) {
      const { covs, xis, etas } = stack(rng);
      const covs2 = new Float64Array(K * n);
      for (let k = 0; k < K; k++) covs2.set(randomSpd(rng, D, 100).a, k * n);
      const rg = riemannianGradientAll(metric, covs, etas, K, D, new Float64Array(K * n));
      const ret = new Float64Array(K * n);
      expect(retractAll(metric, covs, xis, 0.3, K, D, ret)).to.deep.equal({ ok: true, failed: [] });
      const tr = transportAll(metric, covs, covs2, xis, K, D, new Float64Array(K * n));
      let ip = 0;
      let nn = 0;
      for (let k = 0; k < K; k++) {
        const blk = (a: Float64Array): Float64Array => a.subarray(k * n, (k + 1) * n);
        expect(Array.from(blk(rg))).to.deep.equal(Array.from(riemannianGradient(metric, blk(covs), blk(etas), D)));
        expect(Array.from(blk(ret))).to.deep.equal(Array.from(retract(metric, blk(covs), scaled(blk(xis), -0.3), D)));
        expect(Array.from(blk(tr))).to.deep.equal(Array.from(transport(metric, blk(covs), blk(covs2), blk(xis), D)));
        ip += inner(metric, blk(covs), blk(xis), blk(etas), D);
        nn += norm2(metric, blk(covs), blk(xis), D);
      }
      expectClose(innerAll(metric, covs, xis, etas, K, D), ip, { rtol: 1e-15 }, 'innerAll');
      expectClose(norm2All(metric, covs, xis, K, D), nn, { rtol: 1e-15 }, 'norm2All');
      const inPlace = covs.slice();
      retractAll(metric, inPlace, xis, 0.3, K, D, inPlace);
      expect(Array.from(inPlace)).to.deep.equal(Array.from(ret));
    }
  });

  it('BW retractAll reports the infeasible components and leaves their blocks at C_k', () => {
    const rng = new Rng(16);
    const { covs } = stack(rng);
    const dirs = new Float64Array(K * n);
    for (let k = 0; k < K; k++) dirs.set(scaled(covs.subarray(k * n, (k + 1) * n), k === 1 || k === 3 ? 3 : 0.1), k * n);
    // Exp_C(−t·s·C): L = −t·s/2·I, feasible iff t·s < 2.
    const out = new Float64Array(K * n);
    const res = retractAll('bw', covs, dirs, 1, K, D, out);
    expect(res).to.deep.equal({ ok: false, failed: [1, 3] });
    for (const k of [1, 3])
      expect(Array.from(out.subarray(k * n, (k + 1) * n))).to.deep.equal(Array.from(covs.subarray(k * n, (k + 1) * n)));
    for (const k of [0, 2, 4])
      expectClose(out.subarray(k * n, (k + 1) * n), scaled(covs.subarray(k * n, (k + 1) * n), 0.95 ** 2), { rtol: 1e-14 }, `block ${k}`);
    expectThrows(
      () => retract('bw', covs.subarray(n, 2 * n), scaled(covs.subarray(n, 2 * n), -3), D),
      SpdError,
      /BW exponential domain/,
      /shrink the step/,
    );
  });

  it('validate shapes, step size and components', () => {
    const rng = new Rng(17);
    const { covs, xis } = stack(rng);
    const out = new Float64Array(K * n);
    expectThrows(() => retractAll('ai', covs, xis.subarray(1), 0.1, K, D, out), ShapeError, /directions/, /\[5, 3, 3\]/, /44 values/);
    expectThrows(() => retractAll('ai', covs, xis, NaN, K, D, out), ValueError, /stepSize/, /NaN/);
    expectThrows(() => retractAll('xx' as SpdMetric, covs, xis, 0.1, K, D, out), UnknownNameError, /"xx"/);
    const bad = covs.slice();
    bad.set([1, 2, 0, 2, 1, 0, 0, 0, 1], 2 * n);
    for (const metric of SPD_METRICS) {
      expectThrows(() => retractAll(metric, bad, xis, 0.1, K, D, out), SpdError, /covariances\[2\]/);
      expectThrows(() => norm2All(metric, bad, xis, K, D), SpdError, /covariances\[2\]/);
    }
    const badDir = xis.slice();
    badDir[4 * n] = Infinity;
    expectThrows(() => riemannianGradientAll('ai', covs, badDir, K, D, out), ValueError, /gradients\[4\]\[0\]\[0\] is Infinity/);
  });
});
