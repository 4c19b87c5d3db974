/**
 * `gmmrl train` as one command path over every algorithm's spec: usage and help, flag parsing
 * (booleans, duplicates), the training record, budget-dependent defaults, `gmmrl envs`, and the
 * same run through the library and the CLI.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, registerAlgorithm, trainAlgorithms, unregisterAlgorithm } from '../../sdk/cli.js';
import type { TrainEntry } from '../../sdk/cli/train.js';
import { defineSpec } from '../../sdk/config/spec.js';
import { int, string } from '../../sdk/config/fields.js';
import { InternalError, GmmrlError, UnknownNameError, ValueError } from '../../contract/errors.js';
import { captureCli, expectThrows, type CliRun } from '../helpers.js';
import { trainSgmmqf } from '../../sdk/algorithms/sgmmqf.js';
import { trainTd3 } from '../../sdk/algorithms/td3.js';
import { loadGmmQfCheckpoint } from '../../models/gmmqf/checkpoint.js';
import { loadGamidActorCheckpoint } from '../../models/actor-critic/checkpoint.js';
import { resolveCheckpointDir } from '../../models/checkpoint-files.js';

/** Runs the CLI in-process, capturing stdout and stderr lines. */
const cli = (...argv: string[]): Promise<CliRun> => captureCli(main, argv);

const ALGORITHMS = ['gmmqf', 'sgmmqf', 'dqn', 'sac', 'td3', 'gamid'];
const SGMMQF_TINY = [
  '--env',
  'CartPole-v1',
  '--steps',
  '300',
  '--warmup-steps',
  '100',
  '--eval-every',
  '300',
  '--eval-episodes',
  '1',
  '--components',
  '4',
  '--quiet',
];
const AC_TINY = [
  '--env',
  'Pendulum-v1',
  '--hidden',
  '8',
  '--batch-size',
  '16',
  '--eval-episodes',
  '1',
  '--final-episodes',
  '0',
  '--backend',
  'cpu',
  '--quiet',
];

