/**
 * The update step of soft actor-critic with squashed Gaussian mixture policies (Haarnoja et al.
 * 2018; mixture policies and the marginalized reparameterization estimator: [MRP]). The loop is
 * sac.ts (`trainSac` on actor-critic.ts's `runOffPolicy`).
 *
 * One update (one tf.tidy, no host read; all noise drawn on the host from the run's Rng):
 *   critic  a' ~ π(·|s') (component by inverse CDF of w, then reparameterized),
 *           y = r + γ (1 − done)(min_j Q'_j(s', a') − α log π(a'|s')),
 *           minimize Σ_j mean (Q_j(s, a) − y)²
 *   actor   minimize the estimator's surrogate (sac-estimators.ts) with Q = min_j Q_j (fresh critics)
 *   α       fixed, or automatic: minimize −log α · (E[log π] + target entropy), target −A
 *   targets Polyak, τ
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MlpParams } from '../../../models/actor-critic/mlp.js';
import { TfMlp } from '../../../models/actor-critic/tf-mlp.js';
import { SquashedGaussianMixture } from '../../../models/mixture-actor/distribution.js';
import type { MixtureHeadSpec } from '../../../models/mixture-actor/head.js';
import type { Rng } from '../../util/rng.js';
import type { NormalizedBatch } from '../actor-critic.js';
import type { SacConfig } from '../sac.js';
import { actorLoss, estimatorPoints } from '../sac-estimators.js';
import { FlatAdam, gradListOrder, readFlatAdam, readVars, writeAdam, writeVars } from './tf-adam.js';
import type { StateReader, StateWriter } from '../training-state.js';
import { TwinCritic } from './twin-critic.js';

export interface SacLearnerInit {
  actor: MlpParams;
  critics: [MlpParams, MlpParams];
}

/** The host noise of one update (exposed so tests can replay an update exactly). */
export interface SacNoise {
  /** [B] component uniforms of a' (only when K > 1). */
  targetUniform: Float32Array | null;
  /** [B, A] */
  targetEps: Float32Array;
  /** [B, M, A] */
  eps: Float32Array;
  /** [B, M] (halfrp, lr) */
  uniform: Float32Array | null;
  /** [B, K] standard Gumbel (gumbelrp) */
  gumbel: Float32Array | null;
}

/** The networks, optimizers and update of SAC with squashed Gaussian mixture policies. */
export class SacLearner {
  readonly head: MixtureHeadSpec;
  readonly actor: TfMlp;
  readonly critic: TwinCritic;
  readonly M: number;
  private readonly actorOpt: FlatAdam;
  private readonly alphaOpt: FlatAdam | null;
  /** τ and the target entropy as float32 scalars, uploaded once. */
  private readonly tauT: tf.Scalar;
  private readonly targetEntropyT: tf.Scalar;
  private readonly logAlpha: tf.Variable | null;
  private readonly targetEntropy: number;
  private readonly stats: tf.Variable;
  private statCount = 0;

  constructor(
    readonly cfg: SacConfig,
    readonly D: number,
    readonly A: number,
    init: SacLearnerInit,
  ) {
    this.head = {
      K: cfg.components,
      A,
      weights: cfg.policy === 'sgm' ? 'learned' : 'uniform',
      logStdMin: cfg.logStdMin,
      logStdMax: cfg.logStdMax,
    };
    this.M = estimatorPoints(cfg.estimator, cfg.policy, cfg.components, cfg.samples);
    this.actor = new TfMlp(init.actor, true, 'actor');
    this.critic = new TwinCritic(init.critics, { learningRate: cfg.criticLr });
    this.actorOpt = new FlatAdam({ learningRate: cfg.actorLr }, gradListOrder(this.actor.vars()));
    this.targetEntropy = cfg.targetEntropy ?? -A;
    this.tauT = tf.scalar(cfg.tau);
    this.targetEntropyT = tf.scalar(this.targetEntropy);
    if (cfg.alpha === 'auto') {
      this.logAlpha = tf.variable(tf.scalar(Math.log(cfg.alphaInit)), true, undefined, 'float32');
      this.alphaOpt = new FlatAdam({ learningRate: cfg.alphaLr }, [this.logAlpha]);
    } else {
      this.logAlpha = null;
      this.alphaOpt = null;
    }
    this.stats = tf.variable(tf.zeros([4]), false);
  }

