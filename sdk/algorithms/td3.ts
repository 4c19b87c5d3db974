/**
 * TD3 (Fujimoto et al. 2018): the deterministic-policy base of Gamid-PG (gamid.ts), and the
 * single-Gaussian baseline of the Bandit1D comparison. Top to bottom: config → initial networks →
 * the agent shared with Gamid (acting, snapshots) → train.
 *
 * The loop is actor-critic.ts's `runOffPolicy`; the update step (critics, delayed actor, targets)
 * is `Td3Learner` in learners/td3.ts.
 * Acting: a = clip(μ(s) + σ_e ξ, −1, 1).  Greedy: μ(s).  μ(s) = tanh(MLP(z)).
 */
import { initMlp, mlpParameterCount, type MlpParams } from '../../models/actor-critic/mlp.js';
import { argmax, gamidComponents, type GamidActorParams } from '../../models/gamid-actor/params.js';
import type { Rng } from '../util/rng.js';
import { gamidActorCheckpointPayload } from '../../models/actor-critic/checkpoint.js';
import type { ModelCheckpoint } from './snapshot.js';
import {
  actorCheckpointInfo,
  offPolicyTrainingRecord,
  runOffPolicy,
  type ObsNormalization,
  type OffPolicyAgent,
  type OffPolicyHooks,
  type OffPolicyConfig,
  type OffPolicyResult,
} from './actor-critic.js';
import { Td3Learner, type DeterministicLearner } from './learners/td3.js';
import { resolveConfig } from '../config/spec.js';
import { TD3_SPEC, type Td3Config } from './td3-spec.js';

// The config (every field, its default, range, doc and flag) is the table in td3-spec.ts.
export { TD3_SPEC, TD3_DEFAULTS, validateTd3Config, type Td3Config } from './td3-spec.js';

/** Initial networks: N actors [D, hidden…, A], then twin critics [D + A, hidden…, 1] (draw order fixed). */
export function initDeterministicNetworks(
  hidden: number[],
  N: number,
  D: number,
  A: number,
  rng: { uniform(): number },
): { actors: MlpParams[]; critics: [MlpParams, MlpParams] } {
  const actors = Array.from({ length: N }, () => initMlp([D, ...hidden, A], rng));
  const critics: [MlpParams, MlpParams] = [initMlp([D + A, ...hidden, 1], rng), initMlp([D + A, ...hidden, 1], rng)];
  return { actors, critics };
}

/** A TD3 / Gamid run's parameters on the host: the actor (with the scoring critic Q₁) and both critics. */
export interface DeterministicParams {
  actor: GamidActorParams;
  critics: [MlpParams, MlpParams];
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
      learner.update(
        batch,
        Float32Array.from({ length: batch.size * A }, () => rng.normal()),
      );
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
    saveState(w) {
      w.set('last_epsilon', lastEps);
      learner.saveState(w.scope('learner'));
    },
    restoreState(r) {
      lastEps = r.num('last_epsilon');
      learner.restoreState(r.scope('learner'));
    },
    dispose: () => learner.dispose(),
  };
}

export type DeterministicTrainResult<C> = OffPolicyResult<DeterministicParams> & {
  algorithm: string;
  config: C;
  method: string;
  parameterCount: number;
};

export async function trainTd3(
  partial: Partial<Td3Config> = {},
  hooks: OffPolicyHooks<DeterministicParams> = {},
): Promise<DeterministicTrainResult<Td3Config>> {
  const cfg: Td3Config = resolveConfig(TD3_SPEC, partial);
  let parameterCount = 0;
  const result = await runOffPolicy<DeterministicParams>(
    'td3',
    cfg,
    ({ D, A, norm, rng, env }) => {
      const init = initDeterministicNetworks(cfg.hidden, 1, D, A, rng);
      parameterCount = mlpParameterCount(init.actors[0]!.layers);
      hooks.progress?.(
        `model: TD3, actor MLP [${init.actors[0]!.layers.join(', ')}] + tanh (${parameterCount} parameters), twin critics [${init.critics[0].layers.join(', ')}]`,
      );
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
    {
      ...hooks,
      checkpoint: (p, r) =>
        deterministicCheckpoint(
          p,
          r,
          deterministicTrainingRecord('td3', { ...r, algorithm: TD3_SPEC.name, config: cfg, method: 'TD3', parameterCount }),
        ),
    },
  );
  return { ...result, algorithm: TD3_SPEC.name, config: cfg, method: 'TD3', parameterCount };
}

/** The checkpoint `saveGamidActorCheckpoint` writes for these parameters with this training record, as data (no final evaluation). */
export function deterministicCheckpoint(
  p: DeterministicParams,
  r: OffPolicyResult<DeterministicParams>,
  training: Record<string, unknown>,
): ModelCheckpoint {
  return gamidActorCheckpointPayload(p.actor, p.critics, actorCheckpointInfo(r.env, training, r.backend.name, null));
}

/** The training record for checkpoints (offPolicyTrainingRecord). */
export function deterministicTrainingRecord<C extends OffPolicyConfig>(
  algorithm: string,
  r: DeterministicTrainResult<C>,
): Record<string, unknown> {
  return offPolicyTrainingRecord(algorithm, r);
}
