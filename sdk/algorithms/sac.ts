/**
 * Soft actor-critic with squashed Gaussian mixture policies (Haarnoja et al. 2018; mixture policies
 * and the marginalized reparameterization estimator: seed 004; ../shared/notes/algorithms.md §2).
 * Top to bottom: config → train → the agent (acting, snapshots) → checkpoint record.
 *
 * The loop is actor-critic.ts's `runOffPolicy`; the update step (critic, actor, α, targets) is
 * `SacLearner` in learners/sac.ts.
 * Policies: sg (K = 1), sgm (K components, learned softmax weights), usgm (uniform weights).
 */
import { initMlp, mlpForward, mlpParameterCount, type MlpParams } from '../../models/actor-critic/mlp.js';
import { LOG_STD_MAX, LOG_STD_MIN, greedyAction, headOutputSize, parseHead, sampleAction } from '../../models/mixture-actor/head.js';
import type { MixtureActorParams } from '../../models/mixture-actor/params.js';
import type { Rng } from '../util/rng.js';
import {
  OFF_POLICY_DEFAULTS,
  configError,
  offPolicyTrainingRecord,
  runOffPolicy,
  validateOffPolicyConfig,
  type NormalizedBatch,
  type ObsNormalization,
  type OffPolicyAgent,
  type OffPolicyConfig,
  type OffPolicyHooks,
  type OffPolicyResult,
} from './actor-critic.js';
import { checkEstimator, methodName, type EstimatorName, type PolicyKind } from './sac-estimators.js';
import { SacLearner, type SacLearnerInit } from './learners/sac.js';

export interface SacConfig extends OffPolicyConfig {
  /** sg (single squashed Gaussian), sgm (mixture, learned weights), usgm (mixture, uniform weights). Default 'sg'. */
  policy: PolicyKind;
  /** Actor-gradient estimator (sac-estimators.ts). Default 'rp'. */
  estimator: EstimatorName;
  /** Mixture components K (default 5 for sgm/usgm; always 1 for sg). */
  components: number;
  /** Entropy scale α: a fixed number ≥ 0, or 'auto' (tuned towards targetEntropy). Default 'auto'. */
  alpha: number | 'auto';
  /** Initial α for 'auto' (default 1, SAC v2). */
  alphaInit: number;
  /** Target entropy for 'auto' (default −A). */
  targetEntropy?: number;
  /** Adam learning rate of log α (default 1e-3). */
  alphaLr: number;
  /** Samples per state M of the halfrp and lr estimators (≥ 2: leave-one-out baseline; default 4). */
  samples: number;
  /** Gumbel-softmax temperature τ_g of gumbelrp (default 1). */
  gumbelTemperature: number;
  /** Bounds of log σ (defaults −5, 2). */
  logStdMin: number;
  logStdMax: number;
}

export const SAC_DEFAULTS: Readonly<SacConfig> = Object.freeze({
  ...OFF_POLICY_DEFAULTS,
  policy: 'sg',
  estimator: 'rp',
  components: 1,
  alpha: 'auto',
  alphaInit: 1,
  alphaLr: 1e-3,
  samples: 4,
  gumbelTemperature: 1,
  logStdMin: LOG_STD_MIN,
  logStdMax: LOG_STD_MAX,
}) as SacConfig;

/** Default components for a policy: 1 for sg, 5 for the mixtures. */
export function defaultComponents(policy: PolicyKind): number {
  return policy === 'sg' ? 1 : 5;
}

export function validateSacConfig(c: SacConfig): void {
  validateOffPolicyConfig(c, 'sac');
  const K = c.components;
  if (!(Number.isSafeInteger(K) && K >= 1 && K <= 64)) throw configError('sac', 'components', K, 'an integer in [1, 64] (default 5 for sgm/usgm)');
  checkEstimator(c.policy, c.estimator, K, 'sac config');
  if (!(c.alpha === 'auto' || (typeof c.alpha === 'number' && Number.isFinite(c.alpha) && c.alpha >= 0))) {
    throw configError('sac', 'alpha', c.alpha, '"auto" or a fixed entropy scale ≥ 0 (e.g. 0.2)');
  }
  if (!(Number.isFinite(c.alphaInit) && c.alphaInit > 0)) throw configError('sac', 'alphaInit', c.alphaInit, '(0, ∞), e.g. 1');
  if (!(Number.isFinite(c.alphaLr) && c.alphaLr > 0)) throw configError('sac', 'alphaLr', c.alphaLr, '(0, ∞), e.g. 1e-3');
  if (c.targetEntropy !== undefined && !Number.isFinite(c.targetEntropy)) throw configError('sac', 'targetEntropy', c.targetEntropy, 'a finite number (default −A)');
  if (!(Number.isSafeInteger(c.samples) && c.samples >= 2 && c.samples <= 256)) throw configError('sac', 'samples', c.samples, 'an integer in [2, 256] (leave-one-out baseline)');
  if (!(Number.isFinite(c.gumbelTemperature) && c.gumbelTemperature > 0)) throw configError('sac', 'gumbelTemperature', c.gumbelTemperature, '(0, ∞), e.g. 1');
  if (!(Number.isFinite(c.logStdMin) && Number.isFinite(c.logStdMax) && c.logStdMin < c.logStdMax)) {
    throw configError('sac', 'logStdMin/logStdMax', [c.logStdMin, c.logStdMax], 'finite bounds with logStdMin < logStdMax (defaults −5, 2)');
  }
}

