/**
 * gmmrl/runtime on every family contract (gmmqf, dqn, mixture-actor, gamid-actor), both precisions,
 * every sampling variant (noise inputs, in-graph noise, no sampling head), through both entries
 * (onnxruntime-node cpu and onnxruntime-web wasm in Node), on the exact fixture graphs of
 * fixtures.ts: every output must equal the closed-form reference exactly, including the sampled
 * outputs for the noise the runtime is documented to feed (per row: u, then the A normals).
 */
import { expect } from 'chai';
import * as nodeRt from '../../runtime/index.node.js';
import * as webRt from '../../runtime/index.web.js';
import { ModelFormatError, ShapeError, ValueError } from '../../contract/errors.js';
import { asActorPolicy, asQPolicy, type ActOptions, type FloatArray, type NoiseSource, type Policy } from '../../runtime/policy.js';
import { Rng } from '../../contract/rng.js';
import { expectRejects, expectThrows } from '../helpers.js';
import { edit, editMetadataJson } from './model-edit.js';
import {
  ACTOR_A,
  GAMID_C,
  GRID_VALUES,
  Q_A,
  allFixtureSpecs,
  buildFixture,
  expectedNoise,
  fixtureObs,
  type FixtureSpec,
  type RefTensor,
} from './fixtures.js';

type Loader = (src: Uint8Array, opts?: { seed?: number }) => Promise<Policy>;
const ENTRIES: [string, Loader][] = [
  ['onnxruntime-node', nodeRt.loadPolicy as Loader],
  ['onnxruntime-web', webRt.loadPolicy as Loader],
];

/** Replaces a float initializer's values (float32 or float64 raw_data). */
function setInitializer(bytes: Uint8Array, name: string, values: number[]): Uint8Array {
  return edit(bytes, (m) => {
    const t = m.graph!.initializer!.find((x) => x.name === name)!;
    const f64 = t.data_type === 11;
    const raw = new Uint8Array(values.length * (f64 ? 8 : 4));
    const v = new DataView(raw.buffer);
    values.forEach((x, i) => (f64 ? v.setFloat64(i * 8, x, true) : v.setFloat32(i * 4, x, true)));
    t.raw_data = raw;
  });
}

function label(s: Required<FixtureSpec>): string {
  return `${s.family} ${s.precision} noise=${s.noise}${s.grid ? ' grid' : ''}`;
}

const isActor = (s: FixtureSpec): boolean => s.family === 'mixture-actor' || s.family === 'gamid-actor';

/** Rows of a flat array. */
function rowsOf(flat: ArrayLike<number>, n: number): number[][] {
  const w = flat.length / n;
  return Array.from({ length: n }, (_, i) => Array.from({ length: w }, (_, j) => flat[i * w + j]!));
}

function expectTensor(got: { dims: number[]; data: ArrayLike<number> } | undefined, want: RefTensor, what: string): void {
  expect(got, what).to.not.equal(undefined);
  expect(got!.dims, `${what} dims`).to.deep.equal(want.dims);
  expect(Array.from(got!.data), `${what} data`).to.deep.equal(want.data);
}

/** A NoiseSource that logs its calls; u cycles through values on both sides of ε = 1/2, the normals are all distinct. */
class RecordingNoise implements NoiseSource {
  log: string[] = [];
  private i = 0;
  private j = 0;
  uniform(): number {
    this.log.push('u');
    const v = [0.0625, 0.8125, 0.3125, 0.5625, 0.1875, 0.9375][this.i % 6]! + this.i / 4096;
    this.i++;
    return v;
  }
  normal(): number {
    this.log.push('n');
    const v = [0.5, -1.25, 2, -0.375, 1, -3][this.j % 6]! + this.j / 1024;
    this.j++;
    return v;
  }
}

/** A replay of RecordingNoise's values (same sequence, no log). */
function replay(): NoiseSource {
  const r = new RecordingNoise();
  return { uniform: () => r.uniform(), normal: () => r.normal() };
}

