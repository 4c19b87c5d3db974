/**
 * runtime/onnx-prune: the noise-free sub-model of every exported family (noise inputs, in-graph
 * random ops, grids) keeps exactly the greedy outputs, computes them bitwise like the full model on
 * ONNX Runtime, carries no unused initializer or input, and leaves every ModelProto field other than
 * the graph byte for byte; pruning is declined (null) where it is pointless or unsafe; malformed
 * bytes give ModelFormatError, never another error.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ElemType, GraphBuilder, exportDqn, exportGamidActor, exportGmmQf, exportMixtureActor } from '../../exporters/index.js';
import { onnx } from '../../exporters/onnx/proto/onnx.js';
import { ModelFormatError } from '../../contract/errors.js';
import { noiseFreeModel, RANDOM_OPS, withoutInputDefaults, type NoiseFreeModel } from '../../runtime/onnx-prune.js';
import { Cursor, readOnnxModel } from '../../runtime/onnx-reader.js';
import { Rng } from '../../sdk/util/rng.js';
import { expectThrows } from '../helpers.js';
import { actorMeta, actorNoise, actorObservations, randomGamidActor, randomMixtureActor } from '../exporters/actor-fixtures.js';
import { metaFor, randomObservations, randomParams } from '../exporters/fixtures.js';
import { countUnequal, floats, requireChecker, runChecker, runOrt, type Feed, type FloatDtype } from '../exporters/harness.js';
import { dqnMetaFor, productGrid, randomDqnParams, randomObservations as dqnObservations } from '../models/dqn/fixtures.js';
import { buildFixture } from './fixtures.js';

const N = 64;

interface Case {
  label: string;
  bytes: Uint8Array;
  noise: string[];
  /** Feeds of the full model (obs plus any noise inputs). */
  feeds: Record<string, Feed>;
  outputs: string[];
  removedOutputs: string[];
  removedInputs: string[];
}

function obsFeed(dtype: FloatDtype, obs: Float32Array, D: number): Feed {
  return { dtype, data: floats(dtype, obs), dims: [obs.length / D, D] };
}

function uniform(rng: Rng, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => Math.min(Math.fround(rng.uniform()), 1 - 2 ** -24));
}

function gmmqfCase(precision: FloatDtype, sampling: 'inputs' | 'in-graph'): Case {
  const rng = new Rng(precision === 'float32' ? 1 : 2);
  const p = randomParams(rng, 5, 4, 3);
  const feeds: Record<string, Feed> = { obs: obsFeed(precision, randomObservations(rng, p, N), 4) };
  if (sampling === 'inputs') feeds['noise_u'] = { dtype: precision, data: floats(precision, uniform(rng, N)), dims: [N] };
  return {
    label: `GMM-QF ${precision}, sampling ${sampling}`,
    bytes: exportGmmQf(p, metaFor(p), { precision, sampling, epsilon: 0.5 }),
    noise: sampling === 'inputs' ? ['noise_u'] : [],
    feeds,
    outputs: ['q', 'action'],
    removedOutputs: ['action_sampled'],
    removedInputs: sampling === 'inputs' ? ['noise_u'] : [],
  };
}

function mixtureCase(sampling: 'inputs' | 'in-graph'): Case {
  const rng = new Rng(3);
  const p = randomMixtureActor(rng, { K: 3, A: 2, D: 3, hidden: [16, 16] });
  const feeds: Record<string, Feed> = { obs: obsFeed('float32', actorObservations(rng, p, N), 3) };
  const noise = actorNoise(rng, N, 2, 'float32');
  if (sampling === 'inputs') {
    feeds['noise_u'] = { dtype: 'float32', data: floats('float32', noise.u), dims: [N] };
    feeds['noise_eps'] = { dtype: 'float32', data: floats('float32', noise.eps), dims: [N, 2] };
  }
  return {
    label: `mixture actor, sampling ${sampling}`,
    bytes: exportMixtureActor(p, actorMeta(3), { sampling }),
    noise: sampling === 'inputs' ? ['noise_u', 'noise_eps'] : [],
    feeds,
    outputs: ['action', 'weights', 'means', 'log_std'],
    removedOutputs: ['action_sampled'],
    removedInputs: sampling === 'inputs' ? ['noise_u', 'noise_eps'] : [],
  };
}

