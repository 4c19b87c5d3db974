/**
 * Online sparse GMM Q-functions, S-GMM-QF (seed 001; algorithms.md §1), top to bottom:
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
import { ShapeError, ValueError } from '../../contract/errors.js';
import { argmaxRows, precisionFactors } from '../../models/gmmqf/reference.js';
import type { ActionGrid, GmmQfParams } from '../../models/gmmqf/params.js';
import { applyFeatures, checkFeatureKind, featureOutputSize, resolveFeatureKind, type FeatureKind } from '../../models/gmmqf/features.js';
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

/** Every field documented with its default. */
export interface SgmmqfTrainConfig {
  /** Environment id (default 'CartPole-v1'). Continuous-action envs need `actionGrid`. */
  env: string;
  /** Total environment steps (default 100000). */
  steps: number;
  /** Random seed for everything (default 0). */
  seed: number;
  /** Number of Gaussian components K (default 50). */
  components: number;
  /** Hadamard factors J (default 3; 1 = dense weights). */
  factors: number;
  /** l2 regularization ρ on the factors (default 1e-4). */
  rho: number;
  /** Adam learning rates for means, covariances (Riemannian, AI metric) and factors (defaults 1e-3, 1e-3, 1e-3). */
  lrMeans: number;
  lrCovariances: number;
  lrFactors: number;
  /** Adam β1, β2, ε (defaults 0.9, 0.999, 1e-8). */
  beta1: number;
  beta2: number;
  adamEps: number;
  /** Mini-batch size T (default 64), newest transition always included. */
  batchSize: number;
  /** Replay buffer capacity (default 10000). */
  bufferCapacity: number;
  /** Discount γ (default 0.99). */
  gamma: number;
  /**
   * Bootstrap targets: 0 = from the current Q with a stop-gradient (seed 001's rule), n > 0 = from a
   * frozen copy of the parameters refreshed every n steps (a target network) (default 0).
   */
  targetUpdate: number;
  /** Uniformly random steps before learning starts; they fix the normalization (default 1000). */
  warmupSteps: number;
  /** ε-greedy: linear from epsStart to epsEnd over epsDecayFraction of the steps (defaults 1 → 0.05 over 0.1). */
  epsStart: number;
  epsEnd: number;
  epsDecayFraction: number;
  /** Initial covariance σ₀² in normalized units (default 1). */
  initVariance: number;
  /** Std of the i.i.d. normal factor initialization (default 0.1). */
  initFactorStd: number;
  /** Greedy evaluation every `evalEvery` steps with `evalEpisodes` episodes (defaults 5000, 5). */
  evalEvery: number;
  evalEpisodes: number;
  /** Keep the best-evaluated (snapped) parameters as the result (default true). */
  keepBest: boolean;
  /** Weights with |ξ| ≤ threshold·max|ξ| count as zero and are snapped to 0 in handed-out models (default 1e-6). */
  sparsityThreshold: number;
  /** Feature map: 'auto' (acrobot-angles for Acrobot-v1, else identity), or a FeatureKind (default 'auto'). */
  features: 'auto' | FeatureKind;
  /** Action grid for continuous-action envs (required there; must be absent for discrete envs). */
  actionGrid?: ActionGrid;
}

export const SGMMQF_DEFAULTS: SgmmqfTrainConfig = {
  env: 'CartPole-v1',
  steps: 100000,
  seed: 0,
  components: 50,
  factors: 3,
  rho: 1e-4,
  lrMeans: 1e-3,
  lrCovariances: 1e-3,
  lrFactors: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  adamEps: 1e-8,
  batchSize: 64,
  bufferCapacity: 10000,
  gamma: 0.99,
  targetUpdate: 0,
  warmupSteps: 1000,
  epsStart: 1,
  epsEnd: 0.05,
  epsDecayFraction: 0.1,
  initVariance: 1,
  initFactorStd: 0.1,
  evalEvery: 5000,
  evalEpisodes: 5,
  keepBest: true,
  sparsityThreshold: 1e-6,
  features: 'auto',
};

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
  wallSeconds: number;
  /** Time spent in updates (sample, targets, loss/gradients, optimizer), seconds. */
  updateSeconds: number;
  updates: number;
}

