/**
 * The update step of Gamid-PG ([Gamid-PG]): a mixture of N deterministic actors on the TD3 base
 * (learners/td3.ts). The loop is gamid.ts (`trainGamid` on actor-critic.ts's `runOffPolicy`).
 *
 * Critic target: i* = argmax_i min_j Q'_j(s', μ'_i(s')); a' = clip(μ'_{i*}(s') + clip(σ_t ξ, −c, c), −1, 1);
 *         y = r + γ (1 − d) min_j Q'_j(s', a').
 * Actor (every policyDelay updates), each i with the others held constant:
 *         maximize mean_s [ Q₁(s, μ_i(s)) + τ D_i(s) ]  (D_i: models/gamid-actor/diversity.ts).
 * The temperature τ is set by the loop from its schedule before each update.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MlpParams } from '../../../models/actor-critic/mlp.js';
import { TfMlp, polyakUpdate } from '../../../models/actor-critic/tf-mlp.js';
import { diversityTerm } from '../../../models/gamid-actor/diversity.js';
import type { NormalizedBatch } from '../actor-critic.js';
import type { GamidConfig } from '../gamid.js';
import { FlatAdam, gradListOrder, readFlatAdam, readVars, writeAdam, writeVars } from './tf-adam.js';
import type { StateReader, StateWriter } from '../training-state.js';
import { TwinCritic, scoreComponents } from './twin-critic.js';
import { deterministicAction, smoothedTarget, type DeterministicLearner } from './td3.js';

/** N deterministic actors, their targets, the twin critics, and the Gamid-PG update. */
export class GamidLearner implements DeterministicLearner {
  readonly N: number;
  readonly actors: TfMlp[];
  readonly actorTargets: TfMlp[];
  readonly critic: TwinCritic;
  private readonly opt: FlatAdam;
  /** τ (Polyak) as a float32 scalar, uploaded once. */
  private readonly tauT: tf.Scalar;
  private readonly stats: tf.Variable;
  private criticUpdates = 0;
  private actorUpdates = 0;
  private statCount = 0;
  /** Current diversity temperature (set by the trainer from its schedule). */
  temperature: number;

  constructor(
    readonly cfg: GamidConfig,
    readonly D: number,
    readonly A: number,
    init: { actors: MlpParams[]; critics: [MlpParams, MlpParams] },
  ) {
    this.N = init.actors.length;
    this.actors = init.actors.map((p, i) => new TfMlp(p, true, `actor ${i}`));
    this.actorTargets = init.actors.map((p, i) => new TfMlp(p, false, `target actor ${i}`));
    this.critic = new TwinCritic(init.critics, { learningRate: cfg.criticLr });
    this.opt = new FlatAdam(
      { learningRate: cfg.actorLr },
      this.actors.map((a) => gradListOrder(a.vars())),
    );
    this.tauT = tf.scalar(cfg.tau);
    this.stats = tf.variable(tf.zeros([3]), false);
    this.temperature = cfg.temperature.start;
  }

