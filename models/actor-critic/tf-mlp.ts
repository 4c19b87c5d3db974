/**
 * MLPs in TensorFlow.js core ops, written for the update step's speed.
 *
 * Why a custom dense layer: on the wasm backend only the plain 2-D matMul (no transpose flags, no
 * batch dimension) runs through XNNPACK; the transposed and batched forms that tfjs's own matMul
 * gradient uses are much slower (`node dist/bench/ac-updates.js` measures every form; README, "Backends"). `dense` has the same forward
 * pass as `tf.fused.matMul` (bias and ReLU fused) and a gradient that transposes explicitly and
 * then calls the fast kernel: dX = dZ · transpose(W), dW = transpose(X) · dZ, db = Σ_rows dZ, with
 * dZ = dY ⊙ [Y > 0] after a ReLU.
 *
 * Three ways to run a network, by which gradients the caller needs:
 * - `forward(x)`: gradients for the inputs and the parameters (training this network),
 * - `forwardInputGrad(x)`: gradients for the inputs only (the critic inside the actor's loss; the
 *   weight gradients, a third of the backward cost, are never computed),
 * - `forwardConst(x)`: no gradients (target networks, acting).
 * And one that follows an exported graph op for op:
 * - `forwardGraph(x)`: per layer matMul(x, W), add(·, b), relu (not on the output layer), exactly
 *   the ONNX graph's MatMul/Add/Relu sequence, with tfjs's own gradients. The DQN learner trains on
 *   it, so its Q values equal `dqnQValuesTf` (models/dqn/tf.ts, the same `graphLayers`) bit for bit.
 *
 * The float64 reference of every one of these is models/actor-critic/mlp.ts's `mlpForward`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../../contract/errors.js';
import { checkMlp, type MlpParams } from './mlp.js';

type Act = 'relu' | 'linear';

/**
 * Bench-only switch: while `enabled` is false, polyakUpdate averages variable by variable and
 * sdk/algorithms/learners/tf-adam.ts's FlatAdam delegates to tfjs's per-variable AdamOptimizer, so
 * bench/ac-updates.ts can time the old path beside the fused one in one run (weights are the same
 * bits either way). FlatAdam reads it when it is built, polyakUpdate on every call.
 */
export const fusedUpdates = { enabled: true };

/**
 * The buffers of one network: its small variables together, in order, and every variable of
 * FLAT_MAX_SIZE elements or more alone. Why: the flat layout saves kernel dispatches, which is what
 * small tensors cost, but getting the parts back out costs a copy, and on wasm every part of a
 * split copies the whole input (tfjs's wasm Slice reads its input back with HEAPU8.slice); a
 * large matrix's own ops are arithmetic-bound, so it gains nothing from sharing a buffer.
 */
export function flatGroups<T extends { size: number }>(vars: readonly T[]): T[][] {
  const small = vars.filter((v) => v.size < FLAT_MAX_SIZE);
  const large = vars.filter((v) => v.size >= FLAT_MAX_SIZE).map((v) => [v]);
  return small.length > 0 ? [small, ...large] : large;
}

/** Variables with at least this many elements get buffers of their own (flatGroups). */
export const FLAT_MAX_SIZE = 16384;

function reluGrad(dy: tf.Tensor2D, y: tf.Tensor2D, act: Act): tf.Tensor2D {
  return act === 'relu' ? (tf.mul(dy, tf.step(y)) as tf.Tensor2D) : dy;
}

/** y = act(x W + b) with fast-kernel gradients for x, W and b. */
function denseFull(x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D, act: Act): tf.Tensor2D {
  const f = tf.customGrad((xx, ww, bb, save) => {
    const y = tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb as tf.Tensor, activation: act });
    (save as (ts: tf.Tensor[]) => void)([xx as tf.Tensor, ww as tf.Tensor, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw, sy] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const dz = reluGrad(dy as tf.Tensor2D, sy, act);
        return [tf.matMul(dz, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dz), tf.sum(dz, 0)];
      },
    };
  });
  return f(x, W, b) as tf.Tensor2D;
}

