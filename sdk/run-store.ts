/**
 * The run directory of `gmmrl train` (README "Run directory"):
 *
 *   RUN/run.json                    the pointer: format "gmmrl-run", algorithm, status
 *                                   (running | interrupted | complete), generation N, best, latest,
 *                                   env_steps, the command's flags (for --resume) and the summary
 *                                   fields (checkpoint config, weights_sha256 of best, library_version)
 *   RUN/checkpoints/N/best/         config.json + weights.safetensors: the best-evaluated model
 *   RUN/checkpoints/N/latest/       config.json + weights.safetensors + state.safetensors + state.json:
 *                                   the model as it was and the TrainingState to continue from
 *   RUN/checkpoints/N/metrics.csv, curve.svg
 *   RUN/metrics.csv, RUN/curve.svg  copies of the current generation's, rewritten after run.json
 *
 * A commit is one atomic unit. The generation is written into checkpoints/.tmp-N-…/ (every file
 * and directory fsynced), renamed to checkpoints/N, and only then run.json is replaced (temp file,
 * fsync, rename, directory fsync): a kill at any instruction leaves run.json naming a complete
 * generation. Afterwards every other generation and temporary directory is deleted: a run keeps
 * only its current generation. Opening a run for writing (--resume, --overwrite, a commit) removes
 * what a killed commit left; readers (openCheckpoint) ignore it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InternalError, ModelFormatError, ValueError, describeValue } from '../contract/errors.js';
import { readRegularFileSync } from '../contract/files.js';
import {
  CONFIG_FILE,
  RUN_FILE,
  RUN_FORMAT,
  RUN_FORMAT_VERSION,
  WEIGHTS_FILE,
  generationPath,
  readJsonObjectFile,
  readRunPointer,
  writeCheckpointFiles,
  type RunPointer,
  type RunStatus,
} from '../models/checkpoint-files.js';
import {
  ATOMIC_TMP_PATTERN,
  fsyncDir,
  makeDirs,
  renamePath,
  sha256Hex,
  unwritableDirReason,
  writeFileAtomic,
  writeFileDurable,
} from '../models/io.js';
import { decodeSafetensors, encodeSafetensors } from '../models/safetensors.js';
import { GMMRL_VERSION } from '../models/version.js';
import type { ModelCheckpoint, TrainingState } from './algorithms/snapshot.js';
import { MetricsLog, svgLinePlot, type MetricRow } from './util/metrics.js';

export const CHECKPOINTS_DIR = 'checkpoints';
export const METRICS_FILE = 'metrics.csv';
export const CURVE_FILE = 'curve.svg';
const STATE_FILE = 'state.safetensors';
const STATE_JSON = 'state.json';
const STATE_FORMAT = 'gmmrl-training-state';
const STATE_FORMAT_VERSION = 1;
/** Largest state.safetensors read back (bytes): a replay buffer of a million MuJoCo transitions is a few hundred MB. */
const STATE_MAX_BYTES = 8 * 1024 * 1024 * 1024;
/** Temporary generation directories: checkpoints/.tmp-N-PID-RANDOM */
const TMP_GENERATION = /^\.tmp-\d+-\d+-[0-9a-f]+$/;

/** What a gmmrl run writes at the top of its directory (and a run of the flat layout before generations). */
const RUN_ENTRIES = [RUN_FILE, METRICS_FILE, CURVE_FILE, CHECKPOINTS_DIR];
const LEGACY_ENTRIES = [CONFIG_FILE, WEIGHTS_FILE];

/** run.json: the pointer fields, the command's flags and the summary. */
export type RunRecord = RunPointer & {
  /** The flags the run was started with (without --out, --quiet, --overwrite, --resume): what --resume continues with. */
  command_flags: Record<string, string | number | boolean>;
  /** SHA-256 of the latest generation's state.safetensors (also in its state.json), so a mismatched pair is refused. */
  latest_state_sha256?: string;
} & Record<string, unknown>;

/** What is at --out before a run starts (planRun; reads only). */
export type RunPlan =
  | { kind: 'fresh'; dir: string; exists: boolean }
  | { kind: 'overwrite'; dir: string; remove: string[]; kept: string[] }
  | { kind: 'resume'; dir: string; record: RunRecord };

function listing(names: string[]): string {
  const shown = names.slice(0, 6).join(', ');
  return names.length > 6 ? `${shown}, … (${names.length} entries)` : shown;
}

