/**
 * Toy-v0, the environment of the ARCHITECTURE.md walkthrough ("Adding things"), written as a user
 * outside the repository writes one: it imports only the public entry `gmmrl/envs`.
 *
 * A chain of `length` cells (default 7). The agent starts on a cell drawn uniformly from
 * [0, length − 2] and moves left (action 0) or right (action 1); walking into the left wall keeps
 * it on cell 0. Reaching the last cell ends the episode (terminated) with reward +1; every other
 * step costs −0.05. Time limit 30 steps. From cell c the best return is 1 − 0.05 (length − 2 − c);
 * a policy that never reaches the target returns −1.5.
 *
 * Observation: one-hot of the position, Box([0…], [1…]) of shape [length]. Internal state:
 * [position].
 */
import {
  ClassicControlEnv,
  ValueError,
  describeValue,
  discrete,
  float32Box,
  registerEnv,
  type BaseEnvOptions,
  type EnvDefinition,
  type Rng,
} from 'gmmrl/envs';

export const TOY_ID = 'Toy-v0';
export const TOY_STEP_COST = 0.05;
export const TOY_TIME_LIMIT = 30;

export interface ToyOptions extends BaseEnvOptions {
  /** Number of cells, an integer in [2, 64] (default 7). */
  length?: number;
}

/** The definition of Toy-v0 with `length` cells. */
export function toyDefinition(length: number): EnvDefinition {
  return Object.freeze({
    id: TOY_ID,
    observationSpace: float32Box(new Array<number>(length).fill(0), new Array<number>(length).fill(1)),
    actionSpace: discrete(2),
    maxEpisodeSteps: TOY_TIME_LIMIT,
    rewardThreshold: 1 - TOY_STEP_COST * (length - 2),
    stateLabels: Object.freeze(['position']),
  });
}

export class ToyEnv extends ClassicControlEnv<number> {
  readonly length: number;

  constructor(options: ToyOptions = {}) {
    const { length = 7, ...base } = options;
    if (!Number.isSafeInteger(length) || length < 2 || length > 64) {
      throw new ValueError(`${TOY_ID}: option length must be an integer in [2, 64]; got ${describeValue(length)}.`);
    }
    super(toyDefinition(length), base);
    this.length = length;
  }

  protected sampleInitialState(rng: Rng, out: Float64Array): void {
    out[0] = rng.integer(this.length - 1);
  }

  protected transition(action: number): { reward: number; terminated: boolean } {
    const next = Math.max(0, this.s[0]! + (action === 1 ? 1 : -1));
    this.s[0] = next;
    const terminated = next === this.length - 1;
    return { reward: terminated ? 1 : -TOY_STEP_COST, terminated };
  }

  protected observe(): Float32Array {
    const obs = new Float32Array(this.length);
    obs[this.s[0]!] = 1;
    return obs;
  }
}

/** Registers Toy-v0 (with its extra option `length`): `make('Toy-v0')` and every trainer then know it. */
export function registerToyEnv(): void {
  registerEnv({ id: TOY_ID, create: (o) => new ToyEnv(o), extraOptions: ['length'] });
}
