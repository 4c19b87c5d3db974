/**
 * The update step of DQN and Double DQN (Mnih et al. 2015; van Hasselt et al. 2016): online and
 * target networks, TD targets, Huber loss, autodiff gradients, global-norm clipping, Adam. The loop
 * is dqn.ts (`trainDqn`).
 *
 * The forward pass is models/dqn/tf.ts's op order (the exported ONNX graph's):
 *   z = (obs − offset) / scale;  per layer: matMul(x, W), add(·, b), relu (not on the output layer).
 *
 * One `update` is one tf.tidy: targets (no gradient), tf.variableGrads of the loss, clipping, Adam,
 * and the loss accumulated on the device. Nothing is read back to the host inside it; the mean loss
 * since the last read comes back through `takeLossMean()` when the trainer logs.
 *
 * Every read-back is asynchronous (`await tensor.data()`, or readBack before a save): the same numbers
 * on every backend, and the only kind of read tfjs-backend-webgpu can do in Node, so DQN trains on
 * `--backend webgpu` there.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../../../contract/errors.js';
import { checkDqnParams, type DqnParams } from '../../../models/dqn/params.js';
import type { DqnBatch } from '../../../models/dqn/reference.js';
import { TfMlp } from '../../../models/actor-critic/tf-mlp.js';
import { FlatAdam, readBack, readFlatAdam, readVars, writeAdam, writeVars } from './tf-adam.js';
import type { StateReader, StateWriter } from '../training-state.js';

export interface DqnLearnerOptions {
  /** Discount γ in [0, 1). */
  gamma: number;
  /** Double DQN: the online network picks argmax at s', the target network evaluates it. */
  double: boolean;
  /** Adam step size. */
  learningRate: number;
  /** Huber threshold δ (> 0). */
  huberDelta: number;
  /** Clip the global gradient norm to this (> 0; Infinity = no clipping). */
  gradClip: number;
  /** Adam moments and ε (defaults 0.9, 0.999, 1e-8: PyTorch's, which DQN baselines use). */
  adamBeta1?: number;
  adamBeta2?: number;
  adamEpsilon?: number;
}

/** Loss, gradients (float64 copies of the float32 values) and the global gradient norm before clipping. */
export interface DqnGradients {
  loss: number;
  weights: Float64Array[];
  biases: Float64Array[];
  /** ‖g‖₂ over every parameter, before clipping. */
  norm: number;
}

/**
 * DQN's update step: online and target Q-networks with an Adam optimizer. Observation normalization (offset, scale) is
 * fixed at construction (it is part of the model, not trained). Call `dispose()` when done.
 */
export class DqnLearner {
  readonly layers: readonly number[];
  readonly D: number;
  readonly A: number;
  private readonly offset: tf.Tensor1D;
  private readonly scale: tf.Tensor1D;
  private readonly online: TfMlp;
  private readonly target: TfMlp;
  private readonly optimizer: FlatAdam;
  private readonly lossSum: tf.Variable;
  /** gradClip as a float32 scalar, uploaded once. */
  private readonly clipLimit: tf.Scalar;
  private updatesSinceRead = 0;
  private totalUpdates = 0;
  private readonly template: DqnParams;

  constructor(
    init: DqnParams,
    readonly opts: DqnLearnerOptions,
    /** Initial target network (default: a copy of `init`; its normalization is not used). Tests use distinct nets. */
    targetInit: DqnParams = init,
  ) {
    checkDqnParams(init, 'DqnLearner');
    if (targetInit !== init) {
      checkDqnParams(targetInit, 'DqnLearner target');
      if (targetInit.layers.join() !== init.layers.join()) {
        throw new ShapeError(
          `DqnLearner: the target network's layers [${targetInit.layers}] differ from the online network's [${init.layers}].`,
        );
      }
    }
    this.layers = [...init.layers];
    this.D = init.layers[0]!;
    this.A = init.layers.at(-1)!;
    this.template = init;
    this.offset = tf.keep(tf.tensor1d(Float32Array.from(init.obsOffset)));
    this.scale = tf.keep(tf.tensor1d(Float32Array.from(init.obsScale)));
    this.online = new TfMlp(init, true, 'DqnLearner online network');
    this.target = new TfMlp(targetInit, false, 'DqnLearner target network');
    this.optimizer = new FlatAdam(
      { learningRate: opts.learningRate, beta1: opts.adamBeta1, beta2: opts.adamBeta2, epsilon: opts.adamEpsilon },
      this.vars(),
    );
    this.lossSum = tf.tidy(() => tf.variable(tf.scalar(0), false));
    this.clipLimit = tf.keep(tf.scalar(opts.gradClip));
  }

