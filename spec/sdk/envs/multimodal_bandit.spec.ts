import { expect } from 'chai';
import { EnvStateError, ShapeError, UnknownNameError, ValueError } from '../../../contract/errors.js';
import {
  MULTIMODAL_BANDIT_SIGMA_RANGE,
  MultimodalBanditEnv,
  envOptionKeys,
  makeMultimodalBandit,
  make,
  multimodalBanditReward,
} from '../../../sdk/envs/index.js';
import { expectThrows } from '../../helpers.js';
import { expectBox, makeRegistered } from './support.js';

const bandit = (env: unknown): MultimodalBanditEnv => env as MultimodalBanditEnv;

describe('envs: MultimodalBandit-v0', () => {
  it('is registered: d = 1 by default, 5 bumps, one step, constant [0] observation', () => {
    const env = makeRegistered('MultimodalBandit-v0', MultimodalBanditEnv, 1, undefined);
    expectBox(env.actionSpace, [-1], [1], 'action space');
    expectBox(env.observationSpace, [-1], [1], 'observation space');
    const b = bandit(env).bandit;
    expect(b.banditSeed).to.equal(0);
    expect(b.actionDim).to.equal(1);
    expect(b.centres.length).to.equal(5);
    expect(envOptionKeys('MultimodalBandit-v0')).to.deep.equal(['maxEpisodeSteps', 'seed', 'banditSeed', 'actionDim', 'modes']);
  });

  it('option actionDim sets the action Box; modes sets the number of bumps', () => {
    const env = make('MultimodalBandit-v0', { actionDim: 3, modes: 7, banditSeed: 9 });
    expect(env.actionSpace.kind).to.equal('box');
    if (env.actionSpace.kind !== 'box') return;
    expect(Array.from(env.actionSpace.low)).to.deep.equal([-1, -1, -1]);
    expect(Array.from(env.actionSpace.high)).to.deep.equal([1, 1, 1]);
    expect(env.observationSpace.shape).to.deep.equal([1]);
    const b = bandit(env).bandit;
    expect(b.centres.length).to.equal(7);
    expect(b.sigmas.length).to.equal(7);
    for (const c of b.centres) expect(c.length).to.equal(3);
    expect(b.maxAction.length).to.equal(3);
  });

  it('the bumps are drawn from the documented ranges, fixed by banditSeed alone', () => {
    const [lo, hi] = MULTIMODAL_BANDIT_SIGMA_RANGE;
    expect([lo, hi]).to.deep.equal([0.1, 0.3]);
    const sig: number[] = [];
    const cen: number[] = [];
    for (let s = 0; s < 60; s++) {
      const b = makeMultimodalBandit(s, 2, 5);
      b.sigmas.forEach((v) => sig.push(v));
      b.centres.forEach((c) => cen.push(...c));
      // Peak heights are the densities' peaks over the normalizer.
      b.sigmas.forEach((v, k) => expect(b.heights[k]).to.be.closeTo((2 * Math.PI * v * v) ** -1 / b.normalizer, 1e-12));
    }
    expect(Math.min(...sig))
      .to.be.at.least(0.1)
      .and.below(0.11);
    expect(Math.max(...sig))
      .to.be.below(0.3)
      .and.above(0.29);
    expect(Math.min(...cen))
      .to.be.at.least(-1)
      .and.below(-0.97);
    expect(Math.max(...cen))
      .to.be.below(1)
      .and.above(0.97);
    // Same banditSeed -> the same bandit; another -> another; the env's seed plays no part.
    expect(makeMultimodalBandit(4)).to.deep.equal(makeMultimodalBandit(4));
    expect(makeMultimodalBandit(4).centres).to.not.deep.equal(makeMultimodalBandit(5).centres);
    const e1 = bandit(make('MultimodalBandit-v0', { banditSeed: 4, seed: 1 }));
    const e2 = bandit(make('MultimodalBandit-v0', { banditSeed: 4, seed: 2 }));
    expect(e1.bandit).to.deep.equal(e2.bandit);
    expect(e1.bandit).to.deep.equal(makeMultimodalBandit(4, 1, 5));
    expect(Object.isFrozen(e1.bandit)).to.equal(true);
    expect(Object.isFrozen(e1.bandit.centres[0])).to.equal(true);
  });

  it('reward = sum_k h_k exp(-|a - c_k|^2 / (2 s_k^2)), derived by hand, and the env steps it', () => {
    const b = makeMultimodalBandit(7, 2, 4);
    const a = [0.3, -0.45];
    let byHand = 0;
    b.centres.forEach((c, k) => {
      const d2 = (a[0]! - c[0]!) ** 2 + (a[1]! - c[1]!) ** 2;
      byHand += b.heights[k]! * Math.exp(-d2 / (2 * b.sigmas[k]! ** 2));
    });
    expect(multimodalBanditReward(b, a)).to.be.closeTo(byHand, 1e-12);
    const env = make('MultimodalBandit-v0', { banditSeed: 7, actionDim: 2, modes: 4 });
    const { obs } = env.reset({ seed: 0 });
    expect(Array.from(obs)).to.deep.equal([0]);
    expect(Array.from(env.state)).to.deep.equal([]);
    const r = env.step(a);
    expect(r.reward).to.equal(multimodalBanditReward(b, a));
    expect(r.terminated).to.equal(true);
    expect(r.truncated).to.equal(true);
    expect(Array.from(r.obs)).to.deep.equal([0]);
    expectThrows(() => env.step(a), EnvStateError, /terminated at step 1/);
    expectThrows(() => multimodalBanditReward(b, [0]), ShapeError, /must have length 2/, /got length 1/);
  });

  it('the maximum is 1, at maxAction (d = 1: checked on a 200001-point grid; d = 2: on a 401x401 grid)', () => {
    for (let s = 0; s < 8; s++) {
      const b = makeMultimodalBandit(s, 1, 5);
      expect(b.maxReward).to.equal(1);
      expect(multimodalBanditReward(b, b.maxAction)).to.equal(1);
      let best = -Infinity;
      for (let j = 0; j <= 200000; j++) best = Math.max(best, multimodalBanditReward(b, [-1 + j / 100000]));
      expect(best, `seed ${s}`)
        .to.be.at.most(1 + 1e-9)
        .and.above(1 - 1e-6);
    }
    for (let s = 0; s < 3; s++) {
      const b = makeMultimodalBandit(s, 2, 5);
      expect(multimodalBanditReward(b, b.maxAction)).to.equal(1);
      let best = -Infinity;
      for (let i = 0; i <= 400; i++) {
        for (let j = 0; j <= 400; j++) best = Math.max(best, multimodalBanditReward(b, [-1 + i / 200, -1 + j / 200]));
      }
      expect(best, `seed ${s}`)
        .to.be.at.most(1 + 1e-9)
        .and.above(0.99);
    }
  });

  it('clips out-of-range actions to [-1, 1]^d inside the dynamics', () => {
    const env = make('MultimodalBandit-v0', { banditSeed: 2, actionDim: 2 });
    const b = bandit(env).bandit;
    env.reset();
    expect(env.step([-7, 0.3]).reward).to.equal(multimodalBanditReward(b, [-1, 0.3]));
    env.reset();
    expect(env.step([1.5, 9]).reward).to.equal(multimodalBanditReward(b, [1, 1]));
    const env1 = make('MultimodalBandit-v0', { banditSeed: 3 });
    const b1 = bandit(env1).bandit;
    env1.reset();
    expect(env1.step(5).reward).to.equal(multimodalBanditReward(b1, [1]));
    expect(multimodalBanditReward(b1, [1])).to.be.above(0); // not a vacuous check
  });

  it('the same seed gives the identical episode', () => {
    const run = (): number[] => {
      const env = make('MultimodalBandit-v0', { banditSeed: 11, seed: 5 });
      const rs: number[] = [];
      for (let i = 0; i < 4; i++) {
        env.reset();
        rs.push(env.step([-0.9 + 0.5 * i]).reward);
      }
      return rs;
    };
    expect(run()).to.deep.equal(run());
  });

  it('validates its options with clear errors', () => {
    expectThrows(
      () => make('MultimodalBandit-v0', { bandit_seed: 1 }),
      UnknownNameError,
      /unknown option "bandit_seed"/,
      /Valid options: maxEpisodeSteps, seed, banditSeed, actionDim, modes\./,
    );
    for (const bad of [-1, 1.5, 2 ** 32, NaN, '3']) {
      expectThrows(
        () => make('MultimodalBandit-v0', { banditSeed: bad }),
        ValueError,
        /MultimodalBandit-v0: option banditSeed must be an integer in \[0, 4294967295\]/,
        new RegExp(`got ${typeof bad === 'string' ? `"${bad}"` : String(bad).replace('.', '\\.')}`),
        /Pass e\.g\. banditSeed: 0\./,
      );
    }
    expectThrows(
      () => make('MultimodalBandit-v0', { actionDim: 0 }),
      ValueError,
      /option actionDim must be an integer in \[1, 32\]/,
      /got 0/,
    );
    expectThrows(() => make('MultimodalBandit-v0', { actionDim: 2.5 }), ValueError, /actionDim/, /got 2\.5/);
    expectThrows(
      () => make('MultimodalBandit-v0', { modes: 0 }),
      ValueError,
      /option modes must be an integer in \[1, 100\]/,
      /got 0/,
      /Pass e\.g\. modes: 5/,
    );
    expectThrows(() => makeMultimodalBandit(-3), ValueError, /makeMultimodalBandit: banditSeed/, /got -3/);
  });
});
