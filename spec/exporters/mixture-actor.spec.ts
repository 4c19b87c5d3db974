/**
 * Mixture actor → ONNX exporter: structure and metadata, the official checker for every variant,
 * and the numbers of ONNX Runtime (node cpu; web wasm in Node) against the float64 reference
 * (models/mixture-actor/params.ts, head.ts) with identical noise.
 *
 * Tolerances (measured values in the report of the change; GMMRL_DEBUG=1 prints them):
 * - float32: every output entry within its worst-case first-order float32 bound B of the float64
 *   value (actor-fixtures.ts states the derivation: the MLP bound of
 *   models/actor-critic/float32-bound.ts, then tanh/exp/softmax/scaling with a few ulps for ONNX
 *   Runtime's vectorized transcendental kernels). The greedy and sampled components equal the
 *   reference's except where the reference is within the bound of a tie (greedy: two logits
 *   closer than their bounds' sum; sampled: u within the bound of a cumulative-weight boundary);
 *   those rows are counted, must be rare (≤ 2 % of the rows), and their actions are skipped.
 * - float64: |Δ| ≤ 1e-9·(1 + |ref|) for every output entry, components identical on every row.
 * - onnxruntime-web (wasm) is held to the same reference bounds as onnxruntime-node, and web − node
 *   to 2B in float32 (both lie within B of the reference; they are not bitwise equal: different
 *   vectorized tanh/exp kernels and summation orders) and to 1e-12·(1 + |node|) in float64.
 */
import { expect } from 'chai';
import { exportMixtureActor, mixtureActorMetadata, MIXTURE_ACTOR_IR_VERSION, MIXTURE_ACTOR_OPSET_VERSION } from '../../exporters/index.js';
import { onnx } from '../../exporters/onnx/proto/onnx.js';
import type { ExportOptions } from '../../exporters/onnx/subgraphs.js';
import { initMlp, mlpParameterCount } from '../../models/actor-critic/mlp.js';
import { componentFromUniform, greedyComponent } from '../../models/mixture-actor/head.js';
import { mixtureActorGreedy, mixtureActorHead, mixtureActorSample, type MixtureActorParams } from '../../models/mixture-actor/params.js';
import { GMMRL_VERSION } from '../../models/version.js';
import { ShapeError, ValueError } from '../../contract/errors.js';
import { metadataFromProps, validateMetadata } from '../../contract/metadata.js';
import { Rng } from '../../sdk/util/rng.js';
import { expectThrows } from '../helpers.js';
import {
  actorMeta,
  actorNoise,
  actorObservations,
  mixtureGreedyAmbiguous,
  mixtureGreedyWithBound,
  mixtureReference,
  mixtureSampleAmbiguous,
  mixtureSampleWithBound,
  randomMixtureActor,
} from './actor-fixtures.js';
import {
  actorFeeds as feeds,
  compareWebNode,
  maxDiff,
  metadataProps as props,
  requireChecker,
  runChecker,
  runOrt,
  runOrtTimes,
  type Out,
  type Runtime,
  initializer,
  noiseInputNodes,
  guardNodes,
  withoutDigest,
} from './harness.js';

const DEBUG = Boolean(process.env['GMMRL_DEBUG']);

async function run(
  rt: Runtime,
  p: MixtureActorParams,
  opts: ExportOptions,
  obs: Float32Array,
  n: number,
  noise?: { u: Float64Array; eps: Float64Array },
): Promise<Record<string, Out>> {
  const D = p.obsOffset.length;
  return runOrt(rt, exportMixtureActor(p, actorMeta(D), opts), feeds(opts.precision ?? 'float32', obs, n, D, p.head.A, noise));
}

/** The expected op sequence (module comment of exporters/onnx/mixture-actor.ts). */
function expectedOps(hiddenLayers: number, learned: boolean, inGraph: boolean): string[] {
  const ops = [...(inGraph ? [] : noiseInputNodes('mixture-actor', true).ops), 'Sub', 'Div'];
  for (let l = 0; l < hiddenLayers; l++) ops.push('MatMul', 'Add', 'Relu');
  if (learned) ops.push('MatMul', 'Add');
  ops.push('MatMul', 'Add', 'MatMul', 'Add', 'Reshape', 'Reshape', 'Tanh', 'Clip', 'Add', 'Mul', 'Add');
  ops.push(...(learned ? ['Softmax', 'ArgMax'] : ['Shape', 'Concat', 'Expand', 'ArgMax']));
  ops.push('Unsqueeze', 'GatherND', 'Tanh', 'Clip', 'Add', 'Mul', 'Add');
  if (inGraph) ops.push('RandomUniformLike', 'RandomNormalLike');
  ops.push('CumSum', 'Unsqueeze', 'Less', 'Cast', 'ReduceSum', 'Sub', 'Min');
  ops.push('Unsqueeze', 'GatherND', 'Unsqueeze', 'GatherND', 'Exp', 'Mul', 'Add', 'Tanh', 'Clip', 'Add', 'Mul', 'Add');
  if (!inGraph) ops.push(...guardNodes('mixture-actor', 'action_sampled', 2).ops);
  return ops;
}

