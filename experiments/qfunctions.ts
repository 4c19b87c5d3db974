/**
 * The Q-function experiments of the GMM-QF issue ([GMM-QF] and [S-GMM-QF] results), each run through
 * the real product path: `gmmrl train …`, `gmmrl export`, `gmmrl eval` (ONNX Runtime, 100 greedy
 * episodes on seeds 100000… never used in training or model selection) and `gmmrl verify`.
 *
 *   npm run build && node dist/experiments/qfunctions.js --suite NAME [--jobs 2] [--seeds 0,1,2] [--steps N]
 *
 * Suites (defaults chosen so each finishes in well under an hour on a 2-core machine):
 *   sgmmqf-cartpole   S-GMM-QF, K = 50, CartPole-v1, 5 seeds, 1e5 steps (the paper's budget is 3e5)
 *   acrobot           S-GMM-QF, K = 50 (J = 1: 850 parameters; and J = 3) vs DQN 2×128 (17,795 parameters),
 *                     Acrobot-v1, 3 seeds, 5e4 steps each
 *   sparsity          S-GMM-QF on Acrobot-v1: ρ ∈ {0, 1e-4, 1e-3, 1e-2} × J ∈ {1, 3}, 2 seeds, 5e4 steps
 *   classic           S-GMM-QF vs DQN on MountainCar-v0 and Pendulum-v1 (5-point torque grid), seed 0, 1e5 steps
 *   ksweep            S-GMM-QF on CartPole-v1 with K ∈ {5, 10, 25, 50, 100}: learning curves, 2 seeds, 3e4 steps
 *   ksweep-acrobot    the same on Acrobot-v1 (J = 1, ρ = 0)
 *   metric            batch GMM-QF on CartPole-v1, affine-invariant vs Bures-Wasserstein metric, 2 seeds, 15k steps
 *
 * Writes experiments/results/<suite>.{json,md,svg} and every run under runs/exp-<suite>/.
 * `--dist DIR` runs the CLI from another build (default dist), e.g. a frozen copy while editing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { exportEvalVerify, mean, meanBandSeries, readCurve, runCli } from './common.js';
import { join } from 'node:path';
import { parseArgs } from '../sdk/cli/args.js';
import { svgLinePlot, type Series } from '../sdk/util/metrics.js';
import { metadataMap, readOnnxModel } from '../runtime/onnx-reader.js';
import { metadataFromProps, type GmmrlMetadataV1 } from '../contract/metadata.js';

interface RunSpec {
  /** Unique name within the suite (directory name). */
  name: string;
  /** Group label for tables and plots (runs with the same group are seeds of one configuration). */
  group: string;
  seed: number;
  /** `gmmrl train` arguments after the algorithm's name, without --seed/--out. */
  train: string[];
  /** Extra columns for the table. */
  tags?: Record<string, number | string>;
}

interface RunResult {
  name: string;
  group: string;
  seed: number;
  tags: Record<string, number | string>;
  mean_return: number;
  std_return: number;
  episodes: number;
  parity_pass: boolean;
  max_rel_diff_q: number;
  train_seconds: number;
  parameter_count: number | null;
  nonzero_fraction: number | null;
  live_components: number | null;
  exported_components: number | null;
  onnx_bytes: number;
  /** Learning curve from metrics.csv: env steps and greedy evaluation return. */
  curve: { x: number[]; y: number[] };
}

let DIST = 'dist';

function cli(args: string[]): Promise<string> {
  return runCli(DIST, args);
}

async function runOne(suite: string, spec: RunSpec, skipTrain: boolean): Promise<RunResult> {
  const dir = join('runs', `exp-${suite}`, spec.name);
  const onnx = join(dir, 'policy.onnx');
  const [algo, ...rest] = spec.train;
  if (!skipTrain) await cli(['train', algo!, ...rest, '--seed', String(spec.seed), '--out', dir, '--quiet']);
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { training: Record<string, unknown> };
  const checked = await exportEvalVerify(cli, dir, onnx);
  const t = run.training;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const meta = readOnnxMetadata(onnx);
  const r: RunResult = {
    name: spec.name,
    group: spec.group,
    seed: spec.seed,
    tags: spec.tags ?? {},
    ...checked,
    train_seconds: Number(t['wall_seconds']),
    parameter_count: num(t['parameter_count']) ?? num(meta.parameter_count),
    nonzero_fraction: num(t['final_nonzero_fraction']),
    live_components: num(t['final_live_components']),
    exported_components: num(meta.components),
    onnx_bytes: readFileSync(onnx).length,
    curve: readCurve(dir),
  };
  process.stderr.write(
    `[${suite}] ${spec.name}: return ${r.mean_return.toFixed(1)} ± ${r.std_return.toFixed(1)} (100 ep., ONNX Runtime), train ${r.train_seconds.toFixed(0)} s, parity ${r.parity_pass}\n`,
  );
  return r;
}

