/**
 * Test helper for the runtime specs: edits an ONNX file's protobuf (decode, change, encode) to build
 * corrupt or inconsistent models.
 */
import { onnx } from '../../exporters/onnx/proto/onnx.js';

/** The bytes of `bytes` after `fn` edits the decoded ModelProto. */
export function edit(bytes: Uint8Array, fn: (m: onnx.ModelProto) => void): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  fn(m);
  return onnx.ModelProto.encode(m).finish();
}

/** The bytes of `bytes` after `fn` edits the parsed gmmrl.metadata JSON. */
export function editMetadataJson(bytes: Uint8Array, fn: (o: Record<string, any>) => void): Uint8Array {
  return edit(bytes, (m) => {
    const e = m.metadata_props.find((x) => x.key === 'gmmrl.metadata')!;
    const o = JSON.parse(e.value!);
    fn(o);
    e.value = JSON.stringify(o);
  });
}
