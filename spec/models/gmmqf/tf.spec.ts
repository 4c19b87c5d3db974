import { expect } from 'chai';
import { Rng } from '../../../sdk/util/rng.js';
import { selectBackend } from '../../../sdk/backend.js';
import { BellmanBatch, qValuesTf } from '../../../models/gmmqf/tf.js';
import { qValues, normalize } from '../../../models/gmmqf/reference.js';
import { invertSpd } from '../../../models/linalg/cholesky.js';
import type { GmmQfParams } from '../../../models/gmmqf/params.js';
import { expectClose } from '../../helpers.js';
import { randomParams, randomObs } from './fixtures.js';

function invert(C: Float64Array, K: number, D: number): Float64Array {
  const P = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) P.set(invertSpd(C, D, `C[${k}]`, k * D * D), k * D * D);
  return P;
}

/** Float64 Bellman loss through the reference Q (the ground truth for finite differences). */
function lossF64(p: GmmQfParams, obs: Float32Array, actions: Int32Array, y: Float32Array): number {
  const T = actions.length;
  const q = qValues(p, obs, T);
  let s = 0;
  for (let t = 0; t < T; t++) s += (y[t]! - q[t * p.A + actions[t]!]!) ** 2;
  return s / T;
}

describe('models/gmmqf/tf', () => {
  before(async () => {
    await selectBackend('auto');
  });

  it('qValuesTf (the graph op sequence) matches the float64 reference to float32 precision', () => {
    const rng = new Rng(1);
    for (const [K, D, A] of [
      [1, 2, 2],
      [7, 4, 3],
      [50, 4, 2],
      [20, 6, 3],
    ] as const) {
      const p = randomParams(rng, K, D, A);
      const obs = randomObs(rng, p, 200);
      const qt = qValuesTf(p, obs, 200);
      const q64 = qValues(p, obs, 200);
      // float32 error is relative to the magnitude of the summed terms, bounded by Σ|ξ|
      let scale = 0;
      for (let i = 0; i < p.weights.length; i++) scale = Math.max(scale, Math.abs(p.weights[i]!));
      expectClose(qt, q64, { atol: 1e-5 * scale * K }, `q K=${K} D=${D}`);
    }
  });

  it('BellmanBatch loss equals the float64 loss, and its gradients match central finite differences', () => {
    const rng = new Rng(2);
    const K = 5,
      D = 3,
      A = 2,
      T = 64;
    const p = randomParams(rng, K, D, A);
    const obs = randomObs(rng, p, T, 1);
    const actions = Int32Array.from({ length: T }, () => rng.integer(A));
    const y = Float32Array.from({ length: T }, () => 5 * rng.normal());
    const z = Float32Array.from(normalize(p, obs, T));
    const batch = new BellmanBatch(K, D, A, z, actions, y);
    try {
      const g = batch.gradients(p.means, invert(p.covariances, K, D), p.weights);
      const L = lossF64(p, obs, actions, y);
      expectClose(g.loss, L, { rtol: 1e-5 }, 'loss');
      const h = 1e-6;
      const fd = (arr: Float64Array, i: number, sym?: number): number => {
        const orig = arr[i]!;
        const origS = sym !== undefined ? arr[sym]! : 0;
        arr[i] = orig + h;
        if (sym !== undefined) arr[sym] = origS + h;
        const lp = lossF64(p, obs, actions, y);
        arr[i] = orig - h;
        if (sym !== undefined) arr[sym] = origS - h;
        const lm = lossF64(p, obs, actions, y);
        arr[i] = orig;
        if (sym !== undefined) arr[sym] = origS;
        return (lp - lm) / (2 * h);
      };
      const gradScale = (a: Float64Array) => Math.max(...Array.from(a, Math.abs));
      const fdW = Float64Array.from({ length: K * A }, (_, i) => fd(p.weights, i));
      expectClose(g.weights, fdW, { atol: 1e-4 * gradScale(fdW) }, 'dL/dξ');
      const fdM = Float64Array.from({ length: K * D }, (_, i) => fd(p.means, i));
      expectClose(g.means, fdM, { atol: 1e-4 * gradScale(fdM) }, 'dL/dm');
      // symmetric perturbation E_ij + E_ji of C: derivative = G_ij + G_ji (= 2 G_ij off-diagonal, G_ii on it)
      const fdC = new Float64Array(K * D * D);
      const mine = new Float64Array(K * D * D);
      for (let k = 0; k < K; k++)
        for (let i = 0; i < D; i++)
          for (let j = i; j < D; j++) {
            const a = k * D * D + i * D + j;
            const b = k * D * D + j * D + i;
            fdC[a] = i === j ? fd(p.covariances, a) : fd(p.covariances, a, b);
            mine[a] = i === j ? g.covariances[a]! : g.covariances[a]! + g.covariances[b]!;
          }
      expectClose(mine, fdC, { atol: 1e-4 * gradScale(fdC) }, 'dL/dC');
      // the gradient is exactly symmetric
      for (let k = 0; k < K; k++)
        for (let i = 0; i < D; i++)
          for (let j = 0; j < D; j++) {
            expect(g.covariances[k * D * D + i * D + j]).to.equal(g.covariances[k * D * D + j * D + i]);
          }
    } finally {
      batch.dispose();
    }
  });

  it('normalEquations give the per-action Gram matrix and right-hand side', () => {
    const rng = new Rng(3);
    const K = 4,
      D = 2,
      A = 3,
      T = 50;
    const p = randomParams(rng, K, D, A);
    const obs = randomObs(rng, p, T);
    const actions = Int32Array.from({ length: T }, () => rng.integer(A));
    const y = Float32Array.from({ length: T }, () => rng.normal());
    const batch = new BellmanBatch(K, D, A, Float32Array.from(normalize(p, obs, T)), actions, y);
    try {
      const { M, b } = batch.normalEquations(p.means, invert(p.covariances, K, D));
      // reference: g from qValues with unit weights per component
      const unit: GmmQfParams = {
        ...p,
        A: K,
        weights: (() => {
          const w = new Float64Array(K * K);
          for (let k = 0; k < K; k++) w[k * K + k] = 1;
          return w;
        })(),
      };
      const G = qValues(unit, obs, T); // [T, K]
      const Mref = new Float64Array(A * K * K);
      const bref = new Float64Array(A * K);
      for (let t = 0; t < T; t++) {
        const a = actions[t]!;
        for (let i = 0; i < K; i++) {
          bref[a * K + i]! += y[t]! * G[t * K + i]!;
          for (let j = 0; j < K; j++) Mref[a * K * K + i * K + j]! += G[t * K + i]! * G[t * K + j]!;
        }
      }
      expectClose(M, Mref, { atol: 1e-4 }, 'M');
      expectClose(b, bref, { atol: 1e-4 }, 'b');
    } finally {
      batch.dispose();
    }
  });
});
