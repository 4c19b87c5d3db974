import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../../sdk/util/rng.js';
import { saveGmmQfCheckpoint, loadGmmQfCheckpoint } from '../../../models/gmmqf/checkpoint.js';
import { decodeSafetensors, encodeSafetensors } from '../../../models/safetensors.js';
import { ModelFormatError, SpdError } from '../../../runtime/errors.js';
import { sha256Hex } from '../../../models/io.js';
import { expectThrows } from '../../helpers.js';
import { randomParams } from './fixtures.js';

const INFO = {
  observation_space: { kind: 'box' as const, shape: [3], low: [-1, -1, -1], high: [1, 1, 1] },
  action_space: { kind: 'discrete' as const, n: 2 },
  env_id: 'CartPole-v1',
  training: { algorithm: 'test', seed: 0 },
  backend: 'cpu',
};

describe('models/safetensors', () => {
  it('round-trips F64/F32/I32/I64 with the documented byte layout', () => {
    const bytes = encodeSafetensors({
      a: { dtype: 'F64', shape: [2, 2], data: Float64Array.from([1, -2.5, Math.PI, 1e-300]) },
      b: { dtype: 'F32', shape: [3], data: Float32Array.from([0.5, 2, -3]) },
      c: { dtype: 'I32', shape: [1], data: Int32Array.from([-7]) },
      d: { dtype: 'I64', shape: [2], data: BigInt64Array.from([1n, -(2n ** 40n)]) },
    }, { k: 'v' });
    const view = new DataView(bytes.buffer);
    const h = Number(view.getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + h)));
    expect(header.a).to.deep.equal({ dtype: 'F64', shape: [2, 2], data_offsets: [0, 32] });
    expect(header.__metadata__).to.deep.equal({ k: 'v' });
    expect((8 + h) % 8).to.equal(0);
    expect(view.getFloat64(8 + h + 16, true)).to.equal(Math.PI); // raw little-endian data
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Array.from(tensors.a!.data as Float64Array)).to.deep.equal([1, -2.5, Math.PI, 1e-300]);
    expect(Array.from(tensors.b!.data as Float32Array)).to.deep.equal([0.5, 2, -3]);
    expect(Array.from(tensors.c!.data as Int32Array)).to.deep.equal([-7]);
    expect(Array.from(tensors.d!.data as BigInt64Array)).to.deep.equal([1n, -(2n ** 40n)]);
    expect(metadata).to.deep.equal({ k: 'v' });
  });

  it('rejects truncated or corrupt buffers with ModelFormatError at every truncation point', () => {
    const bytes = encodeSafetensors({ a: { dtype: 'F64', shape: [4], data: new Float64Array(4) } });
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => decodeSafetensors(bytes.subarray(0, cut), 'w.safetensors')).to.throw(ModelFormatError, /w\.safetensors/);
    }
    const bad = bytes.slice();
    bad[10] = 0xff; // break the JSON
    expectThrows(() => decodeSafetensors(bad, 'x'), ModelFormatError, /header is not valid UTF-8 JSON/);
    const huge = bytes.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expectThrows(() => decodeSafetensors(huge, 'x'), ModelFormatError, /header length \d+ exceeds the file size/);
  });
});

describe('models/gmmqf/checkpoint', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gmmrl-ckpt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saves atomically and loads back bit-exactly with the documented config fields', () => {
    const p = randomParams(new Rng(4), 6, 3, 2);
    const sha = saveGmmQfCheckpoint(dir, p, INFO);
    expect(readdirSync(dir).sort()).to.deep.equal(['config.json', 'weights.safetensors']); // no temp files left
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    for (const f of ['model_family', 'K', 'A', 'D', 'kernel', 'obs_normalization', 'action_space', 'env_id', 'training', 'backend', 'library_version']) {
      expect(cfg, f).to.have.property(f);
    }
    expect(cfg.weights_sha256).to.equal(sha256Hex(readFileSync(join(dir, 'weights.safetensors'))));
    const ck = loadGmmQfCheckpoint(dir);
    expect(ck.sha256).to.equal(sha);
    expect(Array.from(ck.params.means)).to.deep.equal(Array.from(p.means));
    expect(Array.from(ck.params.covariances)).to.deep.equal(Array.from(p.covariances));
    expect(Array.from(ck.params.weights)).to.deep.equal(Array.from(p.weights));
    expect(Array.from(ck.params.obsScale)).to.deep.equal(Array.from(p.obsScale));
  });

  it('refuses a truncated weights file, a hash mismatch, and a broken config with clear errors', () => {
    const p = randomParams(new Rng(5), 3, 2, 2);
    saveGmmQfCheckpoint(dir, p, INFO);
    const w = join(dir, 'weights.safetensors');
    const bytes = readFileSync(w);
    writeFileSync(w, bytes.subarray(0, bytes.length - 9));
    expectThrows(() => loadGmmQfCheckpoint(dir), ModelFormatError, /SHA-256/, /truncated/);
    writeFileSync(join(dir, 'config.json'), '{"format": "gmmrl-checkpoint", ');
    expectThrows(() => loadGmmQfCheckpoint(dir), ModelFormatError, /config\.json is not valid JSON/);
    expectThrows(() => loadGmmQfCheckpoint(join(dir, 'nope')), ModelFormatError, /is not a directory/);
  });

  it('refuses non-SPD covariances (naming the component) and non-finite values', () => {
    const p = randomParams(new Rng(6), 3, 2, 2);
    const bad = { ...p, covariances: p.covariances.slice() };
    bad.covariances.set([1, 2, 2, 1], 4); // component 1: eigenvalues 3, −1
    saveGmmQfCheckpoint(dir, bad, INFO);
    expectThrows(() => loadGmmQfCheckpoint(dir), SpdError, /covariances\[1\] is not positive definite/, /SPD/);
    const nan = { ...p, weights: p.weights.slice() };
    nan.weights[3] = NaN;
    saveGmmQfCheckpoint(dir, nan, INFO);
    expectThrows(() => loadGmmQfCheckpoint(dir), ModelFormatError, /tensor "weights" has a non-finite value NaN at flat index 3/);
    const asym = { ...p, covariances: p.covariances.slice() };
    asym.covariances[1] += 0.1;
    saveGmmQfCheckpoint(dir, asym, INFO);
    expectThrows(() => loadGmmQfCheckpoint(dir), SpdError, /covariances\[0\] is not symmetric/);
  });
});
