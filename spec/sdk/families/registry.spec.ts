/**
 * The model-family registry (sdk/families/) against the contract (contract/families.ts): one
 * implementation module per contract family and no other, lookups by id and alias (td3 is the
 * deterministic actor of family gamid-actor), unknown names refused with the known ones named, and
 * each module's checkpoint → export → verify round trip on a tiny fixture checkpoint, directly and
 * through `gmmrl export` / `gmmrl verify`.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFormatError, UnknownNameError, ValueError } from '../../../contract/errors.js';
import { FAMILY, FAMILY_CONTRACTS, MODEL_FAMILIES, familyContract, familyLabel, type ModelFamily } from '../../../contract/families.js';
import { METADATA_KEY_JSON } from '../../../contract/metadata.js';
import { metadataMap, readOnnxModel } from '../../../runtime/onnx-reader.js';
import { initMlp, type MlpParams } from '../../../models/actor-critic/mlp.js';
import { headOutputSize } from '../../../models/mixture-actor/head.js';
import { loadGmmQfCheckpoint } from '../../../models/gmmqf/checkpoint.js';
import { buildBenchModel, BENCH_FAMILIES } from '../../../bench/models.js';
import { CHECKPOINT_FAMILIES, checkpointFamily } from '../../../sdk/checkpoints.js';
import { exportCommand, verifyCommand } from '../../../sdk/cli.js';
import { FAMILY_MODULES, familyFor, familyModule, type FamilyExportOptions } from '../../../sdk/families/index.js';
import { make } from '../../../sdk/envs/index.js';
import { spaceToJson } from '../../../sdk/spaces-json.js';
import { Rng } from '../../../sdk/util/rng.js';
import { randomSpd } from '../../models/gmmqf/fixtures.js';
import { randomDqnParams } from '../../models/dqn/fixtures.js';
import { expectRejects } from '../../helpers.js';
import { withoutDigestText } from '../../exporters/harness.js';

function info(envId: string, algorithm: string) {
  const env = make(envId);
  return {
    env_id: envId,
    observation_space: spaceToJson(env.observationSpace),
    action_space: spaceToJson(env.actionSpace),
    training: { algorithm },
    backend: 'test',
  };
}

const pendulum = { low: Float64Array.from([-2]), high: Float64Array.from([2]) };
const twinCritics = (rng: Rng): [MlpParams, MlpParams] => [initMlp([4, 8, 1], rng), initMlp([4, 8, 1], rng)];

function cartpoleGmmQf(seed: number, K = 4) {
  const rng = new Rng(seed);
  const D = 4;
  const A = 2;
  const covariances = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) covariances.set(randomSpd(rng, D, 0.3, 2), k * D * D);
  return {
    K,
    D,
    A,
    means: Float64Array.from({ length: K * D }, () => rng.normal()),
    covariances,
    weights: Float64Array.from({ length: K * A }, () => 50 * rng.normal()),
    obsOffset: new Float64Array(D),
    obsScale: Float64Array.from([0.5, 0.5, 0.1, 0.5]),
  };
}

function gamidActor(seed: number, C: number) {
  const rng = new Rng(seed);
  return {
    actors: Array.from({ length: C }, () => initMlp([3, 8, 1], rng)),
    critic: initMlp([4, 8, 1], rng),
    obsOffset: new Float64Array(3),
    obsScale: Float64Array.from([1, 1, 8]),
    actionLow: pendulum.low,
    actionHigh: pendulum.high,
    explorationStd: 0.2,
    epsilon: C > 1 ? 0.3 : 0,
  };
}

/**
 * A tiny checkpoint of every family, written with that family's own `checkpoint.save` (several for
 * some: S-GMM-QF's factored weights, TD3's single deterministic actor). `summary` is what the
 * export summary line must say after "exported DIR → FILE (N bytes, ".
 */
