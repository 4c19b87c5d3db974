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
 * The exporter gives both inputs one-row NaN defaults (for runtimes fed obs alone, whose sampled
 * outputs are then NaN / -1); the session is opened on the model without them (onnx-prune.ts
 * withoutInputDefaults), since ONNX Runtime's JavaScript bindings take no feed for an input that
 * has a default.
 * For a float32 model each value is rounded to float32, and a u that rounds up to 1 becomes
 * 1 − 2⁻²⁴ (the largest float32 below 1), so u stays in [0, 1). With sampling.noise = "in-graph"
 * the graph draws its own noise (not reproducible; the runtime refuses an rng or noise for it).
 *
 * Greedy calls. ONNX Runtime runs every node of a graph whatever outputs are fetched, so a greedy
 * call on the full graph would pay for the sampling head (README, "Benchmarks", has the cost). A model
 * with a sampling head therefore gets a second session over its noise-free part (onnx-prune.ts:
 * the outputs that depend on no noise input and no random op, and the nodes they need), opened on
 * the same provider; greedy act / envAction / q run there with obs as the only feed. outputs() in
 * mode 'greedy' runs the full graph with zero noise (it returns action_sampled too). The two
 * sessions compute the greedy outputs with the same nodes on the same inputs: identical results
 * (spec/runtime/policy.spec.ts). loadPolicy option greedyGraph: false keeps a single session.
 *
 * The parts live in files of their own: types.ts (the public types), ort.ts (the ONNX Runtime
 * slice the core uses), providers.ts (execution providers), graph-checks.ts (graph against
 * metadata), observations.ts (observation packing), noise.ts (sampling noise); this file loads a
 * model and implements Policy.
 *
 * Imports only runtime/ and contract/ modules; no Node or browser APIs.
 */
import { BackendError, DisposedError, ModelFormatError, ValueError, describeValue } from '../contract/errors.js';
import {
  IO,
  actionSize,
  featureSize,
  isActorFamily,
  metadataFromProps,
  observationSize,
  precisionOf,
  type GmmrlMetadataV1,
  type Precision,
  type TensorDtype,
} from '../contract/metadata.js';
import { metadataMap, readGraphContents, readOnnxModel } from './onnx-reader.js';
import { Rng } from '../contract/rng.js';
import { noiseFreeModel, withoutInputDefaults } from './onnx-prune.js';
import { anglePairsOf, checkGraphAgainstMetadata, checkGraphValues, checkSessionNames, defaultOpset, fmtDims } from './graph-checks.js';
import { checkDigestPlacement, checkModelDigest, type NewHash } from './digest.js';
import { Sampler } from './noise.js';
import { ObsPacker, what, type Arity } from './observations.js';
import { errorMessage, type OrtModuleLike, type OrtSessionLike, type OrtTensorLike } from './ort.js';
import {
  checkExecutionProviders,
  checkSessionOptions,
  defaultExecutionProviders,
  openSession,
  type ProviderEnvironment,
  type ProviderOptions,
  type ProviderTable,
} from './providers.js';
import type {
  ActOptions,
  FloatArray,
  LoadPolicyOptions,
  Observation,
  ObservationRows,
  OutputTensor,
  Policy,
  PolicyAction,
  PolicyInfo,
  PolicyOutputs,
} from './types.js';

// The public types, for the modules that import them from here (public.ts takes them from types.ts).
export * from './types.js';
export type { OrtModuleLike, OrtSessionLike, OrtTensorLike } from './ort.js';
export { checkGraphAgainstMetadata } from './graph-checks.js';

/** What an entry point passes to createPolicy: the provider options, the seed and the greedy-graph switch. */
export interface CreatePolicyOptions extends ProviderOptions {
  /** Seed of the policy's own noise generator (mode 'sample' without opts.rng); default 0. */
  seed?: number;
  /**
   * Open a second session over the noise-free part of the graph for greedy calls (default true;
   * see PolicyInfo.greedyGraph). false: one session, greedy calls feed zero noise to the full graph.
   */
  greedyGraph?: boolean;
  /** The SHA-256 the integrity check uses (digest.ts; default the pure-JS one). */
  newHash?: NewHash;
}

// ----------------------------------------------------------------------------------------------
// Loading
// ----------------------------------------------------------------------------------------------

