/**
 * What every gmmrl exporter writes the same way, around the family's own graph:
 *
 *   metadata   `metadataEnvelope`: the GmmrlMetadataV1 object — schema version, family, producer,
 *              environment and observation space first, then the family's own fields (in the
 *              family's order), then the provenance (source checkpoint SHA-256, training record);
 *              `precisionField` and `normalizationSpec` are the fields every family writes alike.
 *   preamble   `beginGraph`: the GraphBuilder (named after the family, which also prefixes every
 *              node) with its input "obs" [N, D] and, when the noise comes through the inputs, the
 *              noise inputs (each with a one-row default, expanded to N rows: plain ONNX Runtime
 *              computes every output from obs alone); `finishModel`: the model header (IR version, opset, producer, doc
 *              string, the three gmmrl metadata_props entries) and the serialised bytes, sealed
 *              with the integrity digest `model_sha256` (contract/metadata.ts: SHA-256 of the whole
 *              file with the digest's own digits read as '0'; written as gmmrl.metadata's last field).
 *
 * Key order matters: the metadata JSON is written in insertion order, and the exported bytes of a
 * model are pinned (spec/golden), so each family passes its fields in the order it always wrote them.
 */
import { GMMRL_VERSION } from '../../models/version.js';
import { InternalError } from '../../contract/errors.js';
import { Sha256 } from '../../contract/sha256.js';
import type { ModelFamily } from '../../contract/families.js';
import {
  IO,
  METADATA_KEY_JSON,
  METADATA_SCHEMA_VERSION,
  MODEL_SHA256_FIELD,
  MODEL_SHA256_PLACEHOLDER,
  MODEL_SHA256_PREFIX,
  NORMALIZATION_FORMULA,
  type GmmrlMetadataV1,
  type NormalizationSpec,
  type Precision,
  type TensorDtype,
  type TensorSpec,
} from '../../contract/metadata.js';
import { ElemType, GraphBuilder, type Dim } from './graph.js';
import { EXPORT_IR_VERSION, EXPORT_OPSET_VERSION, type FloatKind } from './subgraphs.js';

/** The export metadata every family takes: the environment, and the provenance passed through. */
export interface EnvelopeMeta {
  envId: string;
  observationSpace: { shape: number[]; low: number[]; high: number[] };
  /** SHA-256 (hex) of the checkpoint the parameters came from. */
  sourceCheckpointSha256?: string;
  /** algorithm, steps, seed, backend, … passed through into the metadata (non-finite numbers → null). */
  training?: Record<string, unknown>;
}

/** The fields of GmmrlMetadataV1 that the family supplies (everything but the envelope's). */
export type FamilyMetadataFields = Omit<
  GmmrlMetadataV1,
  'schema_version' | 'family' | 'producer' | 'producer_version' | 'env_id' | 'observation_space' | 'source_checkpoint_sha256' | 'training'
>;

/**
 * The gmmrl metadata of an export of `family`: the envelope's header fields, then `fields` in their
 * own order, then source_checkpoint_sha256 and training when `meta` has them.
 */
export function metadataEnvelope(family: ModelFamily, meta: EnvelopeMeta, fields: FamilyMetadataFields): GmmrlMetadataV1 {
  return {
    schema_version: METADATA_SCHEMA_VERSION,
    family,
    producer: 'gmmrl',
    producer_version: GMMRL_VERSION,
    env_id: meta.envId,
    observation_space: {
      shape: [...meta.observationSpace.shape],
      low: [...meta.observationSpace.low],
      high: [...meta.observationSpace.high],
    },
    ...fields,
    ...(meta.sourceCheckpointSha256 !== undefined ? { source_checkpoint_sha256: meta.sourceCheckpointSha256 } : {}),
    ...(meta.training !== undefined ? { training: meta.training } : {}),
  };
}

/** The metadata `precision` entry: written for float64 only (absent means float32). */
export function precisionField(precision: Precision): { precision?: 'float64' } {
  return precision === 'float64' ? { precision: 'float64' } : {};
}

/** The metadata `normalization`: offset and scale exactly as the graph stores them (rounded to F). */
export function normalizationSpec(
  offset: ArrayLike<number>,
  scale: ArrayLike<number>,
  fk: FloatKind,
  formula: string = NORMALIZATION_FORMULA,
): NormalizationSpec {
  return { offset: Array.from(offset, fk.round), scale: Array.from(scale, fk.round), formula };
}

