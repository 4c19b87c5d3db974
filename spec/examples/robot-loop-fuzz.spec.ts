/**
 * examples/robot-loop hostile-peer fuzz (fuzz.ts), seeded, a few hundred cases: hostile robots against
 * the controller and hostile controllers against the sim robot. The larger loop for the closing note
 * is `node dist/examples/robot-loop/fuzz.js --cases N`.
 */
import { expect } from 'chai';
import { fuzz } from '../../examples/robot-loop/fuzz.js';
import { buildBenchModel } from '../../bench/models.js';
import { loadPolicy } from '../../runtime/index.node.js';

describe('examples/robot-loop hostile-peer fuzz', function () {
  this.timeout(180_000);

  it('240 seeded cases: no crash, no hang, typed errors only, every refused frame counted, a good peer served after each', async () => {
    const policy = await loadPolicy(buildBenchModel('gmmqf').bytes, {
      executionProviders: ['cpu'],
      sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 },
    });
    try {
      const r = await fuzz({ cases: 240, seed: 7, policy });
      expect(r.problems, 'problems').to.deep.equal([]);
      expect(r).to.include({ cases: 240, crashes: 0, hangs: 0, untypedErrors: 0, mismatches: 0, goodAfter: 240 });
      expect(r.refusedSent).to.be.greaterThan(100);
      expect(r.refusedCounted).to.equal(r.refusedSent);
      // every behaviour was exercised on both sides
      expect(Object.keys(r.byKind)).to.have.length(17);
    } finally {
      await policy.dispose();
    }
  });
});
