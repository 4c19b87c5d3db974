/**
 * The gmmrl ONNX metadata contract, schema version 1: defined once, here. The exporter writes it
 * (through `metadataToProps`) and the runtime reads it (through `metadataFromProps`), so the two
 * cannot drift apart. It is also documented for users without the SDK in runtime/README.md.
 *
 * Three ONNX `metadata_props` entries:
 *   gmmrl.schema_version = "1"
 *   gmmrl.family         = "gmmqf"
 *   gmmrl.metadata       = JSON text of `GmmrlMetadataV1` (below)
 *
 * JSON has no NaN or ±Infinity: non-finite numbers are written as `null`. In `observation_space.low`
 * a null means −∞ and in `observation_space.high` it means +∞ (the parsed object has −Infinity /
 * Infinity again). Inside `training` (free-form, passed through from the trainer) a null may have
 * been any non-finite number. NaN is never valid in low/high, normalization or shapes.
 *
 * The per-family rules (ids, kinds, inputs and outputs, sampling kind, optional fields) are in
 * contract/families.ts, re-exported here.
 *
 * Platform-free; imports only contract/errors and contract/families.
 */
import { ModelFormatError, ValueError, describeValue } from './errors.js';
import { FAMILY_CONTRACTS, MODEL_FAMILIES, checkFamilyContract, familiesWithField, type ModelFamily } from './families.js';

export const METADATA_SCHEMA_VERSION = 1 as const;
export const METADATA_KEY_SCHEMA_VERSION = 'gmmrl.schema_version';
export const METADATA_KEY_FAMILY = 'gmmrl.family';
export const METADATA_KEY_JSON = 'gmmrl.metadata';

export {
  ACTOR_FAMILIES,
  FAMILY,
  IO,
  MODEL_FAMILIES,
  Q_FAMILIES,
  isActorFamily,
  type FamilyContract,
  type FamilyKind,
  type ModelFamily,
} from './families.js';

/** The normalization formula string written by the exporter (informative). */
export const NORMALIZATION_FORMULA = 'z = (obs - offset) / scale, inside the graph';

/** Tensor element types a metadata entry may declare (ONNX TensorProto.DataType names, numpy style). */
export const TENSOR_DTYPES = ['float32', 'float64', 'int32', 'int64', 'uint8', 'int8', 'bool'] as const;
export type TensorDtype = (typeof TENSOR_DTYPES)[number];

/** ONNX TensorProto.DataType code of each TensorDtype. */
export const TENSOR_DTYPE_CODES: Readonly<Record<TensorDtype, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
};

/** A dimension: a fixed size, or a symbolic name (e.g. "N", the batch size). */
export type DimSpec = number | string;

/** A graph input or output as declared in the metadata. */
export interface TensorSpec {
  name: string;
  dtype: TensorDtype;
  shape: DimSpec[];
}

export interface ObservationSpaceSpec {
  /** Observation shape; the graph input is the flattened observation, length prod(shape). */
  shape: number[];
  /** Lower bounds, length prod(shape); −Infinity where unbounded (null in the JSON). */
  low: number[];
  /** Upper bounds, length prod(shape); +Infinity where unbounded (null in the JSON). */
  high: number[];
}

export interface DiscreteActionSpaceSpec {
  kind: 'discrete';
  /** Number of actions; actions are 0 … n−1. */
  n: number;
}

/**
 * A continuous (Box) action space discretized into a documented grid of n action vectors. The
 * Q-function ranks the n grid points; the graph's `action` output is the chosen grid value (float32,
 * [N, ...shape]) and `action_index` its index (int64, [N]).
 */
export interface GridActionSpaceSpec {
  kind: 'grid';
  /** Number of grid points (the Q-function's actions). */
  n: number;
  /** Shape of one environment action (e.g. [1]). */
  shape: number[];
  /** The grid: n rows of prod(shape) float32 values, each within [low, high]. */
  values: number[][];
  /** The environment's action bounds, prod(shape) each. */
  low: number[];
  high: number[];
}

