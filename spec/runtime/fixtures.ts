/**
 * Small hand-built gmmrl ONNX models for the runtime tests, one per family contract
 * (contract/metadata.ts, checkFamilyContract), in float32 or float64, with the sampling noise fed
 * through inputs, drawn in the graph, or (Q families) no sampling head at all. They do not depend on
 * the trained-model exporters: only on GraphBuilder and the metadata writer.
 *
 * The graphs use simple ops whose results are exactly predictable, so the tests can check that the
 * runtime fed the right noise to the right row and entry and decoded every output:
 *
 *   Q families (gmmqf, dqn; D = 3, A = 4):
 *     q             = obs · Wq + bq                                       [N, A]
 *     action(_index)= ArgMax(q) (first on ties); grid: action = GRID[action_index]   (shape [2])
 *     sampled index = u < ε ? min(floor(u · A/ε), A − 1) : argmax q      ε = 1/2 (so A/ε = 8)
 *   mixture-actor (A = 2, K = 3):
 *     action        = obs · Wa + ba                                       [N, A]
 *     action_sampled= (action + ε) + 2u                                   (u broadcast over the row)
 *     weights       = the constant WEIGHTS, means = obs · Wm + bm, log_std = the constant LOG_STD
 *   gamid-actor (A = 2, C = 3, ε = 1/2, σ = 1/4):
 *     q             = obs · Wg + bg                  [N, C];  action_index = ArgMax(q)
 *     component_actions = obs · Wc + bc              [N, C, A]
 *     action        = component_actions[action_index]
 *     sampled index = u < ε ? min(floor(u · C/ε), C − 1) : action_index
 *     action_sampled= component_actions[sampled index] + σ · ε
 *
 * Exactness: the weights are small integers and the test observations multiples of 1/8 in [−4, 4]
 * (or, for float64 tests, numbers such as 1 + 2⁻⁴⁰ that float32 cannot hold), so every product and
 * sum before the noise is exact in either precision; multiplying u by a power of two is exact; each
 * noise addition is one correctly rounded IEEE operation, which `reference` reproduces with
 * Math.fround (float32; double rounding of a float32 + float32 sum through float64 is innocuous) or
 * plain float64 arithmetic. The box is [−100, 100]², far outside every value the tests produce.
 */
import { ElemType, GraphBuilder } from '../../exporters/onnx/graph.js';
import { metadataToProps, type GmmrlMetadataV1, type Precision, type SamplingSpec, type TensorSpec } from '../../contract/metadata.js';
import { Rng } from '../../contract/rng.js';

export type FixtureFamily = 'gmmqf' | 'dqn' | 'mixture-actor' | 'gamid-actor';
export type FixtureNoise = 'inputs' | 'in-graph' | 'none';

export interface FixtureSpec {
  family: FixtureFamily;
  /** Default float32. */
  precision?: Precision;
  /** Default 'inputs'; 'none' (no sampling head) for the Q families only. */
  noise?: FixtureNoise;
  /** Q families: a grid action space (shape [2], 4 points) instead of discrete. */
  grid?: boolean;
}

export interface RefTensor {
  dims: number[];
  data: number[];
}

export interface Fixture {
  spec: Required<FixtureSpec>;
  bytes: Uint8Array;
  meta: GmmrlMetadataV1;
  D: number;
  /** action_space.n: Q actions (grid points) or the entries of a box action. */
  A: number;
  /** K (mixture), C (gamid); 0 for the Q families. */
  components: number;
  /**
   * Every declared output for the flat observations `obs` (n rows) and noise u [n], eps [n·A]
   * (already in the model's precision; zeros for mode greedy). In-graph noise: pass the noise the
   * graph drew (the sampled outputs cannot be predicted otherwise).
   */
  reference(obs: ArrayLike<number>, n: number, u: ArrayLike<number>, eps: ArrayLike<number>): Record<string, RefTensor>;
}

export const FIXTURE_D = 3;
export const Q_A = 4;
export const Q_EPSILON = 0.5;
export const GRID_VALUES = [
  [-0.5, -0.5],
  [-0.5, 0.5],
  [0.5, -0.5],
  [0.5, 0.5],
];
export const ACTOR_A = 2;
export const MIX_K = 3;
export const GAMID_C = 3;
export const GAMID_EPSILON = 0.5;
export const GAMID_SIGMA = 0.25;
export const BOX_LOW = [-100, -100];
export const BOX_HIGH = [100, 100];