/**
 * Reads and checks the model bytes, opens a session on the first execution provider that works,
 * and returns a Policy. Throws ModelFormatError (bad or inconsistent file), BackendError (no
 * provider could start; every failure listed), ValueError (bad options).
 */
async function createPolicy(ort: OrtModuleLike, bytes: Uint8Array, options: CreatePolicyOptions): Promise<Policy> {
  const seed = options.seed ?? 0;
  const summary = readOnnxModel(bytes);
  // before anything the metadata says is trusted: a corrupt file reports its digest, not a symptom
  const integrity = checkModelDigest(bytes, options.newHash);
  if (summary.graph === null) {
    throw new ModelFormatError(
      `Cannot read ONNX model: it has no graph (ModelProto.graph is missing). The file is truncated or is not an ONNX model.`,
    );
  }
  const metadata = metadataFromProps(metadataMap(summary));
  checkDigestPlacement(metadata.model_sha256, integrity);
  checkGraphAgainstMetadata(summary, metadata);
  const domain = checkGraphValues(readGraphContents(bytes), metadata);
  const opsetVersion = defaultOpset(summary);

  // the noise inputs' defaults (exporters/onnx/envelope.ts beginGraph) would hide them from ONNX
  // Runtime's JavaScript bindings, which then drop or refuse the noise this runtime feeds
  const noiseInputs = metadata.inputs.map((t) => t.name).filter((n) => n !== IO.obs);
  const sessionBytes = withoutInputDefaults(bytes, noiseInputs) ?? bytes;
  const { session, provider: used, failures } = await openSession(ort, sessionBytes, options);
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
    observationLimit: domain.limit,
    numActions: metadata.action_space.n,
    actionSize: actionSize(metadata),
    components: metadata.components ?? null,
    actionSpace: metadata.action_space,
    seed,
    byteLength: summary.byteLength,
    greedyGraph: greedy.session === null ? null : greedy.graph,
    greedyGraphReason: greedy.reason,
    integrity: integrity.integrity,
    warnings: integrity.warning === null ? [] : [integrity.warning],
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
  return {
    session,
    graph: { nodesKept: pruned.nodesKept, nodesRemoved: pruned.nodesRemoved, outputsRemoved: pruned.removedOutputs },
    reason: '',
  };
}

/**
 * The end both entries' loadPolicy share once they hold the bytes: createPolicy on `table`'s
 * providers (the caller's `executionProviders`, else the table's defaults available in `env`),
 * with the caller's session options, seed and greedyGraph, and `providerHint` for failures.
 */
export function createEntryPolicy<P extends string>(
  ort: OrtModuleLike,
  bytes: Uint8Array,
  table: ProviderTable<P>,
  env: ProviderEnvironment,
  options: LoadPolicyOptions<P, object>,
  providerHint: (provider: string) => string | undefined,
  newHash?: NewHash,
): Promise<Policy> {
  return createPolicy(ort, bytes, {
    executionProviders: options.executionProviders ?? defaultExecutionProviders(table, env),
    knownProviders: table.known,
    baselineProviders: table.baseline,
    backend: table.backend,
    sessionOptions: options.sessionOptions as Record<string, unknown> | undefined,
    seed: options.seed,
    greedyGraph: options.greedyGraph,
    providerHint,
    newHash,
  });
}

/** The default of loadPolicy's `maxFileBytes`: the largest model it reads, 512 MiB. */
const DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024;

/** The largest `maxFileBytes`: protobuf cannot encode a message of 2 GiB, so no ONNX file (without external data) is larger. */
const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** How to raise the size limit, for messages. */
export const RAISE_HINT = 'pass { maxFileBytes: N } to loadPolicy with N at least its size';

/**
 * Validates every loadPolicy option before anything is read (`extraKeys`: the entry's own, e.g.
 * fetchInit): the keys, executionProviders (this entry's names, distinct), sessionOptions (each key
 * this entry's ONNX Runtime reads, in type and range), seed, greedyGraph and maxFileBytes.
 * ValueError naming the option, the value and what it takes. Returns the size limit.
 */
