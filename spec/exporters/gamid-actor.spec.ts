/**
 * Gamid actor → ONNX exporter: structure and metadata, the official checker for every variant, and
 * the numbers of ONNX Runtime (node cpu; web wasm in Node) against the float64 reference
 * (models/gamid-actor/params.ts gamidComponents / gamidGreedy / gamidSample, models/sampling.ts)
 * with identical noise.
 *
 * Tolerances:
 * - float32: every output entry within its worst-case first-order float32 bound B of the float64
 *   value (actor-fixtures.ts: the MLP bound of models/actor-critic/float32-bound.ts for the C
 *   component nets, tanh, then the critic reading [z, μ_i] with their bounds as input error).
 *   The greedy index equals the reference's argmax except where the reference's best two q are
 *   within their bounds' sum (a tie); the sampled index equals epsilonGreedyIndex(q_ref, u, ε)
 *   except at such ties or where u is within float32 rounding of ε or of a boundary of
 *   floor(u/ε·C). Those rows are counted and must be rare (≤ 2 %). Actions are compared with the
 *   reference's action of the component the graph chose (so tie rows are still checked to B).
 * - float64: |Δ| ≤ 1e-9·(1 + |ref|) for every float output; indices equal the reference's except
 *   at float64 ties (q within 1e-12 relative: far outside the data two components can saturate to
 *   actions 1e-13 apart), counted and rare; actions use the graph's component.
 * - web (wasm) vs node (cpu): both held to the same reference bounds; web − node ≤ 2B in float32,
 *   ≤ 1e-12·(1 + |node|) in float64.
 */
import { expect } from 'chai';
import { exportGamidActor, gamidActorMetadata, GAMID_ACTOR_IR_VERSION, GAMID_ACTOR_OPSET_VERSION } from '../../exporters/index.js';
import { onnx } from '../../exporters/onnx/proto/onnx.js';
import type { ExportOptions } from '../../exporters/onnx/subgraphs.js';
import { mlpParameterCount } from '../../models/actor-critic/mlp.js';
import { argmax, gamidComponents, gamidGreedy, gamidSample, normalizeObs, type GamidActorParams } from '../../models/gamid-actor/params.js';
import { epsilonGreedyIndex } from '../../models/sampling.js';
import { GMMRL_VERSION } from '../../models/version.js';
import { ShapeError, ValueError } from '../../contract/errors.js';
import { metadataFromProps, validateMetadata } from '../../contract/metadata.js';
import { Rng } from '../../sdk/util/rng.js';
import { expectThrows } from '../helpers.js';
import {
  actorMeta,
  actorNoise,
  actorObservations,
  epsilonBoundary,
  gamidComponentWithBound,
  gamidGreedyAmbiguous,
  gamidReference,
  gamidSampleWithBound,
  randomGamidActor,
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
  p: GamidActorParams,
  opts: ExportOptions,
  obs: Float32Array,
  n: number,
  noise?: { u: Float64Array; eps: Float64Array },
): Promise<Record<string, Out>> {
  const D = p.obsOffset.length;
  return runOrt(rt, exportGamidActor(p, actorMeta(D), opts), feeds(opts.precision ?? 'float32', obs, n, D, p.actionLow.length, noise));
}

/** The expected op sequence (module comment of exporters/onnx/gamid-actor.ts). */
function expectedOps(p: GamidActorParams, inGraph: boolean): string[] {
  const L = p.actors[0]!.layers.length - 1;
  const Lc = p.critic.layers.length - 1;
  const ops = [...(inGraph ? [] : noiseInputNodes('gamid-actor', true).ops), 'Sub', 'Div', 'Unsqueeze'];
  for (let l = 0; l < L; l++) ops.push('MatMul', 'Add', ...(l < L - 1 ? ['Relu'] : []));
  ops.push('Tanh', 'Clip', 'Reshape');
  ops.push('MatMul', 'Unsqueeze', 'MatMul', 'Add', 'Add', ...(Lc > 1 ? ['Relu'] : []));
  for (let l = 1; l < Lc; l++) ops.push('MatMul', 'Add', ...(l < Lc - 1 ? ['Relu'] : []));
  ops.push('Reshape', 'ArgMax', 'Add', 'Mul', 'Add', 'Unsqueeze', 'GatherND');
  if (inGraph) ops.push(...(p.epsilon > 0 ? ['RandomUniformLike'] : []), 'RandomNormalLike');
  ops.push(...(p.epsilon === 0 ? ['Identity'] : ['Less', 'Div', 'Mul', 'Floor', 'Clip', 'Cast', 'Where']));
  if (!inGraph) ops.push(...guardNodes('gamid-actor', 'action_sampled_index', 1).ops);
  ops.push('Unsqueeze', 'GatherND', 'Mul', 'Add', 'Clip', 'Add', 'Mul', 'Add');
  if (!inGraph) ops.push(...guardNodes('gamid-actor', 'action_sampled', 2).ops);
  return ops;
}

