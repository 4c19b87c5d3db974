/**
 * Pieces shared by every gmmrl exporter: the export options (precision, sampling noise, ε), the
 * floating-point precision of a graph, validation of the export metadata, and the sub-graphs the
 * families have in common. Each sub-graph is documented with its exact op sequence; node names are
 * prefixed by the caller (the family, e.g. "mixture-actor/…").
 *
 *   normalization   centred = Sub(obs, offset); z = Div(centred, scale)                       [N, D]
 *   dense layer     y = MatMul(x, W); p = Add(y, b); x' = Relu(p) (hidden layers; the output layer is linear)
 *   squashing       a = Clip(Tanh(x), −1, 1)   (ONNX Runtime's float32 Tanh can return ±(1 + 2⁻²³))
 *   box scaling     a1 = Add(a, 1); t = Mul(a1, half); action = Add(t, low)
 *                   = low + (a + 1)·(high − low)/2 for a policy action a ∈ [−1, 1]
 *   ε-greedy index  explore = Less(u, ε); r = Div(u, ε); s = Mul(r, n); f = Floor(s);
 *                   c = Clip(f, 0, n − 1); i = Cast(c, int64); index = Where(explore, i, greedy)
 *                   = u < ε ? min(floor(u/ε·n), n − 1) : greedy   (ε = 0: index = Identity(greedy))
 *   in-graph noise  u = RandomUniformLike(like [N], dtype F, low 0, high 1),
 *                   ε = RandomNormalLike(like [N, A], dtype F, mean 0, scale 1), no seed
 *                   (onnxruntime seeds these ops per process: every session created in one
 *                   process starts the same stream, each run of a session continues it; other
 *                   runtimes and builds differ)
 *
 * Precision: "float32" stores every float constant rounded once from float64 and declares every
 * float input/output/intermediate as FLOAT; "float64" stores the float64 values exactly and uses
 * DOUBLE throughout (onnxruntime cpu and wasm run it; WebGPU/WebGL have no float64 kernels).
 *
 * Box scaling constants: `low` is stored rounded to F but never below the true low (rounded up
 * when rounding to nearest went below), and `half` = (high − low)/2 rounded to F and then, if
 * needed, lowered ulp by ulp until fl(low + 2·half) ≤ high. Because every float op rounds
 * monotonically, a ∈ [−1, 1] then gives an action in [low, high] exactly, in F arithmetic, FMA or
 * not; the constants differ from the exact ones by at most one ulp. Bounds so close together
 * that low + 2·half rounds to low in F are rejected (every action would be low).
 */
import { ShapeError, ValueError, describeValue } from '../../contract/errors.js';
import { PRECISIONS, type Precision, type TensorDtype } from '../../contract/metadata.js';
import { ElemType, type AttributeValue, type Dim, type GraphBuilder } from './graph.js';

/** IR version and default-domain opset of every gmmrl export. */
export const EXPORT_IR_VERSION = 8;
export const EXPORT_OPSET_VERSION = 17;

/** Where `action_sampled`'s noise comes from: graph inputs (reproducible) or in-graph random ops. */
export type NoiseMode = 'inputs' | 'in-graph';

/** Options of the actor exporters (exportMixtureActor, exportGamidActor). */
export interface ExportOptions {
  /** Compute precision of the whole graph (default 'float32'); 'float64' runs on cpu and wasm only. */
  precision?: Precision;
  /**
   * 'inputs' (default): the noise comes in through `noise_u` [N] and `noise_eps` [N, A], so
   * `action_sampled` is a deterministic function of the inputs. 'in-graph': the graph draws it with
   * RandomUniformLike / RandomNormalLike (no noise inputs; NOT reproducible across runtimes).
   */
  sampling?: NoiseMode;
}

