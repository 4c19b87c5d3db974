#!/usr/bin/env node
/**
 * The gmmrl command line.
 *
 *   gmmrl train gmmqf --env CartPole-v1 [--components K] [--steps N] [--seed S] [--metric ai|bw] [--backend …] --out runs/NAME
 *   gmmrl train sgmmqf --env Acrobot-v1 [--components 50] [--factors 3] [--rho 1e-4] … --out runs/NAME
 *   gmmrl train dqn --env Acrobot-v1 [--double] [--hidden 128,128] … --out runs/NAME
 *   gmmrl train sac --env Pendulum-v1 [--policy sg|sgm|usgm] [--estimator …] [--components K] --out runs/NAME
 *   gmmrl train td3 --env Pendulum-v1 --out runs/NAME
 *   gmmrl train gamid --env Bandit1D-v0 [--actors 5] [--temperature 0.1] [--epsilon 0.2:0.02:0.5] --out runs/NAME
 *   gmmrl export runs/NAME --out policy.onnx [--precision float32|float64] [--sampling inputs|in-graph|none] [--epsilon ε]
 *   gmmrl eval policy.onnx [--env ID] [--episodes 100] [--seed S] [--json]
 *   gmmrl verify runs/NAME policy.onnx [--states N] [--seed S]
 *   gmmrl demo [--out runs/demo]
 *
 * Exit codes: 0 success, 1 parity failure or unexpected error, 2 bad input (the message says why).
 */
import { join } from 'node:path';
import { GmmrlError } from '../contract/errors.js';
import { parseArgs, parseHidden, formatHelp, type FlagSpecs, type ParsedFlags } from './cli/args.js';
import { BACKEND_NAMES, type BackendName } from './backend.js';
import { GMMQF_DEFAULTS, trainGmmQf } from './algorithms/gmmqf.js';
import { SGMMQF_DEFAULTS, trainSgmmqf } from './algorithms/sgmmqf.js';
import { DQN_DEFAULTS, trainDqn, dqnCheckpointInfo } from './algorithms/dqn.js';
import { saveGmmQfCheckpoint } from '../models/gmmqf/checkpoint.js';
import { saveDqnCheckpoint } from '../models/dqn/checkpoint.js';
import { trainGamidCommand, trainSacCommand, trainTd3Command } from './cli/train-actor-critic.js';
import { exportCommand } from './cli/export.js';
import { verifyCommand } from './cli/verify.js';
import { defaultActionGrid, parseActionGrid } from './envs/discretize.js';
import { FEATURE_KINDS, type FeatureKind } from '../models/gmmqf/features.js';
import type { ActionGrid } from '../models/gmmqf/params.js';
import { loadPolicy } from '../runtime/index.node.js';
import { make, listEnvs } from './envs/index.js';
import { RunWriter } from './runs.js';
import { runEpisodes } from './evaluate.js';
import { formatDuration } from './util/metrics.js';
import { GMMRL_VERSION } from '../models/version.js';
import { spaceToJson } from './spaces-json.js';
import { UnknownNameError, ValueError } from '../contract/errors.js';

/** `gmmrl export` and `gmmrl verify` dispatch through the family registry (sdk/cli/export.ts, sdk/cli/verify.ts). */
export { exportCommand, verifyCommand };

/** Flags shared by every `gmmrl train <algorithm>`. */
export const COMMON_TRAIN_FLAGS: FlagSpecs = {
  env: { type: 'string', help: 'environment id (gmmrl envs lists them)', default: 'CartPole-v1' },
  steps: { type: 'int', help: 'total environment steps', default: GMMQF_DEFAULTS.steps },
  seed: { type: 'int', help: 'random seed', default: 0 },
  backend: { type: 'string', help: 'TensorFlow.js backend', default: 'auto', choices: BACKEND_NAMES },
  out: { type: 'string', help: 'run directory to write (checkpoint, metrics.csv, curve.svg, run.json)' },
  quiet: { type: 'boolean', help: 'no progress lines', default: false },
  help: { type: 'boolean', help: 'show this help' },
};

