/**
 * `gmmrl train sac | td3 | gamid`: the actor-critic commands. Each writes a run directory
 * (checkpoint, metrics.csv, curve.svg, run.json) like every other `gmmrl train`, and ends with a
 * final greedy evaluation of the saved parameters on unseen episodes (seeds 100000 + i).
 */
import { ValueError } from '../../contract/errors.js';
import { parseArgs, parseHidden, formatHelp, type FlagSpecs, type ParsedFlags } from './args.js';
import { BACKEND_NAMES, type BackendName } from '../backend.js';
import { make } from '../envs/index.js';
import { RunWriter } from '../runs.js';
import { formatDuration } from '../util/metrics.js';
import { spaceToJson } from '../spaces-json.js';
import { GMMRL_VERSION } from '../../models/version.js';
import { OFF_POLICY_DEFAULTS, type OffPolicyConfig, type OffPolicyEvalRow } from '../algorithms/actor-critic.js';
import { SAC_DEFAULTS, defaultComponents, sacTrainingRecord, trainSac, type SacConfig } from '../algorithms/sac.js';
import { ESTIMATORS, POLICY_KINDS, type EstimatorName, type PolicyKind } from '../algorithms/sac-estimators.js';
import { TD3_DEFAULTS, deterministicTrainingRecord, trainTd3, type Td3Config } from '../algorithms/td3.js';
import { GAMID_DEFAULTS, formatSchedule, parseSchedule, trainGamid } from '../algorithms/gamid.js';
import { saveGamidActorCheckpoint, saveMixtureActorCheckpoint, type ActorCheckpointInfo } from '../../models/actor-critic/checkpoint.js';
import { mixtureActorGreedy } from '../../models/mixture-actor/params.js';
import { gamidGreedy } from '../../models/gamid-actor/params.js';
import { runEpisodes } from '../evaluate.js';

type Out = (line: string) => void;

/** Seed of the first final-evaluation episode (disjoint from the training and periodic-evaluation seeds). */
export const FINAL_EVAL_SEED = 100000;

function acFlags(d: OffPolicyConfig): FlagSpecs {
  return {
    env: { type: 'string', help: 'environment id with continuous actions (gmmrl envs lists them)', default: d.env },
    steps: { type: 'int', help: 'total environment steps (warm-up included)', default: d.steps },
    seed: { type: 'int', help: 'random seed', default: 0 },
    backend: { type: 'string', help: 'TensorFlow.js backend', default: 'auto', choices: BACKEND_NAMES },
    out: { type: 'string', help: 'run directory to write (checkpoint, metrics.csv, curve.svg, run.json)' },
    quiet: { type: 'boolean', help: 'no progress lines', default: false },
    hidden: { type: 'string', help: 'hidden widths of the actor and critic MLPs, comma-separated', default: d.hidden.join(',') },
    gamma: { type: 'number', help: 'discount factor', default: d.gamma },
    tau: { type: 'number', help: 'Polyak coefficient of the target networks', default: d.tau },
    'actor-lr': { type: 'number', help: 'Adam learning rate of the actor', default: d.actorLr },
    'critic-lr': { type: 'number', help: 'Adam learning rate of the critics', default: d.criticLr },
    'batch-size': { type: 'int', help: 'mini-batch size', default: d.batchSize },
    buffer: { type: 'int', help: 'replay buffer capacity', default: d.bufferSize },
    'warmup-steps': { type: 'int', help: 'uniformly random steps before learning (they fix the normalization)', default: d.warmupSteps },
    'updates-per-step': { type: 'int', help: 'gradient steps per environment step', default: d.updatesPerStep },
    'eval-every': { type: 'int', help: 'greedy evaluation every N steps', default: d.evalEvery },
    'eval-episodes': { type: 'int', help: 'greedy episodes per evaluation', default: d.evalEpisodes },
    'keep-best': { type: 'boolean', help: 'save the best-evaluated parameters (--keep-best=false: the last)', default: d.keepBest },
    'max-episode-steps': { type: 'int', help: "override the environment's time limit" },
    'final-episodes': { type: 'int', help: 'greedy episodes of the saved parameters after training (seeds 100000+)', default: 20 },
    help: { type: 'boolean', help: 'show this help' },
  };
}

