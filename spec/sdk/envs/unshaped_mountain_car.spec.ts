import { expect } from 'chai';
import { UnshapedMountainCarContinuousEnv, make } from '../../../sdk/envs/index.js';
import { expectClose } from '../../helpers.js';
import * as ref from './expected_values.js';
import { STATE_TOL, expectTruncatesAt, makeRegistered, returnOf } from './support.js';

describe('envs: UnshapedMountainCarContinuous-v0', () => {
  it('is registered with MountainCarContinuous-v0’s spaces, time limit 1000 and no reward threshold', () => {
    const env = makeRegistered('UnshapedMountainCarContinuous-v0', UnshapedMountainCarContinuousEnv, 1000, undefined);
    const shaped = make('MountainCarContinuous-v0');
    expect(env.actionSpace).to.deep.equal(shaped.actionSpace);
    expect(env.observationSpace).to.deep.equal(shaped.observationSpace);
    expect(Array.from(env.observationSpace.low)).to.deep.equal([Math.fround(-1.2), Math.fround(-0.07)]);
    expect(env.goalVelocity).to.equal(0);
  });

  it('one step, derived by hand: the float32 state of MountainCarContinuous-v0, reward -1', () => {
    const env = make('UnshapedMountainCarContinuous-v0');
    env.reset({ state: [-0.5, 0] });
    const r = env.step([0.3]);
    const v = 0 + 0.3 * 0.0015 - 0.0025 * Math.cos(3 * -0.5);
    expect(Array.from(env.state)).to.deep.equal([Math.fround(-0.5 + v), Math.fround(v)]);
    expect(r.reward).to.equal(-1);
    expect(r.terminated).to.equal(false);
    expect(Array.from(r.obs)).to.deep.equal(Array.from(env.state));
  });

  it('has exactly MountainCarContinuous-v0’s dynamics (the Gymnasium reference, out-of-range actions included)', () => {
    const env = make('UnshapedMountainCarContinuous-v0');
    const t = ref.mcc_traj;
    env.reset({ state: t.start });
    t.actions.forEach((a, k) => {
      const r = env.step([a]);
      expectClose(env.state, t.states[k]!, STATE_TOL, `step ${k + 1}`);
      expect(r.reward).to.equal(-1);
      expect(r.terminated).to.equal(t.terminated[k]);
    });
  });

  it('clips the force to [-1, 1] and charges nothing for it: action 3 is action 1, -5 is -1', () => {
    const env = make('UnshapedMountainCarContinuous-v0');
    for (const [a, c] of [
      [3, 1],
      [-5, -1],
    ]) {
      env.reset({ state: [-0.5, 0.01] });
      const r = env.step(a!);
      const s = env.state;
      env.reset({ state: [-0.5, 0.01] });
      env.step(c!);
      expect(Array.from(s)).to.deep.equal(Array.from(env.state));
      expect(r.reward).to.equal(-1);
    }
  });

  it('terminates at the goal (position >= 0.45, velocity >= 0) with reward -1 on that step too', () => {
    const env = make('UnshapedMountainCarContinuous-v0');
    env.reset({ state: ref.mcc_goal.start });
    const r = env.step(ref.mcc_goal.actions);
    expectClose(env.state, ref.mcc_goal.states[0]!, STATE_TOL, 'goal state');
    expect(r.terminated).to.equal(true);
    expect(r.truncated).to.equal(false);
    expect(r.reward).to.equal(-1);
    // goalVelocity is honoured like in MountainCarContinuous-v0.
    const strict = make('UnshapedMountainCarContinuous-v0', { goalVelocity: 0.05 });
    strict.reset({ state: ref.mcc_goal.start });
    expect(strict.step(ref.mcc_goal.actions).terminated).to.equal(false);
  });

  it('truncates at exactly step 1000, with return -1000', () => {
    const env = make('UnshapedMountainCarContinuous-v0');
    env.reset({ state: [-0.5, 0] });
    expect(returnOf(expectTruncatesAt(env, 1000, () => [0]))).to.equal(-1000);
  });

  it('resets like MountainCarContinuous-v0 (position U(-0.6, -0.4), velocity 0), reproducibly', () => {
    const env = make('UnshapedMountainCarContinuous-v0');
    const shaped = make('MountainCarContinuous-v0');
    const ps: number[] = [];
    for (let seed = 0; seed < 200; seed++) {
      const { obs } = env.reset({ seed });
      expect(Array.from(obs)).to.deep.equal(Array.from(shaped.reset({ seed }).obs));
      const [p, v] = env.state;
      expect(p).to.be.at.least(-0.6).and.below(-0.4);
      expect(v).to.equal(0);
      ps.push(p!);
    }
    expect(Math.min(...ps)).to.be.below(-0.59);
    expect(Math.max(...ps)).to.be.above(-0.41);
  });
});
