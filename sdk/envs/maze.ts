/**
 * Maze-v0: the 2-D continuous maze of Gamid-PG §4.2 / Appendix A ("MazeGrid", adopted from
 * Huang et al. 2023): 5×5 cells, each joined to each of its neighbours by a narrow gap; the agent
 * starts in the centre cell and moves by (Δx, Δy). The paper gives no numbers; everything below is
 * gmmrl's documented choice (the geometry follows Huang et al.'s code: cells of side 2, gaps of
 * 10% of a side, step scale 0.25).
 *
 * Layout (x to the right, y up; world [-5, 5]²; cell (i, j) = [-5 + 2i, -3 + 2i] × [-5 + 2j, -3 + 2j];
 * every interior wall has a gap of width 0.4 centred on its cell side; S start, L local goal,
 * G global goal):
 *
 *      5 +-----+-----+-----+-----+-----+
 *        |     |     |     |     |     |
 *        |  G                          |
 *        |     |     |     |     |     |
 *      3 +-- --+-- --+-- --+-- --+-- --+
 *        |     |     |     |     |     |
 *        |                             |
 *        |     |     |     |     |     |
 *      1 +-- --+-- --+-- --+-- --+-- --+
 *        |     |     |     |     |     |
 *        |              S     L        |
 *        |     |     |     |     |     |
 *     -1 +-- --+-- --+-- --+-- --+-- --+
 *        |     |     |     |     |     |
 *        |                             |
 *        |     |     |     |     |     |
 *     -3 +-- --+-- --+-- --+-- --+-- --+
 *        |     |     |     |     |     |
 *        |                             |
 *        |     |     |     |     |     |
 *     -5 +-----+-----+-----+-----+-----+
 *       -5    -3    -1     1     3     5
 *
 * The same layout is data: `MAZE_LAYOUT` (walls as segments [x0, y0, x1, y1], goals, start, step
 * size), e.g. to draw it in a browser.
 *
 * State `[x, y]` (float64); observation: the state as float32, in Box([-5, -5], [5, 5]).
 * Start: deterministic, (0, 0), the centre of the centre cell (`seed` draws nothing).
 * Action: Box([-1, -1], [1, 1]); a = clip(action, -1, 1) elementwise (inside the dynamics), and the
 * intended move is p' = p + 0.25 a (so at most 0.25 per axis per step).
 * Walls (closed segments, the 4 outer walls included) stop the agent; no sliding:
 *   1. t* = the smallest t in [0, 1] at which the segment p -> p' touches a wall (a segment lying
 *      along a wall counts from where it first touches it); no contact: the agent moves to p'.
 *   2. Contact: the agent stops 1e-6 short of the contact point along its path,
 *      p + (t* - 1e-6 / |p' - p|) (p' - p); if that is not after p, or if the shortened path would
 *      still touch a wall (a grazing contact, after rounding), it stays at p.
 * Hence the agent never stands on a wall (reset({ state }) rejects positions on a wall or outside
 * the maze) and cannot leave the maze. Deterministic given the state and the action.
 * Goals, tested on the position after the step (closed disks of radius 0.5):
 *   global goal G: centre (-4, 4), the top-left corner cell, 4 gaps away: reward +10, terminated;
 *   local goal L: centre (2, 0), the cell east of the start, 1 gap away: reward +1, terminated;
 *   anywhere else: reward 0. (Huang et al.'s small maze used 0.2 and 2, the same 1:10 ratio.)
 * Time limit 200 steps (a shortest path to G takes about 30). No reward threshold.
 */
import { ValueError, describeValue } from '../../contract/errors.js';
import type { Rng } from '../util/rng.js';
import { type BaseEnvOptions, ClassicControlEnv, type EnvDefinition, type ResetOptions, type ResetResult } from './env.js';
import { float32Box } from './spaces.js';

/** A wall segment [x0, y0, x1, y1] (axis-aligned). */
export type MazeWall = readonly [number, number, number, number];

export interface MazeGoal {
  readonly name: 'local' | 'global';
  readonly centre: readonly [number, number];
  readonly radius: number;
  readonly reward: number;
}

