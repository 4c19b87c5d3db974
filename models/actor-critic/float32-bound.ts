/**
 * Worst-case float32 error of an MLP as an exported graph evaluates it: the building block of the
 * parity tolerances of every MLP family (DQN: models/dqn/float32-bound.ts; the mixture and Gamid
 * actors: sdk/parity-actor.ts). The derivation (u = 2⁻²⁴, float32 unit roundoff; every constant is
 * the float64 parameter rounded to float32 once; propagated in float64 from the float64
 * reference's own intermediates):
 *
 *   t = s − o                   |δt| ≤ u|o| + u|t|                       (rounding o; the subtraction)
 *   z = t / σ                   |δz| ≤ |δt|/σ + 3u|z|                    (rounding σ; the division, or
 *                                                                          a reciprocal and a multiply)
 *   y = x·W + b (n inputs)      |δy_j| ≤ γ (Σ_i |W_ij|(|x_i| + |δx_i|) + |b_j|) + Σ_i |W_ij| |δx_i| + 2(n+1)·2⁻¹²⁶
 *                               γ = (n+2)u / (1 − (n+2)u): any summation order of the n products
 *                               and the bias (a fused Gemm included), FMA or not, plus rounding W
 *                               and b to float32; the last term covers flushing subnormal products
 *                               and sums to zero
 *   relu(y)                     |δ relu(y)| ≤ |δy|                       (ReLU is 1-Lipschitz)
 *
 * The input error δx may be nonzero (a critic reading actions computed in float32 upstream).
 * `u` defaults to float32's roundoff; pass 2⁻⁵³ for a float64 graph (the subnormal term stays
 * float32's, which only makes the bound larger).
 */
import { mlpLayerOutputs, type MlpParams } from './mlp.js';

/** float32 unit roundoff. */
export const U32 = 2 ** -24;
/** Smallest normal float32: the most a flushed subnormal can lose. */
export const TINY32 = 2 ** -126;

/** z = (s − o)/σ [N, D] in float64 and the bound on its float32 error. */
export function normalizationBound(
  obs: ArrayLike<number>,
  offset: ArrayLike<number>,
  scale: ArrayLike<number>,
  n: number,
  u = U32,
): { z: Float64Array; err: Float64Array } {
  const D = offset.length;
  const z = new Float64Array(n * D);
  const err = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < D; j++) {
      const o = offset[j]!;
      const t = obs[i * D + j]! - o;
      const zz = t / scale[j]!;
      z[i * D + j] = zz;
      err[i * D + j] = (u * (Math.abs(o) + Math.abs(t))) / scale[j]! + 3 * u * Math.abs(zz);
    }
  }
  return { z, err };
}

export interface MlpFloat32Bound {
  /** The float64 outputs [N, out]. */
  out: Float64Array;
  /** B [N, out]: the worst-case |y_float32 − y_float64| per entry. */
  bound: Float64Array;
  /** Σ_i |W_ij| |x_i| + |b_j| at the output layer [N, out] (the size y would have without cancellation). */
  magnitude: Float64Array;
  /** Every layer's float64 output (post-activation for the hidden layers), as mlpLayerOutputs. */
  layers: Float64Array[];
}

/** Propagates the input error bounds dx [N, in] of inputs x [N, in] (float64) through the MLP. */
export function mlpFloat32Bound(
  p: Pick<MlpParams, 'layers' | 'weights' | 'biases'>,
  x: ArrayLike<number>,
  dx: ArrayLike<number>,
  n: number,
  u = U32,
): MlpFloat32Bound {
  const L = p.layers.length - 1;
  const outs = mlpLayerOutputs(p, x, n);
  const acts: ArrayLike<number>[] = [x, ...outs];
  let err: ArrayLike<number> = dx;
  let magnitude = new Float64Array(0);
  for (let l = 0; l < L; l++) {
    const nin = p.layers[l]!;
    const nout = p.layers[l + 1]!;
    const gamma = ((nin + 2) * u) / (1 - (nin + 2) * u);
    const W = p.weights[l]!;
    const b = p.biases[l]!;
    const xl = acts[l]!;
    const next = new Float64Array(n * nout);
    const mag = new Float64Array(n * nout);
    const prop = new Float64Array(nout); // Σ_i |W_ij| |δx_i|
    const plain = new Float64Array(nout); // Σ_i |W_ij| |x_i|
    for (let r = 0; r < n; r++) {
      prop.fill(0);
      plain.fill(0);
      for (let k = 0; k < nin; k++) {
        const xa = Math.abs(xl[r * nin + k]!);
        const e = err[r * nin + k]!;
        const wr = k * nout;
        for (let j = 0; j < nout; j++) {
          const w = Math.abs(W[wr + j]!);
          plain[j]! += w * xa;
          prop[j]! += w * e;
        }
      }
      for (let j = 0; j < nout; j++) {
        const bj = Math.abs(b[j]!);
        next[r * nout + j] = gamma * (plain[j]! + prop[j]! + bj) + prop[j]! + 2 * (nin + 1) * TINY32;
        mag[r * nout + j] = plain[j]! + bj;
      }
    }
    err = next; // ReLU is 1-Lipschitz: the error bound carries over unchanged
    magnitude = mag;
  }
  return { out: outs.at(-1)!, bound: err as Float64Array, magnitude, layers: outs };
}
