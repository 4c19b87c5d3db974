/**
 * Float64 reference of the DQN Q-network and of its TD loss, in plain typed arrays.
 *
 * This is the ground truth that the TensorFlow.js network (models/dqn/tf.ts), the exported ONNX
 * graph and the tests compare against. The op order is the graph's: z = (s − offset) / scale, then
 * per layer x · W + b and ReLU (not on the output layer).
 */
import type { DqnParams } from './params.js';
import { mlpLayerOutputs } from '../actor-critic/mlp.js';

export { argmaxRows } from '../gmmqf/reference.js';

/**
 * Every layer's output for a batch of raw observations [N, D]: `acts[0]` = z (normalized), `acts[l+1]`
 * = the output of layer l (after ReLU for hidden layers; the last is q [N, A]).
 */
export function dqnForward(p: DqnParams, obs: ArrayLike<number>, n: number): Float64Array[] {
  const D = p.layers[0]!;
  const z = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < D; j++) z[i * D + j] = (obs[i * D + j]! - p.obsOffset[j]!) / p.obsScale[j]!;
  }
  return [z, ...mlpLayerOutputs(p, z, n)];
}

/** Q values [N, A] (float64) for a batch of raw observations [N, D]. */
export function dqnQValues(p: DqnParams, obs: ArrayLike<number>, n: number): Float64Array {
  return dqnForward(p, obs, n).at(-1)!;
}

/** A batch of transitions (the shape of sdk/replay.ts's TransitionBatch; actions are indices). */
export interface DqnBatch {
  readonly size: number;
  /** [B, D] raw observations */
  readonly obs: ArrayLike<number>;
  /** [B] action indices */
  readonly actions: ArrayLike<number>;
  /** [B] */
  readonly rewards: ArrayLike<number>;
  /** [B, D] raw next observations */
  readonly nextObs: ArrayLike<number>;
  /** [B] 1 where the episode terminated (no bootstrap), else 0. Truncation is not termination. */
  readonly terminated: ArrayLike<number>;
}

/**
 * TD targets y [B]:
 *   DQN:         y = r + γ (1 − terminated) · max_a Q_target(s', a)
 *   Double DQN:  y = r + γ (1 − terminated) · Q_target(s', argmax_a Q_online(s', a))   (first index on ties)
 */
export function dqnTdTargets(online: DqnParams, target: DqnParams, batch: DqnBatch, gamma: number, double: boolean): Float64Array {
  const B = batch.size;
  const A = target.layers.at(-1)!;
  const qt = dqnQValues(target, batch.nextObs, B);
  const qo = double ? dqnQValues(online, batch.nextObs, B) : null;
  const y = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    let next: number;
    if (qo) {
      let best = 0;
      for (let a = 1; a < A; a++) if (qo[i * A + a]! > qo[i * A + best]!) best = a;
      next = qt[i * A + best]!;
    } else {
      next = qt[i * A]!;
      for (let a = 1; a < A; a++) next = Math.max(next, qt[i * A + a]!);
    }
    y[i] = batch.rewards[i]! + (batch.terminated[i] ? 0 : gamma * next);
  }
  return y;
}

/** Huber function h_δ(e) = ½e² for |e| ≤ δ, δ(|e| − ½δ) otherwise. */
export function huber(e: number, delta: number): number {
  const a = Math.abs(e);
  return a <= delta ? 0.5 * e * e : delta * (a - 0.5 * delta);
}

/** The TD loss 1/B Σ_i h_δ(Q_online(s_i, a_i) − y_i) with fixed targets y (float64). */
export function dqnTdLoss(online: DqnParams, batch: DqnBatch, targets: ArrayLike<number>, delta: number): number {
  const B = batch.size;
  const A = online.layers.at(-1)!;
  const q = dqnQValues(online, batch.obs, B);
  let s = 0;
  for (let i = 0; i < B; i++) s += huber(q[i * A + batch.actions[i]!]! - targets[i]!, delta);
  return s / B;
}
