/**
 * Float32 error analysis of the GMM-QF evaluation (the exported graph's op sequence, which the
 * TensorFlow.js inference path mirrors). Used by `gmmrl verify` and by the exporter/runtime tests.
 */
import { featuresFloat32Error } from './features.js';
import { precisionFactors } from './reference.js';
import type { GmmQfParams } from './params.js';

/** float32 unit roundoff. */
export const U32 = 2 ** -24;

/**
 * A first-order worst-case bound on |q_float32 − q_float64| for each entry [N, A], for the graph's
 * evaluation order in float32 (unit roundoff u = 2⁻²⁴) against the float64 reference on the same
 * (float32) raw observations [N, obsSize]. Terms, propagated in float64 from the reference's own intermediates:
 *
 *   feature map s = φ(obs) (identity: exact)               |δs| = featuresFloat32Error (features.ts:
 *                                                          acrobot-angles ≤ ≈ 17.7u per angle: Div,
 *                                                          Atan (8 ulp), ±π₃₂ and the Add)
 *   offset/scale/means/W/ξ rounded to float32 once         u·|value|
 *   t = s̃ − o, z = t / σ  (s̃ = s + δs)                     |δz| ≤ (|δs|(1 + 3u) + u(|s| + |δs| + 2|o|))/σ + 2u|z|
 *   d = z − m                                              |δd| ≤ |δz| + u|m| + u|d|
 *   y = W d (D-term dot product)                           |δy_r| ≤ Σ_c |W_rc| (|δd_c| + (D+1)u|d_c|)
 *   quad = Σ y²                                            |δquad| ≤ Σ_r (2|y_r||δy_r| + δy_r²) + (D+1)u·quad
 *   g = exp(−quad/2) (exp accurate to 8 ulp)               |δg| ≤ (g⁺ − g) + 8u·g⁺ + 2⁻¹²⁶ (underflow),
 *                                                          g⁺ = exp(−max(0, quad − |δquad|)/2)
 *   q = Σ_k g_k ξ_ka (K-term dot product)                  |δq_a| ≤ Σ_k |ξ_ka| (|δg_k| + (K+2)u·g_k)
 *
 * Far from the data g = 0 in both and the bound is ~K·2⁻¹²⁶·max|ξ|. Near a mean it is ≈ u·Σ_k|ξ_ka|
 * times a small multiple of (D + K); for an ill-conditioned C_k the |W||d| terms exceed |W d| and
 * the bound grows with cond(W_k) = √cond(C_k), which is exactly the cancellation that rounding W_k
 * to float32 can cause. Tests allow 2× this bound for second-order terms.
 */
export function qErrorBound(
  p: GmmQfParams,
  obs: ArrayLike<number>,
  n: number,
  W = precisionFactors(p.covariances, p.K, p.D),
): Float64Array {
  const { K, D, A } = p;
  const u = U32;
  const bound = new Float64Array(n * A);
  const { phi, err } = featuresFloat32Error(p.features ?? 'identity', obs, n, D);
  const z = new Float64Array(D);
  const dz = new Float64Array(D);
  const d = new Float64Array(D);
  const dd = new Float64Array(D);
  const dg = new Float64Array(K);
  const g = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    let unbounded = false;
    for (let j = 0; j < D; j++) if (!Number.isFinite(err[i * D + j]!)) unbounded = true;
    if (unbounded) {
      // a signed-zero input where the graph's atan2 and Math.atan2 differ by design (features.ts)
      bound.fill(Infinity, i * A, (i + 1) * A);
      continue;
    }
    for (let j = 0; j < D; j++) {
      const s = phi[i * D + j]!;
      const ds = err[i * D + j]!;
      const o = p.obsOffset[j]!;
      const sc = p.obsScale[j]!;
      z[j] = (s - o) / sc;
      dz[j] = (ds * (1 + 3 * u) + u * (Math.abs(s) + ds + 2 * Math.abs(o))) / sc + 2 * u * Math.abs(z[j]!);
    }
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < D; j++) {
        const m = p.means[k * D + j]!;
        d[j] = z[j]! - m;
        dd[j] = dz[j]! + u * Math.abs(m) + u * Math.abs(d[j]!);
      }
      let quad = 0;
      let dquad = 0;
      const b = k * D * D;
      for (let r = 0; r < D; r++) {
        let y = 0;
        let dy = 0;
        for (let c = 0; c < D; c++) {
          const w = W[b + r * D + c]!;
          y += w * d[c]!;
          dy += Math.abs(w) * (dd[c]! + (D + 1) * u * Math.abs(d[c]!));
        }
        quad += y * y;
        dquad += 2 * Math.abs(y) * dy + dy * dy;
      }
      dquad += (D + 1) * u * quad;
      const gk = Math.exp(-0.5 * quad);
      const gHi = Math.exp(-0.5 * Math.max(0, quad - dquad)); // largest g the perturbed quad allows
      g[k] = gk;
      dg[k] = gHi - gk + 8 * u * gHi + 2 ** -126;
    }
    for (let a = 0; a < A; a++) {
      let e = 0;
      for (let k = 0; k < K; k++) e += Math.abs(p.weights[k * A + a]!) * (dg[k]! + (K + 2) * u * g[k]!);
      bound[i * A + a] = e;
    }
  }
  return bound;
}
