/**
 * gmmrl: the training SDK.
 *
 *   import { trainGmmQf, saveCheckpoint, exportCheckpoint, verifyCheckpoint, assertParity } from 'gmmrl';
 *
 * Inference-only code should import `gmmrl/runtime` instead (no TensorFlow.js); environments live in
 * `gmmrl/envs`.
 */
export { GMMRL_VERSION } from '../models/version.js';
export * from '../contract/errors.js';

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
export { EpisodeCollector } from './episodes.js';
export { BestTracker, evaluationSeed } from './algorithms/evaluation.js';
export { formatSchedule, parseSchedule, scheduleValue, type LinearSchedule, type Schedule } from './algorithms/schedule.js';

// learners: the update step of every algorithm (the training loops, the tests and the bench all use these)
export {
  GmmQfPolicyEvaluation,
  armijoStep,
  bellmanTargets,
  precisions,
  refitWeights,
  type ArmijoStepOptions,
  type ArmijoStepProbe,
  type ArmijoStepResult,
  type ArmijoStepTimes,
  type GmmQfStepParams,
  type PolicyEvaluationOptions,
  type PolicyEvaluationStats,
} from './algorithms/learners/gmmqf.js';
export {
  SgmmqfLearner,
  type CovarianceOptimizer,
  type SgmmqfLearnerInit,
  type SgmmqfLearnerOptions,
} from './algorithms/learners/sgmmqf.js';
export { SacLearner, type SacLearnerInit, type SacNoise } from './algorithms/learners/sac.js';
export { Td3Learner, deterministicAction, smoothedTarget, type DeterministicLearner } from './algorithms/learners/td3.js';
export { GamidLearner } from './algorithms/learners/gamid.js';
export { TwinCritic, scoreComponents } from './algorithms/learners/twin-critic.js';
export { makeAdam, gradList, type TfAdamOptions } from './algorithms/learners/tf-adam.js';
export { Adam, SpdAdam, SpdAdamReference, type AdamOptions } from './optim/radam.js';
export {
  selectBackend,
  describeBackend,
  parseBackendName,
  BACKEND_NAMES,
  WASM_MAX_THREADS,
  type BackendName,
  type BackendInfo,
  type SelectBackendOptions,
} from './backend.js';
export { runPool, type PoolJob, type PoolOptions, type PoolEvent, type PoolResult, type PoolStatus } from './pool.js';
export { Rng } from './util/rng.js';
export { runEpisodes, type EpisodeStats } from './evaluate.js';
export {
  planRun,
  readTrainingState,
  RunStore,
  type RunPlan,
  type RunRecord,
  type LatestSource,
  type PendingGeneration,
} from './run-store.js';
export type { ModelCheckpoint, TrainingState, TrainingSnapshot, TrainControl } from './algorithms/snapshot.js';
export { readRunPointer, resolveCheckpointDir, type RunPointer, type RunStatus } from '../models/checkpoint-files.js';
export { MetricsLog, svgLinePlot } from './util/metrics.js';

// models and checkpoints
export type { GmmQfParams, ActionGrid } from '../models/gmmqf/params.js';
export { FEATURE_KINDS, applyFeatures, resolveFeatureKind, type FeatureKind } from '../models/gmmqf/features.js';
export { hadamardProduct, factorGradients, factorPenalty, balancedFactors, type HadamardFactors } from '../models/gmmqf/hadamard.js';
export { OnlineBellmanKernel, type KernelParams } from '../models/gmmqf/online-loss.js';
export { nonzeroFraction, liveComponents, pruneComponents } from '../models/gmmqf/sparsity.js';
export { qValues as gmmQfQValues, precisionFactors } from '../models/gmmqf/reference.js';
export { BellmanBatch, qValuesTf as gmmQfQValuesTf, type GmmQfGradients } from '../models/gmmqf/tf.js';
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
export { exportMixtureActor, exportGamidActor, type ActorExportMeta } from '../exporters/index.js';
export { verifyParity, parityStates, type ParityOptions, type ParityReport } from './parity.js';
export { assertParity, type AssertParityOptions } from './assert-parity.js';
// train → save → export → verify, the same three calls for every trainer's result (README "Library")
export {
  saveCheckpoint,
  exportCheckpoint,
  verifyCheckpoint,
  type TrainResult,
  type RegisteredTrainResult,
  type SaveCheckpointOptions,
  type SavedCheckpoint,
  type ExportCheckpointOptions,
  type VerifyCheckpointOptions,
  type CheckpointSource,
} from './library.js';
export { main as cli } from './cli.js';
export * from './algorithms/dqn.js'; // DQN / Double DQN baseline: trainDqn, checkpoints, exportDqn, verifyDqnParity
export { checkpointFamily, CHECKPOINT_FAMILIES, type CheckpointFamily } from './checkpoints.js';
export { familyFor, familyModule, benchModel, FAMILY_MODULES, type FamilyModule, type FamilyExportOptions } from './families/index.js'; // the model-family registry (benchModel: the inference benchmarks' models)
export { FAMILY, MODEL_FAMILIES, FAMILY_CONTRACTS, familyContract, type ModelFamily, type FamilyContract } from '../contract/families.js';

