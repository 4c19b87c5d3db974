import { expect } from 'chai';
import { MountainCarContinuousEnv, make } from '../../../sdk/envs/index.js';
import { expectClose } from '../../helpers.js';
import * as ref from './expected_values.js';
import { expectBox, expectTruncatesAt, makeRegistered, replay } from './support.js';

const box = (a: number): number[] => [a];

describe('envs: MountainCarContinuous-v0', () => {
  it('is registered with Gymnasium’s spaces, time limit 999 and reward threshold 90', () => {
    const env = makeRegistered('MountainCarContinuous-v0', MountainCarContinuousEnv, 999, 90);
    expectBox(env.actionSpace, [-1], [1], 'action space');
    expectBox(env.observationSpace, [Math.fround(-1.2), Math.fround(-0.07)], [Math.fround(0.6), Math.fround(0.07)], 'observation space');
  });

  it('one step, derived by hand; the state is stored as float32 like Gymnasium’s np.float32 state', () => {
    const env = make('MountainCarContinuous-v0');
    env.reset({ state: [-0.5, 0] });
    const r = env.step([0.3]);
    const v = 0 + 0.3 * 0.0015 - 0.0025 * Math.cos(3 * -0.5);
    expect(Array.from(env.state)).to.deep.equal([Math.fround(-0.5 + v), Math.fround(v)]);
    expect(r.reward).to.be.closeTo(-0.1 * 0.09, 1e-17);
    expect(Array.from(r.obs)).to.deep.equal(Array.from(env.state));
  });

  it('matches the reference for a 10-step trajectory (including out-of-range actions)', () => {
    replay(make('MountainCarContinuous-v0'), ref.mcc_traj, box);
  });

  it('action 3 moves the car exactly like action 1, but is charged -0.1 * 3^2 = -0.9', () => {
    const env = make('MountainCarContinuous-v0');
    const [r3] = replay(env, ref.mcc_action3, box);
    const s3 = env.state;
    const [r1] = replay(env, ref.mcc_action1, box);
    expect(Array.from(s3)).to.deep.equal(Array.from(env.state));
    expect(Array.from(r3!.obs)).to.deep.equal(Array.from(r1!.obs));
    expect(r3!.reward).to.be.closeTo(-0.9, 1e-15);
    expect(r1!.reward).to.be.closeTo(-0.1, 1e-15);
    // Also below the range: -5 moves like -1 and costs 2.5.
    env.reset({ state: [-0.5, 0.01] });
    const rm5 = env.step(-5);
    const sm5 = env.state;
    env.reset({ state: [-0.5, 0.01] });
    env.step(-1);
    expect(Array.from(sm5)).to.deep.equal(Array.from(env.state));
    expect(rm5.reward).to.be.closeTo(-2.5, 1e-15);
  });

  it('terminates at position >= 0.45 with velocity >= 0: reward 100 - 0.1 a^2 on that step', () => {
    const env = make('MountainCarContinuous-v0');
    const [r] = replay(env, ref.mcc_goal, box);
    expect(r!.terminated).to.equal(true);
    expect(r!.truncated).to.equal(false);
    expect(r!.reward).to.be.closeTo(100 - 0.1 * 0.25, 1e-12);
  });

  it('clips velocity to ±0.07 and stops at the left wall', () => {
    const env = make('MountainCarContinuous-v0');
    replay(env, ref.mcc_velClip, box);
    expect(env.state[1]).to.equal(Math.fround(0.07));
    replay(env, ref.mcc_leftWall, box);
    expect(Array.from(env.state)).to.deep.equal([Math.fround(-1.2), 0]);
  });

  it('truncates at exactly step 999', () => {
    const env = make('MountainCarContinuous-v0');
    env.reset({ state: [-0.5, 0] });
    expectTruncatesAt(env, 999, () => [0]).forEach((r, k) => expect(r.reward, `step ${k + 1} reward`).to.equal(0));
  });

  it('draws the reset position from U(-0.6, -0.4) with velocity 0', () => {
    const env = make('MountainCarContinuous-v0');
    for (let seed = 0; seed < 200; seed++) {
      env.reset({ seed });
      const [p, v] = env.state;
      expect(p).to.be.at.least(-0.6).and.below(-0.4);
      expect(v).to.equal(0);
    }
  });

  it('accepts a bare number for its 1-D action', () => {
    const env = make('MountainCarContinuous-v0');
    env.reset({ state: [-0.5, 0] });
    const a = env.step(0.3);
    env.reset({ state: [-0.5, 0] });
    const b = env.step(new Float32Array([0.3]));
    // Float32Array([0.3]) holds float32(0.3), a different action than the float64 0.3.
    expect(a.reward).to.be.closeTo(-0.009, 1e-17);
    expectClose(b.reward, -0.1 * Math.fround(0.3) ** 2, { rtol: 1e-15 }, 'reward');
  });
});
