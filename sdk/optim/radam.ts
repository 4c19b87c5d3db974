/**
 * Adam, Euclidean and Riemannian (seed 001; algorithms.md §1, "Riemannian Adam").
 *
 * `Adam` is textbook Adam (Kingma & Ba) on a flat Float64Array.
 *
 * `SpdAdam` runs Adam on K symmetric positive definite D×D matrices with the affine-invariant
 * metric ⟨ξ, η⟩_C = tr(C⁻¹ξC⁻¹η):
 *
 *   G    = sym(∂L/∂C)                       Euclidean gradient
 *   g    = C G C                            Riemannian gradient
 *   m    ← β1 m + (1 − β1) g                first moment: a tangent vector at C
 *   v    ← β2 v + (1 − β2) ⟨g, g⟩_C         second moment: one scalar per matrix, ⟨g,g⟩_C = tr(GCGC)
 *   ξ    = −lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
 *   C'   = Exp_C(ξ) = C^½ expm(S) C^½,      S = C^-½ ξ C^-½
 *   m    ← E m Eᵀ,  E = (C' C⁻¹)^½ = C^½ expm(S/2) C^-½   (parallel transport along the geodesic)
 *
 * v is not transported (a scalar). Everything is float64; each step costs two D×D symmetric
 * eigendecompositions per matrix (of C, and of S), which give C^{±½}, expm(S) and expm(S/2) at once.
 *
 * For D = 1 this is exactly Euclidean Adam on x = log C (tested): the AI geometry of 1×1 SPD
 * matrices is the Euclidean geometry of the logarithm.
 *
 * A step is exact in exact arithmetic for any ξ (the exponential map of the AI metric is complete),
 * so C' is SPD whatever the learning rate. Numerically, expm(S) overflows or loses positive
 * definiteness only when S is astronomically large; that is reported as SpdError naming the matrix
 * (never clamped).
 */
import { SpdError, ValueError, describeValue } from '../../contract/errors.js';
import { eigSym, type JacobiStats } from '../../models/linalg/eig.js';
import { choleskyOrNull } from '../../models/linalg/cholesky.js';

export interface AdamOptions {
  /** Learning rate (> 0). */
  lr: number;
  /** Moment decay rates in [0, 1) (defaults 0.9, 0.999). */
  beta1?: number;
  beta2?: number;
  /** Denominator guard (default 1e-8). */
  eps?: number;
}

function checkOptions(o: AdamOptions, where: string): Required<AdamOptions> {
  const lr = o.lr;
  const beta1 = o.beta1 ?? 0.9;
  const beta2 = o.beta2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  if (!(Number.isFinite(lr) && lr > 0)) throw new ValueError(`${where}: lr = ${describeValue(lr)}; it must be a finite number > 0 (e.g. 1e-3).`);
  if (!(beta1 >= 0 && beta1 < 1)) throw new ValueError(`${where}: beta1 = ${describeValue(beta1)}; it must lie in [0, 1) (default 0.9).`);
  if (!(beta2 >= 0 && beta2 < 1)) throw new ValueError(`${where}: beta2 = ${describeValue(beta2)}; it must lie in [0, 1) (default 0.999).`);
  if (!(Number.isFinite(eps) && eps > 0)) throw new ValueError(`${where}: eps = ${describeValue(eps)}; it must be a finite number > 0 (default 1e-8).`);
  return { lr, beta1, beta2, eps };
}

/** Euclidean Adam on a flat parameter vector of fixed size. */
export class Adam {
  readonly options: Required<AdamOptions>;
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;

