/**
 * A local pool of training runs: several `gmmrl train …` runs (seeds, configs) at once, each in its
 * own child process (dist/sdk/bin.js, exactly what a user runs), so each has its own TensorFlow.js
 * backend and a machine's cores are all used even where one run's backend uses one core.
 *
 * A job is a `gmmrl train` argument list and the run directory it writes (`--out`); the pool adds
 * `--out` itself. Results come back in job order whatever the finishing order; a job that fails is
 * reported with its exit status and the tail of its stderr, and the others go on. Stopping (the
 * `signal` option, or SIGINT / SIGTERM sent to this process while the pool runs) forwards the
 * signal to every running child: each finishes its step in flight, saves and exits 130 / 143 with
 * its run directory resumable by `gmmrl train ALGO --out RUN --resume` (sdk/cli/train.ts); jobs not
 * yet started are reported as such.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValueError, describeValue } from '../contract/errors.js';

/** One training run: `args` as after `gmmrl` (starting with "train"), without `--out`. */
export interface PoolJob {
  args: readonly string[];
  /** The run directory (`--out`). Two jobs may not share one. */
  out: string;
  /** A label for progress lines; default `job N` (1-based). */
  name?: string;
}

export type PoolEvent =
  | { type: 'start'; job: number; name: string; pid: number }
  | { type: 'line'; job: number; name: string; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'exit'; job: number; name: string; result: PoolResult };

export interface PoolOptions {
  /** Children at once: an integer ≥ 1, default os.availableParallelism(). */
  concurrency?: number;
  /** Every child's start, output line and exit, as they happen. */
  onEvent?: (event: PoolEvent) => void;
  /** Aborting it stops the pool (SIGINT to every running child; queued jobs never start). */
  signal?: AbortSignal;
  /** Forward SIGINT / SIGTERM received by this process to the children (default true). */
  handleSignals?: boolean;
}

/**
 * `ok`: exit 0. `interrupted`: stopped by SIGINT / SIGTERM and saved (exit 130 / 143), resumable.
 * `failed`: any other exit (its `error` says why). `not-started`: the pool was stopped first.
 */
export type PoolStatus = 'ok' | 'interrupted' | 'failed' | 'not-started';

export interface PoolResult {
  job: number;
  name: string;
  out: string;
  status: PoolStatus;
  /** The child's exit code (null when killed by a signal or never started). */
  exitCode: number | null;
  /** The signal that killed the child, if one did. */
  exitSignal: string | null;
  /** For `failed`: the last lines of the child's stderr (or the spawn error). */
  error?: string;
  /** For `interrupted`: the job's args plus `--resume`; a job { args: resumeArgs, out } continues the run. */
  resumeArgs?: string[];
  wallMs: number;
}

const BIN = fileURLToPath(new URL('./bin.js', import.meta.url));
const ERROR_TAIL_LINES = 20;

function checkJobs(jobs: readonly PoolJob[]): void {
  if (!Array.isArray(jobs))
    throw new ValueError(`runPool: jobs is ${describeValue(jobs)}; expected an array of { args: string[], out: string }.`);
  const outs = new Map<string, number>();
  jobs.forEach((job, i) => {
    const where = `runPool: jobs[${i}]`;
    if (job === null || typeof job !== 'object')
      throw new ValueError(`${where} is ${describeValue(job)}; expected { args: string[], out: string }.`);
    const args: unknown = job.args;
    if (!Array.isArray(args) || args.some((a: unknown) => typeof a !== 'string'))
      throw new ValueError(
        `${where}.args is ${describeValue(job.args)}; expected an array of strings (a gmmrl command line without "gmmrl").`,
      );
    if (job.args[0] !== 'train')
      throw new ValueError(
        `${where}.args starts with ${describeValue(job.args[0])}; a pool job is a training run: start it with "train" (e.g. ["train", "sac", "--env", "Pendulum-v1"]).`,
      );
    if (job.args.some((a: string) => a === '--out' || a.startsWith('--out=')))
      throw new ValueError(`${where}.args contains --out; give the run directory as ${where}.out instead (the pool adds --out).`);
    if (typeof job.out !== 'string' || job.out === '')
      throw new ValueError(`${where}.out is ${describeValue(job.out)}; expected the run directory's path.`);
    if (job.name !== undefined && typeof job.name !== 'string')
      throw new ValueError(`${where}.name is ${describeValue(job.name)}; expected a string or nothing.`);
    const abs = resolvePath(job.out);
    const prev = outs.get(abs);
    if (prev !== undefined)
      throw new ValueError(`${where}.out is ${JSON.stringify(job.out)}, the run directory of jobs[${prev}] too; give each job its own.`);
    outs.set(abs, i);
  });
}

