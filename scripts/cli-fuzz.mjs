#!/usr/bin/env node
/**
 * CLI bad-input fuzz (for the closing note of the "nothing lost, nothing trusted blindly" issue):
 * seeded random command lines for `gmmrl train <algorithm>`, `export`, `verify`, `eval` and `envs`
 * built from valid ones with one to three edits (a value replaced by NaN, ±Infinity, 1e309, -1, 0,
 * 2^53, '', a long string, a path under /proc, /sys or /dev, a file, a directory; a flag unknown,
 * misspelled, repeated or without its value; a positional added), run through the CLI's `main` in
 * process. Every case must end with exit 0 (it was valid), exit 2 and an `error:` line (bad input,
 * a GmmrlError), or, for verify, exit 1 with its `verify: FAIL` line; exit 1 with a stack trace, an
 * exception out of main or a case over 120 s is counted as a failure. Prints the counts.
 *
 *   npm run build && node scripts/cli-fuzz.mjs [--cases 300] [--seed 1]
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../dist/sdk/cli.js';
import { Rng } from '../dist/sdk/util/rng.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const CASES = opt('cases', 300);
const SEED = opt('seed', 1);

const root = mkdtempSync(join(tmpdir(), 'gmmrl-cli-fuzz-'));
const cwd = process.cwd();
process.chdir(root); // relative paths a case writes (an --out of 'CartPole-v9') land in the temporary directory
const quiet = () => {};
try {
  // a small checkpoint and its model for export / verify / eval
  const run = join(root, 'run');
  const model = join(root, 'model.onnx');
  if (
    (await main(
      ['train', 'sgmmqf', '--steps', '300', '--components', '4', '--eval-every', '300', '--eval-episodes', '1', '--quiet', '--out', run],
      quiet,
      quiet,
    )) !== 0
  )
    throw new Error('setup: training failed');
  if ((await main(['export', run, '--out', model], quiet, quiet)) !== 0) throw new Error('setup: export failed');
  const aFile = join(root, 'a-file');
  writeFileSync(aFile, 'not a model');
  const aDir = join(root, 'a-dir');
  mkdirSync(aDir);

  const small = ['--steps', '60', '--eval-every', '60', '--eval-episodes', '1', '--quiet'];
  const bases = [
    () => ['train', 'sgmmqf', '--env', 'CartPole-v1', '--components', '4', ...small],
    () => ['train', 'gmmqf', '--env', 'CartPole-v1', '--components', '4', ...small],
    () => ['train', 'dqn', '--env', 'CartPole-v1', ...small],
    () => ['train', 'sac', '--env', 'Pendulum-v1', ...small],
    () => ['train', 'td3', '--env', 'Pendulum-v1', ...small],
    () => ['train', 'gamid', '--env', 'Pendulum-v1', ...small],
    () => ['export', run],
    () => ['verify', run, model, '--states', '20'],
    () => ['eval', model, '--env', 'CartPole-v1', '--episodes', '1'],
    () => ['envs'],
  ];
  const values = [
    'NaN',
    'Infinity',
    '-Infinity',
    '1e309',
    '-1',
    '0',
    '9007199254740993',
    '',
    'x'.repeat(5000),
    '/proc/x',
    '/sys/y',
    '/dev/null',
    '/dev/zero',
    aFile,
    aDir,
    'true',
    '1.5',
    '-0',
    '0x10',
    'CartPole-v9',
  ];
  const flags = [
    '--steps',
    '--seed',
    '--gamma',
    '--components',
    '--out',
    '--env',
    '--states',
    '--rtol',
    '--episodes',
    '--warmup-steps',
    '--batch-size',
    '--lr',
    '--keep-best',
    '--overwrite',
    '--resume',
    '--componets',
    '--frobnicate',
    '--quiet',
    '--help',
  ];
  const rng = new Rng(SEED);
  const pick = (xs) => xs[rng.integer(xs.length)];
  const counts = { cases: 0, ok0: 0, refused2: 0, verifyFail1: 0, failures: 0 };
  const failures = [];
  for (let c = 0; c < CASES; c++) {
    const argv = pick(bases)();
    const out = join(root, `out-${c}`);
    if (argv[0] === 'train' || argv[0] === 'export') argv.push('--out', argv[0] === 'export' ? `${out}.onnx` : out);
    for (let e = 1 + rng.integer(3); e > 0; e--) {
      const kind = rng.integer(5);
      const valueAt = argv.findIndex((a, i) => i > 1 && !a.startsWith('--') && argv[i - 1]?.startsWith('--'));
      if (kind === 0 && valueAt > 0) argv[valueAt] = pick(values);
      else if (kind === 1) argv.push(pick(flags), pick(values));
      else if (kind === 2) argv.push(pick(flags));
      else if (kind === 3) argv.splice(1 + rng.integer(argv.length), 0, pick(values));
      else if (argv.length > 2) argv.splice(1 + rng.integer(argv.length - 1), 1);
    }
    const lines = [];
    const log = (l) => lines.push(String(l));
    let code;
    try {
      code = await Promise.race([main(argv, log, log), new Promise((r) => setTimeout(() => r('hang'), 120_000).unref())]);
    } catch (err) {
      code = `threw ${err?.name}: ${err?.message}`;
    }
    const text = lines.join('\n');
    counts.cases++;
    if (code === 0) counts.ok0++;
    else if (code === 2 && /^error: /m.test(text) && !/\n\s+at /.test(text)) counts.refused2++;
    else if (code === 1 && argv[0] === 'verify' && /verify: FAIL/.test(text)) counts.verifyFail1++;
    else {
      counts.failures++;
      failures.push(`${JSON.stringify(argv).slice(0, 300)} → ${code}: ${text.slice(0, 400)}`);
    }
    rmSync(out, { recursive: true, force: true });
    rmSync(`${out}.onnx`, { force: true });
  }
  console.log(
    `cli fuzz (seed ${SEED}): cases ${counts.cases}, valid (exit 0) ${counts.ok0}, refused with a typed error (exit 2) ${counts.refused2}, verify FAIL (exit 1) ${counts.verifyFail1}, crashes/untyped/hangs ${counts.failures}`,
  );
  for (const f of failures.slice(0, 20)) console.log(`  failure: ${f}`);
  process.exitCode = counts.failures === 0 ? 0 : 1;
} finally {
  process.chdir(cwd);
  rmSync(root, { recursive: true, force: true });
}
