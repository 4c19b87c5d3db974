/**
 * The TensorFlow.js Adam optimizer as every tfjs learner builds it (DQN, the twin critics, the SAC,
 * TD3 and Gamid actors, the bandit actor), and the gradient list its applyGradients takes.
 */
import * as tf from '@tensorflow/tfjs';

/** Adam hyperparameters of a TensorFlow.js optimizer (defaults β = (0.9, 0.999), ε = 1e-8). */
export interface TfAdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** tf.train.adam with these options. */
export function makeAdam(o: TfAdamOptions): tf.AdamOptimizer {
  return tf.train.adam(o.learningRate, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.epsilon ?? 1e-8);
}

/** A gradient map as the list Optimizer.applyGradients takes. */
export function gradList(grads: tf.NamedTensorMap): { name: string; tensor: tf.Tensor }[] {
  return Object.keys(grads).map((name) => ({ name, tensor: grads[name]! }));
}
