/**
 * Discretized continuous action spaces (REFERENCES.md §1: "Discretize a continuous action space
 * (e.g. Pendulum torque) into a documented grid"). A Q-function over A discrete actions acts in a
 * Box environment through an `ActionGrid`: action a means the environment action
 * values[a·size … (a+1)·size − 1].
 *
 *   defaultActionGrid(env)        the documented defaults:
 *                                   Pendulum-v1               5 torques   [-2, -1, 0, 1, 2]
 *                                   MountainCarContinuous-v0  3 forces    [-1, 0, 1]
 *   parseActionGrid(spec, space)  "n" → n evenly spaced points over [low, high] per dimension
 *                                 (n ≥ 2; a Cartesian product for a multi-dimensional Box), or
 *                                 "v1,v2,…" → these values (1-D action spaces only)
 *   discretizeActions(env, grid)  the same environment with action space Discrete(A)
 */
import { ShapeError, UnknownNameError, ValueError, describeValue } from '../../contract/errors.js';
import type { ActionGrid } from '../../models/gmmqf/params.js';
import { parseAction, type Env, type EnvSavedState, type ResetOptions, type ResetResult, type StepResult } from './env.js';
import { make } from './registry.js';
import { describeSpace, discrete, type BoxSpace, type DiscreteSpace, type Space } from './spaces.js';

/** Default grids, per environment id (documented above and in README). */
export const DEFAULT_ACTION_GRIDS: Readonly<Record<string, readonly number[]>> = {
  'Pendulum-v1': [-2, -1, 0, 1, 2],
  'MountainCarContinuous-v0': [-1, 0, 1],
};

/** Most grid points a spec may produce (a Cartesian product grows fast). */
export const MAX_GRID_POINTS = 4096;

function boxOf(space: Space, where: string): BoxSpace {
  if (space.kind !== 'box') {
    throw new ValueError(
      `${where}: the action space is ${describeSpace(space)}, which is already discrete; an action grid is only for continuous (Box) action spaces.`,
    );
  }
  return space;
}

function gridFromRows(space: BoxSpace, rows: number[][]): ActionGrid {
  const size = space.low.length;
  const values = new Float64Array(rows.length * size);
  rows.forEach((r, a) => values.set(r, a * size));
  return { shape: [...space.shape], values, low: Array.from(space.low), high: Array.from(space.high) };
}

/**
 * The documented default grid for an environment (id or instance): Pendulum-v1 → torques
 * [-2, -1, 0, 1, 2], MountainCarContinuous-v0 → forces [-1, 0, 1]. Throws ValueError for a discrete
 * environment and UnknownNameError for a Box environment without a default (pass a grid instead).
 */
export function defaultActionGrid(envOrId: string | Env): ActionGrid {
  const env = typeof envOrId === 'string' ? make(envOrId) : envOrId;
  const space = boxOf(env.actionSpace, `defaultActionGrid(${JSON.stringify(env.id)})`);
  const values = DEFAULT_ACTION_GRIDS[env.id];
  if (!values) {
    throw new UnknownNameError(
      `defaultActionGrid: no default action grid for ${env.id} (defaults exist for ${Object.keys(DEFAULT_ACTION_GRIDS).join(', ')}). ` +
        `Pass one, e.g. parseActionGrid("5", env.actionSpace) for 5 evenly spaced points.`,
    );
  }
  return gridFromRows(
    space,
    values.map((v) => [v]),
  );
}

/**
 * Parses a grid spec for a Box action space: "n" = n evenly spaced points over [low, high] in every
 * dimension (n ≥ 2, both ends included; for d dimensions the n^d points of the Cartesian product,
 * first dimension slowest), or "v1,v2,…" = explicit values for a 1-D action space, each within the
 * bounds and distinct. Throws ValueError naming the value, the bounds and the fix.
 */
export function parseActionGrid(spec: string, space: Space): ActionGrid {
  const where = `action grid ${JSON.stringify(spec)}`;
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new ValueError(
      `action grid: expected a string such as "5" (5 evenly spaced points) or "-2,0,2" (explicit values), got ${describeValue(spec)}.`,
    );
  }
  const box = boxOf(space, where);
  const dim = box.low.length;
  const text = spec.trim();
  if (!text.includes(',')) {
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 2) {
      throw new ValueError(
        `${where}: a single entry must be the number of points n ≥ 2 (integer), got ${JSON.stringify(text)}. ` +
          `Use e.g. "5" for 5 evenly spaced points, or a comma-separated list of values such as "-2,0,2".`,
      );
    }
    for (let j = 0; j < dim; j++) {
      if (!Number.isFinite(box.low[j]!) || !Number.isFinite(box.high[j]!)) {
        throw new ValueError(
          `${where}: action dimension ${j} has unbounded limits [${box.low[j]}, ${box.high[j]}]; evenly spaced points need finite bounds. List the values instead.`,
        );
      }
    }
    if (n ** dim > MAX_GRID_POINTS) {
      throw new ValueError(
        `${where}: ${n} points in each of ${dim} dimensions make ${n ** dim} grid points (> ${MAX_GRID_POINTS}); use fewer points.`,
      );
    }
    const axis = (j: number): number[] =>
      Array.from({ length: n }, (_, i) => (i === n - 1 ? box.high[j]! : box.low[j]! + ((box.high[j]! - box.low[j]!) * i) / (n - 1)));
    let rows: number[][] = [[]];
    for (let j = 0; j < dim; j++) {
      const pts = axis(j);
      rows = rows.flatMap((r) => pts.map((v) => [...r, v]));
    }
    return gridFromRows(box, rows);
  }
  if (dim !== 1) {
    throw new ShapeError(
      `${where}: explicit values are only for 1-D action spaces; this one is ${describeSpace(box)} with ${dim} entries. ` +
        `Use a point count such as "3" (3 per dimension).`,
    );
  }
  const parts = text.split(',').map((t) => t.trim());
  const values: number[] = [];
  for (const part of parts) {
    const v = part === '' ? NaN : Number(part);
    if (!Number.isFinite(v)) {
      throw new ValueError(
        `${where}: ${JSON.stringify(part)} is not a finite number. Write the values separated by commas, e.g. "-2,0,2".`,
      );
    }
    if (!(v >= box.low[0]! && v <= box.high[0]!) || !(Math.fround(v) >= box.low[0]! && Math.fround(v) <= box.high[0]!)) {
      throw new ValueError(
        `${where}: value ${v} lies outside the action bounds [${box.low[0]}, ${box.high[0]}] of ${describeSpace(box)}. ` +
          `Use values within the bounds (the environment would clip it).`,
      );
    }
    if (values.includes(v)) throw new ValueError(`${where}: value ${v} appears twice; every grid point must be distinct.`);
    values.push(v);
  }
  if (values.length < 2) {
    throw new ValueError(`${where}: a grid needs at least 2 values, got ${values.length}.`);
  }
  return gridFromRows(
    box,
    values.map((v) => [v]),
  );
}