/** Options of the Q-function exporters (exportGmmQf, exportDqn). */
export interface QExportOptions {
  /** Compute precision of the whole graph (default 'float32'). */
  precision?: Precision;
  /**
   * The ε-greedy head: 'inputs' (default; input `noise_u` [N]), 'in-graph' (RandomUniformLike), or
   * 'none' (no `action_sampled`: the greedy-only graph with the single input `obs`).
   */
  sampling?: NoiseMode | 'none';
  /** Probability ε of a uniformly random action in `action_sampled`, in [0, 1] (default 0.05; validated, then unused with sampling 'none'). */
  epsilon?: number;
}

export const DEFAULT_Q_EPSILON = 0.05;

export interface ResolvedActorOptions {
  precision: Precision;
  sampling: NoiseMode;
}

export interface ResolvedQOptions {
  precision: Precision;
  sampling: NoiseMode | 'none';
  epsilon: number;
}

function checkOptionKeys(where: string, opts: object, allowed: readonly string[]): void {
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) {
      throw new ValueError(
        `${where}: unknown option ${JSON.stringify(k)} (options are ${allowed.map((a) => JSON.stringify(a)).join(', ')}); check the spelling.`,
      );
    }
  }
}

function resolvePrecision(where: string, v: unknown): Precision {
  if (v === undefined) return 'float32';
  if (typeof v !== 'string' || !(PRECISIONS as readonly string[]).includes(v)) {
    throw new ValueError(`${where}: options.precision = ${describeValue(v)} must be "float32" (default) or "float64" (cpu and wasm only).`);
  }
  return v as Precision;
}

/** Validates the actor options (unknown keys included) and fills in the defaults. */
export function resolveActorOptions(opts: unknown, where: string): ResolvedActorOptions {
  if (opts === undefined) return { precision: 'float32', sampling: 'inputs' };
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new ValueError(`${where}: options must be { precision?, sampling? }, got ${describeValue(opts)}.`);
  }
  checkOptionKeys(where, opts, ['precision', 'sampling']);
  const o = opts as ExportOptions;
  const precision = resolvePrecision(where, o.precision);
  const sampling = o.sampling ?? 'inputs';
  if (sampling !== 'inputs' && sampling !== 'in-graph') {
    throw new ValueError(
      `${where}: options.sampling = ${describeValue(o.sampling)} must be "inputs" (default: noise_u/noise_eps graph inputs) or "in-graph" ` +
        '(random ops inside the graph, not reproducible across runtimes); an actor always has action_sampled.',
    );
  }
  return { precision, sampling };
}

/** Validates the Q-family options (plus the family's own `extraKeys`) and fills in the defaults. */
export function resolveQOptions(opts: unknown, where: string, extraKeys: readonly string[] = []): ResolvedQOptions {
  if (opts === undefined) return { precision: 'float32', sampling: 'inputs', epsilon: DEFAULT_Q_EPSILON };
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new ValueError(
      `${where}: options must be { precision?, sampling?, epsilon?${extraKeys.map((k) => `, ${k}?`).join('')} }, got ${describeValue(opts)}.`,
    );
  }
  checkOptionKeys(where, opts, ['precision', 'sampling', 'epsilon', ...extraKeys]);
  const o = opts as QExportOptions;
  const precision = resolvePrecision(where, o.precision);
  const sampling = o.sampling ?? 'inputs';
  if (sampling !== 'inputs' && sampling !== 'in-graph' && sampling !== 'none') {
    throw new ValueError(
      `${where}: options.sampling = ${describeValue(o.sampling)} must be "inputs" (default: a noise_u input), "in-graph" ` +
        '(RandomUniformLike, not reproducible across runtimes) or "none" (greedy-only graph, input obs alone).',
    );
  }
  const epsilon = o.epsilon ?? DEFAULT_Q_EPSILON;
  if (typeof epsilon !== 'number' || !(epsilon >= 0 && epsilon <= 1)) {
    throw new ValueError(
      `${where}: options.epsilon = ${describeValue(o.epsilon)} must be a probability in [0, 1] (default ${DEFAULT_Q_EPSILON}).`,
    );
  }
  return { precision, sampling, epsilon };
}

