import { expect } from 'chai';
import { Rng } from '../../../../sdk/util/rng.js';
import { ReplayBuffer } from '../../../../sdk/replay.js';
import { qValues } from '../../../../models/gmmqf/reference.js';
import { hadamardProduct } from '../../../../models/gmmqf/hadamard.js';
import { SgmmqfLearner, type SgmmqfLearnerOptions } from '../../../../sdk/algorithms/learners/sgmmqf.js';

const K = 6;
const D = 2;
const A = 3;
const J = 2;
const OPTS: SgmmqfLearnerOptions = {
  batchSize: 16,
  gamma: 0.9,
  rho: 1e-4,
  lrMeans: 1e-2,
  lrCovariances: 1e-2,
  lrFactors: 1e-2,
  beta1: 0.9,
  beta2: 0.999,
  adamEps: 1e-8,
  targetUpdate: 0,
};

function learner(opts: Partial<SgmmqfLearnerOptions> = {}, seed = 1): SgmmqfLearner {
  const rng = new Rng(seed);
  const means = Float64Array.from({ length: K * D }, () => rng.normal());
  const covariances = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) for (let j = 0; j < D; j++) covariances[k * D * D + j * D + j] = 0.5;
  const values = Float64Array.from({ length: J * K * A }, () => 0.5 * rng.normal());
  return new SgmmqfLearner({ means, covariances, factors: { J, K, A, values } }, { ...OPTS, ...opts });
}

function buffer(seed = 2): ReplayBuffer {
  const rng = new Rng(seed);
  const buf = new ReplayBuffer(200, D);
  for (let i = 0; i < 200; i++) {
    const s = [rng.normal(), rng.normal()];
    buf.push(s, rng.integer(A), s[0]! > 0 ? 1 : 0, [s[0]! + 0.1 * rng.normal(), s[1]! + 0.1 * rng.normal()], rng.uniform() < 0.05);
  }
  return buf;
}

/** The float64 reference model of the learner's live parameters (normalized features: offset 0, scale 1). */
const reference = (L: SgmmqfLearner) => ({
  K,
  D,
  A,
  means: L.means,
  covariances: L.covariances,
  weights: L.weights,
  obsOffset: new Float64Array(D),
  obsScale: new Float64Array(D).fill(1),
});

describe('sdk/algorithms/learners/sgmmqf (SgmmqfLearner)', () => {
  it('computeTargets: r + γ(1 − terminated)·max_a Q(s′, a) of the live model (float64 reference), the newest transition first', () => {
    const L = learner();
    const buf = buffer();
    L.sample(buf, new Rng(3));
    L.computeTargets();
    const b = L.batch!;
    expect(Array.from(b.obs.subarray(0, D))).to.deep.equal(
      Array.from(buf.stored().obs.subarray(buf.newestIndex * D, buf.newestIndex * D + D)),
    );
    const q = qValues(reference(L), b.nextObs, L.T);
    for (let t = 0; t < L.T; t++) {
      const want = b.rewards[t]! + (b.terminated[t] ? 0 : 0.9 * Math.max(q[3 * t]!, q[3 * t + 1]!, q[3 * t + 2]!));
      expect(L.targets[t]).to.be.closeTo(want, 1e-12 * (1 + Math.abs(want)));
      expect(L.actions[t]).to.equal(b.actions[t]);
    }
  });

  it('update() is its phases in order; the weights stay the product of the factors; with γ = 0 (regression on r) the loss falls', () => {
    const a = learner({ gamma: 0 });
    const b = learner({ gamma: 0 });
    const buf = buffer();
    const ra = new Rng(5);
    const rb = new Rng(5);
    const losses: number[] = [];
    for (let i = 0; i < 300; i++) {
      losses.push(a.update(buf, ra));
      b.sample(buf, rb);
      b.computeTargets();
      b.lossAndGradients();
      b.stepFactorsAndMeans();
      b.stepCovariances();
      b.refreshPrecisions();
    }
    expect(a.updates).to.equal(300);
    expect(Array.from(a.means)).to.deep.equal(Array.from(b.means));
    expect(Array.from(a.covariances)).to.deep.equal(Array.from(b.covariances));
    expect(Array.from(a.factors.values)).to.deep.equal(Array.from(b.factors.values));
    expect(Array.from(a.weights)).to.deep.equal(Array.from(hadamardProduct(a.factors)));
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    expect(mean(losses.slice(-30))).to.be.lessThan(0.5 * mean(losses.slice(0, 30)));
  });

  it('targetUpdate = 3: targets come from a frozen copy, refreshed after every third update', () => {
    const L = learner({ targetUpdate: 3 });
    const buf = buffer();
    L.sample(buf, new Rng(7));
    const b0 = L.batch!;
    const batch = {
      size: b0.size,
      obs: b0.obs.slice(),
      actions: b0.actions.slice(),
      rewards: b0.rewards.slice(),
      nextObs: b0.nextObs.slice(),
      terminated: b0.terminated.slice(),
    };
    // the learner gathers into its batch in place, so each check gets a fresh copy of the fixed one
    const targetsNow = (): number[] => {
      L.batch = {
        ...batch,
        obs: batch.obs.slice(),
        actions: batch.actions.slice(),
        rewards: batch.rewards.slice(),
        nextObs: batch.nextObs.slice(),
        terminated: batch.terminated.slice(),
      };
      L.computeTargets();
      return Array.from(L.targets);
    };
    const y0 = targetsNow();
    const rng = new Rng(8);
    const step = () => void L.update(buf, rng);
    step();
    step();
    expect(targetsNow()).to.deep.equal(y0); // two updates: the copy is still the initial model
    step();
    const y3 = targetsNow();
    expect(y3).to.not.deep.equal(y0); // the third refreshed it
    const q = qValues(reference(L), batch.nextObs, L.T);
    for (let t = 0; t < L.T; t++) {
      const want = batch.rewards[t]! + (batch.terminated[t] ? 0 : 0.9 * Math.max(q[3 * t]!, q[3 * t + 1]!, q[3 * t + 2]!));
      expect(y3[t]).to.be.closeTo(want, 1e-12 * (1 + Math.abs(want)));
    }
  });
});