/**
 * A continuous (Box) action space acted on directly (the actor families). One action is a vector
 * of n = prod(shape) entries; shape is one-dimensional ([n]).
 */
export interface BoxActionSpaceSpec {
  kind: 'box';
  /** Entries per action (= prod(shape)). */
  n: number;
  shape: number[];
  /** Finite bounds, n each, low < high. The graph maps the policy's (−1, 1) onto them. */
  low: number[];
  high: number[];
}

export type ActionSpaceSpec = DiscreteActionSpaceSpec | GridActionSpaceSpec | BoxActionSpaceSpec;

/** Compute precision of a graph: every floating-point input, output and constant has this dtype. */
export const PRECISIONS = ['float32', 'float64'] as const;
export type Precision = (typeof PRECISIONS)[number];

/**
 * How `action_sampled` is computed. With noise "inputs" it is a deterministic function of the
 * observation and the noise inputs (the runtime feeds them from a seeded generator, per row: u, then
 * the A normals of noise_eps); with noise "in-graph" the graph draws them itself
 * (RandomUniformLike / RandomNormalLike): not reproducible across runtimes, builds or runs.
 *
 * kind "epsilon-greedy" (gmmqf, dqn): input noise_u [N] uniform on [0, 1):
 *   index = u < ε ? min(floor(u / ε · A), A − 1) : argmax_a q   (a uniformly random action with prob. ε)
 * kind "mixture" (mixture-actor): noise_u [N] uniform on [0, 1), noise_eps [N, A] standard normal:
 *   k = the first component with u < w_0 + … + w_k (K − 1 if none); x = means[k] + exp(log_std[k]) · ε;
 *   action = low + (tanh(x) + 1) · (high − low) / 2
 * kind "gamid" (gamid-actor): noise_u [N], noise_eps [N, A]:
 *   i = u < ε ? min(floor(u / ε · C), C − 1) : argmax_i q_i;  a = clip(μ_i + σ · ε, −1, 1);
 *   action = low + (a + 1) · (high − low) / 2
 */
export interface SamplingSpec {
  kind: 'epsilon-greedy' | 'mixture' | 'gamid';
  noise: 'inputs' | 'in-graph';
  /** epsilon-greedy, gamid: probability of a uniformly random action / component, in [0, 1]. */
  epsilon?: number;
  /** gamid: standard deviation σ of the Gaussian exploration noise on the policy scale (−1, 1). */
  exploration_std?: number;
  /** The formula above in words (informative). */
  formula: string;
}

export const SAMPLING_KINDS = ['epsilon-greedy', 'mixture', 'gamid'] as const;

/**
 * A fixed feature map applied inside the graph before normalization (normalization is then over the
 * features). 'identity' is the default when `features` is absent.
 * 'acrobot-angles': [cos θ1, sin θ1, cos θ2, sin θ2, dθ1, dθ2] → [θ1, θ2, dθ1, dθ2] with
 * θ = atan2(sin, cos) (Gymnasium Acrobot-v1's internal 4-dimensional angle state).
 */
export interface FeatureMapSpec {
  kind: 'identity' | 'acrobot-angles';
  /** Number of features the map produces (the size of normalization.offset/scale). */
  size: number;
  formula: string;
}

export const FEATURE_MAP_KINDS = ['identity', 'acrobot-angles'] as const;

/** Sparsity of a (sparse) GMM-QF as exported; informative. */
export interface SparsitySpec {
  /** Hadamard factors J (1 = dense weights). */
  factors: number;
  /** l2 regularization ρ on the factors. */
  rho: number;
  /** Fraction of weights ξ[k, a] that are nonzero (|ξ| > threshold·max|ξ|) in the trained model. */
  nonzero_fraction: number;
  /** Relative threshold used for nonzero_fraction. */
  threshold: number;
  /** Components in the trained model, and how many were pruned at export (all-zero weight rows). */
  components_trained: number;
  components_pruned: number;
}

