/**
 * Gamid-PG (seed 002; ../shared/notes/algorithms.md §3): a mixture of N deterministic actors on the
 * TD3 base (td3.ts). Top to bottom: schedules → config → the diversity term → learner → train.
 *
 * Acting: q_i = Q₁(s, μ_i(s)); i = argmax_i q_i with probability 1 − ε, else uniform over all N;
 *         a = clip(μ_i(s) + N(0, σ²I), −1, 1).
 * Critic target: i* = argmax_i min_j Q'_j(s', μ'_i(s')); a' = clip(μ'_{i*}(s') + clip(σ_t ξ, −c, c), −1, 1);
 *         y = r + γ (1 − d) min_j Q'_j(s', a').
 * Actor (every policyDelay updates), each i with the others held constant:
 *         maximize mean_s [ Q₁(s, μ_i(s)) + τ D_i(s) ],  D_i = −log Σ_{j≠i} exp(−‖μ_i(s) − μ_j(s)‖²)  (Eq. 4).
 * τ and ε decay linearly: "τ0:τ1:fraction" goes from τ0 to τ1 over the first fraction of the steps.
 * N = 1 and τ = 0 is TD3 exactly (tested): no component choice, no diversity term, the same Rng draws.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, describeValue } from '../../contract/errors.js';
import { mlpParameterCount, type MlpParams } from '../../models/actor-critic/mlp.js';
import { TfMlp, stopGradient } from '../../models/actor-critic/tf-mlp.js';
import { TwinCritic, gradList, makeAdam } from '../../models/actor-critic/critic.js';
import { runOffPolicy, type NormalizedBatch, type OffPolicyHooks } from './actor-critic.js';
import { formatSchedule, type LinearSchedule } from '../config/fields.js';
import { resolveConfig } from '../config/spec.js';
import { GAMID_SPEC, type GamidConfig } from './gamid-spec.js';
import {
  deterministicAction,
  deterministicAgent,
  initDeterministicNetworks,
  scoreComponents,
  smoothedTarget,
  type DeterministicLearner,
  type DeterministicParams,
  type DeterministicTrainResult,
} from './td3.js';

// ---- schedules ----------------------------------------------------------------------------------

// LinearSchedule, parseSchedule and formatSchedule are config kinds (sdk/config/fields.ts).
export { parseSchedule, formatSchedule, type LinearSchedule } from '../config/fields.js';

/** The value of a schedule at `step` of `totalSteps`: linear from start to end over the first fraction, then end. */
export function scheduleValue(s: LinearSchedule, step: number, totalSteps: number): number {
  const span = s.fraction * totalSteps;
  if (span <= 0 || step >= span) return s.end;
  return s.start + ((s.end - s.start) * step) / span;
}

// ---- config ---------------------------------------------------------------------------------

// The config (every field, its default, range, doc and flag) is the table in gamid-spec.ts.
export { GAMID_SPEC, GAMID_DEFAULTS, validateGamidConfig, type GamidConfig } from './gamid-spec.js';

// ---- the diversity term -------------------------------------------------------------------------

/**
 * D_i = −log Σ_{j≠i} exp(−‖μ_i − sg(μ_j)‖²) for μ [N, B, A] → [N, B] (others held constant through
 * the stop-gradient). Needs N ≥ 2. Inside tidy.
 */
export function diversityTerm(mu: tf.Tensor3D): tf.Tensor2D {
  const [N, B, A] = mu.shape;
  if (N < 2) throw new ValueError(`diversityTerm: needs at least 2 components; got N = ${describeValue(N)}.`);
  const diff = tf.sub(tf.reshape(mu, [N, 1, B, A]), tf.reshape(stopGradient(mu), [1, N, B, A]));
  const d2 = tf.sum(tf.square(diff), 3); // [N(i), N(j), B]
  const diag = tf.reshape(tf.mul(tf.eye(N), 1e30), [N, N, 1]); // j = i excluded: exp(−∞) = 0
  return tf.neg(tf.logSumExp(tf.sub(tf.neg(d2), diag), 1)) as tf.Tensor2D;
}

/** Float64 reference of D_i for one state: mu [N·A] → [N]. */
export function diversityTermReference(mu: ArrayLike<number>, N: number, A: number): Float64Array {
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const t: number[] = [];
    for (let j = 0; j < N; j++) {
      if (j === i) continue;
      let d2 = 0;
      for (let d = 0; d < A; d++) d2 += (mu[i * A + d]! - mu[j * A + d]!) ** 2;
      t.push(-d2);
    }
    const m = Math.max(...t);
    out[i] = -(m + Math.log(t.reduce((s, v) => s + Math.exp(v - m), 0)));
  }
  return out;
}

// ---- learner ------------------------------------------------------------------------------------

