/**
 * Shared harness of the exporter specs: the official ONNX checker (python onnx, full_check plus
 * strict shape inference with type checks) and direct ONNX Runtime sessions — onnxruntime-node
 * (cpu) and onnxruntime-web (wasm, running in Node with one thread) — fed and read as plain typed
 * arrays (int64 outputs converted to numbers). No gmmrl runtime (loadPolicy) in between: these
 * specs test the graphs themselves (runOrt feeds the noise to the graph without its defaults, as
 * loadPolicy does: runtime/onnx-prune.ts withoutInputDefaults).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { expect } from 'chai';
import { onnx } from '../../exporters/onnx/proto/onnx.js';
import { withoutInputDefaults } from '../../runtime/onnx-prune.js';

export const PY = '/usr/bin/python3';

const CHECK_SCRIPT = `
import json, sys, onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
inf = onnx.shape_inference.infer_shapes(m, strict_mode=True, check_type=True)
def dims(vi):
    return [d.dim_param if d.HasField('dim_param') else d.dim_value for d in vi.type.tensor_type.shape.dim]
print(json.dumps({
    'ir_version': m.ir_version,
    'opset': [[o.domain, o.version] for o in m.opset_import],
    'producer_name': m.producer_name,
    'producer_version': m.producer_version,
    'doc_string': m.doc_string,
    'metadata': {p.key: p.value for p in m.metadata_props},
    'ops': [n.op_type for n in m.graph.node],
    'node_names': [n.name for n in m.graph.node],
    'inputs': [[v.name, v.type.tensor_type.elem_type, dims(v)] for v in m.graph.input],
    'outputs': [[v.name, v.type.tensor_type.elem_type, dims(v)] for v in inf.graph.output],
    'value_info': {v.name: [v.type.tensor_type.elem_type, dims(v)] for v in inf.graph.value_info},
    'initializer_types': sorted(set(t.data_type for t in m.graph.initializer)),
}))
`;

export interface CheckReport {
  ir_version: number;
  opset: [string, number][];
  producer_name: string;
  producer_version: string;
  doc_string: string;
  metadata: Record<string, string>;
  ops: string[];
  node_names: string[];
  inputs: [string, number, (string | number)[]][];
  outputs: [string, number, (string | number)[]][];
  value_info: Record<string, [number, (string | number)[]]>;
  initializer_types: number[];
}

export function pythonOnnxAvailable(): boolean {
  return spawnSync(PY, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
}

/**
 * A mocha `before` hook body: skips the suite when python onnx is missing, unless
 * GMMRL_REQUIRE_ONNX_CHECKER is set (then it fails).
 */
export function requireChecker(ctx: Mocha.Context): void {
  if (!pythonOnnxAvailable()) {
    if (process.env['GMMRL_REQUIRE_ONNX_CHECKER'])
      throw new Error(`${PY} with the onnx package is required (GMMRL_REQUIRE_ONNX_CHECKER is set)`);
    ctx.skip();
  }
}