export interface NormalizationSpec {
  /** Exactly the float32 values stored in the graph, one per observation entry. */
  offset: number[];
  /** Exactly the float32 values stored in the graph, all > 0. */
  scale: number[];
  formula: string;
}

/** gmmrl.metadata, schema version 1. Unknown extra fields are ignored by readers (additive evolution). */
export interface GmmrlMetadataV1 {
  schema_version: 1;
  family: ModelFamily;
  producer: string;
  producer_version: string;
  env_id: string;
  observation_space: ObservationSpaceSpec;
  action_space: ActionSpaceSpec;
  /**
   * Number of components: Gaussians K (gmmqf), mixture components K (mixture-actor), actor
   * networks C (gamid-actor); absent for dqn.
   */
  components?: number;
  /** Compute precision of the graph (absent = float32). float64 graphs run on cpu/wasm only. */
  precision?: Precision;
  /** Sampling semantics of `action_sampled` (required for actors; absent = a greedy-only Q model). */
  sampling?: SamplingSpec;
  /** Feature map inside the graph before normalization (absent = identity). */
  features?: FeatureMapSpec;
  /** Normalization of the features (of the observation when there is no feature map). */
  normalization: NormalizationSpec;
  /** Number of trainable parameters of the model as trained (informative). */
  parameter_count?: number;
  /** Family gmmqf: sparsity record (informative). */
  sparsity?: SparsitySpec;
  /**
   * dqn, actors: the MLP's layer sizes [D_in, hidden…, out] and hidden activation (informative);
   * gamid-actor also the critic's (critic_layers [D + A, hidden…, 1]).
   */
  network?: { layers: number[]; activation: string; critic_layers?: number[] };
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** SHA-256 (lower-case hex) of the checkpoint the model was exported from. */
  source_checkpoint_sha256?: string;
  /** Free-form training provenance (algorithm, steps, seed, backend, …). */
  training?: Record<string, unknown>;
  /**
   * The file's integrity digest (MODEL_SHA256_FIELD below): SHA-256, lower-case hex, of the whole
   * file with these 64 digits read as ASCII '0'. Written last by the exporter; checked at load.
   */
  model_sha256?: string;
}

export type GmmrlMetadata = GmmrlMetadataV1;

/**
 * The integrity digest of an exported file, `model_sha256`: SHA-256 of every byte of the file —
 * header, graph (nodes and initializers), every metadata_props entry — with the 64 hex digits of
 * the digest itself read as 64 ASCII '0' (MODEL_SHA256_PLACEHOLDER). The exporter writes the file
 * with the placeholder, hashes it and writes the digest over the placeholder (same length, so no
 * protobuf length changes). It is the last field of the gmmrl.metadata JSON: the text ends with
 * `"model_sha256":"<64 hex>"}` (MODEL_SHA256_SUFFIX), so a reader finds those bytes without parsing
 * the JSON and checks the digest before trusting anything in it. Covering the metadata too is what
 * this canonical form buys: a digest kept inside the data it covers needs a fixed spot to blank out.
 */
export const MODEL_SHA256_FIELD = 'model_sha256';

/** What the digest's 64 digits are read as while hashing (and what the exporter writes first). */
export const MODEL_SHA256_PLACEHOLDER = '0'.repeat(64);

/** How gmmrl.metadata ends when it carries the digest: its last field, in this exact spelling. */
export const MODEL_SHA256_PREFIX = `"${MODEL_SHA256_FIELD}":"`;

/** The graph input/output names of the Q-function families (gmmqf, dqn). */
export const GMMQF_INPUT = 'obs';
export const GMMQF_OUTPUT_Q = 'q';
export const GMMQF_OUTPUT_ACTION = 'action';
/** Grid action spaces only: the grid index of `action`. */
export const GMMQF_OUTPUT_ACTION_INDEX = 'action_index';

