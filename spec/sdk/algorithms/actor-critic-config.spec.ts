import { expect } from 'chai';
import { SAC_DEFAULTS, trainSac, validateSacConfig, type SacConfig } from '../../../sdk/algorithms/sac.js';
import { TD3_DEFAULTS, trainTd3, validateTd3Config, type Td3Config } from '../../../sdk/algorithms/td3.js';
import {
  GAMID_DEFAULTS,
  parseSchedule,
  scheduleValue,
  trainGamid,
  validateGamidConfig,
  type GamidConfig,
} from '../../../sdk/algorithms/gamid.js';
import type { OffPolicyEvalRow } from '../../../sdk/algorithms/actor-critic.js';
import type { MlpParams } from '../../../models/actor-critic/mlp.js';
import { selectBackend } from '../../../sdk/backend.js';
import { UnknownNameError, ValueError } from '../../../contract/errors.js';
import { expectRejects, expectThrows } from '../../helpers.js';

const sac = (o: Partial<SacConfig>): SacConfig => ({ ...SAC_DEFAULTS, hidden: [...SAC_DEFAULTS.hidden], ...o });
const td3 = (o: Partial<Td3Config>): Td3Config => ({ ...TD3_DEFAULTS, hidden: [...TD3_DEFAULTS.hidden], ...o });
const gamid = (o: Partial<GamidConfig>): GamidConfig => ({ ...GAMID_DEFAULTS, hidden: [...GAMID_DEFAULTS.hidden], ...o });

