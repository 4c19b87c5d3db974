/**
 * Checkpoints of the actor-critic families, in the directory format every gmmrl family shares
 * (models/checkpoint-files.ts): config.json + weights.safetensors, written atomically (weights first,
 * then the config carrying their SHA-256), validated at load with ModelFormatError naming the file,
 * the field and the value.
 *
 *   model_family "mixture-actor" (SAC: sg, sgm, usgm):
 *     config: head {K, A, weights, log_std_min, log_std_max}, networks {actor, critic1, critic2: layers}
 *     tensors: actor.layer{l}.weight [in, out], actor.layer{l}.bias, the same for critic1, critic2
 *   model_family "gamid-actor" (Gamid-PG; TD3 is N = 1):
 *     config: N, exploration_std, epsilon, networks {actor0…actor{N−1}, critic1, critic2: layers}
 *     tensors: actor{i}.layer{l}.…, critic1.…, critic2.… (critic1 scores the components)
 *   both: obs_offset [D], obs_scale [D], action_low [A], action_high [A] (float64), spaces, env id,
 *   the training record, backend, library version.
 */
import { FAMILY, type ModelFamily } from '../../contract/families.js';
import { ShapeError, ValueError, describeValue } from '../../contract/errors.js';
import {
  CHECKPOINT_FORMAT,
  CONFIG_FILE,
  checkActionBox,
  checkNormalization,
  checkObservationSize,
  need,
  openCheckpoint,
  positiveInt,
  tensorReader,
  writeCheckpointFiles,
  type CheckpointFiles,
  type TensorReader,
} from '../checkpoint-files.js';
import type { NamedTensor } from '../safetensors.js';
import type { SpaceJson } from '../gmmqf/checkpoint.js';
import { MLP_ACTIVATION, mlpParameterCount, type MlpParams } from './mlp.js';
import { checkMixtureActor, type MixtureActorParams } from '../mixture-actor/params.js';
import { checkGamidActor, type GamidActorParams } from '../gamid-actor/params.js';
import { checkHeadSpec, type MixtureWeights } from '../mixture-actor/head.js';

export interface ActorCheckpointInfo {
  observation_space: SpaceJson;
  action_space: SpaceJson;
  env_id: string;
  training: Record<string, unknown>;
  backend: string;
}

interface CommonConfig extends ActorCheckpointInfo {
  format: typeof CHECKPOINT_FORMAT;
  format_version: number;
  activation: typeof MLP_ACTIVATION;
  networks: Record<string, { layers: number[] }>;
  parameter_count: number;
  library_version: string;
  weights_file: string;
  weights_sha256: string;
}

export interface MixtureActorConfig extends CommonConfig {
  model_family: typeof FAMILY.mixtureActor;
  head: { K: number; A: number; weights: MixtureWeights; log_std_min: number; log_std_max: number };
}

export interface GamidActorConfig extends CommonConfig {
  model_family: typeof FAMILY.gamidActor;
  N: number;
  exploration_std: number;
  epsilon: number;
}

function mlpTensors(prefix: string, p: MlpParams, out: Record<string, NamedTensor>): void {
  for (let l = 0; l + 1 < p.layers.length; l++) {
    out[`${prefix}.layer${l}.weight`] = { dtype: 'F64', shape: [p.layers[l]!, p.layers[l + 1]!], data: Float64Array.from(p.weights[l]!) };
    out[`${prefix}.layer${l}.bias`] = { dtype: 'F64', shape: [p.layers[l + 1]!], data: Float64Array.from(p.biases[l]!) };
  }
}

/** A checkpoint as data: what writeCheckpointFiles(dir, family, tensors, fields) writes (a training snapshot's `latest` / `best`). */
export interface ActorCheckpointPayload {
  family: ModelFamily;
  tensors: Record<string, NamedTensor>;
  fields: Record<string, unknown>;
}