describe('models: epsilonGreedyIndex and gamidSample (float64 references)', () => {
  it('epsilonGreedyIndex: greedy (first on ties) when u ≥ ε, else min(floor(u/ε·n), n − 1); ε = 0 always greedy', () => {
    const q = [0.5, 2, 2, -1];
    expect(epsilonGreedyIndex(q, 0.7, 0.5)).to.equal(1);
    expect(epsilonGreedyIndex(q, 0.5, 0.5)).to.equal(1);
    expect([0, 0.124, 0.125, 0.3, 0.37499, 0.375, 0.4999].map((u) => epsilonGreedyIndex(q, u, 0.5))).to.deep.equal([0, 0, 1, 2, 2, 3, 3]);
    expect(epsilonGreedyIndex(q, 0, 0)).to.equal(1);
    expect(epsilonGreedyIndex(q, 0.999, 1)).to.equal(3);
    // uniform over the n choices given u < ε
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[epsilonGreedyIndex(q, (i + 0.5) / 4000 / 10, 0.1)]!++;
    expect(counts).to.deep.equal([1000, 1000, 1000, 1000]);
    expectThrows(() => epsilonGreedyIndex(q, 1, 0.1), ValueError, /u = 1 must be a uniform number in \[0, 1\)/);
    expectThrows(() => epsilonGreedyIndex(q, 0.2, 1.5), ValueError, /epsilon = 1\.5 must be a probability in \[0, 1\]/);
    expectThrows(() => epsilonGreedyIndex([], 0.2, 0.1), ValueError, /q must hold at least one score/);
  });

  it('gamidSample: the ε-greedy component, clip(μ + σ eps, −1, 1), scaled; greedy component when u ≥ ε', () => {
    const p = randomGamidActor(new Rng(1), { C: 3, A: 2, D: 3, hidden: [8], criticHidden: [8], epsilon: 0.3, explorationStd: 0.5 });
    const obs = [0.3, -1, 2];
    const { mu, q } = gamidComponents(p.actors, p.critic, normalizeObs(p, obs));
    const best = argmax(q);
    const g = gamidSample(p, obs, 0.9, [0, 0]);
    expect(g.index).to.equal(best);
    expect(Array.from(g.action)).to.deep.equal(Array.from(gamidGreedy(p, obs)));
    for (const [u, want] of [
      [0.05, 0],
      [0.15, 1],
      [0.29, 2],
    ] as const) {
      const s = gamidSample(p, obs, u, [10, -0.2]);
      expect(s.index).to.equal(want);
      const a0 = 1; // μ + 0.5·10 > 1: clipped
      const a1 = Math.max(-1, Math.min(1, mu[want * 2 + 1]! - 0.1));
      expect(s.action[0]).to.equal(-2 + (a0 + 1) * 2);
      expect(s.action[1]).to.be.closeTo(-0.3 + (a1 + 1) * 0.5, 1e-15);
    }
    expectThrows(() => gamidSample(p, obs, 0.5, [0]), ShapeError, /eps must hold A = 2 standard normal numbers, got 1/);
  });
});

