/**
 * ONNX export of a GMM Q-function (REFERENCES.md §1):
 *
 *   s = φ(obs)                       the feature map (identity unless params.features says otherwise)
 *   z = (s − offset) / scale
 *   Q(s, a) = Σ_k ξ[k, a] · exp(−½ ‖W_k (z − m_k)‖²),   W_k = L_k⁻¹, C_k = L_k L_kᵀ
 *
 * The graph is EXACTLY this op sequence (the TensorFlow.js inference path, models/gmmqf/tf.ts,
 * mirrors it op for op):
 *
 *   with sampling "inputs" first u = Expand(noise_u, Shape(obs)[0]) [N] and the mask of rows without
 *   finite u (gmmqf/noise/…: noise_u has a one-row NaN default, envelope.ts beginGraph, so obs alone
 *   computes every output and the sampled ones say "no sample")
 *   0. s     = φ(obs)   only for a feature map other than identity; 'acrobot-angles' is
 *              Gather/Gather/Gather, Div, Atan, GreaterOrEqual, Where, Less, Where, Add, Concat
 *              (models/gmmqf/features.ts documents the sequence)      obs [N, obsSize] → s [N, D]
 *   1. z     = Div(Sub(s, offset), scale)                   offset/scale [D]
 *   2. zu    = Unsqueeze(z, axes=[0])                       [1, N, D]
 *   3. diff  = Sub(zu, means)                               [K, N, D]   means [K, 1, D] (centred first)
 *   4. y     = MatMul(diff, factorsT)                       [K, N, D],  factorsT[k] = W_kᵀ
 *   5. quad  = ReduceSum(Mul(y, y), axes=[2], keepdims=0)   [K, N]
 *   6. g     = Exp(Mul(quad, −0.5))                         [K, N]
 *   7. q     = Gemm(g, weights, transA=1) = gᵀ · weights     [N, A]  → output "q"
 *
 *   Component-major layout: the whitening is K batched GEMMs of [N, D] × [D, D] (one per component),
 *   not N·K products of a single row, so a batch runs at GEMM speed (`node dist/bench/policy-latency.js`
 *   measures it) while each row is still centred on each mean before the quadratic form.
 *
 *   8. the greedy-action head (exporters/onnx/qhead.ts): discrete: action = ArgMax(q) [N] int64;
 *      action grid: action_index = ArgMax(q) [N] int64 and action = the grid row [N, ...shape] F
 *   9. unless options.sampling is "none": the ε-greedy head (qhead.ts addSamplingHead; input
 *      noise_u [N] F by default, or RandomUniformLike in the graph) → action_sampled (+ action_sampled_index);
 *      with noise_u an input each goes through gmmqf/guard/…: -1 / NaN where u is not finite (not fed)
 *
 * F is float32 (default) or float64 (options.precision: every float input, output and constant).
 *
 * Pruning (default on): components whose weight row ξ[k, :] is exactly zero add exactly 0 to every
 * q, so they are left out of the graph (the same function with fewer components; K in the metadata
 * is the exported count, `sparsity.components_trained`/`components_pruned` record the rest when
 * the caller passes a sparsity record). A model whose rows are all zero keeps component 0 (q ≡ 0)
 * rather than producing an empty graph; the doc string says so.
 *
 * Opset 17, IR version 8. W_k is computed in float64 by `precisionFactors` and (float32) rounded
 * once; every other constant is the float64 parameter rounded to float32 once (float64: exact).
 */
import { assertSpd } from '../../models/linalg/cholesky.js';
import { FEATURE_FORMULAS, PI_F32, checkFeatureKind, featureInputSize, type FeatureKind } from '../../models/gmmqf/features.js';
import type { GmmQfParams } from '../../models/gmmqf/params.js';
import { precisionFactors } from '../../models/gmmqf/reference.js';
import { NONZERO_THRESHOLD, nonzeroFraction, pruneComponents } from '../../models/gmmqf/sparsity.js';
import { ShapeError, ValueError, describeValue } from '../../contract/errors.js';
import { FAMILY } from '../../contract/families.js';
import {
  GMMQF_OUTPUT_Q,
  METADATA_SCHEMA_VERSION,
  NORMALIZATION_FORMULA,
  metadataToProps,
  type GmmrlMetadataV1,
  type SparsitySpec,
} from '../../contract/metadata.js';
import { beginGraph, finishModel, metadataEnvelope, normalizationSpec, precisionField } from './envelope.js';
import { ElemType, type GraphBuilder } from './graph.js';
import {
  Q_NOISE_U_DOC,
  actionSpaceSpec,
  addGreedyActionHead,
  addSamplingHead,
  checkActionGrid,
  qInputSpecs,
  qOutputSpecs,
  qSamplingSpec,
} from './qhead.js';
import {
  EXPORT_IR_VERSION,
  EXPORT_OPSET_VERSION,
  addNormalizeNodes,
  checkMetaObservation,
  checkMetaProvenance,
  floatKind,
  resolveQOptions,
  type FloatKind,
  type QExportOptions,
  type ResolvedQOptions,
} from './subgraphs.js';