  /** Number of gradient updates applied so far. */
  get updates(): number {
    return this.totalUpdates;
  }

  /** Normalization + the MLP in the graph's op order (must run inside tf.tidy). */
  private forward(net: TfMlp, obs: tf.Tensor2D): tf.Tensor2D {
    return net.forwardGraph(tf.div(tf.sub(obs, this.offset), this.scale) as tf.Tensor2D);
  }

  /** Q values of the online network [N, A] for raw observations [N, D] (reads back: for acting). */
  async qValues(obs: Float32Array, n = obs.length / this.D): Promise<Float32Array> {
    return readAndDispose(tf.tidy(() => this.forward(this.online, tf.tensor2d(obs, [n, this.D]))));
  }

  private upload(batch: DqnBatch) {
    const B = batch.size;
    return {
      obs: tf.tensor2d(Float32Array.from(batch.obs), [B, this.D]),
      next: tf.tensor2d(Float32Array.from(batch.nextObs), [B, this.D]),
      onehot: tf.oneHot(tf.tensor1d(Int32Array.from(batch.actions), 'int32'), this.A),
      rew: tf.tensor1d(Float32Array.from(batch.rewards)),
      notDone: tf.tensor1d(Float32Array.from(batch.terminated, (t) => (t ? 0 : 1))),
    };
  }

  /** y = r + γ (1 − terminated) · (max_a Q_target(s', a) | Q_target(s', argmax_a Q_online(s', a))). Inside tidy. */
  private targetsOf(t: ReturnType<DqnLearner['upload']>): tf.Tensor1D {
    const qt = this.forward(this.target, t.next);
    let next: tf.Tensor1D;
    if (this.opts.double) {
      const best = tf.argMax(this.forward(this.online, t.next), 1);
      next = tf.sum(tf.mul(qt, tf.oneHot(best as tf.Tensor1D, this.A)), 1);
    } else {
      next = tf.max(qt, 1);
    }
    return tf.add(t.rew, tf.mul(tf.mul(t.notDone, tf.scalar(this.opts.gamma)), next));
  }

  /** Huber TD loss with fixed targets y. Inside tidy. */
  private lossOf(t: ReturnType<DqnLearner['upload']>, y: tf.Tensor1D): tf.Scalar {
    const qsa = tf.sum(tf.mul(this.forward(this.online, t.obs), t.onehot), 1);
    const a = tf.abs(tf.sub(qsa, y));
    const delta = tf.scalar(this.opts.huberDelta);
    const quad = tf.minimum(a, delta);
    const lin = tf.sub(a, quad);
    return tf.mean(tf.add(tf.mul(tf.scalar(0.5), tf.square(quad)), tf.mul(delta, lin)));
  }

  private vars(): tf.Variable[] {
    return this.online.vars();
  }

