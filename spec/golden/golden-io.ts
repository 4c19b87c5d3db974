/**
 * What the golden-model regeneration script and spec share: training and exporting a case through
 * the CLI, the golden inputs (observations and noise), and running a model on them.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../sdk/cli.js';
import { make } from '../../sdk/envs/index.js';
import { Rng } from '../../sdk/util/rng.js';
import type { Policy } from '../../runtime/policy.js';
import type { GoldenCase } from './cases.js';

/** Where the committed golden files live (the source tree, not dist/). */
export function goldenRoot(): string {
  // dist/spec/golden/… → ../../../spec/golden
  return join(new URL('.', import.meta.url).pathname, '..', '..', '..', 'spec', 'golden');
}

/** The checkpoint files copied into spec/golden/<name>/checkpoint/. */
export const CHECKPOINT_FILES = ['config.json', 'weights.safetensors'] as const;

export interface GoldenTensor {
  dims: number[];
  data: number[];
}

export interface GoldenIo {
  name: string;
  family: string;
  train: string[];
  export: string[];
  precision: 'float32' | 'float64';
  mode: 'sample' | 'greedy';
  onnx_sha256: string;
  weights_sha256: string;
  inputs: { obs: number[][]; noise_u?: number[]; noise_eps?: number[] };
  outputs: Record<string, GoldenTensor>;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function cli(argv: string[]): Promise<void> {
  const lines: string[] = [];
  const code = await main(argv, (l) => lines.push(l), (l) => lines.push(l));
  if (code !== 0) throw new Error(`gmmrl ${argv.join(' ')} exited ${code}:\n${lines.join('\n')}`);
}

export async function trainCase(c: GoldenCase, dir: string): Promise<void> {
  await cli(['train', ...c.train, '--out', dir]);
}

export async function exportCase(c: GoldenCase, ckptDir: string, file: string): Promise<Uint8Array> {
  await cli(['export', ckptDir, '--out', file, ...c.export]);
  return new Uint8Array(readFileSync(file));
}

/**
 * Golden observations for a model: `states` rows — a third from episodes of the environment with
 * uniformly random actions, a third uniform in offset ± 3·scale (the model's own normalization),
 * a third far out (offset ± 10–30·scale); and the noise: u ∈ [0, 1), ε ~ N(0, 1), from Rng(1),
 * rounded to float32.
 */
export function goldenInputs(policy: Policy, states: number): GoldenIo['inputs'] {
  const meta = policy.info.metadata;
  const D = policy.info.observationSize;
  const { offset, scale } = meta.normalization;
  const rng = new Rng(0);
  const env = make(meta.env_id);
  const obs: number[][] = [];
  const nRoll = Math.floor(states / 3);
  const nUni = Math.floor(states / 3);
  let o = env.reset({ seed: 0 }).obs;
  const as = env.actionSpace as { kind?: string; n?: number; low?: ArrayLike<number>; high?: ArrayLike<number> };
  for (let i = 0; i < nRoll; i++) {
    obs.push(Array.from(o, Math.fround));
    const a = as.n !== undefined ? rng.integer(as.n) : Float64Array.from(as.low!, (l, d) => rng.uniformRange(l, as.high![d]!));
    const r = env.step(a);
    o = r.terminated || r.truncated ? env.reset({ seed: rng.nextSeed() }).obs : r.obs;
  }
  for (let i = 0; i < nUni; i++) obs.push(Array.from({ length: D }, (_, j) => Math.fround(offset[j]! + rng.uniformRange(-3, 3) * scale[j]!)));
  while (obs.length < states) {
    obs.push(Array.from({ length: D }, (_, j) => Math.fround(offset[j]! + (rng.uniform() < 0.5 ? -1 : 1) * rng.uniformRange(10, 30) * scale[j]!)));
  }
  const inputs: GoldenIo['inputs'] = { obs };
  if (meta.sampling?.noise === 'inputs') {
    const nr = new Rng(1);
    const A = meta.action_space.kind === 'box' ? meta.action_space.n : 0;
    inputs.noise_u = [];
    if (A > 0) inputs.noise_eps = [];
    for (let i = 0; i < states; i++) {
      inputs.noise_u.push(Math.min(Math.fround(nr.uniform()), 1 - 2 ** -24));
      for (let d = 0; d < A; d++) inputs.noise_eps!.push(Math.fround(nr.normal()));
    }
  }
  return inputs;
}

/** Every output of `policy` on the golden inputs (sample mode with the golden noise when the model has noise inputs). */
export async function runGolden(policy: Policy, inputs: GoldenIo['inputs']): Promise<{ mode: 'sample' | 'greedy'; outputs: Record<string, GoldenTensor> }> {
  const f64 = policy.info.metadata.precision === 'float64';
  const rows = inputs.obs.map((r) => (f64 ? Float64Array.from(r) : Float32Array.from(r)));
  const arr = (x: number[]) => (f64 ? Float64Array.from(x) : Float32Array.from(x));
  const mode = inputs.noise_u ? 'sample' : 'greedy';
  const res =
    mode === 'sample'
      ? await policy.outputs(rows, { mode, noise: { u: arr(inputs.noise_u!), ...(inputs.noise_eps ? { eps: arr(inputs.noise_eps) } : {}) } })
      : await policy.outputs(rows, { mode });
  const outputs: Record<string, GoldenTensor> = {};
  for (const [name, t] of Object.entries(res.outputs)) outputs[name] = { dims: [...t.dims], data: Array.from(t.data as ArrayLike<number>) };
  return { mode, outputs };
}

/**
 * The largest |a − b| / (1 + |b|) over two output sets (Infinity when names, dims or an index
 * differ). Indices (int outputs) must be equal.
 */
export function outputDistance(a: Record<string, GoldenTensor>, b: Record<string, GoldenTensor>): { max: number; where: string } {
  let max = 0;
  let where = '';
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const name of names) {
    const x = a[name];
    const y = b[name];
    if (!x || !y || x.dims.join() !== y.dims.join() || x.data.length !== y.data.length) return { max: Infinity, where: `${name}: missing or shape differs` };
    for (let i = 0; i < x.data.length; i++) {
      const d = Math.abs(x.data[i]! - y.data[i]!) / (1 + Math.abs(y.data[i]!));
      if (!(d <= max)) {
        max = Number.isNaN(d) ? Infinity : d;
        where = `${name}[${i}]: ${x.data[i]} vs ${y.data[i]}`;
      }
    }
  }
  return { max, where };
}
