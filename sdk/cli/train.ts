/**
 * `gmmrl train <algorithm>`: one command path for every algorithm.
 *
 *   flags (from the algorithm's config spec, plus --out, --overwrite, --resume, --quiet, --help and
 *   its own extras) → config (the spec's defaults and rules; errors name the flag) → --out checked
 *   and the run directory opened (sdk/run-store.ts; refusals before any training) → start line →
 *   training with progress lines, a checkpoint generation committed at every snapshot the loop
 *   hands over → the final generation (the entry's saved checkpoint as best) → one summary line.
 *
 * Ctrl-C / SIGTERM: the first asks the loop to stop after the step in flight (`stopRequested`);
 * its last snapshot is committed, run.json says "interrupted", the summary names the resume
 * command and the exit status is 130 (SIGINT) or 143 (SIGTERM). A second signal exits at once;
 * the last committed generation stays loadable. `--resume` continues from the latest generation's
 * TrainingState with the flags the run was started with (a flag given again must agree).
 *
 * An algorithm supplies only what is its own (a TrainEntry): its spec, its train function, how
 * its checkpoint is saved, its title and its summary. The command passes the resolved config to
 * the train function, so `gmmrl train x --flag v` and `trainX({ field: v })` are the same run.
 * `checkTrainEntry` is what `registerAlgorithm` (sdk/cli.ts) refuses a malformed entry with.
 */
import { ValueError, UnknownNameError, describeValue } from '../../contract/errors.js';
import { writeCheckpointFiles, RUN_FILE } from '../../models/checkpoint-files.js';
import { join } from 'node:path';
import { make } from '../envs/index.js';
import { RunStore, checkResumed, planRun, type RunRecord } from '../run-store.js';
import type { MetricRow } from '../util/metrics.js';
import type { TrainControl, TrainingSnapshot, TrainingState } from '../algorithms/snapshot.js';
import { flagOf, nearestName, type AnyField, type ConfigSpec } from '../config/spec.js';
import { specConfig, specFlags } from '../config/flags.js';
import { parseArgs, formatHelp, type FlagSpecs, type ParsedFlags } from './args.js';

export type Out = (line: string) => void;

/**
 * What the command hands an algorithm's train function: progress, rows, and the TrainControl
 * fields (sdk/algorithms/snapshot.ts) to pass on to the loop. `onSnapshot` commits a checkpoint
 * generation of the run directory; `stopRequested` turns true after Ctrl-C / SIGTERM;
 * `resumeFrom` is the latest generation's state under --resume.
 */
export interface TrainCommandHooks extends TrainControl {
  /** One progress line (stderr; nothing with --quiet). */
  progress: (line: string) => void;
  /** One evaluation row: in metrics.csv and curve.svg (its `env_steps` against its `eval_return_mean`) from the next commit on. */
  onRow: (row: MetricRow) => void;
  onSnapshot: (snapshot: TrainingSnapshot) => void;
  stopRequested: () => boolean;
}

/** What saving a run's checkpoint gives the command. */
export interface SavedRun {
  /** The checkpoint's config (config.json without the weights hash); run.json starts from it. */
  info: Record<string, unknown>;
  /** SHA-256 of weights.safetensors. */
  sha: string;
  /** More run.json fields (e.g. the final evaluation). */
  run?: Record<string, unknown>;
}

/** One algorithm of `gmmrl train`. */
export interface TrainEntry<C, R> {
  /** `gmmrl train <name>` */
  readonly name: string;
  /** One line for `gmmrl train --help`. */
  readonly description: string;
  readonly spec: ConfigSpec<C>;
  /** An example --out for messages ("runs/pendulum"). */
  readonly exampleOut: string;
  /** CLI-only flags (not config fields), e.g. the actor-critics' --final-episodes. */
  readonly extraFlags?: FlagSpecs;
  /** Lines printed under the flags in --help. */
  readonly notes?: readonly string[];
  /** Checks of the extra flags, before any work. */
  checkFlags?(flags: ParsedFlags, where: string): void;
  /** Title of the run (start line, curve.svg). */
  title(cfg: C): string;
  /** Progress lines printed before training starts. */
  preamble?(cfg: C): readonly string[];
  train(cfg: C, hooks: TrainCommandHooks): Promise<R>;
  /** Writes the checkpoint into `dir` (and runs anything that belongs to the record, e.g. a final evaluation). */
  save(dir: string, r: R, cfg: C, flags: ParsedFlags): Promise<SavedRun>;
  /** The summary line without its "; checkpoint DIR/" tail. */
  summary(r: R, cfg: C, saved: SavedRun): string;
  bestReturn(r: R): number;
}

