/**
 * Multilayer perceptrons shared by the actor-critic families (mixture actors, Gamid actors, critics).
 *
 *   h₀ = x;  hₗ₊₁ = relu(hₗ Wₗ + bₗ) for the hidden layers;  y = h_{L−1} W_{L−1} + b_{L−1} (linear output)
 *
 * Layer sizes `layers = [in, hidden…, out]`; weights stored [in, out] row-major, so a batch of row
 * vectors is multiplied as x · W (TensorFlow.js matMul and ONNX MatMul alike, no transposes).
 * Parameters on the host are float64; the float64 forward pass here is the reference the training
 * code, the exporters and the parity checks compare against.
 */
import { ShapeError, ValueError, describeValue } from '../../contract/errors.js';

export interface MlpParams {
  /** [in, hidden…, out]: at least 2 sizes. */
  readonly layers: readonly number[];
  /** weights[l]: [layers[l], layers[l+1]], row-major. */
  readonly weights: readonly Float64Array[];
  /** biases[l]: [layers[l+1]]. */
  readonly biases: readonly Float64Array[];
}

/** Hidden-layer activation of every actor-critic MLP. */
export const MLP_ACTIVATION = 'relu';

/** Σ (inₗ·outₗ + outₗ). */
export function mlpParameterCount(layers: readonly number[]): number {
  let n = 0;
  for (let l = 0; l + 1 < layers.length; l++) n += layers[l]! * layers[l + 1]! + layers[l + 1]!;
  return n;
}

export function cloneMlp(p: MlpParams): MlpParams {
  return { layers: [...p.layers], weights: p.weights.map((w) => w.slice()), biases: p.biases.map((b) => b.slice()) };
}

/** Checks sizes, lengths and finiteness; errors name `where`, the field and the value. */
export function checkMlp(p: MlpParams, where: string): void {
  if (typeof p !== 'object' || p === null)
    throw new ValueError(`${where}: expected an MLP {layers, weights, biases}; got ${describeValue(p)}.`);
  const layers = p.layers as unknown;
  if (!Array.isArray(layers) || layers.length < 2 || !layers.every((s) => Number.isSafeInteger(s) && (s as number) >= 1)) {
    throw new ValueError(`${where}: layers must be [in, hidden…, out], at least 2 positive integers; got ${describeValue(layers)}.`);
  }
  const L = layers.length - 1;
  if (!Array.isArray(p.weights) || p.weights.length !== L || !Array.isArray(p.biases) || p.biases.length !== L) {
    throw new ShapeError(
      `${where}: weights and biases must hold ${L} arrays each (layers [${layers.join(', ')}]); got ${p.weights?.length} and ${p.biases?.length}.`,
    );
  }
  for (let l = 0; l < L; l++) {
    for (const [name, arr, len] of [
      [`weights[${l}]`, p.weights[l], layers[l] * layers[l + 1]],
      [`biases[${l}]`, p.biases[l], layers[l + 1]],
    ] as const) {
      if (!(arr instanceof Float64Array) || arr.length !== len) {
        throw new ShapeError(`${where}: ${name} must be a Float64Array of length ${len}; got ${describeValue(arr)}.`);
      }
      for (let i = 0; i < len; i++) {
        if (!Number.isFinite(arr[i]))
          throw new ValueError(
            `${where}: ${name}[${i}] is ${arr[i]}; every parameter must be finite (the training diverged: lower the learning rate).`,
          );
      }
    }
  }
}

/** How drawMlp fills one layer: `weight()` once per weight (row-major), then `bias()` once per bias (none: biases 0, nothing drawn). */
export interface MlpLayerDraws {
  weight(): number;
  bias?(): number;
}

/**
 * An MLP [layers] drawn layer by layer: `layer(fan_in, fan_out, last)` gives the draws of each
 * layer (`last`: the linear output layer), called in order — its weights row-major, then its
 * biases — so one seeded stream gives one network. Every seeded initialization here is one.
 */
