/**
 * TD3 (Fujimoto et al. 2018): the deterministic-policy base of Gamid-PG (gamid.ts), and the
 * single-Gaussian baseline of the Bandit1D comparison. Top to bottom: config → learner → agent → train.
 *
 * One update (one tf.tidy, no host read; the target-smoothing noise is drawn on the host):
 *   a' = clip(μ'(s') + clip(σ_t ξ, −c, c), −1, 1),  y = r + γ (1 − done) min_j Q'_j(s', a')
 *   critics: minimize Σ_j mean (Q_j(s, a) − y)²
 *   every `policyDelay` updates: actor maximizes mean Q₁(s, μ(s)); then the Polyak step of the
 *   actor's and the critics' targets.
 * Acting: a = clip(μ(s) + σ_e ξ, −1, 1).  Greedy: μ(s).  μ(s) = tanh(MLP(z)).
 */
import * as tf from '@tensorflow/tfjs';
import { initMlp, mlpParameterCount, type MlpParams } from '../../models/actor-critic/mlp.js';
import { TfMlp } from '../../models/actor-critic/tf-mlp.js';
import { TwinCritic, gradList, makeAdam } from '../../models/actor-critic/critic.js';
import { argmax, gamidComponents, type GamidActorParams } from '../../models/gamid-actor/params.js';
import type { Rng } from '../util/rng.js';
import {
  offPolicyTrainingRecord,
  runOffPolicy,
  type NormalizedBatch,
  type ObsNormalization,
  type OffPolicyAgent,
  type OffPolicyConfig,
  type OffPolicyHooks,
  type OffPolicyResult,
} from './actor-critic.js';
import { resolveConfig } from '../config/spec.js';
import { TD3_SPEC, type Td3Config } from './td3-spec.js';

// The config (every field, its default, range, doc and flag) is the table in td3-spec.ts.
export { TD3_SPEC, TD3_DEFAULTS, validateTd3Config, type Td3Config } from './td3-spec.js';

/** Initial networks: N actors [D, hidden…, A], then twin critics [D + A, hidden…, 1] (draw order fixed). */
export function initDeterministicNetworks(hidden: number[], N: number, D: number, A: number, rng: { uniform(): number }): { actors: MlpParams[]; critics: [MlpParams, MlpParams] } {
  const actors = Array.from({ length: N }, () => initMlp([D, ...hidden, A], rng));
  const critics: [MlpParams, MlpParams] = [initMlp([D + A, ...hidden, 1], rng), initMlp([D + A, ...hidden, 1], rng)];
  return { actors, critics };
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

export class Td3Learner {
  readonly actor: TfMlp;
  readonly actorTarget: TfMlp;
  readonly critic: TwinCritic;
  private readonly opt: tf.AdamOptimizer;
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
    this.opt = makeAdam({ learningRate: cfg.actorLr });
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
      const y = tf.add(tf.tensor1d(batch.rewards), tf.mul(tf.mul(tf.tensor1d(batch.notDone), this.cfg.gamma), this.critic.targetMin(next, a2))) as tf.Tensor1D;
      const criticLoss = this.critic.update(obs, tf.tensor2d(batch.actions, [B, A]), y);
      let actorLoss: tf.Scalar = tf.scalar(0);
      if (++this.criticUpdates % this.cfg.policyDelay === 0) {
        const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(this.critic.qInputGrad(obs, deterministicAction(this.actor, obs, true))[0])) as tf.Scalar, this.actor.vars());
        this.opt.applyGradients(gradList(grads));
        actorLoss = value;
        this.actorTarget.polyakFrom(this.actor, this.cfg.tau);
        this.critic.updateTargets(this.cfg.tau);
        this.actorUpdates++;
      }
      this.stats.assign(tf.add(this.stats, tf.stack([criticLoss, actorLoss])));
    });
    this.statCount++;
  }

  takeStats(): Record<string, number> {
    const s = this.stats.dataSync();
    tf.tidy(() => this.stats.assign(tf.zeros([2])));
    const r = { critic_loss: this.statCount ? s[0]! / this.statCount : NaN, actor_loss: this.actorUpdates ? s[1]! / this.actorUpdates : NaN };
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

  dispose(): void {
    [this.actor, this.actorTarget].forEach((n) => n.dispose());
    this.critic.dispose();
    this.opt.dispose();
    this.stats.dispose();
  }
}

/** A TD3 / Gamid run's parameters on the host: the actor (with the scoring critic Q₁) and both critics. */
export interface DeterministicParams {
  actor: GamidActorParams;
  critics: [MlpParams, MlpParams];
}

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
  dispose(): void;
}

