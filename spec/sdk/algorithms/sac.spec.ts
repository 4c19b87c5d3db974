import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../sdk/backend.js';
import { Rng } from '../../../sdk/util/rng.js';
import { SAC_DEFAULTS, initSacNetworks, type SacConfig } from '../../../sdk/algorithms/sac.js';
import { SacLearner } from '../../../sdk/algorithms/learners/sac.js';
import { randomNormalizedBatch } from './ac-fixtures.js';
import type { MlpParams } from '../../../models/actor-critic/mlp.js';

const D = 3;
const A = 2;

const batch = (rng: Rng, B: number) => randomNormalizedBatch(rng, B, D, A);

/** The sg actor with a logits column inserted in front of its output layer (K = 1 mixture). */
function withLogitsColumn(p: MlpParams, value: number): MlpParams {
  const L = p.layers.length - 1;
  const nin = p.layers[L - 1]!;
  const nout = p.layers[L]!;
  const W = new Float64Array(nin * (nout + 1));
  for (let i = 0; i < nin; i++) {
    W[i * (nout + 1)] = value * (i % 3 === 0 ? 1 : -1);
    for (let j = 0; j < nout; j++) W[i * (nout + 1) + 1 + j] = p.weights[L - 1]![i * nout + j]!;
  }
  const b = Float64Array.from([value, ...p.biases[L - 1]!]);
  return {
    layers: [...p.layers.slice(0, L), nout + 1],
    weights: [...p.weights.slice(0, L - 1), W],
    biases: [...p.biases.slice(0, L - 1), b],
  };
}

describe('sac: learner', function () {
  this.timeout(60000);
  before(async () => {
    await selectBackend('cpu');
  });

  it('SGM-MRP with K = 1 equals SG-RP exactly: the same critics, actor and α after 5 updates', () => {
    const base: SacConfig = { ...SAC_DEFAULTS, hidden: [16, 16], policy: 'sg', estimator: 'rp', components: 1 };
    const init = initSacNetworks(base, D, A, new Rng(1));
    const sg = new SacLearner(base, D, A, init);
    const mix = new SacLearner({ ...base, policy: 'sgm', estimator: 'mrp' }, D, A, {
      actor: withLogitsColumn(init.actor, 0.3),
      critics: init.critics,
    });
    try {
      const rng = new Rng(2);
      for (let t = 0; t < 5; t++) {
        const b = batch(rng, 32);
        const noiseRng = new Rng(100 + t);
        const n1 = sg.drawNoise(32, noiseRng);
        const n2 = mix.drawNoise(32, new Rng(100 + t));
        expect(Array.from(n2.eps)).to.deep.equal(Array.from(n1.eps));
        sg.update(b, n1);
        mix.update(b, n2);
      }
      const s1 = sg.takeStats();
      const s2 = mix.takeStats();
      expect(s2).to.deep.equal(s1);
      const [c1, c2] = [sg.critic.params(), mix.critic.params()];
      for (let j = 0; j < 2; j++)
        for (let l = 0; l < 3; l++) expect(Array.from(c2[j]!.weights[l]!)).to.deep.equal(Array.from(c1[j]!.weights[l]!));
      const a1 = sg.actor.params();
      const a2 = mix.actor.params();
      for (let l = 0; l < 2; l++) {
        expect(Array.from(a2.weights[l]!)).to.deep.equal(Array.from(a1.weights[l]!), `hidden layer ${l}`);
        expect(Array.from(a2.biases[l]!)).to.deep.equal(Array.from(a1.biases[l]!));
      }
      const nout = 2 * A;
      const Wl = a2.weights[2]!;
      const sgW = a1.weights[2]!;
      for (let i = 0; i < 16; i++)
        for (let j = 0; j < nout; j++) expect(Wl[i * (nout + 1) + 1 + j]).to.equal(sgW[i * nout + j], `output W[${i}][${j}]`);
      // and the updates moved something (the comparison is not between two frozen networks)
      expect(Array.from(a1.weights[0]!)).to.not.deep.equal(Array.from(init.actor.weights[0]!, (v) => Math.fround(v)));
    } finally {
      sg.dispose();
      mix.dispose();
    }
  });

  for (const [policy, estimator, K] of [
    ['sg', 'rp', 1],
    ['sgm', 'mrp', 3],
    ['usgm', 'rp', 3],
    ['sgm', 'halfrp', 3],
    ['sgm', 'gumbelrp', 3],
    ['sgm', 'lr', 3],
  ] as const) {
    it(`${policy}/${estimator}: updates keep every parameter finite, α moves towards the target entropy, and no tensor leaks`, () => {
      const cfg: SacConfig = { ...SAC_DEFAULTS, hidden: [16, 16], policy, estimator, components: K };
      const L = new SacLearner(cfg, D, A, initSacNetworks(cfg, D, A, new Rng(3)));
      try {
        const rng = new Rng(4);
        L.update(batch(rng, 16), L.drawNoise(16, rng)); // first call creates the optimizer slots
        const before = tf.memory().numTensors;
        for (let t = 0; t < 5; t++) L.update(batch(rng, 16), L.drawNoise(16, rng));
        expect(tf.memory().numTensors).to.equal(before);
        const s = L.takeStats();
        for (const v of Object.values(s)) expect(Number.isFinite(v)).to.equal(true);
        // the policy starts with σ ≈ e^{−1.5}: entropy above the target −A, so auto-α decreases from 1
        expect(s.alpha).to.be.lessThan(1);
        for (const w of L.actor.params().weights) expect(w.every(Number.isFinite)).to.equal(true);
      } finally {
        L.dispose();
      }
    });
  }
});