function gamidCase(): Case {
  const rng = new Rng(4);
  const p = randomGamidActor(rng, { C: 3, A: 2, D: 3, hidden: [16], criticHidden: [16], epsilon: 0.5, explorationStd: 0.3 });
  const noise = actorNoise(rng, N, 2, 'float32');
  return {
    label: 'Gamid actor',
    bytes: exportGamidActor(p, actorMeta(3)),
    noise: ['noise_u', 'noise_eps'],
    feeds: {
      obs: obsFeed('float32', actorObservations(rng, p, N), 3),
      noise_u: { dtype: 'float32', data: floats('float32', noise.u), dims: [N] },
      noise_eps: { dtype: 'float32', data: floats('float32', noise.eps), dims: [N, 2] },
    },
    outputs: [], // filled from the file below: everything but the two sampled outputs
    removedOutputs: ['action_sampled', 'action_sampled_index'],
    removedInputs: ['noise_u', 'noise_eps'],
  };
}

function dqnGridCase(): Case {
  const rng = new Rng(5);
  const p = randomDqnParams(rng, [2, 8, 8, 9], { actionGrid: productGrid(3, -1, 1) });
  return {
    label: 'DQN with a 3×3 grid',
    bytes: exportDqn(p, dqnMetaFor(p), { epsilon: 0.5 }),
    noise: ['noise_u'],
    feeds: {
      obs: obsFeed('float32', dqnObservations(rng, p, N), 2),
      noise_u: { dtype: 'float32', data: floats('float32', uniform(rng, N)), dims: [N] },
    },
    outputs: [],
    removedOutputs: ['action_sampled_index', 'action_sampled'],
    removedInputs: ['noise_u'],
  };
}

/** The graph outputs of `bytes` in file order. */
function outputNames(bytes: Uint8Array): string[] {
  return readOnnxModel(bytes).graph!.outputs.map((o) => o.name);
}

/** The graph is self-contained and tidy: every node input defined, every initializer/input read, value_info produced. */
function expectTidy(bytes: Uint8Array, what: string): onnx.IGraphProto {
  const g = onnx.ModelProto.decode(bytes).graph!;
  const outputs = new Set(g.output!.map((o) => o.name!));
  const defined = new Set<string>([...g.input!.map((v) => v.name!), ...g.initializer!.map((t) => t.name!)]);
  const read = new Set<string>(outputs);
  for (const n of g.node!) {
    for (const v of n.input!) {
      if (v === '') continue;
      expect(defined.has(v), `${what}: node ${n.name} reads ${v}, which nothing before it defines`).to.equal(true);
      read.add(v);
    }
    for (const v of n.output!) defined.add(v);
    expect(RANDOM_OPS.has(n.op_type!), `${what}: random op ${n.name}`).to.equal(false);
  }
  for (const t of g.initializer!) expect(read.has(t.name!), `${what}: initializer ${t.name} is unused`).to.equal(true);
  for (const v of g.input!) expect(read.has(v.name!), `${what}: input ${v.name} is unused`).to.equal(true);
  for (const v of g.value_info!) expect(defined.has(v.name!), `${what}: value_info ${v.name} names no value`).to.equal(true);
  for (const o of outputs) expect(defined.has(o), `${what}: output ${o} is not produced`).to.equal(true);
  return g;
}

/** Top-level ModelProto fields as [field number, exact bytes], in file order. */
function topLevelFields(bytes: Uint8Array): [number, string][] {
  const c = new Cursor(bytes, 0, bytes.length, 'test');
  const out: [number, string][] = [];
  while (!c.done) {
    const at = c.pos;
    const [field, wire] = c.tag();
    c.skip(wire, at);
    out.push([field, Buffer.from(bytes.subarray(at, c.pos)).toString('hex')]);
  }
  return out;
}