/** What a `gmmrl train` run returns (null for --help). */
export interface TrainRunSummary {
  dir: string;
  /** The best evaluation return (of the last snapshot's rows when interrupted; NaN when none). */
  bestReturn: number;
  /** The content of run.json. */
  run: Record<string, unknown>;
  /** 0, or 130 / 143 for a run stopped by SIGINT / SIGTERM and saved. */
  exitCode: number;
}

const RUN_FLAGS: FlagSpecs = {
  out: {
    type: 'string',
    help: 'run directory (run.json, checkpoints/, metrics.csv, curve.svg); refused if it holds a run, see --overwrite, --resume',
  },
  overwrite: { type: 'boolean', help: 'replace the gmmrl run at --out (only the files a run writes; other files stay)', default: false },
  resume: { type: 'boolean', help: "continue the run at --out from its latest checkpoint, with the run's recorded flags", default: false },
  quiet: { type: 'boolean', help: 'no progress lines', default: false },
  help: { type: 'boolean', help: 'show this help' },
};

/** Flags that are about the run directory and the terminal, not the training: not recorded, free to differ on --resume. */
const NOT_RECORDED = new Set(Object.keys(RUN_FLAGS));

/** An entry of any algorithm (the registry holds entries of different config and result types). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTrainEntry = TrainEntry<any, any>;

/** The flags of `gmmrl train <entry>`: the spec's, the entry's extras, then --out, --quiet, --help. */
function trainFlags(entry: AnyTrainEntry): FlagSpecs {
  return { ...specFlags(entry.spec), ...entry.extraFlags, ...RUN_FLAGS };
}

/** An algorithm name: lower-case letters, digits and dashes, starting with a letter ("dqn", "my-algo"). */
const NAME_PATTERN = /^[a-z][a-z0-9-]*$/;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

/**
 * Throws ValueError unless `entry` is a well-formed TrainEntry whose name is not in `taken`:
 * a name that is a valid command word, the text fields, a config spec whose fields are field
 * objects (sdk/config/fields.ts) with `env` and `steps` among them, one flag per field and none
 * clashing with the entry's extra flags or the run flags (--out, --overwrite, --resume, --quiet, --help), and the functions. `what` starts
 * every message ("registerAlgorithm").
 */
export function checkTrainEntry(entry: unknown, taken: readonly string[], what: string): asserts entry is AnyTrainEntry {
  if (!isRecord(entry))
    throw new ValueError(
      `${what}: expected a TrainEntry { name, description, spec, exampleOut, title, train, save, summary, bestReturn }; got ${describeValue(entry)}.`,
    );
  const { name } = entry;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name === 'help') {
    throw new ValueError(
      `${what}: name ${describeValue(name)} is not an algorithm name; use lower-case letters, digits and dashes starting with a letter, e.g. "toy".`,
    );
  }
  const where = `${what}(${JSON.stringify(name)})`;
  if (taken.includes(name))
    throw new ValueError(
      `${where}: an algorithm named ${JSON.stringify(name)} is already registered (${taken.join(', ')}); choose another name.`,
    );
  for (const key of ['description', 'exampleOut'] as const) {
    if (typeof entry[key] !== 'string' || entry[key] === '')
      throw new ValueError(`${where}: ${key} must be a non-empty string; got ${describeValue(entry[key])}.`);
  }
  for (const key of ['title', 'train', 'save', 'summary', 'bestReturn'] as const) {
    if (typeof entry[key] !== 'function')
      throw new ValueError(`${where}: ${key} must be a function; got ${describeValue(entry[key])}. See TrainEntry for its signature.`);
  }
  for (const key of ['checkFlags', 'preamble'] as const) {
    if (entry[key] !== undefined && typeof entry[key] !== 'function')
      throw new ValueError(`${where}: ${key} must be a function when given; got ${describeValue(entry[key])}.`);
  }
  const { notes, extraFlags, spec } = entry;
  if (notes !== undefined && !(Array.isArray(notes) && notes.every((n) => typeof n === 'string')))
    throw new ValueError(`${where}: notes must be an array of strings when given; got ${describeValue(notes)}.`);
  if (extraFlags !== undefined && !isRecord(extraFlags))
    throw new ValueError(`${where}: extraFlags must be an object of flag specs when given; got ${describeValue(extraFlags)}.`);
  if (!isRecord(spec) || typeof spec['name'] !== 'string' || !isRecord(spec['fields'])) {
    throw new ValueError(`${where}: spec must be a config spec from defineSpec(name, fields); got ${describeValue(spec)}.`);
  }
  const fields = spec['fields'];
  const flags = new Map<string, string>();
  for (const [key, f] of Object.entries(fields)) {
    if (
      !isRecord(f) ||
      typeof f['kind'] !== 'string' ||
      typeof f['doc'] !== 'string' ||
      !['check', 'parse', 'format'].every((m) => typeof f[m] === 'function')
    ) {
      throw new ValueError(
        `${where}: spec field ${JSON.stringify(key)} is not a field; build it with a field kind (int, number, boolean, string, choice, … from sdk/config/fields.ts); got ${describeValue(f)}.`,
      );
    }
    const flag = flagOf(key, f as unknown as AnyField);
    if (flag === null) continue;
    const owner = flags.get(flag);
    const clash =
      owner !== undefined
        ? `field ${JSON.stringify(owner)}`
        : flag in RUN_FLAGS
          ? `the run flags (${Object.keys(RUN_FLAGS)
              .map((k) => `--${k}`)
              .join(', ')})`
          : extraFlags !== undefined && flag in extraFlags
            ? 'extraFlags'
            : undefined;
    if (clash !== undefined)
      throw new ValueError(
        `${where}: spec field ${JSON.stringify(key)} has the flag --${flag}, already taken by ${clash}; give the field another flag (flag: "…").`,
      );
    flags.set(flag, key);
  }
  for (const key of ['env', 'steps']) {
    if (!(key in fields))
      throw new ValueError(
        `${where}: spec has no ${JSON.stringify(key)} field; every algorithm needs env (the environment id) and steps (the budget), e.g. env: string({ doc: 'environment id', default: 'Toy-v0' }).`,
      );
  }
}

