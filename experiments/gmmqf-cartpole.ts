/**
 * Learning threshold for GMM-QF batch policy iteration on CartPole-v1 (issue: greedy mean return
 * ≥ 475 over 100 episodes, Gymnasium's reward threshold, for at least 4 of 5 seeds).
 *
 * Every seed goes through the real product path: `gmmrl train gmmqf`, `gmmrl export`, then
 * `gmmrl eval` with ONNX Runtime over 100 greedy episodes on seeds 100000…100099 (never used in
 * training or model selection), and `gmmrl verify`.
 *
 *   npm run build && node dist/experiments/gmmqf-cartpole.js [--seeds 0,1,2,3,4] [--steps 30000] [--jobs 2]
 *
 * `--skip-train` reuses the checkpoints already in runs/exp-gmmqf-cartpole/ (export, evaluation and
 * verification are redone; the training time is read from each run's run.json).
 *
 * Writes experiments/results/gmmqf-cartpole.json and .md, and each run under runs/exp-gmmqf-cartpole/.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from '../sdk/cli/args.js';
import { exportEvalVerify, type EvalAndParity } from './common.js';

interface SeedResult extends EvalAndParity {
  seed: number;
  train_seconds: number;
  pass: boolean;
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['dist/sdk/bin.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => process.stderr.write(d));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`gmmrl ${args.join(' ')} exited ${code}\n${out}`))));
  });
}

async function oneSeed(seed: number, steps: number, extra: string[], skipTrain: boolean): Promise<SeedResult> {
  const dir = join('runs', 'exp-gmmqf-cartpole', `seed${seed}`);
  const onnx = join(dir, 'policy.onnx');
  if (!skipTrain) {
    await run([
      'train',
      'gmmqf',
      '--env',
      'CartPole-v1',
      '--steps',
      String(steps),
      '--seed',
      String(seed),
      '--out',
      dir,
      '--quiet',
      ...extra,
    ]);
  }
  const trainSeconds = Number(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).training.wall_seconds);
  const checked = await exportEvalVerify(run, dir, onnx);
  const r: SeedResult = {
    seed,
    ...checked,
    train_seconds: trainSeconds,
    pass: checked.mean_return >= 475,
  };
  process.stderr.write(
    `seed ${seed}: mean return ${r.mean_return.toFixed(1)} ± ${r.std_return.toFixed(1)} (train ${trainSeconds.toFixed(0)} s, parity ${r.parity_pass})\n`,
  );
  return r;
}

async function main(): Promise<void> {
  const { flags } = parseArgs('experiments gmmqf-cartpole', process.argv.slice(2), {
    seeds: { type: 'string', help: 'comma-separated seeds', default: '0,1,2,3,4' },
    steps: { type: 'int', help: 'training steps per seed', default: 30000 },
    jobs: { type: 'int', help: 'seeds trained at a time', default: 2 },
    metric: { type: 'string', help: 'SPD metric passed to gmmrl train (default: its own)', choices: ['ai', 'bw'] },
    'skip-train': { type: 'boolean', help: 'reuse the checkpoints in runs/exp-gmmqf-cartpole/', default: false },
  });
  const seeds = String(flags.seeds).split(',').map(Number);
  const steps = flags.steps as number;
  const jobs = flags.jobs as number;
  const extra = flags.metric ? ['--metric', String(flags.metric)] : [];
  const skipTrain = Boolean(flags['skip-train']);
  const t0 = performance.now();
  const results: SeedResult[] = [];
  const queue = [...seeds];
  await Promise.all(
    Array.from({ length: Math.max(1, jobs) }, async () => {
      for (let s = queue.shift(); s !== undefined; s = queue.shift()) results.push(await oneSeed(s, steps, extra, skipTrain));
    }),
  );
  results.sort((a, b) => a.seed - b.seed);
  const passed = results.filter((r) => r.pass).length;
  const wall = (performance.now() - t0) / 1000;
  const summary = {
    experiment: 'gmmqf-cartpole',
    command: `node dist/experiments/gmmqf-cartpole.js --seeds ${seeds.join(',')} --steps ${steps} --jobs ${jobs}${extra.length ? ' ' + extra.join(' ') : ''}`,
    trained_in_this_run: !skipTrain,
    threshold: 475,
    passed,
    of: results.length,
    wall_seconds: wall,
    results,
  };
  mkdirSync('experiments/results', { recursive: true });
  writeFileSync('experiments/results/gmmqf-cartpole.json', JSON.stringify(summary, null, 2) + '\n');
  const md = [
    `| seed | greedy mean return (100 ep., ONNX Runtime) | std | parity | max rel. diff q | train time |`,
    `|---:|---:|---:|:---:|---:|---:|`,
    ...results.map(
      (r) =>
        `| ${r.seed} | ${r.mean_return.toFixed(1)} | ${r.std_return.toFixed(1)} | ${r.parity_pass ? 'pass' : 'FAIL'} | ${r.max_rel_diff_q.toExponential(1)} | ${r.train_seconds.toFixed(0)} s |`,
    ),
    '',
    `${passed}/${results.length} seeds ≥ 475. Command: \`${summary.command}\`${skipTrain ? ' (checkpoints trained by the same command earlier; this pass re-exported, re-evaluated and re-verified them)' : ` (wall ${wall.toFixed(0)} s on this machine, ${jobs} seeds at a time)`}.`,
  ].join('\n');
  writeFileSync('experiments/results/gmmqf-cartpole.md', md + '\n');
  console.log(md);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
