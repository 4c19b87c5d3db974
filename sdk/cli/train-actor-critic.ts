/**
 * `gmmrl train sac | td3 | gamid`: the actor-critic algorithms as entries of the one train command
 * path (train.ts). Their run directory is every `gmmrl train`'s, and their record ends with a
 * final greedy evaluation of the saved parameters on unseen episodes (seeds 100000 + i,
 * `--final-episodes`).
 */
import { ValueError } from '../../contract/errors.js';
import { make } from '../envs/index.js';
import { formatDuration } from '../util/metrics.js';
import { runEpisodes } from '../evaluate.js';
import { EVAL_EVERY_NOTE } from '../config/common-fields.js';
import { actorCheckpointInfo, type OffPolicyConfig } from '../algorithms/actor-critic.js';
import { SAC_SPEC, sacTrainingRecord, trainSac, type SacConfig, type SacTrainResult } from '../algorithms/sac.js';
import { TD3_SPEC, deterministicTrainingRecord, trainTd3, type Td3Config } from '../algorithms/td3.js';
import type { DeterministicTrainResult } from '../algorithms/td3.js';
import { GAMID_SPEC, gamidTrainingRecord, trainGamid, type GamidConfig } from '../algorithms/gamid.js';
import { saveGamidActorCheckpoint, saveMixtureActorCheckpoint, type ActorCheckpointInfo } from '../../models/actor-critic/checkpoint.js';
import { mixtureActorGreedy } from '../../models/mixture-actor/params.js';
import { gamidGreedy } from '../../models/gamid-actor/params.js';
import type { FlagSpecs, ParsedFlags } from './args.js';
import { runTrain, type Out, type SavedRun, type TrainEntry, type TrainRunSummary } from './train.js';
import { trainControl } from './train-q.js';

/** Seed of the first final-evaluation episode (disjoint from the training and periodic-evaluation seeds). */
export const FINAL_EVAL_SEED = 100000;

const FINAL_FLAGS: FlagSpecs = {
  'final-episodes': { type: 'int', help: 'greedy episodes of the saved parameters after training (seeds 100000+; 0: none)', default: 20 },
};

function checkFinalEpisodes(flags: ParsedFlags, where: string): void {
  const episodes = flags['final-episodes'] as number;
  if (!(Number.isSafeInteger(episodes) && episodes >= 0))
    throw new ValueError(`${where}: --final-episodes is ${episodes}; it must be an integer ≥ 0.`);
}

/** The final evaluation and the checkpoint: what every actor-critic run records after training. */
async function finish(
  cfg: OffPolicyConfig,
  flags: ParsedFlags,
  r: { backend: { name: string } },
  greedy: (obs: Float32Array) => Float64Array,
  save: (info: ActorCheckpointInfo) => string,
  training: Record<string, unknown>,
): Promise<SavedRun> {
  const episodes = flags['final-episodes'] as number;
  const evalEnv = make(cfg.env, cfg.maxEpisodeSteps === undefined ? undefined : { maxEpisodeSteps: cfg.maxEpisodeSteps });
  const greedyAction = Array.from(greedy(evalEnv.reset({ seed: FINAL_EVAL_SEED }).obs));
  const finalEval = episodes > 0 ? await runEpisodes(evalEnv, (o) => greedy(o), episodes, FINAL_EVAL_SEED) : null;
  const info: ActorCheckpointInfo = actorCheckpointInfo(
    evalEnv,
    training,
    r.backend.name,
    finalEval ? { mean: finalEval.mean, std: finalEval.std, episodes } : null,
  );
  const sha = save(info);
  const final = finalEval ? { mean: finalEval.mean, std: finalEval.std, episodes, seed: FINAL_EVAL_SEED } : null;
  return { info: info as unknown as Record<string, unknown>, sha, run: { final_eval: final, greedy_action_at_reset: greedyAction } };
}

/** "…: 200 steps in 3s on cpu; best greedy return … (step …); final … ± … over N unseen episodes" */
function acSummary(
  method: string,
  cfg: OffPolicyConfig,
  r: { bestEvalReturn: number; bestStep: number; wallSeconds: number; backend: { name: string } },
  saved: SavedRun,
): string {
  const f = saved.run?.['final_eval'] as { mean: number; std: number; episodes: number } | null;
  return (
    `trained ${method} on ${cfg.env}: ${cfg.steps} steps in ${formatDuration(r.wallSeconds)} on ${r.backend.name}; best greedy return ${r.bestEvalReturn.toFixed(2)} (step ${r.bestStep})` +
    (f ? `; final ${f.mean.toFixed(2)} ± ${f.std.toFixed(2)} over ${f.episodes} unseen episodes` : '')
  );
}