// ----------------------------------------------------------------------------------------------
// Precision
// ----------------------------------------------------------------------------------------------

/** The float type of a graph: ONNX element type, metadata dtype and the rounding of constants. */
export interface FloatKind {
  precision: Precision;
  F: ElemType;
  dtype: TensorDtype;
  /** x rounded to F (identity for float64). */
  round(x: number): number;
}

export function floatKind(precision: Precision): FloatKind {
  return precision === 'float64'
    ? { precision, F: ElemType.DOUBLE, dtype: 'float64', round: (x) => x }
    : { precision, F: ElemType.FLOAT, dtype: 'float32', round: Math.fround };
}

export const FLOAT32_MAX = 3.4028234663852886e38;

/** Every entry finite, and within float32 range when the graph computes in float32. */
export function checkFits(where: string, name: string, a: ArrayLike<number>, fk: FloatKind): void {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new ValueError(`${where}: ${name}[${i}] is ${describeValue(x)}; every parameter must be finite.`);
    if (fk.precision === 'float32' && Math.abs(x) > FLOAT32_MAX) {
      throw new ValueError(
        `${where}: ${name}[${i}] = ${x} does not fit in float32 (|x| ≤ 3.4e38), which the ONNX graph computes in; export with { precision: 'float64' }.`,
      );
    }
  }
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** The next F number after x towards +∞ (dir 1) or −∞ (dir −1); x finite. */
function nextFloat(x: number, dir: 1 | -1, fk: FloatKind): number {
  if (x === 0) return dir * (fk.precision === 'float32' ? 2 ** -149 : Number.MIN_VALUE);
  if (fk.precision === 'float32') {
    f32[0] = x;
    i32[0]! += x > 0 === dir > 0 ? 1 : -1;
    return f32[0]!;
  }
  f64[0] = x;
  i64[0]! += x > 0 === dir > 0 ? 1n : -1n;
  return f64[0]!;
}

/**
 * The stored scaling constants for a box [low, high] (see the module comment): low rounded to F
 * without going below low, and half ≈ (high − low)/2 with fl(low + 2·half) ≤ high.
 */
export function boxScaleConstants(
  low: ArrayLike<number>,
  high: ArrayLike<number>,
  fk: FloatKind,
  where: string,
): { low: number[]; half: number[] } {
  const r = fk.round;
  const lo: number[] = [];
  const half: number[] = [];
  for (let d = 0; d < low.length; d++) {
    let l = r(low[d]!);
    if (l < low[d]!) l = nextFloat(l, 1, fk);
    let h = r(0.5 * (high[d]! - low[d]!));
    while (h > 0 && r(l + r(2 * h)) > high[d]!) h = nextFloat(h, -1, fk);
    if (!(h > 0) || !Number.isFinite(h) || !(r(l + r(2 * h)) > l)) {
      throw new ValueError(
        `${where}: action bounds [${low[d]}, ${high[d]}] of entry ${d} are too close together (or too far apart) for ${fk.precision}; ` +
          "widen them or export with { precision: 'float64' }.",
      );
    }
    lo.push(l);
    half.push(h);
  }
  return { low: lo, half };
}

// ----------------------------------------------------------------------------------------------
// Export metadata of the actor families
// ----------------------------------------------------------------------------------------------

/** Export metadata of the actor families; the action box comes from the parameters' actionLow/actionHigh. */
export interface ActorExportMeta {
  envId: string;
  /** The environment's observation space: prod(shape) must equal the network's input size D. */
  observationSpace: { shape: number[]; low: number[]; high: number[] };
  /** SHA-256 (lower-case hex) of the checkpoint the parameters came from. */
  sourceCheckpointSha256?: string;
  /** algorithm, env, steps, seed, backend, … passed through into the metadata (non-finite numbers → null). */
  training?: Record<string, unknown>;
  /** Model doc string (a default describing the model is written otherwise). */
  docString?: string;
}

