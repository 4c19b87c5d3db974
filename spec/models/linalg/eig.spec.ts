import { expect } from 'chai';
import { SpdError, ShapeError, ValueError } from '../../../contract/errors.js';
import { Rng } from '../../../sdk/util/rng.js';
import { expectClose, expectThrows } from '../../helpers.js';
import { logDetSpd } from '../../../models/linalg/cholesky.js';
import { identity, matmul, transpose } from '../../../models/linalg/dense.js';
import { eigSym, expm, expmSym, invSqrtm, logmSpd, powSpd, spdFunction, sqrtm, symFunction } from '../../../models/linalg/eig.js';
import { conjugateDiag, maxAbsOf, maxDiff, randomMatrix, randomOrthogonal, randomSpd, randomSym } from './fixtures.js';

const EPS = 2.220446049250313e-16;

/** Checks orthogonality, reconstruction and A·V = V·Λ for an eigendecomposition of a. */
function checkDecomposition(a: Float64Array, d: number, values: Float64Array, vectors: Float64Array, what: string): void {
  const norm = Math.max(maxAbsOf(values), Number.MIN_VALUE);
  const vtv = matmul(transpose(vectors, d), vectors, d);
  expect(maxDiff(vtv, identity(d)), `${what}: VᵀV = I`).to.be.below(20 * d * EPS);
  const rec = conjugateDiag(vectors, values, d);
  expect(maxDiff(rec, a) / norm, `${what}: VΛVᵀ = A`).to.be.below(20 * d * EPS);
  const av = matmul(a, vectors, d);
  let res = 0;
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) res = Math.max(res, Math.abs(av[i * d + k]! - vectors[i * d + k]! * values[k]!));
  expect(res / norm, `${what}: AV = VΛ`).to.be.below(20 * d * EPS);
  for (let k = 1; k < d; k++) expect(values[k]!, `${what}: ascending`).to.be.at.least(values[k - 1]!);
}

