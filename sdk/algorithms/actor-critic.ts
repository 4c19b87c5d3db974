/**
 * The off-policy actor-critic loop shared by SAC (sac.ts) and TD3 / Gamid-PG (td3.ts, gamid.ts):
 * everything that is the same for them lives here once, and each algorithm supplies an agent
 * (its acting rule and snapshots, around its learner: learners/sac.ts, learners/td3.ts,
 * learners/gamid.ts hold the networks and the update step).
 *
 *   config → warm-up (uniformly random actions in [−1, 1]^A; observation normalization from its
 *   data) → agent built with that normalization → loop { act (agent.explore) → replay buffer →
 *   `updatesPerStep` gradient steps (agent.update) → greedy evaluation every `evalEvery` steps }
 *   → best-evaluated parameters.
 *
 * Conventions shared by every agent:
 * - Actions are stored and learned on the policy scale a ∈ [−1, 1]^A; the environment receives
 *   low + (a + 1)(high − low)/2 (scaleAction). The bounds are stored with the model.
 * - Observations are normalized z = (s − offset)/scale with the warm-up mean and std (std floored
 *   at `obsStdFloor`, so a constant entry, e.g. a bandit's observation, gets scale = the floor and
 *   z = 0); fixed afterwards, stored with the model.
 * - Time-limit truncation is not termination: the real final observation is stored as s' and the
 *   target bootstraps through it.
 * - Everything random on the host (warm-up actions, exploration noise, minibatches, resets, update
 *   noise, initialization) comes from one Rng(seed): the same seed gives the same run on one backend.
 */
import { ValueError } from '../../contract/errors.js';
import { make, type Env } from '../envs/index.js';
import type { BoxSpace } from '../envs/spaces.js';
import { ReplayBuffer, type TransitionBatch } from '../replay.js';
import { EpisodeCollector } from '../episodes.js';
import { describeBackend, selectBackend, type BackendInfo } from '../backend.js';
import { Rng } from '../util/rng.js';
import { columnMeanStd } from '../util/stats.js';
import { formatDuration } from '../util/metrics.js';
import { runEpisodes, type EpisodeStats } from '../evaluate.js';
import { scaleAction } from '../../models/mixture-actor/head.js';
import { spaceToJson } from '../spaces-json.js';
import { BestTracker, evaluationSeed } from './evaluation.js';
import type { OffPolicyConfig } from './actor-critic-spec.js';
import type { ModelCheckpoint, TrainControl, TrainingSnapshot } from './snapshot.js';
import type { ActorCheckpointInfo } from '../../models/actor-critic/checkpoint.js';
import {
  RunClock,
  StateReader,
  StateWriter,
  emitSnapshot,
  readBuffer,
  readCollector,
  readEnv,
  readRng,
  readRows,
  readTracker,
  readTree,
  rowsCopy,
  stopNow,
  writeBuffer,
  writeCollector,
  writeEnv,
  writeRng,
  writeTracker,
  writeTree,
} from './training-state.js';

// The shared config fields (defaults, ranges, docs, flags) are the table in actor-critic-spec.ts.
export { OFF_POLICY_FIELDS, OFF_POLICY_DEFAULTS, validateOffPolicyConfig, type OffPolicyConfig } from './actor-critic-spec.js';

/** Observation normalization z = (s − offset)/scale. */
export interface ObsNormalization {
  offset: Float64Array;
  scale: Float64Array;
}

/** Normalizes n rows [n, D] into float32. */
function normalizeRows(
  x: ArrayLike<number>,
  n: number,
  norm: ObsNormalization,
  out = new Float32Array(n * norm.offset.length),
): Float32Array {
  const D = norm.offset.length;
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) out[i * D + j] = (x[i * D + j]! - norm.offset[j]!) / norm.scale[j]!;
  return out;
}

/** A minibatch with normalized float32 observations, ready for upload. */
export interface NormalizedBatch {
  size: number;
  obs: Float32Array;
  nextObs: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  /** 1 − terminated */
  notDone: Float32Array;
}

function normalizeBatch(b: TransitionBatch, norm: ObsNormalization): NormalizedBatch {
  return {
    size: b.size,
    obs: normalizeRows(b.obs, b.size, norm),
    nextObs: normalizeRows(b.nextObs, b.size, norm),
    actions: Float32Array.from(b.actions),
    rewards: Float32Array.from(b.rewards),
    notDone: Float32Array.from(b.terminated, (t) => 1 - t),
  };
}