/** y = act(x W + b) with W and b treated as constants: only dX is computed. */
function denseInput(x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D, act: Act): tf.Tensor2D {
  const f = tf.customGrad((xx, save) => {
    const y = tf.fused.matMul({ a: xx as tf.Tensor2D, b: W, bias: b, activation: act });
    (save as (ts: tf.Tensor[]) => void)([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        tf.matMul(reluGrad(dy as tf.Tensor2D, saved[0] as tf.Tensor2D, act), tf.transpose(W)),
      ],
    };
  });
  return f(x) as tf.Tensor2D;
}

/**
 * y = hidden layers relu(x W + b), then x W + b, with separate matMul, add and relu ops (the exported
 * graph's op order). Must run inside tf.tidy.
 */
export function graphLayers(x: tf.Tensor2D, W: readonly tf.Tensor2D[], b: readonly tf.Tensor1D[]): tf.Tensor2D {
  const L = W.length;
  let h = x;
  for (let l = 0; l < L; l++) {
    const y = tf.add(tf.matMul(h, W[l]!), b[l]!) as tf.Tensor2D;
    h = l < L - 1 ? tf.relu(y) : y;
  }
  return h;
}

/** An MLP held as tf.Variables (float32), for every tfjs learner (DQN and the actor-critics). Call `dispose()` when done. */
export class TfMlp {
  readonly layers: readonly number[];
  readonly W: tf.Variable<tf.Rank.R2>[] = [];
  readonly b: tf.Variable<tf.Rank.R1>[] = [];

  constructor(p: MlpParams, trainable = true, name?: string) {
    checkMlp(p, name ?? 'TfMlp');
    this.layers = [...p.layers];
    tf.tidy(() => {
      for (let l = 0; l + 1 < p.layers.length; l++) {
        this.W.push(tf.variable(tf.tensor2d(Float32Array.from(p.weights[l]!), [p.layers[l]!, p.layers[l + 1]!]), trainable));
        this.b.push(tf.variable(tf.tensor1d(Float32Array.from(p.biases[l]!)), trainable));
      }
    });
  }

  get inputSize(): number {
    return this.layers[0]!;
  }

  get outputSize(): number {
    return this.layers[this.layers.length - 1]!;
  }

  private check(x: tf.Tensor2D): void {
    if (x.rank !== 2 || x.shape[1] !== this.inputSize) {
      throw new ShapeError(`TfMlp: input must be [N, ${this.inputSize}]; got [${x.shape}].`);
    }
  }

  private run(x: tf.Tensor2D, layer: (x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D, act: Act) => tf.Tensor2D): tf.Tensor2D {
    this.check(x);
    const L = this.W.length;
    let h = x;
    for (let l = 0; l < L; l++) h = layer(h, this.W[l]!, this.b[l]!, l < L - 1 ? 'relu' : 'linear');
    return h;
  }

  /** Forward pass whose gradients reach the inputs and the parameters. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return this.run(x, denseFull);
  }

  /** Forward pass whose gradients reach the inputs only. */
  forwardInputGrad(x: tf.Tensor2D): tf.Tensor2D {
    return this.run(x, denseInput);
  }

  /** Forward pass without gradients. */
  forwardConst(x: tf.Tensor2D): tf.Tensor2D {
    return this.run(x, (h, W, b, act) => tf.fused.matMul({ a: h, b: W, bias: b, activation: act }) as tf.Tensor2D);
  }

  /** Forward pass in the exported graph's op order (matMul, add, relu), with tfjs autodiff gradients. */
  forwardGraph(x: tf.Tensor2D): tf.Tensor2D {
    this.check(x);
    return graphLayers(x, this.W, this.b);
  }

  vars(): tf.Variable[] {
    return [...this.W, ...this.b];
  }

