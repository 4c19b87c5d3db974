/**
 * Online sparse GMM Q-functions, S-GMM-QF ([S-GMM-QF]; REFERENCES.md §1), top to bottom:
 *
 *   warm-up (uniform random actions) → normalization and model init → for every environment step:
 *   act ε-greedily on the current Q → store the transition in the replay buffer → sample T
 *   transitions, the newest always included → targets r + γ(1 − terminated)·max_a Q(s', a) from the
 *   current Q (stop-gradient) → one Riemannian Adam step on L = 1/T Σ (y − Q(s, a))² + ρ Σ_j ‖Υ_j‖²_F
 *   (Euclidean Adam for means and factors; affine-invariant Adam for covariances) → every
 *   `evalEvery` steps: greedy evaluation, sparsity, progress.
 *
 * Weights Ξ = Υ_1 ⊙ … ⊙ Υ_J (J = `factors`; J = 1 is the dense model). The loop is `trainSgmmqf`
 * below; the update (sample, targets, loss and gradients, the three optimizers) is `SgmmqfLearner`
 * in learners/sgmmqf.ts. The loss and gradients run in one fused float64 typed-array kernel
 * (models/gmmqf/online-loss.ts): at these sizes tensor-op dispatch, not arithmetic, would dominate
 * (see `npm run bench`).
 *
 * Choices where the paper is silent (README "S-GMM-QF choices"):
 * - Normalization z = (φ(s) − mean)/std from the warm-up data (φ = the feature map; Acrobot-v1 uses
 *   its 4-dimensional angle state by default), fixed afterwards.
 * - Means at K random warm-up states, covariances σ₀²·I, factors i.i.d. N(0, 0.1²).
 * - Separate Adam learning rates for means, covariances and factors (default 1e-3 each; 1e-2 on the
 *   factors let CartPole's Q values diverge to ~1e5 while the greedy policy still balanced).
 * - Snapping: a model handed out (evaluation, checkpoint, export) has every weight with
 *   |ξ| ≤ threshold·max|ξ| (default 1e-6) set to exactly zero by zeroing its first factor; this is
 *   the model that is evaluated and exported, so "nonzero" and "pruned" mean exactly zero. Training
 *   itself continues on the unsnapped factors.
 * - Truncation (time limit) is not termination: the stored transition bootstraps.
 * - The result is the snapped parameters with the best greedy evaluation seen (`keepBest`), ties to the later.
 */
import { Rng } from '../util/rng.js';
import { make, discretizeActions, type Env } from '../envs/index.js';
import { InternalError, ShapeError, ValueError } from '../../contract/errors.js';
import { argmaxRows, precisionFactors } from '../../models/gmmqf/reference.js';
import type { GmmQfParams } from '../../models/gmmqf/params.js';
import { applyFeatures, featureOutputSize, resolveFeatureKind } from '../../models/gmmqf/features.js';
import { liveComponents, nonzeroFraction } from '../../models/gmmqf/sparsity.js';
import { OnlineBellmanKernel, type KernelParams } from '../../models/gmmqf/online-loss.js';
import { hadamardProduct, type HadamardFactors } from '../../models/gmmqf/hadamard.js';
import { ReplayBuffer } from '../replay.js';
import { SgmmqfLearner } from './learners/sgmmqf.js';
import { BestTracker } from './evaluation.js';
import { scheduleValue, type Schedule } from './schedule.js';
import { formatDuration } from '../util/metrics.js';
import { columnMeanStd } from '../util/stats.js';
import { runEpisodes, type EpisodeStats } from '../evaluate.js';
import { resolveConfig } from '../config/spec.js';
import { SGMMQF_SPEC, type SgmmqfTrainConfig } from './sgmmqf-spec.js';
import { gmmQfCheckpointPayload, type GmmQfConfig } from '../../models/gmmqf/checkpoint.js';
import type { ActionGrid } from '../../models/gmmqf/params.js';
import { spaceToJson } from '../spaces-json.js';
import type { ModelCheckpoint, TrainControl, TrainingSnapshot } from './snapshot.js';
import {
  RunClock,
  StateReader,
  StateWriter,
  emitSnapshot,
  readBuffer,
  readEnv,
  readRng,
  readRows,
  readTracker,
  rowsCopy,
  stopNow,
  writeBuffer,
  writeEnv,
  writeRng,
  writeTracker,
} from './training-state.js';