export const GMMQF_IR_VERSION = EXPORT_IR_VERSION;
/** normalization.formula when a feature map precedes the normalization. */
const FEATURE_NORMALIZATION_FORMULA = 'z = (phi(obs) - offset) / scale, inside the graph (phi: features.formula)';
export const GMMQF_OPSET_VERSION = EXPORT_OPSET_VERSION;

/** The family id, which also names the graph and prefixes every node. */
const P = FAMILY.gmmqf;

export interface GmmQfExportMeta {
  envId: string;
  /** The environment's observation space: prod(shape) is the graph input size (6 for acrobot-angles). */
  observationSpace: { shape: number[]; low: number[]; high: number[] };
  /**
   * Optional cross-check of the action space; the exported one comes from the parameters
   * (`params.actionGrid` → kind 'grid', else 'discrete', n = A). When given, kind and n must agree.
   */
  actionSpace?: { kind: 'discrete' | 'grid'; n: number };
  /** SHA-256 (hex) of the checkpoint the parameters came from. */
  sourceCheckpointSha256?: string;
  /** algorithm, steps, seed, backend, … passed through into the metadata (non-finite numbers → null). */
  training?: Record<string, unknown>;
  /** Model doc string (a default describing the model is written otherwise). */
  docString?: string;
  /**
   * Sparse training record (S-GMM-QF): number of Hadamard factors J, their l2 weight ρ, and the
   * relative threshold for nonzero_fraction (default 1e-6). When given, metadata `sparsity` is
   * written with nonzero_fraction computed from the weights and the pruning counts.
   */
  sparsity?: { factors: number; rho: number; threshold?: number };
  /** Trainable parameters as trained (metadata parameter_count); default K·(A + D + D(D+1)/2), K before pruning. */
  parameterCount?: number;
}

/** Options of exportGmmQf: pruning plus the Q-family options (precision, sampling, epsilon). */
export interface GmmQfExportOptions extends QExportOptions {
  /** Leave out components whose weight row is exactly zero (default true). */
  prune?: boolean;
}

const FLOAT32_MAX = 3.4028234663852886e38;

function checkInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new ValueError(`GMM-QF ${what} must be a positive integer, got ${describeValue(v)}.`);
  }
  return v;
}

function checkArray(a: unknown, len: number, what: string, shape: string, fk: FloatKind): ArrayLike<number> {
  if (!(a instanceof Float64Array) && !(a instanceof Float32Array) && !Array.isArray(a)) {
    throw new ValueError(`GMM-QF ${what} must be a Float64Array of shape ${shape}, got ${describeValue(a)}.`);
  }
  if (a.length !== len) throw new ShapeError(`GMM-QF ${what} has length ${a.length}, expected ${len} (shape ${shape}).`);
  for (let i = 0; i < len; i++) {
    const x = a[i] as unknown;
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new ValueError(`GMM-QF ${what}[${i}] is ${describeValue(x)}; all parameters must be finite numbers.`);
    }
    if (fk.precision === 'float32' && Math.abs(x) > FLOAT32_MAX) {
      throw new ValueError(
        `GMM-QF ${what}[${i}] = ${x} does not fit in float32 (|x| ≤ 3.4e38), which the ONNX graph computes in; export with { precision: 'float64' }.`,
      );
    }
  }
  return a as ArrayLike<number>;
}

interface Validated {
  /** W_kᵀ (float64; representable in float32 without overflow or underflow to 0 for a float32 export) for every trained component, [K, D, D]. */
  factorsT: Float64Array;
  features: FeatureKind;
  obsSize: number;
}