/** What an algorithm plugs into the loop. */
export interface OffPolicyAgent<P> {
  /** Exploration action on the policy scale [−1, 1]^A for one normalized observation. */
  explore(z: Float32Array, rng: Rng, envStep: number): Float64Array;
  /** One gradient step (no host read inside). */
  update(batch: NormalizedBatch, rng: Rng, updateIndex: number): void;
  /** Means since the last call of the quantities the agent logs (reads back), e.g. critic_loss. */
  takeStats(): Record<string, number>;
  /** The current parameters on the host (reads back). */
  snapshot(): P;
  /** Greedy action on the policy scale for one normalized observation, from host parameters. */
  greedy(p: P, z: Float32Array): Float64Array;
  /** Extra text for the progress line (e.g. "α 0.12"). */
  describe?(stats: Record<string, number>): string;
  /** The exact state of the learner and of the agent's own acting state, for a training snapshot. */
  saveState(w: StateWriter): void;
  /** Continues from saveState (on an agent just built by the same createAgent). */
  restoreState(r: StateReader): void;
  dispose(): void;
}

export interface OffPolicyEvalRow {
  evaluation: number;
  env_steps: number;
  updates: number;
  eval_return_mean: number;
  eval_return_std: number;
  train_episodes: number;
  train_return_mean: number;
  wall_s: number;
  steps_per_s: number;
  [stat: string]: number;
}

export interface OffPolicyHooks<P> extends TrainControl {
  progress?: (line: string) => void;
  onEvaluation?: (row: OffPolicyEvalRow, best: P, isNewBest: boolean) => void;
}

export interface OffPolicyResult<P> {
  params: P;
  finalParams: P;
  bestEvalReturn: number;
  bestEvaluation: number;
  bestStep: number;
  log: OffPolicyEvalRow[];
  updates: number;
  backend: BackendInfo;
  env: Env;
  normalization: ObsNormalization;
  /** Training seconds, the sessions before a resume included. */
  wallSeconds: number;
  /** True when the run stopped early on `stopRequested` (params: as at a normal end, by keepBest). */
  interrupted: boolean;
}

/** The environment's Box action space, or a clear error for a discrete one. */
function boxActionSpace(env: Env, algo: string): BoxSpace {
  const sp = env.actionSpace;
  if (sp.kind !== 'box') {
    throw new ValueError(
      `${algo}: env ${env.id} has a discrete action space (${sp.n} actions); ${algo} needs continuous actions (e.g. Pendulum-v1, MountainCarContinuous-v0). For discrete actions use gmmqf, sgmmqf or dqn.`,
    );
  }
  for (let d = 0; d < sp.low.length; d++) {
    if (!Number.isFinite(sp.low[d]!) || !Number.isFinite(sp.high[d]!)) {
      throw new ValueError(
        `${algo}: env ${env.id} action bound [${sp.low[d]}, ${sp.high[d]}] of entry ${d} is not finite; the squashed actions need finite bounds.`,
      );
    }
  }
  return sp;
}

/** Mean and std of greedy returns; episode e resets with seed + e. */
export function evaluateGreedy<P>(
  agent: Pick<OffPolicyAgent<P>, 'greedy'>,
  p: P,
  env: Env,
  norm: ObsNormalization,
  episodes: number,
  seed: number,
): Promise<EpisodeStats> {
  const sp = env.actionSpace as BoxSpace;
  return runEpisodes(env, (obs) => scaleAction(agent.greedy(p, normalizeRows(obs, 1, norm)), sp.low, sp.high), episodes, seed);
}

/**
 * Runs the shared loop. `createAgent` is called once, after the warm-up, with the normalization.
 * `checkpoint(params, record)` builds the checkpoint a snapshot hands out (the family's save, as
 * data); `algorithm` names the TrainingState.
 */
