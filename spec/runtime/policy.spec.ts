/**
 * gmmrl/runtime end to end, through both entries: onnxruntime-node (cpu) and onnxruntime-web (wasm,
 * running in Node). Same API, same answers, same errors.
 *
 * Node ↔ web tolerance: |q_web − q_node| ≤ 1e-6 · S[n, a], with S = Σ_k |ξ_ka| g_k (1 + quad_k/2)
 * the condition-scaled magnitude of q (fixtures.ts `qScale`). Both run the same float32 graph and
 * differ only in summation order and exp/matmul kernels (a few ulp per op, 1e-6 ≈ 16 ulp); a
 * relative difference ρ per op moves q by at most ρ·S. Where the kernels are active S is of the
 * order of |q| (so this is "1e-6 relative"); in the far tail, where exp turns the relative error of
 * a large quadratic form into a relative error ~quad·ρ of q, S grows accordingly. Actions must be
 * identical except where the top two Q values are within 2× that tolerance of each other.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportGmmQf, gmmQfMetadata } from '../../exporters/index.js';
import { argmaxRows, qValues } from '../../models/gmmqf/reference.js';
import * as nodeRt from '../../runtime/index.node.js';
import * as webRt from '../../runtime/index.web.js';
import { BackendError, DisposedError, FileReadError, ModelFormatError, ShapeError, ValueError } from '../../contract/errors.js';
import { asQPolicy, type Policy, type QPolicy } from '../../runtime/policy.js';
import { Rng } from '../../sdk/util/rng.js';
import { expectRejects } from '../helpers.js';
import { edit, editMetadataJson } from './model-edit.js';
import { metaFor, qErrorBound, qScale, randomObservations, randomParams, worstRatio } from '../exporters/fixtures.js';
import { ACROBOT_HIGH, ACROBOT_LOW, acrobotObservations, acrobotParams } from '../models/gmmqf/fixtures.js';
import { ElemType, GraphBuilder } from '../../exporters/onnx/graph.js';
import { actionSpaceSpec, addGreedyActionHead, qOutputSpecs } from '../../exporters/onnx/qhead.js';
import { metadataToProps, type GmmrlMetadataV1 } from '../../contract/metadata.js';
import type { ActionGrid, GmmQfParams } from '../../models/gmmqf/params.js';

type AnyLoader = (src: Uint8Array | ArrayBuffer | string, opts?: { executionProviders?: string[] }) => Promise<Policy>;
type Loader = (src: Uint8Array | ArrayBuffer | string, opts?: { executionProviders?: string[] }) => Promise<QPolicy>;
/** Every model in this file is a Q-function model: load it typed as one (asQPolicy checks the family). */
const asQ =
  (load: AnyLoader): Loader =>
  async (src, opts) =>
    asQPolicy(await load(src, opts));
const ENTRIES: [string, Loader][] = [
  ['onnxruntime-node', asQ(nodeRt.loadPolicy as AnyLoader)],
  ['onnxruntime-web', asQ(webRt.loadPolicy as AnyLoader)],
];

const REL = 1e-6;

/** Is the argmax of row i decided: the top two entries differ by more than 2·tol? */
function decided(q: ArrayLike<number>, tol: ArrayLike<number>, i: number, A: number): boolean {
  let best = 0;
  for (let a = 1; a < A; a++) if (q[i * A + a]! > q[i * A + best]!) best = a;
  for (let a = 0; a < A; a++) {
    if (a !== best && q[i * A + best]! - q[i * A + a]! <= 2 * (tol[i * A + best]! + tol[i * A + a]!)) return false;
  }
  return true;
}