/** The dtype of every floating-point tensor of the model. */
export function precisionOf(meta: Pick<GmmrlMetadataV1, 'precision'>): Precision {
  return meta.precision ?? 'float32';
}

/** True when `action_sampled` exists and its noise comes through the inputs noise_u (and noise_eps). */
export function samplesFromInputs(meta: Pick<GmmrlMetadataV1, 'sampling'>): boolean {
  return meta.sampling?.noise === 'inputs';
}

/** Size of the model's input to normalization: the feature map's size, or the observation size. */
export function featureSize(meta: Pick<GmmrlMetadataV1, 'observation_space' | 'features'>): number {
  return meta.features?.size ?? observationSize(meta);
}

/** Number of entries of one environment action: 1 for discrete (an index), prod(shape) for a grid or box. */
export function actionSize(meta: Pick<GmmrlMetadataV1, 'action_space'>): number {
  const as = meta.action_space;
  return as.kind === 'discrete' ? 1 : as.shape.reduce((a, b) => a * b, 1);
}

/** Observation size D = prod(observation_space.shape). */
export function observationSize(meta: Pick<GmmrlMetadataV1, 'observation_space'>): number {
  return meta.observation_space.shape.reduce((a, b) => a * b, 1);
}

// ----------------------------------------------------------------------------------------------
// Validation (throws `ErrorClass` with the path of the offending field)
// ----------------------------------------------------------------------------------------------

type ErrCtor = new (message: string) => Error;

class V {
  constructor(
    readonly Err: ErrCtor,
    readonly where: string,
  ) {}

  fail(path: string, problem: string): never {
    throw new this.Err(`${this.where}: ${path} ${problem}`);
  }

  object(v: unknown, path: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, `must be an object, got ${describeValue(v)}`);
    return v as Record<string, unknown>;
  }

  string(v: unknown, path: string, nonEmpty = true): string {
    if (typeof v !== 'string') this.fail(path, `must be a string, got ${describeValue(v)}`);
    if (nonEmpty && v.length === 0) this.fail(path, 'must be a non-empty string');
    return v;
  }

  posInt(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) this.fail(path, `must be a positive integer, got ${describeValue(v)}`);
    return v;
  }

  array(v: unknown, path: string, length?: number): unknown[] {
    if (!Array.isArray(v)) this.fail(path, `must be an array, got ${describeValue(v)}`);
    if (length !== undefined && v.length !== length) this.fail(path, `must have length ${length}, got length ${v.length}`);
    return v;
  }

  finite(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, `must be a finite number, got ${describeValue(v)}`);
    return v;
  }

  /** A bound: finite number, ±Infinity of the right sign, or null (= the infinity `nullMeans`). */
  bound(v: unknown, path: string, nullMeans: number): number {
    if (v === null) return nullMeans;
    if (typeof v !== 'number' || Number.isNaN(v)) this.fail(path, `must be a number or null (unbounded), got ${describeValue(v)}`);
    if (!Number.isFinite(v) && v !== nullMeans) this.fail(path, `is ${describeValue(v)}, which is not a valid bound on this side`);
    return v;
  }

  tensorSpec(v: unknown, path: string): TensorSpec {
    const o = this.object(v, path);
    const name = this.string(o['name'], `${path}.name`);
    const dtype = o['dtype'];
    if (typeof dtype !== 'string' || !(TENSOR_DTYPES as readonly string[]).includes(dtype)) {
      this.fail(`${path}.dtype`, `must be one of ${TENSOR_DTYPES.join(', ')}; got ${describeValue(dtype)}`);
    }
    const shape = this.array(o['shape'], `${path}.shape`).map((d, i): DimSpec => {
      if (typeof d === 'string' && d.length > 0) return d;
      if (typeof d === 'number' && Number.isSafeInteger(d) && d >= 0) return d;
      return this.fail(`${path}.shape[${i}]`, `must be a non-negative integer or a symbolic name, got ${describeValue(d)}`);
    });
    return { name, dtype: dtype as TensorDtype, shape };
  }
}

