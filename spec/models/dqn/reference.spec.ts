import { expect } from 'chai';
import { checkDqnParams, cloneDqnParams, dqnParameterCount, initDqnParams, type DqnParams } from '../../../models/dqn/params.js';
import { argmaxRows, dqnForward, dqnQValues, dqnTdLoss, dqnTdTargets, huber } from '../../../models/dqn/reference.js';
import { dqnFloat32Bound } from '../../../models/dqn/float32-bound.js';
import { ShapeError, ValueError } from '../../../contract/errors.js';
import { Rng } from '../../../sdk/util/rng.js';
import { expectClose, expectThrows } from '../../helpers.js';
import { randomDqnParams, randomObservations, worstRatio } from './fixtures.js';

/** layers [2, 3, 2]: z = ((s − (1, −1)) / (2, 0.5)); see the hand computation in the first test. */
function handNet(): DqnParams {
  return {
    layers: [2, 3, 2],
    weights: [Float64Array.from([1, -1, 0.5, 2, 1, -1]), Float64Array.from([1, -1, 7, 7, 3, 3])],
    biases: [Float64Array.from([0, -2, 0]), Float64Array.from([0.5, 0])],
    obsOffset: Float64Array.from([1, -1]),
    obsScale: Float64Array.from([2, 0.5]),
  };
}

/**
 * The graph's op sequence evaluated in float32 on the host (every op rounded with Math.fround), with
 * a chosen summation order: 'forward' (bias last), 'reverse', or 'bias-first' (a fused Gemm).
 */
function float32Emulation(p: DqnParams, obs: Float32Array, n: number, order: 'forward' | 'reverse' | 'bias-first'): Float64Array {
  const f = Math.fround;
  const D = p.layers[0]!;
  const L = p.layers.length - 1;
  const out = new Float64Array(n * p.layers[L]!);
  for (let r = 0; r < n; r++) {
    let x = Array.from({ length: D }, (_, j) => f(f(obs[r * D + j]! - f(p.obsOffset[j]!)) / f(p.obsScale[j]!)));
    for (let l = 0; l < L; l++) {
      const nin = p.layers[l]!;
      const nout = p.layers[l + 1]!;
      const y: number[] = [];
      for (let j = 0; j < nout; j++) {
        const idx = Array.from({ length: nin }, (_, i) => (order === 'reverse' ? nin - 1 - i : i));
        let acc = order === 'bias-first' ? f(p.biases[l]![j]!) : 0;
        for (const i of idx) acc = f(acc + f(x[i]! * f(p.weights[l]![i * nout + j]!)));
        if (order !== 'bias-first') acc = f(acc + f(p.biases[l]![j]!));
        y.push(l < L - 1 ? Math.max(0, acc) : acc);
      }
      x = y;
    }
    for (let j = 0; j < x.length; j++) out[r * x.length + j] = x[j]!;
  }
  return out;
}

/**
 * Measured max B / magnitude over these nets and states: 9e-5 … 2.2e-4 (the worst entries are those
 * whose hidden pre-activations cancel, so errors propagated from them dominate the output's own
 * size); 1e-3 leaves ~5× room. The worst-case bound is ~100–1000× the errors actually seen (it adds
 * n rounding errors where they behave like √n), which is the price of a tolerance that holds for
 * any summation order.
 */
const RELATIVE_BOUND_LIMIT = 1e-3;

