import { expect } from 'chai';
import { SpdError, ValueError } from '../../../contract/errors.js';
import { Rng } from '../../../sdk/util/rng.js';
import { expectThrows } from '../../helpers.js';
import { armijoSearch, type ArmijoOptions } from '../../../sdk/optim/armijo.js';
import { SPD_METRICS, norm2All, retractAll, riemannianGradientAll } from '../../../sdk/optim/spd.js';
import { logUniform, randomSpd } from '../../models/linalg/fixtures.js';
import { coercive, gaussianKernel, sumLoss, type TestLoss } from './fixtures.js';

describe('optim/armijo: backtracking line search', () => {
  it('halves until sufficient decrease on f(x) = x² from x = 1 (exact sequence)', () => {
    const tried: number[] = [];
    const res = armijoSearch({
      loss0: 1,
      grad2: 4,
      t0: 8,
      tryStep: (t) => {
        tried.push(t);
        return (1 - 2 * t) ** 2;
      },
    });
    expect(tried).to.deep.equal([8, 4, 2, 1, 0.5]);
    expect(res).to.deep.equal({ t: 0.5, loss: 0, evaluations: 5, accepted: true });
  });

  it('treats Infinity, NaN and a thrown SpdError as infeasible and shrinks; other errors propagate', () => {
    const res = armijoSearch({
      loss0: 1,
      grad2: 1,
      t0: 1,
      beta: 0.25,
      tryStep: (t) => {
        if (t === 1) return Infinity;
        if (t === 0.25) return NaN;
        if (t === 0.0625) throw new SpdError('leaves the cone');
        return 1 - t;
      },
    });
    expect(res).to.deep.equal({ t: 0.015625, loss: 1 - 0.015625, evaluations: 4, accepted: true });
    expect(() =>
      armijoSearch({
        loss0: 1,
        grad2: 1,
        t0: 1,
        tryStep: () => {
          throw new RangeError('bug');
        },
      }),
    ).to.throw(RangeError, 'bug');
  });

  it('gives up after maxHalvings shrinks without moving', () => {
    let calls = 0;
    const res = armijoSearch({ loss0: 2, grad2: 1, t0: 1, maxHalvings: 3, tryStep: () => (calls++, 5) });
    expect(calls).to.equal(4);
    expect(res).to.deep.equal({ t: 0, loss: 2, evaluations: 4, accepted: false });
  });

  it('validates its hyperparameters with messages naming the field, the value and the range', () => {
    const base: ArmijoOptions = { loss0: 1, grad2: 1, t0: 1, tryStep: () => 0 };
    const cases: Array<[Partial<ArmijoOptions>, RegExp[]]> = [
      [{ beta: 1 }, [/beta must be in the open interval \(0, 1\)/, /got 1\b/, /shrink factor/]],
      [{ beta: 0 }, [/beta/, /got 0\b/]],
      [{ beta: 1.5 }, [/beta/, /got 1\.5/]],
      [{ beta: NaN }, [/beta/, /got NaN/]],
      [{ c: 0 }, [/c must be in the open interval \(0, 1\)/, /got 0\b/, /sufficient-decrease/]],
      [{ c: 1 }, [/\bc must/, /got 1\b/]],
      [{ t0: 0 }, [/t0 must be a finite number > 0/, /got 0\b/]],
      [{ t0: -1 }, [/t0/, /got -1/]],
      [{ t0: Infinity }, [/t0/, /got Infinity/]],
      [{ maxHalvings: -1 }, [/maxHalvings must be an integer >= 0/, /got -1/]],
      [{ maxHalvings: 2.5 }, [/maxHalvings/, /got 2\.5/]],
      [{ loss0: NaN }, [/loss0 must be a finite number/, /got NaN/]],
      [{ grad2: -1 }, [/grad2 must be a finite number >= 0/, /got -1/]],
    ];
    for (const [patch, patterns] of cases) expectThrows(() => armijoSearch({ ...base, ...patch }), ValueError, /armijoSearch/, ...patterns);
  });
});

describe('optim/armijo: Riemannian descent on SPD stacks (acceptance 3)', () => {
  const K = 4;
  for (const metric of SPD_METRICS) {
    // Losses that are bounded below and blow up at the boundary of the cone (and at infinity), so a
    // descent sequence stays in a compact set and every line search must succeed.
    for (const [name, make] of [
      ['tr(AC) + tr(BC⁻¹) − log det C', (rng: Rng, d: number) => coercive(rng, d)],
      [
        'Gaussian kernel + regulariser',
        (rng: Rng, d: number) => sumLoss(gaussianKernel(rng, d, 30, randomSpd(rng, d, 10).a), coercive(rng, d), 0.1),
      ],
    ] as const) {
      it(`${metric}: every accepted step decreases the ${name} loss by at least c·t·‖grad‖²`, () => {
        const rng = new Rng(21 + SPD_METRICS.indexOf(metric));
        for (const D of [2, 4, 6]) {
          const n = D * D;
          const losses: TestLoss[] = Array.from({ length: K }, () => make(rng, D));
          const total = (covs: Float64Array): number => {
            let s = 0;
            for (let k = 0; k < K; k++) s += losses[k]!.value(covs.subarray(k * n, (k + 1) * n));
            return s;
          };
          let covs = new Float64Array(K * n);
          for (let k = 0; k < K; k++) covs.set(randomSpd(rng, D, logUniform(rng, 1, 10), logUniform(rng, 0.3, 3)).a, k * n);
          let loss = total(covs);
          const c = 1e-4;
          let halvings = 0;
          for (let iter = 0; iter < 15; iter++) {
            const g = new Float64Array(K * n);
            for (let k = 0; k < K; k++) g.set(losses[k]!.grad(covs.subarray(k * n, (k + 1) * n)), k * n);
            const rg = riemannianGradientAll(metric, covs, g, K, D, new Float64Array(K * n));
            const grad2 = norm2All(metric, covs, rg, K, D);
            if (grad2 < 1e-20) break;
            const trial = new Float64Array(K * n);
            const res = armijoSearch({
              loss0: loss,
              grad2,
              c,
              t0: 100, // deliberately too large: forces backtracking (and BW domain violations)
              tryStep: (t) => (retractAll(metric, covs, rg, t, K, D, trial).ok ? total(trial) : Infinity),
            });
            expect(res.accepted, `${metric} D=${D} iter ${iter}`).to.equal(true);
            expect(res.loss, 'sufficient decrease').to.be.at.most(loss - c * res.t * grad2);
            expect(res.loss, 'strict decrease').to.be.below(loss);
            halvings += res.evaluations - 1;
            expect(retractAll(metric, covs, rg, res.t, K, D, trial).ok).to.equal(true);
            expect(total(trial)).to.equal(res.loss);
            covs = trial;
            loss = res.loss;
          }
          expect(halvings, 'the line search had to backtrack').to.be.above(0);
        }
      });
    }
  }
});