/** Validates an ActorExportMeta against the observation size D (errors name the field, the value and the fix). */
export function checkActorExportMeta(meta: ActorExportMeta, D: number, where: string): void {
  checkMetaObservation(where, meta, D, {
    metaShape: '{ envId, observationSpace, … }',
    envExample: 'Pendulum-v1',
    sizeWhy: `the network's input size D is ${D}`,
  });
  checkMetaProvenance(where, meta, " (e.g. { algorithm: 'sac', steps: 100000, seed: 1 })");
}

/** The wording of `checkMetaObservation`'s errors that differs between the families. */
export interface MetaObservationText {
  /** What meta must be, e.g. "a DqnExportMeta object". */
  metaShape: string;
  /** An example environment id. */
  envExample: string;
  /** Why the observation space must have `obsSize` entries, e.g. "the network's input size D is 4". */
  sizeWhy: string;
}

/**
 * Validates the export metadata's object, envId and observationSpace (shape of prod = `obsSize`
 * entries; low/high arrays of numbers with low ≤ high) — the first checks of every exporter's meta.
 */
export function checkMetaObservation(
  where: string,
  meta: { envId: string; observationSpace: { shape: number[]; low: number[]; high: number[] } },
  obsSize: number,
  text: MetaObservationText,
): void {
  if (typeof meta !== 'object' || meta === null)
    throw new ValueError(`${where}: meta must be ${text.metaShape}, got ${describeValue(meta)}.`);
  if (typeof meta.envId !== 'string' || meta.envId.length === 0) {
    throw new ValueError(`${where}: meta.envId must be a non-empty string (e.g. "${text.envExample}"), got ${describeValue(meta.envId)}.`);
  }
  const os = meta.observationSpace;
  if (typeof os !== 'object' || os === null || !Array.isArray(os.shape) || os.shape.length === 0) {
    throw new ValueError(`${where}: meta.observationSpace.shape must be a non-empty array of sizes, got ${describeValue(os?.shape)}.`);
  }
  for (const [i, s] of os.shape.entries()) {
    if (!Number.isSafeInteger(s) || s < 1)
      throw new ValueError(`${where}: meta.observationSpace.shape[${i}] = ${describeValue(s)} must be a positive integer.`);
  }
  const size = os.shape.reduce((a, b) => a * b, 1);
  if (size !== obsSize) {
    throw new ShapeError(`${where}: meta.observationSpace.shape = ${JSON.stringify(os.shape)} has ${size} entries but ${text.sizeWhy}.`);
  }
  for (const side of ['low', 'high'] as const) {
    const arr = os[side];
    if (!Array.isArray(arr) || arr.length !== obsSize) {
      throw new ShapeError(`${where}: meta.observationSpace.${side} must be an array of ${obsSize} numbers, got ${describeValue(arr)}.`);
    }
    for (const [i, x] of arr.entries()) {
      if (typeof x !== 'number' || Number.isNaN(x)) {
        throw new ValueError(
          `${where}: meta.observationSpace.${side}[${i}] is ${describeValue(x)}; use a number (±Infinity when unbounded).`,
        );
      }
    }
  }
  for (let i = 0; i < obsSize; i++) {
    if (!(os.low[i]! <= os.high[i]!))
      throw new ValueError(`${where}: meta.observationSpace.low[${i}] = ${os.low[i]} exceeds high[${i}] = ${os.high[i]}.`);
  }
}

/**
 * Validates the export metadata's pass-through fields: sourceCheckpointSha256 (64 lower-case hex
 * digits), training (a plain object; `trainingExample` is appended to its error) and docString.
 */
