/**
 * GMM-QF batch policy iteration ([GMM-QF]; REFERENCES.md §1), top to bottom:
 *
 *   config → warm-up → model init (`initialParams`) → loop { policy evaluation by Riemannian
 *   gradient descent with Armijo line search on the empirical Bellman residual (targets from the
 *   previous Q, greedy policy μ) → greedy policy improvement (implicit: μ = argmax of the new Q) →
 *   greedy evaluation → collect ε-greedy transitions } → checkpoint.
 *
 * The loop is `trainGmmQf` below; the update step (the sweeps, the ridge refit, one Riemannian
 * gradient step with its Armijo search) is `GmmQfPolicyEvaluation` in learners/gmmqf.ts.
 * Transitions live in a ReplayBuffer of capacity maxTransitions (the oldest dropped first), and
 * every policy evaluation uses all of them (`ReplayBuffer.stored`).
 *
 * Geometry: means and weights are Euclidean; covariances live on the SPD manifold with the
 * affine-invariant metric and exponential retraction (default) or Bures-Wasserstein (--metric bw).
 * All parameters are float64 on the host; TensorFlow.js evaluates the batched loss and gradients.
 *
 * Feature maps and action grids (REFERENCES.md §1): the model reads φ(s), a fixed feature map of the
 * raw observation ('auto': Acrobot-v1's 4 angles and velocities, 'acrobot-angles', elsewhere the
 * identity), and a continuous (Box) action space is discretized into a documented grid
 * (`defaultActionGrid`: Pendulum-v1 torques [-2, -1, 0, 1, 2], MountainCarContinuous-v0 forces
 * [-1, 0, 1]); the Q-function's A actions are the grid points, and the environment receives the
 * grid value (`discretizeActions`). Transitions store raw observations; everything downstream of
 * them goes through the reference's `normalize`/`qValues`, which apply φ.
 *
 * Choices where the paper is silent (documented in README):
 * - Feature normalization z = (φ(s) − mean)/std from the initial uniformly-random rollouts; fixed afterwards.
 * - Means initialised at K random visited states, covariances σ₀²·I, weights 0.
 * - Each evaluation phase starts with an exact ridge least-squares refit of the weights ξ given the
 *   current Gaussians (variable projection; `refitWeights`), then runs `gdSteps` joint Riemannian
 *   steps over (ξ, m, C). The step size of each Armijo search starts at twice the last accepted one.
 * - Truncation (time limit) is not termination: bootstrapping continues through truncated steps.
 * - The checkpoint holds the parameters with the best greedy evaluation seen (`keepBest`), ties to the later.
 */
import { Rng } from '../util/rng.js';
import { make, type Env } from '../envs/index.js';
import { defaultActionGrid, discretizeActions } from '../envs/discretize.js';
import { InternalError, ShapeError, UnknownNameError, ValueError } from '../../contract/errors.js';
import { precisionFactors, qValues, argmaxRows } from '../../models/gmmqf/reference.js';
import { applyFeatures, featureOutputSize, resolveFeatureKind, type FeatureKind } from '../../models/gmmqf/features.js';
import type { ActionGrid, GmmQfParams } from '../../models/gmmqf/params.js';
import type { GmmQfConfig } from '../../models/gmmqf/checkpoint.js';
import { spaceToJson } from '../spaces-json.js';
import { resolveConfig } from '../config/spec.js';
import { GMMQF_SPEC, type GmmQfTrainConfig } from './gmmqf-spec.js';
import { selectBackend, describeBackend, type BackendInfo } from '../backend.js';
import { etaGrowingCost } from '../util/eta.js';
import { formatDuration } from '../util/metrics.js';
import { columnMeanStd } from '../util/stats.js';
import { runEpisodes, type EpisodeStats } from '../evaluate.js';
import { ReplayBuffer } from '../replay.js';
import { EpisodeCollector } from '../episodes.js';
import { GmmQfPolicyEvaluation } from './learners/gmmqf.js';
import { BestTracker, evaluationSeed } from './evaluation.js';
import { scheduleValue, type Schedule } from './schedule.js';
import { gmmQfCheckpointPayload } from '../../models/gmmqf/checkpoint.js';
import type { TrainControl, TrainingSnapshot } from './snapshot.js';
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

// The config (every field, its default, range, doc and flag) is the table in gmmqf-spec.ts.
export { GMMQF_SPEC, GMMQF_DEFAULTS, validateGmmQfConfig, type GmmQfTrainConfig } from './gmmqf-spec.js';

