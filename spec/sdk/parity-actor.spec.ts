import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initMlp, type MlpParams } from '../../models/actor-critic/mlp.js';
import { saveGamidActorCheckpoint, saveMixtureActorCheckpoint, type ActorCheckpointInfo } from '../../models/actor-critic/checkpoint.js';
import type { MixtureActorParams } from '../../models/mixture-actor/params.js';
import type { GamidActorParams } from '../../models/gamid-actor/params.js';
import { headOutputSize } from '../../models/mixture-actor/head.js';
import { exportMixtureActor } from '../../exporters/onnx/mixture-actor.js';
import { exportGamidActor } from '../../exporters/onnx/gamid-actor.js';
import { verifyGamidActorParity, verifyMixtureActorParity } from '../../sdk/parity-actor.js';
import { make } from '../../sdk/envs/index.js';
import { spaceToJson } from '../../sdk/spaces-json.js';
import { Rng } from '../../sdk/util/rng.js';

function info(envId: string): ActorCheckpointInfo {
  const env = make(envId);
  return {
    env_id: envId,
    observation_space: spaceToJson(env.observationSpace),
    action_space: spaceToJson(env.actionSpace),
    training: { algorithm: 'test' },
    backend: 'cpu',
  };
}

function bounds(envId: string): { low: Float64Array; high: Float64Array; D: number } {
  const env = make(envId);
  const as = env.actionSpace as { low: ArrayLike<number>; high: ArrayLike<number> };
  return { low: Float64Array.from(as.low), high: Float64Array.from(as.high), D: env.observationSpace.low.length };
}

function mixture(envId: string, K: number, seed: number): MixtureActorParams {
  const rng = new Rng(seed);
  const { low, high, D } = bounds(envId);
  const A = low.length;
  const head = { K, A, weights: 'learned' as const, logStdMin: -5, logStdMax: 2 };
  return {
    head,
    trunk: initMlp([D, 16, 16, headOutputSize(head)], rng),
    obsOffset: Float64Array.from({ length: D }, () => 0.3 * rng.normal()),
    obsScale: Float64Array.from({ length: D }, () => 0.5 + rng.uniform()),
    actionLow: low,
    actionHigh: high,
  };
}

function gamid(envId: string, C: number, seed: number): GamidActorParams {
  const rng = new Rng(seed);
  const { low, high, D } = bounds(envId);
  const A = low.length;
  return {
    actors: Array.from({ length: C }, () => initMlp([D, 16, 16, A], rng)),
    critic: initMlp([D + A, 16, 16, 1], rng),
    obsOffset: Float64Array.from({ length: D }, () => 0.3 * rng.normal()),
    obsScale: Float64Array.from({ length: D }, () => 0.5 + rng.uniform()),
    actionLow: low,
    actionHigh: high,
    explorationStd: 0.2,
    epsilon: 0.3,
  };
}

const critics = (p: { obsOffset: Float64Array; actionLow: Float64Array }, rng: Rng): [MlpParams, MlpParams] => {
  const n = p.obsOffset.length + p.actionLow.length;
  return [initMlp([n, 8, 1], rng), initMlp([n, 8, 1], rng)];
};

/** One weight of the first layer nudged by a relative 1e-3: what a wrong exporter or a stale file looks like. */
function nudged(m: MlpParams): MlpParams {
  const weights = m.weights.map((w) => w.slice());
  weights[0]![0]! *= 1 + 1e-3;
  return { ...m, weights };
}

