/**
 * The checks `gmmrl export` and `gmmrl verify` both apply to a loaded checkpoint beyond its own
 * loader (models/: which cannot know the environment registry), so that neither accepts a
 * checkpoint the other refuses:
 *
 * - `checkCheckpointEnv`: the checkpoint's env_id is a registered environment (UnknownNameError
 *   naming the id and the registered ones otherwise: register it with `registerEnv` in the process
 *   that exports), whose observation space has the checkpoint's shape and whose action space is the
 *   checkpoint's kind and size (ModelFormatError naming both).
 * - `checkSourceCheckpoint`: the ONNX file's recorded source checkpoint (metadata
 *   source_checkpoint_sha256, which `gmmrl export` writes: the SHA-256 of weights.safetensors) is
 *   the checkpoint's (ModelFormatError naming both hashes otherwise), so two unrelated files never
 *   verify, whatever the tolerance.
 */
import { ModelFormatError, UnknownNameError, describeValue } from '../../contract/errors.js';
import { readRegularFileSync } from '../../contract/files.js';
import { listEnvs, make } from '../envs/registry.js';
import type { SpaceJson } from '../../models/gmmqf/checkpoint.js';
import { spaceToJson } from '../spaces-json.js';

const sizeOf = (shape: readonly number[] | undefined): number => (shape ?? []).reduce((a, b) => a * b, 1);

/** The environment of a loaded checkpoint (its config's env_id and spaces, already checked by the loader) must be registered and fit it. */
export function checkCheckpointEnv(config: { env_id: string; observation_space: SpaceJson; action_space: SpaceJson }, dir: string): void {
  const id = config.env_id;
  const where = `checkpoint: ${dir} config.json field "env_id"`;
  const known = listEnvs();
  if (!known.includes(id)) {
    throw new UnknownNameError(
      `${where} is ${describeValue(id)}, which is not a registered environment (registered: ${known.join(', ')}). ` +
        `Register it (registerEnv from gmmrl/envs) in the process that exports or verifies, or restore the field.`,
    );
  }
  const env = make(id, { seed: 0 });
  const os = config.observation_space;
  const envObs = env.observationSpace;
  if (sizeOf(os.shape) !== sizeOf(envObs.shape)) {
    throw new ModelFormatError(
      `${where} is ${describeValue(id)}, whose observations have shape [${envObs.shape}], but the checkpoint's observation_space has shape [${os.shape}]. ` +
        'The checkpoint does not belong to this environment: restore the field or retrain.',
    );
  }
  sameBounds(os, spaceToJson(envObs), 'observation_space', where, id);
  const as = config.action_space;
  const envAct = env.actionSpace;
  const fits =
    envAct.kind === 'discrete'
      ? as.kind === 'discrete' && as.n === envAct.n
      : as.kind === 'box' && sizeOf(as.shape) === sizeOf(envAct.shape);
  if (!fits) {
    const envDesc = envAct.kind === 'discrete' ? `discrete(${envAct.n})` : `box of shape [${envAct.shape}]`;
    throw new ModelFormatError(
      `${where} is ${describeValue(id)}, whose action space is ${envDesc}, but the checkpoint's action_space is ${describeValue(as)}. ` +
        'The checkpoint does not belong to this environment: restore the field or retrain.',
    );
  }
  if (envAct.kind === 'box') sameBounds(as, spaceToJson(envAct), 'action_space', where, id);
}

/** The bounds the checkpoint records for a box space must be the environment's (null = unbounded on both sides). */
function sameBounds(got: SpaceJson, want: SpaceJson, field: string, where: string, id: string): void {
  for (const side of ['low', 'high'] as const) {
    const a = got[side] ?? [];
    const b = want[side] ?? [];
    for (let j = 0; j < b.length; j++) {
      if (a[j] !== b[j]) {
        throw new ModelFormatError(
          `${where} is ${describeValue(id)}, whose ${field}.${side}[${j}] is ${describeValue(b[j])}, but the checkpoint records ${describeValue(a[j])}. ` +
            'The checkpoint does not belong to this environment (or the field was edited): restore the field or retrain.',
        );
      }
    }
  }
}

/**
 * The ONNX file (`file`, a path or "the ONNX bytes") must record the checkpoint (`sha256`, of `dir`)
 * as its source. A file that records no source passes unless `required` (`gmmrl verify` requires
 * it: `gmmrl export` always records it).
 */
export function checkSourceCheckpoint(
  recorded: string | undefined,
  sha256: string,
  dir: string,
  file: string | Uint8Array,
  required: boolean,
): void {
  const name = typeof file === 'string' ? file : 'the ONNX model (given as bytes)';
  if (recorded === undefined) {
    if (!required) return;
    throw new ModelFormatError(
      `verify: ${name} records no source checkpoint (metadata source_checkpoint_sha256), so it cannot be shown to come from ${dir}. ` +
        `Export it from the checkpoint with 'gmmrl export ${dir} --out FILE'.`,
    );
  }
  if (recorded !== sha256) {
    throw new ModelFormatError(
      `verify: ${name} was exported from the checkpoint whose weights have SHA-256 ${recorded}, but ${dir}/weights.safetensors has SHA-256 ${sha256}: ` +
        `they are not the checkpoint and its export. Pass the checkpoint the file came from, or re-export it with 'gmmrl export ${dir} --out FILE'.`,
    );
  }
}

/** Largest ONNX file verify reads (bytes): protobuf's own limit. */
const ONNX_MAX_BYTES = 2 * 1024 * 1024 * 1024;

/** The bytes of the ONNX file to verify: a regular file of at most 2 GiB (FileReadError otherwise: a FIFO or a device never blocks). */
export function readOnnxForVerify(onnx: string | Uint8Array): Uint8Array {
  if (typeof onnx !== 'string') return onnx;
  return new Uint8Array(
    readRegularFileSync(onnx, { what: 'ONNX file', maxBytes: ONNX_MAX_BYTES, raiseHint: 'no ONNX file can be larger (protobuf limit)' }),
  );
}
