/**
 * The action heads shared by every Q-function graph (gmmqf, dqn): given the node output `q` [N, A]
 * F (F = float32 or float64, already declared as the graph output "q"), the greedy head adds
 *
 *   discrete:  action       = ArgMax(q, axis 1, first index on ties)            [N] int64
 *   grid:      action_index = ArgMax(q, axis 1, first index on ties)            [N] int64
 *              action       = Gather(grid [A, size], action_index) reshaped    [N, ...shape] F
 *
 * and the ε-greedy sampling head (unless sampling is "none") adds, from u = the input noise_u [N]
 * F (or, in-graph, u = RandomUniformLike(greedy index, dtype F): not reproducible across runtimes)
 *
 *   idx = u < ε ? min(floor(u/ε·A), A − 1) : greedy index     (subgraphs.ts addEpsilonGreedyIndex;
 *                                                               Identity of the greedy index for ε = 0)
 *   discrete:  action_sampled       = idx                                       [N] int64
 *   grid:      action_sampled_index = idx                                       [N] int64
 *              action_sampled       = Gather(grid, idx) reshaped               [N, ...shape] F
 *
 * With noise_u an input, each of these is then Where(missing, -1 | NaN, value) (envelope.ts
 * guardSampled): -1 / NaN in the rows whose u is not finite (not fed: its default is NaN),
 *
 * and the matching metadata pieces (action_space, input/output specs, sampling), so the exporters
 * and the runtime agree on one contract (contract/metadata.ts).
 */
import { ShapeError, ValueError } from '../../contract/errors.js';
import {
  GMMQF_OUTPUT_ACTION,
  GMMQF_OUTPUT_ACTION_INDEX,
  GMMQF_OUTPUT_Q,
  IO,
  type ActionSpaceSpec,
  type SamplingSpec,
  type TensorDtype,
  type TensorSpec,
} from '../../contract/metadata.js';
import type { ActionGrid } from '../../models/gmmqf/params.js';
import { guardSampled, inputSpecs, noiseRowNames } from './envelope.js';
import { ElemType, type GraphBuilder } from './graph.js';
import {
  addEpsilonGreedyIndex,
  addInGraphUniform,
  epsilonGreedyFormula,
  floatKind,
  type FloatKind,
  type ResolvedQOptions,
} from './subgraphs.js';

/** Validates a grid against A (values as stored: rounded by `round`, float32 by default) and returns its per-action size. */
export function checkActionGrid(grid: ActionGrid, A: number, where: string, round: (x: number) => number = Math.fround): number {
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
      const f = round(v);
      if (!Number.isFinite(v) || !(f >= grid.low[j]! && f <= grid.high[j]!)) {
        throw new ValueError(
          `${where}: actionGrid.values[${a}][${j}] = ${v}${round === Math.fround ? ` (float32 ${f})` : ''} lies outside the action bounds [${grid.low[j]}, ${grid.high[j]}]. ` +
            'Every grid point must be a valid environment action.',
        );
      }
    }
  }
  return size;
}

/** The metadata action_space for A discrete actions or a grid (grid values as stored in the graph: rounded to F). */
export function actionSpaceSpec(A: number, grid?: ActionGrid, fk: FloatKind = floatKind('float32')): ActionSpaceSpec {
  if (!grid) return { kind: 'discrete', n: A };
  const size = grid.shape.reduce((a, b) => a * b, 1);
  const values: number[][] = [];
  for (let a = 0; a < A; a++) values.push(Array.from(grid.values.subarray(a * size, (a + 1) * size), (x) => fk.round(x)));
  return { kind: 'grid', n: A, shape: [...grid.shape], values, low: [...grid.low], high: [...grid.high] };
}

/**
 * The metadata output specs: q, action (and action_index for a grid) in dtype F, and with
 * `sampled` also action_sampled (and action_sampled_index for a grid).
 */
