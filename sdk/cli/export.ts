/**
 * `gmmrl export DIR --out FILE.onnx`: a checkpoint directory → an ONNX file, for every family,
 * through the family registry (sdk/families/): the checkpoint's model_family picks the module,
 * which loads the checkpoint and exports it.
 *
 * Flags: --precision float32|float64, --sampling inputs|in-graph|none (none: Q families only),
 * --epsilon ε (Q families only; default the run's final ε, else 0.05).
 * The summary line names the family, and for a family whose id does not say what trained it, the
 * training algorithm too (a TD3 checkpoint: "gamid-actor (TD3 deterministic actor)").
 *
 * --out is checked before anything is loaded: not a directory or special file, not under /proc,
 * /sys or /dev, and not inside the checkpoint it exports (config.json, weights.safetensors, and for
 * a run directory run.json, metrics.csv, curve.svg and checkpoints/); the file is written atomically.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ValueError } from '../../contract/errors.js';
import { SAMPLING_FIELDS, familyLabel } from '../../contract/families.js';
import type { Precision } from '../../contract/metadata.js';
import { CONFIG_FILE, RUN_FILE, WEIGHTS_FILE, readRunPointer, resolveCheckpointDir } from '../../models/checkpoint-files.js';
import { isInside, makeDirs, unwritableDirReason, writeFileAtomic } from '../../models/io.js';
import { CHECKPOINTS_DIR, CURVE_FILE, METRICS_FILE } from '../run-store.js';
import { checkpointModule } from '../checkpoints.js';
import { checkCheckpointEnv } from '../families/checks.js';
import type { FamilyExportOptions } from '../families/index.js';
import { checkPositionals, formatHelp, parseArgs, requireFlag, requirePositional, type FlagSpecs } from './args.js';

type Out = (line: string) => void;

export const EXPORT_FLAGS: FlagSpecs = {
  out: { type: 'string', help: 'path of the .onnx file to write' },
  precision: {
    type: 'string',
    help: 'float32, or float64 (onnxruntime cpu and wasm only)',
    default: 'float32',
    choices: ['float32', 'float64'],
  },
  sampling: {
    type: 'string',
    help: 'action_sampled from noise inputs (reproducible), in-graph random ops (not reproducible across runtimes), or none (Q models: greedy only)',
    default: 'inputs',
    choices: ['inputs', 'in-graph', 'none'],
  },
  epsilon: { type: 'number', help: "Q models: ε of the sampled ε-greedy action (default: the training run's final ε, else 0.05)" },
  help: { type: 'boolean', help: 'show this help' },
};

/** Runs `gmmrl export`; returns the path written ('' for --help). */
export async function exportCommand(argv: string[], out: Out): Promise<string> {
  const { positionals, flags } = parseArgs('export', argv, EXPORT_FLAGS);
  if (flags.help) {
    out(formatHelp('gmmrl export DIR --out FILE.onnx', EXPORT_FLAGS));
    return '';
  }
  checkPositionals('export', positionals, 1);
  const dir = requirePositional('export', positionals, 0, 'the checkpoint directory', 'gmmrl export runs/NAME --out policy.onnx');
  const file = requireFlag('export', flags, 'out', '--out policy.onnx');
  checkExportOut(dir, file);
  const family = checkpointModule(dir);
  const { id, contract } = family;
  const precision = flags.precision as Precision;
  const sampling = flags.sampling as FamilyExportOptions['sampling'];
  const epsilonFlag = flags.epsilon as number | undefined;
  if (contract.kind === 'actor' && sampling === 'none') {
    throw new ValueError(
      `gmmrl export: --sampling none is for Q models; a ${id} always has action_sampled. Use --sampling inputs (default) or in-graph.`,
    );
  }
  if (contract.kind === 'actor' && epsilonFlag !== undefined) {
    const own = SAMPLING_FIELDS[contract.sampling].includes('epsilon') ? " (its ε is the checkpoint's)" : '';
    throw new ValueError(`gmmrl export: --epsilon ${epsilonFlag} applies to Q models only; a ${id} samples from its own policy${own}.`);
  }
  if (epsilonFlag !== undefined && !(epsilonFlag >= 0 && epsilonFlag <= 1)) {
    throw new ValueError(`gmmrl export: --epsilon ${epsilonFlag} is outside [0, 1]; pass e.g. --epsilon 0.05.`);
  }
  const ckpt = family.checkpoint.load(dir);
  checkCheckpointEnv(ckpt.config, dir); // what verify needs too: the same checks on both paths
  const bytes = family.export(ckpt, { precision, sampling, ...(epsilonFlag !== undefined ? { epsilon: epsilonFlag } : {}) });
  const summary = `${familyLabel(id, ckpt.config.training)}, ${family.describe(ckpt)}, ${precision}, sampling ${sampling}`;
  makeDirs(dirname(resolve(file)));
  writeFileAtomic(file, bytes);
  out(`exported ${dir} → ${file} (${bytes.length} bytes, ${summary})`);
  return file;
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest (symbolic links resolved). */
function realish(p: string): string {
  const abs = resolve(p);
  if (existsSync(abs)) return realpathSync(abs);
  const parent = dirname(abs);
  return parent === abs ? abs : join(realish(parent), basename(abs));
}

/**
 * Refuses an --out that would destroy the checkpoint being exported or cannot be a file: a
 * directory, a special file, a path under /proc, /sys or /dev or under a file, and any path inside
 * the checkpoint's own files and directories.
 */
function checkExportOut(dir: string, file: string): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file, { throwIfNoEntry: false });
  } catch (e) {
    throw new ValueError(
      `gmmrl export: --out ${file} cannot be used (${(e as NodeJS.ErrnoException).code ?? 'error'}: ${(e as Error).message}). Pass another path, e.g. --out policy.onnx.`,
    );
  }
  if (st !== undefined && st.isDirectory())
    throw new ValueError(
      `gmmrl export: --out ${file} is a directory; name the .onnx file to write, e.g. --out ${join(file, 'policy.onnx')}.`,
    );
  if (st !== undefined && !st.isFile())
    throw new ValueError(
      `gmmrl export: --out ${file} is a special file (device, pipe or socket), not a place for an ONNX file; pass a file path, e.g. --out policy.onnx.`,
    );
  const why = unwritableDirReason(dirname(resolve(file)));
  if (why !== null)
    throw new ValueError(`gmmrl export: --out ${file} cannot be written: ${why}. Pass another path, e.g. --out policy.onnx.`);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return; // the loader reports it
  const target = realish(file);
  const run = readRunPointer(dir) !== null || existsSync(join(dir, CHECKPOINTS_DIR));
  const own = run ? [RUN_FILE, METRICS_FILE, CURVE_FILE, CHECKPOINTS_DIR].map((n) => join(dir, n)) : [];
  const ckpt = resolveCheckpointDir(dir);
  own.push(join(ckpt, CONFIG_FILE), join(ckpt, WEIGHTS_FILE));
  if (ckpt !== dir) own.push(ckpt);
  for (const p of own) {
    if (isInside(target, realish(p)))
      throw new ValueError(
        `gmmrl export: --out ${file} is ${resolve(file) === resolve(p) ? '' : 'inside '}${p}, part of the checkpoint being exported; writing it would destroy the checkpoint. Pass a path outside it, e.g. --out ${join(dir, 'policy.onnx')}.`,
      );
  }
}
