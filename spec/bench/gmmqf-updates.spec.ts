/**
 * bench/gmmqf-updates: the FLOP model against hand-counted values at tiny sizes, and `--quick` end
 * to end (structure, finiteness, the gradient check, files written). Timings are never asserted.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  armijoIterationFlops,
  bellmanForwardFlops,
  choleskyFlops,
  invertLowerFlops,
  invertSpdFlops,
  main,
  naiveTfUpdateFlops,
  sgmmqfUpdateFlops,
  spdAdamFlops,
  type GmmqfUpdatesReport,
} from '../../bench/gmmqf-updates.js';

const none = { rotations: 0, checks: 0 };

describe('bench/gmmqf-updates: FLOP model', () => {
  it('counts the linear-algebra helpers as their loops run', () => {
    // d = 2: Cholesky l00 = √a00 (1), l10 = a10/l00 (1), l11 = √(a11 − l10²) (3)
    expect(choleskyFlops(2)).to.equal(5);
    // d = 4: columns 0…3 cost 1 + 3·1, 3 + 2·3, 5 + 1·5, 7
    expect(choleskyFlops(4)).to.equal(30);
    // d = 2: inv00 = 1/l00 (1), inv10 = (0 − l10·inv00)/l11 (3), inv11 = 1/l11 (1)
    expect(invertLowerFlops(2)).to.equal(5);
    expect(invertLowerFlops(4)).to.equal(30);
    // d = 2: Cholesky 5 + invertLower 5 + WᵀW lower triangle: (0,0) 2·2, (1,0) and (1,1) 2·1 each
    expect(invertSpdFlops(2)).to.equal(18);
  });

  it('SpdAdam at D = 2: the fixed work per matrix plus the counted Jacobi work', () => {
    // per matrix, term by term (see spdAdamFlops):
    //   8 sym(G) + 32 GC, C(GC) + 8 ⟨g,g⟩ + 18 first moment + 9 second moment and scale + 10 Jacobi set-ups
    //   + 4 √λ, 1/√λ + 36 C^{±½} + 4 scale·m + 32 S + 2 sym(S) + 8 exp + 36 expm(S), expm(S/2) + 32 C′
    //   + 6 sym(C′) + 5 Cholesky + 32 E + 16 E m + 30 (E m)Eᵀ  = 328
    expect(spdAdamFlops(1, 2, none)).to.equal(4 + 328);
    // 2 rotations at 18·2 + 13 = 49, 3 tests at 3
    expect(spdAdamFlops(1, 2, { rotations: 2, checks: 3 })).to.equal(4 + 328 + 98 + 9);
    expect(spdAdamFlops(3, 2, none)).to.equal(4 + 3 * 328);
  });

  it('one fused S-GMM-QF update at K = 1, D = 1, A = 2, T = 1, J = 2 (hand count)', () => {
    const f = sgmmqfUpdateFlops({ K: 1, D: 1, A: 2, T: 1, J: 2 }, none);
    // activations of one row: centre 1 + W d 2 + ‖y‖² 2 + (−½·, exp) 2 = 7
    // targets: 7 + Σ_k g ξ over 2 actions 4 + max 1 + r + γ·max 2 = 14
    expect(f.targets).to.equal(14);
    // loss + gradients: forward 7 + u 2 + Q 2 + e, e² 3 = 14; /T 1; −2/T 1; se 1 + (ge, gξ, c) 3
    //   + (c·u, g_m, ½·) 3 + (j ≤ i) 2 = 9; penalty 2·2·1·2 = 8; ρ·, + 2        → 35
    expect(f.lossGradients).to.equal(35);
    // factorGradients 2 entries × J(J+2) = 2·8 = 16; Adam(4) 14·4 + 4 = 60; Hadamard 2; Adam(1) 18  → 96
    expect(f.optimizer).to.equal(96);
    // SpdAdam at D = 1: 4 + (2 + 4 + 2 + 6 + 9 + 4 + 2 + 6 + 1 + 4 + 0 + 4 + 6 + 4 + 2 + 1 + 4 + 2 + 6) = 4 + 69
    expect(f.covariances).to.equal(73);
    // Cholesky 1 + invertLower 1
    expect(f.precision).to.equal(2);
    expect(f.total).to.equal(14 + 35 + 96 + 73 + 2);
    // each counted rotation adds 18D + 13 = 31 and each test 3
    expect(sgmmqfUpdateFlops({ K: 1, D: 1, A: 2, T: 1, J: 2 }, { rotations: 1, checks: 1 }).total).to.equal(220 + 31 + 3);
  });

  it('the paper-size fused update: the kernel parts at K = 50, D = 4, A = 3, T = 64, J = 3', () => {
    const f = sgmmqfUpdateFlops({ K: 50, D: 4, A: 3, T: 64, J: 3 }, none);
    // per row: activations 50·(4 + 20 + 8 + 2) = 1700; targets 64·(1700 + 300 + 2 + 2)
    expect(f.targets).to.equal(64 * 2004);
    // 64·(1700 + 1000 + 100 + 3) + 2 + 64·(1 + 50·35) + 2·3·50·3 + 2
    expect(f.lossGradients).to.equal(64 * 2803 + 2 + 64 * 1751 + 900 + 2);
    expect(f.precision).to.equal(50 * 60);
  });

  it('one naive tfjs update at K = D = A = T = J = 1 (hand count)', () => {
    const f = naiveTfUpdateFlops({ K: 1, D: 1, A: 1, T: 1, J: 1 }, none);
    // Fq = 1·(2 + 3 + 2) + 2 + 0 = 9; targets 9 + 0 + 2
    expect(f.targets).to.equal(11);
    // 9 + one-hot 2 + e, e², mean 3 + 1 + penalty 2 + J 1 + 1
    expect(f.forward).to.equal(19);
    // 4 + 5 + 1 + 2 + 4 + 2 + 5 + 1 + (6 − 2)
    expect(f.backward).to.equal(28);
    expect(f.adam).to.equal(14 * 2 + 4);
    // −P sym(G) P at D = 1: 0 + 2 products of 2 + 1
    expect(f.hostCovGradient).to.equal(5);
    expect(f.covariances).to.equal(73);
    expect(f.precision).to.equal(4);
    expect(f.device).to.equal(11 + 19 + 28 + 32);
    expect(f.total).to.equal(172);
  });

  it('one batch Armijo iteration at K = D = A = N = 1 with 1 trial (hand count)', () => {
    const f = armijoIterationFlops({ K: 1, D: 1, A: 1, N: 1 }, 1, none);
    // forward: 1·(2 + 3 + 4) + 2 + 3 + 1 = 15; gradient extra 1 + 2 + 2 + 2 + 2 + 1 = 10
    expect(f.gradients).to.equal(25);
    // 2·(1 + 1) + rgrad (0 + congruence 4) + inner (0 + 1 + 1 + 4 + 2) + 1
    expect(f.riemannian).to.equal(17);
    // 2 + 2 + (1 + exp_C 20) + invertSpd 4 + Armijo test 4
    expect(f.trialHost).to.equal(33);
    expect(f.trialLoss).to.equal(15);
    expect(f.device).to.equal(15 + 10 + 15);
    expect(f.total).to.equal(90);
    // eigSym: 12D + 6 per rotation, 4 per test
    expect(armijoIterationFlops({ K: 1, D: 1, A: 1, N: 1 }, 1, { rotations: 2, checks: 1 }).total).to.equal(90 + 36 + 4);
  });
});

describe('bench/gmmqf-updates: --quick end to end', function () {
  this.timeout(300_000);
  let report: GmmqfUpdatesReport;
  let printed: string;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gmmqf-updates-'));
    const lines: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    };
    try {
      report = await main(['--quick', '--json', `--out=${dir}`]);
    } finally {
      console.log = log;
    }
    printed = lines.join('\n');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const finitePositive = (x: number, what: string) => expect(Number.isFinite(x) && x > 0, `${what} = ${x}`).to.equal(true);

  it('prints the report as JSON only and writes the markdown and JSON files', () => {
    expect(JSON.parse(printed)).to.deep.equal(JSON.parse(JSON.stringify(report)));
    const md = readFileSync(join(dir, 'gmmqf-updates.md'), 'utf8');
    for (const h of ['## 1.', '## 2.', '## 3.', '## 4.']) expect(md).to.contain(h);
    expect(JSON.parse(readFileSync(join(dir, 'gmmqf-updates.json'), 'utf8'))).to.deep.equal(JSON.parse(JSON.stringify(report)));
    expect(report.quick).to.equal(true);
    expect(report.cpuCount).to.be.greaterThan(0);
    expect(report.node).to.equal(process.version);
  });

  it('section 1: both covariance optimizers, six finite parts each, FLOPs that add up', () => {
    expect(report.sgmmqf.variants.map((v) => v.optimizer)).to.deep.equal(['SpdAdam', 'SpdAdamReference']);
    for (const v of report.sgmmqf.variants) {
      finitePositive(v.total.meanUs, `${v.optimizer} mean`);
      finitePositive(v.total.p50Us, `${v.optimizer} p50`);
      expect(v.total.n).to.equal(report.sgmmqf.updates);
      expect(v.parts.map((p) => p.key)).to.deep.equal(['sample', 'targets', 'lossGradients', 'optimizer', 'covariances', 'precision']);
      for (const p of v.parts) expect(Number.isFinite(p.meanUs) && p.meanUs >= 0 && Number.isFinite(p.p50Us)).to.equal(true);
      expect(Number.isFinite(v.meanLoss)).to.equal(true);
    }
    const f = report.sgmmqf.flops;
    expect(f.total).to.be.closeTo(f.targets + f.lossGradients + f.optimizer + f.covariances + f.precision, 1e-6);
    // the census saw two eigendecompositions per component and update, with rotations to do
    expect(report.sgmmqf.jacobiCensus.perUpdate.eigs).to.equal(2 * report.sgmmqf.shape.K);
    finitePositive(report.sgmmqf.jacobiCensus.perUpdate.rotations, 'rotations per update');
  });

  it('section 2: every candidate backend listed, the loaded ones measured, gradients equal to the fused kernel', () => {
    expect(report.naiveTf.backends.map((b) => b.name)).to.deep.equal(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    for (const b of report.naiveTf.backends) if (!b.available) expect(b.reason ?? '').to.not.equal('');
    const measured = report.naiveTf.runs.map((r) => r.backend);
    expect(measured).to.include.members(['wasm', 'cpu']);
    for (const run of report.naiveTf.runs) {
      finitePositive(run.total.meanUs, `${run.backend} mean`);
      expect(run.parts).to.have.length(6);
      expect(run.tensorLeak, `${run.backend} tensors leaked`).to.equal(0);
      // float32 tfjs vs the float64 kernel on the same batch (not a timing)
      for (const [k, v] of Object.entries(run.gradientCheck)) expect(v, `${run.backend} ${k}`).to.be.lessThan(1e-3);
    }
    finitePositive(report.naiveTf.flops.total, 'naive FLOPs');
  });

  it('section 3: arithmetic speeds and one efficiency row per formulation', () => {
    const speed = report.arithmetic.speed;
    expect(speed[0]!.backend).to.equal('js');
    finitePositive(report.arithmetic.jsGflops, 'JS GFLOP/s');
    for (const b of report.naiveTf.runs) {
      expect(speed.filter((s) => s.backend === b.backend).map((s) => s.size)).to.deep.equal(['256×256×256', '512×512×512']);
    }
    for (const s of speed) finitePositive(s.gflops, `${s.backend} ${s.size}`);
    expect(report.arithmetic.efficiency).to.have.length(2 + report.naiveTf.runs.length + report.armijo.runs.length);
    for (const e of report.arithmetic.efficiency) {
      for (const k of ['timeUs', 'flops', 'gflops', 'jsArithmeticUs', 'xJsArithmetic'] as const)
        finitePositive(e[k], `${e.formulation} ${k}`);
    }
  });

  it('section 4: both N on every measured backend, exactly the forced trials, finite FLOPs', () => {
    expect(report.armijo.trials).to.equal(3);
    expect(report.armijo.runs).to.have.length(2 * report.naiveTf.runs.length);
    for (const a of report.armijo.runs) {
      expect([20_000, 2_000]).to.include(a.N);
      finitePositive(a.totalMs.mean, `${a.backend} N=${a.N} ms`);
      finitePositive(a.flops.total, 'FLOPs');
      expect(a.flops.total).to.be.closeTo(a.flops.gradients + a.flops.riemannian + a.flops.trialHost + a.flops.trialLoss, 1e-6);
      const { K, D, A } = report.armijo.shape;
      expect(a.flops.trialLoss).to.equal(3 * bellmanForwardFlops(K, D, A, a.N));
      finitePositive(a.jacobiPerTrial.rotations, 'retraction rotations');
    }
  });
});
