/**
 * sdk/library: saveCheckpoint → exportCheckpoint → verifyCheckpoint for every trainer's result, and
 * every public training entry point in a fresh process (no TensorFlow.js backend set up by the
 * caller: each must select and initialise its own, as trainBanditActor failed to). Each child
 * trains on a tiny budget, then saves, exports and verifies its result with the library calls and
 * nothing rebuilt by hand. In this process: the refusals (ValueError naming the option, its value
 * and the fix), and that a library save writes what `gmmrl train`'s entry writes.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suiteTempDir } from '../helpers.js';
import * as sdk from '../../sdk/index.js';
import { ValueError } from '../../contract/errors.js';
import { CONFIG_FILE } from '../../models/checkpoint-files.js';
import { saveGmmQfCheckpoint } from '../../models/gmmqf/checkpoint.js';
import type { GmmQfTrainResult } from '../../sdk/algorithms/gmmqf.js';
import type { SacTrainResult } from '../../sdk/algorithms/sac.js';
import { exportCheckpoint, saveCheckpoint, verifyCheckpoint } from '../../sdk/library.js';
import { unregisterEnv } from '../../sdk/envs/index.js';
import { TOY_ID, registerToyEnv } from '../architecture/toy-env.js';
import { TOY_ENTRY, trainToy } from '../architecture/toy-algorithm.js';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SDK = join(DIST, 'sdk', 'index.js');

const PENDULUM = "{ env: 'Pendulum-v1', steps: 60, seed: 0, hidden: [8], batchSize: 8, warmupSteps: 30, evalEpisodes: 1 }";
/** Every exported train* function → the call a fresh process makes (tiny budget, no backend option). */
const FRESH_CALLS: Record<string, string> = {
  trainGmmQf:
    "g.trainGmmQf({ env: 'CartPole-v1', steps: 600, stepsPerIteration: 600, warmupSteps: 300, components: 4, evalEpisodes: 1, seed: 0 })",
  trainSgmmqf: "g.trainSgmmqf({ env: 'CartPole-v1', steps: 300, warmupSteps: 100, components: 4, batchSize: 8, evalEpisodes: 1, seed: 0 })",
  trainDqn: "g.trainDqn({ env: 'CartPole-v1', steps: 300, warmupSteps: 100, hidden: [8], batchSize: 8, evalEpisodes: 1, seed: 0 })",
  trainSac: `g.trainSac(${PENDULUM})`,
  trainTd3: `g.trainTd3(${PENDULUM})`,
  trainGamid: `g.trainGamid(${PENDULUM})`,
};
/** Exports named train* that are not training entry points, and the one covered by its own spec. */
const NOT_HERE: Record<string, string> = {
  trainAlgorithms: 'lists the `gmmrl train` entries; trains nothing',
  trainBanditActor: 'its fresh-process test is spec/sdk/algorithms/sac-bandit.spec.ts (its result is a curve, no model to save)',
};

