/**
 * Cuts the noise-free part out of an ONNX model, so that greedy inference can run a second, smaller
 * ONNX Runtime session that does not pay for the sampling head (ONNX Runtime executes every node of
 * a graph whatever outputs are fetched). Dependency-free, like onnx-reader.ts, whose Cursor it uses.
 *
 *   1. taint, forward: the noise inputs and the outputs of every random op (RandomUniform(Like),
 *      RandomNormal(Like), Multinomial, Bernoulli; any domain) are tainted; a node reading a tainted
 *      value is tainted, and so are all its outputs
 *   2. kept outputs: the graph outputs that are not tainted, in file order
 *   3. needed, backward: the nodes that (transitively) produce a kept output, in file order, and the
 *      initializers (sparse ones too), graph inputs and value_info those nodes read or produce
 *
 * Fields read (onnx.proto numbers): ModelProto graph (7), functions (25); GraphProto node (1),
 * initializer (5) → TensorProto.name (8), input (11), output (12), value_info (13),
 * sparse_initializer (15) → values (1) → name (8); ValueInfoProto name (1); NodeProto input (1),
 * output (2), op_type (4), attribute (5) → g (6), graphs (11).
 *
 * The result is the input with only the graph field's payload and length prefix changed: every other
 * ModelProto field (ir_version, opset_import, metadata_props, …) stays byte for byte in its place,
 * and every kept GraphProto field (kept nodes, initializers, inputs, outputs, value_info, and all
 * fields not listed above: name, doc_string, …) is copied verbatim, tag to end, in file order.
 *
 * `withoutInputDefaults` is the other rewrite loadPolicy makes: it drops the defaults (initializers of
 * the same name) of the noise inputs, so that ONNX Runtime's JavaScript bindings take them as feeds.
 *
 * Pruning is declined (null) where the dependency analysis would be unsafe: a node with a
 * graph-valued attribute (If/Loop/Scan bodies may read outer-scope values), model-local functions
 * (a call could hide a random op), a graph field that occurs twice (protobuf would merge them). Total
 * like the reader: malformed input throws ModelFormatError naming the byte offset, and the analysis
 * is linear in the graph size (worklists, no fixed-point iteration), so it cannot hang.
 */
import { ModelFormatError } from '../contract/errors.js';
import { Cursor, HINT, WIRE_LEN } from './onnx-reader.js';

export interface NoiseFreeModel {
  /** The pruned ModelProto bytes (a fresh Uint8Array). */
  bytes: Uint8Array;
  /** Graph outputs kept, in file order. */
  outputs: string[];
  /** Graph outputs removed because they depend on a noise input or a random op, in file order. */
  removedOutputs: string[];
  /** Graph inputs removed (noise inputs, or inputs no kept node reads), in file order. */
  removedInputs: string[];
  /** Nodes in the pruned graph. */
  nodesKept: number;
  /** Nodes left out (nodes of the full graph minus nodesKept). */
  nodesRemoved: number;
}

/** op_types whose outputs are random (taint sources besides the noise inputs), in any domain. */
export const RANDOM_OPS: ReadonlySet<string> = new Set([
  'RandomUniform',
  'RandomUniformLike',
  'RandomNormal',
  'RandomNormalLike',
  'Multinomial',
  'Bernoulli',
]);

interface GraphNode {
  inputs: string[];
  outputs: string[];
  random: boolean;
  /** Has an attribute with a graph (If/Loop/Scan body). */
  subgraph: boolean;
}

/** One GraphProto field: its bytes [tag, end) and what it is. */
interface Entry {
  start: number;
  end: number;
  kind: 'node' | 'const' | 'input' | 'output' | 'info' | 'other';
  /** Value name (const, input, output, info); '' otherwise. */
  name: string;
  /** Index into the node list (kind 'node'). */
  node: number;
}

/**
 * Returns null when pruning is impossible or pointless: nothing to remove (no output depends on noise
 * / random ops and no node would be dropped), every output would be removed, or the graph has a node
 * with a graph-valued attribute (If/Loop/Scan bodies: AttributeProto field 6 `g` or 11 `graphs`) —
 * outer-scope references make the dependency analysis unsafe, so we do not prune those. Also null
 * for a model without a graph, with model-local functions (ModelProto field 25), or with the graph
 * field repeated. Throws ModelFormatError on malformed bytes.
 */
