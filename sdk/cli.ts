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
 * Exit codes: 0 success, 1 parity failure or an internal error (a bug: the stack is printed), 2 bad
 * input (the message says why).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GmmrlError, UnknownNameError, ValueError } from '../contract/errors.js';
import { parseArgs, formatHelp, type FlagSpecs, type ParsedFlags } from './cli/args.js';
import { BACKEND_NAMES, type BackendName } from './backend.js';
import { loadGmmQfCheckpoint } from '../models/gmmqf/checkpoint.js';
import { loadDqnCheckpoint } from '../models/dqn/checkpoint.js';
import { exportGmmQf } from '../exporters/index.js';
import { exportDqn } from '../exporters/onnx/dqn.js';
import { verifyDqnParity } from './parity-dqn.js';
import { checkpointFamily } from './checkpoints.js';
import { exportMixtureActor } from '../exporters/onnx/mixture-actor.js';
import { exportGamidActor } from '../exporters/onnx/gamid-actor.js';
import { loadGamidActorCheckpoint, loadMixtureActorCheckpoint } from '../models/actor-critic/checkpoint.js';
import { verifyGamidActorParity, verifyMixtureActorParity } from './parity-actor.js';
import { writeFileAtomic } from '../models/io.js';
import { loadPolicy } from '../runtime/index.node.js';
import { make } from './envs/index.js';
import { verifyParity } from './parity.js';
import { runEpisodes } from './evaluate.js';
import { formatDuration } from './util/metrics.js';
import { GMMRL_VERSION } from '../models/version.js';
import { trainCommand, type TrainEntry } from './cli/train.js';
import { DQN_ENTRY, GMMQF_ENTRY, SGMMQF_ENTRY, trainGmmQfCommand } from './cli/train-q.js';
import { GAMID_ENTRY, SAC_ENTRY, TD3_ENTRY } from './cli/train-actor-critic.js';
import { envsCommand } from './cli/envs.js';

export { trainGmmQfCommand, trainSgmmqfCommand, trainDqnCommand } from './cli/train-q.js';
export { trainSacCommand, trainTd3Command, trainGamidCommand } from './cli/train-actor-critic.js';

const EXPORT_FLAGS: FlagSpecs = {
  out: { type: 'string', help: 'path of the .onnx file to write' },
  precision: { type: 'string', help: 'float32, or float64 (onnxruntime cpu and wasm only)', default: 'float32', choices: ['float32', 'float64'] },
  sampling: {
    type: 'string',
    help: 'action_sampled from noise inputs (reproducible), in-graph random ops (not reproducible across runtimes), or none (Q models: greedy only)',
    default: 'inputs',
    choices: ['inputs', 'in-graph', 'none'],
  },
  epsilon: { type: 'number', help: "Q models: ε of the sampled ε-greedy action (default: the training run's final ε, else 0.05)" },
  help: { type: 'boolean', help: 'show this help' },
};

const EVAL_FLAGS: FlagSpecs = {
  env: { type: 'string', help: "environment id (default: the model's env_id metadata)" },
  episodes: { type: 'int', help: 'number of episodes', default: 100 },
  seed: { type: 'int', help: 'seed of the first episode (episode i uses seed + i)', default: 0 },
  json: { type: 'boolean', help: 'print JSON {mean_return, std_return, episodes}', default: false },
  help: { type: 'boolean', help: 'show this help' },
};

