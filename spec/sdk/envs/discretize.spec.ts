import { expect } from 'chai';
import {
  DEFAULT_ACTION_GRIDS,
  checkGridForSpace,
  defaultActionGrid,
  discretizeActions,
  make,
  parseActionGrid,
  type BoxSpace,
} from '../../../sdk/envs/index.js';
import { float32Box } from '../../../sdk/envs/spaces.js';
import { EnvStateError, ShapeError, UnknownNameError, ValueError } from '../../../contract/errors.js';
import { expectThrows } from '../../helpers.js';

const PENDULUM_BOX = make('Pendulum-v1').actionSpace as BoxSpace;

describe('envs: discretized action spaces (action grids)', () => {
  it('documents the default grids: Pendulum-v1 5 torques, MountainCarContinuous-v0 3 forces', () => {
    expect(DEFAULT_ACTION_GRIDS).to.deep.equal({ 'Pendulum-v1': [-2, -1, 0, 1, 2], 'MountainCarContinuous-v0': [-1, 0, 1] });
    expect(defaultActionGrid('Pendulum-v1')).to.deep.equal({
      shape: [1],
      values: Float64Array.from([-2, -1, 0, 1, 2]),
      low: [-2],
      high: [2],
    });
    expect(defaultActionGrid(make('MountainCarContinuous-v0'))).to.deep.equal({
      shape: [1],
      values: Float64Array.from([-1, 0, 1]),
      low: [-1],
      high: [1],
    });
    expectThrows(() => defaultActionGrid('CartPole-v1'), ValueError, /the action space is Discrete\(2\), which is already discrete/);
    expectThrows(() => defaultActionGrid('Nope-v0'), UnknownNameError, /unknown environment id "Nope-v0"/);
    const custom = { ...make('Pendulum-v1'), id: 'Custom-v0', actionSpace: PENDULUM_BOX };
    expectThrows(
      () => defaultActionGrid(custom as never),
      UnknownNameError,
      /no default action grid for Custom-v0 .* parseActionGrid\("5", env.actionSpace\)/,
    );
  });

  it('parseActionGrid "n": n evenly spaced points over [low, high], both ends exact', () => {
    expect(Array.from(parseActionGrid('5', PENDULUM_BOX).values)).to.deep.equal([-2, -1, 0, 1, 2]);
    expect(Array.from(parseActionGrid(' 2 ', PENDULUM_BOX).values)).to.deep.equal([-2, 2]);
    const seven = Array.from(parseActionGrid('7', PENDULUM_BOX).values);
    expect(seven[0]).to.equal(-2);
    expect(seven[6]).to.equal(2);
    for (let i = 1; i < 7; i++) expect(seven[i]! - seven[i - 1]!).to.be.closeTo(4 / 6, 1e-15);
    const g = parseActionGrid('3', float32Box([0, -1], [1, 1]));
    expect(g.shape).to.deep.equal([2]);
    expect(Array.from(g.values)).to.deep.equal([0, -1, 0, 0, 0, 1, 0.5, -1, 0.5, 0, 0.5, 1, 1, -1, 1, 0, 1, 1]); // first dimension slowest
    expect(g.low).to.deep.equal([0, -1]);
  });

  it('parseActionGrid "v1,v2,…": explicit values for 1-D spaces, each within the bounds', () => {
    const g = parseActionGrid('-2, -0.5,0,1.5', PENDULUM_BOX);
    expect(Array.from(g.values)).to.deep.equal([-2, -0.5, 0, 1.5]);
    expect(g).to.deep.include({ shape: [1], low: [-2], high: [2] });
  });

  it('parseActionGrid errors name the value, the bounds and the fix', () => {
    expectThrows(
      () => parseActionGrid('-2,0,2.5', PENDULUM_BOX),
      ValueError,
      /value 2.5 lies outside the action bounds \[-2, 2\] of Box\(shape \[1\], \[-2, 2\]\)/,
      /Use values within the bounds/,
    );
    expectThrows(() => parseActionGrid('1', PENDULUM_BOX), ValueError, /the number of points n ≥ 2 \(integer\), got "1"/, /Use e.g. "5"/);
    expectThrows(() => parseActionGrid('2.5', PENDULUM_BOX), ValueError, /got "2.5"/);
    expectThrows(() => parseActionGrid('-1,x', PENDULUM_BOX), ValueError, /"x" is not a finite number/);
    expectThrows(() => parseActionGrid('-1,,1', PENDULUM_BOX), ValueError, /"" is not a finite number/);
    expectThrows(() => parseActionGrid('1,1', PENDULUM_BOX), ValueError, /value 1 appears twice/);
    expectThrows(() => parseActionGrid('', PENDULUM_BOX), ValueError, /expected a string such as "5"/);
    expectThrows(
      () => parseActionGrid('0,1', float32Box([0, 0], [1, 1])),
      ShapeError,
      /explicit values are only for 1-D action spaces; .* 2 entries/,
    );
    expectThrows(() => parseActionGrid('3', float32Box([0], [Infinity])), ValueError, /unbounded limits \[0, Infinity\]/);
    expectThrows(() => parseActionGrid('100', float32Box([0, 0], [1, 1])), ValueError, /make 10000 grid points \(> 4096\)/);
    expectThrows(() => parseActionGrid('3', make('CartPole-v1').actionSpace), ValueError, /already discrete/);
  });

  it('discretizeActions: Discrete(A), step(a) steps the wrapped env with grid row a (same trajectory as stepping the values)', () => {
    const grid = defaultActionGrid('Pendulum-v1');
    const env = discretizeActions(make('Pendulum-v1'), grid);
    const direct = make('Pendulum-v1');
    expect(env.actionSpace).to.deep.equal({ kind: 'discrete', n: 5 });
    expect(env.id).to.equal('Pendulum-v1');
    expect(env.observationSpace).to.equal(direct.observationSpace);
    expect(env.maxEpisodeSteps).to.equal(200);
    const a = env.reset({ seed: 3 });
    const b = direct.reset({ seed: 3 });
    expect(Array.from(a.obs)).to.deep.equal(Array.from(b.obs));
    for (const k of [0, 4, 2, 3, 1, 4, 4, 0]) {
      const ra = env.step(k);
      const rb = direct.step([grid.values[k]!]);
      expect(Array.from(ra.obs)).to.deep.equal(Array.from(rb.obs));
      expect(ra.reward).to.equal(rb.reward);
    }
    expect(Array.from(env.state)).to.deep.equal(Array.from(direct.state));
    expect(env.elapsedSteps).to.equal(8);
    expect(env.step([2]).reward).to.be.a('number'); // an index in an array of length 1 is fine
  });

  it('discretizeActions validates the index and the grid', () => {
    const env = discretizeActions(make('Pendulum-v1'), defaultActionGrid('Pendulum-v1'));
    expectThrows(() => env.step(0), EnvStateError, /step\(\) called before reset\(\)/);
    env.reset({ seed: 0 });
    expectThrows(() => env.step(5), ValueError, /discretized to 5 grid points\): action must be an integer in \[0, 5\)/);
    expectThrows(() => env.step(1.5), ValueError, /must be an integer in \[0, 5\)/);
    expectThrows(() => env.step([0.5] as never), ValueError, /must be an integer/);
    expectThrows(() => discretizeActions(make('CartPole-v1'), defaultActionGrid('Pendulum-v1')), ValueError, /already discrete/);
    const outside = { shape: [1], values: Float64Array.from([-3, 0]), low: [-3], high: [3] };
    expectThrows(
      () => discretizeActions(make('Pendulum-v1'), outside),
      ValueError,
      /grid point 0 entry 0 = -3 lies outside the action bounds \[-2, 2\]/,
    );
    const wrongShape = { shape: [2], values: Float64Array.from([0, 0]), low: [-2, -2], high: [2, 2] };
    expectThrows(
      () => checkGridForSpace(wrongShape, PENDULUM_BOX),
      ShapeError,
      /grid shape \[2\] does not match the action space Box\(shape \[1\], \[-2, 2\]\)/,
    );
  });
});
