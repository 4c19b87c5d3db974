/**
 * ONNX export of a DQN Q-network (models/dqn/params.ts), through the same contract as the GMM-QF
 * (contract/metadata.ts, family "dqn"): input obs [N, D] F, output q [N, A] F, the shared
 * greedy-action head and the ε-greedy sampling head (exporters/onnx/qhead.ts). F = float32
 * (default) or float64 (options.precision). Options (QExportOptions): sampling "inputs" (default:
 * input noise_u [N] F, output action_sampled), "in-graph" (RandomUniformLike) or "none" (the
 * greedy-only graph with the single input obs), epsilon (default 0.05).
 *
 * The graph is EXACTLY this op sequence (models/dqn/tf.ts mirrors it op for op):
 *
 *   0. with sampling "inputs" (noise_u has a one-row NaN default, envelope.ts beginGraph):
 *      u = Expand(noise_u, Shape(obs)[0])               dqn/noise/rows, dqn/noise/u_rows  [N]
 *      the rows without finite u                        dqn/noise/u_column … missing      [N] bool
 *   1. centred = Sub(obs, offset)                       dqn/normalize/sub      [N, D]
 *   2. z       = Div(centred, scale)                    dqn/normalize/div      [N, D]
 *   per hidden layer l = 0 … L−2:
 *   3. y_l     = MatMul(x_l, W_l)                       dqn/layer{l}/matmul    [N, H_l]   (W_l stored [in, out])
 *   4. p_l     = Add(y_l, b_l)                          dqn/layer{l}/add
 *   5. x_{l+1} = Relu(p_l)                              dqn/layer{l}/relu
 *   output layer L−1:
 *   6. y       = MatMul(x_{L−1}, W_{L−1})                dqn/layer{L−1}/matmul  [N, A]
 *   7. q       = Add(y, b_{L−1})                        dqn/layer{L−1}/add     → output "q"
 *   8. action  = ArgMax(q, axis 1, first index on ties) dqn/action/argmax      [N] int64
 *      (grid: action_index = that ArgMax, action = Gather(grid, action_index) reshaped [N, ...shape] F)
 *   9. unless sampling is "none": the ε-greedy head (qhead.ts addSamplingHead), nodes dqn/sample/…
 *      (and dqn/noise/random_uniform for in-graph noise) → action_sampled (+ action_sampled_index);
 *      with noise_u an input each through dqn/guard/…: −1 / NaN in the rows where u is not finite
 *
 * Opset 17, IR version 8. Float32: every constant is the float64 parameter rounded to float32
 * once; float64: the parameters exactly.
 */
import type { DqnParams } from '../../models/dqn/params.js';
import { DQN_ACTIVATION, checkDqnParams, dqnParameterCount } from '../../models/dqn/params.js';
import { ShapeError, ValueError, describeValue } from '../../contract/errors.js';
import { FAMILY } from '../../contract/families.js';
import { GMMQF_OUTPUT_Q, METADATA_SCHEMA_VERSION, metadataToProps, type GmmrlMetadataV1 } from '../../contract/metadata.js';
import { beginGraph, finishModel, metadataEnvelope, normalizationSpec, precisionField } from './envelope.js';
import {
  Q_NOISE_U_DOC,
  actionSpaceSpec,
  addGreedyActionHead,
  addSamplingHead,
  checkActionGrid,
  qInputSpecs,
  qOutputSpecs,
  qSamplingSpec,
} from './qhead.js';
import {
  EXPORT_IR_VERSION,
  EXPORT_OPSET_VERSION,
  addNormalize,
  checkMetaObservation,
  checkMetaProvenance,
  checkFits,
  floatKind,
  resolveQOptions,
  type FloatKind,
  type QExportOptions,
  type ResolvedQOptions,
} from './subgraphs.js';

/** Options of exportDqn: precision, sampling ('inputs' | 'in-graph' | 'none') and epsilon. */
export type DqnExportOptions = QExportOptions;

export const DQN_IR_VERSION = EXPORT_IR_VERSION;
export const DQN_OPSET_VERSION = EXPORT_OPSET_VERSION;

/** The family id, which also names the graph and prefixes every node. */
const P = FAMILY.dqn;

export interface DqnExportMeta {
  envId: string;
  observationSpace: { shape: number[]; low: number[]; high: number[] };
  /**
   * The environment's action space: discrete with n = A, or (for a model with an actionGrid) the
   * continuous box the grid covers. Checked against the parameters.
   */
  actionSpace: { kind: 'discrete'; n: number } | { kind: 'box'; shape: number[]; low: number[]; high: number[] };
  /** SHA-256 (hex) of the checkpoint the parameters came from. */
  sourceCheckpointSha256?: string;
  /** algorithm, steps, seed, backend, … passed through into the metadata (non-finite numbers → null). */
  training?: Record<string, unknown>;
  /** Model doc string (a default describing the model is written otherwise). */
  docString?: string;
}

