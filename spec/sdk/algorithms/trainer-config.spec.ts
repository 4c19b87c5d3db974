/**
 * The trainers' configs as library users see them: one spec per algorithm gives the defaults
 * (including the rules computed from other fields), refuses unknown keys, and prints bad values
 * with describeValue (NaN and Infinity spelled out).
 */
import { expect } from 'chai';
import { GMMQF_DEFAULTS, trainGmmQf, validateGmmQfConfig } from '../../../sdk/algorithms/gmmqf.js';
import { SGMMQF_DEFAULTS, trainSgmmqf, validateSgmmqfConfig } from '../../../sdk/algorithms/sgmmqf.js';
import { DQN_DEFAULTS, trainDqn, validateDqnConfig } from '../../../sdk/algorithms/dqn.js';
import { SAC_DEFAULTS, trainSac } from '../../../sdk/algorithms/sac.js';
import { TD3_DEFAULTS, trainTd3 } from '../../../sdk/algorithms/td3.js';
import { GAMID_DEFAULTS, trainGamid } from '../../../sdk/algorithms/gamid.js';
import { OFF_POLICY_DEFAULTS } from '../../../sdk/algorithms/actor-critic.js';
import { checkEstimator } from '../../../sdk/algorithms/sac-estimators.js';
import { selectBackend } from '../../../sdk/backend.js';
import { UnknownNameError, ValueError } from '../../../contract/errors.js';
import { expectRejects, expectThrows } from '../../helpers.js';

/** Tiny budgets: each run takes well under a second or two on the cpu backend. */
const TINY_Q = { env: 'CartPole-v1', steps: 200, evalEpisodes: 1 };
const TINY_AC = {
  env: 'Pendulum-v1',
  steps: 200,
  warmupSteps: 100,
  hidden: [8],
  batchSize: 16,
  evalEvery: 200,
  evalEpisodes: 1,
  backend: 'cpu' as const,
};

