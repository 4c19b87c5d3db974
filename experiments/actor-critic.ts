/**
 * The mixture-actor experiments ([MRP]: mixture policies in SAC and the MRP estimator; [Gamid-PG]:
 * Gamid-PG). Budgets are chosen so that each suite finishes in well under an hour on this 2-core
 * machine with two runs at a time; the MLPs are 2 × 64 (Pendulum, sparse tasks) and 2 × 32
 * (bandits) instead of the papers' 2 × 256, which the issue allows ("choose network sizes and budgets").
 *
 *   npm run build && node dist/experiments/actor-critic.js --suite NAME [--jobs 2] [--seeds …] [--dist DIR]
 *
 * Suites:
 *   bandit1d     Bandit1D-v0 with learned critics (the full CLI): Gamid (N = 5), TD3, SG-RP, SGM-MRP,
 *                10 seeds, 3000 steps; success = final greedy action within 0.1 of −0.6 ([Gamid-PG] §4.1)
 *   multimodal   random multimodal bandits, the critic replaced by the true reward ([MRP] §5.1):
 *                SG-RP vs SGM-MRP, 10 bandits × 5 seeds × α ∈ {0.03, 0.1, 0.3, 1}, 1000 updates
 *   estimators   the same bandits at α = 0.1: SGM-MRP, SGM-HalfRP, SGM-GumbelRP, USGM-RP, SGM-LR, SG-RP ([MRP] Fig. 8)
 *   pendulum     Pendulum-v1: SG-RP, SGM-MRP, Gamid (N = 5), 3 seeds, 2 × 10⁴ steps
 *   unshaped     UnshapedMountainCarContinuous-v0 and SparsePendulum-v0: SG-RP vs SGM-MRP, 5 seeds, 1.5 × 10⁴ steps
 *
 * Writes experiments/results/ac-<suite>.{json,md,svg}; CLI runs under runs/exp-ac-<suite>/ (each
 * with metrics.csv and curve.svg). In-process suites run their share in child processes
 * (`--worker i/n`), so `--jobs 2` uses both cores.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from '../sdk/cli/args.js';
import { svgLinePlot, type Series } from '../sdk/util/metrics.js';
import { mean, meanBandSeries, pool, readCurve, runCli, std } from './common.js';

const SUITES = ['bandit1d', 'multimodal', 'estimators', 'pendulum', 'unshaped'] as const;
type Suite = (typeof SUITES)[number];

// ---- CLI suites ---------------------------------------------------------------------------------

interface CliSpec {
  name: string;
  group: string;
  env: string;
  seed: number;
  train: string[];
}

interface CliResult extends CliSpec {
  best_eval: number;
  final_mean: number;
  final_std: number;
  greedy_action: number[];
  train_seconds: number;
  first_step_reaching: number | null;
  curve: { x: number[]; y: number[] };
}

const METHODS: Record<string, string[]> = {
  'SG-RP': ['sac', '--policy', 'sg', '--estimator', 'rp'],
  'SGM-MRP': ['sac', '--policy', 'sgm', '--estimator', 'mrp'],
  'Gamid (N = 5)': ['gamid', '--actors', '5'],
  TD3: ['td3'],
};

function cliSpecs(suite: Suite, seeds: number[] | null): { specs: CliSpec[]; note: string; threshold?: number } {
  const specs: CliSpec[] = [];
  const add = (env: string, methods: string[], ss: number[], common: string[]) => {
    for (const m of methods)
      for (const seed of ss)
        specs.push({
          name: `${env}-${m.replace(/[^A-Za-z0-9]+/g, '')}-s${seed}`,
          group: `${m} ${env}`,
          env,
          seed,
          train: [...METHODS[m]!, '--env', env, ...common],
        });
  };
  if (suite === 'bandit1d') {
    add('Bandit1D-v0', ['Gamid (N = 5)', 'TD3', 'SG-RP', 'SGM-MRP'], seeds ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [
      '--steps',
      '3000',
      '--warmup-steps',
      '500',
      '--hidden',
      '32,32',
      '--eval-every',
      '500',
      '--eval-episodes',
      '1',
      '--keep-best=false',
      '--final-episodes',
      '1',
    ]);
    return {
      specs,
      note: 'Bandit1D-v0, critics learned from the replayed rewards, 2 × 32 MLPs, batch 256, 3000 steps (500 uniform warm-up), the final (not best) parameters.',
    };
  }
  if (suite === 'pendulum') {
    add('Pendulum-v1', ['SG-RP', 'SGM-MRP', 'Gamid (N = 5)'], seeds ?? [0, 1, 2], [
      '--steps',
      '20000',
      '--warmup-steps',
      '2000',
      '--hidden',
      '64,64',
      '--eval-every',
      '2000',
      '--eval-episodes',
      '5',
      '--final-episodes',
      '20',
    ]);
    return {
      specs,
      note: 'Pendulum-v1, 2 × 64 MLPs, batch 256, 2 × 10⁴ steps (2000 uniform warm-up), best-evaluated parameters, final = 20 unseen episodes (seeds 100000+).',
      threshold: -200,
    };
  }
  // unshaped
  for (const env of ['UnshapedMountainCarContinuous-v0', 'SparsePendulum-v0']) {
    add(env, ['SG-RP', 'SGM-MRP'], seeds ?? [0, 1, 2, 3, 4], [
      '--steps',
      '15000',
      '--warmup-steps',
      '2000',
      '--hidden',
      '64,64',
      '--eval-every',
      '2500',
      '--eval-episodes',
      '2',
      '--final-episodes',
      '10',
    ]);
  }
  return {
    specs,
    note: 'Unshaped MountainCar (−1 per step until the goal, 1000-step limit) and SparsePendulum (+1 while within π/12 of upright, 1000 steps), 2 × 64 MLPs, 1.5 × 10⁴ steps (15 episodes of 1000 steps), best-evaluated parameters, final = 10 unseen episodes.',
  };
}

async function runCliSpec(suite: Suite, dist: string, s: CliSpec, threshold: number | undefined): Promise<CliResult> {
  const dir = join('runs', `exp-ac-${suite}`, s.name);
  await runCli(dist, ['train', ...s.train, '--seed', String(s.seed), '--out', dir, '--quiet']);
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
    training: Record<string, number>;
    final_eval: { mean: number; std: number } | null;
    greedy_action_at_reset: number[];
  };
  const curve = readCurve(dir);
  const hit = threshold === undefined ? -1 : curve.y.findIndex((y) => y >= threshold);
  const r: CliResult = {
    ...s,
    best_eval: run.training['best_eval_return']!,
    final_mean: run.final_eval?.mean ?? NaN,
    final_std: run.final_eval?.std ?? NaN,
    greedy_action: run.greedy_action_at_reset,
    train_seconds: run.training['wall_seconds']!,
    first_step_reaching: hit >= 0 ? curve.x[hit]! : null,
    curve,
  };
  process.stderr.write(
    `[ac-${suite}] ${s.name}: final ${r.final_mean.toFixed(2)}, best eval ${r.best_eval.toFixed(2)}, greedy action [${r.greedy_action.map((v) => v.toFixed(3))}], ${r.train_seconds.toFixed(0)} s\n`,
  );
  return r;
}

function groupsOf<T extends { group: string }>(rs: T[]): string[] {
  return [...new Set(rs.map((r) => r.group))];
}

function curvesSvg(title: string, rs: CliResult[], threshold?: number): string {
  const series: Series[] = groupsOf(rs).map((g) => {
    const gr = rs.filter((r) => r.group === g);
    return meanBandSeries(
      `${g} (mean ± std over ${gr.length} seeds)`,
      gr[0]!.curve.x,
      gr.map((r) => r.curve.y),
    );
  });
  return svgLinePlot({
    title,
    xLabel: 'environment steps',
    yLabel: 'greedy evaluation return',
    series,
    ...(threshold !== undefined ? { hline: { y: threshold, label: `${threshold}` } } : {}),
  });
}

function cliReport(
  suite: Suite,
  rs: CliResult[],
  note: string,
  command: string,
  wall: number,
  threshold?: number,
): { md: string[]; svg: string } {
  const md = [`### ${suite}`, ''];
  if (suite === 'bandit1d') {
    md.push(
      '| method | seeds | global optimum found (greedy action within 0.1 of −0.6) | final greedy actions | mean final reward |',
      '|---|---:|---:|---|---:|',
    );
    for (const g of groupsOf(rs)) {
      const gr = rs.filter((r) => r.group === g);
      const ok = gr.filter((r) => Math.abs(r.greedy_action[0]! + 0.6) <= 0.1).length;
      md.push(
        `| ${g.replace(' Bandit1D-v0', '')} | ${gr.length} | **${ok}/${gr.length}** | ${gr.map((r) => r.greedy_action[0]!.toFixed(2)).join(', ')} | ${mean(gr.map((r) => r.final_mean)).toFixed(3)} |`,
      );
    }
  } else {
    const success = (r: CliResult) =>
      r.env.startsWith('UnshapedMountainCar')
        ? r.final_mean > -1000
        : r.env.startsWith('SparsePendulum')
          ? r.final_mean > 0
          : r.final_mean >= (threshold ?? -Infinity);
    md.push(
      `| configuration | seeds | final greedy return (mean ± std over seeds) | per seed | ${suite === 'pendulum' ? 'seeds ≥ −200 (final) | first eval ≥ −200 at step' : 'successful seeds'} | train time per run |`,
      '|---|---:|---:|---|---:|---:|',
    );
    for (const g of groupsOf(rs)) {
      const gr = rs.filter((r) => r.group === g);
      const fm = gr.map((r) => r.final_mean);
      const extra =
        suite === 'pendulum'
          ? `${gr.filter(success).length}/${gr.length} | ${gr.map((r) => r.first_step_reaching ?? '–').join(', ')}`
          : `${gr.filter(success).length}/${gr.length}`;
      md.push(
        `| ${g} | ${gr.length} | ${mean(fm).toFixed(1)} ± ${std(fm).toFixed(1)} | ${fm.map((v) => v.toFixed(0)).join(', ')} | ${extra} | ${mean(gr.map((r) => r.train_seconds)).toFixed(0)} s |`,
      );
    }
    if (suite === 'unshaped')
      md.push(
        '',
        'Success: the final greedy policy reaches the goal on average (MountainCar: mean return > −1000; SparsePendulum: mean return > 0, i.e. it gets upright).',
      );
  }
  md.push('', `${note} Command: \`${command}\` (wall ${wall.toFixed(0)} s, two runs at a time).`);
  const svg = curvesSvg(`${suite}: greedy evaluation return during training`, rs, threshold);
  return { md, svg };
}

// ---- in-process suites (known-reward bandits) ---------------------------------------------------

interface BanditSpec {
  group: string;
  bandit: number;
  seed: number;
  alpha: number;
  policy: string;
  estimator: string;
  components: number;
}

interface BanditResult extends BanditSpec {
  final_reward: number;
  greedy_reward: number;
  found_max: boolean;
  curve: { x: number[]; y: number[] };
}

const BANDIT_METHODS: Record<string, [string, string, number]> = {
  'SG-RP': ['sg', 'rp', 1],
  'SGM-MRP': ['sgm', 'mrp', 5],
  'SGM-HalfRP': ['sgm', 'halfrp', 5],
  'SGM-GumbelRP': ['sgm', 'gumbelrp', 5],
  'USGM-RP': ['usgm', 'rp', 5],
  'SGM-LR': ['sgm', 'lr', 5],
};

function banditSpecs(suite: Suite, seeds: number[] | null): BanditSpec[] {
  const bandits = Array.from({ length: 10 }, (_, i) => i);
  const ss = seeds ?? [0, 1, 2, 3, 4];
  const alphas = suite === 'multimodal' ? [0.03, 0.1, 0.3, 1] : [0.1];
  const methods = suite === 'multimodal' ? ['SG-RP', 'SGM-MRP'] : ['SGM-MRP', 'SGM-HalfRP', 'SGM-GumbelRP', 'USGM-RP', 'SGM-LR', 'SG-RP'];
  const out: BanditSpec[] = [];
  for (const alpha of alphas)
    for (const m of methods)
      for (const bandit of bandits)
        for (const seed of ss) {
          const [policy, estimator, components] = BANDIT_METHODS[m]!;
          out.push({ group: suite === 'multimodal' ? `${m} α=${alpha}` : m, bandit, seed, alpha, policy, estimator, components });
        }
  return out;
}

async function banditWorker(suite: Suite, seeds: number[] | null, index: number, count: number, outFile: string): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  const { trainBanditActor, multimodalKnown } = await import('../sdk/algorithms/sac-bandit.js');
  const { makeMultimodalBandit } = await import('../sdk/envs/multimodal_bandit.js');
  const specs = banditSpecs(suite, seeds).filter((_, i) => i % count === index);
  const results: BanditResult[] = [];
  const cache = new Map<number, ReturnType<typeof multimodalKnown>>();
  for (const s of specs) {
    if (!cache.has(s.bandit)) cache.set(s.bandit, multimodalKnown(makeMultimodalBandit(s.bandit, 1, 5)));
    const r = await trainBanditActor(cache.get(s.bandit)!, {
      backend: 'wasm',
      policy: s.policy as never,
      estimator: s.estimator as never,
      components: s.components,
      alpha: s.alpha,
      seed: s.seed,
      steps: 1000,
    });
    results.push({
      ...s,
      final_reward: r.finalReward,
      greedy_reward: r.greedyReward,
      found_max: r.greedyReward >= 0.95,
      curve: { x: r.curve.map((p) => p.step), y: r.curve.map((p) => p.sampled_reward) },
    });
  }
  writeFileSync(outFile, JSON.stringify(results));
}

function runWorker(script: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
  });
}

function banditReport(suite: Suite, rs: BanditResult[], command: string, wall: number): { md: string[]; svg: string } {
  const md = [`### ${suite}`, ''];
  md.push(
    '| configuration | runs | mean final reward (sampled, last 10 %) | ± std over runs | greedy action at the global max (reward ≥ 0.95) | mean greedy reward |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const g of groupsOf(rs)) {
    const gr = rs.filter((r) => r.group === g);
    const f = gr.map((r) => r.final_reward);
    md.push(
      `| ${g} | ${gr.length} | ${mean(f).toFixed(3)} | ${std(f).toFixed(3)} | ${gr.filter((r) => r.found_max).length}/${gr.length} | ${mean(gr.map((r) => r.greedy_reward)).toFixed(3)} |`,
    );
  }
  md.push(
    '',
    `10 random bandits (MultimodalBandit-v0, banditSeed 0–9, 5 Gaussian bumps, d = 1, rewards normalized to max 1) × ${new Set(rs.map((r) => r.seed)).size} seeds; ` +
      'the critic is the true reward ([MRP] §5.1); actor 2 × 32 MLP, Adam 1e-3, 32 states per update, 1000 updates, fixed α. ' +
      `Command: \`${command}\` (wall ${wall.toFixed(0)} s, two worker processes).`,
  );
  let svg: string;
  if (suite === 'multimodal') {
    const alphas = [...new Set(rs.map((r) => r.alpha))].sort((a, b) => a - b);
    const series: Series[] = ['SG-RP', 'SGM-MRP'].map((m) => ({
      label: m,
      x: alphas.map((a) => Math.log10(a)),
      y: alphas.map((a) => mean(rs.filter((r) => r.group === `${m} α=${a}`).map((r) => r.final_reward))),
    }));
    svg = svgLinePlot({
      title: 'Random multimodal bandits: mean final reward vs entropy scale',
      xLabel: 'log10 α',
      yLabel: 'mean final reward (max 1)',
      series,
    });
  } else {
    const series: Series[] = groupsOf(rs).map((g) => {
      const gr = rs.filter((r) => r.group === g);
      return meanBandSeries(
        `${g} (mean ± std over ${gr.length} runs)`,
        gr[0]!.curve.x,
        gr.map((r) => r.curve.y),
      );
    });
    svg = svgLinePlot({
      title: 'Estimators on random multimodal bandits (α = 0.1): mean sampled reward',
      xLabel: 'actor updates',
      yLabel: 'mean sampled reward (max 1)',
      series,
    });
  }
  return { md, svg };
}

// ---- main ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { flags } = parseArgs('experiments actor-critic', process.argv.slice(2), {
    suite: { type: 'string', help: 'suite name', choices: SUITES },
    seeds: { type: 'string', help: 'comma-separated seeds (default: per suite)' },
    jobs: { type: 'int', help: 'runs at a time', default: 2 },
    dist: { type: 'string', help: 'build directory holding sdk/bin.js', default: 'dist' },
    worker: { type: 'string', help: '(internal) i/n: run share i of n of an in-process suite' },
    'worker-out': { type: 'string', help: '(internal) where a worker writes its results' },
  });
  const suite = flags.suite as Suite;
  if (!suite) throw new Error(`--suite is required: one of ${SUITES.join(', ')}`);
  const seeds = flags.seeds ? String(flags.seeds).split(',').map(Number) : null;
  const dist = String(flags.dist);
  const jobs = Math.max(1, flags.jobs as number);
  if (flags.worker) {
    const [i, n] = String(flags.worker).split('/').map(Number);
    await banditWorker(suite, seeds, i!, n!, String(flags['worker-out']));
    return;
  }
  const t0 = performance.now();
  const command = `node dist/experiments/actor-critic.js --suite ${suite}${flags.seeds ? ` --seeds ${flags.seeds}` : ''} --jobs ${jobs}`;
  let report: { md: string[]; svg: string };
  let results: unknown;
  if (suite === 'multimodal' || suite === 'estimators') {
    mkdirSync(join('runs', `exp-ac-${suite}`), { recursive: true });
    const files = Array.from({ length: jobs }, (_, i) => join('runs', `exp-ac-${suite}`, `worker-${i}.json`));
    const script = join(dist, 'experiments/actor-critic.js');
    await Promise.all(
      files.map((f, i) =>
        runWorker(script, [
          '--suite',
          suite,
          '--worker',
          `${i}/${jobs}`,
          '--worker-out',
          f,
          ...(flags.seeds ? ['--seeds', String(flags.seeds)] : []),
        ]),
      ),
    );
    const rs = files.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as BanditResult[]);
    const order = new Map(groupsOf(banditSpecs(suite, seeds)).map((g, i) => [g, i]));
    rs.sort((a, b) => order.get(a.group)! - order.get(b.group)! || a.bandit - b.bandit || a.seed - b.seed);
    results = rs;
    report = banditReport(suite, rs, command, (performance.now() - t0) / 1000);
  } else {
    const { specs, note, threshold } = cliSpecs(suite, seeds);
    const rs = await pool(
      specs,
      jobs,
      (s) => runCliSpec(suite, dist, s, threshold),
      (s) => `[ac-${suite}] ${s.name}`,
    );
    results = rs;
    report = cliReport(suite, rs, note, command, (performance.now() - t0) / 1000, threshold);
  }
  const wall = (performance.now() - t0) / 1000;
  mkdirSync('experiments/results', { recursive: true });
  writeFileSync(`experiments/results/ac-${suite}.json`, JSON.stringify({ suite, command, wall_seconds: wall, results }, null, 2) + '\n');
  writeFileSync(`experiments/results/ac-${suite}.md`, report.md.join('\n') + '\n');
  writeFileSync(`experiments/results/ac-${suite}.svg`, report.svg);
  console.log(report.md.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