  /** this ← src (same layer sizes). */
  copyFrom(src: TfMlp): void {
    tf.tidy(() => src.vars().forEach((v, i) => this.vars()[i]!.assign(v)));
  }

  /** Polyak averaging: this ← (1 − τ) this + τ src. Call inside a tidy or on its own. */
  polyakFrom(src: TfMlp, tau: number): void {
    tf.tidy(() => polyakUpdate([this], [src], tf.scalar(tau)));
  }

  /** The parameters as float64 (reads back). */
  params(): MlpParams {
    return {
      layers: [...this.layers],
      weights: this.W.map((v) => Float64Array.from(v.dataSync())),
      biases: this.b.map((v) => Float64Array.from(v.dataSync())),
    };
  }

  dispose(): void {
    tf.dispose(this.vars());
  }
}

/**
 * Polyak averaging of every target from its source, w ← w + τ (w_src − w) (the target networks'
 * θ' ← (1 − τ) θ' + τ θ), as one elementwise step on the concatenation of their small parameters:
 * concat, concat, sub, mul, add, split, whatever the number of networks and layers (plus zero-copy
 * reshapes), and sub, mul, add for each large one (flatGroups). Elementwise, so the same bits as
 * the per-variable form. `tau` is a float32 scalar the
 * caller keeps (uploaded once). Layer sizes must match pairwise.
 */
export function polyakUpdate(targets: readonly TfMlp[], sources: readonly TfMlp[], tau: tf.Scalar): void {
  if (targets.length !== sources.length) throw new ShapeError(`polyakUpdate: ${targets.length} targets for ${sources.length} sources.`);
  const own = targets.flatMap((t) => t.vars());
  const src = sources.flatMap((s) => s.vars());
  own.forEach((w, i) => {
    const v = src[i];
    if (v === undefined || v.size !== w.size)
      throw new ShapeError(`polyakUpdate: target variable ${i} has shape [${w.shape}], its source [${v?.shape ?? 'none'}].`);
  });
  if (src.length !== own.length) throw new ShapeError(`polyakUpdate: ${own.length} target variables for ${src.length} source variables.`);
  const one = (i: number) => own[i]!.assign(tf.add(own[i]!, tf.mul(tau, tf.sub(src[i]!, own[i]!))));
  tf.tidy(() => {
    if (!fusedUpdates.enabled) return own.forEach((_, i) => one(i));
    for (const g of flatGroups(own.map((w, i) => ({ size: w.size, i })))) {
      if (g.length === 1) {
        one(g[0]!.i);
        continue;
      }
      const flat = (vs: readonly tf.Variable[]) => tf.concat(g.map(({ i }) => tf.reshape(vs[i]!, [-1])));
      const w = flat(own);
      const next = tf.add(w, tf.mul(tau, tf.sub(flat(src), w)));
      tf.split(
        next,
        g.map((x) => x.size),
      ).forEach((part, k) => own[g[k]!.i]!.assign(tf.reshape(part, own[g[k]!.i]!.shape)));
    }
  });
}

/**
 * y = fn(x) computed off the tape: the gradient with respect to x is zero. For the discrete choices
 * inside a loss (component picks, argmax one-hots), whose ops (Equal, ArgMax, …) have no gradient.
 */
export function withoutGradient<T extends tf.Tensor>(fn: (x: tf.Tensor) => T, x: tf.Tensor): T {
  const f = tf.customGrad((xx, save) => {
    void save;
    return { value: fn(xx as tf.Tensor), gradFunc: (_dy: tf.Tensor) => [tf.zerosLike(xx as tf.Tensor)] };
  });
  return f(x) as T;
}

/** Gradient-blocking identity (tfjs has no stopGradient): the value of x, a zero gradient. */
export function stopGradient(x: tf.Tensor): tf.Tensor {
  return withoutGradient((v) => v.clone(), x);
}
