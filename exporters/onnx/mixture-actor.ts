/**
 * ONNX export of a mixture actor (the SAC family's squashed Gaussian-mixture policy,
 * models/mixture-actor/params.ts and head.ts) under the gmmrl metadata contract (contract/metadata.ts,
 * family "mixture-actor"). K components, A action entries, D observation entries, F = float32 or
 * float64 (options.precision).
 *
 *   inputs   obs [N, D] F; with sampling "inputs" also noise_u [N] F (uniform [0, 1)) and
 *            noise_eps [N, A] F (standard normal), both optional in ONNX: one-row NaN defaults
 *            (envelope.ts beginGraph), so obs alone computes every output; every sampled output is
 *            NaN (float) / −1 (index) in the rows whose noise is not finite (not fed)
 *   outputs  action [N, A] F            greedy: low + (tanh(means[k*]) + 1)(high − low)/2, k* = argmax weights (first on ties)
 *            action_sampled [N, A] F    low + (tanh(means[k] + exp(log_std[k])·eps) + 1)(high − low)/2,
 *                                       k = the first component with u < w_0 + … + w_k (K − 1 if none)
 *            weights [N, K] F, means [N, K, A] F, log_std [N, K, A] F (pre-tanh component parameters)
 *
 * The graph is this op sequence (prefix "mixture-actor/"):
 *
 *   with noise inputs: noise/rows|u_rows|eps_shape|eps_rows   Shape(obs)[0], the noise Expanded to N rows
 *   with noise inputs: noise/u_column|all|is_nan|is_inf|non_finite|non_finite_int|row_max|missing
 *                                         the rows whose u or eps is not finite             [N] bool
 *   normalize/sub, normalize/div       z = (obs − offset) / scale                        [N, D]
 *   trunk/layer{l}/matmul|add|relu     hidden layers of the MLP (weights [in, out])      [N, H_l]
 *   the MLP's output layer [H, P] is evaluated as three column blocks of it (the same dot products):
 *   head/logits/matmul|add             logits = h W_logits + b_logits                    [N, K]   (learned weights only)
 *   head/means/matmul|add              mu = h W_mu + b_mu                               [N, K·A]
 *   head/log_std_raw/matmul|add        rho = h W_rho + b_rho                            [N, K·A]
 *   head/means/reshape                 means = Reshape(mu, [−1, K, A])                  → output "means"
 *   head/log_std/reshape|tanh|clip|add_one|mul_span|add_min
 *                                      log_std = min + span·(tanh(rho) + 1), span = (max − min)/2 → output "log_std"
 *   learned:  head/weights/softmax     weights = Softmax(logits, axis 1)                → output "weights"
 *             greedy/argmax            k* = ArgMax(logits, axis 1, first index on ties)
 *   uniform:  head/weights/shape|concat|expand   weights = Expand(1/K, [N, K])         → output "weights"
 *             greedy/argmax            k* = ArgMax(weights) = 0
 *   greedy/means/unsqueeze_index|gather  m* = GatherND(means, k*[:, None], batch_dims 1) [N, A]
 *   greedy/tanh|clip, greedy/scale/add_one|mul_half_range|add_low   → output "action"
 *   in-graph noise only: noise/random_uniform (like k*), noise/random_normal (like m*)
 *   sample/cumsum                      cdf = CumSum(weights, axis 1)                     [N, K]
 *   sample/unsqueeze_u, sample/less    below = u[:, None] < cdf                          [N, K] bool
 *   sample/cast, sample/reduce_sum     count = Σ_k below (int64)                         [N]
 *   sample/sub, sample/min             k = Min(K − count, K − 1)                         [N] int64
 *   sample/means/…gather, sample/log_std/…gather   the chosen component's mean and log σ [N, A]
 *   sample/exp, sample/mul, sample/add x = mean_k + exp(log_std_k)·eps
 *   sample/tanh|clip, sample/scale/…   → output "action_sampled" (with noise inputs → sample/action, then
 *                                      guard/action_sampled/mask|where: NaN in the rows without finite noise)
 *
 * Every Tanh is followed by Clip(−1, 1) (subgraphs.ts addSquash: ONNX Runtime's float32 tanh can
 * overshoot ±1 by an ulp), so log_std stays in [min, max] and the actions in [low, high] exactly.
 * (cdf is nondecreasing because the weights are ≥ 0 and rounding is monotone, so {k : u < cdf_k}
 * is {k₀, …, K − 1} and K − count = k₀, the first such k; count = 0 gives K, clamped to K − 1.)
 * Opset 17, IR 8. Float32 constants are the float64 parameters rounded once; float64 stores them
 * exactly. Reference: mixtureActorHead / mixtureActorGreedy / mixtureActorSample (float64).
 */
