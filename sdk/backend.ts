/**
 * TensorFlow.js backend selection for training.
 *
 * Order for `auto`: tensorflow-gpu (@tensorflow/tfjs-node-gpu, if the user installed it), tensorflow
 * (@tensorflow/tfjs-node, if installed), then the bundled wasm backend (the default on a fresh
 * install), then cpu (pure JS, always available). The native packages are never dependencies of
 * gmmrl: their install downloads libtensorflow, so they are detected at run time only.
 *
 * `wasm-threads` (opt-in, never tried by `auto`) is the same wasm backend on its multi-threaded SIMD
 * build, started through a run-time shim (startWasmThreads below): tfjs-backend-wasm 4.22 disables
 * threads in Node because its pthread workers start from `blob:` URLs, which worker_threads refuses.
 *
 * Every attempt that fails is recorded, and `BackendError` lists them all when nothing works.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's gradient functions, bundled by scripts/postbuild.mjs (tfjs-core's Node build has none).
import '../models/tfjs-gradients.js';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import workerThreads from 'node:worker_threads';
import { BackendError, UnknownNameError, ValueError, describeValue } from '../contract/errors.js';

export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu', 'wasm-threads'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  /** What was asked for. */
  requested: BackendName;
  /** What runs: one of tensorflow-gpu, tensorflow, wasm, cpu, wasm-threads. */
  name: Exclude<BackendName, 'auto'>;
  /** tf.getBackend() after selection ('tensorflow', 'wasm', 'cpu'). */
  tfBackend: string;
  /** Attempts that failed before the chosen one, with the reason. */
  skipped: { name: string; reason: string }[];
  /** The tfjs-core version in use. */
  tfjsVersion: string;
  /** XNNPACK's thread count for wasm / wasm-threads (1 on the single-threaded build); absent otherwise. */
  threads?: number;
}

export interface SelectBackendOptions {
  /**
   * Threads for `wasm-threads` (1 to 8, XNNPACK's pool limit in tfjs-backend-wasm): default
   * min(os.availableParallelism(), 8). Ignored by the other backends.
   */
  wasmThreads?: number;
}

let current: BackendInfo | null = null;

/** Validates a user-supplied backend name. */
export function parseBackendName(value: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new UnknownNameError(`--backend: unknown backend ${JSON.stringify(value)}. Valid values: ${BACKEND_NAMES.join(', ')}.`);
}

async function tryNative(pkg: string): Promise<string | null> {
  try {
    await import(pkg);
    return null;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return `${pkg} is not installed`;
    return `${pkg} failed to load: ${(err as Error).message.split('\n')[0]}`;
  }
}

async function trySet(name: string): Promise<string | null> {
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return `tf.setBackend('${name}') returned false`;
    await tf.ready();
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? String(err);
  }
}

/** XNNPACK's thread-pool limit in tfjs-backend-wasm 4.22 (it pre-creates 8 pthread workers). */
export const WASM_MAX_THREADS = 8;

function parseWasmThreads(value: number | undefined): number {
  if (value === undefined) return Math.min(os.availableParallelism(), WASM_MAX_THREADS);
  if (!Number.isInteger(value) || value < 1 || value > WASM_MAX_THREADS)
    throw new ValueError(
      `wasmThreads is ${describeValue(value)}; expected an integer from 1 to ${WASM_MAX_THREADS} (omit it for min(cores, ${WASM_MAX_THREADS})).`,
    );
  return value;
}

/** How the wasm module was started in this process: a process can instantiate it only once. */
let wasmStarted: { threaded: boolean; threads: number } | null = null;

function wasmThreadCount(): number {
  try {
    return tfWasm.getThreadsCount();
  } catch {
    return 1;
  }
}

/**
 * Starts tfjs-backend-wasm's threaded SIMD build in Node. Three things stand in the way in 4.22, and
 * each is patched only for the duration of this call (nothing in node_modules changes):
 * - its WASM_HAS_MULTITHREAD_SUPPORT flag is hard-wired to false in Node (tfjs issue 3830): set true;
 * - the pthread workers are created with `new Worker(blobUrl)` and told to load the main script from
 *   a Blob; worker_threads accepts neither. The module takes `Worker` from worker_threads when it is
 *   instantiated, so a subclass installed there starts each worker from the package's own worker
 *   source (`wasm-out/*.worker.js`, as `eval` code) and rewrites the Blob to the path of the
 *   package's own main script (`wasm-out/tfjs-backend-wasm-threaded-simd.js`, the same build);
 * - the thread count is capped at os.cpus().length / 2 (a hyper-threading guess): os.cpus is made to
 *   report 2 × threads entries while the module computes that cap.
 * The workers are kept unref'd (emscripten refs a worker while a pthread runs on it, and XNNPACK's
 * pool threads never end), so they never hold the process open; the main thread waits on them
 * synchronously inside each kernel.
 */
