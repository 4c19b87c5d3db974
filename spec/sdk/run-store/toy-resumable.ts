/**
 * `toyr`: the walkthrough's linear Q-learning (spec/architecture/toy-algorithm.ts) with the full
 * TrainControl seam, so the run-directory specs can test checkpoint generations, signals and
 * --resume from the command side before every built-in loop has them. Resuming is exact: the
 * randomness is a hash of (seed, step) rather than a stream, the episode's position and step count
 * are part of the state, so a run stopped and resumed trains bit for bit the parameters an
 * uninterrupted run trains.
 *
 * Test-only fields: pauseMs (a pause after each evaluation, so a run lasts long enough to be
 * signalled or killed at random times) and ignoreStop (a loop that does not poll stopRequested, for
 * the second-signal test).
 */
import { FAMILY } from '../../../contract/families.js';
import { qInputFields } from '../../../models/checkpoint-files.js';
import { saveDqnCheckpoint } from '../../../models/dqn/checkpoint.js';
import { DQN_ACTIVATION, DQN_FORMULA, dqnParameterCount, type DqnParams } from '../../../models/dqn/params.js';
import type { NamedTensor } from '../../../models/safetensors.js';
import type { ModelCheckpoint, TrainControl } from '../../../sdk/algorithms/snapshot.js';
import { evaluationSeed } from '../../../sdk/algorithms/evaluation.js';
import type { TrainEntry } from '../../../sdk/cli/train.js';
import { SEED_FIELD } from '../../../sdk/config/common-fields.js';
import { boolean, int, number, string } from '../../../sdk/config/fields.js';
import { defineSpec, resolveConfig, type ConfigOf } from '../../../sdk/config/spec.js';
import { make } from '../../../sdk/envs/index.js';
import { runEpisodes } from '../../../sdk/evaluate.js';
import { spaceToJson } from '../../../sdk/spaces-json.js';
import type { MetricRow } from '../../../sdk/util/metrics.js';

export const TOYR_SPEC = defineSpec('toyr', {
  env: string({ doc: 'environment id', default: 'Toy-v0' }),
  steps: int({ doc: 'environment steps', default: 60, min: 1 }),
  seed: SEED_FIELD,
  evalEvery: int({ doc: 'steps between evaluations', default: 20, min: 1 }),
  evalEpisodes: int({ doc: 'greedy episodes per evaluation', default: 2, min: 1 }),
  learningRate: number({ doc: 'TD step size', default: 0.5, gt: 0, max: 1 }),
  pauseMs: int({ doc: 'pause after each evaluation (ms)', default: 0, min: 0 }),
  ignoreStop: boolean({ doc: 'do not poll stopRequested', default: false }),
});
export type ToyrConfig = ConfigOf<typeof TOYR_SPEC.fields>;

const GAMMA = 0.95;
const EPSILON = 0.3;
const TIME_LIMIT = 30;
const STATE_VERSION = 1;

/** A uniform number in [0, 1) from (seed, i, salt): splitmix32 of their mix. */
function hashUniform(seed: number, i: number, salt: number): number {
  let z = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(i, 0xc2b2ae35) + Math.imul(salt, 0x27d4eb2f)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
}

export interface ToyrResult {
  params: DqnParams;
  bestEvalReturn: number;
  bestStep: number;
  stopped: boolean;
  config: ToyrConfig;
  envSteps: number;
}

function params(D: number, A: number, w: Float64Array, b: Float64Array): DqnParams {
  return {
    layers: [D, A],
    weights: [w.slice()],
    biases: [b.slice()],
    obsOffset: new Float64Array(D),
    obsScale: new Float64Array(D).fill(1),
  };
}

function info(cfg: ToyrConfig, envSteps: number, bestStep: number, bestReturn: number) {
  const env = make(cfg.env);
  return {
    observation_space: spaceToJson(env.observationSpace),
    action_space: spaceToJson(env.actionSpace),
    env_id: cfg.env,
    training: { algorithm: 'toyr', ...cfg, env_steps: envSteps, best_step: bestStep, best_eval_return: bestReturn },
    backend: 'js-float64',
  };
}

