/**
 * Ctrl-C and --resume end to end with a real algorithm: `gmmrl train sgmmqf` in a child process
 * (dist/sdk/bin.js, exactly what a user runs) gets a real SIGINT between evaluations, saves and
 * exits 130; `--resume` then finishes the run, and the result is the uninterrupted run's, byte for
 * byte (best and latest weights, metrics.csv apart from its wall-clock columns). This checks what
 * the toy-algorithm specs (run-store.spec.ts) cannot: that a real training loop gives Ctrl-C a
 * turn of the event loop (sdk/algorithms/training-state.ts stopNow) and that its state survives
 * the run directory's files.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUN_FILE, readRunPointer } from '../../models/checkpoint-files.js';
import { main } from '../../sdk/cli.js';
import { captureCli } from '../helpers.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'sdk', 'bin.js');
const RUN = [
  'train',
  'sgmmqf',
  '--env',
  'CartPole-v1',
  '--steps',
  '3000',
  '--components',
  '8',
  '--eval-every',
  '1000',
  '--eval-episodes',
  '2',
];
const WALL_COLUMNS = ['wall_s', 'steps_per_s'];

/** metrics.csv without its wall-clock columns. */
function metricsWithoutWall(run: string): string[][] {
  const [head, ...rows] = readFileSync(join(run, 'metrics.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  const keep = head!.map((h, i) => (WALL_COLUMNS.includes(h) ? -1 : i)).filter((i) => i >= 0);
  return [head!, ...rows].map((r) => keep.map((i) => r[i]!));
}

function fileOf(run: string, which: 'best' | 'latest', name: string): Buffer {
  const p = readRunPointer(run);
  if (p === null) throw new Error(`${run} has no run.json`);
  const rel = which === 'best' ? p.best : p.latest;
  return readFileSync(join(run, rel!, name));
}

describe('gmmrl train sgmmqf: Ctrl-C then --resume equals the uninterrupted run', function () {
  this.timeout(240_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gmmrl-resume-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('SIGINT after the first evaluation: exit 130, status interrupted; --resume gives the same weights and metrics', async () => {
    const straight = join(tmp, 'straight');
    const s = await captureCli(main, [...RUN, '--quiet', '--out', straight]);
    expect(s.code, s.err).to.equal(0);

    const run = join(tmp, 'interrupted');
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const p = spawn(process.execPath, [BIN, ...RUN, '--out', run], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let sent = false;
      p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      p.stderr!.setEncoding('utf8').on('data', (d: string) => {
        err += d;
        if (!sent && /steps 1000\/3000/.test(err)) {
          sent = true;
          p.kill('SIGINT');
        }
      });
      p.on('error', reject);
      p.on('close', (code) => resolve({ code, out, err }));
    });
    expect(r.code, r.err).to.equal(130);
    expect(r.out).to.match(
      /stopped by SIGINT at step \d+ of 3000; saved generation \d+ .*Resume with: gmmrl train sgmmqf --out .* --resume/,
    );
    const rec = JSON.parse(readFileSync(join(run, RUN_FILE), 'utf8')) as Record<string, unknown>;
    expect(rec['status']).to.equal('interrupted');
    const stoppedAt = rec['env_steps'] as number;
    expect(stoppedAt).to.be.within(1000, 2999);

    const resumed = await captureCli(main, ['train', 'sgmmqf', '--out', run, '--resume', '--quiet']);
    expect(resumed.code, resumed.err).to.equal(0);
    expect(JSON.parse(readFileSync(join(run, RUN_FILE), 'utf8'))).to.include({ status: 'complete', env_steps: 3000 });
    for (const which of ['best', 'latest'] as const) {
      expect(fileOf(run, which, 'weights.safetensors').equals(fileOf(straight, which, 'weights.safetensors')), `${which} weights`).to.equal(
        true,
      );
    }
    expect(metricsWithoutWall(run)).to.deep.equal(metricsWithoutWall(straight));
  });
});
