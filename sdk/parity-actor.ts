/**
 * Parity for the actor families (mixture-actor, gamid-actor): prove that an exported ONNX file acts
 * like the checkpoint it came from, greedy and sampled, with identical noise.
 *
 * The checkpoint is evaluated by the float64 host reference (models/mixture-actor/params.ts,
 * models/gamid-actor/params.ts: the training code's own evaluation path) and the file by ONNX Runtime
 * through `gmmrl/runtime` (`policy.outputs`, mode 'sample' with the noise fed explicitly, so the
 * greedy outputs and the sampled ones come from one call). States: parity.ts's three kinds —
 * rollouts of the checkpoint's own sampled policy in its environment, uniform draws within the
 * observation bounds (offset ± 4·scale where a bound is infinite or huge) and states far outside
 * the data (offset ± 10–30·scale). Noise: u ~ U[0, 1) and ε ~ N(0, 1) per row from Rng(seed + 1),
 * rounded to the graph's precision before both sides see it.
 *
 * Tolerance (stated, tested in spec/sdk/parity-actor.spec.ts): every output entry must lie within
 * its worst-case rounding bound B of the float64 value — the graph's precision p has unit roundoff
 * u (2⁻²⁴ float32, 2⁻⁵³ float64):
 * - MLP outputs (trunk, component nets, critic): models/actor-critic/float32-bound.ts (first-order,
 *   any summation order), from the normalization on; the critic reads the component actions with
 *   their bound as input error.
 * - tanh, exp, softmax, scaling: |δ tanh(y)| ≤ |δy| + 8u, |δ exp(y)| ≤ e^y(|δy| + 8u), softmax
 *   weights |δw_k| ≤ w_k (e^{2 max_j B_j} − 1 + (K + 8)u), log_std = lo + h(tanh ρ + 1):
 *   h(B_ρ + 8u) + 8u(|lo| + |hi|), action = low + (a + 1)(high − low)/2: half·|δa| + 8u(|low| + |high|).
 *   The 8u terms allow a few ulps for each transcendental (ONNX Runtime's vectorized tanh/exp are
 *   not correctly rounded) and for either way of writing the scaling.
 * - components: the file's component must be the reference's, except where the reference itself is
 *   within the bound of a tie: greedy — two best logits (mixture) or Q values (gamid) closer than
 *   their bounds' sum; sampled — u within the weights' bound of a cumulative-weight boundary
 *   (mixture), u within 4u·ε of ε or u/ε·C within 1e-5·C of an integer (gamid). Such rows are
 *   counted as ties. For gamid the actions are then compared with the reference's action of the
 *   component the file chose (so a tie row is still checked to the bound); for the mixture the tie
 *   rows' actions are skipped.
 * `max_ratio_to_bound` reports max |Δ|/B per output: ≤ 1 passes.
 */
import { ShapeError, ValueError } from '../contract/errors.js';
import { loadPolicy } from '../runtime/index.node.js';
import { FAMILY } from '../contract/families.js';
import { IO, type SamplingSpec } from '../contract/metadata.js';
import { loadMixtureActorCheckpoint, loadGamidActorCheckpoint } from '../models/actor-critic/checkpoint.js';
import { mlpFloat32Bound, normalizationBound } from '../models/actor-critic/float32-bound.js';
import { mixtureActorSample } from '../models/mixture-actor/params.js';
import { argmax, gamidGreedy, type GamidActorParams } from '../models/gamid-actor/params.js';
import type { MlpParams } from '../models/actor-critic/mlp.js';
import { make } from './envs/index.js';
import { drawParityStates, stateKind } from './parity.js';
import { checkCheckpointEnv, checkSourceCheckpoint, readOnnxForVerify } from './families/checks.js';
import { epsilonGreedyExpected } from './parity-sampling.js';
import { Rng } from './util/rng.js';

export interface ActorParityOptions {
  /** Number of states (default 3000, split evenly over the three kinds). */
  states?: number;
  /** Seed for the states (default 0); the noise uses seed + 1. */
  seed?: number;
  /** Refuse a file that records no source checkpoint (default false; `gmmrl verify` sets it); another checkpoint's SHA-256 is always refused. */
  requireSource?: boolean;
}

