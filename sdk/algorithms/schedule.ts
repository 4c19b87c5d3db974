/**
 * The one schedule type of every trainer: a value that goes linearly from `start` to `end` over the
 * first `fraction` of training, then stays at `end`. Used for the ε of ε-greedy exploration
 * (gmmqf, sgmmqf, dqn: epsStart → epsEnd over epsDecayFraction) and for Gamid-PG's diversity
 * temperature τ and component-choice ε.
 *
 *   value(t) = start + (end − start)·t / (fraction·totalSteps)   for t < fraction·totalSteps
 *            = end                                                afterwards (exactly `end`)
 */
import { ValueError } from '../../contract/errors.js';

/** Linear from `start` to `end` over the first `fraction` ∈ (0, 1] of training, then `end`. */
export interface Schedule {
  start: number;
  end: number;
  fraction: number;
}

/** The name Gamid-PG's config uses for the same type. */
export type LinearSchedule = Schedule;

/** The schedule's value at environment step `step` of `totalSteps` (exactly `end` once the decay is over). */
export function scheduleValue(s: Schedule, step: number, totalSteps: number): number {
  const span = s.fraction * totalSteps;
  if (span <= 0 || step >= span) return s.end;
  return s.start + ((s.end - s.start) * step) / span;
}

/** Parses "v0" (a constant) or "v0:v1:fraction" (e.g. "0.2:0.02:0.5"). Errors name `what` and the fix. */
export function parseSchedule(text: string, what: string): Schedule {
  const parts = String(text).split(':');
  const nums = parts.map(Number);
  if (!(parts.length === 1 || parts.length === 3) || nums.some((v, i) => !Number.isFinite(v) || parts[i]!.trim() === '')) {
    throw new ValueError(
      `${what}: ${JSON.stringify(text)} is not a schedule; write a number (constant) or start:end:fraction, e.g. 0.2:0.02:0.5.`,
    );
  }
  const s = parts.length === 1 ? { start: nums[0]!, end: nums[0]!, fraction: 1 } : { start: nums[0]!, end: nums[1]!, fraction: nums[2]! };
  if (!(s.fraction > 0 && s.fraction <= 1))
    throw new ValueError(`${what}: fraction ${s.fraction} must lie in (0, 1] (the share of training over which the value decays).`);
  return s;
}

/** "v0" for a constant, else "start:end:fraction" (the inverse of parseSchedule). */
export function formatSchedule(s: Schedule): string {
  // a constant is written as one number, unless its fraction is invalid (error messages must show it)
  return s.start === s.end && s.fraction > 0 && s.fraction <= 1 ? String(s.start) : `${s.start}:${s.end}:${s.fraction}`;
}
