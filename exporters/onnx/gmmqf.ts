/**
 * ONNX export of a GMM Q-function (algorithms.md §1):
 *
 *   z = (s − offset) / scale
 *   Q(s, a) = Σ_k ξ[k, a] · exp(−½ ‖W_k (z − m_k)‖²),   W_k = L_k⁻¹, C_k = L_k L_kᵀ
 *
 * The graph is EXACTLY this op sequence (the TensorFlow.js training code mirrors it op for op):
 *
 *   1. z     = Div(Sub(obs, offset), scale)                   obs [N, D] float32, offset/scale [D]
 *   2. zu    = Unsqueeze(z, axes=[1])                          [N, 1, D]
 *   3. diff  = Sub(zu, means)                                  [N, K, D]   (centred first)
 *   4. diff4 = Unsqueeze(diff, axes=[2])                       [N, K, 1, D]
 *   5. y     = MatMul(diff4, factorsT)                         [N, K, 1, D], factorsT[k] = W_kᵀ
 *   6. quad  = ReduceSum(Mul(y, y), axes=[2, 3], keepdims=0)   [N, K]
 *   7. g     = Exp(Mul(quad, −0.5))                            [N, K]
 *   8. q     = MatMul(g, weights)                              [N, A]  → output "q"
 *   9. action = ArgMax(q, axis=1, keepdims=0)                  [N] int64 → output "action" (first index on ties)
 *
 * Opset 17, IR version 8. W_k is computed in float64 by `precisionFactors` and rounded to float32
 * once; every other constant is the float64 parameter rounded to float32 once.
 */
import { assertSpd } from '../../models/linalg/cholesky.js';
import type { GmmQfParams } from '../../models/gmmqf/params.js';
import { precisionFactors } from '../../models/gmmqf/reference.js';
import { GMMRL_VERSION } from '../../models/version.js';
import { ShapeError, ValueError, describeValue } from '../../runtime/errors.js';
import {
  GMMQF_INPUT,
  GMMQF_OUTPUT_ACTION,
  GMMQF_OUTPUT_Q,
  METADATA_SCHEMA_VERSION,
  NORMALIZATION_FORMULA,
  metadataToProps,
  type GmmrlMetadataV1,
} from '../../runtime/metadata.js';
import { ElemType, GraphBuilder } from './graph.js';

export const GMMQF_IR_VERSION = 8;
export const GMMQF_OPSET_VERSION = 17;

export interface GmmQfExportMeta {
  envId: string;
  observationSpace: { shape: number[]; low: number[]; high: number[] };
  actionSpace: { kind: 'discrete'; n: number };
  /** SHA-256 (hex) of the checkpoint the parameters came from. */
  sourceCheckpointSha256?: string;
  /** algorithm, steps, seed, backend, … passed through into the metadata (non-finite numbers → null). */
  training?: Record<string, unknown>;
  /** Model doc string (a default describing the model is written otherwise). */
  docString?: string;
}

const FLOAT32_MAX = 3.4028234663852886e38;

function checkInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new ValueError(`GMM-QF ${what} must be a positive integer, got ${describeValue(v)}.`);
  }
  return v;
}

function checkArray(a: unknown, len: number, what: string, shape: string): ArrayLike<number> {
  if (!(a instanceof Float64Array) && !(a instanceof Float32Array) && !Array.isArray(a)) {
    throw new ValueError(`GMM-QF ${what} must be a Float64Array of shape ${shape}, got ${describeValue(a)}.`);
  }
  if (a.length !== len) throw new ShapeError(`GMM-QF ${what} has length ${a.length}, expected ${len} (shape ${shape}).`);
  for (let i = 0; i < len; i++) {
    const x = a[i] as unknown;
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new ValueError(`GMM-QF ${what}[${i}] is ${describeValue(x)}; all parameters must be finite numbers.`);
    }
    if (Math.abs(x) > FLOAT32_MAX) {
      throw new ValueError(`GMM-QF ${what}[${i}] = ${x} does not fit in float32 (|x| ≤ 3.4e38), which the ONNX graph computes in.`);
    }
  }
  return a as ArrayLike<number>;
}

