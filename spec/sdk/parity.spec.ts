import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parityStates, verifyParity } from '../../sdk/parity.js';
import { saveGmmQfCheckpoint, type GmmQfConfig } from '../../models/gmmqf/checkpoint.js';
import { exportGmmQf, type GmmQfExportMeta } from '../../exporters/index.js';
import type { GmmQfParams } from '../../models/gmmqf/params.js';
import { make } from '../../sdk/envs/index.js';
import { spaceToJson } from '../../sdk/spaces-json.js';
import { Rng } from '../../sdk/util/rng.js';
import { acrobotParams, randomSpd } from '../models/gmmqf/fixtures.js';

/** A CartPole-shaped GMM-QF (D = 4, A = 2) with means spread over the visited region. */
function cartpoleModel(seed: number, K = 12): GmmQfParams {
  return cartpoleLike(seed, 4, 2, K);
}

/** A GMM-QF with D observation entries and A actions, means ~ N(0, 1) in normalized coordinates. */
function cartpoleLike(seed: number, D: number, A: number, K = 12): GmmQfParams {
  const rng = new Rng(seed);
  const means = Float64Array.from({ length: K * D }, () => rng.normal());
  const covariances = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) covariances.set(randomSpd(rng, D, 0.3, 2), k * D * D);
  const weights = Float64Array.from({ length: K * A }, () => 50 * rng.normal());
  const obsScale = D === 4 ? Float64Array.from([0.5, 0.5, 0.1, 0.5]) : new Float64Array(D).fill(1);
  return { K, D, A, means, covariances, weights, obsOffset: new Float64Array(D), obsScale };
}

describe('sdk/parity (gmmrl verify)', function () {
  this.timeout(60_000);
  let dir: string;
  const env = make('CartPole-v1');
  const info = {
    observation_space: spaceToJson(env.observationSpace),
    action_space: spaceToJson(env.actionSpace),
    env_id: 'CartPole-v1',
    training: {},
    backend: 'test',
  };
  const meta = (p: GmmQfParams) => ({
    envId: 'CartPole-v1',
    observationSpace: { shape: [4], low: Array.from(env.observationSpace.low), high: Array.from(env.observationSpace.high) },
    actionSpace: { kind: 'discrete' as const, n: p.A },
  });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gmmrl-parity-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes for the faithful export, with the report fields documented in README', async () => {
    const p = cartpoleModel(1);
    saveGmmQfCheckpoint(dir, p, info);
    const rep = await verifyParity(dir, exportGmmQf(p, meta(p)), { states: 600 });
    expect(rep.pass).to.equal(true);
    expect(rep.action_mismatches_outside_ties).to.equal(0);
    expect(rep.max_abs_diff.q).to.be.greaterThan(0); // two engines, not the same numbers twice
    expect(rep.states).to.deep.equal({ total: 600, rollout: 200, uniform: 200, far: 200 });
    expect(rep.tolerance.q_rtol).to.equal(1e-5);
    expect(rep.float32_bound.max_ratio_beyond_rtol).to.be.at.most(1);
  });

  for (const [what, mutate] of [
    ['one weight changed by a relative 1e-4', (p: GmmQfParams) => (p.weights[3]! *= 1 + 1e-4)],
    ['one mean coordinate shifted by 1e-4', (p: GmmQfParams) => (p.means[5]! += 1e-4)],
    ['one covariance scaled by 1 + 1e-4', (p: GmmQfParams) => p.covariances.subarray(16, 32).forEach((v, i, a) => (a[i] = v * (1 + 1e-4)))],
  ] as const) {
    it(`fails when the exported file has ${what}`, async () => {
      const p = cartpoleModel(1);
      saveGmmQfCheckpoint(dir, p, info);
      const q = { ...p, means: p.means.slice(), weights: p.weights.slice(), covariances: p.covariances.slice() };
      mutate(q);
      const rep = await verifyParity(dir, exportGmmQf(q, meta(q)), { states: 600 });
      expect(rep.pass, JSON.stringify(rep.max_rel_diff)).to.equal(false);
      expect(rep.failure).to.match(/^state \d+ \((rollout|uniform|far)\): output (q, entry \d+: value .* > tolerance 0\.00001|action: \d)/);
    });
  }
});

