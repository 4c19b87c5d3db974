/**
 * Which model family a checkpoint directory holds (config.json `model_family`), so the CLI can
 * dispatch export and verification through the family registry (sdk/families/) without loading
 * the weights twice. A run directory stands for its best checkpoint (run.json → checkpoints/N/best).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ModelFormatError } from '../contract/errors.js';
import type { ModelFamily } from '../contract/families.js';
import { CONFIG_FILE, RUN_FILE, WEIGHTS_FILE, readJsonObjectFile, resolveCheckpointDir } from '../models/checkpoint-files.js';
import { FAMILY_MODULES, familyModule, type FamilyModule } from './families/index.js';

export type CheckpointFamily = ModelFamily;

/** The families a checkpoint can hold: every family of the registry. */
export const CHECKPOINT_FAMILIES: readonly CheckpointFamily[] = FAMILY_MODULES.map((m) => m.id);

/**
 * The family of the checkpoint in `dir` (a checkpoint directory, or a run directory: its best
 * checkpoint). Throws ModelFormatError when `dir` is neither or its model_family is not a known
 * family (the message names the known ones).
 */
export function checkpointFamily(runOrCheckpoint: string): CheckpointFamily {
  if (!existsSync(runOrCheckpoint) || !statSync(runOrCheckpoint).isDirectory()) {
    throw new ModelFormatError(
      `checkpoint: ${runOrCheckpoint} is not a directory. Pass the run directory written by 'gmmrl train' (it contains ${RUN_FILE}) or a checkpoint directory (${CONFIG_FILE} and ${WEIGHTS_FILE}).`,
    );
  }
  const dir = resolveCheckpointDir(runOrCheckpoint);
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) {
    throw new ModelFormatError(
      `checkpoint: ${path} is missing. Pass the run directory written by 'gmmrl train' (it contains ${RUN_FILE}) or a checkpoint directory (${CONFIG_FILE} and ${WEIGHTS_FILE}).`,
    );
  }
  const family = readJsonObjectFile(path, 'checkpoint')['model_family'];
  if (typeof family !== 'string' || !(CHECKPOINT_FAMILIES as readonly string[]).includes(family)) {
    throw new ModelFormatError(
      `checkpoint: ${path} field "model_family" is ${JSON.stringify(family)}; expected one of ${CHECKPOINT_FAMILIES.join(', ')}.`,
    );
  }
  return family as CheckpointFamily;
}

/** The registry module of the checkpoint in `dir` (its family, as `checkpointFamily` reads it). */
export function checkpointModule(dir: string): FamilyModule {
  return familyModule(checkpointFamily(dir));
}
