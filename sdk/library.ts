/**
 * Train → save → export → verify in a few lines, the same three calls for every trainer's result:
 *
 *   const result = await trainGmmQf({ env: 'CartPole-v1', steps: 30000 });   // or trainSgmmqf, trainDqn, trainSac, trainTd3, trainGamid
 *   const saved = await saveCheckpoint(result, 'runs/cartpole');               // a checkpoint directory (config.json, weights.safetensors)
 *   const onnx = await exportCheckpoint(saved, { out: 'runs/cartpole/policy.onnx' });
 *   const report = await verifyCheckpoint(saved, onnx);                        // report.pass; assertParity throws instead
 *
 * One code path with the CLI: saveCheckpoint writes through the algorithm's `gmmrl train` entry
 * (its `save`, as a run's best checkpoint is written), exportCheckpoint and verifyCheckpoint run
 * `gmmrl export` / `gmmrl verify` with the options as their flags. The options are checked here
 * first, so a bad one is a ValueError naming the option (not the flag), its value and the fix.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { ValueError, describeValue } from '../contract/errors.js';
import type { ModelFamily } from '../contract/families.js';
import { CONFIG_FILE, WEIGHTS_FILE } from '../models/checkpoint-files.js';
import { unwritableDirReason } from '../models/io.js';
import type { DqnTrainResult } from './algorithms/dqn.js';
import type { GamidConfig } from './algorithms/gamid-spec.js';
import type { GmmQfTrainResult } from './algorithms/gmmqf.js';
import type { SacTrainResult } from './algorithms/sac.js';
import type { SgmmqfTrainResult } from './algorithms/sgmmqf.js';
import type { DeterministicTrainResult } from './algorithms/td3.js';
import type { Td3Config } from './algorithms/td3-spec.js';
import type { BackendName } from './backend.js';
import { checkpointFamily } from './checkpoints.js';
import { trainAlgorithms } from './cli.js';
import type { FlagSpecs, ParsedFlags } from './cli/args.js';
import { EXPORT_FLAGS, exportCommand } from './cli/export.js';
import { VERIFY_FLAGS, runVerify } from './cli/verify.js';
import type { FamilyParityReport } from './families/family.js';

/** What a built-in trainer resolves to (trainGmmQf, trainSgmmqf, trainDqn, trainSac, trainTd3, trainGamid). */
export type TrainResult =
  | GmmQfTrainResult
  | SgmmqfTrainResult
  | DqnTrainResult
  | SacTrainResult
  | DeterministicTrainResult<Td3Config>
  | DeterministicTrainResult<GamidConfig>;

/** A result of an algorithm added with registerAlgorithm: its `algorithm` names the entry, `config` is its resolved config. */
export interface RegisteredTrainResult {
  algorithm: string;
  config: unknown;
}

export interface SaveCheckpointOptions {
  /** Replace the checkpoint already in `dir` (a directory holding only config.json and weights.safetensors). Default false. */
  overwrite?: boolean;
  /** Actor-critics (sac, td3, gamid): greedy episodes of the saved parameters recorded in the checkpoint (seeds 100000+; default 20, 0: none). */
  finalEpisodes?: number;
}

/** A checkpoint directory written by saveCheckpoint: what exportCheckpoint and verifyCheckpoint take (or its `dir`). */
export interface SavedCheckpoint {
  dir: string;
  /** The model family it holds (config.json model_family). */
  family: ModelFamily;
  /** The algorithm that trained it. */
  algorithm: string;
  /** SHA-256 (hex) of weights.safetensors, the source hash an export records. */
  sha256: string;
}

export interface ExportCheckpointOptions {
  /** The .onnx file to write (its folders are made). */
  out: string;
  /** 'float32' (default) or 'float64' (onnxruntime cpu and wasm only). */
  precision?: 'float32' | 'float64';
  /** 'inputs' (default: action_sampled from fed noise), 'in-graph', or 'none' (Q models only: greedy only). */
  sampling?: 'inputs' | 'in-graph' | 'none';
  /** Q models: ε of action_sampled (default: the run's final ε, else 0.05). */
  epsilon?: number;
}

export interface VerifyCheckpointOptions {
  /** States compared (default 3000, ≥ 3). */
  states?: number;
  /** Seed of the state draws (default 0). */
  seed?: number;
  /** Q models: relative tolerance on q where |q| > 1e-3 (default 1e-5, > 0). */
  rtol?: number;
  /** TensorFlow.js backend of the checkpoint side (default 'auto'). */
  backend?: BackendName;
}