export interface ActorParityReport {
  family: typeof FAMILY.mixtureActor | typeof FAMILY.gamidActor;
  precision: 'float32' | 'float64';
  /** 'inputs': sampled actions compared with identical noise; 'in-graph': not comparable (reported, not judged). */
  sampling_noise: 'inputs' | 'in-graph';
  states: { total: number; rollout: number; uniform: number; far: number };
  /** max |Δ| per output (file vs float64 reference). */
  max_abs_diff: Record<string, number>;
  /** max |Δ| / B per output; ≤ 1 passes. */
  max_ratio_to_bound: Record<string, number>;
  components: {
    greedy_agreement: number;
    greedy_ties: number;
    greedy_mismatches: number;
    sampled_agreement: number;
    sampled_ties: number;
    sampled_mismatches: number;
  };
  /** The file's action bounds and normalization are the checkpoint's (as float32/float64 values). */
  metadata_match: boolean;
  tolerance: Record<string, string>;
  execution_provider: string;
  pass: boolean;
  /** When pass is false: the first failure in one line (output, state index and kind, entry; value, reference, relative difference, tolerance). */
  failure?: string;
}

type Out = { dims: number[]; data: ArrayLike<number> };

const TOLERANCE = {
  outputs: '|Δ| ≤ B per entry: B = worst-case rounding bound of the graph op sequence at the graph precision (sdk/parity-actor.ts)',
  components: 'identical except rows within the bound of a tie (greedy) or of a sampling boundary (sampled), counted as ties',
};

const g = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(7))) : String(x));

class Judge {
  readonly maxAbs: Record<string, number> = {};
  readonly maxRatio: Record<string, number> = {};
  bad = 0;
  /** The first failure in one line: output, state (row), entry, value, reference, relative difference, tolerance. */
  first: string | undefined;
  constructor(private readonly kindOf: (row: number) => string) {}
  check(name: string, got: number, want: number, bound: number, row: number, entry: number): void {
    const d = Math.abs(got - want);
    const r = d / bound;
    this.maxAbs[name] = Math.max(this.maxAbs[name] ?? 0, Number.isFinite(d) ? d : Infinity);
    this.maxRatio[name] = Math.max(this.maxRatio[name] ?? 0, Number.isFinite(r) ? r : Infinity);
    if (!(r <= 1)) {
      this.bad++;
      this.first ??=
        `state ${row} (${this.kindOf(row)}): output ${name}, entry ${entry}: value ${g(got)} (ONNX Runtime), reference ${g(want)} (float64), ` +
        `relative difference ${g(d / Math.abs(want))}, |Δ| = ${g(d)} > tolerance B = ${g(bound)} (the rounding bound)`;
    }
  }
  /** Records a component mismatch (greedy or sampled) at `row`. */
  component(row: number, output: string, got: number, want: number): void {
    this.first ??= `state ${row} (${this.kindOf(row)}): output ${output}: component ${got} (ONNX Runtime), reference ${want} (float64), not within the bound of a tie, tolerance 0 (exact)`;
  }
}

function newComponentTally(): ActorParityReport['components'] {
  return { greedy_agreement: 0, greedy_ties: 0, greedy_mismatches: 0, sampled_agreement: 0, sampled_ties: 0, sampled_mismatches: 0 };
}

/** Half-ranges of the action box and the rounding slack of low + (a + 1)·half at unit roundoff uR. */
function boxScaling(p: { actionLow: Float64Array; actionHigh: Float64Array }, uR: number): { half: Float64Array; slack: Float64Array } {
  return {
    half: Float64Array.from(p.actionLow, (l, d) => 0.5 * (p.actionHigh[d]! - l)),
    slack: Float64Array.from(p.actionLow, (l, d) => 8 * uR * (Math.abs(l) + Math.abs(p.actionHigh[d]!))),
  };
}

function need(outputs: Record<string, Out>, name: string): ArrayLike<number> {
  const o = outputs[name];
  if (!o) throw new ShapeError(`verify: the model returned no ${JSON.stringify(name)} output.`);
  return o.data;
}

function sameValues(a: readonly number[], b: ArrayLike<number>, round: (x: number) => number): boolean {
  // the metadata holds either the checkpoint's value or the value the graph stores (rounded)
  return a.length === b.length && a.every((x, i) => x === b[i]! || x === round(b[i]!));
}

/** Noise rows u [n] ∈ [0, 1) and ε [n·A], rounded to the graph precision (u stays < 1 after rounding). */
function drawNoise(n: number, A: number, seed: number, round: (x: number) => number): { u: Float64Array; eps: Float64Array } {
  const rng = new Rng(seed);
  const u = new Float64Array(n);
  const eps = new Float64Array(n * A);
  for (let i = 0; i < n; i++) {
    let x = round(rng.uniform());
    if (x >= 1) x = round(1 - 2 ** -24);
    u[i] = x;
    for (let d = 0; d < A; d++) eps[i * A + d] = round(rng.normal());
  }
  return { u, eps };
}