describe('sdk/cli: gmmrl train (one command path for every algorithm)', function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gmmrl-cli-train-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('usage', () => {
    it('gmmrl train --help prints the train usage listing every algorithm (exit 0)', async () => {
      for (const argv of [
        ['train', '--help'],
        ['train', '-h'],
        ['train', 'help'],
      ]) {
        const r = await cli(...argv);
        expect(r.code, `${argv.join(' ')}: ${r.err}`).to.equal(0);
        expect(r.out).to.match(/^Usage: gmmrl train <algorithm>/);
        for (const a of ALGORITHMS) expect(r.out).to.match(new RegExp(`\\b${a}\\b`));
        expect(r.err).to.not.match(/unknown algorithm/);
      }
    });

    it('bare gmmrl train is a usage error naming the algorithms (exit 2)', async () => {
      const r = await cli('train');
      expect(r.code).to.equal(2);
      expect(r.err).to.not.match(/unknown algorithm ""/);
      expect(r.err).to.match(/gmmrl train: which algorithm\? One of gmmqf, sgmmqf, dqn, sac, td3, gamid/);
    });

    it('an unknown algorithm suggests the nearest one', async () => {
      const r = await cli('train', 'sgmqf', '--out', join(tmp, 'x'));
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/unknown algorithm "sgmqf"; did you mean "sgmmqf"\?/);
    });

    it('every algorithm has --help with its flags and trains nothing', async () => {
      for (const a of ALGORITHMS) {
        const r = await cli('train', a, '--help');
        expect(r.code, a).to.equal(0);
        expect(r.out, a).to.match(new RegExp(`^gmmrl train ${a} --env ID --out DIR \\[flags\\]`));
        expect(r.out, a).to.match(/--steps/);
        expect(r.out, a).to.match(/--out/);
      }
    });

    it('--gd-steps is documented per sweep (what gmmqf does), --sweeps is a flag', async () => {
      const r = await cli('train', 'gmmqf', '--help');
      expect(r.out).to.match(/--gd-steps +Riemannian gradient steps per sweep/);
      expect(r.out).to.not.match(/--gd-steps .*per policy evaluation/);
      expect(r.out).to.match(/--sweeps /);
    });

    it('--help states the budget-dependent defaults', async () => {
      for (const a of ['sac', 'td3', 'gamid'])
        expect((await cli('train', a, '--help')).out).to.match(/--warmup-steps .*\(default min\(5000, steps\/5\)\)/);
      for (const a of ['dqn', 'sgmmqf'])
        expect((await cli('train', a, '--help')).out).to.match(/--warmup-steps .*\(default min\(1000, steps\/5\)\)/);
      expect((await cli('train', 'sac', '--help')).out).to.match(/--estimator .*default mrp for sgm, rp for sg and usgm/);
    });
  });

  describe('flags', () => {
    it('--keep-best false (a separate token) is accepted, as in the README; --keep-best alone means true', async () => {
      const dir = join(tmp, 'keep-best-false');
      const r = await cli('train', 'sgmmqf', ...SGMMQF_TINY, '--keep-best', 'false', '--out', dir);
      expect(r.code, r.err).to.equal(0);
      expect(JSON.parse(readFileSync(join(resolveCheckpointDir(dir), 'config.json'), 'utf8')).training.keepBest).to.equal(false);
      const dir2 = join(tmp, 'keep-best-true');
      const r2 = await cli('train', 'sgmmqf', '--keep-best', ...SGMMQF_TINY, '--out', dir2);
      expect(r2.code, r2.err).to.equal(0);
      expect(JSON.parse(readFileSync(join(resolveCheckpointDir(dir2), 'config.json'), 'utf8')).training.keepBest).to.equal(true);
    });

    it('a flag given twice is refused, naming the flag', async () => {
      const r = await cli('train', 'sgmmqf', '--steps', '300', '--steps', '400', '--out', join(tmp, 'twice'));
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/gmmrl train sgmmqf: --steps is given twice \(300, then 400\); give it once/);
      const b = await cli('train', 'sgmmqf', '--quiet', '--quiet=false', '--out', join(tmp, 'twice'));
      expect(b.code).to.equal(2);
      expect(b.err).to.match(/--quiet is given twice/);
    });

    it('an unknown flag suggests the nearest one', async () => {
      const r = await cli('train', 'sac', '--warmup-step', '10', '--out', join(tmp, 'x'));
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/unknown flag --warmup-step; did you mean --warmup-steps\?/);
    });

    it('a config error from a CLI run names the flag, not the field', async () => {
      const r = await cli('train', 'sac', ...AC_TINY, '--steps', '600', '--warmup-steps', '600', '--out', join(tmp, 'bad-warmup'));
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/gmmrl train sac: --warmup-steps 600 is out of range; expected an integer in \[1, --steps 600\)/);
      expect(r.err).to.not.match(/warmupSteps/);
      const g = await cli('train', 'gmmqf', '--gamma', '1.5', '--out', join(tmp, 'bad-gamma'));
      expect(g.err).to.match(/gmmrl train gmmqf: --gamma 1\.5 is out of range; expected \[0, 1\)/);
    });
  });

  describe('small runs: budget-dependent defaults', () => {
    for (const algo of ['sac', 'td3', 'gamid']) {
      it(`train ${algo} --steps 600 works: warm-up 120 (a fifth), one evaluation at the end`, async () => {
        const dir = join(tmp, `small-${algo}`);
        const r = await cli('train', algo, ...AC_TINY, '--steps', '600', ...(algo === 'gamid' ? ['--actors', '2'] : []), '--out', dir);
        expect(r.code, r.err).to.equal(0);
        const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
        expect(run.training).to.include({ steps: 600, warmupSteps: 120, evaluations: 1, env_steps: 600 });
      });
    }

    it('train dqn --steps 600 works: warm-up 120', async () => {
      const dir = join(tmp, 'small-dqn');
      const r = await cli(
        'train',
        'dqn',
        '--env',
        'CartPole-v1',
        '--steps',
        '600',
        '--hidden',
        '4',
        '--eval-episodes',
        '1',
        '--backend',
        'cpu',
        '--quiet',
        '--out',
        dir,
      );
      expect(r.code, r.err).to.equal(0);
      expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).training).to.include({ warmupSteps: 120, evaluations: 1 });
    });
  });

  describe('the training record (config.json, run.json) is the resolved config', () => {
    it('gmmqf on Pendulum-v1: the action grid is written as arrays, features resolved', async () => {
      const dir = join(tmp, 'gmmqf-pendulum');
      const r = await cli(
        'train',
        'gmmqf',
        '--env',
        'Pendulum-v1',
        '--steps',
        '300',
        '--steps-per-iteration',
        '150',
        '--components',
        '4',
        '--eval-episodes',
        '1',
        '--backend',
        'cpu',
        '--quiet',
        '--out',
        dir,
      );
      expect(r.code, r.err).to.equal(0);
      for (const file of ['config.json', 'run.json']) {
        const training = JSON.parse(readFileSync(join(file === 'config.json' ? resolveCheckpointDir(dir) : dir, file), 'utf8')).training;
        expect(training, file).to.not.have.property('actionGrid');
        expect(training.action_grid, file).to.deep.equal({ shape: [1], values: [-2, -1, 0, 1, 2], low: [-2], high: [2] });
        expect(training.features, file).to.equal('identity');
      }
      expect(Array.from(loadGmmQfCheckpoint(dir).params.actionGrid!.values)).to.deep.equal([-2, -1, 0, 1, 2]);
    });

    it('sgmmqf: features resolved (acrobot-angles on Acrobot-v1)', async () => {
      const dir = join(tmp, 'sgmmqf-acrobot');
      const r = await cli('train', 'sgmmqf', ...SGMMQF_TINY.slice(2), '--env', 'Acrobot-v1', '--out', dir);
      expect(r.code, r.err).to.equal(0);
      expect(JSON.parse(readFileSync(join(resolveCheckpointDir(dir), 'config.json'), 'utf8')).training.features).to.equal('acrobot-angles');
    });
  });

  describe('gmmrl envs', () => {
    it('lists every id with its action space (discrete or continuous, and its size) and observation size', async () => {
      const r = await cli('envs');
      expect(r.code).to.equal(0);
      expect(r.out).to.match(/^CartPole-v1 +discrete +2 actions +observation 4$/m);
      expect(r.out).to.match(/^Pendulum-v1 +continuous +1-dim \[-2, 2\] +observation 3$/m);
    });

    it('--json gives one object per environment', async () => {
      const r = await cli('envs', '--json');
      expect(r.code).to.equal(0);
      const list = JSON.parse(r.out) as { id: string; action_space: Record<string, unknown>; observation_size: number }[];
      expect(list.find((e) => e.id === 'CartPole-v1')).to.deep.equal({
        id: 'CartPole-v1',
        action_space: { kind: 'discrete', n: 2 },
        observation_size: 4,
      });
      expect(list.find((e) => e.id === 'Pendulum-v1')!.action_space).to.deep.include({ kind: 'box', shape: [1] });
    });

    it('refuses unknown flags and arguments (exit 2)', async () => {
      expect((await cli('envs', '--foo')).code).to.equal(2);
      expect((await cli('envs', 'extra')).code).to.equal(2);
    });
  });

  describe('the library and the CLI give the same run for the same settings', () => {
    it('sgmmqf: trainSgmmqf(config) and gmmrl train sgmmqf … give bitwise-identical weights', async () => {
      const dir = join(tmp, 'same-sgmmqf');
      const r = await cli(
        'train',
        'sgmmqf',
        '--env',
        'CartPole-v1',
        '--steps',
        '400',
        '--components',
        '4',
        '--seed',
        '5',
        '--eval-episodes',
        '1',
        '--quiet',
        '--out',
        dir,
      );
      expect(r.code, r.err).to.equal(0);
      const lib = await trainSgmmqf({ env: 'CartPole-v1', steps: 400, components: 4, seed: 5, evalEpisodes: 1 });
      const ck = loadGmmQfCheckpoint(dir);
      expect(Array.from(ck.params.weights)).to.deep.equal(Array.from(lib.params.weights));
      expect(Array.from(ck.params.means)).to.deep.equal(Array.from(lib.params.means));
      expect(Array.from(ck.params.covariances)).to.deep.equal(Array.from(lib.params.covariances));
    });

    it('td3 (budget-dependent warm-up from the rule in both): identical actor and critics', async () => {
      const dir = join(tmp, 'same-td3');
      const r = await cli('train', 'td3', ...AC_TINY, '--steps', '300', '--seed', '2', '--out', dir);
      expect(r.code, r.err).to.equal(0);
      const lib = await trainTd3({ env: 'Pendulum-v1', hidden: [8], batchSize: 16, evalEpisodes: 1, backend: 'cpu', steps: 300, seed: 2 });
      const ck = loadGamidActorCheckpoint(dir);
      const flat = (ws: readonly Float64Array[]) => ws.flatMap((w) => Array.from(w));
      expect(flat(ck.actor.actors[0]!.weights)).to.deep.equal(flat(lib.params.actor.actors[0]!.weights));
      expect(flat(ck.critics[0].weights)).to.deep.equal(flat(lib.params.critics[0].weights));
    });
  });

  describe('exit codes: bad input 2, bugs 1 with the stack', () => {
    /** A test-only algorithm whose training throws `error`. */
    function broken(name: string, error: () => Error): TrainEntry<{ env: string; steps: number }, never> {
      return {
        name,
        description: 'throws',
        spec: defineSpec(name, { env: string({ doc: 'env', default: 'CartPole-v1' }), steps: int({ doc: 'steps', default: 10, min: 1 }) }),
        exampleOut: 'runs/x',
        title: () => name,
        train: async () => {
          throw error();
        },
        save: async () => ({ info: {}, sha: '' }),
        summary: () => '',
        bestReturn: () => NaN,
      };
    }
    afterEach(() => {
      for (const e of trainAlgorithms()) if (e.name.startsWith('broken-')) unregisterAlgorithm(e.name);
    });

    it('an InternalError (a broken invariant) exits 1 and prints the stack', async () => {
      expect(new InternalError('x')).to.not.be.instanceOf(GmmrlError);
      registerAlgorithm(broken('broken-internal', () => new InternalError('invariant broken')));
      const r = await cli('train', 'broken-internal', '--quiet', '--out', join(tmp, 'broken'));
      expect(r.code).to.equal(1);
      expect(r.err).to.match(/InternalError: internal error \(a bug in gmmrl, please report it\): invariant broken/);
      expect(r.err).to.match(/\n +at /); // the stack
    });

    it('any other non-gmmrl error is a bug too (exit 1); a ValueError is bad input (exit 2, message only)', async () => {
      registerAlgorithm(broken('broken-type', () => new TypeError('x is not a function')));
      registerAlgorithm(broken('broken-value', () => new ValueError('bad value')));
      const t = await cli('train', 'broken-type', '--quiet', '--out', join(tmp, 'broken'));
      expect(t.code).to.equal(1);
      expect(t.err).to.match(/TypeError: x is not a function\n +at /);
      const v = await cli('train', 'broken-value', '--quiet', '--out', join(tmp, 'broken'));
      expect(v.code).to.equal(2);
      expect(v.err).to.equal('error: bad value');
    });
  });

  describe('registerAlgorithm: typed refusals of duplicates and malformed entries', () => {
    /** A well-formed test entry named `name` (it trains nothing). */
    function entry(name: string, extra: Record<string, unknown> = {}): TrainEntry<{ env: string; steps: number }, null> {
      return {
        name,
        description: 'a test entry',
        spec: defineSpec(name, { env: string({ doc: 'env', default: 'CartPole-v1' }), steps: int({ doc: 'steps', default: 10, min: 1 }) }),
        exampleOut: 'runs/x',
        title: () => name,
        train: async () => null,
        save: async () => ({ info: {}, sha: '' }),
        summary: () => 'done',
        bestReturn: () => 0,
        ...extra,
      };
    }
    const register = (e: unknown) => () => registerAlgorithm(e as TrainEntry<{ env: string; steps: number }, null>);
    afterEach(() => {
      for (const e of trainAlgorithms()) if (e.name.startsWith('reg-')) unregisterAlgorithm(e.name);
    });

    it('a registered algorithm is listed by gmmrl train --help and runs through main; unregisterAlgorithm removes it', async () => {
      registerAlgorithm(entry('reg-ok'));
      expect(trainAlgorithms().map((e) => e.name)).to.deep.equal([...ALGORITHMS, 'reg-ok']);
      expect((await cli('train', '--help')).out).to.match(/^ +reg-ok +a test entry$/m);
      const help = await cli('train', 'reg-ok', '--help');
      expect(help.out).to.match(/--steps +steps \(a positive integer; default 10\)/);
      const bad = await cli('train', 'reg-ok', '--stesp', '5', '--out', join(tmp, 'reg'));
      expect(bad.code).to.equal(2);
      expect(bad.err).to.match(/gmmrl train reg-ok: unknown flag --stesp; did you mean --steps\?/);
      unregisterAlgorithm('reg-ok');
      expect(trainAlgorithms().map((e) => e.name)).to.deep.equal(ALGORITHMS);
      expect((await cli('train', 'reg-ok', '--out', join(tmp, 'reg'))).err).to.match(/unknown algorithm "reg-ok"/);
    });

    it('refuses a name already taken, built-in or registered', () => {
      expectThrows(
        register(entry('dqn')),
        ValueError,
        /registerAlgorithm\("dqn"\): an algorithm named "dqn" is already registered \(gmmqf, sgmmqf, dqn, sac, td3, gamid\); choose another name/,
      );
      registerAlgorithm(entry('reg-a'));
      expectThrows(register(entry('reg-a')), ValueError, /registerAlgorithm\("reg-a"\): an algorithm named "reg-a" is already registered/);
    });

    it('refuses a malformed name or entry, naming what to fix', () => {
      expectThrows(register(undefined), ValueError, /registerAlgorithm: expected a TrainEntry \{ name, description, spec/);
      for (const name of ['', 'Toy', '-x', 'my algo', 'help', 3])
        expectThrows(
          register(entry(name as string)),
          ValueError,
          /registerAlgorithm: name .* is not an algorithm name; use lower-case letters, digits and dashes/,
        );
      expectThrows(
        register(entry('reg-d', { description: '' })),
        ValueError,
        /registerAlgorithm\("reg-d"\): description must be a non-empty string; got ""/,
      );
      expectThrows(
        register(entry('reg-t', { train: 'fast' })),
        ValueError,
        /registerAlgorithm\("reg-t"\): train must be a function; got "fast"/,
      );
      expectThrows(register(entry('reg-p', { preamble: ['x'] })), ValueError, /preamble must be a function when given/);
      expectThrows(register(entry('reg-n', { notes: 'x' })), ValueError, /notes must be an array of strings when given/);
      expectThrows(
        register(entry('reg-s', { spec: { steps: 1 } })),
        ValueError,
        /registerAlgorithm\("reg-s"\): spec must be a config spec from defineSpec\(name, fields\)/,
      );
      expectThrows(
        register(entry('reg-f', { spec: defineSpec('x', { env: string({ doc: 'env' }), steps: 10 as any }) })),
        ValueError,
        /spec field "steps" is not a field; build it with a field kind/,
      );
      expectThrows(
        register(entry('reg-e', { spec: defineSpec('x', { steps: int({ doc: 'steps', default: 1 }) }) })),
        ValueError,
        /spec has no "env" field; every algorithm needs env .* and steps/,
      );
      expect(trainAlgorithms().map((e) => e.name)).to.deep.equal(ALGORITHMS);
    });

    it('refuses flags that clash: two fields, a field and an extra flag, a field and --out/--quiet/--help', () => {
      const env = string({ doc: 'env', default: 'CartPole-v1' });
      const steps = int({ doc: 'steps', default: 10, min: 1 });
      expectThrows(
        register(entry('reg-c', { spec: defineSpec('x', { env, steps, budget: int({ doc: 'b', default: 1, flag: 'steps' }) }) })),
        ValueError,
        /spec field "budget" has the flag --steps, already taken by field "steps"/,
      );
      expectThrows(
        register(entry('reg-c', { spec: defineSpec('x', { env, steps, out: string({ doc: 'o', default: 'x' }) }) })),
        ValueError,
        /spec field "out" has the flag --out, already taken by the run flags \(--out, --overwrite, --resume, --quiet, --help\)/,
      );
      expectThrows(
        register(entry('reg-c', { extraFlags: { steps: { type: 'int', help: 'x' } } })),
        ValueError,
        /spec field "steps" has the flag --steps, already taken by extraFlags/,
      );
    });

    it('unregisterAlgorithm refuses built-in and unknown names', () => {
      expectThrows(() => unregisterAlgorithm('sac'), ValueError, /unregisterAlgorithm: "sac" is a built-in algorithm/);
      expectThrows(
        () => unregisterAlgorithm('reg-none'),
        UnknownNameError,
        /unregisterAlgorithm: "reg-none" is not registered. Added with registerAlgorithm: none/,
      );
    });
  });
});
