/**
 * The parts of saving and loading a checkpoint directory that every model family shares
 * (config.json + weights.safetensors; models/gmmqf, models/dqn and models/actor-critic
 * checkpoint.ts). Saving: the weights first, then the config carrying their SHA-256, each file
 * written atomically.
 *
 * Loading trusts nothing in either file. A run directory of `gmmrl train` (run.json pointing at
 * checkpoints/N/best, sdk/run-store.ts) is resolved to its best checkpoint first. Each file is read
 * only if it is a regular file under a stated size (contract/files.ts: a directory, a FIFO or a
 * device in its place is a FileReadError, never a hang): config.json at most CONFIG_MAX_BYTES
 * (16 MiB), weights.safetensors at most WEIGHTS_MAX_BYTES (2 GiB). The config must be a JSON object
 * without duplicate keys, of this format, version and family, naming the weights file and its
 * SHA-256, which the weights must have; the weights must decode as safetensors
 * (models/safetensors.ts) whose metadata agrees with the config; env_id, training, backend and both
 * spaces must be well formed (here), and the family loader checks the rest: each tensor read has
 * the expected shape, a float dtype and finite values, no tensor is left unread, and every config
 * field that restates a tensor (normalization, bounds, sizes) agrees with it. Every failure is a
 * ModelFormatError (FileReadError for the file itself, SpdError for a covariance) naming the file,
 * the field and the value.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ModelFormatError, ValueError, describeValue } from '../contract/errors.js';
import { readRegularFileSync } from '../contract/files.js';
import { FAMILY_CONTRACTS, isModelFamily, type ModelFamily } from '../contract/families.js';
import type { ActionGrid } from './gmmqf/params.js';
import { makeDirs, sha256Hex, unwritableDirReason, writeFileAtomic } from './io.js';
import { decodeSafetensors, encodeSafetensors, parseStrictJson, type NamedTensor } from './safetensors.js';
import { GMMRL_VERSION } from './version.js';

export const CHECKPOINT_FORMAT = 'gmmrl-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;
export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'weights.safetensors';
/** Largest config.json a checkpoint may have (bytes): gmmrl writes a few kilobytes. */
const CONFIG_MAX_BYTES = 16 * 1024 * 1024;
/** Largest weights.safetensors a checkpoint may have (bytes). */
const WEIGHTS_MAX_BYTES = 2 * 1024 * 1024 * 1024;