// row-major [D, X] integer weights and biases
const WQ = [1, -2, 0, 3, 2, 1, -1, 0, -3, 1, 2, -1];
const BQ = [0, 1, -1, 0.5];
const WA = [1, -1, 2, 0, -1, 3];
const BA = [0.5, -0.25];
export const WEIGHTS = [0.25, 0.25, 0.5];
const WM = [1, 0, -1, 2, 0, 1, 0, 1, 1, -1, 2, 0, -2, 1, 0, 0, 1, -1];
const BM = [0, 0.5, -0.5, 1, 0, -1];
export const LOG_STD = [-1, -0.5, 0, 0.5, 1, -2];
const WG = [2, -1, 0, 1, 1, -2, -1, 3, 1];
const BG = [0, 0.25, -0.25];
const WC = [1, 0, -1, 1, 0, 2, 0, -1, 2, 0, 1, 1, -1, 1, 0, -2, 1, 0];
const BC = [0.5, 0, 0, -0.5, 1, 1];

/** n observations of D entries, multiples of 1/8 in [−4, 4] (exact in float32). */
export function fixtureObs(rng: Rng, n: number, D = FIXTURE_D): Float32Array {
  return Float32Array.from({ length: n * D }, () => (rng.integer(65) - 32) / 8);
}

const FORMULA = {
  'epsilon-greedy': 'index = u < epsilon ? min(floor(u / epsilon * A), A - 1) : argmax_a q (test fixture)',
  mixture: 'test fixture: action_sampled = (action + eps) + 2u',
  gamid:
    'test fixture: i = u < epsilon ? min(floor(u / epsilon * C), C - 1) : argmax q; action_sampled = component_actions[i] + sigma * eps',
};

