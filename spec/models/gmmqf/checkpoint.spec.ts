import { expect } from 'chai';
import { editCheckpointConfig } from '../config-edit.js';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../../sdk/util/rng.js';
import { saveGmmQfCheckpoint, loadGmmQfCheckpoint, type WeightFactors } from '../../../models/gmmqf/checkpoint.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../../models/safetensors.js';
import { productOfFactors as hadamardProduct } from '../../../models/gmmqf/hadamard.js';
import type { GmmQfParams } from '../../../models/gmmqf/params.js';
import { ModelFormatError, SpdError, ValueError } from '../../../contract/errors.js';
import { sha256Hex } from '../../../models/io.js';
import { expectThrows } from '../../helpers.js';
import { acrobotParams, randomParams } from './fixtures.js';

const INFO = {
  observation_space: { kind: 'box' as const, shape: [3], low: [-1, -1, -1], high: [1, 1, 1] },
  action_space: { kind: 'discrete' as const, n: 2 },
  env_id: 'CartPole-v1',
  training: { algorithm: 'test', seed: 0 },
  backend: 'cpu',
};

/** INFO with spaces that fit a model of D inputs and A discrete actions (the loader checks them against the tensors). */
function info(p: { D: number; A: number }): typeof INFO {
  const bound = (v: number) => Array.from({ length: p.D }, () => v);
  return {
    ...INFO,
    observation_space: { kind: 'box', shape: [p.D], low: bound(-1), high: bound(1) },
    action_space: { kind: 'discrete', n: p.A },
  };
}

