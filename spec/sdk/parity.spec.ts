import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyParity } from '../../sdk/parity.js';
import { saveGmmQfCheckpoint } from '../../models/gmmqf/checkpoint.js';
import { exportGmmQf } from '../../exporters/index.js';
import type { GmmQfParams } from '../../models/gmmqf/params.js';
import { make } from '../../sdk/envs/index.js';
import { spaceToJson } from '../../sdk/spaces-json.js';
import { Rng } from '../../sdk/util/rng.js';
import { randomSpd } from '../models/gmmqf/fixtures.js';

/** A CartPole-shaped GMM-QF (D = 4, A = 2) with means spread over the visited region. */
function cartpoleModel(seed: number, K = 12): GmmQfParams {
  const rng = new Rng(seed);
  const D = 4;
  const A = 2;
  const means = Float64Array.from({ length: K * D }, () => rng.normal());
  const covariances = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) covariances.set(randomSpd(rng, D, 0.3, 2), k * D * D);
  const weights = Float64Array.from({ length: K * A }, () => 50 * rng.normal());
  return { K, D, A, means, covariances, weights, obsOffset: new Float64Array(D), obsScale: Float64Array.from([0.5, 0.5, 0.1, 0.5]) };
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
    ['one weight changed by a relative 1e-4', (p: GmmQfParams) => (p.weights[3] *= 1 + 1e-4)],
    ['one mean coordinate shifted by 1e-4', (p: GmmQfParams) => (p.means[5] += 1e-4)],
    ['one covariance scaled by 1 + 1e-4', (p: GmmQfParams) => p.covariances.subarray(16, 32).forEach((v, i, a) => (a[i] = v * (1 + 1e-4)))],
  ] as const) {
    it(`fails when the exported file has ${what}`, async () => {
      const p = cartpoleModel(1);
      saveGmmQfCheckpoint(dir, p, info);
      const q = { ...p, means: p.means.slice(), weights: p.weights.slice(), covariances: p.covariances.slice() };
      mutate(q);
      const rep = await verifyParity(dir, exportGmmQf(q, meta(q)), { states: 600 });
      expect(rep.pass, JSON.stringify(rep.max_rel_diff)).to.equal(false);
    });
  }
});
