/**
 * trainBanditActor is a public training entry point: like every trainer it selects and initialises
 * its TensorFlow.js backend itself. Run in a fresh process (this one has backends set up already),
 * it used to throw TensorFlow.js's "The highest priority backend 'wasm' has not yet been
 * initialized" unless the caller had set a backend up.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SDK = join(DIST, 'sdk', 'index.js');
const BANDITS = join(DIST, 'sdk', 'envs', 'multimodal_bandit.js');

describe('sdk/algorithms/sac-bandit: trainBanditActor', function () {
  this.timeout(120_000);
  it('runs in a fresh process without any backend set-up by the caller, and learns on a multimodal bandit', () => {
    const script = `
      const { trainBanditActor, multimodalKnown } = await import(${JSON.stringify(SDK)});
      const { makeMultimodalBandit } = await import(${JSON.stringify(BANDITS)});
      const r = await trainBanditActor(multimodalKnown(makeMultimodalBandit(0, 1, 5)), { steps: 200, logEvery: 100, backend: 'cpu' });
      console.log(JSON.stringify({ first: r.curve[0].sampled_reward, final: r.finalReward, points: r.curve.length }));
    `;
    const p = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(p.status, p.stderr).to.equal(0);
    const r = JSON.parse(p.stdout.trim().split('\n').at(-1)!) as { first: number; final: number; points: number };
    expect(r.points).to.equal(3);
    expect(r.final).to.be.above(r.first); // 200 steps of the reparameterised gradient raise the sampled reward
  });
});
