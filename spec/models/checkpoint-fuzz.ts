/**
 * The checkpoint corruption fuzzer, shared by spec/models/checkpoint-fuzz.spec.ts (a few hundred
 * seeded cases) and scripts/checkpoint-fuzz.mjs (thousands, with counts for the closing note).
 *
 * One base checkpoint per shape of checkpoint (gmmqf dense, gmmqf with grid and Hadamard factors,
 * dqn discrete, dqn grid, mixture-actor, gamid-actor), then one corruption per case:
 * - config.json: a field at any depth deleted, set to a wrong type, NaN (the literal, which is not
 *   JSON), huge (±1e308, 2⁵³), or contradictory (a number moved by one, a sign flipped, an array
 *   entry appended or removed); the file cut short; a duplicated key;
 * - weights.safetensors: a bit flipped or the file cut short (config untouched: the SHA-256 must
 *   catch it), and header edits re-hashed into the config (so the decoder and the loader must catch
 *   them): an entry's dtype, shape or offsets changed, an entry removed or duplicated, bytes
 *   appended, the data cut, `__metadata__` retyped, the header length changed;
 * - the weights file replaced by a directory, or a FIFO with no writer (FileReadError, never a hang).
 *
 * Each case either loads to a model identical to the base's (parameters equal bit for bit: a config
 * field that only informs, such as training.*, kernel.formula, library_version), or loads a different
 * model only where the config alone holds a parameter (CONFIG_PARAMETERS: no hash covers config.json,
 * so a valid value there is a valid checkpoint), or throws ModelFormatError / FileReadError /
 * SpdError whose message names the checkpoint directory. Anything else is untyped.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileReadError, ModelFormatError, SpdError } from '../../contract/errors.js';
import { saveDqnCheckpoint, loadDqnCheckpoint } from '../../models/dqn/checkpoint.js';
import { saveGmmQfCheckpoint, loadGmmQfCheckpoint } from '../../models/gmmqf/checkpoint.js';
import { productOfFactors } from '../../models/gmmqf/hadamard.js';
import {
  loadGamidActorCheckpoint,
  loadMixtureActorCheckpoint,
  saveGamidActorCheckpoint,
  saveMixtureActorCheckpoint,
} from '../../models/actor-critic/checkpoint.js';
import { initMlp } from '../../models/actor-critic/mlp.js';
import { sha256Hex } from '../../models/io.js';
import { Rng } from '../../sdk/util/rng.js';
import { linearGrid, randomDqnParams } from './dqn/fixtures.js';
import { randomParams } from './gmmqf/fixtures.js';
import { randomGamidActor, randomMixtureActor } from '../exporters/actor-fixtures.js';

export interface Base {
  name: string;
  dir: string;
  load: (dir: string) => unknown;
  /** The loaded model's parameters, canonical (typed arrays as arrays). */
  model: string;
  /** A copy without config_sha256 (a checkpoint written before gmmrl recorded it): only the field checks protect its config. */
  legacy: boolean;
}

/** Config fields that are model parameters held by the config alone: a valid change loads a different, valid model. */
export const CONFIG_PARAMETERS = [/^sparsity\.rho$/, /^head\.(log_std_min|log_std_max|weights)$/, /^(epsilon|exploration_std)$/];

const pendulumObs = { kind: 'box' as const, shape: [3], low: [-1, -1, -8], high: [1, 1, 8] };
const pendulumAct = { kind: 'box' as const, shape: [1], low: [-2], high: [2] };
const training = { algorithm: 'fuzz', seed: 0, epsEnd: 0.05 };

function box(D: number) {
  return { kind: 'box' as const, shape: [D], low: Array.from({ length: D }, () => -1), high: Array.from({ length: D }, () => null) };
}

/** The parameters of a loaded checkpoint as a canonical string (config excluded). */
export function modelOf(ck: unknown): string {
  const { config: _config, sha256: _sha, ...rest } = ck as Record<string, unknown>;
  // a checkpoint without "features" is identity (older checkpoints): the same model
  const params = rest['params'] as Record<string, unknown> | undefined;
  if (params?.['features'] === 'identity') rest['params'] = { ...params, features: undefined };
  return JSON.stringify(rest, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v));
}

