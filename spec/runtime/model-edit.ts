/**
 * Test helper for the runtime specs: edits an ONNX file's protobuf (decode, change, encode) to build
 * corrupt or inconsistent models.
 *
 * A file that carried the integrity digest (model_sha256) is sealed again after the edit, as the
 * exporter seals it, so the edited file is what a writer with that mistake would have produced and
 * the check under test (metadata against graph, ONNX Runtime, …) is the one that must catch it;
 * `{ reseal: false }` keeps the stale digest instead (the digest's own tests).
 */
import { METADATA_KEY_JSON, MODEL_SHA256_FIELD } from '../../contract/metadata.js';
import { sealModelDigest, withDigestPlaceholder } from '../../exporters/onnx/envelope.js';
import { onnx } from '../../exporters/onnx/proto/onnx.js';

/** The bytes of `bytes` after `fn` edits the decoded ModelProto. */
export function edit(bytes: Uint8Array, fn: (m: onnx.ModelProto) => void, opts: { reseal?: boolean } = {}): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const digested = (o: onnx.ModelProto): onnx.StringStringEntryProto.$Properties | undefined => {
    const e = o.metadata_props.find((x) => x.key === METADATA_KEY_JSON);
    try {
      return e && MODEL_SHA256_FIELD in JSON.parse(e.value ?? '') ? e : undefined;
    } catch {
      return undefined;
    }
  };
  const sealed = digested(m) !== undefined;
  fn(m);
  const e = digested(m);
  if (!sealed || opts.reseal === false || e === undefined) return onnx.ModelProto.encode(m).finish();
  const o = JSON.parse(e.value ?? '') as Record<string, unknown>;
  delete o[MODEL_SHA256_FIELD];
  const props = withDigestPlaceholder([{ key: METADATA_KEY_JSON, value: JSON.stringify(o) }]);
  e.value = props[0]!.value;
  return sealModelDigest(onnx.ModelProto.encode(m).finish());
}

/** The bytes of `bytes` after `fn` edits the parsed gmmrl.metadata JSON. */
export function editMetadataJson(bytes: Uint8Array, fn: (o: Record<string, any>) => void, opts: { reseal?: boolean } = {}): Uint8Array {
  return edit(
    bytes,
    (m) => {
      const e = m.metadata_props.find((x) => x.key === 'gmmrl.metadata')!;
      const o = JSON.parse(e.value!);
      fn(o);
      e.value = JSON.stringify(o);
    },
    opts,
  );
}
