import { expect } from 'chai';
import { EnvStateError, ShapeError, UnknownNameError, ValueError } from '../../../contract/errors.js';
import { type Env, VecEnv, deriveSeeds, make, makeVec } from '../../../sdk/envs/index.js';
import { Rng } from '../../../sdk/util/rng.js';
import { expectThrows } from '../../helpers.js';

function row(obs: Float32Array, i: number, d: number): number[] {
  return Array.from(obs.subarray(i * d, (i + 1) * d));
}

function randomActions(vec: VecEnv, rng: Rng): number[] {
  const sp = vec.actionSpace;
  const out: number[] = [];
  for (let i = 0; i < vec.numEnvs; i++) {
    if (sp.kind === 'discrete') out.push(rng.integer(sp.n));
    else for (let j = 0; j < sp.low.length; j++) out.push(rng.uniformRange(sp.low[j]!, sp.high[j]!));
  }
  return out;
}

/**
 * Steps `vec` with seeded random actions and, in parallel, n independent single envs built from
 * the documented seed derivation, reset by hand when they end. Checks every field of every step.
 */
function checkAgainstSingles(id: string, n: number, seed: number, steps: number, options: Record<string, unknown> = {}) {
  const vec = makeVec(id, n, { seed, ...options });
  const seeds = deriveSeeds(seed, n);
  const singles: Env[] = seeds.map((s) => make(id, { ...options, seed: s }));
  const d = vec.obsDim;
  const ad = vec.actionDim;
  const first = vec.reset().obs;
  singles.forEach((e, i) => expect(row(first, i, d)).to.deep.equal(Array.from(e.reset().obs)));
  const rng = new Rng(seed + 1);
  const episodes = new Array(n).fill(0);
  const lengths: number[] = [];
  const current = new Array(n).fill(0);
  for (let t = 1; t <= steps; t++) {
    const actions = randomActions(vec, rng);
    const r = vec.step(actions);
    for (let i = 0; i < n; i++) {
      const e = singles[i]!;
      const single = e.step(ad === 1 ? actions[i]! : actions.slice(i * ad, (i + 1) * ad));
      expect(r.reward[i]).to.equal(single.reward);
      expect(r.terminated[i]).to.equal(single.terminated ? 1 : 0);
      expect(r.truncated[i]).to.equal(single.truncated ? 1 : 0);
      current[i]++;
      if (single.terminated || single.truncated) {
        // finalObs: the finished episode's last observation; obs row: the next episode's first.
        expect(Array.from(r.finalObs[i]!), `step ${t} env ${i} finalObs`).to.deep.equal(Array.from(single.obs));
        const next = e.reset().obs;
        expect(row(r.obs, i, d), `step ${t} env ${i} reset obs`).to.deep.equal(Array.from(next));
        expect(vec.singleEnvs[i]!.elapsedSteps).to.equal(0);
        episodes[i]++;
        lengths.push(current[i]);
        current[i] = 0;
      } else {
        expect(r.finalObs[i], `step ${t} env ${i}`).to.equal(null);
        expect(row(r.obs, i, d)).to.deep.equal(Array.from(single.obs));
      }
    }
  }
  return { vec, episodes, lengths };
}