function isLeftover(name: string): boolean {
  return ATOMIC_TMP_PATTERN.test(name);
}

/** The entries of a checkpoints/ directory that are not temporary generation directories. */
function generations(dir: string): string[] {
  const ck = join(dir, CHECKPOINTS_DIR);
  if (!existsSync(ck)) return [];
  return readdirSync(ck).filter((n) => !TMP_GENERATION.test(n));
}

/** The lock of a run directory in use: `{ pid, host, started }` of the gmmrl train that holds it. */
export const LOCK_FILE = '.gmmrl-lock';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/**
 * Takes the lock of run directory `dir` (which exists) for this process, so two trainings never
 * write one run: the lock file is created exclusively (O_EXCL); one left by a process that is gone
 * (kill -9, a crash) on this host is taken over; one held by a live process, or by another host
 * (whose processes cannot be checked), is a ValueError naming --out, the holder and the fix.
 * Returns the release function (idempotent; removes the lock only while it is still ours).
 */
function acquireRunLock(dir: string, where: string): () => void {
  const path = join(dir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, mine, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0)
        throw new ValueError(`${where}: --out ${dir}: cannot take the run's lock ${path}: ${(e as Error).message}. Choose another --out.`);
    }
    type Holder = { pid?: unknown; host?: unknown; started?: unknown };
    let holder: Holder | null;
    try {
      const j: unknown = JSON.parse(readFileSync(path, 'utf8'));
      holder = typeof j === 'object' && j !== null && !Array.isArray(j) ? (j as Holder) : null;
    } catch {
      holder = null; // torn by a kill between create and write: nobody holds it
    }
    const pid = holder?.pid;
    if (holder && holder.host !== hostname())
      throw new ValueError(
        `${where}: --out ${dir} is locked by a gmmrl train on host ${describeValue(holder.host)} (pid ${describeValue(pid)}, started ${describeValue(holder.started)}). If that run is gone, delete ${path}; otherwise choose another --out.`,
      );
    if (typeof pid === 'number' && pid !== process.pid && processAlive(pid))
      throw new ValueError(
        `${where}: --out ${dir} is in use by another gmmrl train (pid ${pid}, started ${describeValue(holder?.started)}); wait for it to end or stop it (Ctrl-C saves it), or choose another --out.`,
      );
    rmSync(path, { force: true }); // its process is gone: a stale lock
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    try {
      if (readFileSync(path, 'utf8') === mine) rmSync(path, { force: true });
    } catch {
      /* already gone */
    }
  };
}

/**
 * Decides what `gmmrl train … --out DIR` does with DIR, before any work and without writing:
 * a missing or empty directory is a fresh run; a gmmrl run is refused unless --overwrite (replace
 * what the run wrote; other files stay) or --resume (continue it: same algorithm, not complete); a
 * non-empty directory that is not a gmmrl run is refused even with --overwrite. `where` starts the
 * messages ("gmmrl train toy").
 */
