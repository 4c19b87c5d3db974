/**
 * ONNX export of a Gamid actor (C deterministic component networks scored by a critic Q₁; TD3's
 * actor is C = 1; models/gamid-actor/params.ts) under the gmmrl metadata contract
 * (contract/metadata.ts, family "gamid-actor"). C components, A action entries, D observation
 * entries, F = float32 or float64 (options.precision).
 *
 *   inputs   obs [N, D] F; with sampling "inputs" also noise_u [N] F (uniform [0, 1)) and
 *            noise_eps [N, A] F (standard normal), both optional in ONNX: one-row NaN defaults
 *            (envelope.ts beginGraph), so obs alone computes every output; every sampled output is
 *            NaN (float) / −1 (index) in the rows whose noise is not finite (not fed)
 *   outputs  action [N, A] F                 component_actions[action_index]
 *            action_index [N] int64          argmax_i q_i (first on ties)
 *            action_sampled [N, A] F         low + (clip(μ_i + σ·eps, −1, 1) + 1)(high − low)/2 with
 *            action_sampled_index [N] int64  i = u < ε ? min(floor(u/ε·C), C − 1) : action_index
 *            component_actions [N, C, A] F   low + (μ_i + 1)(high − low)/2, μ_i = tanh(MLP_i(z))
 *            q [N, C] F                      q_i = Q₁([z, μ_i])
 *   (ε = params.epsilon, σ = params.explorationStd, both recorded in metadata.sampling)
 *
 * The graph is this op sequence (prefix "gamid-actor/"):
 *
 *   with noise inputs: noise/rows|u_rows|eps_shape|eps_rows   Shape(obs)[0], the noise Expanded to N rows
 *   with noise inputs: noise/u_column|all|is_nan|is_inf|non_finite|non_finite_int|row_max|missing
 *                                         the rows whose u or eps is not finite             [N] bool
 *   normalize/sub, normalize/div          z = (obs − offset) / scale                       [N, D]
 *   actors/unsqueeze_z                    Unsqueeze(z, [1, 2])                             [N, 1, 1, D]
 *   actors/layer{l}/matmul|add(|relu)     the C actor MLPs at once: weights stacked [C, in, out],
 *                                         biases [C, 1, out]; MatMul broadcasts [N, 1, 1, in] or
 *                                         [N, C, 1, in] against [C, in, out]            [N, C, 1, out]
 *                                         (each component's row is its own MLP's dot products)
 *   actors/tanh|clip, actors/reshape      μ = Reshape(Clip(tanh(·), −1, 1), [−1, C, A])    [N, C, A]
 *                                         (the Clip: ONNX Runtime's float32 tanh can overshoot ±1 by an ulp)
 *   critic/layer0/matmul_z|matmul_mu|add_parts|add(|relu)
 *                                         [z, μ_i]·W₀ + b₀ evaluated as z·W_z + μ_i·W_μ + b₀ with
 *                                         W₀ = [W_z; W_μ] split by rows (the same affine map of the
 *                                         concatenation; z·W_z is computed once for all C)  [N, C, H]
 *                                         (via critic/layer0/unsqueeze_z_part: [N, 1, H])
 *   critic/layer{l}/matmul|add(|relu)     the critic's remaining layers                   [N, C, out]
 *   critic/reshape                        q = Reshape(·, [−1, C])                          → output "q"
 *   greedy/argmax                         ArgMax(q, axis 1, first index on ties)           → output "action_index"
 *   components/scale/add_one|mul_half_range|add_low                                        → output "component_actions"
 *   greedy/action/unsqueeze_index|gather  GatherND(component_actions, action_index)        → output "action"
 *   in-graph noise only: noise/random_uniform (like action_index; not when ε = 0), noise/random_normal (like action)
 *   sample/epsilon_greedy/less|div|mul|floor|clip|cast|where (Identity when ε = 0)         → output "action_sampled_index"
 *                                         (with noise inputs → sample/index, then guard/action_sampled_index/where: −1
 *                                         in the rows without finite noise; sample/mu gathers with sample/index)
 *   sample/mu/unsqueeze_index|gather      μ_i of the sampled component                     [N, A]
 *   sample/mul, sample/add, sample/clip   a = Clip(μ_i + σ·eps, −1, 1)
 *   sample/scale/add_one|mul_half_range|add_low                                           → output "action_sampled"
 *                                         (with noise inputs → sample/action, then guard/action_sampled/mask|where: NaN)
 *
 * Opset 17, IR 8. Float32 constants are the float64 parameters rounded once; float64 stores them
 * exactly. Reference: gamidComponents / gamidGreedy / gamidSample (float64).
 */