// The config (every field, its default, range, doc and flag) is the table in sgmmqf-spec.ts.
export { SGMMQF_SPEC, SGMMQF_DEFAULTS, validateSgmmqfConfig, type SgmmqfTrainConfig } from './sgmmqf-spec.js';

export interface SgmmqfLogRow {
  env_steps: number;
  epsilon: number;
  /** Mean mini-batch loss since the previous row: the Bellman loss plus the factor penalty ρ Σ_j ‖Υ_j‖²_F. */
  loss: number;
  eval_return_mean: number;
  eval_return_std: number;
  /** Mean return of the last 20 training episodes (NaN before the first ends). */
  train_return_mean: number;
  train_episodes: number;
  /** Fraction of weights ξ[k, a] with |ξ| > threshold·max|ξ|. */
  nonzero_fraction: number;
  /** Components with at least one nonzero weight. */
  live_components: number;
  wall_s: number;
  steps_per_s: number;
}

export interface SgmmqfTrainResult {
  /** The algorithm that trained it (its spec's name, as `gmmrl train` names it): what saveCheckpoint reads to save it. */
  algorithm: string;
  /** Snapped parameters (best-evaluated with keepBest). */
  params: GmmQfParams;
  /** Their factors (snapped: the first factor zeroed where the weight was snapped). */
  factors: HadamardFactors;
  bestEvalReturn: number;
  bestStep: number;
  log: SgmmqfLogRow[];
  config: SgmmqfTrainConfig;
  /** The environment (for its observation and action spaces; a Box action space stays a Box). */
  env: Env;
  /** Number of trainable parameters: J·K·A + K·D + K·D(D+1)/2. */
  parameterCount: number;
  /** Training seconds, the sessions before a resume included. */
  wallSeconds: number;
  /** Time spent in updates (sample, targets, loss/gradients, optimizer), seconds. */
  updateSeconds: number;
  updates: number;
  /** True when the run stopped early on `stopRequested` (params: as at a normal end, by keepBest). */
  interrupted: boolean;
}

export interface SgmmqfHooks extends TrainControl {
  progress?: (line: string) => void;
  onEval?: (row: SgmmqfLogRow) => void;
}

/**
 * Sparsity of snapped weights [K, A]: the fraction with |ξ| > threshold·max|ξ| (`nonzeroFraction`)
 * and the number of components whose row has a nonzero entry (`liveComponents`, the ones the
 * exporter keeps). On snapped weights every entry at or below the threshold is exactly 0, so the
 * two rules agree.
 */
export function sparsityOf(
  weights: ArrayLike<number>,
  K: number,
  A: number,
  threshold: number,
): { nonzeroFraction: number; liveComponents: number } {
  if (weights.length !== K * A) throw new ShapeError(`sparsityOf: weights has ${weights.length} entries; expected K·A = ${K}·${A}.`);
  return { nonzeroFraction: nonzeroFraction(weights, threshold), liveComponents: liveComponents(weights, A).length };
}

/**
 * Snapped copy of the factors: where |Π_j Υ_j| ≤ threshold·max|Ξ|, the first factor is set to 0, so
 * the product is exactly 0 there. Returns the factors and their product.
 */
export function snapFactors(f: HadamardFactors, threshold: number): { factors: HadamardFactors; weights: Float64Array } {
  const xi = hadamardProduct(f);
  let mx = 0;
  for (let i = 0; i < xi.length; i++) mx = Math.max(mx, Math.abs(xi[i]!));
  const values = f.values.slice();
  for (let i = 0; i < xi.length; i++) {
    if (!(Math.abs(xi[i]!) > threshold * mx)) values[i] = 0;
  }
  const factors: HadamardFactors = { J: f.J, K: f.K, A: f.A, values };
  return { factors, weights: hadamardProduct(factors) };
}