// ---- training ---------------------------------------------------------------------------------

/** What a SAC run returns besides the loop's record: the actor (and critics) on the host. */
export interface SacParams {
  actor: MixtureActorParams;
  critics: [MlpParams, MlpParams];
}

export type SacTrainResult = OffPolicyResult<SacParams> & { config: SacConfig; method: string; parameterCount: number };

/** Seeded initial networks (PyTorch's default init): actor [D, hidden…, P], twin critics [D + A, hidden…, 1]. */
export function initSacNetworks(cfg: SacConfig, D: number, A: number, rng: { uniform(): number }): SacLearnerInit {
  const P = headOutputSize({ K: cfg.components, A, weights: cfg.policy === 'sgm' ? 'learned' : 'uniform' });
  // the mixture means must start apart, so the actor's output layer keeps PyTorch's default scale
  const actor = initMlp([D, ...cfg.hidden, P], rng);
  const critics: [MlpParams, MlpParams] = [initMlp([D + A, ...cfg.hidden, 1], rng), initMlp([D + A, ...cfg.hidden, 1], rng)];
  return { actor, critics };
}

export async function trainSac(partial: Partial<SacConfig> = {}, hooks: OffPolicyHooks<SacParams> = {}): Promise<SacTrainResult> {
  const policy = partial.policy ?? SAC_DEFAULTS.policy;
  const cfg: SacConfig = { ...SAC_DEFAULTS, components: defaultComponents(policy), hidden: [...SAC_DEFAULTS.hidden], ...partial };
  validateSacConfig(cfg);
  const method = methodName(cfg.policy, cfg.estimator);
  let parameterCount = 0;
  const result = await runOffPolicy<SacParams>(
    'sac',
    cfg,
    ({ D, A, norm, rng, env }) => {
      const init = initSacNetworks(cfg, D, A, rng);
      parameterCount = mlpParameterCount(init.actor.layers);
      const learner = new SacLearner(cfg, D, A, init);
      const sp = env.actionSpace as { low: Float64Array; high: Float64Array };
      const bounds = { low: Float64Array.from(sp.low), high: Float64Array.from(sp.high) };
      hooks.progress?.(
        `model: SAC ${method}${cfg.policy === 'sg' ? '' : `, K = ${cfg.components}`}, actor MLP [${init.actor.layers.join(', ')}] (${parameterCount} parameters), ` +
          `twin critics [${init.critics[0].layers.join(', ')}], α ${cfg.alpha === 'auto' ? `auto (init ${cfg.alphaInit}, target entropy ${cfg.targetEntropy ?? -A})` : cfg.alpha}`,
      );
      return sacAgent(learner, norm, bounds);
    },
    hooks,
  );
  return { ...result, config: cfg, method, parameterCount };
}

function sacAgent(learner: SacLearner, norm: ObsNormalization, bounds: { low: Float64Array; high: Float64Array }): OffPolicyAgent<SacParams> {
  const head = learner.head;
  const A = learner.A;
  return {
    explore(z, rng) {
      const v = parseHead(head, learner.actorOutput(z));
      const u = rng.uniform();
      const eps = Float64Array.from({ length: A }, () => rng.normal());
      return sampleAction(head, v, u, eps).a;
    },
    update(batch: NormalizedBatch, rng: Rng) {
      learner.update(batch, learner.drawNoise(batch.size, rng));
    },
    takeStats: () => learner.takeStats(),
    snapshot(): SacParams {
      return {
        actor: { head: { ...head }, trunk: learner.actor.params(), obsOffset: norm.offset.slice(), obsScale: norm.scale.slice(), actionLow: bounds.low.slice(), actionHigh: bounds.high.slice() },
        critics: learner.critic.params(),
      };
    },
    greedy(p, z) {
      return greedyAction(head, parseHead(head, mlpForward(p.actor.trunk, z, 1)));
    },
    describe: (s) => `α ${s.alpha!.toPrecision(3)}  H ${(-s.log_prob!).toFixed(2)}  critic ${s.critic_loss!.toPrecision(3)}`,
    dispose: () => learner.dispose(),
  };
}

/** The training record for checkpoints (offPolicyTrainingRecord with algorithm "sac"). */
export function sacTrainingRecord(r: SacTrainResult): Record<string, unknown> {
  return offPolicyTrainingRecord('sac', r);
}

