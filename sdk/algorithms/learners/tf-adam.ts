/**
 * The TensorFlow.js Adam optimizer as every tfjs learner builds it (DQN, the twin critics, the SAC,
 * TD3 and Gamid actors, the bandit actor), and the gradient list its applyGradients takes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelFormatError } from '../../../contract/errors.js';
import type { StateReader, StateWriter } from '../training-state.js';

/** Adam hyperparameters of a TensorFlow.js optimizer (defaults β = (0.9, 0.999), ε = 1e-8). */
export interface TfAdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** tf.train.adam with these options. */
export function makeAdam(o: TfAdamOptions): tf.AdamOptimizer {
  return tf.train.adam(o.learningRate, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.epsilon ?? 1e-8);
}

/**
 * The variables in the order `gradList(tf.variableGrads(f, vars).grads)` lists them: the order of
 * the keys of an object keyed by their names (tfjs names variables with increasing integers, which
 * JavaScript orders numerically, so this is their creation order, not `vars`'s). Adam keeps its
 * moments by position in that list.
 */
export function gradListOrder(vars: readonly tf.Variable[]): tf.Variable[] {
  const byName = Object.fromEntries(vars.map((v) => [v.name, v]));
  return Object.keys(byName).map((k) => byName[k]!);
}

/** A gradient map as the list Optimizer.applyGradients takes. */
export function gradList(grads: tf.NamedTensorMap): { name: string; tensor: tf.Tensor }[] {
  return Object.keys(grads).map((name) => ({ name, tensor: grads[name]! }));
}

// ---- exact save and restore (training snapshots) --------------------------------------------------

/** The fields of tfjs's AdamOptimizer a snapshot needs (not public API; the bit-identical resume specs, spec/sdk/algorithms/resume*.spec.ts, fail if they change). */
interface AdamInternals {
  iterations_: number | null;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

/** What saveAdamState writes, as plain data. */
export interface TfAdamState {
  iterations: number;
  /** β1ᵗ⁺¹ and β2ᵗ⁺¹ as the optimizer accumulated them (float32 products, not recomputed powers). */
  accBeta: Float32Array;
  moments: { shape: number[]; m: Float32Array; v: Float32Array }[];
}

/**
 * The optimizer's exact state: the step count, the accumulated β powers (tfjs multiplies them up in
 * float32 each step; setWeights would recompute them with pow, which differs in the last bits) and
 * both moments of every variable, in the order of the gradient list it is given.
 */
function saveAdamState(opt: tf.AdamOptimizer): TfAdamState {
  const o = opt as unknown as AdamInternals;
  const moments = o.accumulatedFirstMoment.map((m, i) => {
    const v = o.accumulatedSecondMoment[i]!;
    return { shape: [...m!.variable.shape], m: Float32Array.from(m!.variable.dataSync()), v: Float32Array.from(v.variable.dataSync()) };
  });
  return {
    iterations: o.iterations_ ?? 0,
    accBeta: Float32Array.of(o.accBeta1.dataSync()[0]!, o.accBeta2.dataSync()[0]!),
    moments,
  };
}

/** Sets a fresh optimizer (no step taken yet) to `st`; `vars` are the variables in gradient-list order (for the moments' names). */
function restoreAdamState(opt: tf.AdamOptimizer, st: TfAdamState, vars: readonly tf.Variable[], where: string): void {
  const o = opt as unknown as AdamInternals;
  if (o.accumulatedFirstMoment.length > 0)
    throw new ModelFormatError(`${where}: restoreAdamState needs an optimizer that has taken no step.`);
  if (st.moments.length !== 0 && st.moments.length !== vars.length)
    throw new ModelFormatError(
      `${where}: the saved optimizer has moments for ${st.moments.length} variables; this one optimizes ${vars.length}.`,
    );
  st.moments.forEach((mm, i) => {
    const shape = vars[i]!.shape;
    if (mm.shape.length !== shape.length || mm.shape.some((d, j) => d !== shape[j]))
      throw new ModelFormatError(`${where}: saved moment ${i} has shape [${mm.shape}], the variable [${shape}].`);
  });
  tf.tidy(() => {
    o.accBeta1.assign(tf.scalar(st.accBeta[0]!));
    o.accBeta2.assign(tf.scalar(st.accBeta[1]!));
  });
  o.accumulatedFirstMoment = st.moments.map((mm, i) => ({
    originalName: `${vars[i]!.name}/m`,
    variable: tf.tidy(() => tf.tensor(mm.m, mm.shape, 'float32').variable(false)),
  }));
  o.accumulatedSecondMoment = st.moments.map((mm, i) => ({
    originalName: `${vars[i]!.name}/v`,
    variable: tf.tidy(() => tf.tensor(mm.v, mm.shape, 'float32').variable(false)),
  }));
  o.iterations_ = st.iterations;
}

/** Float32 copies of the variables' values (exact). */
function readVariables(vars: readonly tf.Variable[]): Float32Array[] {
  return vars.map((v) => Float32Array.from(v.dataSync()));
}

/** Assigns saved float32 values to the variables (exact); lengths must match. */
function assignVariables(vars: readonly tf.Variable[], values: readonly Float32Array[], where: string): void {
  if (values.length !== vars.length) throw new ModelFormatError(`${where}: ${values.length} saved arrays for ${vars.length} variables.`);
  tf.tidy(() =>
    vars.forEach((v, i) => {
      if (values[i]!.length !== v.size)
        throw new ModelFormatError(`${where}: saved array ${i} has ${values[i]!.length} values; the variable has ${v.size}.`);
      v.assign(tf.tensor(values[i]!, v.shape, 'float32'));
    }),
  );
}

/** Writes an optimizer's state under `name` (json "<name>", tensors "<name>.m<i>", "<name>.v<i>", "<name>.acc_beta"). */
export function writeAdam(w: StateWriter, name: string, opt: tf.AdamOptimizer): void {
  const st = saveAdamState(opt);
  const s = w.scope(name);
  s.set('meta', { iterations: st.iterations, moments: st.moments.length });
  s.f32('acc_beta', st.accBeta);
  st.moments.forEach((mm, i) => {
    s.f32(`m${i}`, mm.m, mm.shape);
    s.f32(`v${i}`, mm.v, mm.shape);
  });
}

/** Restores what writeAdam wrote into a fresh optimizer of `vars`. */
export function readAdam(r: StateReader, name: string, opt: tf.AdamOptimizer, vars: readonly tf.Variable[]): void {
  const s = r.scope(name);
  const meta = s.get('meta') as { iterations: number; moments: number };
  const moments = Array.from({ length: meta.moments }, (_, i) => ({ shape: s.shape(`m${i}`), m: s.f32(`m${i}`), v: s.f32(`v${i}`) }));
  restoreAdamState(opt, { iterations: meta.iterations, accBeta: s.f32('acc_beta', 2), moments }, vars, `resume: ${name}`);
}

/** Writes the variables' float32 values as tensors "<name>.<i>". */
export function writeVars(w: StateWriter, name: string, vars: readonly tf.Variable[]): void {
  readVariables(vars).forEach((data, i) => w.f32(`${name}.${i}`, data, [...vars[i]!.shape]));
}

/** Assigns what writeVars wrote. */
export function readVars(r: StateReader, name: string, vars: readonly tf.Variable[]): void {
  assignVariables(
    vars,
    vars.map((v, i) => r.f32(`${name}.${i}`, v.size)),
    `resume: ${name}`,
  );
}