describe('envs: makeVec (same-step auto-reset)', () => {
  it('exposes the single-env spaces and sizes', () => {
    const vec = makeVec('Acrobot-v1', 3, { seed: 0 });
    expect(vec).to.be.instanceOf(VecEnv);
    expect(vec.numEnvs).to.equal(3);
    expect(vec.obsDim).to.equal(6);
    expect(vec.actionDim).to.equal(1);
    expect(vec.actionSpace).to.deep.equal({ kind: 'discrete', n: 3 });
    expect(vec.singleEnvs.length).to.equal(3);
    expect(vec.reset().obs.length).to.equal(18);
  });

  it('seeds env i with the i-th nextSeed() of new Rng(seed)', () => {
    const master = new Rng(42);
    expect(deriveSeeds(42, 4)).to.deep.equal([master.nextSeed(), master.nextSeed(), master.nextSeed(), master.nextSeed()]);
    const vec = makeVec('CartPole-v1', 4, { seed: 42 });
    const { obs } = vec.reset();
    expect(obs).to.be.instanceOf(Float32Array);
    deriveSeeds(42, 4).forEach((s, i) => {
      expect(row(obs, i, 4)).to.deep.equal(Array.from(make('CartPole-v1').reset({ seed: s }).obs));
    });
    // The four envs start differently.
    expect(new Set([0, 1, 2, 3].map((i) => row(obs, i, 4).join(','))).size).to.equal(4);
  });

  it('truncation: finalObs holds the last observation and obs the new episode’s first (MountainCar, limit 5)', () => {
    const { episodes, lengths } = checkAgainstSingles('MountainCar-v0', 3, 7, 23, { maxEpisodeSteps: 5 });
    expect(episodes).to.deep.equal([4, 4, 4]); // ended at steps 5, 10, 15, 20
    expect(new Set(lengths)).to.deep.equal(new Set([5]));
  });

  it('termination: envs end at different steps and restart independently (CartPole)', () => {
    const { episodes, lengths } = checkAgainstSingles('CartPole-v1', 4, 3, 150);
    const total = episodes.reduce((a, b) => a + b, 0);
    expect(total).to.be.above(8); // random actions: episodes of ~10-40 steps
    expect(new Set(lengths).size).to.be.above(3);
  });

  it('works with Box actions (Pendulum, MountainCarContinuous), row-major', () => {
    const p = checkAgainstSingles('Pendulum-v1', 2, 5, 12, { maxEpisodeSteps: 4 });
    expect(p.episodes).to.deep.equal([3, 3]);
    checkAgainstSingles('MountainCarContinuous-v0', 3, 8, 10);
  });

  it('the reset rows after an auto-reset follow the reset distribution, and differ from finalObs', () => {
    const vec = makeVec('MountainCar-v0', 2, { seed: 1, maxEpisodeSteps: 2 });
    vec.reset();
    vec.step([1, 1]);
    const r = vec.step([2, 0]);
    expect(Array.from(r.truncated)).to.deep.equal([1, 1]);
    expect(Array.from(r.terminated)).to.deep.equal([0, 0]);
    for (let i = 0; i < 2; i++) {
      const [p, v] = row(r.obs, i, 2);
      expect(p).to.be.within(-0.6, -0.4);
      expect(v).to.equal(0);
      expect(r.finalObs[i]![1]).to.not.equal(0);
    }
  });

  it('is deterministic: same seed, same actions -> identical results; reset({ seed }) == makeVec(..., { seed })', () => {
    const run = (vec: VecEnv, seeded: boolean) => {
      const out: unknown[] = [Array.from(vec.reset(seeded ? { seed: 9 } : undefined).obs)];
      const rng = new Rng(1);
      for (let t = 0; t < 40; t++) {
        const r = vec.step(randomActions(vec, rng));
        out.push([
          Array.from(r.obs),
          Array.from(r.reward),
          Array.from(r.terminated),
          Array.from(r.truncated),
          r.finalObs.map((o) => (o ? Array.from(o) : null)),
        ]);
      }
      return out;
    };
    const a = run(makeVec('CartPole-v1', 3, { seed: 9 }), false);
    expect(run(makeVec('CartPole-v1', 3, { seed: 9 }), false)).to.deep.equal(a);
    expect(run(makeVec('CartPole-v1', 3), true)).to.deep.equal(a);
    expect(run(makeVec('CartPole-v1', 3, { seed: 10 }), false)).to.not.deep.equal(a);
  });

  it('reports clear errors and validates every action before any env moves', () => {
    expectThrows(() => makeVec('CartPole-v1', 0), ValueError, /n must be a positive integer/, /got 0/);
    expectThrows(() => makeVec('Nope-v0', 2), UnknownNameError, /unknown environment id "Nope-v0"/, /CartPole-v1/);
    expectThrows(() => makeVec('CartPole-v1', 2, { g: 1 } as never), UnknownNameError, /unknown option "g"/);
    expectThrows(() => makeVec('CartPole-v1', 2, { seed: -3 }), ValueError, /seed must be an integer/, /got -3/);
    const vec = makeVec('CartPole-v1', 3, { seed: 0 });
    expectThrows(() => vec.step([0, 1, 0]), EnvStateError, /before reset\(\)/, /call reset\(\)/);
    vec.reset();
    expectThrows(() => vec.step([0, 1]), ShapeError, /expected 3 values \(3 envs × 1 for Discrete\(2\)\)/, /got length 2/);
    expectThrows(() => vec.step([0, 1, 2]), ValueError, /actions\[2\] must be an integer in \[0, 2\)/, /got 2/);
    expectThrows(() => vec.step([0, NaN, 1]), ValueError, /actions\[1\]/, /NaN/);
    expect(vec.singleEnvs.map((e) => e.elapsedSteps)).to.deep.equal([0, 0, 0]);
    const pv = makeVec('Pendulum-v1', 2, { seed: 0 });
    pv.reset();
    expectThrows(() => pv.step([0.1, 0.2, 0.3]), ShapeError, /expected 2 values/, /got length 3/);
    expectThrows(() => pv.step([0.1, Infinity]), ValueError, /env 1's action/, /Infinity/);
    expectThrows(() => pv.reset({ seed: 0.5 }), ValueError, /reset\(\{ seed \}\)/, /got 0\.5/);
  });
});
