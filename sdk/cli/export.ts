/**
 * `gmmrl export DIR --out FILE.onnx`: a checkpoint directory → an ONNX file, for every family,
 * through the family registry (sdk/families/): the checkpoint's model_family picks the module,
 * which loads the checkpoint and exports it.
 *
 * Flags: --precision float32|float64, --sampling inputs|in-graph|none (none: Q families only),
 * --epsilon ε (Q families only; default the run's final ε, else 0.05).
 * The summary line names the family, and for a family whose id does not say what trained it, the
 * training algorithm too (a TD3 checkpoint: "gamid-actor (TD3 deterministic actor)").
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ValueError } from '../../contract/errors.js';
import { SAMPLING_FIELDS, familyLabel } from '../../contract/families.js';
import type { Precision } from '../../contract/metadata.js';
import { writeFileAtomic } from '../../models/io.js';
import { checkpointModule } from '../checkpoints.js';
import { checkCheckpointEnv } from '../families/checks.js';
import type { FamilyExportOptions } from '../families/index.js';
import { checkPositionals, formatHelp, parseArgs, requireFlag, requirePositional, type FlagSpecs } from './args.js';

type Out = (line: string) => void;

const EXPORT_FLAGS: FlagSpecs = {
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
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileAtomic(file, bytes);
  out(`exported ${dir} → ${file} (${bytes.length} bytes, ${summary})`);
  return file;
}
