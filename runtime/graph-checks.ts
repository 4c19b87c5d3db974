/**
 * Graph against metadata: a model's gmmrl metadata (already valid on its own, contract/metadata.ts)
 * must describe its ONNX graph — every declared input and output present with the declared dtype
 * and static dims, no undeclared required input, a default-domain opset — and the session ONNX
 * Runtime opened must see the same names. Each mismatch is a ModelFormatError naming both sides.
 */
import { ModelFormatError } from '../contract/errors.js';
import { FAMILY, isModelFamily, type ModelFamily } from '../contract/families.js';
import {
  TENSOR_DTYPE_CODES,
  precisionOf,
  type BoxActionSpaceSpec,
  type DimSpec,
  type GmmrlMetadataV1,
  type TensorSpec,
} from '../contract/metadata.js';
import {
  ONNX_ELEM_TYPE_NAMES,
  type OnnxDim,
  type OnnxGraphContents,
  type OnnxModelSummary,
  type OnnxNode,
  type OnnxValueInfo,
} from './onnx-reader.js';
import type { OrtSessionLike } from './ort.js';

/** The version of the model's default ONNX operator set (domain '' / 'ai.onnx'); ModelFormatError when it imports none. */
export function defaultOpset(s: OnnxModelSummary): number {
  const imp = s.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!imp) {
    throw new ModelFormatError(
      `The ONNX model imports no default-domain operator set (opset_import has ${JSON.stringify(s.opsetImport)}). The file is corrupt.`,
    );
  }
  return imp.version;
}

/** Dims for messages: [N, 4], with ? for an unknown dim and quotes around a symbolic one; "(no shape)" for null. */
export function fmtDims(d: readonly (OnnxDim | DimSpec)[] | null): string {
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
  for (const spec of m.inputs)
    checkValue(
      'input',
      spec,
      g.inputs.find((v) => v.name === spec.name),
      g.inputs,
    );
  for (const spec of m.outputs)
    checkValue(
      'output',
      spec,
      g.outputs.find((v) => v.name === spec.name),
      g.outputs,
    );
  const inits = new Set(g.initializerNames);
  for (const v of g.inputs) {
    if (!inits.has(v.name) && !m.inputs.some((t) => t.name === v.name)) {
      throw new ModelFormatError(
        `Metadata and graph disagree: the graph has an input ${JSON.stringify(v.name)} that gmmrl.metadata inputs does not declare.`,
      );
    }
  }
}