function checkpointPayload(
  family: ModelFamily,
  networks: Record<string, MlpParams>,
  common: { obsOffset: Float64Array; obsScale: Float64Array; actionLow: Float64Array; actionHigh: Float64Array },
  extra: Record<string, unknown>,
  parameterCount: number,
  info: ActorCheckpointInfo,
): ActorCheckpointPayload {
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, p] of Object.entries(networks)) mlpTensors(name, p, tensors);
  const vec = (data: Float64Array): NamedTensor => ({ dtype: 'F64', shape: [data.length], data: Float64Array.from(data) });
  tensors['obs_offset'] = vec(common.obsOffset);
  tensors['obs_scale'] = vec(common.obsScale);
  tensors['action_low'] = vec(common.actionLow);
  tensors['action_high'] = vec(common.actionHigh);
  const fields = {
    ...extra,
    activation: MLP_ACTIVATION,
    networks: Object.fromEntries(Object.entries(networks).map(([k, p]) => [k, { layers: [...p.layers] }])),
    parameter_count: parameterCount,
    ...info,
  };
  return { family, tensors, fields };
}

function write(dir: string, p: ActorCheckpointPayload): string {
  return writeCheckpointFiles(dir, p.family, p.tensors, p.fields);
}

/** Saves a SAC-family actor with its critics. Returns the weights' SHA-256. */
export function saveMixtureActorCheckpoint(
  dir: string,
  actor: MixtureActorParams,
  critics: readonly [MlpParams, MlpParams],
  info: ActorCheckpointInfo,
): string {
  return write(dir, mixtureActorCheckpointPayload(actor, critics, info));
}

/** The tensors and config fields `saveMixtureActorCheckpoint` writes. */
export function mixtureActorCheckpointPayload(
  actor: MixtureActorParams,
  critics: readonly [MlpParams, MlpParams],
  info: ActorCheckpointInfo,
): ActorCheckpointPayload {
  checkMixtureActor(actor, 'saveMixtureActorCheckpoint');
  const h = actor.head;
  return checkpointPayload(
    FAMILY.mixtureActor,
    { actor: actor.trunk, critic1: critics[0], critic2: critics[1] },
    actor,
    { head: { K: h.K, A: h.A, weights: h.weights, log_std_min: h.logStdMin, log_std_max: h.logStdMax } },
    mlpParameterCount(actor.trunk.layers),
    info,
  );
}

/** Saves a Gamid (or TD3, N = 1) actor with both critics. */
export function saveGamidActorCheckpoint(
  dir: string,
  actor: GamidActorParams,
  critics: readonly [MlpParams, MlpParams],
  info: ActorCheckpointInfo,
): string {
  return write(dir, gamidActorCheckpointPayload(actor, critics, info));
}

/** The tensors and config fields `saveGamidActorCheckpoint` writes. */
export function gamidActorCheckpointPayload(
  actor: GamidActorParams,
  critics: readonly [MlpParams, MlpParams],
  info: ActorCheckpointInfo,
): ActorCheckpointPayload {
  checkGamidActor(actor, 'saveGamidActorCheckpoint');
  const nets: Record<string, MlpParams> = {};
  actor.actors.forEach((a, i) => (nets[`actor${i}`] = a));
  nets['critic1'] = critics[0];
  nets['critic2'] = critics[1];
  return checkpointPayload(
    FAMILY.gamidActor,
    nets,
    actor,
    { N: actor.actors.length, exploration_std: actor.explorationStd, epsilon: actor.epsilon },
    actor.actors.length * mlpParameterCount(actor.actors[0]!.layers),
    info,
  );
}

