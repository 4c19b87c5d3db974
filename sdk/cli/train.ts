/**
 * `gmmrl train <algorithm>`: one command path for every algorithm.
 *
 *   flags (from the algorithm's config spec, plus --out, --quiet, --help and its own extras)
 *   → config (the spec's defaults and rules; errors name the flag) → start line → training with
 *   progress lines → run directory (metrics.csv and curve.svg after every evaluation)
 *   → checkpoint (config.json, weights.safetensors) → run.json → one summary line.
 *
 * An algorithm supplies only what is its own (a TrainEntry): its spec, its train function, how
 * its checkpoint is saved, its title and its summary. The command passes the resolved config to
 * the train function, so `gmmrl train x --flag v` and `trainX({ field: v })` are the same run.
 * `checkTrainEntry` is what `registerAlgorithm` (sdk/cli.ts) refuses a malformed entry with.
 */
import { ValueError, UnknownNameError, describeValue } from '../../contract/errors.js';
import { GMMRL_VERSION } from '../../models/version.js';
import { make } from '../envs/index.js';
import { RunWriter } from '../runs.js';
import type { MetricRow } from '../util/metrics.js';
import { flagOf, nearestName, type AnyField, type ConfigSpec } from '../config/spec.js';
import { specConfig, specFlags } from '../config/flags.js';
import { parseArgs, formatHelp, type FlagSpecs, type ParsedFlags } from './args.js';

export type Out = (line: string) => void;

/** What the command hands an algorithm's train function. */
export interface TrainCommandHooks {
  /** One progress line (stderr; nothing with --quiet). */
  progress: (line: string) => void;
  /** One evaluation row: appended to metrics.csv, and curve.svg redrawn (its `env_steps` against its `eval_return_mean`). */
  onRow: (row: MetricRow) => void;
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
  bestReturn: number;
  /** The content of run.json. */
  run: Record<string, unknown>;
}

const RUN_FLAGS: FlagSpecs = {
  out: { type: 'string', help: 'run directory to write (checkpoint, metrics.csv, curve.svg, run.json)' },
  quiet: { type: 'boolean', help: 'no progress lines', default: false },
  help: { type: 'boolean', help: 'show this help' },
};

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
 * clashing with the entry's extra flags or --out/--quiet/--help, and the functions. `what` starts
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
          ? 'the run flags (--out, --quiet, --help)'
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

/** Runs `gmmrl train <entry.name> …argv`. */
export async function runTrain<C extends { env: string; steps: number }, R>(
  entry: TrainEntry<C, R>,
  argv: string[],
  out: Out,
  err: Out,
): Promise<TrainRunSummary | null> {
  const command = `train ${entry.name}`;
  const flagSpecs = trainFlags(entry);
  const { positionals, flags } = parseArgs(command, argv, flagSpecs);
  if (flags.help) {
    out(formatHelp(`gmmrl ${command} --env ID --out DIR [flags]`, flagSpecs, [...(entry.notes ?? []), BOOLEAN_NOTE]));
    return null;
  }
  if (positionals.length > 0)
    throw new ValueError(`gmmrl ${command}: unexpected argument ${JSON.stringify(positionals[0])}. See 'gmmrl ${command} --help'.`);
  const dir = flags.out;
  if (typeof dir !== 'string' || dir === '') throw new ValueError(`gmmrl ${command}: --out is required, e.g. --out ${entry.exampleOut}.`);
  entry.checkFlags?.(flags, `gmmrl ${command}`);
  const cfg = specConfig(entry.spec, flags, command);
  const probe = make(cfg.env); // validates the id before any work
  const writer = new RunWriter(dir, entry.title(cfg), probe.rewardThreshold);
  const quiet = Boolean(flags.quiet);
  const progress = (line: string) => {
    if (!quiet) err(line);
  };
  progress(`gmmrl ${command}: ${entry.title(cfg)}, ${cfg.steps} steps → ${dir}/`);
  for (const line of entry.preamble?.(cfg) ?? []) progress(line);
  const r = await entry.train(cfg, { progress, onRow: (row) => writer.addRow({ ...row }) });
  const saved = await entry.save(dir, r, cfg, flags);
  const run = { ...saved.info, ...saved.run, weights_sha256: saved.sha, library_version: GMMRL_VERSION };
  writer.writeSummary(run);
  out(`${entry.summary(r, cfg, saved)}; checkpoint ${dir}/ (metrics.csv, curve.svg, run.json)`);
  return { dir, bestReturn: entry.bestReturn(r), run };
}

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
