/**
 * The float32 error bound (models/gmmqf/float32-bound.ts) against real float32 errors: the
 * TensorFlow.js evaluation (the graph's op sequence) of acrobot-angles and identity models vs the
 * float64 reference. (ONNX Runtime against the same bound: spec/exporters/gmmqf.spec.ts.)
 */
import { expect } from 'chai';
import { Rng } from '../../../sdk/util/rng.js';
import { selectBackend } from '../../../sdk/backend.js';
import { qValuesTf } from '../../../models/gmmqf/tf.js';
import { precisionFactors, qValues } from '../../../models/gmmqf/reference.js';
import { U32, qErrorBound } from '../../../models/gmmqf/float32-bound.js';
import { applyFeatures } from '../../../models/gmmqf/features.js';
import { acrobotObservations, acrobotParams, randomObs, randomParams } from './fixtures.js';

function worst(actual: ArrayLike<number>, expected: ArrayLike<number>, bound: ArrayLike<number>): { ratio: number; index: number } {
  let ratio = 0;
  let index = -1;
  for (let i = 0; i < expected.length; i++) {
    const r = Math.abs(actual[i]! - expected[i]!) / bound[i]!;
    if (!(r <= ratio)) {
      ratio = r;
      index = i;
    }
  }
  return { ratio, index };
}

describe('models/gmmqf/float32-bound', () => {
  before(async () => {
    await selectBackend('auto');
  });

  for (const [K, A, seed] of [
    [1, 3, 1],
    [12, 3, 2],
    [50, 3, 3],
    [20, 5, 4],
  ] as const) {
    it(`acrobot-angles K=${K} A=${A}: float32 (TensorFlow.js) q within the bound of the float64 reference, near the ±π cut included`, () => {
      const rng = new Rng(100 + seed);
      const p = acrobotParams(rng, K, A);
      const N = 2000;
      const obs = acrobotObservations(rng, p, N);
      const W = precisionFactors(p.covariances, K, 4);
      const ref = qValues(p, obs, N, W);
      const bound = qErrorBound(p, obs, N, W);
      const q = qValuesTf(p, obs, N);
      const w = worst(q, ref, bound);
      if (process.env['GMMRL_DEBUG']) console.log(`acrobot K=${K}: worst ratio ${w.ratio.toFixed(3)}`);
      expect(w.ratio, `entry ${w.index}: tf ${q[w.index]} ref ${ref[w.index]} bound ${bound[w.index]}`).to.be.at.most(2);
      // not vacuous: relative to Σ|ξ| the bound stays small wherever it is finite
      let sumAbs = 0;
      for (const x of p.weights) sumAbs += Math.abs(x);
      for (const b of bound) expect(b / sumAbs).to.be.below(1e-4);
    });
  }

  it('the feature term is part of the bound: it exceeds the bound of the same model fed exact features', () => {
    const rng = new Rng(7);
    const p = acrobotParams(rng, 12, 3);
    const N = 400;
    const obs = acrobotObservations(rng, p, N)
      .filter((_, i) => Math.floor(i / 6) % 4 === 0)
      .slice(0, (N / 4) * 6);
    const n = obs.length / 6;
    const withFeatures = qErrorBound(p, obs, n);
    // the same kernels on the float64 features (no feature map, so no feature error term)
    const { features: _f, ...identity } = p;
    const phi = applyFeatures('acrobot-angles', obs, n, 4);
    const exact = qErrorBound(identity, phi, n);
    let larger = 0;
    for (let i = 0; i < withFeatures.length; i++) {
      expect(withFeatures[i]).to.be.at.least(exact[i]!);
      if (withFeatures[i]! > exact[i]! * (1 + 1e-3)) larger++;
    }
    expect(larger).to.be.greaterThan(withFeatures.length / 2);
  });

  it('identity models: unchanged behaviour (q within the bound; raw observations are the features)', () => {
    const rng = new Rng(8);
    const p = randomParams(rng, 20, 4, 3);
    const obs = randomObs(rng, p, 500);
    const ref = qValues(p, obs, 500);
    const bound = qErrorBound(p, obs, 500);
    expect(worst(qValuesTf(p, obs, 500), ref, bound).ratio).to.be.at.most(2);
    expect(U32).to.equal(2 ** -24);
  });

  it('a signed-zero input (graph and Math.atan2 differ there by design) gets an infinite bound for its row only', () => {
    const p = acrobotParams(new Rng(9), 4, 3);
    const obs = Float32Array.from([-1, -0, 1, 0, 0.1, 0.2, -1, 1e-3, 1, 0, 0.1, 0.2]);
    const b = qErrorBound(p, obs, 2);
    expect(Array.from(b.subarray(0, 3))).to.deep.equal([Infinity, Infinity, Infinity]);
    for (const x of b.subarray(3)) expect(Number.isFinite(x)).to.equal(true);
  });
});
