import { expect } from 'chai';
import { Rng } from '../../../sdk/util/rng.js';
import { Adam, SpdAdam, SpdAdamReference } from '../../../sdk/optim/radam.js';
import { isSpd } from '../../../models/linalg/cholesky.js';
import { asymmetry } from '../../../models/linalg/cholesky.js';
import { expectClose } from '../../helpers.js';
import { randomSpd } from '../../models/gmmqf/fixtures.js';
import { ValueError } from '../../../contract/errors.js';

describe('sdk/optim/radam: Adam', () => {
  it('follows the textbook recursion (bias-corrected moments) on a hand-computed example', () => {
    const opt = new Adam(2, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const x = Float64Array.from([1, -2]);
    opt.step(x, [0.5, -4]);
    // step 1: m̂ = g, v̂ = g² → x −= lr·g/(|g| + ε)
    expectClose(x, [1 - (0.1 * 0.5) / (0.5 + 1e-8), -2 + (0.1 * 4) / (4 + 1e-8)], { rtol: 1e-15 }, 'x after step 1');
    opt.step(x, [1, 1]);
    const m = [0.9 * 0.05 + 0.1 * 1, 0.9 * -0.4 + 0.1 * 1];
    const v = [0.999 * 0.00025 + 0.001, 0.999 * 0.016 + 0.001];
    const c1 = 1 - 0.81;
    const c2 = 1 - 0.999 ** 2;
    const expected = [
      1 - (0.1 * 0.5) / (0.5 + 1e-8) - (0.1 * (m[0]! / c1)) / (Math.sqrt(v[0]! / c2) + 1e-8),
      -2 + (0.1 * 4) / (4 + 1e-8) - (0.1 * (m[1]! / c1)) / (Math.sqrt(v[1]! / c2) + 1e-8),
    ];
    expectClose(x, expected, { rtol: 1e-14 }, 'x after step 2');
  });

  it('rejects out-of-range hyperparameters, naming them', () => {
    expect(() => new Adam(1, { lr: 0 })).to.throw(ValueError, /lr = 0/);
    expect(() => new Adam(1, { lr: 1e-3, beta1: 1 })).to.throw(ValueError, /beta1 = 1/);
    expect(() => new SpdAdam(1, 2, { lr: NaN })).to.throw(ValueError, /lr = NaN/);
  });
});

describe('sdk/optim/radam: SpdAdam (affine-invariant)', function () {
  this.timeout(60_000);
  it('for 1×1 matrices equals Euclidean Adam on x = log C (the AI geometry of the log)', () => {
    const rng = new Rng(3);
    const K = 3;
    const spd = new SpdAdam(K, 1, { lr: 0.05 });
    const adam = new Adam(K, { lr: 0.05 });
    const c = Float64Array.from([0.5, 2, 7]);
    const x = Float64Array.from(c, Math.log);
    for (let step = 0; step < 200; step++) {
      // a loss with gradient dL/dC = G; in log coordinates dL/dx = C·G
      const G = Float64Array.from({ length: K }, (_, k) => Math.sin(step + k) + (c[k]! - 1) + 0.3 * rng.normal());
      const gx = Float64Array.from(G, (g, k) => g * Math.exp(x[k]!));
      spd.step(c, G);
      adam.step(x, gx);
      expectClose(Float64Array.from(c, Math.log), x, { rtol: 1e-10, atol: 1e-12 }, `log C after step ${step + 1}`);
    }
  });

  it('frozen matrices are untouched (the update reduces to Adam on the Euclidean parts)', () => {
    const rng = new Rng(4);
    const K = 2;
    const D = 3;
    const covs = new Float64Array(K * D * D);
    covs.set(randomSpd(rng, D), 0);
    covs.set(randomSpd(rng, D), D * D);
    const before = covs.slice();
    const opt = new SpdAdam(K, D, { lr: 0.1 });
    const G = Float64Array.from({ length: K * D * D }, () => rng.normal());
    opt.step(covs, G, [true, true]);
    expect(Array.from(covs)).to.deep.equal(Array.from(before));
    expect(Array.from(opt.state().v)).to.deep.equal([0, 0]);
    opt.step(covs, G, [true, false]);
    expect(Array.from(covs.subarray(0, D * D))).to.deep.equal(Array.from(before.subarray(0, D * D)));
    expect(Array.from(covs.subarray(D * D))).to.not.deep.equal(Array.from(before.subarray(D * D)));
  });

  it('every matrix stays symmetric positive definite over 2000 steps with learning rates up to 3 and adversarial gradients', () => {
    const rng = new Rng(9);
    const K = 6;
    const D = 4;
    for (const lr of [1e-3, 0.1, 1, 3]) {
      const covs = new Float64Array(K * D * D);
      for (let k = 0; k < K; k++) covs.set(randomSpd(rng, D, 1e-3, 10), k * D * D);
      const opt = new SpdAdam(K, D, { lr });
      for (let step = 0; step < 2000; step++) {
        // gradients pushing eigenvalues to 0 and to ∞ alternately, plus noise
        const G = Float64Array.from({ length: K * D * D }, () => rng.normal());
        const sign = Math.floor(step / 100) % 2 === 0 ? 1 : -1;
        for (let k = 0; k < K; k++) for (let i = 0; i < D; i++) G[k * D * D + i * D + i]! += sign * 5;
        opt.step(covs, G);
        for (let k = 0; k < K; k++) {
          expect(isSpd(covs, D, k * D * D), `lr ${lr} step ${step} C[${k}] SPD`).to.equal(true);
          expect(asymmetry(covs, D, k * D * D)).to.equal(0);
        }
      }
    }
  });

  it('minimizes a smooth objective on the SPD cone: f(C) = ½‖C − C*‖²_F reaches C*', () => {
    const rng = new Rng(12);
    const D = 4;
    const target = randomSpd(rng, D, 0.2, 5);
    const covs = randomSpd(rng, D, 0.5, 2);
    const opt = new SpdAdam(1, D, { lr: 0.02 });
    for (let step = 0; step < 3000; step++) {
      const G = Float64Array.from(covs, (c, i) => c - target[i]!);
      opt.step(covs, G);
    }
    expectClose(covs, target, { atol: 1e-3 }, 'C');
  });

  it('the fused implementation follows the reference implementation to rounding over 300 steps (D = 2, 4, 6)', () => {
    const rng = new Rng(21);
    for (const D of [2, 4, 6]) {
      const K = 5;
      const a = new Float64Array(K * D * D);
      for (let k = 0; k < K; k++) a.set(randomSpd(rng, D, 0.05, 20), k * D * D);
      const b = a.slice();
      const fused = new SpdAdam(K, D, { lr: 0.05 });
      const ref = new SpdAdamReference(K, D, { lr: 0.05 });
      for (let step = 0; step < 300; step++) {
        const G = Float64Array.from({ length: K * D * D }, () => rng.normal());
        fused.step(a, G);
        ref.step(b, G);
      }
      expectClose(a, b, { rtol: 1e-9, atol: 1e-12 }, `D=${D} covariances`);
      expectClose(fused.state().m, ref.state().m, { rtol: 1e-8, atol: 1e-12 }, `D=${D} first moments`);
      expectClose(fused.state().v, ref.state().v, { rtol: 1e-9 }, `D=${D} second moments`);
    }
  });
});