export function checkLoadOptions<P extends string>(
  options: unknown,
  table: ProviderTable<P>,
  extraKeys: readonly string[],
): { maxFileBytes: number } {
  checkOptionKeys(options, ['executionProviders', 'sessionOptions', 'seed', 'greedyGraph', 'maxFileBytes', ...extraKeys], 'loadPolicy');
  const o = (options ?? {}) as Record<string, unknown>;
  checkExecutionProviders(o['executionProviders'], table);
  checkSessionOptions(o['sessionOptions'], table.backend);
  const seed = o['seed'];
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) {
    throw new ValueError(
      `loadPolicy: options.seed must be an integer in [0, 4294967295] (the seed of the policy's sampling noise), got ${describeValue(seed)}.`,
    );
  }
  if (o['greedyGraph'] !== undefined && typeof o['greedyGraph'] !== 'boolean') {
    throw new ValueError(
      `loadPolicy: options.greedyGraph must be true or false (run greedy calls on the noise-free graph; default true), got ${describeValue(o['greedyGraph'])}.`,
    );
  }
  const max = o['maxFileBytes'] === undefined ? DEFAULT_MAX_FILE_BYTES : o['maxFileBytes'];
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_MODEL_BYTES) {
    throw new ValueError(
      `loadPolicy: options.maxFileBytes must be an integer in [1, ${MAX_MODEL_BYTES}] (the largest model to read, in bytes; ` +
        `default ${DEFAULT_MAX_FILE_BYTES} = 512 MiB; protobuf caps a model below 2 GiB), got ${describeValue(max)}.`,
    );
  }
  return { maxFileBytes: max };
}

/**
 * A model passed as bytes: a Uint8Array as it is, an ArrayBuffer viewed as one, at most
 * `maxFileBytes` long (the same limit as a file or a download, so a model loads from bytes exactly
 * when it loads from its file). Anything else is a ValueError naming what loadPolicy takes
 * (`source`: the entry's other form, e.g. a file path).
 */
export function modelBytes(model: unknown, source: string, maxFileBytes: number): Uint8Array {
  let bytes: Uint8Array;
  if (model instanceof Uint8Array) bytes = model;
  else if (model instanceof ArrayBuffer) bytes = new Uint8Array(model);
  else throw new ValueError(`loadPolicy expects ${source}, a Uint8Array or an ArrayBuffer, got ${describeValue(model)}.`);
  if (bytes.length > maxFileBytes) {
    throw new ValueError(
      `loadPolicy: the model bytes are ${bytes.length} bytes, over the limit of ${maxFileBytes} bytes (maxFileBytes); if the model is genuine, ${RAISE_HINT}.`,
    );
  }
  return bytes;
}

/**
 * ValueError unless `options` is undefined or a plain object whose keys are all in `known`
 * (catches typos such as { seeed: 1 } that would otherwise be ignored).
 */
function checkOptionKeys(options: unknown, known: readonly string[], where: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValueError(`${where}: options must be an object { ${known.join(', ')} }, got ${describeValue(options)}.`);
  }
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new ValueError(`${where}: unknown option ${JSON.stringify(k)}; the options are ${known.join(', ')}.`);
  }
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

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

/** The largest array length JavaScript has (2³² − 1). */
const MAX_ARRAY_LENGTH = 4294967295;

/**
 * An observation that is array-like but neither an array nor a typed array ({ length, 0: …, … }):
 * its length must be an array length and every entry a number, checked before anything is
 * allocated for it — a negative, fractional or huge length would otherwise surface as a RangeError
 * from the allocation, or allocate gigabytes for entries that do not exist.
 */
function checkArrayLike(obs: unknown, method: string): void {
  if (typeof obs !== 'object' || obs === null || Array.isArray(obs) || ArrayBuffer.isView(obs)) return;
  const len = (obs as { length?: unknown }).length;
  if (typeof len !== 'number') return; // not array-like at all: the packer says so
  if (!Number.isInteger(len) || len < 0 || len > MAX_ARRAY_LENGTH) {
    throw new ValueError(
      `${method}: obs.length is ${describeValue(len)}; an array-like observation needs a length that is an integer in [0, ${MAX_ARRAY_LENGTH}]. ` +
        `Pass an array or a typed array (e.g. Float32Array.from(obs)).`,
    );
  }
  const o = obs as ArrayLike<unknown>;
  for (let i = 0; i < len; i++) {
    if (typeof o[i] !== 'number') {
      throw new ValueError(
        `${method}: obs[${i}] is ${what(o[i])}, not a number (obs is array-like with length ${len}). Pass an array or a typed array.`,
      );
    }
  }
}