/** Writes the base checkpoints under `root`. */
export function makeBases(root: string): Base[] {
  const rng = new Rng(2024);
  const bases: { name: string; save: (d: string) => void; load: (d: string) => unknown }[] = [
    {
      name: 'gmmqf',
      save: (d) =>
        saveGmmQfCheckpoint(d, randomParams(rng, 3, 2, 2), {
          observation_space: box(2),
          action_space: { kind: 'discrete', n: 2 },
          env_id: 'Fuzz-v0',
          training,
          backend: 'cpu',
        }),
      load: loadGmmQfCheckpoint,
    },
    {
      name: 'gmmqf-grid-factors',
      save: (d) => {
        const p = randomParams(rng, 2, 3, 3);
        const values = Float64Array.from({ length: 2 * 2 * 3 }, () => rng.normal());
        saveGmmQfCheckpoint(
          d,
          {
            ...p,
            weights: productOfFactors(values, 2, 6),
            actionGrid: { shape: [1], values: Float64Array.from([-2, 0, 2]), low: [-2], high: [2] },
          },
          { observation_space: pendulumObs, action_space: pendulumAct, env_id: 'Pendulum-v1', training, backend: 'cpu' },
          { factors: { J: 2, rho: 1e-3, values } },
        );
      },
      load: loadGmmQfCheckpoint,
    },
    {
      name: 'dqn',
      save: (d) =>
        saveDqnCheckpoint(d, randomDqnParams(rng, [2, 3, 2]), {
          observation_space: box(2),
          action_space: { kind: 'discrete', n: 2 },
          env_id: 'Fuzz-v0',
          training,
          backend: 'cpu',
        }),
      load: loadDqnCheckpoint,
    },
    {
      name: 'dqn-grid',
      save: (d) =>
        saveDqnCheckpoint(d, randomDqnParams(rng, [3, 2, 3], { actionGrid: linearGrid(3, -2, 2) }), {
          observation_space: pendulumObs,
          action_space: pendulumAct,
          env_id: 'Pendulum-v1',
          training,
          backend: 'cpu',
        }),
      load: loadDqnCheckpoint,
    },
    {
      name: 'mixture-actor',
      save: (d) => {
        const a = randomMixtureActor(rng, { K: 2, A: 1, D: 3, hidden: [3] });
        saveMixtureActorCheckpoint(d, a, [initMlp([4, 3, 1], rng), initMlp([4, 3, 1], rng)], {
          observation_space: pendulumObs,
          action_space: pendulumAct,
          env_id: 'Pendulum-v1',
          training,
          backend: 'cpu',
        });
      },
      load: loadMixtureActorCheckpoint,
    },
    {
      name: 'gamid-actor',
      save: (d) => {
        const a = randomGamidActor(rng, { C: 2, A: 1, D: 3, hidden: [3], criticHidden: [3] });
        saveGamidActorCheckpoint(d, a, [a.critic, initMlp([4, 3, 1], rng)], {
          observation_space: pendulumObs,
          action_space: pendulumAct,
          env_id: 'Pendulum-v1',
          training,
          backend: 'cpu',
        });
      },
      load: loadGamidActorCheckpoint,
    },
  ];
  return bases.flatMap(({ name, save, load }) => {
    const dir = join(root, `base-${name}`);
    save(dir);
    const legacyDir = `${dir}-legacy`;
    cpSync(dir, legacyDir, { recursive: true });
    const cPath = join(legacyDir, 'config.json');
    const { config_sha256: _d, ...cfg } = JSON.parse(readFileSync(cPath, 'utf8')) as Record<string, Json>;
    void _d;
    writeFileSync(cPath, JSON.stringify(cfg, null, 2));
    const model = modelOf(load(dir));
    return [
      { name, dir, load, model, legacy: false },
      { name: `${name} (no config digest)`, dir: legacyDir, load, model, legacy: true },
    ];
  });
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path of a JSON value (objects and arrays at any depth, leaves included). */
function paths(v: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = prefix.length ? [prefix] : [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function getParent(root: Json, path: (string | number)[]): { parent: Record<string | number, Json>; key: string | number } {
  let cur = root as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, Json>;
  return { parent: cur, key: path.at(-1)! };
}

const WRONG_TYPES: Json[] = ['x', '', true, null, [], {}, [1, 2], { a: 1 }, 0, -1, 1.5];
const HUGE = [1e308, -1e308, 2 ** 53, 2 ** 31, 1e-320];

export interface Mutation {
  label: string;
  /** The config path edited (for CONFIG_PARAMETERS), '' for file-level edits. */
  field: string;
  apply(dir: string): void;
}

function rehash(dir: string, bytes: Uint8Array): void {
  const cPath = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cPath, 'utf8')) as Record<string, Json>;
  cfg['weights_sha256'] = sha256Hex(bytes);
  delete cfg['config_sha256']; // re-sealed by hand: only the format checks can catch the edit
  writeFileSync(cPath, JSON.stringify(cfg, null, 2));
  writeFileSync(join(dir, 'weights.safetensors'), bytes);
}

/** One random corruption of a checkpoint (the base's files, read from `base.dir`). */
export function randomMutation(rng: Rng, base: Base): Mutation {
  const cfgText = readFileSync(join(base.dir, 'config.json'), 'utf8');
  const weights = readFileSync(join(base.dir, 'weights.safetensors'));
  const kind = rng.integer(10);
  if (kind <= 4) {
    // a config field
    const cfg = JSON.parse(cfgText) as Json;
    const all = paths(cfg);
    const path = all[rng.integer(all.length)]!;
    const field = path.join('.');
    const op = rng.integer(6);
    const edited = JSON.parse(cfgText) as Json;
    const { parent, key } = getParent(edited, path);
    const old = parent[key]!;
    let label: string;
    let text: string | undefined;
    if (op === 0) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      label = `delete ${field}`;
    } else if (op === 1) {
      parent[key] = WRONG_TYPES[rng.integer(WRONG_TYPES.length)]!;
      label = `${field} = ${JSON.stringify(parent[key])}`;
    } else if (op === 2) {
      parent[key] = '__NAN__';
      text = JSON.stringify(edited, null, 2).replace('"__NAN__"', 'NaN');
      label = `${field} = NaN`;
    } else if (op === 3) {
      parent[key] = HUGE[rng.integer(HUGE.length)]!;
      label = `${field} = ${parent[key]}`;
    } else if (op === 4 && typeof old === 'number') {
      parent[key] = rng.uniform() < 0.5 ? old + 1 : -old;
      label = `${field}: ${old} → ${parent[key]}`;
    } else if (Array.isArray(old)) {
      if (rng.uniform() < 0.5 && old.length > 0) old.pop();
      else old.push(old.length > 0 ? old[0]! : 1);
      label = `${field}: array length changed`;
    } else {
      parent[key] = typeof old === 'string' ? `${old}x` : 'x';
      label = `${field} = ${JSON.stringify(parent[key])}`;
    }
    const out = text ?? JSON.stringify(edited, null, 2);
    return { label: `config ${label}`, field, apply: (d) => writeFileSync(join(d, 'config.json'), out) };
  }
  if (kind === 5) {
    const op = rng.integer(3);
    if (op === 0) {
      const cut = rng.integer(cfgText.length);
      return { label: `config cut at ${cut}`, field: '', apply: (d) => writeFileSync(join(d, 'config.json'), cfgText.slice(0, cut)) };
    }
    if (op === 1) {
      const dup = cfgText.replace('{', '{\n  "env_id": "Other-v0",');
      return { label: 'config duplicate key env_id', field: '', apply: (d) => writeFileSync(join(d, 'config.json'), dup) };
    }
    return {
      label: 'config replaced by a directory',
      field: '',
      apply: (d) => {
        rmSync(join(d, 'config.json'));
        mkdirSync(join(d, 'config.json'));
      },
    };
  }
  if (kind === 6) {
    // a bit flip or a cut, the config untouched: the hash catches it
    if (rng.uniform() < 0.7) {
      const at = rng.integer(weights.length);
      const bit = rng.integer(8);
      const b = Buffer.from(weights);
      b[at]! ^= 1 << bit;
      return {
        label: `weights bit ${bit} of byte ${at} flipped`,
        field: '',
        apply: (d) => writeFileSync(join(d, 'weights.safetensors'), b),
      };
    }
    const cut = rng.integer(weights.length);
    return {
      label: `weights cut at ${cut}`,
      field: '',
      apply: (d) => writeFileSync(join(d, 'weights.safetensors'), weights.subarray(0, cut)),
    };
  }
  if (kind === 7) {
    const fifo = rng.uniform() < 0.5 && process.platform !== 'win32';
    return {
      label: fifo ? 'weights replaced by a FIFO' : 'weights replaced by a directory',
      field: '',
      apply: (d) => {
        const w = join(d, 'weights.safetensors');
        rmSync(w);
        if (fifo) execFileSync('mkfifo', [w]);
        else mkdirSync(w);
      },
    };
  }
  // header edits, re-hashed into the config
  const h = Number(new DataView(weights.buffer, weights.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(weights.subarray(8, 8 + h).toString('utf8')) as Record<string, Json>;
  const data = weights.subarray(8 + h);
  const names = Object.keys(header).filter((n) => n !== '__metadata__');
  const name = names[rng.integer(names.length)]!;
  const entry = header[name] as { dtype: string; shape: number[]; data_offsets: number[] };
  const op = rng.integer(9);
  let label: string;
  let extra = new Uint8Array(0);
  let cutData = 0;
  let headerText: string | undefined;
  let newLength: number | undefined;
  if (op === 0) {
    entry.dtype = ['F32', 'I32', 'I64', 'F16', 'BF16', 'U8', 'x'][rng.integer(7)]!;
    label = `${name}.dtype = ${entry.dtype}`;
  } else if (op === 1) {
    entry.shape = rng.uniform() < 0.5 ? [...entry.shape, 1 + rng.integer(3)] : [2 ** 40, 2 ** 40, 0].slice(0, 1 + rng.integer(3));
    label = `${name}.shape = [${entry.shape}]`;
  } else if (op === 2) {
    const delta = [-8, -1, 1, 8][rng.integer(4)]!;
    const i = rng.integer(2);
    entry.data_offsets[i] = entry.data_offsets[i]! + delta;
    label = `${name}.data_offsets[${i}] += ${delta}`;
  } else if (op === 3) {
    delete header[name];
    label = `entry ${name} removed`;
  } else if (op === 4) {
    header[`${name}.copy`] = { ...entry };
    label = `entry ${name} duplicated (overlapping range)`;
  } else if (op === 5) {
    extra = Uint8Array.from({ length: 1 + rng.integer(16) }, () => rng.integer(256));
    label = `${extra.length} bytes appended`;
  } else if (op === 6) {
    cutData = 1 + rng.integer(Math.min(16, data.length));
    label = `data cut by ${cutData} bytes`;
  } else if (op === 7) {
    header['__metadata__'] = [{ format: 1 }, 'x', { format: ['gmmrl-checkpoint'] }][rng.integer(3)]!;
    label = `__metadata__ = ${JSON.stringify(header['__metadata__'])}`;
  } else {
    headerText = JSON.stringify(header);
    newLength = headerText.length + [-3, -1, 1, 5, 1e6][rng.integer(5)]!;
    label = `header length ${newLength} for ${headerText.length} bytes`;
  }
  headerText ??= JSON.stringify(header);
  const hb = Buffer.from(headerText, 'utf8');
  const body = data.subarray(0, data.length - cutData);
  const out = new Uint8Array(8 + hb.length + body.length + extra.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(newLength ?? hb.length), true);
  out.set(hb, 8);
  out.set(body, 8 + hb.length);
  out.set(extra, 8 + hb.length + body.length);
  return { label: `weights header: ${label} (re-hashed)`, field: '', apply: (d) => rehash(d, out) };
}

export type Outcome =
  { kind: 'identical' } | { kind: 'different-parameter' } | { kind: 'refused'; error: string } | { kind: 'untyped'; error: string };

/** Applies `m` to a copy of `base` in `work` and loads it. */
export function runCase(base: Base, m: Mutation, work: string): Outcome {
  rmSync(work, { recursive: true, force: true });
  cpSync(base.dir, work, { recursive: true });
  m.apply(work);
  try {
    const ck = base.load(work);
    if (modelOf(ck) === base.model) return { kind: 'identical' };
    // a different model is acceptable only from an edit of a parameter the config alone holds, in a config without its digest
    if (base.legacy && CONFIG_PARAMETERS.some((re) => re.test(m.field))) return { kind: 'different-parameter' };
    return { kind: 'untyped', error: `loaded a different model for "${m.label}"` };
  } catch (err) {
    const e = err as Error;
    const typed = e instanceof ModelFormatError || e instanceof FileReadError || e instanceof SpdError;
    if (typed && e.message.includes(work)) return { kind: 'refused', error: `${e.name}: ${e.message}` };
    return { kind: 'untyped', error: `${e?.name}: ${e?.message} (for "${m.label}")` };
  }
}