export interface GmmQfIterationLog {
  iteration: number;
  env_steps: number;
  epsilon: number;
  transitions: number;
  /** Loss at the first gradient step of the first sweep and after the last step of the last sweep (targets differ between sweeps). */
  loss_start: number;
  loss_end: number;
  /** Σ over sweeps of the Riemannian descent's loss decrease on that sweep's fixed targets (after the refit). */
  gd_loss_decrease: number;
  /** Seconds spent in the Riemannian descent (gradients, line searches, retractions) this iteration. */
  gd_seconds: number;
  gd_steps: number;
  armijo_evals: number;
  step_size: number;
  eval_return_mean: number;
  eval_return_std: number;
  train_episodes: number;
  wall_s: number;
  steps_per_s: number;
}

export interface GmmQfTrainResult {
  /** The algorithm that trained it (its spec's name, as `gmmrl train` names it): what saveCheckpoint reads to save it. */
  algorithm: string;
  /** The result's parameters; they carry `features` and, for a Box environment, `actionGrid`. */
  params: GmmQfParams;
  /** The last iteration's parameters (equal to params when keepBest is false). */
  finalParams: GmmQfParams;
  bestEvalReturn: number;
  bestIteration: number;
  log: GmmQfIterationLog[];
  backend: BackendInfo;
  config: GmmQfTrainConfig;
  /** The environment as made (its own spaces: a Box action space stays a Box; the grid is in params.actionGrid). */
  env: Env;
  /** The feature map used ('auto' resolved). */
  features: FeatureKind;
  /** The action grid used (Box environments), also in params.actionGrid. */
  actionGrid?: ActionGrid;
  /** Training seconds, the sessions before a resume included. */
  wallSeconds: number;
  /** True when the run stopped early on `stopRequested` (params: as at a normal end, by keepBest). */
  interrupted: boolean;
  /**
   * What `saveGmmQfCheckpoint(dir, result.params, result.checkpointInfo)` needs: the environment's
   * spaces (JSON), its id, the training record (every config field, JSON-safe, with 'auto'
   * resolved, plus steps, iterations, best iteration and return, wall time) and the backend.
   */
  checkpointInfo: Pick<GmmQfConfig, 'observation_space' | 'action_space' | 'env_id' | 'training' | 'backend'>;
}

export interface TrainHooks extends TrainControl {
  /** Called with one line of progress text per iteration (default: nothing). */
  progress?: (line: string) => void;
  /** Called after each iteration with the log row and the current best parameters. */
  onIteration?: (row: GmmQfIterationLog, best: GmmQfParams, isNewBest: boolean) => void;
}

function cloneParams(p: GmmQfParams): GmmQfParams {
  return {
    ...p,
    means: p.means.slice(),
    covariances: p.covariances.slice(),
    weights: p.weights.slice(),
    obsOffset: p.obsOffset.slice(),
    obsScale: p.obsScale.slice(),
  };
}

/** A greedy actor over float64 Q for acting in the env (no tfjs dispatch per step). */
function greedyAction(p: GmmQfParams, factors: Float64Array, obs: Float32Array): number {
  return argmaxRows(qValues(p, obs, 1, factors), 1, p.A)[0]!;
}

/**
 * Mean and std of greedy returns over `episodes` episodes (episode e uses seed + e). For a model with
 * an action grid, a Box environment is stepped with the grid value of the greedy index.
 */
export function evaluateGreedy(p: GmmQfParams, env: Env, episodes: number, seed: number): Promise<EpisodeStats> {
  const factors = precisionFactors(p.covariances, p.K, p.D);
  const target = p.actionGrid && env.actionSpace.kind === 'box' ? discretizeActions(env, p.actionGrid) : env;
  return runEpisodes(target, (obs) => greedyAction(p, factors, obs), episodes, seed);
}

