import { expect } from 'chai';
import { EnvStateError, UnknownNameError } from '../../../contract/errors.js';
import {
  BANDIT1D_LOCAL_MODE_ACTION,
  BANDIT1D_LOCAL_MODE_SUPREMUM,
  BANDIT1D_OPTIMAL_ACTION,
  BANDIT1D_OPTIMAL_REWARD,
  BANDIT1D_SUCCESS_TOLERANCE,
  Bandit1DEnv,
  bandit1dReward,
  make,
} from '../../../sdk/envs/index.js';
import { expectThrows } from '../../helpers.js';
import { expectBox, makeRegistered } from './support.js';

describe('envs: Bandit1D-v0', () => {
  it('is registered: Box([-1], [1]) action, constant [0] observation, one step, no threshold', () => {
    const env = makeRegistered('Bandit1D-v0', Bandit1DEnv, 1, undefined);
    expectBox(env.actionSpace, [-1], [1], 'action space');
    expectBox(env.observationSpace, [-1], [1], 'observation space');
  });

  it('reward at known points: optimum r(-0.6) = 1.1, the local mode, the x = 0.875 boundary', () => {
    expect(BANDIT1D_OPTIMAL_ACTION).to.equal(-0.6);
    expect(BANDIT1D_OPTIMAL_REWARD).to.equal(1.1);
    expect(BANDIT1D_SUCCESS_TOLERANCE).to.equal(0.1);
    expect(bandit1dReward(-0.6)).to.equal(1.1);
    // Narrow global peak: 1.1 - 18 (2x + 1.2)^2 > 0 only for |x + 0.6| < sqrt(1.1 / 18) / 2 = 0.1236.
    expect(bandit1dReward(-0.55)).to.be.closeTo(1.1 - 18 * 0.01, 1e-12);
    expect(bandit1dReward(-0.6 + 0.13)).to.equal(0);
    expect(bandit1dReward(-0.6 - 0.13)).to.equal(0);
    // Broad local mode: 0.5 - 0.125 (2x - 1.75)^2 for x < 0.875.
    expect(bandit1dReward(0.8)).to.be.closeTo(0.5 - 0.125 * 0.15 ** 2, 1e-15);
    expect(bandit1dReward(0.5)).to.be.closeTo(0.4296875, 1e-15);
    expect(bandit1dReward(0.875 - 1e-4)).to.be.closeTo(BANDIT1D_LOCAL_MODE_SUPREMUM - 0.125 * 2e-4 ** 2, 1e-15);
    expect(bandit1dReward(0.875 - 1e-4)).to.be.below(0.5);
    // The indicator [x < 0.875] switches the local mode off at its peak: r(0.875) = 0.
    expect(BANDIT1D_LOCAL_MODE_ACTION).to.equal(0.875);
    expect(bandit1dReward(0.875)).to.equal(0);
    expect(bandit1dReward(0.9)).to.equal(0);
    // Between the modes, and at both ends of the action range, nothing.
    expect(bandit1dReward(-0.3)).to.equal(0);
    expect(bandit1dReward(-1)).to.equal(0);
    expect(bandit1dReward(1)).to.equal(0);
    // The local mode starts at x = -0.125 (2x - 1.75 = -2).
    expect(bandit1dReward(-0.1)).to.be.above(0);
    expect(bandit1dReward(-0.15)).to.equal(0);
    // The global optimum is the maximum over a fine grid.
    let best = -Infinity;
    let bestX = NaN;
    for (let j = 0; j <= 200000; j++) {
      const x = -1 + j / 100000;
      const r = bandit1dReward(x);
      if (r > best) {
        best = r;
        bestX = x;
      }
    }
    expect(best).to.be.closeTo(1.1, 1e-12);
    expect(bestX).to.be.closeTo(-0.6, 1e-9);
  });

  it('one step: reward r(x), obs [0], terminated (and truncated by the 1-step limit) after it', () => {
    const env = make('Bandit1D-v0');
    const { obs, info } = env.reset({ seed: 0 });
    expect(obs).to.be.instanceOf(Float32Array);
    expect(Array.from(obs)).to.deep.equal([0]);
    expect(info).to.deep.equal({});
    expect(Array.from(env.state)).to.deep.equal([]);
    const r = env.step([-0.55]);
    expect(r.reward).to.be.closeTo(0.92, 1e-12);
    expect(r.reward).to.equal(bandit1dReward(-0.55));
    expect(r.terminated).to.equal(true);
    expect(r.truncated).to.equal(true);
    expect(Array.from(r.obs)).to.deep.equal([0]);
    expect(r.obs).to.be.instanceOf(Float32Array);
    expectThrows(() => env.step([0]), EnvStateError, /after the episode ended \(terminated at step 1\)/, /call reset\(\)/);
    env.reset();
    expect(env.step(-0.6).reward).to.equal(1.1); // a bare number is fine for a Box of size 1
  });

  it('clips out-of-range actions to [-1, 1] inside the dynamics', () => {
    const env = make('Bandit1D-v0');
    for (const [a, clipped] of [
      [5, 1],
      [-5, -1],
      [1.0000001, 1],
      [-1e9, -1],
    ] as const) {
      env.reset();
      const r = env.step([a]);
      expect(r.reward, `action ${a}`).to.equal(bandit1dReward(clipped));
      expect(r.terminated).to.equal(true);
    }
  });

  it('reset is deterministic; the same seed gives the identical episode', () => {
    const run = (seed: number): unknown[] => {
      const env = make('Bandit1D-v0', { seed });
      const out: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        out.push(Array.from(env.reset().obs));
        const r = env.step([-1 + i * 0.4]);
        out.push(r.reward, r.terminated, r.truncated);
      }
      return out;
    };
    expect(run(3)).to.deep.equal(run(3));
    expect(run(3)).to.deep.equal(run(4)); // nothing is random in a fixed bandit
  });

  it('accepts only the common options', () => {
    expectThrows(
      () => make('Bandit1D-v0', { banditSeed: 1 }),
      UnknownNameError,
      /unknown option "banditSeed"/,
      /Valid options: maxEpisodeSteps, seed\./,
    );
  });
});
