/**
 * A minimal, dependency-free reader of the protobuf wire format, specialised to the few ONNX
 * `ModelProto` fields the runtime needs before it hands the bytes to ONNX Runtime:
 *
 *   ModelProto          ir_version (1, varint), producer_name (2), producer_version (3),
 *                       graph (7), opset_import (8), metadata_props (14)
 *   OperatorSetIdProto  domain (1), version (2)
 *   GraphProto          initializer (5) → TensorProto.name (8), input (11), output (12)
 *   ValueInfoProto      name (1), type (2)
 *   TypeProto           tensor_type (1) → elem_type (1), shape (2) → dim (1) → dim_value (1) | dim_param (2)
 *   StringStringEntry   key (1), value (2)
 *
 * Every other field is skipped by wire type without being decoded, so large initializers cost
 * O(1). The reader is total: on any input (random bytes, truncated files, the empty buffer) it either
 * returns or throws `ModelFormatError` naming the byte offset; every loop advances by at least one
 * byte and every length is checked against the enclosing message, so it cannot hang.
 *
 * No protobufjs here on purpose: the runtime must stay small enough for browsers.
 */
import { ModelFormatError } from '../contract/errors.js';

/** One dimension of a tensor shape: a number (dim_value), a string (dim_param) or null (unknown). */
export type OnnxDim = number | string | null;

/** A graph input or output as declared in the file. */
export interface OnnxValueInfo {
  name: string;
  /** TensorProto.DataType (1 = float32, 7 = int64, …); null when the value is not a tensor or has no type. */
  elemType: number | null;
  /** Null when the tensor type has no shape (rank unknown). */
  shape: OnnxDim[] | null;
}

export interface OnnxOpsetImport {
  /** '' is the default ONNX domain (ai.onnx). */
  domain: string;
  version: number;
}

/** What the reader extracts from a ModelProto. */
export interface OnnxModelSummary {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsetImport: OnnxOpsetImport[];
  /** null when the model has no graph field. */
  graph: {
    inputs: OnnxValueInfo[];
    outputs: OnnxValueInfo[];
    /** Names of the graph initializers (constants), which may also appear among the inputs. */
    initializerNames: string[];
  } | null;
  /** metadata_props in file order (keys may repeat in a malformed file; see `metadataMap`). */
  metadataProps: { key: string; value: string }[];
  /** Total size in bytes. */
  byteLength: number;
}

/** ONNX TensorProto.DataType names for the element types the runtime reports. */
export const ONNX_ELEM_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

export const HINT = 'The file is truncated or is not an ONNX model.';

let utf8: TextDecoder | null = null;

/** Cursor over one message: [pos, end) inside `buf`. */
export class Cursor {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
    readonly what: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(offset: number, problem: string): never {
    throw new ModelFormatError(`Cannot read ONNX model: ${problem} at byte offset ${offset} (in ${this.what}). ${HINT}`);
  }

