/**
 * Observation and action spaces, as Gymnasium's `spaces.Discrete` and `spaces.Box` define them.
 *
 * Gymnasium's classic-control Boxes have dtype float32, so their bounds are float32 numbers
 * (e.g. CartPole's theta bound is float32(24π/360) = 0.41887903213500977, not the float64
 * 0.41887902047863906). `float32Box` stores exactly those float32 values in a Float64Array, so an
 * observation (a Float32Array) always lies inside its space, the same check Gymnasium's
 * `Box.contains` performs.
 */

/** `{0, 1, …, n-1}` (Gymnasium `spaces.Discrete(n)` with start 0). */
export interface DiscreteSpace {
  readonly kind: 'discrete';
  readonly n: number;
}

/** A box `low <= x <= high` elementwise (Gymnasium `spaces.Box`). Bounds may be ±Infinity. */
export interface BoxSpace {
  readonly kind: 'box';
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly shape: readonly number[];
}

export type Space = DiscreteSpace | BoxSpace;

/** `np.finfo(np.float32).max`, the bound Gymnasium uses for CartPole's "unbounded" velocities. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** A Discrete space of `n` actions 0, 1, …, n − 1, like `spaces.Discrete(n)`. */
export function discrete(n: number): DiscreteSpace {
  return Object.freeze({ kind: 'discrete', n });
}

/** A 1-D Box whose bounds are rounded to float32, like `spaces.Box(low, high, dtype=np.float32)`. */
export function float32Box(low: readonly number[], high: readonly number[]): BoxSpace {
  if (low.length !== high.length) throw new Error(`float32Box: low/high lengths differ (${low.length} vs ${high.length})`);
  return Object.freeze({
    kind: 'box',
    low: Float64Array.from(low, (v) => Math.fround(v)),
    high: Float64Array.from(high, (v) => Math.fround(v)),
    shape: Object.freeze([low.length]),
  });
}

/** Number of scalars in one element of the space (1 for Discrete). */
export function flatSize(space: Space): number {
  return space.kind === 'discrete' ? 1 : space.shape.reduce((a, b) => a * b, 1);
}

/** Whether `x` lies in the space (Gymnasium's `Space.contains`, for numbers / flat arrays). */
export function contains(space: Space, x: number | ArrayLike<number>): boolean {
  if (space.kind === 'discrete') {
    const v = typeof x === 'number' ? x : x.length === 1 ? x[0]! : NaN;
    return Number.isInteger(v) && v >= 0 && v < space.n;
  }
  const arr = typeof x === 'number' ? [x] : x;
  if (arr.length !== space.low.length) return false;
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i]!;
    if (!(v >= space.low[i]! && v <= space.high[i]!)) return false;
  }
  return true;
}

/** Short human-readable form, used in error messages: `Discrete(2)`, `Box(shape [1], [-2, 2])`. */
export function describeSpace(space: Space): string {
  if (space.kind === 'discrete') return `Discrete(${space.n})`;
  const lo = Array.from(space.low);
  const hi = Array.from(space.high);
  const uniform = lo.every((v) => v === lo[0]) && hi.every((v) => v === hi[0]);
  return uniform ? `Box(shape [${space.shape.join(', ')}], [${lo[0]}, ${hi[0]}])` : `Box(shape [${space.shape.join(', ')}])`;
}
