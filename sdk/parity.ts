/**
 * Parity: prove that an exported ONNX file acts exactly like the checkpoint it came from.
 *
 * The checkpoint is evaluated with TensorFlow.js (`qValuesTf`, the same op sequence as the graph,
 * float32, feature map included) and the ONNX file with ONNX Runtime through `gmmrl/runtime`, on
 * three kinds of states in observation space (`parityStates`): rollouts in the checkpoint's
 * environment, uniform draws within the observation bounds (within offset ± 4·scale where a bound
 * is infinite or huge; Acrobot's angles as cos/sin pairs of uniform angles), and states far outside
 * the data (offset ± 10–30·scale). The float64 reference is reported alongside for information.
 * The file's action space must be the checkpoint's; for a grid model every `action` row must be
 * exactly the grid value of its `action_index`.
 *
 * Tolerance (stated, tested):
 * - q: relative difference ≤ 1e-5 wherever |q| > 1e-3 — except where float32 arithmetic itself
 *   cannot resolve q to that precision. Q is a sum Σ_k ξ_ka g_k whose terms can cancel (measured:
 *   Σ_k |ξ_ka g_k| up to 342·|q| on in-bounds states of a trained CartPole model); there any two
 *   float32 evaluations differ by about κ·2⁻²⁴ relative, whatever their correctness. On such
 *   entries the difference must instead lie within 2·B, B = the first-order worst-case float32
 *   error bound of this op sequence (models/gmmqf/float32-bound.ts; each engine is within B of the
 *   float64 value). `max_rel_diff` is reported over all entries exactly as specified, and the
 *   entries judged by the bound are counted (`float32_bound.entries_beyond_rtol`).
 * - actions (compared on the index; for a grid model the index of the grid point): identical
 *   greedy actions except on ties, i.e. states where the two actions'
 *   TensorFlow.js q values differ by no more than the q tolerance (the argmax of two numbers equal
 *   within float32 noise is not defined by the model). Ties are counted and reported.
 */
import { ShapeError, ValueError, describeValue } from '../contract/errors.js';
import { checkCheckpointEnv, checkSourceCheckpoint, readOnnxForVerify } from './families/checks.js';
import { loadPolicy } from '../runtime/index.node.js';
import { loadGmmQfCheckpoint, type GmmQfCheckpoint } from '../models/gmmqf/checkpoint.js';
import { qValuesTf } from '../models/gmmqf/tf.js';
import { qValues, argmaxRows, precisionFactors, activations, observationSizeOf } from '../models/gmmqf/reference.js';
import { qErrorBound } from '../models/gmmqf/float32-bound.js';
import type { ActionGrid, GmmQfParams } from '../models/gmmqf/params.js';
import type { FeatureKind } from '../models/gmmqf/features.js';
import type { ActionSpaceSpec } from '../contract/metadata.js';
import { make, type Env } from './envs/index.js';
import { discretizeActions } from './envs/discretize.js';
import { Rng } from './util/rng.js';
import { selectBackend, type BackendName } from './backend.js';
import { epsilonGreedyParity, type SampledParity } from './parity-sampling.js';

export interface ParityOptions {
  /** Number of states (default 3000, split evenly over the three kinds). */
  states?: number;
  /** Seed for the state draws (default 0). */
  seed?: number;
  /** Relative tolerance on q (default 1e-5) where |q| > qFloor (default 1e-3); finite and > 0 (dqn: ≥ 0). */
  rtol?: number;
  qFloor?: number;
  backend?: BackendName;
  /**
   * Refuse a file that records no source checkpoint (default false; `gmmrl verify` sets it). A file
   * that records another checkpoint's SHA-256 is always refused (ModelFormatError).
   */
  requireSource?: boolean;
}

