/**
 * Riemannian geometry of the SPD cone for optimising covariance matrices, float64, row-major D×D.
 *
 * Two metrics (`SpdMetric`):
 *
 * - 'ai', affine-invariant: ⟨ξ,η⟩_C = tr(C⁻¹ξC⁻¹η); Riemannian gradient C·sym(G)·C; exponential map
 *   Exp_C(ξ) = C^{½} expm(C^{-½} ξ C^{-½}) C^{½}; parallel transport ξ ↦ E ξ Eᵀ with
 *   E = (C′C⁻¹)^{½} = C^{½} (C^{-½} C′ C^{-½})^{½} C^{-½}.
 * - 'bw', Bures–Wasserstein: ⟨ξ,η⟩_C = ½ tr(L_C[ξ] η), where L = L_C[ξ] solves the Lyapunov equation
 *   C L + L C = ξ; Riemannian gradient 4·sym(G·C); Exp_C(ξ) = C + ξ + L C L = (I + L) C (I + L).
 *   Transport is the identity followed by exact symmetrisation (every symmetric matrix is a tangent
 *   vector at every C, so this is the projection vector transport; it is NOT an isometry).
 *
 * G is the Euclidean gradient ∂L/∂C; it is symmetrised first. Tangent vectors are symmetric D×D.
 *
 * Implementation notes:
 * - AI Exp uses a Cholesky factor C = G Gᵀ instead of C^{½} (the two give the same point):
 *   X = G⁻¹ ξ G⁻ᵀ = W diag(μ) Wᵀ, Exp_C(ξ) = (GW) diag(e^μ) (GW)ᵀ. For small steps (max|μ| ≤ ½) the
 *   increment form C + (GW) diag(expm1 μ) (GW)ᵀ is used, so Exp_C(0) = C exactly and tiny steps are
 *   not lost to rounding; otherwise the Gram form, which is positive semidefinite by construction.
 * - Every retraction result is made exactly symmetric and then checked: finite, and Cholesky succeeds
 *   with every pivot ratio L_ii²/R_ii > 16·D·ε (so a matrix within rounding of singular, whose
 *   Cholesky success would be luck, is not accepted). AI's exponential is SPD for every step in exact
 *   arithmetic; in float64 a step whose result is not representable (entries overflow, or the result
 *   is singular to working precision) is reported as infeasible rather than clamped.
 * - The BW exponential is only defined as a retraction on a bounded domain: the curve
 *   s ↦ (I + sL) C (I + sL) stays SPD for s ∈ [0, 1] iff I + L ≻ 0. A step is *infeasible* when
 *   I + L is not positive definite or the result fails the SPD check above. Nothing is clamped: `tryRetract`
 *   returns null, `retract` throws SpdError, `retractAll` reports the failed components, so an Armijo
 *   line search can shrink the step.
 */
import { SpdError, ShapeError, UnknownNameError, ValueError, describeValue } from '../../contract/errors.js';
import { cholesky, choleskyOrNull, choleskyPivotRatio, invertLower } from '../../models/linalg/cholesky.js';
import { checkFinite, checkSquare, congruence, frobeniusNorm, matmul, scaledGram, symPart, transpose } from '../../models/linalg/dense.js';
import { eigSym, fromEig, type SymEig } from '../../models/linalg/eig.js';

export { armijoSearch, type ArmijoOptions, type ArmijoResult } from './armijo.js';

/** 'ai': affine-invariant metric; 'bw': Bures–Wasserstein metric. */
export type SpdMetric = 'ai' | 'bw';

/** The supported metrics. */
export const SPD_METRICS: readonly SpdMetric[] = ['ai', 'bw'];

/** Outcome of a batched retraction. */
export interface RetractResult {
  /** True when every component's step was feasible. */
  ok: boolean;
  /** Indices of the components whose step was infeasible (their output block holds C_k unchanged). */
  failed: number[];
}

/** Above this max|μ| (AI) or ‖L̃‖_F (BW) the Gram form is used instead of the increment form. */
const INCREMENT_FORM_LIMIT = 0.5;

/**
 * A retraction result counts as SPD only when its Cholesky factorisation succeeds with every pivot
 * ratio L_ii²/R_ii above 16·D·ε: below that the matrix is within rounding of singular and Cholesky
 * success would be luck (see choleskyPivotRatio). Well-determined graded matrices pass (ratio ~1).
 */
