/**
 * What one training update of a GMM Q-function costs, measured side by side in one process, with
 * the floating-point work of each formulation counted analytically and set against this machine's
 * measured arithmetic speed.
 *
 *   node dist/bench/gmmqf-updates.js [--quick] [--json] [--updates=3000] [--tf-updates=300]
 *                                    [--reps=5] [--out=DIR]
 *
 * 1. One S-GMM-QF update (K = 50, D = 4, A = 3, T = 64, J = 3; replay buffer of 10 000 random
 *    transitions) by the learner `trainSgmmqf` runs, `SgmmqfLearner` (sdk/algorithms/learners/sgmmqf.ts,
 *    imported through `gmmrl`): its phases sample (includeNewest) + gather, targets
 *    r + γ(1 − terminated)·max_a Q(s′, a), loss + gradients (+ factor penalty), Adam on the factors
 *    and means, SpdAdam on the covariances, precision factors.
 *    Warm-up, then `--updates` timed updates (mean and p50 µs); then as many again with a timestamp
 *    between the parts, so the table shows where the time goes. The same with SpdAdamReference
 *    in place of SpdAdam (before/after of the fused covariance step).
 * 2. The same update written naively in TensorFlow.js ops, the dispatch-bound formulation the
 *    fused kernel replaces: tf variables for the means, the precisions P_k = C_k⁻¹ (full D×D) and the
 *    J factors; targets and loss from tf ops (Hadamard product, centred quadratic form (z − m)ᵀP(z − m),
 *    exp, one-hot gather of the taken action, squared error, l2 penalty); gradients by
 *    tf.variableGrads inside tf.tidy; tf.train.adam on the means and factors (on the device); the
 *    precision gradient and the loss read back (dataSync), turned into ∂L/∂C = −P sym(∂L/∂P) P and
 *    stepped by SpdAdam in float64 on the host; P = C⁻¹ (invertSpd) uploaded with Variable.assign.
 *    On every backend `selectBackend` can load (tensorflow-gpu / tensorflow are listed with the
 *    reason when they cannot), switching with tf.setBackend. Its gradients are checked against the
 *    fused kernel's on one batch (float32 vs float64: max relative differences ~1e-7 here).
 * 3. Floating-point work (FLOP model below) and this machine's arithmetic speed, measured in the
 *    same run: a 64×64×64 float64 matmul in plain JS loops over typed arrays (the same loop shape as
 *    the fused kernels' small dot products), and tf.matMul on 256² and 512² float32 on each
 *    available tfjs backend. Per formulation: time, FLOPs, achieved GFLOP/s, and time ÷ (FLOPs / JS
 *    speed), "× its arithmetic at this machine's plain-JS speed" (1 = as fast as the JS matmul runs).
 * 4. One batch GMM-QF Armijo iteration (K = 32, D = 4, A = 2; N = 20 000 and N = 2 000 transitions):
 *    `armijoStep` (sdk/algorithms/learners/gmmqf.ts, imported through `gmmrl`), the gradient step
 *    `trainGmmQf`'s policy evaluation runs, BellmanBatch construction excluded: one
 *    `batch.gradients`, the affine-invariant Riemannian gradient and its norm, and the Armijo
 *    search forced through the step's probe to exactly 3 trial evaluations (the first two report
 *    Infinity after doing all the work; each trial retracts every covariance, inverts them and calls
 *    `batch.loss`), on each backend. The probe also collects the parts' times.
 *
 * FLOP model (`sgmmqfUpdateFlops`, `naiveTfUpdateFlops`, `armijoIterationFlops`; every formula is
 * in the function's comments). Conventions: +, −, ×, ÷, √, exp, expm1, pow and max each count 1
 * (exp as 1 flop, although it costs ~10–20 multiply-adds: FLOP counts here are the operations the
 * code asks for, not their microcode); an n-term sum or dot product counts n adds (the first add
 * against 0 included, as the loops run them) and n multiplies; a k-deep matrix product of m×n
 * outputs counts 2mnk; copies, sign flips, abs, comparisons and index arithmetic count 0.
 *   fused update, per (t, k) pair: forward D (centre) + D(D+1) (triangular W d) + 2D (‖y‖²) + 2 (−½·, exp);
 *     with u = Wᵀy another D(D+1); the gradient accumulation 3 + 3D + D(D+1); ×2 forward for the
 *     targets on s′ (without u), plus the 2KA weight sums per row; per component SpdAdam's fixed
 *     work (2 081 flops at D = 4: ten D×D products, four spectral functions, one Cholesky) plus
 *     18D + 13 per Jacobi rotation and 3 per off-diagonal test, where the rotations and tests of
 *     both eigendecompositions (of C and of S) are COUNTED on the run's own matrices (SpdAdam's own
 *     step counts them into `jacobiStats` during a census pass).
 *   naive tfjs update: forward per (t, k) 2D² + 3D + 2 (full P matMul), backward as tfjs's gradient
 *     kernels run it (4KTD² for the two matMul gradients, 5KTD for the broadcast/elementwise
 *     gradients, …), tf.train.adam 14 per element, host −P G P 4D³ + 2D² − D and SpdAdam as above.
 *   batch iteration: BellmanBatch forward KN(2D² + 3D + 4) + 2KNA + 3N + 1 (the ξ[k, a_t] gather
 *     is a dense [K, A]×[A, N] matMul, 2KNA), gradients' extra N + 2KN + 2KNA + 2KND + 2KND² + KD²,
 *     3 trial forwards, and the host-side Riemannian work (eigSym rotations counted as above).
 *
 * Prints one markdown table per section, then the whole report as JSON (`--json`: JSON only), and
 * writes both to bench/results/gmmqf-updates.{md,json} (`--out DIR` elsewhere, `--out=` not at all).
 * `--quick` runs a few iterations of everything (a smoke test; its numbers are not measurements).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import {
  BellmanBatch,
  GMMRL_VERSION,
  ReplayBuffer,
  Rng,
  SgmmqfLearner,
  SpdAdam,
  SpdAdamReference,
  ValueError,
  armijoStep,
  factorGradients,
  precisions,
  selectBackend,
  type ArmijoStepProbe,
  type ArmijoStepTimes,
  type GmmQfStepParams,
  type TransitionBatch,
} from 'gmmrl';
import { parseArgs, type FlagSpecs, linalg } from 'gmmrl';
import { runIfScript } from './stats.js';
const { cholesky, invertLower, invertSpd, congruence, symPart, eigSym } = linalg;
type JacobiStats = linalg.JacobiStats;

// ---------------------------------------------------------------------------------------------
// Sizes and hyperparameters (the S-GMM-QF defaults of sdk/algorithms/sgmmqf.ts)

export interface SgmmqfShape {
  K: number;
  D: number;
  A: number;
  T: number;
  J: number;
}

export const SGMMQF_SHAPE: Readonly<SgmmqfShape> = { K: 50, D: 4, A: 3, T: 64, J: 3 };
const BUFFER_SIZE = 10_000;
const RHO = 1e-4;
const GAMMA = 0.99;
const ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export interface ArmijoShape {
  K: number;
  D: number;
  A: number;
  N: number;
}

export const ARMIJO_SHAPE = { K: 32, D: 4, A: 2 } as const;
export const ARMIJO_NS = [20_000, 2_000] as const;
/** Trial loss evaluations forced per Armijo search, so iterations are comparable. */
export const ARMIJO_TRIALS = 3;
const ARMIJO_BETA = 0.5;
const ARMIJO_C = 1e-4;
/** First trial step: a Riemannian step of this length (small, so every retraction is feasible). */
const ARMIJO_STEP_LENGTH = 0.05;

const TF_CANDIDATES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

// ---------------------------------------------------------------------------------------------
// FLOP model

/** Counted Jacobi work (totals), accumulated by eigSym and SpdAdam themselves (models/linalg/eig.ts JacobiStats). */
export type JacobiCount = JacobiStats;

const emptyCount = (): JacobiCount => ({ eigs: 0, rotations: 0, checks: 0, sweeps: 0 });

/** choleskyOrNull (models/linalg/cholesky.ts) of a d×d matrix: Σ_j [2j (diagonal update) + 1 (√) + (d−1−j)(2j + 1) (column)]. */
export function choleskyFlops(d: number): number {
  let f = 0;
  for (let j = 0; j < d; j++) f += 2 * j + 1 + (d - 1 - j) * (2 * j + 1);
  return f;
}

/** invertLower (forward substitution): Σ_col Σ_{i ≥ col} (2(i − col) + 1) = d(d+1)(2d+1)/6. */
export function invertLowerFlops(d: number): number {
  return (d * (d + 1) * (2 * d + 1)) / 6;
}