/**
 * Runs the file on the states with noise drawn for its precision (sample mode with that noise when
 * it has noise inputs, greedy otherwise) and checks its action bounds and normalization against the
 * checkpoint's, as the graph stores them.
 */
async function runFile(
  onnx: string | Uint8Array,
  obs: Float32Array,
  p: { actionLow: Float64Array; actionHigh: Float64Array; obsOffset: Float64Array; obsScale: Float64Array },
  noiseSeed: number,
  source: { sha256: string; dir: string; required: boolean },
) {
  const bytes = readOnnxForVerify(onnx);
  const policy = await loadPolicy(bytes);
  try {
    checkSourceCheckpoint(policy.info.metadata.source_checkpoint_sha256, source.sha256, source.dir, onnx, source.required);
    const info = policy.info;
    const meta = info.metadata;
    const f64 = meta.precision === 'float64';
    const round = f64 ? (x: number) => x : Math.fround;
    const uR = f64 ? 2 ** -53 : 2 ** -24;
    const A = p.actionLow.length;
    const n = obs.length / info.observationSize;
    const { u, eps } = drawNoise(n, A, noiseSeed, round);
    const D = info.observationSize;
    const obsIn = f64 ? Float64Array.from(obs) : obs;
    const rows = Array.from({ length: n }, (_, i) => obsIn.subarray(i * D, (i + 1) * D));
    const inputsNoise = (meta.sampling as SamplingSpec).noise === 'inputs';
    const res = inputsNoise
      ? await policy.outputs(rows, {
          mode: 'sample',
          noise: { u: f64 ? u : Float32Array.from(u), eps: f64 ? eps : Float32Array.from(eps) },
        })
      : await policy.outputs(rows, { mode: 'greedy' });
    const boundsMatch =
      meta.action_space.kind === 'box' &&
      sameValues(meta.action_space.low, p.actionLow, round) &&
      sameValues(meta.action_space.high, p.actionHigh, round) &&
      sameValues(meta.normalization.offset, p.obsOffset, round) &&
      sameValues(meta.normalization.scale, p.obsScale, round);
    return { f64, uR, u, eps, outputs: res.outputs as Record<string, Out>, info, inputsNoise, boundsMatch };
  } finally {
    await policy.dispose();
  }
}

