import { expect } from 'chai';
import { editCheckpointConfig } from '../config-edit.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadGamidActorCheckpoint,
  loadMixtureActorCheckpoint,
  saveGamidActorCheckpoint,
  saveMixtureActorCheckpoint,
  type ActorCheckpointInfo,
} from '../../../models/actor-critic/checkpoint.js';
import { initMlp, mlpParameterCount, type MlpParams } from '../../../models/actor-critic/mlp.js';
import { headOutputSize, type MixtureHeadSpec } from '../../../models/mixture-actor/head.js';
import { mixtureActorGreedy, type MixtureActorParams } from '../../../models/mixture-actor/params.js';
import { gamidGreedy, type GamidActorParams } from '../../../models/gamid-actor/params.js';
import { sha256Hex } from '../../../models/io.js';
import { decodeSafetensors, encodeSafetensors } from '../../../models/safetensors.js';
import { ModelFormatError, ValueError } from '../../../contract/errors.js';
import { Rng } from '../../../sdk/util/rng.js';
import { expectThrows } from '../../helpers.js';

const D = 3;
const A = 2;
const HIDDEN = [8, 8];

const INFO: ActorCheckpointInfo = {
  observation_space: { kind: 'box', shape: [D], low: [-1, -1, -8], high: [1, 1, 8] },
  action_space: { kind: 'box', shape: [A], low: [-2, -1], high: [2, 3] },
  env_id: 'Synthetic-v0',
  training: { algorithm: 'sac', seed: 5 },
  backend: 'cpu',
};

/** Offsets, scales and bounds that are not float32-representable (the checkpoint stores float64). */
function vectors(rng: Rng) {
  return {
    obsOffset: Float64Array.from({ length: D }, () => rng.uniformRange(-1, 1)),
    obsScale: Float64Array.from({ length: D }, () => rng.uniformRange(0.5, 2)),
    actionLow: Float64Array.from([-2, -1]),
    actionHigh: Float64Array.from([2, 3]),
  };
}

function critics(rng: Rng): [MlpParams, MlpParams] {
  return [initMlp([D + A, ...HIDDEN, 1], rng), initMlp([D + A, ...HIDDEN, 1], rng)];
}

function mixtureActor(seed: number): { actor: MixtureActorParams; critics: [MlpParams, MlpParams] } {
  const rng = new Rng(seed);
  const head: MixtureHeadSpec = { K: 3, A, weights: 'learned', logStdMin: -5, logStdMax: 2 };
  const trunk = initMlp([D, ...HIDDEN, headOutputSize(head)], rng);
  return { actor: { head, trunk, ...vectors(rng) }, critics: critics(rng) };
}

function gamidActor(seed: number, N: number): { actor: GamidActorParams; critics: [MlpParams, MlpParams] } {
  const rng = new Rng(seed);
  const actors = Array.from({ length: N }, () => initMlp([D, ...HIDDEN, A], rng));
  const cs = critics(rng);
  return { actor: { actors, critic: cs[0], ...vectors(rng), explorationStd: 0.1, epsilon: 0.05 }, critics: cs };
}

const mlpArrays = (p: MlpParams) => ({
  layers: [...p.layers],
  weights: p.weights.map((w) => Array.from(w)),
  biases: p.biases.map((b) => Array.from(b)),
});
const vecArrays = (p: { obsOffset: Float64Array; obsScale: Float64Array; actionLow: Float64Array; actionHigh: Float64Array }) => ({
  obsOffset: Array.from(p.obsOffset),
  obsScale: Array.from(p.obsScale),
  actionLow: Array.from(p.actionLow),
  actionHigh: Array.from(p.actionHigh),
});

/** Bit patterns of every float64 of an MLP (so −0 vs 0 and NaN payloads would count as differences). */
function bits(p: MlpParams): string[] {
  return [...p.weights, ...p.biases].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex'));
}

/** Observations around the normalization, deterministic. */
function observations(n: number): Float64Array[] {
  const rng = new Rng(99);
  return Array.from({ length: n }, () => Float64Array.from({ length: D }, () => rng.uniformRange(-3, 3)));
}