describe('exporters/onnx/gamid-actor', function () {
  this.timeout(120_000);

  describe('graph structure and metadata', () => {
    const p = randomGamidActor(new Rng(1), { C: 3, A: 2, D: 3, hidden: [8, 8], criticHidden: [8, 8] });
    const meta = actorMeta(3, {
      sourceCheckpointSha256: 'a1'.repeat(32),
      training: { algorithm: 'gamid', env: 'Test-v0', steps: 2000, seed: 4 },
    });
    const bytes = exportGamidActor(p, meta);
    const model = onnx.ModelProto.decode(bytes);
    const nodes = model.graph!.node!;
    const count = 3 * mlpParameterCount([3, 8, 8, 2]) + mlpParameterCount([5, 8, 8, 1]);

    it('has IR 8, opset 17, producer gmmrl/GMMRL_VERSION and doc strings', () => {
      expect([GAMID_ACTOR_IR_VERSION, GAMID_ACTOR_OPSET_VERSION]).to.deep.equal([8, 17]);
      expect(Number(model.ir_version.toString())).to.equal(8);
      expect(model.opset_import.map((o) => [o.domain ?? '', Number(o.version!.toString())])).to.deep.equal([['', 17]]);
      expect(model.producer_name).to.equal('gmmrl');
      expect(model.producer_version).to.equal(GMMRL_VERSION);
      expect(model.doc_string).to.contain(
        `Gamid actor for Test-v0 (C=3 components MLP [3, 8, 8, 2], critic [5, 8, 8, 1], ${count} parameters, float32, epsilon 0.3, exploration_std 0.2)`,
      );
    });

    it('is the documented op sequence, every node named gamid-actor/…, wired as documented', () => {
      expect(nodes.map((n) => n.op_type)).to.deep.equal(expectedOps(p, false));
      expect(nodes.every((n) => n.name!.startsWith('gamid-actor/'))).to.equal(true);
      const by = Object.fromEntries(nodes.map((n) => [n.name!, n]));
      expect(by['gamid-actor/actors/layer0/matmul']!.input).to.deep.equal(['gamid-actor/actors/z_4d', 'gamid-actor/actors/layer0/weight']);
      expect(by['gamid-actor/critic/layer0/matmul_z']!.input).to.deep.equal([
        'gamid-actor/normalize/z',
        'gamid-actor/critic/layer0/weight_z',
      ]);
      expect(by['gamid-actor/critic/layer0/matmul_mu']!.input).to.deep.equal([
        'gamid-actor/actors/mu',
        'gamid-actor/critic/layer0/weight_mu',
      ]);
      expect(by['gamid-actor/greedy/argmax']!.output).to.deep.equal(['action_index']);
      expect(by['gamid-actor/greedy/action/gather']!.input).to.deep.equal(['component_actions', 'gamid-actor/greedy/action/index_column']);
      expect(by['gamid-actor/sample/epsilon_greedy/where']!.input).to.deep.equal([
        'gamid-actor/sample/epsilon_greedy/explore',
        'gamid-actor/sample/epsilon_greedy/random_index',
        'action_index',
      ]);
      // the noise inputs have one-row NaN defaults ("no noise"), read only through Expand to obs's N rows, then the mask
      const noiseNames = noiseInputNodes('gamid-actor', true).names;
      expect(nodes.slice(0, noiseNames.length).map((n) => n.name)).to.deep.equal(noiseNames);
      expect(by['gamid-actor/noise/u_rows']!.input).to.deep.equal(['noise_u', 'gamid-actor/noise/rows']);
      expect(by['gamid-actor/noise/eps_rows']!.input).to.deep.equal(['noise_eps', 'gamid-actor/noise/eps_shape']);
      expect(initializer(model, 'noise_u')).to.deep.equal({ dims: [1], values: [NaN] });
      expect(initializer(model, 'noise_eps')).to.deep.equal({ dims: [1, 2], values: [NaN, NaN] });
      expect(by['gamid-actor/noise/all']!.input).to.deep.equal(['gamid-actor/noise/u_column', 'gamid-actor/noise/eps_rows']);
      expect(by['gamid-actor/guard/action_sampled/where']!.input).to.deep.equal([
        'gamid-actor/guard/action_sampled/mask',
        'gamid-actor/guard/action_sampled/nan',
        'gamid-actor/sample/action',
      ]);
      expect(by['gamid-actor/sample/epsilon_greedy/less']!.input).to.deep.equal([
        'gamid-actor/noise/u_rows',
        'gamid-actor/sample/epsilon_greedy/epsilon',
      ]);
      expect(model.graph!.input!.map((v) => v.name)).to.deep.equal(['obs', 'noise_u', 'noise_eps']);
      expect(model.graph!.output!.map((v) => v.name)).to.deep.equal([
        'action',
        'action_index',
        'action_sampled',
        'action_sampled_index',
        'component_actions',
        'q',
      ]);
    });

    it("stacks the C actors layer by layer and splits the critic's first layer by rows (float32 rounded once)", () => {
      const init = (name: string) => {
        const t = model.graph!.initializer!.find((x) => x.name === name)!;
        const v = new DataView(t.raw_data!.buffer, t.raw_data!.byteOffset, t.raw_data!.byteLength);
        return {
          dims: t.dims!.map(Number),
          values: Array.from({ length: t.raw_data!.byteLength / 4 }, (_, i) => v.getFloat32(i * 4, true)),
        };
      };
      const f = (a: ArrayLike<number>) => Array.from(a, Math.fround);
      expect(init('gamid-actor/actors/layer1/weight')).to.deep.equal({
        dims: [3, 8, 8],
        values: p.actors.flatMap((a) => f(a.weights[1]!)),
      });
      expect(init('gamid-actor/actors/layer2/bias')).to.deep.equal({ dims: [3, 1, 2], values: p.actors.flatMap((a) => f(a.biases[2]!)) });
      expect(init('gamid-actor/critic/layer0/weight_z')).to.deep.equal({ dims: [3, 8], values: f(p.critic.weights[0]!.subarray(0, 24)) });
      expect(init('gamid-actor/critic/layer0/weight_mu')).to.deep.equal({ dims: [2, 8], values: f(p.critic.weights[0]!.subarray(24)) });
      expect(init('gamid-actor/sample/epsilon_greedy/epsilon').values).to.deep.equal([Math.fround(0.3)]);
      expect(init('gamid-actor/const/exploration_std').values).to.deep.equal([Math.fround(0.2)]);
    });

    it('writes the metadata contract (family gamid-actor) and it round-trips through metadataFromProps', () => {
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
        family: 'gamid-actor',
        components: 3,
        parameter_count: count,
        source_checkpoint_sha256: 'a1'.repeat(32),
      });
      expect(m.action_space).to.deep.equal({ kind: 'box', n: 2, shape: [2], low: [-2, -0.3], high: [2, 0.7] });
      expect(m.sampling).to.deep.include({ kind: 'gamid', noise: 'inputs', epsilon: 0.3, exploration_std: 0.2 });
      expect(m.sampling.formula).to.match(/u < epsilon \? min\(floor\(u \/ epsilon \* C\), C - 1\) : argmax_i q_i/);
      expect(m.network).to.deep.equal({ layers: [3, 8, 8, 2], activation: 'relu', critic_layers: [5, 8, 8, 1] });
      expect(m.outputs).to.deep.equal([
        { name: 'action', dtype: 'float32', shape: ['N', 2] },
        { name: 'action_index', dtype: 'int64', shape: ['N'] },
        { name: 'action_sampled', dtype: 'float32', shape: ['N', 2] },
        { name: 'action_sampled_index', dtype: 'int64', shape: ['N'] },
        { name: 'component_actions', dtype: 'float32', shape: ['N', 3, 2] },
        { name: 'q', dtype: 'float32', shape: ['N', 3] },
      ]);
      expect(m.training).to.deep.equal({ algorithm: 'gamid', env: 'Test-v0', steps: 2000, seed: 4 });
      expect(withoutDigest(metadataFromProps(props(bytes)))).to.deep.equal(
        validateMetadata(JSON.parse(JSON.stringify(gamidActorMetadata(p, meta)))),
      );
      for (const opts of [{ precision: 'float64' }, { sampling: 'in-graph' }, { precision: 'float64', sampling: 'in-graph' }] as const) {
        const back = metadataFromProps(props(exportGamidActor(p, meta, opts)));
        expect(withoutDigest(back)).to.deep.equal(validateMetadata(JSON.parse(JSON.stringify(gamidActorMetadata(p, meta, opts)))));
        expect(back.precision ?? 'float32').to.equal(opts.precision ?? 'float32');
        expect(back.sampling!.noise).to.equal(opts.sampling ?? 'inputs');
        if (opts.sampling === 'in-graph') {
          expect(back.inputs.map((t) => t.name)).to.deep.equal(['obs']);
          expect(back.sampling!.formula).to.match(/NOT reproducible across runtimes/);
        }
      }
    });

    it('is deterministic (same input → same bytes)', () => {
      expect(Buffer.from(exportGamidActor(p, meta)).equals(Buffer.from(bytes))).to.equal(true);
    });
  });

  const VARIANTS: [string, GamidActorParams][] = [
    ['C=3 A=2 D=3, critic [5, 8, 8, 1]', randomGamidActor(new Rng(10), { C: 3, A: 2, D: 3, hidden: [8], criticHidden: [8, 8] })],
    ['C=1 A=1 D=3 (TD3), actor [3, 6, 6, 1]', randomGamidActor(new Rng(11), { C: 1, A: 1, D: 3, hidden: [6, 6], criticHidden: [6] })],
    [
      'C=2 A=2 D=2, linear critic, epsilon 0',
      randomGamidActor(new Rng(12), { C: 2, A: 2, D: 2, hidden: [4], criticHidden: [], epsilon: 0 }),
    ],
  ];

  describe('official ONNX checker (python onnx, full_check + strict shape inference)', function () {
    before(function () {
      requireChecker(this);
    });
    for (const [what, p] of VARIANTS) {
      for (const precision of ['float32', 'float64'] as const) {
        for (const sampling of ['inputs', 'in-graph'] as const) {
          it(`${what}, ${precision}, noise ${sampling}: passes; python reads back the contract`, () => {
            const D = p.obsOffset.length;
            const A = p.actionLow.length;
            const C = p.actors.length;
            const r = runChecker(exportGamidActor(p, actorMeta(D), { precision, sampling }));
            expect(r.ok, r.stderr).to.equal(true);
            const rep = r.report!;
            const F = precision === 'float32' ? 1 : 11;
            expect(rep.ir_version).to.equal(8);
            expect(rep.opset).to.deep.equal([['', 17]]);
            expect(rep.ops).to.deep.equal(expectedOps(p, sampling === 'in-graph'));
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
              ['action_index', 7, ['N']],
              ['action_sampled', F, ['N', A]],
              ['action_sampled_index', 7, ['N']],
              ['component_actions', F, ['N', C, A]],
              ['q', F, ['N', C]],
            ]);
            expect(rep.initializer_types).to.deep.equal([F, 7].sort((a, b) => a - b));
            expect(rep.value_info['gamid-actor/actors/mu']).to.deep.equal([F, ['N', C, A]]);
            expect(rep.value_info['gamid-actor/critic/layer0/linear']).to.deep.equal([F, ['N', C, p.critic.layers[1]!]]);
            expect(rep.value_info['gamid-actor/sample/mu/rows']).to.deep.equal([F, ['N', A]]);
          });
        }
      }
    }
  });

  describe('ONNX Runtime (node cpu, web wasm) vs the float64 reference, identical noise', () => {
    const N = 200;
    const FLOAT_OUTPUTS = ['action', 'action_sampled', 'component_actions', 'q'];

    function checkFloat32(
      p: GamidActorParams,
      out: Record<string, Out>,
      obs: Float32Array,
      noise: { u: Float64Array; eps: Float64Array },
      label: string,
    ) {
      const C = p.actors.length;
      const A = p.actionLow.length;
      const D = p.obsOffset.length;
      const ref = gamidReference(p, obs, N);
      const worst: Record<string, number> = {};
      const absMax: Record<string, number> = {};
      const bounds: Record<string, Float64Array> = {};
      const check = (name: string, want: ArrayLike<number>, bound: ArrayLike<number>, offset: number) => {
        const got = out[name]!.data;
        bounds[name] ??= new Float64Array(got.length).fill(NaN);
        for (let j = 0; j < want.length; j++) {
          const d = Math.abs(got[offset + j]! - want[j]!);
          expect(d / bound[j]!, `${label} ${name}[${offset + j}]: ort ${got[offset + j]} ref ${want[j]} bound ${bound[j]}`).to.be.at.most(
            1,
          );
          worst[name] = Math.max(worst[name] ?? 0, d / bound[j]!);
          absMax[name] = Math.max(absMax[name] ?? 0, d);
          bounds[name]![offset + j] = bound[j]!;
        }
      };
      check('q', ref.q, ref.qB, 0);
      let greedyTies = 0;
      let sampleTies = 0;
      const idx = out['action_index']!.data;
      const sidx = out['action_sampled_index']!.data;
      for (let i = 0; i < N; i++) {
        const o = obs.subarray(i * D, (i + 1) * D);
        // the fixture's reference is gamidComponents itself
        const direct = gamidComponents(p.actors, p.critic, normalizeObs(p, o));
        for (let c = 0; c < C; c++) expect(Math.abs(direct.q[c]! - ref.q[i * C + c]!)).to.be.below(1e-12);
        for (let c = 0; c < C; c++) {
          const cw = gamidComponentWithBound(p, ref, i, c);
          check('component_actions', cw.value, cw.bound, (i * C + c) * A);
        }
        const gi = idx[i]!;
        const refGreedy = argmax(ref.q.subarray(i * C, (i + 1) * C));
        const tieG = gamidGreedyAmbiguous(ref, C, i);
        if (gi !== refGreedy) {
          expect(tieG, `${label} row ${i}: greedy index ${gi}, reference ${refGreedy}, not at a tie`).to.equal(true);
          greedyTies++;
        }
        const g = gamidComponentWithBound(p, ref, i, gi);
        check('action', g.value, g.bound, i * A);
        if (!tieG) {
          const gg = gamidGreedy(p, o);
          for (let d = 0; d < A; d++) expect(Math.abs(gg[d]! - g.value[d]!)).to.be.below(1e-12);
        }
        // the graph's greedy action is exactly its own component action of its own index
        for (let d = 0; d < A; d++) expect(out['action']!.data[i * A + d]).to.equal(out['component_actions']!.data[(i * C + gi) * A + d]);
        const uu = noise.u[i]!;
        const eps = noise.eps.subarray(i * A, (i + 1) * A);
        const si = sidx[i]!;
        const refS = epsilonGreedyIndex(ref.q.subarray(i * C, (i + 1) * C), uu, p.epsilon);
        if (si !== refS) {
          const explained = epsilonBoundary(uu, p.epsilon, C) || (uu >= p.epsilon && tieG);
          expect(explained, `${label} row ${i}: sampled index ${si}, reference ${refS} (u ${uu}, ε ${p.epsilon})`).to.equal(true);
          sampleTies++;
        } else {
          const direct2 = gamidSample(p, o, uu, eps);
          if (!tieG || uu < p.epsilon) expect(direct2.index).to.equal(si);
        }
        const sw = gamidSampleWithBound(p, ref, i, si, eps);
        check('action_sampled', sw.value, sw.bound, i * A);
        for (let d = 0; d < A; d++) {
          for (const name of ['action', 'action_sampled']) {
            const x = out[name]!.data[i * A + d]!;
            expect(x >= p.actionLow[d]! && x <= p.actionHigh[d]!, `${label} ${name} row ${i}: ${x}`).to.equal(true);
          }
        }
      }
      return { worst, absMax, bounds, greedyTies, sampleTies };
    }

    for (const [what, p] of VARIANTS) {
      it(`${what}, float32: node and web each within the float32 bound; indices equal except at counted ties; web − node within 2B`, async () => {
        const rng = new Rng(what.length * 13);
        const A = p.actionLow.length;
        const obs = actorObservations(rng, p, N);
        const noise = actorNoise(rng, N, A, 'float32');
        const outs = { node: await run('node', p, {}, obs, N, noise), web: await run('web', p, {}, obs, N, noise) };
        const res = { node: checkFloat32(p, outs.node, obs, noise, 'node'), web: checkFloat32(p, outs.web, obs, noise, 'web') };
        for (const rt of ['node', 'web'] as const) {
          const r = res[rt];
          if (DEBUG)
            console.log(
              `gamid ${what} float32 ${rt}: max |Δ|/B ${JSON.stringify(r.worst)} max |Δ| ${JSON.stringify(r.absMax)} ties greedy ${r.greedyTies} sampled ${r.sampleTies}`,
            );
          expect(r.greedyTies + r.sampleTies, `${rt}: rows at a tie are rare`).to.be.at.most(0.02 * N);
        }
        // within the sum of the two bounds (NaN, not checked, where either is)
        const {
          maxAbs: webNode,
          unequal,
          total,
        } = compareWebNode(outs.web, outs.node, FLOAT_OUTPUTS, (k, j) => res.node.bounds[k]![j]! + res.web.bounds[k]![j]!);
        let idxDiff = 0;
        for (const k of ['action_index', 'action_sampled_index'])
          for (let i = 0; i < N; i++) if (outs.web[k]!.data[i] !== outs.node[k]!.data[i]) idxDiff++;
        if (DEBUG)
          console.log(
            `gamid ${what} float32 web vs node: max |Δ| ${JSON.stringify(webNode)}, ${unequal}/${total} float entries not bitwise equal, ${idxDiff} index differences`,
          );
        expect(idxDiff).to.be.at.most(0.02 * N);
      });

      it(`${what}, float64: node and web within 1e-9·(1 + |ref|), indices equal except at float64 ties, web − node within 1e-12·(1 + |node|)`, async () => {
        const rng = new Rng(what.length * 17);
        const C = p.actors.length;
        const A = p.actionLow.length;
        const D = p.obsOffset.length;
        const obs = actorObservations(rng, p, N);
        const noise = actorNoise(rng, N, A, 'float64');
        const outs = {
          node: await run('node', p, { precision: 'float64' }, obs, N, noise),
          web: await run('web', p, { precision: 'float64' }, obs, N, noise),
        };
        const scale = (x: number, d: number) => p.actionLow[d]! + 0.5 * (x + 1) * (p.actionHigh[d]! - p.actionLow[d]!);
        let explored = 0;
        for (const rt of ['node', 'web'] as const) {
          const out = outs[rt];
          const want: Record<string, number[]> = { action: [], action_sampled: [], component_actions: [], q: [] };
          let ties = 0;
          for (let i = 0; i < N; i++) {
            const o = obs.subarray(i * D, (i + 1) * D);
            const { mu, q } = gamidComponents(p.actors, p.critic, normalizeObs(p, o));
            want['q']!.push(...q);
            for (let c = 0; c < C; c++) for (let d = 0; d < A; d++) want['component_actions']!.push(scale(mu[c * A + d]!, d));
            // indices: the reference's, except at a float64 tie (q within 1e-12 relative) or a float64 boundary of u
            const gi = out['action_index']!.data[i]!;
            const rg = argmax(q);
            const tie = (a: number, b: number) => Math.abs(q[a]! - q[b]!) <= 1e-12 * (1 + Math.abs(q[a]!));
            if (gi !== rg) {
              expect(tie(gi, rg), `${rt} row ${i}: greedy ${gi} vs reference ${rg}, q ${Array.from(q)}`).to.equal(true);
              ties++;
            } else expect(Array.from(gamidGreedy(p, o))).to.deep.equal(Array.from({ length: A }, (_, d) => scale(mu[gi * A + d]!, d)));
            for (let d = 0; d < A; d++) want['action']!.push(scale(mu[gi * A + d]!, d));
            const uu = noise.u[i]!;
            const eps = noise.eps.subarray(i * A, (i + 1) * A);
            const si = out['action_sampled_index']!.data[i]!;
            const rs = gamidSample(p, o, uu, eps).index;
            if (si !== rs) {
              const sc = (uu / p.epsilon) * C;
              const boundary = uu < p.epsilon ? Math.abs(sc - Math.round(sc)) <= 1e-12 * C : false;
              expect(
                boundary || (uu >= p.epsilon && si === gi && tie(gi, rs)),
                `${rt} row ${i}: sampled ${si} vs reference ${rs}`,
              ).to.equal(true);
              ties++;
            }
            if (si !== gi) explored++;
            for (let d = 0; d < A; d++)
              want['action_sampled']!.push(scale(Math.min(1, Math.max(-1, mu[si * A + d]! + p.explorationStd * eps[d]!)), d));
          }
          const rel: Record<string, number> = {};
          for (const k of FLOAT_OUTPUTS) {
            expect(out[k]!.type).to.equal('float64');
            rel[k] = maxDiff(out[k]!.data, want[k]!).rel;
            expect(rel[k], `${rt} ${k}`).to.be.at.most(1e-9);
          }
          if (DEBUG) console.log(`gamid ${what} float64 ${rt}: max |Δ|/(1+|ref|) ${JSON.stringify(rel)}, index ties ${ties}`);
          expect(ties, `${rt}: float64 ties are rare`).to.be.at.most(0.02 * N);
        }
        const wn: Record<string, number> = {};
        for (const k of FLOAT_OUTPUTS) {
          wn[k] = maxDiff(outs.web[k]!.data, outs.node[k]!.data).rel;
          expect(wn[k], `web vs node ${k}`).to.be.at.most(1e-12);
        }
        // indices: equal except at the float64 ties above (each runtime was checked against the reference)
        let idxDiff = 0;
        for (const k of ['action_index', 'action_sampled_index'])
          for (let i = 0; i < N; i++) if (outs.web[k]!.data[i] !== outs.node[k]!.data[i]) idxDiff++;
        expect(idxDiff).to.be.at.most(0.02 * N);
        if (DEBUG) console.log(`gamid ${what} float64 web vs node: ${JSON.stringify(wn)}, ${idxDiff} index differences`);
        // the ε-greedy branch was exercised (components other than the greedy one were chosen)
        if (p.epsilon > 0 && C > 1) expect(explored).to.be.greaterThan(0);
      });
    }
  });

  describe('in-graph noise variant', () => {
    const p = randomGamidActor(new Rng(40), { C: 3, A: 2, D: 3, hidden: [8], criticHidden: [8] });
    for (const precision of ['float32', 'float64'] as const) {
      it(`${precision}: runs on node and web, actions within [low, high], deterministic outputs equal the inputs variant's`, async () => {
        const rng = new Rng(41);
        const N = 200;
        const obs = actorObservations(rng, p, N);
        const noise = actorNoise(rng, N, 2, precision);
        for (const rt of ['node', 'web'] as const) {
          const ref = await run(rt, p, { precision }, obs, N, noise);
          const [a, b] = (await runOrtTimes(
            rt,
            exportGamidActor(p, actorMeta(3), { precision, sampling: 'in-graph' }),
            feeds(precision, obs, N, 3, 2),
            2,
          )) as [Record<string, Out>, Record<string, Out>];
          for (const k of ['action', 'action_index', 'component_actions', 'q'])
            expect(Array.from(a[k]!.data), `${rt} ${k}`).to.deep.equal(Array.from(ref[k]!.data));
          const s = a['action_sampled']!.data;
          for (let i = 0; i < N; i++) {
            for (let d = 0; d < 2; d++)
              expect(s[i * 2 + d]! >= p.actionLow[d]! && s[i * 2 + d]! <= p.actionHigh[d]!, `${rt} row ${i}`).to.equal(true);
            expect(a['action_sampled_index']!.data[i]).to.be.oneOf([0, 1, 2]);
          }
          expect(
            maxDiff(a['action_sampled']!.data, b['action_sampled']!.data).abs,
            'two runs of one session draw different noise',
          ).to.be.greaterThan(0);
        }
      });
    }

    it('ε = 1: the in-graph u picks every component equally often (node and web, float32 and float64)', async () => {
      const q = { ...p, epsilon: 1 };
      const N = 6000;
      const obs = new Float32Array(3 * N);
      for (const rt of ['node', 'web'] as const) {
        for (const precision of ['float32', 'float64'] as const) {
          const out = await run(rt, q, { precision, sampling: 'in-graph' }, obs, N);
          const counts = [0, 0, 0];
          for (const i of out['action_sampled_index']!.data) counts[i]!++;
          const sd = Math.sqrt(N * (1 / 3) * (2 / 3));
          for (const c of counts) expect(Math.abs(c - N / 3), `${rt} ${precision} ${counts}`).to.be.below(5 * sd);
        }
      }
    });
  });

  describe('input validation', () => {
    const good = randomGamidActor(new Rng(3), { C: 2, A: 2, D: 2, hidden: [4], criticHidden: [4] });
    const meta = actorMeta(2);
    const withP = (patch: Partial<Record<keyof GamidActorParams, unknown>>): GamidActorParams =>
      ({ ...good, ...patch }) as GamidActorParams;

    it('rejects inconsistent networks and bad sampling parameters, naming the field and the value', () => {
      const other = randomGamidActor(new Rng(4), { C: 1, A: 2, D: 2, hidden: [5], criticHidden: [4] }).actors[0]!;
      expectThrows(
        () => exportGamidActor(withP({ actors: [good.actors[0]!, other] }), meta),
        ShapeError,
        /exportGamidActor: actor 1 has layers \[2,5,2\] but actor 0 has \[2,4,2\]/,
      );
      expectThrows(() => exportGamidActor(withP({ actors: [] }), meta), ValueError, /actors must hold at least one network; got 0/);
      const critic = randomGamidActor(new Rng(5), { C: 1, A: 3, D: 2, hidden: [4], criticHidden: [4] }).critic;
      expectThrows(
        () => exportGamidActor(withP({ critic }), meta),
        ShapeError,
        /the critic's layers \[5,4,1\] must start at D \+ A = 4 and end at 1/,
      );
      expectThrows(() => exportGamidActor(withP({ epsilon: 1.5 }), meta), ValueError, /epsilon = 1\.5; expected a number in \[0, 1\]/);
      expectThrows(
        () => exportGamidActor(withP({ explorationStd: -1 }), meta),
        ValueError,
        /explorationStd = -1; expected a finite number ≥ 0/,
      );
      expectThrows(
        () => exportGamidActor(withP({ obsScale: Float64Array.of(1, -1) }), meta),
        ValueError,
        /obsScale\[1\] = -1; every scale must be > 0/,
      );
      expectThrows(
        () => exportGamidActor(withP({ actionHigh: Float64Array.of(2, -5) }), meta),
        ValueError,
        /exportGamidActor: actionLow\[1\] = -0\.3 must be below actionHigh\[1\] = -5/,
      );
    });

    it('rejects non-finite parameters and float32 overflow (float64 accepts the latter)', () => {
      const w = good.critic.weights[0]!.slice();
      w[2] = NaN;
      expectThrows(
        () => exportGamidActor(withP({ critic: { ...good.critic, weights: [w, good.critic.weights[1]!] } }), meta),
        ValueError,
        /critic: weights\[0\]\[2\] is NaN/,
      );
      const big = good.actors[1]!.weights[0]!.slice();
      big[0] = -1e40;
      const bigP = withP({ actors: [good.actors[0]!, { ...good.actors[1]!, weights: [big, good.actors[1]!.weights[1]!] }] });
      expectThrows(() => exportGamidActor(bigP, meta), ValueError, /actors\[1\]\.weights\[0\]\[0\] = -1e\+40 does not fit in float32/);
      expect(() => exportGamidActor(bigP, meta, { precision: 'float64' })).to.not.throw();
    });

    it('rejects export metadata and options that do not match, naming the field', () => {
      expectThrows(
        () => exportGamidActor(good, actorMeta(4)),
        ShapeError,
        /meta\.observationSpace\.shape = \[4\] has 4 entries but the network's input size D is 2/,
      );
      expectThrows(
        () => exportGamidActor(good, { ...meta, envId: 7 as unknown as string }),
        ValueError,
        /meta\.envId must be a non-empty string .* got 7/,
      );
      expectThrows(
        () => exportGamidActor(good, { ...meta, observationSpace: { shape: [2], low: [3, 0], high: [2, 1] } }),
        ValueError,
        /low\[0\] = 3 exceeds high\[0\] = 2/,
      );
      expectThrows(() => exportGamidActor(good, meta, { sampling: 'random' as never }), ValueError, /options\.sampling = "random"/);
      expectThrows(() => exportGamidActor(good, meta, { epsilon: 0.1 } as never), ValueError, /unknown option "epsilon"/);
    });
  });
});