export interface SgmmqfHooks {
  progress?: (line: string) => void;
  onEval?: (row: SgmmqfLogRow) => void;
}

function check(cond: boolean, field: string, value: unknown, range: string): void {
  if (!cond) throw new ValueError(`sgmmqf config: ${field} = ${JSON.stringify(value)} is out of range; expected ${range}.`);
}

/** Validates a full config; every message names the field, the value and the valid range. */
export function validateSgmmqfConfig(c: SgmmqfTrainConfig): void {
  const int = (v: number) => Number.isInteger(v);
  const pos = (v: number) => Number.isFinite(v) && v > 0;
  check(int(c.steps) && c.steps > 0, 'steps', c.steps, 'a positive integer');
  check(int(c.seed) && c.seed >= 0 && c.seed <= 0xffffffff, 'seed', c.seed, 'an integer in [0, 4294967295]');
  check(int(c.components) && c.components >= 1 && c.components <= 4096, 'components', c.components, 'an integer in [1, 4096]');
  check(int(c.factors) && c.factors >= 1 && c.factors <= 8, 'factors', c.factors, 'an integer in [1, 8]');
  check(Number.isFinite(c.rho) && c.rho >= 0, 'rho', c.rho, 'a finite number ≥ 0');
  check(pos(c.lrMeans), 'lrMeans', c.lrMeans, 'a finite number > 0');
  check(pos(c.lrCovariances), 'lrCovariances', c.lrCovariances, 'a finite number > 0');
  check(pos(c.lrFactors), 'lrFactors', c.lrFactors, 'a finite number > 0');
  check(c.beta1 >= 0 && c.beta1 < 1, 'beta1', c.beta1, '[0, 1)');
  check(c.beta2 >= 0 && c.beta2 < 1, 'beta2', c.beta2, '[0, 1)');
  check(pos(c.adamEps), 'adamEps', c.adamEps, 'a finite number > 0');
  check(int(c.batchSize) && c.batchSize >= 1 && c.batchSize <= 65536, 'batchSize', c.batchSize, 'an integer in [1, 65536]');
  check(int(c.bufferCapacity) && c.bufferCapacity >= c.batchSize, 'bufferCapacity', c.bufferCapacity, `an integer ≥ batchSize (${c.batchSize})`);
  check(c.gamma >= 0 && c.gamma < 1, 'gamma', c.gamma, '[0, 1)');
  check(int(c.targetUpdate) && c.targetUpdate >= 0, 'targetUpdate', c.targetUpdate, 'an integer ≥ 0 (0 = current Q)');
  check(int(c.warmupSteps) && c.warmupSteps >= 2 && c.warmupSteps <= c.steps, 'warmupSteps', c.warmupSteps, `an integer in [2, steps = ${c.steps}]`);
  check(c.epsStart >= 0 && c.epsStart <= 1, 'epsStart', c.epsStart, '[0, 1]');
  check(c.epsEnd >= 0 && c.epsEnd <= 1, 'epsEnd', c.epsEnd, '[0, 1]');
  check(c.epsDecayFraction > 0 && c.epsDecayFraction <= 1, 'epsDecayFraction', c.epsDecayFraction, '(0, 1]');
  check(pos(c.initVariance), 'initVariance', c.initVariance, 'a finite number > 0');
  check(pos(c.initFactorStd), 'initFactorStd', c.initFactorStd, 'a finite number > 0');
  check(int(c.evalEvery) && c.evalEvery >= 1, 'evalEvery', c.evalEvery, 'a positive integer');
  check(int(c.evalEpisodes) && c.evalEpisodes >= 1, 'evalEpisodes', c.evalEpisodes, 'a positive integer');
  check(c.sparsityThreshold >= 0 && c.sparsityThreshold < 1, 'sparsityThreshold', c.sparsityThreshold, '[0, 1)');
  if (c.features !== 'auto') checkFeatureKind(c.features, 'sgmmqf config: features');
}

/**
 * Sparsity of snapped weights [K, A]: the fraction with |ξ| > threshold·max|ξ| (`nonzeroFraction`)
 * and the number of components whose row has a nonzero entry (`liveComponents`, the ones the
 * exporter keeps). On snapped weights every entry at or below the threshold is exactly 0, so the
 * two rules agree.
 */
