/**
 * The slice of the ONNX Runtime JS API the runtime uses. onnxruntime-node and onnxruntime-web both
 * satisfy it; the entries (index.node.ts, index.web.ts) inject their module, so the core
 * (policy.ts and the files it imports) names no ONNX Runtime package.
 */
import { describeValue } from '../contract/errors.js';
import type { Precision } from '../contract/metadata.js';

/** A tensor: `data` a typed array (BigInt64Array for int64), `dims` its shape, `type` its ONNX dtype name. */
export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type: string;
}

/** An InferenceSession: its input and output names, `run` (with the outputs to fetch) and `release`. */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>, fetches?: readonly string[]): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/** The module itself: the Tensor constructor and InferenceSession.create. */
export interface OrtModuleLike {
  Tensor: new (type: Precision, data: Float32Array | Float64Array, dims: readonly number[]) => OrtTensorLike;
  InferenceSession: {
    create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSessionLike>;
  };
}

/** The message of an error ONNX Runtime (or anything else) threw, for the runtime's own messages. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.trim() || err.name;
  return describeValue(err);
}
