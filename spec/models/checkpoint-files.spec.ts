/**
 * Checkpoint loading trusts nothing (models/checkpoint-files.ts and the family loaders): each defect
 * the review found is refused with a typed error naming the file and the field.
 */
import { editCheckpointConfig } from './config-edit.js';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileReadError, ModelFormatError, SpdError } from '../../contract/errors.js';
import { loadDqnCheckpoint, saveDqnCheckpoint } from '../../models/dqn/checkpoint.js';
import { loadGmmQfCheckpoint, saveGmmQfCheckpoint } from '../../models/gmmqf/checkpoint.js';
import {
  loadGamidActorCheckpoint,
  loadMixtureActorCheckpoint,
  saveGamidActorCheckpoint,
  saveMixtureActorCheckpoint,
} from '../../models/actor-critic/checkpoint.js';
import { initMlp } from '../../models/actor-critic/mlp.js';
import { sha256Hex } from '../../models/io.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../models/safetensors.js';
import { Rng } from '../../sdk/util/rng.js';
import { expectThrows } from '../helpers.js';
import { linearGrid, randomDqnParams } from './dqn/fixtures.js';
import { randomParams } from './gmmqf/fixtures.js';
import { randomGamidActor, randomMixtureActor } from '../exporters/actor-fixtures.js';

const CART = { kind: 'box' as const, shape: [2], low: [-1, -1], high: [1, 1] };
const PEND_OBS = { kind: 'box' as const, shape: [3], low: [-1, -1, -8], high: [1, 1, 8] };
const PEND_ACT = { kind: 'box' as const, shape: [1], low: [-2], high: [2] };
const info = (observation_space: object, action_space: object) =>
  ({ observation_space, action_space, env_id: 'CartPole-v1', training: { algorithm: 't' }, backend: 'cpu' }) as never;

