/**
 * verifyDqnParity: passes for a faithful export of a trained model and fails for deliberately wrong
 * exports. Tolerance under test: |q_onnx − q_tfjs| ≤ 2B on every entry (B: models/dqn/float32-bound.ts),
 * identical greedy actions except ties within 2(B_a + B_b).
 *
 * Sensitivity (measured on CartPole [64, 64] models, 3000 states): a relative change of 1e-3 in the
 * largest weight of the first or the output layer fails (max |Δq|/2B 1.4–3.5), 3e-4 on one
 * observation scale or a shift of 3e-4·scale in one offset fails; 1e-4 on a single weight passes
 * (≈ 0.26). The tests use 3e-3 on weights and 1e-3 on the normalization (ratios ≥ 4 measured), so
 * they do not hinge on the trained model, which depends on the backend. The worst-case bound is
 * ~250× the difference the two engines actually show (|Δq|/2B ≈ 0.004): the price of a tolerance
 * that holds for every summation order.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyDqnParity, dqnParityStates } from '../../sdk/parity-dqn.js';
import { trainDqn, dqnCheckpointInfo, type DqnTrainResult } from '../../sdk/algorithms/dqn.js';
import { loadDqnCheckpoint, saveDqnCheckpoint } from '../../models/dqn/checkpoint.js';
import { cloneDqnParams, type DqnParams } from '../../models/dqn/params.js';
import { exportDqn, type DqnExportMeta } from '../../exporters/index.js';
import { ShapeError, ValueError } from '../../contract/errors.js';
import { expectRejects } from '../helpers.js';
import { linearGrid } from '../models/dqn/fixtures.js';

function metaOf(res: DqnTrainResult): DqnExportMeta {
  const os = res.env.observationSpace;
  const as = res.env.actionSpace;
  return {
    envId: res.config.env,
    observationSpace: { shape: [...os.shape], low: Array.from(os.low), high: Array.from(os.high) },
    actionSpace:
      as.kind === 'discrete'
        ? { kind: 'discrete', n: as.n }
        : { kind: 'box', shape: [...as.shape], low: Array.from(as.low), high: Array.from(as.high) },
  };
}

function argmaxAbs(a: Float64Array): number {
  let k = 0;
  for (let i = 1; i < a.length; i++) if (Math.abs(a[i]!) > Math.abs(a[k]!)) k = i;
  return k;
}

describe('sdk/parity-dqn (verifyDqnParity)', function () {
  this.timeout(120_000);
  let dir: string;
  let res: DqnTrainResult;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gmmrl-dqn-parity-'));
    res = await trainDqn({
      env: 'CartPole-v1',
      steps: 5000,
      warmupSteps: 500,
      hidden: [64, 64],
      evalEvery: 1000,
      evalEpisodes: 2,
      seed: 0,
    }); // greedy return ≈ 70 (random ≈ 22)
    saveDqnCheckpoint(dir, res.params, dqnCheckpointInfo(res));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes for the faithful export of a trained model; the report states the tolerance', async () => {
    const rep = await verifyDqnParity(dir, exportDqn(res.params, metaOf(res)), { states: 3000 });
    if (process.env['GMMRL_DEBUG']) console.log(JSON.stringify(rep), `best eval return ${res.bestEvalReturn}`);
    expect(rep.pass, JSON.stringify(rep)).to.equal(true);
    expect(rep.action_mismatches_outside_ties).to.equal(0);
    expect(rep.action_agreement).to.be.greaterThan(0.99);
    expect(rep.max_abs_diff.q).to.be.greaterThan(0); // two engines, not the same numbers twice
    expect(rep.states).to.deep.equal({ total: 3000, rollout: 1000, uniform: 1000, far: 1000 });
    expect(rep.tolerance.q_rtol).to.equal(0);
    expect(rep.tolerance.q_beyond_float32_resolution).to.match(/2·B on every entry/);
    expect(rep.float32_bound.entries_beyond_rtol).to.equal(3000 * 2); // every entry judged by the bound
    expect(rep.float32_bound.max_ratio_beyond_rtol).to.be.greaterThan(0).and.at.most(1);
    expect(rep.float32_bound.max_condition).to.be.greaterThan(1);
    expect(rep.execution_provider).to.equal('cpu');
    expect(rep.reference_f64.max_rel_diff_onnx).to.be.a('number');
  });

  const mutations: [string, (p: DqnParams) => void][] = [
    [
      'the largest output-layer weight changed by a relative 3e-3',
      (p) => {
        const w = p.weights.at(-1)!;
        w[argmaxAbs(w)]! *= 1 + 3e-3;
      },
    ],
    [
      'the largest first-layer weight changed by a relative 3e-3',
      (p) => {
        const w = p.weights[0]!;
        w[argmaxAbs(w)]! *= 1 + 3e-3;
      },
    ],
    ['one observation scale changed by a relative 1e-3', (p) => (p.obsScale[0]! *= 1 + 1e-3)],
    ['one observation offset shifted by 1e-3·scale', (p) => (p.obsOffset[1]! += 1e-3 * p.obsScale[1]!)],
    [
      'the two output columns swapped (actions exchanged)',
      (p) => {
        const w = p.weights.at(-1)!;
        const b = p.biases.at(-1)!;
        for (let k = 0; k < w.length / 2; k++) [w[2 * k], w[2 * k + 1]] = [w[2 * k + 1]!, w[2 * k]!];
        [b[0], b[1]] = [b[1]!, b[0]!];
      },
    ],
  ];
  for (const [what, mutate] of mutations) {
    it(`fails when the exported file has ${what}`, async () => {
      const q = cloneDqnParams(res.params);
      mutate(q);
      const rep = await verifyDqnParity(dir, exportDqn(q, metaOf(res)), { states: 3000 });
      if (process.env['GMMRL_DEBUG'])
        console.log(
          `${what}: max |Δq|/2B ${rep.float32_bound.max_ratio_beyond_rtol.toFixed(2)}, mismatches ${rep.action_mismatches_outside_ties}`,
        );
      expect(rep.pass, JSON.stringify(rep.float32_bound)).to.equal(false);
      expect(rep.float32_bound.max_ratio_beyond_rtol).to.be.greaterThan(1);
    });
  }

  it('fails when the ONNX file comes from another checkpoint (different training seed)', async () => {
    const other = await trainDqn({ ...res.config, steps: 1200, seed: 4 });
    const rep = await verifyDqnParity(dir, exportDqn(other.params, metaOf(other)), { states: 300 });
    expect(rep.pass).to.equal(false);
    expect(rep.action_mismatches_outside_ties).to.be.greaterThan(0);
  });

  it('states: deterministic, split evenly, within bounds / offset ± 4·scale, far ones 10–30 scales out', () => {
    const ck = loadDqnCheckpoint(dir);
    const a = dqnParityStates(ck, 300, 5);
    const b = dqnParityStates(ck, 300, 5);
    expect(Array.from(a.obs)).to.deep.equal(Array.from(b.obs));
    expect([a.rollout, a.uniform, a.far]).to.deep.equal([100, 100, 100]);
    const D = 4;
    const { obsOffset: o, obsScale: s } = ck.params;
    for (let i = 200; i < 300; i++) {
      for (let j = 0; j < D; j++) {
        const z = Math.abs((a.obs[i * D + j]! - o[j]!) / s[j]!);
        expect(z).to.be.within(9.99, 30.01);
      }
    }
    // CartPole's velocities are unbounded (±3.4e38): uniform draws there stay within offset ± 4·scale
    for (let i = 100; i < 200; i++) expect(Math.abs((a.obs[i * D + 1]! - o[1]!) / s[1]!)).to.be.at.most(4 + 1e-5);
  });

  it('a grid model (Pendulum-v1) passes through q and the greedy grid index', async () => {
    const grid = linearGrid(5, -2, 2);
    const g = await trainDqn({
      env: 'Pendulum-v1',
      actionGrid: grid,
      steps: 800,
      warmupSteps: 400,
      hidden: [16],
      evalEvery: 800,
      evalEpisodes: 1,
      seed: 0,
    });
    const gdir = mkdtempSync(join(tmpdir(), 'gmmrl-dqn-parity-grid-'));
    try {
      saveDqnCheckpoint(gdir, g.params, dqnCheckpointInfo(g));
      const rep = await verifyDqnParity(gdir, exportDqn(g.params, metaOf(g)), { states: 600 });
      expect(rep.pass, JSON.stringify(rep)).to.equal(true);
      const bad = cloneDqnParams(g.params);
      const w = bad.weights.at(-1)!;
      w[argmaxAbs(w)]! *= 1 + 1e-2;
      expect((await verifyDqnParity(gdir, exportDqn(bad, metaOf(g)), { states: 600 })).pass).to.equal(false);
    } finally {
      rmSync(gdir, { recursive: true, force: true });
    }
  });

  it('rejects bad options', async () => {
    const bytes = exportDqn(res.params, metaOf(res));
    await expectRejects(() => verifyDqnParity(dir, bytes, { states: 2 }), ShapeError, /states = 2; expected an integer ≥ 3/);
    await expectRejects(() => verifyDqnParity(dir, bytes, { rtol: -1 }), ValueError, /rtol = -1/);
  });
});