  /**
   * Reads a varint of up to 10 bytes. Returns it as a JS number: exact up to 2^53, int64 two's
   * complement interpreted as signed (so -1 encoded in 10 bytes reads as -1).
   */
  varint(): number {
    const start = this.pos;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) this.fail(start, 'varint runs past the end of the data');
      if (i >= 10) this.fail(start, 'varint longer than 10 bytes');
      const b = this.buf[this.pos++]!;
      if (shift < 28) {
        lo |= (b & 0x7f) << shift; // bits 0..27
      } else if (shift === 28) {
        lo |= (b & 0x0f) << 28; // bits 28..31
        hi |= (b & 0x7f) >>> 4; // bits 32..34
      } else {
        hi |= (b & 0x7f) << (shift - 32); // bits 35..63 (the 10th byte contributes bit 63 only)
      }
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    lo >>>= 0;
    if (hi === 0) return lo;
    if (hi & 0x80000000) {
      // negative int64: -(2^64 - value)
      const v = BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo));
      return Number(v);
    }
    return (hi >>> 0) * 4294967296 + lo;
  }

  /** Reads a tag; returns [fieldNumber, wireType]. */
  tag(): [number, number] {
    const at = this.pos;
    const t = this.varint();
    const field = Math.floor(t / 8);
    const wire = t % 8;
    if (field === 0 || field > 0x1fffffff || t < 0) this.fail(at, `invalid field number ${field}`);
    return [field, wire];
  }

  /** Reads a length prefix and returns the sub-range [start, end). */
  lengthDelimited(): [number, number] {
    const at = this.pos;
    const len = this.varint();
    const start = this.pos;
    if (len < 0 || start + len > this.end) {
      this.fail(at, `length-delimited field of ${len} bytes overruns its enclosing message (${this.end - start} bytes left)`);
    }
    this.pos = start + len;
    return [start, start + len];
  }

  sub([start, end]: [number, number], what: string): Cursor {
    return new Cursor(this.buf, start, end, what);
  }

  string(what: string): string {
    const [start, end] = this.lengthDelimited();
    if (utf8 === null) utf8 = new TextDecoder('utf-8', { fatal: true });
    try {
      return utf8.decode(this.buf.subarray(start, end));
    } catch {
      return this.fail(start, `${what} is not valid UTF-8`);
    }
  }

  /** Skips a field of the given wire type. */
  skip(wire: number, tagAt: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        if (this.pos + 8 > this.end) this.fail(this.pos, '64-bit field runs past the end of the data');
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.lengthDelimited();
        return;
      case WIRE_FIXED32:
        if (this.pos + 4 > this.end) this.fail(this.pos, '32-bit field runs past the end of the data');
        this.pos += 4;
        return;
      default:
        this.fail(tagAt, `unsupported wire type ${wire}`);
    }
  }

  /** Requires `wire` for a known field. */
  expectWire(field: number, wire: number, expected: number, tagAt: number): void {
    if (wire !== expected) this.fail(tagAt, `field ${field} has wire type ${wire}, expected ${expected}`);
  }

  /**
   * Reads the message's fields in order: `readers[field]` reads a field it knows (from the tag's
   * wire type on); every other field is skipped.
   */
  fields(readers: Readonly<Record<number, (tag: FieldTag) => void>>): void {
    while (!this.done) {
      const at = this.pos;
      const [field, wire] = this.tag();
      const read = readers[field];
      if (read) read({ field, wire, at });
      else this.skip(wire, at);
    }
  }

  /** A varint field's value (its wire type checked). */
  varintField(t: FieldTag): number {
    this.expectWire(t.field, t.wire, WIRE_VARINT, t.at);
    return this.varint();
  }

  /** A UTF-8 string field's value (its wire type checked); `what` names it in errors. */
  stringField(t: FieldTag, what: string): string {
    this.expectWire(t.field, t.wire, WIRE_LEN, t.at);
    return this.string(what);
  }

  /** A little-endian float32 (wire type 5) at the cursor. */
  fixed32Float(): number {
    if (this.pos + 4 > this.end) this.fail(this.pos, '32-bit field runs past the end of the data');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  /** A little-endian float64 (wire type 1) at the cursor. */
  fixed64Double(): number {
    if (this.pos + 8 > this.end) this.fail(this.pos, '64-bit field runs past the end of the data');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** Appends a repeated varint field's values to `out`: one element (wire type 0) or a packed run (wire type 2). */
  repeatedVarints(t: FieldTag, out: number[]): void {
    if (t.wire === WIRE_VARINT) {
      out.push(this.varint());
      return;
    }
    this.expectWire(t.field, t.wire, WIRE_LEN, t.at);
    const p = this.sub(this.lengthDelimited(), `packed field ${t.field}`);
    while (!p.done) out.push(p.varint());
  }

  /** Appends a repeated float32 field's values to `out`: one element (wire type 5) or a packed run (wire type 2). */
  repeatedFloats(t: FieldTag, out: number[]): void {
    if (t.wire === WIRE_FIXED32) {
      out.push(this.fixed32Float());
      return;
    }
    this.expectWire(t.field, t.wire, WIRE_LEN, t.at);
    const p = this.sub(this.lengthDelimited(), `packed field ${t.field}`);
    while (!p.done) out.push(p.fixed32Float());
  }

  /** Appends a repeated float64 field's values to `out`: one element (wire type 1) or a packed run (wire type 2). */
  repeatedDoubles(t: FieldTag, out: number[]): void {
    if (t.wire === WIRE_FIXED64) {
      out.push(this.fixed64Double());
      return;
    }
    this.expectWire(t.field, t.wire, WIRE_LEN, t.at);
    const p = this.sub(this.lengthDelimited(), `packed field ${t.field}`);
    while (!p.done) out.push(p.fixed64Double());
  }

  /** A Cursor over an embedded message field (its wire type checked); `what` names the message in errors. */
  messageField(t: FieldTag, what: string): Cursor {
    this.expectWire(t.field, t.wire, WIRE_LEN, t.at);
    return this.sub(this.lengthDelimited(), what);
  }
}

/** A field's tag as `Cursor.fields` hands it to a reader: field number, wire type, tag offset. */
export interface FieldTag {
  field: number;
  wire: number;
  at: number;
}

/** Reads the ModelProto summary. Throws ModelFormatError on malformed input. */
export function readOnnxModel(bytes: Uint8Array): OnnxModelSummary {
  if (!(bytes instanceof Uint8Array)) {
    throw new ModelFormatError(`Cannot read ONNX model: expected a Uint8Array, got ${Object.prototype.toString.call(bytes)}.`);
  }
  if (bytes.length === 0) {
    throw new ModelFormatError(`Cannot read ONNX model: the data is empty (0 bytes). ${HINT}`);
  }
  const c = new Cursor(bytes, 0, bytes.length, 'ModelProto');
  const out: OnnxModelSummary = {
    irVersion: 0,
    producerName: '',
    producerVersion: '',
    opsetImport: [],
    graph: null,
    metadataProps: [],
    byteLength: bytes.length,
  };
  c.fields({
    1: (t) => (out.irVersion = c.varintField(t)),
    2: (t) => (out.producerName = c.stringField(t, 'producer_name')),
    3: (t) => (out.producerVersion = c.stringField(t, 'producer_version')),
    7: (t) => (out.graph = readGraph(c.messageField(t, 'ModelProto.graph'), out.graph)),
    8: (t) => out.opsetImport.push(readOpset(c.messageField(t, 'ModelProto.opset_import'))),
    14: (t) => out.metadataProps.push(readEntry(c.messageField(t, 'ModelProto.metadata_props'))),
  });
  return out;
}

function readOpset(c: Cursor): OnnxOpsetImport {
  const o: OnnxOpsetImport = { domain: '', version: 0 };
  c.fields({
    1: (t) => (o.domain = c.stringField(t, 'opset_import.domain')),
    2: (t) => (o.version = c.varintField(t)),
  });
  return o;
}

function readEntry(c: Cursor): { key: string; value: string } {
  const e = { key: '', value: '' };
  c.fields({
    1: (t) => (e.key = c.stringField(t, 'metadata_props.key')),
    2: (t) => (e.value = c.stringField(t, 'metadata_props.value')),
  });
  return e;
}

type GraphSummary = NonNullable<OnnxModelSummary['graph']>;

/** Protobuf merges repeated occurrences of an embedded message field; so do we. */
function readGraph(c: Cursor, prev: GraphSummary | null): GraphSummary {
  const g: GraphSummary = prev ?? { inputs: [], outputs: [], initializerNames: [] };
  c.fields({
    5: (t) => g.initializerNames.push(readTensorName(c.messageField(t, 'GraphProto.initializer'))),
    11: (t) => g.inputs.push(readValueInfo(c.messageField(t, 'GraphProto.input'))),
    12: (t) => g.outputs.push(readValueInfo(c.messageField(t, 'GraphProto.output'))),
  });
  return g;
}

function readTensorName(c: Cursor): string {
  let name = '';
  c.fields({ 8: (t) => (name = c.stringField(t, 'TensorProto.name')) });
  return name;
}

function readValueInfo(c: Cursor): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', elemType: null, shape: null };
  c.fields({
    1: (t) => (v.name = c.stringField(t, 'ValueInfoProto.name')),
    2: (t) => readType(c.messageField(t, `ValueInfoProto.type of '${v.name}'`), v),
  });
  return v;
}