export function planRun(dir: string, o: { algorithm: string; overwrite: boolean; resume: boolean; where: string }): RunPlan {
  const { where } = o;
  if (o.overwrite && o.resume)
    throw new ValueError(`${where}: --overwrite and --resume contradict each other (replace the run, or continue it); give one of them.`);
  const why = unwritableDirReason(dir);
  if (why !== null)
    throw new ValueError(`${where}: --out ${dir} cannot be a run directory: ${why}. Choose another --out, e.g. --out runs/NAME.`);
  if (!existsSync(dir)) {
    if (o.resume)
      throw new ValueError(
        `${where}: --resume: --out ${dir} does not exist, so there is no run to continue. Drop --resume to start a new run there.`,
      );
    return { kind: 'fresh', dir, exists: false };
  }
  const names = readdirSync(dir)
    .filter((n) => n !== LOCK_FILE)
    .sort();
  const record = readRunPointer(dir) as RunRecord | null;
  const legacy = record === null && existsSync(join(dir, CONFIG_FILE)) && isLegacyCheckpoint(join(dir, CONFIG_FILE));
  const ours = new Set([...RUN_ENTRIES, ...(legacy ? LEGACY_ENTRIES : [])]);
  if (record === null && !legacy) {
    const foreign = names.filter((n) => !isLeftover(n) && !(n === CHECKPOINTS_DIR && generations(dir).length === 0));
    if (foreign.length === 0) {
      if (o.resume)
        throw new ValueError(
          `${where}: --resume: --out ${dir} holds no run yet (it was stopped before its first save). Drop --resume to start the run there.`,
        );
      return { kind: 'fresh', dir, exists: true };
    }
    throw new ValueError(
      `${where}: --out ${dir} is a non-empty directory that is not a gmmrl run (it holds ${listing(foreign)}). ` +
        `gmmrl deletes only files it wrote, so not even --overwrite replaces it: choose a new or empty directory for --out.`,
    );
  }
  if (legacy) {
    if (o.resume)
      throw new ValueError(
        `${where}: --resume: ${dir} is a checkpoint of the flat layout (${CONFIG_FILE} + ${WEIGHTS_FILE}, written before runs kept training state), so it cannot be continued. Pass --overwrite to replace it, or choose another --out.`,
      );
    if (!o.overwrite)
      throw new ValueError(
        `${where}: --out ${dir} already holds a gmmrl checkpoint (${CONFIG_FILE} + ${WEIGHTS_FILE}). Pass --overwrite to replace it, or choose another --out.`,
      );
  }
  if (record !== null) {
    const what = `a gmmrl run (${record.algorithm}, status ${record.status}, generation ${record.generation}, ${record.env_steps} env steps)`;
    if (o.resume) {
      if (record.algorithm !== o.algorithm)
        throw new ValueError(
          `${where}: --resume: ${dir} is a run of ${JSON.stringify(record.algorithm)}, not ${JSON.stringify(o.algorithm)}. Resume it with 'gmmrl train ${record.algorithm} --out ${dir} --resume'.`,
        );
      if (record.status === 'complete')
        throw new ValueError(
          `${where}: --resume: the run ${dir} is complete (${record.env_steps} env steps); there is nothing to continue. Export it, or train a new run with another --out (or --overwrite).`,
        );
      if (!(record.command_flags !== null && typeof record.command_flags === 'object'))
        throw new ModelFormatError(
          `${where}: --resume: ${join(dir, RUN_FILE)} field "command_flags" is ${describeValue(record.command_flags)}; expected the flags object the run was started with. Restore the file.`,
        );
      return { kind: 'resume', dir, record };
    }
    if (!o.overwrite)
      throw new ValueError(
        `${where}: --out ${dir} already holds ${what}. ` +
          (record.status === 'complete'
            ? 'Pass --overwrite to replace it, or choose another --out.'
            : `Pass --resume to continue it, --overwrite to replace it, or choose another --out.`),
      );
  }
  const remove = names.filter((n) => ours.has(n) || isLeftover(n));
  const kept = names.filter((n) => !remove.includes(n));
  return { kind: 'overwrite', dir, remove, kept };
}

function isLegacyCheckpoint(cfgPath: string): boolean {
  try {
    return readJsonObjectFile(cfgPath, 'checkpoint')['format'] === 'gmmrl-checkpoint';
  } catch {
    return false;
  }
}

/** One commit of a run: the best checkpoint (written by the caller into `bestDir`), then `finish`. */
export interface PendingGeneration {
  readonly n: number;
  readonly tmp: string;
  readonly bestDir: string;
}

/** The latest part of a generation: a snapshot's model and state, or an existing latest directory copied as it is. */
export type LatestSource = { checkpoint: ModelCheckpoint; state: TrainingState } | { copyFrom: string } | undefined;

export class RunStore {
  private constructor(
    readonly dir: string,
    private record: RunRecord,
    readonly title: string,
    readonly rewardThreshold: number | undefined,
    /** The directories open() created (removed again by discard). */
    private readonly created: readonly string[],
    /** Releases the run's lock (acquireRunLock). */
    private readonly release: () => void,
  ) {}

  /** Ends this process's use of the run: releases its lock (the run's files stay as they are). */
  close(): void {
    this.release();
  }

  /** The current run.json. */
  get current(): Readonly<RunRecord> {
    return this.record;
  }