  /** Draws one update's noise from `rng` (fixed order: target uniforms, target ε, ε, uniforms, Gumbels). */
  drawNoise(B: number, rng: Rng): SacNoise {
    const { K } = this.head;
    const A = this.A;
    const normals = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
    const targetUniform = K > 1 ? Float32Array.from({ length: B }, () => rng.uniform()) : null;
    const targetEps = normals(B * A);
    const eps = normals(B * this.M * A);
    const est = this.cfg.estimator;
    const uniform = est === 'halfrp' || est === 'lr' ? Float32Array.from({ length: B * this.M }, () => rng.uniform()) : null;
    const gumbel =
      est === 'gumbelrp' ? Float32Array.from({ length: B * K }, () => -Math.log(-Math.log(rng.uniform() || Number.MIN_VALUE))) : null;
    return { targetUniform, targetEps, eps, uniform, gumbel };
  }

  alphaTensor(): tf.Scalar {
    return this.logAlpha ? (tf.exp(this.logAlpha) as tf.Scalar) : tf.scalar(this.cfg.alpha as number);
  }

  /** One SAC update on a normalized batch with the given noise (one tf.tidy, no host read). */
  update(batch: NormalizedBatch, noise: SacNoise): void {
    const B = batch.size;
    const { D, A, M } = this;
    const { K } = this.head;
    let logProbKept: tf.Scalar | null = null;
    tf.tidy(() => {
      const obs = tf.tensor2d(batch.obs, [B, D]);
      const next = tf.tensor2d(batch.nextObs, [B, D]);
      const act = tf.tensor2d(batch.actions, [B, A]);
      const alpha = tf.tidy(() => this.alphaTensor()); // a constant for the losses below

      // ---- critic ------------------------------------------------------------------------------
      const dn = SquashedGaussianMixture.fromHead(this.head, this.actor.forwardConst(next));
      const epsT = tf.tensor3d(noise.targetEps, [B, 1, A]);
      const un = K > 1 ? dn.rsampleChosen(dn.chooseComponents(tf.tensor2d(noise.targetUniform!, [B, 1])), epsT) : dn.rsampleEach(epsT);
      const lpn = tf.reshape(dn.logProb(un), [B]);
      const qn = this.critic.targetMin(next, tf.reshape(tf.tanh(un), [B, A]) as tf.Tensor2D);
      const y = tf.add(
        tf.tensor1d(batch.rewards),
        tf.mul(tf.mul(tf.tensor1d(batch.notDone), this.cfg.gamma), tf.sub(qn, tf.mul(alpha, lpn))),
      ) as tf.Tensor1D;
      const criticLoss = this.critic.update(obs, act, y);

      // ---- actor -------------------------------------------------------------------------------
      // Q at m points per state: the observations repeated m times, b-major like u [B, m, A]
      const reps = new Map<number, tf.Tensor2D>([[1, obs]]);
      const obsRep = (m: number) => {
        if (!reps.has(m)) reps.set(m, tf.reshape(tf.tile(tf.expandDims(obs, 1), [1, m, 1]), [B * m, D]) as tf.Tensor2D);
        return reps.get(m)!;
      };
      const flat = (u: tf.Tensor3D) => tf.reshape(tf.tanh(u), [B * u.shape[1], A]) as tf.Tensor2D;
      const q = (u: tf.Tensor3D) => tf.reshape(this.critic.minInputGrad(obsRep(u.shape[1]), flat(u)), [B, u.shape[1]]) as tf.Tensor2D;
      const qConst = (u: tf.Tensor3D) => tf.reshape(this.critic.minConst(obsRep(u.shape[1]), flat(u)), [B, u.shape[1]]) as tf.Tensor2D;
      const eps = tf.tensor3d(noise.eps, [B, M, A]);
      const uniform = noise.uniform ? tf.tensor2d(noise.uniform, [B, M]) : undefined;
      const gumbel = noise.gumbel ? tf.tensor2d(noise.gumbel, [B, K]) : undefined;
      const { value: actorLossValue, grads } = tf.variableGrads(() => {
        const dist = SquashedGaussianMixture.fromHead(this.head, this.actor.forward(obs));
        const out = actorLoss(this.cfg.policy, this.cfg.estimator, {
          dist,
          q,
          qConst,
          alpha,
          eps,
          uniform,
          gumbel,
          temperature: this.cfg.gumbelTemperature,
        });
        logProbKept = tf.keep(out.logProb);
        return out.loss;
      }, this.actor.vars());
      this.actorOpt.applyGradients(grads);

      // ---- entropy scale -----------------------------------------------------------------------
      if (this.logAlpha && this.alphaOpt) {
        // d/d log α of −log α · (E[log π] + target) = −(E[log π] + target)
        this.alphaOpt.applyGradients([{ name: this.logAlpha.name, tensor: tf.neg(tf.add(logProbKept!, this.targetEntropyT)) }]);
      }
      this.critic.updateTargets(this.tauT);
      this.stats.assign(tf.add(this.stats, tf.stack([criticLoss, actorLossValue, logProbKept!, alpha])));
    });
    (logProbKept as tf.Scalar | null)?.dispose();
    this.statCount++;
  }

