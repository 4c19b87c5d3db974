/**
 * The update step of TD3 (Fujimoto et al. 2018), the deterministic-policy base of Gamid-PG. The
 * loop is td3.ts (`trainTd3` on actor-critic.ts's `runOffPolicy`).
 *
 * One update (one tf.tidy, no host read; the target-smoothing noise is drawn on the host):
 *   a' = clip(μ'(s') + clip(σ_t ξ, −c, c), −1, 1),  y = r + γ (1 − done) min_j Q'_j(s', a')
 *   critics: minimize Σ_j mean (Q_j(s, a) − y)²
 *   every `policyDelay` updates: actor maximizes mean Q₁(s, μ(s)); then the Polyak step of the
 *   actor's and the critics' targets.
 * μ(s) = tanh(MLP(z)).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MlpParams } from '../../../models/actor-critic/mlp.js';
import { TfMlp, polyakUpdate } from '../../../models/actor-critic/tf-mlp.js';
import type { NormalizedBatch } from '../actor-critic.js';
import type { Td3Config } from '../td3.js';
import { FlatAdam, gradListOrder, readFlatAdam, readVars, writeAdam, writeVars } from './tf-adam.js';
import type { StateReader, StateWriter } from '../training-state.js';
import { TwinCritic } from './twin-critic.js';

/** What the shared deterministic agent needs from a TD3 or Gamid learner. */
export interface DeterministicLearner {
  readonly D: number;
  readonly A: number;
  readonly critic: TwinCritic;
  update(batch: NormalizedBatch, xi: Float32Array): void;
  takeStats(): Record<string, number>;
  /** μ_i(z) for every component [N·A]. */
  componentActions(z: Float32Array): Float32Array;
  /** Q₁(z, μ_i) [N] for the component actions (only called when N > 1). */
  scores?(z: Float32Array, mu: Float32Array): Float32Array;
  actorParams(): MlpParams[];
  /** The exact state for a training snapshot (networks, targets, optimizers, accumulated stats, counters). */
  saveState(w: StateWriter): void;
  restoreState(r: StateReader): void;
  dispose(): void;
}

/** μ(s) = tanh(MLP(z)) with gradients to the parameters. Inside tidy. */
export function deterministicAction(actor: TfMlp, z: tf.Tensor2D, grads: boolean): tf.Tensor2D {
  return tf.tanh(grads ? actor.forward(z) : actor.forwardConst(z));
}

/** a' = clip(μ' + clip(σ_t ξ, −c, c), −1, 1). Inside tidy. */
export function smoothedTarget(mu: tf.Tensor2D, xi: tf.Tensor2D, cfg: Pick<Td3Config, 'targetNoise' | 'targetNoiseClip'>): tf.Tensor2D {
  const noise = tf.clipByValue(tf.mul(xi, cfg.targetNoise), -cfg.targetNoiseClip, cfg.targetNoiseClip);
  return tf.clipByValue(tf.add(mu, noise), -1, 1) as tf.Tensor2D;
}

/** The networks, optimizers and update of TD3. */
export class Td3Learner implements DeterministicLearner {
  readonly actor: TfMlp;
  readonly actorTarget: TfMlp;
  readonly critic: TwinCritic;
  private readonly opt: FlatAdam;
  /** τ as a float32 scalar, uploaded once. */
  private readonly tauT: tf.Scalar;
  private readonly stats: tf.Variable;
  private criticUpdates = 0;
  private actorUpdates = 0;
  private statCount = 0;

  constructor(
    readonly cfg: Td3Config,
    readonly D: number,
    readonly A: number,
    init: { actors: MlpParams[]; critics: [MlpParams, MlpParams] },
  ) {
    this.actor = new TfMlp(init.actors[0]!, true, 'actor');
    this.actorTarget = new TfMlp(init.actors[0]!, false, 'target actor');
    this.critic = new TwinCritic(init.critics, { learningRate: cfg.criticLr });
    this.opt = new FlatAdam({ learningRate: cfg.actorLr }, gradListOrder(this.actor.vars()));
    this.tauT = tf.scalar(cfg.tau);
    this.stats = tf.variable(tf.zeros([2]), false);
  }

  /** One update; `xi` [B·A] standard normals for the target smoothing. */
  update(batch: NormalizedBatch, xi: Float32Array): void {
    const B = batch.size;
    const { D, A } = this;
    tf.tidy(() => {
      const obs = tf.tensor2d(batch.obs, [B, D]);
      const next = tf.tensor2d(batch.nextObs, [B, D]);
      const a2 = smoothedTarget(deterministicAction(this.actorTarget, next, false), tf.tensor2d(xi, [B, A]), this.cfg);
      const y = this.critic.clippedTarget(batch, this.cfg.gamma, next, a2);
      const criticLoss = this.critic.update(obs, tf.tensor2d(batch.actions, [B, A]), y);
      let actorLoss: tf.Scalar = tf.scalar(0);
      if (++this.criticUpdates % this.cfg.policyDelay === 0) {
        const { value, grads } = tf.variableGrads(
          () => tf.neg(tf.mean(this.critic.qInputGrad(obs, deterministicAction(this.actor, obs, true))[0])) as tf.Scalar,
          this.actor.vars(),
        );
        this.opt.applyGradients(grads);
        actorLoss = value;
        polyakUpdate([this.actorTarget], [this.actor], this.tauT);
        this.critic.updateTargets(this.tauT);
        this.actorUpdates++;
      }
      this.stats.assign(tf.add(this.stats, tf.stack([criticLoss, actorLoss])));
    });
    this.statCount++;
  }

  takeStats(): Record<string, number> {
    const s = this.stats.dataSync();
    tf.tidy(() => this.stats.assign(tf.zeros([2])));
    const r = {
      critic_loss: this.statCount ? s[0]! / this.statCount : NaN,
      actor_loss: this.actorUpdates ? s[1]! / this.actorUpdates : NaN,
    };
    this.statCount = 0;
    this.actorUpdates = 0;
    return r;
  }

  /** μ(z) for one normalized observation (reads back). */
  componentActions(z: Float32Array): Float32Array {
    return tf.tidy(() => deterministicAction(this.actor, tf.tensor2d(z, [1, this.D]), false).dataSync() as Float32Array);
  }

  actorParams(): MlpParams[] {
    return [this.actor.params()];
  }

  saveState(w: StateWriter): void {
    writeVars(w, 'actor', this.actor.vars());
    writeVars(w, 'actor_target', this.actorTarget.vars());
    this.critic.saveState(w.scope('critic'));
    writeAdam(w, 'adam', this.opt);
    w.f32('stats', this.stats.dataSync());
    w.set('counts', { criticUpdates: this.criticUpdates, actorUpdates: this.actorUpdates, statCount: this.statCount });
  }

  restoreState(r: StateReader): void {
    readVars(r, 'actor', this.actor.vars());
    readVars(r, 'actor_target', this.actorTarget.vars());
    this.critic.restoreState(r.scope('critic'));
    readFlatAdam(r, 'adam', this.opt);
    const stats = r.f32('stats', 2);
    tf.tidy(() => this.stats.assign(tf.tensor1d(stats)));
    const c = r.get('counts') as { criticUpdates: number; actorUpdates: number; statCount: number };
    this.criticUpdates = c.criticUpdates;
    this.actorUpdates = c.actorUpdates;
    this.statCount = c.statCount;
  }

  dispose(): void {
    [this.actor, this.actorTarget].forEach((n) => n.dispose());
    this.critic.dispose();
    this.opt.dispose();
    this.stats.dispose();
    this.tauT.dispose();
  }
}