/** invertSpd: Cholesky, invertLower, and the lower triangle of WᵀW (Σ_i (i+1)·2(d−i)). */
export function invertSpdFlops(d: number): number {
  let f = choleskyFlops(d) + invertLowerFlops(d);
  for (let i = 0; i < d; i++) f += (i + 1) * 2 * (d - i);
  return f;
}

const matmulFlops = (d: number): number => 2 * d * d * d;
/** symPart / symmetrize: add and ×½ per strictly-lower pair. */
const symPartFlops = (d: number): number => d * (d - 1);
/** congruence B X Bᵀ: one product, then two-operand dots for the lower triangle. */
const congruenceFlops = (d: number): number => 2 * d * d * d + d * d * (d + 1);
/** scaledGram / fromSpectrum V diag(f) Vᵀ: 3 per term, lower (or upper) triangle. */
const scaledGramFlops = (d: number): number => (3 * d * d * (d + 1)) / 2;

/**
 * SpdAdam.step (sdk/optim/radam.ts) on K matrices: 4 per step (β1ᵗ, β2ᵗ, 1 − ·) + K × the fixed
 * per-matrix work below + (18D + 13) per Jacobi rotation (θ 3, t 5, c 4, s 1; two D-long row/column
 * passes of 6 and the eigenvector pass of 6 per entry) + 3 per off-diagonal test (·, √, ·).
 * `jacobi`: rotations and tests of both eigendecompositions, summed over the K matrices.
 */
export function spdAdamFlops(K: number, D: number, jacobi: Pick<JacobiCount, 'rotations' | 'checks'>): number {
  const d = D;
  const perMatrix =
    2 * d * d + // G = sym(∂L/∂C): add, ×½ per entry
    2 * matmulFlops(d) + // GC, C(GC)
    2 * d * d + // ⟨g, g⟩_C = tr(GCGC)
    3 * d * (d + 1) + // first moment, upper triangle: ½(r_ij + r_ji), β1·m + (1 − β1)·r (6 each)
    9 + // second moment (4) and the step scale −lr/c1/(√(v/c2) + ε) (5)
    2 * (d * d + 1) + // two Jacobi set-ups (max|a|, floor)
    2 * d + // √λ, 1/√λ
    2 * scaledGramFlops(d) + // C^½, C^−½
    d * d + // scale·m
    2 * matmulFlops(d) + // S = C^−½ (scale·m) C^−½
    symPartFlops(d) + // symmetrize S
    4 * d + // max|μ|, e^μ, ½μ, e^{μ/2}
    2 * scaledGramFlops(d) + // expm(S), expm(S/2)
    2 * matmulFlops(d) + // C′ = C^½ expm(S) C^½
    d * (d + 1) + // symmetrize C′ (upper triangle with the diagonal)
    choleskyFlops(d) + // SPD check of C′
    2 * matmulFlops(d) + // E = C^½ expm(S/2) C^−½
    matmulFlops(d) + // E m
    (2 * d + 1) * d * (d + 1); // (E m) Eᵀ, symmetrized: two d-long dots and ½(a + b) per lower entry
  return 4 + K * perMatrix + (18 * d + 13) * jacobi.rotations + 3 * jacobi.checks;
}

export interface SgmmqfFlops {
  targets: number;
  lossGradients: number;
  optimizer: number;
  covariances: number;
  precision: number;
  total: number;
}

/**
 * FLOPs of one fused S-GMM-QF update (sampling and gathering move data: 0).
 *   act   = K(D + D(D+1) + 2D + 2)             per row: centre, W d (lower-triangular), ‖y‖², −½·, exp
 *   targets = T(act + 2KA + (A − 1) + 2)       Q(s′, ·) = Σ_k g ξ, max over A, r + γ·max
 *   lossGradients = T(act + KD(D+1) + 2K + 3) + 1          forward with u = Wᵀy, Q(s, a_t), e, e², /T
 *                 + 1 + T(1 + K(3 + 3D + D(D+1)))          −2/T, per t: se; per (t,k): ge, gξ +=, c;
 *                                                          per i: c·u_i, g_m +=, ½·; per j ≤ i: 2
 *                 + 2JKA + 2                                factorPenalty, loss + penalty
 *   optimizer = KA·J(J+2) + (14JKA + 4) + KA(J − 1) + (14KD + 4)
 *               factorGradients (J−1 products + 2ρυ + add per factor), Adam on the factors
 *               (14 per element: m 3, v 4, step 7; 4 per step), hadamardProduct, Adam on the means
 *   covariances = spdAdamFlops(K, D, jacobi)
 *   precision = K(cholesky(D) + invertLower(D))
 */
export function sgmmqfUpdateFlops(s: SgmmqfShape, jacobi: Pick<JacobiCount, 'rotations' | 'checks'>): SgmmqfFlops {
  const { K, D, A, T, J } = s;
  const act = K * (D + D * (D + 1) + 2 * D + 2);
  const targets = T * (act + 2 * K * A + (A - 1) + 2);
  const lossGradients = T * (act + K * D * (D + 1) + 2 * K + 3) + 1 + 1 + T * (1 + K * (3 + 3 * D + D * (D + 1))) + 2 * J * K * A + 2;
  const optimizer = K * A * J * (J + 2) + (14 * J * K * A + 4) + K * A * (J - 1) + (14 * K * D + 4);
  const covariances = spdAdamFlops(K, D, jacobi);
  const precision = K * (choleskyFlops(D) + invertLowerFlops(D));
  return {
    targets,
    lossGradients,
    optimizer,
    covariances,
    precision,
    total: targets + lossGradients + optimizer + covariances + precision,
  };
}

export interface NaiveTfFlops {
  targets: number;
  forward: number;
  backward: number;
  adam: number;
  hostCovGradient: number;
  covariances: number;
  precision: number;
  /** Work done by tfjs kernels (targets, forward, backward, adam). */
  device: number;
  /** Work done on the host in float64 (−P G P, SpdAdam, invertSpd). */
  host: number;
  total: number;
}

/**
 * FLOPs of one naive tfjs S-GMM-QF update (section 2), op by op as tfjs runs them:
 *   Fq(T) = KT(2D² + 3D + 2) + 2TKA + (J − 1)KA
 *           z − m [K,T,D]; (z − m)P batched matMul 2KTD²; ⊙(z − m) and Σ_D; ×(−½), exp; Ξ = ⊙_j Υ_j; gᵀΞ
 *   targets  = Fq(T) + T(A − 1) + 2T                        max over A, r + γ(1 − done)·max
 *   forward  = Fq(T) + 2TA + 3T + 1 + 2JKA + J + 1          ⊙ one-hot and Σ_A, e, e², mean, ρ Σ_j ‖Υ_j‖²
 *   backward = 4KTD² + 5KTD + KD + 2KT + 4KTA + 2TA + 5T + 1 + (6J − 2)KA
 *              matMul grads (diff and P) 4KTD²; Σ_D grad (×ones), ⊙ grads (2), diff accumulation,
 *              Σ_T for the means 5KTD; −(·) KD; exp and ×(−½) grads 2KT; gᵀΞ grads 4KTA; one-hot ⊙
 *              and Σ_A grads 2TA; mean (×ones, ÷) 2T, square 2T, sub T; ρ·1; Hadamard 2(J − 1)KA,
 *              penalty (Σ ×ones, square 2) 3JKA, accumulation JKA
 *   adam     = 14(KD + JKA) + 4                             tf.train.adam: 14 per element, 4 per step
 *   hostCovGradient = K(D(D − 1) + 4D³ + D²)                −P sym(∂L/∂P) P
 *   covariances = spdAdamFlops(K, D, jacobi); precision = K·invertSpd(D)
 */
export function naiveTfUpdateFlops(s: SgmmqfShape, jacobi: Pick<JacobiCount, 'rotations' | 'checks'>): NaiveTfFlops {
  const { K, D, A, T, J } = s;
  const fq = K * T * (2 * D * D + 3 * D + 2) + 2 * T * K * A + (J - 1) * K * A;
  const targets = fq + T * (A - 1) + 2 * T;
  const forward = fq + 2 * T * A + 3 * T + 1 + 2 * J * K * A + J + 1;
  const backward = 4 * K * T * D * D + 5 * K * T * D + K * D + 2 * K * T + 4 * K * T * A + 2 * T * A + 5 * T + 1 + (6 * J - 2) * K * A;
  const adam = 14 * (K * D + J * K * A) + 4;
  const hostCovGradient = K * (symPartFlops(D) + 2 * matmulFlops(D) + D * D);
  const covariances = spdAdamFlops(K, D, jacobi);
  const precision = K * invertSpdFlops(D);
  const device = targets + forward + backward + adam;
  const host = hostCovGradient + covariances + precision;
  return { targets, forward, backward, adam, hostCovGradient, covariances, precision, device, host, total: device + host };
}