/**
 * The acting rule of TD3 and Gamid: the ε-greedy component (only when N > 1: no random draw for N = 1,
 * so Gamid with N = 1 consumes the Rng exactly like TD3), then clip(μ_i + σ ξ, −1, 1).
 */
export function deterministicAgent(
  learner: DeterministicLearner,
  N: number,
  norm: ObsNormalization,
  bounds: { low: Float64Array; high: Float64Array },
  schedule: { explorationStd: number; epsilon: (envStep: number) => number },
  describe: (s: Record<string, number>) => string,
): OffPolicyAgent<DeterministicParams> {
  const A = learner.A;
  let lastEps = schedule.epsilon(0);
  return {
    explore(z, rng: Rng, envStep) {
      const mu = learner.componentActions(z);
      let i = 0;
      if (N > 1) {
        lastEps = schedule.epsilon(envStep);
        i = rng.uniform() < lastEps ? rng.integer(N) : argmax(learner.scores!(z, mu));
      }
      return Float64Array.from({ length: A }, (_, d) => Math.min(1, Math.max(-1, mu[i * A + d]! + schedule.explorationStd * rng.normal())));
    },
    update(batch, rng) {
      learner.update(batch, Float32Array.from({ length: batch.size * A }, () => rng.normal()));
    },
    takeStats: () => learner.takeStats(),
    snapshot(): DeterministicParams {
      const critics = learner.critic.params();
      const actor: GamidActorParams = {
        actors: learner.actorParams(),
        critic: critics[0],
        obsOffset: norm.offset.slice(),
        obsScale: norm.scale.slice(),
        actionLow: bounds.low.slice(),
        actionHigh: bounds.high.slice(),
        explorationStd: schedule.explorationStd,
        epsilon: lastEps,
      };
      return { actor, critics };
    },
    greedy(p, z) {
      const { mu, q } = gamidComponents(p.actor.actors, p.actor.critic, z);
      const i = p.actor.actors.length > 1 ? argmax(q) : 0;
      return mu.slice(i * A, (i + 1) * A);
    },
    describe,
    dispose: () => learner.dispose(),
  };
}

export type DeterministicTrainResult<C> = OffPolicyResult<DeterministicParams> & { config: C; method: string; parameterCount: number };

export async function trainTd3(partial: Partial<Td3Config> = {}, hooks: OffPolicyHooks<DeterministicParams> = {}): Promise<DeterministicTrainResult<Td3Config>> {
  const cfg: Td3Config = resolveConfig(TD3_SPEC, partial);
  let parameterCount = 0;
  const result = await runOffPolicy<DeterministicParams>(
    'td3',
    cfg,
    ({ D, A, norm, rng, env }) => {
      const init = initDeterministicNetworks(cfg.hidden, 1, D, A, rng);
      parameterCount = mlpParameterCount(init.actors[0]!.layers);
      hooks.progress?.(`model: TD3, actor MLP [${init.actors[0]!.layers.join(', ')}] + tanh (${parameterCount} parameters), twin critics [${init.critics[0].layers.join(', ')}]`);
      const sp = env.actionSpace as { low: Float64Array; high: Float64Array };
      return deterministicAgent(
        new Td3Learner(cfg, D, A, init),
        1,
        norm,
        { low: Float64Array.from(sp.low), high: Float64Array.from(sp.high) },
        { explorationStd: cfg.explorationStd, epsilon: () => 0 },
        (s) => `critic ${s.critic_loss!.toPrecision(3)}`,
      );
    },
    hooks,
  );
  return { ...result, config: cfg, method: 'TD3', parameterCount };
}

/** The training record for checkpoints (offPolicyTrainingRecord). */
export function deterministicTrainingRecord(algorithm: string, r: DeterministicTrainResult<Td3Config>): Record<string, unknown> {
  return offPolicyTrainingRecord(algorithm, r);
}

/** Scores Q₁(z, μ_i) of N component actions through the online critic (reads back). */
export function scoreComponents(critic: TwinCritic, z: Float32Array, mu: Float32Array, N: number, D: number, A: number): Float32Array {
  return tf.tidy(() => {
    const obs = tf.tile(tf.tensor2d(z, [1, D]), [N, 1]) as tf.Tensor2D;
    return critic.q[0].forwardConst(tf.concat([obs, tf.tensor2d(mu, [N, A])], 1)).dataSync() as Float32Array;
  });
}
