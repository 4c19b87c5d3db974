/**
 * Gamid-PG ([Gamid-PG]; REFERENCES.md §3): a mixture of N deterministic actors on the
 * TD3 base (td3.ts). Top to bottom: schedules → config → train. The loop is actor-critic.ts's
 * `runOffPolicy` with td3.ts's `deterministicAgent`; the update step is `GamidLearner` in
 * learners/gamid.ts, the diversity term models/gamid-actor/diversity.ts.
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
import { mlpParameterCount } from '../../models/actor-critic/mlp.js';
import { runOffPolicy, type OffPolicyHooks } from './actor-critic.js';
import { resolveConfig } from '../config/spec.js';
import { GAMID_SPEC, type GamidConfig } from './gamid-spec.js';
import {
  deterministicAgent,
  deterministicCheckpoint,
  deterministicTrainingRecord,
  initDeterministicNetworks,
  type DeterministicParams,
  type DeterministicTrainResult,
} from './td3.js';
import { GamidLearner } from './learners/gamid.js';
import { formatSchedule, scheduleValue } from './schedule.js';

// ---- schedules (schedule.ts; re-exported for Gamid's config and CLI) -------------------------------

export { formatSchedule, parseSchedule, scheduleValue, type LinearSchedule } from './schedule.js';

// ---- config ---------------------------------------------------------------------------------

// The config (every field, its default, range, doc and flag) is the table in gamid-spec.ts.
export { GAMID_SPEC, GAMID_DEFAULTS, validateGamidConfig, type GamidConfig } from './gamid-spec.js';

// ---- training -----------------------------------------------------------------------------------

export async function trainGamid(
  partial: Partial<GamidConfig> = {},
  hooks: OffPolicyHooks<DeterministicParams> = {},
): Promise<DeterministicTrainResult<GamidConfig>> {
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
        (s) =>
          `τ ${s.temperature!.toPrecision(2)}  D ${Number.isFinite(s.diversity!) ? s.diversity!.toFixed(2) : 'n/a'}  critic ${s.critic_loss!.toPrecision(3)}`,
      );
      const explore = agent.explore.bind(agent);
      agent.explore = (z, r, t) => {
        learner.temperature = scheduleValue(cfg.temperature, t, cfg.steps);
        return explore(z, r, t);
      };
      return agent;
    },
    {
      ...hooks,
      checkpoint: (p, r) =>
        deterministicCheckpoint(
          p,
          r,
          gamidTrainingRecord({ ...r, algorithm: GAMID_SPEC.name, config: cfg, method: `Gamid-PG (N = ${cfg.actors})`, parameterCount }),
        ),
    },
  );
  return { ...result, algorithm: GAMID_SPEC.name, config: cfg, method: `Gamid-PG (N = ${cfg.actors})`, parameterCount };
}

/** The training record for checkpoints: offPolicyTrainingRecord with algorithm "gamid-pg", the schedules as text. */
export function gamidTrainingRecord(r: DeterministicTrainResult<GamidConfig>): Record<string, unknown> {
  return {
    ...deterministicTrainingRecord('gamid-pg', r),
    temperature: formatSchedule(r.config.temperature),
    epsilon: formatSchedule(r.config.epsilon),
  };
}