/** Runs GMM-QF policy iteration. */
export async function trainGmmQf(partial: Partial<GmmQfTrainConfig> = {}, hooks: TrainHooks = {}): Promise<GmmQfTrainResult> {
  const cfg: GmmQfTrainConfig = resolveConfig(GMMQF_SPEC, partial);
  const resume = hooks.resumeFrom ? StateReader.open(hooks.resumeFrom, GMMQF_SPEC.name, cfg) : null;
  const backend = await selectBackend(cfg.backend, { reads: 'sync', caller: 'the gmmqf trainer' });
  hooks.progress?.(describeBackend(backend));
  const clock = new RunClock(resume ? resume.num('wall_seconds') : 0);
  const rng = new Rng(cfg.seed);
  const rawEnv = make(cfg.env);
  const { grid, features } = resolveFeaturesAndGrid(cfg, rawEnv);
  const env = grid ? discretizeActions(rawEnv, grid) : rawEnv;
  const evalEnv = grid ? discretizeActions(make(cfg.env), grid) : make(cfg.env);
  if (env.actionSpace.kind !== 'discrete') throw new InternalError(`gmmqf: ${cfg.env} has no discrete actions after discretization.`);
  const A = env.actionSpace.n;
  const obsSize = env.observationSpace.shape[0]!;
  const D = featureOutputSize(features, obsSize);
  const K = cfg.components;
  // the last maxTransitions transitions, the oldest dropped first; policy evaluation uses all of them
  const data = new ReplayBuffer(Math.min(cfg.maxTransitions, cfg.steps), obsSize, 1);
  const collector = new EpisodeCollector(env, data, rng);
  let interrupted = false;
  /** Steps until `until` (or the budget), polling the stop request between environment steps; false when stopped. */
  const collectUntil = async (until: number, policy: (o: Float32Array) => number): Promise<boolean> => {
    while (collector.envSteps < Math.min(until, cfg.steps)) {
      if (await stopNow(hooks)) return false;
      const a = policy(collector.obs);
      collector.step(a, a);
    }
    return true;
  };

  // ---- warm-up: uniformly random actions ------------------------------------------------------
  // ---- model init: normalization of the features of the warm-up data -----------------------------
  let params: GmmQfParams;
  if (resume) params = readTree<GmmQfParams>(resume, 'params');
  else {
    const w = Math.min(cfg.warmupSteps, cfg.steps);
    for (let i = 0; i < w; i++) {
      const a = rng.integer(A);
      collector.step(a, a);
    }
    params = initialParams(cfg, data, features, D, A, rng, grid);
  }

  // ---- policy iteration ---------------------------------------------------------------------------
  const evaluation = new GmmQfPolicyEvaluation(
    {
      gamma: cfg.gamma,
      sweeps: cfg.sweeps,
      gdSteps: cfg.gdSteps,
      metric: cfg.metric,
      armijoBeta: cfg.armijoBeta,
      armijoC: cfg.armijoC,
      refitWeights: cfg.refitWeights,
      ridge: cfg.ridge,
    },
    cfg.armijoT0,
  );
  const tracker = new BestTracker(cloneParams(params));
  let log: GmmQfIterationLog[] = [];
  const epsilon: Schedule = { start: cfg.epsStart, end: cfg.epsEnd, fraction: cfg.epsDecayFraction };
  const epsilonAt = (t: number): number => scheduleValue(epsilon, t, cfg.steps);
  // iteration `it` starts with collection up to `collectTo` (null: none, the first iteration)
  let it = 1;
  let collectTo: number | null = null;
  let done = false;
  let totalIterations = Math.max(1, Math.ceil((cfg.steps - collector.envSteps) / cfg.stepsPerIteration) + 1);
  if (resume) {
    readEnv(resume, 'env', env);
    readCollector(resume, 'collector', collector);
    readBuffer(resume, 'buffer', data);
    readTracker(resume, 'tracker', tracker);
    log = readRows<GmmQfIterationLog>(resume, 'log');
    const loop = resume.get('loop') as { it: number; collectTo: number | null; done: boolean; stepSize: number; totalIterations: number };
    ({ it, collectTo, done, totalIterations } = loop);
    evaluation.stepSize = loop.stepSize;
    rng.setState(readRng(resume, 'rng').getState());
    hooks.progress?.(`resumed at step ${collector.envSteps}/${cfg.steps}, iteration ${it} (${log.length} iterations so far)`);
  }

  const trainingRecord = (): Record<string, unknown> => {
    const { actionGrid: _grid, ...plainConfig } = cfg;
    return {
      algorithm: 'gmmqf-policy-iteration',
      ...plainConfig,
      features,
      ...(grid
        ? { action_grid: { shape: [...grid.shape], values: Array.from(grid.values), low: [...grid.low], high: [...grid.high] } }
        : {}),
      env_steps: log.at(-1)?.env_steps ?? 0,
      iterations: log.length,
      best_iteration: tracker.bestIndex,
      best_eval_return: tracker.bestReturn,
      wall_seconds: clock.seconds,
    };
  };
  const checkpointInfo = (): GmmQfTrainResult['checkpointInfo'] => ({
    observation_space: spaceToJson(rawEnv.observationSpace),
    action_space: spaceToJson(rawEnv.actionSpace),
    env_id: cfg.env,
    training: trainingRecord(),
    backend: backend.name,
  });
  /** Everything the loop needs to continue (see ARCHITECTURE.md, "Snapshots and resume"). */
  const snapshot = (): TrainingSnapshot => {
    const w = new StateWriter();
    w.set('config', cfg);
    w.set('wall_seconds', clock.seconds);
    w.set('loop', { it, collectTo, done, stepSize: evaluation.stepSize, totalIterations });
    writeRng(w, 'rng', rng);
    writeEnv(w, 'env', env);
    writeCollector(w, 'collector', collector);
    writeBuffer(w, 'buffer', data);
    writeTree(w, 'params', params);
    writeTracker(w, 'tracker', tracker);
    w.set('log', log);
    const info = checkpointInfo();
    return {
      envSteps: collector.envSteps,
      latest: gmmQfCheckpointPayload(params, info),
      best: gmmQfCheckpointPayload(tracker.best, info),
      state: w.build(GMMQF_SPEC.name, collector.envSteps),
      rows: rowsCopy(log),
    };
  };

  while (!done) {
    // ---- collect with ε-greedy w.r.t. the improved Q (from the second iteration on) -----------
    if (collectTo !== null) {
      const factors = precisionFactors(params.covariances, K, D);
      const done = await collectUntil(collectTo, (o) =>
        rng.uniform() < epsilonAt(collector.envSteps) ? rng.integer(A) : greedyAction(params, factors, o),
      );
      if (!done) {
        interrupted = true;
        break;
      }
      collectTo = null;
    }
    // a stop requested during the last evaluation is honoured before the next policy evaluation
    if (await stopNow(hooks)) {
      interrupted = true;
      break;
    }

    // ---- policy evaluation: targets from the previous Q with the greedy policy μ, ridge refit of ξ,
    //      Riemannian GD with Armijo (learners/gmmqf.ts) --------------------------------------------
    const pe = evaluation.run(params, data);

    // ---- greedy evaluation (policy improvement is implicit: μ = argmax of the new Q) --------------
    const ev = await evaluateGreedy(params, evalEnv, cfg.evalEpisodes, evaluationSeed(cfg.seed, it));
    const isNewBest = tracker.offer(ev.mean, it, collector.envSteps, () => cloneParams(params));
    const wall = clock.seconds;
    const envSteps = collector.envSteps;
    const row: GmmQfIterationLog = {
      iteration: it,
      env_steps: envSteps,
      epsilon: epsilonAt(envSteps),
      transitions: data.size,
      loss_start: pe.lossStart,
      loss_end: pe.lossEnd,
      gd_loss_decrease: pe.gdDecrease,
      gd_seconds: pe.gdMs / 1000,
      gd_steps: pe.gdSteps,
      armijo_evals: pe.armijoEvals,
      step_size: evaluation.stepSize,
      eval_return_mean: ev.mean,
      eval_return_std: ev.std,
      train_episodes: collector.episodes,
      wall_s: wall,
      steps_per_s: envSteps / wall,
    };
    log.push(row);
    // each iteration refits on every transition kept so far: its cost grows with the data (util/eta.ts)
    const futureSizes: number[] = [];
    for (let j = 1; j <= totalIterations - it; j++)
      futureSizes.push(Math.min(data.capacity, data.size + Math.min(cfg.steps, envSteps + j * cfg.stepsPerIteration) - envSteps));
    const eta = etaGrowingCost(
      log.map((r) => ({ size: r.transitions, wall: r.wall_s })),
      futureSizes,
    );
    hooks.progress?.(
      `iter ${String(it).padStart(3)}/${totalIterations}  steps ${envSteps}/${cfg.steps}  ε ${row.epsilon.toFixed(2)}  ` +
        `return ${ev.mean.toFixed(1)} ± ${ev.std.toFixed(1)}  best ${tracker.bestReturn.toFixed(1)}  ` +
        `loss ${pe.lossStart.toPrecision(3)} → ${pe.lossEnd.toPrecision(3)} (${pe.gdSteps} steps)  ` +
        `${row.steps_per_s.toFixed(0)} steps/s  elapsed ${formatDuration(wall)}  ETA ${formatDuration(eta)}`,
    );
    hooks.onIteration?.(row, tracker.pick(cfg.keepBest, params), isNewBest);
    if (envSteps >= cfg.steps) {
      done = true;
      emitSnapshot(hooks, snapshot);
      break;
    }
    // the next iteration starts with this collection (part of the snapshot's state)
    collectTo = envSteps + cfg.stepsPerIteration;
    it++;
    emitSnapshot(hooks, snapshot);
  }
  if (interrupted) {
    emitSnapshot(hooks, snapshot);
    hooks.progress?.(`stopped at step ${collector.envSteps}/${cfg.steps} on request; snapshot taken`);
  }

  return {
    algorithm: GMMQF_SPEC.name,
    params: tracker.pick(cfg.keepBest, cloneParams(params)),
    finalParams: cloneParams(params),
    bestEvalReturn: tracker.bestReturn,
    bestIteration: tracker.bestIndex,
    log,
    backend,
    config: cfg,
    env: rawEnv,
    features,
    ...(grid ? { actionGrid: grid } : {}),
    wallSeconds: clock.seconds,
    checkpointInfo: checkpointInfo(),
    interrupted,
  };
}