/** The JSON form of an action grid in a training record: plain arrays. */
function actionGridRecord(g: ActionGrid): { shape: number[]; values: number[]; low: number[]; high: number[] } {
  return { shape: [...g.shape], values: Array.from(g.values), low: Array.from(g.low), high: Array.from(g.high) };
}

/** The checkpoint record of a run (spaces, env id, the training record, backend): what the checkpoint's config.json holds besides the model. */
export function sgmmqfCheckpointInfo(
  r: Pick<
    SgmmqfTrainResult,
    'config' | 'env' | 'log' | 'bestStep' | 'bestEvalReturn' | 'parameterCount' | 'updates' | 'updateSeconds' | 'wallSeconds'
  >,
): Pick<GmmQfConfig, 'observation_space' | 'action_space' | 'env_id' | 'training' | 'backend'> {
  const last = r.log.at(-1);
  const { actionGrid, ...config } = r.config;
  return {
    observation_space: spaceToJson(r.env.observationSpace),
    action_space: spaceToJson(r.env.actionSpace),
    env_id: config.env,
    training: {
      algorithm: 's-gmm-qf',
      ...config,
      features: resolveFeatureKind(config.features, config.env),
      ...(actionGrid ? { action_grid: actionGridRecord(actionGrid) } : {}),
      env_steps: last?.env_steps ?? 0,
      best_step: r.bestStep,
      best_eval_return: r.bestEvalReturn,
      parameter_count: r.parameterCount,
      final_nonzero_fraction: last?.nonzero_fraction ?? NaN,
      final_live_components: last?.live_components ?? NaN,
      updates: r.updates,
      update_seconds: r.updateSeconds,
      wall_seconds: r.wallSeconds,
    },
    backend: 'js-float64',
  };
}

/** The checkpoint `saveGmmQfCheckpoint(dir, params, info, { factors })` writes for a model of this run, as data. */
function sgmmqfCheckpoint(
  model: { params: GmmQfParams; factors: HadamardFactors },
  info: ReturnType<typeof sgmmqfCheckpointInfo>,
  rho: number,
): ModelCheckpoint {
  return gmmQfCheckpointPayload(model.params, info, { factors: { J: model.factors.J, rho, values: model.factors.values } });
}