export function noiseFreeModel(bytes: Uint8Array, noiseInputs: readonly string[]): NoiseFreeModel | null {
  if (!(bytes instanceof Uint8Array)) {
    throw new ModelFormatError(`Cannot prune ONNX model: expected a Uint8Array, got ${Object.prototype.toString.call(bytes)}.`);
  }
  if (bytes.length === 0) throw new ModelFormatError(`Cannot prune ONNX model: the data is empty (0 bytes). ${HINT}`);
  const located = locateGraph(bytes);
  if (located === null || located.functions) return null;
  const graph = located;

  const { entries, nodes } = readGraph(new Cursor(bytes, graph.start, graph.end, 'ModelProto.graph'));
  if (nodes.some((n) => n.subgraph)) return null;

  // 1. forward taint: a worklist over value → consumer nodes (linear, and order-independent)
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const v of n.inputs) if (v !== '') (consumers.get(v) ?? consumers.set(v, []).get(v)!).push(i);
  });
  const tainted = new Set<string>();
  const nodeTainted = new Uint8Array(nodes.length);
  const stack: number[] = [];
  const taintNode = (i: number): void => {
    if (nodeTainted[i]) return;
    nodeTainted[i] = 1;
    stack.push(i);
  };
  const taintValue = (v: string): void => {
    if (v === '' || tainted.has(v)) return;
    tainted.add(v);
    for (const i of consumers.get(v) ?? []) taintNode(i);
  };
  for (const v of noiseInputs) taintValue(v);
  nodes.forEach((n, i) => {
    if (n.random) taintNode(i);
  });
  while (stack.length > 0) for (const v of nodes[stack.pop()!]!.outputs) taintValue(v);

  // 2. outputs
  const outputs: string[] = [];
  const removedOutputs: string[] = [];
  for (const e of entries) if (e.kind === 'output') (tainted.has(e.name) ? removedOutputs : outputs).push(e.name);
  if (outputs.length === 0) return null;

  // 3. backward: values needed by the kept outputs, and the nodes producing them
  const producers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const v of n.outputs) if (v !== '') (producers.get(v) ?? producers.set(v, []).get(v)!).push(i);
  });
  const needed = new Set<string>(outputs);
  const work = [...outputs];
  const keep = new Uint8Array(nodes.length);
  while (work.length > 0) {
    for (const i of producers.get(work.pop()!) ?? []) {
      if (keep[i]) continue;
      // a tainted producer of an untainted name: the name is assigned twice (not SSA); do not guess
      if (nodeTainted[i]) return null;
      keep[i] = 1;
      for (const v of nodes[i]!.inputs) {
        if (v === '' || needed.has(v)) continue;
        needed.add(v);
        work.push(v);
      }
    }
  }
  if (removedOutputs.length === 0 && keep.every((k) => k === 1)) return null;
  const produced = new Set<string>();
  nodes.forEach((n, i) => {
    if (keep[i]) for (const v of n.outputs) produced.add(v);
  });

  const removedInputs: string[] = [];
  const kept = entries.filter((e) => {
    switch (e.kind) {
      case 'node':
        return keep[e.node] === 1;
      case 'const':
        return needed.has(e.name);
      case 'input':
        if (needed.has(e.name)) return true;
        removedInputs.push(e.name);
        return false;
      case 'output':
        return !tainted.has(e.name);
      case 'info':
        return produced.has(e.name) || needed.has(e.name);
      default:
        return true;
    }
  });

  const out = withGraphEntries(bytes, graph, kept);
  const nodesKept = keep.reduce((s, k) => s + k, 0);
  return { bytes: out, outputs, removedOutputs, removedInputs, nodesKept, nodesRemoved: nodes.length - nodesKept };
}

/** The ModelProto's graph field (7): where its length prefix and payload are; null without one or with it repeated. */
function locateGraph(bytes: Uint8Array): { lenAt: number; start: number; end: number; functions: boolean } | null {
  const c = new Cursor(bytes, 0, bytes.length, 'ModelProto');
  let graph: { lenAt: number; start: number; end: number } | null = null;
  let graphFields = 0;
  let functions = false;
  while (!c.done) {
    const at = c.pos;
    const [field, wire] = c.tag();
    if (field === 7) {
      c.expectWire(field, wire, WIRE_LEN, at);
      const lenAt = c.pos;
      const [start, end] = c.lengthDelimited();
      graph = { lenAt, start, end };
      graphFields++;
    } else {
      if (field === 25) functions = true;
      c.skip(wire, at);
    }
  }
  return graph === null || graphFields > 1 ? null : { ...graph, functions };
}

/** The ModelProto bytes up to the graph's length prefix, the new prefix and the `kept` entries, then the rest. */
function withGraphEntries(bytes: Uint8Array, graph: { lenAt: number; end: number }, kept: readonly Entry[]): Uint8Array {
  const payload = kept.reduce((s, e) => s + e.end - e.start, 0);
  const prefix = varintBytes(payload);
  const out = new Uint8Array(graph.lenAt + prefix.length + payload + bytes.length - graph.end);
  out.set(bytes.subarray(0, graph.lenAt), 0);
  out.set(prefix, graph.lenAt);
  let p = graph.lenAt + prefix.length;
  for (const e of kept) {
    out.set(bytes.subarray(e.start, e.end), p);
    p += e.end - e.start;
  }
  out.set(bytes.subarray(graph.end), p);
  return out;
}

