import { expect } from 'chai';
import { editCheckpointConfig } from '../config-edit.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDqnCheckpoint, saveDqnCheckpoint, type DqnCheckpointInfo } from '../../../models/dqn/checkpoint.js';
import { saveGmmQfCheckpoint } from '../../../models/gmmqf/checkpoint.js';
import { sha256Hex } from '../../../models/io.js';
import { decodeSafetensors, encodeSafetensors } from '../../../models/safetensors.js';
import type { DqnParams } from '../../../models/dqn/params.js';
import { ModelFormatError, ValueError } from '../../../contract/errors.js';
import { Rng } from '../../../sdk/util/rng.js';
import { expectThrows } from '../../helpers.js';
import { linearGrid, randomDqnParams } from './fixtures.js';

const INFO: DqnCheckpointInfo = {
  observation_space: { kind: 'box', shape: [4], low: [-4.8, null, -0.42, null], high: [4.8, null, 0.42, null] },
  action_space: { kind: 'discrete', n: 2 },
  env_id: 'CartPole-v1',
  training: { algorithm: 'dqn', seed: 3, gradClip: null },
  backend: 'wasm',
};

const GRID_INFO: DqnCheckpointInfo = {
  observation_space: { kind: 'box', shape: [3], low: [-1, -1, -8], high: [1, 1, 8] },
  action_space: { kind: 'box', shape: [1], low: [-2], high: [2] },
  env_id: 'Pendulum-v1',
  training: { algorithm: 'double-dqn' },
  backend: 'cpu',
};

const arrays = (p: DqnParams) => ({
  layers: [...p.layers],
  weights: p.weights.map((w) => Array.from(w)),
  biases: p.biases.map((b) => Array.from(b)),
  offset: Array.from(p.obsOffset),
  scale: Array.from(p.obsScale),
  grid: p.actionGrid ? { ...p.actionGrid, values: Array.from(p.actionGrid.values) } : undefined,
});