const FIXTURES: Record<ModelFamily, { name: string; save: (dir: string) => void; summary: RegExp }[]> = {
  [FAMILY.gmmqf]: [
    {
      name: 'gmmqf',
      save: (dir) => familyModule(FAMILY.gmmqf).checkpoint.save(dir, cartpoleGmmQf(1), info('CartPole-v1', 'gmmqf-policy-iteration')),
      summary: /^gmmqf, K=4, D=4, A=2, float32, sampling inputs\)$/,
    },
    {
      name: 'sgmmqf',
      save: (dir) => {
        const p = cartpoleGmmQf(2);
        // J = 2 factors: the weights times ones (their product is the weights exactly)
        const values = new Float64Array(2 * p.weights.length);
        values.set(p.weights);
        values.fill(1, p.weights.length);
        familyModule(FAMILY.gmmqf).checkpoint.save(dir, p, info('CartPole-v1', 's-gmm-qf'), { factors: { J: 2, rho: 1e-4, values } });
      },
      summary: /^gmmqf, K=4, D=4, A=2, float32, sampling inputs\)$/,
    },
  ],
  [FAMILY.dqn]: [
    {
      name: 'dqn',
      save: (dir) => familyModule(FAMILY.dqn).checkpoint.save(dir, randomDqnParams(new Rng(3), [4, 8, 2]), info('CartPole-v1', 'dqn')),
      summary: /^dqn, layers 4-8-2, float32, sampling inputs\)$/,
    },
  ],
  [FAMILY.mixtureActor]: [
    {
      name: 'sac',
      save: (dir) => {
        const rng = new Rng(4);
        const head = { K: 3, A: 1, weights: 'learned' as const, logStdMin: -5, logStdMax: 2 };
        const actor = {
          head,
          trunk: initMlp([3, 8, headOutputSize(head)], rng),
          obsOffset: new Float64Array(3),
          obsScale: Float64Array.from([1, 1, 8]),
          actionLow: pendulum.low,
          actionHigh: pendulum.high,
        };
        familyModule(FAMILY.mixtureActor).checkpoint.save(dir, actor, twinCritics(rng), info('Pendulum-v1', 'sac'));
      },
      summary: /^mixture-actor, K=3, layers 3-8-9, float32, sampling inputs\)$/,
    },
  ],
  [FAMILY.gamidActor]: [
    {
      name: 'gamid',
      save: (dir) => {
        const p = gamidActor(5, 3);
        familyModule(FAMILY.gamidActor).checkpoint.save(dir, p, [p.critic, twinCritics(new Rng(6))[1]], info('Pendulum-v1', 'gamid-pg'));
      },
      summary: /^gamid-actor, C=3, layers 3-8-1, float32, sampling inputs\)$/,
    },
    {
      name: 'td3',
      save: (dir) => {
        const p = gamidActor(7, 1);
        familyModule(FAMILY.gamidActor).checkpoint.save(dir, p, [p.critic, twinCritics(new Rng(8))[1]], info('Pendulum-v1', 'td3'));
      },
      summary: /^gamid-actor \(TD3 deterministic actor\), C=1, layers 3-8-1, float32, sampling inputs\)$/,
    },
  ],
};