describe('models/dqn (params, float64 reference, float32 bound)', () => {
  it('the reference forward pass matches a hand computation', () => {
    const p = handNet();
    // z = ((3 − 1)/2, (0 + 1)/0.5) = (1, 2); z W0 + b0 = (5, −1, −1.5) → relu (5, 0, 0); · W1 + b1 = (5.5, −5)
    const acts = dqnForward(p, [3, 0], 1);
    expect(Array.from(acts[0]!)).to.deep.equal([1, 2]);
    expect(Array.from(acts[1]!)).to.deep.equal([5, 0, 0]);
    expect(Array.from(dqnQValues(p, [3, 0, 1, -1], 2))).to.deep.equal([5.5, -5, 0.5, 0]); // second row: z = 0 → relu(b0) = 0
    expect(Array.from(argmaxRows([5.5, -5, 0.5, 0, 2, 2], 3, 2))).to.deep.equal([0, 0, 0]); // first index on ties
  });

  it('counts parameters: [6, 128, 128, 3] (Acrobot-v1, the paper baseline) has 17,795', () => {
    expect(dqnParameterCount([6, 128, 128, 3])).to.equal(6 * 128 + 128 + 128 * 128 + 128 + 128 * 3 + 3);
    expect(dqnParameterCount([6, 128, 128, 3])).to.equal(17795);
    expect(dqnParameterCount([4, 2])).to.equal(10);
  });

  it('initDqnParams is seeded (same Rng seed → same network), He/Glorot-uniform within the limits, biases 0', () => {
    const norm = { obsOffset: Float64Array.from([1, 2, 3]), obsScale: Float64Array.from([1, 1, 2]) };
    const a = initDqnParams([3, 64, 32, 2], new Rng(5), norm);
    const b = initDqnParams([3, 64, 32, 2], new Rng(5), norm);
    const c = initDqnParams([3, 64, 32, 2], new Rng(6), norm);
    expect(a.weights.map((w) => Array.from(w))).to.deep.equal(b.weights.map((w) => Array.from(w)));
    expect(Array.from(a.weights[1]!)).to.not.deep.equal(Array.from(c.weights[1]!));
    const limits = [Math.sqrt(6 / 3), Math.sqrt(6 / 64), Math.sqrt(6 / (32 + 2))];
    a.weights.forEach((w, l) => {
      const m = Math.max(...Array.from(w, Math.abs));
      expect(m, `layer ${l}`).to.be.at.most(limits[l]!);
      expect(m, `layer ${l} uses the range`).to.be.greaterThan(0.9 * limits[l]!);
    });
    for (const bias of a.biases) expect(Array.from(bias).every((x) => x === 0)).to.equal(true);
    expect(Array.from(a.obsOffset)).to.deep.equal([1, 2, 3]);
    a.obsOffset[0] = 99; // a copy, not the caller's array
    expect(norm.obsOffset[0]).to.equal(1);
  });

  it('cloneDqnParams is deep', () => {
    const p = handNet();
    const q = cloneDqnParams(p);
    q.weights[0]![0] = 42;
    q.obsScale[0] = 42;
    expect(p.weights[0]![0]).to.equal(1);
    expect(p.obsScale[0]).to.equal(2);
  });

  it('checkDqnParams names the field, the value and the expectation', () => {
    const p = handNet();
    expect(() => checkDqnParams(p, 'test')).to.not.throw();
    expectThrows(
      () => checkDqnParams({ ...p, layers: [2] }, 'test'),
      ValueError,
      /test: layers must be an array \[D, hidden…, A\] of at least 2 sizes/,
    );
    expectThrows(
      () => checkDqnParams({ ...p, layers: [2, 0, 2] }, 'test'),
      ValueError,
      /layers\[1\] = 0; every layer size must be a positive integer/,
    );
    expectThrows(
      () => checkDqnParams({ ...p, weights: [p.weights[0]!] }, 'test'),
      ShapeError,
      /weights must be an array of 2 Float64Array/,
    );
    expectThrows(
      () => checkDqnParams({ ...p, weights: [p.weights[0]!, new Float64Array(5)] }, 'test'),
      ShapeError,
      /weights\[1\] has length 5, expected 6 \(shape \[3, 2\]\)/,
    );
    const w = p.weights[0]!.slice();
    w[4] = NaN;
    expectThrows(
      () => checkDqnParams({ ...p, weights: [w, p.weights[1]!] }, 'test'),
      ValueError,
      /weights\[0\]\[4\] is NaN; all parameters must be finite/,
    );
    expectThrows(() => checkDqnParams({ ...p, obsScale: Float64Array.from([1, 0]) }, 'test'), ValueError, /obsScale\[1\] = 0 must be > 0/);
    expectThrows(
      () => checkDqnParams({ ...p, biases: [p.biases[0]!, [1, 2] as unknown as Float64Array] }, 'test'),
      ValueError,
      /biases\[1\] must be a Float64Array/,
    );
  });

  it('TD targets and Huber loss (float64) on a hand example', () => {
    expect(huber(0.5, 1)).to.equal(0.125);
    expect(huber(-3, 1)).to.equal(2.5);
    expect(huber(3, 2)).to.equal(4);
    // online = target = handNet; next states give q = (5.5, −5) and (0.5, 0)
    const p = handNet();
    const batch = { size: 2, obs: [3, 0, 3, 0], actions: [0, 1], rewards: [1, 2], nextObs: [3, 0, 1, -1], terminated: [0, 1] };
    const y = dqnTdTargets(p, p, batch, 0.5, false);
    expect(Array.from(y)).to.deep.equal([1 + 0.5 * 5.5, 2]);
    expect(Array.from(dqnTdTargets(p, p, batch, 0.5, true))).to.deep.equal([1 + 0.5 * 5.5, 2]); // same net: double = plain
    // residuals q(s, a) − y: 5.5 − 3.75 = 1.75 (linear part), −5 − 2 = −7
    expect(dqnTdLoss(p, batch, y, 1)).to.equal((1.75 - 0.5 + 7 - 0.5) / 2);
  });

  describe('float32 error bound', () => {
    for (const layers of [
      [4, 64, 64, 2],
      [6, 128, 128, 3],
      [3, 7, 5],
      [2, 3],
    ]) {
      it(`[${layers}]: float32 evaluation in three summation orders stays within B; B is not vacuous`, () => {
        const rng = new Rng(layers.reduce((a, b) => 31 * a + b, 7));
        const p = randomDqnParams(rng, layers);
        const n = 200;
        const obs = randomObservations(rng, p, n);
        const { bound, magnitude, q } = dqnFloat32Bound(p, obs, n);
        expect(Array.from(q)).to.deep.equal(Array.from(dqnQValues(p, obs, n)));
        let worstSeen = 0;
        for (const order of ['forward', 'reverse', 'bias-first'] as const) {
          const q32 = float32Emulation(p, obs, n, order);
          const w = worstRatio(q32, q, bound);
          expect(w.ratio, `${order}: entry ${w.index}: f32 ${q32[w.index]} f64 ${q[w.index]} B ${bound[w.index]}`).to.be.at.most(1);
          worstSeen = Math.max(worstSeen, w.ratio);
        }
        // the bound stays a small multiple of (n + 2)·u relative to the absolute-value network Σ|W||x| + |b|
        let rel = 0;
        for (let k = 0; k < bound.length; k++) rel = Math.max(rel, bound[k]! / magnitude[k]!);
        if (process.env['GMMRL_DEBUG'])
          console.log(`[${layers}] max B/magnitude ${rel.toExponential(2)}, worst float32 error / B ${worstSeen.toFixed(3)}`);
        expect(rel).to.be.below(RELATIVE_BOUND_LIMIT);
        expect(worstSeen, 'rounding errors are really there (the emulation is not exact)').to.be.greaterThan(0);
      });
    }

    it('B grows with the conditioning of the states: far-out observations get a proportionally larger bound', () => {
      const rng = new Rng(9);
      const p = randomDqnParams(rng, [4, 32, 2]);
      const near = Float32Array.from(p.obsOffset, (o, j) => o + 0.5 * p.obsScale[j]!);
      const far = Float32Array.from(p.obsOffset, (o, j) => o + 20 * p.obsScale[j]!);
      const bn = dqnFloat32Bound(p, near, 1);
      const bf = dqnFloat32Bound(p, far, 1);
      expect(bf.bound[0]!).to.be.greaterThan(10 * bn.bound[0]!);
      expectClose(bf.bound[0]! / bf.magnitude[0]!, bn.bound[0]! / bn.magnitude[0]!, { rtol: 1 }, 'relative bound is scale-free');
    });
  });
});