describe('models/dqn/checkpoint', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gmmrl-dqn-ckpt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Rewrites one weights tensor (re-encoded, hash updated in config.json so only the content is wrong). */
  function rewriteTensor(name: string, mutate: (data: Float64Array) => Float64Array, shape?: number[]): void {
    const wPath = join(dir, 'weights.safetensors');
    const { tensors, metadata } = decodeSafetensors(readFileSync(wPath));
    const t = tensors[name]!;
    tensors[name] = { dtype: 'F64', shape: shape ?? t.shape, data: mutate(Float64Array.from(t.data as Float64Array)) };
    const bytes = encodeSafetensors(tensors, metadata);
    writeFileSync(wPath, bytes);
    editConfig((c) => (c['weights_sha256'] = sha256Hex(bytes)));
  }

  const editConfig = (mutate: (c: Record<string, unknown>) => void): void => editCheckpointConfig(join(dir, 'config.json'), mutate);

  it('round-trips bit-exactly with the documented config fields (discrete actions)', () => {
    // non-float32 values on purpose: the checkpoint stores float64
    const p = randomDqnParams(new Rng(1), [4, 16, 8, 2], { float32: false });
    const sha = saveDqnCheckpoint(dir, p, INFO);
    expect(sha).to.match(/^[0-9a-f]{64}$/);
    expect(sha).to.equal(sha256Hex(readFileSync(join(dir, 'weights.safetensors'))));
    const ck = loadDqnCheckpoint(dir);
    expect(arrays(ck.params)).to.deep.equal(arrays(p));
    expect(ck.sha256).to.equal(sha);
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(Object.keys(c)).to.deep.equal([
      'format',
      'format_version',
      'model_family',
      'layers',
      'D',
      'A',
      'activation',
      'parameter_count',
      'network',
      'obs_normalization',
      'observation_space',
      'action_space',
      'env_id',
      'training',
      'backend',
      'library_version',
      'weights_file',
      'weights_sha256',
      'config_sha256',
    ]);
    expect(c).to.deep.include({ format: 'gmmrl-checkpoint', format_version: 1, model_family: 'dqn', D: 4, A: 2, activation: 'relu' });
    expect(c.layers).to.deep.equal([4, 16, 8, 2]);
    expect(c.parameter_count).to.equal(4 * 16 + 16 + 16 * 8 + 8 + 8 * 2 + 2);
    expect(c.obs_normalization.offset).to.deep.equal(Array.from(p.obsOffset));
    expect(c.training).to.deep.equal(INFO.training);
    const { tensors, metadata } = decodeSafetensors(readFileSync(join(dir, 'weights.safetensors')));
    expect(Object.keys(tensors)).to.deep.equal([
      'layer0.weight',
      'layer0.bias',
      'layer1.weight',
      'layer1.bias',
      'layer2.weight',
      'layer2.bias',
      'obs_offset',
      'obs_scale',
    ]);
    expect(tensors['layer1.weight']!.shape).to.deep.equal([16, 8]);
    expect(tensors['layer1.weight']!.dtype).to.equal('F64');
    expect(metadata).to.deep.equal({ format: 'gmmrl-checkpoint', model_family: 'dqn' });
  });

  it('round-trips an action grid (values in the weights file, shape and bounds in config.json)', () => {
    const p = randomDqnParams(new Rng(2), [3, 8, 5], { actionGrid: linearGrid(5, -2, 2) });
    saveDqnCheckpoint(dir, p, GRID_INFO);
    const ck = loadDqnCheckpoint(dir);
    expect(arrays(ck.params)).to.deep.equal(arrays(p));
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(c.action_grid).to.deep.equal({ shape: [1], low: [-2], high: [2] });
    // a grid point outside the recorded bounds
    rewriteTensor('action_grid', (d) => ((d[4] = 2.5), d));
    expectThrows(() => loadDqnCheckpoint(dir), ModelFormatError, /"action_grid"\[4\]\[0\] = 2\.5 lies outside the action bounds \[-2, 2\]/);
  });

  it('refuses a truncated weights file (hash) and a truncated file whose hash was updated (format), and a truncated config', () => {
    const p = randomDqnParams(new Rng(3), [4, 8, 2]);
    saveDqnCheckpoint(dir, p, INFO);
    const wPath = join(dir, 'weights.safetensors');
    const full = readFileSync(wPath);
    for (const cut of [full.length - 8, Math.floor(full.length / 2), 100, 7]) {
      writeFileSync(wPath, full.subarray(0, cut));
      expectThrows(
        () => loadDqnCheckpoint(dir),
        ModelFormatError,
        /has SHA-256 [0-9a-f]{64} but config\.json records/,
        /modified, truncated/,
      );
      editConfig((c) => (c['weights_sha256'] = sha256Hex(full.subarray(0, cut))));
      expectThrows(() => loadDqnCheckpoint(dir), ModelFormatError, /weights\.safetensors/, /truncated or corrupt|too short/);
      editConfig((c) => (c['weights_sha256'] = sha256Hex(full)));
    }
    writeFileSync(wPath, full);
    expect(() => loadDqnCheckpoint(dir)).to.not.throw();
    const cPath = join(dir, 'config.json');
    const cfg = readFileSync(cPath, 'utf8');
    writeFileSync(cPath, cfg.slice(0, cfg.length / 2));
    expectThrows(() => loadDqnCheckpoint(dir), ModelFormatError, /config\.json is not valid JSON/, /truncated or corrupt/);
  });

  it('refuses non-finite values, wrong shapes, bad scales and inconsistent config fields, naming file, field and value', () => {
    const p = randomDqnParams(new Rng(4), [4, 8, 2]);
    const fresh = () => saveDqnCheckpoint(dir, p, INFO);
    fresh();
    rewriteTensor('layer1.weight', (d) => ((d[5] = NaN), d));
    expectThrows(() => loadDqnCheckpoint(dir), ModelFormatError, /tensor "layer1\.weight" has a non-finite value NaN at flat index 5/);
    fresh();
    rewriteTensor('layer0.bias', (d) => d.subarray(0, 7), [7]);
    expectThrows(
      () => loadDqnCheckpoint(dir),
      ModelFormatError,
      /tensor "layer0\.bias" has shape \[7\], expected \[8\] from layers \[4,8,2\]/,
    );
    fresh();
    rewriteTensor('obs_scale', (d) => ((d[2] = 0), d));
    expectThrows(() => loadDqnCheckpoint(dir), ModelFormatError, /"obs_scale"\[2\] is 0; every scale must be > 0/);
    fresh();
    editConfig((c) => (c['layers'] = [4, 9, 2]));
    expectThrows(() => loadDqnCheckpoint(dir), ModelFormatError, /tensor "layer0\.weight" has shape \[4,8\], expected \[4,9\]/);
    fresh();
    editConfig((c) => (c['layers'] = [4, 0, 2]));
    expectThrows(
      () => loadDqnCheckpoint(dir),
      ModelFormatError,
      /field "layers" is \[4, 0, 2\] \(length 3\); it must be an array \[D, hidden…, A\]/,
    );
    fresh();
    editConfig((c) => (c['A'] = 3));
    expectThrows(() => loadDqnCheckpoint(dir), ModelFormatError, /field "A" is 3 but layers\[2\] is 2/);
    fresh();
    editConfig((c) => (c['action_space'] = { kind: 'discrete', n: 3 }));
    expectThrows(
      () => loadDqnCheckpoint(dir),
      ModelFormatError,
      /field "action_space" is \{"kind":"discrete","n":3\} but the network has A = 2 outputs/,
    );
    fresh();
    editConfig((c) => (c['observation_space'] = { kind: 'box', shape: [5], low: [0, 0, 0, 0, 0], high: [1, 1, 1, 1, 1] }));
    expectThrows(
      () => loadDqnCheckpoint(dir),
      ModelFormatError,
      /"observation_space\.shape" is \[5\] \(5 entries\) but the network input D = layers\[0\] = 4/,
    );
    fresh();
    editConfig((c) => (c['activation'] = 'tanh'));
    expectThrows(() => loadDqnCheckpoint(dir), ModelFormatError, /field "activation" is "tanh"; this gmmrl supports "relu" only/);
    fresh();
    editConfig((c) => (c['format_version'] = 2));
    expectThrows(() => loadDqnCheckpoint(dir), ModelFormatError, /"format_version" is 2/, /Upgrade gmmrl/);
  });

  it('names the other loader for a GMM-QF checkpoint, and explains missing files and directories', () => {
    saveGmmQfCheckpoint(
      dir,
      {
        K: 1,
        D: 1,
        A: 2,
        means: new Float64Array(1),
        covariances: Float64Array.of(1),
        weights: new Float64Array(2),
        obsOffset: new Float64Array(1),
        obsScale: Float64Array.of(1),
      },
      {
        observation_space: { kind: 'box', shape: [1], low: [0], high: [1] },
        action_space: { kind: 'discrete', n: 2 },
        env_id: 'X',
        training: {},
        backend: 'cpu',
      },
    );
    expectThrows(
      () => loadDqnCheckpoint(dir),
      ModelFormatError,
      /"model_family" is "gmmqf", expected "dqn": this is a GMM-QF checkpoint; load it with loadGmmQfCheckpoint/,
    );
    expectThrows(() => loadDqnCheckpoint(join(dir, 'nope')), ModelFormatError, /is not a directory/);
    rmSync(join(dir, 'weights.safetensors'));
    expectThrows(() => loadDqnCheckpoint(dir), ModelFormatError, /weights\.safetensors is missing/);
    rmSync(join(dir, 'config.json'));
    expectThrows(() => loadDqnCheckpoint(dir), ModelFormatError, /config\.json is missing/);
  });

  it('refuses to save invalid parameters (ValueError naming the field)', () => {
    const p = randomDqnParams(new Rng(5), [4, 8, 2]);
    const w = p.weights[1]!.slice();
    w[0] = Infinity;
    expectThrows(
      () => saveDqnCheckpoint(dir, { ...p, weights: [p.weights[0]!, w] }, INFO),
      ValueError,
      /saveDqnCheckpoint: weights\[1\]\[0\] is Infinity/,
    );
  });
});