/** Validates parameters and export metadata; returns W_kᵀ, [K, D, D]. */
function validate(p: GmmQfParams, meta: GmmQfExportMeta, fk: FloatKind): Validated {
  if (typeof p !== 'object' || p === null)
    throw new ValueError(`exportGmmQf: params must be a GmmQfParams object, got ${describeValue(p)}.`);
  const K = checkInt(p.K, 'K (components)');
  const D = checkInt(p.D, 'D (feature size)');
  const A = checkInt(p.A, 'A (actions)');
  const features = p.features === undefined ? 'identity' : checkFeatureKind(p.features, 'GMM-QF features');
  const obsSize = featureInputSize(features, D);
  checkArray(p.means, K * D, 'means', `[K=${K}, D=${D}]`, fk);
  checkArray(p.covariances, K * D * D, 'covariances', `[K=${K}, D=${D}, D=${D}]`, fk);
  checkArray(p.weights, K * A, 'weights', `[K=${K}, A=${A}]`, fk);
  checkArray(p.obsOffset, D, 'obsOffset', `[D=${D}]`, fk);
  const scale = checkArray(p.obsScale, D, 'obsScale', `[D=${D}]`, fk);
  for (let j = 0; j < D; j++) {
    if (!(scale[j]! > 0) || !(fk.round(scale[j]!) > 0)) {
      throw new ValueError(`GMM-QF obsScale[${j}] = ${scale[j]} must be > 0 (and > 0 in ${fk.precision}): z = (φ(obs) − offset) / scale.`);
    }
  }
  if (p.actionGrid !== undefined) {
    const grid = p.actionGrid as unknown;
    if (typeof grid !== 'object' || grid === null || !(p.actionGrid.values instanceof Float64Array || Array.isArray(p.actionGrid.values))) {
      throw new ValueError(
        `exportGmmQf: params.actionGrid must be { shape, values: Float64Array [A, size], low, high }, got ${describeValue(grid)}.`,
      );
    }
    checkActionGrid(p.actionGrid, A, 'exportGmmQf', fk.round);
  }
  const covs = Float64Array.from(p.covariances as ArrayLike<number>);
  for (let k = 0; k < K; k++) assertSpd(covs, D, `GMM-QF covariances[${k}]`, k * D * D);
  const W = precisionFactors(covs, K, D);
  const factorsT = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) {
    const b = k * D * D;
    for (let r = 0; r < D; r++) {
      for (let c = 0; c < D; c++) {
        const w = W[b + r * D + c]!;
        const f = fk.round(w);
        if (!Number.isFinite(f) || (w !== 0 && f === 0)) {
          throw new ValueError(
            `GMM-QF covariances[${k}] is too close to singular for ${fk.precision}: its precision factor W[${r}][${c}] = ${w} ` +
              `does not fit in ${fk.precision}. Regularise the covariance (add eps·I)${fk.precision === 'float32' ? " or export with { precision: 'float64' }" : ''}.`,
          );
        }
        factorsT[b + c * D + r] = w; // transpose: factorsT[k][c][r] = W_k[r][c]
      }
    }
  }

  checkMetaObservation('exportGmmQf', meta, obsSize, {
    metaShape: 'a GmmQfExportMeta object',
    envExample: 'CartPole-v1',
    sizeWhy:
      features === 'identity'
        ? `the model's observation size D is ${D}`
        : `the model's feature map ${features} reads ${obsSize} entries (D = ${D} features)`,
  });
  const as = meta.actionSpace;
  if (as !== undefined) {
    const want = p.actionGrid ? 'grid' : 'discrete';
    if (typeof as !== 'object' || as === null || (as.kind !== 'discrete' && as.kind !== 'grid')) {
      throw new ValueError(
        `exportGmmQf: meta.actionSpace must be { kind: '${want}', n } or left out (the parameters define it), got ${describeValue(as)}.`,
      );
    }
    if (as.kind !== want) {
      throw new ValueError(
        `exportGmmQf: meta.actionSpace.kind = '${as.kind}' but the model ${p.actionGrid ? 'has an action grid (params.actionGrid)' : 'has no action grid'}; ` +
          `pass { kind: '${want}', n: ${A} } or leave actionSpace out.`,
      );
    }
    if (as.n !== A) {
      throw new ShapeError(`exportGmmQf: meta.actionSpace.n = ${describeValue(as.n)} but the model has A = ${A} actions (weights [K, A]).`);
    }
  }
  checkMetaProvenance('exportGmmQf', meta);
  if (meta.sparsity !== undefined) {
    const sp = meta.sparsity;
    if (typeof sp !== 'object' || sp === null) {
      throw new ValueError(`exportGmmQf: meta.sparsity must be { factors, rho, threshold? }, got ${describeValue(sp)}.`);
    }
    if (!Number.isSafeInteger(sp.factors) || sp.factors < 1) {
      throw new ValueError(
        `exportGmmQf: meta.sparsity.factors = ${describeValue(sp.factors)} must be a positive integer (the number J of Hadamard factors; 1 for dense weights).`,
      );
    }
    if (typeof sp.rho !== 'number' || !(sp.rho >= 0) || !Number.isFinite(sp.rho)) {
      throw new ValueError(
        `exportGmmQf: meta.sparsity.rho = ${describeValue(sp.rho)} must be a finite number ≥ 0 (the l2 weight on the factors).`,
      );
    }
    if (sp.threshold !== undefined && (typeof sp.threshold !== 'number' || !(sp.threshold >= 0 && sp.threshold < 1))) {
      throw new ValueError(
        `exportGmmQf: meta.sparsity.threshold = ${describeValue(sp.threshold)} must be a relative threshold in [0, 1) (default ${NONZERO_THRESHOLD}).`,
      );
    }
  }
  if (meta.parameterCount !== undefined && (!Number.isSafeInteger(meta.parameterCount) || meta.parameterCount < 1)) {
    throw new ValueError(
      `exportGmmQf: meta.parameterCount = ${describeValue(meta.parameterCount)} must be a positive integer, or left out for K·(A + D + D(D+1)/2).`,
    );
  }
  return { factorsT, features, obsSize };
}