describe('sdk/parity-actor: verify for mixture and Gamid actors, greedy and sampled with identical noise', function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gmmrl-parity-actor-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  for (const envId of ['Pendulum-v1', 'Maze-v0']) {
    it(`mixture actor on ${envId}: the exported file passes (float32 and float64); a nudged weight fails`, async () => {
      const p = mixture(envId, 4, 1);
      const dir = join(tmp, `mix-${envId}`);
      saveMixtureActorCheckpoint(dir, p, critics(p, new Rng(2)), info(envId));
      const meta = {
        envId,
        observationSpace: {
          shape: [p.obsOffset.length],
          low: [...p.obsOffset].map(() => -Infinity),
          high: [...p.obsOffset].map(() => Infinity),
        },
      };
      for (const precision of ['float32', 'float64'] as const) {
        const rep = await verifyMixtureActorParity(dir, exportMixtureActor(p, meta, { precision }), { states: 240 });
        expect(rep.pass, JSON.stringify(rep)).to.equal(true);
        expect(rep.precision).to.equal(precision);
        expect(rep.components.sampled_agreement + rep.components.sampled_ties).to.equal(240);
        for (const r of Object.values(rep.max_ratio_to_bound)) expect(r).to.be.at.most(1);
        // the bound is not vacuous: the float32 file uses a visible part of it
        if (precision === 'float32') expect(rep.max_ratio_to_bound['means']).to.be.greaterThan(1e-3);
      }
      const bad = await verifyMixtureActorParity(dir, exportMixtureActor({ ...p, trunk: nudged(p.trunk) }, meta), { states: 240 });
      expect(bad.pass).to.equal(false);
      expect(Math.max(...Object.values(bad.max_ratio_to_bound))).to.be.greaterThan(1);
      // one line: output, state, entry, value, reference, relative difference, tolerance
      expect(bad.failure).to.match(
        /^state \d+ \((rollout|uniform|far)\): output \w+, entry \d+: value \S+ \(ONNX Runtime\), reference \S+ \(float64\), relative difference \S+, \|Δ\| = \S+ > tolerance B = \S+ \(the rounding bound\)$/,
      );
    });

    it(`Gamid actor on ${envId}: the exported file passes; a nudged critic or actor weight fails`, async () => {
      const p = gamid(envId, 3, 3);
      const dir = join(tmp, `gamid-${envId}`);
      // the checkpoint's scoring critic is its first twin critic
      saveGamidActorCheckpoint(dir, p, [p.critic, critics(p, new Rng(4))[1]], info(envId));
      const meta = {
        envId,
        observationSpace: {
          shape: [p.obsOffset.length],
          low: [...p.obsOffset].map(() => -Infinity),
          high: [...p.obsOffset].map(() => Infinity),
        },
      };
      const rep = await verifyGamidActorParity(dir, exportGamidActor(p, meta), { states: 240 });
      expect(rep.pass, JSON.stringify(rep)).to.equal(true);
      expect(rep.components.greedy_mismatches + rep.components.sampled_mismatches).to.equal(0);
      expect(rep.components.sampled_agreement).to.be.greaterThan(200);
      const badCritic = await verifyGamidActorParity(dir, exportGamidActor({ ...p, critic: nudged(p.critic) }, meta), { states: 240 });
      expect(badCritic.pass).to.equal(false);
      const badActor = await verifyGamidActorParity(
        dir,
        exportGamidActor({ ...p, actors: [p.actors[0]!, nudged(p.actors[1]!), p.actors[2]!] }, meta),
        { states: 240 },
      );
      expect(badActor.pass).to.equal(false);
      expect(badActor.failure).to.match(
        /^state \d+ \((rollout|uniform|far)\): output \w+(, entry \d+: value .* > tolerance B = \S+|: component \d \(ONNX Runtime\), reference \d)/,
      );
    });
  }

  it('in-graph noise: the greedy outputs are judged, the sampled action is reported as not comparable', async () => {
    const p = mixture('Pendulum-v1', 3, 5);
    const dir = join(tmp, 'mix-ingraph');
    saveMixtureActorCheckpoint(dir, p, critics(p, new Rng(6)), info('Pendulum-v1'));
    const meta = { envId: 'Pendulum-v1', observationSpace: { shape: [3], low: [-1, -1, -8], high: [1, 1, 8] } };
    const rep = await verifyMixtureActorParity(dir, exportMixtureActor(p, meta, { sampling: 'in-graph' }), { states: 60 });
    expect(rep.pass).to.equal(true);
    expect(rep.sampling_noise).to.equal('in-graph');
    expect(rep.tolerance['sampled']).to.match(/not reproducible/);
    expect(rep.max_ratio_to_bound).to.not.have.property('action_sampled');
  });
});
