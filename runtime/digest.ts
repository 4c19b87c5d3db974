/**
 * The integrity check at load: a file exported with `model_sha256` (contract/metadata.ts) must hash
 * to it — SHA-256 of every byte of the file with the digest's own 64 digits read as '0'. Any change
 * after export (a flipped bit in a weight, a node, the header or the metadata) fails it with a
 * ModelFormatError giving both digests. A file without the digest (exported before gmmrl wrote it,
 * or by another tool) still loads, as `integrity: 'unverified'` with a warning in `PolicyInfo`.
 *
 * The digest is found without parsing the JSON: it is the last field of the gmmrl.metadata value, so
 * that value's bytes end with `"model_sha256":"<64 hex>"}`. The check runs before anything in the
 * metadata is trusted, so a corrupt file reports the digest, not whichever field the corruption hit.
 *
 * The hash is injected (`NewHash`): the node entry passes node:crypto's (native, about ten times
 * faster on large files), the web entry this package's pure-JS SHA-256 (contract/sha256.ts); both
 * are checked against each other (spec/contract/sha256.spec.ts, spec/runtime/digest.spec.ts).
 *
 * Platform-free; imports only runtime/ and contract/ modules.
 */
import { ModelFormatError } from '../contract/errors.js';
import { METADATA_KEY_JSON, MODEL_SHA256_FIELD, MODEL_SHA256_PLACEHOLDER, MODEL_SHA256_PREFIX } from '../contract/metadata.js';
import { Sha256 } from '../contract/sha256.js';
import { Cursor, WIRE_LEN } from './onnx-reader.js';

/** An incremental SHA-256 as the digest check uses it. */
export interface HashLike {
  update(data: Uint8Array): unknown;
  /** The digest as 64 lower-case hex digits. */
  hex(): string;
}

/** Makes a fresh SHA-256. */
export type NewHash = () => HashLike;

/** The pure-JS SHA-256 (contract/sha256.ts): the web entry's hash, and the default. */
export const jsSha256: NewHash = () => new Sha256();

/** 'verified': the file hashes to its model_sha256; 'unverified': it has none (see PolicyInfo.integrity). */
export type Integrity = 'verified' | 'unverified';

export interface IntegrityCheck {
  integrity: Integrity;
  /** The digest the file carries (and hashes to), or null. */
  digest: string | null;
  /** Why it is unverified, for PolicyInfo.warnings; null when verified. */
  warning: string | null;
}

const ASCII = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const PREFIX = ASCII(MODEL_SHA256_PREFIX);
const ZEROS = ASCII(MODEL_SHA256_PLACEHOLDER);
/** Bytes of `"model_sha256":"<64 hex>"}` at the end of the metadata value. */
const TAIL = PREFIX.length + 64 + 2;

/** The byte ranges [start, end) of every gmmrl.metadata value in the file (top-level metadata_props, field 14). */
function metadataValueRanges(bytes: Uint8Array): [number, number][] {
  const c = new Cursor(bytes, 0, bytes.length, 'ModelProto');
  const ranges: [number, number][] = [];
  c.fields({
    14: (t) => {
      const e = c.messageField(t, 'ModelProto.metadata_props');
      let key = '';
      let value: [number, number] | null = null;
      e.fields({
        1: (k) => (key = e.stringField(k, 'metadata_props.key')),
        2: (v) => {
          e.expectWire(v.field, v.wire, WIRE_LEN, v.at);
          value = e.lengthDelimited();
        },
      });
      if (key === METADATA_KEY_JSON && value !== null) ranges.push(value);
    },
  });
  return ranges;
}

/**
 * The digest field at the end of the metadata value [start, end): the offset of its 64 hex digits
 * and how many bytes of `"model_sha256":"` before them differ (0: the field as the exporter writes
 * it; 1: a damaged digest, which must not pass as a file that never had one). Null when the value
 * does not end in a quoted 64-digit hex value closing the object.
 */