describe('sdk/parity: feature maps and action grids', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gmmrl-parity-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const infoFor = (envId: string) => {
    const env = make(envId);
    return {
      observation_space: spaceToJson(env.observationSpace),
      action_space: spaceToJson(env.actionSpace),
      env_id: envId,
      training: {},
      backend: 'test',
    };
  };
  const metaFor = (envId: string): GmmQfExportMeta => {
    const env = make(envId);
    return {
      envId,
      observationSpace: {
        shape: [...env.observationSpace.shape],
        low: Array.from(env.observationSpace.low),
        high: Array.from(env.observationSpace.high),
      },
    };
  };

  function acrobotModel(seed: number): GmmQfParams {
    const p = acrobotParams(new Rng(seed), 12, 3, 30);
    // velocities scaled like Acrobot's data (the features' offset/scale are what training would fit)
    p.obsScale.set([1.8, 1.8, 1.5, 3]);
    p.obsOffset.set([0, 0, 0, 0]);
    return p;
  }

  function pendulumModel(seed: number, grid = [-2, -1, 0, 1, 2]): GmmQfParams {
    const p = cartpoleLike(seed, 3, grid.length);
    return {
      ...p,
      obsScale: Float64Array.from([0.7, 0.7, 3]),
      actionGrid: { shape: [1], values: Float64Array.from(grid), low: [-2], high: [2] },
    };
  }

  it('acrobot-angles: states are drawn in observation space (cos/sin pairs, velocities in and far beyond the bounds)', () => {
    const p = acrobotModel(1);
    const { obs, rollout, uniform, far } = parityStates({ params: p, config: { env_id: 'Acrobot-v1' } as GmmQfConfig }, 300, 0);
    expect([rollout, uniform, far]).to.deep.equal([100, 100, 100]);
    expect(obs.length).to.equal(300 * 6);
    for (let i = 0; i < 300; i++) {
      for (const c of [0, 2]) expect(Math.abs(obs[i * 6 + c]! ** 2 + obs[i * 6 + c + 1]! ** 2 - 1), `row ${i}`).to.be.below(1e-6);
      const v1 = Math.abs(obs[i * 6 + 4]!);
      if (i < 200) expect(v1).to.be.at.most(Math.fround(4 * Math.PI));
      else expect(v1).to.be.at.least(10 * 1.5 - 1e-5);
    }
  });

  it('acrobot-angles: passes for the faithful export and fails for a weight changed by a relative 1e-4', async () => {
    const p = acrobotModel(2);
    saveGmmQfCheckpoint(dir, p, infoFor('Acrobot-v1'));
    const rep = await verifyParity(dir, exportGmmQf(p, metaFor('Acrobot-v1')), { states: 600 });
    expect(rep.pass, JSON.stringify(rep)).to.equal(true);
    expect(rep.features).to.equal('acrobot-angles');
    expect(rep.action_space_match).to.equal(true);
    expect(rep).to.not.have.property('action_grid');
    expect(rep.max_abs_diff.q).to.be.greaterThan(0);
    const q = { ...p, weights: p.weights.slice() };
    let big = 0;
    for (let i = 1; i < q.weights.length; i++) if (Math.abs(q.weights[i]!) > Math.abs(q.weights[big]!)) big = i;
    q.weights[big]! *= 1 + 1e-4;
    const bad = await verifyParity(dir, exportGmmQf(q, metaFor('Acrobot-v1')), { states: 600 });
    expect(bad.pass, JSON.stringify(bad.max_rel_diff)).to.equal(false);
  });

  it('grid (Pendulum-v1): passes, actions compared on the index, every action row is the grid value of its index', async () => {
    const p = pendulumModel(3);
    saveGmmQfCheckpoint(dir, p, infoFor('Pendulum-v1'));
    const rep = await verifyParity(dir, exportGmmQf(p, metaFor('Pendulum-v1')), { states: 600 });
    expect(rep.pass, JSON.stringify(rep)).to.equal(true);
    expect(rep.action_space_match).to.equal(true);
    expect(rep.action_grid).to.deep.equal({ rows_checked: 600, mismatches: 0 });
    expect(rep.action_mismatches_outside_ties).to.equal(0);
  });

  it('grid: fails when the file carries another grid (or none) than the checkpoint', async () => {
    const p = pendulumModel(4);
    saveGmmQfCheckpoint(dir, p, infoFor('Pendulum-v1'));
    const other = pendulumModel(4, [-2, -1, 0.5, 1, 2]);
    const rep = await verifyParity(dir, exportGmmQf(other, metaFor('Pendulum-v1')), { states: 300 });
    expect(rep.pass).to.equal(false);
    expect(rep.action_space_match).to.equal(false);
    expect(rep.action_grid!.mismatches).to.equal(300);
    // the same weights without a grid: q and indices agree, but the file does not act in Pendulum's space
    const { actionGrid: _g, ...noGrid } = p;
    const rep2 = await verifyParity(dir, exportGmmQf(noGrid, metaFor('Pendulum-v1')), { states: 300 });
    expect(rep2.pass).to.equal(false);
    expect(rep2.action_space_match).to.equal(false);
    expect(rep2.max_rel_diff.q).to.be.below(1e-4);
  });
});