export async function runOffPolicy<P>(
  algo: string,
  cfg: OffPolicyConfig,
  createAgent: (ctx: { D: number; A: number; norm: ObsNormalization; rng: Rng; env: Env }) => OffPolicyAgent<P>,
  hooks: OffPolicyHooks<P> & { header?: string; checkpoint?: (params: P, record: OffPolicyResult<P>) => ModelCheckpoint } = {},
): Promise<OffPolicyResult<P>> {
  const envOpts = cfg.maxEpisodeSteps === undefined ? undefined : { maxEpisodeSteps: cfg.maxEpisodeSteps };
  const env = make(cfg.env, envOpts);
  const evalEnv = make(cfg.env, envOpts);
  const space = boxActionSpace(env, algo);
  const D = env.observationSpace.shape.reduce((a, b) => a * b, 1);
  const A = space.low.length;
  const resume = hooks.resumeFrom ? StateReader.open(hooks.resumeFrom, algo, cfg as unknown as Record<string, unknown>) : null;
  const backend = await selectBackend(cfg.backend, { reads: 'sync', caller: `the ${algo} trainer` });
  hooks.progress?.(describeBackend(backend));
  if (hooks.header) hooks.progress?.(hooks.header);
  const clock = new RunClock(resume ? resume.num('wall_seconds') : 0);
  const rng = new Rng(cfg.seed);
  const buffer = new ReplayBuffer(Math.min(cfg.bufferSize, cfg.steps), D, A);

  const collector = new EpisodeCollector(env, buffer, rng);
  const step = (a: Float64Array): void => void collector.step(scaleAction(a, space.low, space.high), a);

  let norm: ObsNormalization;
  if (resume) {
    norm = { offset: resume.f64('obs_offset', D), scale: resume.f64('obs_scale', D) };
  } else {
    // ---- warm-up: uniform actions on the policy scale; normalization from its observations -------
    const W = cfg.warmupSteps;
    const warm = new Float64Array(W * D);
    for (let i = 0; i < W; i++) {
      warm.set(collector.obs, i * D);
      step(Float64Array.from({ length: A }, () => rng.uniformRange(-1, 1)));
    }
    const { mean, std } = columnMeanStd(warm, W, D);
    norm = { offset: mean, scale: std.map((s) => Math.max(s, cfg.obsStdFloor)) };
  }

  // on resume the agent's drawn initial weights are overwritten by the saved ones, the Rng by its saved position
  const agent = createAgent({ D, A, norm, rng, env });
  let current = agent.snapshot();
  const tracker = new BestTracker(current);
  let updates = 0;
  let log: OffPolicyEvalRow[] = [];
  if (resume) {
    agent.restoreState(resume.scope('agent'));
    readEnv(resume, 'env', env);
    readCollector(resume, 'collector', collector);
    readBuffer(resume, 'buffer', buffer);
    readTracker(resume, 'tracker', tracker);
    current = readTree<P>(resume, 'current');
    updates = resume.int('updates');
    log = readRows<OffPolicyEvalRow>(resume, 'log');
    rng.setState(readRng(resume, 'rng').getState());
    hooks.progress?.(`resumed at step ${collector.envSteps}/${cfg.steps} (${log.length} evaluations so far)`);
  }
  const resultOf = (params: P, finalParams: P, interrupted: boolean): OffPolicyResult<P> => ({
    params,
    finalParams,
    bestEvalReturn: tracker.bestReturn,
    bestEvaluation: tracker.bestIndex,
    bestStep: tracker.bestStep,
    log,
    updates,
    backend,
    env,
    normalization: norm,
    wallSeconds: clock.seconds,
    interrupted,
  });
  /** Everything the loop needs to continue (see ARCHITECTURE.md, "Snapshots and resume"). */
  const snapshot = (latest: P): TrainingSnapshot => {
    const w = new StateWriter();
    w.set('config', cfg);
    w.set('wall_seconds', clock.seconds);
    w.f64('obs_offset', norm.offset);
    w.f64('obs_scale', norm.scale);
    writeRng(w, 'rng', rng);
    writeEnv(w, 'env', env);
    writeCollector(w, 'collector', collector);
    writeBuffer(w, 'buffer', buffer);
    agent.saveState(w.scope('agent'));
    writeTracker(w, 'tracker', tracker);
    writeTree(w, 'current', current);
    w.set('updates', updates);
    w.set('log', log);
    if (!hooks.checkpoint) throw new ValueError(`${algo}: snapshots need a checkpoint builder (runOffPolicy hooks.checkpoint).`);
    const record = resultOf(tracker.best, latest, false);
    return {
      envSteps: collector.envSteps,
      latest: hooks.checkpoint(latest, record),
      best: hooks.checkpoint(tracker.best, record),
      state: w.build(algo, collector.envSteps),
      rows: rowsCopy(log),
    };
  };

  const z = new Float32Array(D);
  let interrupted = false;
  try {
    while (collector.envSteps < cfg.steps) {
      // the step in flight (act, store, learn, evaluate) is finished before a stop is honoured
      if (await stopNow(hooks)) {
        interrupted = true;
        break;
      }
      step(agent.explore(normalizeRows(collector.obs, 1, norm, z), rng, collector.envSteps));
      const envSteps = collector.envSteps;
      for (let u = 0; u < cfg.updatesPerStep; u++) agent.update(normalizeBatch(buffer.sample(cfg.batchSize, rng), norm), rng, updates++);
      if (envSteps % cfg.evalEvery === 0 || envSteps === cfg.steps) {
        const k = log.length + 1;
        current = agent.snapshot();
        const ev = await evaluateGreedy(agent, current, evalEnv, norm, cfg.evalEpisodes, evaluationSeed(cfg.seed, k));
        const isNewBest = tracker.offer(ev.mean, k, envSteps, () => current);
        const stats = agent.takeStats();
        const wall = clock.seconds;
        const row: OffPolicyEvalRow = {
          evaluation: k,
          env_steps: envSteps,
          updates,
          eval_return_mean: ev.mean,
          eval_return_std: ev.std,
          train_episodes: collector.episodes,
          train_return_mean: collector.recentReturnMean,
          ...stats,
          wall_s: wall,
          steps_per_s: envSteps / wall,
        };
        log.push(row);
        const eta = (wall / envSteps) * (cfg.steps - envSteps);
        hooks.progress?.(
          `step ${String(envSteps).padStart(String(cfg.steps).length)}/${cfg.steps}  return ${ev.mean.toFixed(1)} ± ${ev.std.toFixed(1)}  ` +
            `best ${tracker.bestReturn.toFixed(1)}  train ${row.train_return_mean.toFixed(1)}  ${agent.describe?.(stats) ?? ''}  ` +
            `${row.steps_per_s.toFixed(0)} steps/s  elapsed ${formatDuration(wall)}  ETA ${formatDuration(eta)}`,
        );
        hooks.onEvaluation?.(row, tracker.pick(cfg.keepBest, current), isNewBest);
        emitSnapshot(hooks, () => snapshot(current));
      }
    }
    if (interrupted) {
      const latest = agent.snapshot();
      emitSnapshot(hooks, () => snapshot(latest));
      hooks.progress?.(`stopped at step ${collector.envSteps}/${cfg.steps} on request; snapshot taken`);
      return resultOf(tracker.pick(cfg.keepBest, latest), latest, true);
    }
  } finally {
    agent.dispose();
  }
  return resultOf(tracker.pick(cfg.keepBest, current), current, false);
}

