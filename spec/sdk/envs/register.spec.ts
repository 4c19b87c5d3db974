/**
 * registerEnv / unregisterEnv: an environment added at run time is known to make, listEnvs,
 * envOptionKeys, makeVec and `gmmrl envs`; malformed registrations are refused with typed errors
 * naming the id and the fix. Every registration here is removed again (afterEach).
 */
import { expect } from 'chai';
import { UnknownNameError, ValueError } from '../../../contract/errors.js';
import {
  ClassicControlEnv,
  discrete,
  envOptionKeys,
  float32Box,
  listEnvs,
  make,
  makeVec,
  registerEnv,
  unregisterEnv,
  type Env,
  type EnvDefinition,
} from '../../../sdk/envs/index.js';
import { main } from '../../../sdk/cli.js';
import { expectThrows } from '../../helpers.js';

const BUILT_IN_COUNT = 12;

/** A one-cell environment: every step ends the episode with reward `bonus`. */
class OneStepEnv extends ClassicControlEnv<number> {
  private readonly bonus: number;
  constructor(id: string, options: Record<string, unknown> = {}) {
    const { bonus = 1, ...base } = options;
    const def: EnvDefinition = {
      id,
      observationSpace: float32Box([0], [1]),
      actionSpace: discrete(3),
      maxEpisodeSteps: 5,
      rewardThreshold: undefined,
      stateLabels: [],
    };
    super(def, base);
    this.bonus = bonus as number;
  }
  protected sampleInitialState(): void {}
  protected transition(): { reward: number; terminated: boolean } {
    return { reward: this.bonus, terminated: true };
  }
  protected observe(): Float32Array {
    return new Float32Array(1);
  }
}