const SAC_FLAGS: FlagSpecs = {
  ...acFlags(SAC_DEFAULTS),
  policy: { type: 'string', help: 'sg (squashed Gaussian), sgm (mixture), usgm (mixture, uniform weights)', default: 'sg', choices: POLICY_KINDS },
  estimator: { type: 'string', help: 'actor gradient: rp (sg, usgm), mrp, halfrp, gumbelrp (sgm), lr (sg, sgm); default rp for sg/usgm, mrp for sgm', choices: ESTIMATORS },
  components: { type: 'int', help: 'mixture components K (default 5 for sgm/usgm, 1 for sg)' },
  alpha: { type: 'string', help: 'entropy scale: "auto" or a fixed number ≥ 0', default: 'auto' },
  'alpha-init': { type: 'number', help: 'initial α when --alpha auto', default: SAC_DEFAULTS.alphaInit },
  'target-entropy': { type: 'number', help: 'target entropy of --alpha auto (default −A)' },
  'alpha-lr': { type: 'number', help: 'Adam learning rate of log α', default: SAC_DEFAULTS.alphaLr },
  samples: { type: 'int', help: 'samples per state of halfrp and lr (leave-one-out baseline)', default: SAC_DEFAULTS.samples },
  'gumbel-temperature': { type: 'number', help: 'Gumbel-softmax temperature of gumbelrp', default: SAC_DEFAULTS.gumbelTemperature },
};

function td3Flags(d: Td3Config): FlagSpecs {
  return {
    ...acFlags(d),
    'policy-delay': { type: 'int', help: 'actor and target update every N critic updates', default: d.policyDelay },
    'exploration-std': { type: 'number', help: 'Gaussian exploration noise σ on the [−1, 1] action scale', default: d.explorationStd },
    'target-noise': { type: 'number', help: 'target-policy smoothing noise σ', default: d.targetNoise },
    'target-noise-clip': { type: 'number', help: 'clip of the smoothing noise', default: d.targetNoiseClip },
  };
}

const TD3_FLAGS = td3Flags(TD3_DEFAULTS);
const GAMID_FLAGS: FlagSpecs = {
  ...td3Flags(GAMID_DEFAULTS),
  actors: { type: 'int', help: 'number of component actors N', default: GAMID_DEFAULTS.actors },
  temperature: { type: 'string', help: 'diversity temperature τ: τ0 or τ0:τ1:fraction (linear decay)', default: formatSchedule(GAMID_DEFAULTS.temperature) },
  epsilon: { type: 'string', help: 'ε-greedy component choice: ε0 or ε0:ε1:fraction', default: formatSchedule(GAMID_DEFAULTS.epsilon) },
};


function commonConfig(command: string, flags: ParsedFlags): OffPolicyConfig {
  return {
    env: flags.env as string,
    steps: flags.steps as number,
    seed: flags.seed as number,
    backend: flags.backend as BackendName,
    hidden: parseHidden(command, flags.hidden as string),
    gamma: flags.gamma as number,
    tau: flags.tau as number,
    actorLr: flags['actor-lr'] as number,
    criticLr: flags['critic-lr'] as number,
    batchSize: flags['batch-size'] as number,
    bufferSize: flags.buffer as number,
    warmupSteps: flags['warmup-steps'] as number,
    updatesPerStep: flags['updates-per-step'] as number,
    obsStdFloor: OFF_POLICY_DEFAULTS.obsStdFloor,
    evalEvery: flags['eval-every'] as number,
    evalEpisodes: flags['eval-episodes'] as number,
    keepBest: flags['keep-best'] as boolean,
    ...(flags['max-episode-steps'] !== undefined ? { maxEpisodeSteps: flags['max-episode-steps'] as number } : {}),
  };
}

function td3Config(command: string, flags: ParsedFlags): Td3Config {
  return {
    ...commonConfig(command, flags),
    policyDelay: flags['policy-delay'] as number,
    explorationStd: flags['exploration-std'] as number,
    targetNoise: flags['target-noise'] as number,
    targetNoiseClip: flags['target-noise-clip'] as number,
  };
}

