import { expect } from 'chai';
import { EnvStateError } from '../../../contract/errors.js';
import { CartPoleEnv, FLOAT32_MAX, contains, make } from '../../../sdk/envs/index.js';
import { expectClose, expectThrows } from '../../helpers.js';
import * as ref from './expected_values.js';
import { STATE_TOL, makeRegistered, replay } from './support.js';

describe('envs: CartPole-v1', () => {
  it('is registered with Gymnasium’s spaces, time limit 500 and reward threshold 475', () => {
    const env = makeRegistered('CartPole-v1', CartPoleEnv, 500, 475);
    expect(env.actionSpace).to.deep.equal({ kind: 'discrete', n: 2 });
    const { low, high, shape } = env.observationSpace;
    expect(shape).to.deep.equal([4]);
    // float32(4.8), float32 max, float32(2 * 12°) as np.array(..., dtype=np.float32) stores them.
    expect(Array.from(high)).to.deep.equal([4.800000190734863, 3.4028234663852886e38, 0.41887903213500977, 3.4028234663852886e38]);
    expect(Array.from(low)).to.deep.equal(Array.from(high, (v) => -v));
    expect(high[1]).to.equal(FLOAT32_MAX);
    expect(Math.fround(FLOAT32_MAX)).to.equal(FLOAT32_MAX);
  });

  it('one step from rest, derived by hand from the equations (euler, tau = 0.02)', () => {
    const env = make('CartPole-v1');
    env.reset({ state: [0, 0, 0, 0] });
    const r = env.step(1);
    // sin 0 = 0, cos 0 = 1, force = +10, total mass 1.1, pole mass * half length = 0.05.
    const temp = 10 / 1.1;
    const thetaacc = (0 - 1 * temp) / (0.5 * (4 / 3 - 0.1 / 1.1));
    const xacc = temp - (0.05 * thetaacc) / 1.1;
    // Euler: positions use the OLD velocities (0), velocities get tau * acceleration.
    expectClose(env.state, [0, 0.02 * xacc, 0, 0.02 * thetaacc], STATE_TOL, 'state');
    expect(r.reward).to.equal(1);
    expect(r.terminated).to.equal(false);
    expect(r.truncated).to.equal(false);
    expect(Array.from(r.obs)).to.deep.equal(Array.from(env.state, (v) => Math.fround(v)));
  });

  it('matches the reference for one step and a 10-step trajectory', () => {
    const env = make('CartPole-v1');
    replay(env, { ...ref.cartpole_traj, actions: ref.cartpole_traj.actions.slice(0, 1) });
    replay(env, ref.cartpole_traj);
  });

  it('terminates when |theta| > 12° (strictly), with reward 1 on the terminating step', () => {
    const env = make('CartPole-v1');
    const [r] = replay(env, ref.cartpole_fallTheta); // theta 0.2 -> 0.21 > 0.20944
    expect(r!.reward).to.equal(1);
    expect(r!.terminated).to.equal(true);
    expect(r!.truncated).to.equal(false);
    replay(env, ref.cartpole_justInside); // theta 0.2 -> 0.208: still alive
  });

  it('terminates when |x| > 2.4', () => {
    const env = make('CartPole-v1');
    const [r] = replay(env, ref.cartpole_fallX);
    expect(r!.terminated).to.equal(true);
    expect(env.state[0]).to.be.closeTo(2.41, 1e-15);
    // The observation of a failed state is still inside the observation space (bounds at 2x).
    expect(contains(env.observationSpace, r!.obs)).to.equal(true);
  });

  it('truncates at exactly step 500 when the pole never falls, then requires reset()', () => {
    const env = make('CartPole-v1');
    env.reset({ state: [0, 0, 0, 0] });
    // A bang-bang PD controller keeps |theta| < 0.01 and |x| < 0.01 for 500 steps (checked in Python).
    const policy = (): number => {
      const s = env.state;
      return s[2]! * 10 + s[3]! > 0 ? 1 : 0;
    };
    let ret = 0;
    for (let t = 1; t < 500; t++) {
      const r = env.step(policy());
      ret += r.reward;
      if (r.terminated || r.truncated) throw new Error(`episode ended early at step ${t}`);
    }
    expect(env.elapsedSteps).to.equal(499);
    const last = env.step(policy());
    ret += last.reward;
    expect(last.truncated).to.equal(true);
    expect(last.terminated).to.equal(false);
    expect(ret).to.equal(500);
    expect(ret).to.be.at.least(env.rewardThreshold!);
    expectThrows(() => env.step(0), EnvStateError, /truncated by the time limit at step 500/, /call reset\(\)/);
    env.reset({ seed: 1 });
    expect(env.elapsedSteps).to.equal(0);
    expect(env.step(0).truncated).to.equal(false);
  });

  it('honours maxEpisodeSteps from make()', () => {
    const env = make('CartPole-v1', { maxEpisodeSteps: 3 });
    env.reset({ state: [0, 0, 0, 0] });
    expect([env.step(1).truncated, env.step(0).truncated, env.step(1).truncated]).to.deep.equal([false, false, true]);
  });

  it('draws the reset state uniformly from [-0.05, 0.05)^4', () => {
    const env = new CartPoleEnv();
    const values: number[][] = [[], [], [], []];
    for (let seed = 0; seed < 300; seed++) {
      const { obs } = env.reset({ seed });
      const s = env.state;
      for (let i = 0; i < 4; i++) {
        expect(s[i]).to.be.at.least(-0.05).and.below(0.05);
        expect(obs[i]).to.equal(Math.fround(s[i]!));
        values[i]!.push(s[i]!);
      }
    }
    for (const v of values) {
      expect(Math.min(...v)).to.be.below(-0.045);
      expect(Math.max(...v)).to.be.above(0.045);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      expect(Math.abs(mean)).to.be.below(0.007); // sd of the mean ≈ 0.0017
    }
  });
});