/** Parity of a mixture-actor checkpoint directory and an exported file. */
export async function verifyMixtureActorParity(
  ckptDir: string,
  onnx: string | Uint8Array,
  opts: ActorParityOptions = {},
): Promise<ActorParityReport> {
  const { n, seed } = checkOptions(opts);
  const ckpt = loadMixtureActorCheckpoint(ckptDir);
  checkCheckpointEnv(ckpt.config, ckptDir);
  const source = { sha256: ckpt.sha256, dir: ckptDir, required: opts.requireSource ?? false };
  const p = ckpt.actor;
  const { K, A } = p.head;
  const states = actorParityStates(
    ckpt.config.env_id,
    p,
    (o, rng) =>
      mixtureActorSample(
        p,
        o,
        rng.uniform(),
        [...Array(A)].map(() => rng.normal()),
      ),
    n,
    seed,
  );
  const { f64, uR, u, eps, outputs, info, inputsNoise, boundsMatch } = await runFile(onnx, states.obs, p, seed + 1, source);
  const metadataMatch = boundsMatch && info.metadata.components === K;

  const { z, err } = normalizationBound(states.obs, p.obsOffset, p.obsScale, n, uR);
  const trunk = mlpFloat32Bound(p.trunk, z, err, n, uR);
  const O = p.trunk.layers.at(-1)!;
  const nl = p.head.weights === 'learned' ? K : 0;
  const lo = p.head.logStdMin;
  const hi = p.head.logStdMax;
  const h = 0.5 * (hi - lo);
  const W = need(outputs, IO.weights);
  const M = need(outputs, IO.means);
  const LS = need(outputs, IO.logStd);
  const ACT = need(outputs, IO.action);
  const SMP = need(outputs, IO.actionSampled);
  const j = new Judge((row) => stateKind(row, states));
  const comp = newComponentTally();
  const { half, slack: scaleSlack } = boxScaling(p, uR);
  const w = new Float64Array(K);
  const wB = new Float64Array(K);
  for (let r = 0; r < n; r++) {
    const out = trunk.out.subarray(r * O, (r + 1) * O);
    const B = trunk.bound.subarray(r * O, (r + 1) * O);
    // weights
    let maxB = 0;
    let m = -Infinity;
    for (let k = 0; k < nl; k++) {
      maxB = Math.max(maxB, B[k]!);
      m = Math.max(m, out[k]!);
    }
    let sum = 0;
    for (let k = 0; k < K; k++) sum += w[k] = nl ? Math.exp(out[k]! - m) : 1;
    for (let k = 0; k < K; k++) {
      w[k]! /= sum;
      wB[k] = w[k]! * (Math.expm1(2 * maxB) + (K + 8) * uR) + 2 ** -126;
      j.check(IO.weights, W[r * K + k]!, w[k]!, wB[k]!, r, k);
    }
    for (let k = 0; k < K; k++) {
      for (let d = 0; d < A; d++) {
        const iu = nl + k * A + d;
        const ir = nl + K * A + k * A + d;
        j.check(IO.means, M[(r * K + k) * A + d]!, out[iu]!, B[iu]! + 2 ** -126, r, k * A + d);
        const ls = lo + h * (Math.tanh(out[ir]!) + 1);
        j.check(IO.logStd, LS[(r * K + k) * A + d]!, ls, h * (B[ir]! + 8 * uR) + 8 * uR * (Math.abs(lo) + Math.abs(hi)), r, k * A + d);
      }
    }
    // greedy component: the highest logit (first on ties); a tie when the runner-up is within the bounds
    const kg = nl ? argmax(out.subarray(0, K)) : 0;
    let greedyTie = false;
    for (let k = 0; k < nl; k++) if (k !== kg && out[kg]! - out[k]! <= B[kg]! + B[k]!) greedyTie = true;
    if (greedyTie) comp.greedy_ties++;
    else {
      comp.greedy_agreement++;
      for (let d = 0; d < A; d++) {
        const iu = nl + kg * A + d;
        const a = p.actionLow[d]! + (Math.tanh(out[iu]!) + 1) * half[d]!;
        j.check(IO.action, ACT[r * A + d]!, a, half[d]! * (B[iu]! + 8 * uR) + scaleSlack[d]!, r, d);
      }
    }
    if (!inputsNoise) continue;
    // sampled component: inverse CDF of the weights at u; a tie when u is within the bound of a boundary
    let c = 0;
    let cB = 0;
    let ks = K - 1;
    let boundary = false;
    for (let k = 0; k < K; k++) {
      c += w[k]!;
      cB += wB[k]! + 2 * uR * c;
      if (Math.abs(u[r]! - c) <= cB) boundary = true;
      if (u[r]! < c) {
        ks = k;
        break;
      }
    }
    if (boundary) {
      comp.sampled_ties++;
      continue;
    }
    comp.sampled_agreement++;
    for (let d = 0; d < A; d++) {
      const iu = nl + ks * A + d;
      const ir = nl + K * A + ks * A + d;
      const sigma = Math.exp(lo + h * (Math.tanh(out[ir]!) + 1));
      const e = eps[r * A + d]!;
      const x = out[iu]! + sigma * e;
      const bx =
        B[iu]! + sigma * Math.abs(e) * (h * (B[ir]! + 8 * uR) + 8 * uR * (Math.abs(lo) + Math.abs(hi)) + 8 * uR) + 4 * uR * Math.abs(x);
      const a = p.actionLow[d]! + (Math.tanh(x) + 1) * half[d]!;
      j.check(IO.actionSampled, SMP[r * A + d]!, a, half[d]! * (bx + 8 * uR) + scaleSlack[d]!, r, d);
    }
  }
  return report(FAMILY.mixtureActor, f64, inputsNoise, states, j, comp, metadataMatch, info.executionProvider);
}

