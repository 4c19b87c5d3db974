/**
 * Remaining-time estimates for the progress line. Display only: nothing here feeds back into training.
 *
 * Online methods (S-GMM-QF, DQN, the actor-critics) cost about the same per environment step, so the
 * elapsed rate extrapolates (`etaConstantRate`). Batch GMM-QF refits on every transition kept so far,
 * so an iteration costs more the more data it sees; a constant rate taken early in the run
 * underestimates the rest several times over. `etaGrowingCost` models the cost of an iteration as
 * a + b·n (n: transitions it fits on; a: collection and greedy evaluation, b: the per-transition
 * cost of policy evaluation), fits a and b to the iterations seen so far, and sums the predicted
 * costs of the iterations still to come.
 */

/** Elapsed seconds per unit of work done, times the work left (Infinity-free: 0 done gives NaN, shown as '?'). */
export function etaConstantRate(elapsedSeconds: number, done: number, total: number): number {
  return (elapsedSeconds / done) * Math.max(0, total - done);
}

/** One completed iteration: the data size it worked on and the wall clock (seconds, cumulative) when it ended. */
export interface IterationTiming {
  size: number;
  wall: number;
}

/**
 * Predicted seconds for the iterations still to come, given the completed ones (`history`, in order)
 * and the data size each remaining iteration will work on (`futureSizes`).
 *
 * Costs are the differences of consecutive walls, so the first iteration (which also carries the
 * warm-up and model initialization, never repeated) only serves as the origin. With one cost seen,
 * the cost is taken as proportional to the size; with two or more, a least-squares fit of a + b·n
 * with a, b ≥ 0 (a negative intercept falls back to the proportional fit, a negative slope to the
 * mean cost). With no cost seen yet (one iteration), the constant-rate rule over iterations.
 * Returns NaN when nothing can be said (no history).
 */
export function etaGrowingCost(history: readonly IterationTiming[], futureSizes: readonly number[]): number {
  if (futureSizes.length === 0) return 0;
  if (history.length === 0) return NaN;
  if (history.length === 1) return etaConstantRate(history[0]!.wall, 1, 1 + futureSizes.length);
  const n: number[] = [];
  const c: number[] = [];
  for (let i = 1; i < history.length; i++) {
    n.push(history[i]!.size);
    c.push(Math.max(0, history[i]!.wall - history[i - 1]!.wall));
  }
  const cost = fitCost(n, c);
  let sum = 0;
  for (const s of futureSizes) sum += Math.max(0, cost(s));
  return sum;
}

/** The least-squares cost model a + b·n (a, b ≥ 0) of the observed (size, cost) pairs. */
function fitCost(n: readonly number[], c: readonly number[]): (size: number) => number {
  const m = n.length;
  let sn = 0;
  let sc = 0;
  for (let i = 0; i < m; i++) {
    sn += n[i]!;
    sc += c[i]!;
  }
  const meanN = sn / m;
  const meanC = sc / m;
  let snn = 0;
  let snc = 0;
  let snnRaw = 0;
  let sncRaw = 0;
  for (let i = 0; i < m; i++) {
    snn += (n[i]! - meanN) ** 2;
    snc += (n[i]! - meanN) * (c[i]! - meanC);
    snnRaw += n[i]! * n[i]!;
    sncRaw += n[i]! * c[i]!;
  }
  const proportional = (): ((size: number) => number) => {
    const b = snnRaw > 0 ? sncRaw / snnRaw : 0;
    return snnRaw > 0 ? (size) => b * size : () => meanC;
  };
  if (m < 2 || !(snn > 0)) return proportional();
  const b = snc / snn;
  if (!(b > 0)) return () => meanC;
  const a = meanC - b * meanN;
  if (a < 0) return proportional();
  return (size) => a + b * size;
}
