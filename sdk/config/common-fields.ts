/**
 * Fields several algorithms share, declared once: the seed, the warm-up rule, evaluation and
 * keep-best. Each spec places them in its own table (the order there is the order of records).
 */
import { boolean, int } from './fields.js';
import { rule, type Rule } from './spec.js';

/** Random seed for everything (an unsigned 32-bit integer). */
export const SEED_FIELD = int({ doc: 'random seed for everything', default: 0, min: 0, max: 0xffffffff });

/** Greedy evaluation episodes per evaluation. */
export const EVAL_EPISODES_FIELD = int({ doc: 'greedy episodes per evaluation', default: 5, min: 1 });

/** Keep the best-evaluated parameters as the result. */
export const KEEP_BEST_FIELD = boolean({ doc: 'save the best-evaluated parameters (false: the last)', default: true });

/**
 * The budget-dependent warm-up: min(cap, ⌊steps/5⌋), at least `floor`. At each algorithm's own
 * default steps this is the cap (5000 of 30000 for the actor-critics, 1000 of 100000 for DQN and
 * S-GMM-QF), and every documented run that relies on it keeps its value; a short run gets a fifth
 * of its budget instead of a warm-up longer than the run.
 */
export function warmupRule(cap: number, floor = 1): Rule<number> {
  return rule(`min(${cap}, steps/5)`, (c) => {
    const steps = c['steps'];
    return typeof steps === 'number' && Number.isSafeInteger(steps) ? Math.max(floor, Math.min(cap, Math.floor(steps / 5))) : cap;
  });
}

/** The note --help prints under the flags of the online trainers. */
export const EVAL_EVERY_NOTE = 'Every run also evaluates at its last step, so a run shorter than --eval-every evaluates once, at its end.';