/** What the exporter writes: the (pruned) parameters, their W_kᵀ and the pruning record. */
interface Prepared extends Validated {
  /** The exported parameters (pruned unless options.prune is false). */
  exported: GmmQfParams;
  /** W_kᵀ of the exported components. */
  exportedFactorsT: Float64Array;
  /** Components in the parameters as given (trained). */
  kTrained: number;
  pruned: number;
  allZero: boolean;
  /** The resolved Q-family options. */
  options: ResolvedQOptions;
  fk: FloatKind;
}

function prepare(p: GmmQfParams, meta: GmmQfExportMeta, options: GmmQfExportOptions): Prepared {
  if (typeof options !== 'object' || options === null) {
    throw new ValueError(`exportGmmQf: options must be { prune?, precision?, sampling?, epsilon? }, got ${describeValue(options)}.`);
  }
  if (options.prune !== undefined && typeof options.prune !== 'boolean') {
    throw new ValueError(`exportGmmQf: options.prune = ${describeValue(options.prune)} must be true or false (default true).`);
  }
  const o = resolveQOptions(options, 'exportGmmQf', ['prune']);
  const fk = floatKind(o.precision);
  const v = validate(p, meta, fk);
  if (options.prune === false)
    return { ...v, exported: p, exportedFactorsT: v.factorsT, kTrained: p.K, pruned: 0, allZero: false, options: o, fk };
  const { params, kept, pruned, allZero } = pruneComponents(p);
  const DD = p.D * p.D;
  const ft = new Float64Array(kept.length * DD);
  kept.forEach((k, i) => ft.set(v.factorsT.subarray(k * DD, (k + 1) * DD), i * DD));
  return { ...v, exported: params, exportedFactorsT: ft, kTrained: p.K, pruned, allZero, options: o, fk };
}