/**
 * Validates a parsed gmmrl.metadata object and returns it typed, with null bounds turned into
 * ±Infinity. Throws `ErrorClass` (ModelFormatError by default) naming the offending field.
 */
export function validateMetadata(value: unknown, where = 'gmmrl.metadata', ErrorClass: ErrCtor = ModelFormatError): GmmrlMetadataV1 {
  const v: V = new V(ErrorClass, where);
  const o = v.object(value, '(root)');

  const sv = o['schema_version'];
  if (sv !== METADATA_SCHEMA_VERSION) {
    v.fail(
      'schema_version',
      `is ${describeValue(sv)}; this version of gmmrl reads schema_version ${METADATA_SCHEMA_VERSION} only. ` +
        (typeof sv === 'number' && sv > METADATA_SCHEMA_VERSION ? 'Upgrade gmmrl to run this model.' : ''),
    );
  }
  const family = o['family'];
  if (typeof family !== 'string' || !(MODEL_FAMILIES as readonly string[]).includes(family)) {
    v.fail('family', `is ${describeValue(family)}: unknown model family (known: ${MODEL_FAMILIES.join(', ')}).`);
  }
  const producer = v.string(o['producer'], 'producer');
  const producerVersion = v.string(o['producer_version'], 'producer_version');
  const envId = v.string(o['env_id'], 'env_id');

  const os = v.object(o['observation_space'], 'observation_space');
  const shape = v.array(os['shape'], 'observation_space.shape').map((d, i) => v.posInt(d, `observation_space.shape[${i}]`));
  if (shape.length === 0) v.fail('observation_space.shape', 'must not be empty');
  const D = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(D)) v.fail('observation_space.shape', 'has too many elements');
  const low = v.array(os['low'], 'observation_space.low', D).map((x, i) => v.bound(x, `observation_space.low[${i}]`, -Infinity));
  const high = v.array(os['high'], 'observation_space.high', D).map((x, i) => v.bound(x, `observation_space.high[${i}]`, Infinity));
  for (let i = 0; i < D; i++) {
    if (!(low[i]! <= high[i]!)) v.fail(`observation_space.low[${i}]`, `= ${low[i]} exceeds high[${i}] = ${high[i]}`);
  }

  const action_space = validateActionSpace(v, o['action_space']);

  const contract = FAMILY_CONTRACTS[family as ModelFamily];
  let components: number | undefined;
  if (contract.components !== undefined) components = v.posInt(o['components'], 'components');
  else if (o['components'] !== undefined)
    v.fail('components', `is not defined for family ${family}, got ${describeValue(o['components'])}`);

  let precision: Precision | undefined;
  if (o['precision'] !== undefined) {
    const pr = o['precision'];
    if (typeof pr !== 'string' || !(PRECISIONS as readonly string[]).includes(pr))
      v.fail('precision', `must be one of ${PRECISIONS.join(', ')}; got ${describeValue(pr)}`);
    precision = pr as Precision;
  }
  let sampling: SamplingSpec | undefined;
  if (o['sampling'] !== undefined) {
    const so = v.object(o['sampling'], 'sampling');
    const kind = so['kind'];
    if (typeof kind !== 'string' || !(SAMPLING_KINDS as readonly string[]).includes(kind))
      v.fail('sampling.kind', `must be one of ${SAMPLING_KINDS.join(', ')}; got ${describeValue(kind)}`);
    const noise = so['noise'];
    if (noise !== 'inputs' && noise !== 'in-graph') v.fail('sampling.noise', `must be "inputs" or "in-graph"; got ${describeValue(noise)}`);
    sampling = { kind: kind as SamplingSpec['kind'], noise, formula: v.string(so['formula'], 'sampling.formula', false) };
    if (so['epsilon'] !== undefined) {
      const e = v.finite(so['epsilon'], 'sampling.epsilon');
      if (!(e >= 0 && e <= 1)) v.fail('sampling.epsilon', `must lie in [0, 1], got ${e}`);
      sampling.epsilon = e;
    }
    if (so['exploration_std'] !== undefined) {
      const e = v.finite(so['exploration_std'], 'sampling.exploration_std');
      if (!(e >= 0)) v.fail('sampling.exploration_std', `must be ≥ 0, got ${e}`);
      sampling.exploration_std = e;
    }
  }

  let features: FeatureMapSpec | undefined;
  if (o['features'] !== undefined) {
    const fo = v.object(o['features'], 'features');
    const kind = fo['kind'];
    if (typeof kind !== 'string' || !(FEATURE_MAP_KINDS as readonly string[]).includes(kind)) {
      v.fail('features.kind', `must be one of ${FEATURE_MAP_KINDS.join(', ')}; got ${describeValue(kind)}`);
    }
    const size = v.posInt(fo['size'], 'features.size');
    if (kind === 'identity' && size !== D)
      v.fail('features.size', `must equal the observation size ${D} for the identity map, got ${size}`);
    if (kind === 'acrobot-angles') {
      if (D !== 6) v.fail('features.kind', `"acrobot-angles" needs a 6-entry observation, the observation has ${D}`);
      if (size !== 4) v.fail('features.size', `must be 4 for "acrobot-angles", got ${size}`);
    }
    features = { kind: kind as FeatureMapSpec['kind'], size, formula: v.string(fo['formula'], 'features.formula', false) };
  }
  const F = features?.size ?? D;

  const no = v.object(o['normalization'], 'normalization');
  const offset = v.array(no['offset'], 'normalization.offset', F).map((x, i) => v.finite(x, `normalization.offset[${i}]`));
  const scale = v.array(no['scale'], 'normalization.scale', F).map((x, i) => {
    const s = v.finite(x, `normalization.scale[${i}]`);
    if (!(s > 0)) v.fail(`normalization.scale[${i}]`, `must be > 0, got ${s}`);
    return s;
  });
  const formula = v.string(no['formula'], 'normalization.formula', false);

  const inputs = v.array(o['inputs'], 'inputs').map((t, i) => v.tensorSpec(t, `inputs[${i}]`));
  const outputs = v.array(o['outputs'], 'outputs').map((t, i) => v.tensorSpec(t, `outputs[${i}]`));
  const seen = new Set<string>();
  for (const [i, t] of [...inputs.map((t, i) => [`inputs[${i}]`, t] as const), ...outputs.map((t, i) => [`outputs[${i}]`, t] as const)]) {
    if (seen.has(t.name)) v.fail(`${i}.name`, `${JSON.stringify(t.name)} is declared twice`);
    seen.add(t.name);
  }

  const out: GmmrlMetadataV1 = {
    schema_version: METADATA_SCHEMA_VERSION,
    family: family as ModelFamily,
    producer,
    producer_version: producerVersion,
    env_id: envId,
    observation_space: { shape, low, high },
    action_space,
    normalization: { offset, scale, formula },
    inputs,
    outputs,
  };
  if (components !== undefined) out.components = components;
  if (precision !== undefined) out.precision = precision;
  if (sampling !== undefined) out.sampling = sampling;
  if (features !== undefined) out.features = features;
  if (o['parameter_count'] !== undefined) out.parameter_count = v.posInt(o['parameter_count'], 'parameter_count');
  if (o['sparsity'] !== undefined) {
    if (!contract.fields.includes('sparsity')) v.fail('sparsity', `is only defined for family ${familiesWithField('sparsity').join(', ')}`);
    const so = v.object(o['sparsity'], 'sparsity');
    out.sparsity = {
      factors: v.posInt(so['factors'], 'sparsity.factors'),
      rho: v.finite(so['rho'], 'sparsity.rho'),
      nonzero_fraction: v.finite(so['nonzero_fraction'], 'sparsity.nonzero_fraction'),
      threshold: v.finite(so['threshold'], 'sparsity.threshold'),
      components_trained: v.posInt(so['components_trained'], 'sparsity.components_trained'),
      components_pruned: v.finite(so['components_pruned'], 'sparsity.components_pruned'),
    };
  }
  if (o['network'] !== undefined) {
    const no2 = v.object(o['network'], 'network');
    out.network = {
      layers: v.array(no2['layers'], 'network.layers').map((x, i) => v.posInt(x, `network.layers[${i}]`)),
      activation: v.string(no2['activation'], 'network.activation'),
    };
    if (no2['critic_layers'] !== undefined) {
      out.network.critic_layers = v
        .array(no2['critic_layers'], 'network.critic_layers')
        .map((x, i) => v.posInt(x, `network.critic_layers[${i}]`));
    }
  }
  const sha = o['source_checkpoint_sha256'];
  if (sha !== undefined) {
    if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)) {
      v.fail('source_checkpoint_sha256', `must be 64 lower-case hex digits, got ${describeValue(sha)}`);
    }
    out.source_checkpoint_sha256 = sha;
  }
  const training = o['training'];
  if (training !== undefined) out.training = v.object(training, 'training');
  const digest = o[MODEL_SHA256_FIELD];
  if (digest !== undefined) {
    if (typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest)) {
      v.fail(MODEL_SHA256_FIELD, `must be 64 lower-case hex digits, got ${describeValue(digest)}`);
    }
    out.model_sha256 = digest;
  }

  checkFamilyContract(out, (path, problem) => v.fail(path, problem));
  return out;
}

