/**
 * TensorFlow.js backend selection for training.
 *
 * Order for `auto`: tensorflow-gpu (@tensorflow/tfjs-node-gpu, if the user installed it), tensorflow
 * (@tensorflow/tfjs-node, if installed), webgpu (the `webgpu` package and
 * @tensorflow/tfjs-backend-webgpu, if installed, on a hardware adapter; in Node only for callers that
 * read tensors asynchronously, `reads: 'async'`, as DQN's trainer does: elsewhere it is only probed
 * and the reason printed), then the bundled wasm
 * backend (the default on a fresh install), then cpu (pure JS, always available). The native and
 * WebGPU packages are never dependencies of gmmrl (libtensorflow's download; Dawn's binary): they
 * are detected at run time only.
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

export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu', 'wasm-threads'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  /** What was asked for. */
  requested: BackendName;
  /** What runs: one of tensorflow-gpu, tensorflow, webgpu, wasm, cpu, wasm-threads. */
  name: Exclude<BackendName, 'auto'>;
  /** tf.getBackend() after selection ('tensorflow', 'webgpu', 'wasm', 'cpu'). */
  tfBackend: string;
  /** Attempts that failed before the chosen one, with the reason. */
  skipped: { name: string; reason: string }[];
  /** The tfjs-core version in use. */
  tfjsVersion: string;
  /** XNNPACK's thread count for wasm / wasm-threads (1 on the single-threaded build); absent otherwise. */
  threads?: number;
  /** webgpu only: the adapter, e.g. "nvidia ampere (NVIDIA RTX A4000)" or "google swiftshader (SwiftShader driver 5.0.0), software". */
  adapter?: string;
}

export interface SelectBackendOptions {
  /**
   * Threads for `wasm-threads` (1 to 8, XNNPACK's pool limit in tfjs-backend-wasm): default
   * min(os.availableParallelism(), 8). Ignored by the other backends.
   */
  wasmThreads?: number;
  /**
   * How the caller reads tensors back, for webgpu in Node, where tfjs-backend-webgpu reads a GPU
   * tensor only asynchronously: 'async' (only `await tensor.data()`: `auto` may then pick a hardware
   * adapter), 'sync' (dataSync somewhere: webgpu is refused, by `auto` with the reason and by
   * `--backend webgpu` with a BackendError, naming `caller`). Omitted: `--backend webgpu` is
   * accepted (a synchronous read then fails with a BackendError) and `auto` skips it in Node.
   */
  reads?: 'sync' | 'async';
  /** Who asks, for the refusal (e.g. "the sac trainer"). */
  caller?: string;
}

let current: BackendInfo | null = null;

/** Validates a user-supplied backend name. */
export function parseBackendName(value: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new UnknownNameError(`--backend: unknown backend ${JSON.stringify(value)}. Valid values: ${BACKEND_NAMES.join(', ')}.`);
}

/** Imports an optional package (never a dependency): its module, or why not ("NAME is not installed", "NAME failed to load: …"). */
async function importOptional<T = unknown>(
  pkg: string,
  name = pkg,
): Promise<{ module: T; reason?: undefined } | { module?: undefined; reason: string }> {
  try {
    return { module: (await import(pkg)) as T };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return { reason: `${name} is not installed` };
    return { reason: `${name} failed to load: ${(err as Error).message.split('\n')[0]}` };
  }
}

async function tryNative(pkg: string): Promise<string | null> {
  return (await importOptional(pkg)).reason ?? null;
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

// ---- webgpu ---------------------------------------------------------------------------------
// The `webgpu` package (Dawn for Node) gives Node a navigator.gpu; @tensorflow/tfjs-backend-webgpu
// registers itself at import when navigator.gpu exists. Both are optional: imported here only.

const WEBGPU_FIX =
  'Install the WebGPU packages (npm install webgpu @tensorflow/tfjs-backend-webgpu) on a machine with a GPU and its ' +
  'driver (Linux: Vulkan, libvulkan.so.1; macOS: Metal; Windows: D3D12).';

/** Where Linux's dynamic loader looks for libvulkan.so.1 besides LD_LIBRARY_PATH. */
export const VULKAN_DIRS: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/usr/local/lib',
  '/lib64',
  '/lib',
];