/** The official checker (full_check) and strict shape inference with type checks, on bytes. */
export function runChecker(bytes: Uint8Array): { ok: boolean; stderr: string; report?: CheckReport } {
  const dir = mkdtempSync(join(tmpdir(), 'gmmrl-onnx-check-'));
  try {
    const file = join(dir, 'model.onnx');
    writeFileSync(file, bytes);
    const r = spawnSync(PY, ['-c', CHECK_SCRIPT, file], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) return { ok: false, stderr: r.stderr };
    return { ok: true, stderr: r.stderr, report: JSON.parse(r.stdout) as CheckReport };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type Runtime = 'node' | 'web';
export type FloatDtype = 'float32' | 'float64';

/** A graph input: dtype, data, dims. */
export interface Feed {
  dtype: FloatDtype;
  data: Float32Array | Float64Array;
  dims: number[];
}

/** A graph output as plain data: float outputs keep their typed array, int64 ones become numbers. */
export interface Out {
  type: string;
  dims: number[];
  data: Float32Array | Float64Array | number[];
}

let webReady = false;

/** Runs `bytes` once on onnxruntime-node (cpu) or onnxruntime-web (wasm, 1 thread) and returns every output. */
export async function runOrt(rt: Runtime, bytes: Uint8Array, feeds: Record<string, Feed>): Promise<Record<string, Out>> {
  return (await runOrtTimes(rt, bytes, feeds, 1))[0]!;
}

/** Runs `bytes` `times` times on one session (in-graph random ops continue their stream) and returns every run's outputs. */
export async function runOrtTimes(
  rt: Runtime,
  bytes: Uint8Array,
  feeds: Record<string, Feed>,
  times: number,
): Promise<Record<string, Out>[]> {
  const ort = (rt === 'node' ? ortNode : ortWeb) as typeof ortNode;
  if (rt === 'web' && !webReady) {
    if (ortWeb.env.wasm.numThreads === undefined) ortWeb.env.wasm.numThreads = 1;
    webReady = true;
  }
  // a fed noise input loses its default: ONNX Runtime's JavaScript bindings take no feed for an input that has one
  const fedNoise = Object.keys(feeds).filter((k) => k !== 'obs');
  const model = withoutInputDefaults(bytes, fedNoise) ?? bytes;
  const session = await ort.InferenceSession.create(model, { executionProviders: [rt === 'node' ? 'cpu' : 'wasm'] });
  try {
    const input: Record<string, ortNode.Tensor> = {};
    for (const [k, f] of Object.entries(feeds)) input[k] = new ort.Tensor(f.dtype, f.data, f.dims);
    const runs: Record<string, Out>[] = [];
    for (let r = 0; r < times; r++) {
      const res = await session.run(input);
      const out: Record<string, Out> = {};
      for (const [k, t] of Object.entries(res)) {
        const data = t.type === 'int64' ? Array.from(t.data as BigInt64Array, Number) : (t.data as Float32Array | Float64Array);
        out[k] = { type: t.type, dims: [...t.dims], data };
      }
      runs.push(out);
    }
    return runs;
  } finally {
    await session.release();
  }
}

/**
 * Runs a float32 graph once on onnxruntime-node (cpu), feeding obs [n, D] and — when the graph has
 * that input — noise_u (default 0.5: the greedy branch for ε ≤ 0.5); returns the raw ORT tensors.
 */
export async function runOrtQ(
  bytes: Uint8Array,
  obs: Float32Array,
  n: number,
  D: number,
  u?: Float32Array,
): Promise<Record<string, ortNode.Tensor>> {
  const s = await ortNode.InferenceSession.create(withoutInputDefaults(bytes, ['noise_u']) ?? bytes, { executionProviders: ['cpu'] });
  try {
    const feeds: Record<string, ortNode.Tensor> = { obs: new ortNode.Tensor('float32', obs, [n, D]) };
    if (s.inputNames.includes('noise_u')) feeds['noise_u'] = new ortNode.Tensor('float32', u ?? new Float32Array(n).fill(0.5), [n]);
    return (await s.run(feeds)) as Record<string, ortNode.Tensor>;
  } finally {
    await s.release();
  }
}

/** The feeds of an actor graph: obs [n, D], and with `noise` also noise_u [n] and noise_eps [n, A], in `dtype`. */
export function actorFeeds(
  dtype: FloatDtype,
  obs: Float32Array,
  n: number,
  D: number,
  A: number,
  noise?: { u: Float64Array; eps: Float64Array },
): Record<string, Feed> {
  const f: Record<string, Feed> = { obs: { dtype, data: floats(dtype, obs), dims: [n, D] } };
  if (noise) {
    f['noise_u'] = { dtype, data: floats(dtype, noise.u), dims: [n] };
    f['noise_eps'] = { dtype, data: floats(dtype, noise.eps), dims: [n, A] };
  }
  return f;
}

/** The model's metadata_props as a map. */
export function metadataProps(bytes: Uint8Array): Map<string, string> {
  return new Map(onnx.ModelProto.decode(bytes).metadata_props.map((e) => [e.key!, e.value!]));
}

/** Initializer `name` of a model (expected to exist): its dims and values (float32 when FLOAT, int64 otherwise). */
export function initializer(model: onnx.ModelProto, name: string): { dims: number[]; values: number[] } {
  const t = model.graph!.initializer!.find((x) => x.name === name);
  expect(t, `initializer ${name}`).to.not.equal(undefined);
  const raw = t!.raw_data!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims = (t!.dims ?? []).map((d) => Number(d.toString()));
  const values: number[] = [];
  if (t!.data_type === 1) for (let i = 0; i < raw.byteLength / 4; i++) values.push(view.getFloat32(i * 4, true));
  else for (let i = 0; i < raw.byteLength / 8; i++) values.push(Number(view.getBigInt64(i * 8, true)));
  return { dims, values };
}

/** Typed array of the dtype with values rounded to it. */
export function floats(dtype: FloatDtype, values: ArrayLike<number>): Float32Array | Float64Array {
  return dtype === 'float32' ? Float32Array.from(values as ArrayLike<number>) : Float64Array.from(values as ArrayLike<number>);
}

/** max |a − b| and max |a − b| / (1 + |b|) over two equally long arrays (NaN if any entry is NaN). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; rel: number } {
  if (a.length !== b.length) throw new Error(`maxDiff: lengths ${a.length} and ${b.length} differ`);
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return { abs: NaN, rel: NaN };
    abs = Math.max(abs, d);
    rel = Math.max(rel, d / (1 + Math.abs(b[i]!)));
  }
  return { abs, rel };
}

/** Number of entries where two arrays differ bitwise (as float64 values). */
export function countUnequal(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

/** What compareWebNode found: the largest |web − node| per output, and how many of all compared entries differ bitwise. */
export interface WebNodeComparison {
  maxAbs: Record<string, number>;
  unequal: number;
  total: number;
}

/**
 * Web against node on the float outputs `names`: asserts |web − node| ≤ bound(name, j) for every
 * entry j whose bound is not NaN, and reports the largest difference per output and the bitwise
 * differences.
 */
export function compareWebNode(
  web: Record<string, Out>,
  node: Record<string, Out>,
  names: readonly string[],
  bound: (name: string, j: number) => number,
): WebNodeComparison {
  const maxAbs: Record<string, number> = {};
  let unequal = 0;
  let total = 0;
  for (const k of names) {
    const a = web[k]!.data;
    const b = node[k]!.data;
    for (let j = 0; j < a.length; j++) {
      total++;
      if (!Object.is(a[j], b[j])) unequal++;
      maxAbs[k] = Math.max(maxAbs[k] ?? 0, Math.abs(a[j]! - b[j]!));
      const B = bound(k, j);
      if (!Number.isNaN(B)) expect(Math.abs(a[j]! - b[j]!), `${k}[${j}]`).to.be.at.most(B);
    }
  }
  return { maxAbs, unequal, total };
}

/**
 * Exported metadata without its integrity digest (model_sha256, which the exporter seals in after
 * the family's metadata is made): checks the digest is there, 64 lower-case hex digits, and returns
 * the rest, for comparison with what the family's metadata function returns.
 */
export function withoutDigest<T extends object>(m: T): T {
  const digest = (m as Record<string, unknown>)['model_sha256'];
  if (typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest))
    throw new Error(`exported metadata has no model_sha256 digest: ${JSON.stringify(digest)}`);
  const rest = { ...m } as Record<string, unknown>;
  delete rest['model_sha256'];
  return rest as T;
}

/** The gmmrl.metadata text of an exported file without its digest field (the last one): the family's JSON text exactly. */
export function withoutDigestText(json: string): string {
  const m = /,"model_sha256":"[0-9a-f]{64}"\}$/.exec(json);
  if (!m) throw new Error(`exported metadata text does not end with the model_sha256 digest: …${json.slice(-90)}`);
  return json.slice(0, m.index) + '}';
}

/**
 * The nodes beginGraph puts first when the noise comes through the inputs: Shape(obs)[0], the noise
 * Expanded to N rows (their defaults are one row of NaN), then the [N] mask of rows without finite noise.
 */
export function noiseInputNodes(family: string, actor: boolean): { ops: string[]; names: string[] } {
  const n = (x: string): string => `${family}/noise/${x}`;
  const expand = actor
    ? { ops: ['Shape', 'Expand', 'Concat', 'Expand'], names: [n('rows'), n('u_rows'), n('eps_shape'), n('eps_rows')] }
    : { ops: ['Shape', 'Expand'], names: [n('rows'), n('u_rows')] };
  const maskOps = ['Unsqueeze', ...(actor ? ['Concat'] : []), 'IsNaN', 'IsInf', 'Or', 'Cast', 'ReduceMax', 'Cast'];
  const maskNames = [
    n('u_column'),
    ...(actor ? [n('all')] : []),
    n('is_nan'),
    n('is_inf'),
    n('non_finite'),
    n('non_finite_int'),
    n('row_max'),
    n('missing'),
  ];
  return { ops: [...expand.ops, ...maskOps], names: [...expand.names, ...maskNames] };
}

/** The nodes envelope.ts guardSampled adds for sampled output `out` of rank `rank` (Unsqueeze of the mask when rank > 1, Where). */
export function guardNodes(family: string, out: string, rank: number): { ops: string[]; names: string[] } {
  const stem = `${family}/guard/${out}`;
  return rank > 1
    ? { ops: ['Unsqueeze', 'Where'], names: [`${stem}/mask`, `${stem}/where`] }
    : { ops: ['Where'], names: [`${stem}/where`] };
}