export function sparsityOf(weights: ArrayLike<number>, K: number, A: number, threshold: number): { nonzeroFraction: number; liveComponents: number } {
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

/** Runs S-GMM-QF. */
export async function trainSgmmqf(partial: Partial<SgmmqfTrainConfig> = {}, hooks: SgmmqfHooks = {}): Promise<SgmmqfTrainResult> {
  const cfg: SgmmqfTrainConfig = { ...SGMMQF_DEFAULTS, ...partial };
  validateSgmmqfConfig(cfg);
  const t0 = performance.now();
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
  if (env.actionSpace.kind !== 'discrete') throw new ValueError(`sgmmqf: internal error: ${cfg.env} has no discrete actions after discretization.`);
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
  const recentReturns: number[] = [];
  let epReturn = 0;
  let feat = phi(env.reset({ seed: rng.nextSeed() }).obs);
  const endEpisode = () => {
    episodes++;
    recentReturns.push(epReturn);
    if (recentReturns.length > 20) recentReturns.shift();
    epReturn = 0;
    feat = phi(env.reset({ seed: rng.nextSeed() }).obs);
  };
  let envSteps = 0;
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
  const warmRows = new Float64Array(warm.length * D);
  warm.forEach((f, i) => warmRows.set(f, i * D));
  const { mean: obsOffset, std } = columnMeanStd(warmRows, warm.length, D);
  // A feature constant over the warm-up has no scale to learn from: use 1 (documented).
  const obsScale = std.map((sd) => (sd > 1e-8 ? sd : 1));
  const norm = (f: ArrayLike<number>, out = new Float64Array(D)): Float64Array => {
    for (let j = 0; j < D; j++) out[j] = (f[j]! - obsOffset[j]!) / obsScale[j]!;
    return out;
  };
  const buffer = new ReplayBuffer(cfg.bufferCapacity, D, 1);
  for (const p of pending) buffer.push(norm(p.f), p.a, p.r, norm(p.f2), p.term);

  // ---- model init ------------------------------------------------------------------------------
  const means = new Float64Array(K * D);
  const covariances = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) {
    const f = norm(warm[rng.integer(warm.length)]!);
    means.set(f, k * D);
    for (let j = 0; j < D; j++) covariances[k * D * D + j * D + j] = cfg.initVariance;
  }
  const factorValues = new Float64Array(J * K * A);
  for (let i = 0; i < factorValues.length; i++) factorValues[i] = cfg.initFactorStd * rng.normal();
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
  const log: SgmmqfLogRow[] = [];
  const epsilon: Schedule = { start: cfg.epsStart, end: cfg.epsEnd, fraction: cfg.epsDecayFraction };
  const epsilonAt = (t: number): number => scheduleValue(epsilon, t, cfg.steps);
  const qRow = new Float64Array(A);
  const z = new Float64Array(D);
  // seeded runs draw min(T, size) indices here once, before the first update (kept for reproducibility)
  buffer.sampleIndices(Math.min(T, buffer.size), rng);
  let lossSum = 0;
  let lossCount = 0;
  let updateMs = 0;
  let lastEvalStep = envSteps;
  let lastEvalWall = 0;

  const doEval = async (): Promise<void> => {
    const snap = snapshot();
    const ev = await evaluate(snap.params, (cfg.seed * 7919 + envSteps * 31 + 1) >>> 0);
    tracker.offer(ev.mean, log.length + 1, envSteps, () => snap);
    const sp = sparsityOf(snap.params.weights, K, A, cfg.sparsityThreshold);
    const wall = (performance.now() - t0) / 1000;
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
  };

  while (envSteps < cfg.steps) {
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
  if (log.length === 0) await doEval();

  const result = cfg.keepBest ? tracker.best : snapshot();
  return {
    params: result.params,
    factors: result.factors,
    bestEvalReturn: tracker.bestReturn,
    bestStep: tracker.bestStep,
    log,
    config: cfg,
    env: rawEnv,
    parameterCount: J * K * A + K * D + (K * D * (D + 1)) / 2,
    wallSeconds: (performance.now() - t0) / 1000,
    updateSeconds: updateMs / 1000,
    updates: learner.updates,
  };
}