function validateActionSpace(v: V, value: unknown): ActionSpaceSpec {
  const as = v.object(value, 'action_space');
  const kind = as['kind'];
  if (kind === 'discrete') return { kind: 'discrete', n: v.posInt(as['n'], 'action_space.n') };
  if (kind === 'box') {
    const n = v.posInt(as['n'], 'action_space.n');
    const shape = v.array(as['shape'], 'action_space.shape', 1).map((d, i) => v.posInt(d, `action_space.shape[${i}]`));
    if (shape[0] !== n) v.fail('action_space.shape', `must be [n] = [${n}] for a box, got ${JSON.stringify(shape)}`);
    const low = v.array(as['low'], 'action_space.low', n).map((x, i) => v.finite(x, `action_space.low[${i}]`));
    const high = v.array(as['high'], 'action_space.high', n).map((x, i) => v.finite(x, `action_space.high[${i}]`));
    for (let i = 0; i < n; i++)
      if (!(low[i]! < high[i]!)) v.fail(`action_space.low[${i}]`, `= ${low[i]} must be below high[${i}] = ${high[i]}`);
    return { kind: 'box', n, shape, low, high };
  }
  if (kind !== 'grid') v.fail('action_space.kind', `must be "discrete", "grid" or "box", got ${describeValue(kind)}`);
  const n = v.posInt(as['n'], 'action_space.n');
  const shape = v.array(as['shape'], 'action_space.shape').map((d, i) => v.posInt(d, `action_space.shape[${i}]`));
  if (shape.length === 0) v.fail('action_space.shape', 'must not be empty');
  const size = shape.reduce((a, b) => a * b, 1);
  const low = v.array(as['low'], 'action_space.low', size).map((x, i) => v.finite(x, `action_space.low[${i}]`));
  const high = v.array(as['high'], 'action_space.high', size).map((x, i) => v.finite(x, `action_space.high[${i}]`));
  const values = v.array(as['values'], 'action_space.values', n).map((row, r) =>
    v.array(row, `action_space.values[${r}]`, size).map((x, j) => {
      const y = v.finite(x, `action_space.values[${r}][${j}]`);
      if (!(y >= low[j]! && y <= high[j]!))
        v.fail(`action_space.values[${r}][${j}]`, `= ${y} lies outside the action bounds [${low[j]}, ${high[j]}]`);
      return y;
    }),
  );
  return { kind: 'grid', n, shape, values, low, high };
}

