/**
 * DQN and Double DQN (Mnih et al. 2015; van Hasselt et al. 2016): the neural Q-function baseline the
 * GMM-QF papers compare against, trained, checkpointed and exported through the same contract as
 * the GMM-QF so the two can be compared on equal terms. Top to bottom:
 *
 *   config → warm-up (uniformly random actions; observation normalization from its data) → seeded
 *   network init → loop { ε-greedy step → replay buffer → one gradient step on a uniform minibatch
 *   (every `trainEvery` steps) → hard target update (every `targetUpdate` steps) → greedy
 *   evaluation (every `evalEvery` steps) } → best-evaluated parameters.
 *
 * The loop is `trainDqn` below; the update step is `DqnLearner` (learners/dqn.ts, one tf.tidy, no read-back):
 *   y    = r + γ (1 − terminated) · max_a Q_target(s', a)                          (DQN)
 *   y    = r + γ (1 − terminated) · Q_target(s', argmax_a Q_online(s', a))          (Double DQN)
 *   loss = mean_i Huber_δ(Q_online(s_i, a_i) − y_i),  δ = 1
 *   g    ← ∇loss, clipped to global norm 10;  Adam(lr 1e-3, β = (0.9, 0.999), ε = 1e-8)
 *
 * Choices (each a config field; defaults in DQN_DEFAULTS):
 * - Time-limit truncation is not termination: the stored s' is the real final observation and the
 *   target bootstraps through it (Gymnasium semantics).
 * - Observation normalization z = (s − offset) / scale with offset/scale = mean/std of the warm-up
 *   observations, fixed afterwards, stored with the model and applied inside the exported graph.
 *   The std is floored at `obsStdFloor` (default 1e-3) so that a (nearly) constant entry, e.g.
 *   a velocity that is always 0 at reset, does not divide by ~0; the floor is recorded in the training record.
 * - Weights: He-uniform on hidden layers, Glorot-uniform on the output layer, biases 0, drawn from
 *   the run's seeded Rng (models/dqn/params.ts `initDqnParams`), never from TensorFlow.js's global RNG.
 * - Everything random on the host (actions, ε draws, resets, minibatches, init) comes from one
 *   `Rng(seed)`: the same seed gives the same parameters (on the same backend).
 * - Continuous action spaces (Pendulum-v1, MountainCarContinuous-v0) need an `actionGrid`: the
 *   network has one output per grid point and the environment receives that point's row.
 * - The result holds the parameters with the best greedy evaluation (ties to the later one).
 */