  constructor(
    readonly size: number,
    options: AdamOptions,
  ) {
    this.options = checkOptions(options, 'Adam');
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  get steps(): number {
    return this.t;
  }

  /** x ← x − lr · m̂ / (√v̂ + ε), in place. */
  step(x: Float64Array, grad: ArrayLike<number>): void {
    const { lr, beta1, beta2, eps } = this.options;
    this.t++;
    const c1 = 1 - Math.pow(beta1, this.t);
    const c2 = 1 - Math.pow(beta2, this.t);
    const m = this.m;
    const v = this.v;
    for (let i = 0; i < this.size; i++) {
      const g = grad[i]!;
      m[i] = beta1 * m[i]! + (1 - beta1) * g;
      v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
      x[i] = x[i]! - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
    }
  }

  /** Moments, for checkpoints and tests. */
  state(): { t: number; m: Float64Array; v: Float64Array } {
    return { t: this.t, m: Float64Array.from(this.m), v: Float64Array.from(this.v) };
  }
}

// Small dense helpers on D×D row-major blocks (no allocation).
function mul(a: Float64Array, b: Float64Array, out: Float64Array, d: number): void {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let l = 0; l < d; l++) s += a[i * d + l]! * b[l * d + j]!;
      out[i * d + j] = s;
    }
  }
}

/** out = V diag(f(λ)) Vᵀ */
function spectral(vectors: Float64Array, vals: Float64Array, f: (x: number) => number, out: Float64Array, d: number): void {
  const fv = new Float64Array(d);
  for (let l = 0; l < d; l++) fv[l] = f(vals[l]!);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let l = 0; l < d; l++) s += vectors[i * d + l]! * fv[l]! * vectors[j * d + l]!;
      out[i * d + j] = s;
      out[j * d + i] = s;
    }
  }
}

function symmetrizeInPlace(a: Float64Array, d: number): void {
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const s = 0.5 * (a[i * d + j]! + a[j * d + i]!);
      a[i * d + j] = s;
      a[j * d + i] = s;
    }
  }
}

/**
 * Riemannian Adam on K SPD D×D matrices, affine-invariant metric (see the module comment): the
 * straightforward implementation over the general linear-algebra routines (eigSym, allocation per
 * call). `SpdAdam` is the fused, allocation-free version of the same recursion; the tests check that
 * both agree to rounding, and `npm run bench` times them side by side.
 */
export class SpdAdamReference {
  readonly options: Required<AdamOptions>;
  /** First moments: tangent vectors (symmetric) at the current points, [K, D, D]. */
  private readonly m: Float64Array;
  /** Second moments: one scalar per matrix, [K]. */
  private readonly v: Float64Array;
  private t = 0;
  // scratch
  private readonly G: Float64Array;
  private readonly T1: Float64Array;
  private readonly T2: Float64Array;
  private readonly rg: Float64Array;
  private readonly ch: Float64Array;
  private readonly cih: Float64Array;
  private readonly ex: Float64Array;
  private readonly exh: Float64Array;
  private readonly E: Float64Array;

  constructor(
    readonly K: number,
    readonly D: number,
    options: AdamOptions,
  ) {
    this.options = checkOptions(options, 'SpdAdam');
    const dd = D * D;
    this.m = new Float64Array(K * dd);
    this.v = new Float64Array(K);
    this.G = new Float64Array(dd);
    this.T1 = new Float64Array(dd);
    this.T2 = new Float64Array(dd);
    this.rg = new Float64Array(dd);
    this.ch = new Float64Array(dd);
    this.cih = new Float64Array(dd);
    this.ex = new Float64Array(dd);
    this.exh = new Float64Array(dd);
    this.E = new Float64Array(dd);
  }

  get steps(): number {
    return this.t;
  }

  state(): { t: number; m: Float64Array; v: Float64Array } {
    return { t: this.t, m: Float64Array.from(this.m), v: Float64Array.from(this.v) };
  }

