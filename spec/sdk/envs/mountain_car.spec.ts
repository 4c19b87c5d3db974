import { expect } from 'chai';
import { MountainCarEnv, make } from '../../../sdk/envs/index.js';
import { expectClose } from '../../helpers.js';
import * as ref from './expected_values.js';
import { STATE_TOL, makeRegistered, replay } from './support.js';

describe('envs: MountainCar-v0', () => {
  it('is registered with Gymnasium’s spaces, time limit 200 and reward threshold -110', () => {
    const env = makeRegistered('MountainCar-v0', MountainCarEnv, 200, -110);
    expect(env.actionSpace).to.deep.equal({ kind: 'discrete', n: 3 });
    expect(Array.from(env.observationSpace.low)).to.deep.equal([Math.fround(-1.2), Math.fround(-0.07)]);
    expect(Array.from(env.observationSpace.high)).to.deep.equal([Math.fround(0.6), Math.fround(0.07)]);
  });

  it('one step, derived by hand: v += (a-1)*0.001 - 0.0025*cos(3p); p += v', () => {
    const env = make('MountainCar-v0');
    env.reset({ state: [-0.3, 0.01] });
    const r = env.step(0);
    const v = 0.01 + (0 - 1) * 0.001 + Math.cos(3 * -0.3) * -0.0025;
    expectClose(env.state, [-0.3 + v, v], STATE_TOL, 'state');
    expect(r.reward).to.equal(-1);
    expect(Array.from(r.obs)).to.deep.equal([Math.fround(-0.3 + v), Math.fround(v)]);
  });

  it('matches the reference for a 10-step trajectory', () => {
    replay(make('MountainCar-v0'), ref.mountaincar_traj);
  });

  it('clips the velocity to ±0.07 before moving the car', () => {
    const env = make('MountainCar-v0');
    replay(env, ref.mountaincar_velClip); // 0.0695 + 0.001 - ~0 would be 0.0705
    expect(env.state[1]).to.equal(0.07);
    expect(env.state[0]).to.equal(-0.5236 + 0.07);
  });

  it('clips the position at the left wall (-1.2) and zeroes a negative velocity there', () => {
    const env = make('MountainCar-v0');
    replay(env, ref.mountaincar_leftWall);
    expect(Array.from(env.state)).to.deep.equal([-1.2, 0]);
  });

  it('keeps a positive velocity at the left wall (only v < 0 is zeroed)', () => {
    const env = make('MountainCar-v0');
    env.reset({ state: [-1.2, 0.0] });
    env.step(2); // cos(-3.6) < 0, so the slope pushes right: v > 0, the car leaves the wall
    expect(env.state[1]).to.be.above(0);
    expect(env.state[0]).to.be.above(-1.2);
  });

  it('terminates at position >= 0.5 with velocity >= 0, reward -1 on that step', () => {
    const env = make('MountainCar-v0');
    const [r] = replay(env, ref.mountaincar_goal);
    expect(r!.terminated).to.equal(true);
    expect(r!.reward).to.equal(-1);
    // goal_velocity: the same crossing does not terminate when the goal needs more speed.
    const strict = make('MountainCar-v0', { goalVelocity: 0.05 });
    strict.reset({ state: [0.49, 0.02] });
    expect(strict.step(2).terminated).to.equal(false);
  });

  it('does not terminate at the goal position with a negative velocity', () => {
    const env = make('MountainCar-v0');
    env.reset({ state: [0.55, -0.001] }); // slope at 0.55 pulls left: v stays < 0
    const r = env.step(1);
    expect(env.state[0]).to.be.at.least(0.5);
    expect(env.state[1]).to.be.below(0);
    expect(r.terminated).to.equal(false);
  });

  it('truncates at exactly step 200', () => {
    const env = make('MountainCar-v0');
    env.reset({ state: ref.mountaincar_valley200.start });
    let ret = 0;
    for (let t = 1; t <= 200; t++) {
      const r = env.step(1);
      ret += r.reward;
      expect(r.terminated).to.equal(false);
      expect(r.truncated).to.equal(t === 200);
    }
    expect(ret).to.equal(-200);
    expectClose(env.state, ref.mountaincar_valley200.finalState, { rtol: 1e-9, atol: 1e-12 }, 'state after 200 steps');
  });

  it('draws the reset position from U(-0.6, -0.4) with velocity 0', () => {
    const env = make('MountainCar-v0');
    const ps: number[] = [];
    for (let seed = 0; seed < 300; seed++) {
      const { obs } = env.reset({ seed });
      const [p, v] = env.state;
      expect(p).to.be.at.least(-0.6).and.below(-0.4);
      expect(v).to.equal(0);
      expect(Array.from(obs)).to.deep.equal([Math.fround(p!), 0]);
      ps.push(p!);
    }
    expect(Math.min(...ps)).to.be.below(-0.59);
    expect(Math.max(...ps)).to.be.above(-0.41);
  });
});