// ----------------------------------------------------------------------------------------------
// Serialisation
// ----------------------------------------------------------------------------------------------

/**
 * The three metadata_props entries for `meta`. Validates first (throwing ValueError: a writer bug or
 * bad exporter input, not a bad file) so nothing is written that the runtime would reject.
 * Non-finite numbers become null (JSON.stringify), bigint values are rejected.
 */
export function metadataToProps(meta: GmmrlMetadataV1): { key: string; value: string }[] {
  validateMetadata(JSON.parse(stringifyMetadata(meta)), 'gmmrl metadata to export', ValueError);
  return [
    { key: METADATA_KEY_SCHEMA_VERSION, value: String(meta.schema_version) },
    { key: METADATA_KEY_FAMILY, value: meta.family },
    { key: METADATA_KEY_JSON, value: stringifyMetadata(meta) },
  ];
}

function stringifyMetadata(meta: GmmrlMetadataV1): string {
  try {
    return JSON.stringify(meta);
  } catch (err) {
    throw new ValueError(
      `gmmrl metadata cannot be written as JSON: ${(err as Error).message}. ` +
        `The training record must hold plain JSON values (convert bigint to number or string).`,
    );
  }
}

/**
 * Reads and validates the gmmrl metadata from an ONNX file's metadata_props.
 * Throws ModelFormatError when a key is missing, the two header keys disagree with the JSON, the
 * schema version or family is unknown, or any field is malformed.
 */