/** ModelFormatError unless the session ONNX Runtime opened has every input and output name the metadata declares. */
export function checkSessionNames(session: OrtSessionLike, m: GmmrlMetadataV1): void {
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
// Metadata against the graph's constants, and the observations the graph can compute
// ----------------------------------------------------------------------------------------------

/** Largest finite float32 and float64. */
const FLOAT32_MAX = 3.4028234663852886e38;
const FLOAT64_MAX = Number.MAX_VALUE;

/**
 * The bound every intermediate value of the graph must stay under for an observation to be
 * computable: a quarter of the precision's largest finite number. The bounds below are computed on
 * exact values; rounding in the graph's own arithmetic (each dot product of n terms errs by a factor
 * of at most 1 + n·u, u = 2⁻²⁴ or 2⁻⁵³) cannot carry a value under this bound past the largest
 * finite number, so no intermediate overflows to ±∞ and no ∞ − ∞ or 0·∞ makes a NaN.
 */
const HEADROOM = 4;

/** |angle| after the acrobot-angles feature map: |atan| ≤ π/2 plus the ±π branch correction, with rounding. */
const ANGLE_BOUND = 5;

/**
 * The smallest magnitude max(|cos θ|, |sin θ|) an acrobot-angles pair may have: atan2 of (0, 0) is
 * undefined (the graph divides sin by cos: 0/0 is NaN), and the float64 graph's refinement step
 * divides by products of the pair's entries, which underflow to 0 for tiny pairs. A real
 * observation has magnitude 1.
 */
export const ANGLE_PAIR_MIN = 2 ** -100;

/** What the runtime derives from the graph for validating observations (PolicyInfo.observationLimit). */
export interface ObservationDomain {
  /** Per raw observation entry: the largest |obs[i]| the graph computes without overflow (a number of the model's precision). */
  limit: readonly number[];
  /** acrobot-angles: the [cos, sin] entry pairs whose magnitude max(|cos|, |sin|) must be ≥ ANGLE_PAIR_MIN. */
  anglePairs: readonly (readonly [number, number])[];
}

/** The (cos, sin) entry pairs of the acrobot-angles feature map ([cos θ1, sin θ1, cos θ2, sin θ2, dθ1, dθ2]); none for other models. */
export function anglePairsOf(m: Pick<GmmrlMetadataV1, 'features'>): [number, number][] {
  return m.features?.kind === 'acrobot-angles'
    ? [
        [0, 1],
        [2, 3],
      ]
    : [];
}

/**
 * A graph gmmrl's exporter wrote is named after its family (GraphBuilder(family)) and prefixes every
 * node and constant with it. Returns the family such a graph was exported as, or null for a graph
 * with another name (hand-built graphs, e.g. the runtime's test fixtures), which is checked on its
 * inputs and outputs only.
 */
function exportedFamily(c: OnnxGraphContents): ModelFamily | null {
  return isModelFamily(c.name) ? c.name : null;
}

function fmtNum(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

function fmtList(v: ArrayLike<number>): string {
  const a = Array.from(v, fmtNum);
  return `[${a.length > 8 ? [...a.slice(0, 8), `… (${a.length} entries)`].join(', ') : a.join(', ')}]`;
}

/** Reads the exporter's named graph elements and reports each disagreement with the metadata. */
class ExportedGraph {
  readonly P: string;
  readonly round: (x: number) => number;
  readonly F: number;
  constructor(
    readonly c: OnnxGraphContents,
    readonly m: GmmrlMetadataV1,
  ) {
    this.P = m.family;
    const f64 = precisionOf(m) === 'float64';
    this.round = f64 ? (x) => x : Math.fround;
    this.F = TENSOR_DTYPE_CODES[precisionOf(m)];
  }

  /** ModelFormatError: the metadata `field` says `meta`, the graph element `where` holds `graph`. */
  disagree(field: string, meta: string, where: string, graph: string): never {
    throw new ModelFormatError(
      `Metadata and graph disagree on ${field}: gmmrl.metadata says ${meta}; the graph has ${graph} (${where}). ` +
        `The file was edited or corrupted after export; re-export the model from its checkpoint.`,
    );
  }

  missing(name: string, what: string): never {
    throw new ModelFormatError(
      `The graph is named ${JSON.stringify(this.c.name)} (a gmmrl ${this.P} export) but lacks ${JSON.stringify(name)} (${what}), ` +
        `which the ${this.P} exporter always writes; the file was edited or corrupted after export.`,
    );
  }

  has(name: string): boolean {
    return this.c.constants.has(name);
  }

  node(name: string): OnnxNode | undefined {
    return this.c.nodes.find((n) => n.name === name);
  }

  /** The constant `name` (required), with its element type checked against `dataType` (default: the model's float type). */
  constant(name: string, what: string, dataType = this.F): { dims: number[]; values: Float64Array } {
    const k = this.c.constants.get(name);
    if (!k) this.missing(name, what);
    if (k.dataType !== dataType || k.values === null) {
      const want = ONNX_ELEM_TYPE_NAMES[dataType] ?? String(dataType);
      const got = ONNX_ELEM_TYPE_NAMES[k.dataType] ?? `elem_type ${k.dataType}`;
      throw new ModelFormatError(
        `The graph's constant ${JSON.stringify(name)} (${what}) is ${got}${k.values === null ? ' (stored outside the file)' : ''}; ` +
          `the model's metadata needs ${want}. The file was edited or corrupted after export.`,
      );
    }
    return { dims: k.dims, values: k.values };
  }

  /** The constant `name` with dims `dims` (null entries: any size); returns it. */
  shaped(name: string, what: string, dims: (number | null)[], dataType = this.F): { dims: number[]; values: Float64Array } {
    const k = this.constant(name, what, dataType);
    if (k.dims.length !== dims.length || dims.some((d, i) => d !== null && d !== k.dims[i])) {
      throw new ModelFormatError(
        `The graph's constant ${JSON.stringify(name)} (${what}) has dims [${k.dims.join(', ')}], expected [${dims.map((d) => (d === null ? '?' : d)).join(', ')}]. ` +
          `The file was edited or corrupted after export.`,
      );
    }
    return k;
  }

  /** Metadata numbers `meta` (rounded to the model's precision when `rounded`) equal the constant's values exactly. */
  sameValues(field: string, meta: ArrayLike<number>, name: string, graph: Float64Array, rounded: boolean): void {
    if (meta.length !== graph.length) {
      this.disagree(
        `the length of ${field}`,
        `${meta.length} entries ${fmtList(meta)}`,
        `constant ${JSON.stringify(name)}`,
        `${graph.length} ${fmtList(graph)}`,
      );
    }
    for (let i = 0; i < meta.length; i++) {
      const want = rounded ? this.round(meta[i]!) : meta[i]!;
      if (graph[i] !== want) {
        const r = rounded && want !== meta[i] ? ` (${fmtNum(want)} in ${precisionOf(this.m)})` : '';
        this.disagree(`${field}[${i}]`, `${fmtNum(meta[i]!)}${r}`, `constant ${JSON.stringify(name)}[${i}]`, fmtNum(graph[i]!));
      }
    }
  }

  /** An integer the metadata states (`field` = `meta`) against the graph's `graph` read from `where`. */
  sameInt(field: string, meta: number, where: string, graph: number): void {
    if (meta !== graph) this.disagree(field, String(meta), where, String(graph));
  }

  /**
   * The dense layers `${stem}{l}/weight` (+ bias) for l = from, from + 1, … while they exist (at
   * least one): their [in, out] dims (a `lead` dim first, e.g. C, when given).
   */
  layers(stem: string, what: string, lead: number | null, from = 0): Dense[] {
    const out: Dense[] = [];
    for (let l = from; this.has(`${stem}${l}/weight`); l++) {
      const w = this.constant(`${stem}${l}/weight`, `${what} layer ${l} weights`);
      const rank = lead === null ? 2 : 3;
      if (w.dims.length !== rank || (lead !== null && w.dims[0] !== lead)) {
        this.shaped(`${stem}${l}/weight`, `${what} layer ${l} weights`, lead === null ? [null, null] : [lead, null, null]);
      }
      const nin = w.dims[rank - 2]!;
      const nout = w.dims[rank - 1]!;
      const b = this.shaped(`${stem}${l}/bias`, `${what} layer ${l} bias`, lead === null ? [nout] : [lead, 1, nout]);
      const prev = out.at(-1);
      if (prev && prev.nout !== nin) {
        throw new ModelFormatError(
          `The graph's ${what} layer ${l} takes ${nin} inputs but layer ${l - 1} has ${prev.nout} outputs; the file was edited or corrupted after export.`,
        );
      }
      out.push({ W: w.values, b: b.values, nin, nout });
    }
    if (out.length === 0) this.missing(`${stem}${from}/weight`, `${what} layer ${from} weights`);
    return out;
  }

  /** network.activation against the graph's hidden-layer nodes `${stem}{l}/relu` (l < hidden). */
  activation(stem: string, hidden: number, field: string): void {
    if (hidden === 0) return; // a network without hidden layers applies no activation: nothing in the graph to compare
    for (let l = 0; l < hidden; l++) {
      const n = this.node(`${stem}${l}/relu`);
      if (!n || n.opType !== 'Relu') this.missing(`${stem}${l}/relu`, "a hidden layer's Relu node");
    }
    const a = this.m.network?.activation;
    if (a !== undefined && a !== 'relu')
      this.disagree(field, JSON.stringify(a), `hidden layers (nodes ${stem}0/relu …)`, '"relu" (Relu nodes)');
  }

  /** network.layers (or critic_layers) against the sizes read from the graph. */
  networkLayers(field: 'layers' | 'critic_layers', graph: number[], where: string): void {
    const meta = this.m.network?.[field];
    if (meta === undefined) return;
    if (meta.length !== graph.length || meta.some((d, i) => d !== graph[i])) {
      this.disagree(`network.${field}`, JSON.stringify(meta), where, JSON.stringify(graph));
    }
  }

  /** parameter_count against the parameters the graph's layers hold. */
  parameterCount(graph: number, where: string): void {
    const pc = this.m.parameter_count;
    if (pc !== undefined && pc !== graph) this.disagree('parameter_count', String(pc), where, String(graph));
  }

  /** The declared outputs are exactly the graph's: an exporter graph has no output its metadata leaves out (e.g. a sampling head the metadata does not declare). */
  outputs(): void {
    const declared = this.m.outputs.map((t) => t.name);
    const extra = this.c.outputs.filter((o) => !declared.includes(o));
    if (extra.length > 0) {
      this.disagree(
        'outputs',
        JSON.stringify(declared),
        'outputs',
        `${JSON.stringify(this.c.outputs)} (also ${extra.map((o) => JSON.stringify(o)).join(', ')})`,
      );
    }
  }

  /** normalization.offset/scale against `${P}/obs_offset` and `${P}/obs_scale`; returns them. */
  normalization(): { offset: Float64Array; scale: Float64Array } {
    const off = this.constant(`${this.P}/obs_offset`, 'normalization offset');
    const sc = this.constant(`${this.P}/obs_scale`, 'normalization scale');
    this.sameValues('normalization.offset', this.m.normalization.offset, `${this.P}/obs_offset`, off.values, false);
    this.sameValues('normalization.scale', this.m.normalization.scale, `${this.P}/obs_scale`, sc.values, false);
    return { offset: off.values, scale: sc.values };
  }

  /**
   * The ε-greedy head `${P}/sample/epsilon_greedy/…` over `n` choices: ε (stored rounded to F; an
   * Identity node for ε = 0), the number of choices and n − 1.
   */
  epsilonGreedy(n: number, nField: string): void {
    const s = this.m.sampling;
    if (s === undefined) return;
    const stem = `${this.P}/sample/epsilon_greedy`;
    const eps = s.epsilon!;
    if (this.has(`${stem}/epsilon`)) {
      const e = this.shaped(`${stem}/epsilon`, 'sampling epsilon', []).values[0]!;
      if (this.round(eps) !== e) {
        this.disagree(
          'sampling.epsilon',
          `${eps}${this.round(eps) !== eps ? ` (${this.round(eps)} in ${precisionOf(this.m)})` : ''}`,
          `constant ${JSON.stringify(`${stem}/epsilon`)}`,
          String(e),
        );
      }
      const choices = this.shaped(`${stem}/choices`, 'number of choices', []).values[0]!;
      this.sameInt(nField, n, `constant ${JSON.stringify(`${stem}/choices`)} (the epsilon-greedy head's number of choices)`, choices);
      const last = this.shaped(`${stem}/last`, 'last choice', []).values[0]!;
      this.sameInt(`${nField} − 1`, n - 1, `constant ${JSON.stringify(`${stem}/last`)}`, last);
    } else if (this.node(`${stem}/identity`)?.opType === 'Identity') {
      if (eps !== 0)
        this.disagree(
          'sampling.epsilon',
          String(eps),
          `node ${JSON.stringify(`${stem}/identity`)} (the head of epsilon = 0)`,
          'epsilon = 0',
        );
    } else {
      this.missing(`${stem}/epsilon`, 'the epsilon-greedy head');
    }
  }

  /** A grid's values and shape against `${P}/action/grid` and `${P}/action/shape`; a discrete space has neither. */
  actionGrid(): void {
    const as = this.m.action_space;
    const gridName = `${this.P}/action/grid`;
    if (as.kind !== 'grid') {
      if (this.has(gridName)) {
        this.disagree('action_space.kind', JSON.stringify(as.kind), `constant ${JSON.stringify(gridName)}`, 'an action grid');
      }
      return;
    }
    const size = as.shape.reduce((a, b) => a * b, 1);
    const g = this.shaped(gridName, 'action grid', [as.n, size]);
    this.sameValues('action_space.values (row-major)', as.values.flat(), gridName, g.values, false);
    const shape = this.shaped(`${this.P}/action/shape`, 'grid action shape', [1 + as.shape.length], TENSOR_DTYPE_CODES.int64).values;
    this.sameValues('action_space.shape (as the reshape target [-1, ...shape])', [-1, ...as.shape], `${this.P}/action/shape`, shape, false);
  }

  /** An actor's box against `${P}/action_low` and `${P}/action_half_range`, recomputed from the metadata bounds exactly as the exporter stores them. */
  actionBox(): void {
    const as = this.m.action_space as BoxActionSpaceSpec;
    const want = storedBoxConstants(as.low, as.high, this.round, precisionOf(this.m) === 'float64');
    const low = this.shaped(`${this.P}/action_low`, 'action lower bound', [as.n]).values;
    const half = this.shaped(`${this.P}/action_half_range`, 'action half range', [as.n]).values;
    for (let d = 0; d < as.n; d++) {
      if (want.low[d] !== low[d] || want.half[d] !== half[d]) {
        this.disagree(
          `action_space.low/high[${d}]`,
          `[${as.low[d]}, ${as.high[d]}] (stored as low ${want.low[d]}, half range ${want.half[d]})`,
          `constants ${JSON.stringify(`${this.P}/action_low`)}[${d}] and ${JSON.stringify(`${this.P}/action_half_range`)}[${d}]`,
          `low ${low[d]}, half range ${half[d]}, i.e. the box [${low[d]}, ${low[d]! + 2 * half[d]!}]`,
        );
      }
    }
  }
}

/** The next number of the precision after x towards +∞ (dir 1) or −∞ (dir −1); x finite. */
function nextFloat(x: number, dir: 1 | -1, f64: boolean): number {
  if (x === 0) return dir * (f64 ? Number.MIN_VALUE : 2 ** -149);
  if (!f64) {
    const b = new Float32Array([x]);
    const i = new Int32Array(b.buffer);
    i[0]! += x > 0 === dir > 0 ? 1 : -1;
    return b[0]!;
  }
  const b = new Float64Array([x]);
  const i = new BigInt64Array(b.buffer);
  i[0]! += x > 0 === dir > 0 ? 1n : -1n;
  return b[0]!;
}

/**
 * The box scaling constants the actor exporters store for [low, high] (exporters/onnx/subgraphs.ts
 * boxScaleConstants, the same steps): low rounded to F and raised one ulp if rounding went below low;
 * half = (high − low)/2 rounded to F, lowered ulp by ulp until fl(low + 2·half) ≤ high. A
 * deterministic function of the bounds, so the check is exact equality.
 */
function storedBoxConstants(
  lowIn: readonly number[],
  highIn: readonly number[],
  r: (x: number) => number,
  f64: boolean,
): { low: number[]; half: number[] } {
  const low: number[] = [];
  const half: number[] = [];
  for (let d = 0; d < lowIn.length; d++) {
    let l = r(lowIn[d]!);
    if (l < lowIn[d]!) l = nextFloat(l, 1, f64);
    let h = r(0.5 * (highIn[d]! - lowIn[d]!));
    while (h > 0 && r(l + r(2 * h)) > highIn[d]!) h = nextFloat(h, -1, f64);
    low.push(l);
    half.push(h);
  }
  return { low, half };
}

/** A dense layer's stored weights [in, out] (or [lead, in, out]) and bias. */
interface Dense {
  W: Float64Array;
  b: Float64Array;
  nin: number;
  nout: number;
}

/** Affine bounds a·t + c (a, c ≥ 0) on the magnitudes of a vector of values, t the bound on every |z_j| of the normalized input. */
interface Bound {
  a: Float64Array;
  c: Float64Array;
}

/** Collects the constraints a·t + c ≤ B and solves for the largest t. */
class Limits {
  t = Infinity;
  constructor(
    readonly B: number,
    readonly where: string,
  ) {}

  /** Every entry of `x` (the values `what`) must stay under B. */
  require(x: Bound, what: string): void {
    for (let i = 0; i < x.a.length; i++) {
      const a = x.a[i]!;
      const c = x.c[i]!;
      if (!(c < this.B)) {
        throw new ModelFormatError(
          `The graph's constants make ${what} (entry ${i}) reach ${c} for every observation, beyond what ${this.where} can hold without overflow; ` +
            'the model cannot compute any observation. Re-export it from a checkpoint with finite, moderate parameters.',
        );
      }
      if (a > 0) this.t = Math.min(this.t, (this.B - c) / a);
    }
  }
}

/** y = x·W + b for W [nin, nout] row-major starting at `wOff` (bias from `bOff`): the bound of y (and of Relu(y)). */
function denseBound(x: Bound, W: Float64Array, b: Float64Array, nin: number, nout: number, wOff = 0, bOff = 0): Bound {
  const a = new Float64Array(nout);
  const c = new Float64Array(nout);
  for (let o = 0; o < nout; o++) {
    let sa = 0;
    let sc = Math.abs(b[bOff + o]!);
    for (let i = 0; i < nin; i++) {
      const w = Math.abs(W[wOff + i * nout + o]!);
      sa += w * x.a[i]!;
      sc += w * x.c[i]!;
    }
    a[o] = sa;
    c[o] = sc;
  }
  return { a, c };
}

/** An MLP's layers from input bound `x`: every layer's output is required under B; returns the last. */
function mlpBound(lim: Limits, x: Bound, layers: Dense[], what: string, lead?: number): Bound {
  let h = x;
  layers.forEach((L, l) => {
    const wOff = lead === undefined ? 0 : lead * L.nin * L.nout;
    const bOff = lead === undefined ? 0 : lead * L.nout;
    h = denseBound(h, L.W, L.b, L.nin, L.nout, wOff, bOff);
    lim.require(h, `${what} layer ${l}`);
  });
  return h;
}

/**
 * Cross-checks every metadata field the graph also holds (the table in runtime/README.md, "Metadata
 * against the graph") and derives the observations the graph can compute. For a graph gmmrl's
 * exporter wrote (named after its family): a graph named after another family is refused, every
 * named constant the metadata describes must be present with the metadata's value (ModelFormatError
 * naming the field, the metadata's value and the graph's), and the limit on each observation entry
 * comes from the graph's constants. A graph with another name (hand-built) gets the precision's
 * range as its limit and no cross-check beyond its inputs and outputs.
 */
export function checkGraphValues(contents: OnnxGraphContents, m: GmmrlMetadataV1): ObservationDomain {
  const f64 = precisionOf(m) === 'float64';
  const FMAX = f64 ? FLOAT64_MAX : FLOAT32_MAX;
  const D = m.observation_space.shape.reduce((a, b) => a * b, 1);
  const anglePairs = anglePairsOf(m);
  const family = exportedFamily(contents);
  if (family === null) return { limit: new Array<number>(D).fill(FMAX), anglePairs };
  if (family !== m.family) {
    throw new ModelFormatError(
      `Metadata and graph disagree on the family: gmmrl.metadata says ${JSON.stringify(m.family)}, but the graph is named ${JSON.stringify(family)}: ` +
        `a ${family} export (its constants are ${JSON.stringify(`${family}/…`)}). The file was relabelled or corrupted; re-export the model.`,
    );
  }
  const g = new ExportedGraph(contents, m);
  g.outputs();
  const { offset, scale } = g.normalization();
  const Fn = offset.length;
  const lim = new Limits(FMAX / HEADROOM, precisionOf(m));

  // the normalized input z: |z_j| ≤ t for the entries the observation sets, a fixed bound for the angle features
  const z: Bound = { a: new Float64Array(Fn).fill(1), c: new Float64Array(Fn) };
  const featureConsts =
    contents.nodes.some((n) => n.name.startsWith(`${g.P}/features/`)) ||
    [...contents.constants.keys()].some((k) => k.startsWith(`${g.P}/features/`));
  if (m.features?.kind === 'acrobot-angles') {
    const cols = (name: string, want: number[]): void =>
      g.sameValues(
        `features.kind "acrobot-angles" (${name})`,
        want,
        `${g.P}/features/const/${name}`,
        g.shaped(`${g.P}/features/const/${name}`, 'feature map columns', [2], TENSOR_DTYPE_CODES.int64).values,
        false,
      );
    cols('cos_columns', [0, 2]);
    cols('sin_columns', [1, 3]);
    cols('velocity_columns', [4, 5]);
    for (const j of [0, 1]) {
      z.a[j] = 0;
      z.c[j] = ((ANGLE_BOUND + Math.abs(offset[j]!)) / scale[j]!) * (1 + 2 ** -20);
    }
  } else if (featureConsts) {
    g.disagree(
      'features',
      m.features === undefined ? 'none (identity)' : JSON.stringify(m.features.kind),
      `nodes and constants "${g.P}/features/…"`,
      'the acrobot-angles feature map',
    );
  }
  lim.require(z, 'the normalized observation');

  const as = m.action_space;
  const A = as.n;
  if (m.family === FAMILY.gmmqf || m.family === FAMILY.dqn) g.actionGrid();
  else g.actionBox();

  if (m.family === FAMILY.gmmqf) {
    const means = g.shaped(`${g.P}/means`, 'component means', [null, 1, Fn]);
    const K = means.dims[0]!;
    g.sameInt('components', m.components!, `constant ${JSON.stringify(`${g.P}/means`)} (dims [K, 1, D])`, K);
    const Wt = g.shaped(`${g.P}/precision_factors_t`, 'precision factors', [K, Fn, Fn]).values;
    const xi = g.shaped(`${g.P}/weights`, 'component weights', [K, A]).values;
    g.epsilonGreedy(A, 'action_space.n');
    const sp = m.sparsity;
    if (sp !== undefined) {
      g.sameInt(
        'sparsity.components_trained − sparsity.components_pruned',
        sp.components_trained - sp.components_pruned,
        `constant ${JSON.stringify(`${g.P}/means`)} (the exported components K)`,
        K,
      );
    }
    // diff = z − m_k, y = diff·W_kᵀ: every entry under B (y² may overflow: exp(−∞) = 0, no NaN); q = Σ_k g_k ξ_ka with g_k ∈ [0, 1]
    for (let k = 0; k < K; k++) {
      const diff: Bound = { a: z.a, c: z.c.map((c, r) => c + Math.abs(means.values[k * Fn + r]!)) };
      lim.require(diff, `the centred input of component ${k}`);
      lim.require(denseBound(diff, Wt, new Float64Array(Fn), Fn, Fn, k * Fn * Fn), `the whitened input of component ${k}`);
    }
    const q: Bound = { a: new Float64Array(A), c: new Float64Array(A) };
    for (let a = 0; a < A; a++) for (let k = 0; k < K; k++) q.c[a]! += Math.abs(xi[k * A + a]!);
    lim.require(q, 'q');
  } else if (m.family === FAMILY.dqn) {
    const layers = g.layers(`${g.P}/layer`, 'Q-network', null);
    const sizes = [layers[0]!.nin, ...layers.map((l) => l.nout)];
    g.networkLayers('layers', sizes, `layers "${g.P}/layer{l}/weight" (dims [in, out])`);
    g.sameInt('action_space.n', A, `last layer "${g.P}/layer${layers.length - 1}/weight" (outputs)`, sizes.at(-1)!);
    g.sameInt('normalization size', Fn, `first layer "${g.P}/layer0/weight" (inputs)`, sizes[0]!);
    g.activation(`${g.P}/layer`, layers.length - 1, 'network.activation');
    g.parameterCount(
      layers.reduce((s, l) => s + l.nin * l.nout + l.nout, 0),
      `layers "${g.P}/layer{l}/weight|bias"`,
    );
    g.epsilonGreedy(A, 'action_space.n');
    mlpBound(lim, z, layers, 'Q-network');
  } else if (m.family === FAMILY.mixtureActor) {
    const hidden = g.has(`${g.P}/trunk/layer0/weight`) ? g.layers(`${g.P}/trunk/layer`, 'trunk', null) : [];
    const H = hidden.length > 0 ? hidden.at(-1)!.nout : Fn;
    const block = (name: string, what: string): Dense | null => {
      if (!g.has(`${g.P}/head/${name}/weight`)) return null;
      const W = g.shaped(`${g.P}/head/${name}/weight`, what, [H, null]);
      const b = g.shaped(`${g.P}/head/${name}/bias`, `${what} bias`, [W.dims[1]!]);
      return { W: W.values, b: b.values, nin: H, nout: W.dims[1]! };
    };
    const logits = block('logits', 'mixture logits block');
    const mu = block('means', 'component means block') ?? g.missing(`${g.P}/head/means/weight`, 'component means block');
    const rho = block('log_std_raw', 'raw log-std block') ?? g.missing(`${g.P}/head/log_std_raw/weight`, 'raw log-std block');
    const shape = g.shaped(`${g.P}/const/shape_n_k_a`, 'means reshape target [-1, K, A]', [3], TENSOR_DTYPE_CODES.int64).values;
    const K = shape[1]!;
    g.sameInt('components', m.components!, `constant ${JSON.stringify(`${g.P}/const/shape_n_k_a`)} ([-1, K, A])`, K);
    g.sameInt('action_space.n', A, `constant ${JSON.stringify(`${g.P}/const/shape_n_k_a`)} ([-1, K, A])`, shape[2]!);
    g.sameInt(
      'components',
      m.components!,
      `constant ${JSON.stringify(`${g.P}/const/k_scalar`)}`,
      g.shaped(`${g.P}/const/k_scalar`, 'K', [], TENSOR_DTYPE_CODES.int64).values[0]!,
    );
    if (logits) g.sameInt('components', m.components!, `block "${g.P}/head/logits/weight" (columns)`, logits.nout);
    g.sameInt('components × action_space.n', K * A, `block "${g.P}/head/means/weight" (columns)`, mu.nout);
    g.sameInt('components × action_space.n', K * A, `block "${g.P}/head/log_std_raw/weight" (columns)`, rho.nout);
    const sizes = [Fn, ...hidden.map((l) => l.nout), (logits?.nout ?? 0) + mu.nout + rho.nout];
    g.networkLayers('layers', sizes, `trunk layers and head blocks "${g.P}/trunk/layer{l}/weight", "${g.P}/head/*/weight"`);
    g.activation(`${g.P}/trunk/layer`, hidden.length, 'network.activation');
    let count = hidden.reduce((s, l) => s + l.nin * l.nout + l.nout, 0);
    for (const b of [logits, mu, rho]) if (b) count += b.nin * b.nout + b.nout;
    g.parameterCount(count, 'the trunk layers and head blocks');
    const h = mlpBound(lim, z, hidden, 'trunk');
    for (const [b, what] of [
      [logits, 'the mixture logits'],
      [mu, 'the component means'],
      [rho, 'the raw log-std'],
    ] as const) {
      if (b) lim.require(denseBound(h, b.W, b.b, b.nin, b.nout), what);
    }
  } else {
    const shape = g.shaped(`${g.P}/const/shape_n_c`, 'q reshape target [-1, C]', [2], TENSOR_DTYPE_CODES.int64).values;
    const C = shape[1]!;
    g.sameInt('components', m.components!, `constant ${JSON.stringify(`${g.P}/const/shape_n_c`)} ([-1, C])`, C);
    const actors = g.layers(`${g.P}/actors/layer`, 'actor networks', C);
    const sizes = [actors[0]!.nin, ...actors.map((l) => l.nout)];
    g.sameInt('action_space.n', A, `last actor layer "${g.P}/actors/layer${actors.length - 1}/weight" (outputs)`, sizes.at(-1)!);
    g.networkLayers('layers', sizes, `actor layers "${g.P}/actors/layer{l}/weight" (dims [C, in, out])`);
    g.activation(`${g.P}/actors/layer`, actors.length - 1, 'network.activation');
    const wz = g.shaped(`${g.P}/critic/layer0/weight_z`, 'critic layer 0 weights (observation rows)', [Fn, null]);
    const H0 = wz.dims[1]!;
    const wmu = g.shaped(`${g.P}/critic/layer0/weight_mu`, 'critic layer 0 weights (action rows)', [A, H0]).values;
    const b0 = g.shaped(`${g.P}/critic/layer0/bias`, 'critic layer 0 bias', [H0]).values;
    // the exporter splits critic layer 0 by rows (weight_z, weight_mu); layers 1, 2, … are plain dense layers
    const rest = g.has(`${g.P}/critic/layer1/weight`) ? g.layers(`${g.P}/critic/layer`, 'critic', null, 1) : [];
    if (rest.length > 0 && rest[0]!.nin !== H0) g.shaped(`${g.P}/critic/layer1/weight`, 'critic layer 1 weights', [H0, null]);
    const criticSizes = [Fn + A, H0, ...rest.map((l) => l.nout)];
    g.networkLayers(
      'critic_layers',
      criticSizes,
      `critic layers "${g.P}/critic/layer0/weight_z|weight_mu", "${g.P}/critic/layer{l}/weight"`,
    );
    if (rest.length > 0) {
      const n = g.node(`${g.P}/critic/layer0/relu`);
      if (!n || n.opType !== 'Relu') g.missing(`${g.P}/critic/layer0/relu`, "the critic's hidden-layer Relu node");
      for (let l = 1; l < rest.length; l++) {
        const r = g.node(`${g.P}/critic/layer${l}/relu`);
        if (!r || r.opType !== 'Relu') g.missing(`${g.P}/critic/layer${l}/relu`, "the critic's hidden-layer Relu node");
      }
    }
    const actorCount = actors.reduce((s, l) => s + l.nin * l.nout + l.nout, 0);
    const criticCount = (Fn + A) * H0 + H0 + rest.reduce((s, l) => s + l.nin * l.nout + l.nout, 0);
    g.parameterCount(C * actorCount + criticCount, 'the actor and critic layers');
    g.epsilonGreedy(C, 'components');
    const sigma = g.shaped(`${g.P}/const/exploration_std`, 'exploration_std', []).values[0]!;
    const es = m.sampling!.exploration_std!;
    if (g.round(es) !== sigma) {
      g.disagree(
        'sampling.exploration_std',
        `${es}${g.round(es) !== es ? ` (${g.round(es)} in ${precisionOf(m)})` : ''}`,
        `constant ${JSON.stringify(`${g.P}/const/exploration_std`)}`,
        String(sigma),
      );
    }
    for (let i = 0; i < C; i++) mlpBound(lim, z, actors, `actor ${i}`, i);
    // critic layer 0 on [z, μ_i] with |μ_i| ≤ 1 (tanh, clipped): z·W_z + μ·W_μ + b₀
    const zPart = denseBound(z, wz.values, b0, Fn, H0);
    const muPart = denseBound({ a: new Float64Array(A), c: new Float64Array(A).fill(1) }, wmu, new Float64Array(H0), A, H0);
    const h0: Bound = { a: zPart.a, c: zPart.c.map((c, o) => c + muPart.c[o]!) };
    lim.require(h0, 'critic layer 0');
    mlpBound(lim, h0, rest, 'critic');
  }

  // the raw observation entries: identity features z_j = (obs_j − offset_j)/scale_j; acrobot-angles: obs 4, 5 are the features 2, 3
  const t = lim.t;
  const limit = new Array<number>(D);
  const feature = (i: number): number => (anglePairs.length > 0 ? (i >= 4 ? i - 2 : -1) : i);
  for (let i = 0; i < D; i++) {
    const j = feature(i);
    let L: number;
    if (j < 0) {
      L = FMAX / HEADROOM; // a cos/sin entry: any magnitude the float64 refinement's products can hold
    } else {
      L = Math.min(t * scale[j]! * (1 - 2 ** -20), FMAX) - Math.abs(offset[j]!);
      if (!(L > 0)) {
        throw new ModelFormatError(
          `The graph's constants leave no computable value for observation entry ${i}: |offset| = ${Math.abs(offset[j]!)} exceeds the largest ` +
            `input the graph's layers compute without overflow (${t * scale[j]!}). Re-export the model from a checkpoint with moderate parameters.`,
        );
      }
    }
    let r = g.round(L);
    if (r > L) r = nextFloat(r, -1, f64);
    limit[i] = r;
  }
  return { limit, anglePairs };
}
