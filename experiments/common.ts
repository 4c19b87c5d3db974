/**
 * Pieces every experiments script shares: running the CLI, the export → eval → verify steps after
 * training, reading a run's curve, a job pool.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Series } from '../sdk/util/metrics.js';

/** Runs `node <dist>/sdk/bin.js …args`; resolves with stdout, rejects with the tail of stderr. */
export function runCli(dist: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(dist, 'sdk/bin.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (errText += d));
    p.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`gmmrl ${args.join(' ')} exited ${code}\n${out}\n${errText.slice(-2000)}`)),
    );
  });
}

/** What `exportEvalVerify` found: `gmmrl eval --json`'s fields and the parity check's outcome. */
export interface EvalAndParity {
  mean_return: number;
  std_return: number;
  episodes: number;
  parity_pass: boolean;
  /** Largest relative difference of q between the checkpoint and the ONNX model (NaN when verify failed). */
  max_rel_diff_q: number;
}

/**
 * The product path after training: `gmmrl export` of the run in `dir` to `onnx`, `gmmrl eval` with
 * ONNX Runtime over 100 greedy episodes on seeds 100000… (never used in training or model
 * selection), and `gmmrl verify`; a verify that fails counts as parity failed (its error goes to
 * stderr). `cli` runs one gmmrl command and resolves with its stdout.
 */
export async function exportEvalVerify(cli: (args: string[]) => Promise<string>, dir: string, onnx: string): Promise<EvalAndParity> {
  await cli(['export', dir, '--out', onnx]);
  const ev = JSON.parse(await cli(['eval', onnx, '--episodes', '100', '--seed', '100000', '--json'])) as {
    mean_return: number;
    std_return: number;
    episodes: number;
  };
  let parity: { pass: boolean; max_rel_diff: { q: number } };
  try {
    parity = JSON.parse(await cli(['verify', dir, onnx, '--json']));
  } catch (e) {
    parity = { pass: false, max_rel_diff: { q: NaN } };
    process.stderr.write(String(e) + '\n');
  }
  return { ...ev, parity_pass: parity.pass, max_rel_diff_q: parity.max_rel_diff.q };
}

/** Env steps and greedy evaluation return from a run's metrics.csv. */
export function readCurve(dir: string): { x: number[]; y: number[] } {
  const path = join(dir, 'metrics.csv');
  if (!existsSync(path)) return { x: [], y: [] };
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const cols = head!.split(',');
  const ix = cols.indexOf('env_steps');
  const iy = cols.indexOf('eval_return_mean');
  const rows = lines.map((l) => l.split(','));
  return { x: rows.map((r) => Number(r[ix])), y: rows.map((r) => Number(r[iy])) };
}

/** Runs `work` over `items`, `jobs` at a time; failures are reported and skipped. Results in input order. */
export async function pool<T, R>(items: T[], jobs: number, work: (item: T) => Promise<R>, label: (item: T) => string): Promise<R[]> {
  const out: (R | undefined)[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, jobs) }, async () => {
      for (let i = next++; i < items.length; i = next++) {
        try {
          out[i] = await work(items[i]!);
        } catch (e) {
          process.stderr.write(`${label(items[i]!)} FAILED: ${String(e)}\n`);
        }
      }
    }),
  );
  return out.filter((r): r is R => r !== undefined);
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function std(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
}

/**
 * One plotted series from several seeds' curves on a shared x: the mean at each x, and a band of
 * ± one (population) std, both over the seeds whose value there is finite.
 */
export function meanBandSeries(label: string, x: number[], curves: number[][]): Series {
  const at = (i: number): number[] => curves.map((c) => c[i]!).filter((v) => Number.isFinite(v));
  const y = x.map((_, i) => mean(at(i)));
  const sd = x.map((_, i) => std(at(i)));
  return { label, x, y, band: { lower: y.map((v, i) => v - sd[i]!), upper: y.map((v, i) => v + sd[i]!) } };
}
