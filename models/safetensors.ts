/**
 * The safetensors format, read and written with no dependency:
 *   [8 bytes: header length H, little-endian u64] [H bytes: JSON header] [raw little-endian tensor data]
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets relative to
 * the start of the data section), plus an optional "__metadata__" map of strings.
 *
 * Supported dtypes: F64, F32, I64, I32. The decoder trusts nothing in the file: the header length
 * must fit the file, the header must be UTF-8 JSON holding one object without duplicate keys (at any
 * depth: JSON.parse would silently keep the last one), each entry exactly {dtype, shape,
 * data_offsets} with a supported dtype, a shape of safe non-negative integers whose byte size is
 * the entry's byte range, and the ranges must tile the data section: sorted by offset they start at
 * 0, each begins where the previous one ends (no overlap, no gap) and the last ends at the end of
 * the file (no trailing bytes). `__metadata__` must map strings to strings. Every violation is a
 * ModelFormatError naming the file, the tensor (or the header) and the byte range.
 */
import { ModelFormatError, describeValue } from '../contract/errors.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'I32' | 'I64';
export type TensorData = Float64Array | Float32Array | Int32Array | BigInt64Array;

export interface NamedTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

const BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, I32: 4, I64: 8 };
/** Largest header accepted (bytes); the gmmrl writer's headers are a few kilobytes. */
const MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024;
/** Nesting depth beyond which a header is refused (a gmmrl header nests 3 deep). */
const MAX_DEPTH = 32;
const ENTRY_KEYS = ['dtype', 'shape', 'data_offsets'];

/** Serialises tensors (in the given order) and optional string metadata. */
export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name]!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) {
      throw new ModelFormatError(`safetensors: tensor ${name} has ${t.data.length} values but shape [${t.shape}] needs ${n}.`);
    }
    const bytes = n * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // pad the header with spaces so the data section starts 8-byte aligned (allowed by the format)
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors[name]!;
    const n = t.data.length;
    for (let i = 0; i < n; i++) {
      switch (t.dtype) {
        case 'F64':
          view.setFloat64(pos, t.data[i] as number, true);
          break;
        case 'F32':
          view.setFloat32(pos, t.data[i] as number, true);
          break;
        case 'I32':
          view.setInt32(pos, t.data[i] as number, true);
          break;
        case 'I64':
          view.setBigInt64(pos, t.data[i] as bigint, true);
          break;
      }
      pos += BYTES[t.dtype];
    }
  }
  return out;
}

/**
 * A strict JSON reader for the header: the grammar of JSON.parse, but a duplicate key in any object
 * is an error (naming the key), every key becomes an own property (a key "__proto__" is data, not
 * the object's prototype), and nesting is limited to MAX_DEPTH. Throws a plain Error with the
 * position; the caller wraps it. Also reads checkpoint config.json files (models/checkpoint-files.ts).
 */
export function parseStrictJson(text: string): unknown {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`${msg} at character ${i}`);
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = (): string => {
    const begin = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    return JSON.parse(text.slice(begin, i)) as string; // escapes and control characters checked by JSON.parse
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a string key');
        const key = str();
        if (Object.prototype.hasOwnProperty.call(obj, key)) fail(`duplicate key ${JSON.stringify(key)}`);
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        Object.defineProperty(obj, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m || m[0].length === 0) return fail(c === undefined ? 'unexpected end of the header' : `unexpected ${JSON.stringify(c)}`);
    i += m[0].length;
    return Number(m[0]);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('unexpected text after the JSON value');
  return v;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  n: number;
  begin: number;
  end: number;
}

/**
 * Parses a safetensors buffer (see the module comment for what is checked). `what` names the file
 * in error messages. Byte ranges in messages are [begin, end) of the data section and, in
 * parentheses, of the file.
 */