  /**
   * One step for every matrix, in place on `covs` [K, D, D], from Euclidean gradients [K, D, D].
   * `frozen[k]` true skips matrix k entirely (its moments are left untouched).
   */
  step(covs: Float64Array, egrad: ArrayLike<number>, frozen?: ArrayLike<boolean>): void {
    const { K, D } = this;
    const dd = D * D;
    const { lr, beta1, beta2, eps } = this.options;
    this.t++;
    const c1 = 1 - Math.pow(beta1, this.t);
    const c2 = 1 - Math.pow(beta2, this.t);
    const { G, T1, T2, rg, ch, cih, ex, exh, E } = this;
    const C = new Float64Array(dd);
    for (let k = 0; k < K; k++) {
      if (frozen?.[k]) continue;
      const off = k * dd;
      for (let i = 0; i < dd; i++) C[i] = covs[off + i]!;
      // G = sym(egrad)
      for (let i = 0; i < D; i++) {
        for (let j = 0; j < D; j++) G[i * D + j] = 0.5 * (egrad[off + i * D + j]! + egrad[off + j * D + i]!);
      }
      // rg = C G C ; ⟨rg, rg⟩_C = tr(G C G C)
      mul(G, C, T1, D); // T1 = G C
      mul(C, T1, rg, D); // rg = C G C
      symmetrizeInPlace(rg, D);
      let gg = 0;
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) gg += T1[i * D + j]! * T1[j * D + i]!;
      // moments
      const mk = this.m;
      for (let i = 0; i < dd; i++) mk[off + i] = beta1 * mk[off + i]! + (1 - beta1) * rg[i]!;
      this.v[k] = beta2 * this.v[k]! + (1 - beta2) * gg;
      const scale = -lr / c1 / (Math.sqrt(this.v[k]! / c2) + eps);
      // ξ = scale · m (into T2)
      for (let i = 0; i < dd; i++) T2[i] = scale * mk[off + i]!;
      // C^{±½}
      const ec = eigSym(C, D);
      for (let i = 0; i < D; i++) {
        if (!(ec.values[i]! > 0)) {
          throw new SpdError(`SpdAdam: covariance ${k} is not positive definite before the step (eigenvalue ${ec.values[i]}).`);
        }
      }
      spectral(ec.vectors, ec.values, Math.sqrt, ch, D);
      spectral(ec.vectors, ec.values, (x) => 1 / Math.sqrt(x), cih, D);
      // S = C^-½ ξ C^-½
      mul(cih, T2, T1, D);
      mul(T1, cih, T2, D);
      symmetrizeInPlace(T2, D);
      const es = eigSym(T2, D);
      spectral(es.vectors, es.values, Math.exp, ex, D);
      spectral(es.vectors, es.values, (x) => Math.exp(0.5 * x), exh, D);
      // C' = C^½ expm(S) C^½
      mul(ch, ex, T1, D);
      mul(T1, ch, T2, D);
      symmetrizeInPlace(T2, D);
      let finite = true;
      for (let i = 0; i < dd; i++) finite &&= Number.isFinite(T2[i]!);
      if (!finite || !choleskyOrNull(T2, D)) {
        throw new SpdError(
          `SpdAdam: the step on covariance ${k} left the SPD cone numerically (|S| eigenvalues up to ` +
            `${Math.max(...Array.from(es.values, Math.abs)).toExponential(2)}). Lower the covariance learning rate (lr = ${lr}).`,
        );
      }
      // E = C^½ expm(S/2) C^-½ ; m ← E m Eᵀ
      mul(ch, exh, T1, D);
      mul(T1, cih, E, D);
      for (let i = 0; i < dd; i++) G[i] = mk[off + i]!;
      mul(E, G, T1, D); // E m
      for (let i = 0; i < D; i++) {
        for (let j = 0; j < D; j++) {
          let s = 0;
          for (let l = 0; l < D; l++) s += T1[i * D + l]! * E[j * D + l]!;
          mk[off + i * D + j] = s;
        }
      }
      for (let i = 0; i < D; i++) {
        for (let j = i + 1; j < D; j++) {
          const s = 0.5 * (mk[off + i * D + j]! + mk[off + j * D + i]!);
          mk[off + i * D + j] = s;
          mk[off + j * D + i] = s;
        }
      }
      for (let i = 0; i < dd; i++) covs[off + i] = T2[i]!;
    }
  }
}

/**
 * Cyclic Jacobi eigendecomposition of the symmetric d×d matrix in `a` (destroyed: its diagonal ends
 * as the eigenvalues, copied to `vals`), eigenvectors as the columns of `v`. Same stopping rule as
 * models/linalg/eig.ts (relative: |a_pq| ≤ ε·√|a_pp·a_qq|), no allocation. Returns false when it did
 * not converge in 60 sweeps.
 */