export interface ParityReport {
  max_abs_diff: { q: number };
  max_rel_diff: { q: number };
  action_agreement: number;
  ties: number;
  action_mismatches_outside_ties: number;
  states: { total: number; rollout: number; uniform: number; far: number };
  tolerance: { q_rtol: number; q_floor: number; q_beyond_float32_resolution: string; actions: string };
  float32_bound: {
    /** Entries with |q| > floor whose relative difference exceeds rtol, judged by |Δq| ≤ 2B instead. */
    entries_beyond_rtol: number;
    /** max |Δq| / (2B) over those entries (≤ 1 passes); 0 when there are none. */
    max_ratio_beyond_rtol: number;
    /** max over entries with |q| > floor of κ = Σ_k |ξ_ka g_k| / |q| (float64 reference). */
    max_condition: number;
  };
  reference_f64: { max_rel_diff_onnx: number; max_rel_diff_tfjs: number };
  /**
   * The file's metadata action space is the checkpoint's (kind, A, and the grid values as float32).
   * Always written by verifyParity (optional in the type for other families' reports).
   */
  action_space_match?: boolean;
  /**
   * Grid models only: rows where the file's `action` output is not exactly the float32 grid row of
   * its `action_index` (in the checkpoint's grid). 0 to pass.
   */
  action_grid?: { rows_checked: number; mismatches: number };
  /** The checkpoint's feature map ('identity' when it has none); always written by verifyParity. */
  features?: string;
  /** The sampled mode (ε-greedy action_sampled with identical noise; sdk/parity-sampling.ts). */
  sampled?: SampledParity;
  backend: string;
  execution_provider: string;
  pass: boolean;
  /** When pass is false: the first failure in one line (output, state index and kind, entry; value, reference, relative difference, tolerance). */
  failure?: string;
}

function relDiff(a: number, b: number, floor: number): number {
  const d = Math.abs(a - b);
  return Math.abs(b) > floor ? d / Math.abs(b) : 0;
}

/**
 * Draws the verification states: float32 raw observations [N, obsSize] (obsSize = the environment's
 * observation size, which the feature map, if any, consumes).
 *
 * - rollouts of the checkpoint's greedy policy with 20 % random actions (through the action grid
 *   for a grid model);
 * - uniform states: identity features — uniform within the observation bounds, offset ± 4·scale
 *   where a bound is infinite or huge; 'acrobot-angles' — both angles uniform in [−π, π] written as
 *   (cos, sin) pairs, velocities uniform within their bounds;
 * - far states: identity — offset ± (10…30)·scale in every entry; 'acrobot-angles' — angles
 *   anywhere, velocities offset ± (10…30)·scale (far beyond the bounds: the graph does not clip).
 */
export function parityStates(
  ckpt: Pick<GmmQfCheckpoint, 'params' | 'config'>,
  n: number,
  seed: number,
): { obs: Float32Array; rollout: number; uniform: number; far: number } {
  const { params, config } = ckpt;
  const features = params.features ?? 'identity';
  const obsSize = observationSizeOf(params);
  const raw = make(config.env_id);
  const envSize = raw.observationSpace.low.length;
  if (envSize !== obsSize) {
    throw new ShapeError(
      `verify: ${config.env_id} observations have ${envSize} entries but the checkpoint's model reads ${obsSize} ` +
        `(D = ${params.D}, features ${features}). The checkpoint does not belong to this environment.`,
    );
  }
  const factors = precisionFactors(params.covariances, params.K, params.D);
  return drawParityStates({
    env: raw,
    A: params.A,
    ...(params.actionGrid ? { grid: params.actionGrid } : {}),
    features,
    offset: params.obsOffset,
    scale: params.obsScale,
    greedy: (o) => argmaxRows(qValues(params, o, 1, factors), 1, params.A)[0]!,
    n,
    seed,
  });
}

/** What `drawParityStates` needs from a Q-function checkpoint of any family. */
export interface ParityStateSource {
  /** The checkpoint's environment, unwrapped (its Box action space when the model uses a grid). */
  env: Env;
  /** Number of the model's actions (grid points for a grid model). */
  A: number;
  grid?: ActionGrid;
  features: FeatureKind;
  /** Normalization of the model's input (of the features when there is a feature map). */
  offset: ArrayLike<number>;
  scale: ArrayLike<number>;
  /** The model's greedy action index for one raw observation. */
  greedy: (obs: Float32Array) => number;
  /**
   * Continuous-action models: the rollout action for one raw observation (replaces the 20 % random
   * index / greedy index rule; A and grid are then unused).
   */
  rolloutAction?: (obs: Float32Array, rng: Rng) => ArrayLike<number>;
  n: number;
  seed: number;
}

