/**
 * Sparsity of GMM-QF weights ([S-GMM-QF]: Ξ = Υ_1 ⊙ … ⊙ Υ_J drives many ξ[k, a] to zero), shared by
 * the trainers (logging), the checkpoint (Hadamard factors) and the exporter (pruning).
 *
 *   nonzeroFraction   fraction of ξ[k, a] with |ξ| > threshold · max|ξ| (REFERENCES.md §1: 1e-6)
 *   liveComponents    components whose weight row ξ[k, :] has any nonzero entry
 *   pruneComponents   the same model without the components whose row is exactly zero: such a
 *                     component adds exactly 0 to every q, so the pruned model is the same function
 */
import { ShapeError, ValueError, describeValue } from '../../contract/errors.js';
import type { GmmQfParams } from './params.js';

/** The relative threshold of REFERENCES.md §1 ("|ξ| > 1e-6 relative to max"). */
export const NONZERO_THRESHOLD = 1e-6;

/**
 * Fraction of entries with |ξ| > threshold · max|ξ| (0 when every entry is 0). `threshold` is
 * relative, in [0, 1); 0 counts the exactly nonzero entries.
 */
export function nonzeroFraction(weights: ArrayLike<number>, threshold = NONZERO_THRESHOLD): number {
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold < 1)) {
    throw new ValueError(
      `nonzeroFraction: threshold = ${describeValue(threshold)} must be a relative threshold in [0, 1) (default ${NONZERO_THRESHOLD}).`,
    );
  }
  const n = weights.length;
  if (n === 0) return 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const x = Math.abs(weights[i]!);
    if (!Number.isFinite(x))
      throw new ValueError(`nonzeroFraction: weights[${i}] is ${describeValue(weights[i])}; weights must be finite.`);
    if (x > max) max = x;
  }
  if (max === 0) return 0;
  const cut = threshold * max;
  let count = 0;
  for (let i = 0; i < n; i++) if (Math.abs(weights[i]!) > cut) count++;
  return count / n;
}

/** Indices k (ascending) of the components whose weight row ξ[k, 0…A−1] has a nonzero entry. */
export function liveComponents(weights: ArrayLike<number>, A: number): number[] {
  if (!Number.isSafeInteger(A) || A < 1)
    throw new ValueError(`liveComponents: A = ${describeValue(A)} must be a positive integer (actions per weight row).`);
  if (weights.length % A !== 0) {
    throw new ShapeError(`liveComponents: weights has ${weights.length} entries, not a multiple of A = ${A} (shape [K, A]).`);
  }
  const K = weights.length / A;
  const live: number[] = [];
  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      if (weights[k * A + a] !== 0) {
        live.push(k);
        break;
      }
    }
  }
  return live;
}

export interface PrunedGmmQf {
  /** The model restricted to the kept components (a fresh copy; other fields shared). */
  params: GmmQfParams;
  /** Indices of the kept components in the original model. */
  kept: number[];
  /** Number of components removed. */
  pruned: number;
  /** True when every weight row was zero: component 0 is kept so the model stays non-empty (q ≡ 0). */
  allZero: boolean;
}

/**
 * Removes the components whose weight row is exactly zero. When every row is zero, keeps component 0
 * (q ≡ 0 either way) so the model is never empty.
 */
export function pruneComponents(p: GmmQfParams): PrunedGmmQf {
  const { K, D, A } = p;
  let kept = liveComponents(p.weights, A);
  const allZero = kept.length === 0;
  if (allZero) kept = [0];
  const K2 = kept.length;
  const means = new Float64Array(K2 * D);
  const covariances = new Float64Array(K2 * D * D);
  const weights = new Float64Array(K2 * A);
  kept.forEach((k, i) => {
    for (let j = 0; j < D; j++) means[i * D + j] = p.means[k * D + j]!;
    for (let j = 0; j < D * D; j++) covariances[i * D * D + j] = p.covariances[k * D * D + j]!;
    for (let a = 0; a < A; a++) weights[i * A + a] = p.weights[k * A + a]!;
  });
  return { params: { ...p, K: K2, means, covariances, weights }, kept, pruned: K - K2, allZero };
}