describe('sdk/library: saveCheckpoint, exportCheckpoint, verifyCheckpoint', function () {
  this.timeout(180_000);
  const tmp = suiteTempDir('gmmrl-library-');

  it('every exported train* function is a training entry point tested in a fresh process below (or listed with its reason)', () => {
    const trainers = Object.keys(sdk)
      .filter((k) => /^train[A-Z]/.test(k))
      .sort();
    expect(trainers).to.deep.equal([...Object.keys(FRESH_CALLS), ...Object.keys(NOT_HERE)].sort());
  });

  for (const [name, call] of Object.entries(FRESH_CALLS)) {
    it(`${name} runs in a fresh process with no backend set up, and its result saves, exports and verifies with the three calls`, () => {
      const dir = join(tmp(), name);
      const script = `
        const g = await import(${JSON.stringify(SDK)});
        const result = await ${call};
        const saved = await g.saveCheckpoint(result, ${JSON.stringify(join(dir, 'checkpoint'))}, result.config.env === 'Pendulum-v1' ? { finalEpisodes: 1 } : {});
        const onnx = await g.exportCheckpoint(saved, { out: ${JSON.stringify(join(dir, 'policy.onnx'))} });
        const report = await g.verifyCheckpoint(saved, onnx, { states: 30 });
        await g.assertParity(saved.dir, onnx, { states: 30 });
        console.log(JSON.stringify({ saved, onnx, pass: report.pass, backend: result.backend?.name ?? null }));
      `;
      const p = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(p.status, p.stderr).to.equal(0);
      const r = JSON.parse(p.stdout.trim().split('\n').at(-1)!) as {
        saved: { dir: string; family: string; algorithm: string; sha256: string };
        onnx: string;
        pass: boolean;
      };
      expect(r.pass).to.equal(true);
      expect(r.saved.algorithm).to.equal(name === 'trainGmmQf' ? 'gmmqf' : name.slice(5).toLowerCase());
      expect(r.saved.family).to.equal(sdk.checkpointFamily(r.saved.dir));
      const config = JSON.parse(readFileSync(join(r.saved.dir, CONFIG_FILE), 'utf8')) as { weights_sha256: string };
      expect(config.weights_sha256).to.equal(r.saved.sha256);
      expect(existsSync(r.onnx)).to.equal(true);
    });
  }

  describe('in this process', () => {
    let gmm: GmmQfTrainResult;
    let sac: SacTrainResult;
    let ckpt: string;
    let onnx: string;
    before(async () => {
      gmm = await sdk.trainGmmQf({
        env: 'CartPole-v1',
        steps: 600,
        stepsPerIteration: 600,
        warmupSteps: 300,
        components: 4,
        evalEpisodes: 1,
        seed: 0,
        backend: 'cpu',
      });
      sac = await sdk.trainSac({
        env: 'Pendulum-v1',
        steps: 60,
        seed: 0,
        hidden: [8],
        batchSize: 8,
        warmupSteps: 30,
        evalEpisodes: 1,
        backend: 'cpu',
      });
      ckpt = join(tmp(), 'gmm');
      const saved = await saveCheckpoint(gmm, ckpt);
      onnx = await exportCheckpoint(saved, { out: join(tmp(), 'gmm.onnx') });
    });

    it("writes what the `gmmrl train` entry writes: the same weights as saveGmmQfCheckpoint with the trainer's record", () => {
      const sha = saveGmmQfCheckpoint(join(tmp(), 'gmm-direct'), gmm.params, gmm.checkpointInfo);
      expect(JSON.parse(readFileSync(join(ckpt, CONFIG_FILE), 'utf8')).weights_sha256).to.equal(sha);
    });

    it("an algorithm added with registerAlgorithm: a result whose algorithm names its entry saves through the entry's save", async () => {
      registerToyEnv();
      sdk.registerAlgorithm(TOY_ENTRY);
      try {
        const r = await trainToy({ env: TOY_ID, steps: 600, seed: 3 });
        const saved = await saveCheckpoint({ ...r, algorithm: TOY_ENTRY.name }, join(tmp(), 'toy'));
        expect(saved).to.include({ algorithm: 'toy', family: sdk.FAMILY.dqn });
        const file = await exportCheckpoint(saved, { out: join(tmp(), 'toy.onnx') });
        expect((await verifyCheckpoint(saved, file, { states: 30, backend: 'cpu' })).pass).to.equal(true);
      } finally {
        sdk.unregisterAlgorithm(TOY_ENTRY.name);
        unregisterEnv(TOY_ID);
      }
    });

    it('refuses what is not a trainer result, naming it and the fix', async () => {
      await expectValueError(
        () => saveCheckpoint(null as never, join(tmp(), 'x')),
        /saveCheckpoint: result is null, not a training result; pass what a trainer/,
      );
      await expectValueError(
        () => saveCheckpoint({ params: gmm.params } as never, join(tmp(), 'x')),
        /result\.algorithm is undefined; expected the name of a training algorithm \(gmmqf, sgmmqf, dqn, sac, td3, gamid\)/,
      );
      await expectValueError(() => saveCheckpoint({ algorithm: 'ppo', config: {} }, join(tmp(), 'x')), /result\.algorithm is "ppo"/);
      await expectValueError(() => saveCheckpoint({ ...gmm, config: undefined } as never, join(tmp(), 'x')), /result\.config is undefined/);
      const bandit = { curve: [], finalReward: 0, greedyReward: 0, greedyAction: [0], wallSeconds: 0 };
      await expectValueError(() => saveCheckpoint(bandit as never, join(tmp(), 'x')), /trainBanditActor result .* no model to deploy/);
      expect(existsSync(join(tmp(), 'x'))).to.equal(false);
    });

    it('refuses a dir that is a file or not empty; overwrite replaces only a checkpoint directory', async () => {
      const file = join(tmp(), 'a-file');
      writeFileSync(file, 'x');
      await expectValueError(() => saveCheckpoint(gmm, file), /dir .*a-file exists and is not a directory/);
      await expectValueError(() => saveCheckpoint(gmm, ''), /dir is ""; pass the directory to write/);
      await expectValueError(
        () => saveCheckpoint(gmm, ckpt),
        /is not empty \(config\.json, weights\.safetensors\); choose a new directory, or pass \{ overwrite: true \}/,
      );
      const other = join(tmp(), 'other');
      mkdirSync(other);
      writeFileSync(join(other, 'notes.txt'), 'mine');
      await expectValueError(() => saveCheckpoint(gmm, other), /is not empty \(notes\.txt\); choose a new directory\.$/);
      await expectValueError(() => saveCheckpoint(gmm, other, { overwrite: true }), /holds more than a checkpoint \(notes\.txt\)/);
      expect(readFileSync(join(other, 'notes.txt'), 'utf8')).to.equal('mine');
      const again = await saveCheckpoint(gmm, ckpt, { overwrite: true });
      expect(again.sha256).to.equal(JSON.parse(readFileSync(join(ckpt, CONFIG_FILE), 'utf8')).weights_sha256);
    });

    it('refuses bad save options, naming them', async () => {
      await expectValueError(
        () => saveCheckpoint(gmm, join(tmp(), 'y'), { overwrit: true } as never),
        /unknown option "overwrit"; the options are overwrite, finalEpisodes/,
      );
      await expectValueError(
        () => saveCheckpoint(gmm, join(tmp(), 'y'), { overwrite: 'yes' } as never),
        /options\.overwrite is "yes"; expected true or false/,
      );
      await expectValueError(
        () => saveCheckpoint(gmm, join(tmp(), 'y'), { finalEpisodes: 3 }),
        /options\.finalEpisodes applies to the actor-critics .* a gmmqf result has no final evaluation/,
      );
      await expectValueError(
        () => saveCheckpoint(sac, join(tmp(), 'y'), { finalEpisodes: -1 }),
        /options\.finalEpisodes is -1; expected an integer ≥ 0/,
      );
      expect(existsSync(join(tmp(), 'y'))).to.equal(false);
      const saved = await saveCheckpoint(sac, join(tmp(), 'sac'), { finalEpisodes: 0 });
      expect(saved.family).to.equal(sdk.FAMILY.mixtureActor);
    });

    it('refuses bad export options, naming the option, its value and the choices', async () => {
      const out = join(tmp(), 'e.onnx');
      await expectValueError(
        () => exportCheckpoint(ckpt, {} as never),
        /exportCheckpoint: options\.out is undefined; name the \.onnx file/,
      );
      await expectValueError(
        () => exportCheckpoint(ckpt, { out, precision: 'float16' as never }),
        /options\.precision is "float16"; expected one of float32, float64/,
      );
      await expectValueError(
        () => exportCheckpoint(ckpt, { out, sampling: true as never }),
        /options\.sampling is true; expected a string \(inputs, in-graph, none\)/,
      );
      await expectValueError(
        () => exportCheckpoint(ckpt, { out, epsilon: Number.NaN }),
        /options\.epsilon is NaN; expected a finite number/,
      );
      await expectValueError(
        () => exportCheckpoint(ckpt, { out, precison: 'float64' } as never),
        /unknown option "precison"; the options are out, precision, sampling, epsilon/,
      );
      await expectValueError(
        () => exportCheckpoint(42 as never, { out }),
        /exportCheckpoint: the checkpoint is 42; pass a checkpoint or run directory/,
      );
      await expectValueError(
        () => exportCheckpoint(gmm as never, { out }),
        /the checkpoint is a training result \(algorithm "gmmqf"\), not a checkpoint; save it first: const saved = await saveCheckpoint\(result, dir\)/,
      );
      // the command's own checks apply unchanged (one code path)
      await expectValueError(() => exportCheckpoint(join(tmp(), 'sac'), { out, sampling: 'none' }), /--sampling none is for Q models/);
      await expectValueError(() => exportCheckpoint(ckpt, { out: join(ckpt, CONFIG_FILE) }), /part of the checkpoint being exported/);
      expect(existsSync(out)).to.equal(false);
      expect(await exportCheckpoint(ckpt, { out, precision: 'float64', sampling: 'none' })).to.equal(out);
    });

    it('verifyCheckpoint resolves with the report (a checkpoint path or what saveCheckpoint returned) and refuses bad options', async () => {
      const report = await verifyCheckpoint(ckpt, onnx, { states: 30, backend: 'cpu' });
      expect(report.pass).to.equal(true);
      expect(report.states.total).to.equal(30);
      await expectValueError(
        () => verifyCheckpoint(ckpt, onnx, { states: 'many' as never }),
        /verifyCheckpoint: options\.states is "many"; expected an integer/,
      );
      await expectValueError(
        () => verifyCheckpoint(ckpt, onnx, { backend: 'gpu' as never }),
        /options\.backend is "gpu"; expected one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu, wasm-threads/,
      );
      await expectValueError(
        () => verifyCheckpoint(ckpt, onnx, { state: 30 } as never),
        /unknown option "state"; the options are states, seed, rtol, backend/,
      );
      await expectValueError(
        () => verifyCheckpoint(ckpt, undefined as never),
        /verifyCheckpoint: onnx is undefined; pass the path of the \.onnx file/,
      );
      await expectValueError(
        () => sdk.assertParity(ckpt, onnx, { states: 1.5 }),
        /assertParity: options\.states is 1\.5; expected an integer/,
      );
    });
  });
});

async function expectValueError(f: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ValueError matching ${pattern}`).to.be.instanceOf(ValueError);
  expect((err as Error).message).to.match(pattern);
}
