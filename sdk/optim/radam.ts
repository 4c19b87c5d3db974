/**
 * Adam, Euclidean and Riemannian ([S-GMM-QF]; REFERENCES.md §1, "Riemannian Adam").
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
  if (!(Number.isFinite(lr) && lr > 0))
    throw new ValueError(`${where}: lr = ${describeValue(lr)}; it must be a finite number > 0 (e.g. 1e-3).`);
  if (!(beta1 >= 0 && beta1 < 1)) throw new ValueError(`${where}: beta1 = ${describeValue(beta1)}; it must lie in [0, 1) (default 0.9).`);
  if (!(beta2 >= 0 && beta2 < 1)) throw new ValueError(`${where}: beta2 = ${describeValue(beta2)}; it must lie in [0, 1) (default 0.999).`);
  if (!(Number.isFinite(eps) && eps > 0))
    throw new ValueError(`${where}: eps = ${describeValue(eps)}; it must be a finite number > 0 (default 1e-8).`);
  return { lr, beta1, beta2, eps };
}

/**
 * What every Adam here shares: the checked options, the first and second moments, the step counter
 * and the bias corrections 1 − β1ᵗ, 1 − β2ᵗ of the step being taken.
 */
export abstract class AdamMoments {
  readonly options: Required<AdamOptions>;
  /** First moments. */
  protected readonly m: Float64Array;
  /** Second moments. */
  protected readonly v: Float64Array;
  private t = 0;

  protected constructor(mSize: number, vSize: number, options: AdamOptions, where: string) {
    this.options = checkOptions(options, where);
    this.m = new Float64Array(mSize);
    this.v = new Float64Array(vSize);
  }

  get steps(): number {
    return this.t;
  }

  /** Moments, for checkpoints and tests. */
  state(): { t: number; m: Float64Array; v: Float64Array } {
    return { t: this.t, m: Float64Array.from(this.m), v: Float64Array.from(this.v) };
  }

  /** Continues from `state()` (a resumed training run): the step count and both moments, of the same sizes. */
  restoreState(st: { t: number; m: ArrayLike<number>; v: ArrayLike<number> }): void {
    if (!Number.isSafeInteger(st.t) || st.t < 0) throw new ValueError(`Adam.restoreState: t = ${st.t}; it must be an integer ≥ 0.`);
    if (st.m.length !== this.m.length || st.v.length !== this.v.length)
      throw new ValueError(
        `Adam.restoreState: moments of lengths ${st.m.length}, ${st.v.length}; this optimizer has ${this.m.length}, ${this.v.length}.`,
      );
    this.m.set(st.m);
    this.v.set(st.v);
    this.t = st.t;
  }

  /** Counts the step being taken; returns its bias corrections c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ. */
  protected nextStep(): { c1: number; c2: number } {
    const { beta1, beta2 } = this.options;
    this.t++;
    return { c1: 1 - Math.pow(beta1, this.t), c2: 1 - Math.pow(beta2, this.t) };
  }
}

/** Euclidean Adam on a flat parameter vector of fixed size. */
export class Adam extends AdamMoments {
  constructor(
    readonly size: number,
    options: AdamOptions,
  ) {
    super(size, size, options, 'Adam');
  }