describe('runtime: every family contract, both precisions, every sampling variant (exact fixture graphs)', function () {
  this.timeout(120_000);
  const N = 40;
  const OBS = fixtureObs(new Rng(501), N);

  for (const [backend, load] of ENTRIES) {
    describe(backend, () => {
      for (const spec of allFixtureSpecs()) {
        it(`${label(spec)}: info, greedy and sampled outputs equal the reference exactly`, async () => {
          const fx = buildFixture(spec);
          const actor = isActor(spec);
          const f64 = spec.precision === 'float64';
          const FA = f64 ? Float64Array : Float32Array;
          const obs = f64 ? Float64Array.from(OBS) : OBS;
          const pol = await load(fx.bytes, { seed: 11 });
          try {
            const info = pol.info;
            expect(info).to.deep.include({
              family: spec.family,
              isActor: actor,
              precision: spec.precision,
              observationSize: 3,
              numActions: fx.A,
              actionSize: actor ? ACTOR_A : spec.grid ? 2 : 1,
              components: spec.family === 'dqn' ? null : spec.family === 'gmmqf' ? 1 : fx.components,
              seed: 11,
            });
            expect(info.sampling === null).to.equal(spec.noise === 'none');
            if (info.sampling) expect(info.sampling.noise).to.equal(spec.noise);
            // a sampling head → greedy calls below run on the noise-free graph (and must still be exact)
            expect(info.greedyGraph !== null, info.greedyGraphReason).to.equal(spec.noise !== 'none');
            if (info.greedyGraph) expect(info.greedyGraph.outputsRemoved.filter((x) => !x.startsWith('action_sampled'))).to.deep.equal([]);

            const zeros = { u: new Array(N).fill(0), eps: new Array(N * fx.A).fill(0) };
            const ref0 = fx.reference(OBS, N, zeros.u, zeros.eps);
            // outputs, greedy: every declared output, exact (the sampled ones for zero noise), typed
            const g = await pol.outputs(obs);
            expect(g.n).to.equal(N);
            expect(g.mode).to.equal('greedy');
            const greedyNames = fx.meta.outputs.map((t) => t.name).filter((x) => !x.startsWith('action_sampled'));
            expect(Object.keys(g.outputs).sort()).to.deep.equal(fx.meta.outputs.map((t) => t.name).sort());
            for (const [name, t] of Object.entries(g.outputs)) {
              if (spec.noise !== 'in-graph' || greedyNames.includes(name)) expectTensor(t, ref0[name]!, `greedy ${name}`);
              const dtype = fx.meta.outputs.find((o) => o.name === name)!.dtype;
              expect(t.data, name).to.be.instanceOf(dtype === 'int64' ? Int32Array : FA);
            }
            // act / actOne / actBatch / envAction / envActionBatch, greedy
            const greedyIdx = spec.grid ? ref0['action_index']! : ref0['action']!;
            if (actor) {
              const p = asActorPolicy(pol);
              const rows = (await p.act(obs)) as FloatArray[]; // flat N·D → a batch
              expect(rows).to.have.length(N);
              expect(rows[0]).to.be.instanceOf(FA).with.length(ACTOR_A);
              expect(rows[0]!.buffer).to.equal(rows[N - 1]!.buffer);
              expect(rows.map((r) => Array.from(r))).to.deep.equal(rowsOf(ref0['action']!.data, N));
              for (const i of [0, 7, 39]) {
                const one = obs.subarray(i * 3, i * 3 + 3);
                const a = await p.actOne(one);
                expect(a).to.be.instanceOf(FA);
                expect(Array.from(a)).to.deep.equal(ref0['action']!.data.slice(i * 2, i * 2 + 2));
                expect(Array.from((await p.act(Array.from(one))) as FloatArray)).to.deep.equal(Array.from(a));
                expect(Array.from(await p.envAction(one))).to.deep.equal(Array.from(a));
              }
              expect((await p.envActionBatch(obs)).map((r) => Array.from(r))).to.deep.equal(rowsOf(ref0['action']!.data, N));
              expect((await p.actBatch(obs.subarray(0, 3))).map((r) => Array.from(r))).to.deep.equal([ref0['action']!.data.slice(0, 2)]);
              expectThrows(() => asQPolicy(pol), ValueError, /Expected a Q-function model/, new RegExp(`got family ${spec.family}`));
            } else {
              const p = asQPolicy(pol);
              const idx = (await p.act(obs)) as Int32Array; // flat N·D → a batch
              expect(idx).to.be.instanceOf(Int32Array);
              expect(Array.from(idx)).to.deep.equal(greedyIdx.data);
              expect(Array.from(await p.actBatch(obs))).to.deep.equal(greedyIdx.data);
              for (const i of [0, 7, 39]) {
                const one = obs.subarray(i * 3, i * 3 + 3);
                expect(await p.act(one)).to.equal(greedyIdx.data[i]);
                expect(await p.actOne(Array.from(one))).to.equal(greedyIdx.data[i]);
                const env = await p.envAction(one);
                if (spec.grid) {
                  expect(env).to.be.instanceOf(FA);
                  expect(Array.from(env as FloatArray)).to.deep.equal(GRID_VALUES[greedyIdx.data[i]!]);
                } else {
                  expect(env).to.equal(greedyIdx.data[i]);
                }
              }
              const envB = await p.envActionBatch(obs);
              if (spec.grid)
                expect((envB as FloatArray[]).map((r) => Array.from(r))).to.deep.equal(greedyIdx.data.map((k) => GRID_VALUES[k]));
              else expect(Array.from(envB as Int32Array)).to.deep.equal(greedyIdx.data);
              expectThrows(() => asActorPolicy(pol), ValueError, /Expected an actor model/);
            }
            // q: Q families and gamid; mixture has none
            if (spec.family === 'mixture-actor') {
              await expectRejects(() => pol.q(obs), ValueError, /^q: family mixture-actor has no Q values/, /policy.outputs\(obs\)/);
              await expectRejects(() => pol.qOne(obs.subarray(0, 3)), ValueError, /^qOne: family mixture-actor has no Q values/);
            } else {
              const W = spec.family === 'gamid-actor' ? GAMID_C : Q_A;
              const qs = await pol.qBatch(obs);
              expect(qs.map((r) => Array.from(r))).to.deep.equal(rowsOf(ref0['q']!.data, N));
              const q1 = await pol.qOne(obs.subarray(3, 6));
              expect(q1).to.be.instanceOf(FA).with.length(W);
              expect(Array.from(q1)).to.deep.equal(ref0['q']!.data.slice(W, 2 * W));
              expect(Array.from((await pol.q(obs.subarray(3, 6))) as FloatArray)).to.deep.equal(Array.from(q1));
            }

            // mode 'sample'
            if (spec.noise === 'none') {
              for (const call of [
                () => pol.act(obs, { mode: 'sample' }),
                () => pol.actOne(obs.subarray(0, 3), { mode: 'sample' }),
                () => pol.outputs(obs, { mode: 'sample' }),
              ]) {
                await expectRejects(
                  call,
                  ValueError,
                  /mode "sample" needs a sampling head, but this (gmmqf|dqn) model has none/,
                  /--sampling inputs/,
                  /mode "greedy"/,
                );
              }
              return;
            }
            const sampledName = actor || !spec.grid ? 'action_sampled' : 'action_sampled_index';
            if (spec.noise === 'in-graph') {
              await expectRejects(
                () => pol.act(obs, { mode: 'sample', rng: new Rng(1) }),
                ValueError,
                /opts.rng was given, but this model draws its sampling noise inside the graph/,
                /not reproducible/,
              );
              await expectRejects(
                () => pol.act(obs, { mode: 'sample', noise: { u: zeros.u, eps: zeros.eps } }),
                ValueError,
                /opts.noise was given/,
                /not reproducible/,
              );
              const s = await pol.outputs(obs, { mode: 'sample' });
              expect(s.mode).to.equal('sample');
              expect(Object.keys(s.outputs).sort()).to.deep.equal(fx.meta.outputs.map((t) => t.name).sort());
              // the deterministic outputs are unaffected by the graph's draw; the sampled ones are valid and random
              for (const name of greedyNames) expectTensor(s.outputs[name], ref0[name]!, `sample ${name}`);
              const sampled = Array.from(s.outputs[sampledName]!.data);
              const greedy = actor ? ref0['action']!.data : greedyIdx.data;
              expect(
                sampled.some((x, i) => x !== greedy[i]),
                'in-graph noise changes some sampled actions',
              ).to.equal(true);
              const again = Array.from((await pol.outputs(obs, { mode: 'sample' })).outputs[sampledName]!.data);
              expect(again).to.not.deep.equal(sampled);
              const one = await pol.actOne(obs.subarray(0, 3), { mode: 'sample' });
              if (actor) expect(one).to.be.instanceOf(FA).with.length(ACTOR_A);
              else
                expect(one)
                  .to.be.a('number')
                  .within(0, Q_A - 1);
              return;
            }
            // noise inputs: from opts.rng, from the policy's own Rng(seed), and exact noise
            const want = (n: number, src: NoiseSource, o: ArrayLike<number> = OBS): Record<string, RefTensor> => {
              const e = expectedNoise(src, n, fx.A, actor, spec.precision);
              return fx.reference(o, n, e.u, e.eps);
            };
            const sR = await pol.outputs(obs, { mode: 'sample', rng: new Rng(77) });
            const refR = want(N, new Rng(77));
            expect(Object.keys(sR.outputs).sort()).to.deep.equal(fx.meta.outputs.map((t) => t.name).sort());
            for (const [name, t] of Object.entries(sR.outputs)) expectTensor(t, refR[name]!, `sample(rng) ${name}`);
            const sampledRef = refR[sampledName]!.data;
            const greedyRef = actor ? ref0['action']!.data : greedyIdx.data;
            expect(
              sampledRef.some((x, i) => x !== greedyRef[i]),
              'the noise changes some sampled actions',
            ).to.equal(true);
            if (!actor) expect(sampledRef.some((x, i) => x === greedyRef[i])).to.equal(true);

            // act with opts.rng, batch: the sampled action (index or vector) of every row
            const aR = await pol.act(obs, { mode: 'sample', rng: new Rng(77) });
            if (actor) expect((aR as FloatArray[]).map((r) => Array.from(r))).to.deep.equal(rowsOf(sampledRef, N));
            else expect(Array.from(aR as Int32Array)).to.deep.equal(sampledRef);
            // envActionBatch in sample mode: grid values of the sampled index
            if (spec.grid) {
              const envS = (await pol.envActionBatch(obs, { mode: 'sample', rng: new Rng(77) })) as FloatArray[];
              expect(envS.map((r) => Array.from(r))).to.deep.equal(rowsOf(refR['action_sampled']!.data, N));
            }

            // the policy's own Rng(seed 11): single calls draw one row each, in call order
            const own = new Rng(11);
            for (let i = 0; i < 6; i++) {
              const one = obs.subarray(i * 3, i * 3 + 3);
              const r1 = want(1, own, OBS.subarray(i * 3, i * 3 + 3));
              const got = i % 2 === 0 ? await pol.actOne(one, { mode: 'sample' }) : await pol.envAction(one, { mode: 'sample' });
              if (actor) expect(Array.from(got as FloatArray), `row ${i}`).to.deep.equal(r1['action_sampled']!.data);
              else if (i % 2 === 1 && spec.grid)
                expect(Array.from(got as FloatArray), `row ${i}`).to.deep.equal(r1['action_sampled']!.data);
              else expect(got, `row ${i}`).to.equal(r1[sampledName]!.data[0]);
            }

            // exact noise (typed or plain arrays), in the model's precision
            const ex = expectedNoise(new Rng(78), N, fx.A, actor, spec.precision);
            const noise = actor ? { u: FA.from(ex.u), eps: ex.eps } : { u: ex.u };
            const sN = await pol.outputs(obs, { mode: 'sample', noise });
            const refN = fx.reference(OBS, N, ex.u, ex.eps);
            for (const [name, t] of Object.entries(sN.outputs)) expectTensor(t, refN[name]!, `sample(noise) ${name}`);
          } finally {
            await pol.dispose();
          }
        });
      }
    });
  }
});