export function drawMlp(layers: readonly number[], layer: (nin: number, nout: number, last: boolean) => MlpLayerDraws): MlpParams {
  const weights: Float64Array[] = [];
  const biases: Float64Array[] = [];
  const L = layers.length - 1;
  for (let l = 0; l < L; l++) {
    const nin = layers[l]!;
    const nout = layers[l + 1]!;
    const draws = layer(nin, nout, l === L - 1);
    const w = new Float64Array(nin * nout);
    for (let i = 0; i < w.length; i++) w[i] = draws.weight();
    const b = new Float64Array(nout);
    if (draws.bias) for (let i = 0; i < nout; i++) b[i] = draws.bias();
    weights.push(w);
    biases.push(b);
  }
  return { layers: [...layers], weights, biases };
}

/**
 * Seeded initialization, PyTorch's `nn.Linear` default (what CleanRL's SAC and TD3 use):
 * W, b ~ U(−1/√fan_in, 1/√fan_in), drawn layer by layer (W row-major, then b) from `rng.uniform()`.
 * `outputScale` multiplies the last layer's weights and biases (e.g. 1e-3 for a policy head that
 * should start near its mean action).
 */
export function initMlp(layers: readonly number[], rng: { uniform(): number }, outputScale = 1): MlpParams {
  return drawMlp(layers, (nin, _nout, last) => {
    const bound = (1 / Math.sqrt(nin)) * (last ? outputScale : 1);
    const u = (): number => bound * (2 * rng.uniform() - 1);
    return { weight: u, bias: u };
  });
}

/**
 * He/Glorot-uniform initialization for ReLU networks, drawn layer by layer from `rng.uniform()`:
 *   hidden layers (followed by ReLU): He-uniform     W ~ U(−√(6/fan_in), √(6/fan_in))
 *   output layer (linear):            Glorot-uniform W ~ U(−√(6/(fan_in + fan_out)), +…) × `outputScale`
 * then the layer's biases from `bias()` (none: 0, nothing drawn).
 */
export function heUniformMlp(layers: readonly number[], rng: { uniform(): number }, outputScale = 1, bias?: () => number): MlpParams {
  return drawMlp(layers, (nin, nout, last) => {
    const limit = last ? outputScale * Math.sqrt(6 / (nin + nout)) : Math.sqrt(6 / nin);
    return { weight: () => limit * (2 * rng.uniform() - 1), ...(bias ? { bias } : {}) };
  });
}

/**
 * Float64 forward pass for n rows of x [n, in]: every layer's output (after ReLU for the hidden
 * layers; the last is the network's output [n, out]). ReLU maps anything not > 0 to +0.
 */
export function mlpLayerOutputs(p: Pick<MlpParams, 'layers' | 'weights' | 'biases'>, x: ArrayLike<number>, n: number): Float64Array[] {
  const L = p.layers.length - 1;
  const outs: Float64Array[] = [];
  let h: ArrayLike<number> = x;
  for (let l = 0; l < L; l++) {
    const nin = p.layers[l]!;
    const nout = p.layers[l + 1]!;
    const W = p.weights[l]!;
    const b = p.biases[l]!;
    const y = new Float64Array(n * nout);
    for (let r = 0; r < n; r++) {
      const yo = r * nout;
      for (let j = 0; j < nout; j++) y[yo + j] = b[j]!;
      for (let i = 0; i < nin; i++) {
        const xi = h[r * nin + i]!;
        if (xi === 0) continue;
        const wo = i * nout;
        for (let j = 0; j < nout; j++) y[yo + j]! += xi * W[wo + j]!;
      }
      if (l < L - 1) for (let j = 0; j < nout; j++) if (!(y[yo + j]! > 0)) y[yo + j] = 0;
    }
    outs.push(y);
    h = y;
  }
  return outs;
}

/** Float64 forward pass for n rows of x [n, in] → [n, out]. */
export function mlpForward(p: MlpParams, x: ArrayLike<number>, n: number): Float64Array {
  return mlpLayerOutputs(p, x, n).at(-1)!;
}
