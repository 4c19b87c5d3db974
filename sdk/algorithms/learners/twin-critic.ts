/**
 * Twin Q-critics with Polyak-averaged targets (TD3 / SAC), shared by every actor-critic learner.
 *
 * Each critic is an MLP [D + A, hidden…, 1] on the concatenation of the normalized observation and
 * the policy-scale action a ∈ [−1, 1]^A. The critic loss is Σ_j mean_i (Q_j(s_i, a_i) − y_i)²
 * (CleanRL's qf1_loss + qf2_loss), minimized with Adam; targets follow θ' ← (1 − τ) θ' + τ θ.
 * All methods except `params` run without host reads and must be called inside tf.tidy where noted.
 * The networks are models/actor-critic/tf-mlp.ts's TfMlp; this file owns the optimizer and the update.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type MlpParams, cloneMlp } from '../../../models/actor-critic/mlp.js';
import { TfMlp, polyakUpdate } from '../../../models/actor-critic/tf-mlp.js';
import { FlatAdam, gradListOrder, readFlatAdam, readVars, writeAdam, writeVars, type TfAdamOptions } from './tf-adam.js';
import type { StateReader, StateWriter } from '../training-state.js';

/** The twin critics, their Polyak targets and the critics' Adam optimizer. */
export class TwinCritic {
  readonly q: [TfMlp, TfMlp];
  readonly target: [TfMlp, TfMlp];
  private readonly opt: FlatAdam;

  constructor(init: readonly [MlpParams, MlpParams], adam: TfAdamOptions) {
    this.q = [new TfMlp(init[0], true, 'critic 1'), new TfMlp(init[1], true, 'critic 2')];
    this.target = [new TfMlp(cloneMlp(init[0]), false, 'target critic 1'), new TfMlp(cloneMlp(init[1]), false, 'target critic 2')];
    this.opt = new FlatAdam(adam, [gradListOrder(this.q[0].vars()), gradListOrder(this.q[1].vars())]);
  }

  /** [Q₁, Q₂] of the online critics, each [N], gradients to the inputs only (actor losses). Inside tidy. */
  qInputGrad(obs: tf.Tensor2D, act: tf.Tensor2D): [tf.Tensor1D, tf.Tensor1D] {
    const x = tf.concat([obs, act], 1);
    return [tf.reshape(this.q[0].forwardInputGrad(x), [-1]) as tf.Tensor1D, tf.reshape(this.q[1].forwardInputGrad(x), [-1]) as tf.Tensor1D];
  }

  /** min(Q₁, Q₂) [N], gradients to the inputs only. Inside tidy. */
  minInputGrad(obs: tf.Tensor2D, act: tf.Tensor2D): tf.Tensor1D {
    const [a, b] = this.qInputGrad(obs, act);
    return tf.minimum(a, b);
  }

  /** min(Q₁, Q₂) [N] of the online critics, no gradients. Inside tidy. */
  minConst(obs: tf.Tensor2D, act: tf.Tensor2D): tf.Tensor1D {
    const x = tf.concat([obs, act], 1);
    return tf.reshape(tf.minimum(this.q[0].forwardConst(x), this.q[1].forwardConst(x)), [-1]) as tf.Tensor1D;
  }

  /** min(Q'₁, Q'₂) [N] of the target critics, no gradients. Inside tidy. */
  targetMin(obs: tf.Tensor2D, act: tf.Tensor2D): tf.Tensor1D {
    const x = tf.concat([obs, act], 1);
    return tf.reshape(tf.minimum(this.target[0].forwardConst(x), this.target[1].forwardConst(x)), [-1]) as tf.Tensor1D;
  }

  /**
   * The clipped double-Q target of TD3 ([TD3]; REFERENCES.md) y = r + γ·(1 − d)·min(Q'₁, Q'₂)(s', a')
   * [B], with a' the (smoothed) target action; TD3 and Gamid-PG both use it. Inside tidy.
   */
  clippedTarget(
    batch: { rewards: Float32Array; notDone: Float32Array },
    gamma: number,
    next: tf.Tensor2D,
    nextAction: tf.Tensor2D,
  ): tf.Tensor1D {
    return tf.add(
      tf.tensor1d(batch.rewards),
      tf.mul(tf.mul(tf.tensor1d(batch.notDone), gamma), this.targetMin(next, nextAction)),
    ) as tf.Tensor1D;
  }

  /** One Adam step on Σ_j mean (Q_j(s, a) − y)²; returns the loss (a tensor, not read back). Inside tidy. */
  update(obs: tf.Tensor2D, act: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
    const x = tf.concat([obs, act], 1);
    const yc = tf.reshape(y, [-1, 1]);
    const { value, grads } = tf.variableGrads(
      () => tf.add(tf.mean(tf.square(tf.sub(this.q[0].forward(x), yc))), tf.mean(tf.square(tf.sub(this.q[1].forward(x), yc)))) as tf.Scalar,
      [...this.q[0].vars(), ...this.q[1].vars()],
    );
    this.opt.applyGradients(grads);
    return value;
  }

  /** Polyak step of both targets (τ a float32 scalar the learner keeps). */
  updateTargets(tau: tf.Scalar): void {
    this.target.forEach((t, i) => polyakUpdate([t], [this.q[i]!], tau));
  }

  /** Both critics, both targets and the critics' Adam state, exactly (float32). */
  saveState(w: StateWriter): void {
    this.q.forEach((n, i) => writeVars(w, `q${i}`, n.vars()));
    this.target.forEach((n, i) => writeVars(w, `target${i}`, n.vars()));
    writeAdam(w, 'adam', this.opt);
  }

  restoreState(r: StateReader): void {
    this.q.forEach((n, i) => readVars(r, `q${i}`, n.vars()));
    this.target.forEach((n, i) => readVars(r, `target${i}`, n.vars()));
    readFlatAdam(r, 'adam', this.opt);
  }

  params(): [MlpParams, MlpParams] {
    return [this.q[0].params(), this.q[1].params()];
  }

  dispose(): void {
    this.q.forEach((n) => n.dispose());
    this.target.forEach((n) => n.dispose());
    this.opt.dispose();
  }
}

/** Scores Q₁(z, μ_i) of N component actions μ [N·A] through the online critic (reads back). */
export function scoreComponents(critic: TwinCritic, z: Float32Array, mu: Float32Array, N: number, D: number, A: number): Float32Array {
  return tf.tidy(() => {
    const obs = tf.tile(tf.tensor2d(z, [1, D]), [N, 1]) as tf.Tensor2D;
    return critic.q[0].forwardConst(tf.concat([obs, tf.tensor2d(mu, [N, A])], 1)).dataSync() as Float32Array;
  });
}