/**
 * Linux only: whether a Vulkan loader can be found. `auto` checks this before starting Dawn, which
 * otherwise prints its own warning ("Couldn't load Vulkan") on every run of a machine without one.
 */
async function vulkanLoaderFound(): Promise<boolean> {
  if (process.platform !== 'linux') return true;
  const { existsSync } = await import('node:fs');
  const dirs = [...(process.env['LD_LIBRARY_PATH'] ?? '').split(':').filter((d) => d !== ''), ...VULKAN_DIRS];
  return dirs.some((d) => existsSync(`${d}/libvulkan.so.1`));
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

/** "vendor architecture (description)", ", software" for a fallback (CPU) adapter. */
export function describeAdapter(adapter: GpuAdapterLike): { text: string; software: boolean } {
  const i = adapter.info ?? {};
  const software =
    i.isFallbackAdapter === true || adapter.isFallbackAdapter === true || (i.vendor === 'google' && i.architecture === 'swiftshader');
  const name = [i.vendor, i.architecture].filter((x) => x !== undefined && x !== '').join(' ') || 'unnamed adapter';
  const desc = i.description !== undefined && i.description !== '' ? ` (${i.description})` : '';
  return { text: `${name}${desc}${software ? ', software' : ''}`, software };
}

/**
 * Starts Dawn and checks for an adapter before loading tfjs's WebGPU backend. `explicit` (--backend
 * webgpu) accepts any adapter; `auto` skips a software one (SwiftShader: correct but far slower
 * than wasm, so for tests only), and in Node any one, as the trainers need synchronous reads.
 */
async function tryWebGpu(explicit: boolean, opts: SelectBackendOptions): Promise<{ reason: string | null; adapter?: string }> {
  const inNode = !('OffscreenCanvas' in globalThis);
  if (inNode && opts.reads === 'sync') {
    return {
      reason:
        `${opts.caller ?? 'this caller'} reads tensors synchronously (dataSync), which tfjs-backend-webgpu can do only in browsers ` +
        '(through OffscreenCanvas), not in Node; train it with --backend wasm (or tensorflow). DQN trains on webgpu in Node.',
    };
  }
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  let gpu = nav?.gpu;
  if (gpu === undefined) {
    const dawn = await importOptional<{ create: (flags: string[]) => GpuLike; globals: Record<string, unknown> }>(
      'webgpu',
      'the `webgpu` package',
    );
    if (dawn.module === undefined) return { reason: dawn.reason };
    const mod = dawn.module;
    if (!explicit && !(await vulkanLoaderFound())) {
      return { reason: 'no WebGPU adapter (no Vulkan loader libvulkan.so.1 in LD_LIBRARY_PATH or the system library folders)' };
    }
    // dawn.node's classes and constants (GPUBufferUsage, …) are globals in a browser; tfjs uses them so.
    for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    gpu = mod.create([]);
  }
  let adapter: GpuAdapterLike | null;
  try {
    // the same request tfjs-backend-webgpu makes (its default, WEBGPU_USE_LOW_POWER_GPU off)
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return { reason: `no WebGPU adapter (requestAdapter failed: ${(err as Error).message.split('\n')[0]})` };
  }
  if (adapter === null) {
    return { reason: 'no WebGPU adapter (requestAdapter returned null: no GPU driver Dawn accepts, e.g. Vulkan on Linux)' };
  }
  const { text, software } = describeAdapter(adapter);
  if (software && !explicit) {
    return { reason: `only a software adapter, ${text}: far slower than wasm for training (--backend webgpu uses it anyway)` };
  }
  if (!explicit && inNode && opts.reads !== 'async') {
    // see guardReadSync: a synchronous read of a GPU tensor cannot work in Node
    return {
      reason:
        `adapter ${text} found, but auto does not pick it in Node for ${opts.caller ?? 'code that may read tensors synchronously'}: ` +
        'tfjs-backend-webgpu reads tensors synchronously (dataSync) only in browsers (--backend webgpu selects it for code that reads with await tensor.data())',
    };
  }
  if (nav === undefined) {
    (globalThis as { navigator?: unknown }).navigator = { gpu };
  } else if (nav.gpu === undefined) {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  }
  const tfWebGpu = await importOptional('@tensorflow/tfjs-backend-webgpu');
  if (tfWebGpu.reason !== undefined) return { reason: tfWebGpu.reason, adapter: text };
  const reason = await trySet('webgpu');
  if (reason !== null) return { reason, adapter: text };
  guardReadSync();
  return { reason: null, adapter: text };
}

/**
 * tfjs-backend-webgpu reads a GPU tensor synchronously (dataSync) through an OffscreenCanvas, which
 * exists only in browsers; in Node it fails with "ReferenceError: OffscreenCanvas is not defined".
 * Replace that with a BackendError saying what to do. Values already on the CPU still read.
 */
function guardReadSync(): void {
  if ('OffscreenCanvas' in globalThis) return;
  const backend = tf.backend() as unknown as {
    readSync: (dataId: object) => unknown;
    tensorMap: { get(dataId: object): { values?: unknown; dtype?: string } | undefined };
  };
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: object) => {
    const data = backend.tensorMap.get(dataId);
    if (data !== undefined && (data.values != null || data.dtype === 'string')) return readSync(dataId);
    throw new BackendError(
      'The webgpu backend cannot read a GPU tensor synchronously in Node (dataSync/arraySync): ' +
        '@tensorflow/tfjs-backend-webgpu does that through OffscreenCanvas, which only browsers have. ' +
        'Read with `await tensor.data()`; of the trainers only DQN does, so train the others with --backend wasm (or tensorflow).',
    );
  };
}