import { mlpParameterCount, MLP_ACTIVATION } from '../../models/actor-critic/mlp.js';
import { checkGamidActor, type GamidActorParams } from '../../models/gamid-actor/params.js';
import { ValueError, describeValue } from '../../contract/errors.js';
import { FAMILY } from '../../contract/families.js';
import { IO, metadataToProps, type GmmrlMetadataV1 } from '../../contract/metadata.js';
import {
  actionSampledDoc,
  actorDocString,
  actorMetadata,
  actorNoiseFormula,
  beginActorGraph,
  checkActorCommon,
  checkMlpFits,
  resolveActorExport,
  type ActorOutput,
} from './actor.js';
import { finishModel, guardSampled } from './envelope.js';
import { ElemType } from './graph.js';
import {
  EXPORT_IR_VERSION,
  EXPORT_OPSET_VERSION,
  addBoxScale,
  addDense,
  addSquash,
  addEpsilonGreedyIndex,
  addGatherRows,
  addInGraphNormal,
  addInGraphUniform,
  addNormalize,
  checkFits,
  int64Const,
  type ActorExportMeta,
  type ExportOptions,
  type FloatKind,
  type NoiseMode,
  type ResolvedActorOptions,
} from './subgraphs.js';

export const GAMID_ACTOR_IR_VERSION = EXPORT_IR_VERSION;
export const GAMID_ACTOR_OPSET_VERSION = EXPORT_OPSET_VERSION;

const WHERE = 'exportGamidActor';
/** The family id, which also names the graph and prefixes every node. */
const P = FAMILY.gamidActor;

function gamidSamplingFormula(noise: 'inputs' | 'in-graph'): string {
  return (
    'i = u < epsilon ? min(floor(u / epsilon * C), C - 1) : argmax_i q_i (first on ties); a = clip(mu_i + exploration_std * eps, -1, 1); ' +
    'action_sampled = low + (a + 1) * (high - low) / 2, action_sampled_index = i; mu_i = tanh(MLP_i(z)) on the policy scale (-1, 1); ' +
    actorNoiseFormula(noise) +
    ' Greedy action = component_actions[argmax_i q_i], q_i = Q1([z, mu_i]).'
  );
}

function validate(p: GamidActorParams, meta: ActorExportMeta, fk: FloatKind): void {
  if (typeof p !== 'object' || p === null)
    throw new ValueError(`${WHERE}: params must be a GamidActorParams object, got ${describeValue(p)}.`);
  checkGamidActor(p, WHERE);
  for (const [i, a] of p.actors.entries()) checkMlpFits(WHERE, `actors[${i}]`, a, fk);
  checkMlpFits(WHERE, 'critic', p.critic, fk);
  if (typeof p.epsilon !== 'number')
    throw new ValueError(`${WHERE}: epsilon = ${describeValue(p.epsilon)} must be a probability in [0, 1].`);
  checkFits(WHERE, 'explorationStd', [p.explorationStd], fk);
  checkActorCommon(WHERE, p, meta, p.actors[0]!.layers[0]!, fk);
}

/** Trainable parameters: the C actor MLPs and the critic. */
function parameterCount(p: GamidActorParams): number {
  return p.actors.length * mlpParameterCount(p.actors[0]!.layers) + mlpParameterCount(p.critic.layers);
}

