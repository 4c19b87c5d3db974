/** bench/ac-updates: the FLOP model against hand counts, and --quick end to end. Timings are never asserted. */
import { expect } from 'chai';
import { acUpdateFlops, fusedTable, main, mlpForwardFlops } from '../../bench/ac-updates.js';
import { Rng, fusedUpdates, selectBackend } from 'gmmrl';

describe('bench/ac-updates', function () {
  this.timeout(120000);

  it('counts matrix-product FLOPs from the layer sizes', () => {
    expect(mlpForwardFlops([3, 256, 256, 2])).to.equal(2 * (3 * 256 + 256 * 256 + 256 * 2));
    // the figure: one SG-RP update (obs 3, action 1, 2 × 256, batch 256) is about 0.55 GFLOP
    const sgrp = acUpdateFlops('sac', 256, [3, 256, 256, 2], [4, 256, 256, 1], 1);
    expect(sgrp / 1e9).to.be.closeTo(0.55, 0.005);
    // by hand at tiny sizes: Fa = 2·(1·2 + 2·2) = 12, Fc = 2·(2·2 + 2·1) = 12; SAC M = 1: B·(4Fa + 12Fc) = 2·192
    expect(acUpdateFlops('sac', 2, [1, 2, 2], [2, 2, 1], 1)).to.equal(2 * (4 * 12 + 12 * 12));
    // M = 3 adds 4·2·Fc per state
    expect(acUpdateFlops('sac', 2, [1, 2, 2], [2, 2, 1], 3) - acUpdateFlops('sac', 2, [1, 2, 2], [2, 2, 1], 1)).to.equal(2 * 8 * 12);
    // Gamid N = 2, delay 2: B·(N Fa + 2N Fc + 2Fc + 6Fc + (3N Fa + 2N Fc)/2)
    expect(acUpdateFlops('gamid', 1, [1, 2, 2], [2, 2, 1], 1, 2, 2)).to.equal(2 * 12 + 4 * 12 + 24 + 72 + (72 + 48) / 2);
  });

  it('--quick runs every update on the wasm backend with finite, positive figures', async () => {
    const rows = await main(['--quick']);
    const names = new Set(rows.map((r) => r.update));
    expect([...names]).to.deep.equal(['SG-RP', 'SGM-MRP (K = 5)', 'Gamid (N = 5)']);
    expect(rows.some((r) => r.backend === 'wasm')).to.equal(true);
    for (const r of rows)
      for (const v of [r.ms, r.gflop, r.matmul_gflops, r.x_matmul_floor]) expect(Number.isFinite(v) && v > 0).to.equal(true);
  });

  it('the fused-vs-per-variable table has both paths of every update, the fused one with fewer kernels', async () => {
    await selectBackend('wasm');
    const rows = await fusedTable(2, 20, new Rng(1), 1);
    expect(fusedUpdates.enabled).to.equal(true); // restored after the per-variable builds
    const updates = [...new Set(rows.map((r) => r.update))];
    expect(updates).to.deep.equal([
      'SG-RP 2 × 256',
      'SGM-MRP (K = 5) 2 × 256',
      'TD3 2 × 256',
      'Gamid (N = 5) 2 × 256',
      'SG-RP 2 × 64',
      'TD3 2 × 64',
      'DQN 2 × 64',
    ]);
    for (const u of updates) {
      const [old, fused] = (['per-variable', 'fused'] as const).map((p) => rows.find((r) => r.update === u && r.path === p)!);
      expect(fused!.kernels, u).to.be.lessThan(old!.kernels);
      for (const r of [old!, fused!]) expect(Number.isFinite(r.ms) && r.ms > 0, u).to.equal(true);
    }
    // SG-RP 2 × 256: the per-variable path's count is the README's "~870 kernels"
    expect(rows.find((r) => r.update === 'SG-RP 2 × 256' && r.path === 'per-variable')!.kernels).to.equal(871);
  });
});
