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
import {
  CHECKPOINT_FORMAT,
  CONFIG_FILE,
  need,
  openCheckpoint,
  positiveInt,
  tensorReader,
  writeCheckpointFiles,
} from '../checkpoint-files.js';
import type { NamedTensor } from '../safetensors.js';
import type { SpaceJson } from '../gmmqf/checkpoint.js';
import { MLP_ACTIVATION, mlpParameterCount, type MlpParams } from './mlp.js';
import { checkMixtureActor, type MixtureActorParams } from '../mixture-actor/params.js';
import { checkGamidActor, type GamidActorParams } from '../gamid-actor/params.js';
import type { MixtureWeights } from '../mixture-actor/head.js';

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
    `checkpoint: ${cfgPath} field "activation" is ${JSON.stringify(config.activation)}; this gmmrl supports "${MLP_ACTIVATION}" only.`,
  );
  need(
    config.networks && typeof config.networks === 'object',
    `checkpoint: ${cfgPath} field "networks" is ${JSON.stringify(config.networks)}; expected {name: {layers}}.`,
  );
  const take = tensorReader(files, `from the layers in ${CONFIG_FILE}`, 'retrain (e.g. with a smaller learning rate)');
  const mlp = (name: string): MlpParams => {
    const layers = config.networks[name]?.layers as unknown;
    need(
      Array.isArray(layers) && layers.length >= 2 && layers.every(positiveInt),
      `checkpoint: ${cfgPath} field "networks.${name}.layers" is ${JSON.stringify(layers)}; expected at least 2 positive integers.`,
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
  const critics: [MlpParams, MlpParams] = [mlp('critic1'), mlp('critic2')];
  return { files, config, take, mlp, critics };
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
    need(false, `checkpoint: ${cfgPath}: ${(err as Error).message}`);
  }
}

export interface MixtureActorCheckpoint {
  actor: MixtureActorParams;
  critics: [MlpParams, MlpParams];
  config: MixtureActorConfig;
  sha256: string;
}

export function loadMixtureActorCheckpoint(dir: string): MixtureActorCheckpoint {
  const { files, config: c, take, mlp, critics } = loadCommon(dir, FAMILY.mixtureActor);
  const config = c as MixtureActorConfig;
  const h = config.head;
  need(
    h && typeof h === 'object',
    `checkpoint: ${files.cfgPath} field "head" is ${JSON.stringify(h)}; expected {K, A, weights, log_std_min, log_std_max}.`,
  );
  const trunk = mlp('actor');
  const D = trunk.layers[0]!;
  const actor: MixtureActorParams = {
    head: { K: h.K, A: h.A, weights: h.weights, logStdMin: h.log_std_min, logStdMax: h.log_std_max },
    trunk,
    ...vectors(take, D, h.A),
  };
  validated(files.cfgPath, () => checkMixtureActor(actor, 'mixture actor'));
  need(
    critics[0].layers[0] === D + h.A,
    `checkpoint: ${files.cfgPath} field "networks.critic1.layers" starts at ${critics[0].layers[0]}, expected D + A = ${D + h.A}.`,
  );
  return { actor, critics, config, sha256: files.sha256 };
}

export interface GamidActorCheckpoint {
  actor: GamidActorParams;
  critics: [MlpParams, MlpParams];
  config: GamidActorConfig;
  sha256: string;
}

export function loadGamidActorCheckpoint(dir: string): GamidActorCheckpoint {
  const { files, config: c, take, mlp, critics } = loadCommon(dir, FAMILY.gamidActor);
  const config = c as GamidActorConfig;
  need(positiveInt(config.N), `checkpoint: ${files.cfgPath} field "N" is ${JSON.stringify(config.N)}; expected a positive integer.`);
  const actors = Array.from({ length: config.N }, (_, i) => mlp(`actor${i}`));
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
  return { actor, critics, config, sha256: files.sha256 };
}