/** Flags with the same meaning in several `gmmrl train` commands. */
const KEEP_BEST_FLAG = { type: 'boolean', help: 'save the best-evaluated parameters rather than the last', default: true } as const;
const FEATURES_FLAG = {
  type: 'string',
  help: "feature map before normalization ('auto': Acrobot's angle state for Acrobot-v1)",
  default: 'auto',
  choices: ['auto', ...FEATURE_KINDS],
} as const;
const ACTION_GRID_FLAG = {
  type: 'string',
  help: 'continuous-action envs: N evenly spaced points, or explicit values "v1,v2,…" (default: the env\'s documented grid)',
} as const;

/** The replay / exploration / evaluation flags of the online algorithms (sgmmqf, dqn), with their defaults. */
function onlineFlags(d: {
  steps: number;
  batchSize: number;
  buffer: number;
  gamma: number;
  warmupSteps: number;
  epsDecayFraction: number;
  evalEvery: number;
  evalEpisodes: number;
}): FlagSpecs {
  return {
    steps: { type: 'int', help: 'total environment steps', default: d.steps },
    'batch-size': { type: 'int', help: 'mini-batch size', default: d.batchSize },
    buffer: { type: 'int', help: 'replay buffer capacity', default: d.buffer },
    gamma: { type: 'number', help: 'discount factor', default: d.gamma },
    'warmup-steps': { type: 'int', help: 'uniformly random steps before learning (they fix the normalization)', default: d.warmupSteps },
    'eps-decay-fraction': { type: 'number', help: 'fraction of the steps over which ε decays 1 → 0.05', default: d.epsDecayFraction },
    'eval-every': { type: 'int', help: 'greedy evaluation every N steps', default: d.evalEvery },
    'eval-episodes': { type: 'int', help: 'greedy episodes per evaluation', default: d.evalEpisodes },
    'keep-best': KEEP_BEST_FLAG,
    'action-grid': ACTION_GRID_FLAG,
  };
}

const GMMQF_FLAGS: FlagSpecs = {
  ...COMMON_TRAIN_FLAGS,
  components: { type: 'int', help: 'number of Gaussians K', default: GMMQF_DEFAULTS.components },
  metric: { type: 'string', help: 'SPD metric for covariances', default: 'ai', choices: ['ai', 'bw'] },
  gamma: { type: 'number', help: 'discount factor', default: GMMQF_DEFAULTS.gamma },
  'steps-per-iteration': { type: 'int', help: 'env steps collected per policy iteration', default: GMMQF_DEFAULTS.stepsPerIteration },
  'gd-steps': { type: 'int', help: 'Riemannian gradient steps per policy evaluation', default: GMMQF_DEFAULTS.gdSteps },
  'eval-episodes': { type: 'int', help: 'greedy evaluation episodes per iteration', default: GMMQF_DEFAULTS.evalEpisodes },
  'keep-best': KEEP_BEST_FLAG,
  features: FEATURES_FLAG,
  'action-grid': ACTION_GRID_FLAG,
};

// S-GMM-QF trains in float64 typed arrays, not TensorFlow.js: it has no --backend to ignore.
const { backend: _tfBackendFlag, ...TRAIN_FLAGS_WITHOUT_BACKEND } = COMMON_TRAIN_FLAGS;