/** Validates parameters and export metadata; returns W_kᵀ rounded to float32, [K, D, D]. */
function validate(p: GmmQfParams, meta: GmmQfExportMeta): Float32Array {
  if (typeof p !== 'object' || p === null) throw new ValueError(`exportGmmQf: params must be a GmmQfParams object, got ${describeValue(p)}.`);
  const K = checkInt(p.K, 'K (components)');
  const D = checkInt(p.D, 'D (observation size)');
  const A = checkInt(p.A, 'A (actions)');
  checkArray(p.means, K * D, 'means', `[K=${K}, D=${D}]`);
  checkArray(p.covariances, K * D * D, 'covariances', `[K=${K}, D=${D}, D=${D}]`);
  checkArray(p.weights, K * A, 'weights', `[K=${K}, A=${A}]`);
  checkArray(p.obsOffset, D, 'obsOffset', `[D=${D}]`);
  const scale = checkArray(p.obsScale, D, 'obsScale', `[D=${D}]`);
  for (let j = 0; j < D; j++) {
    if (!(scale[j]! > 0) || !(Math.fround(scale[j]!) > 0)) {
      throw new ValueError(`GMM-QF obsScale[${j}] = ${scale[j]} must be > 0 (and > 0 in float32): z = (obs − offset) / scale.`);
    }
  }
  const covs = Float64Array.from(p.covariances as ArrayLike<number>);
  for (let k = 0; k < K; k++) assertSpd(covs, D, `GMM-QF covariances[${k}]`, k * D * D);
  const W = precisionFactors(covs, K, D);
  const factorsT = new Float32Array(K * D * D);
  for (let k = 0; k < K; k++) {
    const b = k * D * D;
    for (let r = 0; r < D; r++) {
      for (let c = 0; c < D; c++) {
        const w = W[b + r * D + c]!;
        const f = Math.fround(w);
        if (!Number.isFinite(f) || (w !== 0 && f === 0)) {
          throw new ValueError(
            `GMM-QF covariances[${k}] is too close to singular for float32: its precision factor W[${r}][${c}] = ${w} ` +
              `does not fit in float32. Regularise the covariance (add eps·I).`,
          );
        }
        factorsT[b + c * D + r] = f; // transpose: factorsT[k][c][r] = W_k[r][c]
      }
    }
  }

  if (typeof meta !== 'object' || meta === null) throw new ValueError(`exportGmmQf: meta must be a GmmQfExportMeta object, got ${describeValue(meta)}.`);
  if (typeof meta.envId !== 'string' || meta.envId.length === 0) {
    throw new ValueError(`exportGmmQf: meta.envId must be a non-empty string (e.g. "CartPole-v1"), got ${describeValue(meta.envId)}.`);
  }
  const os = meta.observationSpace;
  if (typeof os !== 'object' || os === null || !Array.isArray(os.shape) || os.shape.length === 0) {
    throw new ValueError(`exportGmmQf: meta.observationSpace.shape must be a non-empty array of sizes, got ${describeValue(os?.shape)}.`);
  }
  for (const [i, s] of os.shape.entries()) {
    if (!Number.isSafeInteger(s) || s < 1) throw new ValueError(`exportGmmQf: meta.observationSpace.shape[${i}] = ${describeValue(s)} must be a positive integer.`);
  }
  const size = os.shape.reduce((a, b) => a * b, 1);
  if (size !== D) {
    throw new ShapeError(
      `exportGmmQf: meta.observationSpace.shape = ${JSON.stringify(os.shape)} has ${size} entries but the model's observation size D is ${D}.`,
    );
  }
  for (const side of ['low', 'high'] as const) {
    const arr = os[side];
    if (!Array.isArray(arr) || arr.length !== D) {
      throw new ShapeError(`exportGmmQf: meta.observationSpace.${side} must be an array of ${D} numbers, got ${describeValue(arr)}.`);
    }
    for (const [i, x] of arr.entries()) {
      if (typeof x !== 'number' || Number.isNaN(x)) {
        throw new ValueError(`exportGmmQf: meta.observationSpace.${side}[${i}] is ${describeValue(x)}; use a number (±Infinity when unbounded).`);
      }
    }
  }
  for (let i = 0; i < D; i++) {
    if (!(os.low[i]! <= os.high[i]!)) {
      throw new ValueError(`exportGmmQf: meta.observationSpace.low[${i}] = ${os.low[i]} exceeds high[${i}] = ${os.high[i]}.`);
    }
  }
  const as = meta.actionSpace;
  if (typeof as !== 'object' || as === null || as.kind !== 'discrete') {
    throw new ValueError(`exportGmmQf: meta.actionSpace must be { kind: 'discrete', n }, got ${describeValue(as)}.`);
  }
  if (as.n !== A) {
    throw new ShapeError(`exportGmmQf: meta.actionSpace.n = ${describeValue(as.n)} but the model has A = ${A} actions (weights [K, A]).`);
  }
  if (meta.sourceCheckpointSha256 !== undefined && !/^[0-9a-f]{64}$/.test(String(meta.sourceCheckpointSha256))) {
    throw new ValueError(
      `exportGmmQf: meta.sourceCheckpointSha256 must be 64 lower-case hex digits, got ${describeValue(meta.sourceCheckpointSha256)}.`,
    );
  }
  if (meta.training !== undefined && (typeof meta.training !== 'object' || meta.training === null || Array.isArray(meta.training))) {
    throw new ValueError(`exportGmmQf: meta.training must be a plain object, got ${describeValue(meta.training)}.`);
  }
  if (meta.docString !== undefined && typeof meta.docString !== 'string') {
    throw new ValueError(`exportGmmQf: meta.docString must be a string, got ${describeValue(meta.docString)}.`);
  }
  return factorsT;
}