export interface ActorCriticRunSummary {
  dir: string;
  bestReturn: number;
  finalEval: { mean: number; std: number; episodes: number; seed: number } | null;
  /** The greedy environment action at the first final-evaluation episode's initial observation. */
  greedyAction: number[];
}

/** Shared tail of the three commands: final evaluation, checkpoint, run.json, one summary line. */
async function finish(
  dir: string,
  flags: ParsedFlags,
  r: { bestEvalReturn: number; bestStep: number; wallSeconds: number; backend: { name: string } },
  greedy: (obs: Float32Array) => Float64Array,
  save: (info: ActorCheckpointInfo) => string,
  training: Record<string, unknown>,
  method: string,
  out: Out,
): Promise<ActorCriticRunSummary> {
  const envId = flags.env as string;
  const episodes = flags['final-episodes'] as number; // checked in start(), before training
  const maxSteps = flags['max-episode-steps'] as number | undefined;
  const evalEnv = make(envId, maxSteps === undefined ? undefined : { maxEpisodeSteps: maxSteps });
  const greedyAction = Array.from(greedy(evalEnv.reset({ seed: FINAL_EVAL_SEED }).obs));
  const finalEval = episodes > 0 ? { ...(await runEpisodes(evalEnv, (o) => greedy(o), episodes, FINAL_EVAL_SEED)), episodes, seed: FINAL_EVAL_SEED } : null;
  const info: ActorCheckpointInfo = {
    observation_space: spaceToJson(evalEnv.observationSpace),
    action_space: spaceToJson(evalEnv.actionSpace),
    env_id: envId,
    training: { ...training, final_eval_mean: finalEval?.mean ?? null, final_eval_std: finalEval?.std ?? null, final_eval_episodes: episodes },
    backend: r.backend.name,
  };
  const sha = save(info);
  const { returns: _returns, ...finalStats } = finalEval ?? { returns: [] };
  new RunWriter(dir, '').writeSummary({ ...info, final_eval: finalEval ? finalStats : null, greedy_action_at_reset: greedyAction, weights_sha256: sha, library_version: GMMRL_VERSION });
  out(
    `trained ${method} on ${envId}: ${flags.steps} steps in ${formatDuration(r.wallSeconds)} on ${r.backend.name}; best greedy return ${r.bestEvalReturn.toFixed(2)} (step ${r.bestStep})` +
      (finalEval ? `; final ${finalEval.mean.toFixed(2)} ± ${finalEval.std.toFixed(2)} over ${episodes} unseen episodes` : '') +
      `; checkpoint ${dir}/`,
  );
  return { dir, bestReturn: r.bestEvalReturn, finalEval: finalEval ? { mean: finalEval.mean, std: finalEval.std, episodes, seed: FINAL_EVAL_SEED } : null, greedyAction };
}

function start(command: string, argv: string[], specs: FlagSpecs, out: Out) {
  const { positionals, flags } = parseArgs(command, argv, specs);
  if (flags.help) {
    out(formatHelp(`gmmrl ${command} --env ID --out DIR [flags]`, specs));
    return null;
  }
  if (positionals.length > 0) throw new ValueError(`gmmrl ${command}: unexpected argument ${JSON.stringify(positionals[0])}. See 'gmmrl ${command} --help'.`);
  const dir = flags.out;
  if (typeof dir !== 'string' || dir === '') throw new ValueError(`gmmrl ${command}: --out is required, e.g. --out runs/pendulum.`);
  const episodes = flags['final-episodes'] as number;
  if (!(Number.isSafeInteger(episodes) && episodes >= 0)) throw new ValueError(`gmmrl ${command}: --final-episodes is ${episodes}; it must be an integer ≥ 0.`);
  const probe = make(flags.env as string); // validates the id before any work
  return { flags, dir, probe };
}

function writerFor(dir: string, title: string, threshold: number | undefined) {
  const w = new RunWriter(dir, title, threshold);
  return (row: OffPolicyEvalRow) => w.addRow({ ...row });
}

