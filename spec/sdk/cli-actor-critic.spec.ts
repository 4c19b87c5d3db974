import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { resolveCheckpointDir } from '../../models/checkpoint-files.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../sdk/cli.js';
import { captureCli, type CliRun } from '../helpers.js';
import { FINAL_EVAL_SEED } from '../../sdk/cli/train-actor-critic.js';
import { loadGamidActorCheckpoint, loadMixtureActorCheckpoint } from '../../models/actor-critic/checkpoint.js';
import { mixtureActorGreedy } from '../../models/mixture-actor/params.js';
import { gamidGreedy } from '../../models/gamid-actor/params.js';
import { make } from '../../sdk/envs/index.js';

/** Runs the CLI in-process, capturing stdout and stderr lines. */
const cli = (...argv: string[]): Promise<CliRun> => captureCli(main, argv);

/** The tiny budget shared by every run here (a few seconds on the cpu backend). */
const TINY = [
  '--env',
  'Pendulum-v1',
  '--steps',
  '200',
  '--warmup-steps',
  '100',
  '--hidden',
  '8,8',
  '--batch-size',
  '16',
  '--eval-every',
  '100',
  '--eval-episodes',
  '1',
  '--final-episodes',
  '1',
  '--backend',
  'cpu',
];

const RUN_FILES = ['run.json', 'metrics.csv', 'curve.svg', 'checkpoints'];
const CHECKPOINT_FILES = ['config.json', 'weights.safetensors'];

