import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { InternalError, ModelFormatError } from '../../../../contract/errors.js';
import { initMlp } from '../../../../models/actor-critic/mlp.js';
import { FLAT_MAX_SIZE, TfMlp, polyakUpdate } from '../../../../models/actor-critic/tf-mlp.js';
import { FlatAdam, makeAdam, readAdam, readFlatAdam, writeAdam, type TfAdamOptions } from '../../../../sdk/algorithms/learners/tf-adam.js';
import { StateReader, StateWriter } from '../../../../sdk/algorithms/training-state.js';
import { selectBackend } from '../../../../sdk/backend.js';
import { Rng } from '../../../../sdk/util/rng.js';

const SHAPES: number[][][] = [
  [[3, 4], [4], [4, 2], [2]], // an MLP's W₀ b₀ W₁ b₁
  [[5]], // one variable (log α): no concat
  [[2, 3, 2], [1], [7], [6, 1]],
  [[4, 130], [130], [130, 130], [130]], // 130² ≥ FLAT_MAX_SIZE: that matrix keeps buffers of its own
];
const OPTIONS: TfAdamOptions[] = [{ learningRate: 1e-3 }, { learningRate: 3e-3, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 }];

function makeVars(shapes: number[][], seed: number): tf.Variable[] {
  const rng = new Rng(seed);
  return shapes.map((s) =>
    tf.variable(
      tf.tensor(
        Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.normal()),
        s,
      ),
    ),
  );
}

/** Gradients for step `t`: normals, some scaled far down so that ε matters. */
function gradData(shapes: number[][], rng: Rng): Float32Array[] {
  return shapes.map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, i) => rng.normal() * (i % 3 === 0 ? 1e-7 : 1)));
}

function named(vars: readonly tf.Variable[], data: readonly Float32Array[]): tf.NamedTensorMap {
  return Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(data[i]!, v.shape)]));
}

function values(vars: readonly tf.Variable[]): number[][] {
  return vars.map((v) => Array.from(v.dataSync()));
}

/** Bit patterns, so −0 vs 0 and NaN payloads count too. */
function bits(vars: readonly tf.Variable[]): number[][] {
  return vars.map((v) => Array.from(new Uint32Array(Float32Array.from(v.dataSync()).buffer)));
}

function stepBoth(ref: tf.AdamOptimizer, rv: tf.Variable[], flat: FlatAdam, fv: tf.Variable[], shapes: number[][], rng: Rng): void {
  const g = gradData(shapes, rng);
  tf.tidy(() => {
    const gr = named(rv, g);
    ref.applyGradients(rv.map((v) => ({ name: v.name, tensor: gr[v.name]! })));
    flat.applyGradients(named(fv, g));
  });
}

function saved(opt: FlatAdam | tf.AdamOptimizer): StateReader {
  const w = new StateWriter();
  w.set('config', {});
  writeAdam(w, 'adam', opt);
  return StateReader.open(w.build('test', 0), 'test', {});
}

function savedEntries(opt: FlatAdam | tf.AdamOptimizer): Record<string, unknown> {
  const r = saved(opt);
  const st = (
    r as unknown as { state: { tensors: Record<string, { shape: number[]; data: Float32Array }>; json: Record<string, unknown> } }
  ).state;
  return {
    json: st.json,
    tensors: Object.fromEntries(Object.entries(st.tensors).map(([k, t]) => [k, { shape: t.shape, data: Array.from(t.data) }])),
  };
}

/** One network's part of a step: concat gradients and values; m; v; m̂, v̂; the step; split. */
const GROUP_KERNELS =
  'Concat Concat Multiply Multiply Add Multiply Square Multiply Add RealDiv RealDiv Sqrt Add RealDiv Multiply Add SplitV';

async function kernelNames(f: () => void): Promise<string[]> {
  const p = await tf.profile(f);
  return p.kernels.map((k) => k.name);
}