function readType(c: Cursor, v: OnnxValueInfo): void {
  c.fields({ 1: (t) => readTensorType(c.messageField(t, 'TypeProto.tensor_type'), v) });
}

function readTensorType(c: Cursor, v: OnnxValueInfo): void {
  c.fields({
    1: (t) => (v.elemType = c.varintField(t)),
    2: (t) => (v.shape = readShape(c.messageField(t, 'TypeProto.Tensor.shape'), v.shape)),
  });
}

function readShape(c: Cursor, prev: OnnxDim[] | null): OnnxDim[] {
  const dims: OnnxDim[] = prev ?? [];
  c.fields({ 1: (t) => dims.push(readDim(c.messageField(t, 'TensorShapeProto.dim'))) });
  return dims;
}

function readDim(c: Cursor): OnnxDim {
  let d: OnnxDim = null;
  c.fields({
    1: (t) => (d = c.varintField(t)),
    2: (t) => (d = c.stringField(t, 'dim_param')),
  });
  return d;
}

/**
 * metadata_props as a Map. Throws ModelFormatError when a key repeats (the ONNX spec requires
 * distinct keys; a repeated gmmrl key would be ambiguous).
 */
export function metadataMap(model: OnnxModelSummary): Map<string, string> {
  const m = new Map<string, string>();
  for (const { key, value } of model.metadataProps) {
    if (m.has(key)) throw new ModelFormatError(`ONNX metadata_props contains the key ${JSON.stringify(key)} twice; keys must be distinct.`);
    m.set(key, value);
  }
  return m;
}