/** A checkpoint given as a directory or as what saveCheckpoint returned. */
export type CheckpointSource = string | SavedCheckpoint;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Writes `result` (what a trainer resolved to) as a checkpoint directory `dir`, through its
 * algorithm's `gmmrl train` entry: the same files a run's best checkpoint has, metadata and spaces
 * from the result. Refuses (ValueError) a result that is not a trainer's, a `dir` that is a file or
 * a non-empty directory (unless `overwrite` and it holds only a checkpoint), and bad options.
 */
export async function saveCheckpoint(
  result: TrainResult | RegisteredTrainResult,
  dir: string,
  options: SaveCheckpointOptions = {},
): Promise<SavedCheckpoint> {
  const where = 'saveCheckpoint';
  const known = trainAlgorithms().map((e) => e.name);
  const fix = `pass what a trainer resolved to (trainGmmQf, trainSgmmqf, trainDqn, trainSac, trainTd3, trainGamid: ${known.join(', ')})`;
  if (!isRecord(result)) throw new ValueError(`${where}: result is ${describeValue(result)}, not a training result; ${fix}.`);
  if ('curve' in result && 'finalReward' in result && !('algorithm' in result))
    throw new ValueError(
      `${where}: result is a trainBanditActor result (a learning curve on a known-reward bandit, no environment and no model to deploy), not a trainer's; ${fix}.`,
    );
  const name = result['algorithm'];
  const entry = trainAlgorithms().find((e) => e.name === name);
  if (entry === undefined)
    throw new ValueError(
      `${where}: result.algorithm is ${describeValue(name)}; expected the name of a training algorithm (${known.join(', ')}); ${fix}.`,
    );
  if (!isRecord(result['config'])) throw new ValueError(`${where}: result.config is ${describeValue(result['config'])}; ${fix}.`);
  checkOptionKeys(where, options, ['overwrite', 'finalEpisodes']);
  const { overwrite = false, finalEpisodes } = options;
  if (typeof overwrite !== 'boolean')
    throw new ValueError(`${where}: options.overwrite is ${describeValue(overwrite)}; expected true or false.`);
  const extra: FlagSpecs = entry.extraFlags ?? {};
  if (finalEpisodes !== undefined && !('final-episodes' in extra))
    throw new ValueError(
      `${where}: options.finalEpisodes applies to the actor-critics (sac, td3, gamid); a ${entry.name} result has no final evaluation. Remove it.`,
    );
  if (finalEpisodes !== undefined && !(Number.isSafeInteger(finalEpisodes) && finalEpisodes >= 0))
    throw new ValueError(`${where}: options.finalEpisodes is ${describeValue(finalEpisodes)}; expected an integer ≥ 0 (default 20).`);
  checkSaveDir(where, dir, overwrite);
  const flags: ParsedFlags = {};
  for (const [k, spec] of Object.entries(extra)) flags[k] = spec.default;
  if (finalEpisodes !== undefined) flags['final-episodes'] = finalEpisodes;
  entry.checkFlags?.(flags, where);
  const saved = await entry.save(dir, result, result['config'], flags);
  return { dir, family: checkpointFamily(dir), algorithm: entry.name, sha256: saved.sha };
}

/**
 * Writes the ONNX file of a checkpoint (a directory, or what saveCheckpoint returned) to
 * `options.out`; `gmmrl export`'s path (the same checks, e.g. an out inside the checkpoint is
 * refused). Returns the path written.
 */
export async function exportCheckpoint(source: CheckpointSource, options: ExportCheckpointOptions): Promise<string> {
  const where = 'exportCheckpoint';
  const dir = sourceDir(where, source);
  if (!isRecord(options))
    throw new ValueError(`${where}: options is ${describeValue(options)}; pass an object with out, e.g. { out: 'policy.onnx' }.`);
  const o = options as unknown as Record<string, unknown>;
  if (typeof o['out'] !== 'string' || o['out'] === '')
    throw new ValueError(`${where}: options.out is ${describeValue(o['out'])}; name the .onnx file to write, e.g. { out: 'policy.onnx' }.`);
  const argv = [dir, ...optionsArgv(where, o, EXPORT_FLAGS, ['out', 'precision', 'sampling', 'epsilon'])];
  return exportCommand(argv, () => {});
}

/**
 * The parity report of an ONNX file against the checkpoint it came from (`gmmrl verify`'s check:
 * greedy and sampled, the file's recorded source must be this checkpoint). Resolves with the
 * report whatever its verdict (`report.pass`); assertParity rejects on a failure instead.
 */
export async function verifyCheckpoint(
  source: CheckpointSource,
  onnx: string,
  options: VerifyCheckpointOptions = {},
): Promise<FamilyParityReport> {
  return runVerifyWith('verifyCheckpoint', source, onnx, options);
}