export function qOutputSpecs(A: number, grid?: ActionGrid, dtype: TensorDtype = 'float32', sampled = false): TensorSpec[] {
  const q: TensorSpec = { name: GMMQF_OUTPUT_Q, dtype, shape: ['N', A] };
  if (!grid) {
    const out: TensorSpec[] = [q, { name: GMMQF_OUTPUT_ACTION, dtype: 'int64', shape: ['N'] }];
    if (sampled) out.push({ name: IO.actionSampled, dtype: 'int64', shape: ['N'] });
    return out;
  }
  const out: TensorSpec[] = [
    q,
    { name: GMMQF_OUTPUT_ACTION, dtype, shape: ['N', ...grid.shape] },
    { name: GMMQF_OUTPUT_ACTION_INDEX, dtype: 'int64', shape: ['N'] },
  ];
  if (sampled) {
    out.push({ name: IO.actionSampled, dtype, shape: ['N', ...grid.shape] }, { name: IO.actionSampledIndex, dtype: 'int64', shape: ['N'] });
  }
  return out;
}

/** The metadata input specs of a Q graph: obs [N, obsSize] F, and noise_u [N] F when its noise comes through the inputs. */
export function qInputSpecs(obsSize: number, o: ResolvedQOptions): TensorSpec[] {
  return inputSpecs(floatKind(o.precision).dtype, obsSize, o.sampling === 'inputs');
}

/** Doc string of a Q graph's noise_u input. */
export const Q_NOISE_U_DOC = 'Uniform noise on [0, 1), one per row, for the epsilon-greedy action_sampled.';

/** The metadata sampling entry of a Q graph (undefined for sampling "none"). */
export function qSamplingSpec(o: ResolvedQOptions, grid: boolean): SamplingSpec | undefined {
  if (o.sampling === 'none') return undefined;
  return { kind: 'epsilon-greedy', noise: o.sampling, epsilon: o.epsilon, formula: epsilonGreedyFormula(o.sampling, grid) };
}

/**
 * Adds the action outputs after `q` (which must already be produced under the name "q").
 * `prefix` names the nodes (e.g. 'gmmqf'); F is the float element type of q and the grid.
 */
export function addGreedyActionHead(g: GraphBuilder, prefix: string, A: number, grid?: ActionGrid, F: ElemType = ElemType.FLOAT): void {
  const argmaxAttrs = {
    axis: { kind: 'int', value: 1 },
    keepdims: { kind: 'int', value: 0 },
    select_last_index: { kind: 'int', value: 0 },
  } as const;
  if (!grid) {
    g.output(GMMQF_OUTPUT_ACTION, ElemType.INT64, ['N'], 'Greedy action argmax_a q[n, a] (first index on ties).');
    g.node({
      name: `${prefix}/action/argmax`,
      opType: 'ArgMax',
      inputs: [GMMQF_OUTPUT_Q],
      outputs: [GMMQF_OUTPUT_ACTION],
      attributes: argmaxAttrs,
    });
    return;
  }
  const size = checkActionGrid(grid, A, 'action head');
  g.output(GMMQF_OUTPUT_ACTION_INDEX, ElemType.INT64, ['N'], 'Index of the greedy grid point argmax_a q[n, a] (first index on ties).');
  g.node({
    name: `${prefix}/action/argmax`,
    opType: 'ArgMax',
    inputs: [GMMQF_OUTPUT_Q],
    outputs: [GMMQF_OUTPUT_ACTION_INDEX],
    attributes: argmaxAttrs,
  });
  const values = g.initializerFloat(
    `${prefix}/action/grid`,
    F,
    [A, size],
    grid.values,
    'Action grid: row a is the environment action of index a.',
  );
  g.output(GMMQF_OUTPUT_ACTION, F, ['N', ...grid.shape], 'Greedy environment action: the grid value of action_index.');
  const gathered = g.node({
    name: `${prefix}/action/gather`,
    opType: 'Gather',
    inputs: [values, GMMQF_OUTPUT_ACTION_INDEX],
    outputs: [`${prefix}/action/grid_row`],
    attributes: { axis: { kind: 'int', value: 0 } },
  });
  g.valueInfo(gathered, F, ['N', size]);
  const shape = g.initializerInt64(`${prefix}/action/shape`, [1 + grid.shape.length], [-1, ...grid.shape]);
  g.node({ name: `${prefix}/action/reshape`, opType: 'Reshape', inputs: [gathered, shape], outputs: [GMMQF_OUTPUT_ACTION] });
}

