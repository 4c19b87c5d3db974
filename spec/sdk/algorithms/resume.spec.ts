import { expect } from 'chai';
import { trainSgmmqf, type SgmmqfTrainConfig } from '../../../sdk/algorithms/sgmmqf.js';
import { trainDqn, type DqnTrainConfig } from '../../../sdk/algorithms/dqn.js';
import { trainGmmQf } from '../../../sdk/algorithms/gmmqf.js';
import type { TrainingSnapshot, TrainingState } from '../../../sdk/algorithms/snapshot.js';
import { ModelFormatError, ValueError } from '../../../contract/errors.js';
import { parseActionGrid } from '../../../sdk/envs/discretize.js';
import { make } from '../../../sdk/envs/index.js';
import { expectBitIdenticalResume, throughBytes, weightsBytes } from './resume-harness.js';

const SGMMQF: Partial<SgmmqfTrainConfig> = {
  env: 'CartPole-v1',
  steps: 700,
  warmupSteps: 200,
  components: 6,
  evalEvery: 200,
  evalEpisodes: 1,
  seed: 3,
};

const DQN: Partial<DqnTrainConfig> = {
  env: 'CartPole-v1',
  steps: 700,
  warmupSteps: 200,
  hidden: [16],
  evalEvery: 200,
  evalEpisodes: 1,
  targetUpdate: 50,
  trainEvery: 1,
  seed: 3,
  backend: 'cpu',
};

async function stopState(train: (c: { stopRequested: () => boolean; onSnapshot: (s: TrainingSnapshot) => void }) => Promise<unknown>) {
  let snap: TrainingSnapshot | undefined;
  let polls = 0;
  await train({ stopRequested: () => ++polls > 50, onSnapshot: (s) => (snap = s) });
  return snap!.state;
}

describe('resume: S-GMM-QF', function () {
  this.timeout(120_000);

  it('stopped at step 437 and resumed from the bytes of its snapshot ends bit for bit like the straight run (also resumed from an evaluation snapshot)', async () => {
    await expectBitIdenticalResume((control) => trainSgmmqf(SGMMQF, control), 237, 437);
  });

  it('the same with a frozen target (targetUpdate 25), 2 factors and an action grid on Pendulum', async () => {
    const cfg = {
      ...SGMMQF,
      env: 'Pendulum-v1',
      factors: 2,
      targetUpdate: 25,
      actionGrid: parseActionGrid('3', make('Pendulum-v1').actionSpace),
    };
    await expectBitIdenticalResume((control) => trainSgmmqf(cfg, control), 111, 311);
  });

  it('snapshots do not change the run: with onSnapshot the weights equal those of a run without', async () => {
    const plain = await trainSgmmqf(SGMMQF);
    const snaps: TrainingSnapshot[] = [];
    const watched = await trainSgmmqf(SGMMQF, { onSnapshot: (s) => snaps.push(s) });
    expect(snaps.map((s) => s.envSteps)).to.deep.equal([400, 600, 700]);
    expect(Array.from(watched.params.means)).to.deep.equal(Array.from(plain.params.means));
    expect(Array.from(watched.factors.values)).to.deep.equal(Array.from(plain.factors.values));
    expect(Array.from(watched.params.covariances)).to.deep.equal(Array.from(plain.params.covariances));
    expect(watched.interrupted).to.equal(false);
  });

  it('a stop returns the result marked interrupted, with the best-so-far model and a final snapshot', async () => {
    let polls = 0;
    const snaps: TrainingSnapshot[] = [];
    const r = await trainSgmmqf(SGMMQF, { stopRequested: () => ++polls > 250, onSnapshot: (s) => snaps.push(s) });
    expect(r.interrupted).to.equal(true);
    expect(r.log.map((row) => row.env_steps)).to.deep.equal([400]);
    expect(snaps.map((s) => s.envSteps)).to.deep.equal([400, 450]);
    const last = snaps.at(-1)!;
    // the best checkpoint of the stop snapshot is the result's model
    expect(Array.from(last.best.tensors['means']!.data as Float64Array)).to.deep.equal(Array.from(r.params.means));
    expect(last.rows.length).to.equal(1);
  });
});

describe('resume: DQN', function () {
  this.timeout(120_000);

  it('stopped at step 437 and resumed from the bytes of its snapshot ends bit for bit like the straight run (also resumed from an evaluation snapshot)', async () => {
    await expectBitIdenticalResume((control) => trainDqn(DQN, control), 237, 437);
  });

  it('the same for Double DQN on an action grid (Pendulum), trainEvery 2', async () => {
    const cfg = {
      ...DQN,
      env: 'Pendulum-v1',
      double: true,
      trainEvery: 2,
      actionGrid: parseActionGrid('5', make('Pendulum-v1').actionSpace),
    };
    await expectBitIdenticalResume((control) => trainDqn(cfg, control), 101, 301);
  });

  it('snapshots do not change the run; each snapshot latest is the model saved at that evaluation', async () => {
    const plain = await trainDqn(DQN);
    const snaps: TrainingSnapshot[] = [];
    const watched = await trainDqn(DQN, { onSnapshot: (s) => snaps.push(s) });
    expect(snaps.map((s) => s.envSteps)).to.deep.equal([400, 600, 700]);
    expect(watched.finalParams.weights.map((w) => Array.from(w))).to.deep.equal(plain.finalParams.weights.map((w) => Array.from(w)));
    expect(Array.from(snaps.at(-1)!.latest.tensors['layer0.weight']!.data as Float64Array)).to.deep.equal(
      Array.from(plain.finalParams.weights[0]!),
    );
    expect(snaps.at(-1)!.latest.family).to.equal('dqn');
  });
});

