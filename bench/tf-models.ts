/**
 * The benchmark models evaluated in-process with TensorFlow.js: the same function as the exported
 * graph's greedy `action`, with the parameters uploaded once and held as tensors (the fair
 * comparison; models/gmmqf/tf.ts `qValuesTf` and models/dqn/tf.ts `dqnQValuesTf`, which `gmmrl
 * verify` uses, upload the parameters on every call and would flatter ONNX Runtime).
 *
 * One call = observation tensor from a Float32Array, the ops, one host read (dataSync) of the
 * greedy actions: Int32Array indices (Q families) or Float32Array env actions [n·A] (actors).
 *
 *   gmmqf          z = (s − offset)/scale; q = exp(−½‖(z − m_k) W_kᵀ‖²)ᵀ · ξ; argmax  (models/gmmqf/tf.ts ops, [K, n, D])
 *   dqn            MLP (fused matMul + bias + ReLU); argmax
 *   mixture-actor  MLP → [logits | μ | ρ]; k* = argmax logits; low + (tanh μ_k* + 1)(high − low)/2
 *   gamid-actor    μ_i = tanh(MLP_i(z)); q_i = Q₁([z, μ_i]); i* = argmax q; low + (μ_i* + 1)(high − low)/2
 *
 * Call with the TensorFlow.js backend already selected; `dispose()` before switching backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { transposedFactors, type MlpParams, FAMILY } from 'gmmrl';
import type { BenchModel } from './models.js';

export interface TfTwin {
  /** Greedy actions of n observations [n·D]. */
  act(obs: Float32Array, n: number): Int32Array | Float32Array;
  dispose(): void;
}

const f32 = (a: ArrayLike<number>) => Float32Array.from(a);

interface TfMlpConst {
  W: tf.Tensor2D[];
  b: tf.Tensor1D[];
}

function mlpConst(p: MlpParams): TfMlpConst {
  const W: tf.Tensor2D[] = [];
  const b: tf.Tensor1D[] = [];
  for (let l = 0; l + 1 < p.layers.length; l++) {
    W.push(tf.tensor2d(f32(p.weights[l]!), [p.layers[l]!, p.layers[l + 1]!]));
    b.push(tf.tensor1d(f32(p.biases[l]!)));
  }
  return { W, b };
}

function mlpForward(m: TfMlpConst, x: tf.Tensor2D): tf.Tensor2D {
  const L = m.W.length;
  let h = x;
  for (let l = 0; l < L; l++)
    h = tf.fused.matMul({ a: h, b: m.W[l]!, bias: m.b[l]!, activation: l < L - 1 ? 'relu' : 'linear' }) as tf.Tensor2D;
  return h;
}

/**
 * Row-wise selection x[i, k[i], :] of x [n, K, A] as Σ_k onehot(k)·x (tf.gather with batchDims
 * crashes the tfjs wasm backend 4.22 with "memory access out of bounds").
 */
function pick(x: tf.Tensor, k: tf.Tensor, K: number): tf.Tensor2D {
  const [n, , A] = x.shape as [number, number, number];
  return tf.reshape(tf.sum(tf.mul(tf.reshape(tf.oneHot(k as tf.Tensor1D, K), [n, K, 1]), x), 1), [n, A]) as tf.Tensor2D;
}

function read<T extends Int32Array | Float32Array>(t: tf.Tensor): T {
  const d = t.dataSync() as T;
  t.dispose();
  return d;
}

