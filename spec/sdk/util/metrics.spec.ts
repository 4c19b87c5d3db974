import { expect } from 'chai';
import { svgLinePlot, type Series } from '../../../sdk/util/metrics.js';
import { ShapeError } from '../../../contract/errors.js';
import { expectThrows } from '../../helpers.js';

/** The elements of one tag, each as its attribute map (the plot writes one element per line, attributes in double quotes). */
function elements(svg: string, tag: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const m of svg.matchAll(new RegExp(`<${tag}\\s([^>]*?)/?>`, 'g'))) {
    const attrs: Record<string, string> = {};
    for (const a of m[1]!.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!;
    out.push(attrs);
  }
  return out;
}

function pointsOf(attr: string): [number, number][] {
  return attr
    .trim()
    .split(/\s+/)
    .filter((p) => p.length > 0)
    .map((p) => p.split(',').map(Number) as [number, number]);
}

/** The plot area (the axes' frame): the rect with a stroke and no fill. */
function frame(svg: string): { x: number; y: number; w: number; h: number } {
  const r = elements(svg, 'rect').find((a) => a['fill'] === 'none' && a['stroke'] === '#333')!;
  return { x: Number(r['x']), y: Number(r['y']), w: Number(r['width']), h: Number(r['height']) };
}

function legendBox(svg: string): { y0: number; y1: number } {
  const r = elements(svg, 'rect').find((a) => a['class'] === 'legend-box')!;
  expect(r, 'a legend box').to.not.equal(undefined);
  return { y0: Number(r['y']), y1: Number(r['y']) + Number(r['height']) };
}

const base = { title: 't', xLabel: 'steps', yLabel: 'return' };