function loadCommon(dir: string, family: ModelFamily) {
  const files = openCheckpoint(dir, family);
  const { cfgPath } = files;
  const config = files.config as unknown as CommonConfig;
  need(
    config.activation === MLP_ACTIVATION,
    `checkpoint: ${cfgPath} field "activation" is ${describeValue(config.activation)}; this gmmrl supports "${MLP_ACTIVATION}" only.`,
  );
  const networks = config.networks as unknown;
  need(
    networks !== null && typeof networks === 'object' && !Array.isArray(networks),
    `checkpoint: ${cfgPath} field "networks" is ${describeValue(networks)}; expected {name: {layers}}.`,
  );
  const take = tensorReader(files, `from the layers in ${CONFIG_FILE}`, 'retrain (e.g. with a smaller learning rate)');
  const mlp = (name: string): MlpParams => {
    const net = Object.prototype.hasOwnProperty.call(networks, name) ? (networks as Record<string, unknown>)[name] : undefined;
    const layers = net !== null && typeof net === 'object' ? (net as { layers?: unknown }).layers : undefined;
    need(
      Array.isArray(layers) && layers.length >= 2 && layers.every(positiveInt),
      `checkpoint: ${cfgPath} field "networks.${name}.layers" is ${describeValue(layers)}; expected at least 2 positive integers.`,
    );
    const sizes = layers as number[];
    const weights: Float64Array[] = [];
    const biases: Float64Array[] = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      weights.push(take(`${name}.layer${l}.weight`, [sizes[l]!, sizes[l + 1]!]));
      biases.push(take(`${name}.layer${l}.bias`, [sizes[l + 1]!]));
    }
    return { layers: sizes, weights, biases };
  };
  /** The networks field must name exactly `names`. */
  const expectNetworks = (names: string[]): void => {
    const extra = Object.keys(networks as object).filter((k) => !names.includes(k));
    need(
      extra.length === 0,
      `checkpoint: ${cfgPath} field "networks" has ${extra.map((k) => JSON.stringify(k)).join(', ')} besides ${names.join(', ')}; a ${family} checkpoint holds exactly those.`,
    );
  };
  const critics: [MlpParams, MlpParams] = [mlp('critic1'), mlp('critic2')];
  return { files, config, take, mlp, critics, expectNetworks };
}

/** The shared tail of both loaders: critics [D + A, …, 1], the spaces, the normalization, the bounds, parameter_count, no tensor left over. */
function checkTail(
  files: CheckpointFiles,
  take: TensorReader,
  critics: readonly MlpParams[],
  p: { obsOffset: Float64Array; obsScale: Float64Array; actionLow: Float64Array; actionHigh: Float64Array },
  parameterCount: number,
): void {
  const { cfgPath } = files;
  const D = p.obsOffset.length;
  const A = p.actionLow.length;
  critics.forEach((c, i) =>
    need(
      c.layers[0] === D + A && c.layers.at(-1) === 1,
      `checkpoint: ${cfgPath} field "networks.critic${i + 1}.layers" is [${c.layers}]; a critic maps D + A = ${D + A} inputs to 1.`,
    ),
  );
  checkObservationSize(cfgPath, files.observationSpace, D, `the actor reads D = ${D}`);
  checkNormalization(files, p.obsOffset, p.obsScale, false);
  checkActionBox(cfgPath, files.actionSpace, [A], p.actionLow, p.actionHigh, `${files.wPath} tensors "action_low"/"action_high"`);
  need(
    files.config['parameter_count'] === parameterCount,
    `checkpoint: ${cfgPath} field "parameter_count" is ${describeValue(files.config['parameter_count'])} but the actor's layers have ${parameterCount} parameters; the file was edited inconsistently.`,
  );
  take.checkAllRead();
}

function vectors(take: (n: string, s: number[]) => Float64Array, D: number, A: number) {
  return {
    obsOffset: take('obs_offset', [D]),
    obsScale: take('obs_scale', [D]),
    actionLow: take('action_low', [A]),
    actionHigh: take('action_high', [A]),
  };
}

/** Wraps a params check so that its error becomes a ModelFormatError naming the checkpoint. */
function validated(cfgPath: string, check: () => void): void {
  try {
    check();
  } catch (err) {
    if (!(err instanceof ShapeError || err instanceof ValueError)) throw err;
    need(false, `checkpoint: ${cfgPath}: ${err.message}`);
  }
}

export interface MixtureActorCheckpoint {
  actor: MixtureActorParams;
  critics: [MlpParams, MlpParams];
  config: MixtureActorConfig;
  sha256: string;
}