/**
 * Adds the ε-greedy sampling head after the greedy head (see the module comment). `u` is the
 * graph input noise_u expanded to N rows (beginGraph's `${prefix}/noise/u_rows`) for noise "inputs";
 * for "in-graph" it is drawn here. Nodes `${prefix}/noise/…` and `${prefix}/sample/…`. With noise
 * "inputs" each sampled output goes through envelope.ts guardSampled (`${prefix}/guard/…`): -1 / NaN
 * in the rows without finite noise (not fed), the head's value bit for bit elsewhere.
 */
export function addSamplingHead(
  g: GraphBuilder,
  prefix: string,
  A: number,
  grid: ActionGrid | undefined,
  fk: FloatKind,
  o: ResolvedQOptions,
): void {
  if (o.sampling === 'none') return;
  const s = { g, fk, prefix };
  const greedy = grid ? GMMQF_OUTPUT_ACTION_INDEX : GMMQF_OUTPUT_ACTION;
  const fed = o.sampling === 'inputs';
  const noise = noiseRowNames(prefix);
  // ε = 0 never reads u (the head is an Identity of the greedy index): no random op is drawn then
  const u = fed ? noise.u : o.epsilon === 0 ? '' : addInGraphUniform(s, greedy);
  const rawIndex = `${prefix}/sample/index`;
  const indexOut = grid ? IO.actionSampledIndex : IO.actionSampled;
  if (!grid) {
    g.output(IO.actionSampled, ElemType.INT64, ['N'], 'Epsilon-greedy action: u < epsilon ? min(floor(u / epsilon * A), A - 1) : action.');
  } else {
    g.output(
      IO.actionSampledIndex,
      ElemType.INT64,
      ['N'],
      'Epsilon-greedy grid index: u < epsilon ? min(floor(u / epsilon * A), A - 1) : action_index.',
    );
  }
  const index = addEpsilonGreedyIndex(s, `${prefix}/sample/epsilon_greedy`, u, greedy, o.epsilon, A, fed ? rawIndex : indexOut);
  if (fed) {
    g.valueInfo(index, ElemType.INT64, ['N']);
    guardSampled(g, fk, prefix, noise.missing, index, indexOut, 1, 'index');
  }
  if (!grid) return;
  const size = grid.shape.reduce((a, b) => a * b, 1);
  g.output(IO.actionSampled, fk.F, ['N', ...grid.shape], 'Epsilon-greedy environment action: the grid value of action_sampled_index.');
  const gathered = g.node({
    name: `${prefix}/sample/gather`,
    opType: 'Gather',
    inputs: [`${prefix}/action/grid`, index],
    outputs: [`${prefix}/sample/grid_row`],
    attributes: { axis: { kind: 'int', value: 0 } },
  });
  g.valueInfo(gathered, fk.F, ['N', size]);
  const rawAction = `${prefix}/sample/action`;
  const action = g.node({
    name: `${prefix}/sample/reshape`,
    opType: 'Reshape',
    inputs: [gathered, `${prefix}/action/shape`],
    outputs: [fed ? rawAction : IO.actionSampled],
  });
  if (fed) {
    g.valueInfo(action, fk.F, ['N', ...grid.shape]);
    guardSampled(g, fk, prefix, noise.missing, action, IO.actionSampled, 1 + grid.shape.length, 'float');
  }
}