/** BellmanBatch.loss (models/gmmqf/tf.ts): KN(2D² + 3D + 4) + 2KNA + 3N + 1. */
export function bellmanForwardFlops(K: number, D: number, A: number, N: number): number {
  // kernels: z − m KND, (z − m)P 2KND², ⊙ KND, Σ_D KND, ×(−½) KN, exp KN; ξ[k, a_t] = W·onehotᵀ 2KNA;
  // Σ_k ξ g: ⊙ KN + Σ KN; e N, e² N, mean N + 1
  return K * N * (2 * D * D + 3 * D + 4) + 2 * K * N * A + 3 * N + 1;
}

/** BellmanBatch.gradients on top of the forward: N + 2KN + 2KNA + 2KND + 2KND² + KD². */
export function bellmanGradientExtraFlops(K: number, D: number, A: number, N: number): number {
  // −2/T·e N; ge = g·e KN; gW = ge·onehot 2KNA; c = ge·ξ KN; cu = u·c KND; Σ_N cu KND; cuᵀu 2KND²; ×½ KD²
  return N + 2 * K * N + 2 * K * N * A + 2 * K * N * D + 2 * K * N * D * D + K * D * D;
}

/** eigSym (models/linalg/eig.ts): 3D(D−1) + D² + 1 set-up, 4 per test, 12D + 6 per rotation. */
export function eigSymFlops(d: number, c: Pick<JacobiCount, 'eigs' | 'rotations' | 'checks'>): number {
  return c.eigs * (3 * d * (d - 1) + d * d + 1) + 4 * c.checks + (12 * d + 6) * c.rotations;
}

export interface ArmijoFlops {
  /** batch.gradients (tfjs) + host symmetrization. */
  gradients: number;
  /** Riemannian gradients, their squared norm (host). */
  riemannian: number;
  /** Per iteration: the trial points (means, weights, retractions, precisions, Armijo test), host. */
  trialHost: number;
  /** Per iteration: the trial losses (tfjs). */
  trialLoss: number;
  device: number;
  host: number;
  total: number;
}

/**
 * FLOPs of one batch GMM-QF Armijo iteration with `trials` trial losses:
 *   gradients  = forward(N) + extra(N) + KD(D − 1)                       (+ host symmetrization)
 *   riemannian = 2(KD + KA) + K(2 symPart + congruence + symPart + cholesky + invertLower + congruence + 2D² + 1)
 *   trialHost  = trials × [2KD + 2KA + K(D² + exp_C fixed) + K invertSpd(D) + 4] + eigSym rotations/tests
 *                exp_C fixed = 2 symPart + D² + cholesky + invertLower + congruence + eigSym set-up
 *                              + D×D product + 2D (max|μ|, expm1) + scaledGram + D² + symmetrize + cholesky + 2D
 *   trialLoss  = trials × forward(N)
 * `jacobi`: the retractions' eigSym rotations and tests summed over all trials and components.
 */
export function armijoIterationFlops(s: ArmijoShape, trials: number, jacobi: Pick<JacobiCount, 'rotations' | 'checks'>): ArmijoFlops {
  const { K, D, A, N } = s;
  const fwd = bellmanForwardFlops(K, D, A, N);
  const gradients = fwd + bellmanGradientExtraFlops(K, D, A, N) + K * D * (D - 1);
  const riemannian =
    2 * (K * D + K * A) +
    K *
      (2 * symPartFlops(D) +
        congruenceFlops(D) +
        symPartFlops(D) +
        choleskyFlops(D) +
        invertLowerFlops(D) +
        congruenceFlops(D) +
        2 * D * D +
        1);
  const expFixed =
    2 * symPartFlops(D) +
    D * D +
    choleskyFlops(D) +
    invertLowerFlops(D) +
    congruenceFlops(D) +
    eigSymFlops(D, { eigs: 1, rotations: 0, checks: 0 }) +
    matmulFlops(D) +
    2 * D +
    scaledGramFlops(D) +
    D * D +
    symPartFlops(D) +
    choleskyFlops(D) +
    2 * D;
  const trialHost =
    trials * (2 * K * D + 2 * K * A + K * (D * D + expFixed) + K * invertSpdFlops(D) + 4) +
    eigSymFlops(D, { eigs: 0, rotations: jacobi.rotations, checks: jacobi.checks });
  const trialLoss = trials * fwd;
  const device = fwd + bellmanGradientExtraFlops(K, D, A, N) + trialLoss;
  const total = gradients + riemannian + trialHost + trialLoss;
  return { gradients, riemannian, trialHost, trialLoss, device, host: total - device, total };
}

// ---------------------------------------------------------------------------------------------
// Timing helpers

export interface Timing {
  meanUs: number;
  p50Us: number;
  n: number;
}

function percentile(sorted: Float64Array, p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function summarize(us: Float64Array): Timing {
  const sorted = Float64Array.from(us).sort();
  const mean = us.reduce((a, b) => a + b, 0) / Math.max(1, us.length);
  return { meanUs: mean, p50Us: percentile(sorted, 50), n: us.length };
}

function timeLoop(n: number, f: () => void): Float64Array {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    t[i] = (performance.now() - t0) * 1000;
  }
  return t;
}

/** n runs of the parts in order, with a timestamp between consecutive parts (µs per part per run). */
function timeParts(n: number, parts: readonly (readonly [string, () => void])[]): { total: Float64Array; parts: Float64Array[] } {
  const total = new Float64Array(n);
  const each = parts.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    let prev = start;
    for (let j = 0; j < parts.length; j++) {
      parts[j]![1]();
      const now = performance.now();
      each[j]![i] = (now - prev) * 1000;
      prev = now;
    }
    total[i] = (prev - start) * 1000;
  }
  return { total, parts: each };
}

// ---------------------------------------------------------------------------------------------
// Shared S-GMM-QF state: a replay buffer of random transitions and mid-training-like parameters

interface SgmmqfState {
  means: Float64Array;
  covariances: Float64Array;
  factors: Float64Array;
}

function randomSpdStack(rng: Rng, K: number, D: number): Float64Array {
  const out = new Float64Array(K * D * D);
  const b = new Float64Array(D * D);
  for (let k = 0; k < K; k++) {
    // C = ½ I + B Bᵀ, B ~ 0.3·N(0, 1): SPD, not diagonal (the Jacobi sweeps have work to do)
    for (let i = 0; i < D * D; i++) b[i] = 0.3 * rng.normal();
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        let s = i === j ? 0.5 : 0;
        for (let t = 0; t < D; t++) s += b[i * D + t]! * b[j * D + t]!;
        out[k * D * D + i * D + j] = s;
      }
    }
  }
  return out;
}

function initState(seed: number, s: SgmmqfShape): SgmmqfState {
  const rng = new Rng(seed);
  const { K, D, A, J } = s;
  return {
    means: new Float64Array(K * D).map(() => rng.normal()),
    covariances: randomSpdStack(rng, K, D),
    factors: new Float64Array(J * K * A).map(() => 0.3 * rng.normal()),
  };
}

function cloneState(s: SgmmqfState): SgmmqfState {
  return { means: s.means.slice(), covariances: s.covariances.slice(), factors: s.factors.slice() };
}

/** `size` random normalized transitions: s ~ N(0, I), s′ = s + 0.1·N(0, I), reward 1, 2 % terminal. */
function randomBuffer(seed: number, size: number, D: number, A: number): ReplayBuffer {
  const rng = new Rng(seed);
  const buf = new ReplayBuffer(size, D, 1);
  const s = new Float64Array(D);
  const s2 = new Float64Array(D);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < D; j++) {
      s[j] = rng.normal();
      s2[j] = s[j]! + 0.1 * rng.normal();
    }
    buf.push(s, rng.integer(A), 1, s2, rng.uniform() < 0.02);
  }
  return buf;
}

/**
 * The real S-GMM-QF update (`SgmmqfLearner`, the learner trainSgmmqf runs) on the bench's buffer and
 * state, with its phases exposed for timing.
 */
class SgmmqfRun {
  readonly rng: Rng;
  readonly learner: SgmmqfLearner;
  private readonly spd: SpdAdam | null;
  lossSum = 0;

