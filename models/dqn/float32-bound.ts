/**
 * Float32 error analysis of the DQN Q-network as the exported graph evaluates it (and as the
 * TensorFlow.js inference path mirrors it op for op): the parity tolerance of `verifyDqnParity` and
 * of the exporter tests.
 *
 * u = 2⁻²⁴ (float32 unit roundoff). Every constant (offset, scale, W, b) is the float64 parameter
 * rounded to float32 once. Propagated in float64 from the float64 reference's own intermediates
 * x (exact values) on the same float32 observation s:
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
 * The result B bounds |q_float32 − q_float64| for every entry. The layers carry their second-order
 * terms (|x̃| ≤ |x| + |δx| inside the rounding term, γ instead of (n+2)u); only the normalization's
 * O(u²) terms are dropped, ~1e-14 relative, far below B itself. Two float32 engines therefore
 * differ by at most 2B. The bound assumes IEEE float32 arithmetic: reduced-precision matmuls (TF32
 * on recent NVIDIA GPUs, bfloat16) are outside it and would (correctly) fail parity.
 *
 * Size: near the data, B ≈ (n+2)u·‖|W|‖ products ≈ 1e-5 of the "absolute-value network"
 * Σ|W||x| + |b| for a 128-wide layer, i.e. a relative 1e-5…1e-4 of |q| unless q itself cancels.
 */
import type { DqnParams } from './params.js';
import { U32, mlpFloat32Bound, normalizationBound } from '../actor-critic/float32-bound.js';

export { U32 };

export interface DqnFloat32Bound {
  /** B [N, A]: the worst-case |q_float32 − q_float64| per entry. */
  bound: Float64Array;
  /** Σ_i |W_ij| |x_i| + |b_j| at the output layer [N, A] (the size q would have without cancellation). */
  magnitude: Float64Array;
  /** The float64 q [N, A] (the reference, computed on the way). */
  q: Float64Array;
}

/** The bound B for each entry [N, A] of a batch of raw (float32) observations [N, D] (models/actor-critic/float32-bound.ts). */
export function dqnFloat32Bound(p: DqnParams, obs: ArrayLike<number>, n: number): DqnFloat32Bound {
  const { z, err } = normalizationBound(obs, p.obsOffset, p.obsScale, n);
  const { out, bound, magnitude } = mlpFloat32Bound(p, z, err, n);
  return { bound, magnitude, q: out };
}

/** B [N, A] only. */
export function dqnQErrorBound(p: DqnParams, obs: ArrayLike<number>, n: number): Float64Array {
  return dqnFloat32Bound(p, obs, n).bound;
}