// ----------------------------------------------------------------------------------------------
// Graph contents: the graph's name, its constants' values and its nodes (for the metadata cross-checks)
// ----------------------------------------------------------------------------------------------

/** TensorProto.DataType codes whose values `readGraphContents` decodes. */
const DT_FLOAT = 1;
const DT_INT32 = 6;
const DT_INT64 = 7;
const DT_DOUBLE = 11;

/**
 * A constant of the graph: an initializer, or the value of a Constant node (named by the node's
 * output). `values` holds the entries row-major as numbers (float32 entries decoded exactly; int64
 * entries exact up to 2⁵³), or null for an element type the runtime does not decode (or data stored
 * outside the file).
 */
export interface OnnxConstant {
  name: string;
  /** TensorProto.DataType (1 float32, 6 int32, 7 int64, 11 float64, …). */
  dataType: number;
  dims: number[];
  values: Float64Array | null;
}

/** A node as the cross-checks see it. */
export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
}

/** What `readGraphContents` extracts from ModelProto.graph. */
export interface OnnxGraphContents {
  /** GraphProto.name ('' when absent). */
  name: string;
  /** Initializers and Constant-node values by name (an initializer wins over a Constant node of the same name). */
  constants: Map<string, OnnxConstant>;
  nodes: OnnxNode[];
  /** The graph's output names, in file order. */
  outputs: string[];
}

/**
 * Reads the graph's name, the values of its initializers and Constant nodes, and its node list:
 *
 *   GraphProto      node (1), name (2), initializer (5), output (12) → name
 *   NodeProto       input (1), output (2), name (3), op_type (4), attribute (5), domain (7)
 *   AttributeProto  name (1), f (2), i (3), t (5), floats (7), ints (8)   (Constant: value, value_float(s), value_int(s))
 *   TensorProto     dims (1), data_type (2), float_data (4), int32_data (5), int64_data (7), name (8),
 *                   raw_data (9), double_data (10), data_location (14)
 *
 * Total like `readOnnxModel`: malformed bytes throw ModelFormatError naming the byte offset, and a
 * tensor whose value count differs from prod(dims) throws ModelFormatError naming the tensor.
 */
export function readGraphContents(bytes: Uint8Array): OnnxGraphContents {
  const out: OnnxGraphContents = { name: '', constants: new Map(), nodes: [], outputs: [] };
  const nodeConstants: OnnxConstant[] = [];
  const c = new Cursor(bytes, 0, bytes.length, 'ModelProto');
  c.fields({
    7: (t) => {
      const g = c.messageField(t, 'ModelProto.graph');
      g.fields({
        1: (t) => out.nodes.push(readNode(g.messageField(t, 'GraphProto.node'), nodeConstants)),
        2: (t) => (out.name = g.stringField(t, 'GraphProto.name')),
        5: (t) => {
          const k = readTensor(g.messageField(t, 'GraphProto.initializer'));
          out.constants.set(k.name, k);
        },
        12: (t) => out.outputs.push(readValueInfo(g.messageField(t, 'GraphProto.output')).name),
      });
    },
  });
  for (const k of nodeConstants) if (!out.constants.has(k.name)) out.constants.set(k.name, k);
  return out;
}

