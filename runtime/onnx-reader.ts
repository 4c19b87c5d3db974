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

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

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
  while (!c.done) {
    const at = c.pos;
    const [field, wire] = c.tag();
    switch (field) {
      case 1:
        c.expectWire(field, wire, WIRE_VARINT, at);
        out.irVersion = c.varint();
        break;
      case 2:
        c.expectWire(field, wire, WIRE_LEN, at);
        out.producerName = c.string('producer_name');
        break;
      case 3:
        c.expectWire(field, wire, WIRE_LEN, at);
        out.producerVersion = c.string('producer_version');
        break;
      case 7:
        c.expectWire(field, wire, WIRE_LEN, at);
        out.graph = readGraph(c.sub(c.lengthDelimited(), 'ModelProto.graph'), out.graph);
        break;
      case 8:
        c.expectWire(field, wire, WIRE_LEN, at);
        out.opsetImport.push(readOpset(c.sub(c.lengthDelimited(), 'ModelProto.opset_import')));
        break;
      case 14:
        c.expectWire(field, wire, WIRE_LEN, at);
        out.metadataProps.push(readEntry(c.sub(c.lengthDelimited(), 'ModelProto.metadata_props')));
        break;
      default:
        c.skip(wire, at);
    }
  }
  return out;
}

function readOpset(c: Cursor): OnnxOpsetImport {
  const o: OnnxOpsetImport = { domain: '', version: 0 };
  while (!c.done) {
    const at = c.pos;
    const [field, wire] = c.tag();
    if (field === 1) {
      c.expectWire(field, wire, WIRE_LEN, at);
      o.domain = c.string('opset_import.domain');
    } else if (field === 2) {
      c.expectWire(field, wire, WIRE_VARINT, at);
      o.version = c.varint();
    } else c.skip(wire, at);
  }
  return o;
}

function readEntry(c: Cursor): { key: string; value: string } {
  const e = { key: '', value: '' };
  while (!c.done) {
    const at = c.pos;
    const [field, wire] = c.tag();
    if (field === 1) {
      c.expectWire(field, wire, WIRE_LEN, at);
      e.key = c.string('metadata_props.key');
    } else if (field === 2) {
      c.expectWire(field, wire, WIRE_LEN, at);
      e.value = c.string('metadata_props.value');
    } else c.skip(wire, at);
  }
  return e;
}

type GraphSummary = NonNullable<OnnxModelSummary['graph']>;

/** Protobuf merges repeated occurrences of an embedded message field; so do we. */
function readGraph(c: Cursor, prev: GraphSummary | null): GraphSummary {
  const g: GraphSummary = prev ?? { inputs: [], outputs: [], initializerNames: [] };
  while (!c.done) {
    const at = c.pos;
    const [field, wire] = c.tag();
    switch (field) {
      case 5: {
        c.expectWire(field, wire, WIRE_LEN, at);
        g.initializerNames.push(readTensorName(c.sub(c.lengthDelimited(), 'GraphProto.initializer')));
        break;
      }
      case 11:
        c.expectWire(field, wire, WIRE_LEN, at);
        g.inputs.push(readValueInfo(c.sub(c.lengthDelimited(), 'GraphProto.input')));
        break;
      case 12:
        c.expectWire(field, wire, WIRE_LEN, at);
        g.outputs.push(readValueInfo(c.sub(c.lengthDelimited(), 'GraphProto.output')));
        break;
      default:
        c.skip(wire, at);
    }
  }
  return g;
}

function readTensorName(c: Cursor): string {
  let name = '';
  while (!c.done) {
    const at = c.pos;
    const [field, wire] = c.tag();
    if (field === 8) {
      c.expectWire(field, wire, WIRE_LEN, at);
      name = c.string('TensorProto.name');
    } else c.skip(wire, at);
  }
  return name;
}

function readValueInfo(c: Cursor): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', elemType: null, shape: null };
  while (!c.done) {
    const at = c.pos;
    const [field, wire] = c.tag();
    if (field === 1) {
      c.expectWire(field, wire, WIRE_LEN, at);
      v.name = c.string('ValueInfoProto.name');
    } else if (field === 2) {
      c.expectWire(field, wire, WIRE_LEN, at);
      readType(c.sub(c.lengthDelimited(), `ValueInfoProto.type of '${v.name}'`), v);
    } else c.skip(wire, at);
  }
  return v;
}

function readType(c: Cursor, v: OnnxValueInfo): void {
  while (!c.done) {
    const at = c.pos;
    const [field, wire] = c.tag();
    if (field === 1) {
      c.expectWire(field, wire, WIRE_LEN, at);
      readTensorType(c.sub(c.lengthDelimited(), 'TypeProto.tensor_type'), v);
    } else c.skip(wire, at);
  }
}

function readTensorType(c: Cursor, v: OnnxValueInfo): void {
  while (!c.done) {
    const at = c.pos;
    const [field, wire] = c.tag();
    if (field === 1) {
      c.expectWire(field, wire, WIRE_VARINT, at);
      v.elemType = c.varint();
    } else if (field === 2) {
      c.expectWire(field, wire, WIRE_LEN, at);
      v.shape = readShape(c.sub(c.lengthDelimited(), 'TypeProto.Tensor.shape'), v.shape);
    } else c.skip(wire, at);
  }
}

function readShape(c: Cursor, prev: OnnxDim[] | null): OnnxDim[] {
  const dims: OnnxDim[] = prev ?? [];
  while (!c.done) {
    const at = c.pos;
    const [field, wire] = c.tag();
    if (field === 1) {
      c.expectWire(field, wire, WIRE_LEN, at);
      dims.push(readDim(c.sub(c.lengthDelimited(), 'TensorShapeProto.dim')));
    } else c.skip(wire, at);
  }
  return dims;
}

function readDim(c: Cursor): OnnxDim {
  let d: OnnxDim = null;
  while (!c.done) {
    const at = c.pos;
    const [field, wire] = c.tag();
    if (field === 1) {
      c.expectWire(field, wire, WIRE_VARINT, at);
      d = c.varint();
    } else if (field === 2) {
      c.expectWire(field, wire, WIRE_LEN, at);
      d = c.string('dim_param');
    } else c.skip(wire, at);
  }
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
