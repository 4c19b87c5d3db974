/**
 * The SAC actor on a bandit whose reward is known ([MRP] §5.1: "we replace the critic with the
 * true value function"): the estimators of sac-estimators.ts isolated from critic learning. The actor
 * is the same MLP + squashed-mixture head as in SAC, fed the bandit's constant observation (0); each
 * update draws `batchSize` states' worth of samples and takes one Adam step on the estimator's
 * surrogate with Q = the true reward r(a) and a fixed entropy scale α.
 *
 * Reported every `logEvery` updates: the mean reward of 1000 policy samples (host, seeded) and the
 * reward of the greedy action. "Final reward" = the mean sampled reward over the last 10 % of the
 * logged points (the paper's "average reward over the last training steps").
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '../../contract/errors.js';
import { initMlp } from '../../models/actor-critic/mlp.js';
import { TfMlp } from '../../models/actor-critic/tf-mlp.js';
import { FlatAdam, gradListOrder } from './learners/tf-adam.js';
import { SquashedGaussianMixture } from '../../models/mixture-actor/distribution.js';
import {
  LOG_STD_MAX,
  LOG_STD_MIN,
  greedyAction,
  headOutputSize,
  parseHead,
  sampleAction,
  type MixtureHeadSpec,
} from '../../models/mixture-actor/head.js';
import { Rng } from '../util/rng.js';
import { actorLoss, checkEstimator, estimatorPoints, type EstimatorName, type PolicyKind } from './sac-estimators.js';
import { bandit1dReward } from '../envs/bandit1d.js';
import type { MultimodalBandit } from '../envs/multimodal_bandit.js';
import { selectBackend, type BackendName } from '../backend.js';

/** A bandit with its reward as a TensorFlow.js function (for the actor's loss) and on the host. */
export interface KnownRewardBandit {
  readonly name: string;
  readonly actionDim: number;
  /** r(a) for a [N, d] (policy scale = the bandit's [−1, 1]^d). Inside tidy. */
  rewardTf(a: tf.Tensor2D): tf.Tensor1D;
  reward(a: ArrayLike<number>): number;
}

/** Bandit1D-v0's reward r(x) = relu(1.1 − 18(2x + 1.2)²) + relu(0.5 − 0.125(2x − 1.75)²)·[x < 0.875]. */
export const BANDIT1D_KNOWN: KnownRewardBandit = {
  name: 'Bandit1D',
  actionDim: 1,
  rewardTf(a) {
    const x = tf.reshape(a, [-1]);
    const g = tf.relu(tf.sub(1.1, tf.mul(18, tf.square(tf.add(tf.mul(2, x), 1.2)))));
    const l = tf.mul(tf.relu(tf.sub(0.5, tf.mul(0.125, tf.square(tf.sub(tf.mul(2, x), 1.75))))), tf.cast(tf.less(x, 0.875), 'float32'));
    return tf.add(g, l) as tf.Tensor1D;
  },
  reward: (a) => bandit1dReward(a[0]!),
};

/** A MultimodalBandit-v0 bandit: r(a) = Σ_k h_k exp(−‖a − c_k‖² / (2 s_k²)) (max 1). */
export function multimodalKnown(b: MultimodalBandit): KnownRewardBandit {
  const d = b.actionDim;
  const K = b.centres.length;
  const c = Float32Array.from(b.centres.flat());
  const inv = Float32Array.from(b.sigmas, (s) => -1 / (2 * s * s));
  const h = Float32Array.from(b.heights);
  return {
    name: `MultimodalBandit(seed ${b.banditSeed})`,
    actionDim: d,
    rewardTf(a) {
      const diff = tf.sub(tf.reshape(a, [-1, 1, d]), tf.tensor3d(c, [1, K, d]));
      const e = tf.exp(tf.mul(tf.sum(tf.square(diff), 2), tf.tensor2d(inv, [1, K])));
      return tf.sum(tf.mul(e, tf.tensor2d(h, [1, K])), 1) as tf.Tensor1D;
    },
    reward(a) {
      let r = 0;
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (a[j]! - b.centres[k]![j]!) ** 2;
        r += b.heights[k]! * Math.exp(-s / (2 * b.sigmas[k]! ** 2));
      }
      return r;
    },
  };
}

export interface BanditActorConfig {
  /** TensorFlow.js backend to select and initialise (as every trainer does); 'auto' takes the best available. */
  backend: BackendName;
  policy: PolicyKind;
  estimator: EstimatorName;
  components: number;
  /** Fixed entropy scale α ≥ 0. */
  alpha: number;
  actorLr: number;
  /** Updates. */
  steps: number;
  /** States per update (default 32). */
  batchSize: number;
  hidden: number[];
  samples: number;
  gumbelTemperature: number;
  seed: number;
  logEvery: number;
}

const BANDIT_ACTOR_DEFAULTS: Readonly<BanditActorConfig> = Object.freeze({
  backend: 'auto',
  policy: 'sg',
  estimator: 'rp',
  components: 1,
  alpha: 0.1,
  actorLr: 1e-3,
  steps: 1000,
  batchSize: 32,
  hidden: [32, 32],
  samples: 4,
  gumbelTemperature: 1,
  seed: 0,
  logEvery: 50,
}) as BanditActorConfig;