describe('runtime: sampling noise order, seeds, options (onnxruntime-node and onnxruntime-web)', function () {
  this.timeout(120_000);
  const MIX = buildFixture({ family: 'mixture-actor' });
  const GAMID = buildFixture({ family: 'gamid-actor' });
  const QF = buildFixture({ family: 'gmmqf' });
  const QIG = buildFixture({ family: 'dqn', noise: 'in-graph' });
  const OBS = fixtureObs(new Rng(601), 12);

  for (const [backend, load] of ENTRIES) {
    describe(backend, () => {
      it('draws per row u, then the A normals (actors) / u only (Q families), and feeds row r its own draws', async () => {
        for (const fx of [MIX, GAMID, QF]) {
          const pol = await load(fx.bytes);
          try {
            const actor = pol.info.isActor;
            const rec = new RecordingNoise();
            const n = 5;
            const out = await pol.outputs(OBS.subarray(0, n * 3), { mode: 'sample', rng: rec });
            expect(rec.log.join(''), fx.meta.family).to.equal((actor ? 'unn' : 'u').repeat(n));
            const e = expectedNoise(replay(), n, fx.A, actor, 'float32');
            const ref = fx.reference(OBS, n, e.u, e.eps);
            for (const [name, t] of Object.entries(out.outputs)) expectTensor(t, ref[name]!, `${fx.meta.family} ${name}`);
            // single observation: one row's draws
            const rec1 = new RecordingNoise();
            await pol.actOne(OBS.subarray(0, 3), { mode: 'sample', rng: rec1 });
            expect(rec1.log.join('')).to.equal(actor ? 'unn' : 'u');
            // greedy mode draws nothing from the policy's generator: sampling afterwards starts at Rng(0)'s beginning
            await pol.act(OBS);
            const s1 = await pol.outputs(OBS.subarray(0, 3), { mode: 'sample' });
            const e0 = expectedNoise(new Rng(0), 1, fx.A, actor, 'float32');
            const r0 = fx.reference(OBS, 1, e0.u, e0.eps);
            for (const [name, t] of Object.entries(s1.outputs)) expectTensor(t, r0[name]!, `default seed 0: ${name}`);
          } finally {
            await pol.dispose();
          }
        }
      });

      it('the same seed gives the same sampled actions twice; a different seed different ones', async () => {
        const run = async (bytes: Uint8Array, seed: number): Promise<number[][]> => {
          const pol = await load(bytes, { seed });
          try {
            const seq: number[][] = [];
            for (let i = 0; i < 12; i++) {
              const a = await pol.act(OBS.subarray(i * 3, i * 3 + 3), { mode: 'sample' });
              seq.push(typeof a === 'number' ? [a] : Array.from(a as FloatArray));
            }
            const b = await pol.act(OBS, { mode: 'sample' });
            seq.push(b instanceof Int32Array ? Array.from(b) : (b as FloatArray[]).flatMap((r) => Array.from(r)));
            return seq;
          } finally {
            await pol.dispose();
          }
        };
        for (const fx of [MIX, GAMID, QF]) {
          const a = await run(fx.bytes, 7);
          expect(await run(fx.bytes, 7), fx.meta.family).to.deep.equal(a);
          expect(await run(fx.bytes, 8), fx.meta.family).to.not.deep.equal(a);
        }
      });

      it('concurrent sampled single calls each get their own row of noise, drawn in call order', async () => {
        const pol = await load(MIX.bytes, { seed: 5 });
        try {
          const n = 12;
          const got = await Promise.all(
            Array.from({ length: n }, (_, i) => pol.actOne(OBS.subarray(i * 3, i * 3 + 3), { mode: 'sample' })),
          );
          const e = expectedNoise(new Rng(5), n, ACTOR_A, true, 'float32');
          const ref = MIX.reference(OBS, n, e.u, e.eps);
          expect(got.map((a) => Array.from(a as FloatArray))).to.deep.equal(rowsOf(ref['action_sampled']!.data, n));
        } finally {
          await pol.dispose();
        }
      });

      it('float32 models: noise is rounded to float32 and a u that rounds to 1 is fed as 1 − 2⁻²⁴', async () => {
        const pol = await load(MIX.bytes);
        try {
          const u = 1 - 2 ** -30; // valid (< 1) but Math.fround(u) === 1
          const obs = OBS.subarray(0, 3);
          const a = (await pol.outputs(obs, { mode: 'sample', noise: { u: [u], eps: [0.1, -0.1] } })).outputs;
          const ref = MIX.reference(obs, 1, [1 - 2 ** -24], [Math.fround(0.1), Math.fround(-0.1)]);
          expectTensor(a['action_sampled'], ref['action_sampled']!, 'action_sampled');
          const src: NoiseSource = { uniform: () => u, normal: () => 0.1 };
          const b = (await pol.outputs(obs, { mode: 'sample', rng: src })).outputs;
          expectTensor(
            b['action_sampled'],
            MIX.reference(obs, 1, [1 - 2 ** -24], [Math.fround(0.1), Math.fround(0.1)])['action_sampled']!,
            'rng',
          );
        } finally {
          await pol.dispose();
        }
      });

      it('invalid options → ValueError / ShapeError naming the option, the value and the fix', async () => {
        const pol = await load(MIX.bytes);
        const q = await load(QF.bytes);
        const ig = await load(QIG.bytes);
        const one = OBS.subarray(0, 3);
        try {
          await expectRejects(
            () => pol.act(one, { mode: 'explore' as 'sample' }),
            ValueError,
            /^act: opts.mode is "explore"; expected one of "greedy", "sample"\.$/,
          );
          await expectRejects(
            () => pol.outputs(one, { mdoe: 'sample' } as ActOptions),
            ValueError,
            /^outputs: unknown option "mdoe"; the options are mode/,
          );
          await expectRejects(
            () => pol.act(one, null as unknown as ActOptions),
            ValueError,
            /opts must be an object \{ mode\?, rng\?, noise\? \}, got null/,
          );
          await expectRejects(
            () => pol.act(one, { rng: new Rng(1) }),
            ValueError,
            /opts.rng was given with mode "greedy" \(the default\)/,
            /Pass mode: "sample"/,
          );
          await expectRejects(
            () => pol.act(one, { mode: 'greedy', noise: { u: [0.5], eps: [0, 0] } }),
            ValueError,
            /opts.noise was given with mode "greedy", which uses no noise/,
          );
          await expectRejects(
            () => pol.act(one, { mode: 'sample', rng: new Rng(1), noise: { u: [0.5], eps: [0, 0] } }),
            ValueError,
            /either opts.rng .* or opts.noise .*, not both/,
          );
          await expectRejects(
            () => pol.act(one, { mode: 'sample', rng: { uniform: () => 0.5 } as NoiseSource }),
            ValueError,
            /opts.rng must be a noise source with methods uniform\(\) .* and normal\(\)/,
          );
          await expectRejects(
            () => pol.act(one, { mode: 'sample', rng: { uniform: () => 1, normal: () => 0 } }),
            ValueError,
            /opts.rng.uniform\(\) returned 1 for row 0; .* \[0, 1\)/,
          );
          await expectRejects(
            () => pol.act(one, { mode: 'sample', rng: { uniform: () => 0.5, normal: () => NaN } }),
            ValueError,
            /opts.rng.normal\(\) returned NaN for row 0/,
          );
          // exact noise
          await expectRejects(
            () => pol.act(OBS.subarray(0, 6), { mode: 'sample', noise: { u: [0.5], eps: [0, 0, 0, 0] } }),
            ShapeError,
            /opts.noise.u has length 1, expected 2 \(one per observation\)/,
          );
          await expectRejects(
            () => pol.act(one, { mode: 'sample', noise: { u: [0.5], eps: [0] } }),
            ShapeError,
            /opts.noise.eps has length 1, expected N·A = 1·2 = 2/,
          );
          await expectRejects(
            () => pol.act(one, { mode: 'sample', noise: { u: [0.5] } }),
            ValueError,
            /opts.noise.eps is missing; family mixture-actor needs noise_eps/,
          );
          for (const bad of [1, -0.25, NaN, Infinity]) {
            await expectRejects(
              () => pol.act(one, { mode: 'sample', noise: { u: [bad], eps: [0, 0] } }),
              ValueError,
              /opts.noise.u\[0\] is .*; u must be a number in \[0, 1\)/,
            );
          }
          await expectRejects(
            () => pol.act(one, { mode: 'sample', noise: { u: ['0.5' as unknown as number], eps: [0, 0] } }),
            ValueError,
            /opts.noise.u\[0\] is a string/,
          );
          await expectRejects(
            () => pol.act(one, { mode: 'sample', noise: { u: [0.5], eps: [0, Infinity] } }),
            ValueError,
            /opts.noise.eps\[1\] is Infinity; eps must be finite numbers within the float32 range/,
          );
          await expectRejects(
            () => pol.act(one, { mode: 'sample', noise: { u: [0.5], eps: [0, 1e39] } }),
            ValueError,
            /opts.noise.eps\[1\] is 1e\+39/,
          );
          await expectRejects(
            () => pol.act(one, { mode: 'sample', noise: { u: new BigInt64Array(1) as unknown as number[], eps: [0, 0] } }),
            ValueError,
            /opts.noise.u is a BigInt64Array; noise values must be numbers/,
          );
          await expectRejects(
            () => pol.act(one, { mode: 'sample', noise: [0.5] as unknown as { u: number[] } }),
            ValueError,
            /opts.noise must be an object \{ u, eps \}/,
          );
          await expectRejects(
            () => pol.act(one, { mode: 'sample', noise: { u: [0.5], eps: [0, 0], e: 1 } as unknown as { u: number[] } }),
            ValueError,
            /unknown field opts.noise.e/,
          );
          // Q families take u only
          await expectRejects(
            () => q.act(one, { mode: 'sample', noise: { u: [0.5], eps: [0, 0, 0, 0] } }),
            ValueError,
            /opts.noise.eps was given, but family gmmqf samples with noise_u only/,
          );
          expect(await q.act(one, { mode: 'sample', rng: { uniform: () => 0.25 } as NoiseSource })).to.equal(2); // floor(0.25 · 8) = 2; normal() not needed
          // in-graph noise
          await expectRejects(
            () => ig.actOne(one, { mode: 'sample', rng: new Rng(3) }),
            ValueError,
            /^actOne: opts.rng was given, but this model draws its sampling noise inside the graph .* not reproducible/,
            /--sampling inputs/,
          );
          // a failed call consumes no noise from the policy's generator
          await expectRejects(() => pol.act([1, 2], { mode: 'sample' }), ShapeError, /obs has length 2/);
          const first = (await pol.outputs(one, { mode: 'sample' })).outputs['action_sampled']!;
          const e0 = expectedNoise(new Rng(0), 1, ACTOR_A, true, 'float32');
          expectTensor(first, MIX.reference(one, 1, e0.u, e0.eps)['action_sampled']!, 'after a failed call');
        } finally {
          await Promise.all([pol.dispose(), q.dispose(), ig.dispose()]);
        }
        await expectRejects(
          () => load(MIX.bytes, { seed: -1 }),
          ValueError,
          /options.seed must be an integer in \[0, 4294967295\].*got -1/,
        );
        await expectRejects(() => load(MIX.bytes, { seed: 1.5 }), ValueError, /options.seed must be an integer/);
        await expectRejects(
          () => load(MIX.bytes, { seeed: 1 } as { seed?: number }),
          ValueError,
          /^loadPolicy: unknown option "seeed"; the options are executionProviders, sessionOptions, seed/,
        );
      });
    });
  }
});

