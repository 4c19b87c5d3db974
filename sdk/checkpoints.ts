/**
 * Which model family a checkpoint directory holds (config.json `model_family`), so the CLI can
 * dispatch export and verification through the family registry (sdk/families/) without loading
 * the weights twice.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ModelFormatError } from '../contract/errors.js';
import type { ModelFamily } from '../contract/families.js';
import { CONFIG_FILE, WEIGHTS_FILE } from '../models/checkpoint-files.js';
import { FAMILY_MODULES, familyModule, type FamilyModule } from './families/index.js';

export type CheckpointFamily = ModelFamily;

/** The families a checkpoint can hold: every family of the registry. */
export const CHECKPOINT_FAMILIES: readonly CheckpointFamily[] = FAMILY_MODULES.map((m) => m.id);

/**
 * The family of the checkpoint in `dir`. Throws ModelFormatError when `dir` is not a checkpoint
 * directory or its model_family is not a known family (the message names the known ones).
 */
export function checkpointFamily(dir: string): CheckpointFamily {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ModelFormatError(
      `checkpoint: ${dir} is not a directory. Pass the run directory written by 'gmmrl train' (it contains ${CONFIG_FILE} and ${WEIGHTS_FILE}).`,
    );
  }
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) {
    throw new ModelFormatError(
      `checkpoint: ${path} is missing. Pass the run directory written by 'gmmrl train' (it contains ${CONFIG_FILE} and ${WEIGHTS_FILE}).`,
    );
  }
  let family: unknown;
  try {
    family = (JSON.parse(readFileSync(path, 'utf8')) as { model_family?: unknown }).model_family;
  } catch (err) {
    throw new ModelFormatError(
      `checkpoint: ${path} is not valid JSON (${(err as Error).message}). The file is truncated or corrupt: restore it or re-run training.`,
    );
  }
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
