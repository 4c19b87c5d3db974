/**
 * Execution providers: which ones each entry (node, web) knows, which it tries by default on this
 * machine, and opening a session on the first provider of a list that starts — every failure is
 * recorded, and when the file rather than the machine is at fault the load fails with a
 * ModelFormatError instead of a BackendError.
 *
 * Platform-free: the node entry passes in what it found on disk (ProviderEnvironment).
 */
import { BackendError, ModelFormatError, ValueError, describeValue } from '../contract/errors.js';
import { errorMessage, type OrtModuleLike, type OrtSessionLike } from './ort.js';
import type { ProviderFailure } from './types.js';

/** Execution providers of the Node entry (onnxruntime-node). */
export type NodeExecutionProvider = 'cuda' | 'cpu';

/** Execution providers of the web entry (onnxruntime-web). */
export type WebExecutionProvider = 'webgpu' | 'wasm';

/** The execution providers of one entry, and what its default list is made of. */
export interface ProviderTable<P extends string> {
  /** The ONNX Runtime flavour: 'onnxruntime-node' or 'onnxruntime-web'. */
  readonly backend: string;
  /** Every provider the entry accepts, in priority order. */
  readonly known: readonly P[];
  /**
   * Providers that need nothing beyond the package itself ('cpu', 'wasm'): always available, and
   * when one of them rejects the file, the file (not the machine) is at fault.
   */
  readonly baseline: readonly P[];
  /** The providers the default list tries when available, in priority order; the others only when asked for. */
  readonly defaults: readonly P[];
  /**
   * Provider → the library file it needs, per platform (process.platform). A provider not listed
   * needs none; a listed one is unavailable on a platform without a file name.
   */
  readonly libraries: Readonly<Partial<Record<P, Readonly<Partial<Record<string, string>>>>>>;
}

/**
 * onnxruntime-node: 'cuda' then 'cpu'; 'cuda' needs its provider library next to the native binding
 * (gmmrl skips that download by default; see index.node.ts).
 */
export const NODE_PROVIDERS: ProviderTable<NodeExecutionProvider> = {
  backend: 'onnxruntime-node',
  known: ['cuda', 'cpu'],
  baseline: ['cpu'],
  defaults: ['cuda', 'cpu'],
  libraries: { cuda: { linux: 'libonnxruntime_providers_cuda.so', win32: 'onnxruntime_providers_cuda.dll' } },
};

/** onnxruntime-web: 'webgpu' only when asked for (it needs a browser with navigator.gpu), 'wasm' always. */
export const WEB_PROVIDERS: ProviderTable<WebExecutionProvider> = {
  backend: 'onnxruntime-web',
  known: ['webgpu', 'wasm'],
  baseline: ['wasm'],
  defaults: ['wasm'],
  libraries: {},
};

/** What decides which providers are available: the platform and the provider libraries installed. */
export interface ProviderEnvironment {
  /** process.platform ('linux', 'win32', 'darwin', …); anything for an entry whose providers need no library. */
  readonly platform: string;
  /** Whether a provider library file is installed (Node: in onnxruntime-node's binding folder). */
  readonly hasLibrary: (file: string) => boolean;
}

/** True when `provider` needs no library, or its library for `env.platform` is installed. */
export function providerAvailable<P extends string>(table: ProviderTable<P>, provider: P, env: ProviderEnvironment): boolean {
  const libs = table.libraries[provider];
  if (libs === undefined) return true;
  const file = libs[env.platform];
  return file !== undefined && env.hasLibrary(file);
}

/**
 * The default provider order of an entry: its `defaults` that are available in `env`, in order.
 * Node: ['cuda', 'cpu'] where the CUDA provider library is installed, else ['cpu']; web: ['wasm'].
 */
export function defaultExecutionProviders<P extends string>(table: ProviderTable<P>, env: ProviderEnvironment): P[] {
  return table.defaults.filter((p) => providerAvailable(table, p, env));
}

