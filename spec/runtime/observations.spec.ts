/**
 * Observations the model computes (runtime/observations.ts, graph-checks.ts ObservationDomain): an
 * observation entry beyond policy.info.observationLimit is a ValueError naming the entry, its value
 * and the limit (before: NaN q and action 0 for the Q models, torque −2 for a grid, a
 * ModelFormatError blaming a healthy actor file); every observation up to the limit gives finite
 * outputs on every family (both entries); and a seeded fuzz of observation arguments (NaN, ±∞,
 * extremes, denormals, −0, wrong lengths and types, typed arrays of other kinds, batches) ends in
 * finite outputs or a ValueError / ShapeError, never anything else.
 */
import { expect } from 'chai';
import * as nodeRt from '../../runtime/index.node.js';
import * as webRt from '../../runtime/index.web.js';
import { ValueError } from '../../contract/errors.js';
import { Rng } from '../../contract/rng.js';
import type { Policy, PolicyOutputs } from '../../runtime/policy.js';
import { expectRejects } from '../helpers.js';
import { exportedModels, type ExportedModel } from './exported-models.js';
import { fuzzObservations, nextUp } from './observation-fuzz.js';

type Loader = (src: Uint8Array, opts?: { seed?: number }) => Promise<Policy>;
const ENTRIES: [string, Loader][] = [
  ['onnxruntime-node', nodeRt.loadPolicy as Loader],
  ['onnxruntime-web', webRt.loadPolicy as Loader],
];

/** Every float output finite, every index output within its range. */
function expectFinite(r: PolicyOutputs, pol: Policy, what: string): void {
  for (const [name, t] of Object.entries(r.outputs)) {
    const isIndex = t.data instanceof Int32Array;
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i]!;
      if (isIndex)
        expect(v >= 0 && v < Math.max(pol.info.numActions, pol.info.components ?? 0), `${what}: ${name}[${i}] = ${v}`).to.equal(true);
      else expect(Number.isFinite(v), `${what}: ${name}[${i}] = ${v}`).to.equal(true);
    }
  }
}

/** Rows of observations from ±limit·scale (random signs), keeping acrobot (cos, sin) pairs away from (0, 0). */
function sweepRows(pol: Policy, rng: Rng): number[][] {
  const L = pol.info.observationLimit;
  const D = L.length;
  const pairs = pol.info.metadata.features?.kind === 'acrobot-angles';
  const f64 = pol.info.precision === 'float64';
  const r = f64 ? (x: number) => x : Math.fround;
  const rows: number[][] = [];
  const scales = [1, 1 - 2 ** -20, 0.5, 1e-3, 1e-20, 2 ** -149, 0];
  for (const s of scales) {
    for (let k = 0; k < 6; k++) rows.push(Array.from({ length: D }, (_, i) => (rng.uniform() < 0.5 ? -1 : 1) * r(L[i]! * s)));
  }
  // mixed: one entry at its limit, the others ordinary
  for (let i = 0; i < D; i++)
    for (const sign of [-1, 1]) rows.push(Array.from({ length: D }, (_, j) => (j === i ? sign * L[i]! : r(rng.normal()))));
  // −0 and denormals everywhere
  rows.push(new Array<number>(D).fill(-0), new Array<number>(D).fill(2 ** -149), new Array<number>(D).fill(-(2 ** -126)));
  if (pairs) for (const row of rows) for (const c of [0, 2]) if (Math.max(Math.abs(row[c]!), Math.abs(row[c + 1]!)) < 2 ** -100) row[c] = 1;
  return rows;
}