describe('exporters/onnx/mixture-actor', function () {
  this.timeout(120_000);

  describe('graph structure and metadata', () => {
    const p = randomMixtureActor(new Rng(1), { K: 3, A: 2, D: 3, hidden: [8, 8] });
    const meta = actorMeta(3, {
      sourceCheckpointSha256: 'ef'.repeat(32),
      training: { algorithm: 'sac', env: 'Test-v0', steps: 5000, seed: 7, lr: NaN },
    });
    const bytes = exportMixtureActor(p, meta);
    const model = onnx.ModelProto.decode(bytes);
    const nodes = model.graph!.node!;

    it('has IR 8, opset 17, producer gmmrl/GMMRL_VERSION and doc strings', () => {
      expect([MIXTURE_ACTOR_IR_VERSION, MIXTURE_ACTOR_OPSET_VERSION]).to.deep.equal([8, 17]);
      expect(Number(model.ir_version.toString())).to.equal(8);
      expect(model.opset_import.map((o) => [o.domain ?? '', Number(o.version!.toString())])).to.deep.equal([['', 17]]);
      expect(model.producer_name).to.equal('gmmrl');
      expect(model.producer_version).to.equal(GMMRL_VERSION);
      expect(model.doc_string).to.contain(
        `mixture actor for Test-v0 (K=3, learned weights, MLP [3, 8, 8, 15], ${mlpParameterCount([3, 8, 8, 15])} parameters, float32)`,
      );
      expect(model.graph!.doc_string).to.match(/softmax\(logits\)/);
    });

    it('is the documented op sequence, every node named mixture-actor/…, wired as documented', () => {
      expect(nodes.map((n) => n.op_type)).to.deep.equal(expectedOps(2, true, false));
      expect(nodes.every((n) => n.name!.startsWith('mixture-actor/'))).to.equal(true);
      const by = Object.fromEntries(nodes.map((n) => [n.name!, n]));
      const attr = (n: string, a: string) => Number(by[n]!.attribute!.find((x) => x.name === a)!.i!.toString());
      expect(by['mixture-actor/normalize/sub']!.input).to.deep.equal(['obs', 'mixture-actor/obs_offset']);
      expect(by['mixture-actor/greedy/argmax']!.input).to.deep.equal(['mixture-actor/head/logits/output']);
      expect([
        attr('mixture-actor/greedy/argmax', 'axis'),
        attr('mixture-actor/greedy/argmax', 'keepdims'),
        attr('mixture-actor/greedy/argmax', 'select_last_index'),
      ]).to.deep.equal([1, 0, 0]);
      expect(attr('mixture-actor/head/weights/softmax', 'axis')).to.equal(1);
      expect(by['mixture-actor/sample/cumsum']!.input![0]).to.equal('weights');
      expect(by['mixture-actor/sample/less']!.input).to.deep.equal(['mixture-actor/sample/u_column', 'mixture-actor/sample/cdf']);
      expect(attr('mixture-actor/sample/means/gather', 'batch_dims')).to.equal(1);
      // the noise inputs have one-row NaN defaults ("no noise"), read only through Expand to obs's N rows, then the mask
      const noiseNames = noiseInputNodes('mixture-actor', true).names;
      expect(nodes.slice(0, noiseNames.length).map((n) => n.name)).to.deep.equal(noiseNames);
      expect(by['mixture-actor/noise/u_rows']!.input).to.deep.equal(['noise_u', 'mixture-actor/noise/rows']);
      expect(initializer(model, 'noise_u')).to.deep.equal({ dims: [1], values: [NaN] });
      expect(initializer(model, 'noise_eps')).to.deep.equal({ dims: [1, 2], values: [NaN, NaN] });
      expect(by['mixture-actor/noise/all']!.input).to.deep.equal(['mixture-actor/noise/u_column', 'mixture-actor/noise/eps_rows']);
      expect(by['mixture-actor/guard/action_sampled/where']!.input).to.deep.equal([
        'mixture-actor/guard/action_sampled/mask',
        'mixture-actor/guard/action_sampled/nan',
        'mixture-actor/sample/action',
      ]);
      expect(by['mixture-actor/sample/mul']!.input).to.deep.equal(['mixture-actor/sample/std', 'mixture-actor/noise/eps_rows']);
      expect(model.graph!.input!.map((v) => v.name)).to.deep.equal(['obs', 'noise_u', 'noise_eps']);
      expect(model.graph!.output!.map((v) => v.name)).to.deep.equal(['action', 'action_sampled', 'weights', 'means', 'log_std']);
    });

    it('stores the output layer as three column blocks of the float64 weights, rounded to float32 once', () => {
      const init = (name: string) => {
        const t = model.graph!.initializer!.find((x) => x.name === name)!;
        const v = new DataView(t.raw_data!.buffer, t.raw_data!.byteOffset, t.raw_data!.byteLength);
        return {
          type: t.data_type,
          dims: t.dims!.map(Number),
          values: Array.from({ length: t.raw_data!.byteLength / 4 }, (_, i) => v.getFloat32(i * 4, true)),
        };
      };
      const W = p.trunk.weights[2]!;
      const col = (c0: number, c1: number) => {
        const out: number[] = [];
        for (let i = 0; i < 8; i++) for (let j = c0; j < c1; j++) out.push(Math.fround(W[i * 15 + j]!));
        return out;
      };
      expect(init('mixture-actor/head/logits/weight')).to.deep.equal({ type: 1, dims: [8, 3], values: col(0, 3) });
      expect(init('mixture-actor/head/means/weight')).to.deep.equal({ type: 1, dims: [8, 6], values: col(3, 9) });
      expect(init('mixture-actor/head/log_std_raw/weight')).to.deep.equal({ type: 1, dims: [8, 6], values: col(9, 15) });
      expect(init('mixture-actor/head/log_std_raw/bias').values).to.deep.equal(Array.from(p.trunk.biases[2]!.subarray(9), Math.fround));
      expect(init('mixture-actor/const/log_std_span').values).to.deep.equal([3.5]);
      expect(init('mixture-actor/const/log_std_min').values).to.deep.equal([-5]);
      // −0.3 is no float32 number: the stored low is the float32 number just above it, half keeps low + 2 half ≤ high
      const low = init('mixture-actor/action_low').values;
      const half = init('mixture-actor/action_half_range').values;
      expect(low[0]).to.equal(-2);
      expect(low[1]! >= -0.3 && low[1]! - -0.3 < 3e-8).to.equal(true);
      expect(half[0]).to.equal(2);
      expect(Math.fround(low[1]! + Math.fround(2 * half[1]!)) <= 0.7).to.equal(true);
      expect(Math.abs(half[1]! - 0.5)).to.be.below(1e-7);
    });

    it('writes the metadata contract (family mixture-actor) and it round-trips through metadataFromProps', () => {
      const m = JSON.parse(props(bytes).get('gmmrl.metadata')!);
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
        'network',
        'inputs',
        'outputs',
        'source_checkpoint_sha256',
        'training',
        'model_sha256',
      ]);
      expect(m).to.deep.include({
        family: 'mixture-actor',
        env_id: 'Test-v0',
        components: 3,
        parameter_count: mlpParameterCount([3, 8, 8, 15]),
      });
      expect(m.action_space).to.deep.equal({ kind: 'box', n: 2, shape: [2], low: [-2, -0.3], high: [2, 0.7] });
      expect(m.sampling.kind).to.equal('mixture');
      expect(m.sampling.noise).to.equal('inputs');
      expect(m.sampling.formula).to.match(/first component with u < weights_0 \+ \.\.\. \+ weights_k/);
      expect(m.network).to.deep.equal({ layers: [3, 8, 8, 15], activation: 'relu' });
      expect(m.normalization.offset).to.deep.equal(Array.from(p.obsOffset, Math.fround));
      expect(m.inputs).to.deep.equal([
        { name: 'obs', dtype: 'float32', shape: ['N', 3] },
        { name: 'noise_u', dtype: 'float32', shape: ['N'] },
        { name: 'noise_eps', dtype: 'float32', shape: ['N', 2] },
      ]);
      expect(m.outputs.map((t: { name: string }) => t.name)).to.deep.equal(['action', 'action_sampled', 'weights', 'means', 'log_std']);
      expect(m.training).to.deep.equal({ algorithm: 'sac', env: 'Test-v0', steps: 5000, seed: 7, lr: null });
      expect(m).to.not.have.property('precision');
      const back = metadataFromProps(props(bytes));
      expect(withoutDigest(back)).to.deep.equal(validateMetadata(JSON.parse(JSON.stringify(mixtureActorMetadata(p, meta)))));
      expect(back.observation_space.high).to.deep.equal([10, Infinity, 12]);
    });

    it('is deterministic (same input → same bytes)', () => {
      expect(Buffer.from(exportMixtureActor(p, meta)).equals(Buffer.from(bytes))).to.equal(true);
    });

    it('round-trips the metadata of every variant (precision, noise, uniform weights, A = 1)', () => {
      for (const [q, opts] of [
        [p, { precision: 'float64', sampling: 'in-graph' }],
        [randomMixtureActor(new Rng(2), { K: 2, A: 1, D: 2, hidden: [4], weights: 'uniform' }), { sampling: 'in-graph' }],
      ] as const) {
        const D = q.obsOffset.length;
        const m = metadataFromProps(props(exportMixtureActor(q, actorMeta(D), opts)));
        expect(withoutDigest(m)).to.deep.equal(validateMetadata(JSON.parse(JSON.stringify(mixtureActorMetadata(q, actorMeta(D), opts)))));
        expect(m.sampling!.noise).to.equal('in-graph');
        expect(m.sampling!.formula).to.match(/NOT reproducible across runtimes/);
        expect(m.inputs.map((t) => t.name)).to.deep.equal(['obs']);
      }
      const m64 = metadataFromProps(props(exportMixtureActor(p, meta, { precision: 'float64' })));
      expect(m64.precision).to.equal('float64');
      expect(m64.inputs.every((t) => t.dtype === 'float64')).to.equal(true);
      expect(m64.normalization.offset).to.deep.equal(Array.from(p.obsOffset));
    });
  });

  describe('official ONNX checker (python onnx, full_check + strict shape inference)', function () {
    before(function () {
      requireChecker(this);
    });
    const variants: [string, MixtureActorParams][] = [
      ['K=3 A=2 D=3 learned', randomMixtureActor(new Rng(10), { K: 3, A: 2, D: 3, hidden: [8, 8] })],
      ['K=3 A=1 D=3 learned, one hidden layer', randomMixtureActor(new Rng(11), { K: 3, A: 1, D: 3, hidden: [6] })],
      ['K=3 A=2 D=3 uniform', randomMixtureActor(new Rng(12), { K: 3, A: 2, D: 3, hidden: [8, 8], weights: 'uniform' })],
      [
        'K=1 A=2 D=4 uniform (single squashed Gaussian)',
        randomMixtureActor(new Rng(13), { K: 1, A: 2, D: 4, hidden: [5], weights: 'uniform' }),
      ],
    ];
    for (const [what, p] of variants) {
      for (const precision of ['float32', 'float64'] as const) {
        for (const sampling of ['inputs', 'in-graph'] as const) {
          it(`${what}, ${precision}, noise ${sampling}: passes; python reads back the contract`, () => {
            const D = p.obsOffset.length;
            const { K, A } = p.head;
            const r = runChecker(exportMixtureActor(p, actorMeta(D), { precision, sampling }));
            expect(r.ok, r.stderr).to.equal(true);
            const rep = r.report!;
            const F = precision === 'float32' ? 1 : 11;
            expect(rep.ir_version).to.equal(8);
            expect(rep.opset).to.deep.equal([['', 17]]);
            expect(rep.ops).to.deep.equal(expectedOps(p.trunk.layers.length - 2, p.head.weights === 'learned', sampling === 'in-graph'));
            expect(rep.inputs).to.deep.equal(
              sampling === 'inputs'
                ? [
                    ['obs', F, ['N', D]],
                    ['noise_u', F, ['N']],
                    ['noise_eps', F, ['N', A]],
                  ]
                : [['obs', F, ['N', D]]],
            );
            expect(rep.outputs).to.deep.equal([
              ['action', F, ['N', A]],
              ['action_sampled', F, ['N', A]],
              ['weights', F, ['N', K]],
              ['means', F, ['N', K, A]],
              ['log_std', F, ['N', K, A]],
            ]);
            expect(rep.initializer_types).to.deep.equal([F, 7].sort((a, b) => a - b));
            expect(rep.value_info['mixture-actor/sample/component']).to.deep.equal([7, ['N']]);
            expect(rep.value_info['mixture-actor/sample/cdf']).to.deep.equal([F, ['N', K]]);
            expect(rep.value_info['mixture-actor/sample/u_below_cdf']).to.deep.equal([9, ['N', K]]);
            expect(rep.value_info['mixture-actor/greedy/means/rows']).to.deep.equal([F, ['N', A]]);
          });
        }
      }
    }
  });

  describe('ONNX Runtime (node cpu, web wasm) vs the float64 reference, identical noise', () => {
    const N = 200;
    const cases: [string, MixtureActorParams][] = [
      ['K=3 A=2 D=3 learned', randomMixtureActor(new Rng(20), { K: 3, A: 2, D: 3, hidden: [16, 16] })],
      ['K=3 A=1 D=3 learned', randomMixtureActor(new Rng(21), { K: 3, A: 1, D: 3, hidden: [16, 16] })],
      ['K=3 A=2 D=3 uniform', randomMixtureActor(new Rng(22), { K: 3, A: 2, D: 3, hidden: [16], weights: 'uniform' })],
    ];
    const OUTPUTS = ['action', 'action_sampled', 'weights', 'means', 'log_std'];

    /**
     * Checks one runtime's float32 outputs against the reference within the bounds; returns the
     * bound of every checked entry (NaN where a tie row was skipped), the worst ratios and the tie counts.
     */
    function checkFloat32(
      p: MixtureActorParams,
      out: Record<string, Out>,
      obs: Float32Array,
      noise: { u: Float64Array; eps: Float64Array },
      label: string,
    ) {
      const { K, A } = p.head;
      const ref = mixtureReference(p, obs, N);
      const worst: Record<string, number> = {};
      const absMax: Record<string, number> = {};
      const bounds: Record<string, Float64Array> = {};
      const check = (name: string, got: ArrayLike<number>, want: ArrayLike<number>, bound: ArrayLike<number>, offset: number) => {
        bounds[name] ??= new Float64Array(out[name]!.data.length).fill(NaN);
        for (let j = 0; j < want.length; j++) {
          const d = Math.abs(got[offset + j]! - want[j]!);
          const r = d / bound[j]!;
          expect(r, `${label} ${name}[${offset + j}]: ort ${got[offset + j]} ref ${want[j]} bound ${bound[j]}`).to.be.at.most(1);
          worst[name] = Math.max(worst[name] ?? 0, r);
          absMax[name] = Math.max(absMax[name] ?? 0, d);
          bounds[name]![offset + j] = bound[j]!;
        }
      };
      check('weights', out['weights']!.data, ref.weights, ref.weightsB, 0);
      check('means', out['means']!.data, ref.means, ref.meansB, 0);
      check('log_std', out['log_std']!.data, ref.logStd, ref.logStdB, 0);
      let greedyTies = 0;
      let sampleTies = 0;
      for (let i = 0; i < N; i++) {
        const obsRow = obs.subarray(i * 3, i * 3 + 3);
        const h = mixtureActorHead(p, obsRow);
        const act = out['action']!.data;
        const smp = out['action_sampled']!.data;
        if (mixtureGreedyAmbiguous(p, ref, i)) greedyTies++;
        else {
          const g = mixtureGreedyWithBound(p, ref, i, greedyComponent(h));
          const direct = mixtureActorGreedy(p, obsRow);
          for (let d = 0; d < A; d++) expect(Math.abs(g.value[d]! - direct[d]!)).to.be.below(1e-12);
          check('action', act, g.value, g.bound, i * A);
        }
        const uu = noise.u[i]!;
        const eps = noise.eps.subarray(i * A, (i + 1) * A);
        if (mixtureSampleAmbiguous(p, ref, i, uu)) sampleTies++;
        else {
          const sm = mixtureSampleWithBound(p, ref, i, componentFromUniform(h.logW, uu), eps);
          const direct = mixtureActorSample(p, obsRow, uu, eps);
          for (let d = 0; d < A; d++) expect(Math.abs(sm.value[d]! - direct[d]!)).to.be.below(1e-12);
          check('action_sampled', smp, sm.value, sm.bound, i * A);
        }
        // every action lies within the bounds exactly (Clip after Tanh and the stored scaling constants guarantee it)
        for (let d = 0; d < A; d++) {
          expect(
            act[i * A + d]! >= p.actionLow[d]! && act[i * A + d]! <= p.actionHigh[d]!,
            `${label} action row ${i}: ${act[i * A + d]}`,
          ).to.equal(true);
          expect(
            smp[i * A + d]! >= p.actionLow[d]! && smp[i * A + d]! <= p.actionHigh[d]!,
            `${label} action_sampled row ${i}: ${smp[i * A + d]}`,
          ).to.equal(true);
        }
        // weights sum to 1 within float32 rounding
        let sw = 0;
        for (let k = 0; k < K; k++) sw += out['weights']!.data[i * K + k]!;
        expect(Math.abs(sw - 1)).to.be.below(1e-6);
      }
      expect(Object.keys(worst).sort()).to.deep.equal([...OUTPUTS].sort());
      return { worst, absMax, bounds, greedyTies, sampleTies };
    }

    for (const [what, p] of cases) {
      it(`${what}, float32: node and web each within the float32 bound of every output; web − node within 2B; ties rare`, async () => {
        const rng = new Rng(what.length * 31);
        const obs = actorObservations(rng, p, N);
        const noise = actorNoise(rng, N, p.head.A, 'float32');
        const outs = { node: await run('node', p, {}, obs, N, noise), web: await run('web', p, {}, obs, N, noise) };
        const res = { node: checkFloat32(p, outs.node, obs, noise, 'node'), web: checkFloat32(p, outs.web, obs, noise, 'web') };
        for (const rt of ['node', 'web'] as const) {
          const r = res[rt];
          if (DEBUG)
            console.log(
              `mixture ${what} float32 ${rt}: max |Δ|/B ${JSON.stringify(r.worst)} max |Δ| ${JSON.stringify(r.absMax)} ties greedy ${r.greedyTies} sampled ${r.sampleTies}`,
            );
          expect(r.greedyTies + r.sampleTies, `${rt}: rows at a tie are rare`).to.be.at.most(0.02 * N);
        }
        for (const k of OUTPUTS) expect(outs.web[k]!.type).to.equal('float32');
        const { maxAbs: webNode, unequal, total } = compareWebNode(outs.web, outs.node, OUTPUTS, (k, j) => 2 * res.node.bounds[k]![j]!);
        if (DEBUG)
          console.log(
            `mixture ${what} float32 web vs node: max |Δ| ${JSON.stringify(webNode)}, ${unequal}/${total} entries not bitwise equal`,
          );
      });

      it(`${what}, float64: node and web within 1e-9·(1 + |ref|) of the reference, web − node within 1e-12·(1 + |node|)`, async () => {
        const rng = new Rng(what.length * 37);
        const { K, A } = p.head;
        const obs = actorObservations(rng, p, N);
        const noise = actorNoise(rng, N, A, 'float64');
        const ref = mixtureReference(p, obs, N);
        const wantAct: number[] = [];
        const wantSmp: number[] = [];
        for (let i = 0; i < N; i++) {
          const o = obs.subarray(i * 3, i * 3 + 3);
          wantAct.push(...mixtureActorGreedy(p, o));
          wantSmp.push(...mixtureActorSample(p, o, noise.u[i]!, noise.eps.subarray(i * A, (i + 1) * A)));
        }
        const want: Record<string, ArrayLike<number>> = {
          weights: ref.weights,
          means: ref.means,
          log_std: ref.logStd,
          action: wantAct,
          action_sampled: wantSmp,
        };
        const outs = {
          node: await run('node', p, { precision: 'float64' }, obs, N, noise),
          web: await run('web', p, { precision: 'float64' }, obs, N, noise),
        };
        for (const rt of ['node', 'web'] as const) {
          const rel: Record<string, number> = {};
          for (const k of OUTPUTS) {
            expect(outs[rt][k]!.type, k).to.equal('float64');
            rel[k] = maxDiff(outs[rt][k]!.data, want[k]!).rel;
            expect(rel[k], `${rt} ${k}`).to.be.at.most(1e-9);
          }
          if (DEBUG) console.log(`mixture ${what} float64 ${rt}: max |Δ|/(1+|ref|) ${JSON.stringify(rel)}`);
        }
        const wn: Record<string, number> = {};
        for (const k of OUTPUTS) {
          wn[k] = maxDiff(outs.web[k]!.data, outs.node[k]!.data).rel;
          expect(wn[k], `web vs node ${k}`).to.be.at.most(1e-12);
        }
        if (DEBUG) console.log(`mixture ${what} float64 web vs node: ${JSON.stringify(wn)}`);
        expect(outs.node['weights']!.dims).to.deep.equal([N, K]);
      });
    }

    it('N = 1 single rows match the reference within the float32 bound', async () => {
      const p = cases[0]![1];
      const rng = new Rng(99);
      const obs = actorObservations(rng, p, 5);
      const noise = actorNoise(rng, 5, 2, 'float32');
      const ref = mixtureReference(p, obs, 5);
      for (let i = 0; i < 5; i++) {
        const one = await run('node', p, {}, obs.slice(i * 3, i * 3 + 3), 1, {
          u: noise.u.slice(i, i + 1),
          eps: noise.eps.slice(i * 2, i * 2 + 2),
        });
        expect(one['action']!.dims).to.deep.equal([1, 2]);
        for (let j = 0; j < 6; j++)
          expect(Math.abs(one['means']!.data[j]! - ref.means[i * 6 + j]!), `row ${i}`).to.be.at.most(ref.meansB[i * 6 + j]!);
        if (!mixtureGreedyAmbiguous(p, ref, i)) {
          const g = mixtureGreedyWithBound(p, ref, i, greedyComponent(mixtureActorHead(p, obs.subarray(i * 3, i * 3 + 3))));
          for (let d = 0; d < 2; d++) expect(Math.abs(one['action']!.data[d]! - g.value[d]!)).to.be.at.most(g.bound[d]!);
        }
      }
    });
  });

  describe('known weights, means and spreads: the sampled actions follow the mixture', () => {
    /** A mixture actor with no hidden layer and zero weights: the head is its bias (same for every state). */
    function fixedMixture(weights: number[], means: number[], rho: number): MixtureActorParams {
      const K = weights.length;
      const trunk = initMlp([2, 2 * K + K], new Rng(0));
      trunk.weights[0]!.fill(0);
      trunk.biases[0]!.set([...weights.map(Math.log), ...means, ...new Array(K).fill(rho)]);
      return {
        head: { K, A: 1, weights: 'learned', logStdMin: -5, logStdMax: 2 },
        trunk,
        obsOffset: Float64Array.of(0, 0),
        obsScale: Float64Array.of(1, 1),
        actionLow: Float64Array.of(-1),
        actionHigh: Float64Array.of(1),
      };
    }
    // weights 0.2 / 0.5 / 0.3, means −1 / 0 / 1 (pre-tanh), σ = exp(−5 + 3.5 (tanh(−2) + 1)) ≈ 0.0159
    const p = fixedMixture([0.2, 0.5, 0.3], [-1, 0, 1], -2);
    const sigma = Math.exp(-5 + 3.5 * (Math.tanh(-2) + 1));
    const N = 6000;
    const obs = new Float32Array(2 * N);

    function stats(a: ArrayLike<number>): { freq: number[]; z: { mean: number; sd: number } } {
      const count = [0, 0, 0];
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < N; i++) {
        const x = Math.atanh(a[i]!);
        const k = x < -0.5 ? 0 : x < 0.5 ? 1 : 2;
        count[k]!++;
        const e = (x - (k - 1)) / sigma;
        s += e;
        s2 += e * e;
      }
      const mean = s / N;
      return { freq: count.map((c) => c / N), z: { mean, sd: Math.sqrt(s2 / N - mean * mean) } };
    }

    it('noise inputs: component frequencies = weights, ε recovered exactly (reference), greedy = tanh(0)', async () => {
      const rng = new Rng(3);
      const noise = actorNoise(rng, N, 1, 'float64');
      const out = await run('node', p, { precision: 'float64' }, obs, N, noise);
      expect(Array.from((out['action']!.data as Float64Array).subarray(0, 3))).to.deep.equal([0, 0, 0]);
      const st = stats(out['action_sampled']!.data);
      for (const [k, w] of [0.2, 0.5, 0.3].entries())
        expect(Math.abs(st.freq[k]! - w), `component ${k}`).to.be.below(5 * Math.sqrt((w * (1 - w)) / N));
      for (let i = 0; i < N; i++)
        expect((out['action_sampled']!.data as Float64Array)[i]).to.be.closeTo(
          mixtureActorSample(p, obs.subarray(0, 2), noise.u[i]!, [noise.eps[i]!])[0]!,
          1e-12,
        );
    });

    for (const rt of ['node', 'web'] as const) {
      for (const precision of ['float32', 'float64'] as const) {
        it(`in-graph noise (${rt}, ${precision}): frequencies = weights, (x − mean)/σ ~ N(0, 1), actions within the bounds`, async () => {
          const out = await run(rt, p, { precision, sampling: 'in-graph' }, obs, N);
          const a = out['action_sampled']!.data;
          for (let i = 0; i < N; i++) expect(a[i]! >= -1 && a[i]! <= 1, `row ${i}: ${a[i]}`).to.equal(true);
          const st = stats(a);
          if (DEBUG)
            console.log(
              `in-graph ${rt} ${precision}: freq ${st.freq.map((f) => f.toFixed(3))} z ${st.z.mean.toFixed(3)} ± ${st.z.sd.toFixed(3)}`,
            );
          for (const [k, w] of [0.2, 0.5, 0.3].entries())
            expect(Math.abs(st.freq[k]! - w), `component ${k}`).to.be.below(5 * Math.sqrt((w * (1 - w)) / N));
          expect(Math.abs(st.z.mean)).to.be.below(5 / Math.sqrt(N));
          // (float32: atanh of the float32 action moves x/σ by ~2e-5 at most; 0.05 is 5 standard errors of a sample sd)
          expect(Math.abs(st.z.sd - 1)).to.be.below(0.05);
        });
      }
    }
  });

  describe('in-graph noise variant', () => {
    const p = randomMixtureActor(new Rng(40), { K: 3, A: 2, D: 3, hidden: [8] });
    for (const precision of ['float32', 'float64'] as const) {
      it(`${precision}: runs on node and web, action_sampled within [low, high], deterministic outputs equal the inputs variant's`, async () => {
        const rng = new Rng(41);
        const N = 200;
        const obs = actorObservations(rng, p, N);
        const noise = actorNoise(rng, N, 2, precision);
        for (const rt of ['node', 'web'] as const) {
          const ref = await run(rt, p, { precision }, obs, N, noise);
          const [a, b] = (await runOrtTimes(
            rt,
            exportMixtureActor(p, actorMeta(3), { precision, sampling: 'in-graph' }),
            feeds(precision, obs, N, 3, 2),
            2,
          )) as [Record<string, Out>, Record<string, Out>];
          // the same runtime computes the noise-free outputs with the same ops: bitwise equal
          for (const k of ['action', 'weights', 'means', 'log_std'])
            expect(Array.from(a[k]!.data), `${rt} ${k}`).to.deep.equal(Array.from(ref[k]!.data));
          const s = a['action_sampled']!.data;
          for (let i = 0; i < N; i++) {
            for (let d = 0; d < 2; d++) {
              const x = s[i * 2 + d]!;
              expect(x >= p.actionLow[d]! && x <= p.actionHigh[d]!, `${rt} row ${i} entry ${d}: ${x}`).to.equal(true);
            }
          }
          expect(
            maxDiff(a['action_sampled']!.data, b['action_sampled']!.data).abs,
            'two runs of one session draw different noise',
          ).to.be.greaterThan(0);
        }
      });
    }
  });

  describe('input validation', () => {
    const good = randomMixtureActor(new Rng(3), { K: 2, A: 2, D: 2, hidden: [4] });
    const meta = actorMeta(2);
    const withP = (patch: Partial<Record<keyof MixtureActorParams, unknown>>): MixtureActorParams =>
      ({ ...good, ...patch }) as MixtureActorParams;

    it('rejects parameters that do not fit the head, naming the field and the value', () => {
      expectThrows(
        () => exportMixtureActor(withP({ head: { ...good.head, K: 3 } }), meta),
        ShapeError,
        /exportMixtureActor: the trunk outputs 10 numbers but a head with K = 3, A = 2, learned weights needs 15/,
      );
      expectThrows(() => exportMixtureActor(withP({ head: { ...good.head, K: 0 } }), meta), ValueError, /components K = 0/);
      expectThrows(
        () => exportMixtureActor(withP({ obsScale: Float64Array.of(1, 0) }), meta),
        ValueError,
        /obsScale\[1\] = 0; every scale must be > 0/,
      );
      expectThrows(
        () => exportMixtureActor(withP({ obsScale: Float64Array.of(1, 1e-50) }), meta),
        ValueError,
        /obsScale\[1\] = 1e-50 must be > 0 in float32/,
      );
      expectThrows(
        () => exportMixtureActor(withP({ actionLow: Float64Array.of(-1, 2), actionHigh: Float64Array.of(1, 2) }), meta),
        ValueError,
        /action bounds \[2, 2\] of entry 1 need low < high/,
      );
      expectThrows(
        () => exportMixtureActor(withP({ actionLow: Float64Array.of(-1) }), meta),
        ShapeError,
        /actionLow must be a Float64Array of length 2/,
      );
      expectThrows(
        () => exportMixtureActor(withP({ actionLow: Float64Array.of(-1, 1), actionHigh: Float64Array.of(1, 1 + 1e-12) }), meta),
        ValueError,
        /action bounds \[1, 1\.000000000001\] of entry 1 are too close together .* for float32/,
      );
      expect(() =>
        exportMixtureActor(withP({ actionLow: Float64Array.of(-1, 1), actionHigh: Float64Array.of(1, 1 + 1e-12) }), meta, {
          precision: 'float64',
        }),
      ).to.not.throw();
    });

    it('rejects non-finite parameters and float32 overflow (float64 accepts the latter)', () => {
      const w = good.trunk.weights[1]!.slice();
      w[3] = NaN;
      expectThrows(
        () => exportMixtureActor(withP({ trunk: { ...good.trunk, weights: [good.trunk.weights[0]!, w] } }), meta),
        ValueError,
        /trunk: weights\[1\]\[3\] is NaN/,
      );
      const big = good.trunk.biases[0]!.slice();
      big[1] = 1e39;
      const bigP = withP({ trunk: { ...good.trunk, biases: [big, good.trunk.biases[1]!] } });
      expectThrows(
        () => exportMixtureActor(bigP, meta),
        ValueError,
        /trunk\.biases\[0\]\[1\] = 1e\+39 does not fit in float32 .* precision: 'float64'/,
      );
      expect(() => exportMixtureActor(bigP, meta, { precision: 'float64' })).to.not.throw();
      expectThrows(
        () => exportMixtureActor(withP({ obsOffset: Float64Array.of(0, Infinity) }), meta),
        ValueError,
        /obsOffset\[1\] is Infinity/,
      );
    });

    it('rejects export metadata that does not match, naming the field', () => {
      expectThrows(
        () => exportMixtureActor(good, actorMeta(3)),
        ShapeError,
        /meta\.observationSpace\.shape = \[3\] has 3 entries but the network's input size D is 2/,
      );
      expectThrows(
        () => exportMixtureActor(good, { ...meta, envId: '' }),
        ValueError,
        /exportMixtureActor: meta\.envId must be a non-empty string/,
      );
      expectThrows(
        () => exportMixtureActor(good, { ...meta, sourceCheckpointSha256: 'abc' }),
        ValueError,
        /sourceCheckpointSha256 must be 64 lower-case hex digits, got "abc"/,
      );
      expectThrows(
        () => exportMixtureActor(good, { ...meta, training: [] as unknown as Record<string, unknown> }),
        ValueError,
        /meta\.training must be a plain object/,
      );
      expectThrows(
        () => exportMixtureActor(good, { ...meta, observationSpace: { shape: [2], low: [0, NaN], high: [1, 1] } }),
        ValueError,
        /observationSpace\.low\[1\] is NaN/,
      );
      expectThrows(
        () => exportMixtureActor(good, { ...meta, training: { steps: 1n } as unknown as Record<string, unknown> }),
        ValueError,
        /bigint/,
      );
    });

    it('rejects bad options, naming the option and the value', () => {
      expectThrows(
        () => exportMixtureActor(good, meta, { precision: 'float16' as never }),
        ValueError,
        /options\.precision = "float16" must be "float32" \(default\) or "float64"/,
      );
      expectThrows(
        () => exportMixtureActor(good, meta, { sampling: 'none' as never }),
        ValueError,
        /options\.sampling = "none" must be "inputs" .* or "in-graph"/,
      );
      expectThrows(() => exportMixtureActor(good, meta, { precison: 'float64' } as never), ValueError, /unknown option "precison"/);
      expectThrows(() => exportMixtureActor(good, meta, 5 as never), ValueError, /options must be \{ precision\?, sampling\? \}, got 5/);
    });
  });
});