/** Prunes, checks structure and bitwise parity of every kept output on onnxruntime-node. */
async function checkCase(c: Case): Promise<NoiseFreeModel> {
  const r = noiseFreeModel(c.bytes, c.noise);
  expect(r, c.label).to.not.equal(null);
  const all = outputNames(c.bytes);
  const outputs = c.outputs.length > 0 ? c.outputs : all.filter((o) => !c.removedOutputs.includes(o));
  expect(r!.outputs, c.label).to.deep.equal(outputs);
  expect(r!.removedOutputs, c.label).to.deep.equal(c.removedOutputs);
  expect(r!.removedInputs, c.label).to.deep.equal(c.removedInputs);
  expect(outputNames(r!.bytes)).to.deep.equal(outputs);

  const full = onnx.ModelProto.decode(c.bytes).graph!;
  const pruned = expectTidy(r!.bytes, c.label);
  expect(pruned.node!.length, `${c.label}: node count`).to.be.below(full.node!.length);
  expect([r!.nodesKept, r!.nodesRemoved]).to.deep.equal([pruned.node!.length, full.node!.length - pruned.node!.length]);
  expect(pruned.initializer!.length).to.be.at.most(full.initializer!.length);
  // kept nodes are a subsequence of the full graph's, in order
  const names = full.node!.map((n) => n.name);
  let from = 0;
  for (const n of pruned.node!) {
    const i = names.indexOf(n.name, from);
    expect(i, `${c.label}: node ${n.name} out of order`).to.be.at.least(from);
    from = i + 1;
  }
  expect(pruned.input!.map((v) => v.name)).to.deep.equal(full.input!.map((v) => v.name).filter((x) => !c.removedInputs.includes(x!)));

  const obsOnly = { obs: c.feeds['obs']! };
  const [a, b] = await Promise.all([runOrt('node', c.bytes, c.feeds), runOrt('node', r!.bytes, obsOnly)]);
  expect(Object.keys(b).sort()).to.deep.equal([...outputs].sort());
  for (const o of outputs) {
    expect(b[o]!.type, `${c.label} ${o}`).to.equal(a[o]!.type);
    expect(b[o]!.dims, `${c.label} ${o}`).to.deep.equal(a[o]!.dims);
    expect(countUnequal(b[o]!.data, a[o]!.data), `${c.label}: ${o} differs`).to.equal(0);
  }
  return r!;
}

