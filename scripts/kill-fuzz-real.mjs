#!/usr/bin/env node
/**
 * kill -9 at random times of a real training (the toy loop of scripts/kill-fuzz.mjs, with a real
 * algorithm): `gmmrl train sgmmqf` or `dqn` (TF.js; dist/sdk/bin.js, what a user runs) in a child process is killed
 * with SIGKILL after a seeded random delay within an uninterrupted run's duration; then run.json (if
 * any) must name a complete generation whose best and latest checkpoints and training state load,
 * and finishing the run (`--resume`, or a fresh start when the kill came before run.json) must end
 * complete with exactly the uninterrupted run's best and latest weights.safetensors bytes.
 *
 *   npm run build && node scripts/kill-fuzz-real.mjs [--count 30] [--seed 1] [--algorithm sgmmqf|dqn]
 *
 * Prints: runs, kills, completed (children that finished first), intact, lost (must be 0).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../dist/sdk/cli.js';
import { RUN_FILE, readRunPointer } from '../dist/models/checkpoint-files.js';
import { loadGmmQfCheckpoint } from '../dist/models/gmmqf/checkpoint.js';
import { loadDqnCheckpoint } from '../dist/models/dqn/checkpoint.js';
import { readTrainingState } from '../dist/sdk/run-store.js';
import { seeded } from '../dist/spec/sdk/run-store/kill.js';

const args = process.argv.slice(2);
const flag = (name, d) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : d);
const count = flag('count', 30);
const seed = flag('seed', 1);
const algorithm = args.includes('--algorithm') ? args[args.indexOf('--algorithm') + 1] : 'sgmmqf';
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'sdk', 'bin.js');
const SMALL = ['--env', 'CartPole-v1', '--steps', '3000', '--eval-every', '500', '--eval-episodes', '1', '--quiet'];
const SETUPS = {
  sgmmqf: { flags: ['--components', '8'], load: loadGmmQfCheckpoint },
  dqn: { flags: ['--warmup-steps', '300'], load: loadDqnCheckpoint },
};
const setup = SETUPS[algorithm];
if (!setup) throw new Error(`--algorithm: ${JSON.stringify(algorithm)}; use one of ${Object.keys(SETUPS).join(', ')}`);
const RUN = ['train', algorithm, ...SMALL, ...setup.flags];
const quiet = () => {};

function child(dir, killAfterMs) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...RUN, '--out', dir], { stdio: 'ignore' });
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

const files = (run) => {
  const p = readRunPointer(run);
  return ['best', 'latest'].map((w) => readFileSync(join(run, p[w], 'weights.safetensors')));
};

async function checkAndFinish(dir, reference) {
  const record = existsSync(join(dir, RUN_FILE)) ? readRunPointer(dir) : null;
  if (existsSync(join(dir, RUN_FILE)) && record === null) return 'run.json is not a gmmrl run record';
  if (record !== null && record.generation > 0) {
    if (!existsSync(join(dir, 'checkpoints', String(record.generation))))
      return `run.json names generation ${record.generation}, which does not exist`;
    setup.load(dir);
    if (record.latest !== undefined) {
      setup.load(join(dir, record.latest));
      readTrainingState(join(dir, record.latest), record['latest_state_sha256']);
    }
  }
  if (record?.status !== 'complete') {
    const argv = record !== null ? ['train', algorithm, '--out', dir, '--resume', '--quiet'] : [...RUN, '--out', dir];
    const lines = [];
    const code = await main(argv, quiet, (l) => lines.push(l));
    if (code !== 0) return `finishing the run failed (exit ${code}): ${lines.join(' | ').slice(0, 500)}`;
  }
  const got = files(dir);
  if (!got[0].equals(reference[0])) return 'best weights differ from the uninterrupted run';
  if (!got[1].equals(reference[1])) return 'latest weights differ from the uninterrupted run';
  return null;
}

const base = mkdtempSync(join(tmpdir(), 'gmmrl-kill-real-'));
try {
  const t0 = performance.now();
  const ref = await child(join(base, 'ref'));
  if (ref.code !== 0) throw new Error(`reference run failed (${ref.code})`);
  const span = performance.now() - t0;
  const reference = files(join(base, 'ref'));
  const u = seeded(seed);
  let kills = 0;
  let completed = 0;
  let intact = 0;
  const lost = [];
  for (let i = 0; i < count; i++) {
    const dir = join(base, `run-${i}`);
    const delay = Math.round(u() * span);
    const r = await child(dir, delay);
    if (r.signal === 'SIGKILL') kills++;
    else completed++;
    const bad = await checkAndFinish(dir, reference).catch((e) => `${e?.name}: ${e?.message}`);
    if (bad === null) intact++;
    else lost.push(`kill after ${delay} ms: ${bad}`);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ algorithm, runs: count, spanMs: Math.round(span), kills, completed, intact, lost: lost.length }));
  for (const l of lost) console.log(l);
  process.exitCode = lost.length === 0 ? 0 : 1;
} finally {
  rmSync(base, { recursive: true, force: true });
}