function metadataOf(p: GmmQfParams, meta: GmmQfExportMeta, prep: Prepared): GmmrlMetadataV1 {
  const { D, A } = p;
  const K = prep.exported.K;
  let sparsity: SparsitySpec | undefined;
  if (meta.sparsity !== undefined) {
    const threshold = meta.sparsity.threshold ?? NONZERO_THRESHOLD;
    sparsity = {
      factors: meta.sparsity.factors,
      rho: meta.sparsity.rho,
      nonzero_fraction: nonzeroFraction(p.weights, threshold),
      threshold,
      components_trained: prep.kTrained,
      components_pruned: prep.pruned,
    };
  }
  const sampling = qSamplingSpec(prep.options, Boolean(p.actionGrid));
  // key order = the order of GmmrlMetadataV1's fields (optional ones only when present)
  return metadataEnvelope(P, meta, {
    action_space: actionSpaceSpec(A, p.actionGrid, prep.fk),
    components: K,
    ...precisionField(prep.options.precision),
    ...(sampling !== undefined ? { sampling } : {}),
    ...(prep.features !== 'identity' ? { features: { kind: prep.features, size: D, formula: FEATURE_FORMULAS[prep.features] } } : {}),
    normalization: normalizationSpec(
      p.obsOffset,
      p.obsScale,
      prep.fk,
      prep.features === 'identity' ? NORMALIZATION_FORMULA : FEATURE_NORMALIZATION_FORMULA,
    ),
    parameter_count: meta.parameterCount ?? prep.kTrained * (A + D + (D * (D + 1)) / 2),
    ...(sparsity !== undefined ? { sparsity } : {}),
    inputs: qInputSpecs(prep.obsSize, prep.options),
    outputs: qOutputSpecs(A, p.actionGrid, prep.fk.dtype, sampling !== undefined),
  });
}

/**
 * The gmmrl metadata (schema 1) `exportGmmQf(p, meta, options)` writes for these parameters
 * (`components` is the exported K, after pruning).
 */
export function gmmQfMetadata(p: GmmQfParams, meta: GmmQfExportMeta, options: GmmQfExportOptions = {}): GmmrlMetadataV1 {
  return metadataOf(p, meta, prepare(p, meta, options));
}

/**
 * Appends the feature map's nodes (features.ts documents the op sequence) and returns the name of
 * the features [N, D]; identity returns `obs` itself. (The two boolean masks get no value_info;
 * shape inference types them.)
 *
 * Float64: ONNX Runtime has no float64 Atan kernel (cpu or wasm), so the float64 graph computes the
 * angle in two steps. θ₀ = atan2 as above with Atan evaluated in float32 (Cast ratio → float,
 * Atan, Cast → double; |θ₀ − θ| ≲ 1e-7), then one Newton-like correction with the float64 Sin/Cos
 * kernels: θ = θ₀ + (y cos θ₀ − x sin θ₀) / (x cos θ₀ + y sin θ₀) = θ₀ + tan(θ − θ₀) for (x, y) =
 * r (cos θ, sin θ), which leaves |θ − θ_exact| ≤ |δ|³/3 + O(2⁻⁵³) with |δ| ≲ 1e-7, i.e. float64
 * accuracy (nodes gmmqf/features/atan_cast_float|atan|atan_cast_double, then refine/…:
 * cos, sin, mul_y_cos, mul_x_sin, sub, mul_x_cos, mul_y_sin, add, div, add_step).
 */