/** The three kinds of parity states (see parityStates), for any Q-function family. */
export function drawParityStates(src: ParityStateSource): { obs: Float32Array; rollout: number; uniform: number; far: number } {
  const { n, features, offset, scale } = src;
  const obsSize = src.env.observationSpace.low.length;
  const rng = new Rng(src.seed);
  const nRoll = Math.floor(n / 3);
  const nUni = Math.floor(n / 3);
  const nFar = n - nRoll - nUni;
  const obs = new Float32Array(n * obsSize);
  // 1. rollouts of the checkpoint's greedy policy with 20 % random actions
  const env = src.grid ? discretizeActions(src.env, src.grid) : src.env;
  let o = env.reset({ seed: rng.nextSeed() }).obs;
  for (let i = 0; i < nRoll; i++) {
    obs.set(o, i * obsSize);
    const a = src.rolloutAction ? src.rolloutAction(o, rng) : rng.uniform() < 0.2 ? rng.integer(src.A) : src.greedy(o);
    const r = env.step(a);
    o = r.terminated || r.truncated ? env.reset({ seed: rng.nextSeed() }).obs : r.obs;
  }
  const low = src.env.observationSpace.low;
  const high = src.env.observationSpace.high;
  // bounds of observation entry j, or the feature f's offset ± 4·scale where they are infinite or huge
  const range = (j: number, f: number): [number, number] => {
    const wide = !(Math.abs(low[j]!) < 1e6 && Math.abs(high[j]!) < 1e6);
    return wide ? [offset[f]! - 4 * scale[f]!, offset[f]! + 4 * scale[f]!] : [low[j]!, high[j]!];
  };
  const farValue = (f: number): number => offset[f]! + (rng.uniform() < 0.5 ? -1 : 1) * rng.uniformRange(10, 30) * scale[f]!;
  const angles = (i: number): void => {
    for (const c of [0, 2]) {
      const t = rng.uniformRange(-Math.PI, Math.PI);
      obs[i * obsSize + c] = Math.cos(t);
      obs[i * obsSize + c + 1] = Math.sin(t);
    }
  };
  // 2. uniform within bounds
  for (let i = nRoll; i < nRoll + nUni; i++) {
    if (features === 'acrobot-angles') {
      angles(i);
      for (const [j, f] of [
        [4, 2],
        [5, 3],
      ] as const)
        obs[i * obsSize + j] = rng.uniformRange(...range(j, f));
    } else {
      for (let j = 0; j < obsSize; j++) obs[i * obsSize + j] = rng.uniformRange(...range(j, j));
    }
  }
  // 3. far outside the data
  for (let i = nRoll + nUni; i < n; i++) {
    if (features === 'acrobot-angles') {
      angles(i);
      for (const [j, f] of [
        [4, 2],
        [5, 3],
      ] as const)
        obs[i * obsSize + j] = farValue(f);
    } else {
      for (let j = 0; j < obsSize; j++) obs[i * obsSize + j] = farValue(j);
    }
  }
  return { obs, rollout: nRoll, uniform: nUni, far: nFar };
}

/**
 * How two float32 evaluations of a Q-function (TensorFlow.js and ONNX Runtime) are judged; the two
 * families differ only in these two choices (see the module comments of parity.ts and parity-dqn.ts).
 */
export interface QCompareRule {
  rtol: number;
  floor: number;
  /**
   * false (gmmqf): an entry with relative difference ≤ rtol is accepted, |q| ≤ floor included (its
   * relative difference counts as 0); true (dqn): only entries with rtol > 0, |q| > floor and relative
   * difference ≤ rtol are accepted so; every other entry must be within 2B.
   */
  boundJudgesSmallQ: boolean;
  /** A differing greedy action is a tie when |q_a − q_b| (TensorFlow.js) ≤ rtol·max(|q_a|, |q_b|, floor) ('rtol') or ≤ 2(B_a + B_b) ('bound'). */
  ties: 'rtol' | 'bound';
}

