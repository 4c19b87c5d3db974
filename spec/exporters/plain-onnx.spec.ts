/**
 * What a consumer outside gmmrl sees (runtime/README.md, "Plain ONNX Runtime (without gmmrl)"): a
 * raw onnxruntime-node or onnxruntime-web session, no loadPolicy, on every golden model
 * (spec/golden) and every family and export variant of exported-models.ts. The noise inputs have
 * NaN defaults (initializers of the same name), so obs alone is a complete feed: every output comes
 * back with obs's N rows, the greedy outputs bit for bit those of gmmrl's loadPolicy, and every
 * sampled output NaN (float) or -1 (index): "no sample", never a plausible one. A raw session that
 * is fed the noise either uses it (the sample loadPolicy computes from the same noise) or makes it
 * loud (onnxruntime-node's binding silently keeps the default: NaN / -1; onnxruntime-web refuses the
 * feed) — never a different finite sample. The official ONNX checker accepts every graph.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { IO } from '../../contract/families.js';
import { METADATA_KEY_JSON, type GmmrlMetadataV1 } from '../../contract/metadata.js';
import { Rng } from '../../contract/rng.js';
import { exportDqn } from '../../exporters/onnx/dqn.js';
import { exportGamidActor } from '../../exporters/onnx/gamid-actor.js';
import { withoutInputDefaults } from '../../runtime/onnx-prune.js';
import { loadPolicy } from '../../runtime/index.node.js';
import { loadPolicy as loadPolicyWeb } from '../../runtime/index.web.js';
import { Rng as SdkRng } from '../../sdk/util/rng.js';
import { goldenRoot } from '../golden/golden-io.js';
import { randomDqnParams, productGrid } from '../models/dqn/fixtures.js';
import { exportedModels, type ExportedModel } from '../runtime/exported-models.js';
import { actorMeta, randomGamidActor } from './actor-fixtures.js';
import { metadataProps, runChecker } from './harness.js';

const SAMPLED: ReadonlySet<string> = new Set([IO.actionSampled, IO.actionSampledIndex]);

type Ort = typeof ortNode;
type Tensor = ortNode.Tensor;
/** Each raw runtime with gmmrl's loadPolicy over the same runtime (its own kernels: float32 results may differ by ulps between them). */
const RUNTIMES: [string, Ort, string, typeof loadPolicy][] = [
  ['onnxruntime-node', ortNode, 'cpu', loadPolicy],
  ['onnxruntime-web', ortWeb as unknown as Ort, 'wasm', loadPolicyWeb as unknown as typeof loadPolicy],
];

/** The bytes of a float output (bit-exact comparison: −0, NaN payloads), the values of an integer one (int64 or Int32Array). */
function bits(t: { data: unknown }): number[] | string[] {
  const d = t.data;
  if (d instanceof Float32Array || d instanceof Float64Array) return Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  return Array.from(d as ArrayLike<number | bigint>, (x) => String(x));
}

/** exported-models.ts exports double DQN (grid) and TD3 with in-graph noise: their default exports (noise inputs) too. */
function defaultExports(): ExportedModel[] {
  const pdg = randomDqnParams(new SdkRng(507), [3, 8, 9], { actionGrid: productGrid(3, -1, 1) });
  const dqnMeta = {
    envId: 'Test-v0',
    observationSpace: { shape: [3], low: [-10, -10, -10], high: [10, 10, 10] },
    actionSpace: { kind: 'box' as const, shape: [2], low: [-1, -1], high: [1, 1] },
    training: { algorithm: 'dqn' as const, double: true },
  };
  const pt = randomGamidActor(new SdkRng(511), { C: 1, A: 1, D: 3, hidden: [8, 8], criticHidden: [8], epsilon: 0, explorationStd: 0.1 });
  return [
    { name: 'double dqn grid (noise inputs)', family: 'dqn', bytes: exportDqn(pdg, dqnMeta) },
    {
      name: 'gamid-actor C = 1 (td3, noise inputs)',
      family: 'gamid-actor',
      bytes: exportGamidActor(pt, actorMeta(3, { training: { algorithm: 'td3' } })),
    },
  ];
}

/** The committed golden models (spec/golden/<name>/model.onnx): one per family, float64 included. */
function goldenModels(): ExportedModel[] {
  const root = goldenRoot();
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => {
      const bytes = new Uint8Array(readFileSync(join(root, e.name, 'model.onnx')));
      const meta = JSON.parse(metadataProps(bytes).get(METADATA_KEY_JSON)!) as GmmrlMetadataV1;
      return { name: `golden ${e.name}`, family: meta.family as ExportedModel['family'], bytes };
    });
}

const MODELS = [...goldenModels(), ...exportedModels(), ...defaultExports()];