/** The pointer file of a run directory (sdk/run-store.ts writes it; loading only reads it). */
export const RUN_FILE = 'run.json';
export const RUN_FORMAT = 'gmmrl-run';
export const RUN_FORMAT_VERSION = 1;
const RUN_STATUSES = ['running', 'interrupted', 'complete'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The fields of run.json that locate the checkpoints (the rest is the run's summary). */
export interface RunPointer {
  format: typeof RUN_FORMAT;
  format_version: number;
  algorithm: string;
  status: RunStatus;
  /** The current generation, 0 before the first commit. */
  generation: number;
  /** "checkpoints/N/best" (absent in generation 0). */
  best?: string;
  /** "checkpoints/N/latest" (absent when the algorithm gave no snapshot). */
  latest?: string;
  env_steps: number;
}

/** The best (or latest) checkpoint path of generation `n`, relative to the run directory. */
export function generationPath(n: number, which: 'best' | 'latest'): string {
  return `checkpoints/${n}/${which}`;
}

/**
 * The run.json of `dir` when it is a run directory of this format (null when there is no run.json,
 * or one without `format: "gmmrl-run"`: a legacy run's summary). Throws ModelFormatError for a
 * run.json that is not JSON or whose pointer fields are malformed, naming the field and value.
 */
export function readRunPointer(dir: string): (RunPointer & Record<string, unknown>) | null {
  const path = join(dir, RUN_FILE);
  if (!existsSync(path)) return null;
  const rec = readJsonObjectFile(path, 'run directory');
  if (rec['format'] !== RUN_FORMAT) return null;
  const r = rec as Record<string, unknown>;
  const bad = (field: string, expected: string): never => {
    throw new ModelFormatError(
      `run directory: ${path} field "${field}" is ${describeValue(r[field])}; expected ${expected}. The file was edited or written by another program: restore it.`,
    );
  };
  if (r['format_version'] !== RUN_FORMAT_VERSION)
    throw new ModelFormatError(
      `run directory: ${path} field "format_version" is ${describeValue(r['format_version'])}; this gmmrl (${GMMRL_VERSION}) reads version ${RUN_FORMAT_VERSION}. Upgrade gmmrl.`,
    );
  if (typeof r['algorithm'] !== 'string' || r['algorithm'] === '') bad('algorithm', 'the name of the algorithm that trained the run');
  if (!(RUN_STATUSES as readonly unknown[]).includes(r['status'])) bad('status', RUN_STATUSES.map((s) => `"${s}"`).join(', '));
  const n = r['generation'];
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) bad('generation', 'an integer ≥ 0');
  const g = n as number;
  if (g === 0 ? r['best'] !== undefined : r['best'] !== generationPath(g, 'best'))
    bad('best', g === 0 ? 'no field in generation 0' : `"${generationPath(g, 'best')}"`);
  if (r['latest'] !== undefined && (g === 0 || r['latest'] !== generationPath(g, 'latest')))
    bad('latest', `"${generationPath(g, 'latest')}" or no field`);
  if (typeof r['env_steps'] !== 'number' || !Number.isSafeInteger(r['env_steps']) || (r['env_steps'] as number) < 0)
    bad('env_steps', 'an integer ≥ 0');
  return r as RunPointer & Record<string, unknown>;
}

/**
 * The checkpoint directory `dir` stands for: `dir` itself when it holds config.json (a checkpoint,
 * or a run written before run directories had generations), else the best checkpoint run.json
 * points at. Throws ModelFormatError for a run with no checkpoint yet (stopped before its first
 * evaluation), naming the resume command.
 */
export function resolveCheckpointDir(dir: string): string {
  if (existsSync(join(dir, CONFIG_FILE))) return dir;
  const run = readRunPointer(dir);
  if (run === null) return dir;
  if (run.best === undefined)
    throw new ModelFormatError(
      `checkpoint: the run ${dir} has no checkpoint yet (status ${run.status}, stopped before its first evaluation). Continue it with 'gmmrl train ${run.algorithm} --out ${dir} --resume', or train again with --overwrite.`,
    );
  return join(dir, run.best);
}

/** The config fields writeCheckpointFiles fills in: the format and family first, the library and the weights file last. */
export interface CheckpointEnvelope {
  format: typeof CHECKPOINT_FORMAT;
  format_version: number;
  model_family: ModelFamily;
  library_version: string;
  weights_file: string;
  weights_sha256: string;
}

/**
 * Writes a checkpoint of `family` into `dir` (created if needed): `tensors` as weights.safetensors,
 * then config.json {format, format_version, model_family, …fields, library_version, weights_file,
 * weights_sha256} (in that order) carrying the weights' SHA-256, which it returns.
 */
export function writeCheckpointFiles(
  dir: string,
  family: ModelFamily,
  tensors: Record<string, NamedTensor>,
  fields: Record<string, unknown>,
): string {
  const bytes = encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT, model_family: family });
  const sha = sha256Hex(bytes);
  const config = {
    format: CHECKPOINT_FORMAT,
    format_version: CHECKPOINT_FORMAT_VERSION,
    model_family: family,
    ...fields,
    library_version: GMMRL_VERSION,
    weights_file: WEIGHTS_FILE,
    weights_sha256: sha,
  };
  const config_sha256 = configDigest(config);
  const why = unwritableDirReason(dir);
  if (why !== null) throw new ValueError(`checkpoint: cannot write a checkpoint into ${dir}: ${why}. Choose another directory.`);
  makeDirs(dir);
  writeFileAtomic(join(dir, WEIGHTS_FILE), bytes);
  writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify({ ...config, config_sha256 }, null, 2) + '\n');
  return sha;
}

/** The config field that holds configDigest of the rest of config.json. */
const CONFIG_DIGEST_FIELD = 'config_sha256';

/**
 * SHA-256 of a config's canonical form: compact JSON.stringify of the object without its
 * config_sha256 field, keys in file order. JSON.parse then JSON.stringify reproduces every value
 * exactly (numbers round-trip), so whitespace edits keep the digest and any edit of a value, a key
 * or the key order breaks it. It protects the fields that only the config holds (ε, σ, bounds,
 * training record), which the weights' SHA-256 cannot.
 */
function configDigest(config: Record<string, unknown>): string {
  const { [CONFIG_DIGEST_FIELD]: _own, ...rest } = config;
  void _own;
  return sha256Hex(JSON.stringify(rest));
}

