/**
 * GMM-QF batch policy iteration (seed 000; algorithms.md §1), top to bottom:
 *
 *   config → model init → loop { collect ε-greedy transitions → policy evaluation by Riemannian
 *   gradient descent with Armijo line search on the empirical Bellman residual (targets from the
 *   previous Q, greedy policy μ) → greedy policy improvement (implicit: μ = argmax of the new Q) →
 *   greedy evaluation } → checkpoint.
 *
 * Geometry: means and weights are Euclidean; covariances live on the SPD manifold with the
 * affine-invariant metric and exponential retraction (default) or Bures-Wasserstein (--metric bw).
 * All parameters are float64 on the host; TensorFlow.js evaluates the batched loss and gradients.
 *
 * Feature maps and action grids (algorithms.md §1): the model reads φ(s), a fixed feature map of the
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
import { InternalError, ShapeError, SpdError, UnknownNameError, ValueError } from '../../contract/errors.js';
import { invertSpd } from '../../models/linalg/cholesky.js';
import { BellmanBatch } from '../../models/gmmqf/tf.js';
import { precisionFactors, qValues, argmaxRows, normalize } from '../../models/gmmqf/reference.js';
import { applyFeatures, featureOutputSize, resolveFeatureKind, type FeatureKind } from '../../models/gmmqf/features.js';
import type { ActionGrid, GmmQfParams } from '../../models/gmmqf/params.js';
import type { GmmQfConfig } from '../../models/gmmqf/checkpoint.js';
import { spaceToJson } from '../spaces-json.js';
import { resolveConfig } from '../config/spec.js';
import { GMMQF_SPEC, type GmmQfTrainConfig } from './gmmqf-spec.js';
import { riemannianGradient, inner, tryRetract, armijoSearch, type SpdMetric } from '../optim/spd.js';
import { selectBackend, describeBackend, type BackendName, type BackendInfo } from '../backend.js';
import { formatDuration } from '../util/metrics.js';
import { columnMeanStd } from '../util/stats.js';
import { runEpisodes, type EpisodeStats } from '../evaluate.js';
import { solveSpdInPlace } from '../optim/lstsq.js';

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
  wallSeconds: number;
  /**
   * What `saveGmmQfCheckpoint(dir, result.params, result.checkpointInfo)` needs: the environment's
   * spaces (JSON), its id, the training record (every config field, JSON-safe, with 'auto'
   * resolved, plus steps, iterations, best iteration and return, wall time) and the backend.
   */
  checkpointInfo: Pick<GmmQfConfig, 'observation_space' | 'action_space' | 'env_id' | 'training' | 'backend'>;
}

export interface TrainHooks {
  /** Called with one line of progress text per iteration (default: nothing). */
  progress?: (line: string) => void;
  /** Called after each iteration with the log row and the current best parameters. */
  onIteration?: (row: GmmQfIterationLog, best: GmmQfParams, isNewBest: boolean) => void;
}

