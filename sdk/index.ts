/**
 * gmmrl: the training SDK.
 *
 *   import { trainGmmQf, trainSgmmqf, trainDqn, saveGmmQfCheckpoint, exportGmmQf, verifyParity } from 'gmmrl';
 *
 * Inference-only code should import `gmmrl/runtime` instead (no TensorFlow.js); environments live in
 * `gmmrl/envs`.
 */
export { GMMRL_VERSION } from '../models/version.js';
export * from '../runtime/errors.js';

// training
export {
  trainGmmQf,
  evaluateGreedy,
  validateGmmQfConfig,
  GMMQF_DEFAULTS,
  type GmmQfTrainConfig,
  type GmmQfTrainResult,
  type GmmQfIterationLog,
  type TrainHooks,
} from './algorithms/gmmqf.js';
export {
  trainSgmmqf,
  validateSgmmqfConfig,
  snapFactors,
  sparsityOf,
  SGMMQF_DEFAULTS,
  type SgmmqfTrainConfig,
  type SgmmqfTrainResult,
  type SgmmqfLogRow,
  type SgmmqfHooks,
} from './algorithms/sgmmqf.js';
export { ReplayBuffer, type TransitionBatch } from './replay.js';
export { Adam, SpdAdam, SpdAdamReference, type AdamOptions } from './optim/radam.js';
export { selectBackend, describeBackend, parseBackendName, BACKEND_NAMES, type BackendName, type BackendInfo } from './backend.js';
export { Rng } from './util/rng.js';
export { runEpisodes, type EpisodeStats } from './evaluate.js';
export { RunWriter } from './runs.js';
export { MetricsLog, svgLinePlot } from './util/metrics.js';

// models and checkpoints
export type { GmmQfParams, ActionGrid } from '../models/gmmqf/params.js';
export { FEATURE_KINDS, applyFeatures, resolveFeatureKind, type FeatureKind } from '../models/gmmqf/features.js';
export { hadamardProduct, factorGradients, factorPenalty, balancedFactors, type HadamardFactors } from '../models/gmmqf/hadamard.js';
export { OnlineBellmanKernel } from '../models/gmmqf/online-loss.js';
export { nonzeroFraction, liveComponents, pruneComponents } from '../models/gmmqf/sparsity.js';
export { qValues as gmmQfQValues, precisionFactors } from '../models/gmmqf/reference.js';
export { qValuesTf as gmmQfQValuesTf } from '../models/gmmqf/tf.js';
export {
  saveGmmQfCheckpoint,
  loadGmmQfCheckpoint,
  validateCovariances,
  type GmmQfCheckpoint,
  type GmmQfConfig,
} from '../models/gmmqf/checkpoint.js';
export { encodeSafetensors, decodeSafetensors } from '../models/safetensors.js';

// SPD geometry
export { riemannianGradient, inner, tryRetract, retract, transport, armijoSearch, type SpdMetric } from './optim/spd.js';

// export and parity
export { exportGmmQf, type GmmQfExportMeta } from '../exporters/index.js';
export { verifyParity, parityStates, type ParityOptions, type ParityReport } from './parity.js';
export { main as cli } from './cli.js';
export * from './algorithms/dqn.js'; // DQN / Double DQN baseline: trainDqn, checkpoints, exportDqn, verifyDqnParity
export { checkpointFamily, CHECKPOINT_FAMILIES, type CheckpointFamily } from './checkpoints.js';