/**
 * The metadata `inputs`: obs [N, obsSize] F; when the noise comes through the inputs also
 * noise_u [N] F and, for an actor (`noiseEpsSize` = A), noise_eps [N, A] F.
 */
export function inputSpecs(dtype: TensorDtype, obsSize: number, noiseInputs: boolean, noiseEpsSize?: number): TensorSpec[] {
  const inputs: TensorSpec[] = [{ name: IO.obs, dtype, shape: ['N', obsSize] }];
  if (noiseInputs) {
    inputs.push({ name: IO.noiseU, dtype, shape: ['N'] });
    if (noiseEpsSize !== undefined) inputs.push({ name: IO.noiseEps, dtype, shape: ['N', noiseEpsSize] });
  }
  return inputs;
}

/** A noise input of the graph: its shape and doc string. */
export interface NoiseInputDoc {
  shape: Dim[];
  doc: string;
}

/** The graph's builder and the names of its inputs. */
export interface GraphStart {
  g: GraphBuilder;
  obs: string;
  /** noise_u expanded to obs's N rows (see `beginGraph`), when the graph has noise inputs. */
  noiseU?: string;
  /** noise_eps expanded to obs's N rows, when the graph has noise inputs and the family takes it (the actors). */
  noiseEps?: string;
  /** [N] bool, true where a row's noise (u, and eps for the actors) is not finite: not fed (see `beginGraph`). */
  noiseMissing?: string;
}

/** Names of the noise values the sampling heads read: the noise inputs expanded to obs's N rows, and the rows without noise. */
export function noiseRowNames(family: string): { u: string; eps: string; missing: string } {
  return { u: `${family}/noise/u_rows`, eps: `${family}/noise/eps_rows`, missing: `${family}/noise/missing` };
}

/**
 * Starts the graph of `family`: a GraphBuilder named `family` with doc string `graphDoc`, the input
 * "obs" [N, obsSize] F, and — when `noise` is given (sampling "inputs") — noise_u [N] F and, with
 * `noise.eps`, noise_eps.
 *
 * Each noise input also gets an initializer of the same name: its default when it is not fed (ONNX
 * IR ≥ 4: an initializer that is also a graph input is an overridable default), so that plain ONNX
 * Runtime computes the greedy outputs from obs alone. The default is one row of NaN, "no noise",
 * never a draw: `noiseMissing` marks the rows whose noise is not finite, and `guardSampled` makes
 * every sampled output NaN (float) or -1 (index) there, so a runtime that silently uses the default
 * (onnxruntime-node's JavaScript binding ignores a feed for an input that has one) returns no
 * plausible sample. The greedy outputs read neither the noise nor the mask.
 *
 * The default has one row while obs has N, so the sampling heads read the noise through Expand to
 * Shape(obs)[0] rows (an identical copy when the N rows are fed): every output keeps N rows. No node
 * but those Expands reads a noise input: ONNX Runtime plans buffers from the declared dims (N), and
 * a node reading the 1-row default directly fails on N > 1 ("Shape mismatch attempting to re-use
 * buffer"). The mask: noise/u_column|all (Unsqueeze u to [N, 1], for the actors Concat eps:
 * [N, 1 + A]), noise/is_nan|is_inf|non_finite (IsNaN, IsInf, Or), noise/non_finite_int|row_max|missing
 * (Cast to int64, ReduceMax over axis 1, Cast to bool) → [N].
 */
