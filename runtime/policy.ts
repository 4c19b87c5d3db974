/**
 * The platform-free core of the gmmrl runtime: validates an exported ONNX file against its gmmrl
 * metadata, opens an ONNX Runtime session (the ORT module is injected, so the same code runs over
 * onnxruntime-node and onnxruntime-web), and wraps it in a `Policy` that validates every
 * observation, feeds the sampling noise, and checks every output against the metadata contract.
 *
 * Families (contract/metadata.ts, checkFamilyContract): the Q-function families gmmqf and dqn
 * (discrete or grid action space; a greedy `action`, and with a sampling head an ε-greedy
 * `action_sampled`) and the actor families mixture-actor and gamid-actor (box action space; a
 * greedy `action` and a stochastic `action_sampled`). Every floating-point tensor has the model's
 * precision F (float32, or float64: then observations, noise and float outputs are Float64Array).
 *
 * Sampling noise (sampling.noise = "inputs"). In mode 'sample' the runtime feeds
 *   noise_u   [N]     F, uniform on [0, 1)
 *   noise_eps [N, A]  F, standard normal (actors only)
 * drawn per batch row n in this order: u_n = rng.uniform(), then ε_{n,0}, …, ε_{n,A−1} = rng.normal()
 * (rng = the call's `opts.rng`, else the policy's own `Rng(seed)`), or copied from `opts.noise`.
 * For a float32 model each value is rounded to float32, and a u that rounds up to 1 becomes
 * 1 − 2⁻²⁴ (the largest float32 below 1), so u stays in [0, 1). With sampling.noise = "in-graph"
 * the graph draws its own noise (not reproducible; the runtime refuses an rng or noise for it).
 *
 * Greedy calls. ONNX Runtime runs every node of a graph whatever outputs are fetched, so a greedy
 * call on the full graph would pay for the sampling head (≈ 7 µs of a 28 µs GMM-QF call). A model
 * with a sampling head therefore gets a second session over its noise-free part (onnx-prune.ts:
 * the outputs that depend on no noise input and no random op, and the nodes they need), opened on
 * the same provider; greedy act / envAction / q run there with obs as the only feed. outputs() in
 * mode 'greedy' runs the full graph with zero noise (it returns action_sampled too). The two
 * sessions compute the greedy outputs with the same nodes on the same inputs: identical results
 * (spec/runtime/policy.spec.ts). loadPolicy option greedyGraph: false keeps a single session.
 *
 * Imports only runtime/ modules; no Node or browser APIs.
 */
import { BackendError, DisposedError, ModelFormatError, ShapeError, ValueError, describeValue } from '../contract/errors.js';
import {
  IO,
  TENSOR_DTYPE_CODES,
  actionSize,
  featureSize,
  isActorFamily,
  metadataFromProps,
  observationSize,
  precisionOf,
  type ActionSpaceSpec,
  type DimSpec,
  type GmmrlMetadataV1,
  type ModelFamily,
  type Precision,
  type SamplingSpec,
  type TensorDtype,
  type TensorSpec,
} from '../contract/metadata.js';
import { ONNX_ELEM_TYPE_NAMES, metadataMap, readOnnxModel, type OnnxDim, type OnnxModelSummary, type OnnxValueInfo } from './onnx-reader.js';
import { Rng } from '../contract/rng.js';
import { noiseFreeModel } from './onnx-prune.js';

// ----------------------------------------------------------------------------------------------
// The slice of the ONNX Runtime JS API we use (onnxruntime-node and onnxruntime-web both satisfy it)
// ----------------------------------------------------------------------------------------------

export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type: string;
}

export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>, fetches?: readonly string[]): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

export interface OrtModuleLike {
  Tensor: new (type: Precision, data: Float32Array | Float64Array, dims: readonly number[]) => OrtTensorLike;
  InferenceSession: {
    create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSessionLike>;
  };
}

// ----------------------------------------------------------------------------------------------
// Public types
// ----------------------------------------------------------------------------------------------

/** A float vector in the model's precision: Float32Array (float32 models) or Float64Array (float64 models). */
export type FloatArray = Float32Array | Float64Array;

/** 'greedy': the deterministic action; 'sample': the model's stochastic (exploration) action. */
export type ActMode = 'greedy' | 'sample';
export const ACT_MODES: readonly ActMode[] = ['greedy', 'sample'];

/**
 * Where mode 'sample' draws its noise: `uniform()` in [0, 1) and `normal()` standard normal.
 * `Rng` (contract/rng.ts, also exported) is one; any object with these two methods works.
 */
export interface NoiseSource {
  uniform(): number;
  normal(): number;
}

/**
 * Exact noise for mode 'sample' (instead of drawing it): `u` has N entries in [0, 1) (noise_u, one
 * per batch row), `eps` N·A finite numbers (noise_eps row-major [N, A]; actor families only).
 */
export interface PolicyNoise {
  u: ArrayLike<number>;
  eps?: ArrayLike<number>;
}

/** Options of act / actOne / actBatch / envAction / envActionBatch / outputs. */
export interface ActOptions {
  /** Default 'greedy'. */
  mode?: ActMode;
  /** Mode 'sample' only: draw the noise from this source instead of the policy's own Rng(seed). */
  rng?: NoiseSource;
  /** Mode 'sample' only: feed exactly this noise (not with `rng`). */
  noise?: PolicyNoise;
}

/** One output tensor as returned by `Policy.outputs`: int64 outputs become Int32Array. */
export interface OutputTensor {
  readonly dims: number[];
  readonly data: Float32Array | Float64Array | Int32Array;
}

export interface PolicyOutputs {
  /** Number of observations (batch rows). */
  n: number;
  mode: ActMode;
  /** By output name; see `Policy.outputs` for which outputs are present. */
  outputs: Record<string, OutputTensor>;
}

/** What `act` returns: an index (Q families) or an action vector (actors), or a batch of them. */
export type PolicyAction = number | Int32Array | FloatArray | FloatArray[];

/** One execution provider that was tried and failed. */
export interface ProviderFailure {
  provider: string;
  error: string;
}

export interface PolicyInfo {
  /** The validated gmmrl metadata (schema 1); null bounds are ±Infinity here. */
  readonly metadata: Readonly<GmmrlMetadataV1>;
  /** The model family: 'gmmqf' | 'dqn' (Q functions) | 'mixture-actor' | 'gamid-actor' (actors). */
  readonly family: ModelFamily;
  /** True for the actor families (continuous box actions). */
  readonly isActor: boolean;
  /** Float dtype of every floating-point input and output: 'float32' or 'float64'. */
  readonly precision: Precision;
  /** How `action_sampled` is computed (metadata `sampling`), or null: a greedy-only Q model (no mode 'sample'). */
  readonly sampling: Readonly<SamplingSpec> | null;
  /** The execution provider the session runs on ('cpu', 'cuda', 'wasm', 'webgpu'). */
  readonly executionProvider: string;
  /** Providers tried before it, in order, with their errors (empty when the first one worked). */
  readonly providerFailures: readonly ProviderFailure[];
  /** The ONNX Runtime flavour: 'onnxruntime-node' or 'onnxruntime-web'. */
  readonly backend: string;
  readonly irVersion: number;
  /** Version of the default ONNX operator set (domain '' / 'ai.onnx'). */
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  /** Observation size D (entries per observation the model takes: the environment's observation). */
  readonly observationSize: number;
  /** Size of the features the model normalizes (= observationSize without a feature map; 4 for acrobot-angles). */
  readonly featureSize: number;
  /** action_space.n: the actions a Q model ranks (grid points for a grid model), or the entries A of an actor's box action. */
  readonly numActions: number;
  /** Entries of one environment action: 1 (discrete: an index), prod(shape) for a grid or box. */
  readonly actionSize: number;
  /** metadata.components: Gaussians K (gmmqf), mixture components K, actor networks C (gamid-actor); null for dqn. */
  readonly components: number | null;
  /** The metadata action space: discrete { n }, grid { n, shape, values, low, high } or box { n, shape, low, high }. */
  readonly actionSpace: Readonly<ActionSpaceSpec>;
  /** The seed of the policy's own noise generator (loadPolicy option `seed`, default 0). */
  readonly seed: number;
  /** Model size in bytes. */
  readonly byteLength: number;
  /**
   * Greedy calls run on a second session over the noise-free part of the graph (the outputs that
   * depend on no noise input and no random op; runtime/onnx-prune.ts), so they do not pay for the
   * sampling head: ONNX Runtime runs every node of a graph whatever the fetched outputs. `null`
   * when every call runs on the full graph: no sampling head, loadPolicy option greedyGraph false,
   * or the noise-free graph could not be opened (`reason` says which).
   */
  readonly greedyGraph: Readonly<{ nodesKept: number; nodesRemoved: number; outputsRemoved: readonly string[] }> | null;
  /** Why `greedyGraph` is null ('' when it is not). */
  readonly greedyGraphReason: string;
}