/** The flag names given in `argv` (parseArgs has checked them). */
function givenFlagNames(argv: readonly string[]): Set<string> {
  return new Set(argv.filter((t) => t.startsWith('--')).map((t) => t.slice(2).split('=')[0]!));
}

/** A value as comparable text: typed arrays as arrays. */
function canonical(v: unknown): string {
  return (
    JSON.stringify(v, (_k, x: unknown) =>
      ArrayBuffer.isView(x) && !(x instanceof DataView) ? Array.from(x as unknown as ArrayLike<number>) : x,
    ) ?? 'undefined'
  );
}

/**
 * The flags and config of `--resume`: the run's recorded flags, with the ones given now on top. A
 * given flag that changes the resolved config (or an extra flag) is refused, naming the flag and
 * both values.
 */
function resumeConfig<C>(
  entry: TrainEntry<C, unknown>,
  flags: ParsedFlags,
  argv: readonly string[],
  record: RunRecord,
  dir: string,
  command: string,
): { cfg: C; flags: ParsedFlags } {
  const given = givenFlagNames(argv);
  // the run's flags: what it recorded, the parser's defaults for the rest
  const original: ParsedFlags = {};
  for (const [k, v] of Object.entries(flags)) if (!given.has(k)) original[k] = v;
  Object.assign(original, record.command_flags);
  const merged: ParsedFlags = { ...original };
  for (const k of given) merged[k] = flags[k];
  const before = specConfig(entry.spec, original, command) as Record<string, unknown>;
  const after = specConfig(entry.spec, merged, command) as Record<string, unknown>;
  const refuse = (flag: string, was: string, now: string): never => {
    throw new ValueError(
      `gmmrl ${command} --resume: --${flag} ${now} contradicts the run's recorded --${flag} ${was} (${join(dir, RUN_FILE)}). ` +
        `Drop --${flag} to continue with ${was}, or start a new run with another --out.`,
    );
  };
  const fields = Object.entries(entry.spec.fields as Record<string, AnyField>);
  // the fields whose flag was given first, then those a rule derives from them
  for (const byGiven of [true, false]) {
    for (const [key, f] of fields) {
      const flag = flagOf(key, f) ?? key;
      if (given.has(flag) !== byGiven) continue;
      if (canonical(before[key]) !== canonical(after[key]))
        refuse(
          flag,
          before[key] === undefined ? '(unset)' : f.format(before[key]),
          after[key] === undefined ? '(unset)' : f.format(after[key]),
        );
    }
  }
  for (const name of Object.keys(entry.extraFlags ?? {}))
    if (canonical(original[name]) !== canonical(merged[name])) refuse(name, String(original[name]), String(merged[name]));
  return { cfg: before as C, flags: merged };
}