export function beginGraph(
  family: ModelFamily,
  graphDoc: string,
  fk: FloatKind,
  obsSize: number,
  noise?: { u: string; eps?: NoiseInputDoc },
): GraphStart {
  const g = new GraphBuilder(family, graphDoc);
  const obs = g.input(IO.obs, fk.F, ['N', obsSize], `Raw observations, one row per batch entry (N rows of ${obsSize}).`);
  if (!noise) return { g, obs };
  const names = noiseRowNames(family);
  const rows = g.node({
    name: `${family}/noise/rows`,
    opType: 'Shape',
    inputs: [obs],
    outputs: [`${family}/noise/rows`],
    attributes: { start: { kind: 'int', value: 0 }, end: { kind: 'int', value: 1 } },
    doc: "[N]: obs's batch size, the rows the noise is expanded to.",
  });
  const defaultDoc =
    ' Optional in ONNX: its default (initializer of the same name) is one row of NaN, and the sampled outputs are NaN (float) / -1 (index) in every row without finite noise.';
  g.input(IO.noiseU, fk.F, ['N'], noise.u + defaultDoc);
  g.inputDefaultNaN(IO.noiseU, [1], 'Default of noise_u: NaN, no noise (one row, expanded to N).');
  const noiseU = g.node({ name: names.u, opType: 'Expand', inputs: [IO.noiseU, rows], outputs: [names.u] });
  g.valueInfo(noiseU, fk.F, ['N']);
  let noiseEps: string | undefined;
  let A = 0;
  if (noise.eps) {
    const a = noise.eps.shape[1]!;
    if (typeof a !== 'number') throw new InternalError(`noise_eps needs a fixed action size, got ${JSON.stringify(noise.eps.shape)}`);
    A = a;
    g.input(IO.noiseEps, fk.F, ['N', A], noise.eps.doc + defaultDoc);
    g.inputDefaultNaN(IO.noiseEps, [1, A], 'Default of noise_eps: NaN, no noise (one row, expanded to N).');
    const one = g.initializerInt64(`${family}/noise/one`, [1], [1]);
    const epsShape = g.node({
      name: `${family}/noise/eps_shape`,
      opType: 'Concat',
      inputs: [rows, one],
      outputs: [`${family}/noise/eps_shape`],
      attributes: { axis: { kind: 'int', value: 0 } },
    });
    noiseEps = g.node({ name: names.eps, opType: 'Expand', inputs: [IO.noiseEps, epsShape], outputs: [names.eps] });
    g.valueInfo(noiseEps, fk.F, ['N', A]);
  }
  const noiseMissing = addNoiseMissing(g, fk, family, noiseU, noiseEps, A);
  return { g, obs, noiseU, noiseEps, noiseMissing };
}

/** The [N] bool mask of the rows whose noise is not all finite (see `beginGraph`). */
function addNoiseMissing(g: GraphBuilder, fk: FloatKind, family: string, u: string, eps: string | undefined, A: number): string {
  const n = (name: string): string => `${family}/noise/${name}`;
  const W = eps === undefined ? 1 : 1 + A;
  const axes = g.initializerInt64(n('axes_1'), [1], [1]);
  const uc = g.node({ name: n('u_column'), opType: 'Unsqueeze', inputs: [u, axes], outputs: [n('u_column')] });
  g.valueInfo(uc, fk.F, ['N', 1]);
  let all = uc;
  if (eps !== undefined) {
    all = g.node({
      name: n('all'),
      opType: 'Concat',
      inputs: [uc, eps],
      outputs: [n('all')],
      attributes: { axis: { kind: 'int', value: 1 } },
    });
    g.valueInfo(all, fk.F, ['N', W]);
  }
  const isNan = g.node({ name: n('is_nan'), opType: 'IsNaN', inputs: [all], outputs: [n('is_nan')] });
  g.valueInfo(isNan, ElemType.BOOL, ['N', W]);
  const isInf = g.node({ name: n('is_inf'), opType: 'IsInf', inputs: [all], outputs: [n('is_inf')] });
  g.valueInfo(isInf, ElemType.BOOL, ['N', W]);
  const bad = g.node({ name: n('non_finite'), opType: 'Or', inputs: [isNan, isInf], outputs: [n('non_finite')] });
  g.valueInfo(bad, ElemType.BOOL, ['N', W]);
  // ReduceMax takes no bool (opset 17): over int64 0/1 instead
  const badInt = g.node({
    name: n('non_finite_int'),
    opType: 'Cast',
    inputs: [bad],
    outputs: [n('non_finite_int')],
    attributes: { to: { kind: 'int', value: ElemType.INT64 } },
  });
  g.valueInfo(badInt, ElemType.INT64, ['N', W]);
  const rowMax = g.node({
    name: n('row_max'),
    opType: 'ReduceMax',
    inputs: [badInt],
    outputs: [n('row_max')],
    attributes: { axes: { kind: 'ints', value: [1] }, keepdims: { kind: 'int', value: 0 } },
  });
  g.valueInfo(rowMax, ElemType.INT64, ['N']);
  const missing = g.node({
    name: n('missing'),
    opType: 'Cast',
    inputs: [rowMax],
    outputs: [n('missing')],
    attributes: { to: { kind: 'int', value: ElemType.BOOL } },
    doc: 'true where the row has no finite noise (not fed: the NaN default)',
  });
  g.valueInfo(missing, ElemType.BOOL, ['N']);
  return missing;
}

