/**
 * The local pool (sdk/pool.ts) with real `gmmrl train` children: parallel runs give the one-by-one
 * runs' weights byte for byte, a failing job is reported while the others finish, the concurrency
 * bound holds, and a stop (SIGINT to the pool's process) interrupts every child with its run
 * directory resumable.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValueError } from '../../contract/errors.js';
import { readRunPointer } from '../../models/checkpoint-files.js';
import { runPool, type PoolEvent, type PoolJob, type PoolResult } from '../../sdk/pool.js';
import { expectRejects, suiteTempDir } from '../helpers.js';

const POOL_JS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'sdk', 'pool.js');

/** A tiny DQN run (about a second of training). */
function tiny(seed: number): string[] {
  const a = ['train', 'dqn', '--env', 'CartPole-v1', '--steps', '400', '--warmup-steps', '200', '--hidden', '16'];
  return [...a, '--eval-every', '200', '--eval-episodes', '1', '--seed', String(seed), '--backend', 'wasm', '--quiet'];
}

function bestWeightsHash(run: string): string {
  const p = readRunPointer(run);
  if (p === null) throw new Error(`${run} has no run.json`);
  return createHash('sha256')
    .update(readFileSync(join(run, p.best!, 'weights.safetensors')))
    .digest('hex');
}