export function checkMetaProvenance(
  where: string,
  meta: { sourceCheckpointSha256?: string; training?: Record<string, unknown>; docString?: string },
  trainingExample = '',
): void {
  if (
    meta.sourceCheckpointSha256 !== undefined &&
    (typeof meta.sourceCheckpointSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(meta.sourceCheckpointSha256))
  ) {
    throw new ValueError(
      `${where}: meta.sourceCheckpointSha256 must be 64 lower-case hex digits, got ${describeValue(meta.sourceCheckpointSha256)}.`,
    );
  }
  if (meta.training !== undefined && (typeof meta.training !== 'object' || meta.training === null || Array.isArray(meta.training))) {
    throw new ValueError(`${where}: meta.training must be a plain object${trainingExample}, got ${describeValue(meta.training)}.`);
  }
  if (meta.docString !== undefined && typeof meta.docString !== 'string') {
    throw new ValueError(`${where}: meta.docString must be a string, got ${describeValue(meta.docString)}.`);
  }
}

/** Checks the normalization and action bounds of an actor in precision F (finite, scale > 0 in F, low < high). */
export function checkActorArrays(
  where: string,
  p: { obsOffset: ArrayLike<number>; obsScale: ArrayLike<number>; actionLow: ArrayLike<number>; actionHigh: ArrayLike<number> },
  fk: FloatKind,
): void {
  checkFits(where, 'obsOffset', p.obsOffset, fk);
  checkFits(where, 'obsScale', p.obsScale, fk);
  checkFits(where, 'actionLow', p.actionLow, fk);
  checkFits(where, 'actionHigh', p.actionHigh, fk);
  for (let d = 0; d < p.actionLow.length; d++) {
    if (!(p.actionLow[d]! < p.actionHigh[d]!)) {
      throw new ValueError(
        `${where}: actionLow[${d}] = ${p.actionLow[d]} must be below actionHigh[${d}] = ${p.actionHigh[d]} (the environment's action bounds).`,
      );
    }
  }
  for (let j = 0; j < p.obsScale.length; j++) {
    if (!(fk.round(p.obsScale[j]!) > 0)) {
      throw new ValueError(`${where}: obsScale[${j}] = ${p.obsScale[j]} must be > 0 in ${fk.precision} (z = (obs − offset) / scale).`);
    }
  }
}

// ----------------------------------------------------------------------------------------------
// Sampling formulas (metadata sampling.formula)
// ----------------------------------------------------------------------------------------------

export const IN_GRAPH_NOTE =
  ' The graph draws u with RandomUniformLike and eps with RandomNormalLike (no seed): the draws are NOT reproducible across runtimes, builds or runs.';

export function epsilonGreedyFormula(noise: NoiseMode, grid: boolean): string {
  return (
    'action_sampled' +
    (grid ? '_index' : '') +
    ' = u < epsilon ? min(floor(u / epsilon * A), A - 1) : argmax_a q (first index on ties), ' +
    (noise === 'inputs' ? 'u = noise_u ~ U[0, 1)' : 'u ~ U[0, 1) drawn in the graph') +
    (grid ? '; action_sampled = the grid row of action_sampled_index.' : '.') +
    (noise === 'in-graph' ? IN_GRAPH_NOTE.replace(' and eps with RandomNormalLike', '') : '')
  );
}

// ----------------------------------------------------------------------------------------------
// Sub-graphs
// ----------------------------------------------------------------------------------------------

/** Where a sub-graph goes: the builder, the float kind and the node-name prefix. */
export interface Site {
  g: GraphBuilder;
  fk: FloatKind;
  /** Node/value name prefix, e.g. "mixture-actor". */
  prefix: string;
}

/** A float scalar constant `${prefix}/const/${name}`. */
function floatScalar(s: Site, name: string, value: number, doc?: string): string {
  return s.g.initializerFloat(`${s.prefix}/const/${name}`, s.fk.F, [], [value], doc);
}

/** An int64 1-D constant `${prefix}/const/${name}`. */
export function int64Const(s: Site, name: string, values: number[], doc?: string): string {
  return s.g.initializerInt64(`${s.prefix}/const/${name}`, [values.length], values, doc);
}