/** Runs the jobs, at most `concurrency` at once, and resolves with one result per job, in job order. */
export async function runPool(jobs: readonly PoolJob[], opts: PoolOptions = {}): Promise<PoolResult[]> {
  checkJobs(jobs);
  const concurrency = opts.concurrency ?? os.availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new ValueError(
      `runPool: concurrency is ${describeValue(concurrency)}; expected an integer ≥ 1 (default: os.availableParallelism()).`,
    );
  const emit = opts.onEvent ?? (() => {});
  const results: (PoolResult | undefined)[] = new Array(jobs.length);
  const running = new Map<number, ChildProcess>();
  let next = 0;
  let stopSignal: NodeJS.Signals | null = null;

  return new Promise<PoolResult[]>((resolveAll) => {
    const nameOf = (i: number): string => jobs[i]!.name ?? `job ${i + 1}`;
    const finish = (): void => {
      if (running.size > 0 || (next < jobs.length && stopSignal === null)) return;
      for (let i = 0; i < jobs.length; i++)
        if (results[i] === undefined)
          results[i] = { job: i, name: nameOf(i), out: jobs[i]!.out, status: 'not-started', exitCode: null, exitSignal: null, wallMs: 0 };
      cleanup();
      resolveAll(results as PoolResult[]);
    };
    const stop = (sig: NodeJS.Signals): void => {
      if (stopSignal !== null) return;
      stopSignal = sig;
      for (const child of running.values()) child.kill(sig);
      finish();
    };
    const onSigint = (): void => stop('SIGINT');
    const onSigterm = (): void => stop('SIGTERM');
    const onAbort = (): void => stop('SIGINT');
    const handleSignals = opts.handleSignals ?? true;
    if (handleSignals) {
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigterm);
    }
    opts.signal?.addEventListener('abort', onAbort);
    const cleanup = (): void => {
      if (handleSignals) {
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigterm);
      }
      opts.signal?.removeEventListener('abort', onAbort);
    };

    const start = (i: number): void => {
      const job = jobs[i]!;
      const name = nameOf(i);
      const t0 = performance.now();
      // Its own process group: a Ctrl-C in the terminal reaches the pool alone, which forwards one
      // SIGINT; a child that got the terminal's too would take the second as "exit at once".
      const child = spawn(process.execPath, [BIN, ...job.args, '--out', job.out], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      running.set(i, child);
      const errTail: string[] = [];
      let spawnError: Error | null = null;
      const lines = (stream: 'stdout' | 'stderr'): ((chunk: string) => void) => {
        let partial = '';
        return (chunk: string) => {
          const parts = (partial + chunk).split('\n');
          partial = parts.pop()!;
          for (const line of parts) {
            if (stream === 'stderr') {
              errTail.push(line);
              if (errTail.length > ERROR_TAIL_LINES) errTail.shift();
            }
            emit({ type: 'line', job: i, name, stream, line });
          }
        };
      };
      child.stdout!.setEncoding('utf8').on('data', lines('stdout'));
      child.stderr!.setEncoding('utf8').on('data', lines('stderr'));
      child.on('error', (e) => (spawnError = e));
      if (child.pid !== undefined) emit({ type: 'start', job: i, name, pid: child.pid });
      child.on('close', (code, sig) => {
        running.delete(i);
        const interrupted = code === 130 || code === 143;
        const status: PoolStatus = code === 0 ? 'ok' : interrupted ? 'interrupted' : 'failed';
        const result: PoolResult = { job: i, name, out: job.out, status, exitCode: code, exitSignal: sig, wallMs: performance.now() - t0 };
        if (status === 'failed') {
          const why = spawnError !== null ? String((spawnError as Error).message) : errTail.join('\n').trim();
          result.error = `${name}: exit ${code ?? sig}${why ? `\n${why}` : ''}`;
        }
        if (interrupted) result.resumeArgs = [...job.args, '--resume'];
        results[i] = result;
        emit({ type: 'exit', job: i, name, result });
        launch();
        finish();
      });
    };
    const launch = (): void => {
      while (stopSignal === null && running.size < concurrency && next < jobs.length) start(next++);
    };
    launch();
    finish();
  });
}