async function startWasmThreads(threads: number): Promise<string | null> {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const mainScript = join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require(join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // tfjs escapes the newlines inside the source's string literals before making its Blob; same here.
  const workerSource = wasmWorkerContents.replace(/\n/g, '\\n');
  const NodeWorker = workerThreads.Worker;
  class PthreadWorker extends NodeWorker {
    constructor(_url: unknown, options?: workerThreads.WorkerOptions) {
      super(workerSource, { ...options, eval: true });
      super.unref();
    }
    override ref(): void {}
    override postMessage(message: unknown, transfer?: readonly workerThreads.TransferListItem[]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (m && m.cmd === 'load' && typeof m.urlOrBlob !== 'string') message = { ...m, urlOrBlob: mainScript };
      super.postMessage(message, transfer);
    }
  }
  const cpus = os.cpus;
  const wt = workerThreads as { Worker: typeof NodeWorker };
  wt.Worker = PthreadWorker;
  os.cpus = () => {
    const real = cpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]!);
  };
  try {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    tfWasm.setThreadsCount(threads);
    return await trySet('wasm');
  } finally {
    wt.Worker = NodeWorker;
    os.cpus = cpus;
  }
}

async function trySetWasm(threaded: boolean, threads: number): Promise<string | null> {
  if (wasmStarted) {
    if (wasmStarted.threaded !== threaded || (threaded && wasmStarted.threads !== threads))
      return (
        `the wasm module already started in this process ${wasmStarted.threaded ? `with ${wasmStarted.threads} threads` : 'single-threaded'}, ` +
        `and a process can start it only once: choose ${threaded ? `wasm-threads (${threads} threads)` : 'wasm'} before the first use of wasm, or run it in its own process`
      );
    return trySet('wasm');
  }
  const reason = threaded ? await startWasmThreads(threads) : await trySet('wasm');
  if (reason !== null) return reason;
  wasmStarted = { threaded, threads: wasmThreadCount() };
  if (threaded && wasmStarted.threads !== threads)
    return `the threaded wasm module started with ${wasmStarted.threads} threads instead of the ${threads} asked for`;
  return null;
}

/**
 * Selects and initialises the backend. Idempotent for the same request. Returns what runs.
 * Throws BackendError listing every failure when the requested backend (or, for `auto`, every
 * candidate) cannot be initialised.
 */
export async function selectBackend(requested: BackendName = 'auto', opts: SelectBackendOptions = {}): Promise<BackendInfo> {
  parseBackendName(requested);
  const wasmThreads = requested === 'wasm-threads' ? parseWasmThreads(opts.wasmThreads) : 0;
  if (current && current.requested === requested && (requested !== 'wasm-threads' || current.threads === wasmThreads)) return current;
  const candidates: Exclude<BackendName, 'auto'>[] = requested === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [requested];
  const skipped: { name: string; reason: string }[] = [];
  for (const name of candidates) {
    let reason: string | null;
    if (name === 'tensorflow-gpu' || name === 'tensorflow') {
      reason = await tryNative(name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
      if (reason === null) reason = await trySet('tensorflow');
    } else if (name === 'wasm' || name === 'wasm-threads') {
      reason = await trySetWasm(name === 'wasm-threads', wasmThreads);
    } else {
      reason = await trySet(name);
    }
    if (reason === null) {
      // tfjs's cpu backend prints a banner recommending tfjs-node on first use; our own backend line
      // (describeBackend) already says what runs and what was skipped, so silence tfjs's warnings.
      tf.env().set('PROD', true);
      current = { requested, name, tfBackend: tf.getBackend(), skipped, tfjsVersion: tf.version_core };
      if (current.tfBackend === 'wasm') current.threads = wasmThreadCount();
      return current;
    }
    skipped.push({ name, reason });
  }
  const lines = skipped.map((s) => `  - ${s.name}: ${s.reason}`).join('\n');
  const fix =
    requested === 'tensorflow-gpu' || requested === 'tensorflow'
      ? ` Install ${requested === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node'} (it downloads libtensorflow) or use --backend auto.`
      : ' Use --backend auto to fall back automatically.';
  throw new BackendError(`No TensorFlow.js backend could be initialised for --backend ${requested}:\n${lines}\n${fix}`);
}

/** One line for progress output, e.g. "backend: wasm (tensorflow-gpu: not installed; tensorflow: not installed)". */
export function describeBackend(info: BackendInfo): string {
  const skipped = info.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  const threads = info.name === 'wasm-threads' ? `${info.threads} threads; ` : '';
  return `backend: ${info.name} (${threads}tfjs ${info.tfjsVersion}${skipped ? `; skipped ${skipped}` : ''})`;
}

export { tf };