/**
 * Writes the sampled output `out` (rank `rank`, N rows first) as Where(missing, NaN or -1, raw):
 * `raw` itself, bit for bit, in every row with finite noise, and NaN (`kind` "float") or -1
 * ("index") in the rows without (see `beginGraph`). Nodes `${family}/guard/${out}/…`.
 */
export function guardSampled(
  g: GraphBuilder,
  fk: FloatKind,
  family: string,
  missing: string,
  raw: string,
  out: string,
  rank: number,
  kind: 'float' | 'index',
): string {
  const stem = `${family}/guard/${out}`;
  let mask = missing;
  if (rank > 1) {
    const axes = g.initializerInt64(
      `${stem}/axes`,
      [rank - 1],
      Array.from({ length: rank - 1 }, (_, i) => i + 1),
    );
    mask = g.node({ name: `${stem}/mask`, opType: 'Unsqueeze', inputs: [missing, axes], outputs: [`${stem}/mask`] });
    g.valueInfo(mask, ElemType.BOOL, ['N', ...new Array<number>(rank - 1).fill(1)]);
  }
  const fill =
    kind === 'float'
      ? g.initializerNaN(`${stem}/nan`, fk.F, [], 'NaN: no sample without noise.')
      : g.initializerInt64(`${stem}/minus_one`, [], [-1], '-1: no sample without noise.');
  return g.node({
    name: `${stem}/where`,
    opType: 'Where',
    inputs: [mask, fill, raw],
    outputs: [out],
    doc:
      kind === 'float' ? 'NaN where the row has no finite noise, else the sample' : '-1 where the row has no finite noise, else the sample',
  });
}

/**
 * Serialises the model: IR version 8, opset 17, producer gmmrl at this version, the model doc
 * string, and the metadata_props (from `metadataToProps`, computed before the graph was built so
 * that invalid input is reported before any graph error), then seals it with the digest
 * (`sealModelDigest`).
 */
export function finishModel(g: GraphBuilder, docString: string, metadataProps: { key: string; value: string }[]): Uint8Array {
  const bytes = g.build({
    irVersion: EXPORT_IR_VERSION,
    opsetVersion: EXPORT_OPSET_VERSION,
    producerName: 'gmmrl',
    producerVersion: GMMRL_VERSION,
    docString,
    metadataProps: withDigestPlaceholder(metadataProps),
  });
  return sealModelDigest(bytes);
}

/** The metadata_props with `"model_sha256":"000…0"` appended as the last field of the gmmrl.metadata JSON. */
export function withDigestPlaceholder(props: { key: string; value: string }[]): { key: string; value: string }[] {
  return props.map(({ key, value }) => {
    if (key !== METADATA_KEY_JSON) return { key, value };
    if (!value.endsWith('}') || MODEL_SHA256_FIELD in (JSON.parse(value) as object)) {
      throw new InternalError(
        `the exported ${METADATA_KEY_JSON} must be a JSON object without ${MODEL_SHA256_FIELD}, got ${value.slice(-80)}`,
      );
    }
    return { key, value: `${value.slice(0, -1)},${MODEL_SHA256_PREFIX}${MODEL_SHA256_PLACEHOLDER}"}` };
  });
}

/**
 * Writes the digest over the placeholder: SHA-256 of `bytes` as they are (the placeholder's digits
 * are the '0's the canonical form reads them as), in place. The placeholder must occur exactly once.
 */
export function sealModelDigest(bytes: Uint8Array): Uint8Array {
  const needle = Buffer.from(`${MODEL_SHA256_PREFIX}${MODEL_SHA256_PLACEHOLDER}"}`, 'latin1');
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const at = view.indexOf(needle);
  if (at < 0 || view.lastIndexOf(needle) !== at) {
    throw new InternalError(`the serialised model holds the ${MODEL_SHA256_FIELD} placeholder ${at < 0 ? 'nowhere' : 'more than once'}`);
  }
  const hex = new Sha256().update(bytes).hex();
  view.write(hex, at + MODEL_SHA256_PREFIX.length, 'latin1');
  return bytes;
}
