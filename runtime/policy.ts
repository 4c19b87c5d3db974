/**
 * The platform-free core of the gmmrl runtime: validates an exported ONNX file against its gmmrl
 * metadata, opens an ONNX Runtime session (the ORT module is injected, so the same code runs over
 * onnxruntime-node and onnxruntime-web), and wraps it in a `Policy` with input validation.
 *
 * Imports only runtime/ modules; no Node or browser APIs.
 */
import { BackendError, DisposedError, ModelFormatError, ShapeError, ValueError, describeValue } from './errors.js';
import {
  GMMQF_INPUT,
  GMMQF_OUTPUT_ACTION,
  GMMQF_OUTPUT_ACTION_INDEX,
  GMMQF_OUTPUT_Q,
  TENSOR_DTYPE_CODES,
  featureSize,
  metadataFromProps,
  observationSize,
  type ActionSpaceSpec,
  type DimSpec,
  type GmmrlMetadataV1,
  type TensorSpec,
} from './metadata.js';
import { ONNX_ELEM_TYPE_NAMES, metadataMap, readOnnxModel, type OnnxDim, type OnnxModelSummary, type OnnxValueInfo } from './onnx-reader.js';

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
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;
  InferenceSession: {
    create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSessionLike>;
  };
}

// ----------------------------------------------------------------------------------------------
// Public types
// ----------------------------------------------------------------------------------------------

/** One execution provider that was tried and failed. */
export interface ProviderFailure {
  provider: string;
  error: string;
}

export interface PolicyInfo {
  /** The validated gmmrl metadata (schema 1); null bounds are ±Infinity here. */
  readonly metadata: Readonly<GmmrlMetadataV1>;
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
  /** Observation size (entries per observation the model takes: the environment's observation). */
  readonly observationSize: number;
  /** Size of the features the model normalizes (= observationSize without a feature map; 4 for acrobot-angles). */
  readonly featureSize: number;
  /** Number of actions A the Q-function ranks (grid points for a grid model). */
  readonly numActions: number;
  /** The metadata action space: { kind: 'discrete', n } or the grid { kind: 'grid', n, shape, values, low, high }. */
  readonly actionSpace: Readonly<ActionSpaceSpec>;
  /** Model size in bytes. */
  readonly byteLength: number;
}

/** One observation: D numbers. */
export type Observation = ArrayLike<number>;
/** A batch: an array of rows of D numbers each. */
export type ObservationRows = readonly ArrayLike<number>[];