/** Builds a fixture model. */
export function buildFixture(spec: FixtureSpec): Fixture {
  const s: Required<FixtureSpec> = { precision: 'float32', noise: 'inputs', grid: false, ...spec };
  const actor = s.family === 'mixture-actor' || s.family === 'gamid-actor';
  if (actor && s.noise === 'none') throw new Error('fixture: actors always have a sampling head');
  if (actor && s.grid) throw new Error('fixture: grids are for the Q families');
  const F = s.precision === 'float64' ? ElemType.DOUBLE : ElemType.FLOAT;
  const Fname = s.precision;
  const D = FIXTURE_D;
  const A = actor ? ACTOR_A : Q_A;
  const g = new GraphBuilder(`fixture-${s.family}`, `runtime test fixture (${s.family}, ${s.precision}, noise ${s.noise})`);
  const obs = g.input('obs', F, ['N', D]);
  let u: string | null = null;
  let eps: string | null = null;
  if (s.noise === 'inputs') {
    u = g.input('noise_u', F, ['N']);
    if (actor) eps = g.input('noise_eps', F, ['N', A]);
  }
  const i64 = (name: string, data: number[]): string => g.initializerInt64(name, [data.length], data);
  const cf = (name: string, dims: number[], data: number[]): string => g.initializerFloat(name, F, dims, data);
  const affine = (name: string, W: number[], b: number[], X: number, out: string): string => {
    const h = g.node({ name: `${name}/matmul`, opType: 'MatMul', inputs: [obs, cf(`${name}/w`, [D, X], W)], outputs: [`${name}/h`] });
    return g.node({ name: `${name}/add`, opType: 'Add', inputs: [h, cf(`${name}/b`, [X], b)], outputs: [out] });
  };
  const argmax = (name: string, x: string, out: string): string =>
    g.node({
      name,
      opType: 'ArgMax',
      inputs: [x],
      outputs: [out],
      attributes: { axis: { kind: 'int', value: 1 }, keepdims: { kind: 'int', value: 0 }, select_last_index: { kind: 'int', value: 0 } },
    });
  /** In-graph u: RandomUniformLike of a [N] tensor. */
  const drawU = (): string => {
    const like = g.node({
      name: 'noise/like_n',
      opType: 'ReduceSum',
      inputs: [obs, i64('noise/axes1', [1])],
      outputs: ['noise/like_n'],
      attributes: { keepdims: { kind: 'int', value: 0 } },
    });
    return g.node({
      name: 'noise/u',
      opType: 'RandomUniformLike',
      inputs: [like],
      outputs: ['noise/u'],
      attributes: { dtype: { kind: 'int', value: F }, low: { kind: 'float', value: 0 }, high: { kind: 'float', value: 1 } },
    });
  };
  /** ε-greedy index: u < ε ? min(floor(u·X/ε), X − 1) : greedy. */
  const epsGreedy = (uIn: string, greedy: string, X: number, epsilon: number, out: string): string => {
    const scaled = g.node({
      name: 'sample/scale',
      opType: 'Mul',
      inputs: [uIn, cf('sample/x_over_eps', [], [X / epsilon])],
      outputs: ['sample/scaled'],
    });
    const fl = g.node({ name: 'sample/floor', opType: 'Floor', inputs: [scaled], outputs: ['sample/floor'] });
    const mn = g.node({ name: 'sample/min', opType: 'Min', inputs: [fl, cf('sample/x_minus_1', [], [X - 1])], outputs: ['sample/min'] });
    const idx = g.node({
      name: 'sample/cast',
      opType: 'Cast',
      inputs: [mn],
      outputs: ['sample/random_index'],
      attributes: { to: { kind: 'int', value: ElemType.INT64 } },
    });
    const explore = g.node({
      name: 'sample/less',
      opType: 'Less',
      inputs: [uIn, cf('sample/eps', [], [epsilon])],
      outputs: ['sample/explore'],
    });
    return g.node({ name: 'sample/where', opType: 'Where', inputs: [explore, idx, greedy], outputs: [out] });
  };
  /** rows[index] of a [N, X, A] tensor via a one-hot mask (exact: one term plus zeros). */
  const selectRow = (name: string, rows: string, index: string, X: number, out: string): string => {
    const col = g.node({
      name: `${name}/unsq_idx`,
      opType: 'Unsqueeze',
      inputs: [index, i64(`${name}/axes1`, [1])],
      outputs: [`${name}/idx_col`],
    });
    const eq = g.node({
      name: `${name}/eq`,
      opType: 'Equal',
      inputs: [
        col,
        i64(
          `${name}/range`,
          Array.from({ length: X }, (_, i) => i),
        ),
      ],
      outputs: [`${name}/eq`],
    });
    const oh = g.node({
      name: `${name}/onehot`,
      opType: 'Cast',
      inputs: [eq],
      outputs: [`${name}/onehot`],
      attributes: { to: { kind: 'int', value: F } },
    });
    const oh3 = g.node({
      name: `${name}/unsq_oh`,
      opType: 'Unsqueeze',
      inputs: [oh, i64(`${name}/axes2`, [2])],
      outputs: [`${name}/onehot3`],
    });
    const prod = g.node({ name: `${name}/mul`, opType: 'Mul', inputs: [rows, oh3], outputs: [`${name}/masked`] });
    return g.node({
      name: `${name}/sum`,
      opType: 'ReduceSum',
      inputs: [prod, i64(`${name}/axes_sum`, [1])],
      outputs: [out],
      attributes: { keepdims: { kind: 'int', value: 0 } },
    });
  };

  const outputs: TensorSpec[] = [];
  const declare = (name: string, dtype: 'int64' | Precision, shape: (number | string)[]): void => {
    g.output(name, dtype === 'int64' ? ElemType.INT64 : F, shape);
    outputs.push({ name, dtype, shape });
  };
  let sampling: SamplingSpec | undefined;
  let components = 0;

  if (!actor) {
    declare('q', Fname, ['N', A]);
    affine('q', WQ, BQ, A, 'q');
    const idxName = s.grid ? 'action_index' : 'action';
    if (s.grid) {
      declare('action', Fname, ['N', 2]);
      declare('action_index', 'int64', ['N']);
    } else {
      declare('action', 'int64', ['N']);
    }
    argmax('action/argmax', 'q', idxName);
    const grid = s.grid ? cf('action/grid', [A, 2], GRID_VALUES.flat()) : null;
    if (grid)
      g.node({
        name: 'action/gather',
        opType: 'Gather',
        inputs: [grid, 'action_index'],
        outputs: ['action'],
        attributes: { axis: { kind: 'int', value: 0 } },
      });
    if (s.noise !== 'none') {
      sampling = { kind: 'epsilon-greedy', noise: s.noise, epsilon: Q_EPSILON, formula: FORMULA['epsilon-greedy'] };
      const uIn = u ?? drawU();
      if (s.grid) {
        declare('action_sampled', Fname, ['N', 2]);
        declare('action_sampled_index', 'int64', ['N']);
        epsGreedy(uIn, 'action_index', A, Q_EPSILON, 'action_sampled_index');
        g.node({
          name: 'sample/gather',
          opType: 'Gather',
          inputs: [grid!, 'action_sampled_index'],
          outputs: ['action_sampled'],
          attributes: { axis: { kind: 'int', value: 0 } },
        });
      } else {
        declare('action_sampled', 'int64', ['N']);
        epsGreedy(uIn, 'action', A, Q_EPSILON, 'action_sampled');
      }
    }
    if (s.family === 'gmmqf') components = 1;
  } else if (s.family === 'mixture-actor') {
    components = MIX_K;
    sampling = { kind: 'mixture', noise: s.noise as 'inputs' | 'in-graph', formula: FORMULA.mixture };
    const K = MIX_K;
    declare('action', Fname, ['N', A]);
    affine('action', WA, BA, A, 'action');
    const zerosK = g.node({
      name: 'weights/zero',
      opType: 'MatMul',
      inputs: [obs, cf('weights/zeros', [D, K], new Array(D * K).fill(0))],
      outputs: ['weights/zero'],
    });
    declare('weights', Fname, ['N', K]);
    g.node({ name: 'weights/add', opType: 'Add', inputs: [zerosK, cf('weights/const', [K], WEIGHTS)], outputs: ['weights'] });
    const shape3 = i64('shape/nka', [-1, K, A]);
    affine('means', WM, BM, K * A, 'means/flat');
    declare('means', Fname, ['N', K, A]);
    g.node({ name: 'means/reshape', opType: 'Reshape', inputs: ['means/flat', shape3], outputs: ['means'] });
    const zerosKA = g.node({
      name: 'log_std/zero',
      opType: 'MatMul',
      inputs: [obs, cf('log_std/zeros', [D, K * A], new Array(D * K * A).fill(0))],
      outputs: ['log_std/zero'],
    });
    const lsFlat = g.node({
      name: 'log_std/add',
      opType: 'Add',
      inputs: [zerosKA, cf('log_std/const', [K * A], LOG_STD)],
      outputs: ['log_std/flat'],
    });
    declare('log_std', Fname, ['N', K, A]);
    g.node({ name: 'log_std/reshape', opType: 'Reshape', inputs: [lsFlat, shape3], outputs: ['log_std'] });
    const uIn = u ?? drawU();
    const epsIn =
      eps ??
      g.node({
        name: 'noise/eps',
        opType: 'RandomNormalLike',
        inputs: ['action'],
        outputs: ['noise/eps'],
        attributes: { dtype: { kind: 'int', value: F } },
      });
    const plusEps = g.node({ name: 'sample/add_eps', opType: 'Add', inputs: ['action', epsIn], outputs: ['sample/plus_eps'] });
    const twoU = g.node({ name: 'sample/two_u', opType: 'Mul', inputs: [uIn, cf('sample/two', [], [2])], outputs: ['sample/two_u'] });
    const twoUcol = g.node({
      name: 'sample/unsq_u',
      opType: 'Unsqueeze',
      inputs: [twoU, i64('sample/axes1', [1])],
      outputs: ['sample/two_u_col'],
    });
    declare('action_sampled', Fname, ['N', A]);
    g.node({ name: 'sample/add_u', opType: 'Add', inputs: [plusEps, twoUcol], outputs: ['action_sampled'] });
  } else {
    const C = GAMID_C;
    components = C;
    sampling = {
      kind: 'gamid',
      noise: s.noise as 'inputs' | 'in-graph',
      epsilon: GAMID_EPSILON,
      exploration_std: GAMID_SIGMA,
      formula: FORMULA.gamid,
    };
    declare('q', Fname, ['N', C]);
    affine('q', WG, BG, C, 'q');
    declare('action_index', 'int64', ['N']);
    argmax('action/argmax', 'q', 'action_index');
    affine('components', WC, BC, C * A, 'components/flat');
    declare('component_actions', Fname, ['N', C, A]);
    g.node({
      name: 'components/reshape',
      opType: 'Reshape',
      inputs: ['components/flat', i64('shape/nca', [-1, C, A])],
      outputs: ['component_actions'],
    });
    declare('action', Fname, ['N', A]);
    selectRow('action/select', 'component_actions', 'action_index', C, 'action');
    const uIn = u ?? drawU();
    declare('action_sampled_index', 'int64', ['N']);
    epsGreedy(uIn, 'action_index', C, GAMID_EPSILON, 'action_sampled_index');
    const sel = selectRow('sample/select', 'component_actions', 'action_sampled_index', C, 'sample/selected');
    const epsIn =
      eps ??
      g.node({
        name: 'noise/eps',
        opType: 'RandomNormalLike',
        inputs: ['action'],
        outputs: ['noise/eps'],
        attributes: { dtype: { kind: 'int', value: F } },
      });
    const scaled = g.node({
      name: 'sample/sigma_eps',
      opType: 'Mul',
      inputs: [epsIn, cf('sample/sigma', [], [GAMID_SIGMA])],
      outputs: ['sample/sigma_eps'],
    });
    declare('action_sampled', Fname, ['N', A]);
    g.node({ name: 'sample/add', opType: 'Add', inputs: [sel, scaled], outputs: ['action_sampled'] });
  }

  const inputs: TensorSpec[] = [{ name: 'obs', dtype: Fname, shape: ['N', D] }];
  if (u) inputs.push({ name: 'noise_u', dtype: Fname, shape: ['N'] });
  if (eps) inputs.push({ name: 'noise_eps', dtype: Fname, shape: ['N', A] });
  const meta: GmmrlMetadataV1 = {
    schema_version: 1,
    family: s.family,
    producer: 'gmmrl',
    producer_version: '0.0.0-test',
    env_id: 'Fixture-v0',
    observation_space: { shape: [D], low: new Array(D).fill(-10), high: new Array(D).fill(10) },
    action_space: actor
      ? { kind: 'box', n: A, shape: [A], low: [...BOX_LOW], high: [...BOX_HIGH] }
      : s.grid
        ? { kind: 'grid', n: A, shape: [2], values: GRID_VALUES.map((r) => [...r]), low: [-1, -1], high: [1, 1] }
        : { kind: 'discrete', n: A },
    normalization: { offset: new Array(D).fill(0), scale: new Array(D).fill(1), formula: 'identity (test fixture)' },
    inputs,
    outputs,
  };
  if (components > 0) meta.components = components;
  if (s.precision === 'float64') meta.precision = 'float64';
  if (sampling) meta.sampling = sampling;
  const bytes = g.build({
    irVersion: 8,
    opsetVersion: 17,
    producerName: 'gmmrl',
    producerVersion: '0.0.0-test',
    metadataProps: metadataToProps(meta),
  });
  return { spec: s, bytes, meta, D, A, components, reference: (o, n, uu, ee) => reference(s, o, n, uu, ee) };
}

