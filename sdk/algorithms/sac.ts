/**
 * Soft actor-critic with squashed Gaussian mixture policies (Haarnoja et al. 2018; mixture policies
 * and the marginalized reparameterization estimator: [MRP]; REFERENCES.md §2).
 * Top to bottom: config → train → the agent (acting, snapshots) → checkpoint record.
 *
 * The loop is actor-critic.ts's `runOffPolicy`; the update step (critic, actor, α, targets) is
 * `SacLearner` in learners/sac.ts.
 * Policies: sg (K = 1), sgm (K components, learned softmax weights), usgm (uniform weights).
 */
import { initMlp, mlpForward, mlpParameterCount, type MlpParams } from '../../models/actor-critic/mlp.js';
import { greedyAction, headOutputSize, parseHead, sampleAction } from '../../models/mixture-actor/head.js';
import type { MixtureActorParams } from '../../models/mixture-actor/params.js';
import type { Rng } from '../util/rng.js';
import { mixtureActorCheckpointPayload } from '../../models/actor-critic/checkpoint.js';
import {
  actorCheckpointInfo,
  offPolicyTrainingRecord,
  runOffPolicy,
  type NormalizedBatch,
  type ObsNormalization,
  type OffPolicyAgent,
  type OffPolicyHooks,
  type OffPolicyResult,
} from './actor-critic.js';
import { methodName } from './sac-estimators.js';
import { SacLearner, type SacLearnerInit } from './learners/sac.js';
import { resolveConfig } from '../config/spec.js';
import { SAC_SPEC, type SacConfig } from './sac-spec.js';

// The config (every field, its default or per-policy rule, range, doc and flag) is the table in sac-spec.ts.
export { SAC_SPEC, SAC_DEFAULTS, validateSacConfig, defaultComponents, defaultEstimator, type SacConfig } from './sac-spec.js';

// ---- training ---------------------------------------------------------------------------------

/** What a SAC run returns besides the loop's record: the actor (and critics) on the host. */
export interface SacParams {
  actor: MixtureActorParams;
  critics: [MlpParams, MlpParams];
}

export type SacTrainResult = OffPolicyResult<SacParams> & { algorithm: string; config: SacConfig; method: string; parameterCount: number };

/** Seeded initial networks (PyTorch's default init): actor [D, hidden…, P], twin critics [D + A, hidden…, 1]. */
export function initSacNetworks(cfg: SacConfig, D: number, A: number, rng: { uniform(): number }): SacLearnerInit {
  const P = headOutputSize({ K: cfg.components, A, weights: cfg.policy === 'sgm' ? 'learned' : 'uniform' });
  // the mixture means must start apart, so the actor's output layer keeps PyTorch's default scale
  const actor = initMlp([D, ...cfg.hidden, P], rng);
  const critics: [MlpParams, MlpParams] = [initMlp([D + A, ...cfg.hidden, 1], rng), initMlp([D + A, ...cfg.hidden, 1], rng)];
  return { actor, critics };
}

export async function trainSac(partial: Partial<SacConfig> = {}, hooks: OffPolicyHooks<SacParams> = {}): Promise<SacTrainResult> {
  const cfg: SacConfig = resolveConfig(SAC_SPEC, partial);
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
    {
      ...hooks,
      checkpoint: (p, r) =>
        mixtureActorCheckpointPayload(
          p.actor,
          p.critics,
          actorCheckpointInfo(
            r.env,
            sacTrainingRecord({ ...r, algorithm: SAC_SPEC.name, config: cfg, method, parameterCount }),
            r.backend.name,
            null,
          ),
        ),
    },
  );
  return { ...result, algorithm: SAC_SPEC.name, config: cfg, method, parameterCount };
}

function sacAgent(
  learner: SacLearner,
  norm: ObsNormalization,
  bounds: { low: Float64Array; high: Float64Array },
): OffPolicyAgent<SacParams> {
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
        actor: {
          head: { ...head },
          trunk: learner.actor.params(),
          obsOffset: norm.offset.slice(),
          obsScale: norm.scale.slice(),
          actionLow: bounds.low.slice(),
          actionHigh: bounds.high.slice(),
        },
        critics: learner.critic.params(),
      };
    },
    greedy(p, z) {
      return greedyAction(head, parseHead(head, mlpForward(p.actor.trunk, z, 1)));
    },
    describe: (s) => `α ${s.alpha!.toPrecision(3)}  H ${(-s.log_prob!).toFixed(2)}  critic ${s.critic_loss!.toPrecision(3)}`,
    saveState: (w) => learner.saveState(w.scope('learner')),
    restoreState: (r) => learner.restoreState(r.scope('learner')),
    dispose: () => learner.dispose(),
  };
}

/** The training record for checkpoints (offPolicyTrainingRecord with algorithm "sac"). */
export function sacTrainingRecord(r: SacTrainResult): Record<string, unknown> {
  return offPolicyTrainingRecord('sac', r);
}
