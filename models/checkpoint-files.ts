/**
 * The parts of saving and loading a checkpoint directory that every model family shares
 * (config.json + weights.safetensors; models/gmmqf, models/dqn and models/actor-critic
 * checkpoint.ts). Saving: the weights first, then the config carrying their SHA-256, each file
 * written atomically. Loading: a run directory of `gmmrl train` (run.json pointing at
 * checkpoints/N/best, sdk/run-store.ts) is resolved to its best checkpoint first; then the files exist,
 * the config is a JSON object of this format, version and family, the weights file has the hash the
 * config records, and each tensor has the expected shape, a float dtype and finite values. Every
 * failure is a ModelFormatError naming the file, the field and the value.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ModelFormatError, ValueError } from '../contract/errors.js';
import { FAMILY_CONTRACTS, isModelFamily, type ModelFamily } from '../contract/families.js';
import type { ActionGrid } from './gmmqf/params.js';
import { makeDirs, sha256Hex, unwritableDirReason, writeFileAtomic } from './io.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';
import { GMMRL_VERSION } from './version.js';

export const CHECKPOINT_FORMAT = 'gmmrl-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;
export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'weights.safetensors';

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
  let rec: unknown;
  try {
    rec = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ModelFormatError(
      `run directory: ${path} is not valid JSON (${(err as Error).message}). The file is corrupt or was edited: restore it, or train again into a new --out.`,
    );
  }
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec) || (rec as Record<string, unknown>)['format'] !== RUN_FORMAT)
    return null;
  const r = rec as Record<string, unknown>;
  const bad = (field: string, expected: string): never => {
    throw new ModelFormatError(
      `run directory: ${path} field "${field}" is ${describe(r[field])}; expected ${expected}. The file was edited or written by another program: restore it.`,
    );
  };
  if (r['format_version'] !== RUN_FORMAT_VERSION)
    throw new ModelFormatError(
      `run directory: ${path} field "format_version" is ${describe(r['format_version'])}; this gmmrl (${GMMRL_VERSION}) reads version ${RUN_FORMAT_VERSION}. Upgrade gmmrl.`,
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

function describe(v: unknown): string {
  return v === undefined ? 'missing' : JSON.stringify(v);
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
  const why = unwritableDirReason(dir);
  if (why !== null) throw new ValueError(`checkpoint: cannot write a checkpoint into ${dir}: ${why}. Choose another directory.`);
  makeDirs(dir);
  writeFileAtomic(join(dir, WEIGHTS_FILE), bytes);
  writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
  return sha;
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
  /** The parsed config.json, checked for format, format_version and model_family only. */
  config: Record<string, unknown>;
  /** SHA-256 (hex) of weights.safetensors, equal to config.weights_sha256. */
  sha256: string;
  tensors: Record<string, NamedTensor>;
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
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ModelFormatError(
      `checkpoint: ${cfgPath} is not valid JSON (${(err as Error).message}). The file is truncated or corrupt: restore it or re-run training.`,
    );
  }
  need(config && typeof config === 'object' && !Array.isArray(config), `checkpoint: ${cfgPath} must hold a JSON object.`);
  need(
    config['format'] === CHECKPOINT_FORMAT,
    `checkpoint: ${cfgPath} field "format" is ${JSON.stringify(config['format'])}, expected "${CHECKPOINT_FORMAT}".`,
  );
  need(
    config['format_version'] === CHECKPOINT_FORMAT_VERSION,
    `checkpoint: ${cfgPath} field "format_version" is ${JSON.stringify(config['format_version'])}; this gmmrl (${GMMRL_VERSION}) reads version ${CHECKPOINT_FORMAT_VERSION}. Upgrade gmmrl or re-save the checkpoint.`,
  );
  const found = config['model_family'];
  const other = typeof found === 'string' && found !== family ? otherFamilyHint(found) : undefined;
  need(
    found === family,
    `checkpoint: ${cfgPath} field "model_family" is ${JSON.stringify(found)}, expected "${family}"${other ? `: this is a ${other}.` : '.'}`,
  );
  const bytes = readFileSync(wPath);
  const sha256 = sha256Hex(bytes);
  need(
    config['weights_sha256'] === sha256,
    `checkpoint: ${wPath} has SHA-256 ${sha256} but ${CONFIG_FILE} records ${JSON.stringify(config['weights_sha256'])}: the weights file was modified, truncated or belongs to another run. Restore the matching pair of files.`,
  );
  const { tensors } = decodeSafetensors(bytes, wPath);
  return { cfgPath, wPath, config, sha256, tensors };
}

/**
 * A reader of float tensors as Float64Array: the tensor must exist with exactly `shape`, dtype F64 or
 * F32, and finite values. `shapeSource` says where the expected shape comes from (for messages);
 * `retrainHint` is the advice for a non-finite value.
 */
export function tensorReader(
  files: Pick<CheckpointFiles, 'tensors' | 'wPath'>,
  shapeSource: string,
  retrainHint: string,
): (name: string, shape: number[]) => Float64Array {
  const { tensors, wPath } = files;
  return (name, shape) => {
    const t = tensors[name];
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
    return data;
  };
}
