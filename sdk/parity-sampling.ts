/**
 * The sampled mode of the Q-function families in parity (gmmqf, dqn): the file's ε-greedy
 * `action_sampled` for identical noise u (runtime/metadata.ts, sampling kind "epsilon-greedy"):
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
import { IO } from '../runtime/metadata.js';
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
  const rows = Array.from({ length: n }, (_, i) => (f64 ? Float64Array.from(obs.subarray(i * D, (i + 1) * D)) : obs.subarray(i * D, (i + 1) * D)));
  const res = await policy.outputs(rows, { mode: 'sample', noise: { u: f64 ? Float64Array.from(u) : u } });
  const grid = meta.action_space.kind === 'grid';
  const greedy = res.outputs[grid ? IO.actionIndex : IO.action]!.data;
  const sampled = res.outputs[grid ? IO.actionSampledIndex : IO.actionSampled]!.data;
  const eps = f64 ? s.epsilon! : Math.fround(s.epsilon!);
  let explored = 0;
  let agreement = 0;
  let ties = 0;
  let mismatches = 0;
  for (let i = 0; i < n; i++) {
    const x = u[i]!;
    const explore = x < eps;
    if (explore) explored++;
    const t = (x / eps) * A;
    const want = explore ? Math.min(Math.floor(t), A - 1) : Number(greedy[i]!);
    const got = Number(sampled[i]!);
    if (got === want) agreement++;
    else if (Math.abs(x - eps) <= 4 * 2 ** -24 * eps || (explore && Math.abs(t - Math.round(t)) <= 1e-5 * A)) ties++;
    else mismatches++;
  }
  return { checked: true, epsilon: s.epsilon!, rows: n, explored, agreement, boundary_ties: ties, mismatches };
}
