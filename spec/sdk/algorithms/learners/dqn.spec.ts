import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { DqnLearner, type DqnLearnerOptions } from '../../../../sdk/algorithms/learners/dqn.js';
import { dqnQValuesTf } from '../../../../models/dqn/tf.js';
import { dqnQValues, dqnTdLoss, dqnTdTargets, type DqnBatch } from '../../../../models/dqn/reference.js';
import type { DqnParams } from '../../../../models/dqn/params.js';
import { selectBackend } from '../../../../sdk/backend.js';
import { Rng } from '../../../../sdk/util/rng.js';
import { expectClose } from '../../../helpers.js';
import { randomBatch, randomDqnParams, randomObservations } from '../../../models/dqn/fixtures.js';

const OPTS: DqnLearnerOptions = { gamma: 0.5, double: false, learningRate: 1e-3, huberDelta: 1, gradClip: Infinity };

function withParams(p: DqnParams, weights: Float64Array[], biases: Float64Array[]): DqnParams {
  return { ...p, weights, biases };
}

/**
 * The hand-built two-state example for DQN vs Double DQN targets. layers [2, 2, 2], normalization
 * the identity. Online: Q_online(s) = relu(s). Target: Q_target(s) = (3·relu(s₂), 2·relu(s₁)).
 *   s'₁ = (1, 0.5):    Q_online = (1, 0.5) → argmax 0;    Q_target = (1.5, 2)  → max 2,   double 1.5
 *   s'₂ = (0.25, 0.5): Q_online = (0.25, 0.5) → argmax 1; Q_target = (1.5, 0.5) → max 1.5, double 0.5
 * Rewards (1, −1, 3), γ = 0.5, the third transition terminated (y = r):
 *   DQN:         y = (1 + 0.5·2, −1 + 0.5·1.5, 3) = (2, −0.25, 3)
 *   Double DQN:  y = (1 + 0.5·1.5, −1 + 0.5·0.5, 3) = (1.75, −0.75, 3)
 * Every number is exact in float32, so the TensorFlow.js targets must match exactly.
 */
function twoStateExample(): { online: DqnParams; target: DqnParams; batch: DqnBatch } {
  const I = () => Float64Array.from([1, 0, 0, 1]);
  const zero = () => new Float64Array(2);
  const base: DqnParams = {
    layers: [2, 2, 2],
    weights: [I(), I()],
    biases: [zero(), zero()],
    obsOffset: zero(),
    obsScale: Float64Array.from([1, 1]),
  };
  // [in, out] layout: W1[in=0][out=1] = 2 (Q₂ = 2·h₁), W1[in=1][out=0] = 3 (Q₁ = 3·h₂)
  const target = withParams(base, [I(), Float64Array.from([0, 2, 3, 0])], [zero(), zero()]);
  const next = [1, 0.5, 0.25, 0.5, 1, 0.5];
  const batch: DqnBatch = { size: 3, obs: next, actions: [0, 1, 0], rewards: [1, -1, 3], nextObs: next, terminated: [0, 0, 1] };
  return { online: base, target, batch };
}

