/**
 * DQN → ONNX exporter: structure, official checker, and numerical parity of ONNX Runtime (node,
 * cpu) against the float64 reference.
 *
 * Parity tolerance: |q_ort − q_ref| ≤ B (models/dqn/float32-bound.ts), the worst-case float32 error
 * bound of the graph's op sequence (u = 2⁻²⁴ per op, any summation order, constants rounded to
 * float32 once, no second-order term dropped). Greedy actions must equal the reference's argmax
 * wherever the reference's gap exceeds B_a + B_b (elsewhere the model does not decide the action).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { exportDqn, dqnMetadata, DQN_IR_VERSION, DQN_OPSET_VERSION, type DqnExportMeta } from '../../exporters/index.js';
import { onnx } from '../../exporters/onnx/proto/onnx.js';
import type { DqnParams } from '../../models/dqn/params.js';
import { argmaxRows, dqnQValues } from '../../models/dqn/reference.js';
import { dqnQErrorBound } from '../../models/dqn/float32-bound.js';
import { GMMRL_VERSION } from '../../models/version.js';
import { ShapeError, ValueError } from '../../runtime/errors.js';
import { loadPolicy } from '../../runtime/index.node.js';
import { Rng } from '../../sdk/util/rng.js';
import { expectThrows } from '../helpers.js';
import { dqnMetaFor, linearGrid, productGrid, randomDqnParams, randomObservations, worstRatio } from '../models/dqn/fixtures.js';

const PY = '/usr/bin/python3';
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
    'metadata': {p.key: p.value for p in m.metadata_props},
    'ops': [n.op_type for n in m.graph.node],
    'node_names': [n.name for n in m.graph.node],
    'inputs': [[v.name, v.type.tensor_type.elem_type, dims(v)] for v in m.graph.input],
    'outputs': [[v.name, v.type.tensor_type.elem_type, dims(v)] for v in inf.graph.output],
    'value_info': {v.name: [v.type.tensor_type.elem_type, dims(v)] for v in inf.graph.value_info},
}))
`;

interface CheckReport {
  ir_version: number;
  opset: [string, number][];
  metadata: Record<string, string>;
  ops: string[];
  node_names: string[];
  inputs: [string, number, (string | number)[]][];
  outputs: [string, number, (string | number)[]][];
  value_info: Record<string, [number, (string | number)[]]>;
}

function pythonOnnxAvailable(): boolean {
  return spawnSync(PY, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
}

/** The official checker (full_check) and strict shape inference with type checks, on bytes. */
function runChecker(bytes: Uint8Array): { ok: boolean; stderr: string; report?: CheckReport } {
  const dir = mkdtempSync(join(tmpdir(), 'gmmrl-dqn-onnx-'));
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

async function runOrt(bytes: Uint8Array, obs: Float32Array, n: number, D: number): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  try {
    return (await s.run({ obs: new ort.Tensor('float32', obs, [n, D]) })) as Record<string, ort.Tensor>;
  } finally {
    await s.release();
  }
}

/** The documented node sequence for layers. */
function expectedNodes(layers: number[], grid: boolean): { ops: string[]; names: string[] } {
  const ops = ['Sub', 'Div'];
  const names = ['dqn/normalize/sub', 'dqn/normalize/div'];
  const L = layers.length - 1;
  for (let l = 0; l < L; l++) {
    ops.push('MatMul', 'Add');
    names.push(`dqn/layer${l}/matmul`, `dqn/layer${l}/add`);
    if (l < L - 1) {
      ops.push('Relu');
      names.push(`dqn/layer${l}/relu`);
    }
  }
  ops.push('ArgMax');
  names.push('dqn/action/argmax');
  if (grid) {
    ops.push('Gather', 'Reshape');
    names.push('dqn/action/gather', 'dqn/action/reshape');
  }
  return { ops, names };
}

function initializer(model: onnx.ModelProto, name: string): { dims: number[]; values: number[] } {
  const t = model.graph!.initializer!.find((x) => x.name === name);
  expect(t, `initializer ${name}`).to.exist;
  const raw = t!.raw_data!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims = (t!.dims ?? []).map((d) => Number(d.toString()));
  const values: number[] = [];
  if (t!.data_type === 1) for (let i = 0; i < raw.byteLength / 4; i++) values.push(view.getFloat32(i * 4, true));
  else for (let i = 0; i < raw.byteLength / 8; i++) values.push(Number(view.getBigInt64(i * 8, true)));
  return { dims, values };
}

