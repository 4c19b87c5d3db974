/**
 * The random-time kill loop of spec/sdk/run-store-kill.spec.ts at a larger count, for the closing
 * note: a toyr training (three commits, short pauses) in a child process is killed with SIGKILL
 * after a seeded random delay, then checked (run.json names a complete generation whose best and
 * latest load) and finished with --resume, which must give the uninterrupted run's weights.
 *
 *   npm run build && node scripts/kill-fuzz.mjs [--count 300] [--seed 1]
 *
 * Prints: kills (children killed before they finished), completed (children that finished first),
 * intact (runs that passed every check and resumed to the reference weights), lost (the rest; 0).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const flag = (name, d) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : d);
const count = flag('count', 300);
const seed = flag('seed', 1);

const { BIN, checkAndFinish, runChild, seeded } = await import('../dist/spec/sdk/run-store/kill.js');
const { registerToyEnv } = await import('../dist/spec/architecture/toy-env.js');
registerToyEnv();
const RUN = ['--steps', '60', '--eval-every', '20', '--pause-ms', '30', '--quiet'];
const base = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'gmmrl-kill-fuzz-'));
const argv = (dir) => [process.execPath, BIN, ...RUN, '--out', dir];
try {
  const t0 = performance.now();
  const ref = await runChild({ dir: join(base, 'ref'), argv: argv(join(base, 'ref')) });
  if (ref.code !== 0) throw new Error(`reference run failed: ${ref.err}`);
  const span = performance.now() - t0;
  const { loadDqnCheckpoint } = await import('../dist/models/dqn/checkpoint.js');
  const reference = Array.from(loadDqnCheckpoint(join(base, 'ref')).params.weights[0]);
  const u = seeded(seed);
  let kills = 0;
  let completed = 0;
  let intact = 0;
  const lost = [];
  for (let i = 0; i < count; i++) {
    const dir = join(base, `run-${i}`);
    const delay = Math.round(u() * span);
    const r = await runChild({ dir, killAfterMs: delay, argv: argv(dir) });
    if (r.signal === 'SIGKILL') kills++;
    else completed++;
    const bad = await checkAndFinish(dir, reference, RUN).catch((e) => e.message);
    if (bad === null) intact++;
    else lost.push(`kill after ${delay} ms: ${bad}`);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ runs: count, kills, completed, intact, lost: lost.length }));
  for (const l of lost) console.log(l);
  process.exitCode = lost.length === 0 ? 0 : 1;
} finally {
  rmSync(base, { recursive: true, force: true });
}
