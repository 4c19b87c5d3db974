import { expect } from 'chai';
import { PendulumEnv, angleNormalize, make } from '../../../sdk/envs/index.js';
import { expectClose } from '../../helpers.js';
import * as ref from './expected_values.js';
import { STATE_TOL, expectBox, expectTruncatesAt, makeRegistered, replay } from './support.js';

const box = (a: number): number[] => [a];

describe('envs: Pendulum-v1', () => {
  it('is registered with Gymnasium’s spaces, time limit 200 and no reward threshold', () => {
    const env = makeRegistered('Pendulum-v1', PendulumEnv, 200, undefined);
    expect(env.g).to.equal(10);
    expectBox(env.observationSpace, [-1, -1, -8], [1, 1, 8], 'observation space');
    expectBox(env.actionSpace, [-2], [2], 'action space');
  });

  it('one step, derived by hand from Gymnasium’s equations', () => {
    const env = make('Pendulum-v1');
    env.reset({ state: [0.5, -0.3] });
    const r = env.step([1]);
    const thdot = -0.3 + (((3 * 10) / 2) * Math.sin(0.5) + 3 * 1) * 0.05;
    expectClose(env.state, [0.5 + thdot * 0.05, thdot], STATE_TOL, 'state');
    expectClose(r.reward, -(0.5 ** 2 + 0.1 * 0.09 + 0.001 * 1), { rtol: 1e-15 }, 'reward');
    expect(r.terminated).to.equal(false);
  });

  it('matches the reference for a 10-step trajectory (including out-of-range torques)', () => {
    replay(make('Pendulum-v1'), ref.pendulum_traj, box);
  });

  it('treats torque 5 exactly as torque 2, reward included', () => {
    const env = make('Pendulum-v1');
    const [r5] = replay(env, ref.pendulum_torque5, box);
    const s5 = env.state;
    const [r2] = replay(env, ref.pendulum_torque2, box);
    expect(Array.from(s5)).to.deep.equal(Array.from(env.state));
    expect(r5!.reward).to.equal(r2!.reward);
    // -(1^2 + 0.1 * 0.5^2 + 0.001 * 2^2): the CLIPPED torque is charged, not 0.001 * 25.
    expect(r5!.reward).to.be.closeTo(-1.029, 1e-15);
  });

  it('clips the angular velocity to ±8', () => {
    const env = make('Pendulum-v1');
    const [r] = replay(env, ref.pendulum_velClip, box);
    expect(env.state[1]).to.equal(8);
    expect(r!.obs[2]).to.equal(8);
  });

  it('charges angle_normalize(theta)^2, with the floored modulo, and never wraps theta itself', () => {
    const env = make('Pendulum-v1');
    const [rp] = replay(env, ref.pendulum_normalizePos, box);
    expect(rp!.reward).to.be.closeTo(-((7 - 2 * Math.PI) ** 2), 1e-12);
    expect(env.state[0]).to.be.above(7); // theta keeps growing past 2π
    const [rn] = replay(env, ref.pendulum_normalizeNeg, box);
    expect(rn!.reward).to.be.closeTo(-((2 * Math.PI - 4) ** 2 + 0.1), 1e-12);
    expect(angleNormalize(-4)).to.be.closeTo(2 * Math.PI - 4, 1e-15);
    expect(angleNormalize(Math.PI)).to.be.closeTo(-Math.PI, 1e-15); // [-π, π)
    expect(angleNormalize(-Math.PI)).to.be.closeTo(-Math.PI, 1e-15);
    expect(angleNormalize(0)).to.equal(0);
  });

  it('uses option g', () => {
    const env = make('Pendulum-v1', { g: 9.81 });
    expect((env as PendulumEnv).g).to.equal(9.81);
    replay(env, ref.pendulum_g981, box);
  });

  it('never terminates and truncates at exactly step 200', () => {
    const env = make('Pendulum-v1');
    env.reset({ seed: 3 });
    expectTruncatesAt(env, 200, () => [2]);
  });

  it('draws theta from U(-π, π) and theta_dot from U(-1, 1)', () => {
    const env = make('Pendulum-v1');
    const th: number[] = [];
    const thd: number[] = [];
    for (let seed = 0; seed < 400; seed++) {
      const { obs } = env.reset({ seed });
      const [a, b] = env.state;
      expect(a).to.be.at.least(-Math.PI).and.below(Math.PI);
      expect(b).to.be.at.least(-1).and.below(1);
      expect(Array.from(obs)).to.deep.equal([Math.fround(Math.cos(a!)), Math.fround(Math.sin(a!)), Math.fround(b!)]);
      th.push(a!);
      thd.push(b!);
    }
    expect(Math.min(...th)).to.be.below(-3);
    expect(Math.max(...th)).to.be.above(3);
    expect(Math.min(...thd)).to.be.below(-0.95);
    expect(Math.max(...thd)).to.be.above(0.95);
  });
});