/** z = Div(Sub(obs, offset), scale) [N, D] (nodes `${prefix}/normalize/sub|div`). */
export function addNormalize(s: Site, obs: string, offset: ArrayLike<number>, scale: ArrayLike<number>): string {
  const { g, fk, prefix } = s;
  const D = offset.length;
  const o = g.initializerFloat(`${prefix}/obs_offset`, fk.F, [D], offset, 'Observation offset (normalization).');
  const sc = g.initializerFloat(`${prefix}/obs_scale`, fk.F, [D], scale, 'Observation scale (normalization), > 0.');
  return addNormalizeNodes(s, obs, o, sc, D, 'z = (obs - offset) / scale');
}

/**
 * The nodes of the normalization alone, over offset and scale initializers the caller stored:
 * z = Div(Sub(x, offset), scale) [N, D] (nodes `${prefix}/normalize/sub|div`, the Div documented `doc`).
 */
export function addNormalizeNodes(s: Site, x: string, offset: string, scale: string, D: number, doc: string): string {
  const { g, fk, prefix } = s;
  const centred = g.node({ name: `${prefix}/normalize/sub`, opType: 'Sub', inputs: [x, offset], outputs: [`${prefix}/normalize/centred`] });
  g.valueInfo(centred, fk.F, ['N', D]);
  const z = g.node({ name: `${prefix}/normalize/div`, opType: 'Div', inputs: [centred, scale], outputs: [`${prefix}/normalize/z`], doc });
  g.valueInfo(z, fk.F, ['N', D]);
  return z;
}

export interface DenseSpec {
  /** Name stem: initializers `${name}/weight|bias`, nodes `${name}/matmul|add|relu`. */
  name: string;
  x: string;
  W: ArrayLike<number>;
  wDims: number[];
  b: ArrayLike<number>;
  bDims: number[];
  /** Shape of the layer's output (for value_info). */
  outShape: Dim[];
  relu: boolean;
  /** Name of the layer's output value (default `${name}/activation` or `${name}/output`). */
  out?: string;
  doc?: string;
}

/** y = x·W + b, then Relu for a hidden layer. Returns the output name. */
export function addDense(s: Site, d: DenseSpec): string {
  const { g, fk } = s;
  const W = g.initializerFloat(`${d.name}/weight`, fk.F, d.wDims, d.W, d.doc ? `${d.doc}: weights [in, out].` : 'Weights [in, out].');
  const b = g.initializerFloat(`${d.name}/bias`, fk.F, d.bDims, d.b, d.doc ? `${d.doc}: bias.` : 'Bias.');
  const y = g.node({ name: `${d.name}/matmul`, opType: 'MatMul', inputs: [d.x, W], outputs: [`${d.name}/linear`] });
  g.valueInfo(y, fk.F, d.outShape);
  if (!d.relu) {
    const out = g.node({ name: `${d.name}/add`, opType: 'Add', inputs: [y, b], outputs: [d.out ?? `${d.name}/output`] });
    if (d.out === undefined) g.valueInfo(out, fk.F, d.outShape);
    return out;
  }
  const pre = g.node({ name: `${d.name}/add`, opType: 'Add', inputs: [y, b], outputs: [`${d.name}/preactivation`] });
  g.valueInfo(pre, fk.F, d.outShape);
  const act = g.node({ name: `${d.name}/relu`, opType: 'Relu', inputs: [pre], outputs: [d.out ?? `${d.name}/activation`] });
  if (d.out === undefined) g.valueInfo(act, fk.F, d.outShape);
  return act;
}

/** The stored constants of a box scaling (see boxScaleConstants), created once per graph. */
export interface BoxScale {
  one: string;
  minusOne: string;
  half: string;
  low: string;
  A: number;
}

export function addBoxScaleConstants(s: Site, low: ArrayLike<number>, high: ArrayLike<number>, where: string): BoxScale {
  const c = boxScaleConstants(low, high, s.fk, where);
  const A = low.length;
  return {
    one: floatScalar(s, 'one', 1),
    minusOne: floatScalar(s, 'minus_one', -1),
    half: s.g.initializerFloat(
      `${s.prefix}/action_half_range`,
      s.fk.F,
      [A],
      c.half,
      '(high - low) / 2 per action entry (rounded so that low + 2 half <= high).',
    ),
    low: s.g.initializerFloat(`${s.prefix}/action_low`, s.fk.F, [A], c.low, 'Action lower bound low.'),
    A,
  };
}

