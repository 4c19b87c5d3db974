/**
 * The seam between a training loop and the run directory that keeps it (issue "Nothing lost"):
 * at every evaluation the loop hands the command a TrainingSnapshot (the best-so-far model, the
 * latest model, and everything needed to continue exactly), and the command commits it as one
 * checkpoint generation (sdk/run-store.ts). `stopRequested` lets Ctrl-C / SIGTERM end a run
 * after the step in flight with a final snapshot; `resumeFrom` continues a run from its latest
 * generation.
 */
import type { ModelFamily } from '../../contract/families.js';
import type { NamedTensor } from '../../models/safetensors.js';
import type { MetricRow } from '../util/metrics.js';

/** A model checkpoint as data: exactly what writeCheckpointFiles(dir, family, tensors, fields) writes. */
export interface ModelCheckpoint {
  family: ModelFamily;
  tensors: Record<string, NamedTensor>;
  /** The config.json fields between model_family and library_version. */
  fields: Record<string, unknown>;
}

/**
 * Everything a loop needs to continue a run as if it had not stopped: learner parameters and
 * optimizer moments, replay buffer, environment and RNG states, counters, schedules, the best
 * tracker and the metric rows so far. Tensors hold the arrays (float64 / int32 / uint8 …), `json`
 * the scalars and small records; `algorithm` and `format_version` let a loader refuse a state
 * written by another algorithm or version.
 */
export interface TrainingState {
  algorithm: string;
  format_version: number;
  /** Environment steps taken so far. */
  envSteps: number;
  tensors: Record<string, NamedTensor>;
  json: Record<string, unknown>;
}

export interface TrainingSnapshot {
  envSteps: number;
  /** The model as it is now. */
  latest: ModelCheckpoint;
  /** The best-evaluated model so far (what the final checkpoint would be with keepBest). */
  best: ModelCheckpoint;
  state: TrainingState;
  /** The metric rows so far (metrics.csv of this generation). */
  rows: readonly MetricRow[];
}

/** What a train function accepts besides progress hooks, for checkpointing and resuming. */
export interface TrainControl {
  /** Called after every evaluation (and once more when a stop is requested) with a snapshot to commit. */
  onSnapshot?: (snapshot: TrainingSnapshot) => void;
  /** Polled between environment steps; when it returns true the loop finishes the step in flight, snapshots and returns early. */
  stopRequested?: () => boolean;
  /** Continue from this state (the latest generation of a run). */
  resumeFrom?: TrainingState;
}
