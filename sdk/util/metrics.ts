/**
 * Run logging: metrics.csv (one row per iteration, written incrementally and atomically rewritten),
 * an SVG learning curve, and a progress line for the terminal.
 */
import { ShapeError, describeValue } from '../../contract/errors.js';
import { writeFileAtomic } from '../../models/io.js';

export type MetricRow = Record<string, number | string>;

/** Collects rows and renders them as CSV (columns fixed by the first row). */
export class MetricsLog {
  readonly rows: MetricRow[] = [];
  private columns: string[] | null = null;

  add(row: MetricRow): void {
    if (!this.columns) this.columns = Object.keys(row);
    this.rows.push(row);
  }

  toCsv(): string {
    if (!this.columns) return '';
    const cols = this.columns;
    const fmt = (v: number | string | undefined): string => {
      if (v === undefined) return '';
      if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(7);
      return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
    };
    return [cols.join(','), ...this.rows.map((r) => cols.map((c) => fmt(r[c])).join(','))].join('\n') + '\n';
  }

  writeCsv(path: string): void {
    writeFileAtomic(path, this.toCsv());
  }
}

export interface Series {
  label: string;
  x: number[];
  y: number[];
  color?: string;
  /** A shaded band around the line (e.g. mean ± std over seeds): one lower and one upper value per x. */
  band?: { lower: number[]; upper: number[] };
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const LEGEND_ROW = 16;

/**
 * A self-contained SVG line plot (no dependencies). Optional horizontal reference line (`hline`) and,
 * per series, a shaded band. Every point gets a marker, so a series of one point is visible. The
 * legend (series, then the reference line) sits below the axes, one row per entry, so it never
 * covers the data or the reference line however short the run.
 */
export function svgLinePlot(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  hline?: { y: number; label: string };
  width?: number;
  height?: number;
}): string {
  opts.series.forEach((s, i) => {
    const where = `svgLinePlot: series[${i}] (${describeValue(s.label)})`;
    if (s.y.length !== s.x.length) throw new ShapeError(`${where}: y has ${s.y.length} values but x has ${s.x.length}; give one y per x.`);
    if (s.band && (s.band.lower.length !== s.x.length || s.band.upper.length !== s.x.length))
      throw new ShapeError(
        `${where}: band.lower has ${s.band.lower.length} values and band.upper ${s.band.upper.length}, but x has ${s.x.length}; give one lower and one upper value per x.`,
      );
  });
  const legendRows = opts.series.length + (opts.hline ? 1 : 0);
  const W = opts.width ?? 720;
  const H = (opts.height ?? 420) + LEGEND_ROW * Math.max(0, legendRows - 1);
  // bottom margin: x tick labels, the x label, then the legend
  const legendTop = (h: number) => h - 8 - LEGEND_ROW * legendRows;
  const m = { l: 70, r: 20, t: 40, b: 55 + 8 + LEGEND_ROW * legendRows };
  const xs = opts.series.flatMap((s) => s.x);
  const ys = opts.series
    .flatMap((s) => (s.band ? [...s.y, ...s.band.lower, ...s.band.upper] : s.y))
    .concat(opts.hline ? [opts.hline.y] : []);
  const finite = (a: number[]) => a.filter((v) => Number.isFinite(v));
  const x0 = Math.min(...finite(xs), 0);
  let x1 = Math.max(...finite(xs), 1);
  let [y0, y1] = [Math.min(...finite(ys)), Math.max(...finite(ys))];
  if (!Number.isFinite(y0)) [y0, y1] = [0, 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  if (x0 === x1) x1 = x0 + 1;
  const pad = 0.05 * (y1 - y0);
  y0 -= pad;
  y1 += pad;
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const xAxisLabelY = H - m.b + 36;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(opts.title)}</text>`);
  for (const t of niceTicks(y0, y1)) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.l - 6}" y="${py(t) + 4}" text-anchor="end">${t}</text>`);
  }
  for (const t of niceTicks(x0, x1)) {
    out.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${m.t}" y2="${H - m.b}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${px(t)}" y="${H - m.b + 16}" text-anchor="middle">${t}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${xAxisLabelY}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  const colors = opts.series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]!);
  // bands first, so every line and marker is drawn over them
  opts.series.forEach((s, i) => {
    if (!s.band) return;
    const { lower, upper } = s.band;
    const idx = s.x.map((_, j) => j).filter((j) => Number.isFinite(s.x[j]) && Number.isFinite(lower[j]) && Number.isFinite(upper[j]));
    if (idx.length === 0) return;
    const pts = [...idx.map((j) => [s.x[j]!, upper[j]!] as const), ...idx.reverse().map((j) => [s.x[j]!, lower[j]!] as const)]
      .map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`)
      .join(' ');
    out.push(`<polygon class="band" fill="${colors[i]}" fill-opacity="0.18" stroke="none" points="${pts}"/>`);
  });
  if (opts.hline) {
    const y = py(opts.hline.y);
    out.push(`<line class="threshold" x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="#888" stroke-dasharray="6 4"/>`);
  }
  opts.series.forEach((s, i) => {
    const color = colors[i]!;
    const pts = s.x
      .map((x, j) => [x, s.y[j]!] as const)
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
      .map(([x, y]) => [px(x).toFixed(1), py(y).toFixed(1)] as const);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${pts.map(([x, y]) => `${x},${y}`).join(' ')}"/>`);
    for (const [x, y] of pts) out.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${color}"/>`);
  });
  // the legend, below the axes
  const top = legendTop(H);
  const legendH = LEGEND_ROW * legendRows;
  out.push(`<g class="legend">`);
  out.push(`<rect class="legend-box" x="${m.l}" y="${top}" width="${W - m.l - m.r}" height="${legendH}" fill="none" stroke="none"/>`);
  opts.series.forEach((s, i) => {
    const y = top + LEGEND_ROW * i;
    out.push(`<rect x="${m.l + 10}" y="${y + 6}" width="12" height="3" fill="${colors[i]}"/>`);
    out.push(`<text x="${m.l + 28}" y="${y + 11}">${esc(s.label)}</text>`);
  });
  if (opts.hline) {
    const y = top + LEGEND_ROW * opts.series.length + 7.5;
    out.push(`<line x1="${m.l + 6}" x2="${m.l + 24}" y1="${y}" y2="${y}" stroke="#888" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${m.l + 28}" y="${y + 3.5}" fill="#666">${esc(opts.hline.label)}</text>`);
  }
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Seconds → "1m05s" / "42s" / "2h03m". */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