  /** Means since the last call: critic_loss, actor_loss, log_prob (−entropy estimate), alpha. Reads back. */
  takeStats(): Record<string, number> {
    const s = this.stats.dataSync();
    const n = this.statCount;
    tf.tidy(() => this.stats.assign(tf.zeros([4])));
    this.statCount = 0;
    const f = (i: number) => (n > 0 ? s[i]! / n : NaN);
    return { critic_loss: f(0), actor_loss: f(1), log_prob: f(2), alpha: f(3) };
  }

  /** The exact state for a training snapshot: actor, critics and targets, the optimizers, log α, accumulated stats. */
  saveState(w: StateWriter): void {
    writeVars(w, 'actor', this.actor.vars());
    this.critic.saveState(w.scope('critic'));
    writeAdam(w, 'actor_adam', this.actorOpt);
    if (this.logAlpha && this.alphaOpt) {
      writeVars(w, 'log_alpha', [this.logAlpha]);
      writeAdam(w, 'alpha_adam', this.alphaOpt);
    }
    w.f32('stats', this.stats.dataSync());
    w.set('stat_count', this.statCount);
  }

  restoreState(r: StateReader): void {
    readVars(r, 'actor', this.actor.vars());
    this.critic.restoreState(r.scope('critic'));
    readFlatAdam(r, 'actor_adam', this.actorOpt);
    if (this.logAlpha && this.alphaOpt) {
      readVars(r, 'log_alpha', [this.logAlpha]);
      readFlatAdam(r, 'alpha_adam', this.alphaOpt);
    }
    const stats = r.f32('stats', 4);
    tf.tidy(() => this.stats.assign(tf.tensor1d(stats)));
    this.statCount = r.int('stat_count');
  }

  /** The actor's output row for one normalized observation (reads back). */
  actorOutput(z: Float32Array): Float32Array {
    return tf.tidy(() => this.actor.forwardConst(tf.tensor2d(z, [1, this.D])).dataSync() as Float32Array);
  }

  dispose(): void {
    this.actor.dispose();
    this.critic.dispose();
    this.actorOpt.dispose();
    this.alphaOpt?.dispose();
    if (this.logAlpha) this.logAlpha.dispose();
    this.stats.dispose();
    tf.dispose([this.tauT, this.targetEntropyT]);
  }
}
