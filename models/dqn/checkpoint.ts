/**
 * DQN checkpoints: the same directory format as GMM-QF (models/gmmqf/checkpoint.ts):
 *   config.json          format, model_family "dqn", layer sizes, activation, parameter count,
 *                        normalization, optional action grid (shape, bounds), spaces, env id,
 *                        training record, backend, library version, SHA-256 of the weights file
 *   weights.safetensors  float64 tensors: layer{l}.weight [in, out], layer{l}.bias [out],
 *                        obs_offset [D], obs_scale [D], and action_grid [A, size] for a grid
 *
 * Writes are atomic per file (temp + fsync + rename), weights first and the config (which carries
 * the weights' hash) last, so an interrupted save is detected at load time. Loading validates the
 * hash, the layer sizes against the spaces, every tensor's shape and finiteness, positive scales and
 * the grid, and throws ModelFormatError naming the file, the field and the value.
 */
import { describeValue } from '../../contract/errors.js';
import { FAMILY } from '../../contract/families.js';
import type { SpaceJson } from '../gmmqf/checkpoint.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CONFIG_FILE,
  WEIGHTS_FILE,
  checkActionBox,
  checkNormalization,
  checkObservationSize,
  need,
  openCheckpoint,
  positiveInt,
  qInputFields,
  tensorReader,
  writeCheckpointFiles,
  type CheckpointEnvelope,
} from '../checkpoint-files.js';
import type { NamedTensor } from '../safetensors.js';
import { DQN_ACTIVATION, DQN_FORMULA, checkDqnParams, dqnParameterCount, type ActionGrid, type DqnParams } from './params.js';

export { CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, CONFIG_FILE, WEIGHTS_FILE };

export interface DqnConfig {
  format: typeof CHECKPOINT_FORMAT;
  format_version: number;
  model_family: typeof FAMILY.dqn;
  /** [D, hidden…, A] */
  layers: number[];
  D: number;
  A: number;
  activation: typeof DQN_ACTIVATION;
  parameter_count: number;
  network: { formula: string };
  obs_normalization: { offset: number[]; scale: number[] };
  /** Present for a grid over a continuous action space; the grid values are the tensor action_grid [A, size]. */
  action_grid?: { shape: number[]; low: number[]; high: number[] };
  observation_space: SpaceJson;
  action_space: SpaceJson;
  env_id: string;
  training: Record<string, unknown>;
  backend: string;
  library_version: string;
  weights_file: string;
  weights_sha256: string;
}

export interface DqnCheckpoint {
  params: DqnParams;
  config: DqnConfig;
  /** SHA-256 of weights.safetensors (hex): the checkpoint's identity in exported metadata. */
  sha256: string;
}

export type DqnCheckpointInfo = Pick<DqnConfig, 'observation_space' | 'action_space' | 'env_id' | 'training' | 'backend'>;

/** A checkpoint as data: what writeCheckpointFiles(dir, family, tensors, fields) writes (a training snapshot's `latest` / `best`). */
export interface DqnCheckpointPayload {
  family: typeof FAMILY.dqn;
  tensors: Record<string, NamedTensor>;
  fields: Record<string, unknown>;
}

/** The tensors and config fields `saveDqnCheckpoint` writes for these parameters. */
export function dqnCheckpointPayload(params: DqnParams, info: DqnCheckpointInfo): DqnCheckpointPayload {
  checkDqnParams(params, 'saveDqnCheckpoint');
  const { layers } = params;
  const L = layers.length - 1;
  const D = layers[0]!;
  const A = layers[L]!;
  const tensors: Record<string, NamedTensor> = {};
  for (let l = 0; l < L; l++) {
    tensors[`layer${l}.weight`] = { dtype: 'F64', shape: [layers[l]!, layers[l + 1]!], data: Float64Array.from(params.weights[l]!) };
    tensors[`layer${l}.bias`] = { dtype: 'F64', shape: [layers[l + 1]!], data: Float64Array.from(params.biases[l]!) };
  }
  tensors['obs_offset'] = { dtype: 'F64', shape: [D], data: Float64Array.from(params.obsOffset) };
  tensors['obs_scale'] = { dtype: 'F64', shape: [D], data: Float64Array.from(params.obsScale) };
  const grid = params.actionGrid;
  if (grid) {
    const size = grid.shape.reduce((a, b) => a * b, 1);
    tensors['action_grid'] = { dtype: 'F64', shape: [A, size], data: Float64Array.from(grid.values) };
  }
  const fields: Omit<DqnConfig, keyof CheckpointEnvelope> = {
    layers: [...layers],
    D,
    A,
    activation: DQN_ACTIVATION,
    parameter_count: dqnParameterCount(layers),
    network: { formula: DQN_FORMULA },
    ...qInputFields(params),
    observation_space: info.observation_space,
    action_space: info.action_space,
    env_id: info.env_id,
    training: info.training,
    backend: info.backend,
  };
  return { family: FAMILY.dqn, tensors, fields };
}

/** Writes a checkpoint directory (created if needed). Returns the weights' SHA-256. */
export function saveDqnCheckpoint(dir: string, params: DqnParams, info: DqnCheckpointInfo): string {
  const p = dqnCheckpointPayload(params, info);
  return writeCheckpointFiles(dir, p.family, p.tensors, p.fields);
}

