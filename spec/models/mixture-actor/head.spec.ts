import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../sdk/backend.js';
import { Rng } from '../../../sdk/util/rng.js';
import { SquashedGaussianMixture } from '../../../models/mixture-actor/distribution.js';
import {
  componentFromUniform,
  greedyAction,
  headOutputSize,
  logOneMinusTanhSq,
  mixtureLogProbU,
  parseHead,
  sampleAction,
  type MixtureHeadSpec,
} from '../../../models/mixture-actor/head.js';
import { expectClose } from '../../helpers.js';

const H3: MixtureHeadSpec = { K: 3, A: 1, weights: 'learned', logStdMin: -5, logStdMax: 2 };

describe('mixture actor head (float64 reference and the TensorFlow.js distribution)', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('log(1 − tanh² u) is exact and stable, including |u| = 30', () => {
    for (const u of [-3, -0.5, 0, 0.7, 2]) expectClose(logOneMinusTanhSq(u), Math.log(1 - Math.tanh(u) ** 2), { rtol: 1e-12, atol: 1e-14 });
    // 1 − tanh²(30) underflows in float64; the identity gives 2 (log 2 − 30 − softplus(−60)) ≈ −58.6
    expectClose(logOneMinusTanhSq(30), 2 * (Math.LN2 - 30), { rtol: 1e-12 });
  });

  it('the mixture density with the tanh correction integrates to 1 over (−1, 1)', () => {
    for (const theta of [
      [0.3, -0.2, 0.5, -0.6, 0.1, 0.7, 0.0, 0.3, -0.1],
      [2.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.2],
    ]) {
      const v = parseHead(H3, theta);
      const n = 400000;
      let integral = 0;
      let withoutCorrection = 0;
      for (let i = 0; i < n; i++) {
        const a = -1 + (2 * (i + 0.5)) / n;
        const u = Math.atanh(a);
        const lp = mixtureLogProbU(H3, v, [u]);
        integral += Math.exp(lp) * (2 / n);
        withoutCorrection += Math.exp(lp + logOneMinusTanhSq(u)) * (2 / n);
      }
      expectClose(integral, 1, { atol: 1e-4 });
      // dropping the correction is visibly wrong, so the check above tests it
      expect(Math.abs(withoutCorrection - 1)).to.be.greaterThan(0.05);
    }
  });

  it('parses the layout [logits | μ | ρ] and bounds log σ in [min, max]', () => {
    const out = [0, Math.log(3), 0, 0.1, 0.2, 0.3, -100, 0, 100];
    const v = parseHead(H3, out);
    expectClose(Array.from(v.logW, Math.exp), [0.2, 0.6, 0.2], { rtol: 1e-12 });
    expectClose(v.mu, [0.1, 0.2, 0.3], { rtol: 0 });
    expectClose(v.logStd, [-5, -1.5, 2], { atol: 1e-12 });
    expect(greedyAction(H3, v)[0]).to.equal(Math.tanh(0.2));
    expect(headOutputSize({ K: 5, A: 2, weights: 'learned' })).to.equal(25);
    expect(headOutputSize({ K: 5, A: 2, weights: 'uniform' })).to.equal(20);
  });

  it('picks components by the inverse CDF, and the sampled components follow the weights', () => {
    const logW = [Math.log(0.2), Math.log(0.5), Math.log(0.3)];
    expect(componentFromUniform(logW, 0)).to.equal(0);
    expect(componentFromUniform(logW, 0.19999)).to.equal(0);
    expect(componentFromUniform(logW, 0.2000001)).to.equal(1);
    expect(componentFromUniform(logW, 0.69999)).to.equal(1);
    expect(componentFromUniform(logW, 0.99999999)).to.equal(2);
    const v = { logW: Float64Array.from(logW), mu: Float64Array.from([-0.5, 0, 0.5]), logStd: Float64Array.from([-2, -2, -2]) };
    const rng = new Rng(5);
    const counts = [0, 0, 0];
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sampleAction(H3, v, rng.uniform(), [rng.normal()]).k]!++;
    [0.2, 0.5, 0.3].forEach((w, k) => expect(Math.abs(counts[k]! / n - w)).to.be.below(4 * Math.sqrt((w * (1 - w)) / n)));
  });

  it('the TensorFlow.js distribution matches the host: log π, component choice, greedy mode', () => {
    const H: MixtureHeadSpec = { K: 4, A: 2, weights: 'learned', logStdMin: -5, logStdMax: 2 };
    const rng = new Rng(9);
    const B = 5;
    const M = 3;
    const P = headOutputSize(H);
    const out = Float32Array.from({ length: B * P }, () => rng.normal());
    const u = Float32Array.from({ length: B * M * 2 }, () => 1.5 * rng.normal());
    const uni = Float32Array.from({ length: B * M }, () => rng.uniform());
    const [lp, choice, mode] = tf.tidy(() => {
      const d = SquashedGaussianMixture.fromHead(H, tf.tensor2d(out, [B, P]));
      return [
        d.logProb(tf.tensor3d(u, [B, M, 2])).dataSync(),
        d.chooseComponents(tf.tensor2d(uni, [B, M])).dataSync(),
        d.modeU().dataSync(),
      ];
    });
    for (let b = 0; b < B; b++) {
      const v = parseHead(H, out, b);
      for (let m = 0; m < M; m++) {
        const pt = [u[(b * M + m) * 2]!, u[(b * M + m) * 2 + 1]!];
        expectClose(lp[b * M + m]!, mixtureLogProbU(H, v, pt), { rtol: 1e-4, atol: 1e-4 }, `log π b${b} m${m}`);
        const k = componentFromUniform(v.logW, uni[b * M + m]!);
        expect(Array.from(choice.subarray((b * M + m) * 4, (b * M + m + 1) * 4))).to.deep.equal([0, 1, 2, 3].map((j) => (j === k ? 1 : 0)));
      }
      const g = greedyAction(H, v);
      expectClose([Math.tanh(mode[b * 2]!), Math.tanh(mode[b * 2 + 1]!)], g, { rtol: 1e-6, atol: 1e-7 });
    }
  });
});