describe('linalg/eig: eigSym (cyclic Jacobi)', () => {
  it('matches the 2×2 closed form', () => {
    const rng = new Rng(1);
    for (let trial = 0; trial < 200; trial++) {
      const a = rng.normal() * 10;
      const b = rng.normal() * Math.pow(10, rng.integer(7) - 3);
      const c = rng.normal() * 10;
      const m = new Float64Array([a, b, b, c]);
      const mid = (a + c) / 2;
      const rad = Math.hypot((a - c) / 2, b);
      const { values, vectors } = eigSym(m, 2);
      const scale = Math.max(Math.abs(mid) + rad, 1e-300);
      expectClose(values, [mid - rad, mid + rad], { atol: 4 * EPS * scale }, `eig 2×2 #${trial}`);
      checkDecomposition(m, 2, values, vectors, `2×2 #${trial}`);
    }
  });

  it('returns a diagonal matrix unchanged, sorted, with permutation eigenvectors (exact)', () => {
    const a = new Float64Array([3, 0, 0, 0, 0, -1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2]);
    const { values, vectors } = eigSym(a, 4);
    expect(Array.from(values)).to.deep.equal([-1, 2, 2, 3]);
    // Column k is the unit vector of the diagonal entry it came from (stable order for ties).
    const expectedV = new Float64Array(16);
    [1, 2, 3, 0].forEach((src, k) => (expectedV[src * 4 + k] = 1));
    expect(Array.from(vectors)).to.deep.equal(Array.from(expectedV));
  });

  it('recovers known spectra of rotation-conjugated diagonals, including repeated and ill-conditioned ones', () => {
    const rng = new Rng(2);
    const spectra: Array<(d: number) => number[]> = [
      (d) => Array.from({ length: d }, () => rng.normal() * 5), // random, indefinite
      (d) => Array.from({ length: d }, (_, i) => (i < Math.ceil(d / 2) ? 1 : 2)), // two clusters, repeated
      (d) => Array.from({ length: d }, () => 7), // scalar matrix: every vector is an eigenvector
      (d) => Array.from({ length: d }, (_, i) => Math.pow(1e12, i / (d - 1))), // ratio 1e12, log-spaced
      (d) => Array.from({ length: d }, (_, i) => (i === 0 ? 1e-12 : i === 1 ? 1e-12 : 1)), // repeated tiny eigenvalue, ratio 1e12
      (d) => Array.from({ length: d }, (_, i) => (i === 0 ? 0 : i - d / 2)), // singular, indefinite
      (d) => Array.from({ length: d }, (_, i) => 1 + i * 1e-9), // nearly repeated
    ];
    for (let d = 2; d <= 8; d++) {
      for (let s = 0; s < spectra.length; s++) {
        for (let trial = 0; trial < 3; trial++) {
          const lambda = Float64Array.from(spectra[s]!(d)).sort();
          const q = randomOrthogonal(rng, d);
          const a = conjugateDiag(q, lambda, d);
          const { values, vectors } = eigSym(a, d);
          const norm = maxAbsOf(lambda);
          expectClose(values, lambda, { atol: 10 * d * EPS * norm }, `d=${d} spectrum ${s}`);
          checkDecomposition(a, d, values, vectors, `d=${d} spectrum ${s}`);
        }
      }
    }
  });

  it('resolves small eigenvalues of graded SPD matrices to relative accuracy (Σ log λ = log det)', () => {
    const rng = new Rng(3);
    for (let d = 2; d <= 8; d++) {
      const h = randomSpd(rng, d, 10).a; // well-conditioned core
      const g = Array.from({ length: d }, (_, i) => Math.pow(1e-6, i / (d - 1))); // scaling → eigenvalue ratio ≈ 1e12
      const a = new Float64Array(d * d);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) a[i * d + j] = g[i]! * h[i * d + j]! * g[j]!;
      const { values } = eigSym(a, d);
      expect(values[0]! / values[d - 1]!).to.be.below(1e-10);
      let sumLog = 0;
      for (const v of values) sumLog += Math.log(v);
      expectClose(sumLog, logDetSpd(a, d), { atol: 1e-12 * d }, `graded d=${d}`);
    }
  });

  it('works at the extremes of the float64 range (entries ~1e300 and ~1e-300)', () => {
    const rng = new Rng(13);
    for (const scale of [1e300, 1e-300]) {
      for (let d = 2; d <= 8; d++) {
        const lambda = Float64Array.from({ length: d }, () => scale * rng.normal()).sort();
        const q = randomOrthogonal(rng, d);
        const a = conjugateDiag(q, lambda, d);
        const { values, vectors } = eigSym(a, d);
        expectClose(values, lambda, { atol: 10 * d * EPS * maxAbsOf(lambda) }, `scale ${scale} d=${d}`);
        const vtv = matmul(transpose(vectors, d), vectors, d);
        expect(maxDiff(vtv, identity(d))).to.be.below(20 * d * EPS);
      }
    }
  });

  it('reads a block of a stack at an offset and only symmetrised input', () => {
    const rng = new Rng(4);
    const d = 3;
    const blocks = [randomSym(rng, d), randomSym(rng, d), randomSym(rng, d)];
    const stack = new Float64Array(3 * d * d);
    blocks.forEach((b, k) => stack.set(b, k * d * d));
    const ref = eigSym(blocks[1]!, d);
    const got = eigSym(stack, d, d * d);
    expect(Array.from(got.values)).to.deep.equal(Array.from(ref.values));
    // An asymmetric input is treated as (A + Aᵀ)/2.
    const b = blocks[2]!.slice();
    b[1] = b[1]! + 0.3;
    b[3] = b[3]! - 0.3;
    expectClose(eigSym(b, d).values, eigSym(blocks[2]!, d).values, { atol: 1e-14 * maxAbsOf(b) }, 'symmetrised');
  });

  it('rejects bad shapes and non-finite entries', () => {
    expectThrows(() => eigSym(new Float64Array(3), 2), ShapeError, /2×2 block/, /only 3 values/);
    expectThrows(() => eigSym(new Float64Array(4), 0), ShapeError, /positive integer/);
    expectThrows(() => eigSym(new Float64Array([1, NaN, NaN, 1]), 2), ValueError, /\[0\]\[1\] is NaN/);
  });
});