export interface QComparison {
  maxAbs: number;
  maxRel: number;
  refOnnx: number;
  refTf: number;
  agree: number;
  ties: number;
  mismatches: number;
  beyond: number;
  beyondRatio: number;
  badQ: number;
  maxCond: number;
  /** The first failing entry or greedy action, in words without the state's kind (see qParityReport). */
  first?: { state: number; text: string };
}

/** The kind of state `i` of `states` (rollout, uniform, far): the order drawParityStates draws them in. */
export function stateKind(i: number, states: { rollout: number; uniform: number }): string {
  return i < states.rollout ? 'rollout' : i < states.rollout + states.uniform ? 'uniform' : 'far';
}

const g = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(7))) : String(x));

/** What a Q-family parity report holds besides the comparison (see `qParityReport`). */
export interface QParityParts {
  states: ParityReport['states'];
  tolerance: ParityReport['tolerance'];
  /** The family's own report fields, written after reference_f64 in their order. */
  familyFields: Pick<ParityReport, 'action_space_match' | 'action_grid' | 'features'>;
  /** The family's own pass conditions (true when it has none). */
  familyPass: boolean;
  /** When familyPass is false: what failed, in one line. */
  familyFailure?: string;
  sampled: SampledParity;
  backend: string;
  executionProvider: string;
}

/**
 * The parity report of a Q family from `compareQ`'s comparison c over the states: it passes when the
 * sampled mode and every q entry pass, no greedy action differs outside ties, the largest |Δq| is
 * finite, and the family's own conditions hold.
 */
export function qParityReport(c: QComparison, r: QParityParts): ParityReport {
  const pass = (r.sampled.mismatches ?? 0) === 0 && c.badQ === 0 && c.mismatches === 0 && Number.isFinite(c.maxAbs) && r.familyPass;
  const failure = pass
    ? undefined
    : c.first
      ? `state ${c.first.state} (${stateKind(c.first.state, r.states)}): ${c.first.text}`
      : !r.familyPass
        ? (r.familyFailure ?? 'the family check failed')
        : (r.sampled.first_mismatch ?? 'the sampled mode failed');
  return {
    max_abs_diff: { q: c.maxAbs },
    max_rel_diff: { q: c.maxRel },
    action_agreement: c.agree / r.states.total,
    ties: c.ties,
    action_mismatches_outside_ties: c.mismatches,
    states: r.states,
    tolerance: r.tolerance,
    float32_bound: { entries_beyond_rtol: c.beyond, max_ratio_beyond_rtol: c.beyondRatio, max_condition: c.maxCond },
    reference_f64: { max_rel_diff_onnx: c.refOnnx, max_rel_diff_tfjs: c.refTf },
    ...r.familyFields,
    sampled: r.sampled,
    backend: r.backend,
    execution_provider: r.executionProvider,
    pass,
    ...(failure !== undefined ? { failure } : {}),
  };
}

/**
 * Compares q [n, A] from ONNX Runtime with q from TensorFlow.js entry by entry (float64 reference
 * q64 and the float32 bound B per entry; magnitude = Σ|terms| per entry for κ), and the greedy
 * actions row by row.
 */
