/**
 * GMM-QF checkpoints: a directory with
 *   config.json          model family, K, A, D, kernel, feature map, normalization, spaces, env id,
 *                        action grid (shape, bounds), sparsity (J, ρ), training settings, backend,
 *                        library version, and the SHA-256 of the weights file
 *   weights.safetensors  means [K,D], covariances [K,D,D], weights [K,A], obs_offset [D],
 *                        obs_scale [D] (float64); with an action grid also action_grid [A, size];
 *                        with Hadamard factors also weight_factors [J, K, A] (weights = their
 *                        elementwise product)
 *
 * D is the feature size: the observation size for the identity map (the default; checkpoints
 * without a `features` field are identity), 4 for 'acrobot-angles' (6-entry observations).
 *
 * Writes are atomic per file (temp + fsync + rename); the weights are written first and the config,
 * which carries the weights' hash, last, so a crash between the two is detected at load time.
 * Loading validates everything (shapes, finiteness, SPD covariances, positive scales, hash) and
 * throws ModelFormatError / SpdError naming the file, the field and the value.
 */
import { SpdError, ValueError, describeValue } from '../../contract/errors.js';
import { FAMILY } from '../../contract/families.js';
import { choleskyOrNull, asymmetry, SYM_TOL } from '../linalg/cholesky.js';
import { observationSizeOf } from './reference.js';
import type { NamedTensor } from '../safetensors.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CONFIG_FILE,
  WEIGHTS_FILE,
  checkActionBox,
  checkNormalization,
  checkObservationSize,
  need,
  openCheckpoint,
  positiveInt,
  qInputFields,
  tensorReader,
  writeCheckpointFiles,
  type CheckpointEnvelope,
  type CheckpointFiles,
} from '../checkpoint-files.js';
import { FEATURE_KINDS, type FeatureKind } from './features.js';
import type { ActionGrid, GmmQfParams } from './params.js';
import { productOfFactors } from './hadamard.js';

export { CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, CONFIG_FILE, WEIGHTS_FILE };

export interface SpaceJson {
  kind: 'box' | 'discrete';
  n?: number;
  shape?: number[];
  low?: (number | null)[];
  high?: (number | null)[];
}

export interface GmmQfConfig {
  format: typeof CHECKPOINT_FORMAT;
  format_version: number;
  model_family: typeof FAMILY.gmmqf;
  K: number;
  A: number;
  D: number;
  kernel: { type: 'gaussian'; formula: string; parameters: string };
  /** Feature map before the normalization (absent in older checkpoints = 'identity'). */
  features?: FeatureKind;
  /** Normalization of the features, D entries each. */
  obs_normalization: { offset: number[]; scale: number[] };
  /** Present when the A actions are points of a grid over a continuous action space (tensor action_grid [A, size]). */
  action_grid?: { shape: number[]; low: number[]; high: number[] };
  /** Present when the weights are a Hadamard product of J factors (tensor weight_factors [J, K, A]). */
  sparsity?: { factors: number; rho: number };
  observation_space: SpaceJson;
  action_space: SpaceJson;
  env_id: string;
  training: Record<string, unknown>;
  backend: string;
  library_version: string;
  weights_file: string;
  weights_sha256: string;
}

/** Hadamard factors of the weights: ξ = Υ_0 ⊙ … ⊙ Υ_{J−1} (S-GMM-QF, [S-GMM-QF]). */
export interface WeightFactors {
  /** Number of factors J ≥ 1. */
  J: number;
  /** The l2 weight ρ of the factors' regularizer (informative), finite, ≥ 0. */
  rho: number;
  /** The factors, [J, K, A] row-major, float64. */
  values: Float64Array;
}

export interface GmmQfCheckpoint {
  params: GmmQfParams;
  config: GmmQfConfig;
  /** SHA-256 of weights.safetensors (hex): the checkpoint's identity in exported metadata. */
  sha256: string;
  /** Present when the checkpoint stores Hadamard factors of the weights. */
  factors?: WeightFactors;
}

const KERNEL_FORMULA =
  'Q(s,a) = sum_k weights[k,a] * exp(-0.5 * (z - means[k])^T inv(covariances[k]) (z - means[k])), z = (phi(s) - offset) / scale, phi = the feature map (features)';

/** Relative tolerance (of max|ξ|) within which the factors' product must reproduce the weights. */
const FACTOR_PRODUCT_RTOL = 1e-12;