function retractionFeasibilityTol(d: number): number {
  return 16 * d * 2.220446049250313e-16;
}

function checkMetric(metric: unknown): asserts metric is SpdMetric {
  if (metric !== 'ai' && metric !== 'bw') {
    throw new UnknownNameError(
      `Unknown SPD metric ${describeValue(metric)}; expected 'ai' (affine-invariant) or 'bw' (Bures–Wasserstein).`,
    );
  }
}

function checkStack(a: ArrayLike<number>, K: number, D: number, what: string): void {
  if (!Number.isInteger(K) || K < 0) throw new ShapeError(`${what}: K must be an integer >= 0; got ${describeValue(K)}.`);
  if (!Number.isInteger(D) || D <= 0) throw new ShapeError(`${what}: D must be a positive integer; got ${describeValue(D)}.`);
  if (a.length !== K * D * D) {
    throw new ShapeError(`${what}: expected a [K, D, D] = [${K}, ${D}, ${D}] stack (${K * D * D} values), got ${a.length} values.`);
  }
}

/** checkMetric, then checkStack of every named [K, D, D] stack, in order. */
function checkBatch(metric: unknown, K: number, D: number, stacks: Record<string, ArrayLike<number>>): asserts metric is SpdMetric {
  checkMetric(metric);
  for (const [what, a] of Object.entries(stacks)) checkStack(a, K, D, what);
}

function isFiniteBlock(a: ArrayLike<number>, n: number): boolean {
  for (let i = 0; i < n; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

/** Eigendecomposition of an SPD C, throwing SpdError (naming `what`) when C is not SPD. */
function spdEig(c: ArrayLike<number>, d: number, off: number, what: string): SymEig {
  cholesky(c, d, what, off);
  const eig = eigSym(c, d, off);
  if (!(eig.values[0]! > 0)) {
    throw new SpdError(`${what} is not numerically positive definite: smallest eigenvalue ${eig.values[0]}.`);
  }
  return eig;
}

// ---------------------------------------------------------------------------------------------
// Per-block kernels (offsets into flat arrays; results are fresh D×D arrays).

function rgradBlock(metric: SpdMetric, c: ArrayLike<number>, cOff: number, g: ArrayLike<number>, gOff: number, d: number): Float64Array {
  const gs = symPart(g, d, gOff);
  const cs = symPart(c, d, cOff);
  if (metric === 'ai') return congruence(cs, gs, d); // C·sym(G)·C
  // 4·sym(G C) = 2 (G C + C G) = 2 (P + Pᵀ) with P = G C.
  const p = matmul(gs, cs, d);
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      const v = 2 * (p[i * d + j]! + p[j * d + i]!);
      out[i * d + j] = v;
      out[j * d + i] = v;
    }
  }
  return out;
}

function innerBlock(
  metric: SpdMetric,
  c: ArrayLike<number>,
  cOff: number,
  xi: ArrayLike<number>,
  xiOff: number,
  eta: ArrayLike<number>,
  etaOff: number,
  d: number,
  what: string,
): number {
  const xs = symPart(xi, d, xiOff);
  const es = xi === eta && xiOff === etaOff ? xs : symPart(eta, d, etaOff);
  if (metric === 'ai') {
    // tr(C⁻¹ξC⁻¹η) = ⟨G⁻¹ξG⁻ᵀ, G⁻¹ηG⁻ᵀ⟩_F with C = G Gᵀ.
    const gi = invertLower(cholesky(c, d, what, cOff), d);
    const x = congruence(gi, xs, d);
    const y = es === xs ? x : congruence(gi, es, d);
    let s = 0;
    for (let i = 0; i < d * d; i++) s += x[i]! * y[i]!;
    return s;
  }
  // ½ tr(L_C[ξ] η) = ½ Σ_ij ξ̃_ij η̃_ij / (λ_i + λ_j) in the eigenbasis of C.
  const eig = spdEig(c, d, cOff, what);
  const vt = transpose(eig.vectors, d);
  const xt = congruence(vt, xs, d);
  const et = es === xs ? xt : congruence(vt, es, d);
  let s = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) s += (xt[i * d + j]! * et[i * d + j]!) / (eig.values[i]! + eig.values[j]!);
  }
  return 0.5 * s;
}

