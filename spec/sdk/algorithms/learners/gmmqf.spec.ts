import { expect } from 'chai';
import { selectBackend } from '../../../../sdk/backend.js';
import { Rng } from '../../../../sdk/util/rng.js';
import { ReplayBuffer } from '../../../../sdk/replay.js';
import { BellmanBatch } from '../../../../models/gmmqf/tf.js';
import { normalize, qValues } from '../../../../models/gmmqf/reference.js';
import { isSpd } from '../../../../models/linalg/cholesky.js';
import type { GmmQfParams } from '../../../../models/gmmqf/params.js';
import {
  GmmQfPolicyEvaluation,
  armijoStep,
  bellmanTargets,
  precisions,
  type ArmijoStepTimes,
} from '../../../../sdk/algorithms/learners/gmmqf.js';
import { randomParams, randomObs } from '../../../models/gmmqf/fixtures.js';

const clone = (p: GmmQfParams): GmmQfParams => ({
  ...p,
  means: p.means.slice(),
  covariances: p.covariances.slice(),
  weights: p.weights.slice(),
});

/** A random model and a batch on its own normalized observations (targets y ~ N(1, 0.5²)). */
function problem(seed: number, K = 4, D = 2, A = 2, N = 200): { p: GmmQfParams; batch: BellmanBatch } {
  const rng = new Rng(seed);
  const p = randomParams(rng, K, D, A);
  const z = Float32Array.from(normalize(p, randomObs(rng, p, N), N));
  const actions = Int32Array.from({ length: N }, () => rng.integer(A));
  const targets = Float32Array.from({ length: N }, () => 1 + 0.5 * rng.normal());
  return { p, batch: new BellmanBatch(K, D, A, z, actions, targets) };
}

describe('sdk/algorithms/learners/gmmqf (batch policy evaluation, Riemannian GD with Armijo)', function () {
  this.timeout(60_000);
  before(async () => {
    await selectBackend('cpu');
  });

  for (const metric of ['ai', 'bw'] as const) {
    it(`armijoStep (${metric}): an accepted step lowers the loss to the one reported, writes the point into params and keeps every C SPD`, () => {
      const { p, batch } = problem(1);
      try {
        const before = clone(p);
        const res = armijoStep(batch, p, precisions(p), { metric, firstStep: () => 1, beta: 0.5, c: 1e-4 });
        expect(res.accepted).to.equal(true);
        expect(res.loss).to.be.lessThan(res.loss0);
        expect(res.loss0).to.be.closeTo(batch.loss(before.means, precisions(before), before.weights), 1e-6 * res.loss0);
        // the reported loss and precisions are those of the parameters now in `params`
        expect(Array.from(res.precisions)).to.deep.equal(Array.from(precisions(p)));
        expect(batch.loss(p.means, res.precisions, p.weights)).to.equal(res.loss);
        expect(Array.from(p.means)).to.not.deep.equal(Array.from(before.means));
        for (let k = 0; k < p.K; k++) expect(isSpd(p.covariances, p.D, k * p.D * p.D), `C[${k}]`).to.equal(true);
      } finally {
        batch.dispose();
      }
    });
  }

  it('armijoStep: a probe can force the trials; a rejected search leaves params and precisions untouched; the parts are timed', () => {
    const { p, batch } = problem(2);
    try {
      const P = precisions(p);
      const before = clone(p);
      const seen: number[] = [];
      let retractions = 0;
      const times: ArmijoStepTimes = { gradients: 0, riemannian: 0, trialHost: 0, trialLoss: 0 };
      const rejected = armijoStep(
        batch,
        p,
        P,
        { metric: 'ai', firstStep: () => 1e-3, beta: 0.5, c: 1e-4, maxHalvings: 2 },
        {
          times,
          beforeRetract: () => void retractions++,
          trialLoss: (loss, trial) => (seen.push(trial), Number.isFinite(loss) ? Infinity : loss),
        },
      );
      expect(rejected.accepted).to.equal(false);
      expect(rejected.evaluations).to.equal(3);
      expect(seen).to.deep.equal([0, 1, 2]);
      expect(retractions).to.equal(3 * p.K);
      expect(rejected.precisions).to.equal(P);
      expect(rejected.loss).to.equal(rejected.loss0);
      expect(Array.from(p.means)).to.deep.equal(Array.from(before.means));
      expect(Array.from(p.covariances)).to.deep.equal(Array.from(before.covariances));
      expect(Array.from(p.weights)).to.deep.equal(Array.from(before.weights));
      for (const [k, v] of Object.entries(times)) expect(v, k).to.be.greaterThan(0);
      // forcing only the first two trials: the third (smallest) step is accepted
      const forced = armijoStep(
        batch,
        p,
        P,
        { metric: 'ai', firstStep: () => 1e-2, beta: 0.5, c: 1e-4, maxHalvings: 2 },
        { trialLoss: (loss, trial) => (trial < 2 ? Infinity : loss) },
      );
      expect([forced.accepted, forced.evaluations, forced.t]).to.deep.equal([true, 3, 1e-2 / 4]);
    } finally {
      batch.dispose();
    }
  });

  it('bellmanTargets: r + γ·max_a Q(s′, a), r alone where terminated, the reward rounded to float32 first', () => {
    const rng = new Rng(3);
    const p = randomParams(rng, 3, 2, 3);
    const buf = new ReplayBuffer(10, 2);
    const obs = randomObs(rng, p, 11);
    for (let t = 0; t < 10; t++)
      buf.push(obs.subarray(2 * t, 2 * t + 2), t % 3, 0.1 * t + 0.01, obs.subarray(2 * t + 2, 2 * t + 4), t % 4 === 3);
    const data = buf.stored();
    const y = bellmanTargets(p, data, 0.9);
    const q = qValues(p, data.nextObs, 10);
    for (let t = 0; t < 10; t++) {
      const r = Math.fround(0.1 * t + 0.01);
      const want = t % 4 === 3 ? r : r + 0.9 * Math.max(q[3 * t]!, q[3 * t + 1]!, q[3 * t + 2]!);
      expect(y[t], `t = ${t}`).to.equal(Math.fround(want));
    }
  });

  it('GmmQfPolicyEvaluation.run lowers the Bellman loss on the stored transitions and carries the Armijo step size over', () => {
    const rng = new Rng(4);
    const p = randomParams(rng, 5, 2, 2);
    const buf = new ReplayBuffer(300, 2);
    const obs = randomObs(rng, p, 301);
    for (let t = 0; t < 300; t++)
      buf.push(obs.subarray(2 * t, 2 * t + 2), rng.integer(2), 1, obs.subarray(2 * t + 2, 2 * t + 4), rng.uniform() < 0.1);
    const pe = new GmmQfPolicyEvaluation(
      { gamma: 0.5, sweeps: 2, gdSteps: 4, metric: 'ai', armijoBeta: 0.5, armijoC: 1e-4, refitWeights: true, ridge: 1e-3 },
      1,
    );
    const stats = pe.run(p, buf);
    expect(stats.gdSteps).to.be.greaterThan(0);
    expect(stats.gdDecrease).to.be.greaterThan(0);
    expect(stats.lossEnd).to.be.lessThan(stats.lossStart);
    expect(stats.armijoEvals).to.be.at.least(stats.gdSteps);
    expect(pe.stepSize).to.not.equal(1);
    for (let k = 0; k < p.K; k++) expect(isSpd(p.covariances, 2, 4 * k)).to.equal(true);
  });
});