  update(batch: NormalizedBatch, xi: Float32Array): void {
    const B = batch.size;
    const { D, A, N } = this;
    const tau = this.temperature;
    tf.tidy(() => {
      const obs = tf.tensor2d(batch.obs, [B, D]);
      const next = tf.tensor2d(batch.nextObs, [B, D]);
      // ---- critic: the best target component by min_j Q'_j, then TD3's smoothing -----------------
      const mus2 = this.actorTargets.map((a) => deterministicAction(a, next, false));
      let mu2 = mus2[0]!;
      if (N > 1) {
        const scores = tf.stack(
          mus2.map((m) => this.critic.targetMin(next, m)),
          1,
        ); // [B, N]
        const pick = tf.reshape(tf.cast(tf.oneHot(tf.argMax(scores, 1), N), 'float32'), [B, N, 1]);
        mu2 = tf.sum(tf.mul(pick, tf.stack(mus2, 1)), 1) as tf.Tensor2D;
      }
      const a2 = smoothedTarget(mu2, tf.tensor2d(xi, [B, A]), this.cfg);
      const y = this.critic.clippedTarget(batch, this.cfg.gamma, next, a2);
      const criticLoss = this.critic.update(obs, tf.tensor2d(batch.actions, [B, A]), y);

      // ---- actors: Q₁ of every component (one critic pass), plus τ·D_i ------------------------
      let actorLoss: tf.Scalar = tf.scalar(0);
      let diversity: tf.Scalar = tf.scalar(0);
      if (++this.criticUpdates % this.cfg.policyDelay === 0) {
        const obsN = N === 1 ? obs : (tf.tile(obs, [N, 1]) as tf.Tensor2D);
        let divKept: tf.Scalar | null = null;
        const { value, grads } = tf.variableGrads(
          () => {
            const mus = this.actors.map((a) => deterministicAction(a, obs, true));
            const q1 = this.critic.qInputGrad(obsN, N === 1 ? mus[0]! : (tf.concat(mus, 0) as tf.Tensor2D))[0];
            let loss = tf.neg(tf.sum(tf.mean(tf.reshape(q1, [N, B]), 1))) as tf.Scalar; // −Σ_i mean_s Q₁(s, μ_i)
            if (N > 1 && tau > 0) {
              const div = tf.mean(tf.reshape(diversityTerm(tf.stack(mus, 0) as tf.Tensor3D), [N, B]), 1); // [N]
              divKept = tf.keep(tf.mean(div)) as tf.Scalar;
              loss = tf.sub(loss, tf.mul(tau, tf.sum(div))) as tf.Scalar;
            }
            return loss;
          },
          this.actors.flatMap((a) => a.vars()),
        );
        this.opt.applyGradients(grads);
        actorLoss = value;
        if (divKept) diversity = tf.clone(divKept as tf.Scalar);
        (divKept as tf.Scalar | null)?.dispose();
        this.actorTargets.forEach((t, i) => polyakUpdate([t], [this.actors[i]!], this.tauT));
        this.critic.updateTargets(this.tauT);
        this.actorUpdates++;
      }
      this.stats.assign(tf.add(this.stats, tf.stack([criticLoss, actorLoss, diversity])));
    });
    this.statCount++;
  }

  takeStats(): Record<string, number> {
    const s = this.stats.dataSync();
    tf.tidy(() => this.stats.assign(tf.zeros([3])));
    const a = this.actorUpdates;
    const r = {
      critic_loss: this.statCount ? s[0]! / this.statCount : NaN,
      actor_loss: a ? s[1]! / a : NaN,
      diversity: a ? s[2]! / a : NaN,
      temperature: this.temperature,
    };
    this.statCount = 0;
    this.actorUpdates = 0;
    return r;
  }

  componentActions(z: Float32Array): Float32Array {
    return tf.tidy(() => {
      const x = tf.tensor2d(z, [1, this.D]);
      return tf
        .concat(
          this.actors.map((a) => deterministicAction(a, x, false)),
          0,
        )
        .dataSync() as Float32Array;
    });
  }

  scores(z: Float32Array, mu: Float32Array): Float32Array {
    return scoreComponents(this.critic, z, mu, this.N, this.D, this.A);
  }

  actorParams(): MlpParams[] {
    return this.actors.map((a) => a.params());
  }

  saveState(w: StateWriter): void {
    this.actors.forEach((a, i) => writeVars(w, `actor${i}`, a.vars()));
    this.actorTargets.forEach((a, i) => writeVars(w, `actor_target${i}`, a.vars()));
    this.critic.saveState(w.scope('critic'));
    writeAdam(w, 'adam', this.opt);
    w.f32('stats', this.stats.dataSync());
    w.set('counts', {
      criticUpdates: this.criticUpdates,
      actorUpdates: this.actorUpdates,
      statCount: this.statCount,
      temperature: this.temperature,
    });
  }

  restoreState(r: StateReader): void {
    this.actors.forEach((a, i) => readVars(r, `actor${i}`, a.vars()));
    this.actorTargets.forEach((a, i) => readVars(r, `actor_target${i}`, a.vars()));
    this.critic.restoreState(r.scope('critic'));
    readFlatAdam(r, 'adam', this.opt);
    const stats = r.f32('stats', 3);
    tf.tidy(() => this.stats.assign(tf.tensor1d(stats)));
    const c = r.get('counts') as { criticUpdates: number; actorUpdates: number; statCount: number; temperature: number };
    this.criticUpdates = c.criticUpdates;
    this.actorUpdates = c.actorUpdates;
    this.statCount = c.statCount;
    this.temperature = c.temperature;
  }

  dispose(): void {
    [...this.actors, ...this.actorTargets].forEach((n) => n.dispose());
    this.critic.dispose();
    this.opt.dispose();
    this.stats.dispose();
  }
}