export function metadataFromProps(props: ReadonlyMap<string, string> | Readonly<Record<string, string>>): GmmrlMetadataV1 {
  const get = (k: string): string | undefined =>
    props instanceof Map ? props.get(k) : Object.prototype.hasOwnProperty.call(props, k) ? (props as Record<string, string>)[k] : undefined;
  const keys = props instanceof Map ? [...props.keys()] : Object.keys(props);
  const missing = [METADATA_KEY_SCHEMA_VERSION, METADATA_KEY_FAMILY, METADATA_KEY_JSON].filter((k) => get(k) === undefined);
  if (missing.length > 0) {
    throw new ModelFormatError(
      `This ONNX file has no gmmrl metadata: metadata_props lacks ${missing.map((k) => JSON.stringify(k)).join(', ')} ` +
        `(keys present: ${keys.length ? keys.map((k) => JSON.stringify(k)).join(', ') : 'none'}). ` +
        `Only models exported by gmmrl (exportGmmQf / \`gmmrl export\`) can be loaded; a truncated file can also cause this.`,
    );
  }
  const sv = get(METADATA_KEY_SCHEMA_VERSION)!;
  if (sv !== String(METADATA_SCHEMA_VERSION)) {
    throw new ModelFormatError(
      `${METADATA_KEY_SCHEMA_VERSION} is ${JSON.stringify(sv)}; this version of gmmrl reads schema version ` +
        `${METADATA_SCHEMA_VERSION} only.${/^\d+$/.test(sv) && Number(sv) > METADATA_SCHEMA_VERSION ? ' Upgrade gmmrl to run this model.' : ''}`,
    );
  }
  const fam = get(METADATA_KEY_FAMILY)!;
  if (!(MODEL_FAMILIES as readonly string[]).includes(fam)) {
    throw new ModelFormatError(
      `${METADATA_KEY_FAMILY} is ${JSON.stringify(fam)}: unknown model family (this version of gmmrl runs: ${MODEL_FAMILIES.join(', ')}).`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(get(METADATA_KEY_JSON)!);
  } catch (err) {
    throw new ModelFormatError(`${METADATA_KEY_JSON} is not valid JSON: ${(err as Error).message}. The file is corrupt.`);
  }
  const meta = validateMetadata(parsed);
  if (meta.family !== fam) {
    throw new ModelFormatError(
      `${METADATA_KEY_FAMILY} = ${JSON.stringify(fam)} disagrees with ${METADATA_KEY_JSON}.family = ${JSON.stringify(meta.family)}.`,
    );
  }
  return meta;
}