/** ValueError when a Policy method is given more arguments than it takes: they would be ignored. */
function checkArity(method: string, given: number, params: readonly string[]): void {
  if (given <= params.length) return;
  const takes = params.length === 0 ? 'no arguments' : `(${params.join(', ')})`;
  const hint =
    params.length === 1 && params[0] === 'obs' ? ` ${method} has no options: it always computes Q values of the greedy graph.` : '';
  throw new ValueError(`${method} takes ${takes}, but was given ${given} arguments; the extra ones would be ignored.${hint}`);
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
  /** Resolves each call's mode / rng / noise options and fills the noise inputs (noise.ts). */
  private readonly sampler: Sampler;
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
    const m = info.metadata;
    this.D = info.observationSize;
    this.A = info.numActions;
    this.F = info.precision;
    this.f64 = this.F === 'float64';
    this.actor = info.isActor;
    this.packer = new ObsPacker(this.D, JSON.stringify(m.observation_space.shape), this.f64, {
      limit: info.observationLimit,
      anglePairs: anglePairsOf(m),
    });
    this.noiseU = m.inputs.some((t) => t.name === IO.noiseU);
    this.noiseEps = m.inputs.some((t) => t.name === IO.noiseEps);
    this.sampler = new Sampler(info, this.A, this.f64, this.noiseEps, rng);
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

  // --- noise -----------------------------------------------------------------------------------

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
    const res = this.sampler.resolve(opts, method);
    checkArrayLike(obs, method);
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
          this.sampler.fillNoise(res, n, u, eps, method);
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
      throw new BackendError(
        `ONNX Runtime (${this.info.backend}, ${this.info.executionProvider}) failed to run the model: ${errorMessage(err)}`,
      );
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
    checkArity('act', arguments.length, ['obs', 'opts']);
    const r = await this.run(obs, 'auto', opts, this.fetchAct, 'act');
    return this.actResult(r, this.actOutput[r.sample ? 1 : 0], r.single);
  }

  async actOne(obs: Observation, opts?: ActOptions): Promise<number | FloatArray> {
    checkArity('actOne', arguments.length, ['obs', 'opts']);
    const r = await this.run(obs, 'one', opts, this.fetchAct, 'actOne');
    return this.actResult(r, this.actOutput[r.sample ? 1 : 0], true) as number | FloatArray;
  }

  async actBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<Int32Array | FloatArray[]> {
    checkArity('actBatch', arguments.length, ['obs', 'opts']);
    const r = await this.run(obs, 'batch', opts, this.fetchAct, 'actBatch');
    return this.actResult(r, this.actOutput[r.sample ? 1 : 0], false) as Int32Array | FloatArray[];
  }

  async envAction(obs: Observation, opts?: ActOptions): Promise<number | FloatArray> {
    checkArity('envAction', arguments.length, ['obs', 'opts']);
    const r = await this.run(obs, 'one', opts, this.fetchEnv, 'envAction');
    return this.envResult(r, true) as number | FloatArray;
  }

  async envActionBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<Int32Array | FloatArray[]> {
    checkArity('envActionBatch', arguments.length, ['obs', 'opts']);
    const r = await this.run(obs, 'batch', opts, this.fetchEnv, 'envActionBatch');
    return this.envResult(r, false) as Int32Array | FloatArray[];
  }

  async outputs(obs: Observation | ObservationRows, opts?: ActOptions): Promise<PolicyOutputs> {
    checkArity('outputs', arguments.length, ['obs', 'opts']);
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
            throw this.formatError(
              name,
              `${v} at entry ${i} (${spec.dtype}; ${typedName(t.data)}), which does not fit the Int32Array outputs() returns`,
            );
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
    checkArity('q', arguments.length, ['obs']);
    const r = await this.run(obs, 'auto', undefined, this.qFetch('q'), 'q');
    const out = r.outs[IO.q]!;
    return r.single ? (out.data as FloatArray) : OrtPolicy.rows(out, r.n);
  }

  async qOne(obs: Observation): Promise<FloatArray> {
    checkArity('qOne', arguments.length, ['obs']);
    const r = await this.run(obs, 'one', undefined, this.qFetch('qOne'), 'qOne');
    return r.outs[IO.q]!.data as FloatArray;
  }

  async qBatch(obs: Observation | ObservationRows): Promise<FloatArray[]> {
    checkArity('qBatch', arguments.length, ['obs']);
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