function jacobiInPlace(a: Float64Array, v: Float64Array, vals: Float64Array, d: number, stats: JacobiStats | null): boolean {
  const EPS = 2.220446049250313e-16;
  let amax = 0;
  for (let i = 0; i < d * d; i++) amax = Math.max(amax, Math.abs(a[i]!));
  const floor = 1e-40 * amax;
  v.fill(0);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  if (stats) stats.eigs++;
  let converged = false;
  for (let sweep = 0; sweep < 60 && !converged; sweep++) {
    if (stats) stats.sweeps++;
    let rotated = false;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q]!;
        if (apq === 0) continue;
        if (stats) stats.checks++;
        const app = a[p * d + p]!;
        const aqq = a[q * d + q]!;
        if (Math.abs(apq) <= EPS * Math.sqrt(Math.abs(app * aqq)) || Math.abs(apq) <= floor) {
          a[p * d + q] = 0;
          a[q * d + p] = 0;
          continue;
        }
        rotated = true;
        if (stats) stats.rotations++;
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p]!;
          const akq = a[k * d + q]!;
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k]!;
          const aqk = a[q * d + k]!;
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        a[p * d + q] = 0;
        a[q * d + p] = 0;
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p]!;
          const vkq = v[k * d + q]!;
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
    if (!rotated) converged = true;
  }
  for (let i = 0; i < d; i++) vals[i] = a[i * d + i]!;
  return converged;
}

/** out = V diag(f) Vᵀ (symmetric by construction). */
function fromSpectrum(v: Float64Array, f: Float64Array, out: Float64Array, d: number): void {
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let l = 0; l < d; l++) s += v[i * d + l]! * f[l]! * v[j * d + l]!;
      out[i * d + j] = s;
      out[j * d + i] = s;
    }
  }
}

/**
 * Riemannian Adam on K SPD D×D matrices, affine-invariant metric (see the module comment): the
 * fused version of `SpdAdamReference` (in-place Jacobi, no allocation per step); identical recursion.
 */
export class SpdAdam {
  readonly options: Required<AdamOptions>;
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  private readonly s: Record<'C' | 'G' | 'T1' | 'T2' | 'W' | 'V' | 'ch' | 'cih' | 'ex' | 'exh' | 'E', Float64Array>;
  private readonly vals: Float64Array;
  private readonly f1: Float64Array;
  private readonly f2: Float64Array;
  /** When set, every eigendecomposition of `step` adds its Jacobi work here (benchmarks). */
  jacobiStats: JacobiStats | null = null;

  constructor(
    readonly K: number,
    readonly D: number,
    options: AdamOptions,
  ) {
    this.options = checkOptions(options, 'SpdAdam');
    const dd = D * D;
    this.m = new Float64Array(K * dd);
    this.v = new Float64Array(K);
    const mk = () => new Float64Array(dd);
    this.s = { C: mk(), G: mk(), T1: mk(), T2: mk(), W: mk(), V: mk(), ch: mk(), cih: mk(), ex: mk(), exh: mk(), E: mk() };
    this.vals = new Float64Array(D);
    this.f1 = new Float64Array(D);
    this.f2 = new Float64Array(D);
  }

  get steps(): number {
    return this.t;
  }

  state(): { t: number; m: Float64Array; v: Float64Array } {
    return { t: this.t, m: Float64Array.from(this.m), v: Float64Array.from(this.v) };
  }