import { mlpParameterCount, MLP_ACTIVATION } from '../../models/actor-critic/mlp.js';
import { headOutputSize } from '../../models/mixture-actor/head.js';
import { checkMixtureActor, type MixtureActorParams } from '../../models/mixture-actor/params.js';
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
import { ElemType } from './graph.js';
import { finishModel, guardSampled } from './envelope.js';
import {
  EXPORT_IR_VERSION,
  EXPORT_OPSET_VERSION,
  addBoxScale,
  addDense,
  addSquash,
  addGatherRows,
  addInGraphNormal,
  addInGraphUniform,
  addNormalize,
  int64Const,
  type ActorExportMeta,
  type ExportOptions,
  type FloatKind,
  type NoiseMode,
  type ResolvedActorOptions,
} from './subgraphs.js';

export const MIXTURE_ACTOR_IR_VERSION = EXPORT_IR_VERSION;
export const MIXTURE_ACTOR_OPSET_VERSION = EXPORT_OPSET_VERSION;

const WHERE = 'exportMixtureActor';
/** The family id, which also names the graph and prefixes every node. */
const P = FAMILY.mixtureActor;

function mixtureSamplingFormula(noise: 'inputs' | 'in-graph'): string {
  return (
    'k = the first component with u < weights_0 + ... + weights_k (K - 1 if none), computed as min(K - sum_k [u < cumsum(weights)_k], K - 1); ' +
    'x = means[k] + exp(log_std[k]) * eps; action_sampled = low + (tanh(x) + 1) * (high - low) / 2; ' +
    actorNoiseFormula(noise) +
    ' Greedy action = low + (tanh(means[k*]) + 1) * (high - low) / 2, k* = argmax weights (first on ties).'
  );
}

function validate(p: MixtureActorParams, meta: ActorExportMeta, fk: FloatKind): void {
  if (typeof p !== 'object' || p === null)
    throw new ValueError(`${WHERE}: params must be a MixtureActorParams object, got ${describeValue(p)}.`);
  checkMixtureActor(p, WHERE);
  checkMlpFits(WHERE, 'trunk', p.trunk, fk);
  for (const k of ['logStdMin', 'logStdMax'] as const) {
    if (fk.precision === 'float32' && !Number.isFinite(Math.fround(p.head[k]))) {
      throw new ValueError(
        `${WHERE}: head.${k} = ${p.head[k]} does not fit in float32; use log-std bounds within ±3.4e38 (defaults −5 and 2).`,
      );
    }
  }
  checkActorCommon(WHERE, p, meta, p.trunk.layers[0]!, fk);
}

/** The graph's outputs, in the metadata's order. */
function outputsOf(p: MixtureActorParams, fk: FloatKind, sampling: NoiseMode): ActorOutput[] {
  const { K, A } = p.head;
  const F = fk.dtype;
  return [
    {
      name: IO.action,
      dtype: F,
      shape: ['N', A],
      doc: 'Greedy environment action: the squashed mean of the highest-weight component, scaled to [low, high].',
    },
    { name: IO.actionSampled, dtype: F, shape: ['N', A], doc: actionSampledDoc(sampling) },
    { name: IO.weights, dtype: F, shape: ['N', K], doc: 'Mixture weights (sum to 1 per row).' },
    { name: IO.means, dtype: F, shape: ['N', K, A], doc: 'Component means in the pre-tanh (u) space.' },
    { name: IO.logStd, dtype: F, shape: ['N', K, A], doc: 'Component log standard deviations, in [logStdMin, logStdMax].' },
  ];
}

function metadataOf(p: MixtureActorParams, meta: ActorExportMeta, o: ResolvedActorOptions, fk: FloatKind): GmmrlMetadataV1 {
  const { K, A } = p.head;
  return actorMetadata(P, meta, p, o, fk, p.trunk.layers[0]!, A, {
    components: K,
    sampling: { kind: 'mixture', noise: o.sampling, formula: mixtureSamplingFormula(o.sampling) },
    parameterCount: mlpParameterCount(p.trunk.layers),
    network: { layers: [...p.trunk.layers], activation: MLP_ACTIVATION },
    outputs: outputsOf(p, fk, o.sampling),
  });
}