describe('runtime: observations the model computes (observationLimit)', function () {
  this.timeout(120_000);
  const MODELS: ExportedModel[] = exportedModels();
  const byName = (n: string): ExportedModel => MODELS.find((m) => m.name === n)!;

  describe('the extreme finite observations of the issue are refused as input errors', () => {
    it('gmmqf: [3.4e38, …] is a ValueError naming the entry, the value and the limit (was: NaN q, action 0)', async () => {
      const pol = await nodeRt.loadPolicy(byName('gmmqf').bytes);
      try {
        const L = pol.info.observationLimit;
        await expectRejects(
          () => pol.q([3.4e38, 0, 0]),
          ValueError,
          new RegExp(
            `obs\\[0\\] = 3\\.4e\\+38 is outside the range this model computes: \\|obs\\[0\\]\\| ≤ ${String(L[0]).replace(/[.+]/g, '\\$&')}`,
          ),
          /policy\.info\.observationLimit\[0\]/,
        );
        await expectRejects(
          () =>
            pol.act([
              [0, 0, 0],
              [0, -3.4e38, 0],
            ]),
          ValueError,
          /obs\[1\]\[1\] = -3\.4e\+38 .* \|obs\[1\]\| ≤/,
        );
      } finally {
        await pol.dispose();
      }
    });

    it('dqn: [1e38, …] is a ValueError (was: NaN q, action 0)', async () => {
      const pol = await nodeRt.loadPolicy(byName('dqn').bytes);
      try {
        await expectRejects(
          () => pol.act(Float32Array.of(1e38, 1e38, 1e38, 1e38)),
          ValueError,
          /obs\[0\] = 9\.99\d*e\+37 is outside the range this model computes/,
        );
      } finally {
        await pol.dispose();
      }
    });

    it('a grid model: envAction of [3.4e38, …] is a ValueError (was: the grid value of action 0, torque −2)', async () => {
      const pol = await nodeRt.loadPolicy(byName('gmmqf action grid').bytes);
      try {
        await expectRejects(() => pol.envAction([3.4e38, 3.4e38, 3.4e38]), ValueError, /obs\[0\] = 3\.4e\+38 is outside the range/);
      } finally {
        await pol.dispose();
      }
    });

    for (const name of ['mixture-actor (sac)', 'gamid-actor', 'gamid-actor C = 1 (td3)']) {
      it(`${name}: [3.4e38, …] is a ValueError, not a ModelFormatError blaming the file`, async () => {
        const pol = await nodeRt.loadPolicy(byName(name).bytes);
        try {
          await expectRejects(() => pol.act([3.4e38, 3.4e38, 3.4e38]), ValueError, /obs\[0\] = 3\.4e\+38 is outside the range/);
          await expectRejects(() => pol.act([0, 0, 3.4e38], { mode: 'sample' }), ValueError, /obs\[2\] = 3\.4e\+38/);
        } finally {
          await pol.dispose();
        }
      });
    }
  });

  for (const model of MODELS) {
    describe(model.name, () => {
      for (const [backend, load] of ENTRIES) {
        it(`${backend}: observations up to the limit give finite outputs (greedy and sampled); just beyond it is a ValueError`, async () => {
          const pol = await load(model.bytes, { seed: 3 });
          try {
            const f64 = pol.info.precision === 'float64';
            const L = pol.info.observationLimit;
            const rows = sweepRows(pol, new Rng(77));
            expectFinite(await pol.outputs(rows), pol, 'greedy outputs');
            const mode = pol.info.sampling === null ? 'greedy' : 'sample';
            expectFinite(await pol.outputs(rows, { mode }), pol, `${mode} outputs`);
            const acts = await pol.actBatch(rows, { mode });
            expect(acts.length).to.equal(rows.length);
            for (const row of rows.slice(0, 8)) await pol.envAction(f64 ? Float64Array.from(row) : Float32Array.from(row));
            for (let i = 0; i < L.length; i++) {
              const row = rows[rows.length - 1]!.map((x, j) => (j === i ? -nextUp(L[i]!, f64) : x));
              await expectRejects(
                () => pol.act(row),
                ValueError,
                new RegExp(`obs\\[${i}\\] = -[0-9.e+]+ is outside the range this model computes: \\|obs\\[${i}\\]\\| ≤ `),
              );
            }
          } finally {
            await pol.dispose();
          }
        });
      }
    });
  }

  it('acrobot-angles: a (cos, sin) pair at (0, 0) or below 2^-100 is a ValueError (atan2 undefined; was: NaN q)', async () => {
    for (const name of ['gmmqf acrobot-angles', 'gmmqf acrobot-angles float64']) {
      const pol = await nodeRt.loadPolicy(byName(name).bytes);
      try {
        await expectRejects(
          () => pol.q([0, 0, 1, 0, 0.1, 0.2]),
          ValueError,
          /obs\[0\] = 0 and obs\[1\] = 0 are a \(cos, sin\) pair of magnitude below 2\^-100/,
        );
        await expectRejects(
          () => pol.q([[1, 0, -0, 1e-45, 0, 0]]),
          ValueError,
          /obs\[0\]\[2\] = 0 and obs\[0\]\[3\] = (1e-45|1\.4\d*e-45) are a \(cos, sin\) pair/,
        );
        const q = await pol.qOne([1e-30, -1e-30, 0, -1, 0, 0]);
        expect(Array.from(q).every(Number.isFinite)).to.equal(true);
      } finally {
        await pol.dispose();
      }
    }
  });

  describe('observation fuzz (seeded): finite outputs or a ValueError / ShapeError', () => {
    for (const model of MODELS) {
      it(model.name, async () => {
        const pol = await nodeRt.loadPolicy(model.bytes, { seed: 1 });
        try {
          const counts = await fuzzObservations(pol, new Rng(9000 + MODELS.indexOf(model)), 200);
          expect(counts.untyped, 'untyped errors').to.equal(0);
          expect(counts.nonFinite, 'non-finite outputs').to.equal(0);
          expect(counts.mispredicted, 'accept/refuse against the rule').to.deep.equal([]);
          expect(counts.accepted).to.be.greaterThan(20);
          expect(counts.refused).to.be.greaterThan(20);
        } finally {
          await pol.dispose();
        }
      });
    }
  });
});