describe('runtime: float64 models (onnxruntime-node and onnxruntime-web)', function () {
  this.timeout(120_000);
  // exact in float64, not in float32
  const OBS64 = Float64Array.from([1 + 2 ** -40, 2 - 2 ** -35, -0.5 + 2 ** -45, 3 + 2 ** -30, -1 - 2 ** -42, 0.25 + 2 ** -48]);

  for (const [backend, load] of ENTRIES) {
    it(`${backend}: observations, noise and outputs stay float64 (no float32 rounding, no float32 range limit)`, async () => {
      for (const family of ['dqn', 'mixture-actor', 'gamid-actor'] as const) {
        const fx = buildFixture({ family, precision: 'float64' });
        const fx32 = buildFixture({ family });
        const [pol, pol32] = await Promise.all([load(fx.bytes), load(fx32.bytes)]);
        try {
          const actor = pol.info.isActor;
          const e = { u: [0.1, 0.7], eps: [Math.PI / 10, -Math.E / 10, 1 / 3, -1 / 7].slice(0, actor ? 4 : 0) };
          const out = await pol.outputs(Array.from(OBS64), { mode: 'sample', noise: actor ? e : { u: e.u } });
          const ref = fx.reference(OBS64, 2, e.u, actor ? e.eps : [0, 0, 0, 0]);
          for (const [name, t] of Object.entries(out.outputs)) {
            expectTensor(t, ref[name]!, `${family} ${name}`);
            if (!(t.data instanceof Int32Array)) expect(t.data, name).to.be.instanceOf(Float64Array);
          }
          // the float32 model of the same weights rounds the observation (and the results) to float32
          const o32 = await pol32.outputs(OBS64);
          const qName = family === 'mixture-actor' ? 'action' : 'q';
          expect(Array.from(o32.outputs[qName]!.data)).to.not.deep.equal(ref[qName]!.data);
          expect(Array.from(o32.outputs[qName]!.data)).to.deep.equal(
            fx32.reference(Float32Array.from(OBS64), 2, [0, 0], [0, 0, 0, 0])[qName]!.data,
          );
          // a finite observation beyond float32 is fine for float64, an error for float32
          const big = [1e39, 0, 0];
          if (family !== 'mixture-actor') {
            const qBig = await pol.qOne(big);
            expect(Array.from(qBig)).to.deep.equal(fx.reference(big, 1, [0], [0, 0])['q']!.data);
            expect(Math.abs(qBig[0]!)).to.be.at.least(1e39);
          }
          await expectRejects(() => pol32.act(big), ValueError, /obs\[0\] = 1e\+39 is outside the float32 range/);
          // typed inputs of either precision; NaN is refused before ONNX Runtime as for float32
          await pol.act(Float32Array.from(OBS64.subarray(0, 3)));
          await expectRejects(() => pol.act([0, NaN, 0]), ValueError, /obs\[1\] is NaN; observations must be finite numbers/);
          await expectRejects(() => pol.act(Float64Array.from([0, 0, -Infinity])), ValueError, /obs\[2\] is -Infinity/);
        } finally {
          await Promise.all([pol.dispose(), pol32.dispose()]);
        }
      }
    });
  }
});

