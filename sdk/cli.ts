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
 *   gmmrl verify runs/NAME policy.onnx [--states N] [--seed S] [--json]
 *   gmmrl demo [--out runs/demo] [--steps N] [--overwrite]   ("demo passed": parity passed and return ≥ 475)
 *
 * Exit codes: 0 success (a demo whose policy stays below the reward threshold included: its summary
 * says so), 1 parity failure or an internal error (a bug: the stack is printed), 2 bad
 * input (the message says why), 130 / 143 a training stopped by SIGINT / SIGTERM and saved (resumable).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GmmrlError, UnknownNameError, ValueError, describeValue } from '../contract/errors.js';
import { parseArgs, formatHelp, checkPositionals, requirePositional, stringFlag as str, type FlagSpecs } from './cli/args.js';
import { BACKEND_NAMES } from './backend.js';
import { loadPolicy } from '../runtime/index.node.js';
import { make } from './envs/index.js';
import { runEpisodes } from './evaluate.js';
import { formatDuration } from './util/metrics.js';
import { GMMRL_VERSION } from '../models/version.js';
import { checkTrainEntry, trainCommand, type AnyTrainEntry } from './cli/train.js';
import { DQN_ENTRY, GMMQF_ENTRY, SGMMQF_ENTRY, trainGmmQfCommand } from './cli/train-q.js';
import { GAMID_ENTRY, SAC_ENTRY, TD3_ENTRY } from './cli/train-actor-critic.js';
import { envsCommand } from './cli/envs.js';
import { exportCommand } from './cli/export.js';
import { runVerify, verifyCommand, verifySummary } from './cli/verify.js';

export { trainGmmQfCommand, trainSgmmqfCommand, trainDqnCommand } from './cli/train-q.js';
export { trainSacCommand, trainTd3Command, trainGamidCommand } from './cli/train-actor-critic.js';
/** `gmmrl export` and `gmmrl verify` dispatch through the family registry (sdk/cli/export.ts, sdk/cli/verify.ts). */
export { exportCommand, verifyCommand };

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
  overwrite: { type: 'boolean', help: 'replace the demo run at --out (a second demo into the same directory needs it)', default: false },
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
  gmmrl verify DIR FILE.onnx [--json]            prove the ONNX file matches the checkpoint, greedy and sampled
  gmmrl demo [--out DIR]                          train, export, evaluate and verify on CartPole-v1
  gmmrl envs [--json]                             list environment ids, action spaces (discrete/continuous) and observation sizes