describe('runtime: loadPolicy (onnxruntime-node and onnxruntime-web)', function () {
  this.timeout(120_000);

  const P4 = randomParams(new Rng(31), 7, 4, 3);
  const META4 = metaFor(P4, { envId: 'CartPole-v1', training: { algorithm: 'gmm-q', steps: 1234 } });
  // greedy-only (sampling 'none'): the graph as exported before issue 5 (inputs obs; outputs q, action)
  const BYTES4 = exportGmmQf(P4, META4, { sampling: 'none' });
  const OBS4 = randomObservations(new Rng(32), P4, 64);

  describe('node and web agree through the same API', () => {
    for (const [K, D, A] of [
      [1, 2, 2],
      [7, 4, 3],
      [50, 6, 3],
      [50, 2, 2],
      [7, 6, 2],
    ] as const) {
      it(`K=${K} D=${D} A=${A}: batch and single q/act identical within 1e-6 (rel), and within the error bound of float64`, async () => {
        const rng = new Rng(40 + K + D + A);
        const p = randomParams(rng, K, D, A);
        const bytes = exportGmmQf(p, metaFor(p));
        const N = 500;
        const obs = randomObservations(rng, p, N);
        const [pn, pw] = (await Promise.all([nodeRt.loadPolicy(bytes), webRt.loadPolicy(bytes)])).map(asQPolicy) as [QPolicy, QPolicy];
        try {
          expect(pn.info.executionProvider).to.equal('cpu');
          expect(pw.info.executionProvider).to.equal('wasm');
          const [qn, qw] = await Promise.all([pn.qBatch(obs), pw.qBatch(obs)]);
          const [an, aw] = await Promise.all([pn.actBatch(obs), pw.actBatch(obs)]);
          const flatN = new Float32Array(qn[0]!.buffer, qn[0]!.byteOffset, N * A);
          const flatW = new Float32Array(qw[0]!.buffer, qw[0]!.byteOffset, N * A);
          const tol = qScale(p, obs, N).map((x) => REL * x);
          let worstRel = 0;
          let nDecided = 0;
          for (let i = 0; i < N; i++) {
            for (let a = 0; a < A; a++) {
              const j = i * A + a;
              const diff = Math.abs(flatN[j]! - flatW[j]!);
              worstRel = Math.max(worstRel, diff / tol[j]!);
              expect(diff, `row ${i} action ${a}: node ${flatN[j]} web ${flatW[j]} tol ${tol[j]}`).to.be.at.most(tol[j]!);
            }
            if (decided(flatN, tol, i, A)) {
              nDecided++;
              expect(aw[i], `row ${i}`).to.equal(an[i]);
            }
          }
          if (process.env['GMMRL_DEBUG'])
            console.log(`K=${K} D=${D} A=${A}: worst |node-web| / tol = ${worstRel.toFixed(3)}, decided ${nDecided}`);
          expect(nDecided).to.be.greaterThan(N / 4);
          // each matches its own argmax and the float64 reference within the float32 bound
          expect(Array.from(an)).to.deep.equal(Array.from(argmaxRows(flatN, N, A)));
          expect(Array.from(aw)).to.deep.equal(Array.from(argmaxRows(flatW, N, A)));
          const ref = qValues(p, obs, N);
          const bound = qErrorBound(p, obs, N);
          expect(worstRatio(flatN, ref, bound).ratio).to.be.at.most(2);
          expect(worstRatio(flatW, ref, bound).ratio).to.be.at.most(2);
          // single observations (the reused-buffer fast path) agree with the batch
          for (const i of [0, 1, 2, 3, 250, 499]) {
            const row = obs.subarray(i * D, (i + 1) * D);
            for (const [pol, batchQ, batchA] of [
              [pn, flatN, an],
              [pw, flatW, aw],
            ] as const) {
              const q1 = await pol.qOne(row);
              expect(q1).to.be.instanceOf(Float32Array).with.length(A);
              for (let a = 0; a < A; a++) {
                expect(Math.abs(q1[a]! - batchQ[i * A + a]!), `${pol.info.backend} single row ${i}`).to.be.at.most(tol[i * A + a]!);
              }
              const a1 = await pol.act(Array.from(row));
              expect(a1).to.be.a('number');
              expect(a1).to.equal(argmaxRows(q1, 1, A)[0]);
              if (decided(batchQ, tol, i, A)) expect(a1).to.equal(batchA[i]);
            }
          }
        } finally {
          await Promise.all([pn.dispose(), pw.dispose()]);
        }
      });
    }
  });

  for (const [backend, load] of ENTRIES) {
    describe(`${backend}`, () => {
      let policy: QPolicy;
      before(async () => {
        policy = await load(BYTES4);
      });
      after(async () => {
        await policy.dispose();
      });

      it('info: parsed metadata round-trips, provider, IR/opset, producer, sizes', () => {
        const info = policy.info;
        const want = gmmQfMetadata(P4, META4, { sampling: 'none' });
        expect(info.metadata.model_sha256).to.match(/^[0-9a-f]{64}$/); // the exporter's seal (runtime/digest.ts)
        expect({ ...info.metadata, model_sha256: undefined }).to.deep.equal({ ...want, model_sha256: undefined }); // ±Infinity bounds restored from JSON nulls
        expect([info.integrity, info.warnings]).to.deep.equal(['verified', []]);
        expect(info.metadata.observation_space.high).to.deep.equal([10, Infinity, 12, Infinity]);
        expect(info.backend).to.equal(backend);
        expect(info.executionProvider).to.equal(backend === 'onnxruntime-node' ? 'cpu' : 'wasm');
        expect(info.providerFailures).to.deep.equal([]);
        expect(info).to.deep.include({
          irVersion: 8,
          opsetVersion: 17,
          producerName: 'gmmrl',
          observationSize: 4,
          numActions: 3,
          byteLength: BYTES4.length,
        });
        expect(Object.isFrozen(info.metadata.observation_space.low)).to.equal(true);
      });

      it('act/q shapes: single → number / Float32Array(A); rows or flat N·D → Int32Array / row views of one buffer', async () => {
        const one = Array.from(OBS4.subarray(0, 4));
        const a = await policy.act(one);
        expect(a).to.be.a('number');
        const q = await policy.q(one);
        expect(q).to.be.instanceOf(Float32Array).with.length(3);
        const rows = [one, Array.from(OBS4.subarray(4, 8)), OBS4.subarray(8, 12)];
        const ar = await policy.act(rows);
        expect(ar).to.be.instanceOf(Int32Array).with.length(3);
        expect(ar[0]).to.equal(a);
        const flat = await policy.act(OBS4.subarray(0, 12));
        expect(Array.from(flat as Int32Array)).to.deep.equal(Array.from(ar));
        const qr = await policy.q(rows);
        expect(qr).to.have.length(3);
        expect(qr[0]!.buffer).to.equal(qr[2]!.buffer);
        const tol0 = qScale(P4, OBS4, 1).map((x) => REL * x);
        for (let a = 0; a < 3; a++) expect(Math.abs(qr[0]![a]! - (q as Float32Array)[a]!)).to.be.at.most(tol0[a]!);
        const qb1 = await policy.qBatch(one); // a batch of one
        expect(qb1).to.have.length(1);
        expect(await policy.actBatch(one))
          .to.be.instanceOf(Int32Array)
          .with.length(1);
        // typed inputs of other element types are accepted
        expect(await policy.act(Float64Array.from(one))).to.equal(a);
      });

      it('concurrent single calls do not corrupt the reused input buffer', async () => {
        const N = 40;
        const want = await policy.actBatch(OBS4.subarray(0, N * 4));
        const wantQ = await policy.qBatch(OBS4.subarray(0, N * 4));
        const got = await Promise.all(Array.from({ length: N }, (_, i) => policy.actOne(OBS4.subarray(i * 4, i * 4 + 4))));
        const gotQ = await Promise.all(Array.from({ length: N }, (_, i) => policy.qOne(OBS4.subarray(i * 4, i * 4 + 4))));
        const tol = qScale(P4, OBS4, N).map((x) => REL * x);
        const flat = Float32Array.from(wantQ.flatMap((r) => Array.from(r)));
        for (let i = 0; i < N; i++) {
          for (let a = 0; a < 3; a++) expect(Math.abs(gotQ[i]![a]! - wantQ[i]![a]!), `row ${i}`).to.be.at.most(tol[i * 3 + a]!);
          if (decided(flat, tol, i, 3)) expect(got[i], `row ${i}`).to.equal(want[i]);
        }
      });

      it('wrong length → ShapeError with the expected size and the batch rule', async () => {
        await expectRejects(
          () => policy.act([1, 2, 3]),
          ShapeError,
          /^obs has length 3, expected 4 \(observation_space.shape = \[4\]\) or a multiple of 4 for a batch\.$/,
        );
        await expectRejects(() => policy.q(new Float32Array(10)), ShapeError, /obs has length 10, expected 4/);
        await expectRejects(() => policy.act([]), ShapeError, /obs has length 0/);
        await expectRejects(
          () =>
            policy.act([
              [1, 2, 3, 4],
              [1, 2, 3],
            ]),
          ShapeError,
          /obs\[1\] has length 3, expected 4 \(observation_space.shape = \[4\]\)/,
        );
        await expectRejects(
          () => policy.actOne(new Float32Array(8)),
          ShapeError,
          /obs has length 8, expected 4 .* for a single observation/,
        );
        await expectRejects(() => policy.qOne([[1, 2, 3, 4]] as unknown as number[]), ShapeError, /actOne\/qOne take a single observation/);
      });

      it('NaN / ±Infinity / float32 overflow → ValueError naming the index and value', async () => {
        await expectRejects(() => policy.act([0, 1, NaN, 3]), ValueError, /obs\[2\] is NaN; observations must be finite numbers/);
        await expectRejects(() => policy.act(new Float32Array([0, 1, 2, Infinity])), ValueError, /obs\[3\] is Infinity/);
        await expectRejects(
          () => policy.act(new Float64Array([0, 1, 2, 3, 4, 5, -Infinity, 7])),
          ValueError,
          /obs\[6\] \(row 1, entry 2\) is -Infinity/,
        );
        await expectRejects(
          () =>
            policy.q([
              [0, 1, 2, 3],
              [0, NaN, 2, 3],
            ]),
          ValueError,
          /obs\[1\]\[1\] is NaN/,
        );
        await expectRejects(() => policy.act([1e39, 0, 0, 0]), ValueError, /obs\[0\] = 1e\+39 is outside the float32 range/);
      });

      it('wrong types → ValueError with the fix', async () => {
        await expectRejects(
          () => policy.act(['0.1', '0.2', '0.3', '0.4'] as unknown as number[]),
          ValueError,
          /obs\[0\] is a string \("0.1"\), not a number. Convert with Number\(x\)/,
        );
        await expectRejects(
          () => policy.act([0, 1, true, 3] as unknown as number[]),
          ValueError,
          /obs\[2\] is a boolean \(true\), not a number/,
        );
        await expectRejects(() => policy.act([0, 1, null, 3] as unknown as number[]), ValueError, /obs\[2\] is null, not a number/);
        await expectRejects(
          () => policy.act('0.1,0.2,0.3,0.4' as unknown as number[]),
          ValueError,
          /obs is a string .* not an array of numbers \(parse it first/,
        );
        await expectRejects(
          () => policy.act(new BigInt64Array(4) as unknown as number[]),
          ValueError,
          /obs is a BigInt64Array; observations must be numbers, not bigint. Convert with Float32Array.from\(obs, Number\)/,
        );
        await expectRejects(
          () => policy.act(undefined as unknown as number[]),
          ValueError,
          /^obs is undefined, not an array of numbers\. Pass numbers/,
        );
        await expectRejects(() => policy.act({ x: 1 } as unknown as number[]), ValueError, /obs is an Object without a length/);
        await expectRejects(() => policy.act(new ArrayBuffer(16) as unknown as number[]), ValueError, /wrap the bytes in a typed array/);
        await expectRejects(
          () => policy.act([[0, 1, 2, 3], 5] as unknown as number[][]),
          ValueError,
          /obs\[1\] is a number \(5\) but obs\[0\] is a row/,
        );
        await expectRejects(
          () =>
            policy.act([
              [0, 1, 2, 3],
              [0, 1, '2', 3],
            ] as unknown as number[][]),
          ValueError,
          /obs\[1\]\[2\] is a string/,
        );
      });

      it('corrupt files → ModelFormatError: truncations at several offsets, random bytes, empty buffer', async () => {
        for (const cut of [0, 1, 2, 10, 37, 100, 500, 1000, Math.floor(BYTES4.length / 2), BYTES4.length - 300, BYTES4.length - 1]) {
          await expectRejects(() => load(BYTES4.slice(0, cut)), ModelFormatError, /truncated|not an ONNX model|no gmmrl metadata|no graph/);
        }
        const rng = new Rng(55);
        for (let t = 0; t < 30; t++) {
          const b = new Uint8Array(1 + rng.integer(3000));
          for (let i = 0; i < b.length; i++) b[i] = rng.integer(256);
          await expectRejects(() => load(b), ModelFormatError);
        }
        await expectRejects(() => load(new Uint8Array(0)), ModelFormatError, /empty \(0 bytes\)/);
        await expectRejects(() => load(new Uint8Array(0).buffer), ModelFormatError, /empty/);
      });

      it('a valid ONNX file whose metadata declares a different D than its graph → ModelFormatError naming the field', async () => {
        const bad = editMetadataJson(BYTES4, (o) => {
          o['observation_space'] = { shape: [5], low: [0, 0, 0, 0, 0], high: [1, 1, 1, 1, 1] };
          o['normalization'].offset.push(0);
          o['normalization'].scale.push(1);
          o['inputs'][0].shape = ['N', 5];
        });
        await expectRejects(
          () => load(bad),
          ModelFormatError,
          /Metadata and graph disagree on the shape of input "obs": metadata says \["N", 5\], the graph says \["N", 4\]/,
        );
        const badA = editMetadataJson(BYTES4, (o) => {
          o['action_space'].n = 2;
          o['outputs'][0].shape = ['N', 2];
        });
        await expectRejects(() => load(badA), ModelFormatError, /shape of output "q": metadata says \["N", 2\], the graph says \["N", 3\]/);
        const badName = edit(BYTES4, (m) => (m.graph!.output![1]!.name = 'greedy'));
        await expectRejects(() => load(badName), ModelFormatError, /declares "action" but the graph's outputs are \["q","greedy"\]/);
        const badType = edit(BYTES4, (m) => (m.graph!.input![0]!.type!.tensor_type!.elem_type = 11));
        await expectRejects(() => load(badType), ModelFormatError, /dtype of input "obs": metadata says float32, the graph says float64/);
      });

      it('unknown family / missing metadata / unknown schema → ModelFormatError', async () => {
        const fam = edit(BYTES4, (m) => (m.metadata_props.find((e) => e.key === 'gmmrl.family')!.value = 'decision-tree'));
        await expectRejects(() => load(fam), ModelFormatError, /gmmrl.family is "decision-tree": unknown model family/);
        const none = edit(BYTES4, (m) => (m.metadata_props = []));
        await expectRejects(() => load(none), ModelFormatError, /no gmmrl metadata.*keys present: none/);
        const sv = edit(BYTES4, (m) => (m.metadata_props.find((e) => e.key === 'gmmrl.schema_version')!.value = '7'));
        await expectRejects(() => load(sv), ModelFormatError, /schema_version is "7".*Upgrade gmmrl/);
      });

      it('a file the reader accepts but ONNX Runtime rejects → ModelFormatError with ORT’s reason', async () => {
        const bad = edit(BYTES4, (m) => (m.graph!.node!.find((n) => n.op_type === 'ArgMax')!.op_type = 'ArgMaxx'));
        const err = await expectRejects(() => load(bad), ModelFormatError, /rejected the model although its gmmrl metadata is intact/);
        expect(err.message).to.match(/ArgMaxx/);
      });

      it('unknown execution provider names, duplicates and an empty list → ValueError naming the entry and its providers', async () => {
        const known = backend === 'onnxruntime-node' ? '"cuda", "cpu"' : '"webgpu", "wasm"';
        const base = backend === 'onnxruntime-node' ? 'cpu' : 'wasm';
        for (const eps of [
          ['tpu', 'npu'],
          ['tpu', base],
        ]) {
          const err = await expectRejects(() => load(BYTES4, { executionProviders: eps }), ValueError, /executionProviders\[0\] is "tpu"/);
          expect(err.message).to.include(`not an execution provider of ${backend}; the providers are ${known}`);
        }
        const foreign = backend === 'onnxruntime-node' ? 'wasm' : 'cuda';
        await expectRejects(
          () => load(BYTES4, { executionProviders: [foreign] }),
          ValueError,
          /is "(wasm|cuda)", not an execution provider of onnxruntime-(node|web)/,
        );
        await expectRejects(
          () => load(BYTES4, { executionProviders: [base, base] }),
          ValueError,
          /lists "(cpu|wasm)" twice \(at 0 and 1\)/,
        );
        await expectRejects(() => load(BYTES4, { executionProviders: [] }), ValueError, /executionProviders must be a non-empty array/);
      });

      it('a greedy-only model (no sampling head) acts greedily; mode "sample" → ValueError saying how to re-export', async () => {
        expect(policy.info.sampling).to.equal(null);
        expect(policy.info.metadata.inputs.map((t) => t.name)).to.deep.equal(['obs']);
        const one = OBS4.subarray(0, 4);
        expect(await policy.act(one, { mode: 'greedy' })).to.equal(await policy.act(one));
        await expectRejects(
          () => policy.act(one, { mode: 'sample' }),
          ValueError,
          /act: mode "sample" needs a sampling head, but this gmmqf model has none/,
          /gmmrl export runs\/NAME --out policy.onnx --sampling inputs/,
        );
        await expectRejects(
          () => policy.envActionBatch(OBS4, { mode: 'sample', rng: new Rng(1) }),
          ValueError,
          /envActionBatch: mode "sample" needs a sampling head/,
        );
        const all = await policy.outputs(OBS4.subarray(0, 8));
        expect(Object.keys(all.outputs)).to.deep.equal(['q', 'action']);
        expect(all.outputs['action']!.data).to.be.instanceOf(Int32Array);
        expect(Array.from(all.outputs['action']!.data)).to.deep.equal(Array.from(await policy.actBatch(OBS4.subarray(0, 8))));
      });

      it('exportGmmQf with its ε-greedy head (noise inputs): sampled index = u < ε ? floor(u/ε·A) : the greedy index', async () => {
        const bytes = exportGmmQf(P4, META4, { sampling: 'inputs', epsilon: 0.05 });
        const pol = asQPolicy(await load(bytes));
        try {
          expect(pol.info.sampling).to.deep.include({ kind: 'epsilon-greedy', noise: 'inputs', epsilon: 0.05 });
          const rows = [0, 1, 2, 3, 4].map((i) => OBS4.subarray(i * 4, i * 4 + 4));
          // u/ε·3 = 0.06, 1.2, 2.4 (explore: indices 0, 1, 2), then two greedy rows; far from every boundary
          const u = [0.001, 0.02, 0.04, 0.3, 0.9];
          const greedy = await pol.actBatch(rows);
          const sampled = await pol.actBatch(rows, { mode: 'sample', noise: { u } });
          expect(Array.from(sampled)).to.deep.equal([0, 1, 2, greedy[3], greedy[4]]);
          // the policy's own generator: reproducible for the same seed
          const twins = await Promise.all([load(bytes, {}), load(bytes, {})]);
          const [a, b] = await Promise.all(twins.map((p) => p.act(OBS4, { mode: 'sample' })));
          expect(Array.from(a as Int32Array)).to.deep.equal(Array.from(b as Int32Array));
          await Promise.all(twins.map((p) => p.dispose()));
        } finally {
          await pol.dispose();
        }
      });

      it('dispose() is idempotent; later calls → DisposedError', async () => {
        const pol = await load(BYTES4.buffer.slice(BYTES4.byteOffset, BYTES4.byteOffset + BYTES4.byteLength) as ArrayBuffer);
        expect(await pol.act(OBS4.subarray(0, 4))).to.be.a('number');
        await pol.dispose();
        await pol.dispose();
        await expectRejects(() => pol.act(OBS4.subarray(0, 4)), DisposedError, /disposed; load the model again/);
      });
    });
  }

  describe('node entry specifics', () => {
    it('loads from a path; unreadable paths → FileReadError naming the path', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gmmrl-rt-'));
      try {
        const file = join(dir, 'm.onnx');
        writeFileSync(file, BYTES4);
        const pol = await nodeRt.loadPolicy(file);
        expect(pol.info.metadata.env_id).to.equal('CartPole-v1');
        await pol.dispose();
        await expectRejects(
          () => nodeRt.loadPolicy(join(dir, 'missing.onnx')),
          FileReadError,
          /Cannot read model file .*missing.onnx: ENOENT/,
        );
        await expectRejects(
          () => nodeRt.loadPolicy('rel/missing.onnx'),
          FileReadError,
          /Cannot read model file .*rel\/missing.onnx: .*\(the path "rel\/missing.onnx", resolved from the working directory /,
        );
        await expectRejects(() => nodeRt.loadPolicy(dir), FileReadError, /model file .* is a directory; expected a regular file/);
        await expectRejects(
          () => nodeRt.loadPolicy(42 as unknown as string),
          ValueError,
          /expects a file path \(string\), a Uint8Array or an ArrayBuffer, got 42/,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    // the default order (cuda only when its provider library is installed): spec/runtime/providers.spec.ts
    it('asking for cuda without its provider library lists how to install it', async () => {
      expect(nodeRt.ortBindingDir()).to.match(/onnxruntime-node.*bin.*napi-v6/);
      if (nodeRt.cudaProviderInstalled()) return;
      const err = await expectRejects(() => nodeRt.loadPolicy(BYTES4, { executionProviders: ['cuda'] }), BackendError, /- cuda: /);
      expect(err.message).to.include('ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node');
      expect(err.message).to.include('"allowScripts": { "onnxruntime-node": true }');
      const pol = await nodeRt.loadPolicy(BYTES4, { executionProviders: ['cuda', 'cpu'] });
      expect(pol.info.executionProvider).to.equal('cpu');
      expect(pol.info.providerFailures[0]!.provider).to.equal('cuda');
      await pol.dispose();
    });
  });

  describe('web entry specifics', () => {
    it('loads from a URL (data: URL in Node); fetch failures → FileReadError', async () => {
      const url = `data:application/octet-stream;base64,${Buffer.from(BYTES4).toString('base64')}`;
      const pol = await webRt.loadPolicy(url);
      expect(pol.info.executionProvider).to.equal('wasm');
      await pol.dispose();
      await expectRejects(
        () => webRt.loadPolicy('/no/such/model.onnx'),
        FileReadError,
        /Cannot fetch the model from "\/no\/such\/model.onnx".*In Node, pass the bytes/,
      );
    });

    it('webgpu (unavailable in Node) fails over to wasm when listed, BackendError when alone', async () => {
      const err = await expectRejects(() => webRt.loadPolicy(BYTES4, { executionProviders: ['webgpu'] }), BackendError, /- webgpu: /);
      expect(err.message).to.match(/navigator.gpu/);
      const pol = await webRt.loadPolicy(BYTES4, { executionProviders: ['webgpu', 'wasm'] });
      expect(pol.info.executionProvider).to.equal('wasm');
      expect(pol.info.providerFailures.map((f) => f.provider)).to.deep.equal(['webgpu']);
      await pol.dispose();
    });
  });
});

/** A tiny hand-built family-'dqn' graph (q = obs · W + b) with the shared greedy-action head. */
function tinyDqn(D: number, A: number, W: Float64Array, b: Float64Array, grid?: ActionGrid): Uint8Array {
  // not named after its family: a hand-built graph, checked on its inputs and outputs only (graph-checks.ts)
  const g = new GraphBuilder('linear-q', 'linear Q for the runtime tests');
  const obs = g.input('obs', ElemType.FLOAT, ['N', D]);
  const w = g.initializerFloat32('dqn/w', [D, A], W);
  const bias = g.initializerFloat32('dqn/b', [A], b);
  const h = g.node({ name: 'dqn/matmul', opType: 'MatMul', inputs: [obs, w], outputs: ['dqn/h'] });
  g.output('q', ElemType.FLOAT, ['N', A]);
  g.node({ name: 'dqn/add', opType: 'Add', inputs: [h, bias], outputs: ['q'] });
  addGreedyActionHead(g, 'dqn', A, grid);
  const meta: GmmrlMetadataV1 = {
    schema_version: 1,
    family: 'dqn',
    producer: 'gmmrl',
    producer_version: '0.0.0-test',
    env_id: 'Test-v0',
    observation_space: { shape: [D], low: new Array(D).fill(-10), high: new Array(D).fill(10) },
    action_space: actionSpaceSpec(A, grid),
    normalization: { offset: new Array(D).fill(0), scale: new Array(D).fill(1), formula: 'identity (test)' },
    parameter_count: D * A + A,
    network: { layers: [D, A], activation: 'none' },
    inputs: [{ name: 'obs', dtype: 'float32', shape: ['N', D] }],
    outputs: qOutputSpecs(A, grid),
  };
  return g.build({
    irVersion: 8,
    opsetVersion: 17,
    producerName: 'gmmrl',
    producerVersion: '0.0.0-test',
    metadataProps: metadataToProps(meta),
  });
}

describe('runtime: feature maps, action grids and the dqn family (onnxruntime-node and onnxruntime-web)', function () {
  this.timeout(120_000);

  const PA = acrobotParams(new Rng(61), 12, 3);
  const ACRO = exportGmmQf(
    PA,
    { envId: 'Acrobot-v1', observationSpace: { shape: [6], low: ACROBOT_LOW, high: ACROBOT_HIGH } },
    { sampling: 'none' },
  );
  const OBS_A = acrobotObservations(new Rng(62), PA, 200);

  const GRID_VALUES = [-2, -1, 0, 1, 2];
  const PG: GmmQfParams = {
    ...randomParams(new Rng(63), 9, 3, 5),
    actionGrid: { shape: [1], values: Float64Array.from(GRID_VALUES), low: [-2], high: [2] },
  };
  const GRID = exportGmmQf(
    PG,
    { envId: 'Pendulum-v1', observationSpace: { shape: [3], low: [-1, -1, -8], high: [1, 1, 8] } },
    { sampling: 'none' },
  );
  const OBS_G = randomObservations(new Rng(64), PG, 200);

  for (const [backend, load] of ENTRIES) {
    describe(backend, () => {
      it('acrobot-angles: the policy takes the 6-entry observation (feature map inside); q within the float32 bound of the float64 reference', async () => {
        const pol = await load(ACRO);
        try {
          expect(pol.info).to.deep.include({ observationSize: 6, featureSize: 4, numActions: 3 });
          expect(pol.info.actionSpace).to.deep.equal({ kind: 'discrete', n: 3 });
          expect(pol.info.metadata.features!.kind).to.equal('acrobot-angles');
          const rows = await pol.qBatch(OBS_A);
          const flat = Float32Array.from(rows.flatMap((r) => Array.from(r)));
          expect(worstRatio(flat, qValues(PA, OBS_A, 200), qErrorBound(PA, OBS_A, 200)).ratio).to.be.at.most(2);
          const acts = await pol.actBatch(OBS_A);
          expect(Array.from(acts)).to.deep.equal(Array.from(argmaxRows(flat, 200, 3)));
          expect(await pol.envAction(OBS_A.subarray(0, 6))).to.equal(acts[0]);
          expect(Array.from((await pol.envActionBatch(OBS_A)) as Int32Array)).to.deep.equal(Array.from(acts));
          await expectRejects(() => pol.act([1, 0, 1, 0]), ShapeError, /obs has length 4, expected 6 \(observation_space.shape = \[6\]\)/);
        } finally {
          await pol.dispose();
        }
      });

      it('grid: act* return the grid index; envAction returns the grid value (Float32Array), envActionBatch the rows', async () => {
        const pol = await load(GRID);
        try {
          expect(pol.info.actionSpace).to.deep.equal({
            kind: 'grid',
            n: 5,
            shape: [1],
            values: GRID_VALUES.map((v) => [v]),
            low: [-2],
            high: [2],
          });
          expect(pol.info).to.deep.include({ observationSize: 3, featureSize: 3, numActions: 5 });
          const q = await pol.qBatch(OBS_G);
          const flat = Float32Array.from(q.flatMap((r) => Array.from(r)));
          const idx = await pol.actBatch(OBS_G);
          expect(Array.from(idx)).to.deep.equal(Array.from(argmaxRows(flat, 200, 5)));
          expect(new Set(idx).size).to.be.greaterThan(2);
          const rows = (await pol.envActionBatch(OBS_G)) as Float32Array[];
          expect(rows).to.have.length(200);
          for (let i = 0; i < 200; i++) {
            expect(rows[i]).to.be.instanceOf(Float32Array).with.length(1);
            expect(rows[i]![0], `row ${i}`).to.equal(GRID_VALUES[idx[i]!]);
          }
          for (const i of [0, 5, 77]) {
            const one = OBS_G.subarray(i * 3, i * 3 + 3);
            const a = await pol.envAction(one);
            expect(a).to.be.instanceOf(Float32Array);
            expect(Array.from(a as Float32Array)).to.deep.equal([GRID_VALUES[idx[i]!]]);
            expect(await pol.actOne(one)).to.equal(idx[i]);
            expect(await pol.act(Array.from(one))).to.equal(idx[i]);
          }
          await expectRejects(() => pol.envAction(OBS_G.subarray(0, 6)), ShapeError, /expected 3 .* for a single observation/);
        } finally {
          await pol.dispose();
        }
      });

      it('grid: a file whose graph grid disagrees with its metadata grid → ModelFormatError at load (graph-checks.ts)', async () => {
        const bad = editMetadataJson(GRID, (o) => (o['action_space'].values[3] = [0.5]));
        await expectRejects(
          () => load(bad),
          ModelFormatError,
          /disagree on action_space\.values \(row-major\)\[3\]: gmmrl\.metadata says 0\.5; the graph has 1 \(constant "gmmqf\/action\/grid"\[3\]\)/,
        );
      });

      it('grid: metadata and graph must agree on action/action_index', async () => {
        const renamed = edit(GRID, (m) => (m.graph!.output!.find((o) => o.name === 'action_index')!.name = 'idx'));
        await expectRejects(() => load(renamed), ModelFormatError, /declares "action_index" but the graph's outputs are/);
        const wrongShape = editMetadataJson(GRID, (o) => {
          o['action_space'].shape = [1, 1];
          o['outputs'][1].shape = ['N', 1, 1];
        });
        await expectRejects(
          () => load(wrongShape),
          ModelFormatError,
          /shape of output "action": metadata says \["N", 1, 1\], the graph says \["N", 1\]/,
        );
      });

      it('family dqn: the same q/action contract, discrete and grid', async () => {
        const D = 3;
        const A = 4;
        const rng = new Rng(65);
        const W = Float64Array.from({ length: D * A }, () => rng.normal());
        const b = Float64Array.from({ length: A }, () => rng.normal());
        const obs = Float32Array.from({ length: 50 * D }, () => 3 * rng.normal());
        const qRef = new Float64Array(50 * A);
        for (let i = 0; i < 50; i++) {
          for (let a = 0; a < A; a++) {
            let s = Math.fround(b[a]!);
            for (let j = 0; j < D; j++) s += obs[i * D + j]! * Math.fround(W[j * A + a]!);
            qRef[i * A + a] = s;
          }
        }
        const pol = await load(tinyDqn(D, A, W, b));
        try {
          expect(pol.info.metadata.family).to.equal('dqn');
          expect(pol.info.metadata).to.not.have.property('components');
          const q = await pol.qBatch(obs);
          for (let i = 0; i < 50; i++) for (let a = 0; a < A; a++) expect(Math.abs(q[i]![a]! - qRef[i * A + a]!)).to.be.below(1e-5);
          const flat = Float32Array.from(q.flatMap((r) => Array.from(r)));
          expect(Array.from(await pol.actBatch(obs))).to.deep.equal(Array.from(argmaxRows(flat, 50, A)));
        } finally {
          await pol.dispose();
        }
        const grid: ActionGrid = { shape: [2], values: Float64Array.from([0, 0, 0, 1, 1, 0, 1, 1]), low: [0, 0], high: [1, 1] };
        const polG = await load(tinyDqn(D, A, W, b, grid));
        try {
          const idx = await polG.actBatch(obs);
          const rows = (await polG.envActionBatch(obs)) as Float32Array[];
          for (let i = 0; i < 50; i++)
            expect(Array.from(rows[i]!)).to.deep.equal(Array.from(grid.values.subarray(idx[i]! * 2, idx[i]! * 2 + 2)));
        } finally {
          await polG.dispose();
        }
      });
    });
  }
});
