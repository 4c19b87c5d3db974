/**
 * `toy`, the algorithm of the ARCHITECTURE.md walkthrough ("Adding things"), written as a user
 * outside the repository writes one: it imports only the public entries `gmmrl` and `gmmrl/envs`.
 * Top to bottom, the pieces every algorithm has:
 *
 *   spec table  TOY_SPEC: every config field once (kind, default or rule, range, doc); the
 *               defaults, validation, `gmmrl train toy` flags and `--help` all come from it
 *   learner     LinearQLearner: owns the parameters and performs one update
 *   loop        trainToy: resolveConfig → act ε-greedily → update → evaluate (BestTracker) → result
 *   entry       TOY_ENTRY for registerAlgorithm: title, train, save, summary
 *
 * The method: Q-learning with a linear Q-function q(s) = s W + b (one weight column per discrete
 * action), the semi-gradient TD(0) update
 *   δ = r + γ (1 − terminated) max_a' q(s', a') − q(s, a),   W[:, a] += α δ s,   b[a] += α δ
 * (Sutton & Barto, "Reinforcement Learning: An Introduction", 2nd ed., §6.5 and §10.1). On a one-hot
 * observation (Toy-v0) it is tabular Q-learning. A linear Q-function is a DQN network without
 * hidden layers ([D, A], obs offset 0, scale 1), so the run is saved through the DQN model family
 * and `gmmrl export` / `gmmrl verify` / `gmmrl eval` work on it unchanged: no model family to add.
 */
import {
  BestTracker,
  EVAL_EPISODES_FIELD,
  KEEP_BEST_FIELD,
  Rng,
  SEED_FIELD,
  defineSpec,
  evaluationSeed,
  fields,
  resolveConfig,
  rule,
  runEpisodes,
  saveDqnCheckpoint,
  spaceToJson,
  type ConfigOf,
  type DqnParams,
  type TrainEntry,
} from 'gmmrl';
import { flatSize, make, type Env } from 'gmmrl/envs';

// ---- spec table ---------------------------------------------------------------------------------

export const TOY_SPEC = defineSpec(
  'toy',
  {
    env: fields.string({ doc: 'environment id (discrete actions; see gmmrl envs)', default: 'Toy-v0' }),
    steps: fields.int({ doc: 'environment steps', default: 3000, min: 1 }),
    seed: SEED_FIELD,
    learningRate: fields.number({ doc: 'step size α of the TD update', default: 0.5, gt: 0, max: 1 }),
    gamma: fields.number({ doc: 'discount factor γ', default: 0.95, min: 0, lt: 1 }),
    epsilon: fields.number({ doc: 'ε of the ε-greedy behaviour policy', default: 0.2, min: 0, max: 1 }),
    evalEvery: fields.int({
      doc: 'environment steps between greedy evaluations',
      default: rule('max(1, steps/10)', (c) => (typeof c['steps'] === 'number' ? Math.max(1, Math.floor(c['steps'] / 10)) : undefined)),
      min: 1,
    }),
    evalEpisodes: EVAL_EPISODES_FIELD,
    keepBest: KEEP_BEST_FIELD,
  },
  [
    (c, x) => {
      if (make(c.env).actionSpace.kind !== 'discrete') x.fail('env', 'an environment with discrete actions (gmmrl envs lists them)');
    },
  ],
);

export type ToyConfig = ConfigOf<typeof TOY_SPEC.fields>;

// ---- learner ------------------------------------------------------------------------------------

/** A linear Q-function q(s) = s W + b and its TD(0) update. */
export class LinearQLearner {
  /** W, [D, A] row-major (the DQN layout: input index major). */
  readonly weights: Float64Array;
  readonly biases: Float64Array;

  constructor(
    readonly D: number,
    readonly A: number,
    readonly learningRate: number,
    readonly gamma: number,
  ) {
    this.weights = new Float64Array(D * A);
    this.biases = new Float64Array(A);
  }

  /** q(s, ·), A values. */
  q(obs: ArrayLike<number>): Float64Array {
    const out = Float64Array.from(this.biases);
    for (let i = 0; i < this.D; i++) {
      const s = obs[i]!;
      if (s !== 0) for (let a = 0; a < this.A; a++) out[a]! += s * this.weights[i * this.A + a]!;
    }
    return out;
  }

  /** The greedy action (ties to the lowest index). */
  greedy(obs: ArrayLike<number>): number {
    const q = this.q(obs);
    let best = 0;
    for (let a = 1; a < this.A; a++) if (q[a]! > q[best]!) best = a;
    return best;
  }

  /** One TD(0) update on (s, a, r, s', terminated); returns the TD error δ. */
  update(obs: ArrayLike<number>, action: number, reward: number, next: ArrayLike<number>, terminated: boolean): number {
    const target = reward + (terminated ? 0 : this.gamma * Math.max(...this.q(next)));
    const delta = target - this.q(obs)[action]!;
    const step = this.learningRate * delta;
    for (let i = 0; i < this.D; i++) this.weights[i * this.A + action]! += step * obs[i]!;
    this.biases[action]! += step;
    return delta;
  }