export function decodeSafetensors(
  buf: Uint8Array,
  what = 'safetensors file',
): { tensors: Record<string, NamedTensor>; metadata: Record<string, string> } {
  const fix = 'The file is truncated or corrupt (or not a safetensors file): re-save the checkpoint or restore it from a copy.';
  if (buf.length < 8)
    throw new ModelFormatError(
      `${what}: ${buf.length} bytes is too short for a safetensors file (the header length takes bytes [0, 8)). ${fix}`,
    );
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = view.getBigUint64(0, true);
  if (hlen > BigInt(buf.length - 8)) {
    throw new ModelFormatError(
      `${what}: header length ${hlen} exceeds the file size (${buf.length} bytes; the header would take bytes [8, ${8n + hlen})). ${fix}`,
    );
  }
  if (hlen > BigInt(MAX_SAFETENSORS_HEADER)) {
    throw new ModelFormatError(`${what}: header length ${hlen} exceeds the limit of ${MAX_SAFETENSORS_HEADER} bytes. ${fix}`);
  }
  const h = Number(hlen);
  const dataStart = 8 + h;
  const dataLen = buf.length - dataStart;
  const headerRange = `header bytes [8, ${dataStart})`;
  let header: unknown;
  try {
    header = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, dataStart)));
  } catch (err) {
    throw new ModelFormatError(`${what}: header is not valid UTF-8 JSON (${(err as Error).message}; ${headerRange}). ${fix}`);
  }
  if (!isPlainObject(header)) {
    throw new ModelFormatError(`${what}: header must be a JSON object, got ${describeValue(header)} (${headerRange}). ${fix}`);
  }
  const range = (b: number, e: number): string =>
    `bytes [${b}, ${e}) of the data section (file bytes [${dataStart + b}, ${dataStart + e}))`;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
        throw new ModelFormatError(
          `${what}: "__metadata__" is ${describeValue(raw)}; it must map strings to strings (${headerRange}). ${fix}`,
        );
      }
      metadata = { ...raw } as Record<string, string>;
      continue;
    }
    const t = `tensor ${JSON.stringify(name)}`;
    if (name === '' || name === '__proto__')
      throw new ModelFormatError(`${what}: ${t} is not a valid tensor name (${headerRange}). ${fix}`);
    if (!isPlainObject(raw))
      throw new ModelFormatError(`${what}: ${t} is ${describeValue(raw)}; expected {dtype, shape, data_offsets} (${headerRange}). ${fix}`);
    const extra = Object.keys(raw).filter((k) => !ENTRY_KEYS.includes(k));
    if (extra.length > 0)
      throw new ModelFormatError(
        `${what}: ${t} has unknown field(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}; an entry has exactly dtype, shape, data_offsets (${headerRange}). ${fix}`,
      );
    const dtype = raw['dtype'];
    if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(BYTES, dtype)) {
      throw new ModelFormatError(`${what}: ${t} has dtype ${describeValue(dtype)}; supported: F64, F32, I32, I64 (${headerRange}).`);
    }
    const shape = raw['shape'];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new ModelFormatError(
        `${what}: ${t} has shape ${describeValue(shape)}; expected an array of non-negative integers (${headerRange}). ${fix}`,
      );
    }
    const offs = raw['data_offsets'];
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[0] > offs[1]) {
      throw new ModelFormatError(
        `${what}: ${t} has data_offsets ${describeValue(offs)}; expected [begin, end], integers with 0 ≤ begin ≤ end (${headerRange}). ${fix}`,
      );
    }
    const [b, e] = offs as [number, number];
    const width = BYTES[dtype as SafetensorsDtype];
    // the element count, refusing any product beyond the byte range before it can overflow
    let n = (shape as number[]).includes(0) ? 0 : 1;
    for (const d of shape as number[]) {
      if (n * width > e - b) break;
      n *= d;
    }
    if (n * width !== e - b) {
      const need = (shape as number[]).reduce((x, y) => x * y, 1) * width;
      throw new ModelFormatError(
        `${what}: ${t} spans ${e - b} bytes (${range(b, e)}) but shape [${shape}] of ${dtype} needs ${Number.isSafeInteger(need) ? need : 'more than 2⁵³'}. ${fix}`,
      );
    }
    if (e > dataLen) throw new ModelFormatError(`${what}: ${t} occupies ${range(b, e)}, beyond the ${dataLen}-byte data section. ${fix}`);
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], n, begin: b, end: e });
  }
  // the byte ranges must tile the data section exactly
  const sorted = [...entries].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let at = 0;
  let prev: Entry | undefined;
  for (const en of sorted) {
    if (en.begin < at) {
      throw new ModelFormatError(
        `${what}: tensor ${JSON.stringify(en.name)} (${range(en.begin, en.end)}) overlaps tensor ${JSON.stringify(prev!.name)} (${range(prev!.begin, prev!.end)}). ${fix}`,
      );
    }
    if (en.begin > at) {
      throw new ModelFormatError(
        `${what}: ${range(at, en.begin)} before tensor ${JSON.stringify(en.name)} belong to no tensor (a gap in the data section). ${fix}`,
      );
    }
    at = en.end;
    prev = en;
  }
  if (at !== dataLen) {
    throw new ModelFormatError(`${what}: ${range(at, dataLen)} after the last tensor belong to no tensor (trailing bytes). ${fix}`);
  }
  const tensors: Record<string, NamedTensor> = {};
  for (const { name, dtype, shape, n, begin } of entries) {
    const start = dataStart + begin;
    let data: TensorData;
    switch (dtype) {
      case 'F64': {
        const a = new Float64Array(n);
        for (let i = 0; i < n; i++) a[i] = view.getFloat64(start + 8 * i, true);
        data = a;
        break;
      }
      case 'F32': {
        const a = new Float32Array(n);
        for (let i = 0; i < n; i++) a[i] = view.getFloat32(start + 4 * i, true);
        data = a;
        break;
      }
      case 'I32': {
        const a = new Int32Array(n);
        for (let i = 0; i < n; i++) a[i] = view.getInt32(start + 4 * i, true);
        data = a;
        break;
      }
      case 'I64': {
        const a = new BigInt64Array(n);
        for (let i = 0; i < n; i++) a[i] = view.getBigInt64(start + 8 * i, true);
        data = a;
        break;
      }
    }
    tensors[name] = { dtype, shape: [...shape], data };
  }
  return { tensors, metadata };
}