/**
 * The checkpoint record of an actor-critic run: spaces, env id, the training record and the
 * backend. `finalEval` is the greedy evaluation on unseen episodes that `gmmrl train` runs after
 * training (null for none, as in every snapshot taken during training).
 */
export function actorCheckpointInfo(
  env: Env,
  training: Record<string, unknown>,
  backend: string,
  finalEval: { mean: number; std: number; episodes: number } | null,
): ActorCheckpointInfo {
  return {
    observation_space: spaceToJson(env.observationSpace),
    action_space: spaceToJson(env.actionSpace),
    env_id: env.id,
    training: {
      ...training,
      final_eval_mean: finalEval?.mean ?? null,
      final_eval_std: finalEval?.std ?? null,
      final_eval_episodes: finalEval?.episodes ?? 0,
    },
    backend,
  };
}

/** The training record checkpoints store: every hyperparameter, the method, steps, the best evaluation, wall time. */
export function offPolicyTrainingRecord(
  algorithm: string,
  r: OffPolicyResult<unknown> & { config: OffPolicyConfig; method: string; parameterCount: number },
): Record<string, unknown> {
  return {
    algorithm,
    method: r.method,
    ...r.config,
    parameter_count: r.parameterCount,
    env_steps: r.log.at(-1)?.env_steps ?? 0,
    updates: r.updates,
    evaluations: r.log.length,
    best_evaluation: r.bestEvaluation,
    best_step: r.bestStep,
    best_eval_return: r.bestEvalReturn,
    wall_seconds: r.wallSeconds,
    backend: r.backend.name,
    observation_space: spaceToJson(r.env.observationSpace),
    action_space: spaceToJson(r.env.actionSpace),
  };
}