/** Extra tensors a checkpoint may carry. */
export interface GmmQfCheckpointExtras {
  /** Hadamard factors whose elementwise product equals params.weights (within 1e-12 of max|ξ|). */
  factors?: WeightFactors;
}

/**
 * Index and value of the first entry where Π_j factors[j] differs from `weights` by more than
 * FACTOR_PRODUCT_RTOL · max|ξ|, or null when they agree.
 */
function factorProductMismatch(
  factors: WeightFactors,
  weights: ArrayLike<number>,
): { index: number; product: number; weight: number; tol: number } | null {
  const prod = productOfFactors(factors.values, factors.J, weights.length);
  let max = 0;
  for (let i = 0; i < weights.length; i++) max = Math.max(max, Math.abs(weights[i]!));
  const tol = FACTOR_PRODUCT_RTOL * max;
  for (let i = 0; i < weights.length; i++) {
    if (!(Math.abs(prod[i]! - weights[i]!) <= tol)) return { index: i, product: prod[i]!, weight: weights[i]!, tol };
  }
  return null;
}

function checkGridForSave(grid: ActionGrid, A: number): number {
  const fail = (msg: string): never => {
    throw new ValueError(`saveGmmQfCheckpoint: params.actionGrid ${msg}`);
  };
  if (!Array.isArray(grid.shape) || grid.shape.length === 0 || !grid.shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    fail(`.shape = ${describeValue(grid.shape)} must be a non-empty array of positive integers.`);
  }
  const size = grid.shape.reduce((a, b) => a * b, 1);
  if (!grid.values || grid.values.length !== A * size)
    fail(`.values has ${grid.values?.length} numbers; expected A × size = ${A} × ${size}.`);
  if (!Array.isArray(grid.low) || !Array.isArray(grid.high) || grid.low.length !== size || grid.high.length !== size) {
    fail(`.low/.high must be arrays of ${size} numbers each.`);
  }
  return size;
}

/** A checkpoint as data: what writeCheckpointFiles(dir, family, tensors, fields) writes (a training snapshot's `latest` / `best`). */
export interface GmmQfCheckpointPayload {
  family: typeof FAMILY.gmmqf;
  tensors: Record<string, NamedTensor>;
  fields: Record<string, unknown>;
}

/**
 * Writes a checkpoint directory (created if needed). Returns the weights' SHA-256. With
 * `extras.factors` the Hadamard factors are stored too (tensor weight_factors [J, K, A], config
 * sparsity {factors: J, rho}); their product must equal params.weights (ValueError otherwise).
 */
export function saveGmmQfCheckpoint(
  dir: string,
  params: GmmQfParams,
  info: Pick<GmmQfConfig, 'observation_space' | 'action_space' | 'env_id' | 'training' | 'backend'>,
  extras: GmmQfCheckpointExtras = {},
): string {
  const p = gmmQfCheckpointPayload(params, info, extras);
  return writeCheckpointFiles(dir, p.family, p.tensors, p.fields);
}