describe('runPool', function () {
  this.timeout(240_000);
  const tmp = suiteTempDir('gmmrl-pool-');

  it('3 jobs at concurrency 3 give the weights of the same jobs one at a time, results in job order', async () => {
    const jobs = (dir: string): PoolJob[] =>
      [1, 2, 3].map((s) => ({ args: tiny(s), out: join(tmp(), dir, `seed${s}`), name: `seed ${s}` }));
    const serial = await runPool(jobs('serial'), { concurrency: 1 });
    const parallel = await runPool(jobs('parallel'), { concurrency: 3 });
    for (const r of [...serial, ...parallel]) expect(r.status, r.error).to.equal('ok');
    expect(parallel.map((r) => r.name)).to.deep.equal(['seed 1', 'seed 2', 'seed 3']);
    const h = (rs: PoolResult[]) => rs.map((r) => bestWeightsHash(r.out));
    expect(h(parallel)).to.deep.equal(h(serial));
    // different seeds train different weights (the comparison above is not vacuous)
    expect(new Set(h(serial)).size).to.equal(3);
  });

  it('a failing job is reported with its error and exit 2 while the others finish; concurrency 2 is never exceeded', async () => {
    const bad = ['train', 'dqn', '--env', 'CartPole-v1', '--steps', '-5', '--backend', 'wasm', '--quiet'];
    const jobs: PoolJob[] = [
      { args: tiny(4), out: join(tmp(), 'f', 'a') },
      { args: bad, out: join(tmp(), 'f', 'bad') },
      { args: tiny(5), out: join(tmp(), 'f', 'b') },
      { args: tiny(6), out: join(tmp(), 'f', 'c') },
    ];
    let alive = 0;
    let most = 0;
    const events: PoolEvent[] = [];
    const results = await runPool(jobs, {
      concurrency: 2,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'start') most = Math.max(most, ++alive);
        if (e.type === 'exit') alive--;
      },
    });
    expect(results.map((r) => r.status)).to.deep.equal(['ok', 'failed', 'ok', 'ok']);
    expect(results[1]!.exitCode).to.equal(2);
    expect(results[1]!.error)
      .to.match(/job 2: exit 2/)
      .and.match(/--steps/);
    expect(most).to.equal(2);
    expect(events.filter((e) => e.type === 'start')).to.have.length(4);
    for (const i of [0, 2, 3]) expect(bestWeightsHash(results[i]!.out)).to.match(/^[0-9a-f]{64}$/);
  });

  it('bad jobs and options are refused before anything starts, naming the field', async () => {
    const ok = { args: tiny(1), out: join(tmp(), 'v', 'x') };
    await expectRejects(() => runPool([ok, { ...ok }]), ValueError, /jobs\[1\]\.out .* the run directory of jobs\[0\] too/);
    await expectRejects(
      () => runPool([{ args: ['export', 'x'], out: 'y' }]),
      ValueError,
      /jobs\[0\]\.args starts with "export"/,
      /"train"/,
    );
    await expectRejects(() => runPool([{ args: [...tiny(1), '--out', 'z'], out: 'y' }]), ValueError, /jobs\[0\]\.args contains --out/);
    await expectRejects(
      () => runPool([{ args: ['train', 3 as unknown as string], out: 'y' }]),
      ValueError,
      /jobs\[0\]\.args is/,
      /array of strings/,
    );
    await expectRejects(() => runPool([{ args: tiny(1), out: '' }]), ValueError, /jobs\[0\]\.out is/);
    await expectRejects(() => runPool([ok], { concurrency: 0 }), ValueError, /concurrency is 0/, /integer ≥ 1/);
    await expectRejects(() => runPool([ok], { concurrency: 1.5 }), ValueError, /concurrency is 1\.5/);
    expect(() => readRunPointer(ok.out)).to.not.throw();
    expect(readRunPointer(ok.out)).to.equal(null);
  });

  it('Ctrl-C (SIGINT to the pool’s process group) interrupts every child (exit 130, saved); --resume then finishes a run', async () => {
    const long = (seed: number): string[] => [
      ...['train', 'sgmmqf', '--env', 'CartPole-v1', '--steps', '3000', '--components', '8'],
      ...['--eval-every', '1000', '--eval-episodes', '1', '--seed', String(seed)],
    ];
    const outs = [join(tmp(), 's', 'a'), join(tmp(), 's', 'b'), join(tmp(), 's', 'c')];
    const jobs: PoolJob[] = outs.map((out, i) => ({ args: long(i + 1), out }));
    // a separate process runs the pool, so the SIGINT is a real one
    const script =
      `const { runPool } = await import(${JSON.stringify(POOL_JS)});` +
      `const jobs = ${JSON.stringify(jobs)}; let seen = 0;` +
      `const r = await runPool(jobs, { concurrency: 2, onEvent: (e) => { if (e.type === 'line' && /steps 1000\\//.test(e.line) && ++seen === 2) console.log('READY'); if (e.type === 'line' && /second SIG/.test(e.line)) console.log('SECOND'); } });` +
      `console.log(JSON.stringify(r));`;
    const res = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      // its own process group, signalled as a whole like a terminal's Ctrl-C: each child must still
      // get one SIGINT only (a second one means "exit at once", without saving)
      const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      let err = '';
      p.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('READY\n') && !out.includes('[')) process.kill(-p.pid!, 'SIGINT');
      });
      p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      p.on('error', reject);
      p.on('close', (code) => resolve({ code, out, err }));
    });
    expect(res.code, res.err).to.equal(0);
    expect(res.out, 'a child got two SIGINTs').to.not.include('SECOND');
    const results = JSON.parse(res.out.split('\n').find((l) => l.startsWith('['))!) as PoolResult[];
    expect(
      results.map((r) => r.status),
      JSON.stringify(results),
    ).to.deep.equal(['interrupted', 'interrupted', 'not-started']);
    expect(results.map((r) => r.exitCode)).to.deep.equal([130, 130, null]);
    for (const r of results.slice(0, 2)) expect(readRunPointer(r.out)!.status).to.equal('interrupted');
    expect(readRunPointer(outs[2]!)).to.equal(null);
    // the pool resumes an interrupted job from its result, to the uninterrupted end
    const [resumed] = await runPool([{ args: results[0]!.resumeArgs!, out: outs[0]! }], { handleSignals: false });
    expect(resumed!.status, resumed!.error).to.equal('ok');
    expect(readRunPointer(outs[0]!)!.status).to.equal('complete');
  });
});
