/**
 * The sampled mode of the Q-function families in parity (gmmqf, dqn): the file's ε-greedy
 * `action_sampled` for identical noise u (contract/metadata.ts, sampling kind "epsilon-greedy"):
 *
 *   index = u < ε ? min(floor(u/ε · A), A − 1) : the greedy index
 *
 * Judged against the same call's greedy output (whose parity with the checkpoint verifyParity /
 * verifyDqnParity establish): rows with u ≥ ε must return exactly the greedy index, rows with u < ε
 * exactly min(floor(u/ε·A), A − 1) computed in float64 from the float32 u and ε — except rows at a
 * boundary of float32 arithmetic (|u − ε| ≤ 4·2⁻²⁴·ε, or u/ε·A within 1e-5·A of an integer), which
 * are counted as ties. A model exported without a sampling head, or with in-graph noise, is
 * reported as not checked (and fails nothing).
 */
import type { Policy } from '../runtime/policy.js';
import { IO } from '../contract/metadata.js';
import { Rng } from './util/rng.js';

export interface SampledParity {
  checked: boolean;
  /** Why not checked (no sampling head; in-graph noise). */
  reason?: string;
  epsilon?: number;
  rows?: number;
  explored?: number;
  agreement?: number;
  boundary_ties?: number;
  mismatches?: number;
  /** The first mismatching row in one line (state, value, expected, tolerance). */
  first_mismatch?: string;
}

/**
 * What a graph's ε-greedy choice must be for a uniform u over n choices, given the greedy index the
 * same graph computed: `index`, and whether u lies at a boundary of the arithmetic at unit roundoff
 * uR (|u − ε| ≤ 4·uR·ε, or u/ε·n within 1e-5·n of an integer while exploring), where either side of
 * the boundary is correct. Shared by the Q models (here) and the Gamid actor (parity-actor.ts).
 */
export function epsilonGreedyExpected(
  u: number,
  epsilon: number,
  n: number,
  greedy: number,
  uR: number,
): { index: number; explore: boolean; boundary: boolean } {
  const explore = u < epsilon;
  const t = (u / epsilon) * n;
  const index = explore ? Math.min(Math.floor(t), n - 1) : greedy;
  const boundary = Math.abs(u - epsilon) <= 4 * uR * epsilon || (explore && Math.abs(t - Math.round(t)) <= 1e-5 * n);
  return { index, explore, boundary };
}

export async function epsilonGreedyParity(policy: Policy, obs: Float32Array, n: number, seed: number): Promise<SampledParity> {
  const meta = policy.info.metadata;
  const s = meta.sampling;
  if (!s) return { checked: false, reason: 'the model has no sampling head (exported with sampling "none")' };
  if (s.noise !== 'inputs') return { checked: false, reason: 'in-graph noise: action_sampled is not reproducible' };
  const A = meta.action_space.n;
  const D = policy.info.observationSize;
  const rng = new Rng(seed);
  const u = new Float32Array(n);
  for (let i = 0; i < n; i++) u[i] = Math.min(Math.fround(rng.uniform()), 1 - 2 ** -24);
  const f64 = meta.precision === 'float64';
  const rows = Array.from({ length: n }, (_, i) =>
    f64 ? Float64Array.from(obs.subarray(i * D, (i + 1) * D)) : obs.subarray(i * D, (i + 1) * D),
  );
  const res = await policy.outputs(rows, { mode: 'sample', noise: { u: f64 ? Float64Array.from(u) : u } });
  const grid = meta.action_space.kind === 'grid';
  const greedy = res.outputs[grid ? IO.actionIndex : IO.action]!.data;
  const sampled = res.outputs[grid ? IO.actionSampledIndex : IO.actionSampled]!.data;
  const eps = f64 ? s.epsilon! : Math.fround(s.epsilon!);
  let explored = 0;
  let agreement = 0;
  let ties = 0;
  let mismatches = 0;
  let first: string | undefined;
  for (let i = 0; i < n; i++) {
    const want = epsilonGreedyExpected(u[i]!, eps, A, Number(greedy[i]!), 2 ** -24);
    if (want.explore) explored++;
    const got = Number(sampled[i]!);
    if (got === want.index) agreement++;
    else if (want.boundary) ties++;
    else {
      mismatches++;
      first ??= `state ${i}: output ${grid ? IO.actionSampledIndex : IO.actionSampled}: ${got}, reference ${want.index} (ε-greedy with u = ${u[i]}, ε = ${eps}), tolerance 0 (exact, not at a float32 boundary)`;
    }
  }
  return {
    checked: true,
    epsilon: s.epsilon!,
    rows: n,
    explored,
    agreement,
    boundary_ties: ties,
    mismatches,
    ...(first !== undefined ? { first_mismatch: first } : {}),
  };
}
