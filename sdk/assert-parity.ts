/**
 * `assertParity(checkpoint, onnx)`: the parity check of `gmmrl verify` as one assertion for a
 * user's own CI, usable from any test runner (mocha, jest, node:test): it resolves to the report
 * when the file acts like the checkpoint (greedy and sampled), and rejects with a ParityError whose
 * message is verify's human summary (one line per mode, then the first failing output, state and
 * entry) when it does not. Options are verify's flags, checked the same way (a bad one is a
 * ValueError naming it).
 *
 *   import { assertParity } from 'gmmrl';
 *   it('the exported policy acts like the trained one', async () => { await assertParity('runs/x', 'runs/x/policy.onnx'); });
 */
import { ParityError } from '../contract/errors.js';
import type { BackendName } from './backend.js';
import { runVerify, verifySummary } from './cli/verify.js';
import type { FamilyParityReport } from './families/family.js';

export interface AssertParityOptions {
  /** States compared (default 3000, ≥ 3). */
  states?: number;
  /** Seed of the state draws (default 0). */
  seed?: number;
  /** Q models: relative tolerance on q where |q| > 1e-3 (default 1e-5, > 0). */
  rtol?: number;
  /** TensorFlow.js backend of the checkpoint side (default 'auto'). */
  backend?: BackendName;
}

export async function assertParity(checkpoint: string, onnx: string, options: AssertParityOptions = {}): Promise<FamilyParityReport> {
  const argv = [checkpoint, onnx];
  for (const [k, v] of Object.entries(options)) if (v !== undefined) argv.push(`--${k}`, String(v));
  const report = (await runVerify(argv, () => {}, false))!;
  if (!report.pass) throw new ParityError(`assertParity(${checkpoint}, ${onnx}):\n${verifySummary(report).join('\n')}`);
  return report;
}
