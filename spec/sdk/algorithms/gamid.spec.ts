import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../sdk/backend.js';
import { Rng } from '../../../sdk/util/rng.js';
import { TD3_DEFAULTS, initDeterministicNetworks, trainTd3 } from '../../../sdk/algorithms/td3.js';
import { GAMID_DEFAULTS, trainGamid, type GamidConfig } from '../../../sdk/algorithms/gamid.js';
import { Td3Learner } from '../../../sdk/algorithms/learners/td3.js';
import { GamidLearner } from '../../../sdk/algorithms/learners/gamid.js';
import { diversityTerm, diversityTermReference } from '../../../models/gamid-actor/diversity.js';
import { randomNormalizedBatch } from './ac-fixtures.js';
import type { MlpParams } from '../../../models/actor-critic/mlp.js';
import { expectClose } from '../../helpers.js';

const D = 3;
const A = 2;

const batch = (rng: Rng, B: number) => randomNormalizedBatch(rng, B, D, A);

const same = (a: MlpParams, b: MlpParams, what: string) => {
  for (let l = 0; l < a.weights.length; l++) {
    expect(Array.from(a.weights[l]!)).to.deep.equal(Array.from(b.weights[l]!), `${what} W${l}`);
    expect(Array.from(a.biases[l]!)).to.deep.equal(Array.from(b.biases[l]!), `${what} b${l}`);
  }
};