describe('sdk/algorithms trainer configs (library)', function () {
  this.timeout(120_000);
  before(async () => {
    await selectBackend('cpu');
  });

  describe('SAC: the per-policy defaults hold for library users, not only the CLI', () => {
    it("trainSac({ policy: 'sgm' }) trains SGM-MRP with K = 5", async () => {
      const r = await trainSac({ ...TINY_AC, policy: 'sgm' });
      expect(r.config).to.include({ policy: 'sgm', estimator: 'mrp', components: 5 });
      expect(r.method).to.equal('SGM-MRP');
      expect(r.params.actor.head.K).to.equal(5);
    });

    it("trainSac({ policy: 'usgm' }) is USGM-RP with K = 5; policy 'sg' stays SG-RP with K = 1", async () => {
      const u = await trainSac({ ...TINY_AC, policy: 'usgm' });
      expect(u.config).to.include({ estimator: 'rp', components: 5 });
      const s = await trainSac({ ...TINY_AC });
      expect(s.config).to.include({ policy: 'sg', estimator: 'rp', components: 1 });
    });

    it('an explicit estimator or components still wins over the rule', async () => {
      const r = await trainSac({ ...TINY_AC, policy: 'sgm', estimator: 'gumbelrp', components: 2 });
      expect(r.config).to.include({ estimator: 'gumbelrp', components: 2 });
    });
  });

  describe('unknown config keys are refused by every trainer (UnknownNameError naming the key, the known keys and the nearest one)', () => {
    const cases: [string, () => Promise<unknown>, string, string][] = [
      ['gmmqf', () => trainGmmQf({ ...TINY_Q, components: 4, componets: 8 } as never), 'componets', 'components'],
      [
        'sgmmqf',
        () => trainSgmmqf({ ...TINY_Q, warmupSteps: 100, evalEvery: 200, components: 4, componets: 8 } as never),
        'componets',
        'components',
      ],
      [
        'dqn',
        () => trainDqn({ ...TINY_Q, warmupSteps: 100, evalEvery: 200, hidden: [4], learningrate: 1e-2 } as never),
        'learningrate',
        'learningRate',
      ],
      ['sac', () => trainSac({ ...TINY_AC, polcy: 'sgm' } as never), 'polcy', 'policy'],
      ['td3', () => trainTd3({ ...TINY_AC, policyDelays: 3 } as never), 'policyDelays', 'policyDelay'],
      ['gamid', () => trainGamid({ ...TINY_AC, actor: 3 } as never), 'actor', 'actors'],
    ];
    for (const [algo, run, bad, near] of cases) {
      it(`${algo}: ${bad}`, async () => {
        const e = await expectRejects(
          run,
          UnknownNameError,
          new RegExp(`${algo} config: unknown field "${bad}"`),
          new RegExp(`did you mean "${near}"\\?`),
        );
        expect(e.message).to.match(/Known fields: env, /);
      });
    }
  });

  describe('values in config errors are shown with describeValue: NaN and Infinity, never null', () => {
    it('gmmqf', () => {
      expectThrows(() => validateGmmQfConfig({ ...GMMQF_DEFAULTS, gamma: NaN }), ValueError, /gamma = NaN is out of range/);
      expectThrows(
        () => validateGmmQfConfig({ ...GMMQF_DEFAULTS, components: Infinity }),
        ValueError,
        /components = Infinity is out of range/,
      );
      expectThrows(
        () => validateGmmQfConfig({ ...GMMQF_DEFAULTS, initVariance: -Infinity }),
        ValueError,
        /initVariance = -Infinity is out of range/,
      );
    });
    it('sgmmqf', () => {
      expectThrows(() => validateSgmmqfConfig({ ...SGMMQF_DEFAULTS, rho: NaN }), ValueError, /rho = NaN is out of range/);
      expectThrows(() => validateSgmmqfConfig({ ...SGMMQF_DEFAULTS, lrMeans: Infinity }), ValueError, /lrMeans = Infinity is out of range/);
    });
    it('dqn', () => {
      expectThrows(() => validateDqnConfig({ ...DQN_DEFAULTS, gamma: NaN }), ValueError, /gamma = NaN is out of range/);
    });
  });

  describe('unknown names are UnknownNameError in every trainer', () => {
    it('an unknown feature map: gmmqf and sgmmqf alike', async () => {
      await expectRejects(() => trainGmmQf({ ...TINY_Q, features: 'polar' as never }), UnknownNameError, /features = "polar"/);
      await expectRejects(() => trainSgmmqf({ ...TINY_Q, features: 'polar' as never }), UnknownNameError, /features = "polar"/);
    });
    it('an unknown metric, backend, policy or estimator', async () => {
      await expectRejects(
        () => trainGmmQf({ ...TINY_Q, metric: 'euclid' as never }),
        UnknownNameError,
        /metric = "euclid" is unknown; expected one of ai, bw/,
      );
      await expectRejects(() => trainDqn({ ...TINY_Q, backend: 'gpu' as never }), UnknownNameError, /backend = "gpu"/);
      await expectRejects(() => trainSac({ ...TINY_AC, policy: 'sgn' as never }), UnknownNameError, /policy = "sgn"/, /did you mean "sgm"/);
      await expectRejects(
        () => trainSac({ ...TINY_AC, estimator: 'mpr' as never }),
        UnknownNameError,
        /estimator = "mpr"/,
        /did you mean "mrp"/,
      );
    });
  });

  describe('continuous actions: the library defaults to the documented grid, as the CLI does', () => {
    it('dqn and sgmmqf on Pendulum-v1 without actionGrid use the 5 documented torques', async () => {
      const d = await trainDqn({ env: 'Pendulum-v1', steps: 300, hidden: [4], evalEpisodes: 1, backend: 'cpu' });
      expect(Array.from(d.params.actionGrid!.values)).to.deep.equal([-2, -1, 0, 1, 2]);
      const s = await trainSgmmqf({ env: 'Pendulum-v1', steps: 300, components: 4, evalEpisodes: 1 });
      expect(s.params.A).to.equal(5);
      expect(Array.from(s.params.actionGrid!.values)).to.deep.equal([-2, -1, 0, 1, 2]);
    });
  });

  it('checkEstimator: an unknown policy or estimator is an UnknownNameError', () => {
    expectThrows(() => checkEstimator('sgn' as never, 'rp', 1, 'where'), UnknownNameError, /where: policy = "sgn" is unknown/);
    expectThrows(() => checkEstimator('sg', 7 as never, 1, 'where'), UnknownNameError, /estimator = 7 is unknown/);
  });

  describe('budget-dependent defaults: the warm-up scales with a short run, and the documented defaults keep their values', () => {
    it('the defaults at their own default steps are unchanged', () => {
      expect(OFF_POLICY_DEFAULTS.warmupSteps).to.equal(5000);
      for (const d of [SAC_DEFAULTS, TD3_DEFAULTS, GAMID_DEFAULTS])
        expect(d).to.include({ steps: 30000, warmupSteps: 5000, evalEvery: 5000 });
      expect(DQN_DEFAULTS).to.include({ steps: 100000, warmupSteps: 1000, evalEvery: 5000 });
      expect(SGMMQF_DEFAULTS).to.include({ steps: 100000, warmupSteps: 1000, evalEvery: 5000 });
      expect(GMMQF_DEFAULTS).to.include({ steps: 30000, warmupSteps: 2000 });
      expect(SAC_DEFAULTS).to.include({ policy: 'sg', estimator: 'rp', components: 1 });
    });

    it('td3 and dqn with 600 steps: warm-up = a fifth of the steps; a run shorter than evalEvery evaluates once, at its end', async () => {
      const t = await trainTd3({ ...TINY_AC, steps: 600, warmupSteps: undefined, evalEvery: undefined });
      expect(t.config.warmupSteps).to.equal(120);
      expect(t.log.map((r) => r.env_steps)).to.deep.equal([600]);
      const d = await trainDqn({ ...TINY_Q, steps: 600, hidden: [4] });
      expect(d.config.warmupSteps).to.equal(120);
      expect(d.log.map((r) => r.env_steps)).to.deep.equal([600]);
    });

    it('sgmmqf with 600 steps', async () => {
      const s = await trainSgmmqf({ ...TINY_Q, steps: 600, components: 4 });
      expect(s.config.warmupSteps).to.equal(120);
      expect(s.log.map((r) => r.env_steps)).to.deep.equal([600]);
    });
  });
});