/** Transition storage (FIFO, fixed capacity), raw float32 observations as the envs return them. */
class Transitions {
  readonly obs: Float32Array;
  readonly next: Float32Array;
  readonly act: Int32Array;
  readonly rew: Float32Array;
  readonly done: Uint8Array;
  size = 0;
  private head = 0;
  constructor(readonly capacity: number, readonly obsSize: number) {
    this.obs = new Float32Array(capacity * obsSize);
    this.next = new Float32Array(capacity * obsSize);
    this.act = new Int32Array(capacity);
    this.rew = new Float32Array(capacity);
    this.done = new Uint8Array(capacity);
  }
  add(s: Float32Array, a: number, r: number, s2: Float32Array, terminated: boolean): void {
    const i = this.head;
    this.obs.set(s, i * this.obsSize);
    this.next.set(s2, i * this.obsSize);
    this.act[i] = a;
    this.rew[i] = r;
    this.done[i] = terminated ? 1 : 0;
    this.head = (this.head + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }
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

/** C_k⁻¹ for every component, [K, D, D] (float64, via Cholesky). Throws SpdError naming the component. */
function precisions(p: GmmQfParams): Float64Array {
  const { K, D } = p;
  const out = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) out.set(invertSpd(p.covariances, D, `covariances[${k}]`, k * D * D), k * D * D);
  return out;
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
  const backend = await selectBackend(cfg.backend);
  hooks.progress?.(describeBackend(backend));
  const t0 = performance.now();
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
  const data = new Transitions(Math.min(cfg.maxTransitions, cfg.steps), obsSize);

  // ---- collection ---------------------------------------------------------------------------
  let envSteps = 0;
  let episodes = 0;
  let obs = env.reset({ seed: rng.nextSeed() }).obs;
  const collect = (n: number, policy: (o: Float32Array) => number) => {
    for (let i = 0; i < n && envSteps < cfg.steps; i++) {
      const a = policy(obs);
      const r = env.step(a);
      data.add(obs, a, r.reward, r.obs, r.terminated);
      envSteps++;
      if (r.terminated || r.truncated) {
        episodes++;
        obs = env.reset({ seed: rng.nextSeed() }).obs;
      } else obs = r.obs;
    }
  };
  collect(Math.min(cfg.warmupSteps, cfg.steps), () => rng.integer(A));

  // ---- model init: normalization of the features of the warm-up data -----------------------------
  const phi0 = applyFeatures(features, data.obs.subarray(0, data.size * obsSize), data.size, D);
  const { mean: obsOffset, std } = columnMeanStd(phi0, data.size, D);
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
    const i = rng.integer(data.size);
    for (let j = 0; j < D; j++) params.means[k * D + j] = (phi0[i * D + j]! - obsOffset[j]!) / obsScale[j]!;
    for (let j = 0; j < D; j++) params.covariances[k * D * D + j * D + j] = cfg.initVariance;
  }

  let best = cloneParams(params);
  let bestReturn = -Infinity;
  let bestIteration = 0;
  const log: GmmQfIterationLog[] = [];
  let stepSize = cfg.armijoT0;
  const decaySteps = Math.max(1, cfg.epsDecayFraction * cfg.steps);
  const epsilonAt = (t: number) => cfg.epsStart + (cfg.epsEnd - cfg.epsStart) * Math.min(1, t / decaySteps);
  const totalIterations = Math.max(1, Math.ceil((cfg.steps - envSteps) / cfg.stepsPerIteration) + 1);