/**
 * Selects and initialises the backend. Idempotent for the same request. Returns what runs.
 * Throws BackendError listing every failure when the requested backend (or, for `auto`, every
 * candidate) cannot be initialised.
 */
export async function selectBackend(requested: BackendName = 'auto', opts: SelectBackendOptions = {}): Promise<BackendInfo> {
  parseBackendName(requested);
  const wasmThreads = requested === 'wasm-threads' ? parseWasmThreads(opts.wasmThreads) : 0;
  if (
    current &&
    current.requested === requested &&
    (requested !== 'wasm-threads' || current.threads === wasmThreads) &&
    !(current.name === 'webgpu' && opts.reads === 'sync' && !('OffscreenCanvas' in globalThis))
  )
    return current;
  const candidates: Exclude<BackendName, 'auto'>[] =
    requested === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] : [requested];
  const skipped: { name: string; reason: string }[] = [];
  for (const name of candidates) {
    let reason: string | null;
    let adapter: string | undefined;
    if (name === 'webgpu') {
      const r = await tryWebGpu(requested === 'webgpu', opts);
      reason = r.reason;
      adapter = r.adapter;
    } else if (name === 'tensorflow-gpu' || name === 'tensorflow') {
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
      if (adapter) current.adapter = adapter;
      return current;
    }
    skipped.push({ name, reason });
  }
  const lines = skipped.map((s) => `  - ${s.name}: ${s.reason}`).join('\n');
  const fix =
    requested === 'tensorflow-gpu' || requested === 'tensorflow'
      ? ` Install ${requested === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node'} (it downloads libtensorflow) or use --backend auto.`
      : requested === 'webgpu'
        ? opts.reads === 'sync' && !('OffscreenCanvas' in globalThis)
          ? ' Use --backend wasm or auto.'
          : ` ${WEBGPU_FIX} Or use --backend auto to fall back automatically.`
        : ' Use --backend auto to fall back automatically.';
  throw new BackendError(`No TensorFlow.js backend could be initialised for --backend ${requested}:\n${lines}\n${fix}`);
}

/** One line for progress output, e.g. "backend: wasm (tensorflow-gpu: not installed; tensorflow: not installed)". */
export function describeBackend(info: BackendInfo): string {
  const skipped = info.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  const threads = info.name === 'wasm-threads' ? `${info.threads} threads; ` : '';
  const adapter = info.adapter ? `; adapter ${info.adapter}` : '';
  return `backend: ${info.name} (${threads}tfjs ${info.tfjsVersion}${adapter}${skipped ? `; skipped ${skipped}` : ''})`;
}

export { tf };