export interface Policy {
  readonly info: PolicyInfo;
  /**
   * Greedy action index(es) argmax_a q (for a grid model the grid index, output "action_index"; use
   * `envAction` for the environment action). An array of rows → Int32Array (one index per row). A
   * flat array of length D → the index as a number; a flat array of length N·D with N > 1 →
   * Int32Array of N indices.
   */
  act(obs: ObservationRows): Promise<Int32Array>;
  act(obs: Observation): Promise<number | Int32Array>;
  /** Exactly one observation (length D) → its greedy action index. */
  actOne(obs: Observation): Promise<number>;
  /** A batch (rows, or flat N·D with N ≥ 1) → Int32Array of N greedy action indices. */
  actBatch(obs: Observation | ObservationRows): Promise<Int32Array>;
  /**
   * What to pass to `env.step` for exactly one observation: the action index (a number) for a
   * discrete model; for a grid model the grid value, a Float32Array of prod(action_space.shape)
   * entries (a fresh copy), checked to be the metadata grid row of "action_index".
   */
  envAction(obs: Observation): Promise<number | Float32Array>;
  /**
   * A batch → Int32Array of N action indices (discrete) or N grid rows (grid: Float32Array views
   * into one fresh buffer, each checked against the metadata grid).
   */
  envActionBatch(obs: Observation | ObservationRows): Promise<Int32Array | Float32Array[]>;
  /**
   * Q values. Rows → Float32Array[] (row views into one buffer). Flat length D → Float32Array of A
   * values; flat N·D with N > 1 → Float32Array[].
   */
  q(obs: ObservationRows): Promise<Float32Array[]>;
  q(obs: Observation): Promise<Float32Array | Float32Array[]>;
  qOne(obs: Observation): Promise<Float32Array>;
  qBatch(obs: Observation | ObservationRows): Promise<Float32Array[]>;
  /** Releases the ONNX Runtime session. Idempotent; later calls to act/q throw DisposedError. */
  dispose(): Promise<void>;
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
  const info: PolicyInfo = deepFreeze({
    metadata,
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
    actionSpace: metadata.action_space,
    byteLength: summary.byteLength,
  });
  return new OrtPolicy(ort, session, info);
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
 * required inputs. The declared lists already satisfy the family contract (validateMetadata: both
 * Q-function families gmmqf and dqn; obs [N, observation size] — the raw observation, also with a
 * feature map —, q [N, A], and action [N] int64, or for a grid action [N, ...shape] float32 plus
 * action_index [N] int64), so this ties the contract to the graph.
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
// Observation validation
// ----------------------------------------------------------------------------------------------

const FIX = 'Pass numbers: an array or typed array of D values, or an array of such rows (e.g. Float32Array.from(obs, Number)).';

interface Packed {
  data: Float32Array;
  n: number;
  /** True when the input was one flat observation of length D. */
  single: boolean;
}

type Mode = 'auto' | 'one' | 'batch';

/** "a string (\"0.1\")", "an Object", "null", "a Float64Array" … for messages. */
function what(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  const article = (w: string): string => (/^[aeiou]/i.test(w) ? `an ${w}` : `a ${w}`);
  if (typeof x === 'object') {
    if (Array.isArray(x)) return 'an Array';
    return article((x as object).constructor?.name ?? 'Object');
  }
  return `${article(typeof x)} (${describeValue(x)})`;
}

function isRow(x: unknown): boolean {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

class ObsPacker {
  constructor(
    readonly D: number,
    readonly shapeText: string,
  ) {}

  lengthError(len: number, mode: Mode): never {
    const D = this.D;
    if (mode === 'one') {
      throw new ShapeError(`obs has length ${len}, expected ${D} (observation_space.shape = ${this.shapeText}) for a single observation.`);
    }
    throw new ShapeError(
      `obs has length ${len}, expected ${D} (observation_space.shape = ${this.shapeText}) or a multiple of ${D} for a batch.`,
    );
  }

  checkContainer(obs: unknown, name: string): void {
    if (obs === null || obs === undefined || typeof obs !== 'object') {
      const extra = typeof obs === 'string' ? ' (parse it first, e.g. obs.split(",").map(Number))' : '';
      throw new ValueError(`${name} is ${what(obs)}, not an array of numbers${extra}. ${FIX}`);
    }
    if (obs instanceof BigInt64Array || obs instanceof BigUint64Array) {
      throw new ValueError(`${name} is ${what(obs)}; observations must be numbers, not bigint. Convert with Float32Array.from(${name}, Number).`);
    }
    if (obs instanceof DataView || obs instanceof ArrayBuffer) {
      throw new ValueError(`${name} is ${what(obs)}; wrap the bytes in a typed array (e.g. new Float32Array(buffer)). ${FIX}`);
    }
    if (!isRow(obs) && typeof (obs as { length?: unknown }).length !== 'number') {
      throw new ValueError(`${name} is ${what(obs)} without a length, not an array of numbers. ${FIX}`);
    }
  }

  /** Copies `src` (validated) into `dst` at `at`; `label(i)` names entry i in messages. */
  copy(src: ArrayLike<number>, dst: Float32Array, at: number, label: (i: number) => string): void {
    const len = src.length;
    if (src instanceof Float32Array) {
      for (let i = 0; i < len; i++) {
        const x = src[i]!;
        if (x - x !== 0) this.badNumber(x, label(i)); // NaN or ±Infinity
      }
      dst.set(src, at);
      return;
    }
    const typed = ArrayBuffer.isView(src);
    for (let i = 0; i < len; i++) {
      const x = src[i] as unknown;
      if (!typed && typeof x !== 'number') {
        const hint = typeof x === 'string' ? ` Convert with Number(x) or parseFloat(x) first.` : '';
        throw new ValueError(`${label(i)} is ${what(x)}, not a number.${hint} ${FIX}`);
      }
      const v = x as number;
      if (v - v !== 0) this.badNumber(v, label(i));
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

  /** Validates and packs `obs` into float32. `scratch` (length D) is used for a single observation when given. */
  pack(obs: unknown, mode: Mode, scratch: Float32Array | null): Packed {
    const D = this.D;
    this.checkContainer(obs, 'obs');
    const arr = obs as ArrayLike<unknown>;
    const len = arr.length;
    if (Array.isArray(arr) && len > 0 && isRow(arr[0])) {
      // array of rows
      if (mode === 'one') {
        throw new ShapeError(`obs is an array of ${len} rows; actOne/qOne take a single observation of length ${D}. Use act/actBatch for batches.`);
      }
      const data = new Float32Array(len * D);
      for (let r = 0; r < len; r++) {
        const row = arr[r];
        if (!isRow(row)) {
          throw new ValueError(
            `obs[${r}] is ${what(row)} but obs[0] is a row; pass either one flat observation or an array of rows.`,
          );
        }
        this.checkContainer(row, `obs[${r}]`);
        const rr = row as ArrayLike<number>;
        if (rr.length !== D) {
          throw new ShapeError(`obs[${r}] has length ${rr.length}, expected ${D} (observation_space.shape = ${this.shapeText}).`);
        }
        this.copy(rr, data, r * D, (i) => `obs[${r}][${i}]`);
      }
      return { data, n: len, single: false };
    }
    if (len === D && mode !== 'batch' && scratch) {
      this.copy(arr as ArrayLike<number>, scratch, 0, (i) => `obs[${i}]`);
      return { data: scratch, n: 1, single: true };
    }
    if (len === 0 || len % D !== 0 || (mode === 'one' && len !== D)) this.lengthError(len, mode);
    const n = len / D;
    const data = new Float32Array(len);
    this.copy(arr as ArrayLike<number>, data, 0, n === 1 ? (i) => `obs[${i}]` : (i) => `obs[${i}] (row ${Math.floor(i / D)}, entry ${i % D})`);
    return { data, n, single: n === 1 && mode !== 'batch' };
  }
}

// ----------------------------------------------------------------------------------------------
// Policy
// ----------------------------------------------------------------------------------------------

class OrtPolicy implements Policy {
  readonly info: PolicyInfo;
  private readonly ort: OrtModuleLike;
  private session: OrtSessionLike | null;
  private readonly D: number;
  private readonly A: number;
  private readonly packer: ObsPacker;
  /** Reused input buffer + tensor for single observations (the common, latency-critical case). */
  private readonly single: Float32Array;
  private readonly singleTensor: OrtTensorLike;
  private singleBusy = false;
  /** The action grid (float32, [A, size]) of a grid model, else null. */
  private readonly grid: { shape: readonly number[]; size: number; values: Float32Array } | null;
  private readonly fetchQ: readonly string[] = [GMMQF_OUTPUT_Q];
  /** The output holding the greedy index: "action" (discrete) or "action_index" (grid). */
  private readonly indexOutput: string;
  private readonly fetchIndex: readonly string[];
  private readonly fetchEnv: readonly string[];

  constructor(ort: OrtModuleLike, session: OrtSessionLike, info: PolicyInfo) {
    this.ort = ort;
    this.session = session;
    this.info = info;
    this.D = info.observationSize;
    this.A = info.numActions;
    this.packer = new ObsPacker(this.D, JSON.stringify(info.metadata.observation_space.shape));
    this.single = new Float32Array(this.D);
    this.singleTensor = new ort.Tensor('float32', this.single, [1, this.D]);
    const as = info.actionSpace;
    if (as.kind === 'grid') {
      const size = as.shape.reduce((a, b) => a * b, 1);
      this.grid = { shape: as.shape, size, values: Float32Array.from(as.values.flat()) };
      this.indexOutput = GMMQF_OUTPUT_ACTION_INDEX;
      this.fetchEnv = [GMMQF_OUTPUT_ACTION, GMMQF_OUTPUT_ACTION_INDEX];
    } else {
      this.grid = null;
      this.indexOutput = GMMQF_OUTPUT_ACTION;
      this.fetchEnv = [GMMQF_OUTPUT_ACTION];
    }
    this.fetchIndex = [this.indexOutput];
  }

  private live(): OrtSessionLike {
    if (this.session === null) {
      throw new DisposedError('This Policy was disposed; load the model again with loadPolicy(...) to keep using it.');
    }
    return this.session;
  }

  /** The dtype and dims output `name` must have for a batch of n (the metadata contract). */
  private expected(name: string, n: number): { type: string; dims: number[] } {
    if (name === GMMQF_OUTPUT_Q) return { type: 'float32', dims: [n, this.A] };
    if (name === GMMQF_OUTPUT_ACTION && this.grid) return { type: 'float32', dims: [n, ...this.grid.shape] };
    return { type: 'int64', dims: [n] }; // action (discrete) or action_index (grid)
  }

  /** Packs, runs, returns the requested output tensors (validated) and whether the input was single. */
  private async run(
    obs: unknown,
    mode: Mode,
    fetches: readonly string[],
  ): Promise<{ outs: Record<string, OrtTensorLike>; n: number; single: boolean }> {
    const session = this.live();
    const useScratch = !this.singleBusy;
    const packed = this.packer.pack(obs, mode, useScratch ? this.single : null);
    const { data, n } = packed;
    const onScratch = packed.single && data === this.single;
    const tensor = onScratch ? this.singleTensor : new this.ort.Tensor('float32', data, [n, this.D]);
    if (onScratch) this.singleBusy = true;
    let result: Record<string, OrtTensorLike>;
    try {
      result = await session.run({ [GMMQF_INPUT]: tensor }, fetches);
    } catch (err) {
      if (this.session === null) throw new DisposedError('This Policy was disposed while a call was running.');
      throw new BackendError(`ONNX Runtime (${this.info.backend}, ${this.info.executionProvider}) failed to run the model: ${errorMessage(err)}`);
    } finally {
      if (onScratch) this.singleBusy = false;
    }
    for (const name of fetches) {
      const out = result[name];
      const want = this.expected(name, n);
      if (!out || out.type !== want.type || out.dims.length !== want.dims.length || out.dims.some((d, i) => d !== want.dims[i])) {
        throw new ModelFormatError(
          `The model returned ${name} as ${out ? `${out.type} ${fmtDims(out.dims)}` : 'nothing'}, expected ${want.type} ${fmtDims(want.dims)}; ` +
            `its graph does not compute what its gmmrl metadata declares.`,
        );
      }
    }
    return { outs: result, n, single: packed.single };
  }

  private toActions(t: OrtTensorLike, n: number): Int32Array {
    const src = t.data as ArrayLike<bigint | number>;
    const res = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const a = Number(src[i]);
      if (!(a >= 0 && a < this.A)) {
        throw new ModelFormatError(`The model returned ${this.indexOutput} ${a} for row ${i}, outside 0…${this.A - 1}.`);
      }
      res[i] = a;
    }
    return res;
  }

  /** Grid models: the rows of "action", each checked to be the metadata grid row of its index. */
  private gridRows(outs: Record<string, OrtTensorLike>, n: number): Float32Array[] {
    const grid = this.grid!;
    const idx = this.toActions(outs[GMMQF_OUTPUT_ACTION_INDEX]!, n);
    const data = Float32Array.from(outs[GMMQF_OUTPUT_ACTION]!.data as Float32Array);
    const size = grid.size;
    const rows = new Array<Float32Array>(n);
    for (let i = 0; i < n; i++) {
      const k = idx[i]!;
      for (let j = 0; j < size; j++) {
        const got = data[i * size + j]!;
        const want = grid.values[k * size + j]!;
        if (got !== want) {
          throw new ModelFormatError(
            `The model returned action[${i}][${j}] = ${got} with action_index ${k}, but the metadata grid row ${k} has ${want} there; ` +
              `its graph does not compute what its gmmrl metadata declares (action_space.values).`,
          );
        }
      }
      rows[i] = data.subarray(i * size, (i + 1) * size);
    }
    return rows;
  }

  private rows(t: OrtTensorLike, n: number): Float32Array[] {
    const data = t.data as Float32Array;
    const A = this.A;
    const out = new Array<Float32Array>(n);
    for (let i = 0; i < n; i++) out[i] = data.subarray(i * A, (i + 1) * A);
    return out;
  }

  act(obs: ObservationRows): Promise<Int32Array>;
  act(obs: Observation): Promise<number | Int32Array>;
  async act(obs: Observation | ObservationRows): Promise<number | Int32Array> {
    const { outs, n, single } = await this.run(obs, 'auto', this.fetchIndex);
    const a = this.toActions(outs[this.indexOutput]!, n);
    return single ? a[0]! : a;
  }

  async actOne(obs: Observation): Promise<number> {
    const { outs } = await this.run(obs, 'one', this.fetchIndex);
    return this.toActions(outs[this.indexOutput]!, 1)[0]!;
  }

  async actBatch(obs: Observation | ObservationRows): Promise<Int32Array> {
    const { outs, n } = await this.run(obs, 'batch', this.fetchIndex);
    return this.toActions(outs[this.indexOutput]!, n);
  }

  async envAction(obs: Observation): Promise<number | Float32Array> {
    const { outs } = await this.run(obs, 'one', this.fetchEnv);
    if (!this.grid) return this.toActions(outs[GMMQF_OUTPUT_ACTION]!, 1)[0]!;
    return this.gridRows(outs, 1)[0]!;
  }

  async envActionBatch(obs: Observation | ObservationRows): Promise<Int32Array | Float32Array[]> {
    const { outs, n } = await this.run(obs, 'batch', this.fetchEnv);
    if (!this.grid) return this.toActions(outs[GMMQF_OUTPUT_ACTION]!, n);
    return this.gridRows(outs, n);
  }

  q(obs: ObservationRows): Promise<Float32Array[]>;
  q(obs: Observation): Promise<Float32Array | Float32Array[]>;
  async q(obs: Observation | ObservationRows): Promise<Float32Array | Float32Array[]> {
    const { outs, n, single } = await this.run(obs, 'auto', this.fetchQ);
    const out = outs[GMMQF_OUTPUT_Q]!;
    return single ? (out.data as Float32Array) : this.rows(out, n);
  }

  async qOne(obs: Observation): Promise<Float32Array> {
    const { outs } = await this.run(obs, 'one', this.fetchQ);
    return outs[GMMQF_OUTPUT_Q]!.data as Float32Array;
  }

  async qBatch(obs: Observation | ObservationRows): Promise<Float32Array[]> {
    const { outs, n } = await this.run(obs, 'batch', this.fetchQ);
    return this.rows(outs[GMMQF_OUTPUT_Q]!, n);
  }

  async dispose(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.release();
  }
}