/** The validated gmmrl metadata of an exported file (the runtime's own reader). */
function readOnnxMetadata(path: string): GmmrlMetadataV1 {
  return metadataFromProps(metadataMap(readOnnxModel(new Uint8Array(readFileSync(path)))));
}

function seedsOr(flag: string | undefined, dflt: number[]): number[] {
  return flag ? flag.split(',').map(Number) : dflt;
}

function suiteSpecs(suite: string, seedsFlag: string | undefined, stepsFlag: number | undefined): { specs: RunSpec[]; note: string } {
  const specs: RunSpec[] = [];
  const steps = (d: number) => String(stepsFlag ?? d);
  switch (suite) {
    case 'sgmmqf-cartpole': {
      for (const seed of seedsOr(seedsFlag, [0, 1, 2, 3, 4])) {
        specs.push({
          name: `seed${seed}`,
          group: 'S-GMM-QF K=50',
          seed,
          train: ['sgmmqf', '--env', 'CartPole-v1', '--components', '50', '--steps', steps(100000), '--eval-every', '5000'],
        });
      }
      return { specs, note: 'Threshold: greedy mean return ≥ 475 over 100 episodes.' };
    }
    case 'acrobot': {
      for (const seed of seedsOr(seedsFlag, [0, 1, 2])) {
        specs.push({
          name: `sgmmqf-J1-seed${seed}`,
          group: 'S-GMM-QF K=50 J=1 (dense)',
          seed,
          train: ['sgmmqf', '--env', 'Acrobot-v1', '--components', '50', '--factors', '1', '--rho', '0', '--steps', steps(50000)],
        });
        specs.push({
          name: `sgmmqf-J3-seed${seed}`,
          group: 'S-GMM-QF K=50 J=3 ρ=1e-4',
          seed,
          train: ['sgmmqf', '--env', 'Acrobot-v1', '--components', '50', '--factors', '3', '--rho', '1e-4', '--steps', steps(50000)],
        });
        specs.push({
          name: `dqn-seed${seed}`,
          group: 'DQN 2×128',
          seed,
          train: ['dqn', '--env', 'Acrobot-v1', '--hidden', '128,128', '--steps', steps(50000)],
        });
      }
      return { specs, note: 'Target: mean return ≥ −100 (Gymnasium threshold −100).' };
    }
    case 'sparsity': {
      for (const seed of seedsOr(seedsFlag, [0, 1])) {
        for (const J of [1, 3]) {
          for (const rho of ['0', '1e-4', '1e-3', '1e-2']) {
            specs.push({
              name: `J${J}-rho${rho}-seed${seed}`,
              group: `J=${J} ρ=${rho}`,
              seed,
              tags: { J, rho: Number(rho) },
              train: ['sgmmqf', '--env', 'Acrobot-v1', '--components', '50', '--factors', String(J), '--rho', rho, '--steps', steps(50000)],
            });
          }
        }
      }
      return { specs, note: 'Final return against the fraction of nonzero weights (|ξ| > 1e-6·max|ξ|).' };
    }
    case 'classic': {
      for (const seed of seedsOr(seedsFlag, [0])) {
        for (const env of ['MountainCar-v0', 'Pendulum-v1']) {
          specs.push({
            name: `${env}-sgmmqf-seed${seed}`,
            group: `${env} S-GMM-QF K=50`,
            seed,
            tags: { env },
            train: ['sgmmqf', '--env', env, '--components', '50', '--steps', steps(100000)],
          });
          specs.push({
            name: `${env}-dqn-seed${seed}`,
            group: `${env} DQN 2×128`,
            seed,
            tags: { env },
            train: ['dqn', '--env', env, '--steps', steps(100000)],
          });
        }
      }
      return { specs, note: 'Pendulum-v1 uses the documented 5-point torque grid [−2, −1, 0, 1, 2]; MountainCar-v0 is discrete.' };
    }
    case 'ksweep': {
      for (const seed of seedsOr(seedsFlag, [0, 1])) {
        for (const K of [5, 10, 25, 50, 100]) {
          specs.push({
            name: `K${K}-seed${seed}`,
            group: `K=${K}`,
            seed,
            tags: { K },
            train: ['sgmmqf', '--env', 'CartPole-v1', '--components', String(K), '--steps', steps(30000), '--eval-every', '2500'],
          });
        }
      }
      return { specs, note: '[GMM-QF], Fig. 7: larger K learns faster.' };
    }
    case 'ksweep-acrobot': {
      for (const seed of seedsOr(seedsFlag, [0, 1])) {
        for (const K of [5, 10, 25, 50, 100]) {
          specs.push({
            name: `K${K}-seed${seed}`,
            group: `K=${K}`,
            seed,
            tags: { K },
            train: [
              'sgmmqf',
              '--env',
              'Acrobot-v1',
              '--components',
              String(K),
              '--factors',
              '1',
              '--rho',
              '0',
              '--steps',
              steps(30000),
              '--eval-every',
              '2500',
            ],
          });
        }
      }
      return { specs, note: '[GMM-QF], Fig. 7: larger K learns faster. Dense weights (J = 1, ρ = 0), angle-state features.' };
    }
    case 'metric': {
      for (const seed of seedsOr(seedsFlag, [0, 1])) {
        for (const metric of ['ai', 'bw']) {
          specs.push({
            name: `${metric}-seed${seed}`,
            group: metric === 'ai' ? 'affine-invariant' : 'Bures-Wasserstein',
            seed,
            tags: { metric },
            train: ['gmmqf', '--env', 'CartPole-v1', '--metric', metric, '--steps', steps(15000)],
          });
        }
      }
      return { specs, note: 'Batch GMM-QF with Armijo line search; loss decrease per second from metrics.csv.' };
    }
    default:
      throw new Error(`unknown suite ${JSON.stringify(suite)}; see the comment at the top of experiments/qfunctions.ts`);
  }
}