/** What saveDqnCheckpoint writes, as data (the toy's snapshot models). */
function dqnModel(p: DqnParams, i: ReturnType<typeof info>): ModelCheckpoint {
  const [D, A] = p.layers as [number, number];
  const tensors: Record<string, NamedTensor> = {
    'layer0.weight': { dtype: 'F64', shape: [D, A], data: p.weights[0]!.slice() },
    'layer0.bias': { dtype: 'F64', shape: [A], data: p.biases[0]!.slice() },
    obs_offset: { dtype: 'F64', shape: [D], data: p.obsOffset.slice() },
    obs_scale: { dtype: 'F64', shape: [D], data: p.obsScale.slice() },
  };
  const fields = {
    layers: [D, A],
    D,
    A,
    activation: DQN_ACTIVATION,
    parameter_count: dqnParameterCount([D, A]),
    network: { formula: DQN_FORMULA },
    ...qInputFields(p),
    ...i,
  };
  return { family: FAMILY.dqn, tensors, fields };
}

const f64 = (shape: number[], data: Float64Array): NamedTensor => ({ dtype: 'F64', shape, data: data.slice() });

export async function trainToyr(
  partial: Partial<ToyrConfig>,
  control: TrainControl & { onRow?: (r: MetricRow) => void; progress?: (line: string) => void } = {},
): Promise<ToyrResult> {
  const cfg: ToyrConfig = resolveConfig(TOYR_SPEC, partial);
  const env = make(cfg.env, { maxEpisodeSteps: 1_000_000 }); // the loop keeps the time limit itself, so it is part of the state
  const evalEnv = make(cfg.env);
  const D = env.observationSpace.shape[0]!;
  const A = env.actionSpace.kind === 'discrete' ? env.actionSpace.n : 2;
  let w = new Float64Array(D * A);
  let b = new Float64Array(A);
  let bestW = w.slice();
  let bestB = b.slice();
  let bestReturn = -Infinity;
  let bestStep = 0;
  let t = 0;
  let episode = 0;
  let epStep = 0;
  let pos = 0;
  let rows: MetricRow[] = [];
  const s0 = control.resumeFrom;
  if (s0 !== undefined) {
    if (s0.algorithm !== 'toyr' || s0.format_version !== STATE_VERSION)
      throw new Error(`toyr: cannot resume a ${s0.algorithm} v${s0.format_version} state`);
    const j = s0.json as {
      t: number;
      episode: number;
      epStep: number;
      pos: number;
      bestReturn: number | null;
      bestStep: number;
      rows: MetricRow[];
    };
    w = Float64Array.from(s0.tensors['w']!.data as Float64Array);
    b = Float64Array.from(s0.tensors['b']!.data as Float64Array);
    bestW = Float64Array.from(s0.tensors['best_w']!.data as Float64Array);
    bestB = Float64Array.from(s0.tensors['best_b']!.data as Float64Array);
    ({ t, episode, epStep, pos, bestStep, rows } = j);
    bestReturn = j.bestReturn ?? -Infinity;
  }
  const startEpisode = () => {
    pos = Math.floor(hashUniform(cfg.seed, episode, 1) * (D - 1));
    epStep = 0;
  };
  if (s0 === undefined) startEpisode();
  let { obs } = env.reset({ state: [pos] });
  const q = (o: ArrayLike<number>) => {
    const out = b.slice();
    for (let i = 0; i < D; i++) if (o[i] !== 0) for (let a = 0; a < A; a++) out[a]! += o[i]! * w[i * A + a]!;
    return out;
  };
  const greedy = (o: ArrayLike<number>) => {
    const v = q(o);
    let best = 0;
    for (let a = 1; a < A; a++) if (v[a]! > v[best]!) best = a;
    return best;
  };
  const snapshot = () =>
    control.onSnapshot?.({
      envSteps: t,
      latest: dqnModel(params(D, A, w, b), info(cfg, t, bestStep, bestReturn)),
      best: dqnModel(params(D, A, bestW, bestB), info(cfg, t, bestStep, bestReturn)),
      state: {
        algorithm: 'toyr',
        format_version: STATE_VERSION,
        envSteps: t,
        tensors: { w: f64([D * A], w), b: f64([A], b), best_w: f64([D * A], bestW), best_b: f64([A], bestB) },
        json: { t, episode, epStep, pos, bestReturn: Number.isFinite(bestReturn) ? bestReturn : null, bestStep, rows },
      },
      rows,
    });
  let snappedAt = t;
  let stopped = false;
  while (t < cfg.steps) {
    if (!cfg.ignoreStop && control.stopRequested?.()) {
      if (snappedAt !== t) snapshot();
      stopped = true;
      break;
    }
    t += 1;
    const action = hashUniform(cfg.seed, t, 2) < EPSILON ? Math.floor(hashUniform(cfg.seed, t, 3) * A) : greedy(obs);
    const r = env.step(action);
    const target = r.reward + (r.terminated ? 0 : GAMMA * Math.max(...q(r.obs)));
    const delta = target - q(obs)[action]!;
    for (let i = 0; i < D; i++) w[i * A + action]! += cfg.learningRate * delta * obs[i]!;
    b[action]! += cfg.learningRate * delta;
    epStep += 1;
    obs = r.obs;
    pos = obs.indexOf(1);
    if (r.terminated || epStep >= TIME_LIMIT) {
      episode += 1;
      startEpisode();
      obs = env.reset({ state: [pos] }).obs;
    }
    if (t % cfg.evalEvery === 0 || t === cfg.steps) {
      const k = rows.length + 1;
      const ev = await runEpisodes(evalEnv, greedy, cfg.evalEpisodes, evaluationSeed(cfg.seed, k));
      const row = { evaluation: k, env_steps: t, eval_return_mean: ev.mean };
      rows = [...rows, row];
      if (ev.mean >= bestReturn) {
        bestReturn = ev.mean;
        bestStep = t;
        bestW = w.slice();
        bestB = b.slice();
      }
      control.onRow?.(row);
      snapshot();
      control.progress?.(`step ${t}: greedy return ${ev.mean.toFixed(3)}`);
      snappedAt = t;
      if (cfg.pauseMs > 0) await new Promise((res) => setTimeout(res, cfg.pauseMs));
    }
    if (t % 10 === 0) await new Promise((res) => setImmediate(res)); // lets signal handlers run
  }
  return { params: params(D, A, bestW, bestB), bestEvalReturn: bestReturn, bestStep, stopped, config: cfg, envSteps: t };
}

export const TOYR_ENTRY: TrainEntry<ToyrConfig, ToyrResult> = {
  name: 'toyr',
  description: 'resumable linear Q-learning (run-directory specs)',
  spec: TOYR_SPEC,
  exampleOut: 'runs/toyr',
  title: (c) => `toyr on ${c.env} (seed ${c.seed})`,
  train: (c, h) =>
    trainToyr(c, {
      onRow: h.onRow,
      progress: h.progress,
      onSnapshot: h.onSnapshot,
      stopRequested: h.stopRequested,
      ...(h.resumeFrom !== undefined ? { resumeFrom: h.resumeFrom } : {}),
    }),
  async save(dir, r) {
    const i = info(r.config, r.envSteps, r.bestStep, r.bestEvalReturn);
    return { info: i, sha: saveDqnCheckpoint(dir, r.params, i) };
  },
  summary: (r, c) =>
    `trained toyr on ${c.env}: ${r.envSteps} steps; best greedy return ${r.bestEvalReturn.toFixed(3)} (step ${r.bestStep})`,
  bestReturn: (r) => r.bestEvalReturn,
};
