/**
 * The environment side of the online trainers' loop (DQN and the actor-critics): step, store the
 * transition, count steps and episodes, reset with a seed from the run's Rng, and keep the returns of
 * the last finished training episodes for the progress line.
 *
 * Time-limit truncation is not termination: the stored s' is the real final observation and the
 * stored terminal flag is `terminated` only, so targets bootstrap through time limits (Gymnasium
 * semantics). Reset seeds are drawn from `rng` at construction and after every episode, in that order.
 */
import type { Env, StepResult } from './envs/index.js';
import type { ReplayBuffer } from './replay.js';
import type { Rng } from './util/rng.js';

/** The collector's counters, current observation and recent returns (a training snapshot keeps them). */
export interface EpisodeCollectorState {
  envSteps: number;
  episodes: number;
  obs: Float32Array;
  episodeReturn: number;
  recent: number[];
}

export class EpisodeCollector {
  /** Environment steps taken so far. */
  envSteps = 0;
  /** Finished training episodes. */
  episodes = 0;
  /** The current observation (the next transition's s). */
  obs: Float32Array;
  private episodeReturn = 0;
  private readonly recent: number[] = [];

  constructor(
    private readonly env: Env,
    private readonly buffer: ReplayBuffer,
    private readonly rng: Rng,
    /** How many finished episodes `recentReturnMean` averages. */
    private readonly window = 10,
  ) {
    this.obs = env.reset({ seed: rng.nextSeed() }).obs;
  }

  /** Steps with `envAction`, stores (s, `stored`, r, s', terminated), resets at the episode's end. */
  step(envAction: number | ArrayLike<number>, stored: number | ArrayLike<number>): StepResult {
    const r = this.env.step(envAction);
    this.buffer.push(this.obs, stored, r.reward, r.obs, r.terminated);
    this.envSteps++;
    this.episodeReturn += r.reward;
    if (r.terminated || r.truncated) {
      this.episodes++;
      this.recent.push(this.episodeReturn);
      if (this.recent.length > this.window) this.recent.shift();
      this.episodeReturn = 0;
      this.obs = this.env.reset({ seed: this.rng.nextSeed() }).obs;
    } else this.obs = r.obs;
    return r;
  }

  /** A copy of the counters, the current observation and the recent returns (the environment's own state is separate). */
  saveState(): EpisodeCollectorState {
    return {
      envSteps: this.envSteps,
      episodes: this.episodes,
      obs: this.obs.slice(),
      episodeReturn: this.episodeReturn,
      recent: [...this.recent],
    };
  }

  /** Continues from `saveState()` (after the environment's own state has been restored). */
  restoreState(st: EpisodeCollectorState): void {
    this.envSteps = st.envSteps;
    this.episodes = st.episodes;
    this.obs = st.obs.slice();
    this.episodeReturn = st.episodeReturn;
    this.recent.length = 0;
    this.recent.push(...st.recent);
  }

  /** Mean return of the last (up to) `window` finished episodes; NaN before the first. */
  get recentReturnMean(): number {
    return this.recent.length ? this.recent.reduce((x, y) => x + y, 0) / this.recent.length : NaN;
  }
}