/** The graph's outputs, in the metadata's order. */
function outputsOf(p: GamidActorParams, fk: FloatKind, sampling: NoiseMode): ActorOutput[] {
  const C = p.actors.length;
  const A = p.actors[0]!.layers.at(-1)!;
  const F = fk.dtype;
  return [
    {
      name: IO.action,
      dtype: F,
      shape: ['N', A],
      doc: 'Greedy environment action: the component with the highest q, scaled to [low, high].',
    },
    { name: IO.actionIndex, dtype: 'int64', shape: ['N'], doc: 'Greedy component argmax_i q_i (first on ties).' },
    { name: IO.actionSampled, dtype: F, shape: ['N', A], doc: actionSampledDoc(sampling) },
    { name: IO.actionSampledIndex, dtype: 'int64', shape: ['N'], doc: 'Component of action_sampled (epsilon-greedy).' },
    { name: IO.componentActions, dtype: F, shape: ['N', C, A], doc: 'Every component network action, scaled to [low, high].' },
    { name: IO.q, dtype: F, shape: ['N', C], doc: 'Critic value of each component action.' },
  ];
}

function metadataOf(p: GamidActorParams, meta: ActorExportMeta, o: ResolvedActorOptions, fk: FloatKind): GmmrlMetadataV1 {
  const C = p.actors.length;
  const layers = p.actors[0]!.layers;
  return actorMetadata(P, meta, p, o, fk, layers[0]!, layers.at(-1)!, {
    components: C,
    sampling: {
      kind: 'gamid',
      noise: o.sampling,
      epsilon: p.epsilon,
      exploration_std: p.explorationStd,
      formula: gamidSamplingFormula(o.sampling),
    },
    parameterCount: parameterCount(p),
    network: { layers: [...layers], activation: MLP_ACTIVATION, critic_layers: [...p.critic.layers] },
    outputs: outputsOf(p, fk, o.sampling),
  });
}

/** The gmmrl metadata (schema 1, family gamid-actor) `exportGamidActor(params, meta, options)` writes. */
export function gamidActorMetadata(params: GamidActorParams, meta: ActorExportMeta, options?: ExportOptions): GmmrlMetadataV1 {
  const { o, fk } = resolveActorExport(options, WHERE, (fk) => validate(params, meta, fk));
  return metadataOf(params, meta, o, fk);
}

/**
 * Exports a Gamid actor as an ONNX model (bytes of a ModelProto, IR 8, opset 17) with gmmrl
 * metadata (schema 1, family gamid-actor). Options: precision 'float32' (default) | 'float64',
 * sampling 'inputs' (default) | 'in-graph'. Throws ValueError / ShapeError naming the field.
 */