  /** One step for every matrix, in place on `covs` [K, D, D]; `frozen[k]` skips matrix k. */
  step(covs: Float64Array, egrad: ArrayLike<number>, frozen?: ArrayLike<boolean>): void {
    const { K, D } = this;
    const dd = D * D;
    const { lr, beta1, beta2, eps } = this.options;
    this.t++;
    const c1 = 1 - Math.pow(beta1, this.t);
    const c2 = 1 - Math.pow(beta2, this.t);
    const { C, G, T1, T2, W, V, ch, cih, ex, exh, E } = this.s;
    const { vals, f1, f2 } = this;
    const mk = this.m;
    for (let k = 0; k < K; k++) {
      if (frozen?.[k]) continue;
      const off = k * dd;
      for (let i = 0; i < dd; i++) C[i] = covs[off + i]!;
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) G[i * D + j] = 0.5 * (egrad[off + i * D + j]! + egrad[off + j * D + i]!);
      mul(G, C, T1, D); // GC
      mul(C, T1, T2, D); // rg = CGC
      let gg = 0;
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) gg += T1[i * D + j]! * T1[j * D + i]!;
      for (let i = 0; i < D; i++) {
        for (let j = i; j < D; j++) {
          const r = 0.5 * (T2[i * D + j]! + T2[j * D + i]!);
          const a = beta1 * mk[off + i * D + j]! + (1 - beta1) * r;
          mk[off + i * D + j] = a;
          mk[off + j * D + i] = a;
        }
      }
      this.v[k] = beta2 * this.v[k]! + (1 - beta2) * gg;
      const scale = -lr / c1 / (Math.sqrt(this.v[k]! / c2) + eps);
      // C^{±½}
      W.set(C);
      if (!jacobiInPlace(W, V, vals, D, this.jacobiStats)) throw new SpdError(`SpdAdam: the eigendecomposition of covariance ${k} did not converge.`);
      for (let i = 0; i < D; i++) {
        const l = vals[i]!;
        if (!(l > 0)) throw new SpdError(`SpdAdam: covariance ${k} is not positive definite before the step (eigenvalue ${l}).`);
        f1[i] = Math.sqrt(l);
        f2[i] = 1 / f1[i]!;
      }
      fromSpectrum(V, f1, ch, D);
      fromSpectrum(V, f2, cih, D);
      // S = C^-½ (scale·m) C^-½
      for (let i = 0; i < dd; i++) T2[i] = scale * mk[off + i]!;
      mul(cih, T2, T1, D);
      mul(T1, cih, W, D);
      for (let i = 0; i < D; i++) {
        for (let j = i + 1; j < D; j++) {
          const x = 0.5 * (W[i * D + j]! + W[j * D + i]!);
          W[i * D + j] = x;
          W[j * D + i] = x;
        }
      }
      if (!jacobiInPlace(W, V, vals, D, this.jacobiStats)) throw new SpdError(`SpdAdam: the eigendecomposition of the step for covariance ${k} did not converge.`);
      let smax = 0;
      for (let i = 0; i < D; i++) {
        smax = Math.max(smax, Math.abs(vals[i]!));
        f1[i] = Math.exp(vals[i]!);
        f2[i] = Math.exp(0.5 * vals[i]!);
      }
      fromSpectrum(V, f1, ex, D);
      fromSpectrum(V, f2, exh, D);
      // C' = C^½ expm(S) C^½
      mul(ch, ex, T1, D);
      mul(T1, ch, T2, D);
      let finite = true;
      for (let i = 0; i < D; i++) {
        for (let j = i; j < D; j++) {
          const x = 0.5 * (T2[i * D + j]! + T2[j * D + i]!);
          T2[i * D + j] = x;
          T2[j * D + i] = x;
          finite &&= Number.isFinite(x);
        }
      }
      if (!finite || !choleskyOrNull(T2, D)) {
        throw new SpdError(
          `SpdAdam: the step on covariance ${k} left the SPD cone numerically (|S| eigenvalues up to ${smax.toExponential(2)}). ` +
            `Lower the covariance learning rate (lr = ${lr}).`,
        );
      }
      // E = C^½ expm(S/2) C^-½ ; m ← E m Eᵀ
      mul(ch, exh, T1, D);
      mul(T1, cih, E, D);
      for (let i = 0; i < dd; i++) G[i] = mk[off + i]!;
      mul(E, G, T1, D);
      for (let i = 0; i < D; i++) {
        for (let j = 0; j <= i; j++) {
          let a = 0;
          let b = 0;
          for (let l = 0; l < D; l++) {
            a += T1[i * D + l]! * E[j * D + l]!;
            b += T1[j * D + l]! * E[i * D + l]!;
          }
          const x = 0.5 * (a + b);
          mk[off + i * D + j] = x;
          mk[off + j * D + i] = x;
        }
      }
      for (let i = 0; i < dd; i++) covs[off + i] = T2[i]!;
    }
  }
}
