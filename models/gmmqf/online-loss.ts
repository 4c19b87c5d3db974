/**
 * The S-GMM-QF mini-batch Bellman loss and its Euclidean gradients as one fused float64 kernel over
 * plain typed arrays ([S-GMM-QF]; REFERENCES.md §1).
 *
 * Why not TensorFlow.js here: one online update at the paper's sizes (K = 50, D = 4, A = 3, T = 64)
 * is ~0.1 MFLOP of arithmetic spread over ~20 small ops, so a tensor library spends its time in
 * per-op dispatch (tens of µs per op) and host syncs, not arithmetic; and the covariance step needs
 * float64 eigendecompositions on the host anyway. `npm run bench` measures both formulations.
 *
 *   z_t      normalized features of s_t, [T, D]
 *   d        = z_t − m_k;  y = W_k d (W_k = L_k⁻¹, C_k = L_k L_kᵀ);  quad = ‖y‖²;  u = W_kᵀ y = C_k⁻¹ d
 *   g[t,k]   = exp(−quad / 2)
 *   Q_t      = Σ_k ξ[k, a_t] g[t,k];   e_t = y_t − Q_t
 *   L        = 1/T Σ_t e_t²                    (the factor penalty is added by the caller)
 *   ∂L/∂ξ[k,a] = −(2/T) Σ_{t: a_t = a} e_t g[t,k]
 *   c[t,k]   = −(2/T) e_t ξ[k, a_t] g[t,k]
 *   ∂L/∂m_k  = Σ_t c[t,k] u
 *   ∂L/∂C_k  = ½ Σ_t c[t,k] u uᵀ    (symmetric)
 *
 * The same formulas as the batch trainer's BellmanBatch (models/gmmqf/tf.ts); both are checked
 * against finite differences in spec/models/gmmqf. Pure math: the kernel holds scratch space and
 * the last gradients, never parameters or optimizer state; the update step that uses it is
 * sdk/algorithms/learners/sgmmqf.ts.
 */
import { ShapeError } from '../../contract/errors.js';

/** The parameters the kernel reads: means [K, D], lower precision factors W [K, D, D], weights ξ [K, A]. */
export interface KernelParams {
  readonly means: Float64Array;
  readonly precisionFactors: Float64Array;
  readonly weights: Float64Array;
}

export interface KernelGradients {
  /** [K, D] */
  readonly means: Float64Array;
  /** [K, D, D], exactly symmetric */
  readonly covariances: Float64Array;
  /** [K, A] */
  readonly weights: Float64Array;
}

export class OnlineBellmanKernel {
  private readonly g: Float64Array;
  private readonly u: Float64Array;
  private readonly e: Float64Array;
  private readonly diff: Float64Array;
  private readonly yv: Float64Array;
  readonly grads: KernelGradients;

  constructor(
    readonly K: number,
    readonly D: number,
    readonly A: number,
    readonly T: number,
  ) {
    this.g = new Float64Array(T * K);
    this.u = new Float64Array(T * K * D);
    this.e = new Float64Array(T);
    this.diff = new Float64Array(D);
    this.yv = new Float64Array(D);
    this.grads = { means: new Float64Array(K * D), covariances: new Float64Array(K * D * D), weights: new Float64Array(K * A) };
  }

  /** Kernel activations of one feature row z (length D) into g [K]; returns g. */
  activationsRow(p: KernelParams, z: ArrayLike<number>, zOff: number, g: Float64Array, gOff = 0, u?: Float64Array, uOff = 0): void {
    const { K, D } = this;
    const diff = this.diff;
    const yv = this.yv;
    const W = p.precisionFactors;
    const M = p.means;
    for (let k = 0; k < K; k++) {
      const mb = k * D;
      for (let j = 0; j < D; j++) diff[j] = z[zOff + j]! - M[mb + j]!;
      const wb = k * D * D;
      let quad = 0;
      for (let r = 0; r < D; r++) {
        let s = 0;
        const rb = wb + r * D;
        for (let c = 0; c <= r; c++) s += W[rb + c]! * diff[c]!;
        yv[r] = s;
        quad += s * s;
      }
      g[gOff + k] = Math.exp(-0.5 * quad);
      if (u) {
        // u = Wᵀ y (W lower triangular)
        const ub = uOff + k * D;
        for (let c = 0; c < D; c++) {
          let s = 0;
          for (let r = c; r < D; r++) s += W[wb + r * D + c]! * yv[r]!;
          u[ub + c] = s;
        }
      }
    }
  }