import { Rng } from '../util/rng.js';
import { make, type Env } from '../envs/index.js';
import { ValueError } from '../../contract/errors.js';
import { ReplayBuffer } from '../replay.js';
import { EpisodeCollector } from '../episodes.js';
import { selectBackend, describeBackend, type BackendInfo } from '../backend.js';
import { formatDuration } from '../util/metrics.js';
import { columnMeanStd } from '../util/stats.js';
import { spaceToJson } from '../spaces-json.js';
import { runEpisodes, type EpisodeStats } from '../evaluate.js';
import { DqnLearner } from './learners/dqn.js';
import { BestTracker, evaluationSeed } from './evaluation.js';
import { scheduleValue, type Schedule } from './schedule.js';
import { argmaxRows, dqnQValues } from '../../models/dqn/reference.js';
import { cloneDqnParams, dqnParameterCount, initDqnParams, type ActionGrid, type DqnParams } from '../../models/dqn/params.js';
import { dqnCheckpointPayload, type DqnCheckpointInfo } from '../../models/dqn/checkpoint.js';
import type { TrainControl, TrainingSnapshot } from './snapshot.js';
import {
  RunClock,
  StateReader,
  StateWriter,
  emitSnapshotAsync,
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
import { resolveConfig } from '../config/spec.js';
import { DQN_SPEC, type DqnTrainConfig } from './dqn-spec.js';

// The config (every field, its default, range, doc and flag) is the table in dqn-spec.ts.
export { DQN_SPEC, DQN_DEFAULTS, validateDqnConfig, type DqnTrainConfig } from './dqn-spec.js';

/** One row per evaluation (metrics.csv). */
export interface DqnEvalLog {
  evaluation: number;
  env_steps: number;
  epsilon: number;
  /** Gradient updates so far. */
  updates: number;
  /** Mean Huber TD loss over the updates since the previous evaluation (NaN when none). */
  loss: number;
  eval_return_mean: number;
  eval_return_std: number;
  train_episodes: number;
  /** Mean return of the last (up to) 10 finished training episodes (NaN when none). */
  train_return_mean: number;
  wall_s: number;
  steps_per_s: number;
}

export interface DqnTrainResult {
  /** The algorithm that trained it (its spec's name, as `gmmrl train` names it): what saveCheckpoint reads to save it. */
  algorithm: string;
  /** The best-evaluated parameters (the last ones when keepBest is false). */
  params: DqnParams;
  /** The parameters at the end of training. */
  finalParams: DqnParams;
  bestEvalReturn: number;
  /** 1-based index of the best evaluation, and its environment step. */
  bestEvaluation: number;
  bestStep: number;
  log: DqnEvalLog[];
  /** Trainable parameters of the network (Σ in·out + out). */
  parameterCount: number;
  /** Gradient updates applied. */
  updates: number;
  backend: BackendInfo;
  config: DqnTrainConfig;
  env: Env;
  /** Training seconds, the sessions before a resume included. */
  wallSeconds: number;
  /** True when the run stopped early on `stopRequested` (params: as at a normal end, by keepBest). */
  interrupted: boolean;
}

export interface DqnTrainHooks extends TrainControl {
  /** One line of progress text per evaluation (and two header lines); default: nothing. */
  progress?: (line: string) => void;
  /** Called after each evaluation with its log row and the current best parameters. */
  onEvaluation?: (row: DqnEvalLog, best: DqnParams, isNewBest: boolean) => void;
  /** Called after every environment step with what was stored (diagnostics; default: nothing). */
  onStep?: (step: DqnStepInfo) => void;
}

/** One environment step as the trainer saw and stored it. */
export interface DqnStepInfo {
  /** Environment steps so far, this one included. */
  envSteps: number;
  /** Action index (grid index for a grid). */
  action: number;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  /** The terminal flag stored in the replay buffer (no bootstrap): `terminated` only, never a truncation. */
  storedTerminal: boolean;
}

/** Grid index → the environment action: the grid row, as float32 (what the exported graph outputs). */
function gridRow(grid: ActionGrid, a: number): Float32Array {
  const size = grid.shape.reduce((x, y) => x * y, 1);
  return Float32Array.from(grid.values.subarray(a * size, (a + 1) * size));
}

/**
 * Mean and std of greedy returns over `episodes` episodes (episode e resets with seed + e), acting
 * with the float64 reference network (no TensorFlow.js dispatch per step).
 */
export function evaluateDqnGreedy(p: DqnParams, env: Env, episodes: number, seed: number): Promise<EpisodeStats> {
  const A = p.layers.at(-1)!;
  const grid = p.actionGrid;
  return runEpisodes(
    env,
    (obs) => {
      const a = argmaxRows(dqnQValues(p, obs, 1), 1, A)[0]!;
      return grid ? gridRow(grid, a) : a;
    },
    episodes,
    seed,
  );
}

/** Trains a DQN (or Double DQN). */
export async function trainDqn(partial: Partial<DqnTrainConfig> = {}, hooks: DqnTrainHooks = {}): Promise<DqnTrainResult> {
  const cfg: DqnTrainConfig = resolveConfig(DQN_SPEC, partial);
  const env = make(cfg.env);
  const evalEnv = make(cfg.env);
  const grid = cfg.actionGrid;
  const space = env.actionSpace;
  let A: number;
  if (space.kind === 'discrete') {
    if (grid) {
      throw new ValueError(
        `dqn config: actionGrid is set but ${cfg.env} has a discrete action space (${space.n} actions); remove actionGrid.`,
      );
    }
    A = space.n;
  } else {
    const size = space.shape.reduce((a, b) => a * b, 1);
    if (!grid) {
      throw new ValueError(
        `dqn: env ${cfg.env} has a continuous action space (shape [${space.shape}]); DQN needs discrete actions. ` +
          `Pass actionGrid: { shape: [${space.shape}], values, low, high } with one row of ${size} numbers per grid point.`,
      );
    }
    const gsize = grid.shape.reduce((a, b) => a * b, 1);
    if (gsize !== size || grid.shape.length !== space.shape.length || grid.shape.some((d, i) => d !== space.shape[i])) {
      throw new ValueError(`dqn config: actionGrid.shape = [${grid.shape}] does not match ${cfg.env}'s action shape [${space.shape}].`);
    }
    for (let j = 0; j < size; j++) {
      if (grid.low[j] !== space.low[j] || grid.high[j] !== space.high[j]) {
        throw new ValueError(
          `dqn config: actionGrid.low/high[${j}] = [${grid.low[j]}, ${grid.high[j]}] differ from ${cfg.env}'s action bounds ` +
            `[${space.low[j]}, ${space.high[j]}]; record the environment's bounds.`,
        );
      }
    }
    A = grid.values.length / size;
  }
  const D = env.observationSpace.shape.reduce((a, b) => a * b, 1);
  const layers = [D, ...cfg.hidden, A];
  const parameterCount = dqnParameterCount(layers);

  const backend = await selectBackend(cfg.backend, { reads: 'async', caller: 'the dqn trainer' });
  hooks.progress?.(describeBackend(backend));
  hooks.progress?.(
    `model: ${cfg.double ? 'Double DQN' : 'DQN'}, MLP [${layers.join(', ')}] relu, ${parameterCount} parameters` +
      (grid ? ` (${A} grid actions)` : ''),
  );
  const resume = hooks.resumeFrom ? StateReader.open(hooks.resumeFrom, DQN_SPEC.name, cfg) : null;
  const clock = new RunClock(resume ? resume.num('wall_seconds') : 0);
  const rng = new Rng(cfg.seed);
  const buffer = new ReplayBuffer(Math.min(cfg.bufferSize, cfg.steps), D, 1);
  const toEnvAction = (a: number): number | Float32Array => (grid ? gridRow(grid, a) : a);

  // ---- environment loop (store, count, reset; truncation is not termination) -------------------
  const collector = new EpisodeCollector(env, buffer, rng);
  const step = (a: number): void => {
    const r = collector.step(toEnvAction(a), a);
    hooks.onStep?.({
      envSteps: collector.envSteps,
      action: a,
      reward: r.reward,
      terminated: r.terminated,
      truncated: r.truncated,
      storedTerminal: r.terminated,
    });
  };

  let obsOffset: Float64Array;
  let obsScale: Float64Array;
  if (resume) {
    obsOffset = resume.f64('obs_offset', D);
    obsScale = resume.f64('obs_scale', D);
  } else {
    // ---- warm-up: uniformly random actions; normalization from its observations ----------------
    const W = cfg.warmupSteps;
    const warm = new Float64Array(W * D);
    for (let i = 0; i < W; i++) {
      warm.set(collector.obs, i * D);
      step(rng.integer(A));
    }
    const { mean, std } = columnMeanStd(warm, W, D);
    obsOffset = mean;
    obsScale = std.map((sd) => Math.max(sd, cfg.obsStdFloor));
    const floored = Array.from(obsScale, (s, j) => [s, j] as const)
      .filter(([s]) => s === cfg.obsStdFloor)
      .map(([, j]) => j);
    if (floored.length > 0) {
      hooks.progress?.(
        `normalization: the warm-up std of observation entr${floored.length > 1 ? 'ies' : 'y'} [${floored.join(', ')}] is below obsStdFloor = ${cfg.obsStdFloor}; ` +
          'their scale is set to the floor (z = (s − mean) / floor).',
      );
    }
  }

  // ---- networks ---------------------------------------------------------------------------------
  // on resume the drawn weights are overwritten by the saved ones (and the Rng by its saved position)
  const init = initDqnParams(layers, rng, { obsOffset, obsScale }, grid);
  const learner = new DqnLearner(init, {
    gamma: cfg.gamma,
    double: cfg.double,
    learningRate: cfg.learningRate,
    huberDelta: cfg.huberDelta,
    gradClip: cfg.gradClip,
  });

  const tracker = new BestTracker(cloneDqnParams(init));
  let log: DqnEvalLog[] = [];
  const epsilon: Schedule = { start: cfg.epsStart, end: cfg.epsEnd, fraction: cfg.epsDecayFraction };
  const epsilonAt = (t: number): number => scheduleValue(epsilon, t, cfg.steps);
  let current: DqnParams = init;
  if (resume) {
    learner.restoreState(resume.scope('learner'));
    readEnv(resume, 'env', env);
    readCollector(resume, 'collector', collector);
    readBuffer(resume, 'buffer', buffer);
    readTracker(resume, 'tracker', tracker);
    current = readTree<DqnParams>(resume, 'current');
    log = readRows<DqnEvalLog>(resume, 'log');
    rng.setState(readRng(resume, 'rng').getState());
    hooks.progress?.(`resumed at step ${collector.envSteps}/${cfg.steps} (${log.length} evaluations so far)`);
  }

  const resultOf = (params: DqnParams, finalParams: DqnParams, interrupted: boolean): DqnTrainResult => ({
    algorithm: DQN_SPEC.name,
    params,
    finalParams,
    bestEvalReturn: tracker.bestReturn,
    bestEvaluation: tracker.bestIndex,
    bestStep: tracker.bestStep,
    log,
    parameterCount,
    updates: log.at(-1)?.updates ?? 0,
    backend,
    config: cfg,
    env,
    wallSeconds: clock.seconds,
    interrupted,
  });
  /** Everything the loop needs to continue (see ARCHITECTURE.md, "Snapshots and resume"). */
  const snapshot = async (latest: DqnParams): Promise<TrainingSnapshot> => {
    const w = new StateWriter();
    w.set('config', cfg);
    w.set('wall_seconds', clock.seconds);
    w.f64('obs_offset', obsOffset);
    w.f64('obs_scale', obsScale);
    writeRng(w, 'rng', rng);
    writeEnv(w, 'env', env);
    writeCollector(w, 'collector', collector);
    writeBuffer(w, 'buffer', buffer);
    await learner.saveState(w.scope('learner'));
    writeTracker(w, 'tracker', tracker);
    writeTree(w, 'current', current);
    w.set('log', log);
    const r = resultOf(tracker.best, latest, false);
    const info = dqnCheckpointInfo(r);
    return {
      envSteps: collector.envSteps,
      latest: dqnCheckpointPayload(latest, info),
      best: dqnCheckpointPayload(tracker.best, info),
      state: w.build(DQN_SPEC.name, collector.envSteps),
      rows: rowsCopy(log),
    };
  };

  let interrupted = false;
  try {
    while (collector.envSteps < cfg.steps) {
      // the step in flight (act, store, learn, evaluate) is finished before a stop is honoured
      if (await stopNow(hooks)) {
        interrupted = true;
        break;
      }
      // ---- act ε-greedily w.r.t. the online network -----------------------------------------
      const eps = epsilonAt(collector.envSteps);
      const a = rng.uniform() < eps ? rng.integer(A) : argmaxRows(await learner.qValues(collector.obs, 1), 1, A)[0]!;
      step(a);
      const envSteps = collector.envSteps;

      // ---- learn (learners/dqn.ts) ----------------------------------------------------------
      if (envSteps % cfg.trainEvery === 0) learner.update(buffer.sample(cfg.batchSize, rng));
      if (envSteps % cfg.targetUpdate === 0) learner.syncTarget();

      // ---- greedy evaluation ----------------------------------------------------------------
      if (envSteps % cfg.evalEvery === 0 || envSteps === cfg.steps) {
        const k = log.length + 1;
        current = await learner.params();
        const ev = await evaluateDqnGreedy(current, evalEnv, cfg.evalEpisodes, evaluationSeed(cfg.seed, k));
        const isNewBest = tracker.offer(ev.mean, k, envSteps, () => cloneDqnParams(current));
        const { loss } = await learner.takeLossMean();
        const wall = clock.seconds;
        const row: DqnEvalLog = {
          evaluation: k,
          env_steps: envSteps,
          epsilon: epsilonAt(envSteps),
          updates: learner.updates,
          loss,
          eval_return_mean: ev.mean,
          eval_return_std: ev.std,
          train_episodes: collector.episodes,
          train_return_mean: collector.recentReturnMean,
          wall_s: wall,
          steps_per_s: envSteps / wall,
        };
        log.push(row);
        const eta = (wall / envSteps) * (cfg.steps - envSteps);
        hooks.progress?.(
          `step ${String(envSteps).padStart(String(cfg.steps).length)}/${cfg.steps}  ε ${row.epsilon.toFixed(2)}  ` +
            `return ${ev.mean.toFixed(1)} ± ${ev.std.toFixed(1)}  best ${tracker.bestReturn.toFixed(1)}  train ${row.train_return_mean.toFixed(1)}  ` +
            `loss ${Number.isFinite(loss) ? loss.toPrecision(3) : 'n/a'} (${learner.updates} updates)  ` +
            `${row.steps_per_s.toFixed(0)} steps/s  elapsed ${formatDuration(wall)}  ETA ${formatDuration(eta)}`,
        );
        hooks.onEvaluation?.(row, tracker.pick(cfg.keepBest, current), isNewBest);
        await emitSnapshotAsync(hooks, () => snapshot(current));
      }
    }
    if (interrupted) {
      const latest = await learner.params();
      await emitSnapshotAsync(hooks, () => snapshot(latest));
      hooks.progress?.(`stopped at step ${collector.envSteps}/${cfg.steps} on request; snapshot taken`);
      return resultOf(tracker.pick(cfg.keepBest, cloneDqnParams(latest)), latest, true);
    }
  } finally {
    learner.dispose();
  }

  return resultOf(tracker.pick(cfg.keepBest, cloneDqnParams(current)), cloneDqnParams(current), false);
}

/**
 * What `saveDqnCheckpoint` needs besides the parameters: spaces, env id, backend, and the training
 * record (every hyperparameter except the grid, which the checkpoint stores itself; seed, steps,
 * best evaluation, wall time, parameter count). Non-finite numbers (gradClip = Infinity) are written
 * as null.
 */
export function dqnCheckpointInfo(result: DqnTrainResult): DqnCheckpointInfo {
  const { actionGrid: _grid, ...hyper } = result.config;
  return {
    observation_space: spaceToJson(result.env.observationSpace),
    action_space: spaceToJson(result.env.actionSpace),
    env_id: result.config.env,
    training: {
      algorithm: result.config.double ? 'double-dqn' : 'dqn',
      ...hyper,
      parameter_count: result.parameterCount,
      env_steps: result.log.at(-1)?.env_steps ?? 0,
      updates: result.updates,
      evaluations: result.log.length,
      best_evaluation: result.bestEvaluation,
      best_step: result.bestStep,
      best_eval_return: result.bestEvalReturn,
      wall_seconds: result.wallSeconds,
      backend: result.backend.name,
      backend_requested: result.config.backend,
    },
    backend: result.backend.name,
  };
}

// ---- the rest of the DQN public API, re-exported here so `gmmrl` exposes it in one place ----------
export {
  saveDqnCheckpoint,
  loadDqnCheckpoint,
  type DqnCheckpoint,
  type DqnConfig,
  type DqnCheckpointInfo,
} from '../../models/dqn/checkpoint.js';
export { initDqnParams, dqnParameterCount, cloneDqnParams, type DqnParams } from '../../models/dqn/params.js';
export { dqnQValues, dqnTdTargets, dqnTdLoss, type DqnBatch } from '../../models/dqn/reference.js';
export { dqnQValuesTf } from '../../models/dqn/tf.js';
export { DqnLearner, type DqnLearnerOptions, type DqnGradients } from './learners/dqn.js';
export { dqnFloat32Bound, dqnQErrorBound, type DqnFloat32Bound } from '../../models/dqn/float32-bound.js';
export { exportDqn, dqnMetadata, type DqnExportMeta } from '../../exporters/onnx/dqn.js';
export { verifyDqnParity, dqnParityStates } from '../parity-dqn.js';