/** Metric ablation: the Riemannian descent's loss decrease per second of descent, from metrics.csv (gd_loss_decrease, gd_seconds). */
function metricAblation(results: RunResult[], suite: string): string[] {
  const lines = [
    '',
    '| run | descent steps | descent time | loss decrease (Σ over sweeps) | decrease per second of descent | final 100-ep. return |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const path = join('runs', `exp-${suite}`, r.name, 'metrics.csv');
    const [head, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
    const cols = head!.split(',');
    const sum = (c: string) => rows.reduce((s, row) => s + Number(row.split(',')[cols.indexOf(c)]), 0);
    const dec = sum('gd_loss_decrease');
    const sec = sum('gd_seconds');
    lines.push(
      `| ${r.name} | ${sum('gd_steps')} | ${sec.toFixed(1)} s | ${dec.toPrecision(3)} | ${(dec / sec).toPrecision(3)} /s | ${r.mean_return.toFixed(1)} |`,
    );
  }
  lines.push(
    '',
    'Each sweep fixes the Bellman targets, refits ξ by ridge least squares, then takes 5 Riemannian gradient steps with Armijo search; ' +
      '"loss decrease" sums, over all sweeps of the run, the loss at the first step minus the loss after the last, and the time is the descent\'s own wall time.',
  );
  return lines;
}

async function main(): Promise<void> {
  const { flags } = parseArgs('experiments qfunctions', process.argv.slice(2), {
    suite: {
      type: 'string',
      help: 'suite name',
      choices: ['sgmmqf-cartpole', 'acrobot', 'sparsity', 'classic', 'ksweep', 'ksweep-acrobot', 'metric'],
    },
    seeds: { type: 'string', help: 'comma-separated seeds (default: per suite)' },
    steps: { type: 'int', help: 'training steps per run (default: per suite)' },
    jobs: { type: 'int', help: 'runs at a time', default: 2 },
    dist: { type: 'string', help: 'build directory holding sdk/bin.js', default: 'dist' },
    'skip-train': { type: 'boolean', help: 'reuse the run directories (export, eval and verify are redone)', default: false },
  });
  const suite = String(flags.suite);
  DIST = String(flags.dist);
  const { specs, note } = suiteSpecs(suite, flags.seeds as string | undefined, flags.steps as number | undefined);
  const skip = Boolean(flags['skip-train']);
  const jobs = Math.max(1, flags.jobs as number);
  const t0 = performance.now();
  const results: RunResult[] = [];
  const queue = [...specs];
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
        try {
          results.push(await runOne(suite, s, skip));
        } catch (e) {
          process.stderr.write(`[${suite}] ${s.name} FAILED: ${String(e)}\n`);
        }
      }
    }),
  );
  const order = new Map(specs.map((s, i) => [s.name, i]));
  results.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  const wall = (performance.now() - t0) / 1000;
  const command = `node dist/experiments/qfunctions.js --suite ${suite}${flags.seeds ? ` --seeds ${flags.seeds}` : ''}${flags.steps ? ` --steps ${flags.steps}` : ''} --jobs ${jobs}`;

  const groups = [...new Set(results.map((r) => r.group))];
  const md: string[] = [
    `### ${suite}`,
    '',
    '| run | seed | greedy mean return (100 ep., ONNX Runtime) | std | parameters | nonzero weights | live / exported components | parity | train time |',
    '|---|---:|---:|---:|---:|---:|---:|:---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.seed} | ${r.mean_return.toFixed(1)} | ${r.std_return.toFixed(1)} | ${r.parameter_count ?? '–'} | ` +
        `${r.nonzero_fraction === null ? '–' : (100 * r.nonzero_fraction).toFixed(1) + ' %'} | ${r.live_components ?? '–'} / ${r.exported_components ?? '–'} | ` +
        `${r.parity_pass ? 'pass' : 'FAIL'} | ${r.train_seconds.toFixed(0)} s |`,
    ),
    '',
    '| configuration | seeds | mean of the per-seed returns | min | max | mean nonzero weights |',
    '|---|---:|---:|---:|---:|---:|',
    ...groups.map((g) => {
      const rs = results.filter((r) => r.group === g);
      const rets = rs.map((r) => r.mean_return);
      const nz = rs.map((r) => r.nonzero_fraction).filter((v): v is number => v !== null);
      return `| ${g} | ${rs.length} | ${mean(rets).toFixed(1)} | ${Math.min(...rets).toFixed(1)} | ${Math.max(...rets).toFixed(1)} | ${nz.length ? (100 * mean(nz)).toFixed(1) + ' %' : '–'} |`;
    }),
    '',
    `${note} Command: \`${command}\` (${skip ? 'checkpoints from an earlier run of the same command' : `wall ${wall.toFixed(0)} s on this machine, ${jobs} runs at a time`}).`,
  ];
  if (suite === 'metric') md.push(...metricAblation(results, suite));

  // plots: learning curves (mean over seeds per group); sparsity: return vs nonzero fraction
  let svg: string;
  if (suite === 'sparsity') {
    const series: Series[] = [1, 3].map((J) => {
      const rs = results
        .filter((r) => r.tags['J'] === J && r.nonzero_fraction !== null)
        .sort((a, b) => a.nonzero_fraction! - b.nonzero_fraction!);
      return { label: `J = ${J} (points: ρ × seeds)`, x: rs.map((r) => 100 * r.nonzero_fraction!), y: rs.map((r) => r.mean_return) };
    });
    svg = svgLinePlot({
      title: 'Acrobot-v1, S-GMM-QF K=50: final return vs nonzero weights',
      xLabel: 'nonzero weights (%)',
      yLabel: 'greedy mean return (100 ep.)',
      series,
      hline: { y: -100, label: 'threshold −100' },
    });
  } else {
    const series: Series[] = groups.map((g) => {
      const rs = results.filter((r) => r.group === g);
      return meanBandSeries(
        `${g} (mean ± std over ${rs.length} seeds)`,
        rs[0]!.curve.x,
        rs.map((r) => r.curve.y),
      );
    });
    svg = svgLinePlot({
      title: `${suite}: greedy evaluation return during training`,
      xLabel: 'environment steps',
      yLabel: 'greedy evaluation return (5 ep.)',
      series,
    });
  }
  mkdirSync('experiments/results', { recursive: true });
  writeFileSync(
    `experiments/results/${suite}.json`,
    JSON.stringify({ suite, command, wall_seconds: wall, trained_in_this_run: !skip, results }, null, 2) + '\n',
  );
  writeFileSync(`experiments/results/${suite}.md`, md.join('\n') + '\n');
  writeFileSync(`experiments/results/${suite}.svg`, svg);
  console.log(md.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