/** The gmmrl metadata (schema 1) the exporter writes for these parameters. */
export function gmmQfMetadata(p: GmmQfParams, meta: GmmQfExportMeta): GmmrlMetadataV1 {
  const { K, D, A } = p;
  const m: GmmrlMetadataV1 = {
    schema_version: METADATA_SCHEMA_VERSION,
    family: 'gmmqf',
    producer: 'gmmrl',
    producer_version: GMMRL_VERSION,
    env_id: meta.envId,
    observation_space: { shape: [...meta.observationSpace.shape], low: [...meta.observationSpace.low], high: [...meta.observationSpace.high] },
    action_space: { kind: 'discrete', n: A },
    components: K,
    normalization: {
      offset: Array.from(p.obsOffset, (x) => Math.fround(x)),
      scale: Array.from(p.obsScale, (x) => Math.fround(x)),
      formula: NORMALIZATION_FORMULA,
    },
    inputs: [{ name: GMMQF_INPUT, dtype: 'float32', shape: ['N', D] }],
    outputs: [
      { name: GMMQF_OUTPUT_Q, dtype: 'float32', shape: ['N', A] },
      { name: GMMQF_OUTPUT_ACTION, dtype: 'int64', shape: ['N'] },
    ],
  };
  if (meta.sourceCheckpointSha256 !== undefined) m.source_checkpoint_sha256 = meta.sourceCheckpointSha256;
  if (meta.training !== undefined) m.training = meta.training;
  return m;
}

/**
 * Exports a GMM Q-function as an ONNX model (bytes of a ModelProto, IR 8, opset 17) with gmmrl
 * metadata (schema 1). Throws ValueError / ShapeError / SpdError on invalid input, naming the field.
 */
