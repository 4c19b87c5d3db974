/**
 * Evaluation tracking shared by every training loop (gmmqf, sgmmqf, dqn and the actor-critics'
 * `runOffPolicy`): the best greedy return so far, where it was reached, and a snapshot of the
 * parameters that reached it (the result when `keepBest` is set). Ties go to the later evaluation,
 * so a run that plateaus hands out its latest parameters.
 */

/** Reset seed of the first episode of greedy evaluation number `k` (1-based) of a run seeded `seed`. */
export function evaluationSeed(seed: number, k: number): number {
  return (seed * 7919 + k * 104729) >>> 0;
}

/** Best-so-far greedy evaluation and its parameters. */
export class BestTracker<P> {
  /** The best mean return so far (−Infinity before the first evaluation). */
  bestReturn = -Infinity;
  /** The 1-based index (evaluation or iteration) of the best evaluation; 0 before the first. */
  bestIndex = 0;
  /** The environment step of the best evaluation; 0 before the first. */
  bestStep = 0;
  /** The parameters of the best evaluation (`initial` before the first). */
  best: P;

  constructor(initial: P) {
    this.best = initial;
  }

  /**
   * Records an evaluation with mean return `mean`: when it is at least the best so far, it becomes
   * the best and `snapshot()` is kept (called only then). Returns whether it became the best.
   */
  offer(mean: number, index: number, step: number, snapshot: () => P): boolean {
    if (!(mean >= this.bestReturn)) return false;
    this.bestReturn = mean;
    this.bestIndex = index;
    this.bestStep = step;
    this.best = snapshot();
    return true;
  }

  /** The run's result: the best parameters with `keepBest`, else `current`. */
  pick(keepBest: boolean, current: P): P {
    return keepBest ? this.best : current;
  }
}
