/**
 * A trained Gamid actor ([Gamid-PG]) as plain float64 data, with its reference forward pass; TD3's
 * actor is the N = 1 case. N deterministic component networks μ_i (each an MLP
 * [D, hidden…, A] followed by tanh, on the policy scale (−1, 1)^A) and the critic Q₁ that scores them:
 *
 *   z = (s − obsOffset) / obsScale;  μ_i = tanh(MLP_i(z));  q_i = Q₁([z, μ_i])
 *   greedy: μ_i* with i* = argmax_i q_i (the lowest index on a tie);  env action = low + (a + 1)(high − low)/2
 *   sampled: with probability 1 − ε the greedy component, else a uniformly random one; then
 *            a = clip(μ_i + σ ξ, −1, 1), ξ ~ N(0, I)
 */
import { ShapeError, ValueError } from '../../contract/errors.js';
import { checkMlp, mlpForward, type MlpParams } from '../actor-critic/mlp.js';
import { scaleAction } from '../mixture-actor/head.js';
import { argmaxFirst, epsilonGreedyIndex } from '../sampling.js';

export interface GamidActorParams {
  /** Component networks [D, hidden…, A] (N ≥ 1). */
  readonly actors: readonly MlpParams[];
  /** The scoring critic Q₁ [D + A, hidden…, 1]. */
  readonly critic: MlpParams;
  readonly obsOffset: Float64Array;
  readonly obsScale: Float64Array;
  readonly actionLow: Float64Array;
  readonly actionHigh: Float64Array;
  /** Exploration noise σ on the policy scale and the ε of the ε-greedy component choice, as trained last. */
  readonly explorationStd: number;
  readonly epsilon: number;
}

export function checkGamidActor(p: GamidActorParams, where: string): void {
  if (!Array.isArray(p.actors) || p.actors.length < 1)
    throw new ValueError(`${where}: actors must hold at least one network; got ${p.actors?.length}.`);
  p.actors.forEach((a, i) => checkMlp(a, `${where}: actor ${i}`));
  checkMlp(p.critic, `${where}: critic`);
  const D = p.actors[0]!.layers[0]!;
  const A = p.actors[0]!.layers.at(-1)!;
  for (const [i, a] of p.actors.entries()) {
    if (a.layers.join() !== p.actors[0]!.layers.join())
      throw new ShapeError(
        `${where}: actor ${i} has layers [${a.layers}] but actor 0 has [${p.actors[0]!.layers}]; all components share one shape.`,
      );
  }
  if (p.critic.layers[0] !== D + A || p.critic.layers.at(-1) !== 1)
    throw new ShapeError(`${where}: the critic's layers [${p.critic.layers}] must start at D + A = ${D + A} and end at 1.`);
  for (const [name, arr, len] of [
    ['obsOffset', p.obsOffset, D],
    ['obsScale', p.obsScale, D],
    ['actionLow', p.actionLow, A],
    ['actionHigh', p.actionHigh, A],
  ] as const) {
    if (!(arr instanceof Float64Array) || arr.length !== len)
      throw new ShapeError(`${where}: ${name} must be a Float64Array of length ${len}.`);
    for (let i = 0; i < len; i++)
      if (!Number.isFinite(arr[i]!)) throw new ValueError(`${where}: ${name}[${i}] is ${arr[i]}; it must be finite.`);
  }
  for (let j = 0; j < D; j++)
    if (!(p.obsScale[j]! > 0)) throw new ValueError(`${where}: obsScale[${j}] = ${p.obsScale[j]}; every scale must be > 0.`);
  if (!(Number.isFinite(p.explorationStd) && p.explorationStd >= 0))
    throw new ValueError(`${where}: explorationStd = ${p.explorationStd}; expected a finite number ≥ 0.`);
  if (!(p.epsilon >= 0 && p.epsilon <= 1)) throw new ValueError(`${where}: epsilon = ${p.epsilon}; expected a number in [0, 1].`);
}

/** Component actions μ_i [N·A] (policy scale) and their scores q_i [N] for a normalized observation z [D]. */
export function gamidComponents(
  actors: readonly MlpParams[],
  critic: MlpParams,
  z: ArrayLike<number>,
): { mu: Float64Array; q: Float64Array } {
  const N = actors.length;
  const A = actors[0]!.layers.at(-1)!;
  const D = z.length;
  const mu = new Float64Array(N * A);
  const x = new Float64Array(N * (D + A));
  for (let i = 0; i < N; i++) {
    const m = mlpForward(actors[i]!, z, 1);
    for (let d = 0; d < A; d++) mu[i * A + d] = Math.tanh(m[d]!);
    for (let j = 0; j < D; j++) x[i * (D + A) + j] = z[j]!;
    for (let d = 0; d < A; d++) x[i * (D + A) + D + d] = mu[i * A + d]!;
  }
  return { mu, q: mlpForward(critic, x, N) };
}

/** argmax with the lowest index on a tie (models/sampling.ts). */
export const argmax = argmaxFirst;

export function normalizeObs(p: Pick<GamidActorParams, 'obsOffset' | 'obsScale'>, obs: ArrayLike<number>): Float64Array {
  if (obs.length !== p.obsOffset.length)
    throw new ShapeError(`gamid actor: observation has length ${obs.length}, expected ${p.obsOffset.length}.`);
  return Float64Array.from({ length: obs.length }, (_, j) => (obs[j]! - p.obsOffset[j]!) / p.obsScale[j]!);
}

/** Greedy environment action for one raw observation. */
export function gamidGreedy(p: GamidActorParams, obs: ArrayLike<number>): Float64Array {
  const { mu, q } = gamidComponents(p.actors, p.critic, normalizeObs(p, obs));
  const A = p.actionLow.length;
  const i = argmax(q);
  return scaleAction(mu.subarray(i * A, (i + 1) * A), p.actionLow, p.actionHigh);
}

/**
 * Sampled environment action for one raw observation from noise: u ∈ [0, 1) picks the component
 * ε-greedily (models/sampling.ts: u < ε ? min(floor(u/ε·C), C − 1) : argmax_i q_i, ε = p.epsilon),
 * eps [A] standard normal; a = clip(μ_index + σ·eps, −1, 1) with σ = p.explorationStd, and the
 * environment action low + (a + 1)(high − low)/2. Returns the component index and that action.
 */
export function gamidSample(
  p: GamidActorParams,
  obs: ArrayLike<number>,
  u: number,
  eps: ArrayLike<number>,
): { index: number; action: Float64Array } {
  const A = p.actionLow.length;
  if (eps?.length !== A) throw new ShapeError(`gamidSample: eps must hold A = ${A} standard normal numbers, got ${eps?.length}.`);
  const { mu, q } = gamidComponents(p.actors, p.critic, normalizeObs(p, obs));
  const index = epsilonGreedyIndex(q, u, p.epsilon);
  const a = new Float64Array(A);
  for (let d = 0; d < A; d++) a[d] = Math.min(1, Math.max(-1, mu[index * A + d]! + p.explorationStd * eps[d]!));
  return { index, action: scaleAction(a, p.actionLow, p.actionHigh) };
}