/** The largest eval_return_mean of the rows (NaN when none). */
function bestOfRows(rows: readonly MetricRow[]): number {
  const xs = rows.map((r) => Number(r['eval_return_mean'])).filter((v) => Number.isFinite(v));
  return xs.length ? Math.max(...xs) : NaN;
}

/** Runs `gmmrl train <entry.name> …argv`. */
export async function runTrain<C extends { env: string; steps: number }, R>(
  entry: TrainEntry<C, R>,
  argv: string[],
  out: Out,
  err: Out,
): Promise<TrainRunSummary | null> {
  const command = `train ${entry.name}`;
  const where = `gmmrl ${command}`;
  const flagSpecs = trainFlags(entry);
  const parsed = parseArgs(command, argv, flagSpecs);
  const { positionals } = parsed;
  let { flags } = parsed;
  if (flags.help) {
    out(formatHelp(`gmmrl ${command} --env ID --out DIR [flags]`, flagSpecs, [...(entry.notes ?? []), RUN_NOTE, BOOLEAN_NOTE]));
    return null;
  }
  if (positionals.length > 0)
    throw new ValueError(`gmmrl ${command}: unexpected argument ${JSON.stringify(positionals[0])}. See 'gmmrl ${command} --help'.`);
  const dir = flags.out;
  if (typeof dir !== 'string' || dir === '') throw new ValueError(`gmmrl ${command}: --out is required, e.g. --out ${entry.exampleOut}.`);
  const resume = Boolean(flags.resume);
  const plan = planRun(dir, { algorithm: entry.name, overwrite: Boolean(flags.overwrite), resume, where });
  let cfg: C;
  if (plan.kind === 'resume') ({ cfg, flags } = resumeConfig(entry as TrainEntry<C, unknown>, flags, argv, plan.record, dir, command));
  else cfg = specConfig(entry.spec, flags, command);
  entry.checkFlags?.(flags, where);
  const probe = make(cfg.env); // validates the id before any work
  // the flags given and every extra flag (their parser defaults may change): what --resume continues with
  const commandFlags: Record<string, string | number | boolean> = {};
  const given = givenFlagNames(argv);
  for (const [k, v] of Object.entries(flags))
    if (v !== undefined && !NOT_RECORDED.has(k) && (given.has(k) || k in (entry.extraFlags ?? {}))) commandFlags[k] = v;
  const store = RunStore.open(plan, {
    algorithm: entry.name,
    commandFlags,
    title: entry.title(cfg),
    rewardThreshold: probe.rewardThreshold,
    where,
  });
  const quiet = Boolean(flags.quiet);
  const progress = (line: string) => {
    if (!quiet) err(line);
  };
  if (plan.kind === 'overwrite')
    progress(
      `${where}: --overwrite: replaced the run at ${dir}/${plan.kept.length ? ` (kept files it did not write: ${plan.kept.join(', ')})` : ''}`,
    );
  let resumeFrom: TrainingState | undefined;
  if (plan.kind === 'resume') {
    resumeFrom = store.latestState(where);
    progress(
      resumeFrom
        ? `${where}: resuming ${dir}/ from generation ${store.current.generation} at ${resumeFrom.envSteps} env steps`
        : `${where}: resuming ${dir}/: no checkpoint was saved yet, starting from step 0`,
    );
  }
  progress(`${where}: ${entry.title(cfg)}, ${cfg.steps} steps → ${dir}/`);
  for (const line of entry.preamble?.(cfg) ?? []) progress(line);

  let rows: MetricRow[] = store.currentRows();
  let last: TrainingSnapshot | undefined;
  let stop: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    const code = sig === 'SIGINT' ? 130 : 143;
    if (stop !== null) {
      err(`${where}: second ${sig}: exiting at once; ${dir}/ keeps its last saved generation (${store.current.generation}).`);
      process.exit(code);
    }
    stop = sig;
    err(`${where}: ${sig}: finishing the step in flight and saving (send it again to exit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const hooks: TrainCommandHooks = {
      progress,
      onRow: (row) => void rows.push({ ...row }),
      stopRequested: () => stop !== null,
      onSnapshot: (s) => {
        checkResumed(resumeFrom, s.envSteps, entry.name);
        rows = s.rows.map((r) => ({ ...r }));
        last = s;
        const gen = store.begin();
        const { family, tensors, fields } = s.best;
        const bestSha = writeCheckpointFiles(gen.bestDir, family, tensors, fields);
        store.finish(gen, {
          status: 'running',
          envSteps: s.envSteps,
          bestSha,
          summary: { ...s.best.fields },
          latest: { checkpoint: s.latest, state: s.state },
          rows,
        });
      },
      ...(resumeFrom !== undefined ? { resumeFrom } : {}),
    };
    const r = await entry.train(cfg, hooks);
    const stopped = stop as NodeJS.Signals | null;
    if (stopped !== null && last !== undefined && last.envSteps < cfg.steps) {
      store.setStatus('interrupted');
      const resumeCmd = `gmmrl train ${entry.name} --out ${dir} --resume`;
      const best = bestOfRows(rows);
      out(
        `${where}: stopped by ${stopped} at step ${last.envSteps} of ${cfg.steps}; saved generation ${store.current.generation} in ${dir}/` +
          `${Number.isFinite(best) ? ` (best greedy return so far ${best.toFixed(3)})` : ''}. Resume with: ${resumeCmd}`,
      );
      return { dir, bestReturn: best, run: { ...store.current }, exitCode: stopped === 'SIGINT' ? 130 : 143 };
    }
    const gen = store.begin();
    const saved = await entry.save(gen.bestDir, r, cfg, flags);
    const prior = store.latestDir();
    const envSteps = last?.envSteps ?? Number(rows.at(-1)?.['env_steps'] ?? cfg.steps);
    store.finish(gen, {
      status: 'complete',
      envSteps: Number.isSafeInteger(envSteps) ? envSteps : cfg.steps,
      bestSha: saved.sha,
      summary: { ...saved.info, ...saved.run },
      latest: last !== undefined ? { checkpoint: last.latest, state: last.state } : prior !== undefined ? { copyFrom: prior } : undefined,
      rows,
    });
    out(`${entry.summary(r, cfg, saved)}; checkpoint ${dir}/ (metrics.csv, curve.svg, run.json)`);
    return { dir, bestReturn: entry.bestReturn(r), run: { ...store.current }, exitCode: 0 };
  } catch (e) {
    if (plan.kind !== 'resume') store.discard(); // failed before any checkpoint: leave nothing behind
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    store.close();
  }
}

const RUN_NOTE =
  'Run directory: --out DIR must be new, empty, or a gmmrl run with --overwrite (replace it) or --resume (continue it from its latest checkpoint; Ctrl-C saves and prints the resume command).';
const BOOLEAN_NOTE = 'Boolean flags: --flag alone is true; --flag true|false sets it explicitly.';

/** `gmmrl train --help`: the algorithms and how to get their flags. */
function trainUsage(entries: readonly AnyTrainEntry[]): string {
  const w = Math.max(...entries.map((e) => e.name.length));
  return [
    'Usage: gmmrl train <algorithm> --env ID --out DIR [flags]',
    '',
    'Algorithms:',
    ...entries.map((e) => `  ${e.name.padEnd(w)}  ${e.description}`),
    '',
    "'gmmrl train <algorithm> --help' lists its flags, defaults and ranges; 'gmmrl envs' lists the environments.",
  ].join('\n');
}

/** `gmmrl train …`: dispatches to an algorithm; `--help` prints the usage; no algorithm is a usage error. */
export async function trainCommand(entries: readonly AnyTrainEntry[], argv: string[], out: Out, err: Out): Promise<TrainRunSummary | null> {
  const [algo, ...rest] = argv;
  if (algo === '--help' || algo === '-h' || algo === 'help') {
    out(trainUsage(entries));
    return null;
  }
  const names = entries.map((e) => e.name);
  const usage = `Usage: gmmrl train <algorithm> --env ID --out DIR [flags], e.g. gmmrl train sgmmqf --env CartPole-v1 --out runs/NAME; 'gmmrl train --help' describes them.`;
  if (algo === undefined || algo.startsWith('-'))
    throw new ValueError(`gmmrl train: which algorithm? One of ${names.join(', ')}. ${usage}`);
  const entry = entries.find((e) => e.name === algo);
  if (!entry) {
    const near = nearestName(algo, names);
    throw new UnknownNameError(
      `gmmrl train: unknown algorithm ${JSON.stringify(algo)}${near ? `; did you mean ${JSON.stringify(near)}?` : '.'} Available: ${names.join(', ')}. ${usage}`,
    );
  }
  return runTrain(entry, rest, out, err);
}
