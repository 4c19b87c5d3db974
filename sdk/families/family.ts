/**
 * What a model family's implementation supplies (one module per family, sdk/families/<family>.ts,
 * collected by sdk/families/index.ts): its contract (contract/families.ts), checkpoint save/load
 * (models/), the ONNX export and the metadata it writes (exporters/), the parity check behind
 * `gmmrl verify` (sdk/parity*.ts) and its benchmark model (sdk/families/bench.ts, read by bench/).
 *
 * The parity modules load TensorFlow.js and ONNX Runtime: each family imports its own lazily,
 * inside `verify`, so reading the registry (for an export, a bench model) does not load them.
 */
import type { FamilyContract, ModelFamily } from '../../contract/families.js';
import type { GmmrlMetadataV1, Precision } from '../../contract/metadata.js';
import type { SpaceJson } from '../../models/gmmqf/checkpoint.js';
import type { NoiseMode } from '../../exporters/onnx/subgraphs.js';
import { DEFAULT_Q_EPSILON } from '../../exporters/onnx/subgraphs.js';
import type { ParityOptions, ParityReport } from '../parity.js';
import type { ActorParityReport } from '../parity-actor.js';
import type { BenchModel } from './bench.js';

/** What every family's loaded checkpoint has: its config's environment and training record, and its weights' hash. */
export interface FamilyCheckpoint {
  config: { env_id: string; observation_space: SpaceJson; action_space: SpaceJson; training: Record<string, unknown> };
  /** SHA-256 (hex) of weights.safetensors. */
  sha256: string;
}

/** Options of an export through the registry (`gmmrl export`'s flags). */
export interface FamilyExportOptions {
  precision: Precision;
  /** 'none' (no action_sampled) exists for the Q families only; an actor always samples. */
  sampling: NoiseMode | 'none';
  /** Q families: ε of action_sampled; default the run's final ε (training.epsEnd), else 0.05. Actors take theirs from the checkpoint. */
  epsilon?: number;
}

/** The options of `gmmrl verify` (the Q families read all of them, the actors states and seed). */
export type FamilyVerifyOptions = ParityOptions;

/** A parity report: pass says whether the file acts like the checkpoint. */
export type FamilyParityReport = ParityReport | ActorParityReport;

/** A family's benchmark model: seeded synthetic parameters shaped like trained ones, exported with the default options. */
export interface FamilyBench<F extends ModelFamily, P> {
  /** The synthetic parameters. */
  params(): P;
  /** n observations [n·D] for them from a seeded stream (the range their normalization expects). */
  observations(seed: number, n: number): Float32Array;
  /** The parameters exported with the default options and `training` as the metadata's training record (default BENCH_TRAINING), with their observation stream. */
  build(training?: Record<string, unknown>): BenchModel<F, P>;
}

/** One family's implementation. `C` is its loaded checkpoint, `P` its parameters. */
export interface FamilyModule<F extends ModelFamily = ModelFamily, C extends FamilyCheckpoint = FamilyCheckpoint, P = unknown> {
  /** The family id (= contract.id). */
  readonly id: F;
  readonly contract: FamilyContract;
  readonly checkpoint: {
    /** Writes a checkpoint directory; returns the weights' SHA-256. The arguments are the family's own. */
    save(dir: string, ...rest: never[]): string;
    /** Loads and validates a checkpoint directory of this family (ModelFormatError otherwise). */
    load(dir: string): C;
  };
  /** The gmmrl metadata `export(ckpt, options)` writes. */
  metadata(ckpt: C, options: FamilyExportOptions): GmmrlMetadataV1;
  /** The ONNX model of a loaded checkpoint. */
  export(ckpt: C, options: FamilyExportOptions): Uint8Array;
  /** The model in a few words for the export summary line, e.g. "K=6, D=4, A=2". */
  describe(ckpt: C): string;
  /** Parity of an ONNX file with the checkpoint directory it came from (`gmmrl verify`). */
  verify(dir: string, onnx: string | Uint8Array, options?: FamilyVerifyOptions): Promise<FamilyParityReport>;
  readonly bench: FamilyBench<F, P>;
}

/**
 * The Q families' export options: ε from the options, else the run's final exploration ε
 * (training.epsEnd when it is a probability), else DEFAULT_Q_EPSILON.
 */
export function qExportOptions(
  o: FamilyExportOptions,
  training: Record<string, unknown>,
): { precision: Precision; sampling: NoiseMode | 'none'; epsilon: number } {
  const e = training['epsEnd'];
  const epsilon = o.epsilon ?? (typeof e === 'number' && e >= 0 && e <= 1 ? e : DEFAULT_Q_EPSILON);
  return { precision: o.precision, sampling: o.sampling, epsilon };
}

/** The actor families' export options (precision and sampling noise; their ε is the checkpoint's). */
export function actorExportOptions(o: FamilyExportOptions): { precision: Precision; sampling: NoiseMode } {
  return { precision: o.precision, sampling: o.sampling as NoiseMode };
}

/**
 * A checkpoint's observation space as export metadata: the shape (default [fallbackSize]) and the
 * bounds with JSON nulls read back as ∓Infinity.
 */
export function spaceBounds(space: SpaceJson, fallbackSize: number): { shape: number[]; low: number[]; high: number[] } {
  return {
    shape: space.shape ?? [fallbackSize],
    low: (space.low ?? []).map((v) => (v === null ? -Infinity : v)),
    high: (space.high ?? []).map((v) => (v === null ? Infinity : v)),
  };
}

/** The export metadata every checkpoint gives: environment, observation space (D entries), source hash, training record. */
export function checkpointExportMeta(
  ckpt: FamilyCheckpoint,
  D: number,
): {
  envId: string;
  observationSpace: { shape: number[]; low: number[]; high: number[] };
  sourceCheckpointSha256: string;
  training: Record<string, unknown>;
} {
  return {
    envId: ckpt.config.env_id,
    observationSpace: spaceBounds(ckpt.config.observation_space, D),
    sourceCheckpointSha256: ckpt.sha256,
    training: ckpt.config.training,
  };
}