/** L̃ = [(Vᵀ ξ V)_ij / (λ_i + λ_j)] (the Lyapunov solution in C's eigenbasis) for symmetric ξ. */
function lyapunovEigenbasis(eig: SymEig, xs: Float64Array, d: number): Float64Array {
  const lt = congruence(transpose(eig.vectors, d), xs, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) lt[i * d + j] = lt[i * d + j]! / (eig.values[i]! + eig.values[j]!);
  }
  return lt;
}

/** Exp_C(s·ξ) for one block, or null when the step is infeasible. Throws SpdError when C is not SPD. */
function expBlock(
  metric: SpdMetric,
  c: ArrayLike<number>,
  cOff: number,
  xi: ArrayLike<number>,
  xiOff: number,
  s: number,
  d: number,
  what: string,
): Float64Array | null {
  const n = d * d;
  const cs = symPart(c, d, cOff);
  const xs = symPart(xi, d, xiOff);
  for (let i = 0; i < n; i++) xs[i] = s * xs[i]!;
  let r: Float64Array;
  if (metric === 'ai') {
    const g = cholesky(c, d, what, cOff);
    const x = congruence(invertLower(g, d), xs, d);
    const eig = eigSym(x, d);
    const gw = matmul(g, eig.vectors, d);
    let maxMu = 0;
    for (let k = 0; k < d; k++) maxMu = Math.max(maxMu, Math.abs(eig.values[k]!));
    if (maxMu <= INCREMENT_FORM_LIMIT) {
      const delta = scaledGram(gw, eig.values.map(Math.expm1), d);
      r = new Float64Array(n);
      for (let i = 0; i < n; i++) r[i] = cs[i]! + delta[i]!;
    } else {
      r = scaledGram(gw, eig.values.map(Math.exp), d);
    }
  } else {
    const eig = spdEig(c, d, cOff, what);
    const lt = lyapunovEigenbasis(eig, xs, d);
    // Domain of the BW exponential as a retraction: I + L ≻ 0 (same spectrum in any basis).
    const m = new Float64Array(n);
    for (let i = 0; i < n; i++) m[i] = lt[i]!;
    for (let i = 0; i < d; i++) m[i * d + i] = m[i * d + i]! + 1;
    if (!choleskyOrNull(m, d)) return null;
    const l = congruence(eig.vectors, lt, d); // L = V L̃ Vᵀ
    if (frobeniusNorm(lt, d) <= INCREMENT_FORM_LIMIT) {
      // C + ξ + L C L: exact base point, exact first-order term.
      const lcl = congruence(l, cs, d);
      r = new Float64Array(n);
      for (let i = 0; i < n; i++) r[i] = cs[i]! + xs[i]! + lcl[i]!;
    } else {
      // (I + L) C (I + L): positive semidefinite by construction near the domain boundary.
      for (let i = 0; i < d; i++) l[i * d + i] = l[i * d + i]! + 1;
      r = congruence(l, cs, d);
    }
  }
  // Exact symmetry (all branches are already mirror-symmetric up to the cs + xs sums; make sure).
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (r[i * d + j]! + r[j * d + i]!);
      r[i * d + j] = v;
      r[j * d + i] = v;
    }
  }
  if (!isFiniteBlock(r, n) || !(choleskyPivotRatio(r, d) > retractionFeasibilityTol(d))) return null;
  return r;
}

function transportBlock(
  metric: SpdMetric,
  cOld: ArrayLike<number>,
  oldOff: number,
  cNew: ArrayLike<number>,
  newOff: number,
  xi: ArrayLike<number>,
  xiOff: number,
  d: number,
  what: string,
): Float64Array {
  const xs = symPart(xi, d, xiOff);
  if (metric === 'bw') {
    cholesky(cNew, d, `${what} (new covariance)`, newOff);
    return xs;
  }
  cholesky(cNew, d, `${what} (new covariance)`, newOff);
  const eig = spdEig(cOld, d, oldOff, `${what} (old covariance)`);
  const sq = fromEig(eig, d, Math.sqrt);
  const isq = fromEig(eig, d, (x) => 1 / Math.sqrt(x));
  const mid = congruence(isq, symPart(cNew, d, newOff), d); // C^{-½} C′ C^{-½}
  const midEig = spdEig(mid, d, 0, `${what} (C^{-1/2} C′ C^{-1/2})`);
  const e = matmul(matmul(sq, fromEig(midEig, d, Math.sqrt), d), isq, d); // E = (C′C⁻¹)^{½}
  return congruence(e, xs, d);
}

