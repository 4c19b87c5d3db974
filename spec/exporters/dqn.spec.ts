/**
 * DQN → ONNX exporter: structure, official checker, and numerical parity of ONNX Runtime (node,
 * cpu; web wasm for the sampling head and float64) against the float64 reference.
 *
 * The default export has the ε-greedy sampling head (input noise_u [N], output action_sampled);
 * sampling 'none' is the greedy-only graph (input obs alone) exported before the sampling head
 * existed. Sampled indices must equal epsilonGreedyIndex(q, u, ε) (models/sampling.ts) of the
 * graph's own q, except where u lies within float32 rounding of ε or of a boundary of
 * floor(u/ε·A) (counted, rare); float64 graphs match the float64 reference within 1e-9·(1 + |q|).
 *
 * Parity tolerance: |q_ort − q_ref| ≤ B (models/dqn/float32-bound.ts), the worst-case float32 error
 * bound of the graph's op sequence (u = 2⁻²⁴ per op, any summation order, constants rounded to
 * float32 once, no second-order term dropped). Greedy actions must equal the reference's argmax
 * wherever the reference's gap exceeds B_a + B_b (elsewhere the model does not decide the action).
 */
import { expect } from 'chai';
import {
  exportDqn,
  dqnMetadata,
  DQN_IR_VERSION,
  DQN_OPSET_VERSION,
  type DqnExportMeta,
  type DqnExportOptions,
} from '../../exporters/index.js';
import { onnx } from '../../exporters/onnx/proto/onnx.js';
import type { DqnParams } from '../../models/dqn/params.js';
import { argmaxRows, dqnQValues } from '../../models/dqn/reference.js';
import { dqnQErrorBound } from '../../models/dqn/float32-bound.js';
import { GMMRL_VERSION } from '../../models/version.js';
import { ShapeError, ValueError } from '../../contract/errors.js';
import { metadataFromProps, validateMetadata } from '../../contract/metadata.js';
import { epsilonGreedyIndex } from '../../models/sampling.js';
import { Rng } from '../../sdk/util/rng.js';
import { epsilonBoundary } from './actor-fixtures.js';
import {
  PY,
  floats,
  initializer,
  maxDiff,
  pythonOnnxAvailable,
  runChecker,
  runOrt as runRt,
  runOrtQ as runOrt,
  runOrtTimes,
  noiseInputNodes,
  guardNodes,
  withoutDigest,
} from './harness.js';
import { expectThrows } from '../helpers.js';

const DEBUG = Boolean(process.env['GMMRL_DEBUG']);
import { dqnMetaFor, linearGrid, productGrid, randomDqnParams, randomObservations, worstRatio } from '../models/dqn/fixtures.js';

/** The documented node sequence for layers (sampling head: qhead.ts addSamplingHead). */
function expectedNodes(
  layers: number[],
  grid: boolean,
  sampling: 'inputs' | 'in-graph' | 'none' = 'inputs',
  epsilon = 0.05,
): { ops: string[]; names: string[] } {
  const noise = sampling === 'inputs' ? noiseInputNodes('dqn', false) : { ops: [], names: [] };
  const ops = [...noise.ops, 'Sub', 'Div'];
  const names = [...noise.names, 'dqn/normalize/sub', 'dqn/normalize/div'];
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
  if (sampling === 'none') return { ops, names };
  if (sampling === 'in-graph' && epsilon > 0) {
    ops.push('RandomUniformLike');
    names.push('dqn/noise/random_uniform');
  }
  const eg =
    epsilon === 0
      ? [['Identity', 'identity']]
      : [
          ['Less', 'less'],
          ['Div', 'div'],
          ['Mul', 'mul'],
          ['Floor', 'floor'],
          ['Clip', 'clip'],
          ['Cast', 'cast'],
          ['Where', 'where'],
        ];
  for (const [op, n] of eg) {
    ops.push(op!);
    names.push(`dqn/sample/epsilon_greedy/${n}`);
  }
  // with noise_u an input, each sampled output is guarded (-1 / NaN in rows without finite noise)
  const fed = sampling === 'inputs';
  const guard = (out: string, rank: number): void => {
    if (!fed) return;
    const gn = guardNodes('dqn', out, rank);
    ops.push(...gn.ops);
    names.push(...gn.names);
  };
  guard(grid ? 'action_sampled_index' : 'action_sampled', 1);
  if (grid) {
    ops.push('Gather', 'Reshape');
    names.push('dqn/sample/gather', 'dqn/sample/reshape');
    guard('action_sampled', 2);
  }
  return { ops, names };
}