  constructor(
    readonly s: SgmmqfShape,
    readonly buffer: ReplayBuffer,
    state: SgmmqfState,
    covOptimizer: 'SpdAdam' | 'SpdAdamReference',
    seed: number,
  ) {
    const { K, D, A, T, J } = s;
    const st = cloneState(state);
    this.rng = new Rng(seed);
    this.spd = covOptimizer === 'SpdAdam' ? new SpdAdam(K, D, ADAM) : null;
    this.learner = new SgmmqfLearner(
      { means: st.means, covariances: st.covariances, factors: { J, K, A, values: st.factors } },
      {
        batchSize: T,
        gamma: GAMMA,
        rho: RHO,
        lrMeans: ADAM.lr,
        lrCovariances: ADAM.lr,
        lrFactors: ADAM.lr,
        beta1: ADAM.beta1,
        beta2: ADAM.beta2,
        adamEps: ADAM.eps,
        targetUpdate: 0,
      },
      this.spd ?? new SpdAdamReference(K, D, ADAM),
    );
  }

  /** Counts SpdAdam's Jacobi work into `census` (null: stop counting); SpdAdam counts inside its real step. */
  setCensus(census: JacobiCount | null): void {
    if (this.spd) this.spd.jacobiStats = census;
  }

  update(): void {
    this.lossSum += this.learner.update(this.buffer, this.rng);
  }

  /** The learner's phases in `update`'s order. */
  parts(): readonly (readonly [string, () => void])[] {
    const L = this.learner;
    return [
      ['sample + gather', () => L.sample(this.buffer, this.rng)],
      ['targets (maxQ on s′)', () => L.computeTargets()],
      ['loss + gradients', () => void (this.lossSum += L.lossAndGradients())],
      ['factors + means (Adam)', () => L.stepFactorsAndMeans()],
      ['covariances (SPD Adam)', () => L.stepCovariances()],
      ['precision factors', () => L.refreshPrecisions()],
    ];
  }
}

const PART_KEYS = ['sample', 'targets', 'lossGradients', 'optimizer', 'covariances', 'precision'] as const;

// ---------------------------------------------------------------------------------------------
// Section 2: the naive tfjs formulation

interface NaiveGradients {
  loss: number;
  means: Float64Array;
  covariances: Float64Array;
  factors: Float64Array;
}

/** ∂L/∂C_k = −P_k sym(∂L/∂P_k) P_k (dP = −P dC P), float64, into `out`. */
function covGradientFromPrecision(
  P: Float64Array,
  gP: ArrayLike<number>,
  K: number,
  D: number,
  out: Float64Array,
  s: Float64Array,
  t: Float64Array,
): void {
  const dd = D * D;
  for (let k = 0; k < K; k++) {
    const off = k * dd;
    for (let i = 0; i < D; i++) {
      s[i * D + i] = gP[off + i * D + i]!;
      for (let j = 0; j < i; j++) {
        const x = 0.5 * (gP[off + i * D + j]! + gP[off + j * D + i]!);
        s[i * D + j] = x;
        s[j * D + i] = x;
      }
    }
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        let a = 0;
        for (let l = 0; l < D; l++) a += P[off + i * D + l]! * s[l * D + j]!;
        t[i * D + j] = a;
      }
    }
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        let a = 0;
        for (let l = 0; l < D; l++) a += t[i * D + l]! * P[off + l * D + j]!;
        out[off + i * D + j] = -a;
      }
    }
  }
}

function invertSpdStack(covs: Float64Array, K: number, D: number, out: Float64Array): Float64Array {
  for (let k = 0; k < K; k++) out.set(invertSpd(covs, D, `covariances[${k}]`, k * D * D), k * D * D);
  return out;
}

let variableSerial = 0;

class NaiveTfUpdate {
  readonly rng: Rng;
  readonly idx: Int32Array<ArrayBuffer>;
  batch: TransitionBatch | undefined;
  readonly z: Float32Array;
  readonly zNext: Float32Array;
  readonly acts: Int32Array;
  readonly rewards: Float32Array;
  readonly discounts: Float32Array;
  readonly means: tf.Variable;
  readonly P: tf.Variable;
  readonly U: tf.Variable[];
  readonly vars: tf.Variable[];
  readonly opt: tf.AdamOptimizer;
  readonly covs: Float64Array;
  readonly Phost: Float64Array;
  readonly spd: SpdAdam;
  readonly gC: Float64Array;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;
  private targetTensor: tf.Tensor1D | null = null;
  private pending: tf.NamedTensorMap | null = null;
  private gP: Float32Array = new Float32Array(0);
  lossSum = 0;

  constructor(
    readonly s: SgmmqfShape,
    readonly buffer: ReplayBuffer,
    state: SgmmqfState,
    seed: number,
  ) {
    const { K, D, A, T, J } = s;
    const st = cloneState(state);
    this.rng = new Rng(seed);
    this.idx = new Int32Array(T);
    this.z = new Float32Array(T * D);
    this.zNext = new Float32Array(T * D);
    this.acts = new Int32Array(T);
    this.rewards = new Float32Array(T);
    this.discounts = new Float32Array(T);
    this.covs = st.covariances;
    this.Phost = invertSpdStack(this.covs, K, D, new Float64Array(K * D * D));
    const tag = `bench-sgmmqf-${++variableSerial}`;
    this.means = tf.variable(tf.tensor2d(Float32Array.from(st.means), [K, D]), true, `${tag}/means`);
    this.P = tf.variable(tf.tensor3d(Float32Array.from(this.Phost), [K, D, D]), true, `${tag}/precisions`);
    this.U = [];
    for (let j = 0; j < J; j++) {
      this.U.push(
        tf.variable(tf.tensor2d(Float32Array.from(st.factors.subarray(j * K * A, (j + 1) * K * A)), [K, A]), true, `${tag}/factor${j}`),
      );
    }
    this.vars = [this.means, this.P, ...this.U];
    this.opt = tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
    this.spd = new SpdAdam(K, D, ADAM);
    this.gC = new Float64Array(K * D * D);
    this.s1 = new Float64Array(D * D);
    this.s2 = new Float64Array(D * D);
  }

  dispose(): void {
    this.targetTensor?.dispose();
    if (this.pending) for (const t of Object.values(this.pending)) t.dispose();
    this.opt.dispose();
    for (const v of this.vars) v.dispose();
  }

  /** Q(z, ·) [T, A] for z [T, D]. Inside a tidy. */
  private qAll(z: tf.Tensor2D): tf.Tensor2D {
    const diff = tf.sub(tf.expandDims(z, 0), tf.expandDims(this.means, 1)) as tf.Tensor3D; // [K, T, D]
    const u = tf.matMul(diff, this.P as tf.Tensor3D); // [K, T, D]
    const quad = tf.sum(tf.mul(u, diff), 2); // [K, T]
    const g = tf.exp(tf.mul(quad, -0.5)) as tf.Tensor2D;
    let xi: tf.Tensor = this.U[0]!;
    for (let j = 1; j < this.U.length; j++) xi = tf.mul(xi, this.U[j]!);
    return tf.matMul(g, xi as tf.Tensor2D, true, false); // [T, A]
  }

  private lossFn(z: tf.Tensor2D, onehot: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
    const q = this.qAll(z);
    const qsa = tf.sum(tf.mul(q, onehot), 1);
    const e = tf.sub(y, qsa);
    const mse = tf.mean(tf.square(e));
    let pen: tf.Tensor = tf.sum(tf.square(this.U[0]!));
    for (let j = 1; j < this.U.length; j++) pen = tf.add(pen, tf.sum(tf.square(this.U[j]!)));
    return tf.add(mse, tf.mul(RHO, pen)) as tf.Scalar;
  }

  sample(): void {
    const { T, D } = this.s;
    this.buffer.sampleIndices(T, this.rng, { includeNewest: true }, this.idx);
    const b = (this.batch = this.buffer.gather(this.idx, this.batch));
    for (let i = 0; i < T * D; i++) {
      this.z[i] = b.obs[i]!;
      this.zNext[i] = b.nextObs[i]!;
    }
    for (let t = 0; t < T; t++) {
      this.acts[t] = b.actions[t]!;
      this.rewards[t] = b.rewards[t]!;
      this.discounts[t] = b.terminated[t] ? 0 : GAMMA;
    }
  }

  targets(): void {
    const { T, D } = this.s;
    this.targetTensor = tf.tidy(() => {
      const q = this.qAll(tf.tensor2d(this.zNext, [T, D]));
      return tf.add(tf.tensor1d(this.rewards), tf.mul(tf.tensor1d(this.discounts), tf.max(q, 1))) as tf.Tensor1D;
    });
  }

