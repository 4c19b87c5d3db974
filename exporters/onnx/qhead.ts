/**
 * The greedy-action head shared by every Q-function graph (gmmqf, dqn): given the node output
 * `q` [N, A] float32 (already declared as the graph output "q"), adds
 *
 *   discrete:  action       = ArgMax(q, axis 1, first index on ties)            [N] int64
 *   grid:      action_index = ArgMax(q, axis 1, first index on ties)            [N] int64
 *              action       = Gather(grid [A, size], action_index) reshaped    [N, ...shape] float32
 *
 * and the matching metadata pieces (action_space, output specs), so the exporters and the runtime
 * agree on one contract (runtime/metadata.ts).
 */
import { ShapeError, ValueError } from '../../runtime/errors.js';
import {
  GMMQF_OUTPUT_ACTION,
  GMMQF_OUTPUT_ACTION_INDEX,
  GMMQF_OUTPUT_Q,
  type ActionSpaceSpec,
  type TensorSpec,
} from '../../runtime/metadata.js';
import type { ActionGrid } from '../../models/gmmqf/params.js';
import { ElemType, type GraphBuilder } from './graph.js';

/** Validates a grid against A and returns its per-action size. */
export function checkActionGrid(grid: ActionGrid, A: number, where: string): number {
  if (!Array.isArray(grid.shape) || grid.shape.length === 0 || !grid.shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new ValueError(`${where}: actionGrid.shape must be a non-empty array of positive integers, got ${JSON.stringify(grid.shape)}.`);
  }
  const size = grid.shape.reduce((a, b) => a * b, 1);
  if (grid.values.length !== A * size) {
    throw new ShapeError(`${where}: actionGrid.values has ${grid.values.length} numbers; expected A × size = ${A} × ${size}.`);
  }
  if (grid.low.length !== size || grid.high.length !== size) {
    throw new ShapeError(`${where}: actionGrid.low/high must have ${size} entries each, got ${grid.low.length} and ${grid.high.length}.`);
  }
  for (let a = 0; a < A; a++) {
    for (let j = 0; j < size; j++) {
      const v = grid.values[a * size + j]!;
      const f = Math.fround(v);
      if (!Number.isFinite(v) || !(f >= grid.low[j]! && f <= grid.high[j]!)) {
        throw new ValueError(
          `${where}: actionGrid.values[${a}][${j}] = ${v} (float32 ${f}) lies outside the action bounds [${grid.low[j]}, ${grid.high[j]}]. ` +
            'Every grid point must be a valid environment action.',
        );
      }
    }
  }
  return size;
}

/** The metadata action_space for A discrete actions or a grid (grid values as stored in the graph, float32). */
export function actionSpaceSpec(A: number, grid?: ActionGrid): ActionSpaceSpec {
  if (!grid) return { kind: 'discrete', n: A };
  const size = grid.shape.reduce((a, b) => a * b, 1);
  const values: number[][] = [];
  for (let a = 0; a < A; a++) values.push(Array.from(grid.values.subarray(a * size, (a + 1) * size), (x) => Math.fround(x)));
  return { kind: 'grid', n: A, shape: [...grid.shape], values, low: [...grid.low], high: [...grid.high] };
}

/** The metadata output specs: q, action (and action_index for a grid). */
export function qOutputSpecs(A: number, grid?: ActionGrid): TensorSpec[] {
  const q: TensorSpec = { name: GMMQF_OUTPUT_Q, dtype: 'float32', shape: ['N', A] };
  if (!grid) return [q, { name: GMMQF_OUTPUT_ACTION, dtype: 'int64', shape: ['N'] }];
  return [
    q,
    { name: GMMQF_OUTPUT_ACTION, dtype: 'float32', shape: ['N', ...grid.shape] },
    { name: GMMQF_OUTPUT_ACTION_INDEX, dtype: 'int64', shape: ['N'] },
  ];
}

/**
 * Adds the action outputs after `q` (which must already be produced under the name "q").
 * `prefix` names the nodes (e.g. 'gmmqf').
 */
export function addGreedyActionHead(g: GraphBuilder, prefix: string, A: number, grid?: ActionGrid): void {
  const argmaxAttrs = {
    axis: { kind: 'int', value: 1 },
    keepdims: { kind: 'int', value: 0 },
    select_last_index: { kind: 'int', value: 0 },
  } as const;
  if (!grid) {
    g.output(GMMQF_OUTPUT_ACTION, ElemType.INT64, ['N'], 'Greedy action argmax_a q[n, a] (first index on ties).');
    g.node({ name: `${prefix}/action/argmax`, opType: 'ArgMax', inputs: [GMMQF_OUTPUT_Q], outputs: [GMMQF_OUTPUT_ACTION], attributes: argmaxAttrs });
    return;
  }
  const size = checkActionGrid(grid, A, 'action head');
  g.output(GMMQF_OUTPUT_ACTION_INDEX, ElemType.INT64, ['N'], 'Index of the greedy grid point argmax_a q[n, a] (first index on ties).');
  g.node({ name: `${prefix}/action/argmax`, opType: 'ArgMax', inputs: [GMMQF_OUTPUT_Q], outputs: [GMMQF_OUTPUT_ACTION_INDEX], attributes: argmaxAttrs });
  const values = g.initializerFloat32(`${prefix}/action/grid`, [A, size], grid.values, 'Action grid: row a is the environment action of index a.');
  g.output(GMMQF_OUTPUT_ACTION, ElemType.FLOAT, ['N', ...grid.shape], 'Greedy environment action: the grid value of action_index.');
  const gathered = g.node({
    name: `${prefix}/action/gather`,
    opType: 'Gather',
    inputs: [values, GMMQF_OUTPUT_ACTION_INDEX],
    outputs: [`${prefix}/action/grid_row`],
    attributes: { axis: { kind: 'int', value: 0 } },
  });
  g.valueInfo(gathered, ElemType.FLOAT, ['N', size]);
  const shape = g.initializerInt64(`${prefix}/action/shape`, [1 + grid.shape.length], [-1, ...grid.shape]);
  g.node({ name: `${prefix}/action/reshape`, opType: 'Reshape', inputs: [gathered, shape], outputs: [GMMQF_OUTPUT_ACTION] });
}
