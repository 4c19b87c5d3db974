import { expect } from 'chai';
import { ValueError } from '../../../contract/errors.js';
import { MAZE_LAYOUT, MazeEnv, make, mazeFirstWallHit, mazeGoalAt, mazeIsFree, mazeMove } from '../../../sdk/envs/index.js';
import { expectThrows } from '../../helpers.js';
import { expectBox, makeRegistered } from './support.js';

/** Steps `env` with `action` `n` times (or until the episode ends); returns the last result. */
function repeat(env: MazeEnv, action: number[], n: number): { steps: number; reward: number; terminated: boolean; truncated: boolean } {
  let last = { steps: 0, reward: 0, terminated: false, truncated: false };
  for (let i = 1; i <= n; i++) {
    const r = env.step(action);
    last = { steps: i, reward: r.reward, terminated: r.terminated, truncated: r.truncated };
    if (r.terminated || r.truncated) break;
  }
  return last;
}

const maze = (): MazeEnv => make('Maze-v0') as MazeEnv;

describe('envs: Maze-v0', () => {
  it('is registered: Box([-1,-1], [1,1]) action, (x, y) observation in [-5, 5]², time limit 200', () => {
    const env = makeRegistered('Maze-v0', MazeEnv, 200, undefined);
    expectBox(env.actionSpace, [-1, -1], [1, 1], 'action space');
    expectBox(env.observationSpace, [-5, -5], [5, 5], 'observation space');
  });

  it('exposes its layout as frozen data: 5x5 cells, one gap of width 0.4 in every cell side', () => {
    const L = MAZE_LAYOUT;
    expect(Object.isFrozen(L) && Object.isFrozen(L.walls) && Object.isFrozen(L.walls[0])).to.equal(true);
    expect(L.bounds).to.deep.equal([-5, -5, 5, 5]);
    expect([L.cellsPerSide, L.cellSize, L.gapWidth, L.stepSize, L.wallMargin]).to.deep.equal([5, 2, 0.4, 0.25, 1e-6]);
    expect(L.start).to.deep.equal([0, 0]);
    expect(L.goals).to.deep.equal([
      { name: 'global', centre: [-4, 4], radius: 0.5, reward: 10 },
      { name: 'local', centre: [2, 0], radius: 0.5, reward: 1 },
    ]);
    expect(L.walls.length).to.equal(4 + 4 * 2 * 6);
    for (const [x0, y0, x1, y1] of L.walls) {
      expect(x0 === x1 || y0 === y1, 'axis-aligned').to.equal(true);
      for (const v of [x0, y0, x1, y1]) expect(Math.abs(v)).to.be.at.most(5);
    }
    // Every interior cell side: free at its midpoint (the gap) and blocked 0.21 and 0.5 away from it.
    for (const line of [-3, -1, 1, 3]) {
      for (const mid of [-4, -2, 0, 2, 4]) {
        expect(mazeIsFree(line, mid), `gap (${line}, ${mid})`).to.equal(true);
        expect(mazeIsFree(mid, line), `gap (${mid}, ${line})`).to.equal(true);
        expect(mazeIsFree(line, mid + 0.19)).to.equal(true);
        for (const off of [0.21, -0.21, 0.5, -0.9]) {
          expect(mazeIsFree(line, mid + off), `wall (${line}, ${mid + off})`).to.equal(false);
          expect(mazeIsFree(mid + off, line), `wall (${mid + off}, ${line})`).to.equal(false);
        }
      }
    }
    expect(mazeIsFree(5, 0)).to.equal(false);
    expect(mazeIsFree(0, -5.1)).to.equal(false);
  });

  it('starts at (0, 0), the centre of the centre cell, whatever the seed', () => {
    const env = maze();
    for (const seed of [0, 5, 1234]) {
      const { obs } = env.reset({ seed });
      expect(obs).to.be.instanceOf(Float32Array);
      expect(Array.from(obs)).to.deep.equal([0, 0]);
      expect(Array.from(env.state)).to.deep.equal([0, 0]);
    }
  });

  it('one step, derived by hand: p + 0.25 a, reward 0; out-of-range actions are clipped to [-1, 1]', () => {
    const env = maze();
    env.reset();
    const r = env.step([0.4, -0.2]);
    expect(Array.from(env.state)).to.deep.equal([0.1, -0.05]);
    expect(Array.from(r.obs)).to.deep.equal([Math.fround(0.1), Math.fround(-0.05)]);
    expect([r.reward, r.terminated, r.truncated]).to.deep.equal([0, false, false]);
    env.reset();
    env.step([5, -3]);
    expect(Array.from(env.state)).to.deep.equal([0.25, -0.25]);
    env.reset({ state: [0.5, 0.5] });
    env.step([-1e6, 1.5]);
    expect(Array.from(env.state)).to.deep.equal([0.25, 0.75]);
  });

  it('walls stop the agent 1e-6 short of the contact point, without sliding', () => {
    const env = maze();
    // Straight into the wall x = 1 (piece y in [0.2, 1.8]): contact at t = 0.4.
    env.reset({ state: [0.9, 0.5] });
    env.step([1, 0]);
    expect(env.state[0])
      .to.be.closeTo(1 - 1e-6, 1e-12)
      .and.below(1);
    expect(env.state[1]).to.equal(0.5);
    // Pushing again: it stays (at most 1e-6 closer), never on or through the wall.
    for (let i = 0; i < 5; i++) env.step([1, 0]);
    expect(env.state[0])
      .to.be.below(1)
      .and.above(1 - 2e-6);
    // Obliquely: stops on the path at the contact (no sliding along the wall).
    env.reset({ state: [0.9, 0.5] });
    env.step([1, 0.4]);
    expect(env.state[0]).to.be.closeTo(1 - 1e-6 / Math.hypot(1, 0.4), 1e-12);
    expect(env.state[1]).to.be.closeTo(0.5 + 0.4 * (env.state[0]! - 0.9), 1e-12);
    // The outer wall.
    env.reset({ state: [4.9, -2.5] });
    env.step([1, 0]);
    expect(env.state[0]).to.be.closeTo(5 - 1e-6, 1e-12);
    // Pure function, same answer.
    const [mx, my] = mazeMove(0.9, 0.5, 1, 0);
    expect(mx).to.be.closeTo(1 - 1e-6, 1e-12);
    expect(my).to.equal(0.5);
    expect(mazeMove(0.9, 0.5, 7, 0)).to.deep.equal([mx, my]); // clipped inside, too
    expect(mazeFirstWallHit(0.9, 0.5, 1.15, 0.5)).to.be.closeTo(0.4, 1e-12);
    expect(mazeFirstWallHit(0.9, 0, 1.15, 0)).to.equal(Infinity);
  });

  it('gaps let the agent through; the gap edges are part of the wall', () => {
    const env = maze();
    env.reset({ state: [0.9, 0] });
    env.step([1, 0]);
    expect(Array.from(env.state)).to.deep.equal([1.15, 0]);
    env.reset({ state: [0.9, 0.19] });
    env.step([1, 0]);
    expect(env.state[0]).to.equal(1.15);
    env.reset({ state: [0.9, 0.2] }); // exactly on the line of the gap's upper edge: blocked
    env.step([1, 0]);
    expect(env.state[0]).to.be.below(1);
    // Standing in the gap and moving along the wall line: stopped by the gap's edge.
    env.reset({ state: [1, 0] });
    env.step([0, 1]);
    expect(env.state[0]).to.equal(1);
    expect(env.state[1]).to.be.closeTo(0.2 - 1e-6, 1e-12);
  });

  it('reset({ state }) rejects positions on a wall or outside the maze', () => {
    const env = maze();
    expectThrows(
      () => env.reset({ state: [1, 0.5] }),
      ValueError,
      /Maze-v0: reset\(\{ state \}\)/,
      /\[1, 0\.5\]/,
      /lies on a wall or outside the maze/,
      /\[0, 0\]/,
    );
    expectThrows(() => env.reset({ state: [6, 0] }), ValueError, /outside the maze/);
    expectThrows(() => env.reset({ state: [-5, 0] }), ValueError, /on a wall/);
    env.reset({ state: [1, 0] }); // in a gap: fine
    expect(Array.from(env.state)).to.deep.equal([1, 0]);
  });

  it('reaching the local goal (east, 1 gap): reward +1, terminated', () => {
    const env = maze();
    env.reset();
    const r = repeat(env, [1, 0], 50);
    expect(r).to.deep.equal({ steps: 6, reward: 1, terminated: true, truncated: false });
    expect(Array.from(env.state)).to.deep.equal([1.5, 0]); // exactly on the disk's edge: it counts
    expect(mazeGoalAt(1.5, 0)?.name).to.equal('local');
    expect(mazeGoalAt(1.49, 0)).to.equal(undefined);
  });

  it('reaching the global goal (north-west corner, 4 gaps): reward +10, terminated', () => {
    const env = maze();
    env.reset();
    let r = repeat(env, [-1, 0], 16);
    expect(r).to.deep.equal({ steps: 16, reward: 0, terminated: false, truncated: false });
    expect(Array.from(env.state)).to.deep.equal([-4, 0]);
    r = repeat(env, [0, 1], 50);
    expect(r).to.deep.equal({ steps: 14, reward: 10, terminated: true, truncated: false });
    expect(env.elapsedSteps).to.equal(30);
    expect(Array.from(env.state)).to.deep.equal([-4, 3.5]);
    expect(mazeGoalAt(-4.2, 4.3)?.reward).to.equal(10);
  });

  it('never terminates elsewhere and truncates at exactly step 200', () => {
    const env = maze();
    env.reset();
    for (let t = 1; t <= 200; t++) {
      const r = env.step([t % 2 === 0 ? 0.3 : -0.3, 0]);
      expect(r.terminated).to.equal(false);
      expect(r.reward).to.equal(0);
      expect(r.truncated).to.equal(t === 200);
    }
  });

  it('is deterministic: the same seed and actions give the identical episode; the agent never leaves the maze', () => {
    const run = (): number[] => {
      const env = make('Maze-v0', { seed: 3 });
      env.reset();
      const out: number[] = [];
      let k = 0;
      for (let t = 0; t < 2000; t++) {
        const r = env.step([Math.sin(t * 0.37) * 1.3, Math.cos(t * 0.11 + 1) * 1.2]);
        out.push(r.reward, ...r.obs);
        const [x, y] = env.state;
        if (!mazeIsFree(x!, y!)) throw new Error(`on a wall at step ${t}: ${x}, ${y}`);
        if (r.terminated || r.truncated) {
          env.reset();
          k++;
        }
      }
      out.push(k);
      return out;
    };
    expect(run()).to.deep.equal(run());
  });
});