function readNode(c: Cursor, constants: OnnxConstant[]): OnnxNode {
  const n: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [] };
  const attrs: { name: string; value: OnnxConstant | null }[] = [];
  c.fields({
    1: (t) => n.inputs.push(c.stringField(t, 'NodeProto.input')),
    2: (t) => n.outputs.push(c.stringField(t, 'NodeProto.output')),
    3: (t) => (n.name = c.stringField(t, 'NodeProto.name')),
    4: (t) => (n.opType = c.stringField(t, 'NodeProto.op_type')),
    5: (t) => attrs.push(readConstantAttribute(c.messageField(t, 'NodeProto.attribute'))),
    7: (t) => (n.domain = c.stringField(t, 'NodeProto.domain')),
  });
  if (n.opType === 'Constant' && (n.domain === '' || n.domain === 'ai.onnx') && n.outputs.length === 1) {
    const a = attrs.find((x) => x.value !== null && x.name.startsWith('value'));
    if (a) constants.push({ ...a.value!, name: n.outputs[0]! });
  }
  return n;
}

/** An attribute's name and, for the Constant node's value attributes, its value as a constant. */
function readConstantAttribute(c: Cursor): { name: string; value: OnnxConstant | null } {
  let name = '';
  let tensor: OnnxConstant | null = null;
  let f: number | null = null;
  let i: number | null = null;
  const floats: number[] = [];
  const ints: number[] = [];
  c.fields({
    1: (t) => (name = c.stringField(t, 'AttributeProto.name')),
    2: (t) => {
      c.expectWire(t.field, t.wire, WIRE_FIXED32, t.at);
      f = c.fixed32Float();
    },
    3: (t) => (i = c.varintField(t)),
    5: (t) => (tensor = readTensor(c.messageField(t, 'AttributeProto.t'))),
    7: (t) => c.repeatedFloats(t, floats),
    8: (t) => c.repeatedVarints(t, ints),
  });
  const scalar = (dataType: number, v: number[], dims: number[]): OnnxConstant => ({
    name: '',
    dataType,
    dims,
    values: Float64Array.from(v),
  });
  if (name === 'value') return { name, value: tensor };
  if (name === 'value_float' && f !== null) return { name, value: scalar(DT_FLOAT, [f], []) };
  if (name === 'value_int' && i !== null) return { name, value: scalar(DT_INT64, [i], []) };
  if (name === 'value_floats') return { name, value: scalar(DT_FLOAT, floats, [floats.length]) };
  if (name === 'value_ints') return { name, value: scalar(DT_INT64, ints, [ints.length]) };
  return { name, value: null };
}

function readTensor(c: Cursor): OnnxConstant {
  const at = c.pos;
  const k: OnnxConstant = { name: '', dataType: 0, dims: [], values: null };
  let raw: [number, number] | null = null;
  const typed: number[] = [];
  let external = false;
  c.fields({
    1: (t) => c.repeatedVarints(t, k.dims),
    2: (t) => (k.dataType = c.varintField(t)),
    4: (t) => c.repeatedFloats(t, typed),
    5: (t) => c.repeatedVarints(t, typed),
    7: (t) => c.repeatedVarints(t, typed),
    8: (t) => (k.name = c.stringField(t, 'TensorProto.name')),
    9: (t) => {
      c.expectWire(t.field, t.wire, WIRE_LEN, t.at);
      raw = c.lengthDelimited();
    },
    10: (t) => c.repeatedDoubles(t, typed),
    14: (t) => (external = c.varintField(t) === 1),
  });
  const count = k.dims.reduce((a, b) => a * b, 1);
  const width = k.dataType === DT_FLOAT || k.dataType === DT_INT32 ? 4 : k.dataType === DT_INT64 || k.dataType === DT_DOUBLE ? 8 : 0;
  if (external || width === 0) return k;
  const bad = (have: number): never =>
    c.fail(at, `tensor ${JSON.stringify(k.name)} holds ${have} values but its dims [${k.dims.join(', ')}] need ${count}`);
  if (raw !== null) {
    const [start, end] = raw as [number, number];
    if (end - start !== count * width) bad((end - start) / width);
    const view = new DataView(c.buf.buffer, c.buf.byteOffset + start, end - start);
    const v = new Float64Array(count);
    for (let j = 0; j < count; j++) {
      const o = j * width;
      v[j] =
        k.dataType === DT_FLOAT
          ? view.getFloat32(o, true)
          : k.dataType === DT_INT32
            ? view.getInt32(o, true)
            : k.dataType === DT_DOUBLE
              ? view.getFloat64(o, true)
              : Number(view.getBigInt64(o, true));
    }
    k.values = v;
    return k;
  }
  if (typed.length !== count) bad(typed.length);
  k.values = Float64Array.from(typed);
  return k;
}
