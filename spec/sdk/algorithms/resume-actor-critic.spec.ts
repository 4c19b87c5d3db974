import { expect } from 'chai';
import { trainSac } from '../../../sdk/algorithms/sac.js';
import { trainTd3 } from '../../../sdk/algorithms/td3.js';
import { trainGamid } from '../../../sdk/algorithms/gamid.js';
import { parseSchedule } from '../../../sdk/algorithms/schedule.js';
import type { TrainingSnapshot } from '../../../sdk/algorithms/snapshot.js';
import { expectBitIdenticalResume } from './resume-harness.js';

// small runs on Pendulum (cpu backend): 100 warm-up steps, evaluations every 100 steps
const BASE = {
  env: 'Pendulum-v1',
  steps: 350,
  warmupSteps: 100,
  hidden: [16],
  batchSize: 16,
  evalEvery: 100,
  evalEpisodes: 1,
  maxEpisodeSteps: 60,
  seed: 2,
  backend: 'cpu' as const,
};

describe('resume: the actor-critics (TF.js optimizers restored exactly)', function () {
  this.timeout(180_000);

  it('SAC (sgm/mrp, automatic α) stopped at step 223 and resumed from bytes equals the straight run bit for bit', async () => {
    const cfg = { ...BASE, policy: 'sgm' as const, estimator: 'mrp' as const, components: 2, alpha: 'auto' as const };
    await expectBitIdenticalResume((control) => trainSac(cfg, control), 123, 223);
  });

  it('TD3 (policy delay 2) stopped at step 201 and resumed from bytes equals the straight run bit for bit', async () => {
    await expectBitIdenticalResume((control) => trainTd3({ ...BASE, policyDelay: 2 }, control), 101, 201);
  });

  it('Gamid-PG (N = 3, decaying τ and ε) stopped at step 212 and resumed from bytes equals the straight run bit for bit', async () => {
    const cfg = {
      ...BASE,
      actors: 3,
      temperature: parseSchedule('0.5:0.1:0.5', 'temperature'),
      epsilon: parseSchedule('0.3:0.05:0.5', 'epsilon'),
    };
    await expectBitIdenticalResume((control) => trainGamid(cfg, control), 112, 212);
  });

  it('snapshots do not change the run, and a snapshot checkpoint is the family save without a final evaluation', async () => {
    const plain = await trainTd3(BASE);
    const snaps: TrainingSnapshot[] = [];
    const watched = await trainTd3(BASE, { onSnapshot: (s) => snaps.push(s) });
    expect(snaps.map((s) => s.envSteps)).to.deep.equal([200, 300, 350]);
    expect(watched.finalParams.actor.actors[0]!.weights.map((w) => Array.from(w))).to.deep.equal(
      plain.finalParams.actor.actors[0]!.weights.map((w) => Array.from(w)),
    );
    const last = snaps.at(-1)!;
    expect(last.latest.family).to.equal('gamid-actor');
    const training = last.latest.fields['training'] as Record<string, unknown>;
    expect(training['algorithm']).to.equal('td3');
    expect(training['final_eval_mean']).to.equal(null);
    expect(training['final_eval_episodes']).to.equal(0);
  });
});