/** A Q model's config fields for its observation normalization and (when it has one) its action grid, whose values are the tensor action_grid. */
export function qInputFields(p: { obsOffset: Float64Array; obsScale: Float64Array; actionGrid?: ActionGrid }): {
  obs_normalization: { offset: number[]; scale: number[] };
  action_grid?: { shape: number[]; low: number[]; high: number[] };
} {
  const grid = p.actionGrid;
  return {
    obs_normalization: { offset: Array.from(p.obsOffset), scale: Array.from(p.obsScale) },
    ...(grid ? { action_grid: { shape: [...grid.shape], low: [...grid.low], high: [...grid.high] } } : {}),
  };
}

/** The hint when a directory holds another family's checkpoint: what it is and its loader (contract/families.ts). */
function otherFamilyHint(found: string): string | undefined {
  if (!isModelFamily(found)) return undefined;
  const c = FAMILY_CONTRACTS[found];
  return `${c.title} checkpoint; load it with ${c.loader}`;
}

export function need(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new ModelFormatError(msg);
}

export function positiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

export interface CheckpointFiles {
  cfgPath: string;
  wPath: string;
  /** The parsed config.json, checked for the envelope, env_id, training, backend and the spaces. */
  config: Record<string, unknown>;
  /** SHA-256 (hex) of weights.safetensors, equal to config.weights_sha256. */
  sha256: string;
  tensors: Record<string, NamedTensor>;
  /** config.observation_space, checked (a box). */
  observationSpace: BoxSpace;
  /** config.action_space, checked. */
  actionSpace: CheckedSpace;
}

/**
 * Reads `path` as a JSON object of at most CONFIG_MAX_BYTES, trusting nothing: a regular file only
 * (contract/files.ts: a FIFO or a device is a FileReadError, never a hang), UTF-8, strict JSON
 * (no duplicate keys), an object. `what` starts every ModelFormatError ("checkpoint", "run directory").
 * Used for config.json, run.json and state.json.
 */
export function readJsonObjectFile(path: string, what: string, fileWhat = `${what} file`): Record<string, unknown> {
  const bytes = readRegularFileSync(path, {
    what: fileWhat,
    maxBytes: CONFIG_MAX_BYTES,
    raiseHint: 'it is not a file gmmrl wrote (gmmrl writes a few kilobytes): restore it or re-run training',
  });
  let value: unknown;
  try {
    value = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new ModelFormatError(
      `${what}: ${path} is not valid JSON (${(err as Error).message}). The file is truncated or corrupt: restore it or re-run training.`,
    );
  }
  need(
    value !== null && typeof value === 'object' && !Array.isArray(value),
    `${what}: ${path} must hold a JSON object, got ${describeValue(value)}.`,
  );
  return value as Record<string, unknown>;
}

