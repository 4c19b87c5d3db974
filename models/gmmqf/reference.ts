/**
 * Float64 reference evaluation of a GMM Q-function, in plain typed arrays.
 *
 * This is the ground truth that the TensorFlow.js evaluation, the ONNX graph and the tests compare
 * against. Every entry point takes RAW observations [N, obsSize] (obsSize = `observationSizeOf(p)`),
 * applies the model's feature map φ (`p.features`, default identity; exact: Math.atan2) and then the
 * normalization z = (φ(s) − offset) / scale. The quadratic form is numerically centred (z − m_k
 * first) and evaluated through the lower-triangular precision factor W_k = L_k⁻¹ (C_k = L_k L_kᵀ),
 * so dᵀ C_k⁻¹ d = ‖W_k d‖².
 */
import { cholesky, invertLower } from '../linalg/cholesky.js';
import { ShapeError } from '../../contract/errors.js';
import { applyFeatures, featureInputSize } from './features.js';
import type { GmmQfParams } from './params.js';

/** Entries of one raw observation the model consumes: the feature map's input size (D for identity). */
export function observationSizeOf(p: Pick<GmmQfParams, 'D' | 'features'>): number {
  return featureInputSize(p.features ?? 'identity', p.D);
}

/**
 * Precision factors W_k = L_k⁻¹ (lower-triangular, row-major, [K, D, D]) where C_k = L_k L_kᵀ is the
 * Cholesky factorisation. Then C_k⁻¹ = W_kᵀ W_k and the quadratic form is dᵀ C_k⁻¹ d = ‖W_k d‖².
 * Throws SpdError naming the component when C_k is not SPD.
 */
export function precisionFactors(covariances: Float64Array, K: number, D: number): Float64Array {
  const out = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) {
    const l = cholesky(covariances, D, `covariances[${k}]`, k * D * D);
    out.set(invertLower(l, D), k * D * D);
  }
  return out;
}

/**
 * Normalized features z = (φ(s) − offset) / scale [N, D] for a batch of raw observations
 * [N, obsSize] (the first n rows of `obs`). Throws ShapeError when `obs` holds fewer than n
 * observations of obsSize entries.
 */
export function normalize(p: GmmQfParams, obs: ArrayLike<number>, n: number): Float64Array {
  const { D } = p;
  const kind = p.features ?? 'identity';
  const inSize = featureInputSize(kind, D);
  if (obs.length < n * inSize) {
    throw new ShapeError(`GMM-QF: ${n} observations of ${inSize} entries need ${n * inSize} numbers, got ${obs.length}.`);
  }
  let phi: ArrayLike<number> = obs;
  if (kind !== 'identity') {
    const rows = obs.length === n * inSize ? obs : Float64Array.from({ length: n * inSize }, (_, i) => obs[i]!);
    phi = applyFeatures(kind, rows, n, D);
  }
  const z = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < D; j++) z[i * D + j] = (phi[i * D + j]! - p.obsOffset[j]!) / p.obsScale[j]!;
  }
  return z;
}

/**
 * Kernel activations g[n, k] = exp(−½ ‖W_k (z_n − m_k)‖²) for a batch of *raw* observations
 * [N, obsSize]. `factors` may be passed to avoid recomputing the Cholesky factors.
 */
export function activations(
  p: GmmQfParams,
  obs: ArrayLike<number>,
  n: number,
  factors: Float64Array = precisionFactors(p.covariances, p.K, p.D),
): Float64Array {
  const { K, D } = p;
  const z = normalize(p, obs, n);
  const g = new Float64Array(n * K);
  const diff = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < D; j++) diff[j] = z[i * D + j]! - p.means[k * D + j]!;
      let quad = 0;
      const base = k * D * D;
      for (let r = 0; r < D; r++) {
        let y = 0;
        for (let c = 0; c <= r; c++) y += factors[base + r * D + c]! * diff[c]!;
        quad += y * y;
      }
      g[i * K + k] = Math.exp(-0.5 * quad);
    }
  }
  return g;
}

/** Q values [N, A] (float64) for a batch of raw observations [N, obsSize]. */
export function qValues(p: GmmQfParams, obs: ArrayLike<number>, n: number, factors?: Float64Array): Float64Array {
  const { K, A } = p;
  const g = activations(p, obs, n, factors);
  const q = new Float64Array(n * A);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      const gk = g[i * K + k]!;
      if (gk === 0) continue;
      for (let a = 0; a < A; a++) q[i * A + a]! += gk * p.weights[k * A + a]!;
    }
  }
  return q;
}

/** Greedy actions (argmax over A, first index on ties) for a batch of Q rows [N, A]. */
export function argmaxRows(q: ArrayLike<number>, n: number, A: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestV = q[i * A]!;
    for (let a = 1; a < A; a++) {
      const v = q[i * A + a]!;
      if (v > bestV) {
        bestV = v;
        best = a;
      }
    }
    out[i] = best;
  }
  return out;
}
