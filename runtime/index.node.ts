/**
 * @gmmrl/runtime for Node.js (also `gmmrl/runtime` from the SDK): run exported gmmrl ONNX models with
 * onnxruntime-node.
 *
 *   import { loadPolicy } from '@gmmrl/runtime';
 *   const policy = await loadPolicy('cartpole.onnx');
 *   const action = await policy.act([0.01, -0.02, 0.03, 0.04]);   // greedy action (index, or an actor's vector)
 *   env.step(await policy.envAction(obs));                         // index, or a grid / actor action vector
 *   await policy.act(obs, { mode: 'sample' });                     // sampled, seeded by loadPolicy's `seed`
 *
 * Execution providers: 'cuda' then 'cpu' by default, but 'cuda' only when the CUDA provider library
 * (libonnxruntime_providers_cuda.so) is installed next to the onnxruntime-node binding. Its download
 * (from NuGet, outside the npm registry) is onnxruntime-node's install script, which README's
 * "Installing" section skips (package.json "allowScripts": { "onnxruntime-node": false }). GPU users
 * allow it ("onnxruntime-node": true) and run
 *   ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node
 * on a machine with CUDA 12 and cuDNN 9.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { FileReadError } from '../contract/errors.js';
import { readRegularFile } from '../contract/files.js';
import type { NewHash } from './digest.js';
import type { OrtModuleLike } from './ort.js';
import { RAISE_HINT, checkLoadOptions, createEntryPolicy, modelBytes } from './policy.js';
import {
  NODE_PROVIDERS,
  defaultExecutionProviders as defaultProvidersOf,
  providerAvailable,
  type NodeExecutionProvider,
  type ProviderEnvironment,
} from './providers.js';
import type { LoadPolicyOptions, Policy } from './types.js';

export * from './public.js';

export type { NodeExecutionProvider } from './providers.js';

/** Execution providers of the Node entry, in priority order. */
export const NODE_EXECUTION_PROVIDERS: readonly NodeExecutionProvider[] = NODE_PROVIDERS.known;

/** loadPolicy's options (sessionOptions: onnxruntime-node's). */
export interface NodeLoadOptions extends LoadPolicyOptions<
  NodeExecutionProvider,
  Omit<ort.InferenceSession.SessionOptions, 'executionProviders'>
> {
  /**
   * Providers to try in priority order; the first that starts is used (see `policy.info`).
   * Default: ['cuda', 'cpu'] when the CUDA provider is installed (see `cudaProviderInstalled`), else ['cpu'].
   */
  executionProviders?: NodeExecutionProvider[];
}

/** Directory holding onnxruntime-node's native binding for this platform, or null when not found. */
export function ortBindingDir(): string | null {
  try {
    const req = createRequire(import.meta.url);
    const entry = req.resolve('onnxruntime-node'); // …/onnxruntime-node/dist/index.js
    return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

/** This machine, for the provider table: process.platform and the files in onnxruntime-node's binding folder. */
function bindingEnvironment(): ProviderEnvironment {
  const dir = ortBindingDir();
  return { platform: process.platform, hasLibrary: (file) => dir !== null && existsSync(join(dir, file)) };
}

/** True when onnxruntime-node's CUDA execution provider library is installed next to its binding. */
export function cudaProviderInstalled(): boolean {
  return providerAvailable(NODE_PROVIDERS, 'cuda', bindingEnvironment());
}

/** The default provider order: cuda (only when installed), then cpu (providers.ts, NODE_PROVIDERS). */
export function defaultExecutionProviders(): NodeExecutionProvider[] {
  return defaultProvidersOf(NODE_PROVIDERS, bindingEnvironment());
}

const CUDA_HINT =
  'the CUDA provider is not installed with onnxruntime-node; install it with ' +
  '`ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` on a machine with CUDA 12 and cuDNN 9 ' +
  '(with npm ≥ 11.16, first allow its install script: package.json "allowScripts": { "onnxruntime-node": true })';

/** node:crypto's SHA-256 for the integrity check (native; runtime/digest.ts checks it equals the pure-JS one). */
const nodeSha256: NewHash = () => {
  const h = createHash('sha256');
  return { update: (data: Uint8Array) => h.update(data), hex: () => h.digest('hex') };
};

/**
 * Loads a gmmrl ONNX model from a file path or bytes and returns a Policy running on
 * onnxruntime-node. A path is read only if it is a regular file of at most `maxFileBytes` (checked
 * on the open descriptor before reading: a FIFO, a device such as /dev/zero or a directory is
 * refused at once). Throws ValueError (bad options, bytes over the limit), FileReadError (path
 * unreadable, not a regular file, over the limit), ModelFormatError (not a valid gmmrl ONNX model,
 * or modified since export), BackendError (no execution provider could start; all failures listed).
 */
export async function loadPolicy(pathOrBytes: string | Uint8Array | ArrayBuffer, options: NodeLoadOptions = {}): Promise<Policy> {
  const { maxFileBytes } = checkLoadOptions(options, NODE_PROVIDERS, []);
  let bytes: Uint8Array;
  if (typeof pathOrBytes === 'string') {
    const abs = resolve(pathOrBytes);
    bytes = await readRegularFile(abs, { what: 'model file', maxBytes: maxFileBytes, raiseHint: RAISE_HINT }).catch((err: unknown) => {
      // files.ts names the absolute path; say where a relative one came from
      if (!(err instanceof FileReadError) || abs === pathOrBytes) throw err;
      throw new FileReadError(
        `${err.message} (the path ${JSON.stringify(pathOrBytes)}, resolved from the working directory ${JSON.stringify(process.cwd())})`,
      );
    });
  } else {
    bytes = modelBytes(pathOrBytes, 'a file path (string)', maxFileBytes);
  }
  const env = bindingEnvironment();
  const cudaInstalled = providerAvailable(NODE_PROVIDERS, 'cuda', env);
  return createEntryPolicy(
    ort as unknown as OrtModuleLike,
    bytes,
    NODE_PROVIDERS,
    env,
    options,
    (ep) => (ep === 'cuda' && !cudaInstalled ? CUDA_HINT : undefined),
    nodeSha256,
  );
}
