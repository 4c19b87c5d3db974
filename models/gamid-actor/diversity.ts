/**
 * The diversity term of Gamid-PG ([Gamid-PG], Eq. 4), as a TensorFlow.js loss term for the actors'
 * update and as a float64 reference:
 *
 *   D_i(s) = −log Σ_{j≠i} exp(−‖μ_i(s) − μ_j(s)‖²)
 *
 * In the loss each component is pushed away from the others while they are held constant (a
 * stop-gradient on μ_j).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue } from '../../contract/errors.js';
import { stopGradient } from '../actor-critic/tf-mlp.js';

/**
 * D_i = −log Σ_{j≠i} exp(−‖μ_i − sg(μ_j)‖²) for μ [N, B, A] → [N, B] (others held constant through
 * the stop-gradient). Needs N ≥ 2. Inside tidy.
 */
export function diversityTerm(mu: tf.Tensor3D): tf.Tensor2D {
  const [N, B, A] = mu.shape;
  if (N < 2) throw new ValueError(`diversityTerm: needs at least 2 components; got N = ${describeValue(N)}.`);
  const diff = tf.sub(tf.reshape(mu, [N, 1, B, A]), tf.reshape(stopGradient(mu), [1, N, B, A]));
  const d2 = tf.sum(tf.square(diff), 3); // [N(i), N(j), B]
  const diag = tf.reshape(tf.mul(tf.eye(N), 1e30), [N, N, 1]); // j = i excluded: exp(−∞) = 0
  return tf.neg(tf.logSumExp(tf.sub(tf.neg(d2), diag), 1)) as tf.Tensor2D;
}

/** Float64 reference of D_i for one state: mu [N·A] → [N]. */
export function diversityTermReference(mu: ArrayLike<number>, N: number, A: number): Float64Array {
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const t: number[] = [];
    for (let j = 0; j < N; j++) {
      if (j === i) continue;
      let d2 = 0;
      for (let d = 0; d < A; d++) d2 += (mu[i * A + d]! - mu[j * A + d]!) ** 2;
      t.push(-d2);
    }
    const m = Math.max(...t);
    out[i] = -(m + Math.log(t.reduce((s, v) => s + Math.exp(v - m), 0)));
  }
  return out;
}