  for (let it = 1; ; it++) {
    let lossStart = NaN;
    let lossEnd = NaN;
    let gdDone = 0;
    let evals = 0;
    let gdDecrease = 0;
    let gdMs = 0;
    const T = data.size;
    const z = Float32Array.from(normalize(params, data.obs.subarray(0, T * obsSize), T)); // (φ(s) − offset) / scale
    for (let sweep = 0; sweep < cfg.sweeps; sweep++) {
      // ---- targets from the previous Q with the greedy policy μ ------------------------------
      const nextQ = qValues(params, data.next.subarray(0, T * obsSize), T);
      const targets = new Float32Array(T);
      for (let t = 0; t < T; t++) {
        let mx = nextQ[t * A]!;
        for (let a = 1; a < A; a++) mx = Math.max(mx, nextQ[t * A + a]!);
        targets[t] = data.rew[t]! + (data.done[t] ? 0 : cfg.gamma * mx);
      }
      const batch = new BellmanBatch(K, D, A, z, data.act.slice(0, T), targets);
      try {
        // ---- policy evaluation: ridge refit of ξ, then Riemannian GD with Armijo ------------
        let P = precisions(params);
        if (cfg.refitWeights) refitWeights(batch, params, P, cfg.ridge);
        const gd0 = performance.now();
        let sweepStart = NaN;
        let sweepEnd = NaN;
        for (let s = 0; s < cfg.gdSteps; s++) {
          const g = batch.gradients(params.means, P, params.weights);
          if (s === 0) sweepStart = g.loss;
          sweepEnd = g.loss;
          if (sweep === 0 && s === 0) lossStart = g.loss;
          lossEnd = g.loss;
          const rg = new Float64Array(K * D * D);
          let norm2 = 0;
          for (let i = 0; i < g.means.length; i++) norm2 += g.means[i]! ** 2;
          for (let i = 0; i < g.weights.length; i++) norm2 += g.weights[i]! ** 2;
          for (let k = 0; k < K; k++) {
            const C = params.covariances.subarray(k * D * D, (k + 1) * D * D);
            const r = riemannianGradient(cfg.metric, C, g.covariances.subarray(k * D * D, (k + 1) * D * D), D);
            rg.set(r, k * D * D);
            norm2 += inner(cfg.metric, C, r, r, D);
          }
          if (!(norm2 > 0) || !Number.isFinite(norm2)) break;
          const trial = cloneParams(params);
          let trialP = P;
          const apply = (t: number): number => {
            for (let i = 0; i < trial.means.length; i++) trial.means[i] = params.means[i]! - t * g.means[i]!;
            for (let i = 0; i < trial.weights.length; i++) trial.weights[i] = params.weights[i]! - t * g.weights[i]!;
            const dir = new Float64Array(D * D);
            for (let k = 0; k < K; k++) {
              const off = k * D * D;
              for (let i = 0; i < D * D; i++) dir[i] = -t * rg[off + i]!;
              const next = tryRetract(cfg.metric, params.covariances.subarray(off, off + D * D), dir, D);
              if (next === null) return Infinity;
              trial.covariances.set(next, off);
            }
            try {
              trialP = precisions(trial);
            } catch (err) {
              if (err instanceof SpdError) return Infinity; // numerically not SPD: reject this step size
              throw err;
            }
            return batch.loss(trial.means, trialP, trial.weights);
          };
          const res = armijoSearch({
            loss0: g.loss,
            grad2: norm2,
            tryStep: apply,
            t0: Math.min(stepSize * 2, 1e6),
            beta: cfg.armijoBeta,
            c: cfg.armijoC,
          });
          evals += res.evaluations;
          if (!res.accepted) break;
          // armijoSearch returns right after the accepting tryStep, so `trial` and `trialP` hold that point
          params.means.set(trial.means);
          params.weights.set(trial.weights);
          params.covariances.set(trial.covariances);
          P = trialP;
          stepSize = res.t;
          lossEnd = res.loss;
          sweepEnd = res.loss;
          gdDone++;
        }
        if (Number.isFinite(sweepStart) && Number.isFinite(sweepEnd)) gdDecrease += sweepStart - sweepEnd;
        gdMs += performance.now() - gd0;
      } finally {
        batch.dispose();
      }
    }

    // ---- greedy evaluation --------------------------------------------------------------------
    const ev = await evaluateGreedy(params, evalEnv, cfg.evalEpisodes, (cfg.seed * 7919 + it * 104729) >>> 0);
    const isNewBest = ev.mean >= bestReturn;
    if (isNewBest) {
      bestReturn = ev.mean;
      bestIteration = it;
      best = cloneParams(params);
    }
    const wall = (performance.now() - t0) / 1000;
    const row: GmmQfIterationLog = {
      iteration: it,
      env_steps: envSteps,
      epsilon: epsilonAt(envSteps),
      transitions: data.size,
      loss_start: lossStart,
      loss_end: lossEnd,
      gd_loss_decrease: gdDecrease,
      gd_seconds: gdMs / 1000,
      gd_steps: gdDone,
      armijo_evals: evals,
      step_size: stepSize,
      eval_return_mean: ev.mean,
      eval_return_std: ev.std,
      train_episodes: episodes,
      wall_s: wall,
      steps_per_s: envSteps / wall,
    };
    log.push(row);
    const eta = (wall / it) * Math.max(0, totalIterations - it);
    hooks.progress?.(
      `iter ${String(it).padStart(3)}/${totalIterations}  steps ${envSteps}/${cfg.steps}  ε ${row.epsilon.toFixed(2)}  ` +
        `return ${ev.mean.toFixed(1)} ± ${ev.std.toFixed(1)}  best ${bestReturn.toFixed(1)}  ` +
        `loss ${lossStart.toPrecision(3)} → ${lossEnd.toPrecision(3)} (${gdDone} steps)  ` +
        `${row.steps_per_s.toFixed(0)} steps/s  elapsed ${formatDuration(wall)}  ETA ${formatDuration(eta)}`,
    );
    hooks.onIteration?.(row, cfg.keepBest ? best : params, isNewBest);
    if (envSteps >= cfg.steps) break;

    // ---- collect with ε-greedy w.r.t. the improved Q ---------------------------------------
    const factors = precisionFactors(params.covariances, K, D);
    collect(cfg.stepsPerIteration, (o) => (rng.uniform() < epsilonAt(envSteps) ? rng.integer(A) : greedyAction(params, factors, o)));
  }