/** The gmmrl metadata (schema 1, family mixture-actor) `exportMixtureActor(params, meta, options)` writes. */
export function mixtureActorMetadata(params: MixtureActorParams, meta: ActorExportMeta, options?: ExportOptions): GmmrlMetadataV1 {
  const { o, fk } = resolveActorExport(options, WHERE, (fk) => validate(params, meta, fk));
  return metadataOf(params, meta, o, fk);
}

/** Columns [c0, c1) of a row-major [rows, cols] matrix. */
function columns(W: ArrayLike<number>, rows: number, cols: number, c0: number, c1: number): Float64Array {
  const w = c1 - c0;
  const out = new Float64Array(rows * w);
  for (let i = 0; i < rows; i++) for (let j = 0; j < w; j++) out[i * w + j] = W[i * cols + c0 + j]!;
  return out;
}

/**
 * Exports a mixture actor as an ONNX model (bytes of a ModelProto, IR 8, opset 17) with gmmrl
 * metadata (schema 1, family mixture-actor). Options: precision 'float32' (default) | 'float64',
 * sampling 'inputs' (default) | 'in-graph'. Throws ValueError / ShapeError naming the field.
 */
export function exportMixtureActor(params: MixtureActorParams, meta: ActorExportMeta, options?: ExportOptions): Uint8Array {
  const { o, fk } = resolveActorExport(options, WHERE, (fk) => validate(params, meta, fk));
  const props = metadataToProps(metadataOf(params, meta, o, fk));
  const { head, trunk } = params;
  const { K, A } = head;
  const layers = trunk.layers;
  const L = layers.length - 1;
  const D = layers[0]!;
  const Hin = layers[L - 1]!;
  const Pout = headOutputSize(head);
  const learned = head.weights === 'learned';
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
      `Squashed Gaussian-mixture actor, K=${K} components (${head.weights} weights), A=${A}, MLP [${layers.join(', ')}] with ReLU hidden layers, ${o.precision}. ` +
      'z = (obs - offset) / scale; [logits | means | rho] = MLP(z); weights = softmax(logits); log_std = min + (max - min)/2 (tanh(rho) + 1); ' +
      'action = low + (tanh(means[argmax weights]) + 1)(high - low)/2; action_sampled: ' +
      mixtureSamplingFormula(o.sampling),
    fk,
    sampling: o.sampling,
    D,
    A,
    noiseDocs: {
      u: 'Uniform noise on [0, 1), one per row: picks the component by the inverse CDF of the weights.',
      eps: 'Standard normal noise, A per row: x = means[k] + exp(log_std[k]) * eps.',
    },
    outputs: outputsOf(params, fk, o.sampling),
    actionLow: params.actionLow,
    actionHigh: params.actionHigh,
    where: WHERE,
  });
  let u = noiseU;
  let eps = noiseEps;

  // normalization and the trunk's hidden layers
  let x = addNormalize(s, obs, params.obsOffset, params.obsScale);
  for (let l = 0; l < L - 1; l++) {
    x = addDense(s, {
      name: `${P}/trunk/layer${l}`,
      x,
      W: trunk.weights[l]!,
      wDims: [layers[l]!, layers[l + 1]!],
      b: trunk.biases[l]!,
      bDims: [layers[l + 1]!],
      outShape: ['N', layers[l + 1]!],
      relu: true,
      doc: `Trunk layer ${l}`,
    });
  }
  // the output layer as column blocks: [logits (K, learned only) | mu (K·A) | rho (K·A)]
  const Wl = trunk.weights[L - 1]!;
  const bl = trunk.biases[L - 1]!;
  const nl = learned ? K : 0;
  const block = (name: string, c0: number, c1: number, doc: string): string =>
    addDense(s, {
      name: `${P}/head/${name}`,
      x,
      W: columns(Wl, Hin, Pout, c0, c1),
      wDims: [Hin, c1 - c0],
      b: Array.from(bl).slice(c0, c1),
      bDims: [c1 - c0],
      outShape: ['N', c1 - c0],
      relu: false,
      doc,
    });
  const logits = learned ? block('logits', 0, K, `Output layer, columns 0..${K - 1} (mixture logits)`) : undefined;
  const mu = block('means', nl, nl + K * A, `Output layer, columns ${nl}..${nl + K * A - 1} (component means, component-major)`);
  const rho = block('log_std_raw', nl + K * A, nl + 2 * K * A, `Output layer, columns ${nl + K * A}..${nl + 2 * K * A - 1} (raw log-std)`);

  const shapeNKA = int64Const(s, 'shape_n_k_a', [-1, K, A]);
  const means = g.node({ name: `${P}/head/means/reshape`, opType: 'Reshape', inputs: [mu, shapeNKA], outputs: [IO.means] });

  const rho3 = g.node({
    name: `${P}/head/log_std/reshape`,
    opType: 'Reshape',
    inputs: [rho, shapeNKA],
    outputs: [`${P}/head/log_std/rho`],
  });
  g.valueInfo(rho3, F, ['N', K, A]);
  const th = addSquash(s, box, `${P}/head/log_std`, rho3, ['N', K, A]);
  const th1 = g.node({
    name: `${P}/head/log_std/add_one`,
    opType: 'Add',
    inputs: [th, box.one],
    outputs: [`${P}/head/log_std/tanh_plus_one`],
  });
  g.valueInfo(th1, F, ['N', K, A]);
  const span = g.initializerFloat(
    `${P}/const/log_std_span`,
    F,
    [],
    [0.5 * (head.logStdMax - head.logStdMin)],
    '(logStdMax - logStdMin) / 2',
  );
  const minC = g.initializerFloat(`${P}/const/log_std_min`, F, [], [head.logStdMin], 'logStdMin');
  const sp = g.node({ name: `${P}/head/log_std/mul_span`, opType: 'Mul', inputs: [th1, span], outputs: [`${P}/head/log_std/scaled`] });
  g.valueInfo(sp, F, ['N', K, A]);
  const logStd = g.node({
    name: `${P}/head/log_std/add_min`,
    opType: 'Add',
    inputs: [sp, minC],
    outputs: [IO.logStd],
    doc: 'min + (max - min)/2 (tanh(rho) + 1)',
  });

  // weights and the greedy component
  let weights: string;
  const argmaxAttrs = {
    axis: { kind: 'int', value: 1 },
    keepdims: { kind: 'int', value: 0 },
    select_last_index: { kind: 'int', value: 0 },
  } as const;
  let kStar: string;
  if (learned) {
    weights = g.node({
      name: `${P}/head/weights/softmax`,
      opType: 'Softmax',
      inputs: [logits!],
      outputs: [IO.weights],
      attributes: { axis: { kind: 'int', value: 1 } },
    });
    kStar = g.node({
      name: `${P}/greedy/argmax`,
      opType: 'ArgMax',
      inputs: [logits!],
      outputs: [`${P}/greedy/component`],
      attributes: argmaxAttrs,
      doc: 'k* = argmax logits (first on ties)',
    });
  } else {
    const n1 = g.node({
      name: `${P}/head/weights/shape`,
      opType: 'Shape',
      inputs: [obs],
      outputs: [`${P}/head/weights/batch_size`],
      attributes: { start: { kind: 'int', value: 0 }, end: { kind: 'int', value: 1 } },
    });
    g.valueInfo(n1, ElemType.INT64, [1]);
    const kC = int64Const(s, 'k', [K]);
    const shp = g.node({
      name: `${P}/head/weights/concat`,
      opType: 'Concat',
      inputs: [n1, kC],
      outputs: [`${P}/head/weights/shape_n_k`],
      attributes: { axis: { kind: 'int', value: 0 } },
    });
    g.valueInfo(shp, ElemType.INT64, [2]);
    const w = g.initializerFloat(`${P}/const/uniform_weights`, F, [K], new Array(K).fill(1 / K), 'Uniform mixture weights 1/K.');
    weights = g.node({
      name: `${P}/head/weights/expand`,
      opType: 'Expand',
      inputs: [w, shp],
      outputs: [IO.weights],
      doc: 'weights = 1/K for every row',
    });
    kStar = g.node({
      name: `${P}/greedy/argmax`,
      opType: 'ArgMax',
      inputs: [weights],
      outputs: [`${P}/greedy/component`],
      attributes: argmaxAttrs,
      doc: 'k* = 0 (uniform weights: first on ties)',
    });
  }
  g.valueInfo(kStar, ElemType.INT64, ['N']);
  const mStar = addGatherRows(s, `${P}/greedy/means`, means, kStar, A, axes1);
  const aStar = addSquash(s, box, `${P}/greedy`, mStar, ['N', A], `${P}/greedy/policy_action`);
  addBoxScale(s, box, `${P}/greedy/scale`, aStar, IO.action, ['N', A], true);

  // sampling
  if (o.sampling === 'in-graph') {
    u = addInGraphUniform(s, kStar);
    eps = addInGraphNormal(s, mStar, A);
  }
  const cdf = g.node({
    name: `${P}/sample/cumsum`,
    opType: 'CumSum',
    inputs: [weights, g.initializerInt64(`${P}/const/axis_1`, [], [1])],
    outputs: [`${P}/sample/cdf`],
  });
  g.valueInfo(cdf, F, ['N', K]);
  const uCol = g.node({ name: `${P}/sample/unsqueeze_u`, opType: 'Unsqueeze', inputs: [u!, axes1], outputs: [`${P}/sample/u_column`] });
  g.valueInfo(uCol, F, ['N', 1]);
  const below = g.node({
    name: `${P}/sample/less`,
    opType: 'Less',
    inputs: [uCol, cdf],
    outputs: [`${P}/sample/u_below_cdf`],
    doc: 'u < cdf_k',
  });
  g.valueInfo(below, ElemType.BOOL, ['N', K]);
  const belowI = g.node({
    name: `${P}/sample/cast`,
    opType: 'Cast',
    inputs: [below],
    outputs: [`${P}/sample/u_below_cdf_int`],
    attributes: { to: { kind: 'int', value: ElemType.INT64 } },
  });
  g.valueInfo(belowI, ElemType.INT64, ['N', K]);
  const count = g.node({
    name: `${P}/sample/reduce_sum`,
    opType: 'ReduceSum',
    inputs: [belowI, axes1],
    outputs: [`${P}/sample/count`],
    attributes: { keepdims: { kind: 'int', value: 0 } },
  });
  g.valueInfo(count, ElemType.INT64, ['N']);
  const kRaw = g.node({
    name: `${P}/sample/sub`,
    opType: 'Sub',
    inputs: [g.initializerInt64(`${P}/const/k_scalar`, [], [K]), count],
    outputs: [`${P}/sample/first_index`],
  });
  g.valueInfo(kRaw, ElemType.INT64, ['N']);
  const k = g.node({
    name: `${P}/sample/min`,
    opType: 'Min',
    inputs: [kRaw, g.initializerInt64(`${P}/const/k_minus_one`, [], [K - 1])],
    outputs: [`${P}/sample/component`],
    doc: 'k = min(K - count, K - 1): the first component with u < cdf_k, K - 1 if none',
  });
  g.valueInfo(k, ElemType.INT64, ['N']);
  const mK = addGatherRows(s, `${P}/sample/means`, means, k, A, axes1);
  const lsK = addGatherRows(s, `${P}/sample/log_std`, logStd, k, A, axes1);
  const sd = g.node({ name: `${P}/sample/exp`, opType: 'Exp', inputs: [lsK], outputs: [`${P}/sample/std`] });
  g.valueInfo(sd, F, ['N', A]);
  const nz = g.node({ name: `${P}/sample/mul`, opType: 'Mul', inputs: [sd, eps!], outputs: [`${P}/sample/std_eps`] });
  g.valueInfo(nz, F, ['N', A]);
  const xs = g.node({
    name: `${P}/sample/add`,
    opType: 'Add',
    inputs: [mK, nz],
    outputs: [`${P}/sample/pre_tanh`],
    doc: 'x = means[k] + exp(log_std[k]) * eps',
  });
  g.valueInfo(xs, F, ['N', A]);
  const as = addSquash(s, box, `${P}/sample`, xs, ['N', A], `${P}/sample/policy_action`);
  // with noise inputs: NaN in the rows without finite noise (envelope.ts guardSampled)
  const sampled = missing ? `${P}/sample/action` : IO.actionSampled;
  addBoxScale(s, box, `${P}/sample/scale`, as, sampled, ['N', A], !missing);
  if (missing) guardSampled(g, fk, P, missing, sampled, IO.actionSampled, 2, 'float');

  return finishModel(
    g,
    meta.docString ??
      actorDocString(
        `gmmrl mixture actor for ${meta.envId} (K=${K}, ${head.weights} weights, MLP [${layers.join(', ')}], ${mlpParameterCount(layers)} parameters, ${o.precision}).`,
        fk,
        D,
        A,
        o.sampling,
        `, "weights" [N, ${K}], "means" and "log_std" [N, ${K}, ${A}].`,
      ),
    props,
  );
}