export interface MazeLayout {
  /** [xmin, ymin, xmax, ymax] of the world (the outer walls). */
  readonly bounds: readonly [number, number, number, number];
  /** Cells per side (5) and the side of one cell (2). */
  readonly cellsPerSide: number;
  readonly cellSize: number;
  /** Width of every gap between neighbouring cells. */
  readonly gapWidth: number;
  /** The move is step * clip(action, -1, 1). */
  readonly stepSize: number;
  /** How far short of a wall contact the agent stops. */
  readonly wallMargin: number;
  readonly start: readonly [number, number];
  readonly goals: readonly MazeGoal[];
  readonly walls: readonly MazeWall[];
}

const HALF = 5;
const CELLS = 5;
const CELL = 2;
const GAP = 0.4;
const STEP = 0.25;
const MARGIN = 1e-6;

function buildWalls(): MazeWall[] {
  const walls: MazeWall[] = [
    [-HALF, -HALF, HALF, -HALF],
    [HALF, -HALF, HALF, HALF],
    [HALF, HALF, -HALF, HALF],
    [-HALF, HALF, -HALF, -HALF],
  ];
  // Interior lines at -3, -1, 1, 3; each has a gap centred on every cell side it crosses.
  for (let l = 1; l < CELLS; l++) {
    const c = -HALF + l * CELL;
    let from = -HALF;
    for (let k = 0; k < CELLS; k++) {
      const mid = -HALF + (k + 0.5) * CELL;
      walls.push([c, from, c, mid - GAP / 2]); // vertical piece on x = c
      walls.push([from, c, mid - GAP / 2, c]); // horizontal piece on y = c
      from = mid + GAP / 2;
    }
    walls.push([c, from, c, HALF]);
    walls.push([from, c, HALF, c]);
  }
  return walls;
}

export const MAZE_LAYOUT: MazeLayout = Object.freeze({
  bounds: Object.freeze([-HALF, -HALF, HALF, HALF]) as readonly [number, number, number, number],
  cellsPerSide: CELLS,
  cellSize: CELL,
  gapWidth: GAP,
  stepSize: STEP,
  wallMargin: MARGIN,
  start: Object.freeze([0, 0]) as readonly [number, number],
  goals: Object.freeze([
    Object.freeze({ name: 'global', centre: Object.freeze([-4, 4]) as readonly [number, number], radius: 0.5, reward: 10 }),
    Object.freeze({ name: 'local', centre: Object.freeze([2, 0]) as readonly [number, number], radius: 0.5, reward: 1 }),
  ] as MazeGoal[]),
  walls: Object.freeze(buildWalls().map((w) => Object.freeze(w) as MazeWall)),
});

export type MazeOptions = BaseEnvOptions;

export const MAZE_V0: EnvDefinition = Object.freeze({
  id: 'Maze-v0',
  observationSpace: float32Box([-HALF, -HALF], [HALF, HALF]),
  actionSpace: float32Box([-1.0, -1.0], [1.0, 1.0]),
  maxEpisodeSteps: 200,
  rewardThreshold: undefined,
  stateLabels: Object.freeze(['x', 'y']),
});

/**
 * First contact of the 1-D motion u(t) = u0 + t (u1 - u0), t in [0, 1], with the interval [a, b]
 * (a <= b); Infinity if none.
 */
function firstTouch1d(u0: number, u1: number, a: number, b: number): number {
  if (u0 >= a && u0 <= b) return 0;
  const du = u1 - u0;
  if (du === 0) return Infinity;
  const edge = u0 < a ? a : b;
  const t = (edge - u0) / du;
  return t >= 0 && t <= 1 ? t : Infinity;
}

/**
 * First contact of the segment p -> q with the wall {u = c, v in [lo, hi]}, in coordinates (u, v)
 * where the wall is perpendicular to u; Infinity if none.
 */
function perpendicularWallHit(pu: number, pv: number, qu: number, qv: number, c: number, lo: number, hi: number): number {
  const du = qu - pu;
  if (du === 0) return pu === c ? firstTouch1d(pv, qv, lo, hi) : Infinity;
  const t = (c - pu) / du;
  if (!(t >= 0 && t <= 1)) return Infinity;
  const v = t === 1 ? qv : pv + t * (qv - pv);
  return v >= lo && v <= hi ? t : Infinity;
}