describe('exporters/onnx/dqn', function () {
  this.timeout(120_000);

  describe('graph structure and metadata', () => {
    const p = randomDqnParams(new Rng(1), [4, 16, 8, 2], { float32: false });
    const meta = dqnMetaFor(p, {
      sourceCheckpointSha256: 'cd'.repeat(32),
      training: { algorithm: 'dqn', steps: 1000, gradClip: Infinity },
    });
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
      expect(model.doc_string).to.match(/"noise_u" \[N\] float32 \(uniform \[0, 1\)\).*epsilon-greedy "action_sampled" \(epsilon 0\.05\)/);
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
      // noise_u has a one-row NaN default ("no noise"), read only through Expand to obs's N rows
      expect(byName['dqn/noise/rows']!.input).to.deep.equal(['obs']);
      expect(byName['dqn/noise/u_rows']!.input).to.deep.equal(['noise_u', 'dqn/noise/rows']);
      expect(initializer(model, 'noise_u')).to.deep.equal({ dims: [1], values: [NaN] });
      expect(byName['dqn/sample/epsilon_greedy/less']!.input).to.deep.equal(['dqn/noise/u_rows', 'dqn/sample/epsilon_greedy/epsilon']);
      expect(byName['dqn/sample/epsilon_greedy/where']!.input).to.deep.equal([
        'dqn/sample/epsilon_greedy/explore',
        'dqn/sample/epsilon_greedy/random_index',
        'action',
      ]);
      expect(byName['dqn/sample/epsilon_greedy/where']!.output).to.deep.equal(['dqn/sample/index']);
      // -1 where the row has no finite noise, else the ε-greedy index itself
      expect(byName['dqn/noise/missing']!.input).to.deep.equal(['dqn/noise/row_max']);
      expect(byName['dqn/guard/action_sampled/where']!.input).to.deep.equal([
        'dqn/noise/missing',
        'dqn/guard/action_sampled/minus_one',
        'dqn/sample/index',
      ]);
      expect(byName['dqn/guard/action_sampled/where']!.output).to.deep.equal(['action_sampled']);
      expect(initializer(model, 'dqn/guard/action_sampled/minus_one')).to.deep.equal({ dims: [], values: [-1] });
      expect(model.graph!.input!.map((v) => v.name)).to.deep.equal(['obs', 'noise_u']);
      expect(model.graph!.output!.map((v) => v.name)).to.deep.equal(['q', 'action', 'action_sampled']);
      const attr = (n: string, a: string) => Number(byName[n]!.attribute!.find((x) => x.name === a)!.i!.toString());
      expect([
        attr('dqn/action/argmax', 'axis'),
        attr('dqn/action/argmax', 'keepdims'),
        attr('dqn/action/argmax', 'select_last_index'),
      ]).to.deep.equal([1, 0, 0]);
    });

    it('stores every constant as float32 raw_data rounded once from float64, weights [in, out]', () => {
      const f = (a: ArrayLike<number>) => Array.from(a, (x) => Math.fround(x));
      expect(initializer(model, 'dqn/obs_offset')).to.deep.equal({ dims: [4], values: f(p.obsOffset) });
      expect(initializer(model, 'dqn/obs_scale')).to.deep.equal({ dims: [4], values: f(p.obsScale) });
      for (let l = 0; l < 3; l++) {
        expect(initializer(model, `dqn/layer${l}/weight`)).to.deep.equal({
          dims: [p.layers[l]!, p.layers[l + 1]!],
          values: f(p.weights[l]!),
        });
        expect(initializer(model, `dqn/layer${l}/bias`)).to.deep.equal({ dims: [p.layers[l + 1]!], values: f(p.biases[l]!) });
      }
      for (const t of model.graph!.initializer!) expect(t.float_data ?? [], t.name!).to.have.length(0);
    });

    it('writes the metadata contract (schema 1, family dqn: sampling, network and parameter_count, no components)', () => {
      const props = Object.fromEntries(model.metadata_props.map((e) => [e.key, e.value]));
      expect(Object.keys(props)).to.deep.equal(['gmmrl.schema_version', 'gmmrl.family', 'gmmrl.metadata']);
      expect(props['gmmrl.family']).to.equal('dqn');
      const m = JSON.parse(props['gmmrl.metadata']!);
      expect(Object.keys(m)).to.deep.equal([
        'schema_version',
        'family',
        'producer',
        'producer_version',
        'env_id',
        'observation_space',
        'action_space',
        'sampling',
        'normalization',
        'inputs',
        'outputs',
        'parameter_count',
        'network',
        'source_checkpoint_sha256',
        'training',
        'model_sha256',
      ]);
      expect(m.sampling).to.deep.equal({
        kind: 'epsilon-greedy',
        noise: 'inputs',
        epsilon: 0.05,
        formula:
          'action_sampled = u < epsilon ? min(floor(u / epsilon * A), A - 1) : argmax_a q (first index on ties), u = noise_u ~ U[0, 1).',
      });
      expect(m).to.deep.include({
        schema_version: 1,
        family: 'dqn',
        producer: 'gmmrl',
        producer_version: GMMRL_VERSION,
        env_id: 'Test-v0',
        parameter_count: 234,
      });
      expect(m).to.not.have.property('components');
      expect(m.network).to.deep.equal({ layers: [4, 16, 8, 2], activation: 'relu' });
      expect(m.observation_space).to.deep.equal({ shape: [4], low: [-10, null, -12, null], high: [10, null, 12, null] });
      expect(m.action_space).to.deep.equal({ kind: 'discrete', n: 2 });
      expect(m.normalization).to.deep.equal({
        offset: Array.from(p.obsOffset, Math.fround),
        scale: Array.from(p.obsScale, Math.fround),
        formula: 'z = (obs - offset) / scale, inside the graph',
      });
      expect(m.inputs).to.deep.equal([
        { name: 'obs', dtype: 'float32', shape: ['N', 4] },
        { name: 'noise_u', dtype: 'float32', shape: ['N'] },
      ]);
      expect(m.outputs).to.deep.equal([
        { name: 'q', dtype: 'float32', shape: ['N', 2] },
        { name: 'action', dtype: 'int64', shape: ['N'] },
        { name: 'action_sampled', dtype: 'int64', shape: ['N'] },
      ]);
      expect(m.source_checkpoint_sha256).to.equal('cd'.repeat(32));
      expect(m.training).to.deep.equal({ algorithm: 'dqn', steps: 1000, gradClip: null });
    });

    it('is deterministic (same input → same bytes)', () => {
      expect(Buffer.from(exportDqn(p, meta)).equals(Buffer.from(bytes))).to.equal(true);
    });

    it('metadataFromProps reads back and validates (family contract) every variant: sampling inputs / in-graph / none, float64, grid', () => {
      const pg = randomDqnParams(new Rng(4), [3, 8, 4], { actionGrid: productGrid(2, -1, 1) });
      const variants: [DqnParams, DqnExportMeta, DqnExportOptions | undefined][] = [
        [p, meta, undefined],
        [p, meta, { sampling: 'in-graph', epsilon: 0.2 }],
        [p, meta, { sampling: 'none' }],
        [p, meta, { precision: 'float64' }],
        [pg, dqnMetaFor(pg), { precision: 'float64', sampling: 'in-graph', epsilon: 1 }],
        [pg, dqnMetaFor(pg), undefined],
      ];
      for (const [q, mt, opts] of variants) {
        const bytes2 = exportDqn(q, mt, opts);
        const pr = new Map(onnx.ModelProto.decode(bytes2).metadata_props.map((e) => [e.key!, e.value!]));
        const back = metadataFromProps(pr);
        expect(withoutDigest(back), JSON.stringify(opts)).to.deep.equal(
          validateMetadata(JSON.parse(JSON.stringify(dqnMetadata(q, mt, opts)))),
        );
        expect(back.precision ?? 'float32').to.equal(opts?.precision ?? 'float32');
        if (opts?.sampling === 'none') expect(back).to.not.have.property('sampling');
        else
          expect(back.sampling).to.deep.include({
            kind: 'epsilon-greedy',
            noise: opts?.sampling ?? 'inputs',
            epsilon: opts?.epsilon ?? 0.05,
          });
        if (opts?.sampling === 'in-graph') expect(back.sampling!.formula).to.match(/NOT reproducible across runtimes/);
      }
    });

    it("sampling 'none' is the greedy-only graph of before the sampling head: input obs alone, outputs q and action", async () => {
      const none = onnx.ModelProto.decode(exportDqn(p, meta, { sampling: 'none' }));
      const want = expectedNodes([4, 16, 8, 2], false, 'none');
      expect(none.graph!.node!.map((n) => n.op_type)).to.deep.equal(want.ops);
      expect(none.graph!.node!.map((n) => n.name)).to.deep.equal(want.names);
      expect(none.graph!.input!.map((v) => v.name)).to.deep.equal(['obs']);
      expect(none.graph!.output!.map((v) => v.name)).to.deep.equal(['q', 'action']);
      const m = dqnMetadata(p, meta, { sampling: 'none' });
      expect(m).to.not.have.property('sampling');
      expect(m.inputs).to.deep.equal([{ name: 'obs', dtype: 'float32', shape: ['N', 4] }]);
      // q and action are the same numbers as the default graph's
      const obs = randomObservations(new Rng(2), p, 40);
      const [a, b] = await Promise.all([runOrt(exportDqn(p, meta, { sampling: 'none' }), obs, 40, 4), runOrt(bytes, obs, 40, 4)]);
      expect(Array.from(a['q']!.data as Float32Array)).to.deep.equal(Array.from(b['q']!.data as Float32Array));
      expect(Array.from(a['action']!.data as BigInt64Array)).to.deep.equal(Array.from(b['action']!.data as BigInt64Array));
      expect(a).to.not.have.property('action_sampled');
    });
  });

  describe('official ONNX checker (python onnx, full_check + strict shape inference)', function () {
    before(function () {
      if (!pythonOnnxAvailable()) {
        if (process.env['GMMRL_REQUIRE_ONNX_CHECKER'])
          throw new Error(`${PY} with the onnx package is required (GMMRL_REQUIRE_ONNX_CHECKER is set)`);
        this.skip();
      }
    });

    const cases: [string, DqnParams][] = [
      ['[6, 128, 128, 3] (Acrobot default)', randomDqnParams(new Rng(11), [6, 128, 128, 3])],
      ['[4, 2] (no hidden layer: linear Q)', randomDqnParams(new Rng(12), [4, 2])],
      ['[3, 16, 5] with a 5-point grid over [-2, 2]', randomDqnParams(new Rng(13), [3, 16, 5], { actionGrid: linearGrid(5, -2, 2) })],
      ['[2, 8, 8, 9] with a 3×3 grid of 2-vectors', randomDqnParams(new Rng(14), [2, 8, 8, 9], { actionGrid: productGrid(3, -1, 1) })],
    ];
    const modes: [string, DqnExportOptions | undefined][] = [
      ['default (float32, noise_u input, epsilon 0.05)', undefined],
      ['sampling none', { sampling: 'none' }],
      ['float64, in-graph noise', { precision: 'float64', sampling: 'in-graph' }],
      ['float64, noise input, epsilon 0', { precision: 'float64', epsilon: 0 }],
    ];
    for (const [what, p] of cases)
      for (const [mode, opts] of modes) {
        it(`passes for ${what}, ${mode}; python reads back what we wrote`, () => {
          const meta = dqnMetaFor(p, { training: { algorithm: 'dqn', seed: 3 } });
          const r = runChecker(exportDqn(p, meta, opts));
          expect(r.ok, r.stderr).to.equal(true);
          const rep = r.report!;
          const { layers } = p;
          const L = layers.length - 1;
          const D = layers[0]!;
          const A = layers[L]!;
          expect(rep.ir_version).to.equal(8);
          expect(rep.opset).to.deep.equal([['', 17]]);
          expect(withoutDigest(JSON.parse(rep.metadata['gmmrl.metadata']!))).to.deep.equal(
            JSON.parse(JSON.stringify(dqnMetadata(p, meta, opts))),
          );
          const sampling = opts?.sampling ?? 'inputs';
          const want = expectedNodes([...layers], Boolean(p.actionGrid), sampling, opts?.epsilon ?? 0.05);
          expect(rep.ops).to.deep.equal(want.ops);
          expect(rep.node_names).to.deep.equal(want.names);
          const F = opts?.precision === 'float64' ? 11 : 1;
          expect(rep.inputs).to.deep.equal(
            sampling === 'inputs'
              ? [
                  ['obs', F, ['N', D]],
                  ['noise_u', F, ['N']],
                ]
              : [['obs', F, ['N', D]]],
          );
          const sampled =
            sampling === 'none'
              ? []
              : p.actionGrid
                ? [
                    ['action_sampled_index', 7, ['N']],
                    ['action_sampled', F, ['N', ...p.actionGrid.shape]],
                  ]
                : [['action_sampled', 7, ['N']]];
          if (p.actionGrid) {
            expect(rep.outputs).to.deep.equal([
              ['q', F, ['N', A]],
              ['action_index', 7, ['N']],
              ['action', F, ['N', ...p.actionGrid.shape]],
              ...sampled,
            ]);
          } else {
            expect(rep.outputs).to.deep.equal([['q', F, ['N', A]], ['action', 7, ['N']], ...sampled]);
          }
          expect(
            rep.initializer_types.filter((t) => t !== 7),
            'every float constant has the precision',
          ).to.deep.equal([F]);
          expect(rep.value_info['dqn/normalize/z']).to.deep.equal([F, ['N', D]]);
          for (let l = 0; l < L; l++)
            expect(rep.value_info[`dqn/layer${l}/linear`], `layer ${l}`).to.deep.equal([F, ['N', layers[l + 1]!]]);
          for (let l = 0; l < L - 1; l++)
            expect(rep.value_info[`dqn/layer${l}/activation`], `layer ${l}`).to.deep.equal([F, ['N', layers[l + 1]!]]);
          if (sampling !== 'none' && (opts?.epsilon ?? 0.05) > 0)
            expect(rep.value_info['dqn/sample/epsilon_greedy/random_index']).to.deep.equal([7, ['N']]);
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
    for (const layers of [
      [4, 64, 64, 2],
      [6, 128, 128, 3],
      [3, 32, 3],
      [2, 3],
    ]) {
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
          for (let a = 0; a < A; a++)
            if (a !== best && ref[i * A + best]! - ref[i * A + a]! <= bound[i * A + best]! + bound[i * A + a]!) ambiguous = true;
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

  describe('ε-greedy sampling head (node cpu and web wasm, float32 and float64)', () => {
    const N = 400;
    const cases: [string, DqnParams][] = [
      ['discrete [4, 32, 3]', randomDqnParams(new Rng(90), [4, 32, 3], { float32: false })],
      ['5-point grid [3, 16, 5]', randomDqnParams(new Rng(91), [3, 16, 5], { float32: false, actionGrid: linearGrid(5, -2, 2) })],
    ];
    for (const [what, p] of cases) {
      for (const precision of ['float32', 'float64'] as const) {
        it(`${what}, ${precision}: action_sampled = epsilonGreedyIndex(q, noise_u, ε) (ε = 0.3), boundaries counted; ${precision === 'float64' ? 'q within 1e-9 of the reference' : 'q within the float32 bound'}`, async () => {
          const rng = new Rng(92);
          const D = p.layers[0]!;
          const A = p.layers.at(-1)!;
          const eps = 0.3;
          const obs = randomObservations(rng, p, N);
          const r = precision === 'float32' ? Math.fround : (x: number) => x;
          const u = Float64Array.from({ length: N }, () =>
            Math.min(r(rng.uniform()), precision === 'float32' ? 1 - 2 ** -24 : 1 - 2 ** -53),
          );
          const bytes = exportDqn(p, dqnMetaFor(p), { precision, epsilon: eps });
          const ref = dqnQValues(p, obs, N);
          const bound = dqnQErrorBound(p, obs, N);
          const feeds = {
            obs: { dtype: precision, data: floats(precision, obs), dims: [N, D] },
            noise_u: { dtype: precision, data: floats(precision, u), dims: [N] },
          };
          const outs = { node: await runRt('node', bytes, feeds), web: await runRt('web', bytes, feeds) };
          for (const rt of ['node', 'web'] as const) {
            const out = outs[rt];
            const q = out['q']!.data as Float32Array | Float64Array;
            expect(out['q']!.type).to.equal(precision);
            if (precision === 'float64') expect(maxDiff(q, ref).rel, `${rt} q`).to.be.at.most(1e-9);
            else expect(worstRatio(q, ref, bound).ratio, `${rt} q`).to.be.at.most(1);
            const greedy = out[p.actionGrid ? 'action_index' : 'action']!.data;
            const sampled = out[p.actionGrid ? 'action_sampled_index' : 'action_sampled']!.data;
            let boundary = 0;
            let explored = 0;
            for (let i = 0; i < N; i++) {
              const want = epsilonGreedyIndex(Array.from(q.subarray(i * A, (i + 1) * A)), u[i]!, eps);
              if (sampled[i] !== want) {
                expect(
                  precision === 'float32' && epsilonBoundary(u[i]!, eps, A),
                  `${rt} row ${i}: sampled ${sampled[i]}, epsilonGreedyIndex ${want}, u ${u[i]}`,
                ).to.equal(true);
                boundary++;
              }
              if (sampled[i] !== greedy[i]) explored++;
              if (u[i]! >= eps) expect(sampled[i], `${rt} row ${i} greedy branch`).to.equal(greedy[i]);
            }
            if (DEBUG) console.log(`dqn sampling ${what} ${precision} ${rt}: ${boundary} boundary rows, ${explored} explored`);
            expect(boundary).to.be.at.most(0.01 * N);
            expect(explored).to.be.greaterThan(0.1 * N);
            if (p.actionGrid) {
              const size = 1;
              const act = out['action_sampled']!.data;
              expect(out['action_sampled']!.dims).to.deep.equal([N, 1]);
              for (let i = 0; i < N; i++) expect(act[i], `${rt} row ${i}`).to.equal(r(p.actionGrid.values[sampled[i]! * size]!));
            }
          }
          // web vs node: float32 q within the sum of both bounds, float64 within 1e-12
          if (precision === 'float64') expect(maxDiff(outs.web['q']!.data, outs.node['q']!.data).rel).to.be.at.most(1e-12);
          else
            expect(
              worstRatio(
                outs.web['q']!.data,
                outs.node['q']!.data,
                bound.map((b) => 2 * b),
              ).ratio,
            ).to.be.at.most(1);
        });
      }
    }

    it('ε = 0 is the greedy action (an Identity node); ε = 1 spreads stratified u evenly over the actions', async () => {
      const p = cases[0]![1];
      const obs = randomObservations(new Rng(93), p, 300);
      const u = Float32Array.from({ length: 300 }, (_, i) => (i + 0.5) / 300);
      const zero = await runOrt(exportDqn(p, dqnMetaFor(p), { epsilon: 0 }), obs, 300, 4, u);
      expect(Array.from(zero['action_sampled']!.data as BigInt64Array)).to.deep.equal(Array.from(zero['action']!.data as BigInt64Array));
      const one = await runOrt(exportDqn(p, dqnMetaFor(p), { epsilon: 1 }), obs, 300, 4, u);
      const counts = [0, 0, 0];
      for (const a of one['action_sampled']!.data as BigInt64Array) counts[Number(a)]!++;
      expect(counts).to.deep.equal([100, 100, 100]);
    });

    it('in-graph noise (node and web, float32 and float64): q and action equal the inputs variant; ε = 1 draws every action equally often', async () => {
      const p = cases[1]![1];
      const N2 = 5000;
      const obs = randomObservations(new Rng(94), p, N2);
      for (const rt of ['node', 'web'] as const) {
        for (const precision of ['float32', 'float64'] as const) {
          const feeds = { obs: { dtype: precision, data: floats(precision, obs), dims: [N2, 3] } };
          const ref = await runRt(rt, exportDqn(p, dqnMetaFor(p), { precision, sampling: 'none' }), feeds);
          const [a, b] = await runOrtTimes(rt, exportDqn(p, dqnMetaFor(p), { precision, sampling: 'in-graph', epsilon: 1 }), feeds, 2);
          for (const k of ['q', 'action', 'action_index'])
            expect(Array.from(a![k]!.data), `${rt} ${precision} ${k}`).to.deep.equal(Array.from(ref[k]!.data));
          const counts = [0, 0, 0, 0, 0];
          for (const i of a!['action_sampled_index']!.data) counts[i]!++;
          const sd = Math.sqrt(N2 * 0.2 * 0.8);
          for (const c of counts) expect(Math.abs(c - N2 / 5), `${rt} ${precision} ${counts}`).to.be.below(5 * sd);
          for (let i = 0; i < N2; i++)
            expect(a!['action_sampled']!.data[i]).to.equal([-2, -1, 0, 1, 2][a!['action_sampled_index']!.data[i]!]);
          expect(Array.from(a!['action_sampled_index']!.data)).to.not.deep.equal(Array.from(b!['action_sampled_index']!.data));
        }
      }
    });
  });

  describe('input validation', () => {
    const good = randomDqnParams(new Rng(3), [2, 4, 2]);
    const meta = dqnMetaFor(good);
    const withP = (patch: Partial<Record<keyof DqnParams, unknown>>): DqnParams => ({ ...good, ...patch }) as DqnParams;

    it('rejects inconsistent shapes, naming the field and the expected shape', () => {
      expectThrows(
        () => exportDqn(withP({ weights: [new Float64Array(7), good.weights[1]!] }), meta),
        ShapeError,
        /exportDqn: weights\[0\] has length 7, expected 8 \(shape \[2, 4\]\)/,
      );
      expectThrows(() => exportDqn(withP({ biases: [good.biases[0]!] }), meta), ShapeError, /biases must be an array of 2 Float64Array/);
      expectThrows(() => exportDqn(withP({ obsScale: new Float64Array(3) }), meta), ShapeError, /obsScale has length 3, expected 2/);
      expectThrows(() => exportDqn(withP({ layers: [2, 0, 2] }), meta), ValueError, /layers\[1\] = 0/);
      expectThrows(
        () => exportDqn(good, { ...meta, actionSpace: { kind: 'discrete', n: 3 } }),
        ShapeError,
        /actionSpace\.n = 3 but the network has A = 2 outputs/,
      );
      expectThrows(
        () => exportDqn(good, { ...meta, observationSpace: { shape: [3], low: [0, 0, 0], high: [1, 1, 1] } }),
        ShapeError,
        /shape = \[3\] has 3 entries but the network's input size D = layers\[0\] is 2/,
      );
      expectThrows(
        () => exportDqn(good, { ...meta, observationSpace: { shape: [2], low: [0], high: [1, 1] } }),
        ShapeError,
        /low must be an array of 2 numbers/,
      );
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
      expectThrows(
        () => exportDqn(withP({ weights: [big, good.weights[1]!] }), meta),
        ValueError,
        /weights\[0\]\[2\] = 1e\+39 does not fit in float32/,
      );
      expectThrows(() => exportDqn(withP({ obsScale: new Float64Array([1, 0]) }), meta), ValueError, /obsScale\[1\] = 0 must be > 0/);
      expectThrows(
        () => exportDqn(withP({ obsScale: new Float64Array([1, 1e-50]) }), meta),
        ValueError,
        /obsScale\[1\] = 1e-50 must be > 0 in float32/,
      );
    });

    it('rejects grids that do not fit the network or the action space', () => {
      const g = linearGrid(2, -2, 2);
      const withGrid = withP({ actionGrid: g });
      const boxMeta: DqnExportMeta = { ...meta, actionSpace: { kind: 'box', shape: [1], low: [-2], high: [2] } };
      expect(() => exportDqn(withGrid, boxMeta)).to.not.throw();
      expectThrows(
        () => exportDqn(withP({ actionGrid: linearGrid(3, -2, 2) }), boxMeta),
        ShapeError,
        /actionGrid\.values has 3 numbers; expected A × size = 2 × 1/,
      );
      expectThrows(
        () => exportDqn(withP({ actionGrid: { ...g, values: Float64Array.of(-2, 2.5) } }), boxMeta),
        ValueError,
        /actionGrid\.values\[1\]\[0\] = 2\.5 .* outside the action bounds \[-2, 2\]/,
      );
      expectThrows(() => exportDqn(withGrid, meta), ValueError, /has an actionGrid but meta\.actionSpace is discrete/);
      expectThrows(() => exportDqn(good, boxMeta), ValueError, /meta\.actionSpace is a continuous box but the model has no actionGrid/);
      expectThrows(
        () => exportDqn(withGrid, { ...boxMeta, actionSpace: { kind: 'box', shape: [1], low: [-1], high: [2] } }),
        ValueError,
        /bounds .* differ from actionGrid\.low\/high/,
      );
    });

    it('rejects bad metadata with the field named', () => {
      expectThrows(() => exportDqn(good, { ...meta, envId: '' }), ValueError, /meta\.envId must be a non-empty string/);
      expectThrows(
        () => exportDqn(good, { ...meta, sourceCheckpointSha256: 'xyz' }),
        ValueError,
        /sourceCheckpointSha256 must be 64 lower-case hex digits, got "xyz"/,
      );
      // a non-string whose String() is 64 hex digits is not a digest either
      const hexArray = ['cd'.repeat(32)] as unknown as string;
      expectThrows(
        () => exportDqn(good, { ...meta, sourceCheckpointSha256: hexArray }),
        ValueError,
        /sourceCheckpointSha256 must be 64 lower-case hex digits, got \[/,
      );
      expectThrows(
        () => exportDqn(good, { ...meta, training: [] as unknown as Record<string, unknown> }),
        ValueError,
        /meta\.training must be a plain object/,
      );
      expectThrows(
        () => exportDqn(good, { ...meta, observationSpace: { shape: [2], low: [1, NaN], high: [2, 2] } }),
        ValueError,
        /observationSpace\.low\[1\] is NaN/,
      );
      expectThrows(
        () => exportDqn(good, { ...meta, observationSpace: { shape: [2], low: [3, 0], high: [2, 2] } }),
        ValueError,
        /low\[0\] = 3 exceeds high\[0\] = 2/,
      );
      expectThrows(() => exportDqn(good, { ...meta, training: { n: 1n } as unknown as Record<string, unknown> }), ValueError, /bigint/);
    });

    it('rejects bad options naming the option and the value; float64 takes parameters beyond float32 range', () => {
      expectThrows(
        () => exportDqn(good, meta, { epsilon: 2 }),
        ValueError,
        /exportDqn: options\.epsilon = 2 must be a probability in \[0, 1\] \(default 0\.05\)/,
      );
      expectThrows(() => exportDqn(good, meta, { epsilon: NaN }), ValueError, /options\.epsilon = NaN/);
      expectThrows(
        () => exportDqn(good, meta, { sampling: 'random' as never }),
        ValueError,
        /options\.sampling = "random" must be "inputs" .*"in-graph" .*"none"/,
      );
      expect(dqnMetadata(good, meta, { sampling: 'none', epsilon: 0.1 })).to.not.have.property('sampling'); // ε is unused without the head
      expectThrows(
        () => exportDqn(good, meta, { precision: 'double' as never }),
        ValueError,
        /options\.precision = "double" must be "float32" \(default\) or "float64"/,
      );
      expectThrows(() => exportDqn(good, meta, { prune: true } as never), ValueError, /exportDqn: unknown option "prune"/);
      const big = good.weights[0]!.slice();
      big[2] = 1e39;
      expectThrows(() => exportDqn(withP({ weights: [big, good.weights[1]!] }), meta), ValueError, /precision: 'float64'/);
      expect(() => exportDqn(withP({ weights: [big, good.weights[1]!] }), meta, { precision: 'float64' })).to.not.throw();
    });
  });
});