const SGMMQF_FLAGS: FlagSpecs = {
  ...TRAIN_FLAGS_WITHOUT_BACKEND,
  ...onlineFlags({ ...SGMMQF_DEFAULTS, buffer: SGMMQF_DEFAULTS.bufferCapacity }),
  components: { type: 'int', help: 'number of Gaussians K', default: SGMMQF_DEFAULTS.components },
  factors: { type: 'int', help: 'Hadamard factors J of the weights (1 = dense)', default: SGMMQF_DEFAULTS.factors },
  rho: { type: 'number', help: 'l2 regularization ρ on the factors (sparsity)', default: SGMMQF_DEFAULTS.rho },
  'lr-means': { type: 'number', help: 'Adam learning rate of the means', default: SGMMQF_DEFAULTS.lrMeans },
  'lr-covariances': { type: 'number', help: 'Riemannian Adam learning rate of the covariances', default: SGMMQF_DEFAULTS.lrCovariances },
  'lr-factors': { type: 'number', help: 'Adam learning rate of the weight factors', default: SGMMQF_DEFAULTS.lrFactors },
  'target-update': { type: 'int', help: 'targets from a frozen copy refreshed every N steps (0 = current Q, the paper)', default: SGMMQF_DEFAULTS.targetUpdate },
  features: FEATURES_FLAG,
};

const DQN_FLAGS: FlagSpecs = {
  ...COMMON_TRAIN_FLAGS,
  ...onlineFlags({ ...DQN_DEFAULTS, buffer: DQN_DEFAULTS.bufferSize }),
  double: { type: 'boolean', help: 'Double DQN targets', default: false },
  hidden: { type: 'string', help: 'hidden layer widths, comma-separated', default: DQN_DEFAULTS.hidden.join(',') },
  lr: { type: 'number', help: 'Adam learning rate', default: DQN_DEFAULTS.learningRate },
  'target-update': { type: 'int', help: 'hard target-network update every N steps', default: DQN_DEFAULTS.targetUpdate },
};

const EVAL_FLAGS: FlagSpecs = {
  env: { type: 'string', help: "environment id (default: the model's env_id metadata)" },
  episodes: { type: 'int', help: 'number of episodes', default: 100 },
  seed: { type: 'int', help: 'seed of the first episode (episode i uses seed + i)', default: 0 },
  json: { type: 'boolean', help: 'print JSON {mean_return, std_return, episodes}', default: false },
  help: { type: 'boolean', help: 'show this help' },
};

const DEMO_FLAGS: FlagSpecs = {
  out: { type: 'string', help: 'directory for the demo run', default: 'runs/demo' },
  steps: { type: 'int', help: 'training steps', default: 20000 },
  seed: { type: 'int', help: 'random seed', default: 0 },
  backend: { type: 'string', help: 'TensorFlow.js backend', default: 'auto', choices: BACKEND_NAMES },
  help: { type: 'boolean', help: 'show this help' },
};

const USAGE = `gmmrl ${GMMRL_VERSION}: Gaussian-mixture reinforcement learning, exported to ONNX

Commands:
  gmmrl train gmmqf --env ID --out DIR [flags]   train a GMM Q-function (batch policy iteration)
  gmmrl train sgmmqf --env ID --out DIR [flags]  train a sparse GMM Q-function online (Riemannian Adam)
  gmmrl train dqn --env ID --out DIR [--double]  train a DQN / Double DQN baseline
  gmmrl train sac --env ID --out DIR [--policy sg|sgm|usgm] [--estimator rp|mrp|halfrp|gumbelrp|lr] [--components K]
                                                  SAC with squashed Gaussian (mixture) policies
  gmmrl train td3 --env ID --out DIR              TD3 (deterministic actor, twin critics)
  gmmrl train gamid --env ID --out DIR [--actors N] [--temperature τ0[:τ1:f]] [--epsilon ε0[:ε1:f]]
                                                  Gamid-PG: N deterministic actors on TD3
  gmmrl export DIR --out FILE.onnx               export a checkpoint to ONNX (every family; --precision, --sampling)
  gmmrl eval FILE.onnx [--env ID] [--episodes N]  run episodes with ONNX Runtime (gmmrl/runtime)
  gmmrl verify DIR FILE.onnx [--states N]        prove the ONNX file matches the checkpoint, greedy and sampled
  gmmrl demo [--out DIR]                          train, export, evaluate and verify on CartPole-v1
  gmmrl envs                                      list environment ids
Add --help to any command for its flags.`;