  private grads(): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    const { T, D, A } = this.s;
    const y = this.targetTensor!;
    const res = tf.tidy(() => {
      const z = tf.tensor2d(this.z, [T, D]);
      // int32 one-hot cast to float32: tfjs-backend-wasm 4.22's OneHot with dtype 'float32' writes the
      // int32 bit pattern of 1 (1.4e-45) instead of 1.0 (the gradient check below caught it)
      const onehot = tf.cast(tf.oneHot(tf.tensor1d(this.acts, 'int32'), A), 'float32') as tf.Tensor2D;
      return tf.variableGrads(() => this.lossFn(z, onehot, y), this.vars);
    });
    y.dispose();
    this.targetTensor = null;
    return res;
  }

  lossGradients(): void {
    const { value, grads } = this.grads();
    this.lossSum += value.dataSync()[0]!;
    value.dispose();
    this.gP = grads[this.P.name]!.dataSync() as Float32Array;
    this.pending = grads;
  }

  optimizer(): void {
    const g = this.pending!;
    const named: { name: string; tensor: tf.Tensor }[] = [{ name: this.means.name, tensor: g[this.means.name]! }];
    for (const u of this.U) named.push({ name: u.name, tensor: g[u.name]! });
    this.opt.applyGradients(named);
    for (const t of Object.values(g)) t.dispose();
    this.pending = null;
  }

  covariances(): void {
    const { K, D } = this.s;
    covGradientFromPrecision(this.Phost, this.gP, K, D, this.gC, this.s1, this.s2);
    this.spd.step(this.covs, this.gC);
  }

  precision(): void {
    const { K, D } = this.s;
    invertSpdStack(this.covs, K, D, this.Phost);
    tf.tidy(() => {
      this.P.assign(tf.tensor3d(Float32Array.from(this.Phost), [K, D, D]));
    });
  }

  update(): void {
    this.sample();
    this.targets();
    this.lossGradients();
    this.optimizer();
    this.covariances();
    this.precision();
  }

  parts(): readonly (readonly [string, () => void])[] {
    return [
      ['sample + gather', () => this.sample()],
      ['targets (tf ops)', () => this.targets()],
      ['loss + gradients (tf.variableGrads, read-back)', () => this.lossGradients()],
      ['factors + means (tf.train.adam)', () => this.optimizer()],
      ['covariances (−PGP, SpdAdam, host)', () => this.covariances()],
      ['precisions (invertSpd, assign)', () => this.precision()],
    ];
  }

  /** Loss (with the penalty) and every gradient read back, for the check against the fused kernel. */
  checkGradients(): NaiveGradients {
    const { K, D, A, J } = this.s;
    this.sample();
    this.targets();
    const { value, grads } = this.grads();
    const loss = value.dataSync()[0]!;
    const means = Float64Array.from(grads[this.means.name]!.dataSync());
    const covariances = new Float64Array(K * D * D);
    covGradientFromPrecision(this.Phost, grads[this.P.name]!.dataSync(), K, D, covariances, this.s1, this.s2);
    const factors = new Float64Array(J * K * A);
    this.U.forEach((u, j) => factors.set(grads[u.name]!.dataSync(), j * K * A));
    value.dispose();
    for (const t of Object.values(grads)) t.dispose();
    return { loss, means, covariances, factors };
  }
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return den === 0 ? num : num / den;
}

// ---------------------------------------------------------------------------------------------
// Section 3: arithmetic speed

export interface SpeedRow {
  kernel: string;
  backend: string;
  size: string;
  flops: number;
  msPerCall: number;
  gflops: number;
  /** Best of the timed batches (the median is `gflops`). */
  gflopsBest: number;
  calls: number;
}

/** C = A B, n×n float64, plain JS loops over typed arrays (the dot-product loop shape of the kernels). */
function jsMatmul(a: Float64Array, b: Float64Array, c: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * b[k * n + j]!;
      c[i * n + j] = s;
    }
  }
}

function measureJsMatmul(n: number, budgetMs: number): SpeedRow {
  const rng = new Rng(11);
  const a = new Float64Array(n * n).map(() => rng.normal());
  const b = new Float64Array(n * n).map(() => rng.normal());
  const c = new Float64Array(n * n);
  // warm-up (JIT), and calibrate the calls per batch to ~budget/5
  let calls = 0;
  const w0 = performance.now();
  while (performance.now() - w0 < Math.max(20, budgetMs / 5)) {
    jsMatmul(a, b, c, n);
    calls++;
  }
  const perBatch = Math.max(1, calls);
  const rates: number[] = [];
  const msPer: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < perBatch; i++) jsMatmul(a, b, c, n);
    const ms = (performance.now() - t0) / perBatch;
    msPer.push(ms);
    rates.push((2 * n ** 3) / (ms * 1e6));
  }
  if (!Number.isFinite(c[0]!)) throw new Error('bench: JS matmul produced a non-finite value');
  const sortedRates = [...rates].sort((x, y) => x - y);
  const sortedMs = [...msPer].sort((x, y) => x - y);
  return {
    kernel: 'matmul, plain JS loops (float64)',
    backend: 'js',
    size: `${n}×${n}×${n}`,
    flops: 2 * n ** 3,
    msPerCall: sortedMs[2]!,
    gflops: sortedRates[2]!,
    gflopsBest: sortedRates[4]!,
    calls: perBatch * 5,
  };
}