describe('runtime/onnx-prune', function () {
  this.timeout(60_000);

  describe('keeps the noise-free outputs of every family, bitwise identical on onnxruntime-node', () => {
    for (const precision of ['float32', 'float64'] as const) {
      it(`GMM-QF (${precision}, noise_u): drops noise_u and action_sampled, keeps q and action`, async () => {
        await checkCase(gmmqfCase(precision, 'inputs'));
      });
    }
    it('mixture actor (noise_u, noise_eps): keeps action, weights, means, log_std', async () => {
      await checkCase(mixtureCase('inputs'));
    });
    it('Gamid actor: drops action_sampled_index and action_sampled', async () => {
      const r = await checkCase(gamidCase());
      expect(r.outputs).to.include.members(['action', 'q', 'action_index', 'component_actions']);
    });
    it('DQN with a grid: drops action_sampled and action_sampled_index, keeps action and action_index', async () => {
      const r = await checkCase(dqnGridCase());
      expect(r.outputs).to.include.members(['q', 'action', 'action_index']);
    });
    it('in-graph sampling (RandomUniformLike / RandomNormalLike, no noise inputs): prunes with noiseInputs []', async () => {
      const q = await checkCase(gmmqfCase('float32', 'in-graph'));
      const m = await checkCase(mixtureCase('in-graph'));
      // naming a noise input the graph does not have changes nothing
      expect(Buffer.from(noiseFreeModel(gmmqfCase('float32', 'in-graph').bytes, ['noise_u'])!.bytes).equals(Buffer.from(q.bytes))).to.equal(
        true,
      );
      expect(m.removedInputs).to.deep.equal([]);
    });
  });

  it('ONNX Runtime opens every pruned model without a warning (no unused initializer or input)', () => {
    // a child process, so that ONNX Runtime's native log (stderr) can be read
    const dir = mkdtempSync(join(tmpdir(), 'gmmrl-prune-'));
    try {
      const files: string[] = [];
      for (const c of [
        gmmqfCase('float32', 'inputs'),
        mixtureCase('inputs'),
        gamidCase(),
        dqnGridCase(),
        gmmqfCase('float32', 'in-graph'),
      ]) {
        const file = join(dir, `${files.length}.onnx`);
        writeFileSync(file, noiseFreeModel(c.bytes, c.noise)!.bytes);
        files.push(file);
      }
      const script = `import * as ort from 'onnxruntime-node';
        for (const f of ${JSON.stringify(files)}) { const s = await ort.InferenceSession.create(f); console.log(s.inputNames.join()); await s.release(); }`;
      // dist-*/spec/runtime → the repository root, where node_modules is
      const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout.trim().split('\n')).to.deep.equal(['obs', 'obs', 'obs', 'obs', 'obs']);
      expect(r.stderr, 'ONNX Runtime warned').to.not.match(/\[W:onnxruntime|\[E:onnxruntime/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the pruned GMM-QF graph is the sampling-"none" export\'s graph, node for node', () => {
    const p = randomParams(new Rng(6), 4, 3, 2);
    const none = onnx.ModelProto.decode(exportGmmQf(p, metaFor(p), { sampling: 'none' })).graph!;
    const pruned = onnx.ModelProto.decode(noiseFreeModel(exportGmmQf(p, metaFor(p)), ['noise_u'])!.bytes).graph!;
    expect(pruned.node!.map((n) => [n.name, n.op_type])).to.deep.equal(none.node!.map((n) => [n.name, n.op_type]));
    expect(pruned.initializer!.map((t) => t.name)).to.deep.equal(none.initializer!.map((t) => t.name));
  });

  it('leaves every ModelProto field but the graph byte for byte, in order (metadata, opset, header)', () => {
    for (const c of [gmmqfCase('float32', 'inputs'), mixtureCase('inputs'), dqnGridCase()]) {
      const r = noiseFreeModel(c.bytes, c.noise)!;
      const a = topLevelFields(c.bytes);
      const b = topLevelFields(r.bytes);
      expect(b.map(([f]) => f)).to.deep.equal(a.map(([f]) => f));
      expect(b.filter(([f]) => f !== 7)).to.deep.equal(a.filter(([f]) => f !== 7));
      const ma = readOnnxModel(c.bytes);
      const mb = readOnnxModel(r.bytes);
      expect(mb.metadataProps).to.deep.equal(ma.metadataProps);
      expect(mb.metadataProps.length).to.be.greaterThan(0);
      expect(mb.opsetImport).to.deep.equal(ma.opsetImport);
      expect([mb.irVersion, mb.producerName, mb.producerVersion]).to.deep.equal([ma.irVersion, ma.producerName, ma.producerVersion]);
      // graph name and doc string are kept too
      const ga = onnx.ModelProto.decode(c.bytes).graph!;
      const gb = onnx.ModelProto.decode(r.bytes).graph!;
      expect([gb.name, gb.doc_string]).to.deep.equal([ga.name, ga.doc_string]);
    }
  });

  it("withoutInputDefaults: drops only the named inputs' defaults (the noise inputs), the rest byte for byte; null when none", () => {
    for (const c of [gmmqfCase('float32', 'inputs'), mixtureCase('inputs'), dqnGridCase()]) {
      const ga = onnx.ModelProto.decode(c.bytes).graph!;
      for (const n of c.noise)
        expect(
          ga.initializer!.map((t) => t.name),
          `${c.label}: default of ${n}`,
        ).to.include(n);
      const r = withoutInputDefaults(c.bytes, c.noise)!;
      const gb = onnx.ModelProto.decode(r).graph!;
      expect(gb.initializer!.map((t) => t.name)).to.deep.equal(ga.initializer!.map((t) => t.name).filter((n) => !c.noise.includes(n!)));
      expect(gb.input!.map((v) => v.name)).to.deep.equal(ga.input!.map((v) => v.name));
      expect(gb.node!.map((n) => n.name)).to.deep.equal(ga.node!.map((n) => n.name));
      expect(topLevelFields(r).filter(([f]) => f !== 7)).to.deep.equal(topLevelFields(c.bytes).filter(([f]) => f !== 7));
      // ONNX Runtime now lists (and takes) the noise inputs
      expect(readOnnxModel(r).graph!.initializerNames).to.not.include.members(c.noise);
      expect(withoutInputDefaults(r, c.noise)).to.equal(null);
      expect(withoutInputDefaults(c.bytes, [])).to.equal(null);
      expect(withoutInputDefaults(c.bytes, ['obs'])).to.equal(null); // obs has no default
      // an initializer that is not a graph input is a constant, never dropped
      expect(withoutInputDefaults(c.bytes, [ga.initializer!.find((t) => !c.noise.includes(t.name!))!.name!])).to.equal(null);
    }
    expectThrows(() => withoutInputDefaults(Uint8Array.of(0x3a, 0x05, 0x0a), ['noise_u']), ModelFormatError);
  });

  it('taints through Bernoulli and Multinomial, and drops dead nodes even when no output depends on noise', async () => {
    const g = new GraphBuilder('hand', 'random ops and dead code');
    g.input('x', ElemType.FLOAT, ['N', 3]);
    g.output('neg', ElemType.FLOAT, ['N', 3]);
    g.output('coin', ElemType.FLOAT, ['N', 3]);
    g.output('draw', ElemType.INT64, ['N', 2]);
    g.node({ name: 'neg', opType: 'Neg', inputs: ['x'], outputs: ['neg'] });
    g.node({ name: 'sig', opType: 'Sigmoid', inputs: ['x'], outputs: ['p'] });
    g.node({ name: 'coin', opType: 'Bernoulli', inputs: ['p'], outputs: ['coin'] });
    g.node({
      name: 'draw',
      opType: 'Multinomial',
      inputs: ['x'],
      outputs: ['draw'],
      attributes: { sample_size: { kind: 'int', value: 2 } },
    });
    const bytes = g.build({ irVersion: 8, opsetVersion: 17, producerName: 'test', producerVersion: '0' });
    const r = noiseFreeModel(bytes, [])!;
    expect([r.outputs, r.removedOutputs, r.removedInputs]).to.deep.equal([['neg'], ['coin', 'draw'], []]);
    expect(onnx.ModelProto.decode(r.bytes).graph!.node!.map((n) => n.name)).to.deep.equal(['neg']);
    const x = Float32Array.from({ length: 6 }, (_, i) => i - 2.5);
    const out = await runOrt('node', r.bytes, { x: { dtype: 'float32', data: x, dims: [2, 3] } });
    expect(Array.from(out['neg']!.data)).to.deep.equal(Array.from(x, (v) => -v));

    const dead = new GraphBuilder('dead', 'an unused node and an unused input');
    dead.input('x', ElemType.FLOAT, ['N']);
    dead.input('unused', ElemType.FLOAT, ['N']);
    dead.output('y', ElemType.FLOAT, ['N']);
    dead.node({ name: 'y', opType: 'Neg', inputs: ['x'], outputs: ['y'] });
    dead.node({ name: 'dead', opType: 'Abs', inputs: ['x'], outputs: ['z'] });
    const d = noiseFreeModel(dead.build({ irVersion: 8, opsetVersion: 17, producerName: 'test', producerVersion: '0' }), [])!;
    expect([d.outputs, d.removedOutputs, d.removedInputs]).to.deep.equal([['y'], [], ['unused']]);
  });

  describe('declines (null)', () => {
    it('nothing to remove: the sampling-"none" export, and a graph whose every node is needed', () => {
      const p = randomParams(new Rng(7), 3, 4, 2);
      expect(noiseFreeModel(exportGmmQf(p, metaFor(p), { sampling: 'none' }), ['noise_u'])).to.equal(null);
      expect(noiseFreeModel(exportGmmQf(p, metaFor(p), { sampling: 'none' }), [])).to.equal(null);
      // without naming noise_u, the input-noise export has nothing random (its noise is just an input)
      expect(noiseFreeModel(exportGmmQf(p, metaFor(p)), [])).to.equal(null);
    });

    it('every output depends on noise (or on a random op)', () => {
      const g = new GraphBuilder('all-noise');
      g.input('x', ElemType.FLOAT, ['N']);
      g.input('noise_u', ElemType.FLOAT, ['N']);
      g.output('y', ElemType.FLOAT, ['N']);
      g.output('u', ElemType.FLOAT, ['N']);
      g.node({ name: 'add', opType: 'Add', inputs: ['x', 'noise_u'], outputs: ['y'] });
      g.node({ name: 'id', opType: 'Identity', inputs: ['noise_u'], outputs: ['u'] });
      const bytes = g.build({ irVersion: 8, opsetVersion: 17, producerName: 'test', producerVersion: '0' });
      expect(noiseFreeModel(bytes, ['noise_u'])).to.equal(null);
      // without naming noise_u nothing is tainted and every node is needed: nothing to remove either
      expect(noiseFreeModel(bytes, [])).to.equal(null);
      // control: a third, noise-free output makes it prunable
      g.output('x2', ElemType.FLOAT, ['N']);
      g.node({ name: 'x2', opType: 'Identity', inputs: ['x'], outputs: ['x2'] });
      const r = noiseFreeModel(g.build({ irVersion: 8, opsetVersion: 17, producerName: 'test', producerVersion: '0' }), ['noise_u'])!;
      expect([r.outputs, r.removedOutputs, r.removedInputs]).to.deep.equal([['x2'], ['y', 'u'], ['noise_u']]);
    });

    it('a node with a graph attribute (If: g; a Loop-like graphs list), model-local functions, a repeated graph field', () => {
      // a prunable model (GMM-QF with noise_u), plus an If node that reads only obs
      const p = randomParams(new Rng(8), 3, 4, 2);
      const base = exportGmmQf(p, metaFor(p));
      expect(noiseFreeModel(base, ['noise_u'])).to.not.equal(null);
      const branch = (name: string): onnx.IGraphProto => ({
        name,
        node: [{ name: `${name}/id`, op_type: 'Identity', input: ['obs'], output: [`${name}/out`] }],
        output: [{ name: `${name}/out`, type: { tensor_type: { elem_type: ElemType.FLOAT } } }],
      });
      const withAttr = (attr: onnx.IAttributeProto): Uint8Array => {
        const m = onnx.ModelProto.decode(base);
        m.graph!.initializer!.push({ name: 'cond', data_type: ElemType.BOOL, dims: [], int32_data: [1] });
        m.graph!.node!.push({ name: 'if', op_type: 'If', input: ['cond'], output: ['branched'], attribute: [attr] });
        return onnx.ModelProto.encode(m).finish();
      };
      const ifModel = withAttr({ name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch('then') });
      expect(noiseFreeModel(ifModel, ['noise_u'])).to.equal(null);
      const graphsModel = withAttr({ name: 'bodies', type: onnx.AttributeProto.AttributeType.GRAPHS, graphs: [branch('a'), branch('b')] });
      expect(noiseFreeModel(graphsModel, ['noise_u'])).to.equal(null);
      // control: the same injection with a plain int attribute is pruned (the If node is dead code then)
      const plain = withAttr({ name: 'k', type: onnx.AttributeProto.AttributeType.INT, i: 1 });
      expect(noiseFreeModel(plain, ['noise_u'])).to.not.equal(null);

      const fn = onnx.ModelProto.decode(base);
      fn.functions = [
        { name: 'f', domain: 'local', input: ['a'], output: ['b'], node: [{ op_type: 'RandomNormalLike', input: ['a'], output: ['b'] }] },
      ];
      expect(noiseFreeModel(onnx.ModelProto.encode(fn).finish(), ['noise_u'])).to.equal(null);

      const g = topLevelFields(base).find(([f]) => f === 7)![1];
      const twice = new Uint8Array([...base, ...Buffer.from(g, 'hex')]);
      expect(noiseFreeModel(twice, ['noise_u'])).to.equal(null);
    });

    it('a model without a graph', () => {
      expect(noiseFreeModel(new Uint8Array([8, 8]), ['noise_u'])).to.equal(null);
    });
  });

  describe('malformed bytes: ModelFormatError, never another error, never a hang', () => {
    const small = buildFixture({ family: 'mixture-actor' }).bytes;
    const attempt = (b: Uint8Array): NoiseFreeModel | null | ModelFormatError => {
      try {
        return noiseFreeModel(b, ['noise_u', 'noise_eps']);
      } catch (err) {
        if (err instanceof ModelFormatError) return err;
        throw err;
      }
    };

    it('the fixture is prunable', () => {
      expect(noiseFreeModel(small, ['noise_u', 'noise_eps'])!.removedOutputs).to.deep.equal(['action_sampled']);
    });

    it('rejects the empty buffer and non-bytes, and names the offset of an overrun', () => {
      expectThrows(() => noiseFreeModel(new Uint8Array(0), []), ModelFormatError, /empty \(0 bytes\)/);
      expectThrows(() => noiseFreeModel([1, 2] as unknown as Uint8Array, []), ModelFormatError, /expected a Uint8Array/);
      expectThrows(
        () => noiseFreeModel(new Uint8Array([0x3a, 50, 1, 2]), []),
        ModelFormatError,
        /overruns its enclosing message \(2 bytes left\) at byte offset 1/,
      );
      // a node with a bad wire type for its input field
      expectThrows(
        () => noiseFreeModel(new Uint8Array([0x3a, 4, 0x0a, 2, 0x08, 1]), []),
        ModelFormatError,
        /field 1 has wire type 0, expected 2 at byte offset 4/,
      );
    });

    it(`every truncation (${small.length} prefixes)`, () => {
      let threw = 0;
      for (let cut = 0; cut < small.length; cut++) {
        const r = attempt(small.subarray(0, cut));
        if (r instanceof ModelFormatError) threw++;
      }
      expect(threw).to.be.greaterThan(small.length / 2);
    });

    it('2000 random byte flips: a value or ModelFormatError; a value parses whenever the input did', () => {
      const rng = new Rng(9);
      const kinds = { value: 0, null: 0, error: 0 };
      for (let t = 0; t < 2000; t++) {
        const b = Uint8Array.from(small);
        const flips = 1 + rng.integer(3);
        for (let k = 0; k < flips; k++) b[rng.integer(b.length)] = rng.integer(256);
        const r = attempt(b);
        if (r instanceof ModelFormatError) kinds.error++;
        else if (r === null) kinds.null++;
        else {
          kinds.value++;
          let inputOk = true;
          try {
            readOnnxModel(b);
          } catch {
            inputOk = false;
          }
          if (inputOk) expect(() => readOnnxModel(r.bytes), `trial ${t}`).to.not.throw();
        }
      }
      expect(kinds.value).to.be.greaterThan(0);
      expect(kinds.error).to.be.greaterThan(0);
    });

    it('random garbage', () => {
      const rng = new Rng(10);
      for (let t = 0; t < 500; t++) attempt(Uint8Array.from({ length: 1 + rng.integer(200) }, () => rng.integer(256)));
    });
  });

  describe('official ONNX checker (python onnx, full_check) on pruned models', function () {
    before(function () {
      requireChecker(this);
    });
    const makers: [string, () => Case][] = [
      ['GMM-QF', () => gmmqfCase('float32', 'inputs')],
      ['mixture actor (in-graph sampling)', () => mixtureCase('in-graph')],
      ['Gamid actor', gamidCase],
      ['DQN with a grid', dqnGridCase],
    ];
    for (const [label, make] of makers) {
      it(label, () => {
        const c = make();
        const r = noiseFreeModel(c.bytes, c.noise)!;
        const rep = runChecker(r.bytes);
        expect(rep.ok, rep.stderr).to.equal(true);
        expect(rep.report!.outputs.map(([name]) => name)).to.deep.equal(r.outputs);
        expect(rep.report!.inputs.map(([name]) => name)).to.deep.equal(['obs']);
      });
    }
  });
});
