/**
 * TensorFlow.js backend selection for training.
 *
 * Order for `auto`: tensorflow-gpu (@tensorflow/tfjs-node-gpu, if the user installed it), tensorflow
 * (@tensorflow/tfjs-node, if installed), then the bundled wasm backend (the default on a fresh
 * install), then cpu (pure JS, always available). The native packages are never dependencies of
 * gmmrl: their install downloads libtensorflow, so they are detected at run time only.
 *
 * Every attempt that fails is recorded, and `BackendError` lists them all when nothing works.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's gradient functions, bundled by scripts/postbuild.mjs (tfjs-core's Node build has none).
import '../models/tfjs-gradients.js';
import '@tensorflow/tfjs-backend-wasm';
import { BackendError, UnknownNameError } from '../contract/errors.js';

export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  /** What was asked for. */
  requested: BackendName;
  /** What runs: one of tensorflow-gpu, tensorflow, wasm, cpu. */
  name: Exclude<BackendName, 'auto'>;
  /** tf.getBackend() after selection ('tensorflow', 'wasm', 'cpu'). */
  tfBackend: string;
  /** Attempts that failed before the chosen one, with the reason. */
  skipped: { name: string; reason: string }[];
  /** The tfjs-core version in use. */
  tfjsVersion: string;
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

/**
 * Selects and initialises the backend. Idempotent for the same request. Returns what runs.
 * Throws BackendError listing every failure when the requested backend (or, for `auto`, every
 * candidate) cannot be initialised.
 */
export async function selectBackend(requested: BackendName = 'auto'): Promise<BackendInfo> {
  parseBackendName(requested);
  if (current && current.requested === requested) return current;
  const candidates: Exclude<BackendName, 'auto'>[] = requested === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [requested];
  const skipped: { name: string; reason: string }[] = [];
  for (const name of candidates) {
    let reason: string | null;
    if (name === 'tensorflow-gpu' || name === 'tensorflow') {
      reason = await tryNative(name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
      if (reason === null) reason = await trySet('tensorflow');
    } else {
      reason = await trySet(name);
    }
    if (reason === null) {
      // tfjs's cpu backend prints a banner recommending tfjs-node on first use; our own backend line
      // (describeBackend) already says what runs and what was skipped, so silence tfjs's warnings.
      tf.env().set('PROD', true);
      current = { requested, name, tfBackend: tf.getBackend(), skipped, tfjsVersion: tf.version_core };
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
  return `backend: ${info.name} (tfjs ${info.tfjsVersion}${skipped ? `; skipped ${skipped}` : ''})`;
}

export { tf };