function measureTfMatmul(backend: string, n: number, budgetMs: number): SpeedRow {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2) as tf.Tensor2D;
  const call = () => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  };
  try {
    call();
    call();
    const times: number[] = [];
    const t0 = performance.now();
    while (times.length < 3 || (performance.now() - t0 < budgetMs && times.length < 1000)) {
      const s = performance.now();
      call();
      times.push(performance.now() - s);
    }
    const sorted = [...times].sort((x, y) => x - y);
    const med = sorted[Math.floor((sorted.length - 1) / 2)]!;
    return {
      kernel: 'tf.matMul (float32)',
      backend,
      size: `${n}×${n}×${n}`,
      flops: 2 * n ** 3,
      msPerCall: med,
      gflops: (2 * n ** 3) / (med * 1e6),
      gflopsBest: (2 * n ** 3) / (sorted[0]! * 1e6),
      calls: times.length,
    };
  } finally {
    a.dispose();
    b.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Section 4: the batch Armijo iteration

interface ArmijoPartsMs {
  total: number;
  gradients: number;
  riemannian: number;
  trialHost: number;
  trialLoss: number;
}

/**
 * The real batch GMM-QF gradient step (`armijoStep`, what trainGmmQf's policy evaluation runs) on a
 * random batch, metric 'ai', with exactly ARMIJO_TRIALS trial losses: the probe turns the first
 * ARMIJO_TRIALS − 1 losses into Infinity after all their work is done, and the search may shrink
 * only ARMIJO_TRIALS − 1 times.
 */
class ArmijoStepRun {
  readonly params: GmmQfStepParams;
  readonly batch: BellmanBatch;
  P: Float64Array;
  accepted = 0;
  lossEvals = 0;

  constructor(
    readonly s: ArmijoShape,
    seed: number,
  ) {
    const { K, D, A, N } = s;
    const rng = new Rng(seed);
    const z = new Float32Array(N * D).map(() => rng.normal());
    const actions = new Int32Array(N).map(() => rng.integer(A));
    const targets = new Float32Array(N).map(() => 1 + 0.5 * rng.normal());
    this.params = {
      K,
      D,
      means: new Float64Array(K * D).map(() => rng.normal()),
      covariances: randomSpdStack(rng, K, D),
      weights: new Float64Array(K * A).map(() => rng.normal()),
    };
    this.P = precisions(this.params);
    this.batch = new BellmanBatch(K, D, A, z, actions, targets);
  }

  dispose(): void {
    this.batch.dispose();
  }

  /** One step; `census` counts the Jacobi work of the eigendecomposition inside each AI retraction. */
  run(census?: JacobiCount): ArmijoPartsMs {
    const { D } = this.s;
    const times: ArmijoStepTimes = { gradients: 0, riemannian: 0, trialHost: 0, trialLoss: 0 };
    const probe: ArmijoStepProbe = {
      times,
      trialLoss: (loss, trial) => {
        if (Number.isFinite(loss)) this.lossEvals++;
        return trial < ARMIJO_TRIALS - 1 ? Infinity : loss;
      },
      // the eigSym inside the AI retraction runs on X = G⁻¹ ξ G⁻ᵀ, C = G Gᵀ
      ...(census
        ? {
            beforeRetract: (C: Float64Array, step: Float64Array) =>
              void eigSym(congruence(invertLower(cholesky(C, D), D), symPart(step, D), D), D, 0, census),
          }
        : {}),
    };
    const t0 = performance.now();
    const res = armijoStep(
      this.batch,
      this.params,
      this.P,
      {
        metric: 'ai',
        firstStep: (grad2) => ARMIJO_STEP_LENGTH / Math.sqrt(grad2),
        beta: ARMIJO_BETA,
        c: ARMIJO_C,
        maxHalvings: ARMIJO_TRIALS - 1,
      },
      probe,
    );
    const total = performance.now() - t0;
    if (res.evaluations === 0) throw new Error('bench: the Riemannian gradient norm² is not a positive finite number; no search ran');
    if (res.evaluations !== ARMIJO_TRIALS)
      throw new Error(`bench: the Armijo search made ${res.evaluations} evaluations, expected ${ARMIJO_TRIALS}`);
    if (res.accepted) {
      this.P = res.precisions;
      this.accepted++;
    }
    return { total, ...times };
  }
}

// ---------------------------------------------------------------------------------------------
// Report

export interface PartRow {
  part: string;
  key: string;
  meanUs: number;
  p50Us: number;
  flops: number;
}

export interface FusedVariant {
  optimizer: 'SpdAdam' | 'SpdAdamReference';
  /** Plain loop, no timestamps inside an update. */
  total: Timing;
  /** The instrumented loop: its per-update total and each part. */
  instrumentedTotal: Timing;
  parts: PartRow[];
  /** Mean mini-batch loss (with the penalty) over every update run: finite, for a sanity check. */
  meanLoss: number;
}

export interface BackendStatus {
  name: string;
  available: boolean;
  tfBackend?: string;
  reason?: string;
}

export interface NaiveBackendRun {
  backend: string;
  total: Timing;
  instrumentedTotal: Timing;
  parts: PartRow[];
  /** Tensors alive after the timed loops minus before (0 = no leak). */
  tensorLeak: number;
  /** Max relative difference from the fused float64 kernel on one batch (float32 vs float64). */
  gradientCheck: { loss: number; means: number; covariances: number; factors: number };
}

export interface ArmijoRun {
  backend: string;
  N: number;
  reps: number;
  totalMs: { mean: number; p50: number };
  gradientsMs: number;
  riemannianMs: number;
  trialHostMs: number;
  trialLossMs: number;
  acceptedFraction: number;
  jacobiPerTrial: { rotations: number; checks: number };
  flops: ArmijoFlops;
  gflops: number;
}

export interface EfficiencyRow {
  formulation: string;
  timeUs: number;
  flops: number;
  gflops: number;
  /** FLOPs / plain-JS speed, µs: the time the arithmetic alone would take at the JS matmul's rate. */
  jsArithmeticUs: number;
  /** timeUs / jsArithmeticUs. */
  xJsArithmetic: number;
}

export interface GmmqfUpdatesReport {
  bench: 'gmmqf-updates';
  gmmrlVersion: string;
  command: string;
  argv: string[];
  date: string;
  quick: boolean;
  node: string;
  cpu: string;
  cpuCount: number;
  os: string;
  loadAverage: { start: number[]; end: number[] };
  tfjs: { version: string; wasmSimd: boolean; wasmThreads: boolean };
  flopConventions: string;
  sgmmqf: {
    shape: SgmmqfShape & { buffer: number };
    warmup: number;
    updates: number;
    variants: FusedVariant[];
    jacobiCensus: { updates: number; perUpdate: { rotations: number; checks: number; sweeps: number; eigs: number } };
    flops: SgmmqfFlops;
  };
  naiveTf: {
    warmup: number;
    updates: number;
    backends: BackendStatus[];
    runs: NaiveBackendRun[];
    flops: NaiveTfFlops;
  };
  arithmetic: {
    speed: SpeedRow[];
    jsGflops: number;
    efficiency: EfficiencyRow[];
  };
  armijo: {
    shape: { K: number; D: number; A: number; Ns: number[] };
    trials: number;
    runs: ArmijoRun[];
  };
}

export const FLOP_CONVENTIONS =
  '+ − × ÷ √ exp expm1 pow max each 1 flop (exp counted as 1); an n-term sum or dot product n adds + n multiplies; ' +
  "an m×n result of depth k 2mnk; copies, sign flips, abs, comparisons 0. Jacobi rotations and tests counted on the run's matrices.";

const fmt = {
  us: (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)),
  ms: (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)),
  int: (x: number) => Math.round(x).toLocaleString('en-US'),
  g: (x: number) => (x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toFixed(3)),
  pct: (x: number) => `${(100 * x).toFixed(0)} %`,
  x: (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1)),
};

