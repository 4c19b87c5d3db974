/**
 * GMM-QF evaluation in TensorFlow.js, batched over states.
 *
 * Two entry points:
 * - `qValuesTf`: the inference path. It mirrors the exported ONNX graph op for op (feature map,
 *   normalize, centre, precision-factor matmul, sum of squares, exp, weight matmul), in float32, so
 *   that `gmmrl verify` compares like with like.
 * - `BellmanBatch`: the training path. Loss and analytic Euclidean gradients of the empirical
 *   Bellman residual, in a handful of fused batched ops, with one host read per call. Gradients are
 *   checked against float64 finite differences in spec/models/gmmqf. It takes the normalized
 *   features z (computed once per batch on the host by `normalize`, which applies the feature map),
 *   so feature maps need nothing here.
 *
 * Parameters are held in float64 by the optimiser and uploaded as float32 per call.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../../contract/errors.js';
import { PI_F32, type FeatureKind } from './features.js';
import { observationSizeOf, precisionFactors } from './reference.js';
import type { GmmQfParams } from './params.js';

/** W_kᵀ stacked [K, D, D], float32: the factor the graph multiplies the centred row vectors with. */
export function transposedFactors(p: GmmQfParams, factors = precisionFactors(p.covariances, p.K, p.D)): Float32Array {
  const { K, D } = p;
  const out = new Float32Array(K * D * D);
  for (let k = 0; k < K; k++) {
    for (let r = 0; r < D; r++) for (let c = 0; c < D; c++) out[k * D * D + c * D + r] = factors[k * D * D + r * D + c]!;
  }
  return out;
}

/**
 * The feature map φ in TensorFlow.js, op for op as the exported graph computes it (features.ts
 * documents the sequence): for 'acrobot-angles' the graph's atan2 = Atan(y/x) + (x < 0 ? (y ≥ 0 ? π₃₂ :
 * −π₃₂) : 0) on both angles at once, re-assembled with the velocities. Identity returns `x`.
 * Must be called inside tf.tidy.
 */
export function featuresTf(kind: FeatureKind, x: tf.Tensor2D): tf.Tensor2D {
  if (kind === 'identity') return x;
  const n = x.shape[0];
  const cos = tf.gather(x, tf.tensor1d([0, 2], 'int32'), 1);
  const sin = tf.gather(x, tf.tensor1d([1, 3], 'int32'), 1);
  const vel = tf.gather(x, tf.tensor1d([4, 5], 'int32'), 1);
  const base = tf.atan(tf.div(sin, cos));
  const branch = tf.where(tf.greaterEqual(sin, tf.scalar(0)), tf.fill([n, 2], PI_F32), tf.fill([n, 2], -PI_F32));
  const corr = tf.where(tf.less(cos, tf.scalar(0)), branch, tf.zeros([n, 2]));
  const theta = tf.add(base, corr);
  return tf.concat([theta, vel], 1) as tf.Tensor2D;
}

/**
 * Q values [N, A] (float32) for raw observations [N, obsSize], computed exactly as the ONNX graph
 * does (feature map, normalization, centring, whitening, sum of squares, exp, weight matmul).
 */
export function qValuesTf(p: GmmQfParams, obs: Float32Array, n: number): Float32Array {
  const { K, D, A } = p;
  const obsSize = observationSizeOf(p);
  if (obs.length < n * obsSize) {
    throw new ShapeError(`qValuesTf: ${n} observations of ${obsSize} entries need ${n * obsSize} numbers, got ${obs.length}.`);
  }
  return tf.tidy(() => {
    const x = tf.tensor2d(obs.length === n * obsSize ? obs : obs.subarray(0, n * obsSize), [n, obsSize], 'float32');
    const phi = featuresTf(p.features ?? 'identity', x);
    const z = tf.div(tf.sub(phi, tf.tensor1d(Float32Array.from(p.obsOffset))), tf.tensor1d(Float32Array.from(p.obsScale)));
    // component-major, as the graph: diff [K, N, D], K batched [N, D] × [D, D] products
    const diff = tf.sub(tf.expandDims(z, 0), tf.tensor3d(Float32Array.from(p.means), [K, 1, D]));
    const y = tf.matMul(diff, tf.tensor3d(transposedFactors(p), [K, D, D]));
    const quad = tf.sum(tf.mul(y, y), 2);
    const g = tf.exp(tf.mul(quad, tf.scalar(-0.5)));
    const q = tf.matMul(g, tf.tensor2d(Float32Array.from(p.weights), [K, A]), true, false);
    return q.dataSync() as Float32Array;
  });
}