describe('sdk/families: the model-family registry', function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gmmrl-families-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('one implementation module per contract family, and no other', () => {
    it('FAMILY_MODULES has exactly the contract families, once each, in the contract order', () => {
      expect(FAMILY_MODULES.map((m) => m.id)).to.deep.equal([...MODEL_FAMILIES]);
      expect(new Set(FAMILY_MODULES).size).to.equal(MODEL_FAMILIES.length);
      expect(Object.keys(FAMILY_CONTRACTS).sort()).to.deep.equal([...MODEL_FAMILIES].sort());
    });

    for (const id of MODEL_FAMILIES) {
      it(`${id}: familyModule, familyFor and the module's contract agree`, () => {
        const m = familyModule(id);
        expect(m.id).to.equal(id);
        expect(m.contract).to.equal(FAMILY_CONTRACTS[id]);
        expect(m.contract.id).to.equal(id);
        expect(familyFor(id)).to.equal(m);
      });
    }

    it('the checkpoint families and the bench families are the registry families', () => {
      expect([...CHECKPOINT_FAMILIES]).to.deep.equal([...MODEL_FAMILIES]);
      expect([...BENCH_FAMILIES]).to.deep.equal([...MODEL_FAMILIES]);
    });

    it('the fixtures below cover every family', () => {
      expect(Object.keys(FIXTURES).sort()).to.deep.equal([...MODEL_FAMILIES].sort());
    });
  });

  describe('lookup by name', () => {
    it('td3 is the deterministic actor of family gamid-actor; every other alias names its training algorithm’s family', () => {
      expect(familyFor('td3').id).to.equal(FAMILY.gamidActor);
      expect(familyFor('gamid').id).to.equal(FAMILY.gamidActor);
      expect(familyFor('sac').id).to.equal(FAMILY.mixtureActor);
      expect(familyFor('sgmmqf').id).to.equal(FAMILY.gmmqf);
      expect(familyFor('double-dqn').id).to.equal(FAMILY.dqn);
      expect(familyContract('td3')).to.equal(FAMILY_CONTRACTS[FAMILY.gamidActor]);
    });

    it('no alias is claimed twice or shadows a family id', () => {
      const aliases = MODEL_FAMILIES.flatMap((f) => FAMILY_CONTRACTS[f].aliases);
      expect(new Set(aliases).size).to.equal(aliases.length);
      for (const a of aliases) expect((MODEL_FAMILIES as readonly string[]).includes(a), a).to.equal(false);
    });

    it('an unknown name is an UnknownNameError naming every family and alias', () => {
      for (const name of ['ppo', '', 'GMMQF', 'gamid_actor']) {
        expect(() => familyFor(name)).to.throw(UnknownNameError, new RegExp(`unknown model family ${JSON.stringify(name)}`));
      }
      try {
        familyFor('ppo');
      } catch (e) {
        for (const f of MODEL_FAMILIES) expect((e as Error).message).to.contain(f);
        expect((e as Error).message).to.contain('td3 → gamid-actor');
      }
    });

    it('a checkpoint of an unknown family is a ModelFormatError naming the known ones', () => {
      const dir = join(tmp, 'unknown-family');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_family: 'td3' }));
      expect(() => checkpointFamily(dir)).to.throw(
        ModelFormatError,
        /"model_family" is "td3"; expected one of gmmqf, dqn, mixture-actor, gamid-actor/,
      );
    });

    it('familyLabel names TD3 for a gamid-actor trained by td3, and nothing extra otherwise', () => {
      expect(familyLabel(FAMILY.gamidActor, { algorithm: 'td3' })).to.equal('gamid-actor (TD3 deterministic actor)');
      expect(familyLabel(FAMILY.gamidActor, { algorithm: 'gamid-pg' })).to.equal('gamid-actor');
      expect(familyLabel(FAMILY.gamidActor, { algorithm: 'toString' })).to.equal('gamid-actor');
      expect(familyLabel(FAMILY.mixtureActor, { algorithm: 'td3' })).to.equal('mixture-actor');
      expect(familyLabel(FAMILY.gmmqf)).to.equal('gmmqf');
    });

    it("a directory of another family names that family's checkpoint and loader (hint from the contract)", () => {
      const dir = join(tmp, 'hint-dqn');
      FIXTURES[FAMILY.dqn][0]!.save(dir);
      expect(() => loadGmmQfCheckpoint(dir)).to.throw(
        ModelFormatError,
        /"model_family" is "dqn", expected "gmmqf": this is a DQN checkpoint; load it with loadDqnCheckpoint\./,
      );
    });
  });

  describe('checkpoint → export → verify round trip of every module', () => {
    const options: FamilyExportOptions = { precision: 'float32', sampling: 'inputs' };
    for (const id of MODEL_FAMILIES) {
      for (const fx of FIXTURES[id]) {
        it(`${id} (${fx.name}): load, metadata, export and verify; the file's metadata is the module's`, async () => {
          const dir = join(tmp, `direct-${fx.name}`);
          fx.save(dir);
          expect(checkpointFamily(dir)).to.equal(id);
          const m = familyModule(id);
          const ckpt = m.checkpoint.load(dir);
          const bytes = m.export(ckpt, options);
          const props = metadataMap(readOnnxModel(bytes));
          expect(withoutDigestText(props.get(METADATA_KEY_JSON)!)).to.equal(JSON.stringify(m.metadata(ckpt, options)));
          const meta = m.metadata(ckpt, options);
          expect(meta.family).to.equal(id);
          expect(meta.source_checkpoint_sha256).to.equal(ckpt.sha256);
          expect(meta.training).to.deep.equal(ckpt.config.training);
          if (fx.name === 'sgmmqf') expect(meta.sparsity?.factors).to.equal(2);
          else expect(meta).to.not.have.property('sparsity');
          const report = await m.verify(dir, bytes, { states: 60, seed: 1, backend: 'cpu' });
          expect(report.pass, JSON.stringify(report)).to.equal(true);
        });

        it(`${id} (${fx.name}): gmmrl export and gmmrl verify dispatch to it; the summary names the family`, async () => {
          const dir = join(tmp, `cli-${fx.name}`);
          fx.save(dir);
          const file = join(tmp, `${fx.name}.onnx`);
          const lines: string[] = [];
          expect(await exportCommand([dir, '--out', file], (l) => lines.push(l))).to.equal(file);
          expect(lines).to.have.length(1);
          const m = /^exported .* → .* \(\d+ bytes, (.*)$/.exec(lines[0]!);
          expect(m, lines[0]).to.not.equal(null);
          expect(m![1]).to.match(fx.summary);
          // the CLI writes what the module exports
          const module = familyModule(id);
          expect(new Uint8Array(readFileSync(file))).to.deep.equal(
            module.export(module.checkpoint.load(dir), { precision: 'float32', sampling: 'inputs' }),
          );
          const out: string[] = [];
          expect(await verifyCommand([dir, file, '--states', '60', '--backend', 'cpu', '--json'], (l) => out.push(l))).to.equal(true);
          expect(JSON.parse(out.join('\n')).pass).to.equal(true);
        });
      }
    }

    it('a file from another checkpoint of the same family fails verify (the round trip can fail)', async () => {
      const a = join(tmp, 'mismatch-gamid');
      const b = join(tmp, 'other-gamid');
      FIXTURES[FAMILY.gamidActor][0]!.save(a);
      const p = gamidActor(9, 3);
      familyModule(FAMILY.gamidActor).checkpoint.save(b, p, [p.critic, twinCritics(new Rng(10))[1]], info('Pendulum-v1', 'gamid-pg'));
      const m = familyModule(FAMILY.gamidActor);
      // the file records b's weights hash: verify refuses the pair before comparing anything
      const err = await expectRejects(
        () => m.verify(a, m.export(m.checkpoint.load(b), options), { states: 60 }),
        ModelFormatError,
        /was exported from the checkpoint whose weights have SHA-256 [0-9a-f]{64}, but .*mismatch-gamid.weights\.safetensors has SHA-256 [0-9a-f]{64}/,
      );
      expect(err.message).to.include(m.checkpoint.load(b).sha256);
      // the same file passes against its own checkpoint (the refusal is about the pair)
      expect((await m.verify(b, m.export(m.checkpoint.load(b), options), { states: 60 })).pass).to.equal(true);
    });
  });

  describe('gmmrl export: the Q-only flags are refused for actors, by kind', () => {
    it('--sampling none and --epsilon on an actor; the Gamid message says its ε is the checkpoint’s', async () => {
      const td3 = join(tmp, 'flags-td3');
      const sac = join(tmp, 'flags-sac');
      FIXTURES[FAMILY.gamidActor][1]!.save(td3);
      FIXTURES[FAMILY.mixtureActor][0]!.save(sac);
      const file = join(tmp, 'never.onnx');
      await expectRejects(
        () => exportCommand([td3, '--out', file, '--sampling', 'none'], () => {}),
        ValueError,
        /--sampling none is for Q models; a gamid-actor always has action_sampled/,
      );
      await expectRejects(
        () => exportCommand([td3, '--out', file, '--epsilon', '0.1'], () => {}),
        ValueError,
        /a gamid-actor samples from its own policy \(its ε is the checkpoint's\)\./,
      );
      await expectRejects(
        () => exportCommand([sac, '--out', file, '--epsilon', '0.1'], () => {}),
        ValueError,
        /a mixture-actor samples from its own policy\.$/,
      );
    });

    it('--epsilon on a Q model goes into the sampled head; the default is the run’s final ε', async () => {
      const dir = join(tmp, 'eps-dqn');
      FIXTURES[FAMILY.dqn][0]!.save(dir);
      const m = familyModule(FAMILY.dqn);
      const ckpt = m.checkpoint.load(dir);
      expect(m.metadata(ckpt, { precision: 'float32', sampling: 'inputs', epsilon: 0.25 }).sampling?.epsilon).to.equal(0.25);
      expect(m.metadata(ckpt, { precision: 'float32', sampling: 'inputs' }).sampling?.epsilon).to.equal(0.05);
      ckpt.config.training['epsEnd'] = 0.02;
      expect(m.metadata(ckpt, { precision: 'float32', sampling: 'inputs' }).sampling?.epsilon).to.equal(0.02);
    });
  });

  describe('bench models come from the registry', () => {
    for (const id of MODEL_FAMILIES) {
      it(`${id}: buildBenchModel is the module's bench model`, () => {
        const a = buildBenchModel(id);
        const b = familyModule(id).bench.build();
        expect(a.family).to.equal(id);
        expect(a.spec.family).to.equal(id);
        expect(a.bytes).to.deep.equal(b.bytes);
        expect(a.observations(3, 5)).to.deep.equal(familyModule(id).bench.observations(3, 5));
        expect(a.observations(3, 5).length).to.equal(5 * a.obsSize);
      });
    }
  });
});
