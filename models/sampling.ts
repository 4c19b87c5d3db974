/**
 * Float64 references of the sampling rules that exported graphs evaluate from their noise inputs
 * (contract/metadata.ts `SamplingSpec`): what the exporter tests and the SDK's parity checks
 * compare the graphs' `action_sampled*` outputs against.
 *
 * ε-greedy (Q families over their n actions, and the Gamid actor over its C components), for a
 * uniform u ∈ [0, 1):
 *
 *   index = u < ε ? min(floor(u / ε · n), n − 1) : argmax_i q_i     (first index on ties)
 *
 * Given u < ε, u / ε is uniform on [0, 1), so the random branch picks each of the n indices with
 * probability 1/n: one uniform number decides both "explore?" and "which action?". ε = 0 is
 * always greedy; ε = 1 is always uniform.
 */
import { ValueError, describeValue } from '../contract/errors.js';

/** argmax with the lowest index on a tie (NaN entries never win). */
export function argmaxFirst(q: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < q.length; i++) if (q[i]! > q[best]!) best = i;
  return best;
}

/**
 * The ε-greedy index for scores q [n] and a uniform u ∈ [0, 1) (see the module comment).
 * Throws ValueError naming the argument when q is empty, u lies outside [0, 1) or ε outside [0, 1].
 */
export function epsilonGreedyIndex(q: ArrayLike<number>, u: number, epsilon: number): number {
  const n = q?.length;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new ValueError(`epsilonGreedyIndex: q must hold at least one score, got ${describeValue(q)}.`);
  if (typeof u !== 'number' || !(u >= 0 && u < 1)) {
    throw new ValueError(`epsilonGreedyIndex: u = ${describeValue(u)} must be a uniform number in [0, 1) (e.g. rng.uniform()).`);
  }
  if (typeof epsilon !== 'number' || !(epsilon >= 0 && epsilon <= 1)) {
    throw new ValueError(`epsilonGreedyIndex: epsilon = ${describeValue(epsilon)} must be a probability in [0, 1] (e.g. 0.05).`);
  }
  if (u < epsilon) return Math.min(Math.floor((u / epsilon) * n), n - 1);
  return argmaxFirst(q);
}
