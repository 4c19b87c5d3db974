/**
 * GMM-QF → ONNX exporter: structure, official checker, and numerical parity of ONNX Runtime (node,
 * cpu) against the float64 reference.
 *
 * Parity tolerance: |q_ort − q_ref| ≤ 2 · qErrorBound (see fixtures.ts): a first-order worst-case
 * float32 error bound propagated through the graph's own op order from the reference's float64
 * intermediates, including rounding every constant (offset, scale, means, W_k, ξ) to float32 once.
 * Near the data it is ≈ (D + K)·u·Σ_k|ξ_ka|·g_k (u = 2⁻²⁴ ≈ 6e-8), i.e. ~1e-6 relative to the
 * weights; it widens only where the float32 computation genuinely loses digits (ill-conditioned
 * C_k, large |z|), and is ~K·2⁻¹²⁶·max|ξ| where every kernel underflows.
 */
import { expect } from 'chai';
import { exportGmmQf, gmmQfMetadata, type GmmQfExportMeta } from '../../exporters/index.js';
import { onnx } from '../../exporters/onnx/proto/onnx.js';
import type { GmmQfParams } from '../../models/gmmqf/params.js';
import { argmaxRows, precisionFactors, qValues } from '../../models/gmmqf/reference.js';
import { GMMRL_VERSION } from '../../models/version.js';
import { ShapeError, SpdError, UnknownNameError, ValueError } from '../../contract/errors.js';
import { FEATURE_FORMULAS } from '../../models/gmmqf/features.js';
import { pruneComponents } from '../../models/gmmqf/sparsity.js';
import { ACROBOT_HIGH, ACROBOT_LOW, acrobotObservations, acrobotParams } from '../models/gmmqf/fixtures.js';
import { Rng } from '../../sdk/util/rng.js';
import { expectThrows } from '../helpers.js';
import { metaFor, qErrorBound, randomObservations, randomParams, worstRatio } from './fixtures.js';
import { epsilonGreedyIndex } from '../../models/sampling.js';
import { metadataFromProps, validateMetadata } from '../../contract/metadata.js';
import type { GmmQfExportOptions } from '../../exporters/onnx/gmmqf.js';
import { epsilonBoundary } from './actor-fixtures.js';
import {
  PY,
  floats,
  initializer,
  maxDiff,
  pythonOnnxAvailable,
  requireChecker,
  runChecker,
  runOrt as runRt,
  runOrtQ as runOrtAll,
  runOrtTimes,
  noiseInputNodes,
  guardNodes,
  withoutDigest,
} from './harness.js';

/** q and the greedy action of a float32 graph on onnxruntime-node (noise_u = 0.5 when the graph has it). */
async function runOrt(bytes: Uint8Array, obs: Float32Array, n: number, D: number): Promise<{ q: Float32Array; action: BigInt64Array }> {
  const out = await runOrtAll(bytes, obs, n, D);
  return { q: out['q']!.data as Float32Array, action: out['action']!.data as BigInt64Array };
}

/** The greedy-only graph (sampling 'none', as exported before the sampling head). */
const GREEDY_OPS = ['Sub', 'Div', 'Unsqueeze', 'Sub', 'MatMul', 'Mul', 'ReduceSum', 'Mul', 'Exp', 'Gemm', 'ArgMax'];
/** The ε-greedy head appended by default (qhead.ts addSamplingHead, ε > 0). */
const SAMPLING_OPS = ['Less', 'Div', 'Mul', 'Floor', 'Clip', 'Cast', 'Where'];
const SAMPLING_NODE_NAMES = ['less', 'div', 'mul', 'floor', 'clip', 'cast', 'where'].map((n) => `gmmqf/sample/epsilon_greedy/${n}`);
/** The nodes beginGraph puts first for the noise_u input (its one-row default expanded to obs's N rows). */
const NOISE_OPS = noiseInputNodes('gmmqf', false).ops;
/** With noise_u an input, the sampled output is guarded: -1 in rows without finite noise (envelope.ts guardSampled). */
const GUARD = guardNodes('gmmqf', 'action_sampled', 1);
const FED_SAMPLING_OPS = [...SAMPLING_OPS, ...GUARD.ops];
const EXPECTED_OPS = [...NOISE_OPS, ...GREEDY_OPS, ...FED_SAMPLING_OPS];
const GREEDY_NODE_NAMES = [
  'gmmqf/normalize/sub',
  'gmmqf/normalize/div',
  'gmmqf/kernel/unsqueeze_z',
  'gmmqf/kernel/sub_means',
  'gmmqf/kernel/whiten',
  'gmmqf/kernel/square',
  'gmmqf/kernel/reduce_sum',
  'gmmqf/kernel/scale',
  'gmmqf/kernel/exp',
  'gmmqf/q/gemm',
  'gmmqf/action/argmax',
];
const EXPECTED_NODE_NAMES = [...noiseInputNodes('gmmqf', false).names, ...GREEDY_NODE_NAMES, ...SAMPLING_NODE_NAMES, ...GUARD.names];

const DEBUG = Boolean(process.env['GMMRL_DEBUG']);