export const SAC_ENTRY: TrainEntry<SacConfig, SacTrainResult> = {
  name: 'sac',
  description: 'SAC with squashed Gaussian (mixture) policies: --policy sg|sgm|usgm, --estimator rp|mrp|halfrp|gumbelrp|lr',
  spec: SAC_SPEC,
  exampleOut: 'runs/pendulum',
  extraFlags: FINAL_FLAGS,
  notes: [EVAL_EVERY_NOTE],
  checkFlags: checkFinalEpisodes,
  title: (c) => `SAC ${c.policy}/${c.estimator} on ${c.env} (seed ${c.seed})`,
  train: (c, h) => trainSac(c, { progress: h.progress, onEvaluation: (row) => h.onRow({ ...row }), ...trainControl(h) }),
  save: (dir, r, c, flags) =>
    finish(
      c,
      flags,
      r,
      (o) => mixtureActorGreedy(r.params.actor, o),
      (info) => saveMixtureActorCheckpoint(dir, r.params.actor, r.params.critics, info),
      sacTrainingRecord(r),
    ),
  summary: (r, c, saved) => acSummary(`SAC ${r.method}`, c, r, saved),
  bestReturn: (r) => r.bestEvalReturn,
};

export const TD3_ENTRY: TrainEntry<Td3Config, DeterministicTrainResult<Td3Config>> = {
  name: 'td3',
  description: 'TD3 (deterministic actor, twin critics)',
  spec: TD3_SPEC,
  exampleOut: 'runs/pendulum',
  extraFlags: FINAL_FLAGS,
  notes: [EVAL_EVERY_NOTE],
  checkFlags: checkFinalEpisodes,
  title: (c) => `TD3 on ${c.env} (seed ${c.seed})`,
  train: (c, h) => trainTd3(c, { progress: h.progress, onEvaluation: (row) => h.onRow({ ...row }), ...trainControl(h) }),
  save: (dir, r, c, flags) =>
    finish(
      c,
      flags,
      r,
      (o) => gamidGreedy(r.params.actor, o),
      (info) => saveGamidActorCheckpoint(dir, r.params.actor, r.params.critics, info),
      deterministicTrainingRecord('td3', r),
    ),
  summary: (r, c, saved) => acSummary('TD3', c, r, saved),
  bestReturn: (r) => r.bestEvalReturn,
};

export const GAMID_ENTRY: TrainEntry<GamidConfig, DeterministicTrainResult<GamidConfig>> = {
  name: 'gamid',
  description: 'Gamid-PG: N deterministic actors on TD3 (--actors, --temperature, --epsilon)',
  spec: GAMID_SPEC,
  exampleOut: 'runs/pendulum',
  extraFlags: FINAL_FLAGS,
  notes: [EVAL_EVERY_NOTE],
  checkFlags: checkFinalEpisodes,
  title: (c) => `Gamid-PG N=${c.actors} on ${c.env} (seed ${c.seed})`,
  train: (c, h) => trainGamid(c, { progress: h.progress, onEvaluation: (row) => h.onRow({ ...row }), ...trainControl(h) }),
  save(dir, r, c, flags) {
    const record = gamidTrainingRecord(r);
    return finish(
      c,
      flags,
      r,
      (o) => gamidGreedy(r.params.actor, o),
      (info) => saveGamidActorCheckpoint(dir, r.params.actor, r.params.critics, info),
      record,
    );
  },
  summary: (r, c, saved) => acSummary(r.method, c, r, saved),
  bestReturn: (r) => r.bestEvalReturn,
};

/** `gmmrl train sac …argv` */
export function trainSacCommand(argv: string[], out: Out, err: Out): Promise<TrainRunSummary | null> {
  return runTrain(SAC_ENTRY, argv, out, err);
}

/** `gmmrl train td3 …argv` */
export function trainTd3Command(argv: string[], out: Out, err: Out): Promise<TrainRunSummary | null> {
  return runTrain(TD3_ENTRY, argv, out, err);
}

/** `gmmrl train gamid …argv` */
export function trainGamidCommand(argv: string[], out: Out, err: Out): Promise<TrainRunSummary | null> {
  return runTrain(GAMID_ENTRY, argv, out, err);
}
