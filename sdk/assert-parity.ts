/**
 * `assertParity(checkpoint, onnx)`: the parity check of `gmmrl verify` as one assertion for a
 * user's own CI, usable from any test runner (mocha, jest, node:test): it resolves to the report
 * when the file acts like the checkpoint (greedy and sampled), and rejects with a ParityError whose
 * message is verify's human summary (one line per mode, then the first failing output, state and
 * entry) when it does not. Options are verify's flags, checked the same way (a bad one is a
 * ValueError naming it); verifyCheckpoint (sdk/library.ts) is the same check resolving with the report.
 *
 *   import { assertParity } from 'gmmrl';
 *   it('the exported policy acts like the trained one', async () => { await assertParity('runs/x', 'runs/x/policy.onnx'); });
 */
import { ParityError } from '../contract/errors.js';
import { verifySummary } from './cli/verify.js';
import type { FamilyParityReport } from './families/family.js';
import { runVerifyWith, type CheckpointSource, type VerifyCheckpointOptions } from './library.js';

/** verify's options (verifyCheckpoint's). */
export type AssertParityOptions = VerifyCheckpointOptions;

export async function assertParity(
  checkpoint: CheckpointSource,
  onnx: string,
  options: AssertParityOptions = {},
): Promise<FamilyParityReport> {
  const report = await runVerifyWith('assertParity', checkpoint, onnx, options);
  if (!report.pass) {
    const dir = typeof checkpoint === 'string' ? checkpoint : checkpoint.dir;
    throw new ParityError(`assertParity(${dir}, ${onnx}):\n${verifySummary(report).join('\n')}`);
  }
  return report;
}
