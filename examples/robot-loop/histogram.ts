/**
 * A fixed-resolution latency histogram that records without allocating, for control loops that run
 * for hours: memory is fixed at construction (one Uint32Array), whatever the number of samples.
 *
 * Bins are [b·res, (b+1)·res) nanoseconds for b = 0 … bins − 1; samples ≥ bins·res are counted as
 * overflow (their exact maximum is still tracked). Percentiles use the nearest-rank definition
 * (the value at rank ⌈p/100 · n⌉ of the sorted samples, rank ≥ 1), and are reported as the upper
 * edge of the bin holding that rank, capped at the exact maximum: the true percentile x satisfies
 * reported − res < x ≤ reported. A rank that falls into the overflow reports the exact maximum (an
 * upper bound), and `overflow` says how many samples were there.
 */
export class LatencyHistogram {
  readonly counts: Uint32Array;
  count = 0;
  overflow = 0;
  sumNs = 0;
  minNs = Infinity;
  maxNs = 0;

  /**
   * @param resolutionNs bin width in nanoseconds (default 100 ns)
   * @param rangeNs samples up to this are binned (default 20 ms)
   */
  constructor(
    readonly resolutionNs = 100,
    readonly rangeNs = 20_000_000,
  ) {
    if (!(resolutionNs > 0) || !(rangeNs >= resolutionNs)) {
      throw new RangeError(`LatencyHistogram: resolutionNs = ${resolutionNs} and rangeNs = ${rangeNs}; need 0 < resolutionNs ≤ rangeNs.`);
    }
    this.counts = new Uint32Array(Math.ceil(rangeNs / resolutionNs));
  }

  /** Records one sample (nanoseconds, ≥ 0; a negative sample is recorded as 0). */
  record(ns: number): void {
    const v = ns > 0 ? ns : 0;
    const b = Math.floor(v / this.resolutionNs);
    if (b < this.counts.length) this.counts[b]!++;
    else this.overflow++;
    this.count++;
    this.sumNs += v;
    if (v < this.minNs) this.minNs = v;
    if (v > this.maxNs) this.maxNs = v;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.overflow = 0;
    this.sumNs = 0;
    this.minNs = Infinity;
    this.maxNs = 0;
  }

  /** Nearest-rank percentile p ∈ (0, 100] in nanoseconds (see the class comment); NaN when empty. */
  percentileNs(p: number): number {
    if (this.count === 0) return NaN;
    if (!(p > 0 && p <= 100)) throw new RangeError(`percentile p = ${p}; expected 0 < p ≤ 100.`);
    // ⌈p/100 · n⌉ with a guard against floating-point excess (0.999 · 1000 = 999.0000000000001)
    const x = (p * this.count) / 100;
    const rank = Math.max(1, Math.ceil(x - 1e-9 * Math.max(1, x)));
    let seen = 0;
    for (let b = 0; b < this.counts.length; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return Math.min((b + 1) * this.resolutionNs, this.maxNs);
    }
    return this.maxNs;
  }

  /**
   * Summary in microseconds. With no samples the statistics are null (not NaN, and not 0, which
   * would read as a measured latency): `n` says there was nothing to measure.
   */
  summaryUs(): LatencySummaryUs {
    const us = (ns: number) => ns / 1000;
    const empty = this.count === 0;
    return {
      n: this.count,
      meanUs: empty ? null : us(this.sumNs / this.count),
      p50Us: empty ? null : us(this.percentileNs(50)),
      p99Us: empty ? null : us(this.percentileNs(99)),
      p999Us: empty ? null : us(this.percentileNs(99.9)),
      maxUs: empty ? null : us(this.maxNs),
      minUs: empty ? null : us(this.minNs),
      overflow: this.overflow,
      resolutionUs: us(this.resolutionNs),
    };
  }
}

/** A histogram's summary in µs; the statistics are null when it has no samples (n = 0). */
export interface LatencySummaryUs {
  n: number;
  meanUs: number | null;
  p50Us: number | null;
  p99Us: number | null;
  p999Us: number | null;
  maxUs: number | null;
  minUs: number | null;
  overflow: number;
  resolutionUs: number;
}

/** A summary statistic for a progress line: `1.5 µs`, or `n/a` when nothing was measured. */
export function formatUs(v: number | null): string {
  return v === null ? 'n/a' : `${v.toFixed(1)} µs`;
}