export function makeTfTwin(model: BenchModel): TfTwin {
  const spec = model.spec;
  const D = model.obsSize;
  const keep: tf.Tensor[] = [];
  const k = <T extends tf.Tensor>(t: T): T => {
    keep.push(t);
    return t;
  };
  const dispose = () => tf.dispose(keep);
  switch (spec.family) {
    case FAMILY.gmmqf: {
      const p = spec.params;
      const off = k(tf.tensor1d(f32(p.obsOffset)));
      const scale = k(tf.tensor1d(f32(p.obsScale)));
      const means = k(tf.tensor3d(f32(p.means), [p.K, 1, p.D]));
      const factorsT = k(tf.tensor3d(transposedFactors(p), [p.K, p.D, p.D]));
      const weights = k(tf.tensor2d(f32(p.weights), [p.K, p.A]));
      const half = k(tf.scalar(-0.5));
      return {
        act: (obs, n) =>
          read<Int32Array>(
            tf.tidy(() => {
              const z = tf.div(tf.sub(tf.tensor2d(obs, [n, D]), off), scale);
              const diff = tf.sub(tf.expandDims(z, 0), means); // [K, n, D], as the graph
              const y = tf.matMul(diff, factorsT);
              const g = tf.exp(tf.mul(tf.sum(tf.mul(y, y), 2), half));
              return tf.argMax(tf.matMul(g, weights, true, false), 1);
            }),
          ),
        dispose,
      };
    }
    case FAMILY.dqn: {
      const p = spec.params;
      const off = k(tf.tensor1d(f32(p.obsOffset)));
      const scale = k(tf.tensor1d(f32(p.obsScale)));
      const mlp = mlpConst(p);
      keep.push(...mlp.W, ...mlp.b);
      return {
        act: (obs, n) =>
          read<Int32Array>(
            tf.tidy(() => tf.argMax(mlpForward(mlp, tf.div(tf.sub(tf.tensor2d(obs, [n, D]), off), scale) as tf.Tensor2D), 1)),
          ),
        dispose,
      };
    }
    case FAMILY.mixtureActor: {
      const p = spec.params;
      const { K, A } = p.head;
      const off = k(tf.tensor1d(f32(p.obsOffset)));
      const scale = k(tf.tensor1d(f32(p.obsScale)));
      const low = k(tf.tensor1d(f32(p.actionLow)));
      const halfRange = k(tf.tensor1d(f32(Array.from(p.actionHigh, (h, d) => 0.5 * (h - p.actionLow[d]!)))));
      const mlp = mlpConst(p.trunk);
      keep.push(...mlp.W, ...mlp.b);
      const learned = p.head.weights === 'learned';
      const nl = learned ? K : 0;
      return {
        act: (obs, n) =>
          read<Float32Array>(
            tf.tidy(() => {
              const out = mlpForward(mlp, tf.div(tf.sub(tf.tensor2d(obs, [n, D]), off), scale) as tf.Tensor2D);
              const mu = tf.reshape(tf.slice(out, [0, nl], [n, K * A]), [n, K, A]);
              const kStar = learned ? tf.argMax(tf.slice(out, [0, 0], [n, K]), 1) : tf.zeros([n], 'int32');
              const m = pick(mu, kStar, K);
              return tf.add(low, tf.mul(tf.add(tf.tanh(m), 1), halfRange));
            }),
          ),
        dispose,
      };
    }
    case FAMILY.gamidActor: {
      const p = spec.params;
      const C = p.actors.length;
      const A = p.actionLow.length;
      const off = k(tf.tensor1d(f32(p.obsOffset)));
      const scale = k(tf.tensor1d(f32(p.obsScale)));
      const low = k(tf.tensor1d(f32(p.actionLow)));
      const halfRange = k(tf.tensor1d(f32(Array.from(p.actionHigh, (h, d) => 0.5 * (h - p.actionLow[d]!)))));
      const actors = p.actors.map(mlpConst);
      const critic = mlpConst(p.critic);
      for (const m of [...actors, critic]) keep.push(...m.W, ...m.b);
      return {
        act: (obs, n) =>
          read<Float32Array>(
            tf.tidy(() => {
              const z = tf.div(tf.sub(tf.tensor2d(obs, [n, D]), off), scale) as tf.Tensor2D;
              const mu = tf.stack(
                actors.map((m) => tf.tanh(mlpForward(m, z))),
                1,
              ) as tf.Tensor3D; // [n, C, A]
              const zc = tf.tile(tf.expandDims(z, 1), [1, C, 1]); // [n, C, D]
              const q = tf.reshape(mlpForward(critic, tf.reshape(tf.concat([zc, mu], 2), [n * C, D + A]) as tf.Tensor2D), [n, C]);
              const a = pick(mu, tf.argMax(q, 1), C);
              return tf.add(low, tf.mul(tf.add(a, 1), halfRange));
            }),
          ),
        dispose,
      };
    }
  }
}
