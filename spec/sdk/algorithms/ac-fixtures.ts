/** A random normalized minibatch for the actor-critic learner specs (obs [B, D], actions in [−1, 1]^A, 10 % terminal). */
import { Rng } from '../../../sdk/util/rng.js';
import type { NormalizedBatch } from '../../../sdk/algorithms/actor-critic.js';

export function randomNormalizedBatch(rng: Rng, B: number, D: number, A: number): NormalizedBatch {
  const f = (n: number, g: () => number) => Float32Array.from({ length: n }, g);
  return {
    size: B,
    obs: f(B * D, () => rng.normal()),
    nextObs: f(B * D, () => rng.normal()),
    actions: f(B * A, () => rng.uniformRange(-1, 1)),
    rewards: f(B, () => rng.normal()),
    notDone: f(B, () => (rng.uniform() < 0.9 ? 1 : 0)),
  };
}