/**
 * a = Clip(Tanh(x), −1, 1) (nodes `${stem}/tanh|clip`): ONNX Runtime's vectorized float32 tanh can
 * return ±(1 + 2⁻²³), which would put a scaled action just outside its bounds; the Clip changes
 * nothing else.
 */
export function addSquash(s: Site, c: BoxScale, stem: string, x: string, shape: Dim[], out?: string): string {
  const { g, fk } = s;
  const t = g.node({ name: `${stem}/tanh`, opType: 'Tanh', inputs: [x], outputs: [`${stem}/tanh_out`] });
  g.valueInfo(t, fk.F, shape);
  const r = g.node({
    name: `${stem}/clip`,
    opType: 'Clip',
    inputs: [t, c.minusOne, c.one],
    outputs: [out ?? `${stem}/squashed`],
    doc: 'clip(tanh(x), -1, 1)',
  });
  g.valueInfo(r, fk.F, shape);
  return r;
}

/** action = low + (a + 1)·half (nodes `${stem}/add_one|mul_half_range|add_low`); `a` of shape `shape` (last dim A). */
export function addBoxScale(s: Site, c: BoxScale, stem: string, a: string, out: string, shape: Dim[], declaredOutput: boolean): string {
  const { g, fk } = s;
  const a1 = g.node({ name: `${stem}/add_one`, opType: 'Add', inputs: [a, c.one], outputs: [`${stem}/a_plus_one`] });
  g.valueInfo(a1, fk.F, shape);
  const t = g.node({ name: `${stem}/mul_half_range`, opType: 'Mul', inputs: [a1, c.half], outputs: [`${stem}/scaled`] });
  g.valueInfo(t, fk.F, shape);
  const r = g.node({ name: `${stem}/add_low`, opType: 'Add', inputs: [t, c.low], outputs: [out], doc: 'low + (a + 1) * (high - low) / 2' });
  if (!declaredOutput) g.valueInfo(r, fk.F, shape);
  return r;
}

/**
 * The ε-greedy index [N] int64 from u [N] F, the greedy index [N] int64, ε and n choices (see the
 * module comment), written to `out`. Nodes `${stem}/…`. ε is stored rounded to F (the metadata
 * records the value as given); for ε = 0, `u` is not read.
 */
export function addEpsilonGreedyIndex(s: Site, stem: string, u: string, greedy: string, epsilon: number, n: number, out: string): string {
  const { g, fk } = s;
  if (epsilon === 0) {
    return g.node({
      name: `${stem}/identity`,
      opType: 'Identity',
      inputs: [greedy],
      outputs: [out],
      doc: 'epsilon = 0: always the greedy index',
    });
  }
  const eps = g.initializerFloat(`${stem}/epsilon`, fk.F, [], [epsilon], 'epsilon: probability of a uniformly random choice.');
  const nC = g.initializerFloat(`${stem}/choices`, fk.F, [], [n], 'Number of choices n.');
  const zero = g.initializerFloat(`${stem}/zero`, fk.F, [], [0]);
  const last = g.initializerFloat(`${stem}/last`, fk.F, [], [n - 1], 'n - 1');
  const explore = g.node({ name: `${stem}/less`, opType: 'Less', inputs: [u, eps], outputs: [`${stem}/explore`], doc: 'u < epsilon' });
  g.valueInfo(explore, ElemType.BOOL, ['N']);
  const ratio = g.node({ name: `${stem}/div`, opType: 'Div', inputs: [u, eps], outputs: [`${stem}/u_over_epsilon`] });
  g.valueInfo(ratio, fk.F, ['N']);
  const scaled = g.node({ name: `${stem}/mul`, opType: 'Mul', inputs: [ratio, nC], outputs: [`${stem}/scaled`] });
  g.valueInfo(scaled, fk.F, ['N']);
  const fl = g.node({ name: `${stem}/floor`, opType: 'Floor', inputs: [scaled], outputs: [`${stem}/floor_value`] });
  g.valueInfo(fl, fk.F, ['N']);
  const cl = g.node({
    name: `${stem}/clip`,
    opType: 'Clip',
    inputs: [fl, zero, last],
    outputs: [`${stem}/clipped`],
    doc: 'min(floor(u / epsilon * n), n - 1), and >= 0 for out-of-range u',
  });
  g.valueInfo(cl, fk.F, ['N']);
  const idx = g.node({
    name: `${stem}/cast`,
    opType: 'Cast',
    inputs: [cl],
    outputs: [`${stem}/random_index`],
    attributes: { to: { kind: 'int', value: ElemType.INT64 } },
  });
  g.valueInfo(idx, ElemType.INT64, ['N']);
  return g.node({
    name: `${stem}/where`,
    opType: 'Where',
    inputs: [explore, idx, greedy],
    outputs: [out],
    doc: 'u < epsilon ? min(floor(u / epsilon * n), n - 1) : greedy index',
  });
}