export function compareQ(
  d: {
    n: number;
    A: number;
    qOrt: readonly ArrayLike<number>[];
    qTf: ArrayLike<number>;
    q64: ArrayLike<number>;
    bound: ArrayLike<number>;
    magnitude: ArrayLike<number>;
    actOrt: ArrayLike<number>;
  },
  rule: QCompareRule,
): QComparison {
  const { n, A, qTf, q64, bound } = d;
  const { rtol, floor } = rule;
  const c: QComparison = {
    maxAbs: 0,
    maxRel: 0,
    refOnnx: 0,
    refTf: 0,
    agree: 0,
    ties: 0,
    mismatches: 0,
    beyond: 0,
    beyondRatio: 0,
    badQ: 0,
    maxCond: 0,
  };
  const actTf = argmaxRows(qTf, n, A);
  for (let i = 0; i < n; i++) {
    const row = d.qOrt[i]!;
    for (let a = 0; a < A; a++) {
      const k = i * A + a;
      const x = row[a]!;
      const y = qTf[k]!;
      const diff = Math.abs(x - y);
      const rel = relDiff(x, y, floor);
      c.maxAbs = Math.max(c.maxAbs, diff);
      c.maxRel = Math.max(c.maxRel, rel);
      c.refOnnx = Math.max(c.refOnnx, relDiff(x, q64[k]!, floor));
      c.refTf = Math.max(c.refTf, relDiff(y, q64[k]!, floor));
      const accepted = rule.boundJudgesSmallQ ? rtol > 0 && Math.abs(y) > floor && rel <= rtol : !(rel > rtol);
      const what = `output q, entry ${a}: value ${g(x)} (ONNX Runtime), reference ${g(y)} (TensorFlow.js), relative difference ${g(rel)}`;
      if (!(diff <= diff) || !Number.isFinite(x) || !Number.isFinite(y)) {
        c.badQ++;
        c.first ??= { state: i, text: `${what}: not finite` };
      } else if (!accepted) {
        c.beyond++;
        const ratio = diff / (2 * bound[k]!);
        c.beyondRatio = Math.max(c.beyondRatio, ratio);
        if (!(ratio <= 1)) {
          c.badQ++;
          c.first ??= {
            state: i,
            text: `${what} > tolerance ${g(rtol)}, and |Δq| = ${g(diff)} > 2B = ${g(2 * bound[k]!)} (the float32 rounding bound)`,
          };
        }
      }
      if (Math.abs(q64[k]!) > floor) c.maxCond = Math.max(c.maxCond, d.magnitude[k]! / Math.abs(q64[k]!));
    }
    const ao = d.actOrt[i]!;
    const at = actTf[i]!;
    if (ao === at) {
      c.agree++;
      continue;
    }
    const qa = qTf[i * A + ao]!;
    const qb = qTf[i * A + at]!;
    const tie =
      rule.ties === 'rtol'
        ? Math.abs(qa - qb) <= rtol * Math.max(Math.abs(qa), Math.abs(qb), floor)
        : Math.abs(qa - qb) <= 2 * (bound[i * A + ao]! + bound[i * A + at]!);
    if (tie) c.ties++;
    else {
      c.mismatches++;
      c.first ??= {
        state: i,
        text:
          `output action: ${ao} (ONNX Runtime), reference ${at} (TensorFlow.js), not a tie: q[${ao}] = ${g(qa)}, q[${at}] = ${g(qb)}, ` +
          `relative difference ${g(Math.abs(qa - qb) / Math.max(Math.abs(qa), Math.abs(qb), floor))}, tolerance ${rule.ties === 'rtol' ? g(rtol) : `2(B_a + B_b) = ${g(2 * (bound[i * A + ao]! + bound[i * A + at]!))} absolute`}`,
      };
    }
  }
  return c;
}

/** Whether the file's action space is the checkpoint's (kind, n, and for a grid every value as float32). */
function sameActionSpace(params: GmmQfParams, spec: Readonly<ActionSpaceSpec>): boolean {
  const grid = params.actionGrid;
  if (spec.n !== params.A) return false;
  if (!grid) return spec.kind === 'discrete';
  if (spec.kind !== 'grid') return false;
  const size = grid.shape.reduce((x, y) => x * y, 1);
  if (spec.shape.length !== grid.shape.length || spec.shape.some((d, i) => d !== grid.shape[i])) return false;
  for (let a = 0; a < params.A; a++) {
    for (let j = 0; j < size; j++) if (spec.values[a]?.[j] !== Math.fround(grid.values[a * size + j]!)) return false;
  }
  return true;
}