describe('sdk/cli: gmmrl train sac | td3 | gamid', function () {
  this.timeout(60_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gmmrl-cli-ac-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  /** Checks the run directory's files and run.json; returns run.json. */
  function checkRunDir(dir: string, seedObsAction: (obs: ArrayLike<number>) => Float64Array): Record<string, any> {
    for (const f of RUN_FILES) expect(existsSync(join(dir, f)), f).to.equal(true);
    for (const f of CHECKPOINT_FILES) expect(existsSync(join(resolveCheckpointDir(dir), f)), f).to.equal(true);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Record<string, any>;
    expect(run.env_id).to.equal('Pendulum-v1');
    expect(run.backend).to.equal('cpu');
    expect(run.final_eval).to.deep.include({ episodes: 1, seed: FINAL_EVAL_SEED });
    expect(Number.isFinite(run.final_eval.mean)).to.equal(true);
    expect(run.final_eval).to.not.have.property('returns');
    expect(run.greedy_action_at_reset).to.be.an('array').with.length(1);
    expect(run.greedy_action_at_reset[0]).to.be.within(-2, 2);
    // the checkpoint's greedy action at the first final-evaluation reset is the one run.json records
    const obs = make('Pendulum-v1').reset({ seed: FINAL_EVAL_SEED }).obs;
    expect(Array.from(seedObsAction(obs))).to.deep.equal(run.greedy_action_at_reset);
    const cfg = JSON.parse(readFileSync(join(resolveCheckpointDir(dir), 'config.json'), 'utf8'));
    expect(cfg.weights_sha256).to.equal(run.weights_sha256);
    expect(cfg.training.final_eval_mean).to.equal(run.final_eval.mean);
    expect(cfg.training.final_eval_episodes).to.equal(1);
    const csv = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).to.match(/^evaluation,env_steps,updates,eval_return_mean,/);
    expect(csv).to.have.length(2); // header + one evaluation at step 200
    expect(readFileSync(join(dir, 'curve.svg'), 'utf8')).to.match(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    return run;
  }

  it('train sac writes the run directory; the checkpoint loads with loadMixtureActorCheckpoint', async () => {
    const dir = join(tmp, 'sac');
    const r = await cli('train', 'sac', ...TINY, '--out', dir);
    expect(r.code, r.err).to.equal(0);
    expect(r.err).to.match(/backend: cpu/);
    expect(r.err).to.match(/model: SAC SG-RP/);
    expect(r.out).to.match(/trained SAC SG-RP on Pendulum-v1: 200 steps/);
    const ck = loadMixtureActorCheckpoint(dir);
    expect(ck.config.head).to.deep.include({ K: 1, A: 1 });
    expect(ck.config.networks['actor']!.layers).to.deep.equal([3, 8, 8, 2]);
    expect(ck.config.training).to.deep.include({ algorithm: 'sac', method: 'SG-RP', steps: 200, seed: 0 });
    checkRunDir(dir, (o) => mixtureActorGreedy(ck.actor, o));
  });

  it('train gamid --actors 2 --temperature 0.1:0.01:0.5 --epsilon 0.3', async () => {
    const dir = join(tmp, 'gamid');
    const r = await cli(
      'train',
      'gamid',
      ...TINY,
      '--actors',
      '2',
      '--temperature',
      '0.1:0.01:0.5',
      '--epsilon',
      '0.3',
      '--quiet',
      '--out',
      dir,
    );
    expect(r.code, r.err).to.equal(0);
    expect(r.err).to.equal('');
    expect(r.out).to.match(/trained Gamid-PG \(N = 2\) on Pendulum-v1/);
    const ck = loadGamidActorCheckpoint(dir);
    expect(ck.config.N).to.equal(2);
    expect(ck.config.epsilon).to.equal(0.3);
    expect(ck.config.training).to.deep.include({ algorithm: 'gamid-pg', temperature: '0.1:0.01:0.5', epsilon: '0.3', actors: 2 });
    checkRunDir(dir, (o) => gamidGreedy(ck.actor, o));
  });

  it('train td3', async () => {
    const dir = join(tmp, 'td3');
    const r = await cli('train', 'td3', ...TINY, '--out', dir);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/trained TD3 on Pendulum-v1/);
    const ck = loadGamidActorCheckpoint(dir);
    expect(ck.config.N).to.equal(1);
    expect(ck.config.training).to.deep.include({ algorithm: 'td3', method: 'TD3' });
    checkRunDir(dir, (o) => gamidGreedy(ck.actor, o));
  });

  for (const [name, family] of [
    ['sac', 'mixture-actor'],
    ['gamid', 'gamid-actor'],
    ['td3', 'gamid-actor'],
  ] as const) {
    it(`export and verify a ${name} checkpoint (${family}): float32 and float64, greedy and sampled with identical noise`, async () => {
      const dir = join(tmp, name);
      for (const precision of ['float32', 'float64']) {
        const file = join(tmp, `${name}-${precision}.onnx`);
        const e = await cli('export', dir, '--out', file, '--precision', precision);
        expect(e.code, e.err).to.equal(0);
        expect(e.out).to.match(new RegExp(`${family}.*${precision}, sampling inputs`));
        const v = await cli('verify', dir, file, '--states', '300', '--json');
        expect(v.code, v.out + v.err).to.equal(0);
        const rep = JSON.parse(v.out) as Record<string, any>;
        expect(rep).to.include({ family, precision, sampling_noise: 'inputs', pass: true, metadata_match: true });
        expect(rep.states.total).to.equal(300);
        // both modes were judged: most rows agree on the component, the sampled action was compared
        expect(rep.components.greedy_agreement + rep.components.greedy_ties).to.equal(300);
        expect(rep.components.sampled_agreement).to.be.greaterThan(250);
        expect(rep.max_ratio_to_bound).to.have.property('action_sampled');
        expect(rep.max_ratio_to_bound.action).to.be.at.most(1);
      }
    });
  }

  it('export refuses Q-only flags for an actor, and verify fails (exit 1) on a file from another checkpoint', async () => {
    const e = await cli('export', join(tmp, 'sac'), '--out', join(tmp, 'x.onnx'), '--sampling', 'none');
    expect(e.code).to.equal(2);
    expect(e.err).to.match(/--sampling none is for Q models; a mixture-actor always has action_sampled/);
    const e2 = await cli('export', join(tmp, 'gamid'), '--out', join(tmp, 'x.onnx'), '--epsilon', '0.1');
    expect(e2.code).to.equal(2);
    expect(e2.err).to.match(/--epsilon 0\.1 applies to Q models only/);
    expect(existsSync(join(tmp, 'x.onnx'))).to.equal(false);
    // td3's file verified against the gamid checkpoint: different networks → parity fails
    const v = await cli('verify', join(tmp, 'gamid'), join(tmp, 'td3-float32.onnx'), '--states', '60');
    expect(v.code).to.not.equal(0);
  });

  describe('bad input: exit 2, a message naming the flag and the value, and no run directory', () => {
    /** TINY with some flags replaced (a flag may be given once). */
    const tiny = (...over: string[]): string[] => {
      const names = new Set(over.filter((_, i) => i % 2 === 0));
      return [...TINY.filter((_, i) => i % 2 === 0 && !names.has(TINY[i]!)).flatMap((f) => [f, TINY[TINY.indexOf(f) + 1]!]), ...over];
    };
    const cases: [string, string[], RegExp[]][] = [
      [
        '--policy sg --estimator mrp',
        ['sac', ...tiny('--policy', 'sg', '--estimator', 'mrp')],
        [/estimator "mrp" does not apply to policy "sg"; use one of rp, lr/],
      ],
      [
        '--env CartPole-v1',
        ['sac', ...tiny('--env', 'CartPole-v1')],
        [/env CartPole-v1 has a discrete action space/, /continuous actions/],
      ],
      ['td3 --env CartPole-v1', ['td3', ...tiny('--env', 'CartPole-v1')], [/td3: env CartPole-v1 has a discrete action space/]],
      [
        'gamid --temperature abc',
        ['gamid', ...tiny('--temperature', 'abc')],
        [/--temperature: "abc" is not a schedule/, /e\.g\. 0\.2:0\.02:0\.5/],
      ],
      ['gamid --epsilon 0.2::0.5', ['gamid', ...tiny('--epsilon', '0.2::0.5')], [/--epsilon: "0\.2::0\.5" is not a schedule/]],
      [
        'gamid --epsilon 2',
        ['gamid', ...tiny('--epsilon', '2')],
        [/gmmrl train gamid: --epsilon 2 is out of range; expected values in \[0, 1\]/],
      ],
      ['gamid --actors 0', ['gamid', ...tiny('--actors', '0')], [/--actors 0 is out of range/]],
      ['--alpha -1', ['sac', ...tiny('--alpha', '-1')], [/--alpha -1 is out of range; expected "auto" or a fixed entropy scale ≥ 0/]],
      ['--alpha x', ['sac', ...tiny('--alpha', 'x')], [/--alpha "x"; expected "auto" or a number ≥ 0/]],
      [
        '--hidden 8,x',
        ['sac', ...tiny('--hidden', '8,x')],
        [/--hidden "8,x": entry 1 is not a positive integer; use e\.g\. --hidden 256,256/],
      ],
      ['--gamma 1', ['td3', ...tiny('--gamma', '1')], [/--gamma 1 is out of range; expected \[0, 1\)/]],
      [
        '--warmup-steps 200 (= steps)',
        ['sac', ...tiny('--warmup-steps', '200')],
        [/--warmup-steps 200 is out of range; expected an integer in \[1, --steps 200\)/],
      ],
      ['--final-episodes -1', ['sac', ...tiny('--final-episodes', '-1')], [/--final-episodes is -1; it must be an integer ≥ 0/]],
      ['unknown env id', ['sac', ...tiny('--env', 'Pendulm-v1')], [/unknown environment id "Pendulm-v1"/]],
      ['unknown flag', ['gamid', ...TINY, '--components', '3'], [/unknown flag --components/]],
      ['a flag given twice', ['sac', ...TINY, '--steps', '300'], [/--steps is given twice \(200, then 300\)/]],
    ];
    cases.forEach(([name, argv, patterns], i) => {
      it(name, async () => {
        const dir = join(tmp, `refused-${i}`);
        const r = await cli('train', ...argv, '--out', dir);
        expect(r.code, r.err).to.equal(2);
        for (const p of patterns) expect(r.err).to.match(p);
        expect(existsSync(dir), `${dir} exists after a refused run`).to.equal(false);
      });
    });

    it('missing --out', async () => {
      for (const algo of ['sac', 'td3', 'gamid']) {
        const r = await cli('train', algo, ...TINY);
        expect(r.code).to.equal(2);
        expect(r.err).to.match(new RegExp(`gmmrl train ${algo}: --out is required, e\\.g\\. --out runs/pendulum`));
      }
    });
  });

  it('--help prints the flags and trains nothing', async () => {
    const r = await cli('train', 'gamid', '--help');
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/--temperature/);
    expect(r.out).to.match(/--actors/);
  });
});