describe('exporters/onnx/dqn', function () {
  this.timeout(120_000);

  describe('graph structure and metadata', () => {
    const p = randomDqnParams(new Rng(1), [4, 16, 8, 2], { float32: false });
    const meta = dqnMetaFor(p, { sourceCheckpointSha256: 'cd'.repeat(32), training: { algorithm: 'dqn', steps: 1000, gradClip: Infinity } });
    const bytes = exportDqn(p, meta);
    const model = onnx.ModelProto.decode(bytes);

    it('has IR 8, opset 17, producer gmmrl/GMMRL_VERSION and doc strings', () => {
      expect(DQN_IR_VERSION).to.equal(8);
      expect(DQN_OPSET_VERSION).to.equal(17);
      expect(Number(model.ir_version.toString())).to.equal(8);
      expect(model.opset_import.map((o) => [o.domain ?? '', Number(o.version!.toString())])).to.deep.equal([['', 17]]);
      expect(model.producer_name).to.equal('gmmrl');
      expect(model.producer_version).to.equal(GMMRL_VERSION);
      expect(model.doc_string).to.match(/DQN policy for Test-v0 \(MLP \[4, 16, 8, 2\], 234 parameters\)/);
      expect(model.graph!.doc_string).to.match(/relu/);
    });

    it('is exactly the documented op sequence with named nodes, wired in order', () => {
      const nodes = model.graph!.node!;
      const want = expectedNodes([4, 16, 8, 2], false);
      expect(nodes.map((n) => n.op_type)).to.deep.equal(want.ops);
      expect(nodes.map((n) => n.name)).to.deep.equal(want.names);
      const byName = Object.fromEntries(nodes.map((n) => [n.name!, n]));
      expect(byName['dqn/normalize/sub']!.input).to.deep.equal(['obs', 'dqn/obs_offset']);
      expect(byName['dqn/normalize/div']!.input).to.deep.equal(['dqn/normalize/centred', 'dqn/obs_scale']);
      expect(byName['dqn/layer0/matmul']!.input).to.deep.equal(['dqn/normalize/z', 'dqn/layer0/weight']); // x · W, W [in, out]
      expect(byName['dqn/layer0/add']!.input).to.deep.equal(['dqn/layer0/linear', 'dqn/layer0/bias']);
      expect(byName['dqn/layer0/relu']!.input).to.deep.equal(['dqn/layer0/preactivation']);
      expect(byName['dqn/layer1/matmul']!.input).to.deep.equal(['dqn/layer0/activation', 'dqn/layer1/weight']);
      expect(byName['dqn/layer2/add']!.output).to.deep.equal(['q']);
      expect(byName['dqn/action/argmax']!.input).to.deep.equal(['q']);
      const attr = (n: string, a: string) => Number(byName[n]!.attribute!.find((x) => x.name === a)!.i!.toString());
      expect([attr('dqn/action/argmax', 'axis'), attr('dqn/action/argmax', 'keepdims'), attr('dqn/action/argmax', 'select_last_index')]).to.deep.equal([1, 0, 0]);
    });

    it('stores every constant as float32 raw_data rounded once from float64, weights [in, out]', () => {
      const f = (a: ArrayLike<number>) => Array.from(a, (x) => Math.fround(x));
      expect(initializer(model, 'dqn/obs_offset')).to.deep.equal({ dims: [4], values: f(p.obsOffset) });
      expect(initializer(model, 'dqn/obs_scale')).to.deep.equal({ dims: [4], values: f(p.obsScale) });
      for (let l = 0; l < 3; l++) {
        expect(initializer(model, `dqn/layer${l}/weight`)).to.deep.equal({ dims: [p.layers[l]!, p.layers[l + 1]!], values: f(p.weights[l]!) });
        expect(initializer(model, `dqn/layer${l}/bias`)).to.deep.equal({ dims: [p.layers[l + 1]!], values: f(p.biases[l]!) });
      }
      for (const t of model.graph!.initializer!) expect(t.float_data ?? [], t.name!).to.have.length(0);
    });

    it('writes the metadata contract (schema 1, family dqn: network and parameter_count, no components)', () => {
      const props = Object.fromEntries(model.metadata_props.map((e) => [e.key, e.value]));
      expect(Object.keys(props)).to.deep.equal(['gmmrl.schema_version', 'gmmrl.family', 'gmmrl.metadata']);
      expect(props['gmmrl.family']).to.equal('dqn');
      const m = JSON.parse(props['gmmrl.metadata']!);
      expect(Object.keys(m)).to.deep.equal([
        'schema_version', 'family', 'producer', 'producer_version', 'env_id', 'observation_space', 'action_space',
        'normalization', 'inputs', 'outputs', 'parameter_count', 'network', 'source_checkpoint_sha256', 'training',
      ]);
      expect(m).to.deep.include({ schema_version: 1, family: 'dqn', producer: 'gmmrl', producer_version: GMMRL_VERSION, env_id: 'Test-v0', parameter_count: 234 });
      expect(m).to.not.have.property('components');
      expect(m.network).to.deep.equal({ layers: [4, 16, 8, 2], activation: 'relu' });
      expect(m.observation_space).to.deep.equal({ shape: [4], low: [-10, null, -12, null], high: [10, null, 12, null] });
      expect(m.action_space).to.deep.equal({ kind: 'discrete', n: 2 });
      expect(m.normalization).to.deep.equal({
        offset: Array.from(p.obsOffset, Math.fround),
        scale: Array.from(p.obsScale, Math.fround),
        formula: 'z = (obs - offset) / scale, inside the graph',
      });
      expect(m.inputs).to.deep.equal([{ name: 'obs', dtype: 'float32', shape: ['N', 4] }]);
      expect(m.outputs).to.deep.equal([
        { name: 'q', dtype: 'float32', shape: ['N', 2] },
        { name: 'action', dtype: 'int64', shape: ['N'] },
      ]);
      expect(m.source_checkpoint_sha256).to.equal('cd'.repeat(32));
      expect(m.training).to.deep.equal({ algorithm: 'dqn', steps: 1000, gradClip: null });
    });

    it('is deterministic (same input → same bytes)', () => {
      expect(Buffer.from(exportDqn(p, meta)).equals(Buffer.from(bytes))).to.equal(true);
    });

    it('loads through gmmrl/runtime (loadPolicy) as family dqn; q and actions equal ONNX Runtime run directly', async () => {
      const policy = await loadPolicy(bytes);
      try {
        expect(policy.info.metadata.family).to.equal('dqn');
        expect(policy.info.metadata.network).to.deep.equal({ layers: [4, 16, 8, 2], activation: 'relu' });
        expect(policy.info.numActions).to.equal(2);
        const obs = randomObservations(new Rng(2), p, 40);
        const direct = await runOrt(bytes, obs, 40, 4);
        const rows = await policy.qBatch(obs);
        expect(rows.flatMap((r) => Array.from(r))).to.deep.equal(Array.from(direct['q']!.data as Float32Array));
        expect(Array.from(await policy.actBatch(obs))).to.deep.equal(Array.from(direct['action']!.data as BigInt64Array, Number));
      } finally {
        await policy.dispose();
      }
    });
  });

  describe('official ONNX checker (python onnx, full_check + strict shape inference)', function () {
    before(function () {
      if (!pythonOnnxAvailable()) {
        if (process.env['GMMRL_REQUIRE_ONNX_CHECKER']) throw new Error(`${PY} with the onnx package is required (GMMRL_REQUIRE_ONNX_CHECKER is set)`);
        this.skip();
      }
    });

    const cases: [string, DqnParams][] = [
      ['[6, 128, 128, 3] (Acrobot default)', randomDqnParams(new Rng(11), [6, 128, 128, 3])],
      ['[4, 2] (no hidden layer: linear Q)', randomDqnParams(new Rng(12), [4, 2])],
      ['[3, 16, 5] with a 5-point grid over [-2, 2]', randomDqnParams(new Rng(13), [3, 16, 5], { actionGrid: linearGrid(5, -2, 2) })],
      ['[2, 8, 8, 9] with a 3×3 grid of 2-vectors', randomDqnParams(new Rng(14), [2, 8, 8, 9], { actionGrid: productGrid(3, -1, 1) })],
    ];
    for (const [what, p] of cases) {
      it(`passes for ${what}; python reads back what we wrote`, () => {
        const meta = dqnMetaFor(p, { training: { algorithm: 'dqn', seed: 3 } });
        const r = runChecker(exportDqn(p, meta));
        expect(r.ok, r.stderr).to.equal(true);
        const rep = r.report!;
        const { layers } = p;
        const L = layers.length - 1;
        const D = layers[0]!;
        const A = layers[L]!;
        expect(rep.ir_version).to.equal(8);
        expect(rep.opset).to.deep.equal([['', 17]]);
        expect(JSON.parse(rep.metadata['gmmrl.metadata']!)).to.deep.equal(JSON.parse(JSON.stringify(dqnMetadata(p, meta))));
        const want = expectedNodes([...layers], Boolean(p.actionGrid));
        expect(rep.ops).to.deep.equal(want.ops);
        expect(rep.node_names).to.deep.equal(want.names);
        expect(rep.inputs).to.deep.equal([['obs', 1, ['N', D]]]);
        if (p.actionGrid) {
          expect(rep.outputs).to.deep.equal([['q', 1, ['N', A]], ['action_index', 7, ['N']], ['action', 1, ['N', ...p.actionGrid.shape]]]);
        } else {
          expect(rep.outputs).to.deep.equal([['q', 1, ['N', A]], ['action', 7, ['N']]]);
        }
        expect(rep.value_info['dqn/normalize/z']).to.deep.equal([1, ['N', D]]);
        for (let l = 0; l < L; l++) expect(rep.value_info[`dqn/layer${l}/linear`], `layer ${l}`).to.deep.equal([1, ['N', layers[l + 1]!]]);
        for (let l = 0; l < L - 1; l++) expect(rep.value_info[`dqn/layer${l}/activation`], `layer ${l}`).to.deep.equal([1, ['N', layers[l + 1]!]]);
      });
    }

    it('the harness does fail: a value_info contradicting inference is rejected', () => {
      const p = randomDqnParams(new Rng(15), [3, 8, 2]);
      const model = onnx.ModelProto.decode(exportDqn(p, dqnMetaFor(p)));
      const vi = model.graph!.value_info!.find((v) => v.name === 'dqn/layer0/activation')!;
      vi.type!.tensor_type!.shape!.dim![1] = { dim_value: 9 }; // the layer is 8 wide
      const r = runChecker(onnx.ModelProto.encode(model).finish());
      expect(r.ok).to.equal(false);
      expect(r.stderr).to.match(/ShapeInferenceError|Inferred shape and existing shape differ|dimension mismatch/i);
    });
  });

  describe('ONNX Runtime (node, cpu) vs float64 reference', () => {
    for (const layers of [[4, 64, 64, 2], [6, 128, 128, 3], [3, 32, 3], [2, 3]]) {
      it(`[${layers}]: q within the float32 bound B, action = argmax (N = 1000 and N = 1)`, async () => {
        const rng = new Rng(layers.reduce((a, b) => 17 * a + b, 3));
        const p = randomDqnParams(rng, layers, { float32: false });
        const D = layers[0]!;
        const A = layers.at(-1)!;
        const bytes = exportDqn(p, dqnMetaFor(p));
        const N = 1000;
        const obs = randomObservations(rng, p, N);
        const ref = dqnQValues(p, obs, N);
        const bound = dqnQErrorBound(p, obs, N);
        const out = await runOrt(bytes, obs, N, D);
        const q = out['q']!.data as Float32Array;
        const action = out['action']!.data as BigInt64Array;
        const w = worstRatio(q, ref, bound);
        if (process.env['GMMRL_DEBUG']) console.log(`[${layers}] ort worst |Δq|/B ${w.ratio.toExponential(2)}`);
        expect(w.ratio, `entry ${w.index}: ort ${q[w.index]} ref ${ref[w.index]} B ${bound[w.index]}`).to.be.at.most(1);
        expect(Array.from(action, Number)).to.deep.equal(Array.from(argmaxRows(q, N, A)));
        const refAct = argmaxRows(ref, N, A);
        let decided = 0;
        for (let i = 0; i < N; i++) {
          const best = refAct[i]!;
          let ambiguous = false;
          for (let a = 0; a < A; a++) if (a !== best && ref[i * A + best]! - ref[i * A + a]! <= bound[i * A + best]! + bound[i * A + a]!) ambiguous = true;
          if (!ambiguous) {
            decided++;
            expect(Number(action[i]), `row ${i}`).to.equal(best);
          }
        }
        expect(decided).to.be.greaterThan(0.9 * N);
        for (const i of [0, 1, 2, 3, 999]) {
          const one = await runOrt(bytes, obs.slice(i * D, (i + 1) * D), 1, D);
          const r1 = worstRatio(one['q']!.data as Float32Array, ref.subarray(i * A, (i + 1) * A), bound.subarray(i * A, (i + 1) * A));
          expect(r1.ratio, `single row ${i}`).to.be.at.most(1);
        }
      });
    }

    it('grid action head: action_index = argmax q (first on ties) and action = that grid row, float32', async () => {
      for (const grid of [linearGrid(5, -2, 2), productGrid(3, -1, 1)]) {
        const size = grid.shape.reduce((a, b) => a * b, 1);
        const A = grid.values.length / size;
        const rng = new Rng(70 + A);
        const p = randomDqnParams(rng, [3, 16, A], { actionGrid: grid });
        const N = 200;
        const obs = randomObservations(rng, p, N);
        const out = await runOrt(exportDqn(p, dqnMetaFor(p)), obs, N, 3);
        const q = out['q']!.data as Float32Array;
        const idx = Array.from(out['action_index']!.data as BigInt64Array, Number);
        const act = out['action']!;
        expect(act.type).to.equal('float32');
        expect(act.dims).to.deep.equal([N, ...grid.shape]);
        expect(idx).to.deep.equal(Array.from(argmaxRows(q, N, A)));
        const want: number[] = [];
        for (const a of idx) for (let j = 0; j < size; j++) want.push(Math.fround(grid.values[a * size + j]!));
        expect(Array.from(act.data as Float32Array)).to.deep.equal(want);
        expect(new Set(idx).size, 'several grid points are chosen').to.be.greaterThan(1);
      }
    });

    it('ties go to the first index (two identical output columns)', async () => {
      const rng = new Rng(80);
      const p = randomDqnParams(rng, [3, 8, 3]);
      const W = p.weights[1]!.slice();
      const b = p.biases[1]!.slice();
      for (let k = 0; k < 8; k++) W[k * 3 + 2] = W[k * 3 + 1]!; // column 2 = column 1
      b[2] = b[1]!;
      b[0] = -1e6; // action 0 never wins
      const q = { ...p, weights: [p.weights[0]!, W], biases: [p.biases[0]!, b] };
      const out = await runOrt(exportDqn(q, dqnMetaFor(q)), randomObservations(rng, q, 100), 100, 3);
      const qs = out['q']!.data as Float32Array;
      for (let i = 0; i < 100; i++) expect(qs[i * 3 + 1], `row ${i} tie is exact`).to.equal(qs[i * 3 + 2]);
      expect(Array.from(out['action']!.data as BigInt64Array, Number)).to.deep.equal(new Array(100).fill(1));
    });
  });

  describe('input validation', () => {
    const good = randomDqnParams(new Rng(3), [2, 4, 2]);
    const meta = dqnMetaFor(good);
    const withP = (patch: Partial<Record<keyof DqnParams, unknown>>): DqnParams => ({ ...good, ...patch }) as DqnParams;

    it('rejects inconsistent shapes, naming the field and the expected shape', () => {
      expectThrows(() => exportDqn(withP({ weights: [new Float64Array(7), good.weights[1]!] }), meta), ShapeError, /exportDqn: weights\[0\] has length 7, expected 8 \(shape \[2, 4\]\)/);
      expectThrows(() => exportDqn(withP({ biases: [good.biases[0]!] }), meta), ShapeError, /biases must be an array of 2 Float64Array/);
      expectThrows(() => exportDqn(withP({ obsScale: new Float64Array(3) }), meta), ShapeError, /obsScale has length 3, expected 2/);
      expectThrows(() => exportDqn(withP({ layers: [2, 0, 2] }), meta), ValueError, /layers\[1\] = 0/);
      expectThrows(() => exportDqn(good, { ...meta, actionSpace: { kind: 'discrete', n: 3 } }), ShapeError, /actionSpace\.n = 3 but the network has A = 2 outputs/);
      expectThrows(
        () => exportDqn(good, { ...meta, observationSpace: { shape: [3], low: [0, 0, 0], high: [1, 1, 1] } }),
        ShapeError,
        /shape = \[3\] has 3 entries but the network's input size D = layers\[0\] is 2/,
      );
      expectThrows(() => exportDqn(good, { ...meta, observationSpace: { shape: [2], low: [0], high: [1, 1] } }), ShapeError, /low must be an array of 2 numbers/);
    });

    it('rejects non-finite values, scale ≤ 0 and float32 overflow, naming the entry', () => {
      const w = good.weights[1]!.slice();
      w[3] = NaN;
      expectThrows(() => exportDqn(withP({ weights: [good.weights[0]!, w] }), meta), ValueError, /weights\[1\]\[3\] is NaN/);
      const b = good.biases[0]!.slice();
      b[1] = -Infinity;
      expectThrows(() => exportDqn(withP({ biases: [b, good.biases[1]!] }), meta), ValueError, /biases\[0\]\[1\] is -Infinity/);
      const big = good.weights[0]!.slice();
      big[2] = 1e39;
      expectThrows(() => exportDqn(withP({ weights: [big, good.weights[1]!] }), meta), ValueError, /weights\[0\]\[2\] = 1e\+39 does not fit in float32/);
      expectThrows(() => exportDqn(withP({ obsScale: new Float64Array([1, 0]) }), meta), ValueError, /obsScale\[1\] = 0 must be > 0/);
      expectThrows(() => exportDqn(withP({ obsScale: new Float64Array([1, 1e-50]) }), meta), ValueError, /obsScale\[1\] = 1e-50 must be > 0 in float32/);
    });

    it('rejects grids that do not fit the network or the action space', () => {
      const g = linearGrid(2, -2, 2);
      const withGrid = withP({ actionGrid: g });
      const boxMeta: DqnExportMeta = { ...meta, actionSpace: { kind: 'box', shape: [1], low: [-2], high: [2] } };
      expect(() => exportDqn(withGrid, boxMeta)).to.not.throw();
      expectThrows(() => exportDqn(withP({ actionGrid: linearGrid(3, -2, 2) }), boxMeta), ShapeError, /actionGrid\.values has 3 numbers; expected A × size = 2 × 1/);
      expectThrows(() => exportDqn(withP({ actionGrid: { ...g, values: Float64Array.of(-2, 2.5) } }), boxMeta), ValueError, /actionGrid\.values\[1\]\[0\] = 2\.5 .* outside the action bounds \[-2, 2\]/);
      expectThrows(() => exportDqn(withGrid, meta), ValueError, /has an actionGrid but meta\.actionSpace is discrete/);
      expectThrows(() => exportDqn(good, boxMeta), ValueError, /meta\.actionSpace is a continuous box but the model has no actionGrid/);
      expectThrows(() => exportDqn(withGrid, { ...boxMeta, actionSpace: { kind: 'box', shape: [1], low: [-1], high: [2] } }), ValueError, /bounds .* differ from actionGrid\.low\/high/);
    });

    it('rejects bad metadata with the field named', () => {
      expectThrows(() => exportDqn(good, { ...meta, envId: '' }), ValueError, /meta\.envId must be a non-empty string/);
      expectThrows(() => exportDqn(good, { ...meta, sourceCheckpointSha256: 'xyz' }), ValueError, /sourceCheckpointSha256 must be 64 lower-case hex digits, got "xyz"/);
      expectThrows(() => exportDqn(good, { ...meta, training: [] as unknown as Record<string, unknown> }), ValueError, /meta\.training must be a plain object/);
      expectThrows(() => exportDqn(good, { ...meta, observationSpace: { shape: [2], low: [1, NaN], high: [2, 2] } }), ValueError, /observationSpace\.low\[1\] is NaN/);
      expectThrows(() => exportDqn(good, { ...meta, observationSpace: { shape: [2], low: [3, 0], high: [2, 2] } }), ValueError, /low\[0\] = 3 exceeds high\[0\] = 2/);
      expectThrows(() => exportDqn(good, { ...meta, training: { n: 1n } as unknown as Record<string, unknown> }), ValueError, /bigint/);
    });
  });
});