  /** Q values of n feature rows z [n, D] into out [n, A]. */
  qValues(p: KernelParams, z: ArrayLike<number>, n: number, out: Float64Array = new Float64Array(n * this.A)): Float64Array {
    const { K, D, A } = this;
    const g = new Float64Array(K);
    const xi = p.weights;
    for (let i = 0; i < n; i++) {
      this.activationsRow(p, z, i * D, g);
      for (let a = 0; a < A; a++) out[i * A + a] = 0;
      for (let k = 0; k < K; k++) {
        const gk = g[k]!;
        if (gk === 0) continue;
        for (let a = 0; a < A; a++) out[i * A + a]! += gk * xi[k * A + a]!;
      }
    }
    return out;
  }

  /** max_a Q(z_i, a) for n rows into out [n]. */
  maxQ(p: KernelParams, z: ArrayLike<number>, n: number, out: Float64Array = new Float64Array(n)): Float64Array {
    const { A } = this;
    const q = this.qValues(p, z, n);
    for (let i = 0; i < n; i++) {
      let m = q[i * A]!;
      for (let a = 1; a < A; a++) m = Math.max(m, q[i * A + a]!);
      out[i] = m;
    }
    return out;
  }

  /**
   * Loss 1/T Σ (y_t − Q(z_t, a_t))² and its Euclidean gradients (written into `this.grads`).
   * z [T, D] normalized features, actions [T] in 0…A−1, targets [T].
   */
  lossAndGradients(p: KernelParams, z: ArrayLike<number>, actions: ArrayLike<number>, targets: ArrayLike<number>): number {
    const { K, D, A, T } = this;
    if (z.length !== T * D || actions.length !== T || targets.length !== T) {
      throw new ShapeError(
        `OnlineBellmanKernel: expected z [${T}, ${D}], actions [${T}], targets [${T}]; got ${z.length}, ${actions.length}, ${targets.length} numbers.`,
      );
    }
    const { g, u, e } = this;
    const xi = p.weights;
    let loss = 0;
    for (let t = 0; t < T; t++) {
      this.activationsRow(p, z, t * D, g, t * K, u, t * K * D);
      const a = actions[t]!;
      let q = 0;
      for (let k = 0; k < K; k++) q += xi[k * A + a]! * g[t * K + k]!;
      const err = targets[t]! - q;
      e[t] = err;
      loss += err * err;
    }
    loss /= T;
    const gm = this.grads.means;
    const gc = this.grads.covariances;
    const gw = this.grads.weights;
    gm.fill(0);
    gc.fill(0);
    gw.fill(0);
    const s = -2 / T;
    for (let t = 0; t < T; t++) {
      const a = actions[t]!;
      const se = s * e[t]!;
      for (let k = 0; k < K; k++) {
        const gk = g[t * K + k]!;
        if (gk === 0) continue;
        const ge = se * gk;
        gw[k * A + a]! += ge;
        const c = ge * xi[k * A + a]!;
        if (c === 0) continue;
        const ub = t * K * D + k * D;
        const mb = k * D;
        const cb = k * D * D;
        for (let i = 0; i < D; i++) {
          const ui = u[ub + i]!;
          const cui = c * ui;
          gm[mb + i]! += cui;
          const hc = 0.5 * cui;
          for (let j = 0; j <= i; j++) gc[cb + i * D + j]! += hc * u[ub + j]!;
        }
      }
    }
    // mirror the lower triangle
    for (let k = 0; k < K; k++) {
      const cb = k * D * D;
      for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) gc[cb + j * D + i] = gc[cb + i * D + j]!;
    }
    return loss;
  }
}