/** First contact of the segment p -> q with one axis-aligned wall; Infinity if none. */
function wallHit(px: number, py: number, qx: number, qy: number, w: MazeWall): number {
  const [x0, y0, x1, y1] = w;
  // vertical wall x = x0, y in [lo, hi]; else horizontal wall y = y0, x in [lo, hi]
  if (x0 === x1) return perpendicularWallHit(px, py, qx, qy, x0, Math.min(y0, y1), Math.max(y0, y1));
  return perpendicularWallHit(py, px, qy, qx, y0, Math.min(x0, x1), Math.max(x0, x1));
}

/** The smallest t in [0, 1] at which the segment p -> q touches any wall of the maze; Infinity if none. */
export function mazeFirstWallHit(px: number, py: number, qx: number, qy: number): number {
  let best = Infinity;
  for (const w of MAZE_LAYOUT.walls) {
    const t = wallHit(px, py, qx, qy, w);
    if (t < best) best = t;
  }
  return best;
}

/** Whether (x, y) lies strictly inside the outer walls and on no wall. */
export function mazeIsFree(x: number, y: number): boolean {
  return x > -HALF && x < HALF && y > -HALF && y < HALF && mazeFirstWallHit(x, y, x, y) === Infinity;
}

/**
 * Maze-v0's movement (see the header): from a free position (x, y), the position after the action
 * (ax, ay), which is clipped to [-1, 1] here. Pure and deterministic.
 */
export function mazeMove(x: number, y: number, ax: number, ay: number): [number, number] {
  const qx = x + STEP * Math.min(Math.max(ax, -1), 1);
  const qy = y + STEP * Math.min(Math.max(ay, -1), 1);
  const t = mazeFirstWallHit(x, y, qx, qy);
  if (t === Infinity) return [qx, qy];
  const len = Math.hypot(qx - x, qy - y);
  const tStop = t - MARGIN / len;
  if (!(tStop > 0)) return [x, y];
  const nx = x + tStop * (qx - x);
  const ny = y + tStop * (qy - y);
  if (mazeFirstWallHit(x, y, nx, ny) !== Infinity) return [x, y];
  return [nx, ny];
}

/** The goal containing (x, y) (closed disk), or undefined. The global goal is tested first. */
export function mazeGoalAt(x: number, y: number): MazeGoal | undefined {
  for (const g of MAZE_LAYOUT.goals) {
    const dx = x - g.centre[0];
    const dy = y - g.centre[1];
    if (dx * dx + dy * dy <= g.radius * g.radius) return g;
  }
  return undefined;
}

export class MazeEnv extends ClassicControlEnv<Float64Array> {
  constructor(options: MazeOptions = {}) {
    super(MAZE_V0, options);
  }

  /** As every environment's reset(), but a `state` on a wall or outside the maze is a ValueError. */
  override reset(options?: ResetOptions): ResetResult {
    const st = (options as { state?: unknown } | undefined)?.state;
    if (Array.isArray(st) || ArrayBuffer.isView(st)) {
      const arr = st as ArrayLike<unknown>;
      const x = arr[0];
      const y = arr[1];
      if (arr.length === 2 && typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y)) {
        if (!mazeIsFree(x, y)) {
          throw new ValueError(
            `${this.id}: reset({ state }): the position [x, y] = ${describeValue(Array.from(arr))} lies on a wall or ` +
              `outside the maze (-5, 5)²; pass a free position such as the start [0, 0].`,
          );
        }
      }
    }
    return super.reset(options);
  }

  protected sampleInitialState(_rng: Rng, out: Float64Array): void {
    out[0] = MAZE_LAYOUT.start[0];
    out[1] = MAZE_LAYOUT.start[1];
  }

  protected transition(action: Float64Array): { reward: number; terminated: boolean } {
    const s = this.s;
    const [x, y] = mazeMove(s[0]!, s[1]!, action[0]!, action[1]!);
    s[0] = x;
    s[1] = y;
    const goal = mazeGoalAt(x, y);
    return goal === undefined ? { reward: 0, terminated: false } : { reward: goal.reward, terminated: true };
  }

  protected observe(): Float32Array {
    return Float32Array.from(this.s);
  }
}
