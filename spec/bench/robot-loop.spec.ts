/** bench/robot-loop: --quick end to end (controller and sim-robot processes, every phase). Timings are never asserted. */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, secondHalfGrowth } from '../../bench/robot-loop.js';

describe('bench/robot-loop', function () {
  this.timeout(180000);

  it('judges memory growth on the second half of the samples', () => {
    const MiB = 1048576;
    // settling early (+3 MiB), flat later: the second half grows 0
    const flat: [number, number][] = [
      [1, 100 * MiB],
      [2, 103 * MiB],
      [3, 103 * MiB],
      [4, 103 * MiB],
      [5, 103 * MiB],
    ];
    expect(secondHalfGrowth(flat)).to.deep.equal({ from: 3, to: 5, bytes: 0 });
    // a linear leak shows in the second half
    const leak: [number, number][] = Array.from(
      { length: 20 },
      (_, i) => [(i + 1) * 50_000, 100 * MiB + i * 0.8 * MiB] as [number, number],
    );
    expect(secondHalfGrowth(leak)!.bytes / MiB).to.be.closeTo(8, 1e-9); // samples 10 → 20: 10 steps of 0.8 MiB
    expect(secondHalfGrowth(leak)!.from).to.equal(500_000);
    expect(
      secondHalfGrowth([
        [1, 1],
        [2, 2],
      ]),
    ).to.equal(null);
  });

  it('--quick runs the paced, memory and wait-strategy phases and writes both reports', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gmmrl-rl-'));
    try {
      const r = await main(['--quick', '--family=gmmqf', `--out=${out}`, '--json']);
      expect(r.phases.map((p) => p.phase)).to.deep.equal([
        'paced',
        'memory',
        'wait hybrid',
        'wait sleep',
        'wait immediate',
        'wait spin',
        'wait timer',
      ]);
      for (const p of r.phases) {
        expect(p.controllerExit, p.phase).to.equal(0);
        expect(p.controller.actions, p.phase).to.be.greaterThan(0);
        expect(p.robot?.actions, `${p.phase}: the robot saw every action`).to.equal(p.controller.actions);
        expect(p.robot?.endedBy).to.equal('bye');
        expect(p.controller.robotErrors).to.deep.equal([]);
      }
      const mem = r.phases[1]!.controller;
      expect(mem.stopReason).to.equal('actions');
      expect(mem.actions).to.equal(5000);
      expect(mem.memory.rssBeforeBytes).to.be.greaterThan(0);
      expect(mem.memory.gcBeforeReadings).to.equal(true);
      expect(r.phases[0]!.controller.stopReason).to.equal('duration');
      expect(r.targets.map((t) => t.target)).to.deep.equal(['0 deadline misses', '< 1 ms', '< 1 MiB']);
      expect(readFileSync(join(out, 'robot-loop.md'), 'utf8')).to.match(/\| phase \| rate \| wait \|/);
      expect(JSON.parse(readFileSync(join(out, 'robot-loop.json'), 'utf8')).bench).to.equal('robot-loop');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