describe('sdk/util/metrics (svgLinePlot)', () => {
  it('draws a marker for a series of one point (a run with one evaluation), inside the axes', () => {
    const svg = svgLinePlot({ ...base, series: [{ label: 'eval', x: [500], y: [21.5] }] });
    const circles = elements(svg, 'circle');
    expect(circles).to.have.length(1);
    const f = frame(svg);
    const cx = Number(circles[0]!['cx']);
    const cy = Number(circles[0]!['cy']);
    expect(cx).to.be.within(f.x, f.x + f.w);
    expect(cy).to.be.within(f.y, f.y + f.h);
    // the polyline of that series has the same single point
    expect(pointsOf(elements(svg, 'polyline')[0]!['points']!)).to.deep.equal([[cx, cy]]);
  });

  it('draws one marker per finite point and none for non-finite values', () => {
    const svg = svgLinePlot({ ...base, series: [{ label: 'a', x: [0, 1, 2, 3], y: [1, NaN, 3, 4] }] });
    expect(elements(svg, 'circle')).to.have.length(3);
  });

  it('places the legend outside the axes, so it crosses neither the data nor the threshold line (short runs too)', () => {
    // threshold near the top of the range: the old legend (top left, inside the axes) sat on it
    for (const [ys, threshold] of [
      [[10], 475],
      [[10, 200], 475],
      [[480, 470], 475],
      [[-500, -90, -80], -100],
    ] as [number[], number][]) {
      const series: Series[] = [
        { label: 'greedy evaluation return', x: ys.map((_, i) => 500 * (i + 1)), y: ys },
        { label: 'second', x: ys.map((_, i) => 500 * (i + 1)), y: ys.map((v) => v - 1) },
      ];
      const svg = svgLinePlot({ ...base, series, hline: { y: threshold, label: `threshold ${threshold}` } });
      const f = frame(svg);
      // the threshold: the dashed line across the whole plot area
      const line = elements(svg, 'line').find(
        (a) => a['stroke-dasharray'] !== undefined && Number(a['x1']) === f.x && Number(a['x2']) === f.x + f.w,
      )!;
      expect(line, 'the threshold line').to.not.equal(undefined);
      const ty = Number(line['y1']);
      // the legend rows: the colour swatches (12 × 3) with their text, 16 px a row
      const swatches = elements(svg, 'rect')
        .filter((a) => a['width'] === '12' && a['height'] === '3')
        .map((a) => Number(a['y']));
      expect(swatches).to.have.length(2);
      const [r0, r1] = [Math.min(...swatches) - 6, Math.max(...swatches) + 10];
      expect(ty >= r0 && ty <= r1, `threshold y ${ty} crosses the legend rows [${r0}, ${r1}]`).to.equal(false);
      const box = legendBox(svg);
      expect(ty >= box.y0 && ty <= box.y1, `threshold y ${ty} inside legend [${box.y0}, ${box.y1}]`).to.equal(false);
      expect(box.y0, 'legend below the axes').to.be.greaterThan(f.y + f.h);
      expect(box.y1).to.be.at.most(Number(elements(svg, 'svg')[0]!['height']));
      // every legend text row lies inside the legend box; every marker inside the axes
      const legend = svg.slice(svg.indexOf('<g class="legend">'));
      const texts = [...legend.matchAll(/<text x="[^"]*" y="([^"]*)"/g)].map((m) => Number(m[1]));
      expect(texts).to.have.length(3); // two series and the threshold
      for (const y of texts) expect(y).to.be.within(box.y0, box.y1);
      for (const c of elements(svg, 'circle')) expect(Number(c['cy'])).to.be.within(f.y, f.y + f.h);
    }
  });

  it('draws a band as one polygon of 2n points (upper forward, lower back) and fits it in the y-range', () => {
    const x = [0, 100, 200, 300, 400];
    const y = [0, 1, 2, 3, 4];
    const band = { lower: y.map((v) => v - 10), upper: y.map((v) => v + 10) };
    const svg = svgLinePlot({ ...base, series: [{ label: 'mean ± std', x, y, band }] });
    const polys = elements(svg, 'polygon').filter((a) => a['class'] === 'band');
    expect(polys).to.have.length(1);
    const pts = pointsOf(polys[0]!['points']!);
    expect(pts).to.have.length(2 * x.length);
    const f = frame(svg);
    // x goes forward then back; the upper edge is above (smaller SVG y than) the lower one
    const xsF = pts.slice(0, x.length).map((p) => p[0]);
    const xsB = pts.slice(x.length).map((p) => p[0]);
    expect(xsF).to.deep.equal([...xsF].sort((a, b) => a - b));
    expect(xsB).to.deep.equal([...xsF].reverse());
    for (let i = 0; i < x.length; i++) expect(pts[i]![1]).to.be.lessThan(pts[2 * x.length - 1 - i]![1]);
    for (const [, py] of pts) expect(py).to.be.within(f.y, f.y + f.h);
    // drawn before the line, so the line stays visible
    expect(svg.indexOf('<polygon')).to.be.lessThan(svg.indexOf('<polyline'));
  });

  it('leaves a point out of the band where a bound is not finite (2m points for m finite ones)', () => {
    const svg = svgLinePlot({
      ...base,
      series: [{ label: 'b', x: [0, 1, 2], y: [0, 1, 2], band: { lower: [-1, NaN, 1], upper: [1, 2, 3] } }],
    });
    expect(pointsOf(elements(svg, 'polygon')[0]!['points']!)).to.have.length(4);
  });

  it('refuses a series whose y or band does not match x, naming the series', () => {
    expectThrows(
      () => svgLinePlot({ ...base, series: [{ label: 'short', x: [0, 1, 2], y: [0, 1] }] }),
      ShapeError,
      /series\[0\].*"short".*y has 2 values but x has 3/,
    );
    expectThrows(
      () => svgLinePlot({ ...base, series: [{ label: 'b', x: [0, 1], y: [0, 1], band: { lower: [0], upper: [1, 2] } }] }),
      ShapeError,
      /band\.lower has 1 values/,
    );
  });
});