// mixture actors: SAC (SG / SGM / USGM × RP / MRP / HalfRP / GumbelRP / LR), TD3, Gamid-PG
export {
  OFF_POLICY_DEFAULTS,
  runOffPolicy,
  type NormalizedBatch,
  type OffPolicyConfig,
  type OffPolicyResult,
  type OffPolicyEvalRow,
} from './algorithms/actor-critic.js';
export {
  SAC_DEFAULTS,
  trainSac,
  validateSacConfig,
  initSacNetworks,
  type SacConfig,
  type SacParams,
  type SacTrainResult,
} from './algorithms/sac.js';
export { ESTIMATORS, POLICY_KINDS, actorLoss, methodName, type EstimatorName, type PolicyKind } from './algorithms/sac-estimators.js';
export {
  BANDIT1D_KNOWN,
  multimodalKnown,
  trainBanditActor,
  type KnownRewardBandit,
  type BanditActorConfig,
} from './algorithms/sac-bandit.js';
export { TD3_DEFAULTS, trainTd3, initDeterministicNetworks, type Td3Config, type DeterministicParams } from './algorithms/td3.js';
export { GAMID_DEFAULTS, trainGamid, type GamidConfig } from './algorithms/gamid.js';
export { diversityTerm, diversityTermReference } from '../models/gamid-actor/diversity.js';
export { SquashedGaussianMixture } from '../models/mixture-actor/distribution.js';
export { mixtureActorGreedy, mixtureActorSample, mixtureActorHead, type MixtureActorParams } from '../models/mixture-actor/params.js';
export { LOG_STD_MIN, LOG_STD_MAX, headOutputSize, type MixtureHeadSpec } from '../models/mixture-actor/head.js';
export { gamidGreedy, gamidComponents, type GamidActorParams } from '../models/gamid-actor/params.js';
export { initMlp, mlpForward, type MlpParams } from '../models/actor-critic/mlp.js';
export {
  saveMixtureActorCheckpoint,
  loadMixtureActorCheckpoint,
  saveGamidActorCheckpoint,
  loadGamidActorCheckpoint,
  type MixtureActorCheckpoint,
  type GamidActorCheckpoint,
} from '../models/actor-critic/checkpoint.js';

// extending gmmrl: an algorithm of your own in `gmmrl train` (an environment of your own: registerEnv in gmmrl/envs);
// ARCHITECTURE.md "Adding things" walks through both
export { registerAlgorithm, unregisterAlgorithm, trainAlgorithms } from './cli.js';
export { type TrainEntry, type AnyTrainEntry, type TrainCommandHooks, type SavedRun, type TrainRunSummary } from './cli/train.js';
export {
  defineSpec,
  rule,
  resolveConfig,
  validateConfig,
  defaultsOf,
  type ConfigSpec,
  type ConfigOf,
  type Field,
  type CheckContext,
  type ParseContext,
  type Rule,
} from './config/spec.js';
/** The field kinds of a spec table: fields.int, fields.number, fields.boolean, fields.string, fields.choice, … (sdk/config/fields.ts). */
export * as fields from './config/fields.js';
export { SEED_FIELD, EVAL_EPISODES_FIELD, KEEP_BEST_FIELD, EVAL_EVERY_NOTE, warmupRule } from './config/common-fields.js';
export { spaceToJson } from './spaces-json.js';
export type { MetricRow } from './util/metrics.js';

// for scripts and benchmarks built on the package (bench/ uses only these public entries)
export { parseArgs, formatHelp, type FlagSpec, type FlagSpecs, type ParsedFlags } from './cli/args.js'; // the strict flag parser of the CLI
export { isModelFamily } from '../contract/families.js';
export {
  randomMlp,
  gmmqfBenchParams,
  dqnBenchParams,
  mixtureActorBenchParams,
  gamidActorBenchParams,
  type AnyBenchModel,
  type BenchModel,
} from './families/index.js';
export { ElemType, GraphBuilder } from '../exporters/index.js'; // the ONNX graph builder
export { transposedFactors } from '../models/gmmqf/tf.js';
export * as linalg from '../models/linalg/linalg.js'; // float64 dense linear algebra (Cholesky, symmetric eigendecomposition, products)
