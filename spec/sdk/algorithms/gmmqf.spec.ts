import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainGmmQf, evaluateGreedy, validateGmmQfConfig, GMMQF_DEFAULTS } from '../../../sdk/algorithms/gmmqf.js';
import { defaultActionGrid, make, parseActionGrid } from '../../../sdk/envs/index.js';
import { runEpisodes } from '../../../sdk/evaluate.js';
import { choleskyOrNull, asymmetry } from '../../../models/linalg/cholesky.js';
import { argmaxRows, qValues } from '../../../models/gmmqf/reference.js';
import { qErrorBound } from '../../../models/gmmqf/float32-bound.js';
import { loadGmmQfCheckpoint, saveGmmQfCheckpoint } from '../../../models/gmmqf/checkpoint.js';
import { exportGmmQf, gmmQfMetadata } from '../../../exporters/onnx/gmmqf.js';
import { loadPolicy } from '../../../runtime/index.node.js';
import { ShapeError, UnknownNameError, ValueError } from '../../../contract/errors.js';
import { Rng } from '../../../sdk/util/rng.js';
import { expectRejects, expectThrows } from '../../helpers.js';

describe('sdk/algorithms/gmmqf (batch policy iteration)', function () {
  this.timeout(240_000);

  // A small budget: 8000 env steps, K = 16. Random play scores ≈ 22 on CartPole-v1.
  const SMALL = { env: 'CartPole-v1', steps: 8000, components: 16, seed: 0, evalEpisodes: 3 } as const;

  it('learns CartPole-v1 clearly above random (≥ 5× the random policy return) within 8000 steps (seed 0), covariances SPD after every iteration', async () => {
    const spdChecks: boolean[] = [];
    const res = await trainGmmQf(SMALL, {
      onIteration: (_row, best) => {
        const { K, D } = best;
        let ok = true;
        for (let k = 0; k < K; k++) {
          ok &&= choleskyOrNull(best.covariances, D, k * D * D) !== null && asymmetry(best.covariances, D, k * D * D) < 1e-12;
        }
        spdChecks.push(ok);
      },
    });
    expect(spdChecks.length).to.be.greaterThan(3);
    expect(spdChecks.every(Boolean), 'every covariance SPD after every iteration').to.equal(true);
    // greedy evaluation on fresh seeds, independent of the selection episodes
    const ev = await evaluateGreedy(res.params, make('CartPole-v1'), 20, 90_000);
    // random policy baseline on the same seeds
    const env = make('CartPole-v1');
    const rng = new Rng(7);
    let randomTotal = 0;
    for (let e = 0; e < 20; e++) {
      env.reset({ seed: 90_000 + e });
      for (;;) {
        const r = env.step(rng.integer(2));
        randomTotal += r.reward;
        if (r.terminated || r.truncated) break;
      }
    }
    const randomMean = randomTotal / 20;
    expect(randomMean).to.be.lessThan(40);
    expect(ev.mean, `greedy mean return ${ev.mean} vs random ${randomMean}`).to.be.greaterThan(5 * randomMean);
  });

  it('is deterministic: the same seed twice gives identical parameters', async () => {
    const cfg = { ...SMALL, steps: 2500, components: 6 };
    const a = await trainGmmQf(cfg);
    const b = await trainGmmQf(cfg);
    expect(Array.from(a.finalParams.means)).to.deep.equal(Array.from(b.finalParams.means));
    expect(Array.from(a.finalParams.covariances)).to.deep.equal(Array.from(b.finalParams.covariances));
    expect(Array.from(a.finalParams.weights)).to.deep.equal(Array.from(b.finalParams.weights));
    const c = await trainGmmQf({ ...cfg, seed: 1 });
    expect(Array.from(c.finalParams.means)).to.not.deep.equal(Array.from(a.finalParams.means));
  });

  it('Bures-Wasserstein metric trains too and keeps covariances SPD', async () => {
    const res = await trainGmmQf({ ...SMALL, steps: 2500, components: 6, metric: 'bw' });
    const { K, D } = res.finalParams;
    for (let k = 0; k < K; k++) expect(choleskyOrNull(res.finalParams.covariances, D, k * D * D)).to.not.equal(null);
    expect(res.log.some((r) => r.gd_steps > 0)).to.equal(true);
  });

  it('the policy-evaluation loss decreases within a sweep (Armijo accepts only decreasing steps)', async () => {
    const res = await trainGmmQf({ ...SMALL, steps: 2500, components: 6, sweeps: 1, gdSteps: 10 });
    expect(res.log.filter((r) => r.gd_steps > 0).length, 'iterations that took steps').to.be.greaterThan(0);
    for (const row of res.log) {
      if (row.gd_steps > 0) expect(row.loss_end, `iteration ${row.iteration}`).to.be.lessThan(row.loss_start);
    }
  });

  it('rejects out-of-range hyperparameters naming the field, the value and the range', () => {
    expectThrows(() => validateGmmQfConfig({ ...GMMQF_DEFAULTS, gamma: 1.5 }), ValueError, /gamma = 1\.5/, /\[0, 1\)/);
    expectThrows(() => validateGmmQfConfig({ ...GMMQF_DEFAULTS, components: 0 }), ValueError, /components = 0/, /\[1, 4096\]/);
    expectThrows(() => validateGmmQfConfig({ ...GMMQF_DEFAULTS, armijoBeta: 1 }), ValueError, /armijoBeta = 1/, /\(0, 1\)/);
    expectThrows(() => validateGmmQfConfig({ ...GMMQF_DEFAULTS, metric: 'euclid' as never }), UnknownNameError, /metric = "euclid"/);
  });

  it('refuses an action grid for a discrete environment, a feature map that does not fit, and unknown feature maps', async () => {
    await expectRejects(
      () => trainGmmQf({ env: 'CartPole-v1', steps: 100, actionGrid: defaultActionGrid('Pendulum-v1') }),
      ValueError,
      /gmmqf config: actionGrid is set but CartPole-v1 has a discrete action space \(Discrete\(2\)\); .* Leave actionGrid out/,
    );
    await expectRejects(
      () => trainGmmQf({ env: 'CartPole-v1', steps: 100, features: 'acrobot-angles' }),
      ShapeError,
      /features = "acrobot-angles" does not fit CartPole-v1 \(observations of 4 entries\)/,
    );
    await expectRejects(
      () => trainGmmQf({ env: 'Pendulum-v1', steps: 100, actionGrid: parseActionGrid('3', make('CartPole-v1').observationSpace) }),
      ShapeError,
      /grid shape \[4\] does not match the action space Box\(shape \[1\], \[-2, 2\]\)/,
    );
    expectThrows(
      () => validateGmmQfConfig({ ...GMMQF_DEFAULTS, features: 'polar' as never }),
      UnknownNameError,
      /features = "polar"/,
      /'auto' or one of 'identity', 'acrobot-angles'/,
    );
  });

  it('trains Pendulum-v1 through the default 5-point torque grid: SPD covariances, checkpoint and export carry the grid, ORT actions are grid values', async () => {
    const spd: boolean[] = [];
    const res = await trainGmmQf(
      { env: 'Pendulum-v1', steps: 2500, warmupSteps: 1000, stepsPerIteration: 500, components: 6, seed: 0, evalEpisodes: 1, sweeps: 4 },
      {
        onIteration: (_row, best) => {
          let ok = true;
          for (let k = 0; k < best.K; k++) ok &&= choleskyOrNull(best.covariances, best.D, k * best.D * best.D) !== null;
          spd.push(ok);
        },
      },
    );
    const grid = defaultActionGrid('Pendulum-v1');
    expect(res.params.actionGrid).to.deep.equal(grid);
    expect(res.actionGrid).to.deep.equal(grid);
    expect(res.features).to.equal('identity');
    expect(res.params).to.deep.include({ K: 6, D: 3, A: 5, features: 'identity' });
    expect(res.env.actionSpace.kind).to.equal('box'); // the environment as made; the grid is in the params
    expect(spd.length).to.equal(4);
    expect(spd.every(Boolean)).to.equal(true);
    expect(res.log.filter((r) => r.gd_steps > 0).length).to.be.greaterThan(0);
    for (const row of res.log) if (row.gd_steps > 0) expect(row.loss_end, `iteration ${row.iteration}`).to.be.lessThan(row.loss_start);
    // the greedy policy uses more than one grid point (the weights were fitted per action)
    const rollout = make('Pendulum-v1');
    const rng = new Rng(11);
    let o = rollout.reset({ seed: 5 }).obs;
    const obs: number[] = [];
    for (let t = 0; t < 200; t++) {
      obs.push(...o);
      o = rollout.step([rng.uniformRange(-2, 2)]).obs;
    }
    const N = 200;
    const ref = qValues(res.params, obs, N);
    const idx = argmaxRows(ref, N, 5);
    expect(new Set(idx).size).to.be.greaterThan(1);

    // checkpoint (with what the result provides) and export
    const dir = mkdtempSync(join(tmpdir(), 'gmmrl-train-grid-'));
    try {
      saveGmmQfCheckpoint(dir, res.params, res.checkpointInfo);
      const ck = loadGmmQfCheckpoint(dir);
      expect(ck.params.actionGrid).to.deep.equal(grid);
      expect(ck.config.action_space).to.deep.include({ kind: 'box', shape: [1], low: [-2], high: [2] });
      expect((ck.config.training as Record<string, unknown>)['action_grid']).to.deep.equal({
        shape: [1],
        values: [-2, -1, 0, 1, 2],
        low: [-2],
        high: [2],
      });
      const env = make('Pendulum-v1');
      const bytes = exportGmmQf(ck.params, {
        envId: 'Pendulum-v1',
        observationSpace: { shape: [3], low: Array.from(env.observationSpace.low), high: Array.from(env.observationSpace.high) },
        sourceCheckpointSha256: ck.sha256,
      });
      const policy = await loadPolicy(bytes);
      try {
        expect(policy.info.actionSpace.kind).to.equal('grid');
        const rows = (await policy.envActionBatch(Float32Array.from(obs))) as Float32Array[];
        const ortIdx = (await policy.actBatch(Float32Array.from(obs))) as Int32Array; // a Q model: indices
        const bound = qErrorBound(res.params, obs, N);
        let agree = 0;
        for (let i = 0; i < N; i++) {
          expect(Array.from(grid.values), `row ${i}`).to.include(rows[i]![0]);
          expect(rows[i]![0]).to.equal(grid.values[ortIdx[i]!]);
          if (ortIdx[i] === idx[i]) agree++;
          else {
            // only where float32 cannot decide: the two q values lie within their error bounds
            const a = ortIdx[i]!;
            const b = idx[i]!;
            expect(Math.abs(ref[i * 5 + a]! - ref[i * 5 + b]!), `row ${i}`).to.be.at.most(2 * (bound[i * 5 + a]! + bound[i * 5 + b]!));
          }
        }
        expect(agree).to.be.greaterThan(N - 5);
        // runEpisodes takes the grid value straight from envAction
        const ev = await runEpisodes(make('Pendulum-v1'), (x) => policy.envAction(x), 1, 0);
        expect(ev.returns).to.have.length(1);
        expect(Number.isFinite(ev.mean)).to.equal(true);
      } finally {
        await policy.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Acrobot-v1 with features 'auto' trains on the 4 angles/velocities: D = 4, 17 parameters per component (A = 3)", async () => {
    const res = await trainGmmQf({
      env: 'Acrobot-v1',
      steps: 1500,
      warmupSteps: 1000,
      stepsPerIteration: 500,
      components: 5,
      seed: 0,
      evalEpisodes: 1,
      sweeps: 2,
      gdSteps: 2,
    });
    expect(res.features).to.equal('acrobot-angles');
    expect(res.params).to.deep.include({ K: 5, D: 4, A: 3, features: 'acrobot-angles' });
    expect(res.params).to.not.have.property('actionGrid');
    expect(res.params.means).to.have.length(5 * 4);
    expect(res.params.covariances).to.have.length(5 * 16);
    expect(res.params.obsScale).to.have.length(4);
    // the angles' normalization: atan2 values have spread, the velocities too
    for (const s of res.params.obsScale) expect(s).to.be.greaterThan(1e-3);
    expect(res.checkpointInfo.observation_space.shape).to.deep.equal([6]);
    expect(res.checkpointInfo.training['features']).to.equal('acrobot-angles');
    const m = gmmQfMetadata(
      res.params,
      {
        envId: 'Acrobot-v1',
        observationSpace: { shape: [6], low: Array.from(res.env.observationSpace.low), high: Array.from(res.env.observationSpace.high) },
      },
      { prune: false },
    );
    expect(m.parameter_count).to.equal(5 * 17);
    expect(m.inputs[0]!.shape).to.deep.equal(['N', 6]);
    expect(m.features).to.deep.include({ kind: 'acrobot-angles', size: 4 });
    // q of the trained model reads raw 6-entry observations
    const env = make('Acrobot-v1');
    const o = env.reset({ seed: 1 }).obs;
    expect(qValues(res.params, o, 1)).to.have.length(3);
    // features: 'identity' on Acrobot keeps the 6 raw entries
    const raw = await trainGmmQf({
      env: 'Acrobot-v1',
      features: 'identity',
      steps: 600,
      warmupSteps: 500,
      stepsPerIteration: 100,
      components: 2,
      evalEpisodes: 1,
      sweeps: 1,
      gdSteps: 1,
    });
    expect(raw.params).to.deep.include({ D: 6, features: 'identity' });
  });
});