export interface BanditActorPoint {
  step: number;
  sampled_reward: number;
  greedy_reward: number;
  greedy_action: number;
}

export interface BanditActorResult {
  curve: BanditActorPoint[];
  /** Mean sampled reward over the last 10 % of the logged points. */
  finalReward: number;
  greedyReward: number;
  greedyAction: number[];
  wallSeconds: number;
}

/**
 * Trains a mixture actor on a bandit with a known reward. Selects and initialises its TensorFlow.js
 * backend first (`backend`, default 'auto'), like every trainer, so it runs in a fresh process
 * without any set-up by the caller.
 */
export async function trainBanditActor(bandit: KnownRewardBandit, partial: Partial<BanditActorConfig>): Promise<BanditActorResult> {
  const cfg: BanditActorConfig = { ...BANDIT_ACTOR_DEFAULTS, ...partial };
  checkEstimator(cfg.policy, cfg.estimator, cfg.components, 'bandit actor');
  if (!(cfg.alpha >= 0 && Number.isFinite(cfg.alpha)))
    throw new ValueError(`bandit actor: alpha = ${cfg.alpha}; expected a finite number ≥ 0.`);
  await selectBackend(cfg.backend, { reads: 'sync', caller: 'the bandit actor' });
  const t0 = performance.now();
  const A = bandit.actionDim;
  const K = cfg.components;
  const head: MixtureHeadSpec = {
    K,
    A,
    weights: cfg.policy === 'sgm' ? 'learned' : 'uniform',
    logStdMin: LOG_STD_MIN,
    logStdMax: LOG_STD_MAX,
  };
  const rng = new Rng(cfg.seed);
  const evalRng = new Rng((cfg.seed ^ 0x9e3779b9) >>> 0);
  const actor = new TfMlp(initMlp([1, ...cfg.hidden, headOutputSize(head)], rng), true, 'bandit actor');
  const opt = new FlatAdam({ learningRate: cfg.actorLr }, gradListOrder(actor.vars()));
  const B = cfg.batchSize;
  const M = estimatorPoints(cfg.estimator, cfg.policy, K, cfg.samples);
  const zero = tf.zeros([B, 1]) as tf.Tensor2D;
  const curve: BanditActorPoint[] = [];
  const log = (step: number) => {
    const out = tf.tidy(() => actor.forwardConst(tf.zeros([1, 1]) as tf.Tensor2D).dataSync() as Float32Array);
    const v = parseHead(head, out);
    let s = 0;
    for (let i = 0; i < 1000; i++)
      s += bandit.reward(
        sampleAction(
          head,
          v,
          evalRng.uniform(),
          Array.from({ length: A }, () => evalRng.normal()),
        ).a,
      );
    const g = greedyAction(head, v);
    curve.push({ step, sampled_reward: s / 1000, greedy_reward: bandit.reward(g), greedy_action: g[0]! });
  };
  try {
    log(0);
    for (let step = 1; step <= cfg.steps; step++) {
      const eps = Float32Array.from({ length: B * M * A }, () => rng.normal());
      const uni = cfg.estimator === 'halfrp' || cfg.estimator === 'lr' ? Float32Array.from({ length: B * M }, () => rng.uniform()) : null;
      const gum =
        cfg.estimator === 'gumbelrp'
          ? Float32Array.from({ length: B * K }, () => -Math.log(-Math.log(rng.uniform() || Number.MIN_VALUE)))
          : null;
      tf.tidy(() => {
        const q = (u: tf.Tensor3D) =>
          tf.reshape(bandit.rewardTf(tf.reshape(tf.tanh(u), [B * u.shape[1], A]) as tf.Tensor2D), [B, u.shape[1]]) as tf.Tensor2D;
        const { grads } = tf.variableGrads(() => {
          const dist = SquashedGaussianMixture.fromHead(head, actor.forward(zero));
          return actorLoss(cfg.policy, cfg.estimator, {
            dist,
            q,
            qConst: q,
            alpha: tf.scalar(cfg.alpha),
            eps: tf.tensor3d(eps, [B, M, A]),
            ...(uni ? { uniform: tf.tensor2d(uni, [B, M]) } : {}),
            ...(gum ? { gumbel: tf.tensor2d(gum, [B, K]) } : {}),
            temperature: cfg.gumbelTemperature,
          }).loss;
        }, actor.vars());
        opt.applyGradients(grads);
      });
      if (step % cfg.logEvery === 0 || step === cfg.steps) log(step);
    }
  } finally {
    actor.dispose();
    opt.dispose();
    zero.dispose();
  }
  const tail = curve.slice(Math.max(1, Math.floor(curve.length * 0.9)));
  const last = curve.at(-1)!;
  return {
    curve,
    finalReward: tail.reduce((s, p) => s + p.sampled_reward, 0) / tail.length,
    greedyReward: last.greedy_reward,
    greedyAction: [last.greedy_action],
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
