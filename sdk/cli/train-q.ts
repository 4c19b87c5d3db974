/**
 * `gmmrl train gmmqf | sgmmqf | dqn`: the Q-function algorithms as entries of the one train command
 * path (train.ts). Each supplies its spec, its train function, its checkpoint and its summary.
 */
import { saveGmmQfCheckpoint } from '../../models/gmmqf/checkpoint.js';
import { saveDqnCheckpoint } from '../../models/dqn/checkpoint.js';
import { resolveFeatureKind } from '../../models/gmmqf/features.js';
import type { ActionGrid } from '../../models/gmmqf/params.js';
import { GMMQF_SPEC, trainGmmQf, type GmmQfTrainConfig, type GmmQfTrainResult } from '../algorithms/gmmqf.js';
import { SGMMQF_SPEC, trainSgmmqf, type SgmmqfTrainConfig, type SgmmqfTrainResult } from '../algorithms/sgmmqf.js';
import { DQN_SPEC, dqnCheckpointInfo, trainDqn, type DqnTrainConfig, type DqnTrainResult } from '../algorithms/dqn.js';
import { EVAL_EVERY_NOTE } from '../config/common-fields.js';
import { spaceToJson } from '../spaces-json.js';
import { formatDuration } from '../util/metrics.js';
import { runTrain, type Out, type TrainEntry, type TrainRunSummary } from './train.js';

/** The JSON form of an action grid in a training record: plain arrays. */
function actionGridRecord(g: ActionGrid): { shape: number[]; values: number[]; low: number[]; high: number[] } {
  return { shape: [...g.shape], values: Array.from(g.values), low: Array.from(g.low), high: Array.from(g.high) };
}

export const GMMQF_ENTRY: TrainEntry<GmmQfTrainConfig, GmmQfTrainResult> = {
  name: 'gmmqf',
  description: 'GMM Q-function, batch policy iteration (Riemannian gradient descent on the SPD manifold)',
  spec: GMMQF_SPEC,
  exampleOut: 'runs/cartpole',
  title: (c) => `GMM-QF on ${c.env} (seed ${c.seed})`,
  train: (c, h) => trainGmmQf(c, { progress: h.progress, onIteration: (row) => h.onRow({ ...row }) }),
  async save(dir, r) {
    // the trainer's record: 'auto' features resolved, the action grid as arrays
    const info = r.checkpointInfo;
    return { info, sha: saveGmmQfCheckpoint(dir, r.params, info), run: { backend_detail: r.backend } };
  },
  summary(r, c) {
    return (
      `trained gmmqf on ${c.env}: ${r.log.at(-1)?.env_steps} steps, ${r.log.length} iterations in ${formatDuration(r.wallSeconds)} ` +
      `on ${r.backend.name}; best greedy return ${r.bestEvalReturn.toFixed(1)} (iteration ${r.bestIteration})`
    );
  },
  bestReturn: (r) => r.bestEvalReturn,
};

export const SGMMQF_ENTRY: TrainEntry<SgmmqfTrainConfig, SgmmqfTrainResult> = {
  name: 'sgmmqf',
  description: 'sparse GMM Q-function, online (Riemannian Adam, Hadamard-factored weights)',
  spec: SGMMQF_SPEC,
  exampleOut: 'runs/acrobot',
  notes: [EVAL_EVERY_NOTE],
  title: (c) => `S-GMM-QF on ${c.env} (seed ${c.seed})`,
  preamble: () => [
    'backend: js-float64 (S-GMM-QF updates run in a fused float64 typed-array kernel; TensorFlow.js is not used for training)',
  ],
  train: (c, h) => trainSgmmqf(c, { progress: h.progress, onEval: (row) => h.onRow({ ...row }) }),
  async save(dir, r) {
    const last = r.log.at(-1);
    const { actionGrid, ...config } = r.config;
    const info = {
      observation_space: spaceToJson(r.env.observationSpace),
      action_space: spaceToJson(r.env.actionSpace),
      env_id: config.env,
      training: {
        algorithm: 's-gmm-qf',
        ...config,
        features: resolveFeatureKind(config.features, config.env),
        ...(actionGrid ? { action_grid: actionGridRecord(actionGrid) } : {}),
        env_steps: last?.env_steps ?? 0,
        best_step: r.bestStep,
        best_eval_return: r.bestEvalReturn,
        parameter_count: r.parameterCount,
        final_nonzero_fraction: last?.nonzero_fraction ?? NaN,
        final_live_components: last?.live_components ?? NaN,
        updates: r.updates,
        update_seconds: r.updateSeconds,
        wall_seconds: r.wallSeconds,
      },
      backend: 'js-float64',
    };
    const sha = saveGmmQfCheckpoint(dir, r.params, info, { factors: { J: r.factors.J, rho: r.config.rho, values: r.factors.values } });
    return { info, sha };
  },
  summary(r, c) {
    const last = r.log.at(-1);
    return (
      `trained sgmmqf on ${c.env}: ${last?.env_steps} steps in ${formatDuration(r.wallSeconds)} ` +
      `(${((1e3 * r.updateSeconds) / Math.max(1, r.updates)).toFixed(2)} ms per update); best greedy return ${r.bestEvalReturn.toFixed(1)} ` +
      `(step ${r.bestStep}); ${r.parameterCount} parameters, ${(100 * (last?.nonzero_fraction ?? NaN)).toFixed(1)} % nonzero weights`
    );
  },
  bestReturn: (r) => r.bestEvalReturn,
};

export const DQN_ENTRY: TrainEntry<DqnTrainConfig, DqnTrainResult> = {
  name: 'dqn',
  description: 'DQN / Double DQN baseline (--double)',
  spec: DQN_SPEC,
  exampleOut: 'runs/acrobot-dqn',
  notes: [EVAL_EVERY_NOTE],
  title: (c) => `${c.double ? 'Double DQN' : 'DQN'} on ${c.env} (seed ${c.seed})`,
  train: (c, h) => trainDqn(c, { progress: h.progress, onEvaluation: (row) => h.onRow({ ...row }) }),
  async save(dir, r) {
    const info = dqnCheckpointInfo(r);
    return { info, sha: saveDqnCheckpoint(dir, r.params, info) };
  },
  summary(r, c) {
    return (
      `trained ${c.double ? 'double-dqn' : 'dqn'} on ${c.env}: ${c.steps} steps in ${formatDuration(r.wallSeconds)} on ${r.backend.name}; ` +
      `best greedy return ${r.bestEvalReturn.toFixed(1)}; ${r.parameterCount} parameters`
    );
  },
  bestReturn: (r) => r.bestEvalReturn,
};

/** `gmmrl train gmmqf …argv` */
export function trainGmmQfCommand(argv: string[], out: Out, err: Out): Promise<TrainRunSummary | null> {
  return runTrain(GMMQF_ENTRY, argv, out, err);
}

/** `gmmrl train sgmmqf …argv` */
export function trainSgmmqfCommand(argv: string[], out: Out, err: Out): Promise<TrainRunSummary | null> {
  return runTrain(SGMMQF_ENTRY, argv, out, err);
}

/** `gmmrl train dqn …argv` */
export function trainDqnCommand(argv: string[], out: Out, err: Out): Promise<TrainRunSummary | null> {
  return runTrain(DQN_ENTRY, argv, out, err);
}