/**
 * Loads and validates a mixture-actor checkpoint: the shared checks (models/checkpoint-files.ts),
 * the head {K, A, weights, log_std_min, log_std_max} (numbers of the right kind, checked as the
 * trainer checks them), the networks actor, critic1, critic2 and no other, their tensors, the spaces
 * against the actor's sizes and bounds, parameter_count, and no tensor left unread.
 */
export function loadMixtureActorCheckpoint(dir: string): MixtureActorCheckpoint {
  const { files, config: c, take, mlp, critics, expectNetworks } = loadCommon(dir, FAMILY.mixtureActor);
  const config = c as MixtureActorConfig;
  const h = config.head as unknown as Record<string, unknown>;
  need(
    h !== null && typeof h === 'object' && !Array.isArray(h),
    `checkpoint: ${files.cfgPath} field "head" is ${describeValue(h)}; expected {K, A, weights, log_std_min, log_std_max}.`,
  );
  for (const k of ['log_std_min', 'log_std_max'] as const) {
    need(
      typeof h[k] === 'number' && Number.isFinite(h[k]),
      `checkpoint: ${files.cfgPath} field "head.${k}" is ${describeValue(h[k])}; expected a finite number.`,
    );
  }
  const head = {
    K: h['K'] as number,
    A: h['A'] as number,
    weights: h['weights'] as MixtureWeights,
    logStdMin: h['log_std_min'] as number,
    logStdMax: h['log_std_max'] as number,
  };
  validated(files.cfgPath, () => checkHeadSpec(head, 'field "head"'));
  expectNetworks(['actor', 'critic1', 'critic2']);
  const trunk = mlp('actor');
  const D = trunk.layers[0]!;
  const actor: MixtureActorParams = { head, trunk, ...vectors(take, D, head.A) };
  validated(files.cfgPath, () => checkMixtureActor(actor, 'mixture actor'));
  checkTail(files, take, critics, actor, mlpParameterCount(trunk.layers));
  return { actor, critics, config, sha256: files.sha256 };
}

export interface GamidActorCheckpoint {
  actor: GamidActorParams;
  critics: [MlpParams, MlpParams];
  config: GamidActorConfig;
  sha256: string;
}

/**
 * Loads and validates a gamid-actor checkpoint: the shared checks, N, exploration_std and epsilon
 * (numbers; checked as the trainer checks them), the networks actor0…actor{N−1}, critic1, critic2
 * and no other, their tensors, the spaces against the actors' sizes and bounds, parameter_count,
 * and no tensor left unread.
 */
export function loadGamidActorCheckpoint(dir: string): GamidActorCheckpoint {
  const { files, config: c, take, mlp, critics, expectNetworks } = loadCommon(dir, FAMILY.gamidActor);
  const config = c as GamidActorConfig;
  need(positiveInt(config.N), `checkpoint: ${files.cfgPath} field "N" is ${describeValue(config.N)}; expected a positive integer.`);
  for (const k of ['exploration_std', 'epsilon'] as const) {
    need(
      typeof config[k] === 'number',
      `checkpoint: ${files.cfgPath} field "${k}" is ${describeValue(config[k])}; expected a number (σ ≥ 0; ε in [0, 1]).`,
    );
  }
  // one actor at a time: an N beyond the networks present fails at the first missing one, never allocating N of anything
  const actors: MlpParams[] = [];
  for (let i = 0; i < config.N; i++) actors.push(mlp(`actor${i}`));
  expectNetworks([...actors.map((_, i) => `actor${i}`), 'critic1', 'critic2']);
  const D = actors[0]!.layers[0]!;
  const A = actors[0]!.layers.at(-1)!;
  const actor: GamidActorParams = {
    actors,
    critic: critics[0],
    ...vectors(take, D, A),
    explorationStd: config.exploration_std,
    epsilon: config.epsilon,
  };
  validated(files.cfgPath, () => checkGamidActor(actor, 'gamid actor'));
  checkTail(files, take, critics, actor, config.N * mlpParameterCount(actors[0]!.layers));
  return { actor, critics, config, sha256: files.sha256 };
}
