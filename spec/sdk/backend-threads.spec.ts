/**
 * `--backend wasm-threads` (sdk/backend.ts startWasmThreads): the threaded SIMD build starts in Node
 * through the run-time shim, uses the threads asked for, and trains the same weights as the
 * single-threaded build, byte for byte. A process starts the wasm module once, so the threaded runs
 * are child processes (through runPool); this process's wasm stays single-threaded.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { BackendError, ValueError } from '../../contract/errors.js';
import { readRunPointer } from '../../models/checkpoint-files.js';
import { selectBackend } from '../../sdk/backend.js';
import { runPool } from '../../sdk/pool.js';
import { expectRejects, suiteTempDir } from '../helpers.js';

const RUN = ['train', 'sac', '--env', 'Pendulum-v1', '--steps', '400', '--warmup-steps', '200', '--hidden', '32,32', '--batch-size', '64'];
const RUN_TAIL = ['--eval-every', '200', '--eval-episodes', '1', '--final-episodes', '1', '--seed', '7'];

function bestWeightsHash(run: string): string {
  const p = readRunPointer(run)!;
  return createHash('sha256')
    .update(readFileSync(join(run, p.best!, 'weights.safetensors')))
    .digest('hex');
}

describe('backend wasm-threads', function () {
  this.timeout(240_000);
  const tmp = suiteTempDir('gmmrl-threads-');

  it('starts with 2 threads and trains the single-threaded build’s weights byte for byte (twice)', async () => {
    const backends = ['wasm', 'wasm-threads', 'wasm-threads'];
    const lines: string[][] = backends.map(() => []);
    const results = await runPool(
      backends.map((b, i) => ({ args: [...RUN, ...RUN_TAIL, '--backend', b], out: join(tmp(), `run${i}`) })),
      { concurrency: 1, handleSignals: false, onEvent: (e) => void (e.type === 'line' && lines[e.job]!.push(e.line)) },
    );
    for (const r of results) expect(r.status, r.error).to.equal('ok');
    const threads = Math.min(availableParallelism(), 8);
    expect(lines[1]!.join('\n')).to.include(`backend: wasm-threads (${threads} threads; tfjs`);
    const hashes = results.map((r) => bestWeightsHash(r.out));
    expect(hashes[1]).to.equal(hashes[0]);
    expect(hashes[2]).to.equal(hashes[0]);
  });

  it('refuses wasm-threads once this process started wasm single-threaded, saying why and what to do', async () => {
    await selectBackend('wasm');
    await expectRejects(
      () => selectBackend('wasm-threads'),
      BackendError,
      /already started in this process single-threaded/,
      /its own process/,
    );
  });

  it('refuses a thread count outside 1..8', async () => {
    for (const n of [0, 9, 1.5])
      await expectRejects(() => selectBackend('wasm-threads', { wasmThreads: n }), ValueError, /wasmThreads is/, /1 to 8/);
  });
});