describe('models/safetensors', () => {
  it('round-trips F64/F32/I32/I64 with the documented byte layout', () => {
    const bytes = encodeSafetensors(
      {
        a: { dtype: 'F64', shape: [2, 2], data: Float64Array.from([1, -2.5, Math.PI, 1e-300]) },
        b: { dtype: 'F32', shape: [3], data: Float32Array.from([0.5, 2, -3]) },
        c: { dtype: 'I32', shape: [1], data: Int32Array.from([-7]) },
        d: { dtype: 'I64', shape: [2], data: BigInt64Array.from([1n, -(2n ** 40n)]) },
      },
      { k: 'v' },
    );
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
    const sha = saveGmmQfCheckpoint(dir, p, info(p));
    expect(readdirSync(dir).sort()).to.deep.equal(['config.json', 'weights.safetensors']); // no temp files left
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    for (const f of [
      'model_family',
      'K',
      'A',
      'D',
      'kernel',
      'obs_normalization',
      'action_space',
      'env_id',
      'training',
      'backend',
      'library_version',
    ]) {
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
    saveGmmQfCheckpoint(dir, p, info(p));
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
    saveGmmQfCheckpoint(dir, bad, info(bad));
    expectThrows(() => loadGmmQfCheckpoint(dir), SpdError, /covariances\[1\] is not positive definite/, /SPD/);
    const nan = { ...p, weights: p.weights.slice() };
    nan.weights[3] = NaN;
    saveGmmQfCheckpoint(dir, nan, info(nan));
    expectThrows(() => loadGmmQfCheckpoint(dir), ModelFormatError, /tensor "weights" has a non-finite value NaN at flat index 3/);
    const asym = { ...p, covariances: p.covariances.slice() };
    asym.covariances[1]! += 0.1;
    saveGmmQfCheckpoint(dir, asym, info(asym));
    expectThrows(() => loadGmmQfCheckpoint(dir), SpdError, /covariances\[0\] is not symmetric/);
  });
});

describe('models/gmmqf/checkpoint: features, action grids and Hadamard factors', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gmmrl-ckpt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const PENDULUM_INFO = {
    observation_space: { kind: 'box' as const, shape: [3], low: [-1, -1, -8], high: [1, 1, 8] },
    action_space: { kind: 'box' as const, shape: [1], low: [-2], high: [2] },
    env_id: 'Pendulum-v1',
    training: {},
    backend: 'cpu',
  };
  const ACROBOT_INFO = {
    ...INFO,
    action_space: { kind: 'discrete' as const, n: 3 },
    env_id: 'Acrobot-v1',
    observation_space: { kind: 'box' as const, shape: [6], low: [-1, -1, -1, -1, -12.6, -28.3], high: [1, 1, 1, 1, 12.6, 28.3] },
  };

  function gridParams(seed: number): GmmQfParams {
    const p = randomParams(new Rng(seed), 4, 3, 5);
    return { ...p, actionGrid: { shape: [1], values: Float64Array.from([-2, -1, 0, 1, 2]), low: [-2], high: [2] } };
  }

  /** Factors [J, K, A] and weights = their product. */
  function factored(seed: number, J: number): { p: GmmQfParams; factors: WeightFactors } {
    const rng = new Rng(seed);
    const p = randomParams(rng, 5, 2, 3);
    const values = Float64Array.from({ length: J * 5 * 3 }, () => rng.normal());
    values[2] = 0; // a zero in factor 0 → a zero weight
    return { p: { ...p, weights: hadamardProduct(values, J, 15) }, factors: { J, rho: 1e-3, values } };
  }

  /** Rewrites the checkpoint: tensors and/or config edited, the config's hash updated to match. */
  function rewrite(editTensors: (t: Record<string, NamedTensor>) => void, editConfig: (c: Record<string, any>) => void = () => {}): void {
    const w = join(dir, 'weights.safetensors');
    const { tensors, metadata } = decodeSafetensors(readFileSync(w));
    editTensors(tensors);
    const bytes = encodeSafetensors(tensors, metadata);
    writeFileSync(w, bytes);
    editCheckpointConfig(join(dir, 'config.json'), (cfg) => {
      editConfig(cfg);
      cfg['weights_sha256'] = sha256Hex(bytes);
    });
  }

  it('round-trips the feature map (config "features"); old checkpoints without it load as identity', () => {
    const p = acrobotParams(new Rng(10), 6, 3);
    saveGmmQfCheckpoint(dir, p, ACROBOT_INFO);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg.features).to.equal('acrobot-angles');
    expect(cfg.D).to.equal(4);
    expect(cfg.kernel.formula).to.match(/phi\(s\)/);
    const ck = loadGmmQfCheckpoint(dir);
    expect(ck.params.features).to.equal('acrobot-angles');
    expect(ck.params).to.not.have.property('actionGrid');
    expect(ck).to.not.have.property('factors');
    // an old checkpoint: no "features" field at all (identity: it reads the D = 4 entries its observation space has)
    rewrite(
      () => {},
      (c) => delete c['features'],
    );
    expectThrows(
      () => loadGmmQfCheckpoint(dir),
      ModelFormatError,
      /"observation_space.shape" is \[6\] \(6 entries\) but the model reads 4 \(D = 4, features identity\)/,
    );
    rewrite(
      () => {},
      (c) => (c['observation_space'] = { kind: 'box', shape: [4], low: [-1, -1, -1, -1], high: [1, 1, 1, 1] }),
    );
    const old = loadGmmQfCheckpoint(dir);
    expect(old.params).to.not.have.property('features');
    expect(Array.from(old.params.means)).to.deep.equal(Array.from(p.means));
  });

  it('refuses an unknown feature map and one that does not fit D', () => {
    saveGmmQfCheckpoint(dir, acrobotParams(new Rng(11), 3, 3), ACROBOT_INFO);
    rewrite(
      () => {},
      (c) => (c['features'] = 'polar'),
    );
    expectThrows(
      () => loadGmmQfCheckpoint(dir),
      ModelFormatError,
      /field "features" is "polar"; expected one of "identity", "acrobot-angles"/,
    );
    saveGmmQfCheckpoint(dir, randomParams(new Rng(12), 3, 3, 3), info(randomParams(new Rng(12), 3, 3, 3)));
    rewrite(
      () => {},
      (c) => (c['features'] = 'acrobot-angles'),
    );
    expectThrows(() => loadGmmQfCheckpoint(dir), ModelFormatError, /"acrobot-angles", which produces 4 features, but D = 3/);
    expectThrows(
      () => saveGmmQfCheckpoint(dir, { ...randomParams(new Rng(12), 3, 3, 3), features: 'polar' as never }, info({ D: 3, A: 3 })),
      ValueError,
      /params.features = "polar" is not a known feature map/,
    );
  });

  it('round-trips an action grid (config action_grid + tensor action_grid [A, size])', () => {
    const p = gridParams(13);
    saveGmmQfCheckpoint(dir, p, PENDULUM_INFO);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg.action_grid).to.deep.equal({ shape: [1], low: [-2], high: [2] });
    const { tensors } = decodeSafetensors(readFileSync(join(dir, 'weights.safetensors')));
    expect(tensors['action_grid']!.shape).to.deep.equal([5, 1]);
    expect(tensors['action_grid']!.dtype).to.equal('F64');
    const ck = loadGmmQfCheckpoint(dir);
    expect(ck.params.actionGrid).to.deep.equal({ shape: [1], values: Float64Array.from([-2, -1, 0, 1, 2]), low: [-2], high: [2] });
  });

  it('refuses every action-grid corruption with the file, field and value named', () => {
    const p = gridParams(14);
    const cases: [(t: Record<string, NamedTensor>) => void, (c: Record<string, any>) => void, RegExp][] = [
      [() => {}, (c) => delete c['action_grid'], /has a tensor "action_grid" but config.json has no "action_grid" field/],
      [(t) => delete t['action_grid'], () => {}, /has an "action_grid" field but .* has no tensor "action_grid"/],
      [() => {}, (c) => (c['action_grid'].shape = [0]), /"action_grid.shape" is \[0\]; it must be a non-empty array of positive integers/],
      [() => {}, (c) => (c['action_grid'].low = [-2, -2]), /"action_grid.low" is \[-2,-2\]; it must be 1 finite number/],
      [() => {}, (c) => (c['action_grid'].low = [3]), /action_grid.low\[0\]" = 3 exceeds action_grid.high\[0\] = 2/],
      [
        (t) => (t['action_grid'] = { dtype: 'F64', shape: [4, 1], data: Float64Array.from([-2, -1, 0, 1]) }),
        () => {},
        /tensor "action_grid" has shape \[4,1\], expected \[5,1\]/,
      ],
      [
        (t) => ((t['action_grid']!.data as Float64Array)[3] = 2.5),
        () => {},
        /tensor "action_grid" row 3 entry 0 is 2.5, outside the action bounds \[-2, 2\]/,
      ],
      [
        (t) => ((t['action_grid']!.data as Float64Array)[1] = NaN),
        () => {},
        /tensor "action_grid" has a non-finite value NaN at flat index 1/,
      ],
    ];
    for (const [et, ec, re] of cases) {
      saveGmmQfCheckpoint(dir, p, PENDULUM_INFO);
      rewrite(et, ec);
      expectThrows(() => loadGmmQfCheckpoint(dir), ModelFormatError, re);
    }
    expectThrows(
      () => saveGmmQfCheckpoint(dir, { ...p, actionGrid: { ...p.actionGrid!, values: Float64Array.from([1, 2]) } }, PENDULUM_INFO),
      ValueError,
      /params.actionGrid .values has 2 numbers; expected A × size = 5 × 1/,
    );
  });

  it('round-trips Hadamard factors (tensor weight_factors [J, K, A], config sparsity {factors, rho})', () => {
    const { p, factors } = factored(15, 3);
    saveGmmQfCheckpoint(dir, p, info(p), { factors });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg.sparsity).to.deep.equal({ factors: 3, rho: 1e-3 });
    const ck = loadGmmQfCheckpoint(dir);
    expect(ck.factors!.J).to.equal(3);
    expect(ck.factors!.rho).to.equal(1e-3);
    expect(Array.from(ck.factors!.values)).to.deep.equal(Array.from(factors.values));
    expect(ck.params.weights[2]).to.equal(0);
    // J = 1 (dense weights stored as one factor) is fine too
    const one = factored(16, 1);
    saveGmmQfCheckpoint(dir, one.p, info(one.p), { factors: one.factors });
    expect(loadGmmQfCheckpoint(dir).factors!.J).to.equal(1);
  });

  it('refuses factors that do not multiply to the weights (naming the first bad entry) and every other factor corruption', () => {
    const { p, factors } = factored(17, 3);
    // product vs weights: one factor entry changed by a relative 1e-9 (far above 1e-12)
    saveGmmQfCheckpoint(dir, p, info(p), { factors });
    rewrite((t) => ((t['weight_factors']!.data as Float64Array)[15 + 7]! *= 1 + 1e-9));
    expectThrows(
      () => loadGmmQfCheckpoint(dir),
      ModelFormatError,
      /tensor "weight_factors" does not multiply to "weights": at flat index 7 \(component 2, action 1\)/,
      /1e-12 × max\|weights\|/,
    );
    // …while a change within 1e-12·max|ξ| of the product is accepted
    saveGmmQfCheckpoint(dir, p, info(p), { factors });
    let maxW = 0;
    for (const x of p.weights) maxW = Math.max(maxW, Math.abs(x));
    rewrite((t) => ((t['weights']!.data as Float64Array)[4]! += 0.25e-12 * maxW));
    expect(loadGmmQfCheckpoint(dir).factors!.J).to.equal(3);
    const cases: [(t: Record<string, NamedTensor>) => void, (c: Record<string, any>) => void, RegExp][] = [
      [() => {}, (c) => delete c['sparsity'], /has a tensor "weight_factors" but config.json has no "sparsity" field/],
      [(t) => delete t['weight_factors'], () => {}, /has a "sparsity" field but .* has no tensor "weight_factors"/],
      [() => {}, (c) => (c['sparsity'].factors = 2), /tensor "weight_factors" has shape \[3,5,3\], expected \[2,5,3\]/],
      [() => {}, (c) => (c['sparsity'].factors = 0), /"sparsity.factors" is 0; it must be a positive integer/],
      [() => {}, (c) => (c['sparsity'].rho = -1), /"sparsity.rho" is -1; it must be a finite number ≥ 0/],
      [
        (t) => ((t['weight_factors']!.data as Float64Array)[0] = Infinity),
        () => {},
        /tensor "weight_factors" has a non-finite value Infinity at flat index 0/,
      ],
    ];
    for (const [et, ec, re] of cases) {
      saveGmmQfCheckpoint(dir, p, info(p), { factors });
      rewrite(et, ec);
      expectThrows(() => loadGmmQfCheckpoint(dir), ModelFormatError, re);
    }
    // saving refuses inconsistent factors up front
    const wrong = { ...factors, values: factors.values.slice() };
    wrong.values[0]! += 1;
    expectThrows(
      () => saveGmmQfCheckpoint(dir, p, info(p), { factors: wrong }),
      ValueError,
      /product of extras.factors differs from params.weights at flat index 0/,
    );
    expectThrows(
      () => saveGmmQfCheckpoint(dir, p, info(p), { factors: { ...factors, J: 2 } }),
      ValueError,
      /extras.factors.values has 45 numbers; expected J × K × A = 2 × 5 × 3/,
    );
    expectThrows(
      () => saveGmmQfCheckpoint(dir, p, info(p), { factors: { ...factors, rho: NaN } }),
      ValueError,
      /extras.factors.rho = NaN must be a finite number ≥ 0/,
    );
  });
});
