import { expect } from 'chai';
import { ContinuousAcrobotEnv, ContinuousAcrobotShapedEnv, type Env, make } from '../../../sdk/envs/index.js';
import { expectClose } from '../../helpers.js';
import * as ref from './expected_values.js';
import { STATE_TOL, expectBox, expectTruncatesAt, replay, returnOf } from './support.js';

/** Gymnasium's Acrobot step, transcribed independently (book dynamics, rk4 over [0, 0.2]). */
function gymAcrobotStep(s: number[], torque: number): number[] {
  const [m1, m2, l1, lc1, lc2, I1, I2, g] = [1, 1, 1, 0.5, 0.5, 1, 1, 9.8];
  const dsdt = (y: number[]): number[] => {
    const [t1, t2, dt1, dt2, a] = y as [number, number, number, number, number];
    const d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * Math.cos(t2)) + I1 + I2;
    const d2 = m2 * (lc2 ** 2 + l1 * lc2 * Math.cos(t2)) + I2;
    const phi2 = m2 * lc2 * g * Math.cos(t1 + t2 - Math.PI / 2);
    const phi1 =
      -m2 * l1 * lc2 * dt2 ** 2 * Math.sin(t2) -
      2 * m2 * l1 * lc2 * dt2 * dt1 * Math.sin(t2) +
      (m1 * lc1 + m2 * l1) * g * Math.cos(t1 - Math.PI / 2) +
      phi2;
    const ddt2 = (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dt1 ** 2 * Math.sin(t2) - phi2) / (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1);
    const ddt1 = -(d2 * ddt2 + phi1) / d1;
    return [dt1, dt2, ddt1, ddt2, 0];
  };
  const y0 = [...s, torque];
  const add = (y: number[], k: number[], h: number): number[] => y.map((v, i) => v + h * k[i]!);
  const k1 = dsdt(y0);
  const k2 = dsdt(add(y0, k1, 0.1));
  const k3 = dsdt(add(y0, k2, 0.1));
  const k4 = dsdt(add(y0, k3, 0.2));
  const ns = y0.slice(0, 4).map((v, i) => v + (0.2 / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!));
  const wrap = (x: number): number => {
    while (x > Math.PI) x -= 2 * Math.PI;
    while (x < -Math.PI) x += 2 * Math.PI;
    return x;
  };
  const bound = (x: number, m: number): number => Math.min(Math.max(x, -m), m);
  return [wrap(ns[0]!), wrap(ns[1]!), bound(ns[2]!, 4 * Math.PI), bound(ns[3]!, 9 * Math.PI)];
}

const toTorque = (a: number): number[] => [a - 1]; // Acrobot-v1's discrete 0, 1, 2 = torque -1, 0, +1