  /**
   * Carries out a plan of planRun: creates the directory (one level at a time), or removes what the
   * replaced run wrote, or removes what a killed commit left in the resumed run; a fresh or replaced
   * run gets its run.json of generation 0 at once, so the directory is a run from the start.
   * Failures name --out.
   */
  static open(
    plan: RunPlan,
    o: {
      algorithm: string;
      commandFlags: Record<string, string | number | boolean>;
      title: string;
      rewardThreshold?: number;
      where: string;
    },
  ): RunStore {
    const { dir } = plan;
    let created: string[] = [];
    // an existing directory is locked before anything in it changes, a new one as soon as it exists
    let release = existsSync(dir) ? acquireRunLock(dir, o.where) : null;
    try {
      if (plan.kind === 'resume') {
        const store = new RunStore(dir, plan.record, o.title, o.rewardThreshold, [], release!);
        store.cleanup();
        return store;
      }
      if (plan.kind === 'overwrite') {
        // views first and run.json last: an interrupted --overwrite leaves a run that --overwrite replaces again
        const order = [...plan.remove].sort((a, b) => (a === RUN_FILE ? 1 : 0) - (b === RUN_FILE ? 1 : 0));
        for (const n of order) rmSync(join(dir, n), { recursive: true, force: true });
      } else if (plan.exists) {
        for (const n of readdirSync(dir))
          if (isLeftover(n) || n === CHECKPOINTS_DIR) rmSync(join(dir, n), { recursive: true, force: true });
      } else {
        created = makeDirs(dir);
        release = acquireRunLock(dir, o.where);
      }
      mkdirSync(join(dir, CHECKPOINTS_DIR));
    } catch (e) {
      release?.();
      if (e instanceof ValueError) throw e;
      throw new ValueError(`${o.where}: --out ${dir}: cannot create the run directory (${(e as Error).message}). Choose another --out.`);
    }
    const record: RunRecord = {
      format: RUN_FORMAT,
      format_version: RUN_FORMAT_VERSION,
      algorithm: o.algorithm,
      status: 'running',
      generation: 0,
      env_steps: 0,
      command_flags: o.commandFlags,
      library_version: GMMRL_VERSION,
    };
    const store = new RunStore(dir, record, o.title, o.rewardThreshold, created, release ?? (() => {}));
    store.writeRecord(record);
    return store;
  }

  /**
   * Undoes open() for a run that failed before its first commit (a config the loop refused, a
   * crash): generation 0 holds no checkpoint, so nothing is lost, and a refused run leaves no
   * directory behind. Does nothing once a generation exists.
   */
  discard(): void {
    if (this.record.generation !== 0) return;
    this.release(); // the lock file goes first, so a directory open() created can be removed
    for (const n of [RUN_FILE, CHECKPOINTS_DIR]) rmSync(join(this.dir, n), { recursive: true, force: true });
    for (const n of readdirSync(this.dir)) if (isLeftover(n)) rmSync(join(this.dir, n), { force: true });
    for (const d of [...this.created].reverse()) {
      if (existsSync(d) && readdirSync(d).length === 0) rmSync(d, { recursive: true });
    }
  }

  /** Removes temporary generations, generations run.json does not name, and temporary files of atomic writes. */
  cleanup(): void {
    const ck = join(this.dir, CHECKPOINTS_DIR);
    if (!existsSync(ck)) mkdirSync(ck);
    for (const n of readdirSync(ck)) if (n !== String(this.record.generation)) rmSync(join(ck, n), { recursive: true, force: true });
    for (const n of readdirSync(this.dir)) if (isLeftover(n)) rmSync(join(this.dir, n), { force: true });
  }