/** verifyCheckpoint under the name `where` (assertParity's messages name assertParity). */
export async function runVerifyWith(where: string, source: CheckpointSource, onnx: string, options: unknown): Promise<FamilyParityReport> {
  const dir = sourceDir(where, source);
  if (typeof onnx !== 'string' || onnx === '')
    throw new ValueError(`${where}: onnx is ${describeValue(onnx)}; pass the path of the .onnx file, e.g. 'policy.onnx'.`);
  if (!isRecord(options)) throw new ValueError(`${where}: options is ${describeValue(options)}; pass an object, e.g. { states: 3000 }.`);
  const argv = [dir, onnx, ...optionsArgv(where, options, VERIFY_FLAGS, ['states', 'seed', 'rtol', 'backend'])];
  return (await runVerify(argv, () => {}, false))!;
}

function sourceDir(where: string, source: unknown): string {
  if (typeof source === 'string' && source !== '') return source;
  if (isRecord(source) && typeof source['dir'] === 'string' && source['dir'] !== '') return source['dir'];
  if (isRecord(source) && 'algorithm' in source && 'config' in source)
    throw new ValueError(
      `${where}: the checkpoint is a training result (algorithm ${describeValue(source['algorithm'])}), not a checkpoint; save it first: const saved = await saveCheckpoint(result, dir), then pass saved.`,
    );
  throw new ValueError(
    `${where}: the checkpoint is ${describeValue(source)}; pass a checkpoint or run directory (a path) or what saveCheckpoint returned.`,
  );
}

function checkOptionKeys(where: string, options: unknown, allowed: readonly string[]): void {
  if (!isRecord(options)) throw new ValueError(`${where}: options is ${describeValue(options)}; pass an object (or nothing).`);
  for (const k of Object.keys(options))
    if (!allowed.includes(k)) throw new ValueError(`${where}: unknown option ${describeValue(k)}; the options are ${allowed.join(', ')}.`);
}

/**
 * The flags of `options` (camelCase keys = the command's flags), each checked against its flag's
 * type and choices, naming the option; undefined values are left out (the command's default).
 */
function optionsArgv(where: string, options: Record<string, unknown>, specs: FlagSpecs, allowed: readonly string[]): string[] {
  checkOptionKeys(where, options, allowed);
  const argv: string[] = [];
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    const flag = k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const spec = specs[flag];
    if (spec === undefined) throw new ValueError(`${where}: option ${k} has no flag --${flag} (internal).`);
    const name = `${where}: options.${k} is ${describeValue(v)}`;
    if (spec.type === 'string') {
      if (typeof v !== 'string') throw new ValueError(`${name}; expected a string${spec.choices ? ` (${spec.choices.join(', ')})` : ''}.`);
      if (spec.choices && !spec.choices.includes(v)) throw new ValueError(`${name}; expected one of ${spec.choices.join(', ')}.`);
    } else if (spec.type === 'int') {
      if (!Number.isSafeInteger(v)) throw new ValueError(`${name}; expected an integer (default ${String(spec.default)}).`);
    } else if (spec.type === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(`${name}; expected a finite number.`);
    }
    argv.push(`--${flag}`, String(v));
  }
  return argv;
}

/** A checkpoint may go into a new or empty directory, or replace one (overwrite) that holds only a checkpoint. */
function checkSaveDir(where: string, dir: unknown, overwrite: boolean): void {
  if (typeof dir !== 'string' || dir === '')
    throw new ValueError(`${where}: dir is ${describeValue(dir)}; pass the directory to write, e.g. 'runs/cartpole'.`);
  if (!existsSync(dir)) {
    const why = unwritableDirReason(dir);
    if (why !== null) throw new ValueError(`${where}: dir ${dir} cannot be written: ${why}. Choose another directory.`);
    return;
  }
  if (!statSync(dir).isDirectory()) throw new ValueError(`${where}: dir ${dir} exists and is not a directory; choose another path.`);
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  const others = entries.filter((e) => e !== CONFIG_FILE && e !== WEIGHTS_FILE);
  if (!overwrite)
    throw new ValueError(
      `${where}: dir ${dir} is not empty (${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', …' : ''}); choose a new directory${others.length === 0 ? ', or pass { overwrite: true } to replace its checkpoint' : ''}.`,
    );
  if (others.length > 0)
    throw new ValueError(
      `${where}: dir ${dir} holds more than a checkpoint (${others.slice(0, 5).join(', ')}); overwrite replaces only a checkpoint directory (${CONFIG_FILE}, ${WEIGHTS_FILE}). Choose a new directory.`,
    );
}