export function exportGmmQf(params: GmmQfParams, meta: GmmQfExportMeta): Uint8Array {
  const factorsT = validate(params, meta);
  const { K, D, A } = params;
  const props = metadataToProps(gmmQfMetadata(params, meta));

  const F = ElemType.FLOAT;
  const g = new GraphBuilder(
    'gmmqf',
    `GMM Q-function, K=${K} components, D=${D} observation entries, A=${A} actions. ` +
      'q[n,a] = sum_k weights[k,a] * exp(-0.5 * ||W_k (z_n - means[k])||^2), z = (obs - offset) / scale; action = argmax_a q (first on ties).',
  );
  const obs = g.input(GMMQF_INPUT, F, ['N', D], `Raw observations, one row per batch entry (N rows of ${D}).`);

  const offset = g.initializerFloat32('gmmqf/obs_offset', [D], params.obsOffset, 'Observation offset (normalization).');
  const scale = g.initializerFloat32('gmmqf/obs_scale', [D], params.obsScale, 'Observation scale (normalization), > 0.');
  const means = g.initializerFloat32('gmmqf/means', [K, D], params.means, 'Component means m_k, normalized coordinates.');
  const factors = g.initializerFloat32(
    'gmmqf/precision_factors_t',
    [K, D, D],
    factorsT,
    'Transposed precision factors W_k^T with W_k = L_k^-1, C_k = L_k L_k^T (computed in float64, rounded once).',
  );
  const weights = g.initializerFloat32('gmmqf/weights', [K, A], params.weights, 'Per-action weights xi[k, a].');
  const axes1 = g.initializerInt64('gmmqf/const/axes_1', [1], [1]);
  const axes2 = g.initializerInt64('gmmqf/const/axes_2', [1], [2]);
  const axes23 = g.initializerInt64('gmmqf/const/axes_2_3', [2], [2, 3]);
  const minusHalf = g.initializerFloat32('gmmqf/const/minus_half', [], [-0.5]);

  // 1. normalization
  const centred = g.node({ name: 'gmmqf/normalize/sub', opType: 'Sub', inputs: [obs, offset], outputs: ['gmmqf/normalize/centred'] });
  g.valueInfo(centred, F, ['N', D]);
  const z = g.node({
    name: 'gmmqf/normalize/div',
    opType: 'Div',
    inputs: [centred, scale],
    outputs: ['gmmqf/normalize/z'],
    doc: 'z = (obs - offset) / scale',
  });
  g.valueInfo(z, F, ['N', D]);
  // 2. broadcast against the components
  const zu = g.node({ name: 'gmmqf/kernel/unsqueeze_z', opType: 'Unsqueeze', inputs: [z, axes1], outputs: ['gmmqf/kernel/z_unsqueezed'] });
  g.valueInfo(zu, F, ['N', 1, D]);
  // 3. centre on each mean before the quadratic form
  const diff = g.node({
    name: 'gmmqf/kernel/sub_means',
    opType: 'Sub',
    inputs: [zu, means],
    outputs: ['gmmqf/kernel/diff'],
    doc: 'diff[n,k] = z_n - m_k (numerically centred before the quadratic form)',
  });
  g.valueInfo(diff, F, ['N', K, D]);
  // 4.
  const diff4 = g.node({ name: 'gmmqf/kernel/unsqueeze_diff', opType: 'Unsqueeze', inputs: [diff, axes2], outputs: ['gmmqf/kernel/diff_row'] });
  g.valueInfo(diff4, F, ['N', K, 1, D]);
  // 5. whitening: row vector d W_k^T = (W_k d)^T
  const y = g.node({
    name: 'gmmqf/kernel/whiten',
    opType: 'MatMul',
    inputs: [diff4, factors],
    outputs: ['gmmqf/kernel/whitened'],
    doc: 'y[n,k] = (W_k diff[n,k])^T',
  });
  g.valueInfo(y, F, ['N', K, 1, D]);
  // 6. squared norm
  const ySq = g.node({ name: 'gmmqf/kernel/square', opType: 'Mul', inputs: [y, y], outputs: ['gmmqf/kernel/whitened_sq'] });
  g.valueInfo(ySq, F, ['N', K, 1, D]);
  const quad = g.node({
    name: 'gmmqf/kernel/reduce_sum',
    opType: 'ReduceSum',
    inputs: [ySq, axes23],
    outputs: ['gmmqf/kernel/quad'],
    attributes: { keepdims: { kind: 'int', value: 0 } },
    doc: 'quad[n,k] = (z_n - m_k)^T C_k^-1 (z_n - m_k)',
  });
  g.valueInfo(quad, F, ['N', K]);
  // 7. kernel activations
  const halfQuad = g.node({ name: 'gmmqf/kernel/scale', opType: 'Mul', inputs: [quad, minusHalf], outputs: ['gmmqf/kernel/neg_half_quad'] });
  g.valueInfo(halfQuad, F, ['N', K]);
  const act = g.node({ name: 'gmmqf/kernel/exp', opType: 'Exp', inputs: [halfQuad], outputs: ['gmmqf/kernel/activations'] });
  g.valueInfo(act, F, ['N', K]);
  // 8. Q values
  g.output(GMMQF_OUTPUT_Q, F, ['N', A], 'Q values, one row of A per observation.');
  g.node({ name: 'gmmqf/q/matmul', opType: 'MatMul', inputs: [act, weights], outputs: [GMMQF_OUTPUT_Q], doc: 'q = g · weights' });
  // 9. greedy action
  g.output(GMMQF_OUTPUT_ACTION, ElemType.INT64, ['N'], 'Greedy action argmax_a q[n, a] (first index on ties).');
  g.node({
    name: 'gmmqf/action/argmax',
    opType: 'ArgMax',
    inputs: [GMMQF_OUTPUT_Q],
    outputs: [GMMQF_OUTPUT_ACTION],
    attributes: { axis: { kind: 'int', value: 1 }, keepdims: { kind: 'int', value: 0 }, select_last_index: { kind: 'int', value: 0 } },
  });

  return g.build({
    irVersion: GMMQF_IR_VERSION,
    opsetVersion: GMMQF_OPSET_VERSION,
    producerName: 'gmmrl',
    producerVersion: GMMRL_VERSION,
    docString:
      meta.docString ??
      `gmmrl GMM Q-function policy for ${meta.envId} (K=${K}, D=${D}, A=${A}). Input "obs" [N, ${D}] float32 (raw observations; ` +
        `normalization is inside the graph); outputs "q" [N, ${A}] float32 and "action" [N] int64. ` +
        `See the gmmrl.metadata property (schema ${METADATA_SCHEMA_VERSION}).`,
    metadataProps: props,
  });
}
