/**
 * Adam as every tfjs learner runs it (DQN, the twin critics, the SAC, TD3 and Gamid actors, the
 * bandit actor): `FlatAdam`, tfjs's AdamOptimizer arithmetic on flat buffers (one per network), and
 * the snapshot format (TfAdamState, per-variable moments) both share.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InternalError, ModelFormatError } from '../../../contract/errors.js';
import { flatGroups, fusedUpdates } from '../../../models/actor-critic/tf-mlp.js';
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

/** The saved moments fit `vars` (none before the first step, else one per variable, same shapes). */
function checkMoments(st: TfAdamState, vars: readonly tf.Variable[], where: string): void {
  if (st.moments.length !== 0 && st.moments.length !== vars.length)
    throw new ModelFormatError(
      `${where}: the saved optimizer has moments for ${st.moments.length} variables; this one optimizes ${vars.length}.`,
    );
  st.moments.forEach((mm, i) => {
    const shape = vars[i]!.shape;
    if (mm.shape.length !== shape.length || mm.shape.some((d, j) => d !== shape[j]))
      throw new ModelFormatError(`${where}: saved moment ${i} has shape [${mm.shape}], the variable [${shape}].`);
  });
}

/** Sets a fresh optimizer (no step taken yet) to `st`; `vars` are the variables in gradient-list order (for the moments' names). */
function restoreAdamState(opt: tf.AdamOptimizer, st: TfAdamState, vars: readonly tf.Variable[], where: string): void {
  const o = opt as unknown as AdamInternals;
  if (o.accumulatedFirstMoment.length > 0)
    throw new ModelFormatError(`${where}: restoreAdamState needs an optimizer that has taken no step.`);
  checkMoments(st, vars, where);
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

/**
 * Reads tensors back to the host asynchronously (`await tensor.data()`), for code that then reads
 * them with dataSync: every tfjs backend keeps a tensor's values on the host once they have been
 * read (tfjs-backend-webgpu caches them in its tensor map), so the synchronous read after this one
 * is served from that copy. This is what lets the same save code run on webgpu in Node, where a
 * synchronous read of a GPU tensor is impossible (sdk/backend.ts, guardReadSync); on cpu and wasm
 * the values are on the host already and nothing changes.
 */
export async function readBack(tensors: readonly tf.Tensor[]): Promise<void> {
  await Promise.all(tensors.map((t) => t.data()));
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

// ---- the fused optimizer ----------------------------------------------------------------------------

/**
 * Adam over a fixed list of variables with flat first and second moments (one buffer for a
 * network's small variables, one per large variable: flatGroups in tf-mlp.ts): per step and buffer
 * the gradients and the values are concatenated once, tfjs's AdamOptimizer arithmetic runs once,
 * and the result is split once and assigned back to the variables. Adam is
 * elementwise, and every op here is the one tfjs runs, in its order, on the same float32 operands
 * (m·β1 + g·(1 − β1); v·β2 + g²·(1 − β2); value + (m̂ / (√v̂ + ε))·(−lr) with m̂ = m / (1 − β1ᵗ),
 * v̂ = v / (1 − β2ᵗ); then β·ᵗ ← β·ᵗ·β·), so the weights are bit-identical to tf.train.adam's;
 * the constants are uploaded once instead of on every step. For small variables the number of
 * kernels per step does not grow with their count except for the zero-copy reshapes to and from
 * the flat layout (see spec/sdk/algorithms/learners/tf-adam.spec.ts).
 *
 * `vars` is the order of the optimizer's gradient list (gradListOrder for a variableGrads map):
 * snapshots store the moments per variable in that order, as tfjs's optimizer kept them.
 */
export class FlatAdam {
  /** Every variable, in the gradient list's order (the groups' variables one after the other). */
  readonly vars: readonly tf.Variable[];
  private readonly ref: tf.AdamOptimizer | null;
  private readonly groups: { vars: tf.Variable[]; sizes: number[]; total: number; m: tf.Variable | null; v: tf.Variable | null }[];
  private readonly c: {
    one: tf.Scalar;
    beta1: tf.Scalar;
    oneMinusBeta1: tf.Scalar;
    beta2: tf.Scalar;
    oneMinusBeta2: tf.Scalar;
    epsilon: tf.Scalar;
    negLr: tf.Scalar;
  } | null = null;
  private accBeta1: tf.Variable | null = null;
  private accBeta2: tf.Variable | null = null;
  /** Moments are created on the first step (as tfjs creates its own), so a snapshot before it stores none. */
  private started = false;
  private iterations = 0;

  /**
   * `vars`: one group, or groups (one per network), listed in the gradient list's order. Within a
   * group the small variables share one flat buffer and each large one keeps its own (flatGroups).
   */
  constructor(o: TfAdamOptions, vars: readonly tf.Variable[] | readonly (readonly tf.Variable[])[]) {
    const given = (vars.length > 0 && Array.isArray(vars[0]) ? vars : [vars]) as readonly (readonly tf.Variable[])[];
    if (given.length === 0 || given.some((g) => g.length === 0)) throw new InternalError('FlatAdam: no variables to optimize.');
    this.vars = given.flat();
    // the small variables of each group share a buffer; a large one is its own (see flatGroups)
    this.groups = given
      .flatMap((g) => flatGroups(g))
      .map((g) => ({ vars: g, sizes: g.map((v) => v.size), total: g.reduce((n, v) => n + v.size, 0), m: null, v: null }));
    const beta1 = o.beta1 ?? 0.9;
    const beta2 = o.beta2 ?? 0.999;
    const epsilon = o.epsilon ?? 1e-8;
    if (!fusedUpdates.enabled) {
      this.ref = tf.train.adam(o.learningRate, beta1, beta2, epsilon);
      return;
    }
    this.ref = null;
    // the same float32 scalars tfjs's optimizer converts from these numbers on every step
    this.c = tf.tidy(() => ({
      one: tf.keep(tf.scalar(1)),
      beta1: tf.keep(tf.scalar(beta1)),
      oneMinusBeta1: tf.keep(tf.scalar(1 - beta1)),
      beta2: tf.keep(tf.scalar(beta2)),
      oneMinusBeta2: tf.keep(tf.scalar(1 - beta2)),
      epsilon: tf.keep(tf.scalar(epsilon)),
      negLr: tf.keep(tf.scalar(-o.learningRate)),
    }));
    this.accBeta1 = tf.tidy(() => tf.variable(tf.scalar(beta1), false));
    this.accBeta2 = tf.tidy(() => tf.variable(tf.scalar(beta2), false));
  }

  /** A group's flat moment shape: the variable's own when it is alone (no concat, no split). */
  private static shapeOf(g: { vars: tf.Variable[]; total: number }): number[] {
    return g.vars.length === 1 ? [...g.vars[0]!.shape] : [g.total];
  }

  /** One Adam step; `grads` holds a gradient for every variable (by name). */
  applyGradients(grads: tf.NamedTensorMap | readonly { name: string; tensor: tf.Tensor }[]): void {
    const byName: tf.NamedTensorMap = Array.isArray(grads)
      ? Object.fromEntries((grads as readonly { name: string; tensor: tf.Tensor }[]).map((g) => [g.name, g.tensor]))
      : (grads as tf.NamedTensorMap);
    const gradOf = (v: tf.Variable) => {
      const g = byName[v.name];
      if (g === undefined)
        throw new InternalError(`FlatAdam: no gradient for variable ${v.name} (its optimizer updates every variable it holds).`);
      return g;
    };
    this.vars.forEach(gradOf);
    if (this.ref) {
      this.ref.applyGradients(this.vars.map((v) => ({ name: v.name, tensor: gradOf(v) })));
      return;
    }
    const c = this.c!;
    if (!this.started) {
      for (const g of this.groups) {
        g.m = tf.tidy(() => tf.variable(tf.zeros(FlatAdam.shapeOf(g)), false));
        g.v = tf.tidy(() => tf.variable(tf.zeros(FlatAdam.shapeOf(g)), false));
      }
      this.started = true;
    }
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(c.one, this.accBeta1!);
      const oneMinusAccBeta2 = tf.sub(c.one, this.accBeta2!);
      for (const grp of this.groups) {
        const single = grp.vars.length === 1;
        const flat = (ts: readonly tf.Tensor[]) => (single ? ts[0]! : tf.concat(ts.map((t) => tf.reshape(t, [-1]))));
        const g = flat(grp.vars.map(gradOf));
        const value = flat(grp.vars);
        const m = grp.m!;
        const v = grp.v!;
        const newM = tf.add(tf.mul(m, c.beta1), tf.mul(g, c.oneMinusBeta1));
        const newV = tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(g), c.oneMinusBeta2));
        const mHat = tf.div(newM, oneMinusAccBeta1);
        const vHat = tf.div(newV, oneMinusAccBeta2);
        m.assign(newM);
        v.assign(newV);
        const newValue = tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), c.epsilon)), c.negLr), value);
        if (single) grp.vars[0]!.assign(newValue);
        else tf.split(newValue, grp.sizes).forEach((part, i) => grp.vars[i]!.assign(tf.reshape(part, grp.vars[i]!.shape)));
      }
      this.accBeta1!.assign(tf.mul(this.accBeta1!, c.beta1));
      this.accBeta2!.assign(tf.mul(this.accBeta2!, c.beta2));
    });
    this.iterations++;
  }

  /** Every tensor `save` reads (for readBack before it). */
  stateTensors(): tf.Tensor[] {
    if (this.ref) {
      const o = this.ref as unknown as AdamInternals;
      return [
        o.accBeta1,
        o.accBeta2,
        ...[...o.accumulatedFirstMoment, ...o.accumulatedSecondMoment].flatMap((m) => (m ? [m.variable] : [])),
      ];
    }
    return [this.accBeta1!, this.accBeta2!, ...this.groups.flatMap((g) => (g.m ? [g.m, g.v!] : []))];
  }

  /** The exact state in tfjs's per-variable layout (reads back). */
  save(): TfAdamState {
    if (this.ref) return saveAdamState(this.ref);
    const moments: TfAdamState['moments'] = [];
    if (this.started) {
      const byVar = new Map<tf.Variable, { m: Float32Array; v: Float32Array }>();
      for (const g of this.groups) {
        const m = g.m!.dataSync() as Float32Array;
        const v = g.v!.dataSync() as Float32Array;
        let at = 0;
        g.vars.forEach((x, i) => {
          const n = g.sizes[i]!;
          byVar.set(x, { m: Float32Array.from(m.subarray(at, at + n)), v: Float32Array.from(v.subarray(at, at + n)) });
          at += n;
        });
      }
      for (const x of this.vars) moments.push({ shape: [...x.shape], ...byVar.get(x)! });
    }
    return {
      iterations: this.iterations,
      accBeta: Float32Array.of(this.accBeta1!.dataSync()[0]!, this.accBeta2!.dataSync()[0]!),
      moments,
    };
  }

  /** Sets a fresh optimizer (no step taken yet) to `st`. */
  restore(st: TfAdamState, where: string): void {
    if (this.ref) return restoreAdamState(this.ref, st, this.vars, where);
    if (this.started || this.iterations > 0)
      throw new ModelFormatError(`${where}: restoreAdamState needs an optimizer that has taken no step.`);
    checkMoments(st, this.vars, where);
    const acc = st.accBeta;
    tf.tidy(() => {
      this.accBeta1!.assign(tf.scalar(acc[0]!));
      this.accBeta2!.assign(tf.scalar(acc[1]!));
    });
    if (st.moments.length > 0) {
      const byVar = new Map(this.vars.map((x, i) => [x, st.moments[i]!]));
      for (const g of this.groups) {
        const m = new Float32Array(g.total);
        const v = new Float32Array(g.total);
        let at = 0;
        g.vars.forEach((x, i) => {
          m.set(byVar.get(x)!.m, at);
          v.set(byVar.get(x)!.v, at);
          at += g.sizes[i]!;
        });
        g.m = tf.tidy(() => tf.variable(tf.tensor(m, FlatAdam.shapeOf(g), 'float32'), false));
        g.v = tf.tidy(() => tf.variable(tf.tensor(v, FlatAdam.shapeOf(g), 'float32'), false));
      }
      this.started = true;
    }
    this.iterations = st.iterations;
  }

  dispose(): void {
    if (this.ref) return this.ref.dispose();
    tf.dispose([...Object.values(this.c!), this.accBeta1!, this.accBeta2!]);
    for (const g of this.groups) if (g.m) tf.dispose([g.m, g.v!]);
  }
}

