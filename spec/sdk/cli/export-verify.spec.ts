/**
 * `gmmrl export` and `gmmrl verify` apply the same checks to a checkpoint (sdk/families/checks.ts and
 * the loaders), verify refuses a file that is not the checkpoint's export whatever the tolerance,
 * tolerance flags must be > 0, a failing verify says in one line what failed where and by how much,
 * and bad flags exit 2 with a message naming the flag, never a stack trace.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../sdk/cli.js';
import { gmmqfFamily } from '../../../sdk/families/gmmqf.js';
import { saveGmmQfCheckpoint, loadGmmQfCheckpoint } from '../../../models/gmmqf/checkpoint.js';
import { make } from '../../../sdk/envs/index.js';
import { spaceToJson } from '../../../sdk/spaces-json.js';
import { Rng } from '../../../sdk/util/rng.js';
import { randomParams } from '../../models/gmmqf/fixtures.js';
import { captureCli, type CliRun } from '../../helpers.js';

const cli = (...argv: string[]): Promise<CliRun> => captureCli(main, argv);

function cartpoleInfo() {
  const env = make('CartPole-v1');
  return {
    env_id: 'CartPole-v1',
    observation_space: spaceToJson(env.observationSpace),
    action_space: spaceToJson(env.actionSpace),
    training: { algorithm: 'test' },
    backend: 'cpu',
  };
}

describe('gmmrl export / verify: one set of checks, clear failures', function () {
  this.timeout(180_000);
  let dir: string;
  let a: string;
  let b: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gmmrl-xv-'));
    a = join(dir, 'a');
    b = join(dir, 'b');
    saveGmmQfCheckpoint(a, randomParams(new Rng(1), 4, 4, 2), cartpoleInfo());
    saveGmmQfCheckpoint(b, randomParams(new Rng(2), 4, 4, 2), cartpoleInfo());
    for (const d of [a, b]) expect((await cli('export', d, '--out', `${d}.onnx`)).code).to.equal(0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the file of another checkpoint fails verify even with --rtol 1e9, naming both hashes (it passed before)', async () => {
    const v = await cli('verify', a, `${b}.onnx`, '--states', '30', '--rtol', '1e9');
    expect(v.code, v.out).to.equal(2);
    const shaA = loadGmmQfCheckpoint(a).sha256;
    const shaB = loadGmmQfCheckpoint(b).sha256;
    expect(v.err).to.match(
      new RegExp(`was exported from the checkpoint whose weights have SHA-256 ${shaB}, but .*a.weights\\.safetensors has SHA-256 ${shaA}`),
    );
    expect((await cli('verify', a, `${a}.onnx`, '--states', '30')).code).to.equal(0);
  });

  it('a file that records no source checkpoint is refused by gmmrl verify', async () => {
    const ck = loadGmmQfCheckpoint(a);
    const file = join(dir, 'nosource.onnx');
    const { exportGmmQf } = await import('../../../exporters/onnx/gmmqf.js');
    writeFileSync(
      file,
      exportGmmQf(ck.params, { envId: 'CartPole-v1', observationSpace: { shape: [4], low: [-1, -1, -1, -1], high: [1, 1, 1, 1] } }),
    );
    const v = await cli('verify', a, file, '--states', '30');
    expect(v.code).to.equal(2);
    expect(v.err).to.match(/records no source checkpoint \(metadata source_checkpoint_sha256\)/);
  });

  it('a failing verify says in one line which output failed at which state and entry, by how much', async () => {
    const ck = loadGmmQfCheckpoint(a);
    const w = ck.params.weights.slice();
    w[3]! *= 1.01;
    const file = join(dir, 'nudged.onnx');
    writeFileSync(file, gmmqfFamily.export({ ...ck, params: { ...ck.params, weights: w } }, { precision: 'float32', sampling: 'inputs' }));
    const v = await cli('verify', a, file, '--states', '60');
    expect(v.code).to.equal(1);
    const lines = v.out.split('\n');
    const last = lines.at(-1)!;
    expect(last).to.match(
      /^verify: FAIL: state \d+ \((rollout|uniform|far)\): output (q, entry \d: value \S+ \(ONNX Runtime\), reference \S+ \(TensorFlow\.js\), relative difference \S+ > tolerance 0\.00001|action: \d \(ONNX Runtime\), reference \d)/,
    );
    // the summary says which mode failed; --json prints the report alone, its failure the same line
    expect(v.out).to.match(/^greedy: +FAIL\./m);
    const j = await cli('verify', a, file, '--states', '60', '--json');
    expect(j.code).to.equal(1);
    expect(JSON.parse(j.out).failure).to.equal(last.replace('verify: FAIL: ', ''));
  });

  it('export refuses an unknown env_id, naming it and the registered ones (verify refused it already)', async () => {
    const c = join(a, 'config.json');
    const text = readFileSync(c, 'utf8');
    try {
      // without its config_sha256 (as written before gmmrl recorded it), so the env_id check itself is what refuses it
      const { config_sha256: _d, ...edited } = JSON.parse(text.replace('"env_id": "CartPole-v1"', '"env_id": "Nope-v3"')) as Record<
        string,
        unknown
      >;
      void _d;
      writeFileSync(c, JSON.stringify(edited, null, 2));
      for (const argv of [
        ['export', a, '--out', join(dir, 'never.onnx')],
        ['verify', a, `${a}.onnx`, '--states', '30'],
      ]) {
        const r = await cli(...argv);
        expect(r.code, argv[0]).to.equal(2);
        expect(r.err).to.match(/field "env_id" is "Nope-v3", which is not a registered environment \(registered: .*CartPole-v1/);
      }
    } finally {
      writeFileSync(c, text);
    }
  });

  it('export and verify refuse the same corrupt checkpoint with the same message (a missing training record was a TypeError in export)', async () => {
    const c = join(a, 'config.json');
    const text = readFileSync(c, 'utf8');
    try {
      for (const edit of [
        (o: Record<string, unknown>) => delete o['training'],
        (o: Record<string, unknown>) => delete o['observation_space'],
        (o: Record<string, any>) => (o['observation_space'].high[0] = 1),
      ]) {
        const o = JSON.parse(text);
        edit(o);
        writeFileSync(c, JSON.stringify(o));
        const x = await cli('export', a, '--out', join(dir, 'never.onnx'));
        const v = await cli('verify', a, `${a}.onnx`, '--states', '30');
        expect(x.code).to.equal(2);
        expect(v.code).to.equal(2);
        expect(x.err).to.equal(v.err);
        expect(x.err).to.not.match(/\n\s+at /);
      }
    } finally {
      writeFileSync(c, text);
    }
  });

  it('bad flags of export and verify: exit 2 with a message naming the flag, never a stack trace', async () => {
    const onnx = `${a}.onnx`;
    const cases: [string[], RegExp][] = [
      [['verify', a, onnx, '--rtol', '0'], /--rtol 0 must be > 0/],
      [['verify', a, onnx, '--rtol', '-1'], /--rtol -1 must be > 0/],
      [['verify', a, onnx, '--rtol', 'NaN'], /--rtol must be a finite number; got "NaN"/],
      [['verify', a, onnx, '--rtol', 'Infinity'], /--rtol must be a finite number; got "Infinity"/],
      [['verify', a, onnx, '--rtol', ''], /--rtol/],
      [['verify', a, onnx, '--rtol'], /--rtol/],
      [['verify', a, onnx, '--states', '2'], /--states 2 is too few/],
      [['verify', a, onnx, '--states', '1.5'], /--states must be an integer/],
      [['verify', a, onnx, '--states', '-5'], /--states -5 is too few/],
      [['verify', a, onnx, '--seed', '-1'], /--seed -1 is outside \[0, 2³² − 2\]/],
      [['verify', a, onnx, '--seed', '99999999999'], /--seed 99999999999 is outside/],
      [['verify', a, onnx, '--backend', 'gpu'], /--backend must be one of/],
      [['verify', a, onnx, '--tolerance', '1'], /unknown flag --tolerance/],
      [['verify', a], /the \.onnx file/],
      [['verify', a, onnx, 'extra'], /extra|positional|argument/i],
      [['verify', join(dir, 'missing'), onnx], /is not a directory/],
      [['verify', a, join(dir, 'missing.onnx')], /missing\.onnx/],
      [['verify', a, dir], /is a directory; expected a regular file/],
      [['export', a, '--out', join(dir, 'x.onnx'), '--precision', 'float16'], /--precision must be one of float32, float64; got "float16"/],
      [['export', a, '--out', join(dir, 'x.onnx'), '--sampling', 'maybe'], /--sampling must be one of/],
      [['export', a, '--out', join(dir, 'x.onnx'), '--epsilon', '2'], /--epsilon 2 is outside \[0, 1\]/],
      [['export', a, '--out', join(dir, 'x.onnx'), '--epsilon', 'NaN'], /--epsilon must be a finite number/],
      [['export', a, '--out', join(dir, 'x.onnx'), '--epsilon', '-0.5'], /--epsilon -0\.5 is outside \[0, 1\]/],
      [['export', a, '--out', join(dir, 'x.onnx'), '--opset', '17'], /unknown flag --opset/],
      [['export', a], /--out is required/],
      [['export', join(dir, 'missing'), '--out', join(dir, 'x.onnx')], /is not a directory/],
    ];
    for (const [argv, re] of cases) {
      const r = await cli(...argv);
      const err = r.err;
      expect(r.code, `${argv.join(' ')}: ${err}`).to.equal(2);
      expect(err, argv.join(' ')).to.match(re);
      expect(err, argv.join(' ')).to.not.match(/\n\s+at /);
    }
  });
});