function mdTable(head: string[], rows: string[][], rightFrom = 1): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= rightFrom ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join(' | ')} |`;
  const sep = `|${w.map((n, i) => (i >= rightFrom ? `${'-'.repeat(n + 1)}:` : `${'-'.repeat(n + 2)}`)).join('|')}|`;
  return [line(head), sep, ...rows.map(line)].join('\n');
}

export function renderMarkdown(r: GmmqfUpdatesReport): string {
  const out: string[] = [];
  const sh = r.sgmmqf.shape;
  out.push(
    `# gmmqf-updates${r.quick ? ' (--quick: smoke test, not a measurement)' : ''}`,
    '',
    `\`${r.command}\` on ${r.date}: ${r.cpu} ×${r.cpuCount}, ${r.os}, node ${r.node}, tfjs ${r.tfjs.version} ` +
      `(wasm SIMD ${r.tfjs.wasmSimd ? 'on' : 'off'}, threads ${r.tfjs.wasmThreads ? 'on' : 'off'}); ` +
      `load average ${r.loadAverage.start.map((x) => x.toFixed(2)).join(' ')} at the start, ${r.loadAverage.end.map((x) => x.toFixed(2)).join(' ')} at the end.`,
    '',
  );

  // 1
  out.push(
    `## 1. S-GMM-QF update, fused float64 kernel (K=${sh.K}, D=${sh.D}, A=${sh.A}, T=${sh.T}, J=${sh.J}; buffer ${fmt.int(sh.buffer)})`,
    '',
    `${r.sgmmqf.updates} updates after ${r.sgmmqf.warmup} warm-up, per optimizer; parts from a second, instrumented loop of as many updates. ` +
      `Jacobi census: ${r.sgmmqf.jacobiCensus.perUpdate.rotations.toFixed(0)} rotations and ${r.sgmmqf.jacobiCensus.perUpdate.checks.toFixed(0)} tests per update ` +
      `(${r.sgmmqf.jacobiCensus.perUpdate.eigs} eigendecompositions, ${(r.sgmmqf.jacobiCensus.perUpdate.sweeps / Math.max(1, r.sgmmqf.jacobiCensus.perUpdate.eigs)).toFixed(2)} sweeps each, over ${r.sgmmqf.jacobiCensus.updates} updates).`,
    '',
  );
  const rows1: string[][] = [];
  for (const v of r.sgmmqf.variants) {
    rows1.push([
      v.optimizer,
      '**whole update**',
      fmt.us(v.total.meanUs),
      fmt.us(v.total.p50Us),
      '',
      fmt.int(r.sgmmqf.flops.total),
      fmt.g(r.sgmmqf.flops.total / (v.total.meanUs * 1e3)),
    ]);
    const inst = v.instrumentedTotal.meanUs;
    for (const p of v.parts) {
      rows1.push([
        '',
        p.part,
        fmt.us(p.meanUs),
        fmt.us(p.p50Us),
        fmt.pct(p.meanUs / inst),
        fmt.int(p.flops),
        p.flops > 0 ? fmt.g(p.flops / (p.meanUs * 1e3)) : '–',
      ]);
    }
  }
  out.push(mdTable(['optimizer', 'part', 'mean µs', 'p50 µs', 'share', 'FLOPs', 'GFLOP/s'], rows1, 2), '');

  // 2
  out.push(
    `## 2. The same update in TensorFlow.js ops (tf.variableGrads; covariance step on the host)`,
    '',
    `${r.naiveTf.updates} updates after ${r.naiveTf.warmup} warm-up per backend; parts from a second, instrumented loop. ` +
      `FLOPs per update: ${fmt.int(r.naiveTf.flops.total)} (tfjs kernels ${fmt.int(r.naiveTf.flops.device)}, host ${fmt.int(r.naiveTf.flops.host)}).`,
    '',
  );
  const rows2: string[][] = [];
  for (const b of r.naiveTf.backends) if (!b.available) rows2.push([b.name, `unavailable: ${b.reason ?? ''}`, '', '', '', '', '']);
  for (const run of r.naiveTf.runs) {
    rows2.push([
      run.backend,
      '**whole update**',
      fmt.us(run.total.meanUs),
      fmt.us(run.total.p50Us),
      '',
      fmt.int(r.naiveTf.flops.total),
      fmt.g(r.naiveTf.flops.total / (run.total.meanUs * 1e3)),
    ]);
    for (const p of run.parts) {
      rows2.push([
        '',
        p.part,
        fmt.us(p.meanUs),
        fmt.us(p.p50Us),
        fmt.pct(p.meanUs / run.instrumentedTotal.meanUs),
        fmt.int(p.flops),
        p.flops > 0 ? fmt.g(p.flops / (p.meanUs * 1e3)) : '–',
      ]);
    }
  }
  out.push(mdTable(['backend', 'part', 'mean µs', 'p50 µs', 'share', 'FLOPs', 'GFLOP/s'], rows2, 2), '');
  for (const run of r.naiveTf.runs) {
    const c = run.gradientCheck;
    out.push(
      `- ${run.backend}: gradients vs the fused float64 kernel, max relative difference: loss ${c.loss.toExponential(1)}, means ${c.means.toExponential(1)}, ` +
        `covariances ${c.covariances.toExponential(1)}, factors ${c.factors.toExponential(1)}; tensors leaked over the timed loops: ${run.tensorLeak}.`,
    );
  }
  out.push('');

  // 3
  out.push(`## 3. Floating-point work and this machine's arithmetic speed`, '', `FLOP conventions: ${r.flopConventions}`, '');
  out.push(
    mdTable(
      ['kernel', 'backend', 'size', 'ms per call (median)', 'GFLOP/s (median)', 'GFLOP/s (best)'],
      r.arithmetic.speed.map((s) => [s.kernel, s.backend, s.size, s.msPerCall.toFixed(3), fmt.g(s.gflops), fmt.g(s.gflopsBest)]),
      3,
    ),
    '',
  );
  out.push(
    mdTable(
      ['formulation', 'time', 'FLOPs', 'GFLOP/s', `arithmetic at JS speed (${fmt.g(r.arithmetic.jsGflops)} GFLOP/s)`, '× its arithmetic'],
      r.arithmetic.efficiency.map((e) => [
        e.formulation,
        e.timeUs >= 10_000 ? `${fmt.ms(e.timeUs / 1000)} ms` : `${fmt.us(e.timeUs)} µs`,
        fmt.int(e.flops),
        fmt.g(e.gflops),
        e.jsArithmeticUs >= 10_000 ? `${fmt.ms(e.jsArithmeticUs / 1000)} ms` : `${fmt.us(e.jsArithmeticUs)} µs`,
        fmt.x(e.xJsArithmetic),
      ]),
    ),
    '',
  );

  // 4
  out.push(
    `## 4. Batch GMM-QF Armijo iteration (K=${r.armijo.shape.K}, D=${r.armijo.shape.D}, A=${r.armijo.shape.A}; exactly ${r.armijo.trials} trial losses)`,
    '',
    'BellmanBatch construction excluded. Parts: `batch.gradients` (with the read-back); Riemannian gradients and norm; ' +
      'the trial points (means, weights, AI retractions, precisions); the trial `batch.loss` calls.',
    '',
  );
  const rows4: string[][] = [];
  for (const a of r.armijo.runs) {
    rows4.push([
      a.backend,
      fmt.int(a.N),
      String(a.reps),
      fmt.ms(a.totalMs.mean),
      fmt.ms(a.totalMs.p50),
      fmt.ms(a.gradientsMs),
      fmt.ms(a.riemannianMs),
      fmt.ms(a.trialHostMs),
      fmt.ms(a.trialLossMs),
      fmt.int(a.flops.total),
      fmt.g(a.gflops),
    ]);
  }
  out.push(
    mdTable(
      [
        'backend',
        'N',
        'reps',
        'mean ms',
        'p50 ms',
        'gradients ms',
        'Riemannian ms',
        'trial points ms',
        'trial losses ms',
        'FLOPs',
        'GFLOP/s',
      ],
      rows4,
      1,
    ),
    '',
  );
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// main

export const FLAGS: FlagSpecs = {
  quick: { type: 'boolean', help: 'a few iterations of everything (smoke test)', default: false },
  json: { type: 'boolean', help: 'print JSON only', default: false },
  updates: { type: 'int', help: 'timed fused S-GMM-QF updates per loop (default 3000; --quick 100)' },
  'tf-updates': { type: 'int', help: 'timed tfjs S-GMM-QF updates per loop and backend (default 300; --quick 10)' },
  reps: { type: 'int', help: 'timed Armijo iterations at N = 20 000 per backend; 3× at N = 2 000 (default 5; --quick 1)' },
  out: { type: 'string', help: "directory for gmmqf-updates.{md,json} (default bench/results; '' = do not write)" },
};

function progress(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`gmmqf-updates: ${line}\n`);
}

function partRows(names: readonly (readonly [string, () => void])[], timed: { parts: Float64Array[] }, flops: number[]): PartRow[] {
  return names.map(([part], i) => {
    const t = summarize(timed.parts[i]!);
    return { part, key: PART_KEYS[i]!, meanUs: t.meanUs, p50Us: t.p50Us, flops: flops[i]! };
  });
}

