/**
 * What a consumer outside gmmrl sees (runtime/README.md, "Plain ONNX Runtime"): a raw
 * onnxruntime-node or onnxruntime-web session, no loadPolicy, on every family and export variant of
 * exported-models.ts. The noise inputs have defaults (initializers of the same name), so obs alone
 * is a complete feed: every output comes back with obs's N rows (N = 1 and 7, every output
 * fetched), the greedy outputs bit-identical to those computed with noise fed, and the sampled
 * outputs those of the default noise (u = 0.5, eps = 0 in every row). The noise itself is fed to
 * the graph without its defaults (withoutInputDefaults, what loadPolicy opens), since ONNX Runtime's
 * JavaScript bindings do not take a feed for an input that has one.
 */
import { expect } from 'chai';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { IO } from '../../contract/families.js';
import { METADATA_KEY_JSON, type GmmrlMetadataV1 } from '../../contract/metadata.js';
import { Rng } from '../../contract/rng.js';
import { NOISE_EPS_DEFAULT, NOISE_U_DEFAULT } from '../../exporters/onnx/envelope.js';
import { withoutInputDefaults } from '../../runtime/onnx-prune.js';
import { exportDqn } from '../../exporters/onnx/dqn.js';
import { exportGamidActor } from '../../exporters/onnx/gamid-actor.js';
import { Rng as SdkRng } from '../../sdk/util/rng.js';
import { randomDqnParams, productGrid } from '../models/dqn/fixtures.js';
import { exportedModels, type ExportedModel } from '../runtime/exported-models.js';
import { actorMeta, randomGamidActor } from './actor-fixtures.js';
import { metadataProps } from './harness.js';

const SAMPLED: ReadonlySet<string> = new Set([IO.actionSampled, IO.actionSampledIndex]);

type Ort = typeof ortNode;
type Tensor = ortNode.Tensor;
const RUNTIMES: [string, Ort, string][] = [
  ['onnxruntime-node', ortNode, 'cpu'],
  ['onnxruntime-web', ortWeb as unknown as Ort, 'wasm'],
];

const values = (t: Tensor): (number | bigint)[] => Array.from(t.data as ArrayLike<number | bigint>);

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

describe('plain ONNX Runtime sessions (no gmmrl runtime) fed obs only', () => {
  before(() => {
    if (ortWeb.env.wasm.numThreads === undefined) ortWeb.env.wasm.numThreads = 1;
  });

  for (const model of [...exportedModels(), ...defaultExports()]) {
    const meta = JSON.parse(metadataProps(model.bytes).get(METADATA_KEY_JSON)!) as GmmrlMetadataV1;
    const noise = meta.inputs.filter((t) => t.name !== IO.obs);
    for (const [rtName, ort, provider] of RUNTIMES) {
      it(`${model.name} on ${rtName}: obs is the only required input; every output has N rows; greedy outputs as with noise fed`, async () => {
        // the metadata still declares the noise inputs (with sampling "inputs"), as loadPolicy's graph checks read them
        expect(noise.length > 0).to.equal(meta.sampling?.noise === 'inputs');
        const stripped = withoutInputDefaults(
          model.bytes,
          noise.map((t) => t.name),
        );
        expect(stripped === null).to.equal(noise.length === 0);
        const opts = { executionProviders: [provider] };
        const session = await ort.InferenceSession.create(model.bytes, opts);
        const fed = stripped ? await ort.InferenceSession.create(stripped, opts) : null;
        try {
          expect(session.inputNames).to.deep.equal([IO.obs]);
          if (fed) expect(fed.inputNames).to.deep.equal(meta.inputs.map((t) => t.name));
          const dtype = meta.precision === 'float64' ? 'float64' : 'float32';
          const arr = (xs: number[]): Float32Array | Float64Array => (dtype === 'float64' ? Float64Array.from(xs) : Float32Array.from(xs));
          const D = meta.inputs[0]!.shape[1] as number;
          const rng = new Rng(77);
          for (const N of [1, 7]) {
            const obs = new ort.Tensor(dtype, arr(Array.from({ length: N * D }, () => rng.normal() * 2)), [N, D]);
            const alone = await session.run({ [IO.obs]: obs });
            expect(Object.keys(alone).sort()).to.deep.equal([...session.outputNames].sort());
            for (const name of session.outputNames) expect(alone[name]!.dims[0], `${name} rows (N = ${N})`).to.equal(N);
            if (!fed) continue;
            const noiseFeeds = (u: () => number, eps: () => number): Record<string, Tensor> => {
              const f: Record<string, Tensor> = { [IO.obs]: obs };
              for (const t of noise) {
                const dims = [N, ...(t.shape.slice(1) as number[])];
                const size = dims.reduce((a, b) => a * b, 1);
                f[t.name] = new ort.Tensor(dtype, arr(Array.from({ length: size }, t.name === IO.noiseU ? u : eps)), dims);
              }
              return f;
            };
            const random = await fed.run(
              noiseFeeds(
                () => rng.uniform(),
                () => rng.normal(),
              ),
            );
            const asDefault = await fed.run(
              noiseFeeds(
                () => NOISE_U_DEFAULT,
                () => NOISE_EPS_DEFAULT,
              ),
            );
            for (const name of session.outputNames) {
              const want = SAMPLED.has(name) ? asDefault[name]! : random[name]!;
              expect(values(alone[name]!), `${name} (N = ${N})`).to.deep.equal(values(want));
            }
          }
        } finally {
          await session.release();
          await fed?.release();
        }
      });
    }
  }
});