/** Parity of a gamid-actor (or TD3) checkpoint directory and an exported file. */
export async function verifyGamidActorParity(
  ckptDir: string,
  onnx: string | Uint8Array,
  opts: ActorParityOptions = {},
): Promise<ActorParityReport> {
  const { n, seed } = checkOptions(opts);
  const ckpt = loadGamidActorCheckpoint(ckptDir);
  checkCheckpointEnv(ckpt.config, ckptDir);
  const source = { sha256: ckpt.sha256, dir: ckptDir, required: opts.requireSource ?? false };
  const p: GamidActorParams = ckpt.actor;
  const C = p.actors.length;
  const A = p.actionLow.length;
  const D = p.obsOffset.length;
  // rollouts: the greedy component with Gaussian exploration noise (σ = 0.3 of the half-range when the model's own is 0)
  const states = actorParityStates(
    ckpt.config.env_id,
    p,
    (o, rng) => {
      const a = gamidGreedy(p, o);
      const s = p.explorationStd > 0 ? p.explorationStd : 0.3;
      return a.map((x, d) =>
        Math.min(p.actionHigh[d]!, Math.max(p.actionLow[d]!, x + s * 0.5 * (p.actionHigh[d]! - p.actionLow[d]!) * rng.normal())),
      );
    },
    n,
    seed,
  );
  const { f64, uR, u, eps, outputs, info, inputsNoise, boundsMatch } = await runFile(onnx, states.obs, p, seed + 1, source);
  const s = info.metadata.sampling!;
  const metadataMatch = boundsMatch && info.metadata.components === C && s.epsilon === p.epsilon && s.exploration_std === p.explorationStd;
  const epsilon = f64 ? p.epsilon : Math.fround(p.epsilon);
  const sigma = p.explorationStd;

  const { z, err } = normalizationBound(states.obs, p.obsOffset, p.obsScale, n, uR);
  // component actions μ_i = tanh(m_i) and their bounds, then the critic on [z, μ_i] (rows r·C + i)
  const mu = new Float64Array(n * C * A);
  const muB = new Float64Array(n * C * A);
  for (let i = 0; i < C; i++) {
    const m = mlpFloat32Bound(p.actors[i] as MlpParams, z, err, n, uR);
    for (let r = 0; r < n; r++) {
      for (let d = 0; d < A; d++) {
        mu[(r * C + i) * A + d] = Math.tanh(m.out[r * A + d]!);
        muB[(r * C + i) * A + d] = m.bound[r * A + d]! + 8 * uR;
      }
    }
  }
  const { x, dx } = criticInputs(z, err, mu, muB, n, C, D, A);
  const critic = mlpFloat32Bound(p.critic, x, dx, n * C, uR);
  const Q = need(outputs, IO.q);
  const CA = need(outputs, IO.componentActions);
  const ACT = need(outputs, IO.action);
  const IDX = need(outputs, IO.actionIndex);
  const SMP = need(outputs, IO.actionSampled);
  const SIDX = need(outputs, IO.actionSampledIndex);
  const j = new Judge((row) => stateKind(row, states));
  const comp = newComponentTally();
  const { half, slack } = boxScaling(p, uR);
  const envOf = (a: number, d: number) => p.actionLow[d]! + (a + 1) * half[d]!;
  for (let r = 0; r < n; r++) {
    const q = critic.out.subarray(r * C, (r + 1) * C);
    const qB = critic.bound.subarray(r * C, (r + 1) * C);
    for (let i = 0; i < C; i++) {
      j.check(IO.q, Q[r * C + i]!, q[i]!, qB[i]!, r, i);
      for (let d = 0; d < A; d++) {
        const k = (r * C + i) * A + d;
        j.check(IO.componentActions, CA[k]!, envOf(mu[k]!, d), half[d]! * muB[k]! + slack[d]!, r, i * A + d);
      }
    }
    const g = argmax(q);
    const gf = Number(IDX[r]!);
    const isTie = (a: number, b: number) => Math.abs(q[a]! - q[b]!) <= qB[a]! + qB[b]!;
    if (!(gf >= 0 && gf < C)) {
      comp.greedy_mismatches++;
      j.component(r, IO.actionIndex, gf, g);
    } else {
      if (gf === g) comp.greedy_agreement++;
      else if (isTie(gf, g)) comp.greedy_ties++;
      else {
        comp.greedy_mismatches++;
        j.component(r, IO.actionIndex, gf, g);
      }
      for (let d = 0; d < A; d++) {
        const k = (r * C + gf) * A + d;
        j.check(IO.action, ACT[r * A + d]!, envOf(mu[k]!, d), half[d]! * muB[k]! + slack[d]!, r, d);
      }
    }
    if (!inputsNoise) continue;
    const { index: si, explore, boundary } = epsilonGreedyExpected(u[r]!, epsilon, C, g, uR);
    const sf = Number(SIDX[r]!);
    if (!(sf >= 0 && sf < C)) {
      comp.sampled_mismatches++;
      j.component(r, IO.actionSampledIndex, sf, si);
    } else {
      if (sf === si) comp.sampled_agreement++;
      else if (boundary || (!explore && isTie(sf, g))) comp.sampled_ties++;
      else {
        comp.sampled_mismatches++;
        j.component(r, IO.actionSampledIndex, sf, si);
      }
      for (let d = 0; d < A; d++) {
        const k = (r * C + sf) * A + d;
        const e = eps[r * A + d]!;
        const y = mu[k]! + sigma * e;
        const a = Math.min(1, Math.max(-1, y));
        const ab = muB[k]! + 4 * uR * (Math.abs(mu[k]!) + sigma * Math.abs(e));
        j.check(IO.actionSampled, SMP[r * A + d]!, envOf(a, d), half[d]! * ab + slack[d]!, r, d);
      }
    }
  }
  return report(FAMILY.gamidActor, f64, inputsNoise, states, j, comp, metadataMatch, info.executionProvider);
}

