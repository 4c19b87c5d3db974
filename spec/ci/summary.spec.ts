/**
 * .ci/summary: the closing "N passed, N failed" line CI reads is printed whatever happened, and the
 * script exits with the test command's status. (Before it existed, .ci/run's `set -e` ended the
 * run at a failing `npm test | tee`, so a failing run printed no closing line at all.)
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/spec/ci/ → repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('.ci/summary (the closing line of .ci/run)', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'gmmrl-ci-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function summary(log: string, status: number): { line: string; code: number | null } {
    const path = join(dir, `log-${status}-${log.length}`);
    writeFileSync(path, log);
    const r = spawnSync('bash', [join(ROOT, '.ci', 'summary'), path, String(status)], { encoding: 'utf8' });
    return { line: r.stdout.trim(), code: r.status };
  }

  it('a passing run: the counts and exit 0', () => {
    expect(summary('  sdk/x\n    ✔ works\n\n  1250 passing (5m)\n  3 pending\n', 0)).to.deep.equal({
      line: '1250 passed, 0 failed',
      code: 0,
    });
  });

  it("a failing run: both counts and the test command's exit status", () => {
    expect(summary('  1240 passing (5m)\n  10 failing\n\n  1) sdk/x\n', 1)).to.deep.equal({ line: '1240 passed, 10 failed', code: 1 });
  });

  it('a build that broke before mocha ran: one failure, and its exit status', () => {
    expect(summary('error TS2304: Cannot find name x\n', 2)).to.deep.equal({ line: '0 passed, 1 failed', code: 2 });
  });

  it('.ci/run hands the test status to it and runs the gates', async () => {
    const { readFileSync } = await import('node:fs');
    const run = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    expect(run).to.not.match(/^set -e/m);
    expect(run).to.match(/status=\$\{PIPESTATUS\[0\]\}\nbash \.ci\/summary "\$log" "\$status"/);
    for (const gate of ['typecheck', 'lint', 'format:check']) expect(run).to.include(gate);
  });
});