function finiteArray(v: unknown, len: number): v is number[] {
  return Array.isArray(v) && v.length === len && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/**
 * Loads and validates a DQN checkpoint directory: the shared checks of models/checkpoint-files.ts,
 * then the layer sizes (against D, A, parameter_count and the spaces), every tensor, the
 * normalization (config and tensors agree exactly, scales > 0), the action grid (bounds low ≤ high,
 * equal to the box action space's, every grid point inside them) and no tensor left unread.
 */
export function loadDqnCheckpoint(dir: string): DqnCheckpoint {
  const files = openCheckpoint(dir, FAMILY.dqn);
  const { cfgPath, wPath, sha256: sha } = files;
  const config = files.config as unknown as DqnConfig;
  const layers = config.layers as unknown;
  need(
    Array.isArray(layers) && layers.length >= 2 && layers.every(positiveInt),
    `checkpoint: ${cfgPath} field "layers" is ${describeValue(layers)}; it must be an array [D, hidden…, A] of at least 2 positive integers.`,
  );
  const sizes = layers as number[];
  const L = sizes.length - 1;
  const D = sizes[0]!;
  const A = sizes[L]!;
  need(
    config.D === D,
    `checkpoint: ${cfgPath} field "D" is ${describeValue(config.D)} but layers[0] is ${D}; the file was edited inconsistently.`,
  );
  need(
    config.A === A,
    `checkpoint: ${cfgPath} field "A" is ${describeValue(config.A)} but layers[${L}] is ${A}; the file was edited inconsistently.`,
  );
  need(
    config.activation === DQN_ACTIVATION,
    `checkpoint: ${cfgPath} field "activation" is ${describeValue(config.activation)}; this gmmrl supports "${DQN_ACTIVATION}" only.`,
  );
  const take = tensorReader(files, `from layers [${sizes}] in ${CONFIG_FILE}`, 'retrain (e.g. with a smaller learning rate)');
  const weights: Float64Array[] = [];
  const biases: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    weights.push(take(`layer${l}.weight`, [sizes[l]!, sizes[l + 1]!]));
    biases.push(take(`layer${l}.bias`, [sizes[l + 1]!]));
  }
  const obsOffset = take('obs_offset', [D]);
  const obsScale = take('obs_scale', [D]);
  checkNormalization(files, obsOffset, obsScale, true);
  checkObservationSize(cfgPath, files.observationSpace, D, `the network input D = layers[0] = ${D}`);

  let actionGrid: ActionGrid | undefined;
  const as = files.actionSpace;
  if (config.action_grid !== undefined) {
    const g = config.action_grid as unknown as Record<string, unknown>;
    need(
      g !== null && typeof g === 'object' && Array.isArray(g['shape']) && g['shape'].length > 0 && g['shape'].every(positiveInt),
      `checkpoint: ${cfgPath} field "action_grid.shape" is ${describeValue(g?.['shape'])}; it must be a non-empty array of positive integers.`,
    );
    const shape = g['shape'] as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    need(
      finiteArray(g['low'], size),
      `checkpoint: ${cfgPath} field "action_grid.low" is ${describeValue(g['low'])}; expected ${size} finite numbers.`,
    );
    need(
      finiteArray(g['high'], size),
      `checkpoint: ${cfgPath} field "action_grid.high" is ${describeValue(g['high'])}; expected ${size} finite numbers.`,
    );
    const low = g['low'];
    const high = g['high'];
    for (let j = 0; j < size; j++) {
      need(
        low[j]! <= high[j]!,
        `checkpoint: ${cfgPath} field "action_grid.low[${j}]" = ${low[j]} exceeds action_grid.high[${j}] = ${high[j]}.`,
      );
    }
    checkActionBox(cfgPath, as, shape, low, high, `${CONFIG_FILE} field "action_grid"`);
    const values = take('action_grid', [A, size]);
    for (let a = 0; a < A; a++) {
      for (let j = 0; j < size; j++) {
        const v = values[a * size + j]!;
        need(
          v >= low[j]! && v <= high[j]!,
          `checkpoint: ${wPath} tensor "action_grid"[${a}][${j}] = ${v} lies outside the action bounds [${low[j]}, ${high[j]}] recorded in ${CONFIG_FILE}.`,
        );
      }
    }
    actionGrid = { shape: [...shape], values, low: [...low], high: [...high] };
  } else {
    need(
      as.kind === 'discrete' && as.n === A,
      `checkpoint: ${cfgPath} field "action_space" is ${describeValue(config.action_space)} but the network has A = ${A} outputs and no action_grid; expected {"kind": "discrete", "n": ${A}}.`,
    );
  }
  const count = dqnParameterCount(sizes);
  need(
    config.parameter_count === count,
    `checkpoint: ${cfgPath} field "parameter_count" is ${describeValue(config.parameter_count)} but layers [${sizes}] have ${count} parameters; the file was edited inconsistently.`,
  );
  take.checkAllRead();
  const params: DqnParams = { layers: sizes, weights, biases, obsOffset, obsScale, ...(actionGrid ? { actionGrid } : {}) };
  return { params, config, sha256: sha };
}
