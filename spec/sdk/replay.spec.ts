import { expect } from 'chai';
import { ReplayBuffer } from '../../sdk/replay.js';
import { ShapeError, ValueError } from '../../contract/errors.js';
import { Rng } from '../../sdk/util/rng.js';
import { expectThrows } from '../helpers.js';

/** Transition number k: obs [k, 10k], action k % 3, reward k / 2, next [k + 1, 10k + 10], terminated on multiples of 4. */
function pushNumbered(buf: ReplayBuffer, k: number): void {
  buf.push([k, 10 * k], k % 3, k / 2, [k + 1, 10 * k + 10], k % 4 === 0);
}

describe('sdk/replay (ReplayBuffer)', () => {
  it('stores transitions exactly and gathers them by slot', () => {
    const buf = new ReplayBuffer(5, 2);
    for (let k = 0; k < 3; k++) pushNumbered(buf, k);
    expect(buf.size).to.equal(3);
    expect(buf.totalPushed).to.equal(3);
    expect(buf.newestIndex).to.equal(2);
    const b = buf.gather(Int32Array.from([2, 0, 1, 2]));
    expect(b.size).to.equal(4);
    expect(Array.from(b.obs)).to.deep.equal([2, 20, 0, 0, 1, 10, 2, 20]);
    expect(Array.from(b.nextObs)).to.deep.equal([3, 30, 1, 10, 2, 20, 3, 30]);
    expect(Array.from(b.actions)).to.deep.equal([2, 0, 1, 2]);
    expect(Array.from(b.rewards)).to.deep.equal([1, 0, 0.5, 1]);
    expect(Array.from(b.terminated)).to.deep.equal([0, 1, 0, 0]);
    // float32 observations are held exactly (float64 storage)
    const f = new ReplayBuffer(1, 1);
    const x = Math.fround(0.1);
    f.push(Float32Array.of(x), 0, 0, Float32Array.of(x), false);
    expect(f.gather(Int32Array.of(0)).obs[0]).to.equal(x);
  });

  it('overwrites the oldest transition first (ring order) and the newest slot follows the writes', () => {
    const buf = new ReplayBuffer(4, 2);
    for (let k = 0; k < 4; k++) pushNumbered(buf, k);
    expect(buf.newestIndex).to.equal(3);
    pushNumbered(buf, 4); // replaces k = 0 in slot 0
    pushNumbered(buf, 5); // replaces k = 1 in slot 1
    expect(buf.size).to.equal(4);
    expect(buf.totalPushed).to.equal(6);
    expect(buf.newestIndex).to.equal(1);
    const b = buf.gather(Int32Array.from([0, 1, 2, 3]));
    expect(Array.from(b.obs.filter((_, i) => i % 2 === 0))).to.deep.equal([4, 5, 2, 3]);
    expect(Array.from(b.actions)).to.deep.equal([1, 2, 2, 0]);
    expect(Array.from(b.terminated)).to.deep.equal([1, 0, 0, 0]);
    for (let k = 6; k < 4 + 4 * 3; k++) pushNumbered(buf, k); // wrap several times
    expect(buf.newestIndex).to.equal((4 + 4 * 3 - 1) % 4);
    const c = buf.gather(Int32Array.from([0, 1, 2, 3]));
    expect(Array.from(c.obs.filter((_, i) => i % 2 === 0))).to.deep.equal([12, 13, 14, 15]);
  });

  it('includeNewest puts the newest transition first (also after wrapping) and draws the rest', () => {
    const buf = new ReplayBuffer(3, 2);
    const rng = new Rng(1);
    for (let k = 0; k < 5; k++) {
      pushNumbered(buf, k);
      for (let rep = 0; rep < 20; rep++) {
        const b = buf.sample(6, rng, { includeNewest: true });
        expect(b.obs[0], `after push ${k}`).to.equal(k);
        expect(b.size).to.equal(6);
        for (let t = 0; t < 6; t++) expect(b.obs[2 * t]).to.be.within(Math.max(0, k - 2), k); // only stored transitions
      }
    }
    // without includeNewest the first entry is an ordinary draw: over many draws not always the newest
    const firsts = new Set<number>();
    for (let rep = 0; rep < 50; rep++) firsts.add(buf.sample(1, rng).obs[0]!);
    expect([...firsts].sort()).to.deep.equal([2, 3, 4]);
    // T = 1 with includeNewest is exactly the newest
    expect(Array.from(buf.sampleIndices(1, rng, { includeNewest: true }))).to.deep.equal([buf.newestIndex]);
  });

  it('samples uniformly over the stored transitions only', () => {
    const buf = new ReplayBuffer(10, 1);
    for (let k = 0; k < 4; k++) buf.push([k], 0, 0, [k], false);
    const rng = new Rng(3);
    const counts = [0, 0, 0, 0];
    const n = 40000;
    for (const i of buf.sampleIndices(n, rng)) counts[i]!++;
    // each slot 1/4: binomial std = sqrt(n·¼·¾) ≈ 87; allow 5 std
    for (const c of counts) expect(Math.abs(c - n / 4)).to.be.below(5 * Math.sqrt((n * 3) / 16));
  });

  it('is deterministic: the same Rng seed gives the same batches, another seed different ones', () => {
    const buf = new ReplayBuffer(100, 2);
    for (let k = 0; k < 100; k++) pushNumbered(buf, k);
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return [0, 1, 2].map(() => Array.from(buf.sample(16, rng).obs));
    };
    expect(draw(7)).to.deep.equal(draw(7));
    expect(draw(7)).to.not.deep.equal(draw(8));
  });

  it('multi-dimensional actions are stored as rows', () => {
    const buf = new ReplayBuffer(2, 1, 3);
    buf.push([0], [1, 2, 3], 0, [0], false);
    buf.push([1], Float32Array.of(4, 5, 6), 0, [1], true);
    expect(Array.from(buf.gather(Int32Array.from([1, 0])).actions)).to.deep.equal([4, 5, 6, 1, 2, 3]);
  });

  it('rejects wrong shapes and non-finite values, naming the entry', () => {
    const buf = new ReplayBuffer(4, 2);
    expectThrows(() => buf.push([1], 0, 0, [1, 2], false), ShapeError, /obs has length 1, expected 2/);
    expectThrows(() => buf.push([1, 2], 0, 0, [1, 2, 3], false), ShapeError, /nextObs has length 3, expected 2/);
    expectThrows(() => buf.push([1, 2], [0, 1], 0, [1, 2], false), ShapeError, /action has length 2, expected 1/);
    expectThrows(() => buf.push([1, NaN], 0, 0, [1, 2], false), ValueError, /obs\[1\] is NaN/);
    expectThrows(() => buf.push([1, 2], 0, 0, [Infinity, 2], false), ValueError, /nextObs\[0\] is Infinity/);
    expectThrows(() => buf.push([1, 2], NaN, 0, [1, 2], false), ValueError, /action\[0\] is NaN/);
    expectThrows(() => buf.push([1, 2], 0, -Infinity, [1, 2], false), ValueError, /reward is -Infinity/);
    expect(buf.size, 'nothing was stored').to.equal(0);
    expect(buf.totalPushed).to.equal(0);
    expectThrows(() => buf.sample(4, new Rng(0)), ValueError, /buffer is empty/);
    pushNumbered(buf, 0);
    expectThrows(() => buf.sample(0, new Rng(0)), ValueError, /batch size 0 must be a positive integer/);
    expectThrows(() => buf.sampleIndices(3, new Rng(0), {}, new Int32Array(2)), ShapeError, /out has length 2, expected 3/);
    expectThrows(() => buf.gather(Int32Array.from([1])), ValueError, /index 1 is outside the 1 stored transitions/);
    expectThrows(() => new ReplayBuffer(0, 2), ValueError, /capacity = 0; it must be a positive integer/);
    expectThrows(() => new ReplayBuffer(10, 2.5), ValueError, /obsSize = 2\.5/);
    expectThrows(() => new ReplayBuffer(2 ** 27, 4), ValueError, /too large/);
  });

  it('a rejected push leaves every stored transition intact (also the oldest one when the buffer is full)', () => {
    const buf = new ReplayBuffer(3, 2);
    for (let k = 0; k < 3; k++) pushNumbered(buf, k); // full: the next push would overwrite slot 0 (k = 0)
    const before = buf.gather(Int32Array.from([0, 1, 2]));
    const snapshot = JSON.stringify(
      [before.obs, before.nextObs, before.actions, before.rewards, before.terminated].map((a) => Array.from(a)),
    );
    expectThrows(() => buf.push([9, 9], 1, 1, [9, NaN], true), ValueError, /nextObs\[1\] is NaN/);
    expectThrows(() => buf.push([9, 9], NaN, 1, [9, 9], true), ValueError, /action\[0\] is NaN/);
    const after = buf.gather(Int32Array.from([0, 1, 2]));
    expect(JSON.stringify([after.obs, after.nextObs, after.actions, after.rewards, after.terminated].map((a) => Array.from(a)))).to.equal(
      snapshot,
    );
    expect(buf.newestIndex).to.equal(2);
    expect(buf.totalPushed).to.equal(3);
  });

  it('stored(): every kept transition as views in slot order, the oldest dropped first once full (the batch mode)', () => {
    const buf = new ReplayBuffer(3, 2);
    expect(buf.stored().size).to.equal(0);
    for (let k = 0; k < 2; k++) pushNumbered(buf, k);
    let all = buf.stored();
    expect(all.size).to.equal(2);
    expect(Array.from(all.obs)).to.deep.equal([0, 0, 1, 10]);
    for (let k = 2; k < 5; k++) pushNumbered(buf, k); // k = 3, 4 overwrite the oldest, k = 0, 1, in slots 0, 1
    all = buf.stored();
    expect(all.size).to.equal(3);
    expect(Array.from(all.obs)).to.deep.equal([3, 30, 4, 40, 2, 20]);
    expect(Array.from(all.nextObs)).to.deep.equal([4, 40, 5, 50, 3, 30]);
    expect(Array.from(all.actions)).to.deep.equal([0, 1, 2]);
    expect(Array.from(all.rewards)).to.deep.equal([1.5, 2, 1]);
    expect(Array.from(all.terminated)).to.deep.equal([0, 1, 0]);
    // views, not copies: the next push shows through
    pushNumbered(buf, 5);
    expect(Array.from(all.obs.subarray(4, 6))).to.deep.equal([5, 50]);
  });
});