  /** A copy of the parameters as a DQN network without hidden layers (no normalization). */
  params(): DqnParams {
    return {
      layers: [this.D, this.A],
      weights: [this.weights.slice()],
      biases: [this.biases.slice()],
      obsOffset: new Float64Array(this.D),
      obsScale: new Float64Array(this.D).fill(1),
    };
  }
}

// ---- loop ---------------------------------------------------------------------------------------

/** One row per evaluation (metrics.csv; curve.svg plots eval_return_mean against env_steps). */
export interface ToyEvalRow {
  evaluation: number;
  env_steps: number;
  episodes: number;
  /** Mean |δ| over the updates since the previous evaluation. */
  mean_abs_td: number;
  eval_return_mean: number;
  eval_return_std: number;
}

export interface ToyResult {
  /** The best-evaluated parameters (the last ones when keepBest is false). */
  params: DqnParams;
  bestEvalReturn: number;
  bestStep: number;
  log: ToyEvalRow[];
  config: ToyConfig;
  env: Env;
}

export interface ToyHooks {
  progress?: (line: string) => void;
  onEvaluation?: (row: ToyEvalRow) => void;
}

/** Trains the linear Q-function; `trainToy(c)` and `gmmrl train toy` with the same settings are the same run. */
export async function trainToy(partial: Partial<ToyConfig> = {}, hooks: ToyHooks = {}): Promise<ToyResult> {
  const cfg: ToyConfig = resolveConfig(TOY_SPEC, partial);
  const env = make(cfg.env);
  const evalEnv = make(cfg.env);
  const A = env.actionSpace.kind === 'discrete' ? env.actionSpace.n : 0; // the spec's check refused a Box
  const learner = new LinearQLearner(flatSize(env.observationSpace), A, cfg.learningRate, cfg.gamma);
  const tracker = new BestTracker(learner.params());
  const rng = new Rng(cfg.seed);
  const log: ToyEvalRow[] = [];
  let { obs } = env.reset({ seed: rng.nextSeed() });
  let episodes = 0;
  let tdSum = 0;
  let tdCount = 0;
  for (let t = 1; t <= cfg.steps; t++) {
    const action = rng.uniform() < cfg.epsilon ? rng.integer(A) : learner.greedy(obs);
    const r = env.step(action);
    tdSum += Math.abs(learner.update(obs, action, r.reward, r.obs, r.terminated));
    tdCount += 1;
    obs = r.obs;
    if (r.terminated || r.truncated) {
      episodes += 1;
      obs = env.reset().obs;
    }
    if (t % cfg.evalEvery === 0 || t === cfg.steps) {
      const k = log.length + 1;
      const ev = await runEpisodes(evalEnv, (o) => learner.greedy(o), cfg.evalEpisodes, evaluationSeed(cfg.seed, k));
      const row: ToyEvalRow = {
        evaluation: k,
        env_steps: t,
        episodes,
        mean_abs_td: tdSum / tdCount,
        eval_return_mean: ev.mean,
        eval_return_std: ev.std,
      };
      tdSum = 0;
      tdCount = 0;
      log.push(row);
      const best = tracker.offer(ev.mean, k, t, () => learner.params());
      hooks.onEvaluation?.(row);
      hooks.progress?.(`step ${t}: greedy return ${ev.mean.toFixed(3)} ± ${ev.std.toFixed(3)}${best ? ' (best)' : ''}`);
    }
  }
  return {
    params: tracker.pick(cfg.keepBest, learner.params()),
    bestEvalReturn: tracker.bestReturn,
    bestStep: tracker.bestStep,
    log,
    config: cfg,
    env,
  };
}

// ---- entry --------------------------------------------------------------------------------------

/** `gmmrl train toy`, once registered with registerAlgorithm(TOY_ENTRY). */
export const TOY_ENTRY: TrainEntry<ToyConfig, ToyResult> = {
  name: 'toy',
  description: 'linear Q-learning (the ARCHITECTURE.md walkthrough; saved as a DQN without hidden layers)',
  spec: TOY_SPEC,
  exampleOut: 'runs/toy',
  title: (c) => `toy Q-learning on ${c.env} (seed ${c.seed})`,
  train: (c, h) => trainToy(c, { progress: h.progress, onEvaluation: (row) => h.onRow({ ...row }) }),
  async save(dir, r) {
    const info = {
      observation_space: spaceToJson(r.env.observationSpace),
      action_space: spaceToJson(r.env.actionSpace),
      env_id: r.config.env,
      training: {
        algorithm: 'toy-q-learning',
        ...r.config,
        env_steps: r.log.at(-1)?.env_steps ?? 0,
        best_step: r.bestStep,
        best_eval_return: r.bestEvalReturn,
      },
      backend: 'js-float64',
    };
    return { info, sha: saveDqnCheckpoint(dir, r.params, info) };
  },
  summary: (r, c) => `trained toy on ${c.env}: ${c.steps} steps; best greedy return ${r.bestEvalReturn.toFixed(3)} (step ${r.bestStep})`,
  bestReturn: (r) => r.bestEvalReturn,
};