/** One observation: D numbers. */
export type Observation = ArrayLike<number>;
/** A batch: an array of rows of D numbers each. */
export type ObservationRows = readonly ArrayLike<number>[];

/**
 * A loaded model. "One observation" is a flat array (or typed array) of D numbers; a batch is an
 * array of rows, or a flat array of N·D numbers. Every method validates the observation first
 * (ShapeError / ValueError) and every output after (ModelFormatError), and accepts `opts`
 * ({ mode: 'greedy' | 'sample', rng?, noise? }, default greedy) where it says so.
 */
export interface Policy {
  readonly info: PolicyInfo;
  /**
   * The action(s). Q families: the action index (for a grid model the grid index, output
   * "action_index"; use `envAction` for the environment action) — a number for one observation, an
   * Int32Array for a batch. Actors: the environment action, a FloatArray of A entries for one
   * observation, an array of them (row views into one buffer) for a batch. Mode 'sample' returns
   * the sampled action ("action_sampled", "action_sampled_index" for a grid).
   * A flat array of length D is one observation; N·D with N > 1 a batch; an array of rows a batch.
   */
  act(obs: ObservationRows, opts?: ActOptions): Promise<Int32Array | FloatArray[]>;
  act(obs: Observation, opts?: ActOptions): Promise<PolicyAction>;
  /** Exactly one observation (length D) → its action: a number (Q families) or a FloatArray (actors). */
  actOne(obs: Observation, opts?: ActOptions): Promise<number | FloatArray>;
  /** A batch (rows, or flat N·D with N ≥ 1) → Int32Array of N indices (Q families) or N FloatArray rows (actors). */
  actBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<Int32Array | FloatArray[]>;
  /**
   * What to pass to `env.step` for exactly one observation: the action index (a number) for a
   * discrete model; a FloatArray of the action's entries for a grid model (the grid value, checked
   * to be the metadata grid row of its index) and for the actors (checked within [low, high]).
   */
  envAction(obs: Observation, opts?: ActOptions): Promise<number | FloatArray>;
  /** A batch → Int32Array of N indices (discrete) or N FloatArray rows (grid, actors; views into one buffer). */
  envActionBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<Int32Array | FloatArray[]>;
  /**
   * Every output the metadata declares, validated, batch-shaped ([n, …] also for one observation):
   * float outputs as FloatArray, integer ones (int64 indices) as Int32Array. In mode 'sample' the
   * sampled outputs (action_sampled, action_sampled_index) are the sample for the fed noise; in mode
   * 'greedy' they are what the graph computes for zero noise (u = 0, ε = 0: not a sample), or a
   * random draw for in-graph noise.
   */
  outputs(obs: Observation | ObservationRows, opts?: ActOptions): Promise<PolicyOutputs>;
  /**
   * Q values: [A] per observation for the Q families, the C component values q_i for gamid-actor.
   * Rows → FloatArray[] (row views into one buffer); flat length D → one FloatArray; flat N·D with
   * N > 1 → FloatArray[]. ValueError for mixture-actor (it has no Q values).
   */
  q(obs: ObservationRows): Promise<FloatArray[]>;
  q(obs: Observation): Promise<FloatArray | FloatArray[]>;
  qOne(obs: Observation): Promise<FloatArray>;
  qBatch(obs: Observation | ObservationRows): Promise<FloatArray[]>;
  /** Releases the ONNX Runtime session. Idempotent; later calls throw DisposedError. */
  dispose(): Promise<void>;
}

/**
 * A Policy of a Q-function family (gmmqf, dqn), typed as such: `act*` return action indices.
 * Get one with `asQPolicy(policy)` (checks the family at run time).
 */
export interface QPolicy extends Policy {
  act(obs: ObservationRows, opts?: ActOptions): Promise<Int32Array>;
  act(obs: Observation, opts?: ActOptions): Promise<number | Int32Array>;
  actOne(obs: Observation, opts?: ActOptions): Promise<number>;
  actBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<Int32Array>;
}

/**
 * A Policy of an actor family (mixture-actor, gamid-actor), typed as such: `act*` and `envAction*`
 * return action vectors. Get one with `asActorPolicy(policy)` (checks the family at run time).
 */
export interface ActorPolicy extends Policy {
  act(obs: ObservationRows, opts?: ActOptions): Promise<FloatArray[]>;
  act(obs: Observation, opts?: ActOptions): Promise<FloatArray | FloatArray[]>;
  actOne(obs: Observation, opts?: ActOptions): Promise<FloatArray>;
  actBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<FloatArray[]>;
  envAction(obs: Observation, opts?: ActOptions): Promise<FloatArray>;
  envActionBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<FloatArray[]>;
}

/** The same policy typed as a QPolicy; ValueError unless its family is gmmqf or dqn. */
export function asQPolicy(policy: Policy): QPolicy {
  if (policy.info.isActor) {
    throw new ValueError(
      `Expected a Q-function model (family gmmqf or dqn), got family ${policy.info.family}: its actions are vectors, not indices. ` +
        `Use asActorPolicy(policy) for it.`,
    );
  }
  return policy as QPolicy;
}

/** The same policy typed as an ActorPolicy; ValueError unless its family is mixture-actor or gamid-actor. */
export function asActorPolicy(policy: Policy): ActorPolicy {
  if (!policy.info.isActor) {
    throw new ValueError(
      `Expected an actor model (family mixture-actor or gamid-actor), got family ${policy.info.family}: its actions are indices. ` +
        `Use asQPolicy(policy) for it.`,
    );
  }
  return policy as ActorPolicy;
}

export interface CreatePolicyOptions {
  /** Providers to try, in priority order (already defaulted by the entry point). */
  executionProviders: readonly string[];
  /** Provider names this entry point knows. Others are recorded as failures ("unknown"). */
  knownProviders: readonly string[];
  /**
   * Providers that need nothing beyond the package itself ('cpu', 'wasm'). When one of these
   * rejects the file, the file (not the machine) is at fault → ModelFormatError.
   */
  baselineProviders: readonly string[];
  /** 'onnxruntime-node' or 'onnxruntime-web', for messages and `info.backend`. */
  backend: string;
  /** Passed through to InferenceSession.create (executionProviders is set by us). */
  sessionOptions?: Record<string, unknown>;
  /** Extra advice appended to a provider's failure (e.g. how to install the CUDA provider). */
  providerHint?: (provider: string) => string | undefined;
  /** Seed of the policy's own noise generator (mode 'sample' without opts.rng); default 0. */
  seed?: number;
  /**
   * Open a second session over the noise-free part of the graph for greedy calls (default true;
   * see PolicyInfo.greedyGraph). false: one session, greedy calls feed zero noise to the full graph.
   */
  greedyGraph?: boolean;
}

// ----------------------------------------------------------------------------------------------
// Loading
// ----------------------------------------------------------------------------------------------