/** Opens `dir` (a checkpoint, or a run directory: its best checkpoint) as a checkpoint of `family` and checks everything family-independent. */
export function openCheckpoint(runOrCheckpoint: string, family: ModelFamily): CheckpointFiles {
  need(
    existsSync(runOrCheckpoint) && statSync(runOrCheckpoint).isDirectory(),
    `checkpoint: ${runOrCheckpoint} is not a directory. Pass the run directory written by 'gmmrl train' (it contains ${RUN_FILE}) or a checkpoint directory (${CONFIG_FILE} and ${WEIGHTS_FILE}).`,
  );
  const dir = resolveCheckpointDir(runOrCheckpoint);
  const cfgPath = join(dir, CONFIG_FILE);
  const wPath = join(dir, WEIGHTS_FILE);
  need(
    existsSync(cfgPath),
    `checkpoint: ${cfgPath} is missing. The directory is not a gmmrl checkpoint, or the save was interrupted: re-run training or restore the file.`,
  );
  need(
    existsSync(wPath),
    `checkpoint: ${wPath} is missing. The save was interrupted or the file was deleted: re-run training or restore the file.`,
  );
  const cfg = readJsonObjectFile(cfgPath, 'checkpoint', 'checkpoint config');
  need(
    cfg['format'] === CHECKPOINT_FORMAT,
    `checkpoint: ${cfgPath} field "format" is ${describeValue(cfg['format'])}, expected "${CHECKPOINT_FORMAT}".`,
  );
  need(
    cfg['format_version'] === CHECKPOINT_FORMAT_VERSION,
    `checkpoint: ${cfgPath} field "format_version" is ${describeValue(cfg['format_version'])}; this gmmrl (${GMMRL_VERSION}) reads version ${CHECKPOINT_FORMAT_VERSION}. Upgrade gmmrl or re-save the checkpoint.`,
  );
  const found = cfg['model_family'];
  const other = typeof found === 'string' && found !== family ? otherFamilyHint(found) : undefined;
  need(
    found === family,
    `checkpoint: ${cfgPath} field "model_family" is ${describeValue(found)}, expected "${family}"${other ? `: this is a ${other}.` : '.'}`,
  );
  need(
    cfg['weights_file'] === WEIGHTS_FILE,
    `checkpoint: ${cfgPath} field "weights_file" is ${describeValue(cfg['weights_file'])}, expected "${WEIGHTS_FILE}" (the only name gmmrl writes).`,
  );
  need(
    typeof cfg['weights_sha256'] === 'string' && /^[0-9a-f]{64}$/.test(cfg['weights_sha256']),
    `checkpoint: ${cfgPath} field "weights_sha256" is ${describeValue(cfg['weights_sha256'])}; expected 64 lower-case hex digits (the SHA-256 of ${WEIGHTS_FILE}).`,
  );
  // config_sha256 is absent only in checkpoints written before gmmrl recorded it; those load on the weights' hash alone
  if (CONFIG_DIGEST_FIELD in cfg) {
    const recorded = cfg[CONFIG_DIGEST_FIELD];
    const actual = configDigest(cfg);
    need(
      recorded === actual,
      `checkpoint: ${cfgPath} field "${CONFIG_DIGEST_FIELD}" is ${describeValue(recorded)} but the rest of the file hashes to ${actual}: a value of ${CONFIG_FILE} was edited or corrupted after it was saved. Restore the file or re-run training.`,
    );
  }
  need(
    typeof cfg['library_version'] === 'string',
    `checkpoint: ${cfgPath} field "library_version" is ${describeValue(cfg['library_version'])}; expected the version string of the gmmrl that wrote it.`,
  );
  const bytes = readRegularFileSync(wPath, {
    what: 'checkpoint weights',
    maxBytes: WEIGHTS_MAX_BYTES,
    raiseHint: 'it is larger than any model gmmrl trains: check that it is the right file',
  });
  const sha256 = sha256Hex(bytes);
  need(
    cfg['weights_sha256'] === sha256,
    `checkpoint: ${wPath} has SHA-256 ${sha256} but ${CONFIG_FILE} records ${describeValue(cfg['weights_sha256'])}: the weights file was modified, truncated or belongs to another run. Restore the matching pair of files.`,
  );
  const { tensors, metadata } = decodeSafetensors(bytes, wPath);
  for (const [key, want] of [
    ['format', CHECKPOINT_FORMAT],
    ['model_family', family],
  ] as const) {
    need(
      metadata[key] === undefined || metadata[key] === want,
      `checkpoint: ${wPath} "__metadata__".${key} is ${describeValue(metadata[key])} but ${CONFIG_FILE} says "${want}": the files do not belong together. Restore the matching pair.`,
    );
  }
  const checked = checkCommonFields(cfgPath, cfg);
  return { cfgPath, wPath, config: cfg, sha256, tensors, ...checked };
}

/** A box space read from a config: its size and bounds (null = unbounded, as ∓Infinity). */
export interface BoxSpace {
  kind: 'box';
  shape: number[];
  size: number;
  low: number[];
  high: number[];
}

/** A space read from a config. */
export type CheckedSpace = BoxSpace | { kind: 'discrete'; n: number };

/**
 * The space in `cfgPath` field `field`: {kind: "discrete", n} with n a positive integer, or {kind:
 * "box", shape, low, high} with shape positive integers and low/high one finite number or null
 * (unbounded) per entry, low ≤ high. ModelFormatError naming the field and the value otherwise.
 */