/** Throws ValueError unless `grid` fits the Box `space` (shape, sizes, every value within the bounds). */
export function checkGridForSpace(grid: ActionGrid, space: Space, where = 'action grid'): number {
  const box = boxOf(space, where);
  const size = box.low.length;
  if (!grid || typeof grid !== 'object' || !Array.isArray(grid.shape))
    throw new ValueError(`${where}: expected an ActionGrid { shape, values, low, high }, got ${describeValue(grid)}.`);
  const gsize = grid.shape.reduce((a, b) => a * b, 1);
  if (gsize !== size || grid.shape.length !== box.shape.length || grid.shape.some((d, i) => d !== box.shape[i])) {
    throw new ShapeError(
      `${where}: grid shape [${grid.shape.join(', ')}] does not match the action space ${describeSpace(box)} (shape [${box.shape.join(', ')}]).`,
    );
  }
  if (!(grid.values instanceof Float64Array) || grid.values.length === 0 || grid.values.length % size !== 0) {
    throw new ShapeError(
      `${where}: grid values must be a non-empty Float64Array of A × ${size} numbers, got ${describeValue(grid.values)}.`,
    );
  }
  const A = grid.values.length / size;
  for (let a = 0; a < A; a++) {
    for (let j = 0; j < size; j++) {
      const v = grid.values[a * size + j]!;
      if (!Number.isFinite(v) || !(v >= box.low[j]! && v <= box.high[j]!)) {
        throw new ValueError(
          `${where}: grid point ${a} entry ${j} = ${v} lies outside the action bounds [${box.low[j]}, ${box.high[j]}] of ${describeSpace(box)}.`,
        );
      }
    }
  }
  return A;
}

/** An environment whose actions are the indices of a grid over the wrapped environment's Box. */
class DiscretizedEnv implements Env {
  readonly actionSpace: DiscreteSpace;
  private readonly size: number;
  constructor(
    readonly inner: Env,
    readonly grid: ActionGrid,
  ) {
    const A = checkGridForSpace(grid, inner.actionSpace, `discretizeActions(${inner.id})`);
    this.actionSpace = discrete(A);
    this.size = grid.values.length / A;
  }
  get id(): string {
    return this.inner.id;
  }
  get observationSpace(): BoxSpace {
    return this.inner.observationSpace;
  }
  get maxEpisodeSteps(): number {
    return this.inner.maxEpisodeSteps;
  }
  get rewardThreshold(): number | undefined {
    return this.inner.rewardThreshold;
  }
  get state(): Float64Array {
    return this.inner.state;
  }
  get elapsedSteps(): number {
    return this.inner.elapsedSteps;
  }
  reset(options?: ResetOptions): ResetResult {
    return this.inner.reset(options);
  }
  // the grid is fixed; the state is the wrapped environment's (absent when it has none)
  get saveState(): (() => EnvSavedState) | undefined {
    const inner = this.inner;
    return inner.saveState ? () => inner.saveState!() : undefined;
  }
  get restoreState(): ((s: EnvSavedState) => void) | undefined {
    const inner = this.inner;
    return inner.restoreState ? (s) => inner.restoreState!(s) : undefined;
  }
  step(action: number | ArrayLike<number>): StepResult {
    const a = parseAction(
      this.actionSpace,
      action,
      `${this.inner.id} (discretized to ${this.actionSpace.n} grid points): action`,
    ) as number;
    return this.inner.step(this.grid.values.subarray(a * this.size, (a + 1) * this.size));
  }
}

/**
 * Wraps a Box-action environment so that its actions are grid indices: the result has action space
 * Discrete(A), and step(a) validates a (an integer in [0, A)) and steps the wrapped environment with
 * grid row a. Everything else (observations, rewards, time limit, seeding, state) is the wrapped
 * environment's. Throws ValueError for a discrete environment or a grid that does not fit the Box.
 */
export function discretizeActions(env: Env, grid: ActionGrid): Env & { readonly inner: Env; readonly grid: ActionGrid } {
  return new DiscretizedEnv(env, grid);
}