/** Every float64 of the networks as hex bit patterns (bitwise comparison, −0 ≠ 0). */
function bits(nets: readonly MlpParams[]): string[] {
  return nets.flatMap((p) => [...p.weights, ...p.biases].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')));
}

/** Log rows without the timing columns. */
const untimed = (log: OffPolicyEvalRow[]) => log.map(({ wall_s: _w, steps_per_s: _s, ...rest }) => rest);

describe('sdk/algorithms actor-critic configs and runs (sac, td3, gamid)', function () {
  this.timeout(60_000);
  before(async () => {
    await selectBackend('cpu');
  });

  describe('validation: ValueError naming the field and the bad value', () => {
    it('the defaults are valid', () => {
      validateSacConfig(sac({}));
      validateSacConfig(sac({ policy: 'sgm', estimator: 'mrp', components: 5 }));
      validateTd3Config(td3({}));
      validateGamidConfig(gamid({}));
    });

    const sacCases: [string, Partial<SacConfig>, RegExp[]][] = [
      ['tau 0', { tau: 0 }, [/sac config: tau = 0 is out of range; expected \(0, 1\]/]],
      ['gamma 1', { gamma: 1 }, [/sac config: gamma = 1 is out of range; expected \[0, 1\)/]],
      ['batchSize 0', { batchSize: 0 }, [/batchSize = 0 is out of range; expected an integer in \[1, 65536\]/]],
      [
        'warmupSteps = steps',
        { steps: 1000, warmupSteps: 1000 },
        [/warmupSteps = 1000 is out of range; expected an integer in \[1, steps = 1000\)/],
      ],
      ['warmupSteps > steps', { steps: 1000, warmupSteps: 5000 }, [/warmupSteps = 5000 .*steps = 1000/]],
      ['alpha -1', { alpha: -1 }, [/alpha = -1 is out of range; expected "auto" or a fixed entropy scale ≥ 0/]],
      [
        'samples 1',
        { policy: 'sgm', estimator: 'halfrp', components: 3, samples: 1 },
        [/samples = 1 is out of range; expected an integer in \[2, 256\]/],
      ],
      [
        'components 0',
        { policy: 'sgm', estimator: 'mrp', components: 0 },
        [/components = 0 is out of range; expected an integer in \[1, 64\]/],
      ],
      [
        'policy sg with components 5',
        { policy: 'sg', estimator: 'rp', components: 5 },
        [/policy "sg"/, /components must be 1; got 5/, /--policy sgm/],
      ],
      [
        'estimator mrp with policy sg',
        { policy: 'sg', estimator: 'mrp', components: 1 },
        [/estimator "mrp" does not apply to policy "sg"; use one of rp, lr/],
      ],
      ['hidden []', { hidden: [] }, [/hidden = \[\] \(length 0\) is out of range/]],
      ['seed -1', { seed: -1 }, [/seed = -1 is out of range/]],
    ];
    for (const [name, o, patterns] of sacCases)
      it(`sac: ${name}`, () => expectThrows(() => validateSacConfig(sac(o)), ValueError, ...patterns));

    const td3Cases: [string, Partial<Td3Config>, RegExp[]][] = [
      ['tau 0', { tau: 0 }, [/td3 config: tau = 0 is out of range/]],
      ['gamma 1', { gamma: 1 }, [/td3 config: gamma = 1 is out of range/]],
      ['policyDelay 0', { policyDelay: 0 }, [/policyDelay = 0 is out of range/]],
      ['explorationStd -0.1', { explorationStd: -0.1 }, [/explorationStd = -0\.1 is out of range; expected a finite number ≥ 0/]],
    ];
    for (const [name, o, patterns] of td3Cases)
      it(`td3: ${name}`, () => expectThrows(() => validateTd3Config(td3(o)), ValueError, ...patterns));

    const gamidCases: [string, Partial<GamidConfig>, RegExp[]][] = [
      ['actors 0', { actors: 0 }, [/gamid config: actors = 0 is out of range; expected an integer in \[1, 64\]/]],
      [
        'epsilon start 2',
        { epsilon: { start: 2, end: 0.02, fraction: 0.5 } },
        [/gamid config: epsilon = "2:0\.02:0\.5" is out of range; expected values in \[0, 1\]/],
      ],
      [
        'temperature fraction 0 (decaying)',
        { temperature: { start: 0.3, end: 0.1, fraction: 0 } },
        [/temperature = "0\.3:0\.1:0" is out of range/, /fraction in \(0, 1\]/],
      ],
      [
        'temperature fraction 0 (constant value)',
        { temperature: { start: 0.1, end: 0.1, fraction: 0 } },
        [/temperature = "0\.1:0\.1:0" is out of range/],
      ],
      [
        'temperature negative',
        { temperature: { start: -0.1, end: -0.1, fraction: 1 } },
        [/temperature = .*-0\.1.* is out of range; expected values ≥ 0/],
      ],
      ['tau 0 (the shared fields, named as gamid)', { tau: 0 }, [/gamid config: tau = 0/]],
    ];
    for (const [name, o, patterns] of gamidCases)
      it(`gamid: ${name}`, () => expectThrows(() => validateGamidConfig(gamid(o)), ValueError, ...patterns));
  });

  describe('schedules', () => {
    it('parseSchedule("0.2:0.02:0.5") and scheduleValue follow the linear closed form, then hold the end value', () => {
      const s = parseSchedule('0.2:0.02:0.5', '--epsilon');
      expect(s).to.deep.equal({ start: 0.2, end: 0.02, fraction: 0.5 });
      const T = 1000;
      const closed = (t: number) => (t >= 500 ? 0.02 : 0.2 + (0.02 - 0.2) * (t / 500));
      for (const t of [0, 1, 100, 250, 499, 500, 501, 750, 1000, 5000])
        expect(scheduleValue(s, t, T), `step ${t}`).to.be.closeTo(closed(t), 1e-15);
      expect(scheduleValue(s, 0, T)).to.equal(0.2);
      expect(scheduleValue(s, 250, T)).to.be.closeTo(0.11, 1e-15);
      expect(scheduleValue(s, 500, T)).to.equal(0.02);
    });

    it('a single number is a constant schedule', () => {
      const s = parseSchedule('0.3', '--epsilon');
      expect(s).to.deep.equal({ start: 0.3, end: 0.3, fraction: 1 });
      for (const t of [0, 10, 999, 1000]) expect(scheduleValue(s, t, 1000)).to.equal(0.3);
    });

    for (const bad of ['abc', '1:2', '0.2:0.02:0.5:1', '0.2::0.5', ':0.02:0.5', '', '0.2:x:0.5']) {
      it(`parseSchedule(${JSON.stringify(bad)}) throws with the fix in the message`, () => {
        expectThrows(
          () => parseSchedule(bad, 'gmmrl train gamid: --temperature'),
          ValueError,
          /--temperature/,
          new RegExp(`${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a schedule`),
          /start:end:fraction, e\.g\. 0\.2:0\.02:0\.5/,
        );
      });
    }

    it('a fraction outside (0, 1] is refused naming it', () => {
      expectThrows(() => parseSchedule('0.2:0.02:0', '--epsilon'), ValueError, /--epsilon: fraction 0 must lie in \(0, 1\]/);
      expectThrows(() => parseSchedule('0.2:0.02:1.5', '--epsilon'), ValueError, /fraction 1\.5/);
    });
  });

  describe('environments', () => {
    for (const [name, train] of [
      ['sac', () => trainSac({ env: 'CartPole-v1', backend: 'cpu' })],
      ['td3', () => trainTd3({ env: 'CartPole-v1', backend: 'cpu' })],
      ['gamid', () => trainGamid({ env: 'CartPole-v1', backend: 'cpu' })],
    ] as const) {
      it(`${name} refuses a discrete-action environment (CartPole-v1)`, async () => {
        await expectRejects(
          train,
          ValueError,
          new RegExp(`${name}: env CartPole-v1 has a discrete action space \\(2 actions\\); ${name} needs continuous actions`),
          /Pendulum-v1/,
          /gmmqf, sgmmqf or dqn/,
        );
      });
    }

    it('an unknown environment id is an UnknownNameError', async () => {
      await expectRejects(() => trainSac({ env: 'Pendulum-v9', backend: 'cpu' }), UnknownNameError, /Pendulum-v9/);
      await expectRejects(() => trainGamid({ env: 'Pendulum-v9', backend: 'cpu' }), UnknownNameError, /Pendulum-v9/);
    });
  });

  describe('determinism (cpu backend)', () => {
    const sacRun = (seed: number) =>
      trainSac({
        env: 'Pendulum-v1',
        steps: 300,
        warmupSteps: 100,
        hidden: [8, 8],
        batchSize: 16,
        evalEvery: 150,
        evalEpisodes: 1,
        backend: 'cpu',
        policy: 'sgm',
        estimator: 'mrp',
        components: 2,
        seed,
      });
    const gamidRun = (seed: number) =>
      trainGamid({
        env: 'Pendulum-v1',
        steps: 200,
        warmupSteps: 100,
        hidden: [8, 8],
        batchSize: 16,
        evalEvery: 50,
        evalEpisodes: 1,
        backend: 'cpu',
        actors: 2,
        seed,
      });

    it('SAC (SGM-MRP, K = 2): the same seed gives bitwise-identical parameters and log rows; another seed does not', async () => {
      const a = await sacRun(3);
      const b = await sacRun(3);
      const c = await sacRun(4);
      expect(a.log).to.have.length(2);
      expect(a.updates).to.equal(200);
      expect(a.method).to.equal('SGM-MRP');
      const nets = (r: typeof a, which: 'params' | 'finalParams') => [r[which].actor.trunk, ...r[which].critics];
      expect(bits(nets(b, 'finalParams'))).to.deep.equal(bits(nets(a, 'finalParams')));
      expect(bits(nets(b, 'params'))).to.deep.equal(bits(nets(a, 'params')));
      expect(Array.from(b.normalization.offset)).to.deep.equal(Array.from(a.normalization.offset));
      expect(untimed(b.log)).to.deep.equal(untimed(a.log));
      for (const row of a.log)
        for (const [k, v] of Object.entries(row)) if (k !== 'train_return_mean') expect(Number.isFinite(v), k).to.equal(true);
      expect(bits([c.finalParams.actor.trunk])).to.not.deep.equal(bits([a.finalParams.actor.trunk]));
    });

    it('Gamid-PG (N = 2): the same seed gives bitwise-identical parameters and log rows; another seed does not', async () => {
      const a = await gamidRun(3);
      const b = await gamidRun(3);
      const c = await gamidRun(4);
      expect(a.log).to.have.length(2);
      const nets = (r: typeof a) => [...r.finalParams.actor.actors, ...r.finalParams.critics];
      expect(a.finalParams.actor.actors).to.have.length(2);
      expect(bits(nets(b))).to.deep.equal(bits(nets(a)));
      expect(bits([...b.params.actor.actors, ...b.params.critics])).to.deep.equal(bits([...a.params.actor.actors, ...a.params.critics]));
      expect(b.finalParams.actor.epsilon).to.equal(a.finalParams.actor.epsilon);
      expect(untimed(b.log)).to.deep.equal(untimed(a.log));
      expect(bits(nets(c))).to.not.deep.equal(bits(nets(a)));
    });
  });
});
