/**
 * Statistics and timing helpers shared by the latency benchmarks (bench/policy-latency.ts,
 * bench/robot-loop.ts).
 *
 * Percentiles use the nearest-rank definition: for n sorted samples x₁ ≤ … ≤ xₙ the p-th
 * percentile (0 < p ≤ 100) is x_r with r = ⌈p/100 · n⌉ (r ≥ 1): the smallest sample such that at
 * least p % of the samples are ≤ it. It is always one of the samples (no interpolation), so p99 of
 * 100 samples is the 99th smallest and p100 is the maximum.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

/** Nearest-rank percentile of ascending `sorted` (see the module comment); NaN when empty. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile p = ${p}; expected 0 < p ≤ 100.`);
  return sorted[nearestRank(p, n) - 1]!;
}

/**
 * ⌈p/100 · n⌉ clamped to [1, n], computed so that products that are integers in exact arithmetic
 * stay integers (0.999 · 1000 is 999.0000000000001 in floating point; its rank is 999, not 1000).
 */
export function nearestRank(p: number, n: number): number {
  const x = (p * n) / 100;
  return Math.min(n, Math.max(1, Math.ceil(x - 1e-9 * Math.max(1, x))));
}

export interface SampleSummary {
  n: number;
  mean: number;
  min: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** Summary of samples (any order; the input is not modified). */
export function summarize(samples: ArrayLike<number>): SampleSummary {
  const s = Float64Array.from(samples as ArrayLike<number>).sort();
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i]!;
  return {
    n: s.length,
    mean: s.length ? sum / s.length : NaN,
    min: s.length ? s[0]! : NaN,
    p50: percentileSorted(s, 50),
    p99: percentileSorted(s, 99),
    p999: percentileSorted(s, 99.9),
    max: s.length ? s[s.length - 1]! : NaN,
  };
}

/** Elapsed nanoseconds since `t0` (process.hrtime.bigint()) as a number. */
export function elapsedNs(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0);
}

export interface HostInfo {
  cpu: string;
  cores: number;
  node: string;
  platform: string;
  /** 1-, 5- and 15-minute load averages when the bench started (other work on the machine skews timings). */
  loadavg: number[];
  /** Share of all cores' time that was idle over one second before the bench started (Linux /proc/stat), or null. */
  idleBefore: number | null;
}

function cpuTimes(): { idle: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { idle, total: v.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/** Idle share of the machine's CPU time over `ms` milliseconds (Linux), or null where /proc/stat is missing. */
export async function measureIdle(ms = 1000): Promise<number | null> {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  if (!a || !b || b.total === a.total) return null;
  return Math.round(((b.idle - a.idle) / (b.total - a.total)) * 1000) / 1000;
}

export async function hostInfo(idleMs = 1000): Promise<HostInfo> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    idleBefore: idleMs > 0 ? await measureIdle(idleMs) : null,
  };
}

/** "load average 0.5 / 0.4 / 0.3, 97 % idle over the second before" for reports. */
export function describeLoad(h: HostInfo): string {
  return `load average at start ${h.loadavg.join(' / ')}${h.idleBefore !== null ? `, ${Math.round(h.idleBefore * 100)} % of CPU time idle over the second before` : ''}`;
}

/** A markdown table; numeric-looking cells are right-aligned. */
export function markdownTable(head: string[], rows: (string | number)[][], alignRight?: boolean[]): string {
  const right =
    alignRight ?? head.map((_, i) => rows.every((r) => typeof r[i] === 'number' || /^[-+]?[\d.,]+( ?[µm]?s|×|%)?$/.test(String(r[i]))));
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(head), `|${right.map((r) => (r ? '---:' : '---')).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Formats a rate: 1234567 → "1.23 M". */
export function fmtRate(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(0);
}

/** Formats microseconds with 3 significant-ish digits. */
export function fmtUs(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (x >= 1000) return x.toFixed(0);
  if (x >= 100) return x.toFixed(1);
  return x.toFixed(2);
}

/**
 * The common ending of a bench: `node dist/bench/<name>.js [argv]` as the report's command, the
 * markdown from `markdown(command)`, written with the JSON report to `<out>/<name>.md` / `.json` when
 * `out` is set, and printed (JSON with `json`, else the markdown). Returns the path written, or null.
 */
export function writeReport(
  name: string,
  argv: readonly string[],
  report: unknown,
  markdown: (command: string) => string,
  out: string,
  json: boolean,
): string | null {
  const command = `node dist/bench/${name}.js${argv.length ? ' ' + argv.join(' ') : ''}`;
  const md = markdown(command);
  let written: string | null = null;
  if (out) {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `${name}.json`), JSON.stringify(report, null, 2) + '\n');
    written = join(out, `${name}.md`);
    writeFileSync(written, md);
  }
  if (json) console.log(JSON.stringify(report, null, 2));
  else console.log(md);
  return written;
}

/** Runs `main()` when the module at `url` (its import.meta.url) is the script node was started with; a failure is printed and sets exit code 1. */
export function runIfScript(url: string, main: () => Promise<unknown>): void {
  if (process.argv[1] && url === pathToFileURL(process.argv[1]).href) {
    main().catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
  }
}