function checkSpace(cfgPath: string, field: string, v: unknown): CheckedSpace {
  const at = (sub = ''): string => `checkpoint: ${cfgPath} field "${field}${sub}"`;
  const where = at();
  need(
    v !== null && typeof v === 'object' && !Array.isArray(v),
    `${where} is ${describeValue(v)}; expected a space {"kind": "box", shape, low, high} or {"kind": "discrete", n}.`,
  );
  const s = v as Record<string, unknown>;
  if (s['kind'] === 'discrete') {
    need(positiveInt(s['n']), `${at('.n')} is ${describeValue(s['n'])}; a discrete space needs a positive integer n.`);
    return { kind: 'discrete', n: s['n'] };
  }
  need(s['kind'] === 'box', `${at('.kind')} is ${describeValue(s['kind'])}; expected "box" or "discrete".`);
  const shape = s['shape'];
  need(
    Array.isArray(shape) && shape.length > 0 && shape.every(positiveInt),
    `${at('.shape')} is ${describeValue(shape)}; expected a non-empty array of positive integers.`,
  );
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  need(
    Number.isSafeInteger(size) && size <= 1 << 24,
    `${at('.shape')} ${describeValue(shape)} has ${size} entries, beyond any gmmrl model.`,
  );
  const bound = (side: 'low' | 'high', inf: number): number[] => {
    const arr = s[side];
    need(
      Array.isArray(arr) && arr.length === size && arr.every((x) => x === null || (typeof x === 'number' && Number.isFinite(x))),
      `${at(`.${side}`)} is ${describeValue(arr)}; expected ${size} finite number(s) or null (unbounded), one per entry of shape ${describeValue(shape)}.`,
    );
    return (arr as (number | null)[]).map((x) => (x === null ? inf : x));
  };
  const low = bound('low', -Infinity);
  const high = bound('high', Infinity);
  for (let j = 0; j < size; j++) {
    need(low[j]! <= high[j]!, `${at(`.low[${j}]`)} = ${low[j]} exceeds ${field}.high[${j}] = ${high[j]}; a space needs low ≤ high.`);
  }
  return { kind: 'box', shape: [...(shape as number[])], size, low, high };
}

/** The config fields every family has besides the envelope: env_id, training, backend and the two spaces. */
function checkCommonFields(cfgPath: string, cfg: Record<string, unknown>): { observationSpace: BoxSpace; actionSpace: CheckedSpace } {
  need(
    typeof cfg['env_id'] === 'string' && cfg['env_id'].length > 0,
    `checkpoint: ${cfgPath} field "env_id" is ${describeValue(cfg['env_id'])}; expected the id of the environment it was trained on (e.g. "CartPole-v1").`,
  );
  const training = cfg['training'];
  need(
    training !== null && typeof training === 'object' && !Array.isArray(training),
    `checkpoint: ${cfgPath} field "training" is ${describeValue(training)}; expected the object of training settings gmmrl records.`,
  );
  need(
    typeof cfg['backend'] === 'string',
    `checkpoint: ${cfgPath} field "backend" is ${describeValue(cfg['backend'])}; expected the name of the backend it was trained with.`,
  );
  const observationSpace = checkSpace(cfgPath, 'observation_space', cfg['observation_space']);
  need(
    observationSpace.kind === 'box',
    `checkpoint: ${cfgPath} field "observation_space" is ${describeValue(cfg['observation_space'])}; observations are a box space {kind: "box", shape, low, high}.`,
  );
  return { observationSpace, actionSpace: checkSpace(cfgPath, 'action_space', cfg['action_space']) };
}

/**
 * The normalization (offset, scale) of a model's D inputs against its config: `field` (when the
 * config has it: {offset, scale}, D finite numbers each) must hold exactly the tensors' values, and
 * every scale must be finite and > 0.
 */
export function checkNormalization(
  files: Pick<CheckpointFiles, 'cfgPath' | 'wPath' | 'config'>,
  offset: Float64Array,
  scale: Float64Array,
  required: boolean,
): void {
  const { cfgPath, wPath } = files;
  const D = offset.length;
  for (let j = 0; j < D; j++) {
    need(
      scale[j]! > 0,
      `checkpoint: ${wPath} tensor "obs_scale"[${j}] is ${describeValue(scale[j])}; every scale must be > 0 (z = (s − offset) / scale).`,
    );
  }
  const v = files.config['obs_normalization'];
  if (v === undefined && !required) return;
  need(
    v !== null && typeof v === 'object' && !Array.isArray(v),
    `checkpoint: ${cfgPath} field "obs_normalization" is ${describeValue(v)}; expected {offset, scale}, ${D} numbers each (the tensors obs_offset, obs_scale).`,
  );
  const n = v as Record<string, unknown>;
  for (const [side, tensor] of [
    ['offset', offset],
    ['scale', scale],
  ] as const) {
    const arr = n[side];
    need(
      Array.isArray(arr) && arr.length === D && arr.every((x) => typeof x === 'number'),
      `checkpoint: ${cfgPath} field "obs_normalization.${side}" is ${describeValue(arr)}; expected ${D} numbers (D = ${D}).`,
    );
    for (let j = 0; j < D; j++) {
      need(
        Object.is((arr as number[])[j], tensor[j]),
        `checkpoint: ${cfgPath} field "obs_normalization.${side}[${j}]" is ${describeValue((arr as number[])[j])} but ${wPath} tensor "obs_${side}"[${j}] is ${describeValue(tensor[j])}; the two record one normalization. Restore the matching pair of files.`,
      );
    }
  }
}

