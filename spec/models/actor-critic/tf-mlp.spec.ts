import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../sdk/backend.js';
import { Rng } from '../../../sdk/util/rng.js';
import { initMlp, mlpForward } from '../../../models/actor-critic/mlp.js';
import { TfMlp } from '../../../models/actor-critic/tf-mlp.js';
import { expectClose } from '../../helpers.js';

describe('actor-critic MLPs: the fast-kernel dense layer', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    describe(backend, () => {
      before(async () => {
        await selectBackend(backend);
      });

      it('forward equals the float64 reference; gradients equal tfjs autodiff of the plain layers', () => {
        const p = initMlp([5, 7, 6, 3], new Rng(1));
        const net = new TfMlp(p);
        try {
          const rng = new Rng(2);
          const x = Float32Array.from({ length: 4 * 5 }, () => rng.normal());
          const w = Float32Array.from({ length: 4 * 3 }, () => rng.normal());
          const ref = mlpForward(p, x, 4);
          const { y, gFast, gPlain, gx, gxPlain } = tf.tidy(() => {
            const xt = tf.tensor2d(x, [4, 5]);
            const wt = tf.tensor2d(w, [4, 3]);
            const plain = (inp: tf.Tensor2D) => {
              let h: tf.Tensor2D = inp;
              for (let l = 0; l < 3; l++) {
                const z = tf.add(tf.matMul(h, net.W[l]!), net.b[l]!) as tf.Tensor2D;
                h = l < 2 ? tf.relu(z) : z;
              }
              return h;
            };
            const fast = tf.variableGrads(() => tf.sum(tf.mul(net.forward(xt), wt)) as tf.Scalar, net.vars());
            const slow = tf.variableGrads(() => tf.sum(tf.mul(plain(xt), wt)) as tf.Scalar, net.vars());
            return {
              y: net.forward(xt).dataSync(),
              gFast: net.vars().map((v) => fast.grads[v.name]!.dataSync()),
              gPlain: net.vars().map((v) => slow.grads[v.name]!.dataSync()),
              gx: tf
                .grad((inp: tf.Tensor) => tf.sum(tf.mul(net.forwardInputGrad(inp as tf.Tensor2D), wt)))(xt)
                .dataSync(),
              gxPlain: tf
                .grad((inp: tf.Tensor) => tf.sum(tf.mul(plain(inp as tf.Tensor2D), wt)))(xt)
                .dataSync(),
            };
          });
          expectClose(y, ref, { rtol: 1e-5, atol: 1e-6 }, 'forward');
          gFast.forEach((g, i) => expectClose(g, gPlain[i]!, { rtol: 1e-5, atol: 1e-6 }, `grad ${net.vars()[i]!.name}`));
          expectClose(gx, gxPlain, { rtol: 1e-5, atol: 1e-6 }, 'input gradient');
          expect(Math.max(...Array.from(gx, Math.abs))).to.be.greaterThan(0);
        } finally {
          net.dispose();
        }
      });

      it('forwardInputGrad gives the parameters no gradient; polyakFrom averages exactly', () => {
        const a = new TfMlp(initMlp([2, 4, 1], new Rng(3)));
        const b = new TfMlp(initMlp([2, 4, 1], new Rng(4)), false);
        try {
          // the parameters are not even on the tape: tfjs finds no path from them to the output
          expect(() =>
            tf.tidy(() => tf.variableGrads(() => tf.sum(a.forwardInputGrad(tf.ones([3, 2]) as tf.Tensor2D)) as tf.Scalar, a.vars())),
          ).to.throw(/Cannot find a connection between any variable/);
          const pa = a.params();
          const pb = b.params();
          b.polyakFrom(a, 0.25);
          const pc = b.params();
          for (let l = 0; l < 2; l++)
            expectClose(
              pc.weights[l]!,
              Array.from(pb.weights[l]!, (v, i) => v + 0.25 * (pa.weights[l]![i]! - v)),
              { rtol: 1e-6, atol: 1e-7 },
            );
        } finally {
          a.dispose();
          b.dispose();
        }
      });
    });
  }
});