function addFeatureNodes(g: GraphBuilder, obs: string, kind: FeatureKind, fk: FloatKind): string {
  if (kind === 'identity') return obs;
  const F = fk.F;
  const piF = fk.precision === 'float32' ? PI_F32 : Math.PI;
  const idxCos = g.initializerInt64('gmmqf/features/const/cos_columns', [2], [0, 2]);
  const idxSin = g.initializerInt64('gmmqf/features/const/sin_columns', [2], [1, 3]);
  const idxVel = g.initializerInt64('gmmqf/features/const/velocity_columns', [2], [4, 5]);
  const pi = g.initializerFloat('gmmqf/features/const/pi', F, [], [piF], `${fk.precision}(pi)`);
  const minusPi = g.initializerFloat('gmmqf/features/const/minus_pi', F, [], [-piF], `-${fk.precision}(pi)`);
  const zero = g.initializerFloat('gmmqf/features/const/zero', F, [], [0]);
  const gather = (name: string, idx: string, out: string): string => {
    const o = g.node({
      name: `gmmqf/features/${name}`,
      opType: 'Gather',
      inputs: [obs, idx],
      outputs: [out],
      attributes: { axis: { kind: 'int', value: 1 } },
    });
    g.valueInfo(o, F, ['N', 2]);
    return o;
  };
  const cos = gather('gather_cos', idxCos, 'gmmqf/features/cos');
  const sin = gather('gather_sin', idxSin, 'gmmqf/features/sin');
  const vel = gather('gather_velocity', idxVel, 'gmmqf/features/velocity');
  const ratio = g.node({
    name: 'gmmqf/features/div',
    opType: 'Div',
    inputs: [sin, cos],
    outputs: ['gmmqf/features/ratio'],
    doc: 'sin / cos',
  });
  g.valueInfo(ratio, F, ['N', 2]);
  let base: string;
  if (fk.precision === 'float32') {
    base = g.node({ name: 'gmmqf/features/atan', opType: 'Atan', inputs: [ratio], outputs: ['gmmqf/features/atan_ratio'] });
  } else {
    const r32 = g.node({
      name: 'gmmqf/features/atan_cast_float',
      opType: 'Cast',
      inputs: [ratio],
      outputs: ['gmmqf/features/ratio_float'],
      attributes: { to: { kind: 'int', value: ElemType.FLOAT } },
    });
    g.valueInfo(r32, ElemType.FLOAT, ['N', 2]);
    const a32 = g.node({
      name: 'gmmqf/features/atan',
      opType: 'Atan',
      inputs: [r32],
      outputs: ['gmmqf/features/atan_ratio_float'],
      doc: 'float32 Atan (no float64 kernel in ONNX Runtime); refined below',
    });
    g.valueInfo(a32, ElemType.FLOAT, ['N', 2]);
    base = g.node({
      name: 'gmmqf/features/atan_cast_double',
      opType: 'Cast',
      inputs: [a32],
      outputs: ['gmmqf/features/atan_ratio'],
      attributes: { to: { kind: 'int', value: ElemType.DOUBLE } },
    });
  }
  g.valueInfo(base, F, ['N', 2]);
  const ypos = g.node({
    name: 'gmmqf/features/sin_nonnegative',
    opType: 'GreaterOrEqual',
    inputs: [sin, zero],
    outputs: ['gmmqf/features/sin_ge_0'],
  });
  const branch = g.node({
    name: 'gmmqf/features/where_sign',
    opType: 'Where',
    inputs: [ypos, pi, minusPi],
    outputs: ['gmmqf/features/branch'],
    doc: 'sin >= 0 ? pi : -pi',
  });
  g.valueInfo(branch, F, ['N', 2]);
  const xneg = g.node({ name: 'gmmqf/features/cos_negative', opType: 'Less', inputs: [cos, zero], outputs: ['gmmqf/features/cos_lt_0'] });
  const corr = g.node({
    name: 'gmmqf/features/where_branch',
    opType: 'Where',
    inputs: [xneg, branch, zero],
    outputs: ['gmmqf/features/correction'],
    doc: 'cos < 0 ? branch : 0',
  });
  g.valueInfo(corr, F, ['N', 2]);
  let theta = g.node({
    name: 'gmmqf/features/add',
    opType: 'Add',
    inputs: [base, corr],
    outputs: ['gmmqf/features/angles'],
    doc: 'atan2(sin, cos)',
  });
  g.valueInfo(theta, F, ['N', 2]);
  if (fk.precision === 'float64') {
    const n = (name: string, opType: string, inputs: string[], doc?: string): string => {
      const o = g.node({ name: `gmmqf/features/refine/${name}`, opType, inputs, outputs: [`gmmqf/features/refine/${name}_out`], doc });
      g.valueInfo(o, F, ['N', 2]);
      return o;
    };
    const c = n('cos', 'Cos', [theta]);
    const sn = n('sin', 'Sin', [theta]);
    const num = n(
      'sub',
      'Sub',
      [n('mul_y_cos', 'Mul', [sin, c]), n('mul_x_sin', 'Mul', [cos, sn])],
      'y cos(t0) - x sin(t0) = r sin(theta - t0)',
    );
    const den = n(
      'add',
      'Add',
      [n('mul_x_cos', 'Mul', [cos, c]), n('mul_y_sin', 'Mul', [sin, sn])],
      'x cos(t0) + y sin(t0) = r cos(theta - t0)',
    );
    const step = n('div', 'Div', [num, den], 'tan(theta - t0)');
    theta = g.node({
      name: 'gmmqf/features/refine/add_step',
      opType: 'Add',
      inputs: [theta, step],
      outputs: ['gmmqf/features/angles_refined'],
      doc: 'theta = t0 + tan(theta - t0)',
    });
    g.valueInfo(theta, F, ['N', 2]);
  }
  const phi = g.node({
    name: 'gmmqf/features/concat',
    opType: 'Concat',
    inputs: [theta, vel],
    outputs: ['gmmqf/features/phi'],
    attributes: { axis: { kind: 'int', value: 1 } },
    doc: FEATURE_FORMULAS[kind],
  });
  g.valueInfo(phi, F, ['N', 4]);
  return phi;
}