/** Messages by which ONNX Runtime reports a bad model rather than a bad environment. */
const MODEL_ERROR_PATTERN =
  /INVALID_GRAPH|INVALID_PROTOBUF|INVALID_ARGUMENT|NO_MODEL|NOT_IMPLEMENTED|Protobuf parsing failed|invalid model|Load model|ModelProto|Could not find an implementation|is not a registered function\/op|Unrecognized attribute|Type Error|ShapeInferenceError|Node \(/i;

/**
 * Reads and checks the model bytes, opens a session on the first execution provider that works,
 * and returns a Policy. Throws ModelFormatError (bad or inconsistent file), BackendError (no
 * provider could start; every failure listed), ValueError (bad options).
 */
export async function createPolicy(ort: OrtModuleLike, bytes: Uint8Array, options: CreatePolicyOptions): Promise<Policy> {
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new ValueError(`options.seed must be an integer in [0, 4294967295] (the seed of the policy's sampling noise), got ${describeValue(seed)}.`);
  }
  if (options.greedyGraph !== undefined && typeof options.greedyGraph !== 'boolean') {
    throw new ValueError(
      `options.greedyGraph must be true or false (run greedy calls on the noise-free graph; default true), got ${describeValue(options.greedyGraph)}.`,
    );
  }
  const summary = readOnnxModel(bytes);
  if (summary.graph === null) {
    throw new ModelFormatError(`Cannot read ONNX model: it has no graph (ModelProto.graph is missing). The file is truncated or is not an ONNX model.`);
  }
  const metadata = metadataFromProps(metadataMap(summary));
  checkGraphAgainstMetadata(summary, metadata);
  const opsetVersion = defaultOpset(summary);

  const eps = options.executionProviders;
  if (!Array.isArray(eps) || eps.length === 0) {
    throw new ValueError(
      `executionProviders must be a non-empty array of provider names (${options.knownProviders.join(', ')}), got ${describeValue(eps)}.`,
    );
  }
  const failures: ProviderFailure[] = [];
  let session: OrtSessionLike | null = null;
  let used = '';
  let baselineRejected = false;
  for (const ep of eps as unknown[]) {
    if (typeof ep !== 'string' || !options.knownProviders.includes(ep)) {
      failures.push({
        provider: String(ep),
        error: `unknown execution provider ${describeValue(ep)} (${options.backend} supports: ${options.knownProviders.join(', ')})`,
      });
      continue;
    }
    try {
      session = await ort.InferenceSession.create(bytes, { ...options.sessionOptions, executionProviders: [ep] });
      used = ep;
      break;
    } catch (err) {
      const msg = errorMessage(err);
      const hint = options.providerHint?.(ep);
      failures.push({ provider: ep, error: hint ? `${msg} (${hint})` : msg });
      if (options.baselineProviders.includes(ep)) baselineRejected = true;
    }
  }
  if (session === null) {
    const list = failures.map((f) => `  - ${f.provider}: ${f.error}`).join('\n');
    const modelFault = baselineRejected || failures.some((f) => MODEL_ERROR_PATTERN.test(f.error));
    if (modelFault) {
      throw new ModelFormatError(
        `ONNX Runtime (${options.backend}) rejected the model although its gmmrl metadata is intact: the graph is corrupt ` +
          `or uses an operator this ONNX Runtime does not support. Re-export the model. Failures:\n${list}`,
      );
    }
    throw new BackendError(
      `No execution provider could run the model on ${options.backend}; tried ${failures.length} (in order):\n${list}\n` +
        `Pass executionProviders with a provider available here (${options.baselineProviders.join(', ')} always is).`,
    );
  }
  try {
    checkSessionNames(session, metadata);
  } catch (err) {
    await session.release().catch(() => undefined);
    throw err;
  }
  const greedy = await openGreedySession(ort, bytes, metadata, used, options);
  const info: PolicyInfo = deepFreeze({
    metadata,
    family: metadata.family,
    isActor: isActorFamily(metadata.family),
    precision: precisionOf(metadata),
    sampling: metadata.sampling ?? null,
    executionProvider: used,
    providerFailures: failures,
    backend: options.backend,
    irVersion: summary.irVersion,
    opsetVersion,
    producerName: summary.producerName,
    producerVersion: summary.producerVersion,
    observationSize: observationSize(metadata),
    featureSize: featureSize(metadata),
    numActions: metadata.action_space.n,
    actionSize: actionSize(metadata),
    components: metadata.components ?? null,
    actionSpace: metadata.action_space,
    seed,
    byteLength: summary.byteLength,
    greedyGraph: greedy.session === null ? null : greedy.graph,
    greedyGraphReason: greedy.reason,
  });
  return new OrtPolicy(ort, session, greedy.session, info, new Rng(seed));
}

/** The outputs a greedy act / envAction / q call fetches: the ones the noise-free graph must keep. */
function greedyFetchNames(m: GmmrlMetadataV1): string[] {
  const declared = new Set(m.outputs.map((t) => t.name));
  return [IO.action, IO.actionIndex, IO.q].filter((n) => declared.has(n));
}

/**
 * Opens the greedy session (PolicyInfo.greedyGraph) on the provider the full session runs on.
 * Never fails the load: when it cannot be opened the reason is recorded and every call runs on the
 * full graph, which computes the same greedy outputs.
 */
async function openGreedySession(
  ort: OrtModuleLike,
  bytes: Uint8Array,
  m: GmmrlMetadataV1,
  provider: string,
  options: CreatePolicyOptions,
): Promise<{ session: OrtSessionLike | null; graph: NonNullable<PolicyInfo['greedyGraph']>; reason: string }> {
  const none = (reason: string) => ({ session: null, graph: { nodesKept: 0, nodesRemoved: 0, outputsRemoved: [] }, reason });
  if (options.greedyGraph === false) return none('loadPolicy option greedyGraph is false');
  if (m.sampling === undefined) return none('the model has no sampling head (nothing to leave out)');
  const noise = m.inputs.map((t) => t.name).filter((n) => n !== IO.obs);
  let pruned: ReturnType<typeof noiseFreeModel>;
  try {
    pruned = noiseFreeModel(bytes, noise);
  } catch (err) {
    // ONNX Runtime accepted the file; a node list the pruner cannot read is no reason to refuse it
    return none(`the graph's nodes could not be read for pruning: ${errorMessage(err)}`);
  }
  if (pruned === null) return none('the graph has no noise-dependent part that can be left out');
  const need = greedyFetchNames(m);
  const missing = need.filter((n) => !pruned.outputs.includes(n));
  if (missing.length > 0) return none(`the greedy output(s) ${missing.join(', ')} depend on the sampling noise`);
  let session: OrtSessionLike;
  try {
    session = await ort.InferenceSession.create(pruned.bytes, { ...options.sessionOptions, executionProviders: [provider] });
  } catch (err) {
    return none(`ONNX Runtime could not open the noise-free graph: ${errorMessage(err)}`);
  }
  if (session.inputNames.length !== 1 || session.inputNames[0] !== IO.obs || need.some((n) => !session.outputNames.includes(n))) {
    const got = `inputs ${JSON.stringify(session.inputNames)}, outputs ${JSON.stringify(session.outputNames)}`;
    await session.release().catch(() => undefined);
    return none(`the noise-free graph has unexpected ${got}`);
  }
  return { session, graph: { nodesKept: pruned.nodesKept, nodesRemoved: pruned.nodesRemoved, outputsRemoved: pruned.removedOutputs }, reason: '' };
}

/**
 * ValueError unless `options` is undefined or a plain object whose keys are all in `known`
 * (catches typos such as { seeed: 1 } that would otherwise be ignored).
 */
export function checkOptionKeys(options: unknown, known: readonly string[], where: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValueError(`${where}: options must be an object { ${known.join(', ')} }, got ${describeValue(options)}.`);
  }
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new ValueError(`${where}: unknown option ${JSON.stringify(k)}; the options are ${known.join(', ')}.`);
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.trim() || err.name;
  return describeValue(err);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

function defaultOpset(s: OnnxModelSummary): number {
  const imp = s.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!imp) {
    throw new ModelFormatError(
      `The ONNX model imports no default-domain operator set (opset_import has ${JSON.stringify(s.opsetImport)}). The file is corrupt.`,
    );
  }
  return imp.version;
}

function fmtDims(d: readonly (OnnxDim | DimSpec)[] | null): string {
  if (d === null) return '(no shape)';
  return `[${d.map((x) => (x === null ? '?' : typeof x === 'string' ? JSON.stringify(x) : String(x))).join(', ')}]`;
}

