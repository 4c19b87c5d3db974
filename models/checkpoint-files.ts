/**
 * The parts of saving and loading a checkpoint directory that every model family shares
 * (config.json + weights.safetensors; models/gmmqf, models/dqn and models/actor-critic
 * checkpoint.ts). Saving: the weights first, then the config carrying their SHA-256, each file
 * written atomically. Loading: the files exist,
 * the config is a JSON object of this format, version and family, the weights file has the hash the
 * config records, and each tensor has the expected shape, a float dtype and finite values. Every
 * failure is a ModelFormatError naming the file, the field and the value.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ModelFormatError } from '../contract/errors.js';
import { FAMILY_CONTRACTS, isModelFamily, type ModelFamily } from '../contract/families.js';
import type { ActionGrid } from './gmmqf/params.js';
import { sha256Hex, writeFileAtomic } from './io.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';
import { GMMRL_VERSION } from './version.js';

export const CHECKPOINT_FORMAT = 'gmmrl-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;
export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'weights.safetensors';

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
  mkdirSync(dir, { recursive: true });
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

/** Opens `dir` as a checkpoint of `family` and checks everything family-independent. */
export function openCheckpoint(dir: string, family: ModelFamily): CheckpointFiles {
  need(
    existsSync(dir) && statSync(dir).isDirectory(),
    `checkpoint: ${dir} is not a directory. Pass the run directory written by 'gmmrl train' (it contains ${CONFIG_FILE} and ${WEIGHTS_FILE}).`,
  );
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
