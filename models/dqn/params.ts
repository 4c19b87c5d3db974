/**
 * DQN parameters: a multilayer perceptron Q-network with ReLU hidden layers.
 *
 *   z   = (s − offset) / scale
 *   h₀  = z
 *   hₗ₊₁ = relu(hₗ Wₗ + bₗ)            l = 0 … L−2   (hidden layers)
 *   q   = h_{L−1} W_{L−1} + b_{L−1}     (linear output, one entry per action)
 *
 * with layer sizes `layers = [D, H₁, …, A]` (L = layers.length − 1 weight matrices). Weights are
 * stored [in, out] row-major, so a batch of row vectors is multiplied as x · W: exactly the ONNX
 * graph's MatMul and TensorFlow.js's matMul, no transposes anywhere. All arrays are float64.
 *
 * The network is an MLP of models/actor-critic/mlp.ts (the one MLP of the package: float64 forward
 * `mlpLayerOutputs`, TensorFlow.js `TfMlp`); a DqnParams adds the observation normalization and the
 * action grid.
 */
import { ShapeError, ValueError, describeValue } from '../../contract/errors.js';
import type { ActionGrid } from '../gmmqf/params.js';
import { cloneMlp, heUniformMlp, mlpParameterCount, type MlpParams } from '../actor-critic/mlp.js';

export type { ActionGrid };

export interface DqnParams extends MlpParams {
  /** Layer sizes [D, hidden…, A]: D observation entries, A actions (grid points for a grid). */
  readonly layers: readonly number[];
  /** weights[l]: [layers[l], layers[l+1]], row-major (input index major). */
  readonly weights: readonly Float64Array[];
  /** biases[l]: [layers[l+1]]. */
  readonly biases: readonly Float64Array[];
  /** Observation normalization z = (s − offset) / scale, [D] each; scale > 0. */
  readonly obsOffset: Float64Array;
  readonly obsScale: Float64Array;
  /** Present when the actions are points of a grid over a continuous action space. */
  readonly actionGrid?: ActionGrid;
}

/** Hidden-layer activation of every DQN network (recorded in checkpoints and ONNX metadata). */
export const DQN_ACTIVATION = 'relu';

/** Human-readable formula, written into checkpoints. */
export const DQN_FORMULA = 'q = relu(...relu(z W_0 + b_0)...) W_{L-1} + b_{L-1}, z = (s - offset) / scale; weights stored [in, out]';

/** Trainable parameters of an MLP with these layer sizes: Σ (inₗ·outₗ + outₗ). Normalization is not counted. */
export function dqnParameterCount(layers: readonly number[]): number {
  return mlpParameterCount(layers);
}

/** A deep copy (typed arrays copied; the grid is immutable and shared). */
export function cloneDqnParams(p: DqnParams): DqnParams {
  return {
    ...cloneMlp(p),
    obsOffset: p.obsOffset.slice(),
    obsScale: p.obsScale.slice(),
    ...(p.actionGrid ? { actionGrid: p.actionGrid } : {}),
  };
}

/**
 * Checks layer sizes, array lengths, finiteness and scale > 0. Throws ShapeError / ValueError naming
 * `where`, the field, the value and what is expected.
 */
export function checkDqnParams(p: DqnParams, where: string): void {
  if (typeof p !== 'object' || p === null) throw new ValueError(`${where}: params must be a DqnParams object, got ${describeValue(p)}.`);
  const layers = p.layers as unknown;
  if (!Array.isArray(layers) || layers.length < 2) {
    throw new ValueError(`${where}: layers must be an array [D, hidden…, A] of at least 2 sizes, got ${describeValue(layers)}.`);
  }
  for (const [i, s] of (layers as unknown[]).entries()) {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 1) {
      throw new ValueError(`${where}: layers[${i}] = ${describeValue(s)}; every layer size must be a positive integer.`);
    }
  }
  const L = p.layers.length - 1;
  for (const field of ['weights', 'biases'] as const) {
    const arr = p[field] as unknown;
    if (!Array.isArray(arr) || arr.length !== L) {
      throw new ShapeError(
        `${where}: ${field} must be an array of ${L} Float64Array (one per layer of [${p.layers.join(', ')}]), got ${describeValue(arr)}.`,
      );
    }
  }
  const check = (a: unknown, len: number, name: string, shape: string): void => {
    if (!(a instanceof Float64Array) && !(a instanceof Float32Array)) {
      throw new ValueError(`${where}: ${name} must be a Float64Array of shape ${shape}, got ${describeValue(a)}.`);
    }
    if (a.length !== len) throw new ShapeError(`${where}: ${name} has length ${a.length}, expected ${len} (shape ${shape}).`);
    for (let i = 0; i < len; i++) {
      if (!Number.isFinite(a[i]))
        throw new ValueError(`${where}: ${name}[${i}] is ${describeValue(a[i])}; all parameters must be finite numbers.`);
    }
  };
  for (let l = 0; l < L; l++) {
    const n = p.layers[l]!;
    const m = p.layers[l + 1]!;
    check(p.weights[l], n * m, `weights[${l}]`, `[${n}, ${m}]`);
    check(p.biases[l], m, `biases[${l}]`, `[${m}]`);
  }
  const D = p.layers[0]!;
  check(p.obsOffset, D, 'obsOffset', `[D=${D}]`);
  check(p.obsScale, D, 'obsScale', `[D=${D}]`);
  for (let j = 0; j < D; j++) {
    if (!(p.obsScale[j]! > 0)) {
      throw new ValueError(`${where}: obsScale[${j}] = ${p.obsScale[j]} must be > 0: z = (obs − offset) / scale.`);
    }
  }
}

/**
 * Seeded initial parameters for layer sizes `layers` (no use of TensorFlow.js's global random state):
 * He-uniform hidden layers, a Glorot-uniform output layer, biases 0 (`heUniformMlp`). Draws from
 * `rng.uniform()` in a fixed order (layer by layer, row-major), so one seed gives one network.
 */
export function initDqnParams(
  layers: readonly number[],
  rng: { uniform(): number },
  normalization: { obsOffset: Float64Array; obsScale: Float64Array },
  actionGrid?: ActionGrid,
): DqnParams {
  return {
    ...heUniformMlp(layers, rng),
    obsOffset: normalization.obsOffset.slice(),
    obsScale: normalization.obsScale.slice(),
    ...(actionGrid ? { actionGrid } : {}),
  };
}