function checkValue(kind: 'input' | 'output', spec: TensorSpec, g: OnnxValueInfo | undefined, all: OnnxValueInfo[]): void {
  const field = `gmmrl.metadata ${kind}s`;
  if (!g) {
    throw new ModelFormatError(
      `Metadata and graph disagree: ${field} declares ${JSON.stringify(spec.name)} but the graph's ${kind}s are ` +
        `${JSON.stringify(all.map((v) => v.name))}. The file was edited or corrupted after export.`,
    );
  }
  const code = TENSOR_DTYPE_CODES[spec.dtype];
  if (g.elemType !== code) {
    const got = g.elemType === null ? 'no tensor type' : (ONNX_ELEM_TYPE_NAMES[g.elemType] ?? `elem_type ${g.elemType}`);
    throw new ModelFormatError(
      `Metadata and graph disagree on the dtype of ${kind} ${JSON.stringify(spec.name)}: metadata says ${spec.dtype}, the graph says ${got}.`,
    );
  }
  const shape = g.shape;
  const mismatch = (): never => {
    throw new ModelFormatError(
      `Metadata and graph disagree on the shape of ${kind} ${JSON.stringify(spec.name)}: metadata says ${fmtDims(spec.shape)}, ` +
        `the graph says ${fmtDims(shape)}.`,
    );
  };
  if (shape === null || shape.length !== spec.shape.length) mismatch();
  spec.shape.forEach((d, i) => {
    const gd = shape![i];
    if (typeof d === 'number') {
      if (gd !== d) mismatch();
    } else if (typeof gd === 'number') {
      mismatch(); // symbolic in the metadata (batch) but fixed in the graph
    }
  });
}

/**
 * Declared inputs/outputs exist in the graph with the same dtype and static dims; no undeclared
 * required inputs. The declared lists already satisfy the family contract (validateMetadata: the
 * inputs obs [N, D] and, with noise inputs, noise_u [N] and noise_eps [N, A]; the family's outputs,
 * all floats in the model's precision), so this ties the contract to the graph — e.g. a float64
 * model whose graph takes float32, or metadata declaring an output the graph lacks, is refused.
 */
export function checkGraphAgainstMetadata(s: OnnxModelSummary, m: GmmrlMetadataV1): void {
  const g = s.graph!;
  for (const spec of m.inputs) checkValue('input', spec, g.inputs.find((v) => v.name === spec.name), g.inputs);
  for (const spec of m.outputs) checkValue('output', spec, g.outputs.find((v) => v.name === spec.name), g.outputs);
  const inits = new Set(g.initializerNames);
  for (const v of g.inputs) {
    if (!inits.has(v.name) && !m.inputs.some((t) => t.name === v.name)) {
      throw new ModelFormatError(
        `Metadata and graph disagree: the graph has an input ${JSON.stringify(v.name)} that gmmrl.metadata inputs does not declare.`,
      );
    }
  }
}

function checkSessionNames(session: OrtSessionLike, m: GmmrlMetadataV1): void {
  for (const t of m.inputs) {
    if (!session.inputNames.includes(t.name)) {
      throw new ModelFormatError(
        `ONNX Runtime sees inputs ${JSON.stringify(session.inputNames)} but gmmrl.metadata declares ${JSON.stringify(t.name)}.`,
      );
    }
  }
  for (const t of m.outputs) {
    if (!session.outputNames.includes(t.name)) {
      throw new ModelFormatError(
        `ONNX Runtime sees outputs ${JSON.stringify(session.outputNames)} but gmmrl.metadata declares ${JSON.stringify(t.name)}.`,
      );
    }
  }
}

// ----------------------------------------------------------------------------------------------
// Observation and noise validation
// ----------------------------------------------------------------------------------------------

const FIX = 'Pass numbers: an array or typed array of D values, or an array of such rows (e.g. Float32Array.from(obs, Number)).';

/** The largest float32 below 1 (1 − 2⁻²⁴): where a float32-rounded u of 1 goes. */
const F32_BELOW_ONE = 1 - 2 ** -24;

interface Packed {
  data: FloatArray;
  n: number;
  /** True when the input was one flat observation of length D (and not a forced batch). */
  single: boolean;
}

/** How an observation argument is read: by its form (act, q, outputs), exactly one, or always a batch. */
type Arity = 'auto' | 'one' | 'batch';

/** "a string (\"0.1\")", "an Object", "null", "a Float64Array" … for messages. */
function what(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  const article = (w: string): string => (/^[aeiou]/i.test(w) ? `an ${w}` : `a ${w}`);
  if (typeof x === 'object') {
    if (Array.isArray(x)) return 'an Array';
    return article((x as object).constructor?.name ?? 'Object');
  }
  if (typeof x === 'function') return 'a function';
  return `${article(typeof x)} (${describeValue(x)})`;
}