export async function trainSacCommand(argv: string[], out: Out, err: Out): Promise<ActorCriticRunSummary | null> {
  const s = start('train sac', argv, SAC_FLAGS, out);
  if (!s) return null;
  const { flags, dir, probe } = s;
  const policy = flags.policy as PolicyKind;
  const alphaText = flags.alpha as string;
  const alpha = alphaText === 'auto' ? 'auto' : Number(alphaText);
  if (alpha !== 'auto' && !(Number.isFinite(alpha) && alpha >= 0)) throw new ValueError(`gmmrl train sac: --alpha ${JSON.stringify(alphaText)}; expected "auto" or a number ≥ 0, e.g. --alpha 0.2.`);
  const cfg: SacConfig = {
    ...SAC_DEFAULTS,
    ...commonConfig('train sac', flags),
    policy,
    estimator: (flags.estimator as EstimatorName | undefined) ?? (policy === 'sgm' ? 'mrp' : 'rp'),
    components: (flags.components as number | undefined) ?? defaultComponents(policy),
    alpha,
    alphaInit: flags['alpha-init'] as number,
    alphaLr: flags['alpha-lr'] as number,
    samples: flags.samples as number,
    gumbelTemperature: flags['gumbel-temperature'] as number,
    ...(flags['target-entropy'] !== undefined ? { targetEntropy: flags['target-entropy'] as number } : {}),
  };
  const quiet = Boolean(flags.quiet);
  const r = await trainSac(cfg, { progress: (l) => !quiet && err(l), onEvaluation: writerFor(dir, `SAC ${cfg.policy}/${cfg.estimator} on ${cfg.env} (seed ${cfg.seed})`, probe.rewardThreshold) });
  const p = r.params;
  return finish(dir, flags, r, (o) => mixtureActorGreedy(p.actor, o), (info) => saveMixtureActorCheckpoint(dir, p.actor, p.critics, info), sacTrainingRecord(r), `SAC ${r.method}`, out);
}

export async function trainTd3Command(argv: string[], out: Out, err: Out): Promise<ActorCriticRunSummary | null> {
  const s = start('train td3', argv, TD3_FLAGS, out);
  if (!s) return null;
  const { flags, dir, probe } = s;
  const cfg = td3Config('train td3', flags);
  const quiet = Boolean(flags.quiet);
  const r = await trainTd3(cfg, { progress: (l) => !quiet && err(l), onEvaluation: writerFor(dir, `TD3 on ${cfg.env} (seed ${cfg.seed})`, probe.rewardThreshold) });
  const p = r.params;
  return finish(dir, flags, r, (o) => gamidGreedy(p.actor, o), (info) => saveGamidActorCheckpoint(dir, p.actor, p.critics, info), deterministicTrainingRecord('td3', r), 'TD3', out);
}

export async function trainGamidCommand(argv: string[], out: Out, err: Out): Promise<ActorCriticRunSummary | null> {
  const s = start('train gamid', argv, GAMID_FLAGS, out);
  if (!s) return null;
  const { flags, dir, probe } = s;
  const cfg = {
    ...td3Config('train gamid', flags),
    actors: flags.actors as number,
    temperature: parseSchedule(flags.temperature as string, 'gmmrl train gamid: --temperature'),
    epsilon: parseSchedule(flags.epsilon as string, 'gmmrl train gamid: --epsilon'),
  };
  const quiet = Boolean(flags.quiet);
  const r = await trainGamid(cfg, { progress: (l) => !quiet && err(l), onEvaluation: writerFor(dir, `Gamid-PG N=${cfg.actors} on ${cfg.env} (seed ${cfg.seed})`, probe.rewardThreshold) });
  const p = r.params;
  const record = { ...deterministicTrainingRecord('gamid-pg', r), temperature: formatSchedule(cfg.temperature), epsilon: formatSchedule(cfg.epsilon) };
  return finish(dir, flags, r, (o) => gamidGreedy(p.actor, o), (info) => saveGamidActorCheckpoint(dir, p.actor, p.critics, info), record, r.method, out);
}