/** The tensors (copies of the parameters) and config fields `saveGmmQfCheckpoint` writes; the same checks. */
export function gmmQfCheckpointPayload(
  params: GmmQfParams,
  info: Pick<GmmQfConfig, 'observation_space' | 'action_space' | 'env_id' | 'training' | 'backend'>,
  extras: GmmQfCheckpointExtras = {},
): GmmQfCheckpointPayload {
  const { K, D, A } = params;
  const features = params.features ?? 'identity';
  if (!(FEATURE_KINDS as readonly string[]).includes(features)) {
    throw new ValueError(
      `saveGmmQfCheckpoint: params.features = ${describeValue(features)} is not a known feature map; use one of ${FEATURE_KINDS.join(', ')}.`,
    );
  }
  const tensors: Record<string, NamedTensor> = {
    means: { dtype: 'F64', shape: [K, D], data: Float64Array.from(params.means) },
    covariances: { dtype: 'F64', shape: [K, D, D], data: Float64Array.from(params.covariances) },
    weights: { dtype: 'F64', shape: [K, A], data: Float64Array.from(params.weights) },
    obs_offset: { dtype: 'F64', shape: [D], data: Float64Array.from(params.obsOffset) },
    obs_scale: { dtype: 'F64', shape: [D], data: Float64Array.from(params.obsScale) },
  };
  const grid = params.actionGrid;
  if (grid) {
    const size = checkGridForSave(grid, A);
    tensors.action_grid = { dtype: 'F64', shape: [A, size], data: Float64Array.from(grid.values) };
  }
  const factors = extras.factors;
  if (factors) {
    if (!Number.isSafeInteger(factors.J) || factors.J < 1) {
      throw new ValueError(
        `saveGmmQfCheckpoint: extras.factors.J = ${describeValue(factors.J)} must be a positive integer (the number of Hadamard factors).`,
      );
    }
    if (typeof factors.rho !== 'number' || !Number.isFinite(factors.rho) || factors.rho < 0) {
      throw new ValueError(`saveGmmQfCheckpoint: extras.factors.rho = ${describeValue(factors.rho)} must be a finite number ≥ 0.`);
    }
    if (!factors.values || factors.values.length !== factors.J * K * A) {
      throw new ValueError(
        `saveGmmQfCheckpoint: extras.factors.values has ${factors.values?.length} numbers; expected J × K × A = ${factors.J} × ${K} × ${A} (shape [J, K, A]).`,
      );
    }
    const bad = factorProductMismatch(factors, params.weights);
    if (bad) {
      throw new ValueError(
        `saveGmmQfCheckpoint: the product of extras.factors differs from params.weights at flat index ${bad.index} ` +
          `(product ${bad.product}, weight ${bad.weight}, tolerance ${bad.tol}). Save weights = the elementwise product of the factors.`,
      );
    }
    tensors.weight_factors = { dtype: 'F64', shape: [factors.J, K, A], data: Float64Array.from(factors.values) };
  }
  const fields: Omit<GmmQfConfig, keyof CheckpointEnvelope> = {
    K,
    A,
    D,
    kernel: {
      type: 'gaussian',
      formula: KERNEL_FORMULA,
      parameters: 'means and covariances are in normalized coordinates z; covariances are full SPD matrices',
    },
    features,
    ...qInputFields(params),
    ...(factors ? { sparsity: { factors: factors.J, rho: factors.rho } } : {}),
    observation_space: info.observation_space,
    action_space: info.action_space,
    env_id: info.env_id,
    training: info.training,
    backend: info.backend,
  };
  return { family: FAMILY.gmmqf, tensors, fields };
}

/**
 * The config object `field` that goes with the tensor `tensor`: both or neither (a ModelFormatError
 * names the one missing), an object shaped `shape`; undefined when neither is there.
 */
function pairedField(files: CheckpointFiles, field: string, tensor: string, shape: string): object | undefined {
  const { cfgPath, wPath, tensors } = files;
  const v = files.config[field];
  need(
    (v === undefined) === (tensors[tensor] === undefined),
    v === undefined
      ? `checkpoint: ${wPath} has a tensor "${tensor}" but ${CONFIG_FILE} has no "${field}" field; restore the matching pair of files.`
      : `checkpoint: ${cfgPath} has ${/^[aeiou]/.test(field) ? 'an' : 'a'} "${field}" field but ${wPath} has no tensor "${tensor}"; restore the matching pair of files.`,
  );
  if (v === undefined) return undefined;
  need(
    typeof v === 'object' && v !== null && !Array.isArray(v),
    `checkpoint: ${cfgPath} field "${field}" must be an object ${shape}, got ${JSON.stringify(v)}.`,
  );
  return v;
}

/**
 * Loads and validates a checkpoint directory: the shared checks of models/checkpoint-files.ts, then
 * every field this family reads — K, A, D, kernel, features, the normalization (config and tensors
 * agree exactly), the covariances (SPD, symmetric within SYM_TOL: the exporter's rule), the action
 * grid and the spaces (observation size and action space agree with D, A and the grid), the
 * Hadamard factors — and no tensor left unread.
 */