describe('exporters/onnx/gmmqf', function () {
  this.timeout(120_000);

  describe('graph structure', () => {
    const p = randomParams(new Rng(1), 5, 3, 2);
    const bytes = exportGmmQf(
      p,
      metaFor(p, { sourceCheckpointSha256: 'ab'.repeat(32), training: { algorithm: 'gmm-q', steps: 1000, lr: NaN } }),
    );
    const model = onnx.ModelProto.decode(bytes);

    it('has IR 8, opset 17, producer gmmrl/GMMRL_VERSION and a doc string', () => {
      expect(Number(model.ir_version.toString())).to.equal(8);
      expect(model.opset_import.map((o) => [o.domain ?? '', Number(o.version!.toString())])).to.deep.equal([['', 17]]);
      expect(model.producer_name).to.equal('gmmrl');
      expect(model.producer_version).to.equal(GMMRL_VERSION);
      expect(model.doc_string).to.match(/GMM Q-function policy for Test-v0/);
      expect(model.graph!.doc_string).to.match(/exp\(-0\.5/);
    });

    it('is exactly the documented op sequence with named nodes and attributes', () => {
      const nodes = model.graph!.node!;
      expect(nodes.map((n) => n.op_type)).to.deep.equal(EXPECTED_OPS);
      expect(nodes.map((n) => n.name)).to.deep.equal(EXPECTED_NODE_NAMES);
      // the greedy and sampling nodes, after the two of the noise_u input (its default expanded to N rows)
      const body = nodes.slice(NOISE_OPS.length);
      const attr = (i: number, name: string): number => Number(body[i]!.attribute!.find((a) => a.name === name)!.i!.toString());
      expect(attr(6, 'keepdims')).to.equal(0);
      expect(attr(9, 'transA')).to.equal(1);
      expect(body[9]!.attribute!.map((a) => a.name)).to.deep.equal(['transA']);
      expect(attr(10, 'axis')).to.equal(1);
      expect(attr(10, 'keepdims')).to.equal(0);
      expect(attr(10, 'select_last_index')).to.equal(0);
      // axes as int64 inputs (opset 13+ style), not attributes; component-major [K, N, D]
      expect(initializer(model, body[2]!.input![1]!).values).to.deep.equal([0]);
      expect(initializer(model, body[6]!.input![1]!).values).to.deep.equal([2]);
      expect(initializer(model, body[7]!.input![1]!)).to.deep.equal({ dims: [], values: [-0.5] });
      // the centring Sub subtracts the means from the normalized observation, not the other way round
      expect(body[3]!.input).to.deep.equal(['gmmqf/kernel/z_unsqueezed', 'gmmqf/means']);
      expect(body[4]!.input).to.deep.equal(['gmmqf/kernel/diff', 'gmmqf/precision_factors_t']);
      expect(body[9]!.input).to.deep.equal(['gmmqf/kernel/activations', 'gmmqf/weights']);
    });

    it('stores constants as little-endian float32 raw_data, rounded once from float64 (W_k transposed)', () => {
      const { K, D, A } = p;
      const f = (a: ArrayLike<number>): number[] => Array.from(a, (x) => Math.fround(x));
      expect(initializer(model, 'gmmqf/obs_offset')).to.deep.equal({ dims: [D], values: f(p.obsOffset) });
      expect(initializer(model, 'gmmqf/obs_scale')).to.deep.equal({ dims: [D], values: f(p.obsScale) });
      expect(initializer(model, 'gmmqf/means')).to.deep.equal({ dims: [K, 1, D], values: f(p.means) });
      expect(initializer(model, 'gmmqf/weights')).to.deep.equal({ dims: [K, A], values: f(p.weights) });
      const W = precisionFactors(p.covariances, K, D);
      const wt: number[] = [];
      for (let k = 0; k < K; k++) for (let c = 0; c < D; c++) for (let r = 0; r < D; r++) wt.push(Math.fround(W[k * D * D + r * D + c]!));
      expect(initializer(model, 'gmmqf/precision_factors_t')).to.deep.equal({ dims: [K, D, D], values: wt });
      for (const t of model.graph!.initializer!) {
        expect(t.float_data ?? [], t.name!).to.have.length(0);
        expect(t.raw_data!.byteLength, t.name!).to.be.greaterThan(0);
      }
    });

    it('writes the metadata contract (schema 1) into metadata_props', () => {
      const props = Object.fromEntries(model.metadata_props.map((e) => [e.key, e.value]));
      expect(Object.keys(props)).to.deep.equal(['gmmrl.schema_version', 'gmmrl.family', 'gmmrl.metadata']);
      expect(props['gmmrl.schema_version']).to.equal('1');
      expect(props['gmmrl.family']).to.equal('gmmqf');
      const m = JSON.parse(props['gmmrl.metadata']!);
      expect(Object.keys(m)).to.deep.equal([
        'schema_version',
        'family',
        'producer',
        'producer_version',
        'env_id',
        'observation_space',
        'action_space',
        'components',
        'sampling',
        'normalization',
        'parameter_count',
        'inputs',
        'outputs',
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
        family: 'gmmqf',
        producer: 'gmmrl',
        producer_version: GMMRL_VERSION,
        env_id: 'Test-v0',
        components: 5,
      });
      expect(m.parameter_count).to.equal(5 * (2 + 3 + 6)); // K·(A + D + D(D+1)/2)
      expect(m.observation_space).to.deep.equal({ shape: [3], low: [-10, null, -12], high: [10, null, 12] });
      expect(m.action_space).to.deep.equal({ kind: 'discrete', n: 2 });
      expect(m.normalization.offset).to.deep.equal(Array.from(p.obsOffset, Math.fround));
      expect(m.normalization.formula).to.equal('z = (obs - offset) / scale, inside the graph');
      expect(m.inputs).to.deep.equal([
        { name: 'obs', dtype: 'float32', shape: ['N', 3] },
        { name: 'noise_u', dtype: 'float32', shape: ['N'] },
      ]);
      expect(m.outputs).to.deep.equal([
        { name: 'q', dtype: 'float32', shape: ['N', 2] },
        { name: 'action', dtype: 'int64', shape: ['N'] },
        { name: 'action_sampled', dtype: 'int64', shape: ['N'] },
      ]);
      expect(m.source_checkpoint_sha256).to.equal('ab'.repeat(32));
      expect(m.training).to.deep.equal({ algorithm: 'gmm-q', steps: 1000, lr: null }); // NaN → null
      expect(gmmQfMetadata(p, metaFor(p)).normalization.scale).to.deep.equal(Array.from(p.obsScale, Math.fround));
    });

    it('is deterministic (same input → same bytes)', () => {
      const again = exportGmmQf(
        p,
        metaFor(p, { sourceCheckpointSha256: 'ab'.repeat(32), training: { algorithm: 'gmm-q', steps: 1000, lr: NaN } }),
      );
      expect(Buffer.from(again).equals(Buffer.from(bytes))).to.equal(true);
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

    for (const [K, D, A] of [
      [1, 2, 2],
      [7, 4, 3],
      [50, 6, 3],
    ] as const) {
      it(`passes for K=${K}, D=${D}, A=${A}; python reads back what we wrote`, () => {
        const p = randomParams(new Rng(100 + K), K, D, A);
        const meta = metaFor(p, { training: { algorithm: 'gmm-q', seed: 3 } });
        const bytes = exportGmmQf(p, meta);
        const r = runChecker(bytes);
        expect(r.ok, r.stderr).to.equal(true);
        const rep = r.report!;
        expect(rep.ir_version).to.equal(8);
        expect(rep.opset).to.deep.equal([['', 17]]);
        expect(rep.producer_name).to.equal('gmmrl');
        expect(rep.producer_version).to.equal(GMMRL_VERSION);
        expect(Object.keys(rep.metadata).sort()).to.deep.equal(['gmmrl.family', 'gmmrl.metadata', 'gmmrl.schema_version']);
        expect(withoutDigest(JSON.parse(rep.metadata['gmmrl.metadata']!))).to.deep.equal(
          JSON.parse(JSON.stringify(gmmQfMetadata(p, meta))),
        );
        expect(rep.ops).to.deep.equal(EXPECTED_OPS);
        expect(rep.node_names).to.deep.equal(EXPECTED_NODE_NAMES);
        expect(rep.inputs).to.deep.equal([
          ['obs', 1, ['N', D]],
          ['noise_u', 1, ['N']],
        ]);
        expect(rep.outputs).to.deep.equal([
          ['q', 1, ['N', A]],
          ['action', 7, ['N']],
          ['action_sampled', 7, ['N']],
        ]);
        expect(rep.value_info['gmmqf/kernel/diff']).to.deep.equal([1, [K, 'N', D]]);
        expect(rep.value_info['gmmqf/kernel/whitened']).to.deep.equal([1, [K, 'N', D]]);
        expect(rep.value_info['gmmqf/kernel/quad']).to.deep.equal([1, [K, 'N']]);
      });
    }

    it('the harness does fail: a model whose value_info contradicts inference is rejected', () => {
      const p = randomParams(new Rng(5), 3, 2, 2);
      const model = onnx.ModelProto.decode(exportGmmQf(p, metaFor(p)));
      const vi = model.graph!.value_info!.find((v) => v.name === 'gmmqf/kernel/quad')!;
      vi.type!.tensor_type!.shape!.dim![0] = { dim_value: 4 }; // K is 3
      const r = runChecker(onnx.ModelProto.encode(model).finish());
      expect(r.ok).to.equal(false);
      expect(r.stderr).to.match(/ShapeInferenceError|Inferred shape and existing shape differ|dimension mismatch/i);
    });
  });

  describe('ONNX Runtime (node, cpu) vs float64 reference', () => {
    for (const K of [1, 7, 50]) {
      for (const D of [2, 4, 6]) {
        for (const A of [2, 3]) {
          it(`K=${K} D=${D} A=${A}: q within 2× the float32 error bound, action = argmax (N = 1000 and N = 1)`, async () => {
            const rng = new Rng(1000 * K + 10 * D + A);
            const p = randomParams(rng, K, D, A);
            const bytes = exportGmmQf(p, metaFor(p));
            const N = 1000;
            const obs = randomObservations(rng, p, N);
            const W = precisionFactors(p.covariances, K, D);
            const ref = qValues(p, obs, N, W);
            const bound = qErrorBound(p, obs, N, W);
            const { q, action } = await runOrt(bytes, obs, N, D);
            const w = worstRatio(q, ref, bound);
            expect(w.ratio, `entry ${w.index}: ort ${q[w.index]} ref ${ref[w.index]} bound ${bound[w.index]}`).to.be.at.most(2);
            // action is ORT's own argmax of its q (first index on ties) …
            expect(Array.from(action, Number)).to.deep.equal(Array.from(argmaxRows(q, N, A)));
            // … and the reference's argmax wherever the reference's gap exceeds the error bound
            const refAct = argmaxRows(ref, N, A);
            let decided = 0;
            for (let i = 0; i < N; i++) {
              const best = refAct[i]!;
              let ambiguous = false;
              for (let a = 0; a < A; a++) {
                if (a !== best && ref[i * A + best]! - ref[i * A + a]! <= 2 * (bound[i * A + best]! + bound[i * A + a]!)) ambiguous = true;
              }
              if (!ambiguous) {
                decided++;
                expect(Number(action[i]), `row ${i}`).to.equal(best);
              }
            }
            if (process.env.GMMRL_DEBUG) console.log(`K=${K} D=${D} A=${A} worst ratio ${w.ratio.toFixed(4)} decided ${decided}`);
            // rows far outside the data are exact ties (q ≡ 0); the rows near the data must be decided
            expect(decided).to.be.greaterThan(N / 4);
            // N = 1: single observations through a fresh session give the same answers within the bound
            for (const i of [0, 1, 2, 3, 997]) {
              const one = await runOrt(bytes, obs.slice(i * D, (i + 1) * D), 1, D);
              const r1 = worstRatio(one.q, ref.subarray(i * A, (i + 1) * A), bound.subarray(i * A, (i + 1) * A));
              expect(r1.ratio, `single row ${i}`).to.be.at.most(2);
              expect(Number(one.action[0])).to.equal(argmaxRows(one.q, 1, A)[0]);
            }
          });
        }
      }
    }

    it('far outside the data every kernel underflows: q = 0 exactly and action 0 (first index on the tie)', async () => {
      const p = randomParams(new Rng(77), 7, 4, 3);
      const obs = new Float32Array([1e6, -1e6, 1e6, -1e6, 3e7, 3e7, 3e7, 3e7]);
      const { q, action } = await runOrt(exportGmmQf(p, metaFor(p)), obs, 2, 4);
      expect(Array.from(q).map(Math.abs)).to.deep.equal([0, 0, 0, 0, 0, 0]);
      expect(Array.from(action, Number)).to.deep.equal([0, 0]);
    });

    it('ties go to the first index', async () => {
      const rng = new Rng(78);
      const base = randomParams(rng, 7, 4, 3);
      const K = 7;
      // columns 0 and 1 identical and column 2 lower → 0; column 0 lower, 1 and 2 identical → 1
      const w1 = new Float64Array(K * 3);
      const w2 = new Float64Array(K * 3);
      for (let k = 0; k < K; k++) {
        const x = 1 + rng.uniform();
        w1.set([x, x, x - 2], k * 3);
        w2.set([x - 2, x, x], k * 3);
      }
      // observations where the kernels are active (kinds 0 and 1 of randomObservations)
      const obs = randomObservations(rng, base, 400)
        .filter((_, i) => Math.floor(i / 4) % 4 <= 1)
        .slice(0, 100 * 4);
      for (const [weights, want] of [
        [w1, 0],
        [w2, 1],
      ] as const) {
        const p: GmmQfParams = { ...base, weights };
        const { q, action } = await runOrt(exportGmmQf(p, metaFor(p)), obs, 100, 4);
        let active = 0;
        for (let i = 0; i < 100; i++) {
          const row = [q[i * 3]!, q[i * 3 + 1]!, q[i * 3 + 2]!];
          const tied = want === 0 ? [row[0], row[1]] : [row[1], row[2]];
          expect(tied[0], `row ${i} tie is exact in float32`).to.equal(tied[1]);
          if (row[0] === row[1] && row[1] === row[2]) {
            expect(Number(action[i]), `row ${i} (all equal)`).to.equal(0);
          } else {
            active++;
            expect(Number(action[i]), `row ${i}`).to.equal(want);
          }
        }
        expect(active).to.be.greaterThan(50);
      }
    });

    it('ill-conditioned covariances (cond 1e4): rounding W_k to float32 once keeps parity, golden-free', async () => {
      for (const [K, D, A, seed] of [
        [7, 6, 3, 1],
        [50, 4, 2, 2],
        [7, 2, 3, 3],
      ] as const) {
        const rng = new Rng(9000 + seed);
        const p = randomParams(rng, K, D, A, { cond: 1e4 });
        const N = 1000;
        // concentrate on the region where the kernels are active (where W matters)
        const obs = randomObservations(rng, p, 4 * N)
          .filter((_, i) => Math.floor(i / D) % 4 <= 1)
          .slice(0, N * D);
        const W = precisionFactors(p.covariances, K, D);
        const ref = qValues(p, obs, N, W);
        const bound = qErrorBound(p, obs, N, W);
        const { q } = await runOrt(exportGmmQf(p, metaFor(p)), obs, N, D);
        const w = worstRatio(q, ref, bound);
        expect(w.ratio, `K=${K} D=${D}: entry ${w.index}: ort ${q[w.index]} ref ${ref[w.index]} bound ${bound[w.index]}`).to.be.at.most(2);
        // the bound is not vacuous: relative to the weights it stays far below 1
        let sumAbsXi = 0;
        for (const x of p.weights) sumAbsXi += Math.abs(x);
        let worst = 0;
        for (const b of bound) worst = Math.max(worst, b);
        expect(worst / sumAbsXi, `K=${K} D=${D}`).to.be.below(1e-3);
        // and the float32 W_k alone (evaluated in float64) stays within the same bound
        const Wf = W.map((x) => Math.fround(x));
        const refWf = qValues(p, obs, N, Wf);
        expect(worstRatio(refWf, ref, bound).ratio).to.be.at.most(1);
      }
    });
  });

  describe('input validation', () => {
    const good = randomParams(new Rng(3), 2, 2, 2);
    const meta = metaFor(good);
    const withP = (patch: Partial<Record<keyof GmmQfParams, unknown>>): GmmQfParams => ({ ...good, ...patch }) as GmmQfParams;

    it('rejects inconsistent shapes', () => {
      expectThrows(
        () => exportGmmQf(withP({ means: new Float64Array(3) }), meta),
        ShapeError,
        /means has length 3, expected 4 \(shape \[K=2, D=2\]\)/,
      );
      expectThrows(
        () => exportGmmQf(withP({ covariances: new Float64Array(7) }), meta),
        ShapeError,
        /covariances has length 7, expected 8/,
      );
      expectThrows(() => exportGmmQf(withP({ weights: new Float64Array(5) }), meta), ShapeError, /weights has length 5, expected 4/);
      expectThrows(() => exportGmmQf(withP({ obsScale: new Float64Array(3) }), meta), ShapeError, /obsScale has length 3, expected 2/);
      expectThrows(() => exportGmmQf(withP({ K: 0 }), meta), ValueError, /K \(components\) must be a positive integer, got 0/);
      expectThrows(
        () => exportGmmQf(good, { ...meta, actionSpace: { kind: 'discrete', n: 3 } }),
        ShapeError,
        /actionSpace.n = 3 but the model has A = 2/,
      );
      expectThrows(
        () => exportGmmQf(good, { ...meta, observationSpace: { shape: [3], low: [0, 0, 0], high: [1, 1, 1] } }),
        ShapeError,
        /shape = \[3\] has 3 entries but the model's observation size D is 2/,
      );
      expectThrows(
        () => exportGmmQf(good, { ...meta, observationSpace: { shape: [2], low: [0], high: [1, 1] } }),
        ShapeError,
        /low must be an array of 2 numbers/,
      );
    });

    it('rejects non-finite values, scale ≤ 0 and float32 overflow, naming the entry', () => {
      const m = Float64Array.from(good.means);
      m[3] = NaN;
      expectThrows(() => exportGmmQf(withP({ means: m }), meta), ValueError, /means\[3\] is NaN/);
      const w = Float64Array.from(good.weights);
      w[1] = Infinity;
      expectThrows(() => exportGmmQf(withP({ weights: w }), meta), ValueError, /weights\[1\] is Infinity/);
      expectThrows(() => exportGmmQf(withP({ obsScale: new Float64Array([1, 0]) }), meta), ValueError, /obsScale\[1\] = 0 must be > 0/);
      expectThrows(() => exportGmmQf(withP({ obsScale: new Float64Array([1, -2]) }), meta), ValueError, /obsScale\[1\] = -2 must be > 0/);
      expectThrows(() => exportGmmQf(withP({ obsScale: new Float64Array([1, 1e-50]) }), meta), ValueError, /> 0 in float32/);
      expectThrows(
        () => exportGmmQf(withP({ obsOffset: new Float64Array([1e39, 0]) }), meta),
        ValueError,
        /obsOffset\[0\] = 1e\+39 does not fit in float32/,
      );
    });

    it('rejects covariances that are not SPD or too singular for float32', () => {
      const c = Float64Array.from(good.covariances);
      c.set([1, 2, 2, 1], 4); // eigenvalues 3, −1
      expectThrows(
        () => exportGmmQf(withP({ covariances: c }), meta),
        SpdError,
        /covariances\[1\] \(2×2\) is not symmetric positive definite/,
      );
      const asym = Float64Array.from(good.covariances);
      asym.set([1, 0.5, 0.4, 1], 0);
      expectThrows(() => exportGmmQf(withP({ covariances: asym }), meta), SpdError, /covariances\[0\].*not symmetric/);
      const tiny = Float64Array.from(good.covariances);
      tiny.set([1e-90, 0, 0, 1], 0);
      expectThrows(
        () => exportGmmQf(withP({ covariances: tiny }), meta),
        ValueError,
        /covariances\[0\] is too close to singular for float32/,
      );
    });

    it('rejects bad metadata with the field named', () => {
      expectThrows(() => exportGmmQf(good, { ...meta, envId: '' }), ValueError, /envId must be a non-empty string/);
      expectThrows(
        () => exportGmmQf(good, { ...meta, sourceCheckpointSha256: 'XYZ' }),
        ValueError,
        /sourceCheckpointSha256 must be 64 lower-case hex digits/,
      );
      // a non-string whose String() is 64 hex digits is not a digest either
      const hexArray = ['ab'.repeat(32)] as unknown as string;
      expectThrows(
        () => exportGmmQf(good, { ...meta, sourceCheckpointSha256: hexArray }),
        ValueError,
        /sourceCheckpointSha256 must be 64 lower-case hex digits/,
      );
      expectThrows(
        () => exportGmmQf(good, { ...meta, observationSpace: { shape: [2], low: [0, NaN], high: [1, 1] } }),
        ValueError,
        /observationSpace.low\[1\] is NaN/,
      );
      expectThrows(
        () => exportGmmQf(good, { ...meta, observationSpace: { shape: [2], low: [0, 2], high: [1, 1] } }),
        ValueError,
        /low\[1\] = 2 exceeds high\[1\] = 1/,
      );
      expectThrows(
        () => exportGmmQf(good, { ...meta, actionSpace: { kind: 'box', n: 2 } as unknown as GmmQfExportMeta['actionSpace'] }),
        ValueError,
        /kind: 'discrete'/,
      );
      expectThrows(
        () => exportGmmQf(good, { ...meta, actionSpace: { kind: 'grid', n: 2 } }),
        ValueError,
        /actionSpace.kind = 'grid' but the model has no action grid; pass \{ kind: 'discrete', n: 2 \} or leave actionSpace out/,
      );
      expectThrows(
        () => exportGmmQf(good, { ...meta, sparsity: { factors: 0, rho: 0.1 } }),
        ValueError,
        /meta.sparsity.factors = 0 must be a positive integer/,
      );
      expectThrows(
        () => exportGmmQf(good, { ...meta, sparsity: { factors: 3, rho: -1 } }),
        ValueError,
        /meta.sparsity.rho = -1 must be a finite number ≥ 0/,
      );
      expectThrows(
        () => exportGmmQf(good, { ...meta, sparsity: { factors: 3, rho: 0, threshold: 2 } }),
        ValueError,
        /meta.sparsity.threshold = 2 must be a relative threshold in \[0, 1\)/,
      );
      expectThrows(
        () => exportGmmQf(good, { ...meta, parameterCount: 1.5 }),
        ValueError,
        /meta.parameterCount = 1.5 must be a positive integer/,
      );
      expectThrows(
        () => exportGmmQf(good, meta, { prune: 'yes' as unknown as boolean }),
        ValueError,
        /options.prune = "yes" must be true or false/,
      );
      expectThrows(() => exportGmmQf(good, { ...meta, training: { steps: 10n } }), ValueError, /cannot be written as JSON.*bigint/);
    });
  });
});

const ACROBOT_META: GmmQfExportMeta = {
  envId: 'Acrobot-v1',
  observationSpace: { shape: [6], low: ACROBOT_LOW, high: ACROBOT_HIGH },
};

function withGrid(p: GmmQfParams, values: number[]): GmmQfParams {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return { ...p, actionGrid: { shape: [1], values: Float64Array.from(values), low: [lo], high: [hi] } };
}

/** Rows whose reference argmax is decided: the top gap exceeds the summed error bounds (×2). */
function decidedRows(ref: ArrayLike<number>, bound: ArrayLike<number>, n: number, A: number): number[] {
  const act = argmaxRows(ref, n, A);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    const best = act[i]!;
    let ok = true;
    for (let a = 0; a < A; a++)
      if (a !== best && ref[i * A + best]! - ref[i * A + a]! <= 2 * (bound[i * A + best]! + bound[i * A + a]!)) ok = false;
    if (ok) rows.push(i);
  }
  return rows;
}

const FEATURE_OPS = ['Gather', 'Gather', 'Gather', 'Div', 'Atan', 'GreaterOrEqual', 'Where', 'Less', 'Where', 'Add', 'Concat'];

describe('exporters/onnx/gmmqf: feature maps, action grids, pruning', function () {
  this.timeout(120_000);
  let checker = false;
  before(() => {
    checker = pythonOnnxAvailable();
    if (!checker && process.env['GMMRL_REQUIRE_ONNX_CHECKER'])
      throw new Error(`${PY} with the onnx package is required (GMMRL_REQUIRE_ONNX_CHECKER is set)`);
  });

  describe('acrobot-angles features', () => {
    it('puts the feature map in the graph before the normalization: obs [N, 6] → 4 features; metadata records it', () => {
      const p = acrobotParams(new Rng(1), 6, 3);
      const bytes = exportGmmQf(p, ACROBOT_META);
      const model = onnx.ModelProto.decode(bytes);
      const nodes = model.graph!.node!;
      expect(nodes.map((n) => n.op_type)).to.deep.equal([...NOISE_OPS, ...FEATURE_OPS, ...GREEDY_OPS, ...FED_SAMPLING_OPS]);
      const k = NOISE_OPS.length;
      expect(nodes.slice(k, k + 11).every((n) => n.name!.startsWith('gmmqf/features/'))).to.equal(true);
      expect(nodes[k + 11]!.input).to.deep.equal(['gmmqf/features/phi', 'gmmqf/obs_offset']);
      expect(initializer(model, 'gmmqf/features/const/pi').values).to.deep.equal([Math.fround(Math.PI)]);
      expect(initializer(model, 'gmmqf/features/const/cos_columns').values).to.deep.equal([0, 2]);
      expect(initializer(model, 'gmmqf/features/const/sin_columns').values).to.deep.equal([1, 3]);
      expect(initializer(model, 'gmmqf/features/const/velocity_columns').values).to.deep.equal([4, 5]);
      const m = gmmQfMetadata(p, ACROBOT_META);
      expect(m.features).to.deep.equal({ kind: 'acrobot-angles', size: 4, formula: FEATURE_FORMULAS['acrobot-angles'] });
      expect(m.inputs).to.deep.equal([
        { name: 'obs', dtype: 'float32', shape: ['N', 6] },
        { name: 'noise_u', dtype: 'float32', shape: ['N'] },
      ]);
      expect(m.normalization.offset).to.have.length(4);
      expect(m.normalization.formula).to.match(/phi\(obs\)/);
      expect(m.parameter_count).to.equal(6 * 17); // Acrobot, A = 3, D = 4: 17 per component
      expect(model.doc_string).to.match(/Input "obs" \[N, 6\] float32 .*the feature map and normalization are inside the graph/);
    });

    it('passes the official checker (full_check + strict shape inference)', function () {
      if (!checker) this.skip();
      const p = acrobotParams(new Rng(2), 7, 3);
      const r = runChecker(exportGmmQf(p, ACROBOT_META));
      expect(r.ok, r.stderr).to.equal(true);
      expect(r.report!.ops).to.deep.equal([...NOISE_OPS, ...FEATURE_OPS, ...GREEDY_OPS, ...FED_SAMPLING_OPS]);
      expect(r.report!.inputs).to.deep.equal([
        ['obs', 1, ['N', 6]],
        ['noise_u', 1, ['N']],
      ]);
      expect(r.report!.value_info['gmmqf/features/phi']).to.deep.equal([1, ['N', 4]]);
      expect(r.report!.value_info['gmmqf/features/cos_lt_0']).to.deep.equal([9, ['N', 2]]); // bool, inferred
    });

    for (const [K, A] of [
      [1, 3],
      [12, 3],
      [50, 5],
    ] as const) {
      it(`K=${K} A=${A}: ONNX Runtime q within 2× the float32 bound of the float64 reference (Math.atan2), cut and x ≈ 0 included`, async () => {
        const rng = new Rng(30 + K);
        const p = acrobotParams(rng, K, A);
        const N = 2000;
        const obs = acrobotObservations(rng, p, N);
        const ref = qValues(p, obs, N);
        const bound = qErrorBound(p, obs, N);
        const out = await runOrtAll(exportGmmQf(p, ACROBOT_META), obs, N, 6);
        const q = out['q']!.data as Float32Array;
        const w = worstRatio(q, ref, bound);
        if (process.env['GMMRL_DEBUG']) console.log(`acrobot ORT K=${K}: worst ratio ${w.ratio.toFixed(3)}`);
        expect(w.ratio, `entry ${w.index}: ort ${q[w.index]} ref ${ref[w.index]} bound ${bound[w.index]}`).to.be.at.most(2);
        const action = out['action']!.data as BigInt64Array;
        const rows = decidedRows(ref, bound, N, A);
        expect(rows.length).to.be.greaterThan(N / 4);
        const refAct = argmaxRows(ref, N, A);
        for (const i of rows) expect(Number(action[i]), `row ${i}`).to.equal(refAct[i]);
      });
    }

    it('rejects an observation space that does not fit the feature map', () => {
      const p = acrobotParams(new Rng(3), 2, 3);
      expectThrows(
        () => exportGmmQf(p, { ...ACROBOT_META, observationSpace: { shape: [4], low: [0, 0, 0, 0], high: [1, 1, 1, 1] } }),
        ShapeError,
        /shape = \[4\] has 4 entries but the model's feature map acrobot-angles reads 6 entries \(D = 4 features\)/,
      );
      expectThrows(
        () => exportGmmQf({ ...p, features: 'polar' as never }, ACROBOT_META),
        UnknownNameError,
        /GMM-QF features = "polar" is not a known feature map/,
      );
      expectThrows(
        () => exportGmmQf({ ...randomParams(new Rng(4), 2, 3, 3), features: 'acrobot-angles' }, ACROBOT_META),
        ShapeError,
        /produces 4 features; the model has D = 3/,
      );
    });
  });

  describe('action grids', () => {
    const base = randomParams(new Rng(5), 9, 3, 5);
    const p = withGrid(base, [-2, -1, 0, 1, 2]);
    const meta: GmmQfExportMeta = { envId: 'Pendulum-v1', observationSpace: { shape: [3], low: [-1, -1, -8], high: [1, 1, 8] } };

    it('writes the grid head: action_index = ArgMax(q), action = Gather(grid, action_index) reshaped; metadata action_space grid', () => {
      const model = onnx.ModelProto.decode(exportGmmQf(p, meta));
      // the sampled index and action are guarded (-1 / NaN in rows without finite noise); the action gathers with the unguarded index
      expect(model.graph!.node!.map((n) => n.op_type).slice(-15)).to.deep.equal([
        'ArgMax',
        'Gather',
        'Reshape',
        ...SAMPLING_OPS,
        'Where',
        'Gather',
        'Reshape',
        'Unsqueeze',
        'Where',
      ]);
      const byName = (nm: string) => model.graph!.node!.find((n) => n.name === nm)!;
      expect(['gmmqf/action/gather', 'gmmqf/sample/gather'].map((nm) => byName(nm).input)).to.deep.equal([
        ['gmmqf/action/grid', 'action_index'],
        ['gmmqf/action/grid', 'gmmqf/sample/index'],
      ]);
      expect(byName('gmmqf/guard/action_sampled_index/where').input).to.deep.equal([
        'gmmqf/noise/missing',
        'gmmqf/guard/action_sampled_index/minus_one',
        'gmmqf/sample/index',
      ]);
      expect(byName('gmmqf/guard/action_sampled/where').input).to.deep.equal([
        'gmmqf/guard/action_sampled/mask',
        'gmmqf/guard/action_sampled/nan',
        'gmmqf/sample/action',
      ]);
      expect(initializer(model, 'gmmqf/action/grid')).to.deep.equal({ dims: [5, 1], values: [-2, -1, 0, 1, 2] });
      const m = gmmQfMetadata(p, meta);
      expect(m.action_space).to.deep.equal({ kind: 'grid', n: 5, shape: [1], values: [[-2], [-1], [0], [1], [2]], low: [-2], high: [2] });
      expect(m.outputs).to.deep.equal([
        { name: 'q', dtype: 'float32', shape: ['N', 5] },
        { name: 'action', dtype: 'float32', shape: ['N', 1] },
        { name: 'action_index', dtype: 'int64', shape: ['N'] },
        { name: 'action_sampled', dtype: 'float32', shape: ['N', 1] },
        { name: 'action_sampled_index', dtype: 'int64', shape: ['N'] },
      ]);
      expect(exportGmmQf(p, { ...meta, actionSpace: { kind: 'grid', n: 5 } }).length).to.be.greaterThan(0);
      expectThrows(
        () => exportGmmQf(p, { ...meta, actionSpace: { kind: 'discrete', n: 5 } }),
        ValueError,
        /kind = 'discrete' but the model has an action grid \(params.actionGrid\); pass \{ kind: 'grid', n: 5 \}/,
      );
      expect(model.doc_string).to.match(/"action" \[N, 1\] float32 \(the grid value\) and "action_index" \[N\] int64/);
    });

    it('passes the official checker, grid with a 2-D action shape too', function () {
      if (!checker) this.skip();
      const r = runChecker(exportGmmQf(p, meta));
      expect(r.ok, r.stderr).to.equal(true);
      expect(r.report!.outputs).to.deep.equal([
        ['q', 1, ['N', 5]],
        ['action_index', 7, ['N']],
        ['action', 1, ['N', 1]],
        ['action_sampled_index', 7, ['N']],
        ['action_sampled', 1, ['N', 1]],
      ]);
      const p2: GmmQfParams = {
        ...randomParams(new Rng(6), 4, 3, 4),
        actionGrid: { shape: [2], values: Float64Array.from([0, 0, 0, 1, 1, 0, 1, 1]), low: [0, 0], high: [1, 1] },
      };
      const r2 = runChecker(exportGmmQf(p2, meta));
      expect(r2.ok, r2.stderr).to.equal(true);
      expect(r2.report!.outputs[2]).to.deep.equal(['action', 1, ['N', 2]]);
      expect(r2.report!.outputs[4]).to.deep.equal(['action_sampled', 1, ['N', 2]]);
    });

    it('ONNX Runtime: action is exactly the grid row of action_index, and action_index = argmax q', async () => {
      const rng = new Rng(7);
      const N = 500;
      const obs = randomObservations(rng, p, N);
      const out = await runOrtAll(exportGmmQf(p, meta), obs, N, 3);
      const q = out['q']!.data as Float32Array;
      const idx = out['action_index']!.data as BigInt64Array;
      const act = out['action']!.data as Float32Array;
      expect(out['action']!.dims).to.deep.equal([N, 1]);
      expect(Array.from(idx, Number)).to.deep.equal(Array.from(argmaxRows(q, N, 5)));
      const grid = [-2, -1, 0, 1, 2];
      for (let i = 0; i < N; i++) expect(act[i], `row ${i}`).to.equal(grid[Number(idx[i])]);
      expect(new Set(Array.from(idx, Number)).size).to.be.greaterThan(2);
      // a grid value that is not a float32 number is stored rounded once, and ORT returns exactly that
      const p3: GmmQfParams = {
        ...base,
        actionGrid: { shape: [1], values: Float64Array.from([-0.1, 0.3, 0.7, 1.1, 1.9]), low: [-2], high: [2] },
      };
      const out3 = await runOrtAll(exportGmmQf(p3, meta), obs, N, 3);
      const idx3 = out3['action_index']!.data as BigInt64Array;
      const act3 = out3['action']!.data as Float32Array;
      for (let i = 0; i < N; i++) expect(act3[i]).to.equal(Math.fround([-0.1, 0.3, 0.7, 1.1, 1.9][Number(idx3[i])]!));
    });

    it('rejects grids that do not fit the model', () => {
      expectThrows(
        () => exportGmmQf(withGrid(base, [-1, 0, 1]), meta),
        ShapeError,
        /actionGrid.values has 3 numbers; expected A × size = 5 × 1/,
      );
      const out = { ...p, actionGrid: { ...p.actionGrid!, high: [1.5] } };
      expectThrows(
        () => exportGmmQf(out, meta),
        ValueError,
        /actionGrid.values\[4\]\[0\] = 2 \(float32 2\) lies outside the action bounds \[-2, 1.5\]/,
      );
    });
  });

  describe('pruning all-zero weight rows', () => {
    function sparseModel(seed: number, K: number, zeroRows: number[]): GmmQfParams {
      const p = randomParams(new Rng(seed), K, 4, 3);
      for (const k of zeroRows) p.weights.fill(0, k * 3, k * 3 + 3);
      return p;
    }
    const meta = (p: GmmQfParams, extra: Partial<GmmQfExportMeta> = {}) => metaFor(p, extra);

    it('leaves out the zero rows by default; metadata records components and the sparsity record', () => {
      const p = sparseModel(8, 10, [0, 3, 4, 9]);
      p.weights[1 * 3 + 2] = 0; // partly zero rows stay
      const m = gmmQfMetadata(p, meta(p, { sparsity: { factors: 3, rho: 0.01 } }));
      expect(m.components).to.equal(6);
      expect(m.parameter_count).to.equal(10 * (3 + 4 + 10));
      expect(m.sparsity).to.deep.equal({
        factors: 3,
        rho: 0.01,
        nonzero_fraction: 17 / 30,
        threshold: 1e-6,
        components_trained: 10,
        components_pruned: 4,
      });
      const model = onnx.ModelProto.decode(exportGmmQf(p, meta(p)));
      expect(initializer(model, 'gmmqf/means').dims).to.deep.equal([6, 1, 4]);
      expect(initializer(model, 'gmmqf/weights').dims).to.deep.equal([6, 3]);
      expect(initializer(model, 'gmmqf/precision_factors_t').dims).to.deep.equal([6, 4, 4]);
      expect(model.doc_string).to.match(/4 of 10 trained components had all-zero weight rows and were pruned/);
      const kept = [1, 2, 5, 6, 7, 8];
      expect(initializer(model, 'gmmqf/means').values).to.deep.equal(
        kept.flatMap((k) => Array.from(p.means.subarray(k * 4, k * 4 + 4), Math.fround)),
      );
      // prune: false keeps every component; parameterCount overrides the default
      const full = gmmQfMetadata(p, meta(p, { parameterCount: 1234 }), { prune: false });
      expect(full.components).to.equal(10);
      expect(full.parameter_count).to.equal(1234);
      expect(full).to.not.have.property('sparsity');
      const fullModel = onnx.ModelProto.decode(exportGmmQf(p, meta(p), { prune: false }));
      expect(initializer(fullModel, 'gmmqf/weights').dims).to.deep.equal([10, 3]);
    });

    it('passes the official checker', function () {
      if (!checker) this.skip();
      const p = sparseModel(9, 12, [1, 2, 5, 11]);
      const r = runChecker(exportGmmQf(p, meta(p, { sparsity: { factors: 3, rho: 0.01 } })));
      expect(r.ok, r.stderr).to.equal(true);
      expect(r.report!.value_info['gmmqf/kernel/quad']).to.deep.equal([1, [8, 'N']]);
      expect(JSON.parse(r.report!.metadata['gmmrl.metadata']!).components).to.equal(8);
    });

    it('pruned and unpruned exports compute the same q (within the float32 bounds) and the same actions', async () => {
      for (const [seed, K, zero] of [
        [10, 20, [0, 2, 3, 7, 11, 19]],
        [11, 50, Array.from({ length: 40 }, (_, i) => i + 5)],
      ] as const) {
        const p = sparseModel(seed, K, [...zero]);
        const rng = new Rng(seed + 100);
        const N = 1000;
        const obs = randomObservations(rng, p, N);
        const [pr, full] = await Promise.all([
          runOrtAll(exportGmmQf(p, meta(p)), obs, N, 4),
          runOrtAll(exportGmmQf(p, meta(p), { prune: false }), obs, N, 4),
        ]);
        const qp = pr['q']!.data as Float32Array;
        const qf = full['q']!.data as Float32Array;
        const ref = qValues(p, obs, N);
        const boundFull = qErrorBound(p, obs, N);
        const boundPruned = qErrorBound(pruneComponents(p).params, obs, N);
        expect(worstRatio(qf, ref, boundFull).ratio).to.be.at.most(2);
        expect(worstRatio(qp, ref, boundPruned).ratio).to.be.at.most(2);
        const both = boundFull.map((b, i) => 2 * (b + boundPruned[i]!));
        expect(worstRatio(qp, qf, both).ratio, `K=${K}`).to.be.at.most(1);
        const ap = Array.from(pr['action']!.data as BigInt64Array, Number);
        const af = Array.from(full['action']!.data as BigInt64Array, Number);
        const rows = decidedRows(ref, boundFull, N, 3);
        expect(rows.length).to.be.greaterThan(N / 4);
        for (const i of rows) expect(ap[i], `row ${i}`).to.equal(af[i]);
        let same = 0;
        for (let i = 0; i < N; i++) if (ap[i] === af[i]) same++;
        if (process.env['GMMRL_DEBUG']) console.log(`pruned K=${K}: identical actions on ${same}/${N} rows`);
        expect(same).to.be.at.least(N - 5);
      }
    });

    it('all rows zero: exports one component (q ≡ 0, action 0) and says so in the doc string', async () => {
      const p = sparseModel(12, 5, [0, 1, 2, 3, 4]);
      const bytes = exportGmmQf(p, meta(p, { sparsity: { factors: 3, rho: 0.1 } }));
      const model = onnx.ModelProto.decode(bytes);
      expect(model.doc_string).to.match(
        /Every weight row of the 5 trained components is zero: component 0 is kept alone .* q is identically 0/,
      );
      const m = gmmQfMetadata(p, meta(p, { sparsity: { factors: 3, rho: 0.1 } }));
      expect(m.components).to.equal(1);
      expect(m.sparsity).to.deep.include({ nonzero_fraction: 0, components_trained: 5, components_pruned: 4 });
      const obs = randomObservations(new Rng(13), p, 40);
      const out = await runOrtAll(bytes, obs, 40, 4);
      expect(Array.from(out['q']!.data as Float32Array).every((x) => x === 0)).to.equal(true);
      expect(Array.from(out['action']!.data as BigInt64Array, Number).every((a) => a === 0)).to.equal(true);
      if (checker) expect(runChecker(bytes).ok).to.equal(true);
    });
  });
});

/** The float64 feature map: float32 Atan (no float64 kernel) refined by one step with float64 Sin/Cos (gmmqf.ts addFeatureNodes). */
const FEATURE_OPS_F64 = [
  'Gather',
  'Gather',
  'Gather',
  'Div',
  'Cast',
  'Atan',
  'Cast',
  'GreaterOrEqual',
  'Where',
  'Less',
  'Where',
  'Add',
  'Cos',
  'Sin',
  'Mul',
  'Mul',
  'Sub',
  'Mul',
  'Mul',
  'Add',
  'Div',
  'Add',
  'Concat',
];

describe('exporters/onnx/gmmqf: sampling head, float64, options', function () {
  this.timeout(120_000);
  const p = randomParams(new Rng(200), 7, 4, 3);
  const meta = metaFor(p);
  const pa = acrobotParams(new Rng(201), 12, 3);
  const pg = withGrid(randomParams(new Rng(202), 9, 3, 5), [-2, -1, 0, 1, 2]);
  const gridMeta: GmmQfExportMeta = { envId: 'Pendulum-v1', observationSpace: { shape: [3], low: [-1, -1, -8], high: [1, 1, 8] } };

  it("sampling 'none' is the greedy-only graph of before the sampling head (input obs alone); q and action equal the default graph's", async () => {
    const bytes = exportGmmQf(p, meta, { sampling: 'none' });
    const model = onnx.ModelProto.decode(bytes);
    expect(model.graph!.node!.map((n) => n.op_type)).to.deep.equal(GREEDY_OPS);
    expect(model.graph!.node!.map((n) => n.name)).to.deep.equal(GREEDY_NODE_NAMES);
    expect(model.graph!.input!.map((v) => v.name)).to.deep.equal(['obs']);
    expect(model.graph!.output!.map((v) => v.name)).to.deep.equal(['q', 'action']);
    const m = gmmQfMetadata(p, meta, { sampling: 'none' });
    expect(m).to.not.have.property('sampling');
    expect(m.inputs).to.deep.equal([{ name: 'obs', dtype: 'float32', shape: ['N', 4] }]);
    expect(m.outputs.map((t) => t.name)).to.deep.equal(['q', 'action']);
    const obs = randomObservations(new Rng(203), p, 200);
    const [a, b] = await Promise.all([runOrtAll(bytes, obs, 200, 4), runOrtAll(exportGmmQf(p, meta), obs, 200, 4)]);
    expect(Array.from(a['q']!.data as Float32Array)).to.deep.equal(Array.from(b['q']!.data as Float32Array));
    expect(Array.from(a['action']!.data as BigInt64Array)).to.deep.equal(Array.from(b['action']!.data as BigInt64Array));
  });

  describe('official checker for every variant', function () {
    before(function () {
      requireChecker(this);
    });
    const variants: [string, GmmQfParams, GmmQfExportMeta, GmmQfExportOptions, string[], [string, number, (string | number)[]][]][] = [
      [
        'identity, float64',
        p,
        meta,
        { precision: 'float64' },
        EXPECTED_OPS,
        [
          ['obs', 11, ['N', 4]],
          ['noise_u', 11, ['N']],
        ],
      ],
      [
        'identity, in-graph noise, epsilon 0.2',
        p,
        meta,
        { sampling: 'in-graph', epsilon: 0.2 },
        [...GREEDY_OPS, 'RandomUniformLike', ...SAMPLING_OPS],
        [['obs', 1, ['N', 4]]],
      ],
      ['identity, sampling none, float64', p, meta, { sampling: 'none', precision: 'float64' }, GREEDY_OPS, [['obs', 11, ['N', 4]]]],
      [
        'acrobot-angles, float64 (Atan refined)',
        pa,
        ACROBOT_META,
        { precision: 'float64' },
        [...NOISE_OPS, ...FEATURE_OPS_F64, ...GREEDY_OPS, ...FED_SAMPLING_OPS],
        [
          ['obs', 11, ['N', 6]],
          ['noise_u', 11, ['N']],
        ],
      ],
      [
        'grid, float64, in-graph noise, epsilon 0',
        pg,
        gridMeta,
        { precision: 'float64', sampling: 'in-graph', epsilon: 0 },
        [...GREEDY_OPS, 'Gather', 'Reshape', 'Identity', 'Gather', 'Reshape'],
        [['obs', 11, ['N', 3]]],
      ],
    ];
    for (const [what, q, mt, opts, ops, inputs] of variants) {
      it(`${what}: passes; ops, inputs and dtypes as documented`, () => {
        const r = runChecker(exportGmmQf(q, mt, opts));
        expect(r.ok, r.stderr).to.equal(true);
        expect(r.report!.ops).to.deep.equal(ops);
        expect(r.report!.inputs).to.deep.equal(inputs);
        const F = opts.precision === 'float64' ? 11 : 1;
        expect(r.report!.initializer_types.filter((t) => t !== 7)).to.deep.equal([F]);
        expect(r.report!.outputs[0]).to.deep.equal(['q', F, ['N', q.A]]);
        expect(r.report!.node_names.every((n) => n.startsWith('gmmqf/'))).to.equal(true);
      });
    }
  });

  it('metadataFromProps reads back and validates every variant (family contract)', () => {
    for (const [q, mt, opts] of [
      [p, meta, {}],
      [p, meta, { precision: 'float64', sampling: 'in-graph', epsilon: 1 }],
      [p, meta, { sampling: 'none' }],
      [pa, ACROBOT_META, { precision: 'float64' }],
      [pg, gridMeta, { epsilon: 0 }],
      [pg, gridMeta, { precision: 'float64', sampling: 'none', prune: false }],
    ] as [GmmQfParams, GmmQfExportMeta, GmmQfExportOptions][]) {
      const props = new Map(onnx.ModelProto.decode(exportGmmQf(q, mt, opts)).metadata_props.map((e) => [e.key!, e.value!]));
      const back = metadataFromProps(props);
      expect(withoutDigest(back), JSON.stringify(opts)).to.deep.equal(
        validateMetadata(JSON.parse(JSON.stringify(gmmQfMetadata(q, mt, opts)))),
      );
      expect(back.precision ?? 'float32').to.equal(opts.precision ?? 'float32');
      if (opts.precision === 'float64') expect(back.normalization.offset).to.deep.equal(Array.from(q.obsOffset));
    }
  });

  for (const [what, q, mt, obsSize, obsFn] of [
    ['identity K=7 D=4 A=3', p, meta, 4, (rng: Rng, n: number) => randomObservations(rng, p, n)],
    ['acrobot-angles K=12 A=3', pa, ACROBOT_META, 6, (rng: Rng, n: number) => acrobotObservations(rng, pa, n)],
    ['grid K=9 D=3 A=5', pg, gridMeta, 3, (rng: Rng, n: number) => randomObservations(rng, pg, n)],
  ] as [string, GmmQfParams, GmmQfExportMeta, number, (rng: Rng, n: number) => Float32Array][]) {
    it(`${what}: node and web, float32 and float64: action_sampled = epsilonGreedyIndex(q, noise_u, 0.3); float64 q within 1e-9·(1 + |ref|)`, async () => {
      const N = 600;
      const rng = new Rng(204);
      const obs = obsFn(rng, N);
      const ref = qValues(q, obs, N);
      const bound = qErrorBound(q, obs, N);
      const A = q.A;
      const grid = Boolean(q.actionGrid);
      for (const precision of ['float32', 'float64'] as const) {
        const r = precision === 'float32' ? Math.fround : (x: number) => x;
        const u = Float64Array.from({ length: N }, () => Math.min(r(rng.uniform()), precision === 'float32' ? 1 - 2 ** -24 : 1 - 2 ** -53));
        const bytes = exportGmmQf(q, mt, { precision, epsilon: 0.3 });
        const feeds = {
          obs: { dtype: precision, data: floats(precision, obs), dims: [N, obsSize] },
          noise_u: { dtype: precision, data: floats(precision, u), dims: [N] },
        };
        const outs = { node: await runRt('node', bytes, feeds), web: await runRt('web', bytes, feeds) };
        for (const rt of ['node', 'web'] as const) {
          const out = outs[rt];
          const qq = out['q']!.data as Float32Array | Float64Array;
          expect(out['q']!.type).to.equal(precision);
          if (precision === 'float64') {
            const d = maxDiff(qq, ref);
            if (DEBUG) console.log(`gmmqf ${what} float64 ${rt}: max |Δq|/(1+|q|) ${d.rel.toExponential(2)}`);
            expect(d.rel, `${rt} q`).to.be.at.most(1e-9);
          } else expect(worstRatio(qq, ref, bound).ratio, `${rt} q`).to.be.at.most(2);
          const greedy = out[grid ? 'action_index' : 'action']!.data;
          const sampled = out[grid ? 'action_sampled_index' : 'action_sampled']!.data;
          let boundary = 0;
          let explored = 0;
          for (let i = 0; i < N; i++) {
            const want = epsilonGreedyIndex(Array.from(qq.subarray(i * A, (i + 1) * A)), u[i]!, 0.3);
            if (sampled[i] !== want) {
              expect(precision === 'float32' && epsilonBoundary(u[i]!, 0.3, A), `${rt} ${precision} row ${i}`).to.equal(true);
              boundary++;
            }
            if (sampled[i] !== greedy[i]) explored++;
          }
          expect(boundary).to.be.at.most(0.01 * N);
          expect(explored).to.be.greaterThan(0.1 * N);
          if (grid) for (let i = 0; i < N; i++) expect(out['action_sampled']!.data[i]).to.equal([-2, -1, 0, 1, 2][sampled[i]!]);
        }
        if (precision === 'float64') {
          const d = maxDiff(outs.web['q']!.data, outs.node['q']!.data);
          if (DEBUG) console.log(`gmmqf ${what} float64 web vs node: ${d.rel.toExponential(2)}`);
          expect(d.rel).to.be.at.most(1e-12);
        }
      }
    });
  }

  it('in-graph noise: q and action equal the greedy-only graph; ε = 1 draws every action equally often (node and web)', async () => {
    const N = 6000;
    const obs = randomObservations(new Rng(205), p, N);
    for (const rt of ['node', 'web'] as const) {
      for (const precision of ['float32', 'float64'] as const) {
        const feeds = { obs: { dtype: precision, data: floats(precision, obs), dims: [N, 4] } };
        const ref = await runRt(rt, exportGmmQf(p, meta, { precision, sampling: 'none' }), feeds);
        const [a, b] = await runOrtTimes(rt, exportGmmQf(p, meta, { precision, sampling: 'in-graph', epsilon: 1 }), feeds, 2);
        expect(Array.from(a!['q']!.data)).to.deep.equal(Array.from(ref['q']!.data));
        expect(Array.from(a!['action']!.data)).to.deep.equal(Array.from(ref['action']!.data));
        const counts = [0, 0, 0];
        for (const i of a!['action_sampled']!.data) counts[i]!++;
        const sd = Math.sqrt((N * 2) / 9);
        for (const c of counts) expect(Math.abs(c - N / 3), `${rt} ${precision} ${counts}`).to.be.below(5 * sd);
        expect(Array.from(a!['action_sampled']!.data)).to.not.deep.equal(Array.from(b!['action_sampled']!.data));
      }
    }
  });

  it('rejects bad options naming the option and the value; float64 accepts what float32 cannot hold', () => {
    expectThrows(
      () => exportGmmQf(p, meta, { epsilon: -0.1 }),
      ValueError,
      /exportGmmQf: options\.epsilon = -0\.1 must be a probability in \[0, 1\]/,
    );
    expectThrows(() => exportGmmQf(p, meta, { sampling: 'yes' as never }), ValueError, /options\.sampling = "yes"/);
    expectThrows(() => exportGmmQf(p, meta, { precision: 'float16' as never }), ValueError, /options\.precision = "float16"/);
    expectThrows(
      () => exportGmmQf(p, meta, { prunning: false } as never),
      ValueError,
      /unknown option "prunning" \(options are "precision", "sampling", "epsilon", "prune"\)/,
    );
    expectThrows(() => exportGmmQf(p, meta, { sampling: 'none', epsilon: 3 }), ValueError, /options\.epsilon = 3 must be a probability/);
    expect(
      onnx.ModelProto.decode(exportGmmQf(p, meta, { sampling: 'none', epsilon: 0.2 })).graph!.node!.map((n) => n.op_type),
    ).to.deep.equal(GREEDY_OPS);
    const tiny = Float64Array.from(p.covariances);
    for (let i = 0; i < 16; i++) tiny[i] = i % 5 === 0 ? 1e-90 : 0;
    const q = { ...p, covariances: tiny };
    expectThrows(() => exportGmmQf(q, meta), ValueError, /covariances\[0\] is too close to singular for float32.*precision: 'float64'/);
    expect(() => exportGmmQf(q, meta, { precision: 'float64' })).to.not.throw();
    const w = Float64Array.from(p.weights);
    w[0] = 1e39;
    expectThrows(() => exportGmmQf({ ...p, weights: w }, meta), ValueError, /weights\[0\] = 1e\+39 does not fit in float32/);
    expect(() => exportGmmQf({ ...p, weights: w }, meta, { precision: 'float64' })).to.not.throw();
  });
});