/** Compares checkpoint (TensorFlow.js) and ONNX file (ONNX Runtime). */
export async function verifyParity(ckptDir: string, onnx: string | Uint8Array, opts: ParityOptions = {}): Promise<ParityReport> {
  const n = opts.states ?? 3000;
  if (!Number.isInteger(n) || n < 3) throw new ShapeError(`verify: states = ${n}; expected an integer ≥ 3 (default 3000).`);
  const rtol = opts.rtol ?? 1e-5;
  if (!(rtol > 0) || !Number.isFinite(rtol))
    throw new ValueError(`verify: rtol = ${describeValue(rtol)}; expected a finite number > 0 (default 1e-5).`);
  const floor = opts.qFloor ?? 1e-3;
  const backend = await selectBackend(opts.backend ?? 'auto');
  const ckpt = loadGmmQfCheckpoint(ckptDir);
  checkCheckpointEnv(ckpt.config, ckptDir);
  const { params } = ckpt;
  const { A } = params;
  const { obs, rollout, uniform, far } = parityStates(ckpt, n, opts.seed ?? 0);
  const bytes = readOnnxForVerify(onnx);
  const policy = await loadPolicy(bytes);
  try {
    checkSourceCheckpoint(policy.info.metadata.source_checkpoint_sha256, ckpt.sha256, ckptDir, onnx, opts.requireSource ?? false);
    const spaceMatch = sameActionSpace(params, policy.info.actionSpace);
    const qOrtRows = await policy.qBatch(obs);
    const actOrt = (await policy.actBatch(obs)) as Int32Array; // a Q model: action indices
    let gridReport: { rows_checked: number; mismatches: number } | undefined;
    let gridFirst: string | undefined;
    const grid = params.actionGrid;
    if (grid) {
      // the environment action the file returns must be exactly the checkpoint's grid row of its index
      const size = grid.shape.reduce((x, y) => x * y, 1);
      const rows = spaceMatch ? await policy.envActionBatch(obs) : null;
      let bad = 0;
      for (let i = 0; i < n; i++) {
        const row = rows instanceof Int32Array || rows === null ? null : rows[i]!;
        const a = actOrt[i]!;
        let ok = row !== null && row.length === size;
        for (let j = 0; ok && j < size; j++) ok = row![j] === Math.fround(grid.values[a * size + j]!);
        if (!ok) {
          bad++;
          gridFirst ??= `state ${i} (${stateKind(i, { rollout, uniform })}): output action: ${describeValue(row)} is not the grid row of action_index ${a} (reference ${describeValue(Array.from(grid.values.subarray(a * size, (a + 1) * size), Math.fround))}), tolerance 0 (exact)`;
        }
      }
      gridReport = { rows_checked: n, mismatches: bad };
    }
    const qTf = qValuesTf(params, obs, n);
    const q64 = qValues(params, obs, n);
    const bound = qErrorBound(params, obs, n);
    const g = activations(params, obs, n);
    const magnitude = new Float64Array(n * A); // Σ_k |ξ_ka g_k| per entry
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < A; a++) {
        let sabs = 0;
        for (let k = 0; k < params.K; k++) sabs += Math.abs(params.weights[k * A + a]! * g[i * params.K + k]!);
        magnitude[i * A + a] = sabs;
      }
    }
    const c = compareQ(
      { n, A, qOrt: qOrtRows, qTf, q64, bound, magnitude, actOrt },
      { rtol, floor, boundJudgesSmallQ: false, ties: 'rtol' },
    );
    return qParityReport(c, {
      states: { total: n, rollout, uniform, far },
      tolerance: {
        q_rtol: rtol,
        q_floor: floor,
        q_beyond_float32_resolution: '|Δq| ≤ 2·B, B = worst-case float32 error bound of the graph op sequence',
        actions: 'identical except ties within q_rtol',
      },
      familyFields: {
        action_space_match: spaceMatch,
        ...(gridReport !== undefined ? { action_grid: gridReport } : {}),
        features: params.features ?? 'identity',
      },
      familyPass: spaceMatch && (gridReport?.mismatches ?? 0) === 0,
      ...(!spaceMatch
        ? { familyFailure: "metadata action_space: the file's action space (kind, n or grid values) is not the checkpoint's" }
        : gridFirst !== undefined
          ? { familyFailure: gridFirst }
          : {}),
      sampled: await epsilonGreedyParity(policy, obs, n, (opts.seed ?? 0) + 1),
      backend: backend.name,
      executionProvider: policy.info.executionProvider,
    });
  } finally {
    await policy.dispose();
  }
}