export function loadGmmQfCheckpoint(dir: string): GmmQfCheckpoint {
  const files = openCheckpoint(dir, FAMILY.gmmqf);
  const { cfgPath, wPath, tensors, sha256: sha } = files;
  const config = files.config as unknown as GmmQfConfig;
  for (const f of ['K', 'A', 'D'] as const) {
    need(positiveInt(config[f]), `checkpoint: ${cfgPath} field "${f}" is ${describeValue(config[f])}; it must be a positive integer.`);
  }
  const { K, A, D } = config;
  const kernel = config.kernel as unknown;
  need(
    kernel !== null && typeof kernel === 'object' && (kernel as { type?: unknown }).type === 'gaussian',
    `checkpoint: ${cfgPath} field "kernel" is ${describeValue(kernel)}; this gmmrl reads Gaussian kernels only ({"type": "gaussian", …}).`,
  );
  const take = tensorReader(files, `from ${CONFIG_FILE} (K=${K}, D=${D}, A=${A})`, 'retrain (e.g. with a smaller step size)');
  const means = take('means', [K, D]);
  const covariances = take('covariances', [K, D, D]);
  const weights = take('weights', [K, A]);
  // the normalization: tensors obs_offset/obs_scale (both or neither: checkpoints before them keep it in the config only)
  const has = (t: string) => Object.prototype.hasOwnProperty.call(tensors, t);
  need(
    has('obs_offset') === has('obs_scale'),
    `checkpoint: ${wPath} has tensor "${has('obs_offset') ? 'obs_offset' : 'obs_scale'}" but not "${has('obs_offset') ? 'obs_scale' : 'obs_offset'}"; the normalization needs both. Restore the file.`,
  );
  let obsOffset: Float64Array;
  let obsScale: Float64Array;
  if (has('obs_offset')) {
    obsOffset = take('obs_offset', [D]);
    obsScale = take('obs_scale', [D]);
  } else {
    const n = config.obs_normalization as unknown as Record<string, unknown> | undefined;
    const side = (k: 'offset' | 'scale'): Float64Array => {
      const arr = n !== null && typeof n === 'object' ? n[k] : undefined;
      need(
        Array.isArray(arr) && arr.length === D && arr.every((x) => typeof x === 'number' && Number.isFinite(x)),
        `checkpoint: ${cfgPath} field "obs_normalization.${k}" is ${describeValue(arr)}; expected ${D} finite numbers (D = ${D}; ${wPath} has no tensor "obs_${k}").`,
      );
      return Float64Array.from(arr as number[]);
    };
    obsOffset = side('offset');
    obsScale = side('scale');
  }
  checkNormalization(files, obsOffset, obsScale, true);
  validateCovariances(covariances, K, D, wPath);

  // feature map (absent = identity: checkpoints written before feature maps existed)
  let features: FeatureKind | undefined;
  if (config.features !== undefined) {
    need(
      typeof config.features === 'string' && (FEATURE_KINDS as readonly string[]).includes(config.features),
      `checkpoint: ${cfgPath} field "features" is ${JSON.stringify(config.features)}; expected one of ${FEATURE_KINDS.map((k) => JSON.stringify(k)).join(', ')} (or no field for identity).`,
    );
    features = config.features;
    if (features === 'acrobot-angles') {
      need(
        D === 4,
        `checkpoint: ${cfgPath} has features "acrobot-angles", which produces 4 features, but D = ${D}. The config is inconsistent: restore it or retrain.`,
      );
    }
  }
  checkObservationSize(
    cfgPath,
    files.observationSpace,
    observationSizeOf({ D, ...(features ? { features } : {}) }),
    `the model reads ${observationSizeOf({ D, ...(features ? { features } : {}) })} (D = ${D}, features ${features ?? 'identity'})`,
  );

  // action grid: config.action_grid {shape, low, high} and tensor action_grid [A, size], both or neither
  let actionGrid: ActionGrid | undefined;
  const cg = pairedField(files, 'action_grid', 'action_grid', '{shape, low, high}');
  if (cg !== undefined) {
    const g = cg as { shape?: unknown; low?: unknown; high?: unknown };
    need(
      Array.isArray(g.shape) && g.shape.length > 0 && g.shape.every(positiveInt),
      `checkpoint: ${cfgPath} field "action_grid.shape" is ${JSON.stringify(g.shape)}; it must be a non-empty array of positive integers (e.g. [1]).`,
    );
    const shape = g.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const bounds = (side: 'low' | 'high'): number[] => {
      const arr = g[side];
      need(
        Array.isArray(arr) && arr.length === size && arr.every((x) => typeof x === 'number' && Number.isFinite(x)),
        `checkpoint: ${cfgPath} field "action_grid.${side}" is ${JSON.stringify(arr)}; it must be ${size} finite number(s) (the action bounds).`,
      );
      return arr as number[];
    };
    const low = bounds('low');
    const high = bounds('high');
    for (let j = 0; j < size; j++) {
      need(
        low[j]! <= high[j]!,
        `checkpoint: ${cfgPath} field "action_grid.low[${j}]" = ${low[j]} exceeds action_grid.high[${j}] = ${high[j]}.`,
      );
    }
    const values = take('action_grid', [A, size]);
    for (let a = 0; a < A; a++) {
      for (let j = 0; j < size; j++) {
        const v = values[a * size + j]!;
        need(
          v >= low[j]! && v <= high[j]!,
          `checkpoint: ${wPath} tensor "action_grid" row ${a} entry ${j} is ${v}, outside the action bounds [${low[j]}, ${high[j]}] of ${CONFIG_FILE} action_grid. ` +
            'Every grid point must be a valid environment action: restore the file or retrain.',
        );
      }
    }
    actionGrid = { shape: [...shape], values, low: [...low], high: [...high] };
    checkActionBox(cfgPath, files.actionSpace, shape, low, high, `${CONFIG_FILE} field "action_grid"`);
  } else {
    need(
      files.actionSpace.kind === 'discrete' && files.actionSpace.n === A,
      `checkpoint: ${cfgPath} field "action_space" is ${describeValue(config.action_space)} but the model has A = ${A} actions and no action grid; expected {"kind": "discrete", "n": ${A}}.`,
    );
  }

  // Hadamard factors: config.sparsity {factors: J, rho} and tensor weight_factors [J, K, A], both or neither
  let factors: WeightFactors | undefined;
  const cs = pairedField(files, 'sparsity', 'weight_factors', '{factors, rho}');
  if (cs !== undefined) {
    const sp = cs as { factors?: unknown; rho?: unknown };
    need(
      positiveInt(sp.factors),
      `checkpoint: ${cfgPath} field "sparsity.factors" is ${JSON.stringify(sp.factors)}; it must be a positive integer (the number J of Hadamard factors).`,
    );
    need(
      typeof sp.rho === 'number' && Number.isFinite(sp.rho) && sp.rho >= 0,
      `checkpoint: ${cfgPath} field "sparsity.rho" is ${JSON.stringify(sp.rho)}; it must be a finite number ≥ 0.`,
    );
    const J = sp.factors as number;
    const values = take('weight_factors', [J, K, A]);
    factors = { J, rho: sp.rho as number, values };
    const bad = factorProductMismatch(factors, weights);
    need(
      bad === null,
      bad === null
        ? ''
        : `checkpoint: ${wPath} tensor "weight_factors" does not multiply to "weights": at flat index ${bad.index} (component ${Math.floor(bad.index / A)}, ` +
            `action ${bad.index % A}) the product of the ${J} factors is ${bad.product} but the weight is ${bad.weight} ` +
            `(allowed difference ${bad.tol.toExponential(2)} = ${FACTOR_PRODUCT_RTOL} × max|weights|). The file is corrupt or was edited: restore it or retrain.`,
    );
  }

  take.checkAllRead();
  const params: GmmQfParams = {
    K,
    D,
    A,
    means,
    covariances,
    weights,
    obsOffset,
    obsScale,
    ...(features !== undefined ? { features } : {}),
    ...(actionGrid !== undefined ? { actionGrid } : {}),
  };
  return { params, config, sha256: sha, ...(factors !== undefined ? { factors } : {}) };
}

