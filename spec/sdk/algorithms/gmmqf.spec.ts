import { expect } from 'chai';
import { trainGmmQf, evaluateGreedy, validateGmmQfConfig, GMMQF_DEFAULTS } from '../../../sdk/algorithms/gmmqf.js';
import { make } from '../../../sdk/envs/index.js';
import { choleskyOrNull, asymmetry } from '../../../models/linalg/cholesky.js';
import { ValueError } from '../../../runtime/errors.js';
import { Rng } from '../../../sdk/util/rng.js';
import { expectThrows } from '../../helpers.js';

describe('sdk/algorithms/gmmqf (batch policy iteration)', function () {
  this.timeout(240_000);

  // A small budget: 8000 env steps, K = 16. Random play scores ≈ 22 on CartPole-v1.
  const SMALL = { env: 'CartPole-v1', steps: 8000, components: 16, seed: 0, evalEpisodes: 3 } as const;

  it('learns CartPole-v1 clearly above random (≥ 5× the random policy return) within 8000 steps (seed 0), covariances SPD after every iteration', async () => {
    const spdChecks: boolean[] = [];
    const res = await trainGmmQf(SMALL, {
      onIteration: (_row, best) => {
        const { K, D } = best;
        let ok = true;
        for (let k = 0; k < K; k++) {
          ok &&= choleskyOrNull(best.covariances, D, k * D * D) !== null && asymmetry(best.covariances, D, k * D * D) < 1e-12;
        }
        spdChecks.push(ok);
      },
    });
    expect(spdChecks.length).to.be.greaterThan(3);
    expect(spdChecks.every(Boolean), 'every covariance SPD after every iteration').to.equal(true);
    // greedy evaluation on fresh seeds, independent of the selection episodes
    const ev = await evaluateGreedy(res.params, make('CartPole-v1'), 20, 90_000);
    // random policy baseline on the same seeds
    const env = make('CartPole-v1');
    const rng = new Rng(7);
    let randomTotal = 0;
    for (let e = 0; e < 20; e++) {
      env.reset({ seed: 90_000 + e });
      for (;;) {
        const r = env.step(rng.integer(2));
        randomTotal += r.reward;
        if (r.terminated || r.truncated) break;
      }
    }
    const randomMean = randomTotal / 20;
    expect(randomMean).to.be.lessThan(40);
    expect(ev.mean, `greedy mean return ${ev.mean} vs random ${randomMean}`).to.be.greaterThan(5 * randomMean);
  });

  it('is deterministic: the same seed twice gives identical parameters', async () => {
    const cfg = { ...SMALL, steps: 2500, components: 6 };
    const a = await trainGmmQf(cfg);
    const b = await trainGmmQf(cfg);
    expect(Array.from(a.finalParams.means)).to.deep.equal(Array.from(b.finalParams.means));
    expect(Array.from(a.finalParams.covariances)).to.deep.equal(Array.from(b.finalParams.covariances));
    expect(Array.from(a.finalParams.weights)).to.deep.equal(Array.from(b.finalParams.weights));
    const c = await trainGmmQf({ ...cfg, seed: 1 });
    expect(Array.from(c.finalParams.means)).to.not.deep.equal(Array.from(a.finalParams.means));
  });

  it('Bures-Wasserstein metric trains too and keeps covariances SPD', async () => {
    const res = await trainGmmQf({ ...SMALL, steps: 2500, components: 6, metric: 'bw' });
    const { K, D } = res.finalParams;
    for (let k = 0; k < K; k++) expect(choleskyOrNull(res.finalParams.covariances, D, k * D * D)).to.not.equal(null);
    expect(res.log.some((r) => r.gd_steps > 0)).to.equal(true);
  });

  it('the policy-evaluation loss decreases within a sweep (Armijo accepts only decreasing steps)', async () => {
    const res = await trainGmmQf({ ...SMALL, steps: 2500, components: 6, sweeps: 1, gdSteps: 10 });
    expect(res.log.filter((r) => r.gd_steps > 0).length, 'iterations that took steps').to.be.greaterThan(0);
    for (const row of res.log) {
      if (row.gd_steps > 0) expect(row.loss_end, `iteration ${row.iteration}`).to.be.lessThan(row.loss_start);
    }
  });

  it('rejects out-of-range hyperparameters naming the field, the value and the range', () => {
    expectThrows(() => validateGmmQfConfig({ ...GMMQF_DEFAULTS, gamma: 1.5 }), ValueError, /gamma = 1\.5/, /\[0, 1\)/);
    expectThrows(() => validateGmmQfConfig({ ...GMMQF_DEFAULTS, components: 0 }), ValueError, /components = 0/, /\[1, 4096\]/);
    expectThrows(() => validateGmmQfConfig({ ...GMMQF_DEFAULTS, armijoBeta: 1 }), ValueError, /armijoBeta = 1/, /\(0, 1\)/);
    expectThrows(() => validateGmmQfConfig({ ...GMMQF_DEFAULTS, metric: 'euclid' as never }), ValueError, /metric = "euclid"/);
  });

  it('refuses a continuous-action environment with a clear error', async () => {
    let caught: unknown;
    try {
      await trainGmmQf({ env: 'Pendulum-v1', steps: 100 });
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(ValueError);
    expect((caught as Error).message).to.match(/Pendulum-v1 has a continuous action space/);
  });
});
