/**
 * Kill injection for the run directory (spec/sdk/run-store-kill.spec.ts, scripts/kill-fuzz.mjs): a
 * toyr training in a child process killed with SIGKILL at one I/O point of models/io.ts (before or
 * after it), at a random time, or by strace at the n-th rename(2); then the checks every kill must
 * pass and a --resume (or, when no run.json was written yet, the same command again) to the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDqnCheckpoint } from '../../../models/dqn/checkpoint.js';
import { RUN_FILE, readRunPointer } from '../../../models/checkpoint-files.js';
import { runTrain } from '../../../sdk/cli/train.js';
import { readTrainingState } from '../../../sdk/run-store.js';
import { TOYR_ENTRY } from './toy-resumable.js';

export const BIN = join(dirname(fileURLToPath(import.meta.url)), 'toy-bin.js');
/** The first run.json, then two commits: the evaluation at step 20 (generation 1) and the final one (generation 2, which deletes 1). */
export const KILL_RUN = ['--steps', '20', '--eval-every', '20', '--quiet'];

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  err: string;
}

/** Runs `argv` (default: node toy-bin KILL_RUN --out dir) with `env`; `killAfterMs` sends SIGKILL from outside. */
export function runChild(o: { dir: string; env?: Record<string, string>; killAfterMs?: number; argv?: string[] }): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const argv = o.argv ?? [process.execPath, BIN, ...KILL_RUN, '--out', o.dir];
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...o.env } });
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = o.killAfterMs !== undefined ? setTimeout(() => p.kill('SIGKILL'), o.killAfterMs) : undefined;
    p.on('error', reject);
    p.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, err });
    });
  });
}

/** Counts the I/O points of an uninterrupted KILL_RUN (GMMRL_FAULT_LOG) and returns them with its best weights. */
export async function referenceRun(dir: string): Promise<{ points: string[]; weights: number[] }> {
  const log = `${dir}.log`;
  const r = await runChild({ dir, env: { GMMRL_FAULT_LOG: log } });
  if (r.code !== 0) throw new Error(`reference run failed (${r.code}): ${r.err}`);
  return { points: readFileSync(log, 'utf8').trim().split('\n'), weights: bestWeights(dir) };
}

function bestWeights(run: string): number[] {
  return Array.from(loadDqnCheckpoint(run).params.weights[0]!);
}

/**
 * What must hold after a kill, then the run finished: run.json (if any) parses and names a complete
 * generation whose best (and latest, with its state) load; --resume (or a new start when the kill
 * came before the first run.json) ends complete with exactly the reference weights. Returns a
 * description of the first failure, or null. `runArgs`: the flags the killed run had.
 */
export async function checkAndFinish(dir: string, reference: number[], runArgs: readonly string[] = KILL_RUN): Promise<string | null> {
  const quiet = () => {};
  const run = existsSync(join(dir, RUN_FILE)) ? readRunPointer(dir) : null;
  if (existsSync(join(dir, RUN_FILE)) && run === null) return 'run.json is not a gmmrl run record';
  let argv = [...runArgs, '--out', dir];
  if (run !== null) {
    if (run.generation > 0) {
      const gen = join(dir, 'checkpoints', String(run.generation));
      if (!existsSync(gen)) return `run.json names generation ${run.generation}, which does not exist`;
      loadDqnCheckpoint(dir);
      if (run.latest !== undefined) {
        loadDqnCheckpoint(join(dir, run.latest));
        readTrainingState(join(dir, run.latest), run['latest_state_sha256'] as string | undefined);
      }
    }
    if (run.status === 'complete') {
      const left = readdirSync(join(dir, 'checkpoints')).filter((n) => n !== String(run.generation));
      // a kill during the last cleanup may leave the previous generation: readers ignore it, a writer removes it
      if (left.some((n) => !/^\d+$|^\.tmp-/.test(n))) return `unexpected entries in checkpoints/: ${left.join(', ')}`;
      return sameWeights(bestWeights(dir), reference);
    }
    argv = [...argv, '--resume'];
  }
  const done = await runTrain(TOYR_ENTRY, argv, quiet, quiet);
  if (done === null || done.exitCode !== 0) return `finishing the run failed (${done?.exitCode})`;
  const after = readRunPointer(dir);
  if (after?.status !== 'complete') return `after finishing, status is ${after?.status}`;
  const left = readdirSync(join(dir, 'checkpoints'));
  if (left.length !== 1) return `after finishing, checkpoints/ holds ${left.join(', ')}`;
  return sameWeights(bestWeights(dir), reference);
}

function sameWeights(a: number[], b: number[]): string | null {
  return a.length === b.length && a.every((x, i) => x === b[i])
    ? null
    : `best weights ${a.join(',')} differ from the uninterrupted run's ${b.join(',')}`;
}

/** Whether strace can inject faults here (ptrace permitted), and why not. */
export function straceAvailable(): string | null {
  const r = spawnSync('/usr/bin/strace', ['-f', '-o', '/dev/null', '-e', 'trace=rename', process.execPath, '-e', '0'], {
    encoding: 'utf8',
  });
  if (r.error) return `strace cannot run (${r.error.message})`;
  if (r.status !== 0) return `strace cannot trace here (exit ${r.status}: ${r.stderr.trim().split('\n')[0]})`;
  return null;
}

/** A seeded uniform stream (mulberry32), for the random kill times. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