export class GamidLearner implements DeterministicLearner {
  readonly N: number;
  readonly actors: TfMlp[];
  readonly actorTargets: TfMlp[];
  readonly critic: TwinCritic;
  private readonly opt: tf.AdamOptimizer;
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
    this.opt = makeAdam({ learningRate: cfg.actorLr });
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
        const scores = tf.stack(mus2.map((m) => this.critic.targetMin(next, m)), 1); // [B, N]
        const pick = tf.reshape(tf.cast(tf.oneHot(tf.argMax(scores, 1), N), 'float32'), [B, N, 1]);
        mu2 = tf.sum(tf.mul(pick, tf.stack(mus2, 1)), 1) as tf.Tensor2D;
      }
      const a2 = smoothedTarget(mu2, tf.tensor2d(xi, [B, A]), this.cfg);
      const y = tf.add(tf.tensor1d(batch.rewards), tf.mul(tf.mul(tf.tensor1d(batch.notDone), this.cfg.gamma), this.critic.targetMin(next, a2))) as tf.Tensor1D;
      const criticLoss = this.critic.update(obs, tf.tensor2d(batch.actions, [B, A]), y);

      // ---- actors: Q₁ of every component (one critic pass), plus τ·D_i ------------------------
      let actorLoss: tf.Scalar = tf.scalar(0);
      let diversity: tf.Scalar = tf.scalar(0);
      if (++this.criticUpdates % this.cfg.policyDelay === 0) {
        const obsN = N === 1 ? obs : (tf.tile(obs, [N, 1]) as tf.Tensor2D);
        let divKept: tf.Scalar | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const mus = this.actors.map((a) => deterministicAction(a, obs, true));
          const q1 = this.critic.qInputGrad(obsN, N === 1 ? mus[0]! : (tf.concat(mus, 0) as tf.Tensor2D))[0];
          let loss = tf.neg(tf.sum(tf.mean(tf.reshape(q1, [N, B]), 1))) as tf.Scalar; // −Σ_i mean_s Q₁(s, μ_i)
          if (N > 1 && tau > 0) {
            const div = tf.mean(tf.reshape(diversityTerm(tf.stack(mus, 0) as tf.Tensor3D), [N, B]), 1); // [N]
            divKept = tf.keep(tf.mean(div)) as tf.Scalar;
            loss = tf.sub(loss, tf.mul(tau, tf.sum(div))) as tf.Scalar;
          }
          return loss;
        }, this.actors.flatMap((a) => a.vars()));
        this.opt.applyGradients(gradList(grads));
        actorLoss = value;
        if (divKept) diversity = tf.clone(divKept as tf.Scalar);
        (divKept as tf.Scalar | null)?.dispose();
        this.actorTargets.forEach((t, i) => t.polyakFrom(this.actors[i]!, this.cfg.tau));
        this.critic.updateTargets(this.cfg.tau);
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
    const r = { critic_loss: this.statCount ? s[0]! / this.statCount : NaN, actor_loss: a ? s[1]! / a : NaN, diversity: a ? s[2]! / a : NaN, temperature: this.temperature };
    this.statCount = 0;
    this.actorUpdates = 0;
    return r;
  }

  componentActions(z: Float32Array): Float32Array {
    return tf.tidy(() => {
      const x = tf.tensor2d(z, [1, this.D]);
      return tf.concat(this.actors.map((a) => deterministicAction(a, x, false)), 0).dataSync() as Float32Array;
    });
  }

  scores(z: Float32Array, mu: Float32Array): Float32Array {
    return scoreComponents(this.critic, z, mu, this.N, this.D, this.A);
  }

  actorParams(): MlpParams[] {
    return this.actors.map((a) => a.params());
  }

  dispose(): void {
    [...this.actors, ...this.actorTargets].forEach((n) => n.dispose());
    this.critic.dispose();
    this.opt.dispose();
    this.stats.dispose();
  }
}

// ---- training -----------------------------------------------------------------------------------

export async function trainGamid(partial: Partial<GamidConfig> = {}, hooks: OffPolicyHooks<DeterministicParams> = {}): Promise<DeterministicTrainResult<GamidConfig>> {
  const cfg: GamidConfig = resolveConfig(GAMID_SPEC, partial);
  let parameterCount = 0;
  const result = await runOffPolicy<DeterministicParams>(
    'gamid',
    cfg,
    ({ D, A, norm, rng, env }) => {
      const init = initDeterministicNetworks(cfg.hidden, cfg.actors, D, A, rng);
      parameterCount = cfg.actors * mlpParameterCount(init.actors[0]!.layers);
      hooks.progress?.(
        `model: Gamid-PG, N = ${cfg.actors} actors [${init.actors[0]!.layers.join(', ')}] + tanh (${parameterCount} parameters), twin critics ` +
          `[${init.critics[0].layers.join(', ')}], τ ${formatSchedule(cfg.temperature)}, ε ${formatSchedule(cfg.epsilon)}`,
      );
      const learner = new GamidLearner(cfg, D, A, init);
      const sp = env.actionSpace as { low: Float64Array; high: Float64Array };
      const agent = deterministicAgent(
        learner,
        cfg.actors,
        norm,
        { low: Float64Array.from(sp.low), high: Float64Array.from(sp.high) },
        { explorationStd: cfg.explorationStd, epsilon: (t) => scheduleValue(cfg.epsilon, t, cfg.steps) },
        (s) => `τ ${s.temperature!.toPrecision(2)}  D ${Number.isFinite(s.diversity!) ? s.diversity!.toFixed(2) : 'n/a'}  critic ${s.critic_loss!.toPrecision(3)}`,
      );
      const explore = agent.explore.bind(agent);
      agent.explore = (z, r, t) => {
        learner.temperature = scheduleValue(cfg.temperature, t, cfg.steps);
        return explore(z, r, t);
      };
      return agent;
    },
    hooks,
  );
  return { ...result, config: cfg, method: `Gamid-PG (N = ${cfg.actors})`, parameterCount };
}