/**
 * The initial model: the feature normalization z = (φ(s) − mean)/std of the warm-up data (std
 * floored at 1e-6), means at K random warm-up states (in normalized units), covariances σ₀²·I,
 * weights 0.
 */
function initialParams(
  cfg: GmmQfTrainConfig,
  data: ReplayBuffer,
  features: FeatureKind,
  D: number,
  A: number,
  rng: Rng,
  grid: ActionGrid | undefined,
): GmmQfParams {
  const K = cfg.components;
  const warm = data.stored();
  const phi0 = applyFeatures(features, warm.obs, warm.size, D);
  const { mean: obsOffset, std } = columnMeanStd(phi0, warm.size, D);
  const obsScale = std.map((sd) => Math.max(sd, 1e-6));
  const params: GmmQfParams = {
    K,
    D,
    A,
    means: new Float64Array(K * D),
    covariances: new Float64Array(K * D * D),
    weights: new Float64Array(K * A),
    obsOffset,
    obsScale,
    features,
    ...(grid ? { actionGrid: grid } : {}),
  };
  for (let k = 0; k < K; k++) {
    const i = rng.integer(warm.size);
    for (let j = 0; j < D; j++) params.means[k * D + j] = (phi0[i * D + j]! - obsOffset[j]!) / obsScale[j]!;
    for (let j = 0; j < D; j++) params.covariances[k * D * D + j * D + j] = cfg.initVariance;
  }
  return params;
}