const VERIFY_FLAGS: FlagSpecs = {
  states: { type: 'int', help: 'number of states to compare', default: 3000 },
  seed: { type: 'int', help: 'seed for the state draws (the sampling noise uses seed + 1)', default: 0 },
  rtol: { type: 'number', help: 'gmmqf: relative tolerance on q where |q| > 1e-3', default: 1e-5 },
  backend: { type: 'string', help: 'TensorFlow.js backend', default: 'auto', choices: BACKEND_NAMES },
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
  gmmrl envs [--json]                             list environment ids, action spaces (discrete/continuous) and observation sizes
Add --help to any command for its flags; 'gmmrl train --help' lists the algorithms.
`;

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

export async function exportCommand(argv: string[], out: Out): Promise<string> {
  const { positionals, flags } = parseArgs('export', argv, EXPORT_FLAGS);
  if (flags.help) {
    out(formatHelp('gmmrl export DIR --out FILE.onnx', EXPORT_FLAGS));
    return '';
  }
  checkPositionals('export', positionals, 1);
  const dir = requirePositional('export', positionals, 0, 'the checkpoint directory', 'gmmrl export runs/NAME --out policy.onnx');
  const file = requireFlag('export', flags, 'out', '--out policy.onnx');
  const family = checkpointFamily(dir);
  const precision = flags.precision as 'float32' | 'float64';
  const sampling = flags.sampling as 'inputs' | 'in-graph' | 'none';
  const epsilonFlag = flags.epsilon as number | undefined;
  const actor = family === 'mixture-actor' || family === 'gamid-actor';
  if (actor && sampling === 'none') {
    throw new ValueError(`gmmrl export: --sampling none is for Q models; a ${family} always has action_sampled. Use --sampling inputs (default) or in-graph.`);
  }
  if (actor && epsilonFlag !== undefined) {
    throw new ValueError(`gmmrl export: --epsilon ${epsilonFlag} applies to Q models only; a ${family} samples from its own policy${family === 'gamid-actor' ? ' (its ε is the checkpoint\'s)' : ''}.`);
  }
  if (epsilonFlag !== undefined && !(epsilonFlag >= 0 && epsilonFlag <= 1)) {
    throw new ValueError(`gmmrl export: --epsilon ${epsilonFlag} is outside [0, 1]; pass e.g. --epsilon 0.05.`);
  }
  const qEpsilon = (training: Record<string, unknown>): number => {
    if (epsilonFlag !== undefined) return epsilonFlag;
    const e = training['epsEnd'];
    return typeof e === 'number' && e >= 0 && e <= 1 ? e : 0.05;
  };
  let bytes: Uint8Array;
  let summary: string;
  if (family === 'mixture-actor' || family === 'gamid-actor') {
    const actorOpts = { precision, sampling: sampling as 'inputs' | 'in-graph' };
    if (family === 'mixture-actor') {
      const ckpt = loadMixtureActorCheckpoint(dir);
      bytes = exportMixtureActor(ckpt.actor, actorExportMeta(ckpt), actorOpts);
      summary = `mixture-actor, K=${ckpt.actor.head.K}, layers ${ckpt.actor.trunk.layers.join('-')}`;
    } else {
      const ckpt = loadGamidActorCheckpoint(dir);
      bytes = exportGamidActor(ckpt.actor, actorExportMeta(ckpt), actorOpts);
      summary = `gamid-actor, C=${ckpt.actor.actors.length}, layers ${ckpt.actor.actors[0]!.layers.join('-')}`;
    }
  } else if (family === 'dqn') {
    const ckpt = loadDqnCheckpoint(dir);
    const obsSpace = ckpt.config.observation_space;
    bytes = exportDqn(
      ckpt.params,
      {
        envId: ckpt.config.env_id,
        observationSpace: spaceBounds(obsSpace, ckpt.params.layers[0]!),
        actionSpace: ckpt.params.actionGrid
          ? { kind: 'box', ...spaceBounds(ckpt.config.action_space, 1) }
          : { kind: 'discrete', n: ckpt.params.layers.at(-1)! },
        sourceCheckpointSha256: ckpt.sha256,
        training: ckpt.config.training,
      },
      { precision, sampling, epsilon: qEpsilon(ckpt.config.training) },
    );
    summary = `dqn, layers ${ckpt.params.layers.join('-')}`;
  } else {
    const ckpt = loadGmmQfCheckpoint(dir);
    const obsSpace = ckpt.config.observation_space;
    const training = ckpt.config.training;
    const pc = training['parameter_count'];
    bytes = exportGmmQf(
      ckpt.params,
      {
        envId: ckpt.config.env_id,
        observationSpace: spaceBounds(obsSpace, ckpt.params.D),
        sourceCheckpointSha256: ckpt.sha256,
        training,
        ...(ckpt.factors ? { sparsity: { factors: ckpt.factors.J, rho: ckpt.factors.rho, threshold: Number(training['sparsityThreshold'] ?? 1e-6) } } : {}),
        ...(typeof pc === 'number' ? { parameterCount: pc } : {}),
      },
      { precision, sampling, epsilon: qEpsilon(training) },
    );
    summary = `gmmqf, K=${ckpt.params.K}, D=${ckpt.params.D}, A=${ckpt.params.A}`;
  }
  summary += `, ${precision}, sampling ${sampling}`;
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileAtomic(file, bytes);
  out(`exported ${dir} → ${file} (${bytes.length} bytes, ${summary})`);
  return file;
}

/** Export metadata of an actor checkpoint: its environment's observation space and its training record. */
function actorExportMeta(ckpt: { config: { env_id: string; observation_space: SpaceJsonLike; training: Record<string, unknown> }; sha256: string; actor: { obsOffset: Float64Array } }) {
  return {
    envId: ckpt.config.env_id,
    observationSpace: spaceBounds(ckpt.config.observation_space, ckpt.actor.obsOffset.length),
    sourceCheckpointSha256: ckpt.sha256,
    training: ckpt.config.training,
  };
}

type SpaceJsonLike = { shape?: number[]; low?: (number | null)[]; high?: (number | null)[] };

function spaceBounds(space: { shape?: number[]; low?: (number | null)[]; high?: (number | null)[] }, fallbackSize: number) {
  return {
    shape: space.shape ?? [fallbackSize],
    low: (space.low ?? []).map((v) => (v === null ? -Infinity : v)),
    high: (space.high ?? []).map((v) => (v === null ? Infinity : v)),
  };
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

export async function verifyCommand(argv: string[], out: Out): Promise<boolean> {
  const { positionals, flags } = parseArgs('verify', argv, VERIFY_FLAGS);
  if (flags.help) {
    out(formatHelp('gmmrl verify DIR FILE.onnx [--states N]', VERIFY_FLAGS));
    return true;
  }
  checkPositionals('verify', positionals, 2);
  const usage = 'gmmrl verify runs/NAME policy.onnx';
  const dir = requirePositional('verify', positionals, 0, 'the checkpoint directory', usage);
  const file = requirePositional('verify', positionals, 1, 'the .onnx file', usage);
  const opts = {
    states: flags.states as number,
    seed: flags.seed as number,
    rtol: flags.rtol as number,
    backend: flags.backend as BackendName,
  };
  const family = checkpointFamily(dir);
  const report =
    family === 'dqn'
      ? await verifyDqnParity(dir, file, opts)
      : family === 'mixture-actor'
        ? await verifyMixtureActorParity(dir, file, opts)
        : family === 'gamid-actor'
          ? await verifyGamidActorParity(dir, file, opts)
          : await verifyParity(dir, file, opts);
  out(JSON.stringify(report, null, 2));
  return report.pass;
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

/**
 * The algorithms of `gmmrl train`, in the order `gmmrl train --help` lists them (each a TrainEntry:
 * its config spec, train function, checkpoint and summary; sdk/cli/train.ts runs them all).
 */
export const TRAIN_ALGORITHMS: TrainEntry<any, any>[] = [GMMQF_ENTRY, SGMMQF_ENTRY, DQN_ENTRY, SAC_ENTRY, TD3_ENTRY, GAMID_ENTRY];

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
        envsCommand(rest, out);
        return 0;
      case 'train':
        await trainCommand(TRAIN_ALGORITHMS, rest, out, err);
        return 0;
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
    // anything else is a bug (InternalError, or an error gmmrl did not mean to throw): the stack helps the report
    err(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}
