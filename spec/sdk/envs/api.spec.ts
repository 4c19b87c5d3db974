import { expect } from 'chai';
import { EnvStateError, ShapeError, UnknownNameError, ValueError } from '../../../contract/errors.js';
import { type Env, contains, envOptionKeys, listEnvs, make } from '../../../sdk/envs/index.js';
import { Rng } from '../../../sdk/util/rng.js';
import { expectThrows } from '../../helpers.js';

const CLASSIC_IDS = ['CartPole-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Pendulum-v1', 'Acrobot-v1'];
const RESEARCH_IDS = [
  'Bandit1D-v0',
  'MultimodalBandit-v0',
  'SparsePendulum-v0',
  'ContinuousAcrobot-v0',
  'ContinuousAcrobotShaped-v0',
  'UnshapedMountainCarContinuous-v0',
  'Maze-v0',
];
const IDS = [...CLASSIC_IDS, ...RESEARCH_IDS];
/** Environments whose reset is deterministic: the seed draws nothing, every episode starts alike. */
const FIXED_START = new Set(['Bandit1D-v0', 'MultimodalBandit-v0', 'SparsePendulum-v0', 'ContinuousAcrobot-v0', 'Maze-v0']);
/** One-step bandits: every episode is a single step. */
const ONE_STEP = new Set(['Bandit1D-v0', 'MultimodalBandit-v0']);

/** A random action from a seeded Rng; Box actions are drawn from 1.5x the box to exercise clipping. */
function randomAction(env: Env, rng: Rng): number | number[] {
  const sp = env.actionSpace;
  if (sp.kind === 'discrete') return rng.integer(sp.n);
  return Array.from(sp.low, (lo, i) => rng.uniformRange(1.5 * lo, 1.5 * sp.high[i]!));
}

interface Episode {
  obs: number[][];
  rewards: number[];
  ends: string[];
}

function playEpisode(env: Env, resetSeed: number | undefined, actionSeed: number, maxSteps = 250): Episode {
  const rng = new Rng(actionSeed);
  const ep: Episode = {
    obs: [Array.from(env.reset(resetSeed === undefined ? undefined : { seed: resetSeed }).obs)],
    rewards: [],
    ends: [],
  };
  for (let t = 0; t < maxSteps; t++) {
    const r = env.step(randomAction(env, rng));
    ep.obs.push(Array.from(r.obs));
    ep.rewards.push(r.reward);
    if (r.terminated || r.truncated) {
      ep.ends.push(r.terminated ? 'terminated' : 'truncated');
      break;
    }
  }
  return ep;
}