Add --help to any command for its flags; 'gmmrl train --help' lists the algorithms.
`;

type Out = (line: string) => void;

/** loadPolicy, with the file's path in front of an error that does not name it ("unsupported wire type … at byte offset 2"). */
async function loadPolicyNamed(file: string): Promise<Awaited<ReturnType<typeof loadPolicy>>> {
  try {
    return await loadPolicy(file);
  } catch (e) {
    if (e instanceof GmmrlError && !e.message.includes(file)) {
      const Named = e.constructor as new (message: string) => GmmrlError;
      throw new Named(`gmmrl eval: ${file}: ${e.message}`);
    }
    throw e;
  }
}

async function evalCommand(argv: string[], out: Out): Promise<{ mean_return: number; std_return: number; episodes: number }> {
  const { positionals, flags } = parseArgs('eval', argv, EVAL_FLAGS);
  if (flags.help) {
    out(formatHelp('gmmrl eval FILE.onnx [--env ID] [--episodes N] [--seed S] [--json]', EVAL_FLAGS));
    return { mean_return: NaN, std_return: NaN, episodes: 0 };
  }
  checkPositionals('eval', positionals, 1);
  const file = requirePositional('eval', positionals, 0, 'the .onnx file', 'gmmrl eval policy.onnx --episodes 100');
  const episodes = flags.episodes as number;
  if (episodes < 1) throw new ValueError(`gmmrl eval: --episodes is ${episodes}; it must be ≥ 1.`);
  const policy = await loadPolicyNamed(file);
  try {
    const trainedOn = policy.info.metadata.env_id;
    const given = str(flags, 'env');
    // a model acts on the observations of the environment it was trained on; another one's would be silently wrong
    if (given !== undefined && trainedOn && given !== trainedOn) {
      make(given); // an unknown id is refused first, with its did-you-mean
      throw new ValueError(
        `gmmrl eval: ${file} was trained on ${trainedOn} (metadata env_id), but --env is ${given}; drop --env, or pass a model trained on ${given}.`,
      );
    }
    const envId = given ?? trainedOn;
    if (!envId) throw new ValueError(`gmmrl eval: ${file} has no env_id metadata; pass --env ID.`);
    const env = make(envId);
    const seed = flags.seed as number;
    const { mean, std } = await runEpisodes(env, (obs) => policy.envAction(obs), episodes, seed);
    const res = { mean_return: mean, std_return: std, episodes };
    if (flags.json) out(JSON.stringify(res));
    else
      out(
        `${envId}: mean return ${mean.toFixed(2)} ± ${std.toFixed(2)} over ${episodes} episodes (seeds ${seed}…${seed + episodes - 1}), ONNX Runtime`,
      );
    return res;
  } finally {
    await policy.dispose();
  }
}

/** The environment `gmmrl demo` trains on. */
const DEMO_ENV = 'CartPole-v1';

/**
 * `gmmrl demo`; returns the exit code: 0 when the pipeline ran and parity passed (whether or not
 * the policy reached the environment's reward threshold: the summary says which), 1 when parity
 * fails, 130/143 when the training was stopped by a signal. "demo passed" means parity passed AND
 * the mean return over the 100 ONNX Runtime episodes reached the threshold (475 for CartPole-v1);
 * a short training that only proves the pipeline says "parity passed; the policy did not reach …"
 * with the fix, and exits 0 (the pipeline works; the model is what it is).
 */
async function demoCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const { positionals, flags } = parseArgs('demo', argv, DEMO_FLAGS);
  if (flags.help) {
    out(formatHelp('gmmrl demo [--out DIR] [--steps N] [--overwrite]', DEMO_FLAGS));
    return 0;
  }
  checkPositionals('demo', positionals, 0);
  const dir = str(flags, 'out')!;
  const onnx = join(dir, 'policy.onnx');
  const verifyJson = join(dir, 'verify.json');
  const t0 = performance.now();
  out(`[1/4] train: GMM-QF on ${DEMO_ENV}, ${flags.steps} steps, seed ${flags.seed}`);
  const trained = await trainGmmQfCommand(
    [
      '--env',
      DEMO_ENV,
      '--steps',
      String(flags.steps),
      '--seed',
      String(flags.seed),
      '--backend',
      String(flags.backend),
      '--out',
      dir,
      ...(flags.overwrite ? ['--overwrite'] : []),
    ],
    out,
    err,
  );
  if (trained !== null && trained.exitCode !== 0) return trained.exitCode;
  out(`[2/4] export → ${onnx}`);
  await exportCommand([dir, '--out', onnx], out);
  out('[3/4] evaluate 100 greedy episodes with ONNX Runtime');
  const ev = await evalCommand([onnx, '--episodes', '100', '--seed', '1000'], out);
  out(`[4/4] verify parity (TensorFlow.js checkpoint vs ONNX Runtime) → ${verifyJson}`);
  const report = (await runVerify([dir, onnx, '--backend', String(flags.backend)], out, false))!;
  writeFileSync(verifyJson, `${JSON.stringify(report, null, 2)}\n`);
  const env = make(DEMO_ENV);
  const lines = demoSummary({
    steps: flags.steps as number,
    seed: flags.seed as number,
    meanReturn: ev.mean_return,
    stdReturn: ev.std_return,
    episodes: ev.episodes,
    maxReturn: env.maxEpisodeSteps,
    threshold: env.rewardThreshold!,
    verify: verifySummary(report),
    pass: report.pass,
    dir,
    onnx,
    verifyJson,
    seconds: (performance.now() - t0) / 1000,
  });
  out('');
  for (const line of lines) out(line);
  return report.pass ? 0 : 1;
}

/** What `demoSummary` reports. */
export interface DemoOutcome {
  steps: number;
  seed: number;
  meanReturn: number;
  stdReturn: number;
  episodes: number;
  /** The most an episode can return (CartPole-v1: 500 steps of reward 1). */
  maxReturn: number;
  /** The environment's reward threshold (CartPole-v1: 475): "passed" needs the mean return ≥ it. */
  threshold: number;
  /** verifySummary of the parity report (its greedy and sampled lines and the verdict). */
  verify: string[];
  pass: boolean;
  dir: string;
  onnx: string;
  verifyJson: string;
  seconds: number;
}

/**
 * The closing lines of `gmmrl demo`: what was trained, the return against the maximum and the
 * threshold, the parity verdict per mode, where the files are, the next commands, and the verdict:
 * "demo passed" only when parity passed and the mean return reached the threshold.
 */
export function demoSummary(o: DemoOutcome): string[] {
  const ret = o.meanReturn.toFixed(1);
  const reached = o.meanReturn >= o.threshold;
  const modes = o.verify.filter((l) => /^(greedy|sampled):/.test(l)).map((l) => `  parity ${l}`);
  const time = formatDuration(o.seconds);
  const verdict = !o.pass
    ? `demo FAILED in ${time}: parity failed (${o.verify.at(-1)!.replace(/^verify: FAIL: /, '')}); the report: ${o.verifyJson}`
    : reached
      ? `demo passed in ${time}: parity passed (greedy and sampled) and the mean return ${ret} ≥ ${o.threshold}, ${DEMO_ENV}'s reward threshold`
      : `demo finished in ${time}: parity passed; the policy did not reach ${o.threshold} (${ret}): train longer, e.g. --steps 20000`;
  return [
    `summary: GMM-QF trained on ${DEMO_ENV} for ${o.steps} steps (seed ${o.seed})`,
    `  return: ${ret} ± ${o.stdReturn.toFixed(1)} over ${o.episodes} ONNX Runtime episodes (the maximum is ${o.maxReturn}; solved at ≥ ${o.threshold})`,
    ...modes,
    `  files: ${o.dir}/ (the run: run.json, metrics.csv, curve.svg, checkpoints/), ${o.onnx}, ${o.verifyJson} (the full parity report)`,
    'next:',
    `  gmmrl eval ${o.onnx} --episodes 20   (play episodes with ONNX Runtime)`,
    `  npm run serve:browser -- --model ${o.onnx}   (the browser page, examples/browser, opens with this policy loaded)`,
    `  import { loadPolicy } from 'gmmrl/runtime'; const p = await loadPolicy('${o.onnx}'); await p.envAction(obs)   (the library)`,
    verdict,
  ];
}

