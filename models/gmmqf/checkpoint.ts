/**
 * GMM-QF checkpoints: a directory with
 *   config.json          model family, K, A, D, kernel, normalization, spaces, env id, training
 *                        settings, backend, library version, and the SHA-256 of the weights file
 *   weights.safetensors  means [K,D], covariances [K,D,D], weights [K,A] (float64)
 *
 * Writes are atomic per file (temp + fsync + rename); the weights are written first and the config,
 * which carries the weights' hash, last, so a crash between the two is detected at load time.
 * Loading validates everything (shapes, finiteness, SPD covariances, positive scales, hash) and
 * throws ModelFormatError / SpdError naming the file, the field and the value.
 */
import { mkdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ModelFormatError, SpdError } from '../../runtime/errors.js';
import { choleskyOrNull, asymmetry } from '../linalg/cholesky.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../safetensors.js';
import { sha256Hex, writeFileAtomic } from '../io.js';
import { GMMRL_VERSION } from '../version.js';
import type { GmmQfParams } from './params.js';

export const CHECKPOINT_FORMAT = 'gmmrl-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;
export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'weights.safetensors';

export interface SpaceJson {
  kind: 'box' | 'discrete';
  n?: number;
  shape?: number[];
  low?: (number | null)[];
  high?: (number | null)[];
}

export interface GmmQfConfig {
  format: typeof CHECKPOINT_FORMAT;
  format_version: number;
  model_family: 'gmmqf';
  K: number;
  A: number;
  D: number;
  kernel: { type: 'gaussian'; formula: string; parameters: string };
  obs_normalization: { offset: number[]; scale: number[] };
  observation_space: SpaceJson;
  action_space: SpaceJson;
  env_id: string;
  training: Record<string, unknown>;
  backend: string;
  library_version: string;
  weights_file: string;
  weights_sha256: string;
}

export interface GmmQfCheckpoint {
  params: GmmQfParams;
  config: GmmQfConfig;
  /** SHA-256 of weights.safetensors (hex): the checkpoint's identity in exported metadata. */
  sha256: string;
}

export const KERNEL_FORMULA =
  'Q(s,a) = sum_k weights[k,a] * exp(-0.5 * (z - means[k])^T inv(covariances[k]) (z - means[k])), z = (s - offset) / scale';

/** Writes a checkpoint directory (created if needed). Returns the weights' SHA-256. */
export function saveGmmQfCheckpoint(
  dir: string,
  params: GmmQfParams,
  info: Pick<GmmQfConfig, 'observation_space' | 'action_space' | 'env_id' | 'training' | 'backend'>,
): string {
  const { K, D, A } = params;
  mkdirSync(dir, { recursive: true });
  const tensors: Record<string, NamedTensor> = {
    means: { dtype: 'F64', shape: [K, D], data: params.means },
    covariances: { dtype: 'F64', shape: [K, D, D], data: params.covariances },
    weights: { dtype: 'F64', shape: [K, A], data: params.weights },
    obs_offset: { dtype: 'F64', shape: [D], data: params.obsOffset },
    obs_scale: { dtype: 'F64', shape: [D], data: params.obsScale },
  };
  const bytes = encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT, model_family: 'gmmqf' });
  const sha = sha256Hex(bytes);
  const config: GmmQfConfig = {
    format: CHECKPOINT_FORMAT,
    format_version: CHECKPOINT_FORMAT_VERSION,
    model_family: 'gmmqf',
    K,
    A,
    D,
    kernel: {
      type: 'gaussian',
      formula: KERNEL_FORMULA,
      parameters: 'means and covariances are in normalized coordinates z; covariances are full SPD matrices',
    },
    obs_normalization: { offset: Array.from(params.obsOffset), scale: Array.from(params.obsScale) },
    observation_space: info.observation_space,
    action_space: info.action_space,
    env_id: info.env_id,
    training: info.training,
    backend: info.backend,
    library_version: GMMRL_VERSION,
    weights_file: WEIGHTS_FILE,
    weights_sha256: sha,
  };
  writeFileAtomic(join(dir, WEIGHTS_FILE), bytes);
  writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
  return sha;
}

function need<T>(cond: T, msg: string): asserts cond {
  if (!cond) throw new ModelFormatError(msg);
}

function positiveInt(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) > 0;
}

