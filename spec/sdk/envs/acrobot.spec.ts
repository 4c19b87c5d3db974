import { expect } from 'chai';
import { AcrobotEnv, contains, make } from '../../../sdk/envs/index.js';
import { expectClose } from '../../helpers.js';
import * as ref from './expected_values.js';
import { makeRegistered, replay } from './support.js';

describe('envs: Acrobot-v1', () => {
  it('is registered with Gymnasium’s spaces, time limit 500 and reward threshold -100', () => {
    const env = makeRegistered('Acrobot-v1', AcrobotEnv, 500, -100);
    expect(env.actionSpace).to.deep.equal({ kind: 'discrete', n: 3 });
    // [1, 1, 1, 1, 4π, 9π] as float32.
    expect(Array.from(env.observationSpace.high)).to.deep.equal([1, 1, 1, 1, 12.566370964050293, 28.274333953857422]);
    expect(Array.from(env.observationSpace.high)).to.deep.equal([1, 1, 1, 1, Math.fround(4 * Math.PI), Math.fround(9 * Math.PI)]);
    expect(Array.from(env.observationSpace.low)).to.deep.equal(Array.from(env.observationSpace.high, (v) => -v));
  });

  it('matches the reference (book dynamics, one RK4 step over dt = 0.2) for one step and 10 steps', () => {
    const env = make('Acrobot-v1');
    replay(env, { ...ref.acrobot_traj, actions: ref.acrobot_traj.actions.slice(0, 1) });
    replay(env, ref.acrobot_traj, undefined, { rtol: 1e-10, atol: 1e-12 });
  });

  it('observation is [cos θ1, sin θ1, cos θ2, sin θ2, dθ1, dθ2] rounded to float32', () => {
    const env = make('Acrobot-v1');
    env.reset({ state: [0.3, -1.2, 0.5, -2] });
    const { obs } = env.step(2);
    const s = env.state;
    const expected = [Math.cos(s[0]!), Math.sin(s[0]!), Math.cos(s[1]!), Math.sin(s[1]!), s[2]!, s[3]!];
    expect(Array.from(obs)).to.deep.equal(expected.map(Math.fround));
  });

  it('stays at rest hanging down with zero torque (action 1)', () => {
    const env = make('Acrobot-v1');
    env.reset({ state: [0, 0, 0, 0] });
    const r = env.step(1);
    expectClose(env.state, [0, 0, 0, 0], { atol: 1e-14 }, 'state');
    expect(r.reward).to.equal(-1);
  });

  it('terminates with reward 0 when -cos(θ1) - cos(θ1 + θ2) > 1', () => {
    const env = make('Acrobot-v1');
    const [r] = replay(env, ref.acrobot_terminal);
    expect(r!.terminated).to.equal(true);
    expect(r!.reward).to.equal(0);
    const s = env.state;
    expect(-Math.cos(s[0]!) - Math.cos(s[1]! + s[0]!)).to.be.above(1);
  });

  it('wraps angles into [-π, π]', () => {
    const env = make('Acrobot-v1');
    replay(env, ref.acrobot_wrap); // θ1 = 3.1 moving at +2 rad/s crosses π and wraps to ≈ -2.77
    expect(env.state[0]).to.be.within(-Math.PI, Math.PI);
    expect(env.state[0]).to.be.below(-2.7);
  });

  it('bounds the velocities to ±4π and ±9π; the float32 observation stays inside the space', () => {
    const env = make('Acrobot-v1');
    const [r1] = replay(env, ref.acrobot_boundVel1);
    expect(env.state[2]).to.equal(4 * Math.PI);
    expect(r1!.obs[4]).to.equal(env.observationSpace.high[4]);
    expect(contains(env.observationSpace, r1!.obs)).to.equal(true);
    const [r2] = replay(env, ref.acrobot_boundVel2);
    expect(env.state[2]).to.equal(-4 * Math.PI);
    expect(env.state[3]).to.equal(9 * Math.PI);
    expect(r2!.obs[5]).to.equal(env.observationSpace.high[5]);
    expect(contains(env.observationSpace, r2!.obs)).to.equal(true);
  });

  it('truncates at step 500 when hanging still', () => {
    const env = make('Acrobot-v1');
    env.reset({ state: [0, 0, 0, 0] });
    for (let t = 1; t <= 500; t++) {
      const r = env.step(1);
      expect(r.terminated).to.equal(false);
      expect(r.truncated).to.equal(t === 500);
    }
  });

  it('draws the reset state from U(-0.1, 0.1)^4 cast to float32, as Gymnasium does', () => {
    const env = make('Acrobot-v1');
    const b = Math.fround(0.1);
    let min = Infinity;
    let max = -Infinity;
    for (let seed = 0; seed < 300; seed++) {
      const { obs } = env.reset({ seed });
      const s = env.state;
      for (let i = 0; i < 4; i++) {
        expect(Math.fround(s[i]!)).to.equal(s[i]); // float32-representable
        expect(s[i]).to.be.within(-b, b);
        min = Math.min(min, s[i]!);
        max = Math.max(max, s[i]!);
      }
      expect(obs[0]).to.equal(Math.fround(Math.cos(s[0]!)));
      expect(obs[5]).to.equal(s[3]);
    }
    expect(min).to.be.below(-0.095);
    expect(max).to.be.above(0.095);
  });
});