describe('resume: refusals', function () {
  this.timeout(120_000);
  let sgState: TrainingState;
  let dqnState: TrainingState;
  before(async () => {
    sgState = throughBytes(await stopState((c) => trainSgmmqf(SGMMQF, c)));
    dqnState = throughBytes(await stopState((c) => trainDqn(DQN, c)));
  });

  it("refuses another algorithm's state, naming the field", async () => {
    const err = await trainDqn(DQN, { resumeFrom: sgState }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ValueError);
    expect((err as Error).message).to.match(/"algorithm" is "sgmmqf", but this is dqn/);
  });

  it('refuses another format version', async () => {
    const err = await trainSgmmqf(SGMMQF, { resumeFrom: { ...sgState, format_version: 99 } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ValueError);
    expect((err as Error).message).to.match(/"format_version" is 99/);
  });

  it('refuses a config that differs in any field, naming it and both values', async () => {
    for (const [key, value] of [
      ['seed', 4],
      ['steps', 800],
      ['gamma', 0.98],
    ] as const) {
      const err = await trainSgmmqf({ ...SGMMQF, [key]: value }, { resumeFrom: sgState }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, key).to.be.instanceOf(ValueError);
      expect((err as Error).message).to.contain(`config field "${key}" is ${value}`);
    }
    const err = await trainDqn({ ...DQN, hidden: [8] }, { resumeFrom: dqnState }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as Error).message).to.contain('config field "hidden"');
  });

  it('refuses a state with a missing or misshapen entry (ModelFormatError naming it)', async () => {
    const { ['learner.adam.m0']: _m, ...rest } = dqnState.tensors;
    const err = await trainDqn(DQN, { resumeFrom: { ...dqnState, tensors: rest } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ModelFormatError);
    expect((err as Error).message).to.contain('learner.adam.m0');
    const bad = { ...sgState.tensors, feat: { dtype: 'F64' as const, shape: [3], data: new Float64Array(3) } };
    const err2 = await trainSgmmqf(SGMMQF, { resumeFrom: { ...sgState, tensors: bad } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err2).to.be.instanceOf(ModelFormatError);
    expect((err2 as Error).message).to.contain('"feat" has 3 values; expected 4');
  });

  it('a resumed run takes no warm-up: its first snapshot continues the stopped one', async () => {
    const snaps: TrainingSnapshot[] = [];
    const r = await trainSgmmqf(SGMMQF, { resumeFrom: sgState, onSnapshot: (s) => snaps.push(s) });
    expect(snaps.map((s) => s.envSteps)).to.deep.equal([400, 600, 700]);
    expect(r.log.map((row) => row.env_steps)).to.deep.equal([400, 600, 700]);
    expect(weightsBytes(snaps.at(-1)!.best).length).to.be.greaterThan(0);
  });
});

describe('resume: GMM-QF (batch policy iteration)', function () {
  this.timeout(120_000);
  const GMMQF = {
    env: 'CartPole-v1',
    steps: 900,
    warmupSteps: 300,
    stepsPerIteration: 200,
    components: 4,
    sweeps: 1,
    gdSteps: 3,
    evalEpisodes: 1,
    seed: 5,
    backend: 'cpu' as const,
  };

  it('stopped mid-collection (step 436) and resumed from bytes ends bit for bit like the straight run (also from an iteration snapshot)', async () => {
    // polled once before the first policy evaluation, then between collection steps: the 138th poll is at step 300 + 136
    await expectBitIdenticalResume((control) => trainGmmQf(GMMQF, control), 137, 436);
  });

  it('a stop requested during an iteration is honoured before the next policy evaluation; a finished run resumed does nothing more', async () => {
    const snaps: TrainingSnapshot[] = [];
    const r = await trainGmmQf(GMMQF, { stopRequested: () => snaps.length >= 1, onSnapshot: (s) => snaps.push(s) });
    expect(r.interrupted).to.equal(true);
    expect(r.log.map((row) => row.iteration)).to.deep.equal([1]);
    expect(snaps.map((s) => s.envSteps)).to.deep.equal([300, 300]);
    const all: TrainingSnapshot[] = [];
    const full = await trainGmmQf(GMMQF, { onSnapshot: (s) => all.push(s) });
    expect(all.map((s) => s.envSteps)).to.deep.equal([300, 500, 700, 900]);
    const again = await trainGmmQf(GMMQF, { resumeFrom: throughBytes(all.at(-1)!.state) });
    expect(again.log.length).to.equal(full.log.length);
    expect(Array.from(again.params.means)).to.deep.equal(Array.from(full.params.means));
  });
});
