/**
 * Gamid-PG (seed 002; ../shared/notes/algorithms.md §3): a mixture of N deterministic actors on the
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
import { configError, runOffPolicy, type OffPolicyHooks } from './actor-critic.js';
import {
  TD3_DEFAULTS,
  deterministicAgent,
  initDeterministicNetworks,
  validateTd3Config,
  type DeterministicParams,
  type DeterministicTrainResult,
  type Td3Config,
} from './td3.js';
import { GamidLearner } from './learners/gamid.js';
import { formatSchedule, scheduleValue, type LinearSchedule } from './schedule.js';

// ---- schedules (schedule.ts; re-exported for Gamid's config and CLI) -------------------------------

export { formatSchedule, parseSchedule, scheduleValue, type LinearSchedule } from './schedule.js';

// ---- config ---------------------------------------------------------------------------------

export interface GamidConfig extends Td3Config {
  /** Number of component actors N (default 5). */
  actors: number;
  /** Diversity temperature τ (default 0.1 constant; Table 5). */
  temperature: LinearSchedule;
  /** ε of the ε-greedy component choice (default 0.2 → 0.02 over the first half; Table 5, HalfCheetah). */
  epsilon: LinearSchedule;
}

export const GAMID_DEFAULTS: Readonly<GamidConfig> = Object.freeze({
  ...TD3_DEFAULTS,
  actors: 5,
  temperature: { start: 0.1, end: 0.1, fraction: 1 },
  epsilon: { start: 0.2, end: 0.02, fraction: 0.5 },
}) as GamidConfig;

export function validateGamidConfig(c: GamidConfig): void {
  validateTd3Config(c, 'gamid');
  if (!(Number.isSafeInteger(c.actors) && c.actors >= 1 && c.actors <= 64)) throw configError('gamid', 'actors', c.actors, 'an integer in [1, 64] (default 5)');
  for (const f of ['temperature', 'epsilon'] as const) {
    const s = c[f];
    const ok = s && [s.start, s.end, s.fraction].every(Number.isFinite) && s.start >= 0 && s.end >= 0 && s.fraction > 0 && s.fraction <= 1 && (f !== 'epsilon' || (s.start <= 1 && s.end <= 1));
    if (!ok) throw configError('gamid', f, s && formatSchedule(s), f === 'epsilon' ? 'values in [0, 1] and a fraction in (0, 1], e.g. 0.2:0.02:0.5' : 'values ≥ 0 and a fraction in (0, 1], e.g. 0.1 or 0.3:0.1:0.3');
  }
}

// ---- training -----------------------------------------------------------------------------------

export async function trainGamid(partial: Partial<GamidConfig> = {}, hooks: OffPolicyHooks<DeterministicParams> = {}): Promise<DeterministicTrainResult<GamidConfig>> {
  const cfg: GamidConfig = { ...GAMID_DEFAULTS, hidden: [...GAMID_DEFAULTS.hidden], ...partial };
  validateGamidConfig(cfg);
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
