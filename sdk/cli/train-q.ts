/**
 * `gmmrl train gmmqf | sgmmqf | dqn`: the Q-function algorithms as entries of the one train command
 * path (train.ts). Each supplies its spec, its train function, its checkpoint and its summary.
 */
import { saveGmmQfCheckpoint } from '../../models/gmmqf/checkpoint.js';
import { saveDqnCheckpoint } from '../../models/dqn/checkpoint.js';
import { GMMQF_SPEC, trainGmmQf, type GmmQfTrainConfig, type GmmQfTrainResult } from '../algorithms/gmmqf.js';
import { SGMMQF_SPEC, sgmmqfCheckpointInfo, trainSgmmqf, type SgmmqfTrainConfig, type SgmmqfTrainResult } from '../algorithms/sgmmqf.js';
import type { TrainControl } from '../algorithms/snapshot.js';
import { DQN_SPEC, dqnCheckpointInfo, trainDqn, type DqnTrainConfig, type DqnTrainResult } from '../algorithms/dqn.js';
import { EVAL_EVERY_NOTE } from '../config/common-fields.js';
import { formatDuration } from '../util/metrics.js';
import { runTrain, type Out, type TrainCommandHooks, type TrainEntry, type TrainRunSummary } from './train.js';

/**
 * The checkpointing members of the command's hooks (snapshots at every evaluation, the stop request,
 * the state to resume from), handed on to a train function; absent ones stay absent.
 */
export function trainControl(h: TrainCommandHooks): TrainControl {
  const c = h as TrainCommandHooks & TrainControl;
  return {
    ...(c.onSnapshot ? { onSnapshot: c.onSnapshot } : {}),
    ...(c.stopRequested ? { stopRequested: c.stopRequested } : {}),
    ...(c.resumeFrom ? { resumeFrom: c.resumeFrom } : {}),
  };
}

export const GMMQF_ENTRY: TrainEntry<GmmQfTrainConfig, GmmQfTrainResult> = {
  name: 'gmmqf',
  description: 'GMM Q-function, batch policy iteration (Riemannian gradient descent on the SPD manifold)',
  spec: GMMQF_SPEC,
  exampleOut: 'runs/cartpole',
  title: (c) => `GMM-QF on ${c.env} (seed ${c.seed})`,
  train: (c, h) => trainGmmQf(c, { progress: h.progress, onIteration: (row) => h.onRow({ ...row }), ...trainControl(h) }),
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
  train: (c, h) => trainSgmmqf(c, { progress: h.progress, onEval: (row) => h.onRow({ ...row }), ...trainControl(h) }),
  async save(dir, r) {
    const info = sgmmqfCheckpointInfo(r);
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
  train: (c, h) => trainDqn(c, { progress: h.progress, onEvaluation: (row) => h.onRow({ ...row }), ...trainControl(h) }),
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