/**
 * The action bounds a model carries (a grid's or an actor's tensors) against the config's
 * action_space: a box of that shape with exactly those bounds.
 */
export function checkActionBox(
  cfgPath: string,
  space: CheckedSpace,
  shape: readonly number[],
  low: ArrayLike<number>,
  high: ArrayLike<number>,
  source: string,
): void {
  need(
    space.kind === 'box' && space.shape.length === shape.length && space.shape.every((d, i) => d === shape[i]),
    `checkpoint: ${cfgPath} field "action_space" is ${describeValue(space)} but ${source} has shape [${shape}]; expected a box action space of that shape.`,
  );
  const box = space as BoxSpace;
  for (let j = 0; j < box.size; j++) {
    need(
      box.low[j] === low[j] && box.high[j] === high[j],
      `checkpoint: ${cfgPath} field "action_space" bounds [${box.low[j]}, ${box.high[j]}] of entry ${j} differ from ${source}'s [${low[j]}, ${high[j]}]; the two record one action space. Restore the matching pair of files.`,
    );
  }
}

/** `need` the config's observation_space to have `size` entries, the number the model reads (`source` says so, e.g. "the network input D = 4"). */
export function checkObservationSize(cfgPath: string, space: BoxSpace, size: number, source: string): void {
  need(
    space.size === size,
    `checkpoint: ${cfgPath} field "observation_space.shape" is [${space.shape}] (${space.size} entries) but ${source}; the config was edited inconsistently.`,
  );
}

/** A tensor reader (see tensorReader) that remembers what it read. */
export interface TensorReader {
  (name: string, shape: number[]): Float64Array;
  /** ModelFormatError naming the first tensor of the file that no call read: a file with tensors the config does not account for is inconsistent. */
  checkAllRead(): void;
}

/**
 * A reader of float tensors as Float64Array: the tensor must exist with exactly `shape`, dtype F64 or
 * F32, and finite values. `shapeSource` says where the expected shape comes from (for messages);
 * `retrainHint` is the advice for a non-finite value.
 */
export function tensorReader(files: Pick<CheckpointFiles, 'tensors' | 'wPath'>, shapeSource: string, retrainHint: string): TensorReader {
  const { tensors, wPath } = files;
  const read = new Set<string>();
  const take = (name: string, shape: number[]): Float64Array => {
    const t = Object.prototype.hasOwnProperty.call(tensors, name) ? tensors[name] : undefined;
    need(t, `checkpoint: ${wPath} has no tensor "${name}" (expected shape [${shape}] ${shapeSource}).`);
    need(
      t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]),
      `checkpoint: ${wPath} tensor "${name}" has shape [${t.shape}], expected [${shape}] ${shapeSource}.`,
    );
    need(t.dtype === 'F64' || t.dtype === 'F32', `checkpoint: ${wPath} tensor "${name}" has dtype ${t.dtype}; expected F64 or F32.`);
    const data = Float64Array.from(t.data as Float64Array | Float32Array);
    for (let i = 0; i < data.length; i++) {
      need(
        Number.isFinite(data[i]),
        `checkpoint: ${wPath} tensor "${name}" has a non-finite value ${data[i]} at flat index ${i}. The training diverged or the file is corrupt: ${retrainHint} or restore the file.`,
      );
    }
    read.add(name);
    return data;
  };
  return Object.assign(take, {
    checkAllRead(): void {
      const extra = Object.keys(tensors).filter((n) => !read.has(n));
      need(
        extra.length === 0,
        `checkpoint: ${wPath} has tensor(s) ${extra.map((n) => JSON.stringify(n)).join(', ')} that ${CONFIG_FILE} does not account for (${shapeSource}); the files do not belong together or were edited. Restore the matching pair.`,
      );
    },
  });
}