/**
 * The model without the defaults (initializers of the same name) of the graph inputs `names`, so
 * that ONNX Runtime lists them as required inputs and takes them from the feeds: its JavaScript
 * bindings leave an input with a default out of session.inputNames, and then onnxruntime-node
 * ignores a feed of it while onnxruntime-web refuses one ("invalid input"). Every other byte is
 * kept as in `noiseFreeModel`. Null when there is nothing to remove (or no single graph field).
 */
export function withoutInputDefaults(bytes: Uint8Array, names: readonly string[]): Uint8Array | null {
  const graph = locateGraph(bytes);
  if (graph === null) return null;
  const { entries } = readGraph(new Cursor(bytes, graph.start, graph.end, 'ModelProto.graph'));
  const inputs = new Set(entries.filter((e) => e.kind === 'input').map((e) => e.name));
  const drop = (e: Entry): boolean => e.kind === 'const' && names.includes(e.name) && inputs.has(e.name);
  if (!entries.some(drop)) return null;
  return withGraphEntries(
    bytes,
    graph,
    entries.filter((e) => !drop(e)),
  );
}

/** A non-negative integer (< 2^53) as a protobuf varint. */
function varintBytes(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** GraphProto fields the analysis reads: field number → what it is, and its name for error messages. */
const GRAPH_FIELDS: Readonly<Record<number, [Entry['kind'], string]>> = {
  1: ['node', 'GraphProto.node'],
  5: ['const', 'GraphProto.initializer'],
  11: ['input', 'GraphProto.input'],
  12: ['output', 'GraphProto.output'],
  13: ['info', 'GraphProto.value_info'],
  15: ['const', 'GraphProto.sparse_initializer'],
};

function readGraph(c: Cursor): { entries: Entry[]; nodes: GraphNode[] } {
  const entries: Entry[] = [];
  const nodes: GraphNode[] = [];
  while (!c.done) {
    const start = c.pos;
    const [field, wire] = c.tag();
    const known = GRAPH_FIELDS[field];
    if (known === undefined) {
      c.skip(wire, start);
      entries.push({ start, end: c.pos, kind: 'other', name: '', node: -1 });
      continue;
    }
    const [kind, what] = known;
    c.expectWire(field, wire, WIRE_LEN, start);
    const m = c.sub(c.lengthDelimited(), what);
    let name = '';
    if (kind === 'node') nodes.push(readNode(m));
    else if (field === 5) name = readName(m, 8, 'TensorProto.name');
    else if (field === 15) {
      while (!m.done) {
        const at = m.pos;
        const [f, w] = m.tag();
        if (f === 1) {
          m.expectWire(f, w, WIRE_LEN, at);
          name = readName(m.sub(m.lengthDelimited(), 'SparseTensorProto.values'), 8, 'TensorProto.name');
        } else m.skip(w, at);
      }
    } else name = readName(m, 1, 'ValueInfoProto.name');
    entries.push({ start, end: c.pos, kind, name, node: kind === 'node' ? nodes.length - 1 : -1 });
  }
  return { entries, nodes };
}

/** The string field `field` of a message (the last occurrence wins, as in protobuf); '' if absent. */
function readName(c: Cursor, field: number, what: string): string {
  let name = '';
  while (!c.done) {
    const at = c.pos;
    const [f, w] = c.tag();
    if (f === field) {
      c.expectWire(f, w, WIRE_LEN, at);
      name = c.string(what);
    } else c.skip(w, at);
  }
  return name;
}

function readNode(c: Cursor): GraphNode {
  const n: GraphNode = { inputs: [], outputs: [], random: false, subgraph: false };
  while (!c.done) {
    const at = c.pos;
    const [f, w] = c.tag();
    if (f === 1 || f === 2 || f === 4) {
      c.expectWire(f, w, WIRE_LEN, at);
      const s = c.string(f === 1 ? 'NodeProto.input' : f === 2 ? 'NodeProto.output' : 'NodeProto.op_type');
      if (f === 1) n.inputs.push(s);
      else if (f === 2) n.outputs.push(s);
      else n.random = RANDOM_OPS.has(s);
    } else if (f === 5) {
      c.expectWire(f, w, WIRE_LEN, at);
      const a = c.sub(c.lengthDelimited(), 'NodeProto.attribute');
      while (!a.done) {
        const aat = a.pos;
        const [af, aw] = a.tag();
        if (af === 6 || af === 11) n.subgraph = true;
        a.skip(aw, aat);
      }
    } else c.skip(w, at);
  }
  return n;
}