describe('plain ONNX Runtime sessions (no gmmrl runtime) fed obs only', function () {
  this.timeout(120_000);
  before(() => {
    if (ortWeb.env.wasm.numThreads === undefined) ortWeb.env.wasm.numThreads = 1;
  });

  it('covers every family, with the noise inputs, in float32 and float64', () => {
    const withNoise = MODELS.filter((m) => JSON.parse(metadataProps(m.bytes).get(METADATA_KEY_JSON)!).sampling?.noise === 'inputs');
    expect(new Set(withNoise.map((m) => m.family))).to.deep.equal(new Set(['gmmqf', 'dqn', 'mixture-actor', 'gamid-actor']));
    expect(MODELS.filter((m) => m.name.startsWith('golden ')).length).to.be.greaterThanOrEqual(4);
  });

  it('the official ONNX checker (full shape inference) accepts every graph', () => {
    for (const m of MODELS) {
      const r = runChecker(m.bytes);
      expect(r.ok, `${m.name}: ${r.stderr}`).to.equal(true);
    }
  });

  for (const model of MODELS) {
    const meta = JSON.parse(metadataProps(model.bytes).get(METADATA_KEY_JSON)!) as GmmrlMetadataV1;
    const noise = meta.inputs.filter((t) => t.name !== IO.obs);
    const f64 = meta.precision === 'float64';
    const dtype = f64 ? 'float64' : 'float32';
    const D = meta.inputs[0]!.shape[1] as number;
    for (const [rtName, ort, provider, load] of RUNTIMES) {
      it(`${model.name} on ${rtName}: obs alone; greedy outputs = loadPolicy's bit for bit, sampled NaN / -1; fed noise used or loud`, async () => {
        const session = await ort.InferenceSession.create(model.bytes, { executionProviders: [provider], logSeverityLevel: 3 });
        const policy = await load(model.bytes, { seed: 5 });
        try {
          expect(session.inputNames).to.deep.equal([IO.obs]);
          const rng = new Rng(77);
          for (const N of [1, 7]) {
            const rows = Array.from({ length: N }, () => Array.from({ length: D }, () => rng.normal() * 2));
            const flat = rows.flat();
            const obs = new ort.Tensor(dtype, f64 ? Float64Array.from(flat) : Float32Array.from(flat), [N, D]);
            const typed = rows.map((r) => (f64 ? Float64Array.from(r) : Float32Array.from(r)));
            const alone = await session.run({ [IO.obs]: obs });
            expect(Object.keys(alone).sort()).to.deep.equal([...session.outputNames].sort());
            for (const name of session.outputNames) expect(alone[name]!.dims[0], `${name} rows (N = ${N})`).to.equal(N);

            const greedy = (await policy.outputs(typed, { mode: 'greedy' })).outputs;
            const greedyNames = session.outputNames.filter((n) => !SAMPLED.has(n));
            for (const name of greedyNames) {
              expect(greedy[name], `loadPolicy greedy ${name}`).to.not.equal(undefined);
              expect(alone[name]!.dims, `${name} dims (N = ${N})`).to.deep.equal(greedy[name]!.dims);
              expect(bits(alone[name]!), `${name} (N = ${N})`).to.deep.equal(bits(greedy[name]!));
            }
            for (const name of session.outputNames.filter((n) => SAMPLED.has(n))) {
              // in-graph noise draws its own sample; fed-noise graphs without noise say "no sample"
              if (meta.sampling?.noise !== 'inputs') continue;
              const t = alone[name]!;
              const data = Array.from(t.data as ArrayLike<number | bigint>, Number);
              if (t.type === 'int64') expect(data, `${name} (N = ${N})`).to.deep.equal(new Array<number>(data.length).fill(-1));
              else expect(data.every(Number.isNaN), `${name} all NaN (N = ${N}): ${data.join(', ')}`).to.equal(true);
            }
            if (noise.length === 0) continue;

            // fed noise on the raw session: used (= loadPolicy's sample), or NaN / -1, or refused
            const u = Array.from({ length: N }, () => rng.uniform());
            const A = noise.length > 1 ? (noise[1]!.shape[1] as number) : 0;
            const eps = Array.from({ length: N * A }, () => rng.normal());
            const arr = (x: number[]): Float32Array | Float64Array => (f64 ? Float64Array.from(x) : Float32Array.from(x));
            const sampled = (await policy.outputs(typed, { mode: 'sample', noise: { u: arr(u), ...(A > 0 ? { eps: arr(eps) } : {}) } }))
              .outputs;
            const feeds: Record<string, Tensor> = { [IO.obs]: obs, [IO.noiseU]: new ort.Tensor(dtype, arr(u), [N]) };
            if (A > 0) feeds[IO.noiseEps] = new ort.Tensor(dtype, arr(eps), [N, A]);
            let fed: Record<string, Tensor> | null = null;
            try {
              fed = await session.run(feeds);
            } catch (err) {
              expect(rtName, `only onnxruntime-web refuses the feed: ${String(err)}`).to.equal('onnxruntime-web');
            }
            if (fed === null) continue;
            for (const name of session.outputNames.filter((n) => SAMPLED.has(n))) {
              const got = bits(fed[name]!);
              const asDefault = bits(alone[name]!);
              const used = bits(sampled[name]!);
              expect(
                JSON.stringify(got) === JSON.stringify(asDefault) || JSON.stringify(got) === JSON.stringify(used),
                `${name} (N = ${N}): neither the fed noise's sample nor "no sample"`,
              ).to.equal(true);
            }
          }
        } finally {
          await session.release();
          await policy.dispose();
        }
      });
    }
  }
});