  /** Gradients clipped to the global norm gradClip. Inside tidy. Returns the clipped map and the norm. */
  private lossAndClippedGrads(
    batch: DqnBatch,
    clip = true,
  ): { value: tf.Scalar; grads: { name: string; tensor: tf.Tensor }[]; norm: tf.Scalar } {
    const t = this.upload(batch);
    const y = this.targetsOf(t);
    const { value, grads } = tf.variableGrads(() => this.lossOf(t, y), this.vars());
    const names = this.vars().map((v) => v.name);
    const norm = tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k]!))))) as tf.Scalar;
    if (!clip || !Number.isFinite(this.opts.gradClip)) return { value, grads: names.map((name) => ({ name, tensor: grads[name]! })), norm };
    const limit = this.clipLimit;
    const factor = tf.div(limit, tf.maximum(norm, limit)); // exactly 1 when norm ≤ gradClip
    return { value, grads: names.map((name) => ({ name, tensor: tf.mul(grads[name]!, factor) })), norm };
  }

  /** One gradient step on `batch` (one tf.tidy, no read-back). */
  update(batch: DqnBatch): void {
    tf.tidy(() => {
      const { value, grads } = this.lossAndClippedGrads(batch);
      this.optimizer.applyGradients(grads);
      this.lossSum.assign(tf.add(this.lossSum, value));
    });
    this.updatesSinceRead++;
    this.totalUpdates++;
  }

  /** Mean loss over the updates since the last call (NaN when there were none); resets the sum. Reads back. */
  async takeLossMean(): Promise<{ loss: number; updates: number }> {
    const updates = this.updatesSinceRead;
    const sum = (await this.lossSum.data())[0]!;
    tf.tidy(() => this.lossSum.assign(tf.scalar(0)));
    this.updatesSinceRead = 0;
    return { loss: updates > 0 ? sum / updates : NaN, updates };
  }

  /** TD targets of `batch` under the current networks (reads back; for tests and diagnostics). */
  async targets(batch: DqnBatch): Promise<Float32Array> {
    return readAndDispose(tf.tidy(() => this.targetsOf(this.upload(batch))));
  }

  /** Loss and (optionally clipped) gradients without applying them (reads back; for tests). */
  async gradients(batch: DqnBatch, clipped = false): Promise<DqnGradients> {
    const L = this.online.W.length;
    const { value, grads, norm } = tf.tidy(() => {
      const r = this.lossAndClippedGrads(batch, clipped);
      return { value: r.value, grads: r.grads.map((g) => g.tensor), norm: r.norm };
    });
    const flat = await Promise.all(grads.map(async (g) => Float64Array.from(await readAndDispose(g)))); // order: W₀…W_{L−1}, b₀…b_{L−1}
    return {
      loss: (await readAndDispose(value))[0]!,
      weights: flat.slice(0, L),
      biases: flat.slice(L),
      norm: (await readAndDispose(norm))[0]!,
    };
  }

  /** Hard target update: target ← online. */
  syncTarget(): void {
    this.target.copyFrom(this.online);
  }

  /** The online (default) or target network's parameters as float64 (reads back). */
  async params(which: 'online' | 'target' = 'online'): Promise<DqnParams> {
    const net = which === 'online' ? this.online : this.target;
    await readBack(net.vars());
    return {
      ...net.params(),
      obsOffset: this.template.obsOffset.slice(),
      obsScale: this.template.obsScale.slice(),
      ...(this.template.actionGrid ? { actionGrid: this.template.actionGrid } : {}),
    };
  }

  /**
   * The exact state for a training snapshot: both networks' float32 variables, Adam's moments, step
   * count and β powers, the loss accumulated since the last read and the update counters.
   */
  async saveState(w: StateWriter): Promise<void> {
    await readBack([...this.online.vars(), ...this.target.vars(), ...this.optimizer.stateTensors(), this.lossSum]);
    writeVars(w, 'online', this.online.vars());
    writeVars(w, 'target', this.target.vars());
    writeAdam(w, 'adam', this.optimizer);
    w.f32('loss_sum', this.lossSum.dataSync());
    w.set('counts', { updatesSinceRead: this.updatesSinceRead, totalUpdates: this.totalUpdates });
  }

  /** Continues from saveState (on a learner just built with the same layers and normalization). */
  restoreState(r: StateReader): void {
    readVars(r, 'online', this.online.vars());
    readVars(r, 'target', this.target.vars());
    readFlatAdam(r, 'adam', this.optimizer);
    const loss = r.f32('loss_sum', 1);
    tf.tidy(() => this.lossSum.assign(tf.scalar(loss[0]!)));
    const c = r.get('counts') as { updatesSinceRead: number; totalUpdates: number };
    this.updatesSinceRead = c.updatesSinceRead;
    this.totalUpdates = c.totalUpdates;
  }

  /** Frees every tensor and variable (networks, Adam state, constants). */
  dispose(): void {
    this.online.dispose();
    this.target.dispose();
    tf.dispose([this.lossSum, this.offset, this.scale]);
    this.optimizer.dispose();
    this.clipLimit.dispose();
  }
}

/** Reads a tensor back asynchronously and frees it. */
async function readAndDispose(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}
