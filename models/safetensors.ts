/**
 * The safetensors format, read and written with no dependency:
 *   [8 bytes: header length H, little-endian u64] [H bytes: JSON header] [raw little-endian tensor data]
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets relative to
 * the start of the data section), plus an optional "__metadata__" map of strings.
 *
 * Supported dtypes: F64, F32, I64, I32. Every violation of the format is a ModelFormatError that
 * names the file, the field and the value.
 */
import { ModelFormatError } from '../contract/errors.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'I32' | 'I64';
export type TensorData = Float64Array | Float32Array | Int32Array | BigInt64Array;

export interface NamedTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

const BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, I32: 4, I64: 8 };
const MAX_HEADER = 100 * 1024 * 1024;

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

/** Parses a safetensors buffer. `what` names the file in error messages. */
export function decodeSafetensors(
  buf: Uint8Array,
  what = 'safetensors file',
): { tensors: Record<string, NamedTensor>; metadata: Record<string, string> } {
  const fix = 'The file is truncated or corrupt: re-save the checkpoint or restore it from a copy.';
  if (buf.length < 8) throw new ModelFormatError(`${what}: ${buf.length} bytes is too short for a safetensors header (needs ≥ 8). ${fix}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = view.getBigUint64(0, true);
  if (hlen > BigInt(Math.min(MAX_HEADER, buf.length - 8))) {
    throw new ModelFormatError(`${what}: header length ${hlen} exceeds the file size (${buf.length} bytes). ${fix}`);
  }
  const h = Number(hlen);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + h))) as Record<string, unknown>;
  } catch (err) {
    throw new ModelFormatError(`${what}: header is not valid UTF-8 JSON (${(err as Error).message}). ${fix}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new ModelFormatError(`${what}: header must be a JSON object. ${fix}`);
  }
  const dataStart = 8 + h;
  const dataLen = buf.length - dataStart;
  const tensors: Record<string, NamedTensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e.dtype !== 'string' || !(e.dtype in BYTES)) {
      throw new ModelFormatError(`${what}: tensor ${name} has dtype ${JSON.stringify(e.dtype)}; supported: F64, F32, I32, I64.`);
    }
    const dtype = e.dtype as SafetensorsDtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ModelFormatError(`${what}: tensor ${name} has invalid shape ${JSON.stringify(e.shape)}. ${fix}`);
    }
    const shape = e.shape as number[];
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[0] > offs[1]) {
      throw new ModelFormatError(`${what}: tensor ${name} has invalid data_offsets ${JSON.stringify(offs)}. ${fix}`);
    }
    const [b, en] = offs as [number, number];
    const n = shape.reduce((x, y) => x * y, 1);
    if (en - b !== n * BYTES[dtype]) {
      throw new ModelFormatError(
        `${what}: tensor ${name} spans ${en - b} bytes but shape [${shape}] of ${dtype} needs ${n * BYTES[dtype]}. ${fix}`,
      );
    }
    if (en > dataLen) {
      throw new ModelFormatError(`${what}: tensor ${name} ends at byte ${en} of a ${dataLen}-byte data section. ${fix}`);
    }
    const start = dataStart + b;
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
    tensors[name] = { dtype, shape, data };
  }
  return { tensors, metadata };
}