function affineRef(obs: ArrayLike<number>, n: number, W: number[], b: number[], X: number): number[] {
  const D = FIXTURE_D;
  const out = new Array<number>(n * X);
  for (let r = 0; r < n; r++) {
    for (let x = 0; x < X; x++) {
      let sum = 0;
      for (let d = 0; d < D; d++) sum += obs[r * D + d]! * W[d * X + x]!;
      out[r * X + x] = sum + b[x]!;
    }
  }
  return out;
}

function argmaxRef(v: number[], n: number, X: number): number[] {
  return Array.from({ length: n }, (_, r) => {
    let best = 0;
    for (let x = 1; x < X; x++) if (v[r * X + x]! > v[r * X + best]!) best = x;
    return best;
  });
}

function epsGreedyRef(u: number, greedy: number, X: number, epsilon: number): number {
  return u < epsilon ? Math.min(Math.floor(u * (X / epsilon)), X - 1) : greedy;
}

/**
 * The exact outputs. The affine maps are exact for the test observations (see the header); only
 * the noise additions round, once each, in the model's precision (`rnd`).
 */
function reference(
  s: Required<FixtureSpec>,
  obs: ArrayLike<number>,
  n: number,
  u: ArrayLike<number>,
  eps: ArrayLike<number>,
): Record<string, RefTensor> {
  const rnd = s.precision === 'float64' ? (x: number) => x : Math.fround;
  const out: Record<string, RefTensor> = {};
  if (s.family === 'gmmqf' || s.family === 'dqn') {
    const A = Q_A;
    const q = affineRef(obs, n, WQ, BQ, A);
    const idx = argmaxRef(q, n, A);
    out['q'] = { dims: [n, A], data: q };
    if (s.grid) {
      out['action_index'] = { dims: [n], data: idx };
      out['action'] = { dims: [n, 2], data: idx.flatMap((i) => GRID_VALUES[i]!) };
    } else {
      out['action'] = { dims: [n], data: idx };
    }
    if (s.noise !== 'none') {
      const sidx = idx.map((g, r) => epsGreedyRef(u[r]!, g, A, Q_EPSILON));
      if (s.grid) {
        out['action_sampled_index'] = { dims: [n], data: sidx };
        out['action_sampled'] = { dims: [n, 2], data: sidx.flatMap((i) => GRID_VALUES[i]!) };
      } else {
        out['action_sampled'] = { dims: [n], data: sidx };
      }
    }
    return out;
  }
  const A = ACTOR_A;
  if (s.family === 'mixture-actor') {
    const K = MIX_K;
    const a = affineRef(obs, n, WA, BA, A);
    out['action'] = { dims: [n, A], data: a };
    out['action_sampled'] = { dims: [n, A], data: a.map((x, j) => rnd(rnd(x + eps[j]!) + 2 * u[Math.floor(j / A)]!)) };
    out['weights'] = { dims: [n, K], data: Array.from({ length: n }, () => WEIGHTS).flat() };
    out['means'] = { dims: [n, K, A], data: affineRef(obs, n, WM, BM, K * A) };
    out['log_std'] = { dims: [n, K, A], data: Array.from({ length: n }, () => LOG_STD).flat() };
    return out;
  }
  const C = GAMID_C;
  const q = affineRef(obs, n, WG, BG, C);
  const idx = argmaxRef(q, n, C);
  const comp = affineRef(obs, n, WC, BC, C * A);
  const sidx = idx.map((g, r) => epsGreedyRef(u[r]!, g, C, GAMID_EPSILON));
  out['q'] = { dims: [n, C], data: q };
  out['action_index'] = { dims: [n], data: idx };
  out['component_actions'] = { dims: [n, C, A], data: comp };
  out['action'] = { dims: [n, A], data: idx.flatMap((i, r) => comp.slice((r * C + i) * A, (r * C + i + 1) * A)) };
  out['action_sampled_index'] = { dims: [n], data: sidx };
  out['action_sampled'] = {
    dims: [n, A],
    data: sidx.flatMap((i, r) => comp.slice((r * C + i) * A, (r * C + i + 1) * A).map((x, d) => rnd(x + GAMID_SIGMA * eps[r * A + d]!))),
  };
  return out;
}

