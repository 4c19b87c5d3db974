/**
 * A checkpoint commit is one atomic unit (sdk/run-store.ts): a toyr training (two commits) is
 * killed with SIGKILL right before and right after every fsync and rename of models/io.ts (its
 * GMMRL_FAULT_KILL_AT test hook), at a dozen seeded random times, and by strace at chosen rename(2)
 * calls. After each kill run.json parses and names a complete generation whose best and latest
 * checkpoints load, and --resume finishes the run with exactly the weights of an uninterrupted
 * one. scripts/kill-fuzz.mjs runs the random-time loop at a larger count.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unregisterEnv } from '../../sdk/envs/index.js';
import { TOY_ID, registerToyEnv } from '../architecture/toy-env.js';
import { BIN, KILL_RUN, checkAndFinish, referenceRun, runChild, seeded, straceAvailable } from './run-store/kill.js';

// kills test process death, not power loss, so a tmpfs (no fsync cost) is as good as a disk
const BASE = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

describe('sdk/run-store: a kill at any point leaves the previous checkpoint loadable, and --resume finishes the run', function () {
  this.timeout(120_000);
  let tmp: string;
  let points: string[];
  let reference: number[];
  let n = 0;
  const fresh = () => join(tmp, `run-${++n}`);

  before(async () => {
    tmp = mkdtempSync(join(BASE, 'gmmrl-kill-'));
    registerToyEnv();
    ({ points, weights: reference } = await referenceRun(join(tmp, 'reference')));
  });
  after(() => {
    unregisterEnv(TOY_ID);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the run has fsync and rename points in each of its commits', () => {
    expect(points.filter((p) => / rename .*checkpoints\/\.tmp-\d+-.* -> .*checkpoints\/\d+$/.test(p))).to.have.length(2);
    expect(points.filter((p) => / rename .*\.run\.json\..* -> .*run\.json$/.test(p))).to.have.length(3); // generation 0, then one per commit
    expect(points.filter((p) => / fsync /.test(p)).length).to.be.greaterThan(points.length / 2);
  });

  for (const when of ['before', 'after'] as const) {
    it(`SIGKILL right ${when} each fsync and rename`, async () => {
      const failures: string[] = [];
      const one = async (k: number) => {
        const dir = fresh();
        const r = await runChild({ dir, env: { GMMRL_FAULT_KILL_AT: when === 'before' ? String(k) : `${k}:after` } });
        if (r.signal !== 'SIGKILL') failures.push(`point ${k} (${points[k - 1]}): not killed (exit ${r.code}) ${r.err}`);
        const bad = await checkAndFinish(dir, reference).catch((e: Error) => e.message);
        if (bad !== null) failures.push(`point ${k} ${when} (${points[k - 1]}): ${bad}`);
        rmSync(dir, { recursive: true, force: true });
      };
      // a few children at a time: each mostly waits for its process to start
      let next = 1;
      const worker = async () => {
        while (next <= points.length) await one(next++);
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      expect(failures).to.deep.equal([]);
    });
  }

  it('SIGKILL at 12 seeded random times', async () => {
    const t0 = performance.now();
    await runChild({ dir: fresh(), argv: [process.execPath, BIN, ...KILL_RUN, '--pause-ms', '40', '--out', join(tmp, 'timed')] });
    const span = performance.now() - t0; // where the kills land; nothing is asserted about it
    const u = seeded(13);
    const failures: string[] = [];
    for (let i = 0; i < 12; i++) {
      const dir = fresh();
      const delay = Math.round(u() * span);
      await runChild({ dir, killAfterMs: delay, argv: [process.execPath, BIN, ...KILL_RUN, '--pause-ms', '40', '--out', dir] });
      const bad = await checkAndFinish(dir, reference).catch((e: Error) => e.message);
      if (bad !== null) failures.push(`kill after ${delay} ms: ${bad}`);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(failures).to.deep.equal([]);
  });

  it('strace fault injection: SIGKILL inside the rename(2) of the final generation and of its run.json', async function () {
    const why = straceAvailable();
    if (why !== null) {
      console.log(`      (skipped: ${why})`);
      this.skip();
    }
    const renames = points.filter((p) => / rename /.test(p));
    const picks = [
      renames.findIndex((p) => /checkpoints\/\.tmp-2-/.test(p)),
      renames.findIndex((p, i) => i > renames.findIndex((q) => /checkpoints\/\.tmp-2-/.test(q)) && /run\.json$/.test(p)),
    ];
    expect(picks.every((i) => i >= 0)).to.equal(true);
    const failures: string[] = [];
    for (const i of picks) {
      const dir = fresh();
      const r = await runChild({
        dir,
        argv: [
          '/usr/bin/strace',
          '-f',
          '-o',
          '/dev/null',
          '-e',
          'trace=rename',
          '-e',
          `inject=rename:signal=SIGKILL:when=${i + 1}`,
          process.execPath,
          BIN,
          ...KILL_RUN,
          '--out',
          dir,
        ],
      });
      if (r.code === 0) failures.push(`rename ${i + 1} (${renames[i]}): the run was not killed`);
      const bad = await checkAndFinish(dir, reference).catch((e: Error) => e.message);
      if (bad !== null) failures.push(`rename ${i + 1} (${renames[i]}): ${bad}`);
    }
    expect(failures).to.deep.equal([]);
  });
});