describe('envs: ContinuousAcrobot-v0 and ContinuousAcrobotShaped-v0', () => {
  it('are registered with a Box([-1], [1]) torque, Acrobot-v1’s observation space and their limits', () => {
    const discrete = make('Acrobot-v1');
    const u = make('ContinuousAcrobot-v0');
    const s = make('ContinuousAcrobotShaped-v0');
    expect(u).to.be.instanceOf(ContinuousAcrobotEnv);
    expect(s).to.be.instanceOf(ContinuousAcrobotShapedEnv);
    for (const env of [u, s]) {
      expect(env.observationSpace).to.deep.equal(discrete.observationSpace);
      expectBox(env.actionSpace, [-1], [1], `${env.id} action space`);
    }
    expect(u.maxEpisodeSteps).to.equal(1000);
    expect(u.rewardThreshold).to.equal(undefined);
    expect(s.maxEpisodeSteps).to.equal(500);
    expect(s.rewardThreshold).to.equal(-100);
  });

  it('torques -1, 0, +1 reproduce Acrobot-v1’s Gymnasium reference trajectory', () => {
    replay(make('ContinuousAcrobotShaped-v0'), ref.acrobot_traj, toTorque, { rtol: 1e-10, atol: 1e-12 });
    replay(make('ContinuousAcrobot-v0'), ref.acrobot_traj, toTorque, { rtol: 1e-10, atol: 1e-12 });
  });

  it('one step with a fractional torque, against an independent transcription of Gymnasium’s step', () => {
    for (const id of ['ContinuousAcrobot-v0', 'ContinuousAcrobotShaped-v0']) {
      const env = make(id);
      const s0 = [0.3, -1.2, 0.5, -2];
      env.reset({ state: s0 });
      const r = env.step([0.37]);
      expectClose(env.state, gymAcrobotStep(s0, 0.37), STATE_TOL, `${id} state`);
      const s = env.state;
      expect(Array.from(r.obs)).to.deep.equal(
        [Math.cos(s[0]!), Math.sin(s[0]!), Math.cos(s[1]!), Math.sin(s[1]!), s[2]!, s[3]!].map(Math.fround),
      );
      expect(r.reward).to.equal(-1);
      expect(r.terminated).to.equal(false);
    }
  });

  it('clips the torque to [-1, 1] inside the dynamics: 3 is 1, -2.5 is -1', () => {
    for (const id of ['ContinuousAcrobot-v0', 'ContinuousAcrobotShaped-v0']) {
      const env = make(id);
      for (const [a, c] of [
        [3, 1],
        [-2.5, -1],
      ]) {
        env.reset({ state: [0.1, 0.2, -0.3, 0.4] });
        const r = env.step([a!]);
        const s = env.state;
        env.reset({ state: [0.1, 0.2, -0.3, 0.4] });
        const rc = env.step([c!]);
        expect(Array.from(s), `${id} action ${a}`).to.deep.equal(Array.from(env.state));
        expect(r.reward).to.equal(rc.reward);
      }
    }
  });

  it('terminate when the tip passes the line: reward -1 (unshaped) vs 0 (shaped, Acrobot-v1’s)', () => {
    const t = ref.acrobot_terminal;
    const u = make('ContinuousAcrobot-v0');
    u.reset({ state: t.start });
    const ru = u.step(toTorque(t.actions[0]!));
    expectClose(u.state, t.states[0]!, STATE_TOL, 'unshaped');
    expect(ru.terminated).to.equal(true);
    expect(ru.truncated).to.equal(false);
    expect(ru.reward).to.equal(-1);
    const [rs] = replay(make('ContinuousAcrobotShaped-v0'), t, toTorque);
    expect(rs!.terminated).to.equal(true);
    expect(rs!.reward).to.equal(0);
  });

  it('ContinuousAcrobot-v0 starts at rest at the bottom, whatever the seed, and stays there with zero torque', () => {
    const env = make('ContinuousAcrobot-v0');
    for (const seed of [0, 1, 77]) {
      const { obs } = env.reset({ seed });
      expect(Array.from(env.state)).to.deep.equal([0, 0, 0, 0]);
      expect(Array.from(obs)).to.deep.equal([1, 0, 1, 0, 0, 0]);
    }
    const ret = returnOf(expectTruncatesAt(env, 1000, () => [0]));
    expectClose(env.state, [0, 0, 0, 0], { atol: 1e-12 }, 'still hanging');
    expect(ret).to.equal(-1000);
  });

  it('ContinuousAcrobotShaped-v0 resets like Acrobot-v1 (U(-0.1, 0.1)^4 as float32) and truncates at 500', () => {
    const env = make('ContinuousAcrobotShaped-v0');
    const discrete = make('Acrobot-v1');
    for (let seed = 0; seed < 50; seed++) {
      env.reset({ seed });
      discrete.reset({ seed });
      expect(Array.from(env.state)).to.deep.equal(Array.from(discrete.state));
      for (const v of env.state) {
        expect(Math.fround(v)).to.equal(v);
        expect(Math.abs(v)).to.be.at.most(Math.fround(0.1));
      }
    }
    env.reset({ state: [0, 0, 0, 0] });
    for (let t = 1; t <= 500; t++) {
      const r = env.step([0]);
      expect(r.reward).to.equal(-1);
      expect(r.truncated).to.equal(t === 500);
    }
  });

  it('a swinging policy reaches the line and terminates (unshaped)', () => {
    // Bang-bang pumping: torque in the direction of the elbow's velocity dθ2.
    const env: Env = make('ContinuousAcrobot-v0');
    env.reset();
    let steps = 0;
    let r;
    do {
      const s = env.state;
      r = env.step([s[3]! >= 0 ? 1 : -1]);
      steps++;
    } while (!r.terminated && !r.truncated);
    expect(r.terminated, `after ${steps} steps`).to.equal(true);
    expect(steps).to.be.below(100);
    expect(r.reward).to.equal(-1);
  });

  it('the same seed and actions give the identical episode', () => {
    const run = (id: string): number[] => {
      const env = make(id, { seed: 21 });
      env.reset();
      const out: number[] = [];
      for (let t = 0; t < 200; t++) {
        const r = env.step([Math.sin(t / 3) * 1.5]);
        out.push(r.reward, ...r.obs);
        if (r.terminated || r.truncated) break;
      }
      return out;
    };
    for (const id of ['ContinuousAcrobot-v0', 'ContinuousAcrobotShaped-v0']) expect(run(id)).to.deep.equal(run(id));
  });
});