/** Validates parameters and export metadata (throws ValueError / ShapeError naming the field and value). */
function validate(p: DqnParams, meta: DqnExportMeta, fk: FloatKind): void {
  checkDqnParams(p, 'exportDqn');
  const L = p.layers.length - 1;
  for (let l = 0; l < L; l++) {
    checkFits('exportDqn', `weights[${l}]`, p.weights[l]!, fk);
    checkFits('exportDqn', `biases[${l}]`, p.biases[l]!, fk);
  }
  checkFits('exportDqn', 'obsOffset', p.obsOffset, fk);
  checkFits('exportDqn', 'obsScale', p.obsScale, fk);
  const D = p.layers[0]!;
  const A = p.layers[L]!;
  for (let j = 0; j < D; j++) {
    if (!(fk.round(p.obsScale[j]!) > 0)) {
      throw new ValueError(
        `exportDqn: obsScale[${j}] = ${p.obsScale[j]} must be > 0 in ${fk.precision} (it rounds to 0): z = (obs − offset) / scale.`,
      );
    }
  }
  if (p.actionGrid) checkActionGrid(p.actionGrid, A, 'exportDqn', fk.round);

  checkMetaObservation('exportDqn', meta, D, {
    metaShape: 'a DqnExportMeta object',
    envExample: 'CartPole-v1',
    sizeWhy: `the network's input size D = layers[0] is ${D}`,
  });
  const as = meta.actionSpace;
  if (typeof as !== 'object' || as === null || (as.kind !== 'discrete' && as.kind !== 'box')) {
    throw new ValueError(
      `exportDqn: meta.actionSpace must be { kind: 'discrete', n } or { kind: 'box', shape, low, high }, got ${describeValue(as)}.`,
    );
  }
  if (as.kind === 'discrete') {
    if (p.actionGrid) {
      throw new ValueError(
        `exportDqn: the model has an actionGrid but meta.actionSpace is discrete; pass the continuous box the grid covers.`,
      );
    }
    if (as.n !== A)
      throw new ShapeError(
        `exportDqn: meta.actionSpace.n = ${describeValue(as.n)} but the network has A = ${A} outputs (layers [${p.layers.join(', ')}]).`,
      );
  } else {
    const g = p.actionGrid;
    if (!g) {
      throw new ValueError(
        `exportDqn: meta.actionSpace is a continuous box but the model has no actionGrid; a Q-network needs a grid of ${A} actions over it.`,
      );
    }
    const same = (x: readonly number[] | undefined, y: readonly number[]) =>
      Array.isArray(x) && x.length === y.length && x.every((v, i) => v === y[i]);
    if (!same(as.shape, g.shape))
      throw new ShapeError(
        `exportDqn: meta.actionSpace.shape = ${describeValue(as.shape)} but actionGrid.shape = ${JSON.stringify(g.shape)}.`,
      );
    if (!same(as.low, g.low) || !same(as.high, g.high)) {
      throw new ValueError(
        `exportDqn: meta.actionSpace bounds [${describeValue(as.low)}, ${describeValue(as.high)}] differ from actionGrid.low/high [${JSON.stringify(g.low)}, ${JSON.stringify(g.high)}].`,
      );
    }
  }
  checkMetaProvenance('exportDqn', meta);
}

/** The gmmrl metadata (schema 1, family dqn) `exportDqn(p, meta, options)` writes for these parameters. */
export function dqnMetadata(p: DqnParams, meta: DqnExportMeta, options?: DqnExportOptions): GmmrlMetadataV1 {
  const o = resolveQOptions(options, 'exportDqn');
  const fk = floatKind(o.precision);
  validate(p, meta, fk);
  return metadataOf(p, meta, o, fk);
}

function metadataOf(p: DqnParams, meta: DqnExportMeta, o: ResolvedQOptions, fk: FloatKind): GmmrlMetadataV1 {
  const D = p.layers[0]!;
  const A = p.layers.at(-1)!;
  const sampling = qSamplingSpec(o, Boolean(p.actionGrid));
  return metadataEnvelope(P, meta, {
    action_space: actionSpaceSpec(A, p.actionGrid, fk),
    ...precisionField(o.precision),
    ...(sampling !== undefined ? { sampling } : {}),
    normalization: normalizationSpec(p.obsOffset, p.obsScale, fk),
    inputs: qInputSpecs(D, o),
    outputs: qOutputSpecs(A, p.actionGrid, fk.dtype, sampling !== undefined),
    parameter_count: dqnParameterCount(p.layers),
    network: { layers: [...p.layers], activation: DQN_ACTIVATION },
  });
}