export function exportGamidActor(params: GamidActorParams, meta: ActorExportMeta, options?: ExportOptions): Uint8Array {
  const { o, fk } = resolveActorExport(options, WHERE, (fk) => validate(params, meta, fk));
  const props = metadataToProps(metadataOf(params, meta, o, fk));
  const { actors, critic } = params;
  const C = actors.length;
  const layers = actors[0]!.layers;
  const L = layers.length - 1;
  const D = layers[0]!;
  const A = layers[L]!;
  const cl = critic.layers;
  const Lc = cl.length - 1;
  const F = fk.F;

  const {
    g,
    s,
    obs,
    u: noiseU,
    eps: noiseEps,
    missing,
    axes1,
    box,
  } = beginActorGraph({
    family: P,
    graphDoc:
      `Gamid actor: C=${C} component networks MLP [${layers.join(', ')}] + tanh, scored by the critic MLP [${cl.join(', ')}], ReLU hidden layers, ${o.precision}. ` +
      'z = (obs - offset) / scale; mu_i = tanh(MLP_i(z)); q_i = Q1([z, mu_i]); action_index = argmax_i q_i; action = low + (mu_i + 1)(high - low)/2; action_sampled: ' +
      gamidSamplingFormula(o.sampling),
    fk,
    sampling: o.sampling,
    D,
    A,
    noiseDocs: {
      u: 'Uniform noise on [0, 1), one per row: the epsilon-greedy component choice.',
      eps: 'Standard normal noise, A per row: a = clip(mu_i + exploration_std * eps, -1, 1).',
    },
    outputs: outputsOf(params, fk, o.sampling),
    actionLow: params.actionLow,
    actionHigh: params.actionHigh,
    where: WHERE,
  });
  let u = noiseU;
  let eps = noiseEps;

  const z = addNormalize(s, obs, params.obsOffset, params.obsScale);

  // the C actor networks, batched: x [N, 1 or C, 1, in] · W [C, in, out] + b [C, 1, out]
  let x = g.node({
    name: `${P}/actors/unsqueeze_z`,
    opType: 'Unsqueeze',
    inputs: [z, int64Const(s, 'axes_1_2', [1, 2])],
    outputs: [`${P}/actors/z_4d`],
  });
  g.valueInfo(x, F, ['N', 1, 1, D]);
  for (let l = 0; l < L; l++) {
    const nin = layers[l]!;
    const nout = layers[l + 1]!;
    const W = new Float64Array(C * nin * nout);
    const b = new Float64Array(C * nout);
    actors.forEach((a, i) => {
      W.set(a.weights[l]!, i * nin * nout);
      b.set(a.biases[l]!, i * nout);
    });
    x = addDense(s, {
      name: `${P}/actors/layer${l}`,
      x,
      W,
      wDims: [C, nin, nout],
      b,
      bDims: [C, 1, nout],
      outShape: ['N', C, 1, nout],
      relu: l < L - 1,
      doc: `Actor layer ${l}, the C components stacked`,
    });
  }
  const th = addSquash(s, box, `${P}/actors`, x, ['N', C, 1, A], `${P}/actors/mu_4d`);
  const mu = g.node({
    name: `${P}/actors/reshape`,
    opType: 'Reshape',
    inputs: [th, int64Const(s, 'shape_n_c_a', [-1, C, A])],
    outputs: [`${P}/actors/mu`],
    doc: 'mu_i = tanh(MLP_i(z)) on the policy scale',
  });
  g.valueInfo(mu, F, ['N', C, A]);

  // the critic on [z, mu_i]: first layer split by rows into W_z [D, H] and W_mu [A, H]
  const H0 = cl[1]!;
  const W0 = critic.weights[0]!;
  const Wz = g.initializerFloat(
    `${P}/critic/layer0/weight_z`,
    F,
    [D, H0],
    W0.subarray(0, D * H0),
    'Critic layer 0 weights, rows of z [D, out].',
  );
  const Wmu = g.initializerFloat(
    `${P}/critic/layer0/weight_mu`,
    F,
    [A, H0],
    W0.subarray(D * H0),
    'Critic layer 0 weights, rows of the action [A, out].',
  );
  const b0 = g.initializerFloat(`${P}/critic/layer0/bias`, F, [H0], critic.biases[0]!, 'Critic layer 0 bias.');
  const cz = g.node({ name: `${P}/critic/layer0/matmul_z`, opType: 'MatMul', inputs: [z, Wz], outputs: [`${P}/critic/layer0/z_part`] });
  g.valueInfo(cz, F, ['N', H0]);
  const czu = g.node({
    name: `${P}/critic/layer0/unsqueeze_z_part`,
    opType: 'Unsqueeze',
    inputs: [cz, axes1],
    outputs: [`${P}/critic/layer0/z_part_3d`],
  });
  g.valueInfo(czu, F, ['N', 1, H0]);
  const cm = g.node({ name: `${P}/critic/layer0/matmul_mu`, opType: 'MatMul', inputs: [mu, Wmu], outputs: [`${P}/critic/layer0/mu_part`] });
  g.valueInfo(cm, F, ['N', C, H0]);
  const parts = g.node({
    name: `${P}/critic/layer0/add_parts`,
    opType: 'Add',
    inputs: [czu, cm],
    outputs: [`${P}/critic/layer0/linear`],
    doc: '[z, mu_i] W0 = z W_z + mu_i W_mu',
  });
  g.valueInfo(parts, F, ['N', C, H0]);
  let h: string;
  if (Lc === 1) {
    h = g.node({ name: `${P}/critic/layer0/add`, opType: 'Add', inputs: [parts, b0], outputs: [`${P}/critic/layer0/output`] });
  } else {
    const pre = g.node({
      name: `${P}/critic/layer0/add`,
      opType: 'Add',
      inputs: [parts, b0],
      outputs: [`${P}/critic/layer0/preactivation`],
    });
    g.valueInfo(pre, F, ['N', C, H0]);
    h = g.node({ name: `${P}/critic/layer0/relu`, opType: 'Relu', inputs: [pre], outputs: [`${P}/critic/layer0/activation`] });
  }
  g.valueInfo(h, F, ['N', C, H0]);
  for (let l = 1; l < Lc; l++) {
    h = addDense(s, {
      name: `${P}/critic/layer${l}`,
      x: h,
      W: critic.weights[l]!,
      wDims: [cl[l]!, cl[l + 1]!],
      b: critic.biases[l]!,
      bDims: [cl[l + 1]!],
      outShape: ['N', C, cl[l + 1]!],
      relu: l < Lc - 1,
      doc: `Critic layer ${l}`,
    });
  }
  const q = g.node({
    name: `${P}/critic/reshape`,
    opType: 'Reshape',
    inputs: [h, int64Const(s, 'shape_n_c', [-1, C])],
    outputs: [IO.q],
    doc: 'q_i = Q1([z, mu_i])',
  });

  // greedy
  const idx = g.node({
    name: `${P}/greedy/argmax`,
    opType: 'ArgMax',
    inputs: [q],
    outputs: [IO.actionIndex],
    attributes: { axis: { kind: 'int', value: 1 }, keepdims: { kind: 'int', value: 0 }, select_last_index: { kind: 'int', value: 0 } },
    doc: 'argmax_i q_i (first on ties)',
  });
  const comps = addBoxScale(s, box, `${P}/components/scale`, mu, IO.componentActions, ['N', C, A], true);
  const action = addGatherRows(s, `${P}/greedy/action`, comps, idx, A, axes1, IO.action);

  // sampling
  if (o.sampling === 'in-graph') {
    if (params.epsilon > 0) u = addInGraphUniform(s, idx); // ε = 0 never reads u
    eps = addInGraphNormal(s, action, A);
  }
  // with noise inputs: -1 / NaN in the rows without finite noise (envelope.ts guardSampled); the
  // sampled action gathers with the unguarded index
  const si = addEpsilonGreedyIndex(
    s,
    `${P}/sample/epsilon_greedy`,
    u ?? '',
    idx,
    params.epsilon,
    C,
    missing ? `${P}/sample/index` : IO.actionSampledIndex,
  );
  if (missing) {
    g.valueInfo(si, ElemType.INT64, ['N']);
    guardSampled(g, fk, P, missing, si, IO.actionSampledIndex, 1, 'index');
  }
  const muS = addGatherRows(s, `${P}/sample/mu`, mu, si, A, axes1);
  const sigma = g.initializerFloat(
    `${P}/const/exploration_std`,
    F,
    [],
    [params.explorationStd],
    'exploration_std: Gaussian noise on the policy scale.',
  );
  const nz = g.node({ name: `${P}/sample/mul`, opType: 'Mul', inputs: [eps!, sigma], outputs: [`${P}/sample/noise`] });
  g.valueInfo(nz, F, ['N', A]);
  const xs = g.node({ name: `${P}/sample/add`, opType: 'Add', inputs: [muS, nz], outputs: [`${P}/sample/noisy`] });
  g.valueInfo(xs, F, ['N', A]);
  const a = g.node({
    name: `${P}/sample/clip`,
    opType: 'Clip',
    inputs: [xs, box.minusOne, box.one],
    outputs: [`${P}/sample/policy_action`],
    doc: 'a = clip(mu_i + exploration_std * eps, -1, 1)',
  });
  g.valueInfo(a, F, ['N', A]);
  const sampled = missing ? `${P}/sample/action` : IO.actionSampled;
  addBoxScale(s, box, `${P}/sample/scale`, a, sampled, ['N', A], !missing);
  if (missing) guardSampled(g, fk, P, missing, sampled, IO.actionSampled, 2, 'float');

  return finishModel(
    g,
    meta.docString ??
      actorDocString(
        `gmmrl Gamid actor for ${meta.envId} (C=${C} components MLP [${layers.join(', ')}], critic [${cl.join(', ')}], ` +
          `${parameterCount(params)} parameters, ${o.precision}, epsilon ${params.epsilon}, exploration_std ${params.explorationStd}).`,
        fk,
        D,
        A,
        o.sampling,
        ` with "action_index" / "action_sampled_index" [N] int64, "component_actions" [N, ${C}, ${A}] and "q" [N, ${C}].`,
      ),
    props,
  );
}
