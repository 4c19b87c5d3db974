/**
 * The bit-identical resume check shared by the trainers' resume specs: run straight to N steps;
 * run again, stop on `stopRequested` at step k, push the stop snapshot's state through real bytes
 * (safetensors for the tensors, JSON text for the rest), resume from it to N; then the two runs'
 * final checkpoints (latest and best) must have byte-identical weights files and equal metric rows
 * apart from the wall-time columns.
 */
import { expect } from 'chai';
import { decodeSafetensors, encodeSafetensors } from '../../../models/safetensors.js';
import type { ModelCheckpoint, TrainControl, TrainingSnapshot, TrainingState } from '../../../sdk/algorithms/snapshot.js';
import type { MetricRow } from '../../../sdk/util/metrics.js';

/** The state as it comes back from disk: tensors through encodeSafetensors/decodeSafetensors, the rest through JSON text. */
export function throughBytes(state: TrainingState): TrainingState {
  const { tensors } = decodeSafetensors(encodeSafetensors(state.tensors), 'state.safetensors');
  const head = JSON.parse(JSON.stringify({ algorithm: state.algorithm, format_version: state.format_version, envSteps: state.envSteps }));
  return { ...head, tensors, json: JSON.parse(JSON.stringify(state.json)) };
}

/** The bytes of the weights file a checkpoint would write. */
export function weightsBytes(c: ModelCheckpoint): Buffer {
  return Buffer.from(encodeSafetensors(c.tensors, { format: 'gmmrl-checkpoint', model_family: c.family }));
}

/** Wall-time columns: the only ones allowed to differ between a straight and a resumed run. */
export const WALL_COLUMNS = ['wall_s', 'steps_per_s', 'gd_seconds'];

export function withoutWall(rows: readonly MetricRow[]): MetricRow[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !WALL_COLUMNS.includes(k))));
}

/** The checkpoint fields without the wall-time entries of the training record. */
export function fieldsWithoutWall(c: ModelCheckpoint): unknown {
  const training = { ...(c.fields['training'] as Record<string, unknown>) };
  delete training['wall_seconds'];
  delete training['update_seconds'];
  return JSON.parse(JSON.stringify({ ...c.fields, training }));
}

export interface Run {
  snapshots: TrainingSnapshot[];
  result: { interrupted: boolean; log: readonly object[] };
}

/** Runs `train` with a control that records every snapshot (and stops once `stopAtPoll` polls have been answered false). */
export async function record(
  train: (control: TrainControl) => Promise<{ interrupted: boolean; log: readonly object[] }>,
  opts: { stopAfterPolls?: number; resumeFrom?: TrainingState } = {},
): Promise<Run> {
  const snapshots: TrainingSnapshot[] = [];
  let polls = 0;
  const control: TrainControl = { onSnapshot: (s) => snapshots.push(s) };
  if (opts.stopAfterPolls !== undefined) control.stopRequested = () => ++polls > opts.stopAfterPolls!;
  if (opts.resumeFrom) control.resumeFrom = opts.resumeFrom;
  const result = await train(control);
  return { snapshots, result };
}

/** The final snapshots of two runs are the same run: weights bytes, checkpoint fields (wall time aside), rows (wall time aside), state envSteps. */
export function expectSameEnd(straight: Run, resumed: Run): void {
  const a = straight.snapshots.at(-1)!;
  const b = resumed.snapshots.at(-1)!;
  expect(b.envSteps).to.equal(a.envSteps);
  expect(weightsBytes(b.latest).equals(weightsBytes(a.latest)), 'latest weights bytes').to.equal(true);
  expect(weightsBytes(b.best).equals(weightsBytes(a.best)), 'best weights bytes').to.equal(true);
  expect(fieldsWithoutWall(b.latest)).to.deep.equal(fieldsWithoutWall(a.latest));
  expect(fieldsWithoutWall(b.best)).to.deep.equal(fieldsWithoutWall(a.best));
  expect(withoutWall(b.rows)).to.deep.equal(withoutWall(a.rows));
  expect(withoutWall(resumed.result.log as MetricRow[])).to.deep.equal(withoutWall(straight.result.log as MetricRow[]));
  expect(resumed.result.interrupted).to.equal(false);
}

/**
 * The whole check for one trainer: straight run; stopped at poll `k` (so at environment step
 * warm-up + k), resumed from the bytes of the stop snapshot; and resumed from the first evaluation
 * snapshot of the straight run. `train(control)` must train the same config every time.
 */
export async function expectBitIdenticalResume(
  train: (control: TrainControl) => Promise<{ interrupted: boolean; log: readonly object[] }>,
  k: number,
  expectedStopStep: number,
): Promise<void> {
  const straight = await record(train);
  expect(straight.result.interrupted).to.equal(false);
  expect(straight.snapshots.length).to.be.at.least(2);

  const stopped = await record(train, { stopAfterPolls: k });
  expect(stopped.result.interrupted).to.equal(true);
  const stop = stopped.snapshots.at(-1)!;
  expect(stop.envSteps).to.equal(expectedStopStep);
  expect(stop.state.envSteps).to.equal(expectedStopStep);
  const resumed = await record(train, { resumeFrom: throughBytes(stop.state) });
  expectSameEnd(straight, resumed);

  const fromEval = await record(train, { resumeFrom: throughBytes(straight.snapshots[0]!.state) });
  expectSameEnd(straight, fromEval);
}