describe('the sampled outputs read fed noise row by row: NaN / -1 exactly in the rows whose noise is not finite', function () {
  this.timeout(120_000);
  const BAD: [string, (u: number[], eps: number[], A: number) => void][] = [
    ['u = NaN', (u) => void (u[1] = NaN)],
    ['u = +Infinity', (u) => void (u[3] = Infinity)],
    ['eps = -Infinity', (_u, eps, A) => void (eps[4 * A + A - 1] = -Infinity)],
    ['eps = NaN', (_u, eps) => void (eps[5 * (eps.length / 7)] = NaN)],
  ];
  const badRows = (A: number): number[] => (A > 0 ? [1, 3, 4, 5] : [1, 3]);
  for (const model of MODELS) {
    const meta = JSON.parse(metadataProps(model.bytes).get(METADATA_KEY_JSON)!) as GmmrlMetadataV1;
    if (meta.sampling?.noise !== 'inputs') continue;
    const f64 = meta.precision === 'float64';
    const dtype = f64 ? 'float64' : 'float32';
    const D = meta.inputs[0]!.shape[1] as number;
    const A = meta.inputs.length > 2 ? (meta.inputs[2]!.shape[1] as number) : 0;
    for (const [rtName, ort, provider] of RUNTIMES) {
      it(`${model.name} on ${rtName} (the graph without its defaults, as loadPolicy opens it)`, async () => {
        const stripped = withoutInputDefaults(
          model.bytes,
          meta.inputs.slice(1).map((t) => t.name),
        )!;
        const session = await ort.InferenceSession.create(stripped, { executionProviders: [provider] });
        try {
          const N = 7;
          const rng = new Rng(91);
          const arr = (x: number[]): Float32Array | Float64Array => (f64 ? Float64Array.from(x) : Float32Array.from(x));
          const obs = new ort.Tensor(dtype, arr(Array.from({ length: N * D }, () => rng.normal() * 2)), [N, D]);
          // u below ε in some rows (the ε-greedy heads explore there), so both branches are guarded
          const u = Array.from({ length: N }, (_, i) => (i % 2 === 0 ? rng.uniform() * 0.05 : rng.uniform()));
          const eps = Array.from({ length: N * A }, () => rng.normal());
          const run = (uu: number[], ee: number[]) => {
            const feeds: Record<string, Tensor> = { [IO.obs]: obs, [IO.noiseU]: new ort.Tensor(dtype, arr(uu), [N]) };
            if (A > 0) feeds[IO.noiseEps] = new ort.Tensor(dtype, arr(ee), [N, A]);
            return session.run(feeds);
          };
          const finite = await run(u, eps);
          const [bu, be] = [[...u], [...eps]];
          for (const [, spoil] of BAD.slice(0, A > 0 ? 4 : 2)) spoil(bu, be, A);
          const spoilt = await run(bu, be);
          const bad = new Set(badRows(A));
          for (const name of session.outputNames) {
            const t = spoilt[name]!;
            const per = t.dims.slice(1).reduce((x, y) => x * y, 1);
            const want = bits(finite[name]!);
            const got = bits(t);
            const width = got.length / N;
            for (let r = 0; r < N; r++) {
              const row = (x: (number | string)[]) => x.slice(r * width, (r + 1) * width);
              if (!SAMPLED.has(name) || !bad.has(r)) {
                expect(row(got), `${name} row ${r}: as with finite noise, bit for bit`).to.deep.equal(row(want));
                continue;
              }
              const data = Array.from(t.data as ArrayLike<number | bigint>, Number).slice(r * per, (r + 1) * per);
              if (t.type === 'int64') expect(data, `${name} row ${r}`).to.deep.equal(new Array<number>(per).fill(-1));
              else expect(data.every(Number.isNaN), `${name} row ${r}: ${data.join(', ')}`).to.equal(true);
            }
          }
        } finally {
          await session.release();
        }
      });
    }
  }
});
