/**
 * The squashed Gaussian mixture as a TensorFlow.js distribution (Stable-Baselines3's
 * `Distribution` shape: sample with reparameterization, log-density, greedy mode), over a batch of
 * B states. Formulas and layout: head.ts. All methods must run inside tf.tidy.
 *
 * Points are passed pre-squash (u, a = tanh u) in [B, M, A]: M points per state, each evaluated
 * against all K components (the MRP estimator evaluates its K per-component samples this way).
 */
import * as tf from '@tensorflow/tfjs-core';
import { headOutputSize, type MixtureHeadSpec } from './head.js';
import { withoutGradient } from '../actor-critic/tf-mlp.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export class SquashedGaussianMixture {
  readonly B: number;
  readonly K: number;
  readonly A: number;

  /**
   * @param logW log-weights [B, K] (log-softmax of logits, or log(1/K))
   * @param mu means [B, K, A]
   * @param logStd log standard deviations [B, K, A]
   */
  constructor(
    readonly logW: tf.Tensor2D,
    readonly mu: tf.Tensor3D,
    readonly logStd: tf.Tensor3D,
  ) {
    [this.B, this.K, this.A] = mu.shape;
  }

  /** Builds the distribution from the actor MLP's output [B, headOutputSize(h)]. */
  static fromHead(h: MixtureHeadSpec, out: tf.Tensor2D): SquashedGaussianMixture {
    const { K, A } = h;
    const B = out.shape[0];
    const nl = h.weights === 'learned' ? K : 0;
    if (out.shape[1] !== headOutputSize(h)) throw new Error(`SquashedGaussianMixture: head width ${out.shape[1]} ≠ ${headOutputSize(h)}.`);
    const logW =
      h.weights === 'learned'
        ? (tf.logSoftmax(tf.slice(out, [0, 0], [B, K])) as tf.Tensor2D)
        : (tf.fill([B, K], -Math.log(K)) as tf.Tensor2D);
    const mu = tf.reshape(tf.slice(out, [0, nl], [B, K * A]), [B, K, A]) as tf.Tensor3D;
    const rho = tf.reshape(tf.slice(out, [0, nl + K * A], [B, K * A]), [B, K, A]);
    const span = 0.5 * (h.logStdMax - h.logStdMin);
    const logStd = tf.add(tf.mul(tf.add(tf.tanh(rho), 1), span), h.logStdMin) as tf.Tensor3D;
    return new SquashedGaussianMixture(logW, mu, logStd);
  }

  /** Mixture weights w [B, K]. */
  weights(): tf.Tensor2D {
    return tf.exp(this.logW);
  }

  /** One reparameterized pre-squash sample from each component: u_k = μ_k + σ_k ⊙ ε_k, eps [B, K, A] → [B, K, A]. */
  rsampleEach(eps: tf.Tensor3D): tf.Tensor3D {
    return tf.add(this.mu, tf.mul(tf.exp(this.logStd), eps));
  }

  /**
   * Reparameterized samples from chosen components: `onehot` [B, M, K] picks component k for point m,
   * eps [B, M, A]; returns u [B, M, A] (gradients reach μ and σ of the chosen components only).
   */
  rsampleChosen(onehot: tf.Tensor3D, eps: tf.Tensor3D): tf.Tensor3D {
    const [B, M, K] = onehot.shape;
    const pick = (t: tf.Tensor3D) => tf.sum(tf.mul(tf.reshape(onehot, [B, M, K, 1]), tf.reshape(t, [B, 1, K, this.A])), 2) as tf.Tensor3D; // [B, M, A]
    return tf.add(pick(this.mu), tf.mul(pick(tf.exp(this.logStd)), eps));
  }

  /**
   * Component choice by the inverse CDF of the (gradient-free) weights: uniform [B, M] → one-hot [B, M, K].
   * k = #{j : u ≥ w₀ + … + w_j}, capped at K − 1 (the host's componentFromUniform).
   */
  chooseComponents(uniform: tf.Tensor2D): tf.Tensor3D {
    const [B, M] = uniform.shape;
    const K = this.K;
    // the weights and the uniforms travel together so that the whole choice runs off the tape
    const packed = tf.concat([this.weights(), uniform], 1);
    return withoutGradient((wu) => {
      const cdf = tf.cumsum(tf.slice(wu, [0, 0], [B, K]), 1); // [B, K]
      const u = tf.slice(wu, [0, K], [B, M]);
      const below = tf.cast(tf.lessEqual(tf.expandDims(cdf, 1), tf.expandDims(u, 2)), 'float32'); // [B, M, K]
      const k = tf.minimum(tf.sum(below, 2), K - 1);
      return tf.cast(tf.equal(tf.expandDims(k, 2), tf.reshape(tf.range(0, K, 1, 'float32'), [1, 1, K])), 'float32') as tf.Tensor3D;
    }, packed);
  }

  /** log π(tanh u) for points u [B, M, A] → [B, M]. */
  logProb(u: tf.Tensor3D): tf.Tensor2D {
    const [B, M, A] = u.shape;
    const K = this.K;
    const z = tf.div(tf.sub(tf.reshape(u, [B, M, 1, A]), tf.reshape(this.mu, [B, 1, K, A])), tf.exp(tf.reshape(this.logStd, [B, 1, K, A])));
    // Σ_d log N(u_d; μ_kd, σ_kd²)  [B, M, K]
    const logN = tf.sub(tf.mul(tf.sum(tf.square(z), 3), -0.5), tf.add(tf.reshape(tf.sum(this.logStd, 2), [B, 1, K]), A * HALF_LOG_2PI));
    const mix = tf.logSumExp(tf.add(logN, tf.reshape(this.logW, [B, 1, K])), 2) as tf.Tensor2D;
    return tf.sub(mix, squashCorrection(u)) as tf.Tensor2D;
  }

  /** Greedy pre-squash action μ_k* of the highest-weight component [B, A] (tanh it for the action). */
  modeU(): tf.Tensor2D {
    const onehot = withoutGradient(
      (lw) => tf.reshape(tf.cast(tf.oneHot(tf.argMax(lw, 1), this.K), 'float32'), [this.B, this.K, 1]),
      this.logW,
    );
    return tf.sum(tf.mul(onehot, this.mu), 1) as tf.Tensor2D;
  }
}

/** Σ_d log(1 − tanh²(u_d)) over the last axis: 2 (log 2 − u − softplus(−2u)). [B, M, A] → [B, M]. */
function squashCorrection(u: tf.Tensor3D): tf.Tensor2D {
  return tf.mul(tf.sum(tf.sub(tf.sub(Math.LN2, u), tf.softplus(tf.mul(u, -2))), 2), 2) as tf.Tensor2D;
}
