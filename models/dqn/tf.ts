/**
 * The DQN Q-network in TensorFlow.js, inference mirroring the exported ONNX graph op for op.
 *
 * Op order, shared by `dqnQValuesTf`, the learner's forward pass (sdk/algorithms/learners/dqn.ts,
 * on a TfMlp's `forwardGraph`) and exporters/onnx/dqn.ts:
 *   z = (obs − offset) / scale;  per layer: matMul(x, W), add(·, b), relu (not on the output layer);
 * the layers are models/actor-critic/tf-mlp.ts's `graphLayers`, the one MLP stack of the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DqnParams } from './params.js';
import { graphLayers } from '../actor-critic/tf-mlp.js';

/** Q values [N, A] (float32) for raw observations [N, D], computed exactly as the ONNX graph does. */
export function dqnQValuesTf(p: DqnParams, obs: Float32Array, n: number): Float32Array {
  const D = p.layers[0]!;
  const L = p.layers.length - 1;
  return tf.tidy(() => {
    const x = tf.div(
      tf.sub(tf.tensor2d(obs, [n, D], 'float32'), tf.tensor1d(Float32Array.from(p.obsOffset))),
      tf.tensor1d(Float32Array.from(p.obsScale)),
    ) as tf.Tensor2D;
    const W = Array.from({ length: L }, (_, l) => tf.tensor2d(Float32Array.from(p.weights[l]!), [p.layers[l]!, p.layers[l + 1]!]));
    const b = Array.from({ length: L }, (_, l) => tf.tensor1d(Float32Array.from(p.biases[l]!)));
    return graphLayers(x, W, b).dataSync() as Float32Array;
  });
}