/**
 * The built-in algorithms of `gmmrl train`, in the order `gmmrl train --help` lists them (each a
 * TrainEntry: its config spec, train function, checkpoint and summary; sdk/cli/train.ts runs them all).
 */
const TRAIN_ALGORITHMS: readonly AnyTrainEntry[] = Object.freeze([GMMQF_ENTRY, SGMMQF_ENTRY, DQN_ENTRY, SAC_ENTRY, TD3_ENTRY, GAMID_ENTRY]);

/** The algorithms added with registerAlgorithm, in the order they were added (listed after the built-ins). */
const REGISTERED: AnyTrainEntry[] = [];

/** Every algorithm `gmmrl train` knows: the built-ins, then those added with registerAlgorithm. */
export function trainAlgorithms(): AnyTrainEntry[] {
  return [...TRAIN_ALGORITHMS, ...REGISTERED];
}

/**
 * Adds an algorithm to `gmmrl train` (through `main`, the `cli` export of gmmrl): `gmmrl train
 * <entry.name>` then runs it, with flags and `--help` derived from its spec table, and `gmmrl train
 * --help` lists it. Throws ValueError for a name already taken and for a malformed entry (see
 * checkTrainEntry in sdk/cli/train.ts), naming the name and what to fix.
 */
export function registerAlgorithm(entry: AnyTrainEntry): void {
  checkTrainEntry(
    entry,
    trainAlgorithms().map((e) => e.name),
    'registerAlgorithm',
  );
  REGISTERED.push(entry);
}

/**
 * Removes an algorithm added with registerAlgorithm (so a test leaves `gmmrl train` as it found
 * it). Throws UnknownNameError for a name not registered, ValueError for a built-in algorithm.
 */
export function unregisterAlgorithm(name: string): void {
  if (TRAIN_ALGORITHMS.some((e) => e.name === name))
    throw new ValueError(
      `unregisterAlgorithm: ${JSON.stringify(name)} is a built-in algorithm; only algorithms added with registerAlgorithm can be removed.`,
    );
  const i = REGISTERED.findIndex((e) => e.name === name);
  if (i < 0)
    throw new UnknownNameError(
      `unregisterAlgorithm: ${describeValue(name)} is not registered. Added with registerAlgorithm: ${REGISTERED.map((e) => e.name).join(', ') || 'none'}.`,
    );
  REGISTERED.splice(i, 1);
}

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
        return (await trainCommand(trainAlgorithms(), rest, out, err))?.exitCode ?? 0;
      case 'export':
        await exportCommand(rest, out);
        return 0;
      case 'eval':
        await evalCommand(rest, out);
        return 0;
      case 'verify':
        return (await verifyCommand(rest, out)) ? 0 : 1;
      case 'demo':
        return await demoCommand(rest, out, err);
      default:
        throw new UnknownNameError(
          `gmmrl: unknown command ${JSON.stringify(cmd)}. Commands: train, export, eval, verify, demo, envs. See 'gmmrl --help'.`,
        );
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
