/**
 * gmmrl/runtime for browsers (and any JS engine with WebAssembly): run exported gmmrl ONNX models
 * with onnxruntime-web.
 *
 *   import { loadPolicy } from 'gmmrl/runtime';
 *   const policy = await loadPolicy('/models/cartpole.onnx');   // fetched
 *   const action = await policy.act(observation);        // greedy action (index, or an actor's vector)
 *   env.step(await policy.envAction(observation));       // index, or a grid / actor action vector
 *   await policy.act(observation, { mode: 'sample' });   // sampled, seeded by loadPolicy's `seed`
 *
 * Execution providers: 'wasm' by default; 'webgpu' only when asked for (executionProviders:
 * ['webgpu', 'wasm'] tries WebGPU first and falls back to wasm).
 *
 * The same module also works in Node (onnxruntime-web resolves to its Node build there), which is how
 * the test suite checks it against onnxruntime-node; in Node pass bytes, not a path.
 * Threads: under Node this entry sets `ort.env.wasm.numThreads = 1` unless the caller has set it.
 * Multi-threaded wasm spawns worker threads at startup and, for graphs this small, is slower than one
 * thread (runtime/README.md, "Web in Node", has the measurement); it does not hang or keep the process alive. Set `ort.env.wasm.numThreads` yourself (import * as ort from
 * 'onnxruntime-web') before the first loadPolicy to override. Browsers keep onnxruntime-web's own
 * default (threads only on cross-origin-isolated pages).
 */
import * as ort from 'onnxruntime-web';
import { FileReadError } from '../contract/errors.js';
import type { OrtModuleLike } from './ort.js';
import { checkOptionKeys, createEntryPolicy, modelBytes } from './policy.js';
import { WEB_PROVIDERS, type ProviderEnvironment, type WebExecutionProvider } from './providers.js';
import type { LoadPolicyOptions, Policy } from './types.js';

export * from './public.js';

export type { WebExecutionProvider } from './providers.js';

/** Execution providers of the web entry, in priority order. */
export const WEB_EXECUTION_PROVIDERS: readonly WebExecutionProvider[] = WEB_PROVIDERS.known;

/** The web entry's providers need no library files: its defaults do not depend on the platform. */
const WEB_ENVIRONMENT: ProviderEnvironment = { platform: 'web', hasLibrary: () => false };

/** loadPolicy's options (sessionOptions: onnxruntime-web's). */
export interface WebLoadOptions extends LoadPolicyOptions<
  WebExecutionProvider,
  Omit<ort.InferenceSession.SessionOptions, 'executionProviders'>
> {
  /** Providers to try in priority order. Default ['wasm']. */
  executionProviders?: WebExecutionProvider[];
  /** Passed to fetch() when loading from a URL. */
  fetchInit?: RequestInit;
}

/** True in Node.js (where onnxruntime-web runs its Node build). */
function inNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

let threadsConfigured = false;
function configureThreads(): void {
  if (threadsConfigured) return;
  threadsConfigured = true;
  if (inNode() && ort.env.wasm.numThreads === undefined) ort.env.wasm.numThreads = 1;
}

async function fetchBytes(url: string | URL, init: RequestInit | undefined): Promise<Uint8Array> {
  if (typeof fetch !== 'function') {
    throw new FileReadError(
      `Cannot fetch ${JSON.stringify(String(url))}: this JavaScript environment has no fetch(); pass the model bytes instead.`,
    );
  }
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    const nodeHint = inNode()
      ? ' In Node, pass the bytes (fs.readFileSync) or use the Node entry (import from "gmmrl/runtime" under Node resolves to it).'
      : '';
    throw new FileReadError(`Cannot fetch the model from ${JSON.stringify(String(url))}: ${(err as Error).message}.${nodeHint}`);
  }
  if (!res.ok) {
    throw new FileReadError(`Cannot fetch the model from ${JSON.stringify(String(url))}: HTTP ${res.status} ${res.statusText}.`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Loads a gmmrl ONNX model from a URL or bytes and returns a Policy running on onnxruntime-web.
 * Throws FileReadError (fetch failed), ModelFormatError (not a valid gmmrl ONNX model), BackendError
 * (no execution provider could start; all failures listed).
 */
export async function loadPolicy(urlOrBytes: string | URL | Uint8Array | ArrayBuffer, options: WebLoadOptions = {}): Promise<Policy> {
  checkOptionKeys(options, ['executionProviders', 'sessionOptions', 'seed', 'fetchInit', 'greedyGraph'], 'loadPolicy');
  let bytes: Uint8Array;
  if (typeof urlOrBytes === 'string' || urlOrBytes instanceof URL) {
    bytes = await fetchBytes(urlOrBytes, options.fetchInit);
  } else {
    bytes = modelBytes(urlOrBytes, 'a URL (string or URL)');
  }
  configureThreads();
  return createEntryPolicy(ort as unknown as OrtModuleLike, bytes, WEB_PROVIDERS, WEB_ENVIRONMENT, options, (ep) =>
    ep === 'webgpu' ? 'WebGPU needs a browser with navigator.gpu (Chrome/Edge 113+); it is not available in Node' : undefined,
  );
}
