/**
 * @gmmrl/runtime for browsers (and any JS engine with WebAssembly; also `gmmrl/runtime` from the SDK):
 * run exported gmmrl ONNX models with onnxruntime-web.
 *
 *   import { loadPolicy } from '@gmmrl/runtime';
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
import { FileReadError, ValueError, describeValue } from '../contract/errors.js';
import type { OrtModuleLike } from './ort.js';
import { RAISE_HINT, checkLoadOptions, createEntryPolicy, modelBytes } from './policy.js';
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

/**
 * Downloads the model, at most `maxBytes` of it: a Content-Length over the limit is refused before
 * the body is read, and a body without one is read in chunks and cancelled where it runs past the limit.
 */
async function fetchBytes(url: string | URL, init: RequestInit | undefined, maxBytes: number): Promise<Uint8Array> {
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
  const tooBig = (size: string): FileReadError =>
    new FileReadError(
      `The model at ${JSON.stringify(String(url))} is ${size}, over the limit of ${maxBytes} bytes (maxFileBytes); if the model is genuine, ${RAISE_HINT}.`,
    );
  const declared = res.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) throw tooBig(`${declared} bytes (Content-Length)`);
  if (declared !== null || res.body === null) {
    // a declared length bounds the body (the fetch fails on a longer one); counted again to be sure
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length > maxBytes) throw tooBig(`${bytes.length} bytes`);
    return bytes;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let part: ReadableStreamReadResult<Uint8Array>;
    try {
      part = await reader.read();
    } catch (err) {
      throw new FileReadError(
        `Cannot fetch the model from ${JSON.stringify(String(url))}: the download failed: ${(err as Error).message}.`,
      );
    }
    if (part.done) break;
    total += part.value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooBig(`more than ${maxBytes} bytes (the download was stopped there)`);
    }
    chunks.push(part.value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/**
 * Loads a gmmrl ONNX model from a URL or bytes and returns a Policy running on onnxruntime-web.
 * Throws ValueError (bad options, bytes over `maxFileBytes`), FileReadError (fetch failed, or the
 * download is over `maxFileBytes`), ModelFormatError (not a valid gmmrl ONNX model, or modified
 * since export), BackendError (no execution provider could start; all failures listed).
 */
export async function loadPolicy(urlOrBytes: string | URL | Uint8Array | ArrayBuffer, options: WebLoadOptions = {}): Promise<Policy> {
  const { maxFileBytes } = checkLoadOptions(options, WEB_PROVIDERS, ['fetchInit']);
  const fetchInit = (options as { fetchInit?: unknown } | undefined)?.fetchInit;
  if (fetchInit !== undefined && (typeof fetchInit !== 'object' || fetchInit === null || Array.isArray(fetchInit))) {
    throw new ValueError(`loadPolicy: options.fetchInit must be a RequestInit object (passed to fetch), got ${describeValue(fetchInit)}.`);
  }
  let bytes: Uint8Array;
  if (typeof urlOrBytes === 'string' || urlOrBytes instanceof URL) {
    bytes = await fetchBytes(urlOrBytes, fetchInit as RequestInit | undefined, maxFileBytes);
  } else {
    bytes = modelBytes(urlOrBytes, 'a URL (string or URL)', maxFileBytes);
  }
  configureThreads();
  return createEntryPolicy(ort as unknown as OrtModuleLike, bytes, WEB_PROVIDERS, WEB_ENVIRONMENT, options, (ep) =>
    ep === 'webgpu' ? 'WebGPU needs a browser with navigator.gpu (Chrome/Edge 113+); it is not available in Node' : undefined,
  );
}