/**
 * Exports a DQN Q-network as an ONNX model (bytes of a ModelProto, IR 8, opset 17) with gmmrl
 * metadata (schema 1, family dqn). Options: precision 'float32' (default) | 'float64', sampling
 * 'inputs' (default) | 'in-graph' | 'none', epsilon (default 0.05). Throws ValueError /
 * ShapeError on invalid input, naming the field.
 */
export function exportDqn(params: DqnParams, meta: DqnExportMeta, options?: DqnExportOptions): Uint8Array {
  const o = resolveQOptions(options, 'exportDqn');
  const fk = floatKind(o.precision);
  validate(params, meta, fk);
  const { layers } = params;
  const L = layers.length - 1;
  const D = layers[0]!;
  const A = layers[L]!;
  const props = metadataToProps(metadataOf(params, meta, o, fk));
  const F = fk.F;
  const { g, obs } = beginGraph(
    P,
    `DQN Q-network, MLP [${layers.join(', ')}] with ReLU hidden layers (${dqnParameterCount(layers)} parameters, ${o.precision}). ` +
      'q = relu(...relu(z W_0 + b_0)...) W_{L-1} + b_{L-1}, z = (obs - offset) / scale; action = argmax_a q (first on ties)' +
      (o.sampling === 'none' ? '.' : `; action_sampled: epsilon-greedy with epsilon = ${o.epsilon} (noise ${o.sampling}).`),
    fk,
    D,
    o.sampling === 'inputs' ? { u: Q_NOISE_U_DOC } : undefined,
  );
  let x = addNormalize({ g, fk, prefix: P }, obs, params.obsOffset, params.obsScale);

  for (let l = 0; l < L; l++) {
    const nin = layers[l]!;
    const nout = layers[l + 1]!;
    const last = l === L - 1;
    const W = g.initializerFloat(`dqn/layer${l}/weight`, F, [nin, nout], params.weights[l]!, `Layer ${l} weights [in, out].`);
    const b = g.initializerFloat(`dqn/layer${l}/bias`, F, [nout], params.biases[l]!, `Layer ${l} bias.`);
    const y = g.node({ name: `dqn/layer${l}/matmul`, opType: 'MatMul', inputs: [x, W], outputs: [`dqn/layer${l}/linear`] });
    g.valueInfo(y, F, ['N', nout]);
    if (last) {
      g.output(GMMQF_OUTPUT_Q, F, ['N', A], 'Q values, one row of A per observation.');
      g.node({
        name: `dqn/layer${l}/add`,
        opType: 'Add',
        inputs: [y, b],
        outputs: [GMMQF_OUTPUT_Q],
        doc: 'q = x W + b (linear output layer)',
      });
    } else {
      const pre = g.node({ name: `dqn/layer${l}/add`, opType: 'Add', inputs: [y, b], outputs: [`dqn/layer${l}/preactivation`] });
      g.valueInfo(pre, F, ['N', nout]);
      x = g.node({ name: `dqn/layer${l}/relu`, opType: 'Relu', inputs: [pre], outputs: [`dqn/layer${l}/activation`] });
      g.valueInfo(x, F, ['N', nout]);
    }
  }
  addGreedyActionHead(g, P, A, params.actionGrid, F);
  addSamplingHead(g, P, A, params.actionGrid, fk, o);

  return finishModel(
    g,
    meta.docString ??
      `gmmrl DQN policy for ${meta.envId} (MLP [${layers.join(', ')}], ${dqnParameterCount(layers)} parameters). Input "obs" [N, ${D}] ${fk.dtype} ` +
        `(raw observations; normalization is inside the graph)${o.sampling === 'inputs' ? ` and "noise_u" [N] ${fk.dtype} (uniform [0, 1))` : ''}; outputs "q" [N, ${A}] ${fk.dtype} and ` +
        (params.actionGrid
          ? `"action" [N, ${params.actionGrid.shape.join(', ')}] ${fk.dtype} (grid value) + "action_index" [N] int64`
          : `"action" [N] int64`) +
        (o.sampling === 'none'
          ? '. '
          : `, and the epsilon-greedy "action_sampled"${params.actionGrid ? ' + "action_sampled_index"' : ''} (epsilon ${o.epsilon}${o.sampling === 'in-graph' ? ', noise drawn in the graph: not reproducible across runtimes' : ''}). `) +
        `See the gmmrl.metadata property (schema ${METADATA_SCHEMA_VERSION}).`,
    props,
  );
}
