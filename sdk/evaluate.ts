/**
 * Episode evaluation shared by training (greedy evaluation of the current Q) and `gmmrl eval`
 * (greedy evaluation of an exported policy through ONNX Runtime).
 */
import type { Env } from './envs/index.js';

export interface EpisodeStats {
  mean: number;
  std: number;
  returns: number[];
}

/** What an actor returns: a discrete action, or a continuous action vector (e.g. `policy.envAction`). */
export type EnvActionValue = number | ArrayLike<number>;

/**
 * Plays `episodes` episodes; episode e resets with seed `seed + e`. `act` may be synchronous or
 * return a promise (an ONNX Runtime policy); it returns what `env.step` takes: a number for a
 * discrete action space, an array of numbers for a Box (grid models: `policy.envAction`).
 * Returns the mean, the (population) std and every return.
 */
export async function runEpisodes(
  env: Env,
  act: (obs: Float32Array) => EnvActionValue | Promise<EnvActionValue>,
  episodes: number,
  seed: number,
): Promise<EpisodeStats> {
  const returns: number[] = [];
  for (let e = 0; e < episodes; e++) {
    let { obs } = env.reset({ seed: (seed + e) >>> 0 });
    let total = 0;
    for (;;) {
      const r = env.step(await act(obs));
      total += r.reward;
      obs = r.obs;
      if (r.terminated || r.truncated) break;
    }
    returns.push(total);
  }
  const mean = returns.reduce((a, b) => a + b, 0) / episodes;
  const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / episodes);
  return { mean, std, returns };
}