function backendReason(err: unknown): string {
  const msg = (err as Error).message ?? String(err);
  const lines = msg.split('\n').filter((l) => l.trim().startsWith('- '));
  return lines.map((l) => l.trim().replace(/^- [^:]+:\s*/, '')).join('; ') || msg.split('\n')[0]!;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<GmmqfUpdatesReport> {
  const { flags, positionals } = parseArgs('bench gmmqf-updates', argv, FLAGS);
  if (positionals.length > 0)
    throw new ValueError(`bench gmmqf-updates: unexpected argument ${JSON.stringify(positionals[0])}; it takes flags only.`);
  const quick = flags.quick as boolean;
  const updates = (flags.updates as number | undefined) ?? (quick ? 100 : 3000);
  const tfUpdates = (flags['tf-updates'] as number | undefined) ?? (quick ? 10 : 300);
  const reps = (flags.reps as number | undefined) ?? (quick ? 1 : 5);
  for (const [name, v] of [
    ['updates', updates],
    ['tf-updates', tfUpdates],
    ['reps', reps],
  ] as const) {
    if (!(Number.isSafeInteger(v) && v >= 1))
      throw new ValueError(`bench gmmqf-updates: --${name} is ${v}; it must be a positive integer.`);
  }
  const outDir = (flags.out as string | undefined) ?? fileURLToPath(new URL('../../bench/results/', import.meta.url));
  const warmup = quick ? 20 : Math.min(500, Math.max(50, Math.floor(updates / 10)));
  const tfWarmup = quick ? 3 : Math.max(10, Math.floor(tfUpdates / 10));
  const censusUpdates = quick ? 10 : 200;
  const speedBudgetMs = quick ? 60 : 1000;
  const loadStart = loadavg();
  const initialBackend = tf.engine().backendName; // restored at the end (null: none was initialised yet)
  const s: SgmmqfShape = { ...SGMMQF_SHAPE };

  // ---- 1. fused ----------------------------------------------------------------------------
  const buffer = randomBuffer(1, BUFFER_SIZE, s.D, s.A);
  const state0 = initState(2, s);
  const variants: FusedVariant[] = [];
  const census = emptyCount();
  let flops1: SgmmqfFlops | null = null;
  for (const optimizer of ['SpdAdam', 'SpdAdamReference'] as const) {
    progress(`fused update with ${optimizer}`);
    const u = new SgmmqfRun(s, buffer, state0, optimizer, 3);
    for (let i = 0; i < warmup; i++) u.update();
    const total = summarize(timeLoop(updates, () => u.update()));
    const timed = timeParts(updates, u.parts());
    if (optimizer === 'SpdAdam') {
      u.setCensus(census);
      for (let i = 0; i < censusUpdates; i++) u.update();
      u.setCensus(null);
      flops1 = sgmmqfUpdateFlops(s, { rotations: census.rotations / censusUpdates, checks: census.checks / censusUpdates });
    }
    const f = flops1!;
    variants.push({
      optimizer,
      total,
      instrumentedTotal: summarize(timed.total),
      parts: partRows(u.parts(), timed, [0, f.targets, f.lossGradients, f.optimizer, f.covariances, f.precision]),
      meanLoss: u.lossSum / (warmup + 2 * updates + (optimizer === 'SpdAdam' ? censusUpdates : 0)),
    });
  }
  const flopsFused = flops1!;
  const jacobiPerUpdate = { rotations: census.rotations / censusUpdates, checks: census.checks / censusUpdates };

  // ---- 2. naive tfjs ----------------------------------------------------------------------------
  const statuses: BackendStatus[] = [];
  for (const name of TF_CANDIDATES) {
    try {
      const info = await selectBackend(name);
      statuses.push({ name, available: true, tfBackend: info.tfBackend });
    } catch (err) {
      statuses.push({ name, available: false, reason: backendReason(err) });
    }
  }
  // the same tfjs backend can serve two names (never here: the native ones are absent); measure each once
  const available = statuses.filter((b, i) => b.available && statuses.findIndex((c) => c.available && c.tfBackend === b.tfBackend) === i);
  const flopsNaive = naiveTfUpdateFlops(s, jacobiPerUpdate);
  const naiveRuns: NaiveBackendRun[] = [];
  const speed: SpeedRow[] = [];
  progress('plain-JS matmul speed');
  speed.push(measureJsMatmul(64, speedBudgetMs));
  const armijoRuns: ArmijoRun[] = [];
  for (const b of available) {
    await tf.setBackend(b.tfBackend!);
    await tf.ready();
    progress(`tfjs update on ${b.name}`);
    // gradient check against the fused kernel on the same batch
    const check = new NaiveTfUpdate(s, buffer, state0, 4);
    const refRun = new SgmmqfRun(s, buffer, state0, 'SpdAdam', 4); // the seed of `check`: the same batch
    const ref = refRun.learner;
    let gradientCheck: NaiveBackendRun['gradientCheck'];
    try {
      const got = check.checkGradients();
      ref.sample(buffer, refRun.rng);
      ref.computeTargets();
      const loss = ref.lossAndGradients();
      const refFactors = factorGradients(ref.factors, ref.kernel.grads.weights, RHO);
      gradientCheck = {
        loss: Math.abs(got.loss - loss) / Math.abs(loss),
        means: maxRelDiff(got.means, ref.kernel.grads.means),
        covariances: maxRelDiff(got.covariances, ref.kernel.grads.covariances),
        factors: maxRelDiff(got.factors, refFactors),
      };
    } finally {
      check.dispose();
    }
    const u = new NaiveTfUpdate(s, buffer, state0, 3);
    try {
      for (let i = 0; i < tfWarmup; i++) u.update();
      const before = tf.memory().numTensors;
      const total = summarize(timeLoop(tfUpdates, () => u.update()));
      const timed = timeParts(tfUpdates, u.parts());
      const tensorLeak = tf.memory().numTensors - before;
      const f = flopsNaive;
      naiveRuns.push({
        backend: b.name,
        total,
        instrumentedTotal: summarize(timed.total),
        parts: partRows(u.parts(), timed, [0, f.targets, f.forward + f.backward, f.adam, f.hostCovGradient + f.covariances, f.precision]),
        tensorLeak,
        gradientCheck,
      });
    } finally {
      u.dispose();
    }

    progress(`tf.matMul speed on ${b.name}`);
    for (const n of [256, 512]) speed.push(measureTfMatmul(b.name, n, speedBudgetMs));

    // ---- 4. Armijo iteration on this backend --------------------------------------------------
    for (const N of ARMIJO_NS) {
      progress(`Armijo iteration on ${b.name}, N = ${N}`);
      const shape: ArmijoShape = { ...ARMIJO_SHAPE, N };
      const it = new ArmijoStepRun(shape, 5);
      try {
        const jac = emptyCount();
        it.run(jac); // census pass (also the first warm-up)
        const warm = quick ? 0 : 1;
        for (let i = 0; i < warm; i++) it.run();
        const n = N === ARMIJO_NS[0] ? reps : quick ? 2 : 3 * reps;
        it.accepted = 0;
        it.lossEvals = 0;
        const runs: ArmijoPartsMs[] = [];
        for (let i = 0; i < n; i++) runs.push(it.run());
        if (it.lossEvals !== n * ARMIJO_TRIALS)
          throw new Error(`bench: ${it.lossEvals} trial losses in ${n} iterations, expected ${n * ARMIJO_TRIALS}`);
        const mean = (k: keyof ArmijoPartsMs) => runs.reduce((a, r) => a + r[k], 0) / n;
        const totals = Float64Array.from(runs.map((r) => r.total)).sort();
        const jacobiPerTrial = { rotations: jac.rotations / ARMIJO_TRIALS, checks: jac.checks / ARMIJO_TRIALS };
        const flops = armijoIterationFlops(shape, ARMIJO_TRIALS, { rotations: jac.rotations, checks: jac.checks });
        const meanTotal = mean('total');
        armijoRuns.push({
          backend: b.name,
          N,
          reps: n,
          totalMs: { mean: meanTotal, p50: percentile(totals, 50) },
          gradientsMs: mean('gradients'),
          riemannianMs: mean('riemannian'),
          trialHostMs: mean('trialHost'),
          trialLossMs: mean('trialLoss'),
          acceptedFraction: it.accepted / n,
          jacobiPerTrial,
          flops,
          gflops: flops.total / (meanTotal * 1e6),
        });
      } finally {
        it.dispose();
      }
    }
  }

  // leave tfjs (and selectBackend's cache) as a fresh process would have it after the same selection
  await selectBackend(initialBackend === 'wasm' || initialBackend === 'cpu' || initialBackend === 'tensorflow' ? initialBackend : 'auto');

  // ---- 3. efficiency ----------------------------------------------------------------------------
  const jsGflops = speed[0]!.gflops;
  const eff = (formulation: string, timeUs: number, flops: number): EfficiencyRow => {
    const jsArithmeticUs = flops / (jsGflops * 1e3);
    return { formulation, timeUs, flops, gflops: flops / (timeUs * 1e3), jsArithmeticUs, xJsArithmetic: timeUs / jsArithmeticUs };
  };
  const efficiency: EfficiencyRow[] = [
    ...variants.map((v) => eff(`S-GMM-QF update, fused float64 (${v.optimizer})`, v.total.meanUs, flopsFused.total)),
    ...naiveRuns.map((n) => eff(`S-GMM-QF update, tfjs ops on ${n.backend}`, n.total.meanUs, flopsNaive.total)),
    ...armijoRuns.map((a) => eff(`Armijo iteration N=${fmt.int(a.N)}, ${a.backend}`, a.totalMs.mean * 1000, a.flops.total)),
  ];

  const cpu = cpus();
  const tfFlags = tf.env().getFlags();
  const report: GmmqfUpdatesReport = {
    bench: 'gmmqf-updates',
    gmmrlVersion: GMMRL_VERSION,
    command: [basename(process.execPath), process.argv[1] ? relative(process.cwd(), process.argv[1]) : '?', ...process.argv.slice(2)].join(
      ' ',
    ),
    argv,
    date: new Date().toISOString(),
    quick,
    node: process.version,
    cpu: cpu[0]?.model?.trim() ?? 'unknown',
    cpuCount: cpu.length,
    os: `${platform()} ${release()} ${arch()}`,
    loadAverage: { start: loadStart, end: loadavg() },
    tfjs: {
      version: tf.version_core,
      wasmSimd: Boolean(tfFlags['WASM_HAS_SIMD_SUPPORT']),
      wasmThreads: Boolean(tfFlags['WASM_HAS_MULTITHREAD_SUPPORT']),
    },
    flopConventions: FLOP_CONVENTIONS,
    sgmmqf: {
      shape: { ...s, buffer: BUFFER_SIZE },
      warmup,
      updates,
      variants,
      jacobiCensus: {
        updates: censusUpdates,
        perUpdate: {
          rotations: jacobiPerUpdate.rotations,
          checks: jacobiPerUpdate.checks,
          sweeps: census.sweeps / censusUpdates,
          eigs: census.eigs / censusUpdates,
        },
      },
      flops: flopsFused,
    },
    naiveTf: { warmup: tfWarmup, updates: tfUpdates, backends: statuses, runs: naiveRuns, flops: flopsNaive },
    arithmetic: { speed, jsGflops, efficiency },
    armijo: { shape: { ...ARMIJO_SHAPE, Ns: [...ARMIJO_NS] }, trials: ARMIJO_TRIALS, runs: armijoRuns },
  };

  const md = renderMarkdown(report);
  const json = JSON.stringify(report, null, 2);
  if (outDir !== '') {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'gmmqf-updates.md'), md + '\n');
    writeFileSync(join(outDir, 'gmmqf-updates.json'), json + '\n');
  }
  if (!flags.json) console.log(md);
  console.log(json);
  return report;
}

runIfScript(import.meta.url, main);
