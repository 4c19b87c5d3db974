/**
 * The walkthrough of ARCHITECTURE.md "Adding things", done the way a project outside the
 * repository does it: the toy environment (toy-env.ts) and the toy algorithm (toy-algorithm.ts)
 * are registered at run time through the public entries only (`gmmrl`, `gmmrl/envs`,
 * `gmmrl/runtime`), then trained, exported, verified and run through the CLI's `main`.
 * Both registrations are removed in `after`, so no other spec sees them.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cli,
  dqnQValues,
  loadDqnCheckpoint,
  registerAlgorithm,
  resolveCheckpointDir,
  trainAlgorithms,
  unregisterAlgorithm,
  type DqnParams,
} from 'gmmrl';
import { UnknownNameError, listEnvs, make, unregisterEnv } from 'gmmrl/envs';
import { loadPolicy } from 'gmmrl/runtime';
import { TOY_ID, TOY_TIME_LIMIT, registerToyEnv } from './toy-env.js';
import { TOY_ENTRY, trainToy } from './toy-algorithm.js';

/** Runs the CLI in-process, capturing stdout and stderr lines. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await cli(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** [start cell, steps to the target] of a greedy policy from every start cell of a 7-cell Toy-v0 (Infinity: never reached). */
function greedyFromEveryStart(act: (obs: Float32Array) => number | Promise<number>): Promise<number[]>[] {
  return [0, 1, 2, 3, 4, 5].map(async (start) => {
    const env = make(TOY_ID);
    let { obs } = env.reset({ state: [start] });
    for (let t = 1; t <= TOY_TIME_LIMIT; t++) {
      const r = env.step(await act(obs));
      if (r.terminated) return [start, t];
      if (r.truncated) break;
      obs = r.obs;
    }
    return [start, Infinity];
  });
}

/** The greedy action of a checkpoint's network (float64 reference; ties to action 0). */
function greedyReference(params: DqnParams): (obs: Float32Array) => number {
  return (obs) => {
    const q = dqnQValues(params, obs, 1);
    return q[1]! > q[0]! ? 1 : 0;
  };
}