function digestTail(bytes: Uint8Array, [start, end]: [number, number]): { at: number; changed: number } | null {
  if (end - start < TAIL + 1 || bytes[end - 1] !== 0x7d || bytes[end - 2] !== 0x22) return null; // ...'"}'
  const p = end - TAIL;
  const at = p + PREFIX.length;
  for (let i = at; i < at + 64; i++) {
    const b = bytes[i]!;
    if (!((b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66))) return null; // 0-9 a-f
  }
  let changed = 0;
  for (let i = 0; i < PREFIX.length; i++) if (bytes[p + i] !== PREFIX[i]) changed++;
  return { at, changed };
}

/** The canonical digest of a file whose digest digits start at `at`: its bytes with those 64 read as '0'. */
export function canonicalDigest(bytes: Uint8Array, at: number, newHash: NewHash = jsSha256): string {
  const h = newHash();
  h.update(bytes.subarray(0, at));
  h.update(ZEROS);
  h.update(bytes.subarray(at + 64));
  return h.hex();
}

/**
 * Checks the file's digest. Throws ModelFormatError when it carries one the bytes do not hash to;
 * returns 'unverified' when it carries none where the exporter writes it (whether the parsed
 * metadata has a misplaced `model_sha256` is `checkDigestPlacement`'s to say, once it is parsed).
 * Call it after readOnnxModel accepted the bytes (it walks the same top-level fields).
 */
export function checkModelDigest(bytes: Uint8Array, newHash: NewHash = jsSha256): IntegrityCheck {
  const ranges = metadataValueRanges(bytes);
  // none: metadataFromProps reports the missing key; several: metadataMap reports the repeated key
  const tail = ranges.length === 1 ? digestTail(bytes, ranges[0]!) : null;
  if (tail !== null && tail.changed === 1) {
    throw new ModelFormatError(
      `The model file's digest field is damaged: gmmrl.metadata ends with a 64-digit hex value where the exporter writes ` +
        `${MODEL_SHA256_PREFIX}…", but one byte of that name differs. The file was modified or corrupted after export; re-export it ` +
        `(gmmrl export RUN_DIR --out FILE) or copy it again from where it was exported.`,
    );
  }
  if (tail === null || tail.changed !== 0) {
    return {
      integrity: 'unverified',
      digest: null,
      warning:
        `the file has no ${MODEL_SHA256_FIELD} digest (exported by an older gmmrl, or written by another tool), so a corrupted weight ` +
        `or node cannot be detected; re-export it with this gmmrl to add one (policy.info.integrity is 'unverified').`,
    };
  }
  const { at } = tail;
  const expected = String.fromCharCode(...bytes.subarray(at, at + 64));
  const found = canonicalDigest(bytes, at, newHash);
  if (found !== expected) {
    throw new ModelFormatError(
      `The model file does not match its digest: gmmrl.metadata ${MODEL_SHA256_FIELD} is ${expected}, but the file hashes to ${found} ` +
        `(SHA-256 of the whole file with those 64 digits read as '0'). The file was modified or corrupted after export; re-export it ` +
        `(gmmrl export RUN_DIR --out FILE) or copy it again from where it was exported.`,
    );
  }
  return { integrity: 'verified', digest: expected, warning: null };
}

/**
 * ModelFormatError when the parsed metadata has a `model_sha256` that `checkModelDigest` did not
 * find at the end of the JSON: a digest that cannot be checked must not pass as a checked one.
 */
export function checkDigestPlacement(parsedDigest: string | undefined, check: IntegrityCheck): void {
  if (parsedDigest !== undefined && check.digest === null) {
    throw new ModelFormatError(
      `gmmrl.metadata has ${MODEL_SHA256_FIELD} = ${parsedDigest}, but not as the last field of the JSON text, where the exporter ` +
        `writes it and the runtime checks it (the text must end with ${MODEL_SHA256_PREFIX}<64 hex digits>"}). The metadata was ` +
        `rewritten after export; re-export the model.`,
    );
  }
}
