import { expect } from 'chai';
import { BestTracker, evaluationSeed } from '../../../sdk/algorithms/evaluation.js';

describe('sdk/algorithms/evaluation: BestTracker (best return, where, keep-best snapshot)', () => {
  it('keeps the best evaluation, ties to the later one; the snapshot is taken only for a new best', () => {
    const t = new BestTracker('init');
    const taken: string[] = [];
    const snap = (v: string) => () => (taken.push(v), v);
    expect(t.best).to.equal('init');
    expect(t.bestReturn).to.equal(-Infinity);
    expect(t.offer(5, 1, 100, snap('a'))).to.equal(true);
    expect(t.offer(3, 2, 200, snap('b'))).to.equal(false);
    expect(t.offer(5, 3, 300, snap('c'))).to.equal(true); // a tie goes to the later evaluation
    expect(t.offer(NaN, 4, 400, snap('d'))).to.equal(false); // NaN never becomes the best
    expect(taken).to.deep.equal(['a', 'c']);
    expect([t.best, t.bestReturn, t.bestIndex, t.bestStep]).to.deep.equal(['c', 5, 3, 300]);
    expect(t.pick(true, 'last')).to.equal('c');
    expect(t.pick(false, 'last')).to.equal('last');
  });

  it('evaluation seeds are 32-bit and differ per evaluation', () => {
    expect(evaluationSeed(3, 1)).to.equal((3 * 7919 + 104729) >>> 0);
    expect(evaluationSeed(0xffffffff, 7)).to.be.within(0, 0xffffffff);
    expect(evaluationSeed(3, 2)).to.not.equal(evaluationSeed(3, 1));
  });
});