/** Writes an optimizer's state under `name` (json "<name>", tensors "<name>.m<i>", "<name>.v<i>", "<name>.acc_beta"). */
export function writeAdam(w: StateWriter, name: string, opt: FlatAdam | tf.AdamOptimizer): void {
  const st = opt instanceof FlatAdam ? opt.save() : saveAdamState(opt);
  const s = w.scope(name);
  s.set('meta', { iterations: st.iterations, moments: st.moments.length });
  s.f32('acc_beta', st.accBeta);
  st.moments.forEach((mm, i) => {
    s.f32(`m${i}`, mm.m, mm.shape);
    s.f32(`v${i}`, mm.v, mm.shape);
  });
}

/** Restores what writeAdam wrote into a fresh FlatAdam. */
export function readFlatAdam(r: StateReader, name: string, opt: FlatAdam): void {
  opt.restore(readAdamState(r, name), `resume: ${name}`);
}

function readAdamState(r: StateReader, name: string): TfAdamState {
  const s = r.scope(name);
  const meta = s.get('meta') as { iterations: number; moments: number };
  const moments = Array.from({ length: meta.moments }, (_, i) => ({ shape: s.shape(`m${i}`), m: s.f32(`m${i}`), v: s.f32(`v${i}`) }));
  return { iterations: meta.iterations, accBeta: s.f32('acc_beta', 2), moments };
}

/** Restores what writeAdam wrote into a fresh tfjs optimizer of `vars`. */
export function readAdam(r: StateReader, name: string, opt: tf.AdamOptimizer, vars: readonly tf.Variable[]): void {
  restoreAdamState(opt, readAdamState(r, name), vars, `resume: ${name}`);
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