/** Loads and validates a checkpoint directory. */
export function loadGmmQfCheckpoint(dir: string): GmmQfCheckpoint {
  need(existsSync(dir) && statSync(dir).isDirectory(), `checkpoint: ${dir} is not a directory. Pass the run directory written by 'gmmrl train' (it contains ${CONFIG_FILE} and ${WEIGHTS_FILE}).`);
  const cfgPath = join(dir, CONFIG_FILE);
  const wPath = join(dir, WEIGHTS_FILE);
  need(existsSync(cfgPath), `checkpoint: ${cfgPath} is missing. The directory is not a gmmrl checkpoint, or the save was interrupted: re-run training or restore the file.`);
  need(existsSync(wPath), `checkpoint: ${wPath} is missing. The save was interrupted or the file was deleted: re-run training or restore the file.`);
  let config: GmmQfConfig;
  try {
    config = JSON.parse(readFileSync(cfgPath, 'utf8')) as GmmQfConfig;
  } catch (err) {
    throw new ModelFormatError(`checkpoint: ${cfgPath} is not valid JSON (${(err as Error).message}). The file is truncated or corrupt: restore it or re-run training.`);
  }
  need(config && typeof config === 'object', `checkpoint: ${cfgPath} must hold a JSON object.`);
  need(config.format === CHECKPOINT_FORMAT, `checkpoint: ${cfgPath} field "format" is ${JSON.stringify(config.format)}, expected "${CHECKPOINT_FORMAT}".`);
  need(config.format_version === CHECKPOINT_FORMAT_VERSION, `checkpoint: ${cfgPath} field "format_version" is ${JSON.stringify(config.format_version)}; this gmmrl (${GMMRL_VERSION}) reads version ${CHECKPOINT_FORMAT_VERSION}. Upgrade gmmrl or re-export the checkpoint.`);
  need(config.model_family === 'gmmqf', `checkpoint: ${cfgPath} field "model_family" is ${JSON.stringify(config.model_family)}, expected "gmmqf".`);
  for (const f of ['K', 'A', 'D'] as const) {
    need(positiveInt(config[f]), `checkpoint: ${cfgPath} field "${f}" is ${JSON.stringify(config[f])}; it must be a positive integer.`);
  }
  const { K, A, D } = config;
  const bytes = readFileSync(wPath);
  const sha = sha256Hex(bytes);
  need(
    config.weights_sha256 === sha,
    `checkpoint: ${wPath} has SHA-256 ${sha} but ${CONFIG_FILE} records ${JSON.stringify(config.weights_sha256)}: the weights file was modified, truncated or belongs to another run. Restore the matching pair of files.`,
  );
  const { tensors } = decodeSafetensors(bytes, wPath);
  const take = (name: string, shape: number[]): Float64Array => {
    const t = tensors[name];
    need(t, `checkpoint: ${wPath} has no tensor "${name}" (expected shape [${shape}]).`);
    need(
      t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]),
      `checkpoint: ${wPath} tensor "${name}" has shape [${t.shape}], expected [${shape}] from ${CONFIG_FILE} (K=${K}, D=${D}, A=${A}).`,
    );
    need(t.dtype === 'F64' || t.dtype === 'F32', `checkpoint: ${wPath} tensor "${name}" has dtype ${t.dtype}; expected F64 or F32.`);
    const data = Float64Array.from(t.data as Float64Array | Float32Array);
    for (let i = 0; i < data.length; i++) {
      need(Number.isFinite(data[i]), `checkpoint: ${wPath} tensor "${name}" has a non-finite value ${data[i]} at flat index ${i}. The training diverged or the file is corrupt: retrain (e.g. with a smaller step size) or restore the file.`);
    }
    return data;
  };
  const means = take('means', [K, D]);
  const covariances = take('covariances', [K, D, D]);
  const weights = take('weights', [K, A]);
  const obsOffset = tensors.obs_offset ? take('obs_offset', [D]) : Float64Array.from(config.obs_normalization?.offset ?? []);
  const obsScale = tensors.obs_scale ? take('obs_scale', [D]) : Float64Array.from(config.obs_normalization?.scale ?? []);
  need(obsOffset.length === D && obsScale.length === D, `checkpoint: obs_normalization must have offset and scale of length D=${D}.`);
  for (let j = 0; j < D; j++) {
    need(obsScale[j]! > 0, `checkpoint: obs_normalization.scale[${j}] is ${obsScale[j]}; every scale must be > 0.`);
  }
  validateCovariances(covariances, K, D, wPath);
  return { params: { K, D, A, means, covariances, weights, obsOffset, obsScale }, config, sha256: sha };
}

/** Throws SpdError naming the first component whose covariance is not symmetric positive definite. */
export function validateCovariances(covariances: Float64Array, K: number, D: number, where = 'covariances'): void {
  for (let k = 0; k < K; k++) {
    const off = k * D * D;
    const asym = asymmetry(covariances, D, off);
    if (asym > 1e-9) {
      throw new SpdError(`${where}: covariances[${k}] is not symmetric (max relative asymmetry ${asym.toExponential(2)} > 1e-9). Covariances must be symmetric positive definite: symmetrize it, (C + Cᵀ)/2, or retrain.`);
    }
    if (!choleskyOrNull(covariances, D, off)) {
      throw new SpdError(`${where}: covariances[${k}] is not positive definite (Cholesky failed; diagonal [${Array.from({ length: D }, (_, i) => covariances[off + i * D + i]!.toPrecision(4)).join(', ')}]). Covariances must be SPD: retrain, or regularize the matrix (add eps·I).`);
    }
  }
}