  /** x ← x − lr · m̂ / (√v̂ + ε), in place. */
  step(x: Float64Array, grad: ArrayLike<number>): void {
    const { lr, beta1, beta2, eps } = this.options;
    const { c1, c2 } = this.nextStep();
    const m = this.m;
    const v = this.v;
    for (let i = 0; i < this.size; i++) {
      const g = grad[i]!;
      m[i] = beta1 * m[i]! + (1 - beta1) * g;
      v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
      x[i] = x[i]! - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
    }
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

/** out = V diag(f(λ)) Vᵀ */
function spectral(vectors: Float64Array, vals: Float64Array, f: (x: number) => number, out: Float64Array, d: number): void {
  const fv = new Float64Array(d);
  for (let l = 0; l < d; l++) fv[l] = f(vals[l]!);
  fromSpectrum(vectors, fv, out, d);
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
 * The Riemannian gradient of matrix k (its block of `egrad` starts at `off`): G = sym(egrad_k) into
 * `G`, GC = G·C into `GC`, C·G·C into `CGC` (not yet symmetrised). Returns ⟨CGC, CGC⟩_C = tr(GCGC).
 */
function aiGradient(
  egrad: ArrayLike<number>,
  off: number,
  C: Float64Array,
  G: Float64Array,
  GC: Float64Array,
  CGC: Float64Array,
  D: number,
): number {
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) G[i * D + j] = 0.5 * (egrad[off + i * D + j]! + egrad[off + j * D + i]!);
  mul(G, C, GC, D);
  mul(C, GC, CGC, D);
  let gg = 0;
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) gg += GC[i * D + j]! * GC[j * D + i]!;
  return gg;
}

/**
 * The left half of the moment transport m ← E m Eᵀ: E = C^½ expm(S/2) C^-½ into `E`, then E·m_k
 * into `EM` (m_k copied to `M` first, the block of `m` at `off`; `T` is scratch).
 */
function transportLeft(
  ch: Float64Array,
  exh: Float64Array,
  cih: Float64Array,
  m: Float64Array,
  off: number,
  E: Float64Array,
  M: Float64Array,
  EM: Float64Array,
  D: number,
): void {
  mul(ch, exh, EM, D);
  mul(EM, cih, E, D);
  for (let i = 0; i < D * D; i++) M[i] = m[off + i]!;
  mul(E, M, EM, D);
}

/** SpdError: matrix k's eigenvalue `value` shows it is not positive definite before the step. */
function notPositiveDefinite(k: number, value: number): SpdError {
  return new SpdError(`SpdAdam: covariance ${k} is not positive definite before the step (eigenvalue ${value}).`);
}

/** SpdError: the step on matrix k left the SPD cone in float64 (|S| eigenvalues up to `smax`). */
function leftTheCone(k: number, smax: number, lr: number): SpdError {
  return new SpdError(
    `SpdAdam: the step on covariance ${k} left the SPD cone numerically (|S| eigenvalues up to ${smax.toExponential(2)}). ` +
      `Lower the covariance learning rate (lr = ${lr}).`,
  );
}

/**
 * What both SPD Adams share (see the module comment): K matrices of D×D, a first moment per matrix
 * (a tangent vector at it; `m` is [K, D, D]), a scalar second moment per matrix (`v` is [K]), and
 * the second-moment update that gives the step's scale.
 */
export abstract class SpdAdamMoments extends AdamMoments {
  protected constructor(
    readonly K: number,
    readonly D: number,
    options: AdamOptions,
  ) {
    super(K * D * D, K, options, 'SpdAdam');
  }

  /**
   * v_k ← β2 v_k + (1 − β2) gg, with gg = ⟨g, g⟩_C; returns the scale −lr / c1 / (√(v_k / c2) + ε)
   * of the step ξ = scale · m_k.
   */
  protected stepScale(k: number, gg: number, c1: number, c2: number): number {
    const { lr, beta2, eps } = this.options;
    this.v[k] = beta2 * this.v[k]! + (1 - beta2) * gg;
    return -lr / c1 / (Math.sqrt(this.v[k]! / c2) + eps);
  }
}

/**
 * Riemannian Adam on K SPD D×D matrices, affine-invariant metric (see the module comment): the
 * straightforward implementation over the general linear-algebra routines (eigSym, allocation per
 * call). `SpdAdam` is the fused, allocation-free version of the same recursion; the tests check that
 * both agree to rounding, and `npm run bench` times them side by side.
 */
export class SpdAdamReference extends SpdAdamMoments {
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