describe('gamid-pg', function () {
  this.timeout(60000);
  before(async () => {
    await selectBackend('cpu');
  });

  it('N = 1 and τ = 0 is TD3 exactly: the same actor, critics and targets after 6 updates (3 delayed actor steps)', () => {
    const init = initDeterministicNetworks([16, 16], 1, D, A, new Rng(5));
    const cfg: GamidConfig = {
      ...GAMID_DEFAULTS,
      actors: 1,
      temperature: { start: 0, end: 0, fraction: 1 },
      epsilon: { start: 0, end: 0, fraction: 1 },
    };
    const td3 = new Td3Learner({ ...TD3_DEFAULTS }, D, A, init);
    const gamid = new GamidLearner(cfg, D, A, init);
    try {
      const rng = new Rng(6);
      for (let t = 0; t < 6; t++) {
        const b = batch(rng, 32);
        const xi = Float32Array.from({ length: 32 * A }, () => rng.normal());
        td3.update(b, xi);
        gamid.update(b, xi);
      }
      same(gamid.actors[0]!.params(), td3.actor.params(), 'actor');
      same(gamid.actorTargets[0]!.params(), td3.actorTarget.params(), 'target actor');
      for (let j = 0; j < 2; j++) {
        same(gamid.critic.q[j]!.params(), td3.critic.q[j]!.params(), `critic ${j}`);
        same(gamid.critic.target[j]!.params(), td3.critic.target[j]!.params(), `target critic ${j}`);
      }
      expect(Array.from(td3.actor.params().weights[0]!)).to.not.deep.equal(Array.from(init.actors[0]!.weights[0]!, (v) => Math.fround(v)));
    } finally {
      td3.dispose();
      gamid.dispose();
    }
  });

  it('the trainers agree too: trainGamid(N = 1, τ = 0, ε = 0) and trainTd3 give identical parameters and logs', async () => {
    const common = {
      env: 'Pendulum-v1',
      steps: 260,
      warmupSteps: 100,
      hidden: [8, 8],
      batchSize: 16,
      evalEvery: 80,
      evalEpisodes: 1,
      backend: 'cpu' as const,
      seed: 7,
    };
    const a = await trainTd3(common);
    const b = await trainGamid({
      ...common,
      actors: 1,
      temperature: { start: 0, end: 0, fraction: 1 },
      epsilon: { start: 0, end: 0, fraction: 1 },
    });
    same(b.finalParams.actor.actors[0]!, a.finalParams.actor.actors[0]!, 'actor');
    same(b.finalParams.critics[1], a.finalParams.critics[1], 'critic 2');
    expect(b.log.map((r) => r.eval_return_mean)).to.deep.equal(a.log.map((r) => r.eval_return_mean));
  });

  it('the diversity term and its gradient (others held constant) match the float64 reference and finite differences', () => {
    const N = 3;
    const rng = new Rng(8);
    const mu = Float64Array.from({ length: N * A }, () => rng.uniformRange(-0.8, 0.8)); // one state
    const [val, grad] = tf.tidy(() => {
      const x = tf.tensor3d(Float32Array.from(mu), [N, 1, A]);
      const f = (m: tf.Tensor) => tf.sum(diversityTerm(m as tf.Tensor3D));
      return [diversityTerm(x).dataSync(), tf.grad(f)(x).dataSync()];
    });
    expectClose(val, diversityTermReference(mu, N, A), { rtol: 1e-5, atol: 1e-6 }, 'D_i');
    // ∂D_i/∂μ_i with μ_j (j ≠ i) fixed, by central differences of the reference
    const h = 1e-6;
    for (let i = 0; i < N; i++) {
      for (let d = 0; d < A; d++) {
        const p = mu.slice();
        const m = mu.slice();
        p[i * A + d]! += h;
        m[i * A + d]! -= h;
        const fd = (diversityTermReference(p, N, A)[i]! - diversityTermReference(m, N, A)[i]!) / (2 * h);
        expectClose(grad[i * A + d]!, fd, { rtol: 1e-3, atol: 1e-4 }, `∂D_${i}/∂μ_${i}[${d}]`);
      }
    }
  });

  it('maximizing the diversity term pushes two nearly coincident means apart (and leaves exactly coincident ones in place)', () => {
    const step = (mu: number[]) =>
      tf.tidy(() => {
        const x = tf.tensor3d(mu, [2, 1, 1]);
        const g = tf
          .grad((m: tf.Tensor) => tf.sum(diversityTerm(m as tf.Tensor3D)))(x)
          .dataSync();
        return mu.map((v, i) => v + 0.1 * g[i]!);
      });
    let mu = [0.1, 0.1 + 1e-3];
    for (let t = 0; t < 50; t++) mu = step(mu);
    expect(mu[1]! - mu[0]!).to.be.greaterThan(0.3);
    expect(mu[0]! + mu[1]!).to.be.closeTo(0.2 + 1e-3, 1e-5); // symmetric push: the midpoint stays
    // exactly coincident means are a stationary point of D (its gradient is 0 there)
    expect(step([0.1, 0.1])).to.deep.equal([0.1, 0.1]);
  });

  it('with N > 1 the ε-greedy acting and the diversity term run; updates are finite and leak no tensors', () => {
    const cfg: GamidConfig = { ...GAMID_DEFAULTS, actors: 3 };
    const L = new GamidLearner(cfg, D, A, initDeterministicNetworks([16, 16], 3, D, A, new Rng(9)));
    try {
      const rng = new Rng(10);
      for (let t = 0; t < 2; t++)
        L.update(
          batch(rng, 16),
          Float32Array.from({ length: 32 }, () => rng.normal()),
        );
      const before = tf.memory().numTensors;
      for (let t = 0; t < 4; t++)
        L.update(
          batch(rng, 16),
          Float32Array.from({ length: 32 }, () => rng.normal()),
        );
      expect(tf.memory().numTensors).to.equal(before);
      const s = L.takeStats();
      expect(Number.isFinite(s.diversity!)).to.equal(true);
      expect(Number.isFinite(s.critic_loss!)).to.equal(true);
      const z = Float32Array.from([0.1, -0.2, 0.3]);
      const mu = L.componentActions(z);
      expect(mu.length).to.equal(3 * A);
      expect(L.scores(z, mu).length).to.equal(3);
    } finally {
      L.dispose();
    }
  });
});
