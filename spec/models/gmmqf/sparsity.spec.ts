import { expect } from 'chai';
import { Rng } from '../../../sdk/util/rng.js';
import { liveComponents, nonzeroFraction, pruneComponents } from '../../../models/gmmqf/sparsity.js';
import { productOfFactors as hadamardProduct } from '../../../models/gmmqf/hadamard.js';
import { qValues } from '../../../models/gmmqf/reference.js';
import { ShapeError, ValueError } from '../../../contract/errors.js';
import { expectThrows } from '../../helpers.js';
import { randomObs, randomParams } from './fixtures.js';

describe('models/gmmqf/sparsity', () => {
  it('nonzeroFraction counts |ξ| > threshold · max|ξ| (default 1e-6)', () => {
    expect(nonzeroFraction([0, 0, 0, 0])).to.equal(0);
    expect(nonzeroFraction([])).to.equal(0);
    expect(nonzeroFraction([1, -2, 0, 0])).to.equal(0.5);
    expect(nonzeroFraction([1, 1e-6, 1.0001e-6, -3e-7])).to.equal(0.5); // cut = 1e-6 · 1, strict >
    expect(nonzeroFraction([10, 1e-6, 0, 0], 0)).to.equal(0.5);
    expect(nonzeroFraction([10, 1.1e-5, 2e-5, 0])).to.equal(0.75);
    expectThrows(() => nonzeroFraction([1], 1), ValueError, /threshold = 1 must be a relative threshold in \[0, 1\)/);
    expectThrows(() => nonzeroFraction([1, NaN]), ValueError, /weights\[1\] is NaN/);
  });

  it('liveComponents lists the rows with any exactly-nonzero entry', () => {
    expect(liveComponents([0, 0, 1e-300, 0, 0, 0, 0, -2], 2)).to.deep.equal([1, 3]);
    expect(liveComponents([0, 0], 2)).to.deep.equal([]);
    expectThrows(() => liveComponents([1, 2, 3], 2), ShapeError, /3 entries, not a multiple of A = 2/);
    expectThrows(() => liveComponents([1, 2], 0), ValueError, /A = 0 must be a positive integer/);
  });

  it('pruneComponents removes the all-zero rows and gives exactly the same float64 q', () => {
    const rng = new Rng(1);
    const p = randomParams(rng, 9, 3, 4);
    for (const k of [0, 4, 8]) p.weights.fill(0, k * 4, k * 4 + 4);
    p.weights[2 * 4 + 1] = 0; // a partly-zero row stays
    const pr = pruneComponents(p);
    expect(pr.kept).to.deep.equal([1, 2, 3, 5, 6, 7]);
    expect(pr.pruned).to.equal(3);
    expect(pr.allZero).to.equal(false);
    expect(pr.params.K).to.equal(6);
    expect(Array.from(pr.params.means.subarray(0, 3))).to.deep.equal(Array.from(p.means.subarray(3, 6)));
    expect(Array.from(pr.params.covariances.subarray(9, 18))).to.deep.equal(Array.from(p.covariances.subarray(18, 27)));
    expect(Array.from(pr.params.weights.subarray(20, 24))).to.deep.equal(Array.from(p.weights.subarray(28, 32)));
    const obs = randomObs(rng, p, 300);
    expect(Array.from(qValues(pr.params, obs, 300))).to.deep.equal(Array.from(qValues(p, obs, 300)));
    expect(p.K).to.equal(9); // the input is untouched
  });

  it('pruneComponents keeps component 0 when every row is zero (q ≡ 0)', () => {
    const p = randomParams(new Rng(2), 4, 2, 3);
    p.weights.fill(0);
    const pr = pruneComponents(p);
    expect(pr).to.deep.include({ kept: [0], pruned: 3, allZero: true });
    expect(pr.params.K).to.equal(1);
    expect(Array.from(qValues(pr.params, randomObs(new Rng(3), p, 5), 5))).to.deep.equal(new Array(15).fill(0));
  });

  it('hadamardProduct multiplies [J, K, A] factors elementwise', () => {
    expect(Array.from(hadamardProduct([1, 2, 3, 4, 5, 6, -1, 0.5, 2], 3, 3))).to.deep.equal([1 * 4 * -1, 2 * 5 * 0.5, 3 * 6 * 2]);
    expect(Array.from(hadamardProduct([7, 8], 1, 2))).to.deep.equal([7, 8]);
    expectThrows(() => hadamardProduct([1, 2, 3], 2, 2), ShapeError, /3 values for J = 2 factors of 2 entries/);
  });
});