// ---------------------------------------------------------------------------------------------
// Single-matrix API.

/** Riemannian gradient of a loss with Euclidean gradient G = ∂L/∂C at C (G is symmetrised first). */
export function riemannianGradient(metric: SpdMetric, C: ArrayLike<number>, G: ArrayLike<number>, d: number): Float64Array {
  checkMetric(metric);
  checkSquare(C, d, 0, 'covariance');
  checkSquare(G, d, 0, 'gradient');
  checkFinite(G, d, 0, 'gradient');
  return rgradBlock(metric, C, 0, G, 0, d);
}

/** Metric inner product ⟨ξ, η⟩_C. Throws SpdError when C is not SPD. */
export function inner(metric: SpdMetric, C: ArrayLike<number>, xi: ArrayLike<number>, eta: ArrayLike<number>, d: number): number {
  checkMetric(metric);
  checkSquare(C, d, 0, 'covariance');
  checkSquare(xi, d, 0, 'xi');
  checkSquare(eta, d, 0, 'eta');
  return innerBlock(metric, C, 0, xi, 0, eta, 0, d, 'covariance');
}

/** Squared norm ⟨ξ, ξ⟩_C. */
export function norm2(metric: SpdMetric, C: ArrayLike<number>, xi: ArrayLike<number>, d: number): number {
  checkMetric(metric);
  checkSquare(C, d, 0, 'covariance');
  checkSquare(xi, d, 0, 'xi');
  return innerBlock(metric, C, 0, xi, 0, xi, 0, d, 'covariance');
}

/** Solution L (symmetric) of the Lyapunov equation C L + L C = sym(ξ), for SPD C. */
export function lyapunov(C: ArrayLike<number>, xi: ArrayLike<number>, d: number): Float64Array {
  checkSquare(C, d, 0, 'covariance');
  checkSquare(xi, d, 0, 'xi');
  const eig = spdEig(C, d, 0, 'covariance');
  return congruence(eig.vectors, lyapunovEigenbasis(eig, symPart(xi, d), d), d);
}

/**
 * Exp_C(ξ) under `metric`, exactly symmetric, or null when the step is infeasible (BW outside its
 * domain I + L_C[ξ] ≻ 0, or any result that is not finite, fails Cholesky, or is singular to working
 * precision — see retractionFeasibilityTol). Throws SpdError when C itself is not SPD.
 */
export function tryRetract(metric: SpdMetric, C: ArrayLike<number>, xi: ArrayLike<number>, d: number): Float64Array | null {
  checkMetric(metric);
  checkSquare(C, d, 0, 'covariance');
  checkSquare(xi, d, 0, 'xi');
  checkFinite(xi, d, 0, 'xi');
  return expBlock(metric, C, 0, xi, 0, 1, d, 'covariance');
}

/** As tryRetract, but throws SpdError when the step is infeasible (never clamps). */
export function retract(metric: SpdMetric, C: ArrayLike<number>, xi: ArrayLike<number>, d: number): Float64Array {
  const r = tryRetract(metric, C, xi, d);
  if (!r) {
    throw new SpdError(
      `retract(${metric}): the step leaves the SPD cone (${
        metric === 'bw'
          ? 'outside the BW exponential domain I + L_C[ξ] ≻ 0, or the result is singular to working precision'
          : 'the result overflows or is singular to working precision'
      }); shrink the step size.`,
    );
  }
  return r;
}

/**
 * Transports tangent vector ξ from Cold to Cnew. AI: parallel transport E ξ Eᵀ with
 * E = Cold^{½} (Cold^{-½} Cnew Cold^{-½})^{½} Cold^{-½} (preserves the AI inner product).
 * BW: identity followed by exact symmetrisation (projection transport; not an isometry).
 */