describe('runtime: files that break the family contract (onnxruntime-node and onnxruntime-web)', function () {
  this.timeout(300_000);
  const MIX = buildFixture({ family: 'mixture-actor' });
  const GAMID = buildFixture({ family: 'gamid-actor' });
  const GAMID64 = buildFixture({ family: 'gamid-actor', precision: 'float64' });
  const QGRID = buildFixture({ family: 'gmmqf', grid: true });
  const OBS = fixtureObs(new Rng(701), 30);

  for (const [backend, load] of ENTRIES) {
    describe(backend, () => {
      it('metadata declaring an output or input the graph lacks, or another dtype → ModelFormatError at load', async () => {
        const noComp = edit(GAMID.bytes, (m) => (m.graph!.output!.find((o) => o.name === 'component_actions')!.name = 'components'));
        await expectRejects(
          () => load(noComp),
          ModelFormatError,
          /declares "component_actions" but the graph's outputs are .*"components"/,
        );
        const dropped = edit(MIX.bytes, (m) => (m.graph!.output = m.graph!.output!.filter((o) => o.name !== 'log_std')));
        await expectRejects(() => load(dropped), ModelFormatError, /declares "log_std" but the graph's outputs are/);
        // a float64 model whose graph takes float32 observations
        const obs32 = edit(GAMID64.bytes, (m) => (m.graph!.input![0]!.type!.tensor_type!.elem_type = 1));
        await expectRejects(() => load(obs32), ModelFormatError, /dtype of input "obs": metadata says float64, the graph says float32/);
        // metadata that claims float32 for a float64 graph
        const claims32 = editMetadataJson(GAMID64.bytes, (o) => {
          delete o['precision'];
          for (const t of [...o['inputs'], ...o['outputs']]) if (t.dtype === 'float64') t.dtype = 'float32';
        });
        await expectRejects(() => load(claims32), ModelFormatError, /dtype of input "obs": metadata says float32, the graph says float64/);
        // metadata that says in-graph noise for a graph with noise inputs
        const inGraph = editMetadataJson(MIX.bytes, (o) => {
          o['sampling'].noise = 'in-graph';
          o['inputs'] = o['inputs'].slice(0, 1);
        });
        await expectRejects(
          () => load(inGraph),
          ModelFormatError,
          /the graph has an input "noise_u" that gmmrl.metadata inputs does not declare/,
        );
        // the family contract itself (validated before the graph): an actor without sampling
        const noSampling = editMetadataJson(MIX.bytes, (o) => delete o['sampling']);
        await expectRejects(() => load(noSampling), ModelFormatError, /sampling is required for family mixture-actor/);
      });

      it('outputs outside the contract at run time → ModelFormatError: box bounds, index range, grid rows', async () => {
        // box: the same graph with a narrower declared box
        const narrow = editMetadataJson(MIX.bytes, (o) => {
          o['action_space'].low = [-1, -1];
          o['action_space'].high = [1, 1];
        });
        const pol = await load(narrow);
        try {
          await expectRejects(
            () => pol.act(OBS),
            ModelFormatError,
            /returned action entry \d+ \(row \d+, action entry \d\) = .*, outside the action bounds \[-1, 1\]/,
            /does not compute what its gmmrl metadata declares/,
          );
          await expectRejects(() => pol.outputs(OBS, { mode: 'sample' }), ModelFormatError, /outside the action bounds/);
        } finally {
          await pol.dispose();
        }
        // gamid's component_actions are box values too
        const narrowG = editMetadataJson(GAMID.bytes, (o) => {
          o['action_space'].low = [-1, -1];
          o['action_space'].high = [1, 1];
        });
        const pg = await load(narrowG);
        try {
          await expectRejects(() => pg.outputs(OBS), ModelFormatError, /returned (action|component_actions) entry/);
          // q does not fetch any box output
          expect(await pg.qBatch(OBS)).to.have.length(30);
        } finally {
          await pg.dispose();
        }
        // an index beyond the C components (the ε-greedy head rescaled to 20 "components")
        const badIdx = setInitializer(setInitializer(GAMID.bytes, 'sample/x_over_eps', [40]), 'sample/x_minus_1', [19]);
        const pi = await load(badIdx);
        try {
          await expectRejects(
            () => pi.outputs(OBS, { mode: 'sample', noise: { u: new Array(30).fill(0.4), eps: new Array(60).fill(0) } }),
            ModelFormatError,
            /returned action_sampled_index 16 for row 0, outside 0…2/,
          );
          expect((await pi.outputs(OBS)).outputs['action_index']).to.not.equal(undefined); // greedy outputs unaffected
        } finally {
          await pi.dispose();
        }
        // grid: the sampled grid value must be the metadata grid row of the sampled index
        const badGrid = editMetadataJson(QGRID.bytes, (o) => (o['action_space'].values[1] = [-0.5, 0.25]));
        const pq = await load(badGrid);
        try {
          // u = 0.15: index floor(0.15 · 8) = 1 for every row
          await expectRejects(
            () => pq.envAction(OBS.subarray(0, 3), { mode: 'sample', noise: { u: [0.15] } }),
            ModelFormatError,
            /returned action_sampled\[0\]\[1\] = 0.5 with action_sampled_index 1, but the metadata grid row 1 has 0.25 there/,
          );
        } finally {
          await pq.dispose();
        }
      });

      it('every truncation of an actor file → ModelFormatError (never a crash, a hang or a foreign error)', async () => {
        const bytes = GAMID.bytes;
        const t0 = Date.now();
        for (let cut = 0; cut < bytes.length; cut++) {
          await expectRejects(() => load(bytes.slice(0, cut)), ModelFormatError);
        }
        expect(Date.now() - t0).to.be.below(60_000);
      });

      it('random byte corruption of an actor file: it loads or throws ModelFormatError', async () => {
        const rng = new Rng(backend.length);
        const count = { loaded: 0, rejected: 0 };
        for (let trial = 0; trial < 150; trial++) {
          const b = Uint8Array.from(MIX.bytes);
          const flips = 1 + rng.integer(4);
          for (let f = 0; f < flips; f++) b[rng.integer(b.length)]! ^= 1 << rng.integer(8);
          let pol: Policy | null = null;
          try {
            pol = await load(b);
            count.loaded++;
          } catch (err) {
            expect(err, `trial ${trial}: ${(err as Error).message}`).to.be.instanceOf(ModelFormatError);
            count.rejected++;
          }
          if (pol) {
            // a file that loads either runs or reports the broken output as ModelFormatError / BackendError
            try {
              await pol.outputs(OBS, { mode: 'sample' });
            } catch (err) {
              expect((err as Error).name, `trial ${trial}: ${(err as Error).message}`).to.be.oneOf(['ModelFormatError', 'BackendError']);
            }
            await pol.dispose();
          }
        }
        expect(count.rejected).to.be.greaterThan(0);
      });
    });
  }
});

describe('runtime: greedy calls on the noise-free graph (onnxruntime-node and onnxruntime-web)', function () {
  this.timeout(120_000);
  const N = 24;
  const OBS = fixtureObs(new Rng(701), N);
  const withHead = allFixtureSpecs().filter((s) => s.noise !== 'none');

  for (const [backend, load] of ENTRIES) {
    describe(backend, () => {
      it('every family and variant with a sampling head: greedy act / envAction / q equal the single-session policy exactly; sampling unchanged', async () => {
        for (const spec of withHead) {
          const fx = buildFixture(spec);
          const f64 = spec.precision === 'float64';
          const obs = f64 ? Float64Array.from(OBS) : OBS;
          const two = await load(fx.bytes, { seed: 5 });
          const one = await (load as (b: Uint8Array, o: object) => Promise<Policy>)(fx.bytes, { seed: 5, greedyGraph: false });
          try {
            const g = two.info.greedyGraph!;
            expect(g, `${label(spec)}: ${two.info.greedyGraphReason}`).to.not.equal(null);
            expect(g.nodesRemoved, label(spec)).to.be.greaterThan(0);
            expect(g.outputsRemoved, label(spec)).to.include('action_sampled');
            expect(one.info.greedyGraph).to.equal(null);
            expect(one.info.greedyGraphReason).to.match(/greedyGraph is false/);
            const flat = (x: unknown): number[] =>
              Array.isArray(x)
                ? x.flatMap((r) => Array.from(r as ArrayLike<number>))
                : typeof x === 'number'
                  ? [x]
                  : Array.from(x as ArrayLike<number>);
            expect(flat(await two.act(obs)), label(spec)).to.deep.equal(flat(await one.act(obs)));
            expect(flat(await two.envActionBatch(obs))).to.deep.equal(flat(await one.envActionBatch(obs)));
            for (const i of [0, 11, 23]) {
              const o = obs.subarray(i * 3, i * 3 + 3);
              expect(flat(await two.actOne(o))).to.deep.equal(flat(await one.actOne(o)));
              expect(flat(await two.envAction(o))).to.deep.equal(flat(await one.envAction(o)));
            }
            if (spec.family !== 'mixture-actor') expect(flat(await two.qBatch(obs))).to.deep.equal(flat(await one.qBatch(obs)));
            // outputs() in greedy mode still returns every declared output (the full graph, zero noise)
            const outs = await two.outputs(obs);
            expect(Object.keys(outs.outputs).sort()).to.deep.equal(fx.meta.outputs.map((t) => t.name).sort());
            if (spec.noise === 'inputs') {
              const a = await two.outputs(obs, { mode: 'sample' });
              const b = await one.outputs(obs, { mode: 'sample' });
              for (const name of Object.keys(a.outputs))
                expect(Array.from(a.outputs[name]!.data), name).to.deep.equal(Array.from(b.outputs[name]!.data));
            }
          } finally {
            await two.dispose();
            await one.dispose();
          }
        }
      });

      it('no sampling head → one session; greedyGraph must be a boolean; dispose closes both sessions', async () => {
        const none = await load(buildFixture({ family: 'gmmqf', noise: 'none' }).bytes);
        expect(none.info.greedyGraph).to.equal(null);
        expect(none.info.greedyGraphReason).to.match(/no sampling head/);
        await none.dispose();
        const fx = buildFixture({ family: 'mixture-actor' });
        await expectRejects(
          () => (load as (b: Uint8Array, o: object) => Promise<Policy>)(fx.bytes, { greedyGraph: 'yes' }),
          ValueError,
          /options.greedyGraph must be true or false \(run greedy calls on the noise-free graph; default true\), got "yes"/,
        );
        const pol = await load(fx.bytes);
        await pol.act(OBS.subarray(0, 3));
        await pol.dispose();
        await expectRejects(() => pol.act(OBS.subarray(0, 3)), Error, /disposed/);
        await expectRejects(() => pol.act(OBS.subarray(0, 3), { mode: 'sample' }), Error, /disposed/);
      });
    });
  }
});

describe('runtime: public exports', () => {
  it('Rng, asQPolicy/asActorPolicy and ACT_MODES are exported by both entries; Rng is the runtime generator', () => {
    for (const m of [nodeRt as Record<string, unknown>, webRt as Record<string, unknown>]) {
      expect(m['Rng']).to.equal(Rng);
      expect(m['asQPolicy']).to.equal(asQPolicy);
      expect(m['asActorPolicy']).to.equal(asActorPolicy);
      expect(m['ACT_MODES']).to.deep.equal(['greedy', 'sample']);
    }
    const r = new Rng(3);
    const src: NoiseSource = r; // an Rng is a NoiseSource
    expect(src.uniform()).to.be.within(0, 1);
  });
});