describe('envs: registerEnv and unregisterEnv', () => {
  afterEach(() => {
    for (const id of listEnvs().slice(BUILT_IN_COUNT)) unregisterEnv(id);
  });

  it('an environment registered at run time is known to make, listEnvs, envOptionKeys, makeVec and gmmrl envs', async () => {
    const before = listEnvs();
    expect(before).to.have.length(BUILT_IN_COUNT);
    registerEnv({ id: 'OneStep-v0', create: (o) => new OneStepEnv('OneStep-v0', o), extraOptions: ['bonus'] });
    expect(listEnvs()).to.deep.equal([...before, 'OneStep-v0']);
    expect(envOptionKeys('OneStep-v0')).to.deep.equal(['maxEpisodeSteps', 'seed', 'bonus']);
    const env = make('OneStep-v0', { bonus: 2.5, seed: 0 });
    env.reset();
    expect(env.step(1)).to.include({ reward: 2.5, terminated: true });
    expectThrows(
      () => make('OneStep-v0', { bonsu: 1 }),
      UnknownNameError,
      /make\("OneStep-v0"\): unknown option "bonsu". Valid options: maxEpisodeSteps, seed, bonus/,
    );
    expect(makeVec('OneStep-v0', 2).numEnvs).to.equal(2);
    const out: string[] = [];
    expect(await main(['envs'], (l) => out.push(l))).to.equal(0);
    expect(out.join('\n')).to.match(/^OneStep-v0 +discrete +3 actions +observation 1$/m);
    unregisterEnv('OneStep-v0');
    expect(listEnvs()).to.deep.equal(before);
    expectThrows(() => make('OneStep-v0'), UnknownNameError, /unknown environment id "OneStep-v0"/);
  });

  it('refuses a duplicate id, built-in or registered, naming the id and the fix', () => {
    expectThrows(
      () => registerEnv({ id: 'CartPole-v1', create: (o) => new OneStepEnv('CartPole-v1', o) }),
      ValueError,
      /registerEnv\("CartPole-v1"\): the id is already registered \(a built-in environment\); choose another id or version \(e.g. "CartPole-v2"\)/,
    );
    registerEnv({ id: 'OneStep-v0', create: (o) => new OneStepEnv('OneStep-v0', o) });
    expectThrows(
      () => registerEnv({ id: 'OneStep-v0', create: (o) => new OneStepEnv('OneStep-v0', o) }),
      ValueError,
      /registerEnv\("OneStep-v0"\): the id is already registered; .*"OneStep-v1"\), or unregisterEnv it first/,
    );
  });

  it('refuses a malformed id (Gymnasium style Name-vN)', () => {
    for (const id of ['OneStep', 'OneStep-v', 'onestep-v01', '1Step-v0', 'One Step-v0', '', 'OneStep-V0']) {
      expectThrows(
        () => registerEnv({ id, create: (o) => new OneStepEnv(id, o) }),
        ValueError,
        /registerEnv: id .* is not a Gymnasium style id "Name-vN"/,
        /e.g. "Toy-v0"/,
      );
    }
    expectThrows(() => registerEnv({ id: 7 as any, create: () => new OneStepEnv('x-v0') }), ValueError, /id 7 is not a Gymnasium style id/);
    expectThrows(() => registerEnv(undefined as any), ValueError, /registerEnv: expected \{ id, create, extraOptions\? \}; got undefined/);
    expect(listEnvs()).to.have.length(BUILT_IN_COUNT);
  });

  it('refuses a create that is not a function', () => {
    expectThrows(
      () => registerEnv({ id: 'OneStep-v0', create: new OneStepEnv('OneStep-v0') as any }),
      ValueError,
      /registerEnv\("OneStep-v0"\): create must be a function \(options\) => Env; got/,
    );
    expectThrows(() => registerEnv({ id: 'OneStep-v0' } as any), ValueError, /create must be a function .*got undefined/);
  });

  it('refuses a create that does not return an env with observation and action spaces (and the registered id)', () => {
    const bad: [() => unknown, RegExp][] = [
      [() => undefined, /create returned undefined, not an environment/],
      [
        () => ({ id: 'OneStep-v0', actionSpace: discrete(2), reset() {}, step() {} }),
        /observationSpace is not a Box space: it is undefined/,
      ],
      [
        () => ({ id: 'OneStep-v0', observationSpace: discrete(2), actionSpace: discrete(2), reset() {}, step() {} }),
        /observationSpace is not a Box space: its kind is "discrete"; expected "box"/,
      ],
      [
        () => ({ id: 'OneStep-v0', observationSpace: float32Box([0], [1]), reset() {}, step() {} }),
        /actionSpace is not a Discrete or Box space: it is undefined/,
      ],
      [
        () => ({
          id: 'OneStep-v0',
          observationSpace: float32Box([0], [1]),
          actionSpace: { kind: 'discrete', n: 0 },
          reset() {},
          step() {},
        }),
        /actionSpace .*its n is 0, not a positive integer/,
      ],
      [
        () => ({
          id: 'OneStep-v0',
          observationSpace: { kind: 'box', low: [0], high: [1, 2], shape: [1] },
          actionSpace: discrete(2),
          reset() {},
          step() {},
        }),
        /low, high and shape disagree/,
      ],
      [
        () => ({ id: 'OneStep-v0', observationSpace: float32Box([0], [1]), actionSpace: discrete(2), reset() {} }),
        /the environment has no step\(\) method/,
      ],
      [() => new OneStepEnv('Other-v0'), /the environment's id is "Other-v0", not the registered "OneStep-v0"/],
    ];
    for (const [create, message] of bad) {
      expectThrows(
        () => registerEnv({ id: 'OneStep-v0', create: create as () => Env }),
        ValueError,
        /^registerEnv\("OneStep-v0"\): /,
        message,
        /create must return an Env .*ClassicControlEnv/,
      );
    }
    expect(listEnvs()).to.have.length(BUILT_IN_COUNT);
  });

  it('checks what create returns on every make, too', () => {
    let calls = 0;
    registerEnv({ id: 'Flaky-v0', create: (o) => (calls++ === 0 ? new OneStepEnv('Flaky-v0', o) : (null as unknown as Env)) });
    expectThrows(() => make('Flaky-v0'), ValueError, /make\("Flaky-v0"\): create returned null, not an environment/);
  });

  it('refuses malformed extraOptions', () => {
    const create = (o: Record<string, unknown>) => new OneStepEnv('OneStep-v0', o);
    expectThrows(
      () => registerEnv({ id: 'OneStep-v0', create, extraOptions: 'bonus' as any }),
      ValueError,
      /extraOptions must be an array of option names/,
    );
    expectThrows(
      () => registerEnv({ id: 'OneStep-v0', create, extraOptions: ['seed'] }),
      ValueError,
      /extraOptions lists "seed" twice or lists a common option/,
    );
    expectThrows(
      () => registerEnv({ id: 'OneStep-v0', create, extraOptions: ['bonus', 'bonus'] }),
      ValueError,
      /extraOptions lists "bonus" twice/,
    );
  });

  it('unregisterEnv refuses built-in and unknown ids', () => {
    expectThrows(() => unregisterEnv('CartPole-v1'), ValueError, /unregisterEnv: "CartPole-v1" is a built-in environment/);
    expectThrows(
      () => unregisterEnv('Nope-v0'),
      UnknownNameError,
      /unregisterEnv: "Nope-v0" is not registered. Registered with registerEnv: none/,
    );
    expect(listEnvs()).to.have.length(BUILT_IN_COUNT);
  });
});