describe('linalg/eig: spectral functions', () => {
  it('sqrtm matches the 2×2 closed form √A = (A + √det·I)/√(tr + 2√det)', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 100; trial++) {
      const { a } = randomSpd(rng, 2, Math.pow(10, 6 * rng.uniform()), Math.pow(10, 4 * rng.uniform() - 2));
      const sdet = Math.sqrt(a[0]! * a[3]! - a[1]! * a[2]!);
      const t = Math.sqrt(a[0]! + a[3]! + 2 * sdet);
      const expected = [(a[0]! + sdet) / t, a[1]! / t, a[2]! / t, (a[3]! + sdet) / t];
      expectClose(sqrtm(a, 2), expected, { atol: 1e-13 * maxAbsOf(expected) }, `sqrtm 2×2 #${trial}`);
    }
  });

  it('is exact for diagonal matrices (sqrtm, invSqrtm, logmSpd, expmSym, powSpd)', () => {
    const diag = [1e-6, 0.25, 3, 1e6];
    const a = new Float64Array(16);
    diag.forEach((x, i) => (a[i * 4 + i] = x));
    const check = (got: Float64Array, f: (x: number) => number, what: string): void => {
      const e = new Float64Array(16);
      diag.forEach((x, i) => (e[i * 4 + i] = f(x)));
      expectClose(got, e, { rtol: 2 * EPS }, what);
    };
    check(sqrtm(a, 4), Math.sqrt, 'sqrtm');
    check(invSqrtm(a, 4), (x) => 1 / Math.sqrt(x), 'invSqrtm');
    check(logmSpd(a, 4), Math.log, 'logmSpd');
    check(powSpd(a, 4, -0.3), (x) => Math.pow(x, -0.3), 'powSpd');
    const s = new Float64Array(16);
    [-3, 0.5, 2, 10].forEach((x, i) => (s[i * 4 + i] = x));
    const e = new Float64Array(16);
    [-3, 0.5, 2, 10].forEach((x, i) => (e[i * 4 + i] = Math.exp(x)));
    expectClose(expmSym(s, 4), e, { rtol: 2 * EPS }, 'expmSym');
    expectClose(expm(s, 4), e, { rtol: 1e-14 }, 'expm (Padé)');
  });

  it('sqrtm(A)² = A, invSqrtm(A)·sqrtm(A) = I, results exactly symmetric, for condition up to 1e10', () => {
    const rng = new Rng(6);
    for (let d = 2; d <= 8; d++) {
      for (const cond of [1, 1e3, 1e6, 1e10]) {
        const { a } = randomSpd(rng, d, cond, Math.pow(10, 4 * rng.uniform() - 2));
        const s = sqrtm(a, d);
        const is = invSqrtm(a, d);
        for (const m of [s, is]) for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) expect(m[i * d + j]).to.equal(m[j * d + i]);
        expect(maxDiff(matmul(s, s, d), a) / maxAbsOf(a), `sqrtm² d=${d} cond=${cond}`).to.be.below(50 * d * EPS);
        expect(maxDiff(matmul(is, s, d), identity(d)), `invSqrtm·sqrtm d=${d} cond=${cond}`).to.be.below(50 * d * EPS * Math.sqrt(cond));
      }
    }
  });

  it('sqrtm / logm of rotation-conjugated diagonals equal the conjugated scalar functions', () => {
    const rng = new Rng(7);
    for (let d = 2; d <= 8; d++) {
      const { a, lambda, q } = randomSpd(rng, d, 1e4, 0.1);
      expectClose(sqrtm(a, d), conjugateDiag(q, lambda.map(Math.sqrt), d), { atol: 50 * d * EPS * Math.sqrt(1e3) }, `sqrtm d=${d}`);
      expectClose(logmSpd(a, d), conjugateDiag(q, lambda.map(Math.log), d), { atol: 1e-11 * d }, `logm d=${d}`);
    }
  });

  it('expm(logm(A)) = A via both expmSym and Padé expm, for condition up to 1e10', () => {
    const rng = new Rng(8);
    for (let d = 2; d <= 8; d++) {
      for (const cond of [1, 1e4, 1e10]) {
        const { a } = randomSpd(rng, d, cond, Math.pow(10, 2 * rng.uniform() - 1));
        const l = logmSpd(a, d);
        const norm = maxAbsOf(a);
        expect(maxDiff(expmSym(l, d), a) / norm, `expmSym∘logm d=${d} cond=${cond}`).to.be.below(1e-13 * d);
        expect(maxDiff(expm(l, d), a) / norm, `expm∘logm d=${d} cond=${cond}`).to.be.below(1e-12 * d);
      }
    }
  });

  it('logm(expmSym(X)) = X for symmetric X', () => {
    const rng = new Rng(9);
    for (let d = 2; d <= 8; d++) {
      const x = randomSym(rng, d, 2);
      // exp(X) has condition e^{spread}; its smallest eigenvalue carries absolute error ~ε‖exp(X)‖.
      const { values } = eigSym(x, d);
      const cond = Math.exp(values[d - 1]! - values[0]!);
      expectClose(logmSpd(expmSym(x, d), d), x, { atol: 10 * d * EPS * cond }, `logm∘expm d=${d}`);
    }
  });

  it('expmSym agrees with the Padé expm on symmetric matrices (norms from 1e-8 to 40)', () => {
    const rng = new Rng(10);
    for (let d = 2; d <= 8; d++) {
      for (const s of [1e-8, 0.1, 1, 5, 15]) {
        const x = randomSym(rng, d, s);
        const e1 = expmSym(x, d);
        const e2 = expm(x, d);
        expect(maxDiff(e1, e2) / maxAbsOf(e1), `d=${d} scale=${s}`).to.be.below(1e-12 * d);
      }
    }
  });

  it('Padé expm: nilpotent, rotation generator, Moler example, exp(A)·exp(−A) = I', () => {
    expectClose(expm([0, 1, 0, 0], 2), [1, 1, 0, 1], { atol: 1e-15 }, 'nilpotent');
    for (const th of [0.7, 30]) {
      expectClose(
        expm([0, -th, th, 0], 2),
        [Math.cos(th), -Math.sin(th), Math.sin(th), Math.cos(th)],
        { atol: 1e-13 * th },
        `rotation θ=${th}`,
      );
    }
    // A = V diag(−1, −17) V⁻¹ with V = [[1, 3], [2, 4]]  →  A = [[−49, 24], [−64, 31]].
    const v = [1, 3, 2, 4];
    const vinv = [-2, 1.5, 1, -0.5];
    const e = [Math.exp(-1), 0, 0, Math.exp(-17)];
    const expected = matmul(matmul(v, e, 2), vinv, 2);
    expectClose(expm([-49, 24, -64, 31], 2), expected, { rtol: 1e-12, atol: 1e-15 }, 'Moler');
    const rng = new Rng(11);
    for (let d = 2; d <= 8; d++) {
      const a = randomMatrix(rng, d);
      const minus = a.map((x) => -x);
      expectClose(matmul(expm(a, d), expm(minus, d), d), identity(d), { atol: 1e-12 * d }, `exp(A)exp(−A) d=${d}`);
    }
    expect(Array.from(expm(new Float64Array(9), 3))).to.deep.equal(Array.from(identity(3)));
  });

  it('reads blocks at an offset', () => {
    const rng = new Rng(12);
    const { a } = randomSpd(rng, 3, 100);
    const stack = new Float64Array(27);
    stack.set(a, 18);
    expect(Array.from(sqrtm(stack, 3, 18))).to.deep.equal(Array.from(sqrtm(a, 3)));
    expect(Array.from(expm(stack, 3, 18))).to.deep.equal(Array.from(expm(a, 3)));
  });

  it('rejects non-SPD input where an SPD matrix is required, naming it', () => {
    const indefinite = [1, 2, 2, 1];
    expectThrows(
      () => sqrtm(indefinite, 2, 0, 'covariances[3]'),
      SpdError,
      /covariances\[3\]/,
      /not symmetric positive definite/,
      /Cholesky failed/,
    );
    expectThrows(() => logmSpd([1, 0, 0, 0], 2), SpdError, /not symmetric positive definite/);
    expectThrows(() => invSqrtm([2, 1, 0.5, 2], 2), SpdError, /not symmetric/, /asymmetry/);
    expectThrows(() => spdFunction([1, 0, 0, NaN], 2, Math.sqrt), SpdError, /\[1\]\[1\] is NaN/);
    expectThrows(() => sqrtm([-1, 0, 0, -1], 2), SpdError, /smallest diagonal entry -1/);
    expectThrows(() => expmSym([1, 2, 3, 4], 2), ValueError, /must be symmetric/, /expm\(\)/);
    expectThrows(() => symFunction([1, 2, 3], 2, Math.exp), ShapeError, /2×2/);
    expectThrows(() => expm([1, Infinity, 0, 1], 2), ValueError, /Infinity/);
  });
});
