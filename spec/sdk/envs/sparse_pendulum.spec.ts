import { expect } from 'chai';
import { SPARSE_PENDULUM_ANGLE, SparsePendulumEnv, make, sparsePendulumReward } from '../../../sdk/envs/index.js';
import { expectClose } from '../../helpers.js';
import * as ref from './expected_values.js';
import { STATE_TOL, expectBox, expectTruncatesAt, makeRegistered } from './support.js';

describe('envs: SparsePendulum-v0', () => {
  it('is registered with Pendulum-v1’s spaces, time limit 1000 and no reward threshold', () => {
    const env = makeRegistered('SparsePendulum-v0', SparsePendulumEnv, 1000, undefined);
    expect(env.g).to.equal(10);
    expectBox(env.observationSpace, [-1, -1, -8], [1, 1, 8], 'observation space');
    expectBox(env.actionSpace, [-2], [2], 'action space');
  });

  it('starts hanging down at rest, whatever the seed', () => {
    const env = make('SparsePendulum-v0');
    for (const seed of [0, 1, 99]) {
      const { obs } = env.reset({ seed });
      expect(Array.from(env.state)).to.deep.equal([Math.PI, 0]);
      expect(Array.from(obs)).to.deep.equal([Math.fround(Math.cos(Math.PI)), Math.fround(Math.sin(Math.PI)), 0]);
    }
  });

  it('one step, derived by hand: Pendulum-v1’s physics, reward 1 near upright', () => {
    const env = make('SparsePendulum-v0');
    env.reset({ state: [0.1, 0.5] });
    const r = env.step([1]);
    const thdot = 0.5 + (((3 * 10) / 2) * Math.sin(0.1) + 3 * 1) * 0.05;
    expectClose(env.state, [0.1 + thdot * 0.05, thdot], STATE_TOL, 'state');
    expect(r.reward).to.equal(1);
    expect(r.terminated).to.equal(false);
    expect(Array.from(r.obs)).to.deep.equal([Math.cos(env.state[0]!), Math.sin(env.state[0]!), env.state[1]!].map(Math.fround));
    // Hanging down: reward 0.
    env.reset();
    expect(env.step([2]).reward).to.equal(0);
  });

  it('has exactly Pendulum-v1’s dynamics (the Gymnasium reference trajectory, out-of-range torques included)', () => {
    const env = make('SparsePendulum-v0');
    env.reset({ state: ref.pendulum_traj.start });
    ref.pendulum_traj.actions.forEach((a, k) => {
      const r = env.step([a]);
      expectClose(env.state, ref.pendulum_traj.states[k]!, STATE_TOL, `step ${k + 1}`);
      expect(r.reward).to.equal(sparsePendulumReward(env.state[0]!));
    });
    const g = make('SparsePendulum-v0', { g: 9.81 });
    expect((g as SparsePendulumEnv).g).to.equal(9.81);
    g.reset({ state: ref.pendulum_g981.start });
    g.step([ref.pendulum_g981.actions[0]!]);
    expectClose(g.state, ref.pendulum_g981.states[0]!, STATE_TOL, 'g = 9.81');
  });

  it('clips the torque to ±2: torque 5 is torque 2, -7 is -2', () => {
    const env = make('SparsePendulum-v0');
    for (const [a, c] of [
      [5, 2],
      [-7, -2],
    ]) {
      env.reset({ state: [0.2, -0.4] });
      const r = env.step([a!]);
      const s = env.state;
      env.reset({ state: [0.2, -0.4] });
      const rc = env.step([c!]);
      expect(Array.from(s)).to.deep.equal(Array.from(env.state));
      expect(r.reward).to.equal(rc.reward);
    }
  });

  it('rewards the angle AFTER the step, with |angle_normalize(θ)| < π/12', () => {
    expect(SPARSE_PENDULUM_ANGLE).to.equal(Math.PI / 12);
    const env = make('SparsePendulum-v0');
    // Inside before, outside after (0.25 + 8 * 0.05 = 0.65): 0.
    env.reset({ state: [0.25, 8] });
    expect(env.step([0]).reward).to.equal(0);
    // Outside before, inside after (0.3 - 8 * 0.05 = -0.1): 1.
    env.reset({ state: [0.3, -8] });
    expect(env.step([0]).reward).to.equal(1);
    expect(sparsePendulumReward(Math.PI / 12 - 1e-9)).to.equal(1);
    expect(sparsePendulumReward(Math.PI / 12 + 1e-9)).to.equal(0);
    expect(sparsePendulumReward(-Math.PI / 12 + 1e-9)).to.equal(1);
    expect(sparsePendulumReward(2 * Math.PI + 0.1)).to.equal(1); // θ is never wrapped; the test normalizes it
    expect(sparsePendulumReward(-4 * Math.PI - 0.1)).to.equal(1);
    expect(sparsePendulumReward(Math.PI)).to.equal(0);
  });

  it('never terminates and truncates at exactly step 1000', () => {
    const env = make('SparsePendulum-v0');
    env.reset({ seed: 3 });
    expectTruncatesAt(env, 1000, (t) => [t % 7 < 3 ? 2 : -2]);
  });

  it('the same seed and actions give the identical episode', () => {
    const run = (): number[] => {
      const env = make('SparsePendulum-v0', { seed: 8 });
      env.reset();
      const out: number[] = [];
      for (let t = 0; t < 300; t++) {
        const r = env.step([Math.sin(t / 5) * 3]);
        out.push(r.reward, ...r.obs);
      }
      return out;
    };
    const a = run();
    expect(a).to.deep.equal(run());
  });
});