describe('envs: registry and make()', () => {
  it('lists the five classic-control environments, then the research environments', () => {
    expect(listEnvs()).to.deep.equal(IDS);
  });

  it('rejects an unknown id, naming it, suggesting the right version and listing the valid ids', () => {
    expectThrows(
      () => make('CartPole-v0'),
      UnknownNameError,
      /unknown environment id "CartPole-v0"/,
      /Did you mean "CartPole-v1"\?/,
      /CartPole-v1, MountainCar-v0, MountainCarContinuous-v0, Pendulum-v1, Acrobot-v1/,
    );
    expectThrows(() => make('LunarLander-v2'), UnknownNameError, /"LunarLander-v2"/, /Valid ids \(case-sensitive\): CartPole-v1/);
    expectThrows(() => make('cartpole-v1'), UnknownNameError, /Did you mean "CartPole-v1"/);
    // a typo (not only another version) gets the nearest id
    expectThrows(() => make('CartPol-v1'), UnknownNameError, /unknown environment id "CartPol-v1"\. Did you mean "CartPole-v1"\?/);
    expectThrows(() => make('Pendulm-v1'), UnknownNameError, /Did you mean "Pendulum-v1"\?/);
    const far = (() => {
      try {
        make('LunarLander-v2');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(far).to.not.match(/Did you mean/);
    expectThrows(() => make(42 as unknown as string), ValueError, /must be a string/, /got 42/);
  });

  it('rejects unknown option keys, listing the valid ones for that env', () => {
    expectThrows(
      () => make('Pendulum-v1', { gravity: 9.8 }),
      UnknownNameError,
      /unknown option "gravity"/,
      /Valid options: maxEpisodeSteps, seed, g\./,
    );
    expectThrows(() => make('CartPole-v1', { g: 9.8 }), UnknownNameError, /unknown option "g"/, /maxEpisodeSteps, seed/);
    expect(envOptionKeys('MountainCar-v0')).to.deep.equal(['maxEpisodeSteps', 'seed', 'goalVelocity']);
    // undefined values count as absent
    expect(make('CartPole-v1', { maxEpisodeSteps: undefined }).maxEpisodeSteps).to.equal(500);
  });

  it('validates option values', () => {
    expectThrows(() => make('CartPole-v1', { maxEpisodeSteps: 0 }), ValueError, /maxEpisodeSteps must be a positive integer/, /got 0/);
    expectThrows(() => make('CartPole-v1', { maxEpisodeSteps: 2.5 }), ValueError, /got 2\.5/);
    expect(make('CartPole-v1', { maxEpisodeSteps: Infinity }).maxEpisodeSteps).to.equal(Infinity);
    expectThrows(() => make('Pendulum-v1', { g: NaN }), ValueError, /option g must be a finite number/, /got NaN/);
    expectThrows(() => make('CartPole-v1', { seed: -1 }), ValueError, /option seed must be an integer in \[0, 4294967295\]/, /got -1/);
    expectThrows(() => make('MountainCar-v0', { goalVelocity: '0' }), ValueError, /goalVelocity must be a finite number/, /got "0"/);
  });
});

describe('envs: protocol errors', () => {
  it('step() before reset() throws EnvStateError asking for reset()', () => {
    for (const id of IDS) {
      const env = make(id);
      expectThrows(() => env.step(0), EnvStateError, new RegExp(`${id}: step\\(\\) called before reset\\(\\)`), /call reset\(\) first/);
    }
    expectThrows(() => make('CartPole-v1').state, EnvStateError, /before the first reset\(\)/, /call reset\(\)/);
  });

  it('step() after terminated throws EnvStateError until reset()', () => {
    const env = make('CartPole-v1');
    env.reset({ state: [0, 0, 0.2, 0.5] });
    expect(env.step(1).terminated).to.equal(true);
    expectThrows(
      () => env.step(1),
      EnvStateError,
      /after the episode ended \(terminated at step 1\)/,
      /call reset\(\) to start a new episode/,
    );
    env.reset();
    expect(env.step(1).terminated).to.equal(false);
  });

  it('step() after truncated throws EnvStateError until reset()', () => {
    const env = make('Pendulum-v1', { maxEpisodeSteps: 2 });
    env.reset({ seed: 0 });
    env.step([0]);
    expect(env.step([0]).truncated).to.equal(true);
    expectThrows(() => env.step([0]), EnvStateError, /truncated by the time limit at step 2/, /call reset\(\)/);
  });
});

describe('envs: action validation', () => {
  it('discrete actions must be integers in [0, n): never clipped or rounded', () => {
    const env = make('CartPole-v1');
    env.reset({ seed: 0 });
    expectThrows(
      () => env.step(2),
      ValueError,
      /CartPole-v1: action must be an integer in \[0, 2\) for Discrete\(2\)/,
      /got 2/,
      /never clipped/,
      /pass one of 0, 1/,
    );
    expectThrows(() => env.step(-1), ValueError, /got -1/);
    expectThrows(() => env.step(0.5), ValueError, /got 0\.5/);
    const mc = make('MountainCar-v0');
    mc.reset({ seed: 0 });
    expectThrows(() => mc.step(3), ValueError, /\[0, 3\)/, /got 3/, /0, 1, 2/);
  });

  it('NaN / Infinity actions are ValueErrors naming the bad value', () => {
    const cp = make('CartPole-v1');
    cp.reset({ seed: 0 });
    expectThrows(() => cp.step(NaN), ValueError, /must be a finite integer/, /got NaN/, /NaN\/Infinity/);
    expectThrows(() => cp.step(Infinity), ValueError, /got Infinity/);
    const pe = make('Pendulum-v1');
    pe.reset({ seed: 0 });
    expectThrows(() => pe.step([NaN]), ValueError, /Pendulum-v1: action\[0\] must be a finite number/, /got NaN/);
    expectThrows(() => pe.step(-Infinity), ValueError, /got -Infinity/);
  });

  it('wrong types are ValueErrors; wrong lengths are ShapeErrors', () => {
    const cp = make('CartPole-v1');
    cp.reset({ seed: 0 });
    expectThrows(() => cp.step('1' as unknown as number), ValueError, /got "1" \(type string\)/);
    expectThrows(() => cp.step(null as unknown as number), ValueError, /got null/);
    expectThrows(() => cp.step([0, 1]), ShapeError, /must be one integer \(or an array of length 1\)/, /got length 2/);
    cp.step([1]); // a length-1 array is accepted for a Discrete action
    const mcc = make('MountainCarContinuous-v0');
    mcc.reset({ seed: 0 });
    expectThrows(
      () => mcc.step([0.1, 0.2]),
      ShapeError,
      /MountainCarContinuous-v0: action must have length 1/,
      /got length 2/,
      /\[0\.1, 0\.2\]/,
    );
    expectThrows(() => mcc.step([]), ShapeError, /got length 0/);
    expectThrows(() => mcc.step(['a'] as unknown as number[]), ValueError, /action\[0\] must be a finite number/, /got "a"/);
  });

  it('a rejected action leaves the environment untouched', () => {
    const env = make('Acrobot-v1');
    env.reset({ seed: 5 });
    env.step(0);
    const before = env.state;
    expectThrows(() => env.step(7), ValueError, /got 7/);
    expect(env.elapsedSteps).to.equal(1);
    expect(Array.from(env.state)).to.deep.equal(Array.from(before));
    env.step(2); // still usable
    expect(env.elapsedSteps).to.equal(2);
  });
});

describe('envs: reset()', () => {
  it('reset({ state }) validates length and finiteness, naming the state layout', () => {
    const env = make('CartPole-v1');
    expectThrows(() => env.reset({ state: [0, 0, 0] }), ShapeError, /needs 4 values \[x, x_dot, theta, theta_dot\]/, /got length 3/);
    expectThrows(() => env.reset({ state: [0, NaN, 0, 0] }), ValueError, /state\[1\] \(x_dot\) must be a finite number/, /got NaN/);
    expectThrows(() => make('Pendulum-v1').reset({ state: [0, Infinity] }), ValueError, /state\[1\] \(theta_dot\)/, /got Infinity/);
    expectThrows(() => make('Acrobot-v1').reset({ state: [1, 2] }), ShapeError, /\[theta1, theta2, dtheta1, dtheta2\]/);
    expectThrows(() => make('MountainCar-v0').reset({ state: 3 as unknown as number[] }), ValueError, /\[position, velocity\]/, /got 3/);
  });

  it('reset() rejects bad seeds and unknown options', () => {
    const env = make('CartPole-v1');
    expectThrows(() => env.reset({ seed: -1 }), ValueError, /reset\(\{ seed \}\) must be an integer in \[0, 4294967295\]/, /got -1/);
    expectThrows(() => env.reset({ seed: 1.5 }), ValueError, /got 1\.5/);
    expectThrows(() => env.reset({ low: -0.1 } as never), UnknownNameError, /unknown option "low"/, /Valid options: seed, state/);
  });

  it('reset({ state }) sets the exact state; state returns a copy', () => {
    const env = make('CartPole-v1');
    const s0 = [0.1, -0.2, 0.03, 0.4];
    const { obs, info } = env.reset({ state: s0 });
    expect(Array.from(env.state)).to.deep.equal(s0);
    expect(Array.from(obs)).to.deep.equal(s0.map(Math.fround));
    expect(info).to.deep.equal({});
    const copy = env.state;
    copy[0] = 99;
    expect(env.state[0]).to.equal(0.1);
    expect(env.elapsedSteps).to.equal(0);
  });

  it('reset() without a seed continues the stream; reset({ seed }) restarts it', () => {
    for (const id of IDS) {
      const a = make(id);
      const a1 = Array.from(a.reset({ seed: 11 }).obs);
      const a2 = Array.from(a.reset().obs);
      const b = make(id);
      expect(Array.from(b.reset({ seed: 11 }).obs)).to.deep.equal(a1);
      expect(Array.from(b.reset().obs)).to.deep.equal(a2);
      if (FIXED_START.has(id)) expect(a2, id).to.deep.equal(a1);
      else expect(a2, id).to.not.deep.equal(a1);
      // make(id, { seed }) then reset() is the same stream as reset({ seed }).
      expect(Array.from(make(id, { seed: 11 }).reset().obs)).to.deep.equal(a1);
    }
  });

  it('unseeded environments start from different (Math.random) seeds', () => {
    const firsts = new Set(Array.from({ length: 5 }, () => make('CartPole-v1').reset().obs.join(',')));
    expect(firsts.size).to.equal(5);
  });
});

describe('envs: determinism and float32 observations', () => {
  it('the same seed and the same seeded actions give the identical episode; other seeds differ', () => {
    for (const id of IDS) {
      const e1 = playEpisode(make(id), 2024, 7);
      const e2 = playEpisode(make(id), 2024, 7);
      expect(e1, id).to.deep.equal(e2);
      if (ONE_STEP.has(id)) expect(e1.rewards.length, id).to.equal(1);
      else expect(e1.rewards.length, id).to.be.above(5);
      const e3 = playEpisode(make(id), 2025, 7);
      if (FIXED_START.has(id)) expect(e3, id).to.deep.equal(e1);
      else expect(e3.obs[0], id).to.not.deep.equal(e1.obs[0]);
    }
  });

  it('observations are Float32Array values rounded from the float64 state, inside the observation space', () => {
    const derive: Record<string, (s: Float64Array) => number[]> = {
      'CartPole-v1': (s) => Array.from(s),
      'MountainCar-v0': (s) => Array.from(s),
      'MountainCarContinuous-v0': (s) => Array.from(s),
      'Pendulum-v1': (s) => [Math.cos(s[0]!), Math.sin(s[0]!), s[1]!],
      'Acrobot-v1': (s) => [Math.cos(s[0]!), Math.sin(s[0]!), Math.cos(s[1]!), Math.sin(s[1]!), s[2]!, s[3]!],
      'Bandit1D-v0': () => [0],
      'MultimodalBandit-v0': () => [0],
      'SparsePendulum-v0': (s) => [Math.cos(s[0]!), Math.sin(s[0]!), s[1]!],
      'ContinuousAcrobot-v0': (s) => [Math.cos(s[0]!), Math.sin(s[0]!), Math.cos(s[1]!), Math.sin(s[1]!), s[2]!, s[3]!],
      'ContinuousAcrobotShaped-v0': (s) => [Math.cos(s[0]!), Math.sin(s[0]!), Math.cos(s[1]!), Math.sin(s[1]!), s[2]!, s[3]!],
      'UnshapedMountainCarContinuous-v0': (s) => Array.from(s),
      'Maze-v0': (s) => Array.from(s),
    };
    for (const id of IDS) {
      const env = make(id);
      const rng = new Rng(99);
      let obs = env.reset({ seed: 99 }).obs;
      let rounded = 0;
      for (let t = 0; t < 60; t++) {
        expect(obs).to.be.instanceOf(Float32Array);
        const exact = derive[id]!(env.state);
        expect(Array.from(obs), `${id} step ${t}`).to.deep.equal(exact.map(Math.fround));
        if (exact.some((v, i) => v !== obs[i])) rounded++;
        expect(contains(env.observationSpace, obs), `${id} obs in space at step ${t}`).to.equal(true);
        const r = env.step(randomAction(env, rng));
        obs = r.obs;
        if (r.terminated || r.truncated) obs = env.reset().obs;
      }
      // The float64 state really is float64: rounding to float32 changes the values
      // (MountainCarContinuous keeps a float32 state, like Gymnasium, so its obs are exact;
      // the bandits' observation is the constant [0]).
      if (id === 'MountainCarContinuous-v0' || id === 'UnshapedMountainCarContinuous-v0') expect(rounded, id).to.be.at.most(1);
      else if (ONE_STEP.has(id)) expect(rounded, id).to.equal(0);
      else expect(rounded, id).to.be.above(30);
    }
  });
});
