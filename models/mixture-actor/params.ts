/**
 * A trained mixture actor (the SAC family's policy) as plain float64 data, with its reference
 * forward pass: what checkpoints store, what exporters translate and what parity checks compare.
 *
 *   z = (s − obsOffset) / obsScale;  out = MLP(z) [headOutputSize];  head = parseHead(out)
 *   greedy a = tanh(μ_k*) (k* the highest weight);  env action = low + (a + 1)(high − low)/2
 */
import { ShapeError, ValueError } from '../../contract/errors.js';
import { checkMlp, mlpForward, type MlpParams } from '../actor-critic/mlp.js';
import {
  checkHeadSpec,
  greedyAction,
  headOutputSize,
  parseHead,
  sampleAction,
  scaleAction,
  type MixtureHeadSpec,
  type MixtureHeadValues,
} from './head.js';

export interface MixtureActorParams {
  readonly head: MixtureHeadSpec;
  /** [D, hidden…, headOutputSize(head)] */
  readonly trunk: MlpParams;
  readonly obsOffset: Float64Array;
  readonly obsScale: Float64Array;
  /** Environment action bounds [A] each (finite). */
  readonly actionLow: Float64Array;
  readonly actionHigh: Float64Array;
}

export function checkMixtureActor(p: MixtureActorParams, where: string): void {
  checkHeadSpec(p.head, where);
  checkMlp(p.trunk, `${where}: trunk`);
  const D = p.trunk.layers[0]!;
  const out = p.trunk.layers.at(-1)!;
  if (out !== headOutputSize(p.head)) {
    throw new ShapeError(
      `${where}: the trunk outputs ${out} numbers but a head with K = ${p.head.K}, A = ${p.head.A}, ${p.head.weights} weights needs ${headOutputSize(p.head)}.`,
    );
  }
  for (const [name, arr, len] of [
    ['obsOffset', p.obsOffset, D],
    ['obsScale', p.obsScale, D],
    ['actionLow', p.actionLow, p.head.A],
    ['actionHigh', p.actionHigh, p.head.A],
  ] as const) {
    if (!(arr instanceof Float64Array) || arr.length !== len)
      throw new ShapeError(
        `${where}: ${name} must be a Float64Array of length ${len}; got length ${(arr as { length?: number })?.length}.`,
      );
    for (let i = 0; i < len; i++)
      if (!Number.isFinite(arr[i]!)) throw new ValueError(`${where}: ${name}[${i}] is ${arr[i]}; it must be finite.`);
  }
  for (let j = 0; j < D; j++)
    if (!(p.obsScale[j]! > 0)) throw new ValueError(`${where}: obsScale[${j}] = ${p.obsScale[j]}; every scale must be > 0.`);
  for (let d = 0; d < p.head.A; d++) {
    if (!(p.actionLow[d]! < p.actionHigh[d]!))
      throw new ValueError(`${where}: action bounds [${p.actionLow[d]}, ${p.actionHigh[d]}] of entry ${d} need low < high.`);
  }
}

/** The head's values for one raw observation [D] (float64). */
export function mixtureActorHead(p: MixtureActorParams, obs: ArrayLike<number>): MixtureHeadValues {
  const D = p.obsOffset.length;
  if (obs.length !== D) throw new ShapeError(`mixture actor: observation has length ${obs.length}, expected ${D}.`);
  const z = Float64Array.from({ length: D }, (_, j) => (obs[j]! - p.obsOffset[j]!) / p.obsScale[j]!);
  return parseHead(p.head, mlpForward(p.trunk, z, 1));
}

/** Greedy environment action for one raw observation. */
export function mixtureActorGreedy(p: MixtureActorParams, obs: ArrayLike<number>): Float64Array {
  return scaleAction(greedyAction(p.head, mixtureActorHead(p, obs)), p.actionLow, p.actionHigh);
}

/** Sampled environment action from noise (uniform u ∈ [0,1) for the component, ε [A]). */
export function mixtureActorSample(p: MixtureActorParams, obs: ArrayLike<number>, u: number, eps: ArrayLike<number>): Float64Array {
  return scaleAction(sampleAction(p.head, mixtureActorHead(p, obs), u, eps).a, p.actionLow, p.actionHigh);
}