type Out = (line: string) => void;

function str(flags: ParsedFlags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

function requireFlag(command: string, flags: ParsedFlags, name: string, example: string): string {
  const v = str(flags, name);
  if (!v) throw new ValueError(`gmmrl ${command}: --${name} is required, e.g. ${example}.`);
  return v;
}

function requirePositional(command: string, positionals: string[], index: number, what: string, example: string): string {
  const v = positionals[index];
  if (!v) throw new ValueError(`gmmrl ${command}: missing ${what}. Usage: ${example}.`);
  return v;
}

function checkPositionals(command: string, positionals: string[], max: number): void {
  if (positionals.length > max) {
    throw new ValueError(`gmmrl ${command}: unexpected argument ${JSON.stringify(positionals[max])}. See 'gmmrl ${command} --help'.`);
  }
}

/** The action grid for a run: none for discrete envs (a --action-grid there is an error), the flag or the env's default for Box envs. */
function resolveActionGrid(command: string, envId: string, flag: string | undefined): ActionGrid | undefined {
  const env = make(envId);
  if (env.actionSpace.kind === 'discrete') {
    if (flag !== undefined) throw new ValueError(`gmmrl ${command}: --action-grid ${flag} given, but ${envId} has discrete actions; remove the flag.`);
    return undefined;
  }
  return flag !== undefined ? parseActionGrid(flag, env.actionSpace) : defaultActionGrid(env);
}

function progressSink(flags: ParsedFlags, err: Out): (line: string) => void {
  const quiet = Boolean(flags.quiet);
  return (line) => {
    if (!quiet) err(line);
  };
}

export async function trainGmmQfCommand(argv: string[], out: Out, err: Out): Promise<{ dir: string; bestReturn: number }> {
  const { positionals, flags } = parseArgs('train gmmqf', argv, GMMQF_FLAGS);
  if (flags.help) {
    out(formatHelp('gmmrl train gmmqf --env ID --out DIR [flags]', GMMQF_FLAGS));
    return { dir: '', bestReturn: NaN };
  }
  checkPositionals('train gmmqf', positionals, 0);
  const dir = requireFlag('train gmmqf', flags, 'out', '--out runs/cartpole');
  const envId = str(flags, 'env')!;
  const probe = make(envId); // validates the id before any work
  const writer = new RunWriter(dir, `GMM-QF on ${envId} (seed ${flags.seed})`, probe.rewardThreshold);
  const quiet = Boolean(flags.quiet);
  const result = await trainGmmQf(
    {
      env: envId,
      steps: flags.steps as number,
      seed: flags.seed as number,
      components: flags.components as number,
      metric: flags.metric as 'ai' | 'bw',
      backend: flags.backend as BackendName,
      gamma: flags.gamma as number,
      stepsPerIteration: flags['steps-per-iteration'] as number,
      gdSteps: flags['gd-steps'] as number,
      evalEpisodes: flags['eval-episodes'] as number,
      keepBest: flags['keep-best'] as boolean,
      features: flags.features as 'auto' | FeatureKind,
      actionGrid: resolveActionGrid('train gmmqf', envId, str(flags, 'action-grid')),
    },
    {
      progress: (line) => {
        if (!quiet) err(line);
      },
      onIteration: (row) => writer.addRow({ ...row }),
    },
  );
  const info = {
    observation_space: spaceToJson(result.env.observationSpace),
    action_space: spaceToJson(result.env.actionSpace),
    env_id: envId,
    training: {
      algorithm: 'gmmqf-policy-iteration',
      ...result.config,
      env_steps: result.log.at(-1)?.env_steps ?? 0,
      iterations: result.log.length,
      best_iteration: result.bestIteration,
      best_eval_return: result.bestEvalReturn,
      wall_seconds: result.wallSeconds,
    },
    backend: result.backend.name,
  };
  const sha = saveGmmQfCheckpoint(dir, result.params, info);
  writer.writeSummary({ ...info, weights_sha256: sha, library_version: GMMRL_VERSION, backend_detail: result.backend });
  const last = result.log.at(-1);
  out(
    `trained gmmqf on ${envId}: ${last?.env_steps} steps, ${result.log.length} iterations in ${formatDuration(result.wallSeconds)} ` +
      `on ${result.backend.name}; best greedy return ${result.bestEvalReturn.toFixed(1)} (iteration ${result.bestIteration}); ` +
      `checkpoint ${dir}/ (metrics.csv, curve.svg)`,
  );
  return { dir, bestReturn: result.bestEvalReturn };
}

export async function trainSgmmqfCommand(argv: string[], out: Out, err: Out): Promise<{ dir: string; bestReturn: number }> {
  const { positionals, flags } = parseArgs('train sgmmqf', argv, SGMMQF_FLAGS);
  if (flags.help) {
    out(formatHelp('gmmrl train sgmmqf --env ID --out DIR [flags]', SGMMQF_FLAGS));
    return { dir: '', bestReturn: NaN };
  }
  checkPositionals('train sgmmqf', positionals, 0);
  const dir = requireFlag('train sgmmqf', flags, 'out', '--out runs/acrobot');
  const envId = str(flags, 'env')!;
  const probe = make(envId);
  const actionGrid = resolveActionGrid('train sgmmqf', envId, str(flags, 'action-grid'));
  const writer = new RunWriter(dir, `S-GMM-QF on ${envId} (seed ${flags.seed})`, probe.rewardThreshold);
  if (!flags.quiet) err('backend: js-float64 (S-GMM-QF updates run in a fused float64 typed-array kernel; TensorFlow.js is not used for training)');
  const result = await trainSgmmqf(
    {
      env: envId,
      steps: flags.steps as number,
      seed: flags.seed as number,
      components: flags.components as number,
      factors: flags.factors as number,
      rho: flags.rho as number,
      lrMeans: flags['lr-means'] as number,
      lrCovariances: flags['lr-covariances'] as number,
      lrFactors: flags['lr-factors'] as number,
      batchSize: flags['batch-size'] as number,
      bufferCapacity: flags.buffer as number,
      gamma: flags.gamma as number,
      warmupSteps: flags['warmup-steps'] as number,
      epsDecayFraction: flags['eps-decay-fraction'] as number,
      targetUpdate: flags['target-update'] as number,
      evalEvery: flags['eval-every'] as number,
      evalEpisodes: flags['eval-episodes'] as number,
      keepBest: flags['keep-best'] as boolean,
      features: flags.features as 'auto' | FeatureKind,
      ...(actionGrid ? { actionGrid } : {}),
    },
    { progress: progressSink(flags, err), onEval: (row) => writer.addRow({ ...row }) },
  );
  const last = result.log.at(-1);
  const { actionGrid: _grid, ...config } = result.config;
  const info = {
    observation_space: spaceToJson(result.env.observationSpace),
    action_space: spaceToJson(result.env.actionSpace),
    env_id: envId,
    training: {
      algorithm: 's-gmm-qf',
      ...config,
      env_steps: last?.env_steps ?? 0,
      best_step: result.bestStep,
      best_eval_return: result.bestEvalReturn,
      parameter_count: result.parameterCount,
      final_nonzero_fraction: last?.nonzero_fraction ?? NaN,
      final_live_components: last?.live_components ?? NaN,
      updates: result.updates,
      update_seconds: result.updateSeconds,
      wall_seconds: result.wallSeconds,
    },
    backend: 'js-float64',
  };
  const sha = saveGmmQfCheckpoint(dir, result.params, info, { factors: { J: result.factors.J, rho: result.config.rho, values: result.factors.values } });
  writer.writeSummary({ ...info, weights_sha256: sha, library_version: GMMRL_VERSION });
  out(
    `trained sgmmqf on ${envId}: ${last?.env_steps} steps in ${formatDuration(result.wallSeconds)} ` +
      `(${((1e3 * result.updateSeconds) / Math.max(1, result.updates)).toFixed(2)} ms per update); best greedy return ${result.bestEvalReturn.toFixed(1)} ` +
      `(step ${result.bestStep}); ${result.parameterCount} parameters, ${(100 * (last?.nonzero_fraction ?? NaN)).toFixed(1)} % nonzero weights; checkpoint ${dir}/`,
  );
  return { dir, bestReturn: result.bestEvalReturn };
}


export async function trainDqnCommand(argv: string[], out: Out, err: Out): Promise<{ dir: string; bestReturn: number }> {
  const { positionals, flags } = parseArgs('train dqn', argv, DQN_FLAGS);
  if (flags.help) {
    out(formatHelp('gmmrl train dqn --env ID --out DIR [flags]', DQN_FLAGS));
    return { dir: '', bestReturn: NaN };
  }
  checkPositionals('train dqn', positionals, 0);
  const dir = requireFlag('train dqn', flags, 'out', '--out runs/acrobot-dqn');
  const envId = str(flags, 'env')!;
  const probe = make(envId);
  const actionGrid = resolveActionGrid('train dqn', envId, str(flags, 'action-grid'));
  const double = Boolean(flags.double);
  const writer = new RunWriter(dir, `${double ? 'Double DQN' : 'DQN'} on ${envId} (seed ${flags.seed})`, probe.rewardThreshold);
  const result = await trainDqn(
    {
      env: envId,
      steps: flags.steps as number,
      seed: flags.seed as number,
      backend: flags.backend as BackendName,
      hidden: parseHidden('train dqn', str(flags, 'hidden')!, { allowEmpty: true }),
      double,
      learningRate: flags.lr as number,
      gamma: flags.gamma as number,
      batchSize: flags['batch-size'] as number,
      bufferSize: flags.buffer as number,
      warmupSteps: flags['warmup-steps'] as number,
      epsDecayFraction: flags['eps-decay-fraction'] as number,
      targetUpdate: flags['target-update'] as number,
      evalEvery: flags['eval-every'] as number,
      evalEpisodes: flags['eval-episodes'] as number,
      keepBest: flags['keep-best'] as boolean,
      ...(actionGrid ? { actionGrid } : {}),
    },
    { progress: progressSink(flags, err), onEvaluation: (row) => writer.addRow({ ...row }) },
  );
  const info = dqnCheckpointInfo(result);
  const sha = saveDqnCheckpoint(dir, result.params, info);
  writer.writeSummary({ ...info, weights_sha256: sha, library_version: GMMRL_VERSION });
  out(
    `trained ${double ? 'double-dqn' : 'dqn'} on ${envId}: ${result.config.steps} steps in ${formatDuration(result.wallSeconds)} on ${info.backend}; ` +
      `best greedy return ${result.bestEvalReturn.toFixed(1)}; ${result.parameterCount} parameters; checkpoint ${dir}/`,
  );
  return { dir, bestReturn: result.bestEvalReturn };
}

export async function evalCommand(argv: string[], out: Out): Promise<{ mean_return: number; std_return: number; episodes: number }> {
  const { positionals, flags } = parseArgs('eval', argv, EVAL_FLAGS);
  if (flags.help) {
    out(formatHelp('gmmrl eval FILE.onnx [--env ID] [--episodes N] [--seed S] [--json]', EVAL_FLAGS));
    return { mean_return: NaN, std_return: NaN, episodes: 0 };
  }
  checkPositionals('eval', positionals, 1);
  const file = requirePositional('eval', positionals, 0, 'the .onnx file', 'gmmrl eval policy.onnx --episodes 100');
  const episodes = flags.episodes as number;
  if (episodes < 1) throw new ValueError(`gmmrl eval: --episodes is ${episodes}; it must be ≥ 1.`);
  const policy = await loadPolicy(file);
  try {
    const envId = str(flags, 'env') ?? policy.info.metadata.env_id;
    if (!envId) throw new ValueError(`gmmrl eval: the model has no env_id metadata; pass --env ID.`);
    const env = make(envId);
    const seed = flags.seed as number;
    const { mean, std } = await runEpisodes(env, (obs) => policy.envAction(obs), episodes, seed);
    const res = { mean_return: mean, std_return: std, episodes };
    if (flags.json) out(JSON.stringify(res));
    else out(`${envId}: mean return ${mean.toFixed(2)} ± ${std.toFixed(2)} over ${episodes} episodes (seeds ${seed}…${seed + episodes - 1}), ONNX Runtime`);
    return res;
  } finally {
    await policy.dispose();
  }
}

async function demoCommand(argv: string[], out: Out, err: Out): Promise<boolean> {
  const { positionals, flags } = parseArgs('demo', argv, DEMO_FLAGS);
  if (flags.help) {
    out(formatHelp('gmmrl demo [--out DIR]', DEMO_FLAGS));
    return true;
  }
  checkPositionals('demo', positionals, 0);
  const dir = str(flags, 'out')!;
  const onnx = join(dir, 'policy.onnx');
  const t0 = performance.now();
  out(`[1/4] train: GMM-QF on CartPole-v1, ${flags.steps} steps, seed ${flags.seed}`);
  await trainGmmQfCommand(
    ['--env', 'CartPole-v1', '--steps', String(flags.steps), '--seed', String(flags.seed), '--backend', String(flags.backend), '--out', dir],
    out,
    err,
  );
  out(`[2/4] export → ${onnx}`);
  await exportCommand([dir, '--out', onnx], out);
  out('[3/4] evaluate 100 greedy episodes with ONNX Runtime');
  await evalCommand([onnx, '--episodes', '100', '--seed', '1000'], out);
  out('[4/4] verify parity (TensorFlow.js checkpoint vs ONNX Runtime)');
  const ok = await verifyCommand([dir, onnx, '--backend', String(flags.backend)], out);
  out(`demo ${ok ? 'passed' : 'FAILED'} in ${formatDuration((performance.now() - t0) / 1000)}; files in ${dir}/`);
  return ok;
}

/** `gmmrl train <algorithm>`: each command parses its own flags. */
const TRAIN_COMMANDS: Record<string, (argv: string[], out: Out, err: Out) => Promise<unknown>> = {
  gmmqf: trainGmmQfCommand,
  sgmmqf: trainSgmmqfCommand,
  dqn: trainDqnCommand,
  sac: trainSacCommand,
  td3: trainTd3Command,
  gamid: trainGamidCommand,
};

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], out: Out = (l) => console.log(l), err: Out = (l) => console.error(l)): Promise<number> {
  try {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        return 0;
      case '--version':
        out(GMMRL_VERSION);
        return 0;
      case 'envs':
        out(listEnvs().join('\n'));
        return 0;
      case 'train': {
        const [algo, ...flags] = rest;
        const command = algo === undefined ? undefined : TRAIN_COMMANDS[algo];
        if (command) {
          await command(flags, out, err);
          return 0;
        }
        throw new UnknownNameError(
          `gmmrl train: unknown algorithm ${JSON.stringify(algo ?? '')}. Available: ${Object.keys(TRAIN_COMMANDS).join(', ')}. Usage: gmmrl train sgmmqf --env CartPole-v1 --out runs/NAME.`,
        );
      }
      case 'export':
        await exportCommand(rest, out);
        return 0;
      case 'eval':
        await evalCommand(rest, out);
        return 0;
      case 'verify':
        return (await verifyCommand(rest, out)) ? 0 : 1;
      case 'demo':
        return (await demoCommand(rest, out, err)) ? 0 : 1;
      default:
        throw new UnknownNameError(`gmmrl: unknown command ${JSON.stringify(cmd)}. Commands: train, export, eval, verify, demo, envs. See 'gmmrl --help'.`);
    }
  } catch (e) {
    if (e instanceof GmmrlError) {
      err(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