describe('models/actor-critic/checkpoint', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gmmrl-ac-ckpt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const cfgPath = () => join(dir, 'config.json');
  const wPath = () => join(dir, 'weights.safetensors');

  const editConfig = (mutate: (c: Record<string, any>) => void): void => editCheckpointConfig(cfgPath(), mutate);

  /** Rewrites one tensor's values and records the new hash, so only the content is wrong. */
  function rewriteTensor(name: string, mutate: (data: Float64Array) => void): void {
    const { tensors, metadata } = decodeSafetensors(readFileSync(wPath()));
    const t = tensors[name]!;
    const data = Float64Array.from(t.data as Float64Array);
    mutate(data);
    tensors[name] = { dtype: 'F64', shape: t.shape, data };
    const bytes = encodeSafetensors(tensors, metadata);
    writeFileSync(wPath(), bytes);
    editConfig((c) => (c['weights_sha256'] = sha256Hex(bytes)));
  }

  describe('round trip', () => {
    it('mixture actor (SAC sgm, K = 3, A = 2, D = 3): every array bit-identical, config fields, greedy actions equal', () => {
      const { actor, critics: cs } = mixtureActor(11);
      const sha = saveMixtureActorCheckpoint(dir, actor, cs, INFO);
      expect(sha).to.match(/^[0-9a-f]{64}$/);
      expect(sha).to.equal(sha256Hex(readFileSync(wPath())));
      const ck = loadMixtureActorCheckpoint(dir);
      expect(ck.sha256).to.equal(sha);
      expect(ck.actor.head).to.deep.equal(actor.head);
      expect(bits(ck.actor.trunk)).to.deep.equal(bits(actor.trunk));
      expect(mlpArrays(ck.actor.trunk)).to.deep.equal(mlpArrays(actor.trunk));
      expect(vecArrays(ck.actor)).to.deep.equal(vecArrays(actor));
      for (const j of [0, 1]) {
        expect(bits(ck.critics[j]!)).to.deep.equal(bits(cs[j]!));
        expect(mlpArrays(ck.critics[j]!)).to.deep.equal(mlpArrays(cs[j]!));
      }
      const c = ck.config;
      expect(c).to.deep.include({
        format: 'gmmrl-checkpoint',
        format_version: 1,
        model_family: 'mixture-actor',
        activation: 'relu',
        env_id: 'Synthetic-v0',
        backend: 'cpu',
      });
      expect(c.head).to.deep.equal({ K: 3, A: 2, weights: 'learned', log_std_min: -5, log_std_max: 2 });
      expect(c.networks).to.deep.equal({
        actor: { layers: [3, 8, 8, 15] },
        critic1: { layers: [5, 8, 8, 1] },
        critic2: { layers: [5, 8, 8, 1] },
      });
      expect(c.parameter_count).to.equal(mlpParameterCount([3, 8, 8, 15]));
      expect(c.parameter_count).to.equal(3 * 8 + 8 + 8 * 8 + 8 + 8 * 15 + 15);
      expect(c.training).to.deep.equal(INFO.training);
      expect(c.weights_sha256).to.equal(sha);
      for (const o of observations(20)) {
        expect(Array.from(mixtureActorGreedy(ck.actor, o))).to.deep.equal(Array.from(mixtureActorGreedy(actor, o)));
      }
    });

    for (const N of [3, 1]) {
      it(`gamid actor (N = ${N}): every array bit-identical, config fields, greedy actions equal`, () => {
        const { actor, critics: cs } = gamidActor(20 + N, N);
        const sha = saveGamidActorCheckpoint(dir, actor, cs, { ...INFO, training: { algorithm: N === 1 ? 'td3' : 'gamid-pg' } });
        const ck = loadGamidActorCheckpoint(dir);
        expect(ck.sha256).to.equal(sha);
        expect(ck.actor.actors).to.have.length(N);
        for (let i = 0; i < N; i++) {
          expect(bits(ck.actor.actors[i]!)).to.deep.equal(bits(actor.actors[i]!));
          expect(mlpArrays(ck.actor.actors[i]!)).to.deep.equal(mlpArrays(actor.actors[i]!));
        }
        expect(bits(ck.actor.critic)).to.deep.equal(bits(actor.critic));
        for (const j of [0, 1]) expect(bits(ck.critics[j]!)).to.deep.equal(bits(cs[j]!));
        expect(vecArrays(ck.actor)).to.deep.equal(vecArrays(actor));
        expect(ck.actor.explorationStd).to.equal(0.1);
        expect(ck.actor.epsilon).to.equal(0.05);
        const c = ck.config;
        expect(c).to.deep.include({ model_family: 'gamid-actor', N, exploration_std: 0.1, epsilon: 0.05, activation: 'relu' });
        const nets: Record<string, { layers: number[] }> = {};
        for (let i = 0; i < N; i++) nets[`actor${i}`] = { layers: [3, 8, 8, 2] };
        nets['critic1'] = { layers: [5, 8, 8, 1] };
        nets['critic2'] = { layers: [5, 8, 8, 1] };
        expect(c.networks).to.deep.equal(nets);
        expect(c.parameter_count).to.equal(N * mlpParameterCount([3, 8, 8, 2]));
        for (const o of observations(20)) {
          expect(Array.from(gamidGreedy(ck.actor, o))).to.deep.equal(Array.from(gamidGreedy(actor, o)));
        }
      });
    }
  });

  describe('corrupt or inconsistent files: ModelFormatError naming the file and the field', () => {
    it('a truncated weights.safetensors fails the hash check', () => {
      const { actor, critics: cs } = mixtureActor(1);
      saveMixtureActorCheckpoint(dir, actor, cs, INFO);
      const bytes = readFileSync(wPath());
      writeFileSync(wPath(), bytes.subarray(0, bytes.length - 100));
      expectThrows(
        () => loadMixtureActorCheckpoint(dir),
        ModelFormatError,
        /weights\.safetensors has SHA-256 [0-9a-f]{64} but config\.json records/,
        /truncated/,
      );
    });

    it('config.json that is not JSON', () => {
      const { actor, critics: cs } = gamidActor(2, 2);
      saveGamidActorCheckpoint(dir, actor, cs, INFO);
      const text = readFileSync(cfgPath(), 'utf8');
      writeFileSync(cfgPath(), text.slice(0, text.length >> 1));
      expectThrows(() => loadGamidActorCheckpoint(dir), ModelFormatError, /config\.json is not valid JSON/, /truncated or corrupt/);
    });

    it('a missing weights file', () => {
      const { actor, critics: cs } = mixtureActor(3);
      saveMixtureActorCheckpoint(dir, actor, cs, INFO);
      unlinkSync(wPath());
      expectThrows(() => loadMixtureActorCheckpoint(dir), ModelFormatError, /weights\.safetensors is missing/);
    });

    it('a directory that does not exist', () => {
      expectThrows(() => loadMixtureActorCheckpoint(join(dir, 'nope')), ModelFormatError, /nope is not a directory/);
    });

    it('a NaN inside a weights tensor (hash re-recorded) names the tensor and the index', () => {
      const { actor, critics: cs } = mixtureActor(4);
      saveMixtureActorCheckpoint(dir, actor, cs, INFO);
      rewriteTensor('actor.layer1.weight', (d) => (d[5] = NaN));
      expectThrows(
        () => loadMixtureActorCheckpoint(dir),
        ModelFormatError,
        /weights\.safetensors tensor "actor\.layer1\.weight" has a non-finite value NaN at flat index 5/,
      );
    });

    it('a NaN in a gamid critic or obs_offset tensor (hash re-recorded)', () => {
      const { actor, critics: cs } = gamidActor(5, 2);
      saveGamidActorCheckpoint(dir, actor, cs, INFO);
      rewriteTensor('critic2.layer0.bias', (d) => (d[1] = Infinity));
      expectThrows(
        () => loadGamidActorCheckpoint(dir),
        ModelFormatError,
        /tensor "critic2\.layer0\.bias" has a non-finite value Infinity at flat index 1/,
      );
      saveGamidActorCheckpoint(dir, actor, cs, INFO);
      rewriteTensor('obs_offset', (d) => (d[2] = NaN));
      expectThrows(() => loadGamidActorCheckpoint(dir), ModelFormatError, /tensor "obs_offset" has a non-finite value NaN at flat index 2/);
    });

    it('save refuses NaN parameters with a ValueError naming the field, and writes nothing', () => {
      const { actor, critics: cs } = mixtureActor(6);
      const w = actor.trunk.weights[0]!.slice();
      w[4] = NaN;
      const bad: MixtureActorParams = { ...actor, trunk: { ...actor.trunk, weights: [w, ...actor.trunk.weights.slice(1)] } };
      const target = join(dir, 'sub');
      expectThrows(
        () => saveMixtureActorCheckpoint(target, bad, cs, INFO),
        ValueError,
        /saveMixtureActorCheckpoint: trunk: weights\[0\]\[4\] is NaN/,
      );
      expect(existsSync(target)).to.equal(false);

      const g = gamidActor(7, 2);
      const b = g.actor.actors[1]!.biases[1]!.slice();
      b[0] = Infinity;
      const badG: GamidActorParams = {
        ...g.actor,
        actors: [g.actor.actors[0]!, { ...g.actor.actors[1]!, biases: [g.actor.actors[1]!.biases[0]!, b, g.actor.actors[1]!.biases[2]!] }],
      };
      expectThrows(
        () => saveGamidActorCheckpoint(target, badG, g.critics, INFO),
        ValueError,
        /saveGamidActorCheckpoint: actor 1: biases\[1\]\[0\] is Infinity/,
      );
      expect(existsSync(target)).to.equal(false);
    });

    it('save refuses a non-finite observation offset or action bound for both families (a checkpoint that would not load)', () => {
      const target = join(dir, 'sub');
      const m = mixtureActor(8);
      const off = m.actor.obsOffset.slice();
      off[1] = NaN;
      expectThrows(
        () => saveMixtureActorCheckpoint(target, { ...m.actor, obsOffset: off }, m.critics, INFO),
        ValueError,
        /obsOffset\[1\] is NaN/,
      );
      const g = gamidActor(9, 2);
      expectThrows(
        () => saveGamidActorCheckpoint(target, { ...g.actor, obsOffset: off }, g.critics, INFO),
        ValueError,
        /obsOffset\[1\] is NaN/,
      );
      const low = g.actor.actionLow.slice();
      low[0] = -Infinity;
      expectThrows(
        () => saveGamidActorCheckpoint(target, { ...g.actor, actionLow: low }, g.critics, INFO),
        ValueError,
        /actionLow\[0\] is -Infinity/,
      );
      expect(existsSync(target)).to.equal(false);
    });

    it('a mixture-actor directory loaded with loadGamidActorCheckpoint names the right loader, and the other way round', () => {
      const { actor, critics: cs } = mixtureActor(10);
      saveMixtureActorCheckpoint(dir, actor, cs, INFO);
      expectThrows(
        () => loadGamidActorCheckpoint(dir),
        ModelFormatError,
        /config\.json field "model_family" is "mixture-actor", expected "gamid-actor"/,
        /load it with loadMixtureActorCheckpoint/,
      );
      const other = mkdtempSync(join(tmpdir(), 'gmmrl-ac-ckpt-'));
      try {
        const g = gamidActor(11, 1);
        saveGamidActorCheckpoint(other, g.actor, g.critics, INFO);
        expectThrows(
          () => loadMixtureActorCheckpoint(other),
          ModelFormatError,
          /"model_family" is "gamid-actor", expected "mixture-actor"/,
          /load it with loadGamidActorCheckpoint/,
        );
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });

    it('an edited head K (or weights kind) inconsistent with the trunk output width (the hash covers the weights only)', () => {
      const { actor, critics: cs } = mixtureActor(12);
      saveMixtureActorCheckpoint(dir, actor, cs, INFO);
      editConfig((c) => (c['head'].K = 2));
      expectThrows(
        () => loadMixtureActorCheckpoint(dir),
        ModelFormatError,
        /config\.json/,
        /the trunk outputs 15 numbers but a head with K = 2, A = 2, learned weights needs 10/,
      );
      saveMixtureActorCheckpoint(dir, actor, cs, INFO);
      editConfig((c) => (c['head'].weights = 'uniform'));
      expectThrows(
        () => loadMixtureActorCheckpoint(dir),
        ModelFormatError,
        /config\.json/,
        /trunk outputs 15 numbers but a head with K = 3, A = 2, uniform weights needs 12/,
      );
      saveMixtureActorCheckpoint(dir, actor, cs, INFO);
      editConfig((c) => (c['head'].K = 0));
      expectThrows(() => loadMixtureActorCheckpoint(dir), ModelFormatError, /config\.json/, /components K = 0/);
    });

    it('edited network layers that disagree with the tensors', () => {
      const { actor, critics: cs } = gamidActor(13, 3);
      saveGamidActorCheckpoint(dir, actor, cs, INFO);
      editConfig((c) => (c['networks'].actor1.layers = [3, 8, 9, 2]));
      expectThrows(
        () => loadGamidActorCheckpoint(dir),
        ModelFormatError,
        /tensor "actor1\.layer1\.weight" has shape \[8,8\], expected \[8,9\]/,
      );
      saveGamidActorCheckpoint(dir, actor, cs, INFO);
      editConfig((c) => (c['N'] = 4));
      expectThrows(() => loadGamidActorCheckpoint(dir), ModelFormatError, /field "networks\.actor3\.layers" is undefined/);
      saveGamidActorCheckpoint(dir, actor, cs, INFO);
      editConfig((c) => (c['epsilon'] = 1.5));
      expectThrows(() => loadGamidActorCheckpoint(dir), ModelFormatError, /config\.json/, /epsilon = 1\.5/);
    });
  });
});
