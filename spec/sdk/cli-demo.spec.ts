/**
 * `gmmrl demo` ends with a summary a person reads (what was trained, the return against
 * CartPole-v1's maximum and threshold, one parity line per mode, the files, the next commands),
 * writes the parity report to runs/…/verify.json instead of printing it, and says "demo passed"
 * only when parity passed AND the mean return reached the reward threshold (475).
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoSummary, main, type DemoOutcome } from '../../sdk/cli.js';
import { captureCli } from '../helpers.js';

const outcome = (over: Partial<DemoOutcome> = {}): DemoOutcome => ({
  steps: 20000,
  seed: 0,
  meanReturn: 500,
  stdReturn: 0,
  episodes: 100,
  maxReturn: 500,
  threshold: 475,
  verify: ['greedy:  PASS. q …', 'sampled: PASS. ε-greedy …', 'verify: PASS on 3000 states'],
  pass: true,
  dir: 'runs/demo',
  onnx: 'runs/demo/policy.onnx',
  verifyJson: 'runs/demo/verify.json',
  seconds: 89,
  ...over,
});

describe('gmmrl demo', function () {
  this.timeout(300_000);

  describe('demoSummary', () => {
    it('passed: parity passed and the return reached the threshold; the summary names return, maximum, modes, files, next commands', () => {
      const l = demoSummary(outcome());
      expect(l[0]).to.equal('summary: GMM-QF trained on CartPole-v1 for 20000 steps (seed 0)');
      expect(l[1]).to.equal('  return: 500.0 ± 0.0 over 100 ONNX Runtime episodes (the maximum is 500; solved at ≥ 475)');
      expect(l).to.include('  parity greedy:  PASS. q …');
      expect(l).to.include('  parity sampled: PASS. ε-greedy …');
      expect(l.join('\n')).to.match(/files: runs\/demo\/ .*runs\/demo\/policy\.onnx, runs\/demo\/verify\.json/);
      expect(l.join('\n')).to.match(/gmmrl eval runs\/demo\/policy\.onnx/);
      expect(l.join('\n')).to.match(/npm run serve:browser -- --model \S+policy\.onnx/);
      expect(l.join('\n')).to.match(/import \{ loadPolicy \} from 'gmmrl\/runtime'/);
      expect(l.at(-1)).to.match(/^demo passed in .*: parity passed \(greedy and sampled\) and the mean return 500\.0 ≥ 475/);
    });

    it('below the threshold: not "passed"; says what to do', () => {
      const l = demoSummary(outcome({ steps: 3000, meanReturn: 78 }));
      expect(l.join('\n')).to.not.match(/demo passed/);
      expect(l.at(-1)).to.match(
        /^demo finished in .*: parity passed; the policy did not reach 475 \(78\.0\): train longer, e\.g\. --steps 20000$/,
      );
    });

    it('parity failed: FAILED with the first failure and the report file, whatever the return', () => {
      const l = demoSummary(
        outcome({ pass: false, verify: ['greedy:  FAIL. …', 'sampled: PASS. …', 'verify: FAIL: state 3 (far): output q …'] }),
      );
      expect(l.at(-1)).to.match(/^demo FAILED in .*: parity failed \(state 3 \(far\): output q …\); the report: runs\/demo\/verify\.json$/);
    });
  });

  it('a short demo: the summary at the end, verify.json written, no JSON on stdout, and not "demo passed" below 475 (exit 0)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gmmrl-demo-'));
    try {
      const out = join(dir, 'demo');
      const r = await captureCli(main, ['demo', '--out', out, '--steps', '2100', '--backend', 'cpu']);
      expect(r.code, r.out + r.err).to.equal(0);
      expect(r.out).to.not.match(/^\s*[{}]/m);
      const rep = JSON.parse(readFileSync(join(out, 'verify.json'), 'utf8')) as { pass: boolean };
      expect(rep.pass).to.equal(true);
      expect(existsSync(join(out, 'policy.onnx'))).to.equal(true);
      expect(r.out).to.match(/^ {2}parity greedy: +PASS\./m);
      expect(r.out).to.match(/^ {2}parity sampled: PASS\./m);
      const ret = Number(/return: (\S+) ±/.exec(r.out)![1]);
      const last = r.out.split('\n').at(-1)!;
      if (ret >= 475) expect(last).to.match(/^demo passed/);
      else expect(last).to.match(new RegExp(`^demo finished in .*: parity passed; the policy did not reach 475 \\(${ret.toFixed(1)}\\)`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