/** Runs S-GMM-QF. */
export async function trainSgmmqf(partial: Partial<SgmmqfTrainConfig> = {}, hooks: SgmmqfHooks = {}): Promise<SgmmqfTrainResult> {
  const cfg: SgmmqfTrainConfig = resolveConfig(SGMMQF_SPEC, partial);
  const resume = hooks.resumeFrom ? StateReader.open(hooks.resumeFrom, SGMMQF_SPEC.name, cfg) : null;
  const clock = new RunClock(resume ? resume.num('wall_seconds') : 0);
  const rng = new Rng(cfg.seed);
  const rawEnv = make(cfg.env);
  const grid = cfg.actionGrid;
  if (rawEnv.actionSpace.kind === 'discrete') {
    if (grid) throw new ValueError(`sgmmqf config: actionGrid is set but ${cfg.env} has discrete actions; remove the grid.`);
  } else if (!grid) {
    throw new ValueError(
      `sgmmqf config: actionGrid is missing: ${cfg.env} has a continuous action space, and a GMM-QF ranks a finite set of actions. ` +
        'Pass a grid (CLI: --action-grid N for N evenly spaced points, or explicit values).',
    );
  }
  // the agent's view: grid indices as discrete actions (the wrapper validates the grid against the Box)
  const env = grid ? discretizeActions(rawEnv, grid) : rawEnv;
  const evalEnv = grid ? discretizeActions(make(cfg.env), grid) : make(cfg.env);
  if (env.actionSpace.kind !== 'discrete') throw new InternalError(`sgmmqf: ${cfg.env} has no discrete actions after discretization.`);
  const A = env.actionSpace.n;
  if (grid && A < 2) throw new ValueError(`sgmmqf config: actionGrid has ${A} point; expected at least 2 whole rows.`);
  const features = resolveFeatureKind(cfg.features, cfg.env);
  const obsSize = env.observationSpace.shape.reduce((a, b) => a * b, 1);
  const D = featureOutputSize(features, obsSize);
  const K = cfg.components;
  const J = cfg.factors;
  const T = cfg.batchSize;
  const phi = (obs: ArrayLike<number>): Float64Array => applyFeatures(features, obs, 1, D);

  // ---- warm-up: uniform random actions; fixes the normalization ----------------------------------
  const warm: Float64Array[] = [];
  const pending: { f: Float64Array; a: number; r: number; f2: Float64Array; term: boolean }[] = [];
  let episodes = 0;
  let recentReturns: number[] = [];
  let epReturn = 0;
  let feat = resume ? resume.f64('feat', D) : phi(env.reset({ seed: rng.nextSeed() }).obs);
  const endEpisode = () => {
    episodes++;
    recentReturns.push(epReturn);
    if (recentReturns.length > 20) recentReturns.shift();
    epReturn = 0;
    feat = phi(env.reset({ seed: rng.nextSeed() }).obs);
  };
  let envSteps = 0;
  if (!resume) {
    for (; envSteps < cfg.warmupSteps; envSteps++) {
      const a = rng.integer(A);
      const r = env.step(a);
      const f2 = phi(r.obs);
      warm.push(feat);
      pending.push({ f: feat, a, r: r.reward, f2, term: r.terminated });
      epReturn += r.reward;
      feat = f2;
      if (r.terminated || r.truncated) endEpisode();
    }
  }
  let obsOffset: Float64Array;
  let obsScale: Float64Array;
  if (resume) {
    obsOffset = resume.f64('obs_offset', D);
    obsScale = resume.f64('obs_scale', D);
  } else {
    const warmRows = new Float64Array(warm.length * D);
    warm.forEach((f, i) => warmRows.set(f, i * D));
    const { mean, std } = columnMeanStd(warmRows, warm.length, D);
    obsOffset = mean;
    // A feature constant over the warm-up has no scale to learn from: use 1 (documented).
    obsScale = std.map((sd) => (sd > 1e-8 ? sd : 1));
  }
  const norm = (f: ArrayLike<number>, out = new Float64Array(D)): Float64Array => {
    for (let j = 0; j < D; j++) out[j] = (f[j]! - obsOffset[j]!) / obsScale[j]!;
    return out;
  };
  const buffer = new ReplayBuffer(cfg.bufferCapacity, D, 1);
  for (const p of pending) buffer.push(norm(p.f), p.a, p.r, norm(p.f2), p.term);

  // ---- model init ------------------------------------------------------------------------------
  const means = new Float64Array(K * D);
  const covariances = new Float64Array(K * D * D);
  const factorValues = new Float64Array(J * K * A);
  if (!resume) {
    for (let k = 0; k < K; k++) {
      const f = norm(warm[rng.integer(warm.length)]!);
      means.set(f, k * D);
      for (let j = 0; j < D; j++) covariances[k * D * D + j * D + j] = cfg.initVariance;
    }
    for (let i = 0; i < factorValues.length; i++) factorValues[i] = cfg.initFactorStd * rng.normal();
  } else {
    for (let k = 0; k < K; k++) for (let j = 0; j < D; j++) covariances[k * D * D + j * D + j] = 1; // SPD until restored
  }
  const learner = new SgmmqfLearner(
    { means, covariances, factors: { J, K, A, values: factorValues } },
    {
      batchSize: T,
      gamma: cfg.gamma,
      rho: cfg.rho,
      lrMeans: cfg.lrMeans,
      lrCovariances: cfg.lrCovariances,
      lrFactors: cfg.lrFactors,
      beta1: cfg.beta1,
      beta2: cfg.beta2,
      adamEps: cfg.adamEps,
      targetUpdate: cfg.targetUpdate,
    },
  );

  const snapshot = (): { params: GmmQfParams; factors: HadamardFactors } => {
    const snapped = snapFactors(learner.factors, cfg.sparsityThreshold);
    const params: GmmQfParams = {
      K,
      D,
      A,
      means: means.slice(),
      covariances: covariances.slice(),
      weights: snapped.weights,
      obsOffset: obsOffset.slice(),
      obsScale: obsScale.slice(),
      ...(features !== 'identity' ? { features } : {}),
      ...(grid ? { actionGrid: grid } : {}),
    };
    return { params, factors: snapped.factors };
  };
  const evaluate = (p: GmmQfParams, seed: number): Promise<EpisodeStats> => {
    const W = precisionFactors(p.covariances, K, D);
    const evalKernel = new OnlineBellmanKernel(K, D, A, 1);
    const q = new Float64Array(A);
    const z = new Float64Array(D);
    const pk: KernelParams = { means: p.means, weights: p.weights, precisionFactors: W };
    return runEpisodes(
      evalEnv,
      (o) => {
        norm(phi(o), z);
        evalKernel.qValues(pk, z, 1, q);
        return argmaxRows(q, 1, A)[0]!;
      },
      cfg.evalEpisodes,
      seed,
    );
  };

  // ---- online loop -------------------------------------------------------------------------------
  const tracker = new BestTracker(snapshot());
  let log: SgmmqfLogRow[] = [];
  const epsilon: Schedule = { start: cfg.epsStart, end: cfg.epsEnd, fraction: cfg.epsDecayFraction };
  const epsilonAt = (t: number): number => scheduleValue(epsilon, t, cfg.steps);
  const qRow = new Float64Array(A);
  const z = new Float64Array(D);
  // seeded runs draw min(T, size) indices here once, before the first update (kept for reproducibility)
  if (!resume) buffer.sampleIndices(Math.min(T, buffer.size), rng);
  let lossSum = 0;
  let lossCount = 0;
  let updateMs = 0;
  let lastEvalStep = envSteps;
  let lastEvalWall = 0;
  if (resume) {
    learner.restoreState(resume.scope('learner'));
    readEnv(resume, 'env', env);
    readBuffer(resume, 'buffer', buffer);
    readTracker(resume, 'tracker', tracker);
    log = readRows<SgmmqfLogRow>(resume, 'log');
    const c = resume.get('loop') as {
      envSteps: number;
      episodes: number;
      epReturn: number;
      lossSum: number;
      lossCount: number;
      updateMs: number;
      lastEvalStep: number;
      lastEvalWall: number;
      recentReturns: number[];
    };
    ({ envSteps, episodes, epReturn, lossSum, lossCount, updateMs, lastEvalStep, lastEvalWall } = c);
    recentReturns = [...c.recentReturns];
    rng.setState(readRng(resume, 'rng').getState());
    hooks.progress?.(`resumed at step ${envSteps}/${cfg.steps} (${log.length} evaluations so far)`);
  }

  const parameterCount = J * K * A + K * D + (K * D * (D + 1)) / 2;
  const resultOf = (model: { params: GmmQfParams; factors: HadamardFactors }, interrupted: boolean): SgmmqfTrainResult => ({
    algorithm: SGMMQF_SPEC.name,
    params: model.params,
    factors: model.factors,
    bestEvalReturn: tracker.bestReturn,
    bestStep: tracker.bestStep,
    log,
    config: cfg,
    env: rawEnv,
    parameterCount,
    wallSeconds: clock.seconds,
    updateSeconds: updateMs / 1000,
    updates: learner.updates,
    interrupted,
  });
  /** Everything the loop needs to continue (see ARCHITECTURE.md, "Snapshots and resume"). */
  const takeSnapshot = (): TrainingSnapshot => {
    const w = new StateWriter();
    w.set('config', cfg);
    w.set('wall_seconds', clock.seconds);
    w.f64('obs_offset', obsOffset);
    w.f64('obs_scale', obsScale);
    w.f64('feat', feat);
    w.set('loop', { envSteps, episodes, epReturn, lossSum, lossCount, updateMs, lastEvalStep, lastEvalWall, recentReturns });
    writeRng(w, 'rng', rng);
    writeEnv(w, 'env', env);
    writeBuffer(w, 'buffer', buffer);
    learner.saveState(w.scope('learner'));
    writeTracker(w, 'tracker', tracker);
    w.set('log', log);
    const info = sgmmqfCheckpointInfo(resultOf(tracker.best, false));
    return {
      envSteps,
      latest: sgmmqfCheckpoint(snapshot(), info, cfg.rho),
      best: sgmmqfCheckpoint(tracker.best, info, cfg.rho),
      state: w.build(SGMMQF_SPEC.name, envSteps),
      rows: rowsCopy(log),
    };
  };

  const doEval = async (): Promise<void> => {
    const snap = snapshot();
    const ev = await evaluate(snap.params, (cfg.seed * 7919 + envSteps * 31 + 1) >>> 0);
    tracker.offer(ev.mean, log.length + 1, envSteps, () => snap);
    const sp = sparsityOf(snap.params.weights, K, A, cfg.sparsityThreshold);
    const wall = clock.seconds;
    const row: SgmmqfLogRow = {
      env_steps: envSteps,
      epsilon: epsilonAt(envSteps),
      loss: lossCount > 0 ? lossSum / lossCount : NaN,
      eval_return_mean: ev.mean,
      eval_return_std: ev.std,
      train_return_mean: recentReturns.length ? recentReturns.reduce((a, b) => a + b, 0) / recentReturns.length : NaN,
      train_episodes: episodes,
      nonzero_fraction: sp.nonzeroFraction,
      live_components: sp.liveComponents,
      wall_s: wall,
      steps_per_s: (envSteps - lastEvalStep) / Math.max(1e-9, wall - lastEvalWall),
    };
    lastEvalStep = envSteps;
    lastEvalWall = wall;
    lossSum = 0;
    lossCount = 0;
    log.push(row);
    const eta = (wall / envSteps) * Math.max(0, cfg.steps - envSteps);
    hooks.progress?.(
      `steps ${envSteps}/${cfg.steps}  ε ${row.epsilon.toFixed(2)}  return ${ev.mean.toFixed(1)} ± ${ev.std.toFixed(1)}  best ${tracker.bestReturn.toFixed(1)}  ` +
        `train ${Number.isNaN(row.train_return_mean) ? '–' : row.train_return_mean.toFixed(1)}  loss ${row.loss.toPrecision(3)}  ` +
        `nonzero ${(100 * sp.nonzeroFraction).toFixed(1)}%  live ${sp.liveComponents}/${K}  ` +
        `${row.steps_per_s.toFixed(0)} steps/s  elapsed ${formatDuration(wall)}  ETA ${formatDuration(eta)}`,
    );
    hooks.onEval?.(row);
    emitSnapshot(hooks, takeSnapshot);
  };

  let interrupted = false;
  while (envSteps < cfg.steps) {
    // the step in flight (act, store, learn, evaluate) is finished before a stop is honoured
    if (await stopNow(hooks)) {
      interrupted = true;
      break;
    }
    // act ε-greedily on the current Q
    let a: number;
    if (rng.uniform() < epsilonAt(envSteps)) a = rng.integer(A);
    else a = argmaxRows(learner.qValues(norm(feat, z), 1, qRow), 1, A)[0]!;
    const r = env.step(a);
    const f2 = phi(r.obs);
    buffer.push(norm(feat), a, r.reward, norm(f2), r.terminated);
    epReturn += r.reward;
    feat = f2;
    envSteps++;
    if (r.terminated || r.truncated) endEpisode();

    // learn (learners/sgmmqf.ts)
    const u0 = performance.now();
    lossSum += learner.update(buffer, rng);
    lossCount++;
    updateMs += performance.now() - u0;

    if (envSteps % cfg.evalEvery === 0 || envSteps === cfg.steps) await doEval();
  }
  if (interrupted) {
    emitSnapshot(hooks, takeSnapshot);
    hooks.progress?.(`stopped at step ${envSteps}/${cfg.steps} on request; snapshot taken`);
    return resultOf(cfg.keepBest ? tracker.best : snapshot(), true);
  }
  if (log.length === 0) await doEval();
  return resultOf(cfg.keepBest ? tracker.best : snapshot(), false);
}