/** How an entry asks for a session (the part of CreatePolicyOptions about providers). */
export interface ProviderOptions {
  /** Providers to try, in priority order (already defaulted by the entry point). */
  executionProviders: readonly string[];
  /** Provider names this entry point knows. Others are recorded as failures ("unknown"). */
  knownProviders: readonly string[];
  /**
   * Providers that need nothing beyond the package itself ('cpu', 'wasm'). When one of these
   * rejects the file, the file (not the machine) is at fault → ModelFormatError.
   */
  baselineProviders: readonly string[];
  /** 'onnxruntime-node' or 'onnxruntime-web', for messages and `info.backend`. */
  backend: string;
  /** Passed through to InferenceSession.create (executionProviders is set by us). */
  sessionOptions?: Record<string, unknown>;
  /** Extra advice appended to a provider's failure (e.g. how to install the CUDA provider). */
  providerHint?: (provider: string) => string | undefined;
}

/** Messages by which ONNX Runtime reports a bad model rather than a bad environment. */
const MODEL_ERROR_PATTERN =
  /INVALID_GRAPH|INVALID_PROTOBUF|INVALID_ARGUMENT|NO_MODEL|NOT_IMPLEMENTED|Protobuf parsing failed|invalid model|Load model|ModelProto|Could not find an implementation|is not a registered function\/op|Unrecognized attribute|Type Error|ShapeInferenceError|Node \(/i;

/**
 * Opens a session on the first provider of `options.executionProviders` that starts. Throws
 * ValueError (no provider list), ModelFormatError (the model is at fault: a baseline provider or an
 * ONNX Runtime model error rejected it), BackendError (no provider could start; every failure listed).
 */
export async function openSession(
  ort: OrtModuleLike,
  bytes: Uint8Array,
  options: ProviderOptions,
): Promise<{ session: OrtSessionLike; provider: string; failures: ProviderFailure[] }> {
  const eps = options.executionProviders;
  if (!Array.isArray(eps) || eps.length === 0) {
    throw new ValueError(
      `executionProviders must be a non-empty array of provider names (${options.knownProviders.join(', ')}), got ${describeValue(eps)}.`,
    );
  }
  const failures: ProviderFailure[] = [];
  let session: OrtSessionLike | null = null;
  let used = '';
  let baselineRejected = false;
  for (const ep of eps as unknown[]) {
    if (typeof ep !== 'string' || !options.knownProviders.includes(ep)) {
      failures.push({
        provider: String(ep),
        error: `unknown execution provider ${describeValue(ep)} (${options.backend} supports: ${options.knownProviders.join(', ')})`,
      });
      continue;
    }
    try {
      session = await ort.InferenceSession.create(bytes, { ...options.sessionOptions, executionProviders: [ep] });
      used = ep;
      break;
    } catch (err) {
      const msg = errorMessage(err);
      const hint = options.providerHint?.(ep);
      failures.push({ provider: ep, error: hint ? `${msg} (${hint})` : msg });
      if (options.baselineProviders.includes(ep)) baselineRejected = true;
    }
  }
  if (session === null) {
    const list = failures.map((f) => `  - ${f.provider}: ${f.error}`).join('\n');
    const modelFault = baselineRejected || failures.some((f) => MODEL_ERROR_PATTERN.test(f.error));
    if (modelFault) {
      throw new ModelFormatError(
        `ONNX Runtime (${options.backend}) rejected the model although its gmmrl metadata is intact: the graph is corrupt ` +
          `or uses an operator this ONNX Runtime does not support. Re-export the model. Failures:\n${list}`,
      );
    }
    throw new BackendError(
      `No execution provider could run the model on ${options.backend}; tried ${failures.length} (in order):\n${list}\n` +
        `Pass executionProviders with a provider available here (${options.baselineProviders.join(', ')} always is).`,
    );
  }
  return { session, provider: used, failures };
}