describe('FlatAdam and the fused Polyak step: tfjs arithmetic on flat buffers', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    describe(backend, () => {
      before(async () => {
        await selectBackend(backend);
      });

      it('equals tf.train.adam bit for bit over 40 steps (several shapes, default and other hyperparameters), and saves the same state', () => {
        for (const shapes of SHAPES)
          for (const o of OPTIONS) {
            const rv = makeVars(shapes, 1);
            const fv = makeVars(shapes, 1);
            const ref = makeAdam(o);
            const flat = new FlatAdam(o, fv);
            try {
              const rng = new Rng(7);
              for (let t = 0; t < 40; t++) stepBoth(ref, rv, flat, fv, shapes, rng);
              expect(bits(fv), `${JSON.stringify(shapes)} ${JSON.stringify(o)}`).to.deep.equal(bits(rv));
              expect(values(fv)).to.not.deep.equal(values(makeVars(shapes, 1))); // it moved
              expect(savedEntries(flat)).to.deep.equal(savedEntries(ref));
            } finally {
              ref.dispose();
              flat.dispose();
              tf.dispose([...rv, ...fv]);
            }
          }
      });

      it('with one buffer per network (groups) it is still tf.train.adam bit for bit, saves the same state and runs 17 kernels per network', async () => {
        const shapes = [...SHAPES[0]!, ...SHAPES[2]!];
        const rv = makeVars(shapes, 6);
        const fv = makeVars(shapes, 6);
        const ref = makeAdam(OPTIONS[1]!);
        const flat = new FlatAdam(OPTIONS[1]!, [fv.slice(0, 4), fv.slice(4)]);
        try {
          const rng = new Rng(8);
          for (let t = 0; t < 25; t++) stepBoth(ref, rv, flat, fv, shapes, rng);
          expect(bits(fv)).to.deep.equal(bits(rv));
          expect(savedEntries(flat)).to.deep.equal(savedEntries(ref));
          const g = gradData(shapes, rng);
          const k = await kernelNames(() => tf.tidy(() => flat.applyGradients(named(fv, g))));
          expect(k.filter((n) => n !== 'Reshape').join(' ')).to.equal(`Sub Sub ${GROUP_KERNELS} ${GROUP_KERNELS} Multiply Multiply`);
        } finally {
          ref.dispose();
          flat.dispose();
          tf.dispose([...rv, ...fv]);
        }
      });

      it('resumes bit for bit from a tfjs optimizer snapshot and writes one tfjs resumes from (also before the first step)', () => {
        const shapes = SHAPES[0]!;
        for (const stepsBefore of [0, 13]) {
          const rv = makeVars(shapes, 2);
          const ref = makeAdam(OPTIONS[0]!);
          const rng = new Rng(3);
          const first = makeVars(shapes, 2);
          const firstFlat = new FlatAdam(OPTIONS[0]!, first);
          for (let t = 0; t < stepsBefore; t++) stepBoth(ref, rv, firstFlat, first, shapes, rng);
          // tfjs → FlatAdam, and FlatAdam → tfjs, on copies of the current weights
          const fv = makeVars(shapes, 2);
          const back = makeVars(shapes, 2);
          tf.tidy(() => {
            fv.forEach((v, i) => v.assign(rv[i]!));
            back.forEach((v, i) => v.assign(rv[i]!));
          });
          const flat = new FlatAdam(OPTIONS[0]!, fv);
          readFlatAdam(saved(ref), 'adam', flat);
          const backOpt = makeAdam(OPTIONS[0]!);
          readAdam(saved(firstFlat), 'adam', backOpt, back);
          try {
            const rng2 = new Rng(4);
            for (let t = 0; t < 20; t++) {
              const g = gradData(shapes, rng2);
              tf.tidy(() => {
                const gr = named(rv, g);
                ref.applyGradients(rv.map((v) => ({ name: v.name, tensor: gr[v.name]! })));
                flat.applyGradients(named(fv, g));
                const gb = named(back, g);
                backOpt.applyGradients(back.map((v) => ({ name: v.name, tensor: gb[v.name]! })));
              });
            }
            expect(bits(fv), `after ${stepsBefore} steps`).to.deep.equal(bits(rv));
            expect(bits(back), `after ${stepsBefore} steps`).to.deep.equal(bits(rv));
          } finally {
            [ref, firstFlat, flat, backOpt].forEach((o) => o.dispose());
            tf.dispose([...rv, ...first, ...fv, ...back]);
          }
        }
      });

      it('dispose() frees every tensor it made (constants, β powers, moments; also after a restore)', () => {
        const fv = makeVars(SHAPES[3]!, 1);
        const before = tf.memory().numTensors;
        const a = new FlatAdam(OPTIONS[0]!, [fv.slice(0, 2), fv.slice(2)]);
        tf.tidy(() => a.applyGradients(named(fv, gradData(SHAPES[3]!, new Rng(1)))));
        const b = new FlatAdam(OPTIONS[0]!, fv);
        readFlatAdam(saved(a), 'adam', b);
        tf.tidy(() => b.applyGradients(named(fv, gradData(SHAPES[3]!, new Rng(2)))));
        a.dispose();
        b.dispose();
        expect(tf.memory().numTensors).to.equal(before);
        tf.dispose(fv);
      });

      it('refuses a missing gradient, a restore after a step and saved moments that do not fit', () => {
        const shapes = SHAPES[0]!;
        const a = makeVars(shapes, 5);
        const b = makeVars([[3, 4], [4], [4, 3], [3]], 5);
        const fa = new FlatAdam(OPTIONS[0]!, a);
        const fb = new FlatAdam(OPTIONS[0]!, b);
        try {
          expect(() => tf.tidy(() => fa.applyGradients({ [a[0]!.name]: tf.zeros(a[0]!.shape) }))).to.throw(
            InternalError,
            /no gradient for variable/,
          );
          tf.tidy(() => fa.applyGradients(named(a, gradData(shapes, new Rng(1)))));
          expect(() => readFlatAdam(saved(fa), 'adam', fb)).to.throw(
            ModelFormatError,
            /saved moment 2 has shape \[4,2\], the variable \[4,3\]/,
          );
          expect(() => readFlatAdam(saved(fa), 'adam', fa)).to.throw(ModelFormatError, /has taken no step/);
          const single = new FlatAdam(OPTIONS[0]!, [a[1]!]);
          expect(() => readFlatAdam(saved(fa), 'adam', single)).to.throw(ModelFormatError, /moments for 4 variables; this one optimizes 1/);
          single.dispose();
        } finally {
          fa.dispose();
          fb.dispose();
          tf.dispose([...a, ...b]);
        }
      });

      it('polyakUpdate over several networks equals the per-variable form bit for bit', () => {
        const layers = [
          [3, 8, 8, 1],
          [4, 130, 130, 2], // a large matrix: averaged on its own
          [3, 8, 8, 1],
        ];
        const src = layers.map((l, i) => new TfMlp(initMlp(l, new Rng(10 + i))));
        const fused = layers.map((l, i) => new TfMlp(initMlp(l, new Rng(20 + i)), false));
        const plain = layers.map((l, i) => new TfMlp(initMlp(l, new Rng(20 + i)), false));
        const tau = tf.scalar(0.005);
        try {
          for (let t = 0; t < 10; t++) {
            // move the sources so every step averages toward new values
            tf.tidy(() => src.forEach((s) => s.vars().forEach((v) => v.assign(tf.add(v, tf.mul(tf.scalar(0.1), tf.sin(tf.add(v, t))))))));
            polyakUpdate(fused, src, tau);
            tf.tidy(() =>
              plain.forEach((p, j) => p.vars().forEach((w, i) => w.assign(tf.add(w, tf.mul(tau, tf.sub(src[j]!.vars()[i]!, w)))))),
            );
          }
          fused.forEach((f, j) => expect(bits(f.vars()), `network ${j}`).to.deep.equal(bits(plain[j]!.vars())));
          expect(() => polyakUpdate([fused[0]!], [src[1]!], tau)).to.throw(
            /polyakUpdate: target variable 0 has shape \[3,8\], its source \[4,130\]/,
          );
        } finally {
          [...src, ...fused, ...plain].forEach((n) => n.dispose());
          tau.dispose();
        }
      });

      it('keeps a large variable out of the shared buffer (per-variable ops for it, no concat or split), bit for bit the same', async () => {
        const shapes = SHAPES[3]!;
        expect(130 * 130).to.be.at.least(FLAT_MAX_SIZE);
        const fv = makeVars(shapes, 9);
        const flat = new FlatAdam(OPTIONS[0]!, fv);
        const src = new TfMlp(initMlp([4, 130, 130, 1], new Rng(1)));
        const dst = new TfMlp(initMlp([4, 130, 130, 1], new Rng(2)), false);
        const tau = tf.scalar(0.5);
        try {
          const g = gradData(shapes, new Rng(1));
          const k = await kernelNames(() => tf.tidy(() => flat.applyGradients(named(fv, g))));
          const own = 'Multiply Multiply Add Multiply Square Multiply Add RealDiv RealDiv Sqrt Add RealDiv Multiply Add';
          expect(k.filter((n) => n !== 'Reshape').join(' ')).to.equal(`Sub Sub ${GROUP_KERNELS} ${own} Multiply Multiply`);
          const p = await kernelNames(() => polyakUpdate([dst], [src], tau));
          expect(p.filter((n) => n !== 'Reshape')).to.deep.equal([
            'Concat',
            'Concat',
            'Sub',
            'Multiply',
            'Add',
            'SplitV',
            'Sub',
            'Multiply',
            'Add',
          ]);
        } finally {
          flat.dispose();
          tf.dispose([...fv, tau]);
          [src, dst].forEach((n) => n.dispose());
        }
      });

      it('runs a fixed number of kernels per step whatever the number of layers (plus three zero-copy reshapes per variable)', async () => {
        for (const hidden of [[8], [8, 8, 8, 8]]) {
          const net = new TfMlp(initMlp([3, ...hidden, 1], new Rng(1)));
          const target = new TfMlp(initMlp([3, ...hidden, 1], new Rng(2)), false);
          const opt = new FlatAdam(OPTIONS[0]!, net.vars());
          const tau = tf.scalar(0.01);
          const g = gradData(
            net.vars().map((v) => v.shape),
            new Rng(3),
          );
          try {
            const N = net.vars().length;
            for (let t = 0; t < 2; t++) {
              // the first step also creates the moments (zeros are uploads, not kernels); the gradients are uploads too
              const adam = await kernelNames(() => tf.tidy(() => opt.applyGradients(named(net.vars(), g))));
              // concat gradients and values; 1 − β1ᵗ, 1 − β2ᵗ; m; v; the step; split; β·ᵗ⁺¹
              expect(adam.filter((k) => k !== 'Reshape').join(' '), `${N} variables`).to.equal(
                `Sub Sub ${GROUP_KERNELS} Multiply Multiply`,
              );
              expect(adam.filter((k) => k === 'Reshape').length).to.equal(3 * N);
            }
            const polyak = await kernelNames(() => polyakUpdate([target], [net], tau));
            expect(polyak.filter((k) => k !== 'Reshape')).to.deep.equal(['Concat', 'Concat', 'Sub', 'Multiply', 'Add', 'SplitV']);
            expect(polyak.length).to.equal(6 + 3 * N);
          } finally {
            [net, target].forEach((n) => n.dispose());
            opt.dispose();
            tau.dispose();
          }
        }
      });
    });
  }
});