describe('ARCHITECTURE.md walkthrough: a toy environment and algorithm from outside the repository', function () {
  this.timeout(120_000);
  let tmp: string;
  const TRAIN = ['train', 'toy', '--env', TOY_ID, '--seed', '3', '--eval-episodes', '12', '--quiet'];

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gmmrl-walkthrough-'));
    registerToyEnv();
    registerAlgorithm(TOY_ENTRY);
  });
  after(() => {
    unregisterAlgorithm('toy');
    unregisterEnv(TOY_ID);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('make, listEnvs and gmmrl envs know Toy-v0, with its extra option', async () => {
    expect(listEnvs().at(-1)).to.equal(TOY_ID);
    expect(make(TOY_ID).observationSpace.shape).to.deep.equal([7]);
    expect(make(TOY_ID, { length: 4, seed: 1 }).observationSpace.shape).to.deep.equal([4]);
    expect(() => make(TOY_ID, { width: 4 })).to.throw(
      UnknownNameError,
      /make\("Toy-v0"\): unknown option "width". Valid options: maxEpisodeSteps, seed, length/,
    );
    const r = await run('envs');
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/^Toy-v0 +discrete +2 actions +observation 7$/m);
  });

  it('gmmrl train --help lists toy; gmmrl train toy --help shows its fields, defaults, rules and ranges', async () => {
    const list = await run('train', '--help');
    expect(list.code, list.err).to.equal(0);
    expect(list.out).to.match(/^ +toy +linear Q-learning/m);
    const help = await run('train', 'toy', '--help');
    expect(help.code, help.err).to.equal(0);
    expect(help.out).to.match(/^gmmrl train toy --env ID --out DIR/);
    for (const flag of [
      '--env',
      '--steps',
      '--seed',
      '--learning-rate',
      '--gamma',
      '--epsilon',
      '--eval-every',
      '--eval-episodes',
      '--keep-best',
      '--out',
      '--quiet',
    ]) {
      expect(help.out).to.include(flag);
    }
    expect(help.out).to.match(/--learning-rate.*step size α of the TD update/);
    expect(help.out).to.match(/--gamma.*\[0, 1\)/);
    expect(help.out).to.match(/--eval-every.*max\(1, steps\/10\)/);
  });

  it('refuses unknown flags and bad values, naming the flag (exit 2, nothing written)', async () => {
    const dir = join(tmp, 'refused');
    const cases: [string[], RegExp][] = [
      [['--learning-rat', '0.1'], /gmmrl train toy: unknown flag --learning-rat; did you mean --learning-rate\?/],
      [['--gamma', '1'], /gmmrl train toy: --gamma 1 is out of range; expected \[0, 1\)/],
      [['--steps', 'many'], /gmmrl train toy: --steps must be an integer; got "many"/],
      [['--epsilon', 'NaN'], /gmmrl train toy: --epsilon must be a finite number; got "NaN"/],
      [['--env', 'Pendulum-v1'], /gmmrl train toy: --env Pendulum-v1 is out of range; expected an environment with discrete actions/],
      [['--env', 'Toy-v1'], /unknown environment id "Toy-v1". Did you mean "Toy-v0"\?/],
    ];
    for (const [extra, message] of cases) {
      const r = await run('train', 'toy', ...extra, '--out', dir);
      expect(r.code, `${extra.join(' ')}: ${r.err}`).to.equal(2);
      expect(r.err).to.match(message);
    }
    expect(existsSync(dir)).to.equal(false);
  });

  it('gmmrl train toy --env Toy-v0 --out DIR writes the run directory, and the toy learns the shortest path', async () => {
    const dir = join(tmp, 'toy');
    const r = await run(...TRAIN, '--out', dir);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(
      /^trained toy on Toy-v0: 3000 steps; best greedy return .*; checkpoint .*toy\/ \(metrics.csv, curve.svg, run.json\)$/,
    );
    for (const f of ['run.json', 'metrics.csv', 'curve.svg', 'checkpoints']) expect(existsSync(join(dir, f)), f).to.equal(true);
    for (const f of ['config.json', 'weights.safetensors']) expect(existsSync(join(resolveCheckpointDir(dir), f)), f).to.equal(true);
    const csv = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).to.equal('evaluation,env_steps,episodes,mean_abs_td,eval_return_mean,eval_return_std');
    expect(csv).to.have.length(11); // the header and one row per evaluation (every steps/10 = 300 steps)
    const record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
    expect(record['env_id']).to.equal(TOY_ID);
    expect(record['training']).to.include({ algorithm: 'toy-q-learning', steps: 3000, seed: 3, learningRate: 0.5, evalEvery: 300 });
    // learning: an untrained (all-zero) network walks left forever (return −1.5); the trained one
    // reaches the target from every start cell c in the fewest steps, 6 − c
    const ckpt = loadDqnCheckpoint(dir);
    expect(ckpt.params.layers).to.deep.equal([7, 2]);
    expect(await Promise.all(greedyFromEveryStart(greedyReference(ckpt.params)))).to.deep.equal([0, 1, 2, 3, 4, 5].map((c) => [c, 6 - c]));
    const best = (record['training'] as Record<string, number>)['best_eval_return']!;
    expect(best).to.be.greaterThan(0.8);
    // the same settings through the library train the same parameters
    const lib = await trainToy({ env: TOY_ID, seed: 3, evalEpisodes: 12 });
    expect(Array.from(lib.params.weights[0]!)).to.deep.equal(Array.from(ckpt.params.weights[0]!));
    expect(lib.bestEvalReturn).to.equal(best);
  });

  it('gmmrl export, gmmrl verify and gmmrl eval work on the run (the DQN family), and gmmrl/runtime acts like the checkpoint', async () => {
    const dir = join(tmp, 'toy');
    const onnx = join(tmp, 'toy.onnx');
    const e = await run('export', dir, '--out', onnx);
    expect(e.code, e.err).to.equal(0);
    expect(e.out).to.match(/exported .* \(\d+ bytes, dqn, layers 7-2, float32, sampling inputs\)/);
    const v = await run('verify', dir, onnx, '--states', '300', '--backend', 'cpu', '--json');
    expect(v.code, v.err + v.out).to.equal(0);
    expect((JSON.parse(v.out) as { pass: boolean }).pass).to.equal(true);
    const ev = await run('eval', onnx, '--episodes', '12', '--json');
    expect(ev.code, ev.err).to.equal(0);
    expect((JSON.parse(ev.out) as { mean_return: number }).mean_return).to.be.greaterThan(0.8);
    const policy = await loadPolicy(onnx);
    try {
      expect(policy.info.metadata.env_id).to.equal(TOY_ID);
      const steps = await Promise.all(greedyFromEveryStart(async (obs) => (await policy.envAction(obs)) as number));
      expect(steps).to.deep.equal([0, 1, 2, 3, 4, 5].map((c) => [c, 6 - c]));
    } finally {
      await policy.dispose();
    }
  });

  it('after unregistering, the toy is gone from make and gmmrl train (registrations do not leak)', () => {
    unregisterAlgorithm('toy');
    unregisterEnv(TOY_ID);
    try {
      expect(listEnvs()).to.not.include(TOY_ID);
      expect(trainAlgorithms().map((a) => a.name)).to.not.include('toy');
      expect(() => make(TOY_ID)).to.throw(UnknownNameError, /unknown environment id "Toy-v0"/);
    } finally {
      registerToyEnv();
      registerAlgorithm(TOY_ENTRY);
    }
  });
});
