import { expect } from 'chai';
import { Rng } from '../../../sdk/util/rng.js';
import { listEnvs, make, type Env } from '../../../sdk/envs/index.js';
import { ReplayBuffer } from '../../../sdk/replay.js';
import { StateReader, StateWriter, decodeJson, encodeJson, readTree, writeTree } from '../../../sdk/algorithms/training-state.js';
import { ModelFormatError, ShapeError, ValueError } from '../../../contract/errors.js';
import { throughBytes } from './resume-harness.js';

/** A random action of the environment's space. */
function act(env: Env, rng: Rng): number | Float64Array {
  const sp = env.actionSpace;
  if (sp.kind === 'discrete') return rng.integer(sp.n);
  return Float64Array.from(sp.low, (lo, i) => rng.uniformRange(Math.max(lo, -2), Math.min(sp.high[i]!, 2)));
}

describe('training state primitives', () => {
  it('Rng.getState/setState continue the same stream, the cached normal included; bad states are refused', () => {
    const a = new Rng(11);
    a.normal(); // leaves a spare normal cached
    const st = a.getState();
    expect(st.spareNormal).to.be.a('number');
    const b = Rng.fromState(JSON.parse(JSON.stringify(st)));
    const xs = Array.from({ length: 20 }, () => [a.normal(), a.uniform(), a.integer(7)]);
    const ys = Array.from({ length: 20 }, () => [b.normal(), b.uniform(), b.integer(7)]);
    expect(ys).to.deep.equal(xs);
    expect(() => b.setState({ s: [0, 0, 0, 0], spareNormal: null })).to.throw(ValueError, /all zeros/);
    expect(() => b.setState({ s: [1, 2, 3] as never, spareNormal: null })).to.throw(ValueError, /4 integers/);
    expect(() => b.setState({ s: [1, 2, 3, 4], spareNormal: NaN })).to.throw(ValueError, /spareNormal/);
  });

  it('every built-in environment restored mid-episode continues exactly: observations, rewards, ends and the next reset', () => {
    for (const id of listEnvs()) {
      const env = make(id, { seed: 1 });
      const rng = new Rng(2);
      env.reset({ seed: 3 });
      for (let t = 0; t < 7; t++) if (env.step(act(env, rng)).terminated) env.reset();
      const saved = env.saveState!();
      const copy = make(id, { seed: 99 });
      copy.restoreState!({ ...saved, state: Float64Array.from(saved.state) });
      const rngA = new Rng(5);
      const rngB = new Rng(5);
      for (let t = 0; t < 300; t++) {
        const ra = env.step(act(env, rngA));
        const rb = copy.step(act(copy, rngB));
        expect([Array.from(rb.obs), rb.reward, rb.terminated, rb.truncated], `${id} step ${t}`).to.deep.equal([
          Array.from(ra.obs),
          ra.reward,
          ra.terminated,
          ra.truncated,
        ]);
        if (ra.terminated || ra.truncated) {
          // reset() without a seed continues each environment's own stream
          expect(Array.from(copy.reset().obs), `${id} reset`).to.deep.equal(Array.from(env.reset().obs));
        }
      }
    }
  });

  it('restoreState refuses a state of another environment or of the wrong length', () => {
    const cart = make('CartPole-v1', { seed: 0 });
    cart.reset();
    const st = cart.saveState!();
    expect(() => make('Acrobot-v1').restoreState!(st)).to.throw(ValueError, /belongs to "CartPole-v1"/);
    expect(() => make('CartPole-v1').restoreState!({ ...st, state: new Float64Array(3) })).to.throw(ShapeError, /needs 4 values/);
    expect(() => make('CartPole-v1').restoreState!({ ...st, phase: 'done' as never })).to.throw(ValueError, /phase/);
  });

  it('a replay buffer restored from its state samples the same minibatches, before and after wrapping', () => {
    for (const pushes of [5, 13]) {
      const a = new ReplayBuffer(8, 2, 1);
      const r = new Rng(1);
      for (let i = 0; i < pushes; i++)
        a.push([r.normal(), r.normal()], r.integer(3), r.normal(), [r.normal(), r.normal()], r.uniform() < 0.2);
      const b = new ReplayBuffer(8, 2, 1);
      b.restoreState(a.saveState());
      expect([b.size, b.totalPushed, b.newestIndex]).to.deep.equal([a.size, a.totalPushed, a.newestIndex]);
      const sa = a.sample(6, new Rng(4), { includeNewest: true });
      const sb = b.sample(6, new Rng(4), { includeNewest: true });
      expect(Array.from(sb.obs)).to.deep.equal(Array.from(sa.obs));
      expect(Array.from(sb.rewards)).to.deep.equal(Array.from(sa.rewards));
      a.push([1, 2], 0, 1, [3, 4], false);
      b.push([1, 2], 0, 1, [3, 4], false);
      expect(Array.from(b.stored().obs)).to.deep.equal(Array.from(a.stored().obs));
    }
    const c = new ReplayBuffer(8, 2, 1);
    c.push([0, 0], 0, 0, [0, 0], false);
    expect(() => new ReplayBuffer(9, 2, 1).restoreState(c.saveState())).to.throw(ShapeError, /capacity 8, this buffer 9/);
    expect(() => new ReplayBuffer(8, 2, 1).restoreState({ ...c.saveState(), next: 5 })).to.throw(ValueError, /next 5 must be 1/);
  });

  it('JSON values survive a text round trip bit for bit, non-finite numbers and −0 included', () => {
    const v = { a: [NaN, Infinity, -Infinity, -0, 0, 1.1e-300, 0.1 + 0.2], b: { c: null, d: 'x', e: Float64Array.of(-0, 2) } };
    const back = decodeJson(JSON.parse(JSON.stringify(encodeJson(v)))) as typeof v & { b: { e: number[] } };
    expect(back.a.map((x) => (Object.is(x, -0) ? '-0' : String(x)))).to.deep.equal([
      'NaN',
      'Infinity',
      '-Infinity',
      '-0',
      '0',
      '1.1e-300',
      String(0.1 + 0.2),
    ]);
    expect(Object.is(back.b.e[0], -0)).to.equal(true);
    expect(() => decodeJson({ $float: 'huge' })).to.throw(ModelFormatError, /huge/);
  });

  it('parameter trees keep Float64Array and Float32Array apart through bytes', () => {
    const w = new StateWriter();
    w.set('config', { x: 1 });
    const tree = { f64: Float64Array.of(0.1, -0), f32: Float32Array.of(0.1), nested: [{ n: 3, s: 'relu' }], list: [1, 2] };
    writeTree(w, 'p', tree);
    const r = StateReader.open(throughBytes(w.build('toy', 0)), 'toy', { x: 1 });
    const back = readTree<typeof tree>(r, 'p');
    expect(back.f64).to.be.instanceOf(Float64Array);
    expect(back.f32).to.be.instanceOf(Float32Array);
    expect(Object.is(back.f64[1], -0)).to.equal(true);
    expect(back.f32[0]).to.equal(Math.fround(0.1));
    expect(back.nested).to.deep.equal(tree.nested);
    expect(() => StateReader.open(w.build('toy', 0), 'toy', { x: 2 })).to.throw(
      ValueError,
      /config field "x" is 2 but the run was started with 1/,
    );
    expect(() => StateReader.open(w.build('toy', 0), 'toy', { x: 1, y: 5 })).to.throw(ValueError, /config field "y"/);
  });
});