function isRow(x: unknown): boolean {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

/**
 * ValueError unless `x` is an array or a (non-bigint) typed array; `name` names it, `what` says
 * what it holds (in messages), `fix` what to pass.
 */
function checkContainer(x: unknown, name: string, fix: string, holds = 'observations'): void {
  if (x === null || x === undefined || typeof x !== 'object') {
    const extra = typeof x === 'string' ? ' (parse it first, e.g. obs.split(",").map(Number))' : '';
    throw new ValueError(`${name} is ${what(x)}, not an array of numbers${extra}. ${fix}`);
  }
  if (x instanceof BigInt64Array || x instanceof BigUint64Array) {
    throw new ValueError(`${name} is ${what(x)}; ${holds} must be numbers, not bigint. Convert with Float32Array.from(${name}, Number).`);
  }
  if (x instanceof DataView || x instanceof ArrayBuffer) {
    throw new ValueError(`${name} is ${what(x)}; wrap the bytes in a typed array (e.g. new Float32Array(buffer)). ${fix}`);
  }
  if (!isRow(x) && typeof (x as { length?: unknown }).length !== 'number') {
    throw new ValueError(`${name} is ${what(x)} without a length, not an array of numbers. ${fix}`);
  }
}

/** Validates observations and packs them into the model's float type (Float32Array or Float64Array). */
class ObsPacker {
  constructor(
    readonly D: number,
    readonly shapeText: string,
    readonly f64: boolean,
  ) {}

  alloc(len: number): FloatArray {
    return this.f64 ? new Float64Array(len) : new Float32Array(len);
  }

  lengthError(len: number, arity: Arity): never {
    const D = this.D;
    if (arity === 'one') {
      throw new ShapeError(`obs has length ${len}, expected ${D} (observation_space.shape = ${this.shapeText}) for a single observation.`);
    }
    throw new ShapeError(
      `obs has length ${len}, expected ${D} (observation_space.shape = ${this.shapeText}) or a multiple of ${D} for a batch.`,
    );
  }

  /** Copies `src` (validated: numbers, finite, within float32 for a float32 model) into `dst` at `at`; `label(i)` names entry i. */
  copy(src: ArrayLike<number>, dst: FloatArray, at: number, label: (i: number) => string): void {
    const len = src.length;
    if (src instanceof Float32Array || (this.f64 && src instanceof Float64Array)) {
      for (let i = 0; i < len; i++) {
        const x = src[i]!;
        if (x - x !== 0) this.badNumber(x, label(i)); // NaN or ±Infinity
      }
      dst.set(src, at);
      return;
    }
    const typed = ArrayBuffer.isView(src);
    const f64 = this.f64;
    for (let i = 0; i < len; i++) {
      const x = src[i] as unknown;
      if (!typed && typeof x !== 'number') {
        const hint = typeof x === 'string' ? ` Convert with Number(x) or parseFloat(x) first.` : '';
        throw new ValueError(`${label(i)} is ${what(x)}, not a number.${hint} ${FIX}`);
      }
      const v = x as number;
      if (v - v !== 0) this.badNumber(v, label(i));
      if (f64) {
        dst[at + i] = v;
        continue;
      }
      const f = Math.fround(v);
      if (f - f !== 0) {
        throw new ValueError(`${label(i)} = ${v} is outside the float32 range (|x| ≤ 3.4028235e38) the model computes in.`);
      }
      dst[at + i] = f;
    }
  }

  badNumber(x: number, label: string): never {
    throw new ValueError(
      `${label} is ${describeValue(x)}; observations must be finite numbers. Check the environment or sensor that produced it.`,
    );
  }

  /** Validates and packs `obs`. `scratch` (length D) is used for a single observation when given. */
  pack(obs: unknown, arity: Arity, scratch: FloatArray | null): Packed {
    const D = this.D;
    checkContainer(obs, 'obs', FIX);
    const arr = obs as ArrayLike<unknown>;
    const len = arr.length;
    if (Array.isArray(arr) && len > 0 && isRow(arr[0])) {
      // array of rows
      if (arity === 'one') {
        throw new ShapeError(`obs is an array of ${len} rows; actOne/qOne take a single observation of length ${D} (so does envAction). Use act/actBatch for batches.`);
      }
      const data = this.alloc(len * D);
      for (let r = 0; r < len; r++) {
        const row = arr[r];
        if (!isRow(row)) {
          throw new ValueError(
            `obs[${r}] is ${what(row)} but obs[0] is a row; pass either one flat observation or an array of rows.`,
          );
        }
        checkContainer(row, `obs[${r}]`, FIX);
        const rr = row as ArrayLike<number>;
        if (rr.length !== D) {
          throw new ShapeError(`obs[${r}] has length ${rr.length}, expected ${D} (observation_space.shape = ${this.shapeText}).`);
        }
        this.copy(rr, data, r * D, (i) => `obs[${r}][${i}]`);
      }
      return { data, n: len, single: false };
    }
    if (len === D && arity !== 'batch' && scratch) {
      this.copy(arr as ArrayLike<number>, scratch, 0, (i) => `obs[${i}]`);
      return { data: scratch, n: 1, single: true };
    }
    if (len === 0 || len % D !== 0 || (arity === 'one' && len !== D)) this.lengthError(len, arity);
    const n = len / D;
    const data = this.alloc(len);
    this.copy(arr as ArrayLike<number>, data, 0, n === 1 ? (i) => `obs[${i}]` : (i) => `obs[${i}] (row ${Math.floor(i / D)}, entry ${i % D})`);
    return { data, n, single: n === 1 && arity !== 'batch' };
  }
}

/** The resolved options of one call. */
interface Resolved {
  sample: boolean;
  /** Mode 'sample' with noise inputs: the source to draw from (null when `noise` is given). */
  rng: NoiseSource | null;
  /** Where `rng` came from, for messages. */
  rngName: string;
  noise: PolicyNoise | null;
}

const GREEDY: Resolved = Object.freeze({ sample: false, rng: null, rngName: '', noise: null });
const SAMPLE_IN_GRAPH: Resolved = Object.freeze({ sample: true, rng: null, rngName: '', noise: null });

// ----------------------------------------------------------------------------------------------
// Output contract
// ----------------------------------------------------------------------------------------------

/** What a declared output must look like and which value checks apply to it. */
interface OutSpec {
  name: string;
  dtype: TensorDtype;
  /** Per dimension: a fixed size, -1 = the batch size n, -2 = any size (another symbolic dimension). */
  dims: number[];
  /** Index outputs: values must lie in 0 … indexLimit − 1 (0: not an index output). */
  indexLimit: number;
  /** Box-valued outputs (last dimension = the A action entries): values within [low, high]. */
  box: boolean;
  /** Grid-valued outputs: the index output whose metadata grid row each row must equal. */
  gridIndex: string | null;
}

/** The fetch lists of one kind of call: [greedy, sample]. */
type FetchPair = readonly [readonly string[], readonly string[]];

function outSpecs(m: GmmrlMetadataV1): Map<string, OutSpec> {
  const actor = isActorFamily(m.family);
  const grid = m.action_space.kind === 'grid';
  const A = m.action_space.n;
  const contract = new Set<string>([IO.q, IO.action, IO.actionIndex, IO.actionSampled, IO.actionSampledIndex]);
  if (actor) for (const n of [IO.weights, IO.means, IO.logStd, IO.componentActions]) contract.add(n);
  const batchName = m.inputs.find((t) => t.name === IO.obs)!.shape[0];
  const specs = new Map<string, OutSpec>();
  for (const t of m.outputs) {
    const isContract = contract.has(t.name);
    const dims = t.shape.map((d, i) => (typeof d === 'number' ? d : (isContract && i === 0) || d === batchName ? -1 : -2));
    let indexLimit = 0;
    let box = false;
    let gridIndex: string | null = null;
    if (t.name === IO.actionIndex || t.name === IO.actionSampledIndex) indexLimit = actor ? m.components! : A;
    if (!actor && !grid && (t.name === IO.action || t.name === IO.actionSampled)) indexLimit = A;
    if (actor && (t.name === IO.action || t.name === IO.actionSampled || t.name === IO.componentActions)) box = true;
    if (!actor && grid && t.name === IO.action) gridIndex = IO.actionIndex;
    if (!actor && grid && t.name === IO.actionSampled) gridIndex = IO.actionSampledIndex;
    specs.set(t.name, {
      name: t.name,
      dtype: t.dtype,
      dims,
      indexLimit,
      box,
      gridIndex,
    });
  }
  return specs;
}

function typedName(x: unknown): string {
  return (x as object | null)?.constructor?.name ?? typeof x;
}

// ----------------------------------------------------------------------------------------------
// Policy
// ----------------------------------------------------------------------------------------------

interface Ran {
  outs: Record<string, OrtTensorLike>;
  n: number;
  single: boolean;
  sample: boolean;
}

class OrtPolicy implements Policy {
  readonly info: PolicyInfo;
  private readonly ort: OrtModuleLike;
  private session: OrtSessionLike | null;
  /** The noise-free graph's session (greedy act / envAction / q), or null: the full session serves them. */
  private greedySession: OrtSessionLike | null;
  private readonly rng: Rng;
  private readonly D: number;
  /** action_space.n (actions of a Q model; entries of an actor's action). */
  private readonly A: number;
  private readonly F: Precision;
  private readonly f64: boolean;
  private readonly actor: boolean;
  private readonly packer: ObsPacker;
  /** Noise inputs: none (no sampling head, or in-graph noise), noise_u, or noise_u + noise_eps. */
  private readonly noiseU: boolean;
  private readonly noiseEps: boolean;
  /** Reused input buffers + tensors for single observations (the common, latency-critical case). */
  private readonly single: FloatArray;
  private readonly singleTensor: OrtTensorLike;
  private readonly singleU: FloatArray;
  private readonly singleUTensor: OrtTensorLike | null;
  private readonly singleEps: FloatArray;
  private readonly singleEpsTensor: OrtTensorLike | null;
  /** Feeds of a single greedy call on the full graph: the obs scratch tensor and read-only zero noise. */
  private readonly greedyFeeds1: Record<string, OrtTensorLike>;
  /** Feeds of a single greedy call on the noise-free graph: the obs scratch tensor only. */
  private readonly obsFeeds1: Record<string, OrtTensorLike>;
  private singleBusy = false;
  /** Read-only zero noise tensors for the last greedy batch size (shared by concurrent calls). */
  private zeroBatch: { n: number; u: OrtTensorLike; eps: OrtTensorLike | null } | null = null;
  private readonly specs: Map<string, OutSpec>;
  /** Box outputs: the accepted range of entry d (bounds widened by the rounding slack, see `boxRange`). */
  private readonly boxLo: Float64Array;
  private readonly boxHi: Float64Array;
  /** The action grid ([n, size] in the model's precision) of a grid model, else null. */
  private readonly grid: { size: number; values: FloatArray } | null;
  private readonly fetchAct: FetchPair;
  private readonly fetchEnv: FetchPair;
  private readonly fetchAll: FetchPair;
  /** [q] for the Q families and gamid-actor (both modes), null for mixture-actor. */
  private readonly fetchQ: FetchPair | null;
  /** The outputs act returns in each mode (index outputs for Q families, action vectors for actors). */
  private readonly actOutput: readonly [string, string];

  constructor(ort: OrtModuleLike, session: OrtSessionLike, greedySession: OrtSessionLike | null, info: PolicyInfo, rng: Rng) {
    this.ort = ort;
    this.session = session;
    this.greedySession = greedySession;
    this.info = info;
    this.rng = rng;
    const m = info.metadata;
    this.D = info.observationSize;
    this.A = info.numActions;
    this.F = info.precision;
    this.f64 = this.F === 'float64';
    this.actor = info.isActor;
    this.packer = new ObsPacker(this.D, JSON.stringify(m.observation_space.shape), this.f64);
    this.noiseU = m.inputs.some((t) => t.name === IO.noiseU);
    this.noiseEps = m.inputs.some((t) => t.name === IO.noiseEps);
    this.single = this.packer.alloc(this.D);
    this.singleTensor = new ort.Tensor(this.F, this.single, [1, this.D]);
    this.singleU = this.packer.alloc(1);
    this.singleEps = this.packer.alloc(this.A);
    this.singleUTensor = this.noiseU ? new ort.Tensor(this.F, this.singleU, [1]) : null;
    this.singleEpsTensor = this.noiseEps ? new ort.Tensor(this.F, this.singleEps, [1, this.A]) : null;
    this.greedyFeeds1 = { [IO.obs]: this.singleTensor };
    this.obsFeeds1 = { [IO.obs]: this.singleTensor };
    if (this.noiseU) this.greedyFeeds1[IO.noiseU] = new ort.Tensor(this.F, this.packer.alloc(1), [1]);
    if (this.noiseEps) this.greedyFeeds1[IO.noiseEps] = new ort.Tensor(this.F, this.packer.alloc(this.A), [1, this.A]);

    this.specs = outSpecs(m);
    const as = info.actionSpace;
    this.boxLo = new Float64Array(this.A);
    this.boxHi = new Float64Array(this.A);
    if (as.kind === 'box') {
      // The graph computes low + (t + 1)·(high − low)/2 (t ∈ [−1, 1]) in precision F with unit
      // roundoff u: stored constants, the sum, the product and the final add each err by at most a
      // few u·(|low| + |high|), so a correct graph stays within 16·u·(|low| + |high|) of the box.
      const unit = this.f64 ? 2 ** -53 : 2 ** -24;
      for (let d = 0; d < this.A; d++) {
        const slack = 16 * unit * (Math.abs(as.low[d]!) + Math.abs(as.high[d]!));
        this.boxLo[d] = as.low[d]! - slack;
        this.boxHi[d] = as.high[d]! + slack;
      }
    }
    if (as.kind === 'grid') {
      const size = as.shape.reduce((a, b) => a * b, 1);
      const flat = as.values.flat();
      this.grid = { size, values: this.f64 ? Float64Array.from(flat) : Float32Array.from(flat) };
    } else {
      this.grid = null;
    }

    const has = (name: string): boolean => this.specs.has(name);
    const declared = m.outputs.map((t) => t.name);
    this.fetchAll = [declared, declared];
    if (this.actor) {
      this.actOutput = [IO.action, IO.actionSampled];
      this.fetchAct = [[IO.action], [IO.actionSampled]];
      this.fetchEnv = this.fetchAct;
      this.fetchQ = has(IO.q) ? [[IO.q], [IO.q]] : null;
    } else if (this.grid) {
      this.actOutput = [IO.actionIndex, IO.actionSampledIndex];
      this.fetchAct = [[IO.actionIndex], [IO.actionSampledIndex]];
      this.fetchEnv = [
        [IO.action, IO.actionIndex],
        [IO.actionSampled, IO.actionSampledIndex],
      ];
      this.fetchQ = [[IO.q], [IO.q]];
    } else {
      this.actOutput = [IO.action, IO.actionSampled];
      this.fetchAct = [[IO.action], [IO.actionSampled]];
      this.fetchEnv = this.fetchAct;
      this.fetchQ = [[IO.q], [IO.q]];
    }
  }

  private live(): OrtSessionLike {
    if (this.session === null) {
      throw new DisposedError('This Policy was disposed; load the model again with loadPolicy(...) to keep using it.');
    }
    return this.session;
  }

  // --- options ---------------------------------------------------------------------------------

  private noSamplingHead(method: string): ValueError {
    const outs = this.info.metadata.outputs.map((t) => t.name).join(', ');
    return new ValueError(
      `${method}: mode "sample" needs a sampling head, but this ${this.info.family} model has none: its gmmrl metadata has no ` +
        `"sampling" (it was exported greedy-only; outputs ${outs}). Re-export it with one — \`gmmrl export runs/NAME --out policy.onnx ` +
        `--sampling inputs\`, or the exporter option sampling: 'inputs' — or use mode "greedy" (or draw ε-greedy actions yourself from policy.q(obs)).`,
    );
  }

  /** Validates `opts` (unknown keys, mode, rng / noise and whether this model can use them). */
  private resolve(opts: ActOptions | undefined, method: string): Resolved {
    if (opts === undefined) return GREEDY;
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
      throw new ValueError(`${method}: opts must be an object { mode?, rng?, noise? }, got ${what(opts)}.`);
    }
    for (const k in opts) {
      if (k !== 'mode' && k !== 'rng' && k !== 'noise') {
        throw new ValueError(`${method}: unknown option ${JSON.stringify(k)}; the options are mode ("greedy" | "sample"), rng and noise.`);
      }
    }
    const mode = opts.mode === undefined ? 'greedy' : opts.mode;
    if (mode !== 'greedy' && mode !== 'sample') {
      throw new ValueError(`${method}: opts.mode is ${describeValue(mode)}; expected one of ${ACT_MODES.map((x) => JSON.stringify(x)).join(', ')}.`);
    }
    const { rng, noise } = opts;
    if (mode === 'greedy') {
      if (rng !== undefined || noise !== undefined) {
        const which = rng !== undefined ? 'rng' : 'noise';
        throw new ValueError(
          `${method}: opts.${which} was given with mode "greedy"${opts.mode === undefined ? ' (the default)' : ''}, which uses no noise. ` +
            `Pass mode: "sample" to sample, or leave out ${which}.`,
        );
      }
      return GREEDY;
    }
    const s = this.info.sampling;
    if (s === null) throw this.noSamplingHead(method);
    if (rng !== undefined && noise !== undefined) {
      throw new ValueError(`${method}: pass either opts.rng (draw the noise) or opts.noise (exact noise), not both.`);
    }
    if (s.noise === 'in-graph') {
      if (rng !== undefined || noise !== undefined) {
        throw new ValueError(
          `${method}: opts.${rng !== undefined ? 'rng' : 'noise'} was given, but this model draws its sampling noise inside the graph ` +
            `(sampling.noise = "in-graph"): the runtime cannot feed it, and its sampled actions are not reproducible (they differ between ` +
            `runs, builds and runtimes). Leave it out (mode "sample" still samples), or re-export with \`--sampling inputs\` (exporter ` +
            `option sampling: 'inputs') for seeded, reproducible sampling.`,
        );
      }
      return SAMPLE_IN_GRAPH;
    }
    if (rng !== undefined) {
      const r = rng as unknown as Record<string, unknown> | null;
      if (typeof r !== 'object' || r === null || typeof r['uniform'] !== 'function' || (this.noiseEps && typeof r['normal'] !== 'function')) {
        throw new ValueError(
          `${method}: opts.rng must be a noise source with methods uniform() (in [0, 1))${this.noiseEps ? ' and normal() (standard normal)' : ''}, ` +
            `e.g. new Rng(seed) from gmmrl/runtime; got ${what(rng)}.`,
        );
      }
      return { sample: true, rng, rngName: 'opts.rng', noise: null };
    }
    if (noise !== undefined) {
      if (typeof noise !== 'object' || noise === null || Array.isArray(noise) || ArrayBuffer.isView(noise)) {
        throw new ValueError(`${method}: opts.noise must be an object { u${this.noiseEps ? ', eps' : ''} }, got ${what(noise)}.`);
      }
      for (const k in noise) {
        if (k !== 'u' && k !== 'eps') throw new ValueError(`${method}: unknown field opts.noise.${k}; the fields are u${this.noiseEps ? ' and eps' : ''}.`);
      }
      return { sample: true, rng: null, rngName: '', noise };
    }
    return { sample: true, rng: this.rng, rngName: `the policy's Rng(seed ${this.info.seed})`, noise: null };
  }

  // --- noise -----------------------------------------------------------------------------------

  /** Rounds a u ∈ [0, 1) to the model's precision, keeping it below 1. */
  private roundU(x: number): number {
    if (this.f64) return x;
    const f = Math.fround(x);
    return f < 1 ? f : F32_BELOW_ONE;
  }

  /** Fills u [n] (and eps [n·A]) from `res` (exact noise or a source), validating every value. */
  private fillNoise(res: Resolved, n: number, u: FloatArray, eps: FloatArray | null, method: string): void {
    const A = this.A;
    const noise = res.noise;
    if (noise) {
      const fix = `Pass noise: { u: ${n} numbers in [0, 1)${eps ? `, eps: ${n}·${A} = ${n * A} finite numbers (row-major [N, A])` : ''} }.`;
      checkContainer(noise.u, 'opts.noise.u', fix, 'noise values');
      if (noise.u.length !== n) throw new ShapeError(`${method}: opts.noise.u has length ${noise.u.length}, expected ${n} (one per observation). ${fix}`);
      for (let i = 0; i < n; i++) {
        const x = noise.u[i] as unknown;
        if (typeof x !== 'number' || !(x >= 0 && x < 1)) {
          throw new ValueError(`${method}: opts.noise.u[${i}] is ${typeof x === 'number' ? describeValue(x) : what(x)}; u must be a number in [0, 1). ${fix}`);
        }
        u[i] = this.roundU(x);
      }
      if (!eps) {
        if (noise.eps !== undefined) {
          throw new ValueError(
            `${method}: opts.noise.eps was given, but family ${this.info.family} samples with noise_u only (ε-greedy; it has no noise_eps input). Leave out eps.`,
          );
        }
        return;
      }
      if (noise.eps === undefined) throw new ValueError(`${method}: opts.noise.eps is missing; family ${this.info.family} needs noise_eps. ${fix}`);
      checkContainer(noise.eps, 'opts.noise.eps', fix, 'noise values');
      if (noise.eps.length !== n * A) {
        throw new ShapeError(`${method}: opts.noise.eps has length ${noise.eps.length}, expected N·A = ${n}·${A} = ${n * A}. ${fix}`);
      }
      for (let i = 0; i < n * A; i++) {
        const x = noise.eps[i] as unknown;
        const v = typeof x === 'number' ? (this.f64 ? x : Math.fround(x)) : NaN;
        if (v - v !== 0) {
          throw new ValueError(
            `${method}: opts.noise.eps[${i}] is ${typeof x === 'number' ? describeValue(x) : what(x)}; eps must be finite numbers` +
              `${this.f64 ? '' : ' within the float32 range'}. ${fix}`,
          );
        }
        eps[i] = v;
      }
      return;
    }
    const rng = res.rng!;
    for (let r = 0; r < n; r++) {
      const x = rng.uniform();
      if (typeof x !== 'number' || !(x >= 0 && x < 1)) {
        throw new ValueError(`${method}: ${res.rngName}.uniform() returned ${describeValue(x)} for row ${r}; a noise source's uniform() must return numbers in [0, 1).`);
      }
      u[r] = this.roundU(x);
      if (eps) {
        for (let d = 0; d < A; d++) {
          const e = rng.normal();
          const v = typeof e === 'number' ? (this.f64 ? e : Math.fround(e)) : NaN;
          if (v - v !== 0) {
            throw new ValueError(`${method}: ${res.rngName}.normal() returned ${describeValue(e)} for row ${r}; a noise source's normal() must return finite numbers.`);
          }
          eps[r * A + d] = v;
        }
      }
    }
  }

  private zeroNoise(n: number): { u: OrtTensorLike; eps: OrtTensorLike | null } {
    const z = this.zeroBatch;
    if (z !== null && z.n === n) return z;
    const fresh = {
      n,
      u: new this.ort.Tensor(this.F, this.packer.alloc(n), [n]),
      eps: this.noiseEps ? new this.ort.Tensor(this.F, this.packer.alloc(n * this.A), [n, this.A]) : null,
    };
    this.zeroBatch = fresh;
    return fresh;
  }

  // --- running ---------------------------------------------------------------------------------

  /**
   * Validates the options and the observation, feeds obs (+ noise), runs, checks the outputs in
   * `fetch[mode]` against the contract and returns them.
   */
  private async run(obs: unknown, arity: Arity, opts: ActOptions | undefined, fetch: FetchPair, method: string): Promise<Ran> {
    let session = this.live();
    const res = this.resolve(opts, method);
    const useScratch = !this.singleBusy;
    const packed = this.packer.pack(obs, arity, useScratch ? this.single : null);
    const { data, n } = packed;
    const onScratch = data === this.single;
    // greedy calls except outputs() (which returns action_sampled for zero noise too) take the noise-free graph
    const noiseFree = !res.sample && fetch !== this.fetchAll && this.greedySession !== null;
    let feeds: Record<string, OrtTensorLike>;
    if (noiseFree) {
      session = this.greedySession!;
      feeds = onScratch ? this.obsFeeds1 : { [IO.obs]: new this.ort.Tensor(this.F, data, [n, this.D]) };
    } else if (onScratch && !res.sample) {
      feeds = this.greedyFeeds1;
    } else {
      feeds = { [IO.obs]: onScratch ? this.singleTensor : new this.ort.Tensor(this.F, data, [n, this.D]) };
      if (this.noiseU) {
        if (!res.sample) {
          const z = this.zeroNoise(n);
          feeds[IO.noiseU] = z.u;
          if (z.eps) feeds[IO.noiseEps] = z.eps;
        } else {
          const u = onScratch ? this.singleU : this.packer.alloc(n);
          const eps = this.noiseEps ? (onScratch ? this.singleEps : this.packer.alloc(n * this.A)) : null;
          this.fillNoise(res, n, u, eps, method);
          feeds[IO.noiseU] = onScratch ? this.singleUTensor! : new this.ort.Tensor(this.F, u, [n]);
          if (eps) feeds[IO.noiseEps] = onScratch ? this.singleEpsTensor! : new this.ort.Tensor(this.F, eps, [n, this.A]);
        }
      }
    }
    const fetches = fetch[res.sample ? 1 : 0];
    if (onScratch) this.singleBusy = true;
    let result: Record<string, OrtTensorLike>;
    try {
      result = await session.run(feeds, fetches);
    } catch (err) {
      if (this.session === null) throw new DisposedError('This Policy was disposed while a call was running.');
      throw new BackendError(`ONNX Runtime (${this.info.backend}, ${this.info.executionProvider}) failed to run the model: ${errorMessage(err)}`);
    } finally {
      if (onScratch) this.singleBusy = false;
    }
    this.checkOutputs(result, fetches, n);
    return { outs: result, n, single: packed.single, sample: res.sample };
  }

  private formatError(name: string, detail: string): ModelFormatError {
    return new ModelFormatError(`The model returned ${name} ${detail}; its graph does not compute what its gmmrl metadata declares.`);
  }

  /** dtype and dims of every fetched output; index ranges, box bounds and grid rows. */
  private checkOutputs(result: Record<string, OrtTensorLike>, fetches: readonly string[], n: number): void {
    for (let f = 0; f < fetches.length; f++) {
      const name = fetches[f]!;
      const spec = this.specs.get(name)!;
      const out = result[name];
      const dims = out?.dims;
      let ok = out !== undefined && out.type === spec.dtype && dims!.length === spec.dims.length;
      for (let i = 0; ok && i < spec.dims.length; i++) {
        const want = spec.dims[i]!;
        if (want === -1 ? dims![i] !== n : want >= 0 && dims![i] !== want) ok = false;
      }
      if (!ok) {
        const want = `${spec.dtype} [${spec.dims.map((d) => (d === -1 ? n : d === -2 ? '?' : d)).join(', ')}]`;
        throw this.formatError(name, `as ${out ? `${out.type} ${fmtDims(out.dims)}` : 'nothing'}, expected ${want}`);
      }
      const data = out!.data as ArrayLike<number | bigint>;
      if (spec.indexLimit > 0) {
        const lim = spec.indexLimit;
        for (let i = 0; i < data.length; i++) {
          const a = Number(data[i]!);
          if (!(a >= 0 && a < lim)) throw this.formatError(name, `${a} for row ${i}, outside 0…${lim - 1}`);
        }
      } else if (spec.box) {
        const A = this.A;
        const d = data as ArrayLike<number>;
        for (let i = 0; i < d.length; i++) {
          const v = d[i]!;
          const j = i % A;
          if (!(v >= this.boxLo[j]! && v <= this.boxHi[j]!)) {
            const as = this.info.actionSpace as { low: number[]; high: number[] };
            throw this.formatError(
              name,
              `entry ${i} (row ${Math.floor(i / (d.length / n))}, action entry ${j}) = ${describeValue(v)}, outside the action bounds ` +
                `[${as.low[j]}, ${as.high[j]}] (action_space.low/high)`,
            );
          }
        }
      }
    }
    if (this.grid) {
      for (let f = 0; f < fetches.length; f++) {
        const spec = this.specs.get(fetches[f]!)!;
        if (spec.gridIndex !== null && result[spec.gridIndex] !== undefined) this.checkGridRows(result, spec.name, spec.gridIndex, n);
      }
    }
  }

  /** Grid models: every row of `name` must be exactly the metadata grid row of its index. */
  private checkGridRows(outs: Record<string, OrtTensorLike>, name: string, indexName: string, n: number): void {
    const grid = this.grid!;
    const idx = outs[indexName]!.data as ArrayLike<number | bigint>;
    const data = outs[name]!.data as ArrayLike<number>;
    const size = grid.size;
    for (let i = 0; i < n; i++) {
      const k = Number(idx[i]!);
      for (let j = 0; j < size; j++) {
        const got = data[i * size + j]!;
        const want = grid.values[k * size + j]!;
        if (got !== want) {
          throw new ModelFormatError(
            `The model returned ${name}[${i}][${j}] = ${got} with ${indexName} ${k}, but the metadata grid row ${k} has ${want} there; ` +
              `its graph does not compute what its gmmrl metadata declares (action_space.values).`,
          );
        }
      }
    }
  }

  // --- converting ------------------------------------------------------------------------------

  /** Index output → Int32Array (values already checked). */
  private static indices(t: OrtTensorLike, n: number): Int32Array {
    const src = t.data as ArrayLike<bigint | number>;
    const res = new Int32Array(n);
    for (let i = 0; i < n; i++) res[i] = Number(src[i]!);
    return res;
  }

  /** Row views of a [n, width] float output. */
  private static rows(t: OrtTensorLike, n: number): FloatArray[] {
    const data = t.data as FloatArray;
    const width = n > 0 ? data.length / n : 0;
    const out = new Array<FloatArray>(n);
    for (let i = 0; i < n; i++) out[i] = data.subarray(i * width, (i + 1) * width);
    return out;
  }

  /** The act result of one call: a number / FloatArray (single) or Int32Array / FloatArray[] (batch). */
  private actResult(r: Ran, name: string, single: boolean): PolicyAction {
    const t = r.outs[name]!;
    if (this.actor) return single ? (t.data as FloatArray) : OrtPolicy.rows(t, r.n);
    if (single) return Number((t.data as ArrayLike<bigint | number>)[0]!);
    return OrtPolicy.indices(t, r.n);
  }

  private envResult(r: Ran, single: boolean): number | FloatArray | Int32Array | FloatArray[] {
    if (this.actor) return this.actResult(r, this.actOutput[r.sample ? 1 : 0], single);
    if (!this.grid) return this.actResult(r, r.sample ? IO.actionSampled : IO.action, single);
    const t = r.outs[r.sample ? IO.actionSampled : IO.action]!;
    return single ? (t.data as FloatArray) : OrtPolicy.rows(t, r.n);
  }

  // --- the Policy API --------------------------------------------------------------------------

  act(obs: ObservationRows, opts?: ActOptions): Promise<Int32Array | FloatArray[]>;
  act(obs: Observation, opts?: ActOptions): Promise<PolicyAction>;
  async act(obs: Observation | ObservationRows, opts?: ActOptions): Promise<PolicyAction> {
    const r = await this.run(obs, 'auto', opts, this.fetchAct, 'act');
    return this.actResult(r, this.actOutput[r.sample ? 1 : 0], r.single);
  }

  async actOne(obs: Observation, opts?: ActOptions): Promise<number | FloatArray> {
    const r = await this.run(obs, 'one', opts, this.fetchAct, 'actOne');
    return this.actResult(r, this.actOutput[r.sample ? 1 : 0], true) as number | FloatArray;
  }

  async actBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<Int32Array | FloatArray[]> {
    const r = await this.run(obs, 'batch', opts, this.fetchAct, 'actBatch');
    return this.actResult(r, this.actOutput[r.sample ? 1 : 0], false) as Int32Array | FloatArray[];
  }

  async envAction(obs: Observation, opts?: ActOptions): Promise<number | FloatArray> {
    const r = await this.run(obs, 'one', opts, this.fetchEnv, 'envAction');
    return this.envResult(r, true) as number | FloatArray;
  }

  async envActionBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<Int32Array | FloatArray[]> {
    const r = await this.run(obs, 'batch', opts, this.fetchEnv, 'envActionBatch');
    return this.envResult(r, false) as Int32Array | FloatArray[];
  }

  async outputs(obs: Observation | ObservationRows, opts?: ActOptions): Promise<PolicyOutputs> {
    const r = await this.run(obs, 'auto', opts, this.fetchAll, 'outputs');
    const names = this.fetchAll[0];
    const outputs: Record<string, OutputTensor> = {};
    for (const name of names) {
      const t = r.outs[name]!;
      const spec = this.specs.get(name)!;
      let data: Float32Array | Float64Array | Int32Array;
      if (spec.dtype === 'float32' || spec.dtype === 'float64' || spec.dtype === 'int32') {
        data = t.data as Float32Array | Float64Array | Int32Array;
      } else {
        const src = t.data as ArrayLike<number | bigint>;
        data = new Int32Array(src.length);
        for (let i = 0; i < src.length; i++) {
          const v = Number(src[i]!);
          if (!(v >= -2147483648 && v <= 2147483647)) {
            throw this.formatError(name, `${v} at entry ${i} (${spec.dtype}; ${typedName(t.data)}), which does not fit the Int32Array outputs() returns`);
          }
          data[i] = v;
        }
      }
      outputs[name] = { dims: [...t.dims], data };
    }
    return { n: r.n, mode: r.sample ? 'sample' : 'greedy', outputs };
  }

  private qFetch(method: string): FetchPair {
    if (this.fetchQ === null) {
      const outs = this.info.metadata.outputs.map((t) => t.name).join(', ');
      throw new ValueError(
        `${method}: family ${this.info.family} has no Q values (its outputs are ${outs}); read the mixture parameters with policy.outputs(obs) ` +
          `(weights, means, log_std) instead.`,
      );
    }
    return this.fetchQ;
  }

  q(obs: ObservationRows): Promise<FloatArray[]>;
  q(obs: Observation): Promise<FloatArray | FloatArray[]>;
  async q(obs: Observation | ObservationRows): Promise<FloatArray | FloatArray[]> {
    const r = await this.run(obs, 'auto', undefined, this.qFetch('q'), 'q');
    const out = r.outs[IO.q]!;
    return r.single ? (out.data as FloatArray) : OrtPolicy.rows(out, r.n);
  }

  async qOne(obs: Observation): Promise<FloatArray> {
    const r = await this.run(obs, 'one', undefined, this.qFetch('qOne'), 'qOne');
    return r.outs[IO.q]!.data as FloatArray;
  }

  async qBatch(obs: Observation | ObservationRows): Promise<FloatArray[]> {
    const r = await this.run(obs, 'batch', undefined, this.qFetch('qBatch'), 'qBatch');
    return OrtPolicy.rows(r.outs[IO.q]!, r.n);
  }

  async dispose(): Promise<void> {
    const s = this.session;
    const g = this.greedySession;
    this.session = null;
    this.greedySession = null;
    if (g) await g.release();
    if (s) await s.release();
  }
}