/** u [N] F drawn in the graph, shaped like `likeN` ([N], any type). */
export function addInGraphUniform(s: Site, likeN: string): string {
  return addInGraphRandom(s, 'RandomUniformLike', 'random_uniform', 'u', likeN, ['N'], { low: 0, high: 1 }, 'u ~ U[0, 1)');
}

/** eps [N, A] F standard normal drawn in the graph, shaped like `likeNA`. */
export function addInGraphNormal(s: Site, likeNA: string, A: number): string {
  return addInGraphRandom(s, 'RandomNormalLike', 'random_normal', 'eps', likeNA, ['N', A], { mean: 0, scale: 1 }, 'eps ~ N(0, I)');
}

/** Node `${prefix}/noise/${node}` (no seed) writing `${prefix}/noise/${out}` of dtype F and shape `shape`, like `like`. */
function addInGraphRandom(
  s: Site,
  opType: string,
  node: string,
  out: string,
  like: string,
  shape: Dim[],
  params: Record<string, number>,
  what: string,
): string {
  const attributes: Record<string, AttributeValue> = { dtype: { kind: 'int', value: s.fk.F } };
  for (const [k, v] of Object.entries(params)) attributes[k] = { kind: 'float', value: v };
  const r = s.g.node({
    name: `${s.prefix}/noise/${node}`,
    opType,
    inputs: [like],
    outputs: [`${s.prefix}/noise/${out}`],
    attributes,
    doc: `${what}, drawn in the graph without a seed: not reproducible across runtimes.`,
  });
  s.g.valueInfo(r, s.fk.F, shape);
  return r;
}

/**
 * Picks row `index[n]` of x [N, C, A] per batch row: GatherND(x, Unsqueeze(index, axes1), batch_dims 1)
 * → [N, A] (`axes1` is an int64 constant [1]). Nodes `${stem}/unsqueeze_index|gather`.
 */
export function addGatherRows(s: Site, stem: string, x: string, index: string, A: number, axes1: string, out?: string): string {
  const { g, fk } = s;
  const iu = g.node({ name: `${stem}/unsqueeze_index`, opType: 'Unsqueeze', inputs: [index, axes1], outputs: [`${stem}/index_column`] });
  g.valueInfo(iu, ElemType.INT64, ['N', 1]);
  const r = g.node({
    name: `${stem}/gather`,
    opType: 'GatherND',
    inputs: [x, iu],
    outputs: [out ?? `${stem}/rows`],
    attributes: { batch_dims: { kind: 'int', value: 1 } },
    doc: 'out[n] = x[n, index[n]]',
  });
  if (out === undefined) g.valueInfo(r, fk.F, ['N', A]);
  return r;
}