/**
 * The noise the runtime must feed for n rows drawn from `src`, in the documented order (per row:
 * u, then A normals; Q families: u only), rounded to the model's precision (float32: a u that
 * rounds to 1 becomes 1 − 2⁻²⁴).
 */
export function expectedNoise(
  src: { uniform(): number; normal(): number },
  n: number,
  A: number,
  withEps: boolean,
  precision: Precision,
): { u: number[]; eps: number[] } {
  const rnd = precision === 'float64' ? (x: number) => x : Math.fround;
  const u: number[] = [];
  const eps: number[] = [];
  for (let r = 0; r < n; r++) {
    const x = rnd(src.uniform());
    u.push(x < 1 ? x : 1 - 2 ** -24);
    if (withEps) for (let d = 0; d < A; d++) eps.push(rnd(src.normal()));
  }
  return { u, eps };
}

/** Every fixture variant the tests sweep: family × precision × noise (× grid for the Q families). */
export function allFixtureSpecs(): Required<FixtureSpec>[] {
  const out: Required<FixtureSpec>[] = [];
  for (const precision of ['float32', 'float64'] as const) {
    for (const family of ['gmmqf', 'dqn'] as const) {
      for (const noise of ['inputs', 'in-graph', 'none'] as const) {
        for (const grid of [false, true]) out.push({ family, precision, noise, grid });
      }
    }
    for (const family of ['mixture-actor', 'gamid-actor'] as const) {
      for (const noise of ['inputs', 'in-graph'] as const) out.push({ family, precision, noise, grid: false });
    }
  }
  return out;
}
