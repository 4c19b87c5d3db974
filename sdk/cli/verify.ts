/**
 * `gmmrl verify DIR FILE.onnx`: proves an ONNX file acts like the checkpoint it came from, greedy
 * and sampled, through the family registry (sdk/families/): the checkpoint's model_family picks
 * the module whose parity check runs. Prints the report as JSON; returns its verdict.
 */
import { BACKEND_NAMES, type BackendName } from '../backend.js';
import { checkpointModule } from '../checkpoints.js';
import { checkPositionals, formatHelp, parseArgs, requirePositional, type FlagSpecs } from './args.js';

type Out = (line: string) => void;

const VERIFY_FLAGS: FlagSpecs = {
  states: { type: 'int', help: 'number of states to compare', default: 3000 },
  seed: { type: 'int', help: 'seed for the state draws (the sampling noise uses seed + 1)', default: 0 },
  rtol: { type: 'number', help: 'gmmqf: relative tolerance on q where |q| > 1e-3', default: 1e-5 },
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
  const opts = {
    states: flags.states as number,
    seed: flags.seed as number,
    rtol: flags.rtol as number,
    backend: flags.backend as BackendName,
  };
  const report = await checkpointModule(dir).verify(dir, file, opts);
  out(JSON.stringify(report, null, 2));
  return report.pass;
}