/**
 * Exports a GMM Q-function as an ONNX model (bytes of a ModelProto, IR 8, opset 17) with gmmrl
 * metadata (schema 1). Components whose weight row is exactly zero are left out unless
 * `options.prune` is false. Throws ValueError / ShapeError / SpdError / UnknownNameError on invalid
 * input, naming the field.
 */
export function exportGmmQf(params: GmmQfParams, meta: GmmQfExportMeta, options: GmmQfExportOptions = {}): Uint8Array {
  const prep = prepare(params, meta, options);
  const props = metadataToProps(metadataOf(params, meta, prep));
  const p = prep.exported;
  const { K, D, A } = p;
  const obsSize = prep.obsSize;
  const grid = params.actionGrid;
  const featureText = prep.features === 'identity' ? '' : `, features ${prep.features} (${obsSize} observation entries -> ${D} features)`;
  const pruneText =
    prep.pruned === 0
      ? ''
      : prep.allZero
        ? ` Every weight row of the ${prep.kTrained} trained components is zero: component 0 is kept alone so the graph is not empty, and q is identically 0.`
        : ` ${prep.pruned} of ${prep.kTrained} trained components had all-zero weight rows and were pruned (the same function).`;

  const { fk, options: o } = prep;
  const F = fk.F;
  const { g, obs } = beginGraph(
    P,
    `GMM Q-function, K=${K} components, D=${D} features, A=${A} actions${featureText}. ` +
      'q[n,a] = sum_k weights[k,a] * exp(-0.5 * ||W_k (z_n - means[k])||^2), z = (phi(obs) - offset) / scale; ' +
      (grid ? 'action_index = argmax_a q (first on ties), action = grid[action_index].' : 'action = argmax_a q (first on ties).') +
      (o.sampling === 'none' ? '' : ` action_sampled: epsilon-greedy with epsilon = ${o.epsilon} (noise ${o.sampling}).`) +
      ` Precision ${o.precision}.` +
      pruneText,
    fk,
    obsSize,
    o.sampling === 'inputs' ? { u: Q_NOISE_U_DOC } : undefined,
  );

  const phi = addFeatureNodes(g, obs, prep.features, fk);
  const offset = g.initializerFloat('gmmqf/obs_offset', F, [D], p.obsOffset, 'Feature offset (normalization).');
  const scale = g.initializerFloat('gmmqf/obs_scale', F, [D], p.obsScale, 'Feature scale (normalization), > 0.');
  const means = g.initializerFloat(
    'gmmqf/means',
    F,
    [K, 1, D],
    p.means,
    'Component means m_k, normalized coordinates, [K, 1, D] (broadcast over the batch).',
  );
  const factors = g.initializerFloat(
    'gmmqf/precision_factors_t',
    F,
    [K, D, D],
    prep.exportedFactorsT,
    `Transposed precision factors W_k^T with W_k = L_k^-1, C_k = L_k L_k^T (computed in float64${fk.precision === 'float32' ? ', rounded once' : ''}).`,
  );
  const weights = g.initializerFloat('gmmqf/weights', F, [K, A], p.weights, 'Per-action weights xi[k, a].');
  const axes0 = g.initializerInt64('gmmqf/const/axes_0', [1], [0]);
  const axes2 = g.initializerInt64('gmmqf/const/axes_2', [1], [2]);
  const minusHalf = g.initializerFloat('gmmqf/const/minus_half', F, [], [-0.5]);

  // 1. normalization
  const z = addNormalizeNodes({ g, fk, prefix: P }, phi, offset, scale, D, 'z = (phi(obs) - offset) / scale');
  // 2. broadcast against the components (component-major: [K, N, D])
  const zu = g.node({ name: 'gmmqf/kernel/unsqueeze_z', opType: 'Unsqueeze', inputs: [z, axes0], outputs: ['gmmqf/kernel/z_unsqueezed'] });
  g.valueInfo(zu, F, [1, 'N', D]);
  // 3. centre on each mean before the quadratic form
  const diff = g.node({
    name: 'gmmqf/kernel/sub_means',
    opType: 'Sub',
    inputs: [zu, means],
    outputs: ['gmmqf/kernel/diff'],
    doc: 'diff[k,n] = z_n - m_k (numerically centred before the quadratic form)',
  });
  g.valueInfo(diff, F, [K, 'N', D]);
  // 4. whitening: K GEMMs [N, D] x [D, D]; row vectors d W_k^T = (W_k d)^T
  const y = g.node({
    name: 'gmmqf/kernel/whiten',
    opType: 'MatMul',
    inputs: [diff, factors],
    outputs: ['gmmqf/kernel/whitened'],
    doc: 'y[k,n] = (W_k diff[k,n])^T',
  });
  g.valueInfo(y, F, [K, 'N', D]);
  // 5. squared norm
  const ySq = g.node({ name: 'gmmqf/kernel/square', opType: 'Mul', inputs: [y, y], outputs: ['gmmqf/kernel/whitened_sq'] });
  g.valueInfo(ySq, F, [K, 'N', D]);
  const quad = g.node({
    name: 'gmmqf/kernel/reduce_sum',
    opType: 'ReduceSum',
    inputs: [ySq, axes2],
    outputs: ['gmmqf/kernel/quad'],
    attributes: { keepdims: { kind: 'int', value: 0 } },
    doc: 'quad[k,n] = (z_n - m_k)^T C_k^-1 (z_n - m_k)',
  });
  g.valueInfo(quad, F, [K, 'N']);
  // 6. kernel activations
  const halfQuad = g.node({
    name: 'gmmqf/kernel/scale',
    opType: 'Mul',
    inputs: [quad, minusHalf],
    outputs: ['gmmqf/kernel/neg_half_quad'],
  });
  g.valueInfo(halfQuad, F, [K, 'N']);
  const act = g.node({ name: 'gmmqf/kernel/exp', opType: 'Exp', inputs: [halfQuad], outputs: ['gmmqf/kernel/activations'] });
  g.valueInfo(act, F, [K, 'N']);
  // 7. Q values
  g.output(GMMQF_OUTPUT_Q, F, ['N', A], 'Q values, one row of A per observation.');
  g.node({
    name: 'gmmqf/q/gemm',
    opType: 'Gemm',
    inputs: [act, weights],
    outputs: [GMMQF_OUTPUT_Q],
    attributes: { transA: { kind: 'int', value: 1 } },
    doc: 'q = g^T · weights',
  });
  // 8. greedy action (and its grid value)
  addGreedyActionHead(g, P, A, grid, F);
  // 9. epsilon-greedy action_sampled (+ its grid value)
  addSamplingHead(g, P, A, grid, fk, o);

  const T = fk.dtype;
  const outputsText =
    (grid
      ? `outputs "q" [N, ${A}] ${T}, "action" [N, ${grid.shape.join(', ')}] ${T} (the grid value) and "action_index" [N] int64`
      : `outputs "q" [N, ${A}] ${T} and "action" [N] int64`) +
    (o.sampling === 'none'
      ? ''
      : `, and the epsilon-greedy "action_sampled"${grid ? ' + "action_sampled_index"' : ''} (epsilon ${o.epsilon}${o.sampling === 'in-graph' ? ', noise drawn in the graph: not reproducible across runtimes' : ''})`);
  return finishModel(
    g,
    meta.docString ??
      `gmmrl GMM Q-function policy for ${meta.envId} (K=${K}, D=${D}, A=${A}${featureText}). Input "obs" [N, ${obsSize}] ${T} (raw observations; ` +
        `${prep.features === 'identity' ? '' : 'the feature map and '}normalization ${prep.features === 'identity' ? 'is' : 'are'} inside the graph)` +
        `${o.sampling === 'inputs' ? ` and "noise_u" [N] ${T} (uniform [0, 1))` : ''}; ${outputsText}. ` +
        `See the gmmrl.metadata property (schema ${METADATA_SCHEMA_VERSION}).${pruneText}`,
    props,
  );
}