/**
 * The critic's inputs [z, μ_i] for every row r and component i (row r·C + i of [n·C, D + A]) with
 * their error bounds, from z / err [n, D] and μ / μB [n, C, A].
 */
export function criticInputs(
  z: ArrayLike<number>,
  err: ArrayLike<number>,
  mu: ArrayLike<number>,
  muB: ArrayLike<number>,
  n: number,
  C: number,
  D: number,
  A: number,
): { x: Float64Array; dx: Float64Array } {
  const x = new Float64Array(n * C * (D + A));
  const dx = new Float64Array(n * C * (D + A));
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < C; i++) {
      const o = (r * C + i) * (D + A);
      for (let k = 0; k < D; k++) {
        x[o + k] = z[r * D + k]!;
        dx[o + k] = err[r * D + k]!;
      }
      for (let d = 0; d < A; d++) {
        x[o + D + d] = mu[(r * C + i) * A + d]!;
        dx[o + D + d] = muB[(r * C + i) * A + d]!;
      }
    }
  }
  return { x, dx };
}

/** The parity states of an actor checkpoint in `envId` (identity features; rollouts act by `rolloutAction`). */
function actorParityStates(
  envId: string,
  p: { obsOffset: Float64Array; obsScale: Float64Array },
  rolloutAction: Parameters<typeof drawParityStates>[0]['rolloutAction'],
  n: number,
  seed: number,
): ReturnType<typeof drawParityStates> {
  return drawParityStates({
    env: make(envId),
    A: 1,
    features: 'identity',
    offset: p.obsOffset,
    scale: p.obsScale,
    greedy: () => 0,
    rolloutAction,
    n,
    seed,
  });
}

function checkOptions(opts: ActorParityOptions): { n: number; seed: number } {
  const n = opts.states ?? 3000;
  if (!Number.isInteger(n) || n < 3) throw new ShapeError(`verify: states = ${n}; expected an integer ≥ 3 (default 3000).`);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32 - 1)
    throw new ValueError(`verify: seed = ${seed}; expected an integer in [0, 2³² − 2].`);
  return { n, seed };
}

function report(
  family: ActorParityReport['family'],
  f64: boolean,
  inputsNoise: boolean,
  states: { rollout: number; uniform: number; far: number },
  j: Judge,
  comp: ActorParityReport['components'],
  metadataMatch: boolean,
  ep: string,
): ActorParityReport {
  const total = states.rollout + states.uniform + states.far;
  const pass = j.bad === 0 && comp.greedy_mismatches === 0 && comp.sampled_mismatches === 0 && metadataMatch;
  const failure = pass
    ? undefined
    : (j.first ??
      "metadata: the file's action bounds, normalization, component count or sampling settings are not the checkpoint's (tolerance: equal as stored at the graph precision)");
  return {
    family,
    precision: f64 ? 'float64' : 'float32',
    sampling_noise: inputsNoise ? 'inputs' : 'in-graph',
    states: { total, rollout: states.rollout, uniform: states.uniform, far: states.far },
    max_abs_diff: j.maxAbs,
    max_ratio_to_bound: j.maxRatio,
    components: comp,
    metadata_match: metadataMatch,
    tolerance: {
      ...TOLERANCE,
      ...(inputsNoise ? {} : { sampled: 'in-graph noise: action_sampled is not reproducible and is not compared' }),
    },
    execution_provider: ep,
    pass,
    ...(failure !== undefined ? { failure } : {}),
  };
}