/**
 * Throws SpdError naming the first component whose covariance is not symmetric positive definite:
 * relative asymmetry max|C − Cᵀ|/max|C| above SYM_TOL (models/linalg/cholesky.ts, 1e-10: the one
 * rule, which the exporter's assertSpd applies as well, so a checkpoint that loads also exports and
 * verifies), or Cholesky fails.
 */
export function validateCovariances(covariances: Float64Array, K: number, D: number, where = 'covariances'): void {
  for (let k = 0; k < K; k++) {
    const off = k * D * D;
    const asym = asymmetry(covariances, D, off);
    if (!(asym <= SYM_TOL)) {
      throw new SpdError(
        `${where}: covariances[${k}] is not symmetric (max relative asymmetry ${asym.toExponential(2)} > ${SYM_TOL}, the tolerance the exporter applies too). Covariances must be symmetric positive definite: symmetrize it, (C + Cᵀ)/2, or retrain.`,
      );
    }
    if (!choleskyOrNull(covariances, D, off)) {
      throw new SpdError(
        `${where}: covariances[${k}] is not positive definite (Cholesky failed; diagonal [${Array.from({ length: D }, (_, i) => covariances[off + i * D + i]!.toPrecision(4)).join(', ')}]). Covariances must be SPD: retrain, or regularize the matrix (add eps·I).`,
      );
    }
  }
}