describe('sdk/algorithms/learners/dqn (the DQN learner on TensorFlow.js)', function () {
  this.timeout(60_000);
  before(async () => {
    await selectBackend('auto');
  });

  for (const layers of [
    [4, 64, 64, 2],
    [6, 128, 128, 3],
    [3, 5],
  ]) {
    it(`[${layers}]: the learner's forward pass is dqnQValuesTf's (the graph op sequence), bit for bit`, async () => {
      const rng = new Rng(layers.length * 100 + layers[1]!);
      const p = randomDqnParams(rng, layers);
      const n = 400;
      const obs = randomObservations(rng, p, n);
      const q = dqnQValuesTf(p, obs, n);
      const learner = new DqnLearner(p, OPTS);
      try {
        expect(Array.from(await learner.qValues(obs, n))).to.deep.equal(Array.from(q));
        expect(Array.from(await learner.qValues(obs.subarray(0, layers[0]!)))).to.deep.equal(Array.from(q.subarray(0, layers.at(-1)!)));
      } finally {
        learner.dispose();
      }
    });
  }

  it('DQN vs Double DQN targets on the hand-built two-state example (exact numbers), float64 reference agrees', async () => {
    const { online, target, batch } = twoStateExample();
    for (const [double, want] of [
      [false, [2, -0.25, 3]],
      [true, [1.75, -0.75, 3]],
    ] as const) {
      const learner = new DqnLearner(online, { ...OPTS, double }, target);
      try {
        expect(Array.from(await learner.targets(batch)), `double = ${double}`).to.deep.equal(want);
      } finally {
        learner.dispose();
      }
      expect(Array.from(dqnTdTargets(online, target, batch, 0.5, double)), `reference, double = ${double}`).to.deep.equal(want);
    }
    // after a hard target update the target network is the online one: both rules give r + γ·max Q_online
    const learner = new DqnLearner(online, { ...OPTS, double: true }, target);
    try {
      learner.syncTarget();
      expect(Array.from(await learner.targets(batch))).to.deep.equal([1 + 0.5 * 1, -1 + 0.5 * 0.5, 3]);
    } finally {
      learner.dispose();
    }
  });

  for (const double of [false, true]) {
    it(`${double ? 'Double DQN' : 'DQN'}: loss and autodiff gradient match the float64 TD loss and its central finite differences (tiny net)`, async () => {
      const rng = new Rng(double ? 21 : 20);
      const online = randomDqnParams(rng, [3, 6, 5, 3], { biasScale: 0.5 });
      const target = randomDqnParams(rng, [3, 6, 5, 3], { biasScale: 0.5 });
      const p = { ...online, obsOffset: target.obsOffset, obsScale: target.obsScale }; // one normalization for both nets
      const batch = randomBatch(rng, p, 24);
      const learner = new DqnLearner(p, { ...OPTS, gamma: 0.9, double }, { ...target, obsOffset: p.obsOffset, obsScale: p.obsScale });
      try {
        const y = dqnTdTargets(p, { ...target, obsOffset: p.obsOffset, obsScale: p.obsScale }, batch, Math.fround(0.9), double);
        expectClose(await learner.targets(batch), y, { rtol: 1e-5, atol: 1e-5 }, 'targets');
        // residuals on both sides of the Huber threshold, so both branches are exercised
        const q = dqnQValues(p, batch.obs, batch.size);
        const e = Array.from({ length: batch.size }, (_, i) => q[i * 3 + batch.actions[i]!]! - y[i]!);
        expect(e.some((x) => Math.abs(x) < 1)).to.equal(true);
        expect(e.some((x) => Math.abs(x) > 1)).to.equal(true);
        const g = await learner.gradients(batch);
        const L0 = dqnTdLoss(p, batch, y, 1);
        expectClose(g.loss, L0, { rtol: 1e-5 }, 'loss');
        const h = 1e-6;
        let maxG = 0;
        for (const arr of [...g.weights, ...g.biases]) for (const x of arr) maxG = Math.max(maxG, Math.abs(x));
        let checked = 0;
        for (const kind of ['weights', 'biases'] as const) {
          for (let l = 0; l < p.layers.length - 1; l++) {
            const arr = p[kind][l]!;
            for (let k = 0; k < arr.length; k++) {
              const plus = p[kind].map((a) => a.slice());
              const minus = p[kind].map((a) => a.slice());
              plus[l]![k]! += h;
              minus[l]![k]! -= h;
              const mk = (arrs: Float64Array[]) =>
                kind === 'weights' ? withParams(p, arrs, p.biases as Float64Array[]) : withParams(p, p.weights as Float64Array[], arrs);
              const fd = (dqnTdLoss(mk(plus), batch, y, 1) - dqnTdLoss(mk(minus), batch, y, 1)) / (2 * h);
              expectClose(g[kind][l]![k]!, fd, { atol: 2e-5 * maxG, rtol: 1e-3 }, `d loss / d ${kind}[${l}][${k}]`);
              checked++;
            }
          }
        }
        expect(checked).to.equal(3 * 6 + 6 + 6 * 5 + 5 + 5 * 3 + 3);
        // the global norm is the norm of these gradients
        let n2 = 0;
        for (const arr of [...g.weights, ...g.biases]) for (const x of arr) n2 += x * x;
        expectClose(g.norm, Math.sqrt(n2), { rtol: 1e-5 }, 'norm');
      } finally {
        learner.dispose();
      }
    });
  }

  it('clips the global gradient norm to gradClip, keeping the direction; leaves smaller gradients unchanged', async () => {
    const rng = new Rng(30);
    const p = randomDqnParams(rng, [4, 16, 2]);
    const batch = randomBatch(rng, p, 32);
    const free = new DqnLearner(p, OPTS);
    const raw = await free.gradients(batch);
    free.dispose();
    expect(raw.norm).to.be.greaterThan(0.01);
    const clip = raw.norm / 4;
    const small = new DqnLearner(p, { ...OPTS, gradClip: clip });
    const big = new DqnLearner(p, { ...OPTS, gradClip: raw.norm * 4 });
    try {
      const c = await small.gradients(batch, true);
      expect(c.norm, 'the reported norm is the norm before clipping').to.be.closeTo(raw.norm, 1e-5 * raw.norm);
      const flat = (g: typeof raw) => [...g.weights, ...g.biases].flatMap((a) => Array.from(a));
      expectClose(
        flat(c),
        flat(raw).map((x) => x / 4),
        { rtol: 1e-5, atol: 1e-7 * raw.norm },
        'clipped = raw · clip/‖g‖',
      );
      expect(flat(await big.gradients(batch, true))).to.deep.equal(flat(raw)); // factor exactly 1
    } finally {
      small.dispose();
      big.dispose();
    }
  });

  it('updates decrease the TD loss on a fixed batch; takeLossMean reports the mean loss of the updates; no tensor leaks', async () => {
    const rng = new Rng(40);
    const p = randomDqnParams(rng, [4, 32, 32, 2]);
    const batch = randomBatch(rng, p, 64);
    const learner = new DqnLearner(p, { ...OPTS, learningRate: 3e-3, gradClip: 10 });
    try {
      const losses: number[] = [];
      for (let i = 0; i < 5; i++) {
        losses.push((await learner.gradients(batch)).loss);
        learner.update(batch);
      }
      const m = await learner.takeLossMean();
      expect(m.updates).to.equal(5);
      expectClose(m.loss, losses.reduce((a, b) => a + b, 0) / 5, { rtol: 1e-5 }, 'mean loss');
      expect((await learner.takeLossMean()).updates).to.equal(0);
      expect(Number.isNaN((await learner.takeLossMean()).loss)).to.equal(true);
      const before = tf.memory().numTensors; // Adam's moments exist after the first update
      for (let i = 0; i < 195; i++) learner.update(batch); // the target network is fixed: plain regression
      const after = (await learner.gradients(batch)).loss;
      expect(after, `loss ${losses[0]} → ${after}`).to.be.below(0.1 * losses[0]!);
      expect(learner.updates).to.equal(200);
      expect(tf.memory().numTensors, 'tensors after 200 updates').to.equal(before);
    } finally {
      learner.dispose();
    }
  });

  it('syncTarget copies online → target (and later updates do not move the target); params() reads back float64 copies', async () => {
    const rng = new Rng(50);
    const p = randomDqnParams(rng, [3, 8, 2]);
    const batch = randomBatch(rng, p, 16);
    const learner = new DqnLearner(p, { ...OPTS, learningRate: 1e-2 });
    try {
      const t0 = await learner.params('target');
      expect(t0.weights.map((w) => Array.from(w))).to.deep.equal(p.weights.map((w) => Array.from(w)));
      learner.update(batch);
      const o1 = await learner.params();
      expect(Array.from(o1.weights[0]!)).to.not.deep.equal(Array.from(p.weights[0]!));
      expect(Array.from((await learner.params('target')).weights[0]!)).to.deep.equal(Array.from(p.weights[0]!));
      learner.syncTarget();
      expect((await learner.params('target')).weights.map((w) => Array.from(w))).to.deep.equal(o1.weights.map((w) => Array.from(w)));
      learner.update(batch);
      expect((await learner.params('target')).weights.map((w) => Array.from(w))).to.deep.equal(o1.weights.map((w) => Array.from(w)));
      expect(Array.from(o1.obsOffset)).to.deep.equal(Array.from(p.obsOffset));
    } finally {
      learner.dispose();
    }
  });

  it('dispose() frees every tensor it created (variables, Adam state, constants)', async () => {
    const rng = new Rng(60);
    const p = randomDqnParams(rng, [3, 8, 2]);
    const before = tf.memory().numTensors;
    const learner = new DqnLearner(p, { ...OPTS, gradClip: 1 });
    learner.update(randomBatch(rng, p, 8));
    await learner.takeLossMean();
    learner.dispose();
    expect(tf.memory().numTensors).to.equal(before);
  });
});
