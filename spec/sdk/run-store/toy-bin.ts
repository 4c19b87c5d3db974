/**
 * A `gmmrl train toyr …` executable for the run-directory specs: registers Toy-v0, runs the one
 * train command path (sdk/cli/train.ts, without loading TensorFlow.js or ONNX Runtime, so a child
 * starts fast) and exits with the CLI's codes (2 bad input, 1 anything else, 130/143 stopped).
 */
import { GmmrlError } from '../../../contract/errors.js';
import { runTrain } from '../../../sdk/cli/train.js';
import { registerToyEnv } from '../../architecture/toy-env.js';
import { TOYR_ENTRY } from './toy-resumable.js';

registerToyEnv();
const out = (l: string) => process.stdout.write(l + '\n');
const err = (l: string) => process.stderr.write(l + '\n');
runTrain(TOYR_ENTRY, process.argv.slice(2), out, err).then(
  (s) => process.exit(s?.exitCode ?? 0),
  (e: unknown) => {
    err(`error: ${e instanceof GmmrlError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(e instanceof GmmrlError ? 2 : 1);
  },
);