/** Euclidean gradients of the loss, float64 on the host. */
export interface GmmQfGradients {
  loss: number;
  /** ∂L/∂m, [K, D] */
  means: Float64Array;
  /** ∂L/∂C (symmetric), [K, D, D] */
  covariances: Float64Array;
  /** ∂L/∂ξ, [K, A] */
  weights: Float64Array;
}

/**
 * A fixed batch of transitions for policy evaluation: normalized states z [T, D], taken actions,
 * and fixed regression targets y (r + γ(1−done)·Q_prev(s', μ(s'))). Holds its tensors until dispose().
 *
 * Loss: L = 1/T Σ_t (y_t − Q(s_t, a_t))² + λ_ξ ‖ξ‖²_F (λ_ξ ≥ 0, default 0).
 */
export class BellmanBatch {
  readonly T: number;
  private readonly z: tf.Tensor3D; // [1, T, D], broadcast against K
  private readonly onehot: tf.Tensor2D; // [T, A]
  private readonly y: tf.Tensor1D; // [T]

  constructor(
    readonly K: number,
    readonly D: number,
    readonly A: number,
    z: Float32Array,
    actions: Int32Array,
    targets: Float32Array,
    readonly weightDecay = 0,
  ) {
    this.T = actions.length;
    this.z = tf.tensor3d(z, [1, this.T, D]);
    this.onehot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(actions, 'int32'), A), 'float32') as tf.Tensor2D);
    this.y = tf.tensor1d(targets);
  }

  dispose(): void {
    this.z.dispose();
    this.onehot.dispose();
    this.y.dispose();
  }

  /** Kernel activations g [K, T] and u = P_k (z_t − m_k) [K, T, D]. Must be called inside tf.tidy. */
  private kernels(means: Float64Array, precisions: Float64Array) {
    const { K, D } = this;
    const m = tf.tensor3d(Float32Array.from(means), [K, 1, D]);
    const P = tf.tensor3d(Float32Array.from(precisions), [K, D, D]);
    const diff = tf.sub(this.z, m); // [K, T, D], centred
    const u = tf.matMul(diff, P); // [K, T, D] = (P_k d)ᵀ (P symmetric)
    const quad = tf.sum(tf.mul(u, diff), 2); // [K, T]
    const g = tf.exp(tf.mul(quad, tf.scalar(-0.5))); // [K, T]
    return { u, g };
  }

  /** Shared forward pass: u = P_k d, g, Q(s_t,a_t), residual e. Must be called inside tf.tidy. */
  private forward(means: Float64Array, precisions: Float64Array, weights: Float64Array) {
    const { K, A } = this;
    const { u, g } = this.kernels(means, precisions);
    const W = tf.tensor2d(Float32Array.from(weights), [K, A]);
    const xiA = tf.matMul(W, this.onehot, false, true); // [K, T]: ξ[k, a_t]
    const qsa = tf.sum(tf.mul(xiA, g), 0); // [T]
    const e = tf.sub(this.y, qsa); // [T]
    let loss = tf.mean(tf.square(e));
    if (this.weightDecay > 0) loss = tf.add(loss, tf.mul(tf.scalar(this.weightDecay), tf.sum(tf.square(W))));
    return { u, g, xiA, e, loss, W };
  }

  /** Loss only (for line-search trials). `precisions` are C_k⁻¹, [K, D, D]. */
  loss(means: Float64Array, precisions: Float64Array, weights: Float64Array): number {
    return tf.tidy(() => this.forward(means, precisions, weights).loss.dataSync()[0]!);
  }

  /**
   * Loss and Euclidean gradients:
   *   c[k,t] = −(2/T) e_t ξ[k,a_t] g[k,t]
   *   ∂L/∂ξ[k,a] = −(2/T) Σ_t e_t g[k,t] [a_t = a] (+ 2 λ_ξ ξ)
   *   ∂L/∂m_k   = Σ_t c[k,t] u[k,t]            (u = C_k⁻¹ (z_t − m_k))
   *   ∂L/∂C_k   = ½ Σ_t c[k,t] u[k,t] u[k,t]ᵀ
   */
  gradients(means: Float64Array, precisions: Float64Array, weights: Float64Array): GmmQfGradients {
    const { K, D, A, T } = this;
    const packed = tf.tidy(() => {
      const { u, g, xiA, e, loss, W } = this.forward(means, precisions, weights);
      const eScaled = tf.mul(e, tf.scalar(-2 / T)); // [T]
      const ge = tf.mul(g, eScaled); // [K, T]
      let gW = tf.matMul(ge, this.onehot); // [K, A]
      if (this.weightDecay > 0) gW = tf.add(gW, tf.mul(tf.scalar(2 * this.weightDecay), W));
      const c = tf.mul(ge, xiA); // [K, T]
      const cu = tf.mul(u, tf.expandDims(c, 2)); // [K, T, D]
      const gM = tf.sum(cu, 1); // [K, D]
      const gC = tf.mul(tf.matMul(cu, u, true, false), tf.scalar(0.5)); // [K, D, D]
      return tf.concat([tf.reshape(loss, [1]), tf.reshape(gM, [-1]), tf.reshape(gC, [-1]), tf.reshape(gW, [-1])]);
    });
    const data = packed.dataSync();
    packed.dispose();
    let o = 0;
    const loss = data[o++]!;
    const gm = Float64Array.from(data.subarray(o, o + K * D));
    o += K * D;
    const gc = Float64Array.from(data.subarray(o, o + K * D * D));
    o += K * D * D;
    const gw = Float64Array.from(data.subarray(o, o + K * A));
    // exact symmetry of the covariance gradient
    for (let k = 0; k < K; k++) {
      const b = k * D * D;
      for (let i = 0; i < D; i++) {
        for (let j = i + 1; j < D; j++) {
          const s = 0.5 * (gc[b + i * D + j]! + gc[b + j * D + i]!);
          gc[b + i * D + j] = s;
          gc[b + j * D + i] = s;
        }
      }
    }
    return { loss, means: gm, covariances: gc, weights: gw };
  }

  /**
   * Kernel activations G [K, T] (float32 → float64) for the weight refit (ridge least squares).
   * Returns per-action normal equations: for each action a, M_a = Σ_{t: a_t=a} g_t g_tᵀ [K,K] and
   * b_a = Σ_{t: a_t=a} y_t g_t [K].
   */
  normalEquations(means: Float64Array, precisions: Float64Array): { M: Float64Array; b: Float64Array } {
    const { K, A } = this;
    const packed = tf.tidy(() => {
      const { g } = this.kernels(means, precisions); // [K, T]
      const parts: tf.Tensor[] = [];
      const bs: tf.Tensor[] = [];
      for (let a = 0; a < A; a++) {
        const mask = tf.reshape(tf.slice(this.onehot, [0, a], [-1, 1]), [1, -1]); // [1, T]
        const ga = tf.mul(g, mask); // [K, T]
        parts.push(tf.reshape(tf.matMul(ga, g, false, true), [-1]));
        bs.push(tf.reshape(tf.matMul(ga, tf.reshape(this.y, [-1, 1])), [-1]));
      }
      return tf.concat([...parts, ...bs]);
    });
    const data = packed.dataSync();
    packed.dispose();
    return { M: Float64Array.from(data.subarray(0, A * K * K)), b: Float64Array.from(data.subarray(A * K * K)) };
  }
}
