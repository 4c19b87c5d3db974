/**
 * `gmmrl verify DIR FILE.onnx`: proves an ONNX file acts like the checkpoint it came from, greedy
 * and sampled, through the family registry (sdk/families/): the checkpoint's model_family picks
 * the module whose parity check runs. Prints the report as JSON, and on failure one line naming the
 * first failing output, state and entry with value, reference, relative difference and tolerance;
 * returns its verdict. The file must record the checkpoint as its source (metadata
 * source_checkpoint_sha256 = the checkpoint's weights SHA-256) whatever the tolerance; --states ≥ 3,
 * --seed in [0, 2³² − 2] and --rtol > 0 (finite) or exit 2 naming the flag.
 */
import { ValueError } from '../../contract/errors.js';
import { BACKEND_NAMES, type BackendName } from '../backend.js';
import { checkpointModule } from '../checkpoints.js';
import { checkPositionals, formatHelp, parseArgs, requirePositional, type FlagSpecs } from './args.js';

type Out = (line: string) => void;

const VERIFY_FLAGS: FlagSpecs = {
  states: { type: 'int', help: 'number of states to compare', default: 3000 },
  seed: { type: 'int', help: 'seed for the state draws (the sampling noise uses seed + 1)', default: 0 },
  rtol: { type: 'number', help: 'Q models: relative tolerance on q where |q| > 1e-3 (> 0)', default: 1e-5 },
  backend: { type: 'string', help: 'TensorFlow.js backend', default: 'auto', choices: BACKEND_NAMES },
  help: { type: 'boolean', help: 'show this help' },
};

/** Runs `gmmrl verify`; true when the file passes (and for --help). */
export async function verifyCommand(argv: string[], out: Out): Promise<boolean> {
  const { positionals, flags } = parseArgs('verify', argv, VERIFY_FLAGS);
  if (flags.help) {
    out(formatHelp('gmmrl verify DIR FILE.onnx [--states N]', VERIFY_FLAGS));
    return true;
  }
  checkPositionals('verify', positionals, 2);
  const usage = 'gmmrl verify runs/NAME policy.onnx';
  const dir = requirePositional('verify', positionals, 0, 'the checkpoint directory', usage);
  const file = requirePositional('verify', positionals, 1, 'the .onnx file', usage);
  const states = flags.states as number;
  const seed = flags.seed as number;
  const rtol = flags.rtol as number;
  if (!(states >= 3))
    throw new ValueError(
      `gmmrl verify: --states ${states} is too few; pass an integer ≥ 3 (default 3000, split over three kinds of states).`,
    );
  if (!(seed >= 0 && seed <= 2 ** 32 - 2))
    throw new ValueError(`gmmrl verify: --seed ${seed} is outside [0, 2³² − 2]; pass e.g. --seed 0.`);
  // parseArgs has already refused a non-finite number
  if (!(rtol > 0))
    throw new ValueError(`gmmrl verify: --rtol ${rtol} must be > 0 (a relative tolerance); pass e.g. --rtol 1e-5 (default).`);
  const opts = { states, seed, rtol, backend: flags.backend as BackendName, requireSource: true };
  const report = await checkpointModule(dir).verify(dir, file, opts);
  out(JSON.stringify(report, null, 2));
  // one line that says what failed where and by how much (the JSON above has the totals)
  if (!report.pass) out(`verify: FAIL: ${report.failure ?? 'see the report above'}`);
  return report.pass;
}
