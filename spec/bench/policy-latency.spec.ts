/**
 * bench/policy-latency: the statistics helpers against closed forms, the models against ONNX
 * Runtime (the TensorFlow.js twins must compute the same greedy actions, or the comparison would
 * not be of the same function), the floor graph, and --quick end to end. Timings are never asserted.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { percentileSorted, summarize, markdownTable, fmtRate } from '../../bench/stats.js';
import { BENCH_FAMILIES, buildBenchModel, floorModel } from '../../bench/models.js';
import { makeTfTwin } from '../../bench/tf-models.js';
import { main, timeBatch, timeSingle } from '../../bench/policy-latency.js';
import { selectBackend } from '../../sdk/backend.js';
import { loadPolicy } from '../../runtime/index.node.js';
import { LatencyHistogram } from '../../examples/robot-loop/histogram.js';

describe('bench/stats', () => {
  it('computes nearest-rank percentiles (the smallest sample with at least p % of the samples at or below it)', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1); // 1 … 100
    expect(percentileSorted(xs, 50)).to.equal(50);
    expect(percentileSorted(xs, 99)).to.equal(99);
    expect(percentileSorted(xs, 99.9)).to.equal(100); // rank ⌈99.9⌉ = 100
    expect(percentileSorted(xs, 100)).to.equal(100);
    expect(percentileSorted(xs, 1)).to.equal(1);
    expect(percentileSorted(xs, 0.5)).to.equal(1); // rank ⌈0.5⌉ = 1
    expect(percentileSorted([10, 20, 30], 50)).to.equal(20); // rank ⌈1.5⌉ = 2
    expect(percentileSorted([10, 20, 30], 34)).to.equal(20); // rank ⌈1.02⌉ = 2
    expect(percentileSorted([10, 20, 30], 33)).to.equal(10); // rank ⌈0.99⌉ = 1
    const thousand = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentileSorted(thousand, 99.9)).to.equal(999);
    expect(Number.isNaN(percentileSorted([], 50)), 'percentile of no samples is NaN').to.equal(true);
    expect(() => percentileSorted(xs, 0)).to.throw(RangeError, /0 < p ≤ 100/);
    expect(() => percentileSorted(xs, 101)).to.throw(RangeError);
  });

  it('summarizes unsorted samples without modifying them', () => {
    const xs = Float64Array.from([5, 1, 4, 2, 3]);
    const s = summarize(xs);
    expect(s).to.deep.equal({ n: 5, mean: 3, min: 1, p50: 3, p99: 5, p999: 5, max: 5 });
    expect(Array.from(xs)).to.deep.equal([5, 1, 4, 2, 3]);
  });

  it("agrees with the robot loop's histogram to within one bin on skewed data", () => {
    const h = new LatencyHistogram(100, 100_000_000);
    const xs: number[] = [];
    let s = 42;
    for (let i = 0; i < 20000; i++) {
      s = (s * 48271) % 2147483647;
      const u = s / 2147483647;
      const x = 20_000 + 1e5 * -Math.log(1 - u) * (u > 0.99 ? 30 : 1); // exponential body, long tail
      xs.push(x);
      h.record(x);
    }
    const sorted = Float64Array.from(xs).sort();
    for (const p of [50, 99, 99.9]) {
      const exact = percentileSorted(sorted, p);
      const got = h.percentileNs(p);
      expect(got - exact, `p${p}`)
        .to.be.at.least(0)
        .and.below(100);
    }
  });

  it('formats tables and rates', () => {
    expect(markdownTable(['a', 'b'], [['x', '1.5 µs']])).to.equal('| a | b |\n|---|---:|\n| x | 1.5 µs |');
    expect(fmtRate(1_234_567)).to.equal('1.23 M');
    expect(fmtRate(12_345)).to.equal('12.3 k');
  });

  it('times calls and batches with sane counts', async () => {
    let k = 0;
    const s = await timeSingle(() => k++, 300, 10);
    expect(s.n).to.equal(300);
    expect(k).to.equal(300 + 100); // warm-up max(100, calls/10) then 300 timed calls
    expect(s.p50).to.be.at.least(0);
    const b = await timeBatch(() => new Promise((r) => setImmediate(r)), 64, 1e-9);
    expect(b.runs).to.equal(3); // a budget below one run: the minimum of 3 runs
    expect(b.statesPerSec).to.be.greaterThan(0);
  });
});

describe('bench/models and bench/tf-models', function () {
  this.timeout(120000);

  it('the floor graph returns its input', async () => {
    const s = await ort.InferenceSession.create(floorModel(4));
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const out = await s.run({ obs: new ort.Tensor('float32', x, [2, 4]) });
    expect(Array.from(out.action!.data as Float32Array)).to.deep.equal(Array.from(x));
    await s.release();
  });

  for (const fam of BENCH_FAMILIES) {
    it(`${fam}: TensorFlow.js (wasm) computes the greedy actions ONNX Runtime computes, on the observation pool`, async () => {
      const m = buildBenchModel(fam);
      const policy = await loadPolicy(m.bytes, { executionProviders: ['cpu'] });
      const pool = m.observations(101, 256);
      const ref = await policy.actBatch(pool);
      await policy.dispose();
      await selectBackend('wasm');
      const twin = makeTfTwin(m);
      const got = twin.act(pool, 256);
      twin.dispose();
      if (ref instanceof Int32Array) {
        expect(Array.from(got)).to.deep.equal(Array.from(ref));
        expect(new Set(ref).size, 'several actions win across the pool').to.be.greaterThan(1);
      } else {
        const flat = (ref as ArrayLike<number>[]).flatMap((r) => Array.from(r));
        expect(got.length).to.equal(flat.length);
        for (let i = 0; i < flat.length; i++) expect(got[i]).to.be.closeTo(flat[i]!, 4e-4);
        expect(Math.max(...flat) - Math.min(...flat), 'actions spread over the box').to.be.greaterThan(0.5);
      }
    });
  }
});

describe('bench/policy-latency', function () {
  this.timeout(180000);

  it('--quick measures every path of the chosen families, writes both reports and evaluates the targets', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gmmrl-pl-'));
    try {
      const r = await main(['--quick', '--families=gmmqf,mixture-actor', `--out=${out}`, '--json']);
      const fams = new Set(r.rows.map((x) => x.family));
      expect([...fams]).to.deep.equal(['floor', 'gmmqf', 'mixture-actor']);
      for (const fam of ['gmmqf', 'mixture-actor'] as const) {
        const paths = r.rows.filter((x) => x.family === fam).map((x) => `${x.backend} / ${x.path}`);
        expect(paths).to.include.members([
          'onnxruntime-node cpu (1 thread) / policy.act',
          'onnxruntime-node cpu (1 thread) / session.run',
          'onnxruntime-web wasm (Node) / policy.act',
          'onnxruntime-web wasm (Node) / session.run',
          'TensorFlow.js wasm / in-process',
          'TensorFlow.js cpu / in-process',
        ]);
      }
      for (const row of r.rows.filter((x) => x.path === 'in-process'))
        expect(row.agreesWithOrt, `${row.family} ${row.backend}`).to.equal(true);
      const g = r.rows.find((x) => x.family === 'gmmqf' && x.path === 'policy.act' && x.backend === 'onnxruntime-node cpu (1 thread)')!;
      expect(g.batches.map((b) => b.n)).to.deep.equal([64, 256]);
      expect(r.targets.map((t) => t.target)).to.deep.equal(['≤ 25 µs', '≥ 10× faster', '≤ 40 µs', '≥ 10⁶ states/s']);
      for (const row of r.rows) {
        if (row.single) expect(Number.isFinite(row.single.p50) && row.single.p50 > 0).to.equal(true);
        for (const b of row.batches) expect(b.statesPerSec).to.be.greaterThan(0);
      }
      expect(r.floor.node).to.be.greaterThan(0);
      const md = readFileSync(join(out, 'policy-latency.md'), 'utf8');
      expect(md).to.match(/Floor \(Identity graph/);
      expect(md).to.match(/\| what \| target \| measured \| met \|/);
      expect(JSON.parse(readFileSync(join(out, 'policy-latency.json'), 'utf8')).bench).to.equal('policy-latency');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses unknown families and bad sizes with the fix', async () => {
    let err: Error | null = null;
    try {
      await main(['--families=gmmqf,ppo', '--out=']);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/--families has "ppo"; expected a comma-separated subset of gmmqf,dqn,mixture-actor,gamid-actor/);
    err = null;
    try {
      await main(['--batch=0', '--out=']);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/--batch is 0; it must be a positive integer/);
  });
});