  constructor(K: number, D: number, options: AdamOptions) {
    super(K, D, options);
    const dd = D * D;
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

  /**
   * One step for every matrix, in place on `covs` [K, D, D], from Euclidean gradients [K, D, D].
   * `frozen[k]` true skips matrix k entirely (its moments are left untouched).
   */
  step(covs: Float64Array, egrad: ArrayLike<number>, frozen?: ArrayLike<boolean>): void {
    const { K, D } = this;
    const dd = D * D;
    const { lr, beta1 } = this.options;
    const { c1, c2 } = this.nextStep();
    const { G, T1, T2, rg, ch, cih, ex, exh, E } = this;
    const C = new Float64Array(dd);
    for (let k = 0; k < K; k++) {
      if (frozen?.[k]) continue;
      const off = k * dd;
      for (let i = 0; i < dd; i++) C[i] = covs[off + i]!;
      // rg = C G C with G = sym(egrad); ⟨rg, rg⟩_C = tr(G C G C)
      const gg = aiGradient(egrad, off, C, G, T1, rg, D);
      symmetrizeInPlace(rg, D);
      // moments
      const mk = this.m;
      for (let i = 0; i < dd; i++) mk[off + i] = beta1 * mk[off + i]! + (1 - beta1) * rg[i]!;
      const scale = this.stepScale(k, gg, c1, c2);
      // ξ = scale · m (into T2)
      for (let i = 0; i < dd; i++) T2[i] = scale * mk[off + i]!;
      // C^{±½}
      const ec = eigSym(C, D);
      for (let i = 0; i < D; i++) {
        if (!(ec.values[i]! > 0)) throw notPositiveDefinite(k, ec.values[i]!);
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
      if (!finite || !choleskyOrNull(T2, D)) throw leftTheCone(k, Math.max(...Array.from(es.values, Math.abs)), lr);
      // E = C^½ expm(S/2) C^-½ ; m ← E m Eᵀ
      transportLeft(ch, exh, cih, mk, off, E, G, T1, D);
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

/**
 * Riemannian Adam on K SPD D×D matrices, affine-invariant metric (see the module comment): the
 * fused version of `SpdAdamReference` (in-place Jacobi, no allocation per step); identical recursion.
 */
export class SpdAdam extends SpdAdamMoments {
  private readonly s: Record<'C' | 'G' | 'T1' | 'T2' | 'W' | 'V' | 'ch' | 'cih' | 'ex' | 'exh' | 'E', Float64Array>;
  private readonly vals: Float64Array;
  private readonly f1: Float64Array;
  private readonly f2: Float64Array;
  /** When set, every eigendecomposition of `step` adds its Jacobi work here (benchmarks). */
  jacobiStats: JacobiStats | null = null;

  constructor(K: number, D: number, options: AdamOptions) {
    super(K, D, options);
    const dd = D * D;
    const mk = () => new Float64Array(dd);
    this.s = { C: mk(), G: mk(), T1: mk(), T2: mk(), W: mk(), V: mk(), ch: mk(), cih: mk(), ex: mk(), exh: mk(), E: mk() };
    this.vals = new Float64Array(D);
    this.f1 = new Float64Array(D);
    this.f2 = new Float64Array(D);
  }

  /** One step for every matrix, in place on `covs` [K, D, D]; `frozen[k]` skips matrix k. */
  step(covs: Float64Array, egrad: ArrayLike<number>, frozen?: ArrayLike<boolean>): void {
    const { K, D } = this;
    const dd = D * D;
    const { lr, beta1 } = this.options;
    const { c1, c2 } = this.nextStep();
    const { C, G, T1, T2, W, V, ch, cih, ex, exh, E } = this.s;
    const { vals, f1, f2 } = this;
    const mk = this.m;
    for (let k = 0; k < K; k++) {
      if (frozen?.[k]) continue;
      const off = k * dd;
      for (let i = 0; i < dd; i++) C[i] = covs[off + i]!;
      const gg = aiGradient(egrad, off, C, G, T1, T2, D); // T1 = GC, T2 = rg = CGC
      for (let i = 0; i < D; i++) {
        for (let j = i; j < D; j++) {
          const r = 0.5 * (T2[i * D + j]! + T2[j * D + i]!);
          const a = beta1 * mk[off + i * D + j]! + (1 - beta1) * r;
          mk[off + i * D + j] = a;
          mk[off + j * D + i] = a;
        }
      }
      const scale = this.stepScale(k, gg, c1, c2);
      // C^{±½}
      W.set(C);
      if (!jacobiInPlace(W, V, vals, D, this.jacobiStats))
        throw new SpdError(`SpdAdam: the eigendecomposition of covariance ${k} did not converge.`);
      for (let i = 0; i < D; i++) {
        const l = vals[i]!;
        if (!(l > 0)) throw notPositiveDefinite(k, l);
        f1[i] = Math.sqrt(l);
        f2[i] = 1 / f1[i]!;
      }
      fromSpectrum(V, f1, ch, D);
      fromSpectrum(V, f2, cih, D);
      // S = C^-½ (scale·m) C^-½
      for (let i = 0; i < dd; i++) T2[i] = scale * mk[off + i]!;
      mul(cih, T2, T1, D);
      mul(T1, cih, W, D);
      symmetrizeInPlace(W, D);
      if (!jacobiInPlace(W, V, vals, D, this.jacobiStats))
        throw new SpdError(`SpdAdam: the eigendecomposition of the step for covariance ${k} did not converge.`);
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
      if (!finite || !choleskyOrNull(T2, D)) throw leftTheCone(k, smax, lr);
      // E = C^½ expm(S/2) C^-½ ; m ← E m Eᵀ
      transportLeft(ch, exh, cih, mk, off, E, G, T1, D);
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
