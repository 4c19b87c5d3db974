/**
 * Throttled progress lines for the robot loop. A peer that repeats a fault (a robot streaming bad
 * frames at 1 kHz, a controller flooding ERROR frames) must not turn stderr into the bottleneck or
 * fill a disk: per kind of line, the first `burst` lines of each interval are written as they come,
 * the rest are counted, and one line per interval says how many were left out.
 */
import { performance } from 'node:perf_hooks';

export interface LogThrottleOptions {
  /** Lines of one kind written per interval before counting starts (default 5). */
  burst?: number;
  /** Interval in ms (default 1000). */
  intervalMs?: number;
}

interface KindState {
  windowStart: number;
  written: number;
  suppressed: number;
  timer: ReturnType<typeof setTimeout> | null;
}

export class LogThrottle {
  private readonly burst: number;
  private readonly intervalMs: number;
  private readonly kinds = new Map<string, KindState>();
  /** Lines left out so far (all kinds). */
  suppressedTotal = 0;

  constructor(
    private readonly sink: ((line: string) => void) | undefined,
    opts: LogThrottleOptions = {},
  ) {
    this.burst = opts.burst ?? 5;
    this.intervalMs = opts.intervalMs ?? 1000;
  }

  /** Writes `line` unless `kind` has used its burst in the current interval (then it is counted). */
  log(kind: string, line: string): void {
    if (!this.sink) return;
    const now = performance.now();
    let k = this.kinds.get(kind);
    if (!k) {
      k = { windowStart: now, written: 0, suppressed: 0, timer: null };
      this.kinds.set(kind, k);
    }
    if (now - k.windowStart >= this.intervalMs) {
      this.report(kind, k);
      k.windowStart = now;
      k.written = 0;
    }
    if (k.written < this.burst) {
      k.written++;
      this.sink(line);
      return;
    }
    k.suppressed++;
    this.suppressedTotal++;
    if (!k.timer) {
      // the count is written at the end of the interval even if no further line of this kind comes
      const wait = Math.max(0, this.intervalMs - (now - k.windowStart));
      k.timer = setTimeout(() => {
        k.timer = null;
        this.report(kind, k);
        k.windowStart = performance.now();
        k.written = 0;
      }, wait);
      k.timer.unref();
    }
  }

  /** Writes the pending counts now (at shutdown) and cancels the timers. */
  flush(): void {
    for (const [kind, k] of this.kinds) this.report(kind, k);
  }

  private report(kind: string, k: KindState): void {
    if (k.timer) {
      clearTimeout(k.timer);
      k.timer = null;
    }
    if (k.suppressed === 0) return;
    const n = k.suppressed;
    k.suppressed = 0;
    this.sink?.(
      `${kind}: ${n} more such line${n === 1 ? '' : 's'} left out (at most ${this.burst} per ${(this.intervalMs / 1000).toFixed(1)} s are written)`,
    );
  }
}
