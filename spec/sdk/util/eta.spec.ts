import { expect } from 'chai';
import { etaConstantRate, etaGrowingCost, type IterationTiming } from '../../../sdk/util/eta.js';
import { Rng } from '../../../sdk/util/rng.js';

/**
 * Synthetic batch timings: iteration k (1-based) fits on n_k = n0 + (k - 1)·s transitions and costs
 * a + b·n_k seconds (times a seeded noise factor); iteration 1 also carries `first` seconds of warm-up.
 */
function synthetic(
  iterations: number,
  {
    n0,
    s,
    a,
    b,
    first = 0,
    noise = 0,
    seed = 0,
  }: { n0: number; s: number; a: number; b: number; first?: number; noise?: number; seed?: number },
): { history: IterationTiming[]; sizes: number[] } {
  const rng = new Rng(seed);
  const history: IterationTiming[] = [];
  const sizes: number[] = [];
  let wall = first;
  for (let k = 1; k <= iterations; k++) {
    const n = n0 + (k - 1) * s;
    sizes.push(n);
    wall += (a + b * n) * (1 + noise * (2 * rng.uniform() - 1));
    history.push({ size: n, wall });
  }
  return { history, sizes };
}

describe('sdk/util/eta', () => {
  it('growing per-iteration cost: within 20 % of the true remaining time after a few iterations, where the constant rate is off > 2×', () => {
    // batch GMM-QF-like: 40 iterations of 500 steps each on top of 1000 warm-up transitions
    // exact linear costs from the third iteration on; with ±10 % noise per iteration the fit needs more
    // iterations to settle (two noisy costs extrapolated over 37 iterations can be off by more)
    const total = 40;
    for (const [noise, checkpoints] of [
      [0, [3, 4, 6, 10]],
      [0.1, [8, 10, 20]],
    ] as [number, number[]][]) {
      for (const seed of [0, 1, 2, 3, 4]) {
        const run = synthetic(total, { n0: 1000, s: 500, a: 0.2, b: 0.0004, first: 0.3, noise, seed });
        for (const done of checkpoints) {
          const hist = run.history.slice(0, done);
          const trueRemaining = run.history[total - 1]!.wall - hist[done - 1]!.wall;
          const est = etaGrowingCost(hist, run.sizes.slice(done));
          const old = etaConstantRate(hist[done - 1]!.wall, done, total);
          const where = `noise ${noise}, seed ${seed}, after ${done} iterations`;
          expect(Math.abs(est - trueRemaining) / trueRemaining, `${where}: estimate ${est} vs ${trueRemaining}`).to.be.below(0.2);
          expect(trueRemaining / old, `${where}: the old rule ${old} is off > 2×`).to.be.above(2);
        }
      }
    }
  });

  it('constant per-iteration cost: the estimate equals the constant rate (sizes capped, or no growth)', () => {
    const run = synthetic(20, { n0: 5000, s: 0, a: 1.5, b: 0.0001 });
    const est = etaGrowingCost(run.history.slice(0, 5), run.sizes.slice(5));
    const cost = 1.5 + 0.0001 * 5000;
    expect(est).to.be.closeTo(15 * cost, 1e-9);
  });

  it('a slope fitted negative (noise) falls back to the mean cost; a negative intercept to cost ∝ size', () => {
    // costs fall while sizes grow: mean cost 2
    const falling: IterationTiming[] = [
      { size: 100, wall: 10 },
      { size: 200, wall: 13 },
      { size: 300, wall: 15 },
      { size: 400, wall: 16 },
    ];
    expect(etaGrowingCost(falling, [500, 600])).to.be.closeTo(2 * 2, 1e-9);
    // costs 1, 3 at sizes 200, 300: the line a + b·n has a = -3 < 0; proportional fit b = (200 + 900) / (40000 + 90000)
    const steep: IterationTiming[] = [
      { size: 100, wall: 5 },
      { size: 200, wall: 6 },
      { size: 300, wall: 9 },
    ];
    const b = 1100 / 130000;
    expect(etaGrowingCost(steep, [400, 500])).to.be.closeTo(b * 900, 1e-9);
  });

  it('one cost seen: proportional to the size; first iteration only: the constant rate; nothing left: 0; nothing seen: NaN', () => {
    expect(
      etaGrowingCost(
        [
          { size: 1000, wall: 7 },
          { size: 2000, wall: 9 },
        ],
        [3000, 4000],
      ),
    ).to.be.closeTo(2 * (3000 / 2000) + 2 * (4000 / 2000), 1e-9);
    expect(etaGrowingCost([{ size: 1000, wall: 4 }], [1500, 2000, 2500])).to.equal(12);
    expect(etaGrowingCost([{ size: 1000, wall: 4 }], [])).to.equal(0);
    expect(Number.isNaN(etaGrowingCost([], [1, 2]))).to.equal(true);
  });

  it('etaConstantRate: elapsed per unit done times the units left, never negative', () => {
    expect(etaConstantRate(30, 3, 10)).to.equal(70);
    expect(etaConstantRate(30, 12, 10)).to.equal(0);
  });
});
