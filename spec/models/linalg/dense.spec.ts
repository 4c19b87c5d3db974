import { expect } from 'chai';
import { SpdError, ShapeError, ValueError } from '../../../contract/errors.js';
import { Rng } from '../../../sdk/util/rng.js';
import { expectClose, expectThrows } from '../../helpers.js';
import { assertSpd, choleskyPivotRatio, invertSpd, isSpd, logDetSpd } from '../../../models/linalg/cholesky.js';
import {
  congruence,
  identity,
  matmul,
  matmulTransB,
  scaledGram,
  solve,
  symPart,
  symmetrize,
  trace,
  traceOfProduct,
  transpose,
} from '../../../models/linalg/dense.js';
import { maxDiff, randomMatrix, randomSpd } from './fixtures.js';

describe('linalg/dense: small matrix helpers', () => {
  it('matmul, matmulTransB, transpose, trace, traceOfProduct on a known example', () => {
    const a = [1, 2, 3, 4];
    const b = [5, 6, 7, 8];
    expect(Array.from(matmul(a, b, 2))).to.deep.equal([19, 22, 43, 50]);
    expect(Array.from(matmulTransB(a, b, 2))).to.deep.equal([17, 23, 39, 53]);
    expect(Array.from(transpose(a, 2))).to.deep.equal([1, 3, 2, 4]);
    expect(trace(a, 2)).to.equal(5);
    expect(traceOfProduct(a, b, 2)).to.equal(19 + 50);
    // Aliased output.
    const x = Float64Array.from(a);
    matmul(x, b, 2, x);
    expect(Array.from(x)).to.deep.equal([19, 22, 43, 50]);
  });

  it('symmetrize (in place, at an offset) and symPart give exactly symmetric averages', () => {
    const s = new Float64Array([9, 9, 1, 2, 4, 3]);
    symmetrize(s, 2, 2);
    expect(Array.from(s)).to.deep.equal([9, 9, 1, 3, 3, 3]);
    expect(Array.from(symPart([1, 2, 4, 3], 2))).to.deep.equal([1, 3, 3, 3]);
  });

  it('congruence and scaledGram are exactly symmetric and match plain products', () => {
    const rng = new Rng(1);
    const d = 5;
    const b = randomMatrix(rng, d);
    const x = symPart(randomMatrix(rng, d), d);
    const c = congruence(b, x, d);
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) expect(c[i * d + j]).to.equal(c[j * d + i]);
    expectClose(c, matmulTransB(matmul(b, x, d), b, d), { atol: 1e-13 }, 'B X Bᵀ');
    const w = [1, 2, 3, 4, 5];
    const diag = new Float64Array(25);
    w.forEach((v, i) => (diag[i * 6] = v));
    expectClose(scaledGram(b, w, d), congruence(b, diag, d), { atol: 1e-13 }, 'B diag(w) Bᵀ');
  });

  it('solve: LU with partial pivoting', () => {
    const rng = new Rng(2);
    for (let d = 1; d <= 8; d++) {
      const a = randomMatrix(rng, d);
      const x = randomMatrix(rng, d);
      expectClose(solve(a, matmul(a, x, d), d), x, { atol: 1e-10 }, `solve d=${d}`);
    }
    expectClose(solve([0, 1, 1, 0], [1, 2, 3, 4], 2), [3, 4, 1, 2], { atol: 0 }, 'needs pivoting');
    expectThrows(() => solve([1, 2, 2, 4], identity(2), 2), ValueError, /singular/);
  });
});

describe('linalg/cholesky: SPD checks and helpers', () => {
  it('isSpd accepts SPD matrices up to condition 1e12 and tiny float asymmetry, at offsets', () => {
    const rng = new Rng(3);
    for (let d = 2; d <= 8; d++) {
      for (const cond of [1, 1e6, 1e12]) {
        const { a } = randomSpd(rng, d, cond);
        expect(isSpd(a, d), `d=${d} cond=${cond}`).to.equal(true);
        const stack = new Float64Array(3 * d * d);
        stack.set(a, 2 * d * d);
        expect(isSpd(stack, d, 2 * d * d)).to.equal(true);
        expect(isSpd(stack, d, 0)).to.equal(false); // zero block
      }
    }
    const a = new Float64Array([2, 1 + 1e-15, 1, 2]);
    expect(isSpd(a, 2)).to.equal(true);
  });

  it('isSpd rejects indefinite, singular, asymmetric and non-finite matrices', () => {
    expect(isSpd([1, 2, 2, 1], 2)).to.equal(false);
    expect(isSpd([1, 1, 1, 1], 2)).to.equal(false);
    expect(isSpd([2, 1, 0.9, 2], 2)).to.equal(false);
    expect(isSpd([2, 1, 0.9, 2], 2, 0, 0.1)).to.equal(true);
    expect(isSpd([1, 0, 0, NaN], 2)).to.equal(false);
    expect(isSpd([Infinity, 0, 0, 1], 2)).to.equal(false);
    expectThrows(() => isSpd([1, 0, 0], 2), ShapeError, /only 3 values/);
  });

  it('assertSpd explains what is wrong', () => {
    expectThrows(() => assertSpd([1, 2, 2, 1], 2, 'covariances[1]'), SpdError, /covariances\[1\] \(2×2\)/, /Cholesky failed/, /eps·I/);
    expectThrows(() => assertSpd([2, 1, 0, 2], 2, 'C'), SpdError, /not symmetric/, /5\.000e-1/);
    expectThrows(() => assertSpd([1, 0, 0, -Infinity], 2, 'C'), SpdError, /\[1\]\[1\] is -Infinity/);
    assertSpd(identity(3), 3);
  });

  it('choleskyPivotRatio is scale-invariant and flags matrices within rounding of singular', () => {
    expect(choleskyPivotRatio([1e-20, 0, 0, 1], 2)).to.equal(1);
    expect(choleskyPivotRatio([4, 2, 2, 2], 2)).to.equal(0.5);
    expect(choleskyPivotRatio([1e-10 * 4, 1e-5 * 2, 1e-5 * 2, 2], 2)).to.be.closeTo(0.5, 1e-15);
    expect(choleskyPivotRatio([1, 2, 2, 1], 2)).to.equal(0);
    // Rank one plus rounding noise: Cholesky may succeed, but the ratio is at the ε level.
    const v = [1, 1 / 3];
    const r = [v[0]! * v[0]!, v[0]! * v[1]!, v[1]! * v[0]!, v[1]! * v[1]! * (1 + 2.220446049250313e-16)];
    expect(choleskyPivotRatio(r, 2)).to.be.below(1e-14);
  });

  it('invertSpd and logDetSpd', () => {
    const rng = new Rng(4);
    for (let d = 2; d <= 8; d++) {
      const { a, lambda } = randomSpd(rng, d, 1e6, 0.01);
      const inv = invertSpd(a, d);
      for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) expect(inv[i * d + j]).to.equal(inv[j * d + i]);
      expect(maxDiff(matmul(inv, a, d), identity(d)), `A⁻¹A d=${d}`).to.be.below(1e-8);
      let s = 0;
      for (const l of lambda) s += Math.log(l);
      expectClose(logDetSpd(a, d), s, { atol: 1e-9 }, `logdet d=${d}`);
    }
    expectThrows(() => invertSpd([1, 2, 2, 1], 2, 'precision'), SpdError, /precision/);
  });
});