describe('models/checkpoint-files: loading checks every field against the tensors', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gmmrl-load-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const cfgPath = () => join(dir, 'config.json');
  const wPath = () => join(dir, 'weights.safetensors');
  const editConfig = (f: (c: Record<string, any>) => void): void => editCheckpointConfig(cfgPath(), f);
  /** Rewrites the weights (tensors edited, or raw bytes) with the config's hash updated, so only the format checks can catch the edit. */
  function rewrite(edit: ((t: Record<string, NamedTensor>) => void) | Uint8Array): void {
    let bytes: Uint8Array;
    if (edit instanceof Uint8Array) bytes = edit;
    else {
      const { tensors, metadata } = decodeSafetensors(readFileSync(wPath()));
      edit(tensors);
      bytes = encodeSafetensors(tensors, metadata);
    }
    writeFileSync(wPath(), bytes);
    editConfig((c) => (c['weights_sha256'] = sha256Hex(bytes)));
  }
  const gmmqf = () => saveGmmQfCheckpoint(dir, randomParams(new Rng(1), 3, 2, 2), info(CART, { kind: 'discrete', n: 2 }));
  const dqnGrid = () =>
    saveDqnCheckpoint(dir, randomDqnParams(new Rng(2), [3, 4, 3], { actionGrid: linearGrid(3, -2, 2) }), info(PEND_OBS, PEND_ACT));
  const mixture = () =>
    saveMixtureActorCheckpoint(
      dir,
      randomMixtureActor(new Rng(3), { K: 2, A: 1, D: 3, hidden: [4] }),
      [initMlp([4, 4, 1], new Rng(4)), initMlp([4, 4, 1], new Rng(5))],
      info(PEND_OBS, PEND_ACT),
    );
  const gamid = () => {
    const a = randomGamidActor(new Rng(6), { C: 2, A: 1, D: 3, hidden: [4], criticHidden: [4] });
    saveGamidActorCheckpoint(dir, a, [a.critic, initMlp([4, 4, 1], new Rng(7))], info(PEND_OBS, PEND_ACT));
  };

  it('missing observation_space or training (a TypeError at export before)', () => {
    for (const field of ['observation_space', 'training', 'env_id', 'backend', 'action_space']) {
      gmmqf();
      editConfig((c) => delete c[field]);
      expectThrows(() => loadGmmQfCheckpoint(dir), ModelFormatError, new RegExp(`config\\.json field "${field}" is undefined`));
    }
  });

  it('obs_normalization that disagrees with the obs_offset / obs_scale tensors, and a scale of 0 in the config', () => {
    gmmqf();
    editConfig((c) => (c['obs_normalization'].offset[1] += 1));
    expectThrows(
      () => loadGmmQfCheckpoint(dir),
      ModelFormatError,
      /field "obs_normalization.offset\[1\]" is .* but .*weights\.safetensors tensor "obs_offset"\[1\] is/,
    );
    gmmqf();
    editConfig((c) => (c['obs_normalization'].scale[0] = 0));
    expectThrows(() => loadGmmQfCheckpoint(dir), ModelFormatError, /field "obs_normalization.scale\[0\]" is 0 but/);
    dqnGrid();
    editConfig((c) => (c['obs_normalization'].scale[2] = 0));
    expectThrows(() => loadDqnCheckpoint(dir), ModelFormatError, /field "obs_normalization.scale\[2\]" is 0 but/);
  });

  it('action_space.n or bounds that disagree with the tensors; low > high', () => {
    gmmqf();
    editConfig((c) => (c['action_space'].n = 3));
    expectThrows(
      () => loadGmmQfCheckpoint(dir),
      ModelFormatError,
      /field "action_space" is \{"kind":"discrete","n":3\} but the model has A = 2 actions/,
    );
    dqnGrid();
    editConfig((c) => (c['action_space'].high = [3]));
    expectThrows(
      () => loadDqnCheckpoint(dir),
      ModelFormatError,
      /field "action_space" bounds \[-2, 3\] of entry 0 differ from config\.json field "action_grid"'s \[-2, 2\]/,
    );
    dqnGrid();
    editConfig((c) => {
      c['action_grid'].low = [2];
      c['action_grid'].high = [-2];
    });
    expectThrows(() => loadDqnCheckpoint(dir), ModelFormatError, /field "action_grid.low\[0\]" = 2 exceeds action_grid.high\[0\] = -2/);
    mixture();
    editConfig((c) => (c['action_space'].low = [-1]));
    expectThrows(
      () => loadMixtureActorCheckpoint(dir),
      ModelFormatError,
      /"action_space" bounds \[-1, 2\] of entry 0 differ from .*tensors "action_low"\/"action_high"'s \[-2, 2\]/,
    );
    mixture();
    editConfig((c) => (c['observation_space'].low = [2, -1, -8]));
    expectThrows(
      () => loadMixtureActorCheckpoint(dir),
      ModelFormatError,
      /field "observation_space.low\[0\]" = 2 exceeds observation_space.high\[0\] = 1/,
    );
  });

  it('overlapping data_offsets and trailing bytes in weights.safetensors (hash updated: the format check catches them)', () => {
    gmmqf();
    const bytes = readFileSync(wPath());
    const h = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + h).toString());
    header['obs_scale'].data_offsets = header['obs_offset'].data_offsets;
    const hb = Buffer.from(JSON.stringify(header));
    const lenBuf = Buffer.alloc(8);
    lenBuf.writeBigUInt64LE(BigInt(hb.length));
    const data = bytes.subarray(8 + h);
    rewrite(Buffer.concat([lenBuf, hb, data.subarray(0, data.length - 16)]));
    expectThrows(
      () => loadGmmQfCheckpoint(dir),
      ModelFormatError,
      /weights\.safetensors: tensor "obs_(scale|offset)" .* overlaps tensor "obs_(offset|scale)"/,
    );
    gmmqf();
    rewrite(Buffer.concat([readFileSync(wPath()), Buffer.alloc(8)]));
    expectThrows(() => loadGmmQfCheckpoint(dir), ModelFormatError, /after the last tensor belong to no tensor \(trailing bytes\)/);
  });

  it('a weights.safetensors that is a directory, a FIFO or /dev/zero: FileReadError, never a hang', () => {
    gmmqf();
    rmSync(wPath());
    mkdirSync(wPath());
    expectThrows(
      () => loadGmmQfCheckpoint(dir),
      FileReadError,
      /checkpoint weights .*weights\.safetensors is a directory; expected a regular file/,
    );
    rmSync(wPath(), { recursive: true });
    if (process.platform !== 'win32') {
      execFileSync('mkfifo', [wPath()]);
      expectThrows(() => loadGmmQfCheckpoint(dir), FileReadError, /is a FIFO \(named pipe\); expected a regular file/);
      rmSync(wPath());
      symlinkSync('/dev/zero', wPath());
      expectThrows(() => loadGmmQfCheckpoint(dir), FileReadError, /is a character device; expected a regular file/);
      rmSync(wPath());
      gmmqf();
      rmSync(cfgPath());
      execFileSync('mkfifo', [cfgPath()]);
      expectThrows(() => loadGmmQfCheckpoint(dir), FileReadError, /checkpoint config .*config\.json is a FIFO/);
    }
  });

  it('a covariance asymmetric by 7e-10: refused at load with the exporter’s rule (SYM_TOL = 1e-10), so export and verify agree', () => {
    const p = randomParams(new Rng(8), 3, 2, 2);
    const c = p.covariances.slice();
    let max = 0;
    for (let i = 0; i < 4; i++) max = Math.max(max, Math.abs(c[i]!));
    c[1]! += 7e-10 * max;
    saveGmmQfCheckpoint(dir, { ...p, covariances: c }, info(CART, { kind: 'discrete', n: 2 }));
    expectThrows(
      () => loadGmmQfCheckpoint(dir),
      SpdError,
      /covariances\[0\] is not symmetric \(max relative asymmetry 7\.00e-10 > 1e-10, the tolerance the exporter applies too\)/,
    );
  });

  it('a tensor the config does not account for, another weights_file name, a weights file of another family', () => {
    gmmqf();
    rewrite((t) => (t['extra'] = { dtype: 'F64', shape: [1], data: Float64Array.from([1]) }));
    expectThrows(() => loadGmmQfCheckpoint(dir), ModelFormatError, /has tensor\(s\) "extra" that config\.json does not account for/);
    gmmqf();
    editConfig((c) => (c['weights_file'] = 'other.safetensors'));
    expectThrows(
      () => loadGmmQfCheckpoint(dir),
      ModelFormatError,
      /field "weights_file" is "other\.safetensors", expected "weights\.safetensors"/,
    );
    gmmqf();
    const { tensors } = decodeSafetensors(readFileSync(wPath()));
    rewrite(encodeSafetensors(tensors, { format: 'gmmrl-checkpoint', model_family: 'dqn' }));
    expectThrows(() => loadGmmQfCheckpoint(dir), ModelFormatError, /"__metadata__".model_family is "dqn" but config\.json says "gmmqf"/);
  });

  it('config values of the wrong type that JavaScript comparisons let through: a string ε, a duplicated key', () => {
    gamid();
    editConfig((c) => (c['epsilon'] = '0.5'));
    expectThrows(() => loadGamidActorCheckpoint(dir), ModelFormatError, /field "epsilon" is "0\.5"; expected a number/);
    gamid();
    writeFileSync(cfgPath(), readFileSync(cfgPath(), 'utf8').replace('{', '{\n  "env_id": "Other-v0",'));
    expectThrows(() => loadGamidActorCheckpoint(dir), ModelFormatError, /config\.json is not valid JSON \(duplicate key "env_id"/);
    mixture();
    editConfig((c) => (c['networks']['critic3'] = { layers: [4, 1] }));
    expectThrows(() => loadMixtureActorCheckpoint(dir), ModelFormatError, /field "networks" has "critic3" besides actor, critic1, critic2/);
    mixture();
    editConfig((c) => (c['parameter_count'] += 1));
    expectThrows(
      () => loadMixtureActorCheckpoint(dir),
      ModelFormatError,
      /field "parameter_count" is \d+ but the actor's layers have \d+ parameters/,
    );
  });

  it('config_sha256: any edited value of config.json is refused (fields only the config holds, e.g. the training record); whitespace is not an edit; a config without it loads', () => {
    gmmqf();
    const original = readFileSync(cfgPath(), 'utf8');
    const c = JSON.parse(original) as Record<string, any>;
    expect(c['config_sha256']).to.match(/^[0-9a-f]{64}$/);
    for (const edit of [
      (x: Record<string, any>) => (x['training']['algorithm'] = 'u'),
      (x: Record<string, any>) => (x['env_id'] = 'Acrobot-v1'),
      (x: Record<string, any>) => (x['backend'] = 'other'),
      (x: Record<string, any>) => (x['extra'] = 1),
      (x: Record<string, any>) => (x['config_sha256'] = '0'.repeat(64)),
    ]) {
      const e = JSON.parse(original) as Record<string, any>;
      edit(e);
      writeFileSync(cfgPath(), JSON.stringify(e, null, 2));
      const err = expectThrows(() => loadGmmQfCheckpoint(dir), ModelFormatError);
      expect(err.message).to.include('config.json field "config_sha256"').and.include('edited or corrupted');
    }
    writeFileSync(cfgPath(), JSON.stringify(c)); // compact: the same values
    loadGmmQfCheckpoint(dir);
    const { config_sha256: _d, ...legacy } = c;
    void _d;
    writeFileSync(cfgPath(), JSON.stringify(legacy, null, 2));
    loadGmmQfCheckpoint(dir);
  });

  it('the checked spaces are returned with the loaded files (ready for export)', () => {
    dqnGrid();
    const ck = loadDqnCheckpoint(dir);
    expect(ck.config.action_space).to.deep.equal(PEND_ACT);
  });
});
