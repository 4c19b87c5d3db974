import { expect } from 'chai';
import { trainSgmmqf, validateSgmmqfConfig, snapFactors, sparsityOf, SGMMQF_DEFAULTS } from '../../../sdk/algorithms/sgmmqf.js';
import { hadamardProduct } from '../../../models/gmmqf/hadamard.js';
import { isSpd } from '../../../models/linalg/cholesky.js';
import { ValueError, UnknownNameError } from '../../../contract/errors.js';
import { Rng } from '../../../sdk/util/rng.js';

describe('sdk/algorithms/sgmmqf: online sparse GMM-QF', function () {
  this.timeout(180_000);

  it('learns CartPole-v1 with a fixed seed: best greedy return ≥ 150 within 10k steps (random ≈ 22)', async () => {
    const r = await trainSgmmqf({ env: 'CartPole-v1', steps: 10_000, seed: 0, evalEvery: 2500 });
    expect(r.bestEvalReturn).to.be.at.least(150);
    expect(r.log.length).to.equal(4);
    expect(r.parameterCount).to.equal(3 * 50 * 2 + 50 * 4 + 50 * 10);
    for (let k = 0; k < r.params.K; k++) expect(isSpd(r.params.covariances, 4, k * 16), `C[${k}] SPD`).to.equal(true);
    // the handed-out weights are exactly the product of the handed-out factors
    expect(Array.from(hadamardProduct(r.factors))).to.deep.equal(Array.from(r.params.weights));
    for (const row of r.log) {
      expect(row.nonzero_fraction).to.be.within(0, 1);
      expect(row.live_components).to.be.within(0, 50);
    }
  });

  it('is deterministic: the same seed twice gives identical parameters', async () => {
    const cfg = { env: 'CartPole-v1', steps: 1500, warmupSteps: 500, components: 8, seed: 7, evalEvery: 1500, evalEpisodes: 1 };
    const a = await trainSgmmqf(cfg);
    const b = await trainSgmmqf(cfg);
    expect(Array.from(a.params.means)).to.deep.equal(Array.from(b.params.means));
    expect(Array.from(a.params.covariances)).to.deep.equal(Array.from(b.params.covariances));
    expect(Array.from(a.factors.values)).to.deep.equal(Array.from(b.factors.values));
    const c = await trainSgmmqf({ ...cfg, seed: 8 });
    expect(Array.from(c.params.means)).to.not.deep.equal(Array.from(a.params.means));
  });

  it('a strong l2 penalty on J = 3 factors sparsifies the weights; J = 1 with the same ρ stays dense', async () => {
    const base = {
      env: 'CartPole-v1',
      steps: 6000,
      components: 20,
      seed: 1,
      evalEvery: 6000,
      evalEpisodes: 1,
      keepBest: false,
      lrFactors: 1e-2,
    };
    const sparse = await trainSgmmqf({ ...base, factors: 3, rho: 1e-1 });
    const dense = await trainSgmmqf({ ...base, factors: 1, rho: 1e-1 });
    const fs = sparse.log.at(-1)!.nonzero_fraction;
    const fd = dense.log.at(-1)!.nonzero_fraction;
    expect(fs, `J=3 nonzero fraction ${fs}`).to.be.below(0.5);
    expect(fd, `J=1 nonzero fraction ${fd}`).to.be.above(0.9);
    // snapped zeros are exact zeros
    const zeros = Array.from(sparse.params.weights).filter((w) => w === 0).length;
    expect(zeros / sparse.params.weights.length).to.be.closeTo(1 - fs, 1e-12);
  });

  it('trains on a continuous-action task through an action grid (Pendulum-v1 torque)', async () => {
    const grid = { shape: [1], values: Float64Array.from([-2, 0, 2]), low: [-2], high: [2] };
    const r = await trainSgmmqf({
      env: 'Pendulum-v1',
      steps: 1500,
      warmupSteps: 500,
      components: 8,
      evalEvery: 1500,
      evalEpisodes: 1,
      actionGrid: grid,
    });
    expect(r.params.A).to.equal(3);
    expect(r.params.actionGrid).to.equal(grid);
    expect(Number.isFinite(r.bestEvalReturn)).to.equal(true);
  });

  it('uses Acrobot-v1’s 4-dimensional angle state by default: K = 50, J = 1 has the paper’s 850 parameters', async () => {
    const r = await trainSgmmqf({ env: 'Acrobot-v1', steps: 600, warmupSteps: 500, factors: 1, evalEvery: 600, evalEpisodes: 1 });
    expect(r.params.D).to.equal(4);
    expect(r.params.features).to.equal('acrobot-angles');
    expect(r.parameterCount).to.equal(850);
  });

  it('rejects bad configs with the field, the value and the range', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ rho: -1 }, /rho = -1 is out of range; expected a finite number ≥ 0/],
      [{ factors: 0 }, /factors = 0 is out of range/],
      [{ lrCovariances: 0 }, /lrCovariances = 0/],
      [{ batchSize: 64, bufferCapacity: 10 }, /bufferCapacity = 10 is out of range; expected an integer ≥ batchSize \(64\)/],
      [{ warmupSteps: 1 }, /warmupSteps = 1/],
      [{ targetUpdate: -5 }, /targetUpdate = -5/],
    ];
    for (const [patch, re] of bad) expect(() => validateSgmmqfConfig({ ...SGMMQF_DEFAULTS, ...patch } as never)).to.throw(ValueError, re);
    expect(() => validateSgmmqfConfig({ ...SGMMQF_DEFAULTS, features: 'polar' as never })).to.throw(UnknownNameError, /polar/);
    let err: unknown;
    try {
      await trainSgmmqf({ env: 'SparsePendulum-v0', steps: 100, warmupSteps: 50 });
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/actionGrid is missing: SparsePendulum-v0 has a continuous action space/);
  });
});

describe('sdk/algorithms/sgmmqf: snapping and sparsity', () => {
  it('snapFactors zeroes exactly the weights at or below threshold·max|ξ|, through the first factor', () => {
    const rng = new Rng(2);
    const K = 6;
    const A = 2;
    const J = 3;
    const values = Float64Array.from({ length: J * K * A }, () => rng.normal());
    values[0] = 1e-9; // a tiny product at entry 0
    const f = { J, K, A, values };
    const xi = hadamardProduct(f);
    const mx = Math.max(...Array.from(xi, Math.abs));
    const { factors, weights } = snapFactors(f, 1e-6);
    for (let i = 0; i < K * A; i++) {
      if (Math.abs(xi[i]!) <= 1e-6 * mx) {
        expect(weights[i]).to.equal(0);
        expect(factors.values[i]).to.equal(0);
      } else expect(weights[i]).to.equal(xi[i]);
    }
    expect(weights[0]).to.equal(0);
    expect(Array.from(hadamardProduct(factors))).to.deep.equal(Array.from(weights));
    const sp = sparsityOf(weights, K, A, 1e-6);
    expect(sp.nonzeroFraction).to.equal(Array.from(weights).filter((w) => w !== 0).length / (K * A));
  });

  it('sparsityOf counts live components (rows with any nonzero weight)', () => {
    const w = Float64Array.from([0, 0, 1, 0, 0, 2, 0, 0]);
    expect(sparsityOf(w, 4, 2, 1e-6)).to.deep.equal({ nonzeroFraction: 0.25, liveComponents: 2 });
    expect(sparsityOf(new Float64Array(4), 2, 2, 1e-6)).to.deep.equal({ nonzeroFraction: 0, liveComponents: 0 });
  });
});
