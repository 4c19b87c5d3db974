/**
 * The run directory written by every `gmmrl train <algorithm>`:
 *   config.json + weights.safetensors   the checkpoint (see models/<family>/checkpoint.ts)
 *   metrics.csv                         one row per iteration
 *   curve.svg                           learning curve (greedy evaluation return against env steps)
 *   run.json                            summary: algorithm, config, backend, wall time, best return
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../models/io.js';
import { MetricsLog, svgLinePlot, type MetricRow } from './util/metrics.js';

export class RunWriter {
  readonly metrics = new MetricsLog();
  /** The directory is created at the first write, so a run refused by config validation leaves nothing behind. */
  constructor(
    readonly dir: string,
    readonly title: string,
    readonly rewardThreshold?: number,
  ) {}

  /** Appends a row and rewrites metrics.csv and curve.svg (both atomically). */
  addRow(row: MetricRow, x = 'env_steps', y = 'eval_return_mean'): void {
    this.metrics.add(row);
    mkdirSync(this.dir, { recursive: true });
    this.metrics.writeCsv(join(this.dir, 'metrics.csv'));
    const xs = this.metrics.rows.map((r) => Number(r[x]));
    const ys = this.metrics.rows.map((r) => Number(r[y]));
    const svg = svgLinePlot({
      title: this.title,
      xLabel: 'environment steps',
      yLabel: 'greedy evaluation return',
      series: [{ label: y === 'eval_return_mean' ? 'greedy evaluation return (mean over eval episodes)' : y, x: xs, y: ys }],
      ...(this.rewardThreshold !== undefined ? { hline: { y: this.rewardThreshold, label: `threshold ${this.rewardThreshold}` } } : {}),
    });
    writeFileAtomic(join(this.dir, 'curve.svg'), svg);
  }

  writeSummary(summary: Record<string, unknown>): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(join(this.dir, 'run.json'), JSON.stringify(summary, null, 2) + '\n');
  }
}