  const wallSeconds = (performance.now() - t0) / 1000;
  const { actionGrid: _grid, ...plainConfig } = cfg;
  const training: Record<string, unknown> = {
    algorithm: 'gmmqf-policy-iteration',
    ...plainConfig,
    features,
    ...(grid ? { action_grid: { shape: [...grid.shape], values: Array.from(grid.values), low: [...grid.low], high: [...grid.high] } } : {}),
    env_steps: log.at(-1)?.env_steps ?? 0,
    iterations: log.length,
    best_iteration: bestIteration,
    best_eval_return: bestReturn,
    wall_seconds: wallSeconds,
  };
  return {
    params: cfg.keepBest ? best : cloneParams(params),
    finalParams: cloneParams(params),
    bestEvalReturn: bestReturn,
    bestIteration,
    log,
    backend,
    config: cfg,
    env: rawEnv,
    features,
    ...(grid ? { actionGrid: grid } : {}),
    wallSeconds,
    checkpointInfo: {
      observation_space: spaceToJson(rawEnv.observationSpace),
      action_space: spaceToJson(rawEnv.actionSpace),
      env_id: cfg.env,
      training,
      backend: backend.name,
    },
  };
}

/**
 * The feature map ('auto' → 'acrobot-angles' for Acrobot-v1, else 'identity') and the action grid
 * (Box action space: cfg.actionGrid or the documented default; discrete: none, and a given grid is
 * an error). Messages name the config field, the value and the fix.
 */
export function resolveFeaturesAndGrid(cfg: Pick<GmmQfTrainConfig, 'env' | 'features' | 'actionGrid'>, env: Env): { features: FeatureKind; grid?: ActionGrid } {
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

/** ξ[:, a] = argmin Σ_{t: a_t = a} (y_t − g_tᵀ ξ_a)² + λ‖ξ_a‖², per action, in float64. */
function refitWeights(batch: BellmanBatch, p: GmmQfParams, P: Float64Array, ridge: number): void {
  const { K, A } = p;
  const { M, b } = batch.normalEquations(p.means, P);
  for (let a = 0; a < A; a++) {
    const Ma = M.slice(a * K * K, (a + 1) * K * K);
    let trace = 0;
    for (let k = 0; k < K; k++) trace += Ma[k * K + k]!;
    const lam = ridge * Math.max(trace / K, 1e-12);
    for (let k = 0; k < K; k++) Ma[k * K + k] += lam;
    const x = b.slice(a * K, (a + 1) * K);
    if (solveSpdInPlace(Ma, x, K)) for (let k = 0; k < K; k++) p.weights[k * A + a] = x[k]!;
  }
}

