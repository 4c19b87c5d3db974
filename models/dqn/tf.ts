/**
 * The DQN Q-network in TensorFlow.js, inference mirroring the exported ONNX graph op for op.
 *
 * Op order, shared by `dqnQValuesTf`, the learner's forward pass (sdk/algorithms/learners/dqn.ts)
 * and exporters/onnx/dqn.ts:
 *   z = (obs − offset) / scale;  per layer: matMul(x, W), add(·, b), relu (not on the output layer).
 */
import * as tf from '@tensorflow/tfjs';
import type { DqnParams } from './params.js';

/** Q values [N, A] (float32) for raw observations [N, D], computed exactly as the ONNX graph does. */
export function dqnQValuesTf(p: DqnParams, obs: Float32Array, n: number): Float32Array {
  const D = p.layers[0]!;
  const L = p.layers.length - 1;
  return tf.tidy(() => {
    let x: tf.Tensor2D = tf.tensor2d(obs, [n, D], 'float32');
    x = tf.div(tf.sub(x, tf.tensor1d(Float32Array.from(p.obsOffset))), tf.tensor1d(Float32Array.from(p.obsScale)));
    for (let l = 0; l < L; l++) {
      const W = tf.tensor2d(Float32Array.from(p.weights[l]!), [p.layers[l]!, p.layers[l + 1]!]);
      const y = tf.add(tf.matMul(x, W), tf.tensor1d(Float32Array.from(p.biases[l]!))) as tf.Tensor2D;
      x = l < L - 1 ? tf.relu(y) : y;
    }
    return x.dataSync() as Float32Array;
  });
}