/**
 * The feature map ('auto' → 'acrobot-angles' for Acrobot-v1, else 'identity') and the action grid
 * (Box action space: cfg.actionGrid or the documented default; discrete: none, and a given grid is
 * an error). Messages name the config field, the value and the fix.
 */
function resolveFeaturesAndGrid(
  cfg: Pick<GmmQfTrainConfig, 'env' | 'features' | 'actionGrid'>,
  env: Env,
): { features: FeatureKind; grid?: ActionGrid } {
  const features: FeatureKind = resolveFeatureKind(cfg.features, cfg.env);
  const obsSize = env.observationSpace.shape.reduce((a, b) => a * b, 1);
  try {
    featureOutputSize(features, obsSize);
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    throw new ShapeError(
      `gmmqf config: features = ${JSON.stringify(cfg.features)} does not fit ${cfg.env} (observations of ${obsSize} entries): ${err.message} ` +
        `Use features: 'auto' or 'identity'.`,
    );
  }
  if (env.actionSpace.kind === 'discrete') {
    if (cfg.actionGrid !== undefined) {
      throw new ValueError(
        `gmmqf config: actionGrid is set but ${cfg.env} has a discrete action space (Discrete(${env.actionSpace.n})); ` +
          'an action grid discretizes continuous (Box) action spaces only. Leave actionGrid out.',
      );
    }
    return { features };
  }
  if (cfg.actionGrid !== undefined) {
    discretizeActions(env, cfg.actionGrid); // validates the grid against the Box (shape, bounds)
    return { features, grid: cfg.actionGrid };
  }
  try {
    return { features, grid: defaultActionGrid(env) };
  } catch (err) {
    if (!(err instanceof UnknownNameError)) throw err;
    throw new ValueError(
      `gmmqf config: ${cfg.env} has a continuous action space and no default action grid; pass actionGrid ` +
        `(e.g. parseActionGrid("5", env.actionSpace) for 5 evenly spaced points).`,
    );
  }
}
