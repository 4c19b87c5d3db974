import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { dqnQValuesTf } from '../../../models/dqn/tf.js';
import { dqnQValues } from '../../../models/dqn/reference.js';
import { dqnQErrorBound } from '../../../models/dqn/float32-bound.js';
import { selectBackend } from '../../../sdk/backend.js';
import { Rng } from '../../../sdk/util/rng.js';
import { randomDqnParams, randomObservations, worstRatio } from './fixtures.js';

describe('models/dqn/tf (TensorFlow.js inference)', function () {
  this.timeout(60_000);
  before(async () => {
    await selectBackend('auto');
  });

  for (const layers of [
    [4, 64, 64, 2],
    [6, 128, 128, 3],
    [3, 5],
  ]) {
    it(`[${layers}]: dqnQValuesTf (the graph op sequence) is within the float32 bound B of the float64 reference`, () => {
      const rng = new Rng(layers.length * 100 + layers[1]!);
      const p = randomDqnParams(rng, layers);
      const n = 400;
      const obs = randomObservations(rng, p, n);
      const q = dqnQValuesTf(p, obs, n);
      const ref = dqnQValues(p, obs, n);
      const bound = dqnQErrorBound(p, obs, n);
      const w = worstRatio(q, ref, bound);
      if (process.env['GMMRL_DEBUG']) console.log(`[${layers}] tfjs (${tf.getBackend()}) worst |Δq|/B ${w.ratio.toExponential(2)}`);
      expect(w.ratio, `entry ${w.index}: tf ${q[w.index]} ref ${ref[w.index]} B ${bound[w.index]}`).to.be.at.most(1);
    });
  }
});
