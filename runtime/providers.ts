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

/**
 * ValueError unless `value` (loadPolicy's `executionProviders`) is undefined or a non-empty array of
 * distinct provider names of this entry (`table.known`).
 */
export function checkExecutionProviders<P extends string>(value: unknown, table: ProviderTable<P>): void {
  if (value === undefined) return;
  const known = table.known.map((p) => JSON.stringify(p)).join(', ');
  if (!Array.isArray(value) || value.length === 0) {
    throw new ValueError(
      `loadPolicy: options.executionProviders must be a non-empty array of provider names (${known}), got ${describeValue(value)}.`,
    );
  }
  value.forEach((ep: unknown, i) => {
    if (typeof ep !== 'string' || !(table.known as readonly string[]).includes(ep)) {
      // (the other entry's table is not named here: the web bundle must not contain the node entry's)
      throw new ValueError(
        `loadPolicy: options.executionProviders[${i}] is ${describeValue(ep)}, not an execution provider of ${table.backend}; ` +
          `the providers are ${known}.`,
      );
    }
    if (value.indexOf(ep) !== i) {
      throw new ValueError(
        `loadPolicy: options.executionProviders lists ${JSON.stringify(ep)} twice (at ${value.indexOf(ep)} and ${i}); list each provider once.`,
      );
    }
  });
}

/** The most threads intraOpNumThreads / interOpNumThreads may ask for (0 = ONNX Runtime's default). */
const MAX_SESSION_THREADS = 1024;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

const intIn = (lo: number, hi: number) => (v: unknown) =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? null : `an integer in [${lo}, ${hi}]`;
const oneOf = (choices: readonly string[]) => (v: unknown) =>
  typeof v === 'string' && choices.includes(v) ? null : `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`;
const bool = (v: unknown) => (typeof v === 'boolean' ? null : 'true or false');
const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? null : 'a non-empty string');
/** ONNX Runtime's `extra` config entries: nested plain objects whose leaves are strings (config values are text). */
const configTree = (v: unknown): string | null => {
  const ok = (x: unknown, depth: number): boolean =>
    typeof x === 'string' || (depth < 4 && isPlainObject(x) && Object.values(x).every((y) => ok(y, depth + 1)));
  return isPlainObject(v) && ok(v, 0) ? null : 'a plain object of string config values (e.g. { session: { disable_prepacking: "1" } })';
};
const dimOverrides = (v: unknown): string | null =>
  isPlainObject(v) && Object.values(v).every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 1 && d <= 2147483647)
    ? null
    : 'an object mapping dimension names to positive integers (e.g. { N: 1 })';

// entry tags, not backend names: the web bundle must not contain the node entry's package name
const NODE = 'node';
const WEB = 'web';

/**
 * The sessionOptions loadPolicy passes on: what each takes, and which entries' ONNX Runtime reads it
 * (a key the entry's ONNX Runtime ignores is refused rather than silently dropped). Keys ONNX
 * Runtime has but the runtime cannot honour are refused with the reason (`refused`).
 */
const SESSION_OPTIONS: Readonly<Record<string, { entries: readonly string[]; check: (v: unknown) => string | null }>> = {
  intraOpNumThreads: { entries: [NODE], check: intIn(0, MAX_SESSION_THREADS) },
  interOpNumThreads: { entries: [NODE], check: intIn(0, MAX_SESSION_THREADS) },
  graphOptimizationLevel: { entries: [NODE, WEB], check: oneOf(['disabled', 'basic', 'extended', 'layout', 'all']) },
  executionMode: { entries: [NODE, WEB], check: oneOf(['sequential', 'parallel']) },
  enableCpuMemArena: { entries: [NODE, WEB], check: bool },
  enableMemPattern: { entries: [NODE, WEB], check: bool },
  enableProfiling: { entries: [NODE, WEB], check: bool },
  enableGraphCapture: { entries: [WEB], check: bool },
  profileFilePrefix: { entries: [NODE], check: text },
  optimizedModelFilePath: { entries: [NODE, WEB], check: text },
  logId: { entries: [NODE, WEB], check: text },
  logSeverityLevel: { entries: [NODE, WEB], check: intIn(0, 4) },
  logVerbosityLevel: { entries: [WEB], check: intIn(0, 2147483647) },
  freeDimensionOverrides: { entries: [WEB], check: dimOverrides },
  extra: { entries: [NODE, WEB], check: configTree },
};

const REFUSED: Readonly<Record<string, string>> = {
  executionProviders: "loadPolicy sets it: pass loadPolicy's own option executionProviders instead",
  externalData: 'gmmrl models keep their weights inside the file and read no external data',
  preferredOutputLocation: 'the runtime checks every output on the CPU, where ONNX Runtime returns them by default',
};

/**
 * ValueError unless `value` (loadPolicy's `sessionOptions`) is undefined or a plain object of
 * options `backend`'s ONNX Runtime reads, each of its type and range, naming the option, the value
 * and what it takes. Bad values would otherwise reach ONNX Runtime, whose errors read like a corrupt
 * model, or be ignored.
 */
export function checkSessionOptions(value: unknown, backend: string): void {
  if (value === undefined) return;
  const entry = backend === WEB_PROVIDERS.backend ? WEB : NODE;
  const keys = Object.keys(SESSION_OPTIONS).filter((k) => SESSION_OPTIONS[k]!.entries.includes(entry));
  if (!isPlainObject(value)) {
    throw new ValueError(
      `loadPolicy: options.sessionOptions must be a plain object of ONNX Runtime session options (${keys.join(', ')}), got ${describeValue(value)}.`,
    );
  }
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const why = REFUSED[k];
    if (why !== undefined) throw new ValueError(`loadPolicy: options.sessionOptions.${k} is not accepted: ${why}.`);
    const rule = SESSION_OPTIONS[k];
    if (rule === undefined) {
      throw new ValueError(
        `loadPolicy: unknown option sessionOptions.${k} (${describeValue(v)}); the session options of ${backend} are ${keys.join(', ')}.`,
      );
    }
    if (!rule.entries.includes(entry)) {
      const hint = k.endsWith('NumThreads')
        ? " (onnxruntime-web's threads are ort.env.wasm.numThreads, set before the first loadPolicy)"
        : '';
      throw new ValueError(
        `loadPolicy: options.sessionOptions.${k} is not read by ${backend}, which would ignore it${hint}. Leave it out here.`,
      );
    }
    const expected = rule.check(v);
    if (expected !== null) throw new ValueError(`loadPolicy: options.sessionOptions.${k} must be ${expected}, got ${describeValue(v)}.`);
  }
  if (entry === NODE && value['enableProfiling'] === true && value['profileFilePrefix'] === undefined) {
    throw new ValueError(
      `loadPolicy: options.sessionOptions.enableProfiling is true but profileFilePrefix is missing; ${backend} needs it (the profile file name prefix).`,
    );
  }
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