  /** Starts generation N+1 in a temporary directory; the caller writes the best checkpoint into `bestDir`. */
  begin(): PendingGeneration {
    const n = this.record.generation + 1;
    const tmp = join(this.dir, CHECKPOINTS_DIR, `.tmp-${n}-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(tmp);
    const bestDir = join(tmp, 'best');
    mkdirSync(bestDir);
    return { n, tmp, bestDir };
  }

  /**
   * Completes a generation and switches run.json to it: the latest checkpoint and state, the
   * metrics, every directory fsynced, one rename to checkpoints/N, run.json replaced, then the
   * top-level metrics.csv and curve.svg rewritten and the previous generation deleted.
   */
  finish(
    gen: PendingGeneration,
    o: {
      status: RunStatus;
      envSteps: number;
      bestSha: string;
      summary: Record<string, unknown>;
      latest: LatestSource;
      rows: readonly MetricRow[];
    },
  ): void {
    fsyncDir(gen.bestDir);
    let stateSha: string | undefined;
    if (o.latest !== undefined) {
      const latestDir = join(gen.tmp, 'latest');
      mkdirSync(latestDir);
      if ('copyFrom' in o.latest) {
        for (const f of [CONFIG_FILE, WEIGHTS_FILE, STATE_FILE, STATE_JSON])
          writeFileDurable(join(latestDir, f), readFileSync(join(o.latest.copyFrom, f)));
        stateSha = sha256Hex(readFileSync(join(latestDir, STATE_FILE)));
      } else {
        const { checkpoint: c, state } = o.latest;
        writeCheckpointFiles(latestDir, c.family, c.tensors, c.fields);
        stateSha = writeTrainingState(latestDir, state);
      }
      fsyncDir(latestDir);
    }
    const csv = metricsCsv(o.rows);
    const svg = this.curve(o.rows);
    writeFileDurable(join(gen.tmp, METRICS_FILE), csv);
    writeFileDurable(join(gen.tmp, CURVE_FILE), svg);
    fsyncDir(gen.tmp);
    const ck = join(this.dir, CHECKPOINTS_DIR);
    const target = join(ck, String(gen.n));
    if (existsSync(target)) rmSync(target, { recursive: true, force: true }); // left by a killed commit: run.json names N−1
    renamePath(gen.tmp, target);
    fsyncDir(ck);
    const { format, format_version, algorithm, command_flags } = this.record;
    const pointer = {
      format,
      format_version,
      algorithm,
      status: o.status,
      generation: gen.n,
      best: generationPath(gen.n, 'best'),
      ...(o.latest !== undefined ? { latest: generationPath(gen.n, 'latest'), latest_state_sha256: stateSha } : {}),
      env_steps: o.envSteps,
      command_flags,
    };
    // the pointer fields first and authoritative (a summary field of the same name cannot replace one)
    const record: RunRecord = { ...pointer, ...o.summary, ...pointer, weights_sha256: o.bestSha, library_version: GMMRL_VERSION };
    this.writeRecord(record);
    writeFileAtomic(join(this.dir, METRICS_FILE), csv);
    writeFileAtomic(join(this.dir, CURVE_FILE), svg);
    this.cleanup();
  }

  /** Replaces run.json with the same generation and another status (a run stopped by a signal: "interrupted"). */
  setStatus(status: RunStatus): void {
    this.writeRecord({ ...this.record, status });
  }

  private writeRecord(record: RunRecord): void {
    writeFileAtomic(join(this.dir, RUN_FILE), JSON.stringify(record, null, 2) + '\n');
    this.record = record;
  }

  /** The metric rows of the current generation (its metrics.csv), for a resumed run's first commit. */
  currentRows(): MetricRow[] {
    if (this.record.generation === 0) return [];
    const path = join(this.dir, CHECKPOINTS_DIR, String(this.record.generation), METRICS_FILE);
    return existsSync(path) ? parseMetricsCsv(readFileSync(path, 'utf8')) : [];
  }

  /** The TrainingState of the current generation's latest checkpoint (undefined in generation 0). */
  latestState(where: string): TrainingState | undefined {
    const r = this.record;
    if (r.generation === 0) return undefined;
    if (r.latest === undefined)
      throw new ModelFormatError(
        `${where}: --resume: ${join(this.dir, RUN_FILE)} names no latest checkpoint in generation ${r.generation}, so there is no training state to continue from. Train again with --overwrite.`,
      );
    return readTrainingState(join(this.dir, r.latest), r.latest_state_sha256);
  }

  /** The latest directory of the current generation (a final commit without a new snapshot keeps it). */
  latestDir(): string | undefined {
    return this.record.latest === undefined ? undefined : join(this.dir, this.record.latest);
  }

  private curve(rows: readonly MetricRow[], x = 'env_steps', y = 'eval_return_mean'): string {
    return svgLinePlot({
      title: this.title,
      xLabel: 'environment steps',
      yLabel: 'greedy evaluation return',
      series: [
        { label: 'greedy evaluation return (mean over eval episodes)', x: rows.map((r) => Number(r[x])), y: rows.map((r) => Number(r[y])) },
      ],
      ...(this.rewardThreshold !== undefined ? { hline: { y: this.rewardThreshold, label: `threshold ${this.rewardThreshold}` } } : {}),
    });
  }
}

function metricsCsv(rows: readonly MetricRow[]): string {
  const log = new MetricsLog();
  for (const r of rows) log.add(r);
  return log.toCsv();
}

/** Reads metrics.csv back into rows (numbers as numbers); the CSV written from them is the same text. */
function parseMetricsCsv(text: string): MetricRow[] {
  const lines: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',' || ch === '\n') {
      row.push(cell);
      cell = '';
      if (ch === '\n') {
        lines.push(row);
        row = [];
      }
    } else cell += ch;
  }
  const [header, ...body] = lines;
  if (!header) return [];
  return body.map((cells) => {
    const r: MetricRow = {};
    header.forEach((h, j) => {
      const c = cells[j] ?? '';
      r[h] = c !== '' && /^[-+0-9.eE]+$|^-?Infinity$|^NaN$/.test(c) ? Number(c) : c;
    });
    return r;
  });
}

/** Writes state.safetensors and state.json (carrying the former's SHA-256) into `dir`; returns the SHA-256. */
function writeTrainingState(dir: string, state: TrainingState): string {
  const bytes = encodeSafetensors(state.tensors, { format: STATE_FORMAT, algorithm: state.algorithm });
  const sha = sha256Hex(bytes);
  writeFileDurable(join(dir, STATE_FILE), bytes);
  const json = {
    format: STATE_FORMAT,
    format_version: STATE_FORMAT_VERSION,
    algorithm: state.algorithm,
    state_format_version: state.format_version,
    env_steps: state.envSteps,
    json: state.json,
    state_file: STATE_FILE,
    state_sha256: sha,
  };
  writeFileDurable(join(dir, STATE_JSON), JSON.stringify(json, null, 2) + '\n');
  return sha;
}

/**
 * Reads the TrainingState of a latest checkpoint directory: state.json of this format, and
 * state.safetensors with the SHA-256 state.json (and run.json, when given) records. Every failure
 * is a ModelFormatError naming the file.
 */
export function readTrainingState(dir: string, expectedSha?: string): TrainingState {
  const jsonPath = join(dir, STATE_JSON);
  const binPath = join(dir, STATE_FILE);
  for (const p of [jsonPath, binPath])
    if (!existsSync(p) || !statSync(p).isFile())
      throw new ModelFormatError(
        `run directory: ${p} is missing; the latest checkpoint is incomplete. Restore it, or train again with --overwrite.`,
      );
  const j = readJsonObjectFile(jsonPath, 'run directory');
  const field = (k: string, ok: boolean, expected: string) => {
    if (!ok)
      throw new ModelFormatError(
        `run directory: ${jsonPath} field "${k}" is ${describeValue(j[k])}; expected ${expected}. Restore the file.`,
      );
  };
  field('format', j['format'] === STATE_FORMAT, `"${STATE_FORMAT}"`);
  field('format_version', j['format_version'] === STATE_FORMAT_VERSION, String(STATE_FORMAT_VERSION));
  field('algorithm', typeof j['algorithm'] === 'string', 'the algorithm name');
  field('state_format_version', Number.isSafeInteger(j['state_format_version']), 'an integer');
  field('env_steps', Number.isSafeInteger(j['env_steps']) && (j['env_steps'] as number) >= 0, 'an integer ≥ 0');
  field('json', typeof j['json'] === 'object' && j['json'] !== null && !Array.isArray(j['json']), 'an object');
  const bytes = readRegularFileSync(binPath, {
    what: 'training state',
    maxBytes: STATE_MAX_BYTES,
    raiseHint: 'it is not a state gmmrl wrote: restore it, or train again with --overwrite',
  });
  const sha = sha256Hex(bytes);
  if (j['state_sha256'] !== sha || (expectedSha !== undefined && expectedSha !== sha))
    throw new ModelFormatError(
      `run directory: ${binPath} has SHA-256 ${sha} but ${STATE_JSON} records ${describeValue(j['state_sha256'])}` +
        (expectedSha !== undefined ? ` and ${RUN_FILE} ${describeValue(expectedSha)}` : '') +
        ': the state files do not belong together. Restore the matching files, or train again with --overwrite.',
    );
  const { tensors } = decodeSafetensors(bytes, binPath);
  return {
    algorithm: j['algorithm'] as string,
    format_version: j['state_format_version'] as number,
    envSteps: j['env_steps'] as number,
    tensors,
    json: j['json'] as Record<string, unknown>,
  };
}

/** Throws InternalError when a resumed loop's snapshot is behind the state it was given (it did not resume). */
export function checkResumed(resumedFrom: TrainingState | undefined, envSteps: number, algorithm: string): void {
  if (resumedFrom !== undefined && envSteps < resumedFrom.envSteps)
    throw new InternalError(
      `the ${algorithm} loop was given resumeFrom at ${resumedFrom.envSteps} env steps but snapshotted at ${envSteps}: it ignored resumeFrom.`,
    );
}