export function transport(
  metric: SpdMetric,
  Cold: ArrayLike<number>,
  Cnew: ArrayLike<number>,
  xi: ArrayLike<number>,
  d: number,
): Float64Array {
  checkMetric(metric);
  checkSquare(Cold, d, 0, 'old covariance');
  checkSquare(Cnew, d, 0, 'new covariance');
  checkSquare(xi, d, 0, 'xi');
  return transportBlock(metric, Cold, 0, Cnew, 0, xi, 0, d, 'transport');
}

// ---------------------------------------------------------------------------------------------
// Batched API over [K, D, D] stacks. `out` may alias an input: each block is read before it is written.

/** Riemannian gradients of every component into `out` ([K, D, D]); returns `out`. */
export function riemannianGradientAll(
  metric: SpdMetric,
  covs: ArrayLike<number>,
  grads: ArrayLike<number>,
  K: number,
  D: number,
  out: Float64Array,
): Float64Array {
  checkBatch(metric, K, D, { covariances: covs, gradients: grads, out });
  const n = D * D;
  for (let k = 0; k < K; k++) {
    checkFinite(grads, D, k * n, `gradients[${k}]`);
    out.set(rgradBlock(metric, covs, k * n, grads, k * n, D), k * n);
  }
  return out;
}

/** Σ_k ⟨ξ_k, η_k⟩_{C_k} (the product-manifold inner product). */
export function innerAll(
  metric: SpdMetric,
  covs: ArrayLike<number>,
  xis: ArrayLike<number>,
  etas: ArrayLike<number>,
  K: number,
  D: number,
): number {
  checkBatch(metric, K, D, { covariances: covs, xis, etas });
  const n = D * D;
  let s = 0;
  for (let k = 0; k < K; k++) s += innerBlock(metric, covs, k * n, xis, k * n, etas, k * n, D, `covariances[${k}]`);
  return s;
}

/** Σ_k ‖ξ_k‖²_{C_k}. */
export function norm2All(metric: SpdMetric, covs: ArrayLike<number>, xis: ArrayLike<number>, K: number, D: number): number {
  return innerAll(metric, covs, xis, xis, K, D);
}

/**
 * out_k = Exp_{C_k}(−stepSize·ξ_k) for every component (a descent step along −ξ). Each result is exactly
 * symmetric and passed the SPD check (Cholesky, pivot ratios > retractionFeasibilityTol(D)). Infeasible components (see tryRetract) are NOT clamped: their output
 * block receives C_k unchanged and their index is listed in `failed`, with `ok` false — a line search
 * must then shrink the step (or treat the trial loss as +∞). Throws SpdError when an input C_k is not
 * SPD, ValueError when stepSize or a direction is not finite.
 */
export function retractAll(
  metric: SpdMetric,
  covs: ArrayLike<number>,
  directions: ArrayLike<number>,
  stepSize: number,
  K: number,
  D: number,
  out: Float64Array,
): RetractResult {
  checkBatch(metric, K, D, { covariances: covs, directions, out });
  if (typeof stepSize !== 'number' || !Number.isFinite(stepSize)) {
    throw new ValueError(`retractAll: stepSize must be a finite number; got ${describeValue(stepSize)}.`);
  }
  const n = D * D;
  const failed: number[] = [];
  for (let k = 0; k < K; k++) {
    checkFinite(directions, D, k * n, `directions[${k}]`);
    const r = expBlock(metric, covs, k * n, directions, k * n, -stepSize, D, `covariances[${k}]`);
    if (r) out.set(r, k * n);
    else {
      failed.push(k);
      if (out !== covs) for (let i = 0; i < n; i++) out[k * n + i] = covs[k * n + i]!;
    }
  }
  return { ok: failed.length === 0, failed };
}

/** Transports every ξ_k from Cold_k to Cnew_k into `out` (see transport); returns `out`. */
export function transportAll(
  metric: SpdMetric,
  covsOld: ArrayLike<number>,
  covsNew: ArrayLike<number>,
  xis: ArrayLike<number>,
  K: number,
  D: number,
  out: Float64Array,
): Float64Array {
  checkBatch(metric, K, D, { 'old covariances': covsOld, 'new covariances': covsNew, xis, out });
  const n = D * D;
  for (let k = 0; k < K; k++) {
    out.set(transportBlock(metric, covsOld, k * n, covsNew, k * n, xis, k * n, D, `transport[${k}]`), k * n);
  }
  return out;
}
